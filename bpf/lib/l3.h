/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* IPv4 forwarding to a local endpoint: the ipvlan-like l3 hop. */
#ifndef BPFNET_BPF_L3_H
#define BPFNET_BPF_L3_H

#include "lib/parse.h"
#include "lib/stats.h"

/*
 * RFC 1624 incremental update for TTL-1: the TTL is the high byte of its
 * 16-bit word, so the header checksum grows by 0x0100 (one's complement).
 */
static __always_inline void ipv4_decrease_ttl(struct iphdr *iph)
{
	__u32 check = (__u32)iph->check;

	check += (__u32)bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >= 0xFFFF));
	iph->ttl--;
}

static __always_inline const struct bpfnet_ep *ep_of_ip(__be32 ip)
{
	return bpf_map_lookup_elem(&ep_by_ip, &ip);
}

static __always_inline int is_node_addr(__be32 addr)
{
	return bpf_map_lookup_elem(&node_addrs, &addr) != NULL;
}

/*
 * Route one IPv4 packet into the netns of endpoint @dst: the container sees a
 * frame from its gateway MAC to its own MAC with the TTL decremented, as if a
 * router sat between. bpf_redirect_peer() skips the veth's backlog queue and
 * lands the packet directly on the peer's ingress.
 */
static __always_inline int l3_forward_to_ep(struct __ctx_buff *ctx, __u32 l3_off,
					    const struct bpfnet_ep *dst)
{
	void *data = ctx_data(ctx);
	void *data_end = ctx_data_end(ctx);
	struct ethhdr *eth = data;
	struct iphdr *iph;

	if (l3_off > L3_OFF_MAX)
		return DROP(DROP_TRUNCATED);
	iph = data + l3_off;
	if ((void *)(eth + 1) > data_end || (void *)(iph + 1) > data_end)
		return DROP(DROP_TRUNCATED);
	if (iph->ttl <= 1)
		return DROP(DROP_TTL_EXCEEDED);
	ipv4_decrease_ttl(iph);
	mac_copy(eth->h_dest, dst->mac);
	mac_copy(eth->h_source, dst->host_mac);
	ep_count_rx(dst->id, ctx_len(ctx));
	return ctx_redirect_peer(ctx, dst->ifindex);
}

#endif
