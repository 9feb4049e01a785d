/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The packet context of tc programs. Every helper in lib/ takes a
 * struct __ctx_buff and returns CTX_ACT_* verdicts; an entry program
 * includes this header or ctx/xdp.h first, and the same helpers build for
 * its program type. What one type lacks, its header stubs or refuses at
 * compile time, with the reason.
 */
#ifndef BPFNET_BPF_CTX_SKB_H
#define BPFNET_BPF_CTX_SKB_H

#ifdef BPFNET_BPF_CTX_XDP_H
#error "one context type per object: ctx/skb.h and ctx/xdp.h are both included"
#endif

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "bpfnet/abi.h"

#define __ctx_buff __sk_buff
#define CTX_IS_SKB 1

/* Accepted: the stack takes it from here. */
#define CTX_ACT_OK TC_ACT_OK
#define CTX_ACT_DROP TC_ACT_SHOT
#define CTX_ACT_REDIRECT TC_ACT_REDIRECT
/* Consumed without being a drop (a flood with nobody to flood to). */
#define CTX_ACT_STOLEN TC_ACT_STOLEN
/*
 * Not bpfnet's: the next tc filter (another instance's) or the stack.
 * TC_ACT_UNSPEC is -1, which in the helpers' return contract (lib/drop.h)
 * would be a drop reason, so they carry it as a positive code of its own
 * that ctx_act() turns into TC_ACT_UNSPEC at the exit.
 */
#define CTX_ACT_PASS 0x100

static __always_inline int ctx_act(int act)
{
	return act == CTX_ACT_PASS ? TC_ACT_UNSPEC : act;
}

/*
 * skb->data and skb->data_end, each read through a compiler barrier on the
 * context pointer. Without it clang may keep &skb->data in a register (and
 * spill it) across helper calls to load from it later, and the verifier
 * refuses loads through a context pointer plus offset ("dereference of
 * modified ctx ptr").
 */
static __always_inline void *ctx_data(struct __sk_buff *ctx)
{
	asm volatile("" : "+r"(ctx));
	return (void *)(long)ctx->data;
}

static __always_inline void *ctx_data_end(struct __sk_buff *ctx)
{
	asm volatile("" : "+r"(ctx));
	return (void *)(long)ctx->data_end;
}

/* The whole packet, paged part included. */
static __always_inline __u32 ctx_len(const struct __sk_buff *ctx)
{
	return ctx->len;
}

/* The device the packet arrived on. */
static __always_inline __u32 ctx_ifindex(const struct __sk_buff *ctx)
{
	return ctx->ifindex;
}

/*
 * Make the first @len bytes linear so direct packet access can see them. Only
 * pulls when the packet really is that long: a short packet is left as it is
 * and the caller's bounds check reports it as truncated.
 */
static __always_inline void ctx_pull(struct __sk_buff *ctx, __u32 len)
{
	if (ctx_data(ctx) + len > ctx_data_end(ctx) && ctx->len >= len)
		bpf_skb_pull_data(ctx, len);
}

/*
 * An outer 802.1Q/802.1ad tag the receive path moved into the skb before tc
 * ran; an inner one, or one not stripped, shows as the frame's type.
 */
static __always_inline int ctx_vlan_present(const struct __sk_buff *ctx)
{
	return ctx->vlan_present;
}

static __always_inline long ctx_load_bytes(const struct __sk_buff *ctx, __u32 off, void *to,
					   __u32 len)
{
	return bpf_skb_load_bytes(ctx, off, to, len);
}

static __always_inline long ctx_store_bytes(struct __sk_buff *ctx, __u32 off, const void *from,
					    __u32 len)
{
	return bpf_skb_store_bytes(ctx, off, from, len, 0);
}

/*
 * The kernel's checksum helpers know the skb's checksum state: with a
 * partial (offloaded) L4 checksum only the pseudo-header part is patched,
 * and BPF_F_MARK_MANGLED_0 keeps a UDP checksum of 0 meaning "none".
 */
static __always_inline long ctx_l3_csum_replace(struct __sk_buff *ctx, __u32 off, __u32 from,
						__u32 to, __u32 size)
{
	return bpf_l3_csum_replace(ctx, off, from, to, size);
}

static __always_inline long ctx_l4_csum_replace(struct __sk_buff *ctx, __u32 off, __u32 from,
						__u32 to, __u64 flags)
{
	return bpf_l4_csum_replace(ctx, off, from, to, flags);
}

static __always_inline long ctx_fib_lookup(struct __sk_buff *ctx, struct bpf_fib_lookup *p,
					   __u32 flags)
{
	return bpf_fib_lookup(ctx, p, sizeof(*p), flags);
}

/* Out of device @ifindex (its egress). */
static __always_inline int ctx_redirect(struct __sk_buff *ctx, __u32 ifindex)
{
	return bpf_redirect(ifindex, 0);
}

/* Back out of the device it came in on. */
static __always_inline int ctx_tx(struct __sk_buff *ctx)
{
	return bpf_redirect(ctx->ifindex, 0);
}

/*
 * Into the netns of veth @ifindex's peer, straight onto its ingress:
 * bpf_redirect_peer() skips the veth's backlog queue.
 */
static __always_inline int ctx_redirect_peer(struct __sk_buff *ctx, __u32 ifindex)
{
	return bpf_redirect_peer(ifindex, 0);
}

/* tc delivers whatever its helpers can: bpf_redirect_peer() needs nothing of the peer. */
#define ctx_may_deliver(ctx, f, ep) 1

/* tc translates ICMP errors for the flows they quote. */
#define CTX_ICMP_ERROR_NAT 1

/* Out of @ifindex towards next hop @nh, which the kernel resolves (NO_NEIGH lookups). */
static __always_inline int ctx_redirect_neigh(struct __sk_buff *ctx, __u32 ifindex,
					      struct bpf_redir_neigh *nh)
{
	return bpf_redirect_neigh(ifindex, nh, sizeof(*nh), 0);
}

/* A copy out of @ifindex, the packet itself going on; 0 or -errno. */
static __always_inline long ctx_clone_redirect(struct __sk_buff *ctx, __u32 ifindex)
{
	return bpf_clone_redirect(ctx, ifindex, 0);
}

static __always_inline long ctx_change_type(struct __sk_buff *ctx, __u32 type)
{
	return bpf_skb_change_type(ctx, type);
}

#endif
