/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bounds-checked header access for tc programs. */
#ifndef BPFNET_BPF_PARSE_H
#define BPFNET_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/drop.h"

/*
 * ARP, spelled out here because linux/if_arp.h drags in libc headers that do
 * not exist for the BPF target.
 */
#define ARPHRD_ETHER 1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2

struct arphdr {
	__be16 ar_hrd;
	__be16 ar_pro;
	__u8 ar_hln;
	__u8 ar_pln;
	__be16 ar_op;
};

/* The IPv4-over-Ethernet ARP body that follows struct arphdr. */
struct arp_eth_ipv4 {
	__u8 sha[ETH_ALEN];
	__be32 sip;
	__u8 tha[ETH_ALEN];
	__be32 tip;
} __attribute__((packed));

struct arp_pkt {
	struct arphdr hdr;
	struct arp_eth_ipv4 body;
} __attribute__((packed));

/*
 * skb->data and skb->data_end, each read through a compiler barrier on the
 * context pointer. Without it clang may keep &skb->data in a register (and
 * spill it) across helper calls to load from it later, and the verifier
 * refuses loads through a context pointer plus offset ("dereference of
 * modified ctx ptr").
 */
static __always_inline void *ctx_data(struct __sk_buff *skb)
{
	asm volatile("" : "+r"(skb));
	return (void *)(long)skb->data;
}

static __always_inline void *ctx_data_end(struct __sk_buff *skb)
{
	asm volatile("" : "+r"(skb));
	return (void *)(long)skb->data_end;
}

/*
 * Make the first @len bytes linear so direct packet access can see them. Only
 * pulls when the packet really is that long: a short packet is left as it is
 * and the caller's bounds check reports it as truncated.
 */
static __always_inline void ctx_pull(struct __sk_buff *skb, __u32 len)
{
	if (ctx_data(skb) + len > ctx_data_end(skb) && skb->len >= len)
		bpf_skb_pull_data(skb, len);
}

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

/*
 * An 802.1Q/802.1ad tagged frame. The receive path moves an outer tag into
 * the skb (vlan_present) before tc runs, so a tag shows either there or, an
 * inner one or one not stripped, as the frame's type.
 */
static __always_inline int frame_is_tagged(const struct __sk_buff *skb, __be16 proto)
{
	return skb->vlan_present || proto == bpf_htons(ETH_P_8021Q) ||
	       proto == bpf_htons(ETH_P_8021AD);
}

static __always_inline struct ethhdr *parse_eth(struct __sk_buff *skb)
{
	void *data = ctx_data(skb);
	void *data_end = ctx_data_end(skb);
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	return eth;
}

/* The IPv4 header after the Ethernet header, with version, ihl and length checked. */
static __always_inline int parse_ipv4(struct __sk_buff *skb, struct iphdr **out)
{
	void *data, *data_end;
	struct iphdr *iph;
	__u32 tot_len;

	ctx_pull(skb, ETH_HLEN + sizeof(*iph));
	data = ctx_data(skb);
	data_end = ctx_data_end(skb);
	iph = data + ETH_HLEN;
	if ((void *)(iph + 1) > data_end)
		return DROP(DROP_TRUNCATED);
	if (iph->version != 4 || iph->ihl < 5)
		return DROP(DROP_BAD_IP_HEADER);
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < iph->ihl * 4U || tot_len > skb->len - ETH_HLEN)
		return DROP(DROP_BAD_IP_HEADER);
	*out = iph;
	return 0;
}

/* An Ethernet/IPv4 ARP packet after the Ethernet header. */
static __always_inline int parse_arp(struct __sk_buff *skb, struct arp_pkt **out)
{
	void *data, *data_end;
	struct arp_pkt *arp;

	ctx_pull(skb, ETH_HLEN + sizeof(*arp));
	data = ctx_data(skb);
	data_end = ctx_data_end(skb);
	arp = data + ETH_HLEN;
	if ((void *)(arp + 1) > data_end)
		return DROP(DROP_TRUNCATED);
	if (arp->hdr.ar_hrd != bpf_htons(ARPHRD_ETHER) || arp->hdr.ar_pro != bpf_htons(ETH_P_IP) ||
	    arp->hdr.ar_hln != ETH_ALEN || arp->hdr.ar_pln != 4)
		return DROP(DROP_BAD_ARP);
	*out = arp;
	return 0;
}

static __always_inline int mac_equal(const __u8 *a, const __u8 *b)
{
	return *(const __u32 *)a == *(const __u32 *)b &&
	       *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

static __always_inline void mac_copy(__u8 *dst, const __u8 *src)
{
	__builtin_memcpy(dst, src, ETH_ALEN);
}

#endif
