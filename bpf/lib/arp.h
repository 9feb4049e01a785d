/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ARP answered from BPF. In l3 mode there is no L2 between containers, so
 * every address of the container's network (its gateway and its peers)
 * resolves to the host-side veth MAC, and the datapath routes from there. In
 * bridge mode peers answer for themselves; only the gateway is answered here,
 * with the network's gateway MAC.
 */
#ifndef BPFNET_BPF_ARP_H
#define BPFNET_BPF_ARP_H

#include "lib/parse.h"

static __always_inline int arp_should_answer(const struct bpfnet_ep *ep, __be32 tip)
{
	__u32 net_id = ep->net_id;
	const struct bpfnet_net *net = bpf_map_lookup_elem(&networks, &net_id);

	if (!net || tip == ep->ip)	/* never claim the asker's own address (DAD) */
		return 0;
	return tip == net->gateway || (tip & net->mask) == net->subnet;
}

/* Turn the request in place into the reply "tip is at @mac" and send it back out of the veth. */
static __always_inline int arp_reply(struct __ctx_buff *ctx, struct arp_pkt *arp, const __u8 *mac)
{
	struct ethhdr *eth = ctx_data(ctx);
	__be32 tip = arp->body.tip;

	if ((void *)(eth + 1) > ctx_data_end(ctx))
		return DROP(DROP_TRUNCATED);
	arp->hdr.ar_op = bpf_htons(ARPOP_REPLY);
	mac_copy(arp->body.tha, arp->body.sha);
	arp->body.tip = arp->body.sip;
	mac_copy(arp->body.sha, mac);
	arp->body.sip = tip;
	mac_copy(eth->h_dest, eth->h_source);
	mac_copy(eth->h_source, mac);
	return ctx_tx(ctx);
}

/* The sender must be the endpoint: its MAC, and its address or 0.0.0.0 (an RFC 5227 probe). */
static __always_inline int arp_check_sender(const struct arp_pkt *arp, const struct bpfnet_ep *ep)
{
	if (!mac_equal(arp->body.sha, ep->mac))
		return DROP(DROP_SPOOFED_MAC);
	if (arp->body.sip != ep->ip && arp->body.sip != 0)
		return DROP(DROP_SPOOFED_IP);
	return 0;
}

/* ARP from a container: answer requests for its network, let replies reach the node. */
static __always_inline int arp_from_container(struct __ctx_buff *ctx, __u32 l3_off,
					      const struct bpfnet_ep *ep)
{
	struct arp_pkt *arp;
	int ret = parse_arp(ctx, l3_off, &arp);

	if (ret)
		return ret;
	ret = arp_check_sender(arp, ep);
	if (ret)
		return ret;
	if (arp->hdr.ar_op == bpf_htons(ARPOP_REPLY))
		return CTX_ACT_OK;
	if (arp->hdr.ar_op != bpf_htons(ARPOP_REQUEST))
		return DROP(DROP_BAD_ARP);
	if (!arp_should_answer(ep, arp->body.tip))
		return DROP(DROP_ARP_NOT_ANSWERED);
	return arp_reply(ctx, arp, ep->host_mac);
}

/* A bridge network answers one address from BPF: its gateway's, unless it is internal. */
static __always_inline int arp_is_gateway_request(const struct arp_pkt *arp,
						  const struct bpfnet_net *net)
{
	return arp->hdr.ar_op == bpf_htons(ARPOP_REQUEST) && arp->body.tip == net->gateway &&
	       !(net->flags & BPFNET_NET_F_INTERNAL);
}

/*
 * ARP of a bridge network's container addressed to the gateway MAC: a
 * unicast request (a neighbour entry being confirmed) is answered; a reply
 * goes to the node, as in l3 mode.
 */
static __always_inline int arp_to_gateway(struct __ctx_buff *ctx, __u32 l3_off,
					  const struct bpfnet_net *net)
{
	struct arp_pkt *arp;
	int ret = parse_arp(ctx, l3_off, &arp);

	if (ret)
		return ret;
	if (arp->hdr.ar_op == bpf_htons(ARPOP_REPLY))
		return CTX_ACT_OK;
	if (!arp_is_gateway_request(arp, net))
		return DROP(DROP_ARP_NOT_ANSWERED);
	return arp_reply(ctx, arp, net->gw_mac);
}

#endif
