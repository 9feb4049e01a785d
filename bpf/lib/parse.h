/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bounds-checked header access, for tc and XDP (ctx/). */
#ifndef BPFNET_BPF_PARSE_H
#define BPFNET_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "ctx/ctx.h"
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

/* A bound on the L3 offset for the verifier: Ethernet and, some day, a few tags. */
#define L3_OFF_MAX 64

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

/* An 802.1Q/802.1ad tagged frame: the tag in the context (skb) or in the frame. */
static __always_inline int frame_is_tagged(const struct __ctx_buff *ctx, __be16 proto)
{
	return ctx_vlan_present(ctx) || proto == bpf_htons(ETH_P_8021Q) ||
	       proto == bpf_htons(ETH_P_8021AD);
}

/*
 * The Ethernet header, and in *@l3_off where the L3 header starts: every
 * later step takes it from there rather than assuming ETH_HLEN, so that a
 * VLAN tag or an encapsulation can move it without rewriting them.
 */
static __always_inline struct ethhdr *parse_eth(struct __ctx_buff *ctx, __u32 *l3_off)
{
	void *data = ctx_data(ctx);
	void *data_end = ctx_data_end(ctx);
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	*l3_off = sizeof(*eth);
	return eth;
}

/* The IPv4 header at @l3_off, with version, ihl and length checked. */
static __always_inline int parse_ipv4(struct __ctx_buff *ctx, __u32 l3_off, struct iphdr **out)
{
	void *data, *data_end;
	struct iphdr *iph;
	__u32 tot_len;

	if (l3_off > L3_OFF_MAX)
		return DROP(DROP_TRUNCATED);
	ctx_pull(ctx, l3_off + sizeof(*iph));
	data = ctx_data(ctx);
	data_end = ctx_data_end(ctx);
	iph = data + l3_off;
	if ((void *)(iph + 1) > data_end)
		return DROP(DROP_TRUNCATED);
	if (iph->version != 4 || iph->ihl < 5)
		return DROP(DROP_BAD_IP_HEADER);
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < iph->ihl * 4U || tot_len > ctx_len(ctx) - l3_off)
		return DROP(DROP_BAD_IP_HEADER);
	*out = iph;
	return 0;
}

/* An Ethernet/IPv4 ARP packet at @l3_off. */
static __always_inline int parse_arp(struct __ctx_buff *ctx, __u32 l3_off, struct arp_pkt **out)
{
	void *data, *data_end;
	struct arp_pkt *arp;

	if (l3_off > L3_OFF_MAX)
		return DROP(DROP_TRUNCATED);
	ctx_pull(ctx, l3_off + sizeof(*arp));
	data = ctx_data(ctx);
	data_end = ctx_data_end(ctx);
	arp = data + l3_off;
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
