/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The uplink's published-port path: replies to translated flows and new
 * flows to published ports, translated and delivered into their container.
 * Built into from_uplink (tc) and xdp_from_uplink (XDP) alike: what one of
 * them does not handle goes on as CTX_ACT_PASS.
 */
#ifndef BPFNET_BPF_UPLINK_H
#define BPFNET_BPF_UPLINK_H

#include "lib/parse.h"
#include "lib/martian.h"
#include "lib/frag.h"
#include "lib/ct.h"
#include "lib/nat.h"
#include "lib/fib.h"
#include "lib/icmp_nat.h"
#include "lib/svc.h"

/*
 * The IPv4 header of a frame from the uplink, at *@l3_off; -1 for a frame
 * that is not bpfnet's: not IPv4, tagged (the node's VLAN device owns it)
 * or malformed (the stack's to judge).
 */
static __always_inline int uplink_parse(struct __ctx_buff *ctx, __u32 *l3_off, struct iphdr **iph)
{
	struct ethhdr *eth = parse_eth(ctx, l3_off);

	if (!eth || frame_is_tagged(ctx, eth->h_proto) || eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	return parse_ipv4(ctx, *l3_off, iph) ? -1 : 0;
}

/*
 * A local container's address never arrives as a source from the uplink: a
 * container's packets leave by its veth, masqueraded ones with the node's
 * address. One from outside is spoofed, whatever it is for: let in, it would
 * reach a container of another network as if that container had sent it.
 * Checked where a packet would start something (a new flow, an ICMP error,
 * anything routed to a container), so the node's own traffic pays nothing.
 */
static __always_inline int uplink_check_source(__be32 saddr)
{
	return ep_of_ip(saddr) ? DROP(DROP_LOCAL_SOURCE) : 0;
}

/*
 * The destination port of a whole TCP, UDP or ICMP echo packet @iph whose
 * L4 header lies in the linear data and is one the slow path would not
 * drop (parse_ports(), parse_icmp()): an ICMP echo's id where its reply
 * tuple has it, 0 for a request. -1 for anything else, left to the slow
 * path: fragments, ICMP errors, other protocols, short or malformed headers.
 */
static __always_inline int uplink_peek_dport(struct __ctx_buff *ctx, __u32 l3_off,
					     const struct iphdr *iph)
{
	void *data = ctx_data(ctx), *data_end = ctx_data_end(ctx);
	__u32 l4_off = l3_off + iph->ihl * 4, l3_end = l3_off + bpf_ntohs(iph->tot_len);
	__u8 *l4 = data + l4_off;
	__u32 claimed;

	if (ipv4_is_later_fragment(iph) || (iph->frag_off & bpf_htons(IP_MF)) ||
	    l4_off > L4_OFF_MAX)
		return -1;
	switch (iph->protocol) {
	case IPPROTO_TCP:
		if ((void *)(l4 + sizeof(struct tcphdr)) > data_end ||
		    l4_off + sizeof(struct tcphdr) > l3_end)
			return -1;
		claimed = (l4[TCP_DOFF_OFF] >> 4) * 4;
		if (claimed < sizeof(struct tcphdr) || l4_off + claimed > l3_end)
			return -1;
		return bpf_ntohs(((struct tcphdr *)l4)->dest);
	case IPPROTO_UDP:
		if ((void *)(l4 + sizeof(struct udphdr)) > data_end ||
		    l4_off + sizeof(struct udphdr) > l3_end)
			return -1;
		claimed = bpf_ntohs(((struct udphdr *)l4)->len);
		if (claimed < sizeof(struct udphdr) || l4_off + claimed > l3_end)
			return -1;
		return bpf_ntohs(((struct udphdr *)l4)->dest);
	case IPPROTO_ICMP:
		if ((void *)(l4 + sizeof(struct icmphdr)) > data_end ||
		    l4_off + sizeof(struct icmphdr) > l3_end)
			return -1;
		if (((struct icmphdr *)l4)->type == ICMP_ECHO)
			return 0;
		if (((struct icmphdr *)l4)->type == ICMP_ECHOREPLY)
			return bpf_ntohs(((struct icmphdr *)l4)->un.echo.id);
		return -1;
	}
	return -1;
}

/* uplink_classify(): what the one early lookup tells of a packet from the uplink. */
enum uplink_class {
	UPLINK_UNKNOWN = 0,	/* look further, from the endpoint of its address on */
	UPLINK_NOT_OURS,	/* the node's own traffic: pass it */
	UPLINK_FOR_NODE,	/* for a node address, so for no container: maybe ours */
	UPLINK_FLOW_ONLY,	/* for a node address, no published port: ours only if a flow's */
};

/*
 * The node's own traffic, told by one lookup before any other (node_ports,
 * abi.h): a packet for a node address, no martian, whose destination port
 * lies outside the masquerade range and, for TCP and UDP, is published on
 * no address. Nothing further would claim it: every flow a packet from the
 * uplink can match is for a container's address (routed), a masquerade port
 * (lib/nat.h claims reply ports in that range only, ICMP echo ids too) or a
 * published port (whose flows end before its bit is cleared), and only
 * published ports start flows. A published port's packet learns on the way
 * that its address is no container's, which saves the endpoint lookup.
 * A port in the masquerade range that no address publishes (a masquerade
 * reply, or a reply to the node's own client: Linux's ephemeral ports are
 * that range) can only be claimed by a ct4 flow, so the published-port
 * lookups are skipped (UPLINK_FLOW_ONLY). Fragments and ICMP errors are not
 * looked at: they pay what they paid before.
 */
static __always_inline int uplink_classify(struct __ctx_buff *ctx, __u32 l3_off,
					   const struct iphdr *iph)
{
	const struct bpfnet_node_ports *np;
	__be32 daddr = iph->daddr;
	int port = uplink_peek_dport(ctx, l3_off, iph);
	int unpublished;
	__u32 p;

	if (port < 0 || ipv4_check_martian(iph->saddr, daddr))
		return UPLINK_UNKNOWN;
	np = bpf_map_lookup_elem(&node_ports, &daddr);
	if (!np)
		return UPLINK_UNKNOWN;
	unpublished = port >= BPFNET_SNAT_PORT_MIN && port <= BPFNET_SNAT_PORT_MAX ?
		      UPLINK_FLOW_ONLY : UPLINK_NOT_OURS;
	if (iph->protocol == IPPROTO_ICMP)
		return unpublished;
	p = port & 0xffff;
	if (np->bits[iph->protocol == IPPROTO_UDP][p / 64] & (1ULL << (p % 64)))
		return UPLINK_FOR_NODE;
	return unpublished;
}

/* First packet of an outside client's flow to a published port: DNAT, source kept. */
static __always_inline int portmap_new(struct __ctx_buff *ctx, struct flow4 *f,
				       const struct bpfnet_backend *be,
				       const struct bpfnet_ep *dst)
{
	struct nat_target t = { .dnat_addr = be->ep_ip, .dnat_port = be->ep_port,
				.flags = BPFNET_CT_F_PORTMAP, .tx_gen = CT_FROM_OUTSIDE,
				.rx_gen = ep_gen(dst) };
	struct bpfnet_ct_entry orig;
	int ret = nat_create(f, &t, &orig, ctx_len(ctx));

	if (ret)
		return ret;
	count_global(BPFNET_G_DNAT);
	return nat_apply(ctx, f, &orig) ?: deliver4(ctx, f, dst);
}

/*
 * A later fragment from the uplink, for the node, whose first fragment has not
 * come: no ports, so no telling whether it belongs to a published port (whose
 * fragments the node must never see) or to the node's own traffic (a big DNS
 * answer to the node's resolver, reordered). It goes to the node: dropping it
 * would lose the node's own reordered datagrams, and a published port's
 * datagram is lost either way, its first fragment going to the container. The
 * node's stack cannot complete that datagram without its first fragment, so it
 * never answers "port unreachable", and Linux sends no "reassembly time
 * exceeded" without the first either: the partial datagram expires silently.
 * In-order fragments of a published port always match and never get here.
 */
static __always_inline int frag4_to_node(void)
{
	count_global(BPFNET_G_FRAG_TO_NODE);
	return CTX_ACT_PASS;
}

/*
 * IPv4 @iph (at @l3_off) on the uplink for anything but a container
 * address: replies to NATed flows, published ports. A malformed L4 header
 * is dropped when it is addressed to the node; anything else that is not
 * bpfnet's goes on untouched. *@to is the endpoint the packet is for, once
 * known, so that a drop counts against it. @cls is uplink_classify()'s
 * answer: UPLINK_FLOW_ONLY skips the published-port lookups.
 */
static __always_inline int ipv4_nat_from_uplink(struct __ctx_buff *ctx, __u32 l3_off,
						struct iphdr *iph, const struct bpfnet_ep **to,
						int cls)
{
	const struct bpfnet_backend *be;
	__be32 daddr = iph->daddr, saddr = iph->saddr;
	struct ct_hit hit;
	struct flow4 f;
	int ret = parse_flow4_frag(ctx, l3_off, iph, &f);

	if (ret)
		return is_node_addr(daddr) ? ret : CTX_ACT_PASS;
	if (f.kind == FLOW_UNTRACKED)
		return CTX_ACT_PASS;
	if (f.kind == FLOW_FRAGMENT)
		return frag4_to_node();
	if (f.kind == FLOW_ICMP_ERROR) {
		if (!CTX_ICMP_ERROR_NAT)
			return CTX_ACT_PASS;
		ret = uplink_check_source(saddr) ?:
		      icmp_error_nat(ctx, &f, CT_FROM_OUTSIDE, NULL, to);
		return ret == 1 ? CTX_ACT_PASS : ret ?: deliver4(ctx, &f, *to);
	}
	switch (ct_lookup_flow(&f.key, CT_FROM_OUTSIDE, NULL, CT_MAY_RETIRE, &hit)) {
	case CT_FLOW:
		*to = hit.dst;
		return ctx_may_deliver(ctx, &f, *to) ? ct_forward(ctx, &f, &hit) : CTX_ACT_PASS;
	case CT_FOREIGN:	/* the tuple of a container's own packets, from outside */
		return DROP(DROP_SPOOFED_IP);
	}
	if (cls == UPLINK_FLOW_ONLY)
		return CTX_ACT_PASS;
	ret = svc_lookup(&f.key, &be);
	if (ret == SVC_NONE)
		return CTX_ACT_PASS;
	if (ret)
		return ret;
	*to = ep_of_ip(be->ep_ip);
	return uplink_check_source(saddr) ?:
	       (ctx_may_deliver(ctx, &f, *to) ? portmap_new(ctx, &f, be, *to) : CTX_ACT_PASS);
}

#endif
