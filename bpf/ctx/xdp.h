/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The packet context of XDP programs: the same wrappers as ctx/skb.h, over
 * struct xdp_md. XDP sees a frame before an skb exists, so some of what tc
 * has is not here: what can be done another way is (checksums are updated
 * in place, RFC 1624), what cannot refuses to compile, so that no helper
 * quietly does less under XDP than under tc.
 */
#ifndef BPFNET_BPF_CTX_XDP_H
#define BPFNET_BPF_CTX_XDP_H

#ifdef BPFNET_BPF_CTX_SKB_H
#error "one context type per object: ctx/skb.h and ctx/xdp.h are both included"
#endif

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bpfnet/abi.h"

#define __ctx_buff xdp_md
#define CTX_IS_XDP 1

#define CTX_ACT_OK XDP_PASS
#define CTX_ACT_DROP XDP_DROP
#define CTX_ACT_REDIRECT XDP_REDIRECT
#define CTX_ACT_TX XDP_TX
/* Not this program's: the stack, where tc (from_uplink) sees it next. */
#define CTX_ACT_PASS XDP_PASS

static __always_inline int ctx_act(int act)
{
	return act;
}

/* The same compiler barrier as ctx/skb.h's, for the same reason. */
static __always_inline void *ctx_data(struct xdp_md *ctx)
{
	asm volatile("" : "+r"(ctx));
	return (void *)(long)ctx->data;
}

static __always_inline void *ctx_data_end(struct xdp_md *ctx)
{
	asm volatile("" : "+r"(ctx));
	return (void *)(long)ctx->data_end;
}

/* The frame, every fragment of it (one: the program is loaded without BPF_F_XDP_HAS_FRAGS). */
static __always_inline __u32 ctx_len(struct xdp_md *ctx)
{
	return (__u32)bpf_xdp_get_buff_len(ctx);
}

static __always_inline __u32 ctx_ifindex(const struct xdp_md *ctx)
{
	return ctx->ingress_ifindex;
}

/* Linear already: nothing to pull. */
static __always_inline void ctx_pull(struct xdp_md *ctx, __u32 len)
{
}

/*
 * No skb, so no tag moved out of the frame by the stack; one the NIC
 * stripped would need the rx VLAN metadata kfunc, which bpfnet does not
 * use: the tag, if any, is the frame's type.
 */
static __always_inline int ctx_vlan_present(const struct xdp_md *ctx)
{
	return 0;
}

static __always_inline long ctx_load_bytes(struct xdp_md *ctx, __u32 off, void *to, __u32 len)
{
	return bpf_xdp_load_bytes(ctx, off, to, len);
}

static __always_inline long ctx_store_bytes(struct xdp_md *ctx, __u32 off, void *from,
					    __u32 len)
{
	return bpf_xdp_store_bytes(ctx, off, from, len);
}

/* The 32-bit one's complement sum @s folded to 16 bits. */
static __always_inline __u16 csum_fold32(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/*
 * RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m'), for a field of @size bytes (2
 * or 4) that was @from and is @to, both as stored in the packet. With
 * @mangled_0 (UDP) a checksum of 0 means none and stays 0, and a result of
 * 0 is sent as 0xffff, as BPF_F_MARK_MANGLED_0 does for the skb.
 */
static __always_inline long xdp_csum_replace(struct xdp_md *ctx, __u32 off, __u32 from,
					     __u32 to, __u32 size, int mangled_0)
{
	__u16 csum;
	__u32 s;

	if (size != 2 && size != 4)
		return -1;
	if (bpf_xdp_load_bytes(ctx, off, &csum, sizeof(csum)))
		return -1;
	if (mangled_0 && !csum)
		return 0;
	s = (__u16)~csum;
	if (size == 2)
		s += (__u16)~from + (__u16)to;
	else
		s += (~from & 0xffff) + (~from >> 16) + (to & 0xffff) + (to >> 16);
	csum = (__u16)~csum_fold32(s);
	if (mangled_0 && !csum)
		csum = 0xffff;
	return bpf_xdp_store_bytes(ctx, off, &csum, sizeof(csum));
}

static __always_inline long ctx_l3_csum_replace(struct xdp_md *ctx, __u32 off, __u32 from,
						__u32 to, __u32 size)
{
	return xdp_csum_replace(ctx, off, from, to, size, 0);
}

/*
 * No checksum offload before the skb: the L4 checksum is always complete,
 * so a pseudo-header field (BPF_F_PSEUDO_HDR) is patched like any other.
 */
static __always_inline long ctx_l4_csum_replace(struct xdp_md *ctx, __u32 off, __u32 from,
						__u32 to, __u64 flags)
{
	return xdp_csum_replace(ctx, off, from, to, flags & BPF_F_HDR_FIELD_MASK,
				!!(flags & BPF_F_MARK_MANGLED_0));
}

static __always_inline long ctx_fib_lookup(struct xdp_md *ctx, struct bpf_fib_lookup *p,
					   __u32 flags)
{
	return bpf_fib_lookup(ctx, p, sizeof(*p), flags);
}

static __always_inline int ctx_redirect(struct xdp_md *ctx, __u32 ifindex)
{
	return bpf_redirect(ifindex, 0);
}

static __always_inline int ctx_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

/*
 * There is no peer redirect for XDP: the frame goes out of the host-side
 * veth, whose ndo_xdp_xmit puts it on the peer's rx ring, which exists only
 * while NAPI runs on the peer (an XDP program or GRO on it; endpoint add
 * turns GRO on, ctx_may_deliver() checks it was).
 */
static __always_inline int ctx_redirect_peer(struct xdp_md *ctx, __u32 ifindex)
{
	return bpf_redirect(ifindex, 0);
}

/* lib/xdp_deliver.h: what XDP delivers itself, before any rewrite; the rest is tc's. */
#define ctx_may_deliver(ctx, f, ep) xdp_may_deliver(ctx, f, ep)

/*
 * ICMP errors for translated flows are rare and their translation long
 * (lib/icmp_nat.h, two headers): tc's, which the frame reaches untouched.
 */
#define CTX_ICMP_ERROR_NAT 0

/*
 * No neighbour resolution for XDP, and a frame already translated cannot go
 * to the stack instead (it would be translated twice): dropped, as a route
 * the datapath cannot take.
 */
static __always_inline int ctx_redirect_neigh(struct xdp_md *ctx, __u32 ifindex,
					      struct bpf_redir_neigh *nh)
{
	return -(int)BPFNET_DROP_FIB;
}

/* Flooding (lib/l2.h) clones the skb: tc only. */
#define ctx_clone_redirect(ctx, ifindex) \
	({ _Static_assert(0, "XDP has no clone_redirect: bridge flooding is tc's"); 0; })
/* A frame has no packet type before the stack classifies it. */
#define ctx_change_type(ctx, type) \
	({ _Static_assert(0, "XDP has no skb packet type to change"); 0; })

#endif
