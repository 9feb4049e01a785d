/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Switching of bridge networks without a bridge device: the program on the
 * sender's host-side veth checks the frame, then sends it straight into the
 * destination container (known unicast) or out of every other port of the
 * network (broadcast, multicast, unknown unicast). Nothing crosses into
 * another network: the FDB and the flood lists are per network.
 */
#ifndef BPFNET_BPF_L2_H
#define BPFNET_BPF_L2_H

#include <linux/if_packet.h>
#include "lib/arp.h"
#include "lib/fdb.h"
#include "lib/sender.h"
#include "lib/stats.h"

/*
 * The running kernel's version, from libbpf at load: the verifier sees a
 * constant and drops the branch the kernel does not need.
 */
extern int LINUX_KERNEL_VERSION __kconfig;

/*
 * Since Linux 6.15 (commit c4327229948879 "bpf: Scrub packet on
 * bpf_redirect_peer") a peer redirect scrubs the skb, which marks it
 * PACKET_HOST for the destination's stack. (Stable kernels that took the
 * fix keep the helper call below: redundant there, not wrong.)
 */
static __always_inline int peer_redirect_scrubs(void)
{
	return LINUX_KERNEL_VERSION >= KERNEL_VERSION(6, 15, 0);
}

/* The group bit of the first octet: broadcast and multicast destinations. */
static __always_inline int mac_is_group(const __u8 *mac)
{
	return mac[0] & 1;
}

/*
 * A bridge network is one IPv4 segment (untagged, which is checked for every
 * port); anything else is refused by name.
 */
static __always_inline int l2_check_proto(__be16 proto)
{
	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_ARP))
		return DROP(DROP_UNSUPPORTED_L3);
	return 0;
}

/*
 * Anti-spoofing beyond the Ethernet source: an IPv4 packet must pass what
 * every container's does (its source, no martian, a sane L4 header; @f is
 * filled for routing it), an ARP packet's sender MAC and address must be the
 * endpoint's. Checked for every frame, switched or routed, so no peer ever
 * learns a forged binding or gets a packet a routed one could not carry.
 */
static __always_inline int l2_check_sender(struct __ctx_buff *ctx, __u32 l3_off,
					   const struct bpfnet_ep *ep, __be16 proto,
					   struct flow4 *f)
{
	struct arp_pkt *arp;
	int ret;

	if (proto == bpf_htons(ETH_P_IP))
		return ipv4_check_sender(ctx, l3_off, ep, f);
	ret = parse_arp(ctx, l3_off, &arp);
	if (ret)
		return ret;
	ret = arp_check_sender(arp, ep);
	if (ret)
		return ret;
	if (arp->hdr.ar_op != bpf_htons(ARPOP_REQUEST) && arp->hdr.ar_op != bpf_htons(ARPOP_REPLY))
		return DROP(DROP_BAD_ARP);
	return 0;
}

/* Known unicast: straight into the destination container, untouched (L2: the TTL stays). */
static __always_inline int l2_forward(struct __ctx_buff *ctx, const struct bpfnet_ep *src,
				      const struct bpfnet_fdb_val *to)
{
	if (to->ifindex == src->ifindex)
		return DROP(DROP_SAME_PORT);
	/*
	 * Addressed to another MAC than the sender's host veth, the frame was
	 * marked PACKET_OTHERHOST on arrival. A peer redirect does not classify
	 * it again; before 6.15 it did not scrub it either, and the destination's
	 * stack would drop the frame. The helper call is a good part of a
	 * switched frame's cost, so only those kernels pay it.
	 */
	if (!peer_redirect_scrubs())
		ctx_change_type(ctx, PACKET_HOST);
	ep_count_rx(to->ep_id, ctx_len(ctx));
	return ctx_redirect_peer(ctx, to->ifindex);
}

static __always_inline void l2_clone_to(struct __ctx_buff *ctx, const struct bpfnet_port *port,
					__u32 len)
{
	if (!ctx_clone_redirect(ctx, port->ifindex))
		ep_count_rx(port->ep_id, len);
}

/* What the flood callback works on; on the stack of the program, for bpf_loop(). */
struct flood_ctx {
	struct __ctx_buff *ctx;
	const struct bpfnet_flood *fl;
	__u32 src_ifindex;
	__u32 len;
	struct bpfnet_port last;
};

/* One port of a flood: clone to the port held back before, hold back this one. */
static long flood_port(__u32 i, void *data)
{
	struct flood_ctx *fc = data;
	const struct bpfnet_port *p;

	if (i >= BPFNET_FLOOD_MAX)
		return 1;
	p = &fc->fl->ports[i];
	if (p->ifindex == fc->src_ifindex || !p->ifindex)
		return 0;
	if (fc->last.ifindex)
		l2_clone_to(fc->ctx, &fc->last, fc->len);
	fc->last = *p;
	return 0;
}

/*
 * Broadcast, multicast, unknown unicast: a clone out of every port of the
 * sender's network but its own. The last port is not cloned to but left in
 * @last, so that the original can go there (one clone fewer) or, should the
 * caller still need the original, get a clone of its own. Egress of a host
 * veth delivers into its container, which classifies the frame itself.
 * bpf_loop() rather than a bounded loop: the verifier checks the callback
 * once, not once per port.
 */
static __always_inline void l2_flood(struct __ctx_buff *ctx, const struct bpfnet_ep *src,
				     struct bpfnet_port *last)
{
	struct flood_ctx fc = { .ctx = ctx, .src_ifindex = src->ifindex, .len = ctx_len(ctx) };
	__u32 net_id = src->net_id;

	count_global(BPFNET_G_FLOODED);
	fc.fl = bpf_map_lookup_elem(&flood_ports, &net_id);
	if (fc.fl)
		bpf_loop(fc.fl->n_ports < BPFNET_FLOOD_MAX ? fc.fl->n_ports : BPFNET_FLOOD_MAX,
			 flood_port, &fc, 0);
	*last = fc.last;
}

/* The original frame to the last port of a flood, or consumed when there was none. */
static __always_inline int l2_flood_last(struct __ctx_buff *ctx, const struct bpfnet_port *last)
{
	if (!last->ifindex)
		return CTX_ACT_STOLEN;	/* nobody else on the segment: consumed, not a drop */
	ep_count_rx(last->ep_id, ctx_len(ctx));
	return ctx_redirect(ctx, last->ifindex);
}

#endif
