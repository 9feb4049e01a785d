/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Conntrack of translated flows. Each flow has two entries in ct4: the
 * original direction (holding state and expiry) and the reply direction
 * (pointing at the original). An entry is only used while the pair is intact
 * and unexpired; anything else is a leftover of LRU eviction or expiry.
 */
#ifndef BPFNET_BPF_CT_H
#define BPFNET_BPF_CT_H

#include "lib/l4.h"
#include "lib/stats.h"

static __always_inline int ct_key_equal(const struct bpfnet_ct_key *a, const struct bpfnet_ct_key *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto;
}

static __always_inline __u64 ct_timeout_ns(__u8 proto, __u8 state)
{
	__u64 s;

	if (proto == IPPROTO_UDP)
		s = BPFNET_CT_TIMEOUT_UDP;
	else if (proto == IPPROTO_ICMP)
		s = BPFNET_CT_TIMEOUT_ICMP;
	else if (state == BPFNET_CT_SYN_SENT)
		s = BPFNET_CT_TIMEOUT_SYN_SENT;
	else if (state == BPFNET_CT_FIN_WAIT)
		s = BPFNET_CT_TIMEOUT_FIN_WAIT;
	else if (state == BPFNET_CT_TIME_WAIT)
		s = BPFNET_CT_TIMEOUT_TIME_WAIT;
	else if (state == BPFNET_CT_CLOSE)
		s = BPFNET_CT_TIMEOUT_CLOSE;
	else
		s = BPFNET_CT_TIMEOUT_ESTABLISHED;
	return s * NSEC_PER_SEC;
}

/* The TCP state after a packet with @flags in direction @reply of a flow in @orig. */
static __always_inline void ct_tcp_advance(struct bpfnet_ct_entry *orig, __u8 flags, int reply)
{
	if (flags & TCP_FLAG_RST) {
		orig->state = BPFNET_CT_CLOSE;
		return;
	}
	if (!reply && (flags & TCP_FLAG_SYN) && !(flags & TCP_FLAG_ACK) &&
	    orig->state >= BPFNET_CT_TIME_WAIT) {
		/* the same 4-tuple reused for a new connection */
		orig->state = BPFNET_CT_SYN_SENT;
		orig->flags &= ~(BPFNET_CT_F_SEEN_REPLY | BPFNET_CT_F_FIN_ORIG | BPFNET_CT_F_FIN_REPLY);
		return;
	}
	if (flags & TCP_FLAG_FIN)
		orig->flags |= reply ? BPFNET_CT_F_FIN_REPLY : BPFNET_CT_F_FIN_ORIG;
	if ((orig->flags & BPFNET_CT_F_FIN_ORIG) && (orig->flags & BPFNET_CT_F_FIN_REPLY))
		orig->state = BPFNET_CT_TIME_WAIT;
	else if (orig->flags & (BPFNET_CT_F_FIN_ORIG | BPFNET_CT_F_FIN_REPLY))
		orig->state = BPFNET_CT_FIN_WAIT;
	else if (reply && orig->state == BPFNET_CT_SYN_SENT)
		orig->state = BPFNET_CT_ESTABLISHED;
}

/* Account a packet of the flow: state, expiry, counters. */
static __always_inline void ct_account(struct bpfnet_ct_entry *e, struct bpfnet_ct_entry *orig,
				       const struct flow4 *f, __u32 len)
{
	int reply = e != orig;

	__sync_fetch_and_add(&e->packets, 1);
	__sync_fetch_and_add(&e->bytes, len);
	if (reply)
		orig->flags |= BPFNET_CT_F_SEEN_REPLY;
	if (f->key.proto == IPPROTO_TCP)
		ct_tcp_advance(orig, f->tcp_flags, reply);
	else if (reply)
		orig->state = BPFNET_CT_ESTABLISHED;
	orig->expires_ns = bpf_ktime_get_ns() + ct_timeout_ns(f->key.proto, orig->state);
}

static __always_inline void ct_delete_pair(const struct bpfnet_ct_key *key,
					   const struct bpfnet_ct_key *peer)
{
	bpf_map_delete_elem(&ct4, key);
	bpf_map_delete_elem(&ct4, peer);
}

/*
 * The valid entry for @key, and in *@orig the flow's original-direction entry
 * (the same one for original-direction packets). Stale pairs are removed.
 */
static __always_inline struct bpfnet_ct_entry *ct_lookup(const struct bpfnet_ct_key *key,
							 struct bpfnet_ct_entry **orig)
{
	struct bpfnet_ct_entry *e = bpf_map_lookup_elem(&ct4, key), *o = e;

	if (!e)
		return NULL;
	if (e->flags & BPFNET_CT_F_REPLY) {
		o = bpf_map_lookup_elem(&ct4, &e->peer);
		if (!o || (o->flags & BPFNET_CT_F_REPLY) || !ct_key_equal(&o->peer, key)) {
			count_global(BPFNET_G_CT_EVICTED);
			bpf_map_delete_elem(&ct4, key);
			return NULL;
		}
	}
	if (o->expires_ns < bpf_ktime_get_ns()) {
		count_global(BPFNET_G_CT_EXPIRED);
		ct_delete_pair(key, &e->peer);
		return NULL;
	}
	*orig = o;
	return e;
}

/* Is the reply-direction entry @e (stored under @key) part of a live flow? */
static __always_inline int ct_reply_live(const struct bpfnet_ct_key *key,
					 const struct bpfnet_ct_entry *e)
{
	struct bpfnet_ct_entry *o = bpf_map_lookup_elem(&ct4, &e->peer);

	return o && ct_key_equal(&o->peer, key) && o->expires_ns >= bpf_ktime_get_ns();
}

/* Does the entry @e, stored under @key, belong to a flow that is still alive? */
static __always_inline int ct_entry_live(const struct bpfnet_ct_key *key,
					 const struct bpfnet_ct_entry *e)
{
	if (e->flags & BPFNET_CT_F_REPLY)
		return ct_reply_live(key, e);
	return e->expires_ns >= bpf_ktime_get_ns();
}

/*
 * Claim @key for a new flow's reply direction: succeeds if nobody holds it or
 * its holder is a dead leftover, never over a live flow's entry (of either
 * direction). Two CPUs racing for one key: only one wins.
 */
static __always_inline int ct_claim(const struct bpfnet_ct_key *key,
				    const struct bpfnet_ct_entry *val)
{
	struct bpfnet_ct_entry *old;

	if (!bpf_map_update_elem(&ct4, key, val, BPF_NOEXIST))
		return 0;
	old = bpf_map_lookup_elem(&ct4, key);
	if (!old || ct_entry_live(key, old))
		return -1;
	return bpf_map_update_elem(&ct4, key, val, BPF_ANY) ? -1 : 0;
}

#endif
