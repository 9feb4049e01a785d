// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet datapath entry programs (tc, direct-action). Each one only parses,
 * dispatches to the helpers in lib/ and hands their result to finish().
 */
#include "ctx/skb.h"
#include <bpf/bpf_endian.h>

#include "bpfnet/abi.h"
#include "lib/maps.h"
#include "lib/finish.h"
#include "lib/parse.h"
#include "lib/stats.h"
#include "lib/arp.h"
#include "lib/l3.h"
#include "lib/l4.h"
#include "lib/frag.h"
#include "lib/ct.h"
#include "lib/nat.h"
#include "lib/fib.h"
#include "lib/icmp_nat.h"
#include "lib/l2.h"
#include "lib/martian.h"
#include "lib/sender.h"
#include "lib/svc.h"
#include "lib/uplink.h"
#include "lib/variant.h"

/* The network of @ep; NULL for none, or a slot cleared by network rm (mode NONE). */
static __always_inline const struct bpfnet_net *net_of(const struct bpfnet_ep *ep)
{
	__u32 net_id = ep->net_id;
	const struct bpfnet_net *net = bpf_map_lookup_elem(&networks, &net_id);

	return net && net->mode != BPFNET_MODE_NONE ? net : NULL;
}

/* Is @f for the node: its network's gateway (even while node_addrs lags), or a node address? */
static __always_inline int for_node(const struct flow4 *f, const struct bpfnet_net *net)
{
	return f->key.daddr == net->gateway || is_node_addr(f->key.daddr);
}

/* First packet of container @ep's flow to a published port of the node (hairpin). */
static __always_inline int hairpin_new(struct __ctx_buff *ctx, struct flow4 *f,
				       const struct bpfnet_backend *be,
				       const struct bpfnet_ep *ep)
{
	const struct bpfnet_ep *dst = ep_of_ip(be->ep_ip);
	/* source NAT to the node address too, so even a container reaching its own port works */
	struct nat_target t = { .snat_addr = f->key.daddr, .dnat_addr = be->ep_ip,
				.dnat_port = be->ep_port, .flags = BPFNET_CT_F_HAIRPIN,
				.tx_gen = ep->gen, .rx_gen = ep_gen(dst) };
	struct bpfnet_ct_entry orig;
	int ret = nat_create(f, &t, &orig, ctx_len(ctx));

	if (ret)
		return ret;
	count_global(BPFNET_G_HAIRPIN);
	return nat_apply(ctx, f, &orig) ?: deliver4(ctx, f, dst);
}

/*
 * First packet of a container's flow leaving the node: masqueraded behind the
 * uplink, or (no masquerade) tracked as it is, so that its replies, routed
 * back to the container's own address, are let in by every gateway mode.
 */
static __always_inline int egress_new(struct __ctx_buff *ctx, struct flow4 *f,
				      const struct bpfnet_ep *ep, const struct bpfnet_net *net)
{
	int masquerade = net->flags & BPFNET_NET_F_MASQUERADE;
	struct nat_target t = { .tx_gen = ep->gen };
	struct bpfnet_ct_entry orig;
	struct bpf_fib_lookup p;
	int rc, ret;

	/*
	 * An echo reply that answers no tracked request starts no flow (Linux's
	 * conntrack calls it invalid): its id is its "destination port", so there is
	 * no source port to masquerade, and no request whose reply it could be. Left
	 * to the stack untouched, as an untracked protocol is.
	 */
	if (f->key.proto == IPPROTO_ICMP && f->icmp_type == ICMP_ECHOREPLY)
		return CTX_ACT_OK;
	rc = fib_lookup4(ctx, f, &p, masquerade ? BPF_FIB_LOOKUP_SRC : 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return CTX_ACT_OK;	/* local, or the stack explains why not (ICMP) */
	if (masquerade)
		t.snat_addr = p.ipv4_src;
	ret = nat_create(f, &t, &orig, ctx_len(ctx));
	if (ret)
		return ret;
	if (masquerade)
		count_global(BPFNET_G_SNAT);
	return nat_apply(ctx, f, &orig) ?: fib_redirect(ctx, f->l3_off, &p, rc);
}

/*
 * Container @ep's IPv4 to anything but a local endpoint (so no endpoint is at
 * its destination address): conntrack, NAT, the node.
 */
static __always_inline int ipv4_nat_from_container(struct __ctx_buff *ctx, struct flow4 *f,
						   const struct bpfnet_ep *ep,
						   const struct bpfnet_net *net)
{
	const struct bpfnet_backend *be;
	const struct bpfnet_ep *dst = NULL;
	struct ct_hit hit;
	int ret;

	switch (f->kind) {
	case FLOW_UNTRACKED:
		return CTX_ACT_OK;
	case FLOW_FRAGMENT:
		/* a container's stack sends a datagram's fragments in order: this one is made up */
		return DROP(DROP_FRAG_NO_FIRST);
	case FLOW_ICMP_ERROR:
		ret = icmp_error_nat(ctx, f, ep->gen, NULL, &dst);
		return ret == 1 ? CTX_ACT_OK : ret ?: deliver4(ctx, f, dst);
	}
	/* anti-spoofing vouches for the sender: a flow of a former owner of its address retires */
	if (ct_lookup_flow(&f->key, ep->gen, NULL, CT_MAY_RETIRE, &hit) == CT_FLOW)
		return ct_forward(ctx, f, &hit);
	if (for_node(f, net)) {
		ret = svc_lookup(&f->key, &be);
		return ret == SVC_NONE ? CTX_ACT_OK : ret ?: hairpin_new(ctx, f, be, ep);
	}
	return egress_new(ctx, f, ep, net);
}

/*
 * Where a container's IPv4 packet @f goes: to an endpoint of its network, to
 * the node (its gateway is the node's in every mode), or out. An address of
 * its own subnet that no endpoint has is nobody's: dropped, never sent out.
 */
static __always_inline int ipv4_route_from_container(struct __ctx_buff *ctx, struct flow4 *f,
						     const struct bpfnet_ep *ep)
{
	const struct bpfnet_ep *dst = ep_of_ip(f->key.daddr);
	const struct bpfnet_net *net;

	if (dst)
		return dst->net_id == ep->net_id ? l3_forward_to_ep(ctx, f->l3_off, dst) :
						   DROP(DROP_OTHER_NETWORK);
	net = net_of(ep);
	if (!net)
		return DROP(DROP_NO_ENDPOINT);
	if (f->key.daddr != net->gateway && (f->key.daddr & net->mask) == net->subnet)
		return DROP(DROP_UNASSIGNED);
	return ipv4_nat_from_container(ctx, f, ep, net);
}

/* IPv4 (at @l3_off) sent by an l3 container: checked, then routed. */
static __always_inline int ipv4_from_container(struct __ctx_buff *ctx, __u32 l3_off,
					       const struct bpfnet_ep *ep)
{
	struct flow4 f;

	return ipv4_check_sender(ctx, l3_off, ep, &f) ?: ipv4_route_from_container(ctx, &f, ep);
}

/* A bridge network's frame to its gateway MAC (@f checked already): routed as an l3 container's. */
static __always_inline int bridge_to_gateway(struct __ctx_buff *ctx, __u32 l3_off,
					     const struct bpfnet_ep *ep,
					     const struct bpfnet_net *net, __be16 proto,
					     struct flow4 *f)
{
	if (net->flags & BPFNET_NET_F_INTERNAL)
		return DROP(DROP_INTERNAL);
	if (proto == bpf_htons(ETH_P_IP))
		return ipv4_route_from_container(ctx, f, ep);
	return arp_to_gateway(ctx, l3_off, net);
}

/* Flooded; a broadcast ARP request for the gateway is also answered, once the copies left. */
static __always_inline int bridge_flood(struct __ctx_buff *ctx, __u32 l3_off,
					const struct bpfnet_ep *ep, const struct bpfnet_net *net,
					__be16 proto)
{
	struct bpfnet_port last;
	struct arp_pkt *arp;
	int answer;

	answer = proto == bpf_htons(ETH_P_ARP) && !parse_arp(ctx, l3_off, &arp) &&
		 arp_is_gateway_request(arp, net);
	l2_flood(ctx, ep, &last);
	if (!answer)
		return l2_flood_last(ctx, &last);
	if (last.ifindex)
		l2_clone_to(ctx, &last, ctx_len(ctx));
	/* the clones invalidated every packet pointer: parse again */
	return parse_arp(ctx, l3_off, &arp) ?: arp_reply(ctx, arp, net->gw_mac);
}

/*
 * A frame of a bridge network's container: checked, learned, then routed
 * (to the gateway MAC), switched (known unicast) or flooded.
 */
static __always_inline int bridge_from_container(struct __ctx_buff *ctx, __u32 l3_off,
						 const struct bpfnet_ep *ep, __be16 proto)
{
	const struct bpfnet_net *net = net_of(ep);
	const struct bpfnet_fdb_val *to = NULL;
	struct ethhdr *eth;
	struct flow4 f;
	__u64 now;
	int ret;

	if (!net)
		return DROP(DROP_NO_ENDPOINT);
	ret = l2_check_proto(proto) ?: l2_check_sender(ctx, l3_off, ep, proto, &f);
	if (ret)
		return ret;
	now = fdb_now();
	fdb_learn(ep, now);
	eth = parse_eth(ctx, &l3_off);	/* the checks may have pulled data: pointers anew */
	if (!eth)
		return DROP(DROP_TRUNCATED);
	if (mac_equal(eth->h_dest, net->gw_mac))
		return bridge_to_gateway(ctx, l3_off, ep, net, proto, &f);
	if (!mac_is_group(eth->h_dest))
		to = fdb_lookup(ep->net_id, eth->h_dest, now);
	return to ? l2_forward(ctx, ep, to) : bridge_flood(ctx, l3_off, ep, net, proto);
}

static __always_inline int handle_from_container(struct __ctx_buff *ctx, const struct bpfnet_ep *ep)
{
	__u32 l3_off;
	struct ethhdr *eth = parse_eth(ctx, &l3_off);

	if (!eth)
		return DROP(DROP_TRUNCATED);
	if (!mac_equal(eth->h_source, ep->mac))
		return DROP(DROP_SPOOFED_MAC);
	/* one untagged segment per port in every mode: a tag would leave the node with the frame */
	if (frame_is_tagged(ctx, eth->h_proto))
		return DROP(DROP_VLAN);
	if (ep->flags & BPFNET_EP_F_BRIDGE)
		return bridge_from_container(ctx, l3_off, ep, eth->h_proto);
	switch (eth->h_proto) {
	case bpf_htons(ETH_P_IP):
		return ipv4_from_container(ctx, l3_off, ep);
	case bpf_htons(ETH_P_ARP):
		return arp_from_container(ctx, l3_off, ep);
	default:
		return DROP(DROP_UNSUPPORTED_L3);
	}
}

/* tc ingress of every host-side veth: all a container sends. */
SEC("tc")
int from_container(struct __ctx_buff *ctx)
{
	__u32 ifindex = ctx_ifindex(ctx);
	const struct bpfnet_ep *ep;

	PROG_VARIANT_MARK();
	ep = bpf_map_lookup_elem(&ep_by_ifindex, &ifindex);
	if (!ep)
		return finish(ctx, NULL, DIR_FROM_EP, DROP(DROP_NO_ENDPOINT));
	return finish(ctx, ep, DIR_FROM_EP, handle_from_container(ctx, ep));
}

/* A new flow from outside to a container's address: in only where the gateway mode opens it. */
static __always_inline int routed_new(struct __ctx_buff *ctx, struct flow4 *f,
				      const struct bpfnet_ep *dst, const struct bpfnet_net *net)
{
	struct nat_target none = { .tx_gen = CT_FROM_OUTSIDE, .rx_gen = dst->gen };
	struct bpfnet_ct_entry fresh;
	int ret;

	if (!(net->flags & BPFNET_NET_F_UNPROTECTED) &&
	    !((net->flags & BPFNET_NET_F_ROUTED) && ep_port_published(f)))
		return DROP(DROP_DIRECT_ROUTING);
	ret = nat_create(f, &none, &fresh, ctx_len(ctx));
	return ret ?: l3_forward_to_ep(ctx, f->l3_off, dst);
}

/*
 * IPv4 routed from outside to a container's own address (a neighbour routes
 * the container subnets via the node). Every gateway mode lets in the packets
 * of tracked flows (the containers' own, and ICMP errors about them); "routed"
 * also new flows to published container ports, "nat-unprotected" anything.
 * A flow let in is tracked without translation, so that its answers leave as
 * they are rather than as new flows of their own, masqueraded.
 */
static __always_inline int routed_to_ep(struct __ctx_buff *ctx, __u32 l3_off, struct iphdr *iph,
					const struct bpfnet_ep *dst)
{
	const struct bpfnet_net *net = net_of(dst);
	struct ct_hit hit;
	struct flow4 f;
	int ret;

	if (!net)
		return DROP(DROP_NO_ENDPOINT);
	ret = parse_flow4_frag(ctx, l3_off, iph, &f);
	if (ret)
		return ret;
	/* a later fragment has its first's ports: the same checks, so the same verdict */
	if (f.kind == FLOW_TRACKED) {
		switch (ct_lookup_flow(&f.key, CT_FROM_OUTSIDE, dst, CT_MAY_RETIRE, &hit)) {
		case CT_FLOW:	/* no translation: the flow's own destination, @dst */
			ct_account(hit.e, &f, ctx_len(ctx));
			return l3_forward_to_ep(ctx, l3_off, dst);
		case CT_FOREIGN:	/* the tuple of a container's own packets, from outside */
			return DROP(DROP_SPOOFED_IP);
		}
		return routed_new(ctx, &f, dst, net);
	}
	if ((net->flags & BPFNET_NET_F_UNPROTECTED) ||
	    (f.kind == FLOW_ICMP_ERROR && icmp_error_of_flow(ctx, &f, dst)))
		return l3_forward_to_ep(ctx, l3_off, dst);
	if (f.kind == FLOW_FRAGMENT)
		return DROP(DROP_FRAG_NO_FIRST);	/* no telling which flow it would join */
	return DROP(DROP_DIRECT_ROUTING);	/* protocols nothing tracks */
}

/*
 * IPv4 @iph (at @l3_off) from the uplink, no martian: into a container by
 * its gateway mode, or the published-port path. *@dst is the endpoint the
 * packet is for, once known.
 */
/* A frame of the uplink left to the node's stack (and its upper devices), counted. */
static __always_inline int uplink_pass(void)
{
	count_global(BPFNET_G_UPLINK_PASSED);
	return CTX_ACT_PASS;
}

static __always_inline int ipv4_from_uplink(struct __ctx_buff *ctx, __u32 l3_off,
					    struct iphdr *iph, const struct bpfnet_ep **dst,
					    int cls)
{
	if (!*dst)
		return ipv4_nat_from_uplink(ctx, l3_off, iph, dst, cls);
	if ((*dst)->flags & BPFNET_EP_F_INTERNAL)
		return DROP(DROP_INTERNAL);
	return uplink_check_source(iph->saddr) ?: routed_to_ep(ctx, l3_off, iph, *dst);
}

/*
 * tc ingress of the uplink: IPv4 routed to a container address (the node is
 * the next hop for the container subnets) goes into the container as its
 * network's gateway mode allows; replies to masqueraded flows and published
 * ports are translated and delivered; martians are dropped, whoever they
 * are for. Everything else is the node's: TC_ACT_UNSPEC (CTX_ACT_PASS)
 * hands it, untouched and malformed or not, to the next tc filter (another
 * instance's) or the stack, and so are tagged frames, which the node's VLAN
 * device (if any) owns. A drop for a container counts against it.
 *
 * The stack includes the rx handlers of the uplink's upper devices: frames
 * for the macvlans of a macvlan network whose parent is this uplink pass
 * here (tc ingress runs before the macvlan rx handler), as the node's own
 * traffic does, and are counted with it in uplink_passed.
 */
SEC("tc")
int from_uplink(struct __sk_buff *ctx)
{
	const struct bpfnet_ep *dst;
	struct iphdr *iph;
	__u32 l3_off;
	int ret, cls;

	PROG_VARIANT_MARK();
	if (uplink_parse(ctx, &l3_off, &iph))
		return finish(ctx, NULL, DIR_TO_EP, uplink_pass());
	cls = uplink_classify(ctx, l3_off, iph);
	if (cls == UPLINK_NOT_OURS)
		return finish(ctx, NULL, DIR_TO_EP, uplink_pass());
	dst = cls == UPLINK_UNKNOWN ? ep_of_ip(iph->daddr) : NULL;
	ret = ipv4_check_martian(iph->saddr, iph->daddr) ?:
	      ipv4_from_uplink(ctx, l3_off, iph, &dst, cls);
	if (ret == CTX_ACT_PASS)
		ret = uplink_pass();
	return finish(ctx, dst, DIR_TO_EP, ret);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
