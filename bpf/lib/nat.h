/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Address and port rewriting with incremental checksum updates. The helpers
 * bpf_l3/l4_csum_replace() know the ctx's checksum state: with a partial
 * (offloaded) L4 checksum only the pseudo-header part is patched, and
 * BPF_F_MARK_MANGLED_0 keeps a UDP checksum of 0 meaning "none".
 */
#ifndef BPFNET_BPF_NAT_H
#define BPFNET_BPF_NAT_H

#include "lib/l4.h"
#include "lib/ct.h"

static __always_inline __u64 l4_csum_flags(const struct flow4 *f, __u64 size, int pseudo)
{
	__u64 flags = size;

	if (pseudo)
		flags |= BPF_F_PSEUDO_HDR;
	if (f->key.proto == IPPROTO_UDP)
		flags |= BPF_F_MARK_MANGLED_0;
	return flags;
}

/* Replace the IPv4 address at @field of the header (IPH_SADDR or IPH_DADDR). */
static __always_inline int nat_rewrite_addr(struct __ctx_buff *ctx, const struct flow4 *f,
					    __u32 field, __be32 old, __be32 new)
{
	/* the TCP/UDP checksum covers the addresses through the pseudo header; ICMP does not */
	if (f->key.proto != IPPROTO_ICMP && f->csum_off &&
	    ctx_l4_csum_replace(ctx, f->csum_off, old, new, l4_csum_flags(f, 4, 1)))
		return DROP(DROP_CSUM);
	if (ctx_l3_csum_replace(ctx, f->l3_off + IPH_CSUM, old, new, 4) ||
	    ctx_store_bytes(ctx, f->l3_off + field, &new, 4))
		return DROP(DROP_CSUM);
	return 0;
}

/*
 * Replace a port (or the ICMP echo id, which the ICMP checksum covers plainly).
 * A later fragment has none: its first fragment's were replaced.
 */
static __always_inline int nat_rewrite_port(struct __ctx_buff *ctx, const struct flow4 *f,
					    __u32 port_off, __be16 old, __be16 new)
{
	if (old == new || f->no_l4)
		return 0;
	if (f->csum_off && ctx_l4_csum_replace(ctx, f->csum_off, old, new, l4_csum_flags(f, 2, 0)))
		return DROP(DROP_CSUM);
	if (ctx_store_bytes(ctx, port_off, &new, 2))
		return DROP(DROP_CSUM);
	return 0;
}

/* Apply a conntrack entry's translation to the packet described by @f. */
static __always_inline int nat_apply(struct __ctx_buff *ctx, struct flow4 *f,
				     const struct bpfnet_ct_entry *e)
{
	int ret = 0;

	if (e->flags & BPFNET_CT_F_SNAT) {
		ret = nat_rewrite_addr(ctx, f, IPH_SADDR, f->key.saddr, e->nat_saddr) ?:
		      nat_rewrite_port(ctx, f, f->sport_off, f->key.sport, e->nat_sport);
		f->key.saddr = e->nat_saddr;
		f->key.sport = e->nat_sport;
	}
	if (!ret && (e->flags & BPFNET_CT_F_DNAT)) {
		ret = nat_rewrite_addr(ctx, f, IPH_DADDR, f->key.daddr, e->nat_daddr) ?:
		      nat_rewrite_port(ctx, f, f->dport_off, f->key.dport, e->nat_dport);
		f->key.daddr = e->nat_daddr;
		f->key.dport = e->nat_dport;
	}
	return ret;
}

/*
 * What a new flow is translated to; an address of 0 leaves that side alone.
 * And between which endpoints it runs (their generations, 0: outside).
 */
struct nat_target {
	__be32 snat_addr;
	__be32 dnat_addr;
	__be16 dnat_port;
	__u8 flags;		/* extra BPFNET_CT_F_* for the original entry */
	__u8 pad;
	__u32 tx_gen;		/* the sender of the first packet */
	__u32 rx_gen;		/* where it is delivered, after translation */
};

/* The source port to try in round @i: first the flow's own, then pseudo-random ones. */
static __always_inline __be16 snat_port_candidate(__be16 own, __u32 start, __u32 i)
{
	__u32 range = BPFNET_SNAT_PORT_MAX - BPFNET_SNAT_PORT_MIN + 1;
	__u16 p = bpf_ntohs(own);

	if (i == 0 && p >= BPFNET_SNAT_PORT_MIN && p <= BPFNET_SNAT_PORT_MAX)
		return own;
	return bpf_htons(BPFNET_SNAT_PORT_MIN + (start + i) % range);
}

/*
 * Source NAT needs a reply tuple nobody else holds: claim one port after
 * another until one is free. Bounded: a flow that finds none is dropped, the
 * flows that hold ports go on.
 */
static __always_inline int snat_claim_port(struct bpfnet_ct_key *rkey, struct bpfnet_ct_entry *reply,
					   __be16 own)
{
	__u32 start = bpf_get_prandom_u32();

	for (__u32 i = 0; i < BPFNET_SNAT_TRIES; i++) {
		rkey->dport = snat_port_candidate(own, start, i);
		if (!ct_claim(rkey, reply))
			return 0;
	}
	return DROP(DROP_SNAT_EXHAUSTED);
}

static __always_inline void nat_reply_of(const struct flow4 *f, const struct nat_target *t,
					 struct bpfnet_ct_key *rkey, struct bpfnet_ct_entry *reply)
{
	__builtin_memset(rkey, 0, sizeof(*rkey));
	__builtin_memset(reply, 0, sizeof(*reply));
	rkey->saddr = t->dnat_addr ? t->dnat_addr : f->key.daddr;
	rkey->sport = t->dnat_addr ? t->dnat_port : f->key.dport;
	rkey->daddr = t->snat_addr ? t->snat_addr : f->key.saddr;
	rkey->dport = f->key.sport;
	rkey->proto = f->key.proto;
	reply->peer = f->key;
	reply->flags = BPFNET_CT_F_REPLY;
	reply->tx_gen = t->rx_gen;
	reply->rx_gen = t->tx_gen;
	if (t->snat_addr) {	/* replies go back to the original source */
		reply->flags |= BPFNET_CT_F_DNAT;
		reply->nat_daddr = f->key.saddr;
		reply->nat_dport = f->key.sport;
	}
	if (t->dnat_addr) {	/* and seem to come from the original destination */
		reply->flags |= BPFNET_CT_F_SNAT;
		reply->nat_saddr = f->key.daddr;
		reply->nat_sport = f->key.dport;
	}
}

/*
 * Track a new flow whose first packet is @f and fill @orig with the
 * translation of its original direction. Both entries exist on success.
 */
static __always_inline int nat_create(const struct flow4 *f, const struct nat_target *t,
				      struct bpfnet_ct_entry *orig, __u32 len)
{
	struct bpfnet_ct_entry reply;
	struct bpfnet_ct_key rkey;
	__u64 now = bpf_ktime_get_ns();
	int ret;

	/* a later fragment never starts a flow: its first fragment did, or was dropped */
	if (f->no_l4)
		return DROP(DROP_FRAG_NO_FLOW);
	nat_reply_of(f, t, &rkey, &reply);
	reply.created_ns = now;
	/* the reply's copy of the flow's state, as the original's (ct.h) */
	reply.state = f->key.proto == IPPROTO_TCP ? BPFNET_CT_SYN_SENT : BPFNET_CT_ESTABLISHED;
	reply.expires_ns = now + ct_timeout_ns(f->key.proto, reply.state);
	/* a reply tuple that a live flow holds is never taken over: that flow's packets would go astray */
	if (t->snat_addr)
		ret = snat_claim_port(&rkey, &reply, f->key.sport);
	else
		ret = ct_claim(&rkey, &reply) ? DROP(DROP_CT_INSERT) : 0;
	if (ret)
		return ret;
	__builtin_memset(orig, 0, sizeof(*orig));
	orig->peer = rkey;
	orig->flags = t->flags;
	if (t->snat_addr) {
		orig->flags |= BPFNET_CT_F_SNAT;
		orig->nat_saddr = t->snat_addr;
		orig->nat_sport = rkey.dport;
	}
	if (t->dnat_addr) {
		orig->flags |= BPFNET_CT_F_DNAT;
		orig->nat_daddr = t->dnat_addr;
		orig->nat_dport = t->dnat_port;
	}
	orig->tx_gen = t->tx_gen;
	orig->rx_gen = t->rx_gen;
	orig->state = reply.state;
	orig->created_ns = now;
	orig->expires_ns = reply.expires_ns;
	orig->packets = 1;
	orig->bytes = len;
#ifdef BPFNET_LAYOUT_NEXT
	orig->last_seen_ns = now;	/* the reply's stays 0 until its first packet */
#endif
	/* never over an entry: the lookup removed a dead one, so another CPU made this flow */
	if (bpf_map_update_elem(&ct4, &f->key, orig, BPF_NOEXIST)) {
		bpf_map_delete_elem(&ct4, &rkey);
		return DROP(DROP_CT_INSERT);
	}
	count_global(BPFNET_G_CT_CREATED);
	mon_note_flow(BPFNET_MON_EV_FLOW_NEW, &f->key, orig);
	return 0;
}

/* Is @f's destination a published container port (what a routed network opens)? */
static __always_inline int ep_port_published(const struct flow4 *f)
{
	struct bpfnet_ep_port_key k = {
		.ep_ip = f->key.daddr,
		.ep_port = f->key.dport,
		.proto = f->key.proto,
	};

	if (f->key.proto != IPPROTO_TCP && f->key.proto != IPPROTO_UDP)
		return 0;
	return bpf_map_lookup_elem(&ep_ports, &k) != NULL;
}

#endif
