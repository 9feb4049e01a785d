/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What lib/ builds on: struct __ctx_buff, the CTX_ACT_* verdicts and the
 * ctx_*() wrappers of one program type, chosen by the entry program, which
 * includes ctx/skb.h (tc) or ctx/xdp.h (XDP) before anything of lib/.
 */
#ifndef BPFNET_BPF_CTX_H
#define BPFNET_BPF_CTX_H

#if !defined(CTX_IS_SKB) && !defined(CTX_IS_XDP)
#error "include ctx/skb.h or ctx/xdp.h before lib/: the helpers need a context type"
#endif

#endif
