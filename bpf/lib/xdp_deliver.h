/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What xdp_from_uplink may deliver itself (ctx/xdp.h's ctx_may_deliver()),
 * asked before anything is rewritten: what it refuses goes, untouched, to
 * the stack and tc's from_uplink, which handles everything.
 */
#ifndef BPFNET_BPF_XDP_DELIVER_H
#define BPFNET_BPF_XDP_DELIVER_H

#include "lib/l4.h"

/*
 * Is @f's L4 checksum only the pseudo-header's (CHECKSUM_PARTIAL: a local
 * sender left the rest to offload)? A veth uplink passes such frames from
 * its peer's stack; XDP cannot see the skb that says so, and patching one
 * incrementally would deliver a wrong checksum. Told by the value: a partial
 * checksum is the folded pseudo-header sum, uncomplemented. A complete one
 * that happens to equal it (1 in 65536) goes to tc: slower, never wrong.
 */
static __always_inline int l4_csum_partial(struct xdp_md *ctx, const struct flow4 *f)
{
	__u32 s = (f->key.saddr & 0xffff) + (f->key.saddr >> 16) + (f->key.daddr & 0xffff) +
		  (f->key.daddr >> 16) + bpf_htons(f->key.proto) +
		  bpf_htons((__u16)(f->l3_end - f->l4_off));
	__u16 csum;

	if (bpf_xdp_load_bytes(ctx, f->csum_off, &csum, sizeof(csum)))
		return 1;
	return csum == csum_fold32(s);
}

/*
 * Into endpoint @ep from XDP: a local endpoint whose veth takes XDP frames
 * (anything else may need neighbour resolution, or would be dropped by
 * veth_xdp_xmit()), a whole datagram (fragments are tc's), a complete checksum.
 */
static __always_inline int xdp_may_deliver(struct xdp_md *ctx, const struct flow4 *f,
					   const struct bpfnet_ep *ep)
{
	if (!ep || !(ep->flags & BPFNET_EP_F_XDP_RX) || f->no_l4 || f->first_frag)
		return 0;
	if (f->key.proto != IPPROTO_TCP && f->key.proto != IPPROTO_UDP)
		return 1;
	return !f->csum_off || !l4_csum_partial(ctx, f);
}

#endif
