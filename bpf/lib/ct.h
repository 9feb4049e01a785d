/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Conntrack of translated flows. Each flow has two entries in ct4, one per
 * direction, each pointing at the other and each holding a copy of the
 * flow's state and expiry, so that a packet of either direction costs one
 * lookup: the copy of the packet's direction is written by its packets, the
 * other's only when the state changes. The flow lives while either copy is
 * unexpired and the endpoints at its ends are the ones it was made for (their
 * generations); anything else is a leftover of LRU eviction, expiry or a
 * removed endpoint, removed when found and counted by that cause.
 */
#ifndef BPFNET_BPF_CT_H
#define BPFNET_BPF_CT_H

#include "lib/l3.h"
#include "lib/l4.h"
#include "lib/stats.h"
#include "lib/monitor_note.h"

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

/* The flags that are the flow's state: each entry keeps its copy, as of state and expiry. */
#define CT_F_STATE (BPFNET_CT_F_SEEN_REPLY | BPFNET_CT_F_FIN_ORIG | BPFNET_CT_F_FIN_REPLY)

/* Is @other, the entry under @e's peer key, @e's other half (@e stored under @key)? */
static __always_inline int ct_paired(const struct bpfnet_ct_entry *other,
				     const struct bpfnet_ct_key *key,
				     const struct bpfnet_ct_entry *e)
{
	return other && ct_key_equal(&other->peer, key) &&
	       !(other->flags & BPFNET_CT_F_REPLY) != !(e->flags & BPFNET_CT_F_REPLY);
}

/* Give @to the flow's state as @from has it: state, its flags, expiry. */
static __always_inline void ct_state_copy(struct bpfnet_ct_entry *to,
					  const struct bpfnet_ct_entry *from)
{
	to->state = from->state;
	to->flags = (to->flags & ~CT_F_STATE) | (from->flags & CT_F_STATE);
	to->expires_ns = from->expires_ns;
}

/*
 * Account a packet of the flow in the entry of its direction @e: counters,
 * and the state and expiry of @e's copy. Only a change of state (SYN-ACK,
 * FIN, RST, a first answer: a few times a flow) is also written into the
 * other half, the one lookup more, so that neither copy lets a packet in
 * after the other's direction ended the flow.
 */
static __always_inline void ct_account(struct bpfnet_ct_entry *e, const struct flow4 *f, __u32 len)
{
	int reply = e->flags & BPFNET_CT_F_REPLY;
	__u8 was = e->state, was_flags = e->flags & CT_F_STATE;
	struct bpfnet_ct_entry *other, *orig;

	__sync_fetch_and_add(&e->packets, 1);
	__sync_fetch_and_add(&e->bytes, len);
#ifdef BPFNET_LAYOUT_NEXT
	e->last_seen_ns = bpf_ktime_get_ns();
#endif
	if (reply)
		e->flags |= BPFNET_CT_F_SEEN_REPLY;
	if (f->key.proto == IPPROTO_TCP)
		ct_tcp_advance(e, f->tcp_flags, reply);
	else if (reply)
		e->state = BPFNET_CT_ESTABLISHED;
	e->expires_ns = bpf_ktime_get_ns() + ct_timeout_ns(f->key.proto, e->state);
	if (e->state == was && (e->flags & CT_F_STATE) == was_flags)
		return;
	other = bpf_map_lookup_elem(&ct4, &e->peer);
	if (!ct_paired(other, &f->key, e))
		other = NULL;	/* half a flow (the LRU took the other half) */
	if (other)
		ct_state_copy(other, e);
	orig = reply ? other : e;
	/* the end the datapath sees: a RST, or the second FIN (expiry and eviction it does not) */
	if (orig && e->state != was &&
	    (e->state == BPFNET_CT_CLOSE || e->state == BPFNET_CT_TIME_WAIT))
		/* a reply entry's peer is the original's key */
		mon_note_flow(BPFNET_MON_EV_FLOW_END, reply ? &e->peer : &f->key, orig);
}

/*
 * Remove the flow of entry @e, stored under @key: @e and its other half, if
 * that half still points back (else it is another flow's). Counted under
 * @counter by whoever deletes the original, so once when CPUs race.
 */
static __always_inline void ct_end_flow(const struct bpfnet_ct_key *key,
					const struct bpfnet_ct_entry *e, __u32 counter)
{
	/* a copy: once deleted, an LRU element may be reused by another CPU at once */
	struct bpfnet_ct_key other = e->peer;
	int is_orig = !(e->flags & BPFNET_CT_F_REPLY);
	int paired = ct_paired(bpf_map_lookup_elem(&ct4, &other), key, e);
	int gone_key = !bpf_map_delete_elem(&ct4, key);
	int gone_other = paired && !bpf_map_delete_elem(&ct4, &other);

	if (is_orig ? gone_key : gone_other)
		count_global(counter);
}

/*
 * Entry @e (stored under @key) while its flow lives: its own copy of the
 * expiry unexpired (one lookup, the established path in either direction),
 * or else its other half's, whose state it then takes. A flow over is
 * removed and counted by why: its time run out, or (a reply whose original
 * is gone: LRU eviction, or a flow that reuses its tuple) evicted. A reply
 * whose original is gone lives on until its own copy expires: it lets in
 * what it let in while the original was there, to the endpoints it was
 * made for (ct_lookup_flow() checks their generations), and no longer.
 */
static __always_inline struct bpfnet_ct_entry *ct_live(const struct bpfnet_ct_key *key,
						       struct bpfnet_ct_entry *e)
{
	struct bpfnet_ct_entry *other;

	if (e->expires_ns >= bpf_ktime_get_ns())
		return e;
	other = bpf_map_lookup_elem(&ct4, &e->peer);
	if (!ct_paired(other, key, e)) {
		if (!(e->flags & BPFNET_CT_F_REPLY))
			ct_end_flow(key, e, BPFNET_G_CT_EXPIRED);
		else if (!bpf_map_delete_elem(&ct4, key))
			count_global(BPFNET_G_CT_EVICTED);
		return NULL;
	}
	if (other->expires_ns < bpf_ktime_get_ns()) {
		ct_end_flow(key, e, BPFNET_G_CT_EXPIRED);
		return NULL;
	}
	ct_state_copy(e, other);
	return e;
}

/* The valid entry for @key; a stale one is removed. */
static __always_inline struct bpfnet_ct_entry *ct_lookup(const struct bpfnet_ct_key *key)
{
	struct bpfnet_ct_entry *e = bpf_map_lookup_elem(&ct4, key);

	return e ? ct_live(key, e) : NULL;
}

static __always_inline __u32 ep_gen(const struct bpfnet_ep *ep)
{
	return ep ? ep->gen : 0;
}

/* Where entry @e (stored under @key) sends a packet: its destination after translation. */
static __always_inline __be32 ct_out_daddr(const struct bpfnet_ct_key *key,
					   const struct bpfnet_ct_entry *e)
{
	return e->flags & BPFNET_CT_F_DNAT ? e->nat_daddr : key->daddr;
}

/* Are the endpoints at the ends of entry @e (under @key) the ones it was made for? */
static __always_inline int ct_gens_current(const struct bpfnet_ct_key *key,
					   const struct bpfnet_ct_entry *e)
{
	/* anti-spoofing: a container's direction has the container's own source address */
	return e->tx_gen == ep_gen(ep_of_ip(key->saddr)) &&
	       e->rx_gen == ep_gen(ep_of_ip(ct_out_daddr(key, e)));
}

/* A packet's flow, as conntrack found it. */
struct ct_hit {
	struct bpfnet_ct_entry *e;	/* the entry of the packet's direction */
	const struct bpfnet_ep *dst;	/* where it goes after translation; NULL: out */
};

enum ct_found {
	CT_NEW = 0,	/* no flow: the packet may start one */
	CT_FLOW,	/* a live flow between these very endpoints */
	CT_FOREIGN,	/* a live flow's tuple, but not a packet its sender sent: leave both */
};

/* The sender generation of packets from the uplink: the outside has none. */
#define CT_FROM_OUTSIDE 0
/* ct_lookup_flow(@may_retire) of packets that must not end a flow: ICMP errors. */
#define CT_NO_RETIRE 0
#define CT_MAY_RETIRE 1

/*
 * The live flow of a packet with tuple @key sent by the endpoint of
 * generation @sender_gen (CT_FROM_OUTSIDE from the uplink); @daddr_ep is the
 * endpoint at @key's destination address, which every caller has already
 * looked up, so that only a translated destination costs a lookup here.
 *
 * A flow made for other endpoints than the ones now at its ends is retired
 * (removed, counted) when the packet proves it: sent by the container that
 * now owns the source address (anti-spoofing vouches for it), or bound for
 * an address whose endpoint is gone or another. A packet from outside with
 * the tuple of a container's direction proves nothing, anyone can forge it;
 * nor does an ICMP error (@may_retire CT_NO_RETIRE): CT_FOREIGN, the flow
 * stays.
 */
static __always_inline int ct_lookup_flow(const struct bpfnet_ct_key *key, __u32 sender_gen,
					  const struct bpfnet_ep *daddr_ep, int may_retire,
					  struct ct_hit *hit)
{
	struct bpfnet_ct_entry *e = ct_lookup(key);

	if (!e)
		return CT_NEW;
	hit->e = e;
	hit->dst = e->flags & BPFNET_CT_F_DNAT ? ep_of_ip(e->nat_daddr) : daddr_ep;
	if (e->tx_gen == sender_gen && e->rx_gen == ep_gen(hit->dst))
		return CT_FLOW;
	if (may_retire == CT_NO_RETIRE ||
	    (e->tx_gen != sender_gen && sender_gen == CT_FROM_OUTSIDE))
		return CT_FOREIGN;
	ct_end_flow(key, e, BPFNET_G_CT_RETIRED);
	return CT_NEW;
}

/*
 * Is @old, the entry under @key, a live flow's, one a new flow must spare? A
 * reply whose original is gone is not: a new flow takes its tuple (it is
 * removed here, counted as evicted), as it did when every use looked both up.
 */
static __always_inline int ct_holds(const struct bpfnet_ct_key *key, struct bpfnet_ct_entry *old)
{
	if (!ct_live(key, old))
		return 0;
	if (!(old->flags & BPFNET_CT_F_REPLY) ||
	    ct_paired(bpf_map_lookup_elem(&ct4, &old->peer), key, old))
		return 1;
	if (!bpf_map_delete_elem(&ct4, key))
		count_global(BPFNET_G_CT_EVICTED);
	return 0;
}

/*
 * Claim @key for a new flow's reply direction: succeeds if nobody holds it or
 * its holder is a dead leftover (removed here and counted: evicted, expired,
 * or of endpoints that are gone), never over a live flow's entry of either
 * direction. Two CPUs racing for one key: only one wins.
 */
__noinline int ct_claim(const struct bpfnet_ct_key *key, const struct bpfnet_ct_entry *val)
{
	struct bpfnet_ct_entry *old;

	if (!key || !val)	/* a global function's pointers may be NULL to the verifier */
		return -1;
	if (!bpf_map_update_elem(&ct4, key, val, BPF_NOEXIST))
		return 0;
	old = bpf_map_lookup_elem(&ct4, key);
	if (old && ct_holds(key, old)) {
		if (ct_gens_current(key, old))
			return -1;
		ct_end_flow(key, old, BPFNET_G_CT_RETIRED);
	}
	return bpf_map_update_elem(&ct4, key, val, BPF_NOEXIST) ? -1 : 0;
}

#endif
