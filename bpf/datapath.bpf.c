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

/* IPv4 sent by a container: to a local endpoint of its network, or up to the node. */
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
		return TC_ACT_OK;	/* the node's own addresses, or routed by the node */
	if (dst->net_id != ep->net_id)
		return DROP(DROP_OTHER_NETWORK);
	return l3_forward_to_ep(skb, dst);
}

static __always_inline int handle_from_container(struct __sk_buff *skb, const struct bpfnet_ep *ep)
{
	struct ethhdr *eth = parse_eth(skb);

	if (!eth)
		return DROP(DROP_TRUNCATED);
	if (!mac_equal(eth->h_source, ep->mac))
		return DROP(DROP_SPOOFED_MAC);
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

/*
 * tc ingress of the uplink: IPv4 routed to a container address (the node is
 * the next hop for the container subnets) goes straight into the container.
 * Everything else is the node's: TC_ACT_UNSPEC hands it, untouched and
 * malformed or not, to the next tc filter (another instance's) or the stack.
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
	if (!dst)
		return TC_ACT_UNSPEC;
	return verdict_of(l3_forward_to_ep(skb, dst));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
