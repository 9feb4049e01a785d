/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a container's IPv4 packet must be on every path it can take (routed
 * by l3, to a bridge network's gateway, switched at L2), checked once before
 * any of them: no martian address, the endpoint's own source, and an L4
 * header that conntrack and the receiving stack can trust.
 */
#ifndef BPFNET_BPF_SENDER_H
#define BPFNET_BPF_SENDER_H

#include "lib/l4.h"
#include "lib/frag.h"
#include "lib/martian.h"

/* Parse and check the IPv4 packet of endpoint @ep, its flow into @f. Invalidates packet pointers. */
static __always_inline int ipv4_check_sender(struct __ctx_buff *ctx, __u32 l3_off,
					     const struct bpfnet_ep *ep, struct flow4 *f)
{
	struct iphdr *iph;
	int ret = parse_ipv4(ctx, l3_off, &iph);

	if (ret)
		return ret;
	/* before the source check: a loopback source is a martian more than a spoof */
	ret = ipv4_check_martian(iph->saddr, iph->daddr);
	if (ret)
		return ret;
	if (iph->saddr != ep->ip)
		return DROP(DROP_SPOOFED_IP);
	return parse_flow4_frag(ctx, l3_off, iph, f);
}

#endif
