// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The uplink's published-port path as an XDP program: the same helpers as
 * from_uplink (lib/uplink.h), built over the XDP context (ctx/xdp.h), so
 * that a frame can be translated and delivered before the node allocates an
 * skb for it. What this path does not handle (the node's own traffic, IPv4
 * routed to a container address, which the gateway modes judge with
 * redirect_peer) goes on with XDP_PASS to the stack, where from_uplink sees
 * it, and so does what it cannot deliver (ctx_may_deliver(): an endpoint
 * whose veth takes no XDP frames, anything that is not a local endpoint's)
 * and ICMP errors and fragments, all untouched. Its maps are the datapath's own, shared by
 * name. init attaches it natively (driver mode) beside from_uplink, which
 * stays for all of that (dp/xdp.c).
 */
#include "ctx/xdp.h"
#include <bpf/bpf_endian.h>

#include "bpfnet/abi.h"
#include "lib/maps.h"
#include "lib/finish.h"
#include "lib/xdp_deliver.h"
#include "lib/uplink.h"

SEC("xdp")
int xdp_from_uplink(struct xdp_md *ctx)
{
	const struct bpfnet_ep *dst;
	struct iphdr *iph;
	__u32 l3_off;
	int ret, cls;

	if (uplink_parse(ctx, &l3_off, &iph))
		return finish(ctx, NULL, DIR_TO_EP, CTX_ACT_PASS);
	/*
	 * Fragments are from_uplink's: none may be delivered from here
	 * (xdp_may_deliver()), and tracking one here too (frag4, its counters)
	 * would count it twice once tc has it.
	 */
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return finish(ctx, NULL, DIR_TO_EP, CTX_ACT_PASS);
	cls = uplink_classify(ctx, l3_off, iph);
	if (cls == UPLINK_NOT_OURS)
		return finish(ctx, NULL, DIR_TO_EP, CTX_ACT_PASS);
	dst = cls == UPLINK_UNKNOWN ? ep_of_ip(iph->daddr) : NULL;
	ret = ipv4_check_martian(iph->saddr, iph->daddr);
	if (!ret && dst)
		ret = CTX_ACT_PASS;	/* routed to a container: from_uplink's */
	else if (!ret)
		ret = ipv4_nat_from_uplink(ctx, l3_off, iph, &dst, cls);
	if (ret == CTX_ACT_REDIRECT)
		count_global(BPFNET_G_XDP_DELIVERED);
	return finish(ctx, dst, DIR_TO_EP, ret);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
