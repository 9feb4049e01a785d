// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet datapath entry programs (tc, direct-action). Each one only parses,
 * dispatches to the helpers in lib/ and turns their result into a verdict.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bpfnet/abi.h"
#include "lib/maps.h"
#include "lib/drop.h"
#include "lib/parse.h"
#include "lib/stats.h"
#include "lib/arp.h"
#include "lib/l3.h"
#include "lib/l4.h"
#include "lib/ct.h"
#include "lib/nat.h"
#include "lib/fib.h"
#include "lib/icmp_nat.h"
#include "lib/l2.h"

static __always_inline int is_node_addr(__be32 addr)
{
	return bpf_map_lookup_elem(&node_addrs, &addr) != NULL;
}

static __always_inline int net_masquerades(const struct bpfnet_ep *ep)
{
	__u32 net_id = ep->net_id;
	const struct bpfnet_net *net = bpf_map_lookup_elem(&networks, &net_id);

	return net && (net->flags & BPFNET_NET_F_MASQUERADE);
}

/* A packet of a tracked flow: account it, translate it, send it on. */
static __always_inline int ct_forward(struct __sk_buff *skb, struct flow4 *f,
				      struct bpfnet_ct_entry *e, struct bpfnet_ct_entry *orig)
{
	int ret;

	ct_account(e, orig, f, skb->len);
	ret = nat_apply(skb, f, e);
	return ret ?: deliver4(skb, f);
}

/* First packet of a container's flow to a published port of the node (hairpin). */
static __always_inline int hairpin_new(struct __sk_buff *skb, struct flow4 *f,
				       const struct bpfnet_portmap_val *pm)
{
	/* source NAT to the node address too, so even a container reaching its own port works */
	struct nat_target t = { .snat_addr = f->key.daddr, .dnat_addr = pm->ep_ip,
				.dnat_port = pm->ep_port, .flags = BPFNET_CT_F_HAIRPIN };
	struct bpfnet_ct_entry orig;
	int ret = nat_create(f, &t, &orig, skb->len);

	if (ret)
		return ret;
	count_global(BPFNET_G_HAIRPIN);
	return nat_apply(skb, f, &orig) ?: deliver4(skb, f);
}

/* First packet of a container's flow leaving the node: masquerade it behind the uplink. */
static __always_inline int masquerade_new(struct __sk_buff *skb, struct flow4 *f,
					  const struct bpfnet_ep *ep)
{
	struct nat_target t = {};
	struct bpfnet_ct_entry orig;
	struct bpf_fib_lookup p;
	int rc, ret;

	if (!net_masquerades(ep))
		return TC_ACT_OK;	/* routed as it is, if the node forwards */
	rc = fib_lookup4(skb, f, &p, BPF_FIB_LOOKUP_SRC);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return TC_ACT_OK;	/* local, or the stack explains why not (ICMP) */
	t.snat_addr = p.ipv4_src;
	ret = nat_create(f, &t, &orig, skb->len);
	if (ret)
		return ret;
	count_global(BPFNET_G_SNAT);
	return nat_apply(skb, f, &orig) ?: fib_redirect(skb, &p, rc);
}

/* A container's IPv4 to anything but a local endpoint: conntrack, NAT, the node. */
static __always_inline int ipv4_nat_from_container(struct __sk_buff *skb, struct iphdr *iph,
						   const struct bpfnet_ep *ep)
{
	const struct bpfnet_portmap_val *pm;
	struct bpfnet_ct_entry *e, *orig;
	struct flow4 f;
	int ret = parse_flow4(skb, iph, &f);

	if (ret)
		return ret;
	switch (f.kind) {
	case FLOW_UNTRACKED:
		return TC_ACT_OK;
	case FLOW_FRAGMENT:
		/* to the node, or routed as it is: fine; masquerading it is impossible */
		if (is_node_addr(f.key.daddr) || !net_masquerades(ep))
			return TC_ACT_OK;
		return DROP(DROP_FRAGMENT);
	case FLOW_ICMP_ERROR:
		ret = icmp_error_nat(skb, &f);
		return ret == 1 ? TC_ACT_OK : ret ?: deliver4(skb, &f);
	}
	e = ct_lookup(&f.key, &orig);
	if (e)
		return ct_forward(skb, &f, e, orig);
	if (is_node_addr(f.key.daddr)) {
		pm = portmap_lookup(&f);
		return pm ? hairpin_new(skb, &f, pm) : TC_ACT_OK;
	}
	return masquerade_new(skb, &f, ep);
}

/* IPv4 sent by a container: to a local endpoint of its network, or on to NAT and the node. */
static __always_inline int ipv4_from_container(struct __sk_buff *skb, const struct bpfnet_ep *ep)
{
	const struct bpfnet_ep *dst;
	struct iphdr *iph;
	int ret = parse_ipv4(skb, &iph);

	if (ret)
		return ret;
	if (iph->saddr != ep->ip)
		return DROP(DROP_SPOOFED_IP);
	dst = ep_of_ip(iph->daddr);
	if (!dst)
		return ipv4_nat_from_container(skb, iph, ep);
	if (dst->net_id != ep->net_id)
		return DROP(DROP_OTHER_NETWORK);
	return l3_forward_to_ep(skb, dst);
}

/* A bridge network's frame to its gateway MAC: routed (and NATed) as an l3 container's. */
static __always_inline int bridge_to_gateway(struct __sk_buff *skb, const struct bpfnet_ep *ep,
					     const struct bpfnet_net *net, __be16 proto)
{
	if (net->flags & BPFNET_NET_F_INTERNAL)
		return DROP(DROP_INTERNAL);
	if (proto == bpf_htons(ETH_P_IP))
		return ipv4_from_container(skb, ep);
	return arp_to_gateway(skb, net);
}

/* Flooded; a broadcast ARP request for the gateway is also answered, once the copies left. */
static __always_inline int bridge_flood(struct __sk_buff *skb, const struct bpfnet_ep *ep,
					const struct bpfnet_net *net, __be16 proto)
{
	struct bpfnet_port last;
	struct arp_pkt *arp;
	int answer;

	answer = proto == bpf_htons(ETH_P_ARP) && !parse_arp(skb, &arp) &&
		 arp_is_gateway_request(arp, net);
	l2_flood(skb, ep, &last);
	if (!answer)
		return l2_flood_last(skb, &last);
	if (last.ifindex)
		l2_clone_to(skb, &last, skb->len);
	/* the clones invalidated every packet pointer: parse again */
	return parse_arp(skb, &arp) ?: arp_reply(skb, arp, net->gw_mac);
}

/*
 * A frame of a bridge network's container: checked, learned, then routed
 * (to the gateway MAC), switched (known unicast) or flooded.
 */
static __always_inline int bridge_from_container(struct __sk_buff *skb, const struct bpfnet_ep *ep,
						 __be16 proto)
{
	__u32 net_id = ep->net_id;
	const struct bpfnet_net *net = bpf_map_lookup_elem(&networks, &net_id);
	const struct bpfnet_fdb_val *to = NULL;
	struct ethhdr *eth;
	__u64 now;
	int ret;

	if (!net)
		return DROP(DROP_NO_ENDPOINT);
	ret = l2_check_proto(skb, proto) ?: l2_check_sender(skb, ep, proto);
	if (ret)
		return ret;
	now = bpf_ktime_get_ns();
	fdb_learn(ep, now);
	eth = parse_eth(skb);	/* the checks may have pulled data: pointers anew */
	if (!eth)
		return DROP(DROP_TRUNCATED);
	if (mac_equal(eth->h_dest, net->gw_mac))
		return bridge_to_gateway(skb, ep, net, proto);
	if (!mac_is_group(eth->h_dest))
		to = fdb_lookup(net_id, eth->h_dest, now);
	return to ? l2_forward(skb, ep, to) : bridge_flood(skb, ep, net, proto);
}

static __always_inline int handle_from_container(struct __sk_buff *skb, const struct bpfnet_ep *ep)
{
	struct ethhdr *eth = parse_eth(skb);

	if (!eth)
		return DROP(DROP_TRUNCATED);
	if (!mac_equal(eth->h_source, ep->mac))
		return DROP(DROP_SPOOFED_MAC);
	if (ep->flags & BPFNET_EP_F_BRIDGE)
		return bridge_from_container(skb, ep, eth->h_proto);
	switch (eth->h_proto) {
	case bpf_htons(ETH_P_IP):
		return ipv4_from_container(skb, ep);
	case bpf_htons(ETH_P_ARP):
		return arp_from_container(skb, ep);
	default:
		return DROP(DROP_UNSUPPORTED_L3);
	}
}

/* tc ingress of every host-side veth: all a container sends. */
SEC("tc")
int from_container(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	const struct bpfnet_ep *ep = bpf_map_lookup_elem(&ep_by_ifindex, &ifindex);
	__u32 len = skb->len;
	int ret;

	if (!ep)
		return verdict_of(DROP(DROP_NO_ENDPOINT));
	ret = handle_from_container(skb, ep);
	if (is_drop(ret))
		ep_count_drop(ep->id);
	else
		ep_count_tx(ep->id, len);
	return verdict_of(ret);
}

/* First packet of an outside client's flow to a published port: DNAT, source kept. */
static __always_inline int portmap_new(struct __sk_buff *skb, struct flow4 *f,
				       const struct bpfnet_portmap_val *pm)
{
	struct nat_target t = { .dnat_addr = pm->ep_ip, .dnat_port = pm->ep_port,
				.flags = BPFNET_CT_F_PORTMAP };
	struct bpfnet_ct_entry orig;
	int ret = nat_create(f, &t, &orig, skb->len);

	if (ret)
		return ret;
	count_global(BPFNET_G_DNAT);
	return nat_apply(skb, f, &orig) ?: deliver4(skb, f);
}

/* IPv4 on the uplink for the node's addresses: replies to NATed flows, published ports. */
static __always_inline int ipv4_nat_from_uplink(struct __sk_buff *skb, struct iphdr *iph)
{
	const struct bpfnet_portmap_val *pm;
	struct bpfnet_ct_entry *e, *orig;
	struct flow4 f;
	int ret = parse_flow4(skb, iph, &f);

	if (ret || f.kind == FLOW_UNTRACKED || f.kind == FLOW_FRAGMENT)
		return TC_ACT_UNSPEC;
	if (f.kind == FLOW_ICMP_ERROR) {
		ret = icmp_error_nat(skb, &f);
		return ret == 1 ? TC_ACT_UNSPEC : verdict_of(ret ?: deliver4(skb, &f));
	}
	e = ct_lookup(&f.key, &orig);
	if (e)
		return verdict_of(ct_forward(skb, &f, e, orig));
	pm = portmap_lookup(&f);
	if (pm)
		return verdict_of(portmap_new(skb, &f, pm));
	return TC_ACT_UNSPEC;
}

/*
 * IPv4 routed from outside to a container. In a masquerading network its
 * replies would look like new outgoing flows and leave masqueraded; a
 * conntrack entry without translation marks them as replies, as Linux
 * conntrack does for Docker's MASQUERADE rule.
 */
static __always_inline int routed_to_ep(struct __sk_buff *skb, struct iphdr *iph,
					const struct bpfnet_ep *dst)
{
	struct bpfnet_ct_entry *e, *orig, fresh;
	struct nat_target none = {};
	struct flow4 f;
	int ret;

	if (!net_masquerades(dst))
		return l3_forward_to_ep(skb, dst);
	ret = parse_flow4(skb, iph, &f);
	if (ret || f.kind != FLOW_TRACKED)
		return ret ?: l3_forward_to_ep(skb, dst);
	e = ct_lookup(&f.key, &orig);
	if (e)
		ct_account(e, orig, &f, skb->len);
	else
		ret = nat_create(&f, &none, &fresh, skb->len);
	return ret ?: l3_forward_to_ep(skb, dst);
}

/*
 * tc ingress of the uplink: IPv4 routed to a container address (the node is
 * the next hop for the container subnets) goes straight into the container;
 * replies to masqueraded flows and published ports are translated and
 * delivered. Everything else is the node's: TC_ACT_UNSPEC hands it, untouched
 * and malformed or not, to the next tc filter (another instance's) or the stack.
 */
SEC("tc")
int from_uplink(struct __sk_buff *skb)
{
	const struct bpfnet_ep *dst;
	struct ethhdr *eth = parse_eth(skb);
	struct iphdr *iph;

	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_UNSPEC;
	if (parse_ipv4(skb, &iph))
		return TC_ACT_UNSPEC;
	dst = ep_of_ip(iph->daddr);
	if (dst && (dst->flags & BPFNET_EP_F_INTERNAL))
		return verdict_of(DROP(DROP_INTERNAL));
	if (dst)
		return verdict_of(routed_to_ep(skb, iph, dst));
	return ipv4_nat_from_uplink(skb, iph);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
