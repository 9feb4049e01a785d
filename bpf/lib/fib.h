/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Delivering a packet: into a local container, or out of the node by FIB lookup and redirect. */
#ifndef BPFNET_BPF_FIB_H
#define BPFNET_BPF_FIB_H

#include "lib/l3.h"
#include "lib/l4.h"
#include "lib/nat.h"

#define AF_INET 2
/* UAPI 6.1 headers predate it (kernel 6.7): have the lookup pick the source address. */
#ifndef BPF_FIB_LOOKUP_SRC
#define BPF_FIB_LOOKUP_SRC (1U << 4)
#endif

/*
 * Route @f as the node would route it arriving where it did (ctx_ifindex(ctx)).
 * The kernel answers only for devices with forwarding on: bpfnet turns it on
 * for its host-side veths (packets from containers) and nothing else.
 */
static __always_inline int fib_lookup4(struct __ctx_buff *ctx, const struct flow4 *f,
				       struct bpf_fib_lookup *p, __u32 flags)
{
	__builtin_memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->l4_protocol = f->key.proto;
	p->sport = f->key.sport;
	p->dport = f->key.dport;
	/*
	 * tot_len stays 0: with a length the kernel compares it with the MTU and a
	 * GSO super-packet looks too big; without, it checks the ctx itself and
	 * knows GSO segments will fit.
	 */
	p->ipv4_src = f->key.saddr;
	p->ipv4_dst = f->key.daddr;
	p->ifindex = ctx_ifindex(ctx);
	return ctx_fib_lookup(ctx, p, flags);
}

/* Send the packet where a successful lookup @rc/@p says, as a router would: TTL-1. */
static __always_inline int fib_redirect(struct __ctx_buff *ctx, __u32 l3_off,
					const struct bpf_fib_lookup *p, int rc)
{
	void *data = ctx_data(ctx);
	void *data_end = ctx_data_end(ctx);
	struct ethhdr *eth = data;
	struct bpf_redir_neigh nh = { .nh_family = AF_INET };
	struct iphdr *iph;

	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return DROP(DROP_FIB);
	if (l3_off > L3_OFF_MAX)
		return DROP(DROP_TRUNCATED);
	iph = data + l3_off;
	if ((void *)(eth + 1) > data_end || (void *)(iph + 1) > data_end)
		return DROP(DROP_TRUNCATED);
	if (iph->ttl <= 1)
		return DROP(DROP_TTL_EXCEEDED);
	ipv4_decrease_ttl(iph);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		/* the lookup left the next hop (gateway or destination) in ipv4_dst */
		nh.ipv4_nh = p->ipv4_dst;
		return ctx_redirect_neigh(ctx, p->ifindex, &nh);
	}
	mac_copy(eth->h_dest, p->dmac);
	mac_copy(eth->h_source, p->smac);
	return ctx_redirect(ctx, p->ifindex);
}

/*
 * Deliver a translated packet: into the local container @dst (the endpoint
 * at its destination address, which the caller looked up), or out through
 * the FIB when there is none.
 */
static __always_inline int deliver4(struct __ctx_buff *ctx, const struct flow4 *f,
				    const struct bpfnet_ep *dst)
{
	struct bpf_fib_lookup p;
	int rc;

	if (dst)
		return l3_forward_to_ep(ctx, f->l3_off, dst);
	rc = fib_lookup4(ctx, f, &p, 0);
	if (rc == BPF_FIB_LKUP_RET_NOT_FWDED || rc == BPF_FIB_LKUP_RET_FWD_DISABLED)
		return CTX_ACT_OK;	/* the node's own address, or its stack's call */
	return fib_redirect(ctx, f->l3_off, &p, rc);
}

/* A packet of a tracked flow: account it, translate it, send it on. */
static __always_inline int ct_forward(struct __ctx_buff *ctx, struct flow4 *f,
				      const struct ct_hit *hit)
{
	ct_account(hit->e, f, ctx_len(ctx));
	return nat_apply(ctx, f, hit->e) ?: deliver4(ctx, f, hit->dst);
}

#endif
