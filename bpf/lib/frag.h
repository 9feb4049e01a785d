/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * IPv4 fragments of translated flows. Only the first fragment of a datagram
 * (offset 0) carries the L4 header, so only it can be matched to a flow by
 * its ports: it goes through conntrack like any packet, and leaves its ports
 * in frag4 under what all the datagram's fragments share (source,
 * destination, protocol, IP id). A later fragment finds them there and takes
 * the same path with the same 5-tuple, so it gets the same verdict and the
 * same address rewrite. It has no L4 header: only its IP header checksum
 * changes, since the L4 checksum, in the first fragment, covers the pseudo
 * header and was patched there. Cilium's bpf/lib/ipfrag.h works this way.
 *
 * Nothing is reassembled or held back here: the receiver reassembles. A
 * later fragment that comes before its first cannot be matched, and stays
 * FLOW_FRAGMENT for the caller to decide about.
 */
#ifndef BPFNET_BPF_FRAG_H
#define BPFNET_BPF_FRAG_H

#include "lib/l4.h"
#include "lib/stats.h"

/* The L4 header NAT reads of each protocol: TCP up to its checksum and flags, UDP, ICMP. */
static __always_inline __u32 frag4_l4_len(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return sizeof(struct tcphdr);
	case IPPROTO_UDP:
		return sizeof(struct udphdr);
	default:
		return sizeof(struct icmphdr);
	}
}

/*
 * RFC 1858, RFC 3128: the first fragment must hold the whole L4 header, and
 * no later fragment may reach into it (a TCP fragment at offset 8 could
 * rewrite flags and the checksum after the first was judged). No sender
 * fragments that way; it hides ports from a filter.
 */
static __always_inline int frag4_check(const struct iphdr *iph, __u16 frag)
{
	__u32 l4_len = frag4_l4_len(iph->protocol);
	__u32 offset = (frag & IP_OFFSET) * 8;	/* the field counts 8-byte units */

	if (offset)
		return offset < l4_len ? DROP(DROP_FRAG_TINY) : 0;
	if (bpf_ntohs(iph->tot_len) < iph->ihl * 4U + l4_len)
		return DROP(DROP_FRAG_TINY);
	return 0;
}

static __always_inline void frag4_key(const struct flow4 *f, __be16 id, struct bpfnet_frag_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->saddr = f->key.saddr;
	k->daddr = f->key.daddr;
	k->id = id;
	k->proto = f->key.proto;
}

/* The first fragment @f of datagram @id: its ports, for the fragments after it. */
static __always_inline void frag4_record(const struct flow4 *f, __be16 id)
{
	struct bpfnet_frag_val v = {
		.sport = f->key.sport,
		.dport = f->key.dport,
		.expires_ns = bpf_ktime_get_ns() + BPFNET_FRAG_TIMEOUT_SEC * NSEC_PER_SEC,
	};
	struct bpfnet_frag_key k;

	frag4_key(f, id, &k);
	/* the key taken already: its id wrapped, and this first fragment starts a new datagram */
	if (!bpf_map_update_elem(&frag4, &k, &v, BPF_ANY))
		count_global(BPFNET_G_FRAG_TRACKED);
}

/* A later fragment @f of datagram @id: the ports of its first, if that one came. */
static __always_inline void frag4_match(struct flow4 *f, __be16 id)
{
	const struct bpfnet_frag_val *v;
	struct bpfnet_frag_key k;

	frag4_key(f, id, &k);
	v = bpf_map_lookup_elem(&frag4, &k);
	/* an old entry belongs to a datagram long given up by its receiver: the id wrapped */
	if (!v || v->expires_ns < bpf_ktime_get_ns())
		return;
	f->key.sport = v->sport;
	f->key.dport = v->dport;
	f->kind = FLOW_TRACKED;
	f->no_l4 = 1;
}

/*
 * parse_flow4() with fragments: an unfragmented packet and the first
 * fragment of a datagram are parsed the same (the first is recorded too); a
 * later fragment gets the ports of its first, or stays FLOW_FRAGMENT.
 * Invalidates packet pointers.
 */
static __always_inline int parse_flow4_frag(struct __ctx_buff *ctx, __u32 l3_off,
					    const struct iphdr *iph, struct flow4 *f)
{
	__u16 frag = bpf_ntohs(iph->frag_off);
	__be16 id = iph->id;
	int ret;

	if (!(frag & (IP_MF | IP_OFFSET)))
		return parse_flow4(ctx, l3_off, iph, f);
	if (iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP ||
	    iph->protocol == IPPROTO_ICMP) {
		ret = frag4_check(iph, frag);
		if (ret)
			return ret;
	}
	ret = parse_flow4(ctx, l3_off, iph, f);
	if (ret)
		return ret;
	if (f->kind == FLOW_FRAGMENT)
		frag4_match(f, id);
	else if (f->kind == FLOW_TRACKED)
		frag4_record(f, id);
	/* FLOW_ICMP_ERROR: errors are at most 576 bytes (RFC 1812), never fragmented */
	return 0;
}

#endif
