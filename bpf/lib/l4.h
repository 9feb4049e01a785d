/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The L4 view of an IPv4 packet that conntrack and NAT work on. */
#ifndef BPFNET_BPF_L4_H
#define BPFNET_BPF_L4_H

#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include "lib/parse.h"

/* ICMP, spelled out: linux/icmp.h pulls in libc headers the BPF target lacks. */
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	union {
		struct {
			__be16 id;
			__be16 sequence;
		} echo;
		__be32 gateway;
	} un;
};

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

/* What a packet is to conntrack. */
enum flow_kind {
	FLOW_UNTRACKED = 0,	/* protocol NAT does not handle: left to the stack */
	FLOW_TRACKED,		/* TCP, UDP, ICMP echo: has a 5-tuple */
	FLOW_ICMP_ERROR,	/* ICMP error quoting a packet of a tracked flow */
	FLOW_FRAGMENT,		/* a later fragment: no L4 header, lib/frag.h finds its ports */
};

/* Byte offsets (from ctx_data()) of the headers and of the fields NAT rewrites. */
struct flow4 {
	struct bpfnet_ct_key key;
	__u32 l3_off;		/* the IPv4 header, as parse_eth() found it */
	__u32 l4_off;
	__u32 csum_off;		/* L4 checksum; 0 for none (UDP checksum field is still set) */
	__u32 sport_off;	/* source port, or the ICMP echo id */
	__u32 dport_off;	/* destination port, or the ICMP echo id */
	__u32 l3_end;		/* end of the IP datagram: Ethernet padding may follow */
	__u8 tcp_flags;
	__u8 kind;		/* enum flow_kind */
	__u8 icmp_type;
	__u8 no_l4;		/* a later fragment: ports from its first, no L4 header to rewrite */
	__u8 first_frag;	/* a first fragment: the datagram goes on past l3_end */
};

/* Fields of the IPv4 header, from its start (struct flow4's l3_off). */
#define IPH_CSUM offsetof(struct iphdr, check)
#define IPH_SADDR offsetof(struct iphdr, saddr)
#define IPH_DADDR offsetof(struct iphdr, daddr)

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10
/* the TCP header's data offset (high nibble, in 32-bit words), then its flags byte */
#define TCP_DOFF_OFF 12
#define TCP_FLAGS_OFF 13
/* A bound on the L4 offset for the verifier: L3_OFF_MAX and an ihl 15 IPv4 header end at 124. */
#define L4_OFF_MAX 0xff

/* A fragment other than the first: the first holds the L4 header, these do not. */
static __always_inline int ipv4_is_later_fragment(const struct iphdr *iph)
{
	return iph->frag_off & bpf_htons(IP_OFFSET);
}

/*
 * TCP and UDP: the ports, and a header that says no less than its minimum and
 * no more than the datagram holds (a TCP data offset below 5 or past the end,
 * a UDP length below 8 or past the end): neither conntrack nor the receiving
 * stack may be handed one.
 */
static __always_inline int parse_ports(struct __ctx_buff *ctx, struct flow4 *f, __u32 hdr_len,
				       __u32 csum_field)
{
	void *data, *data_end;
	__u32 claimed;
	__be16 *ports;
	__u8 *hdr;

	ctx_pull(ctx, f->l4_off + hdr_len);
	data = ctx_data(ctx);
	data_end = ctx_data_end(ctx);
	ports = data + f->l4_off;
	hdr = (__u8 *)ports;
	/* the datagram must hold the header, not just the frame: short frames are padded */
	if (f->l4_off > L4_OFF_MAX || (void *)ports + hdr_len > data_end ||
	    f->l4_off + hdr_len > f->l3_end)
		return DROP(DROP_TRUNCATED);
	f->key.sport = ports[0];
	f->key.dport = ports[1];
	f->sport_off = f->l4_off;
	f->dport_off = f->l4_off + 2;
	f->csum_off = f->l4_off + csum_field;
	/* checked again: once the compiler merges the TCP and UDP paths, the verifier
	 * only remembers the shorter UDP bound */
	if (f->key.proto == IPPROTO_TCP) {
		if ((void *)(hdr + TCP_FLAGS_OFF + 1) > data_end)
			return DROP(DROP_TRUNCATED);
		f->tcp_flags = hdr[TCP_FLAGS_OFF];
		claimed = (hdr[TCP_DOFF_OFF] >> 4) * 4;	/* the header's own length */
	} else {
		struct udphdr *udp = (void *)hdr;

		if ((void *)(udp + 1) > data_end)
			return DROP(DROP_TRUNCATED);
		claimed = bpf_ntohs(udp->len);		/* header and payload */
		/* of the whole datagram: a first fragment holds only the start of it */
		if (f->first_frag && f->l4_off + claimed > f->l3_end)
			claimed = f->l3_end - f->l4_off;
	}
	if (claimed < hdr_len || f->l4_off + claimed > f->l3_end)
		return DROP(DROP_BAD_L4);
	f->kind = FLOW_TRACKED;
	return 0;
}

static __always_inline int parse_icmp(struct __ctx_buff *ctx, struct flow4 *f)
{
	void *data, *data_end;
	struct icmphdr *icmp;

	ctx_pull(ctx, f->l4_off + sizeof(*icmp));
	data = ctx_data(ctx);
	data_end = ctx_data_end(ctx);
	icmp = data + f->l4_off;
	if (f->l4_off > L4_OFF_MAX || (void *)(icmp + 1) > data_end ||
	    f->l4_off + sizeof(*icmp) > f->l3_end)
		return DROP(DROP_TRUNCATED);
	f->icmp_type = icmp->type;
	f->csum_off = f->l4_off + offsetof(struct icmphdr, checksum);
	f->sport_off = f->dport_off = f->l4_off + offsetof(struct icmphdr, un.echo.id);
	switch (icmp->type) {
	case ICMP_ECHO:		/* the id plays the client's port */
		f->key.sport = icmp->un.echo.id;
		f->kind = FLOW_TRACKED;
		break;
	case ICMP_ECHOREPLY:
		f->key.dport = icmp->un.echo.id;
		f->kind = FLOW_TRACKED;
		break;
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		f->kind = FLOW_ICMP_ERROR;
		break;
	}
	return 0;
}

/* Fill @f for the IPv4 packet @iph at @l3_off. Invalidates packet pointers (it may pull). */
static __always_inline int parse_flow4(struct __ctx_buff *ctx, __u32 l3_off,
				       const struct iphdr *iph, struct flow4 *f)
{
	__builtin_memset(f, 0, sizeof(*f));
	f->key.saddr = iph->saddr;
	f->key.daddr = iph->daddr;
	f->key.proto = iph->protocol;
	f->l3_off = l3_off;
	f->l4_off = l3_off + iph->ihl * 4;
	f->l3_end = l3_off + bpf_ntohs(iph->tot_len);	/* parse_ipv4() checked it */
	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP &&
	    iph->protocol != IPPROTO_ICMP)
		return 0;
	if (ipv4_is_later_fragment(iph)) {
		f->kind = FLOW_FRAGMENT;
		return 0;
	}
	f->first_frag = !!(iph->frag_off & bpf_htons(IP_MF));
	switch (iph->protocol) {
	case IPPROTO_TCP:
		return parse_ports(ctx, f, sizeof(struct tcphdr), offsetof(struct tcphdr, check));
	case IPPROTO_UDP:
		return parse_ports(ctx, f, sizeof(struct udphdr), offsetof(struct udphdr, check));
	default:
		return parse_icmp(ctx, f);
	}
}

#endif
