/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ICMP errors of translated flows. An error (unreachable, fragmentation
 * needed, time exceeded) quotes the IP header and first 8 L4 bytes of the
 * packet that caused it, as that packet was after translation. For the
 * error to reach and make sense to the flow's real endpoint, both its outer
 * address and the quoted header must be translated back; otherwise path MTU
 * discovery and connect errors break behind NAT.
 */
#ifndef BPFNET_BPF_ICMP_NAT_H
#define BPFNET_BPF_ICMP_NAT_H

#include "lib/nat.h"

/* What an error quotes of the L4 header (RFC 792): its first 8 bytes. */
struct quote_l4 {
	__be16 sport;		/* or ICMP type/code */
	__be16 dport;		/* or ICMP checksum */
	__be16 id;		/* ICMP echo id; for UDP/TCP the length or seq, untouched */
	__be16 rest;
};

/* The quoted packet: its IPv4 header, then (after its options, if any) the start of L4. */
struct icmp_quote {
	struct iphdr ip;
	__u32 l4_off;		/* of the quoted L4 header, from ctx_data() */
	struct quote_l4 l4;
};

#define QUOTE_OFF(f) ((f)->l4_off + sizeof(struct icmphdr))

static __always_inline int quote_load(struct __ctx_buff *ctx, const struct flow4 *f,
				      struct icmp_quote *q)
{
	if (QUOTE_OFF(f) + sizeof(q->ip) > f->l3_end ||
	    ctx_load_bytes(ctx, QUOTE_OFF(f), &q->ip, sizeof(q->ip)))
		return -1;
	if (q->ip.version != 4 || q->ip.ihl < 5)
		return -1;
	/* the quoted header's options, as the packet had them, lie between it and L4 */
	q->l4_off = QUOTE_OFF(f) + q->ip.ihl * 4;
	if (q->l4_off + sizeof(q->l4) > f->l3_end ||
	    ctx_load_bytes(ctx, q->l4_off, &q->l4, sizeof(q->l4)))
		return -1;
	if (q->ip.protocol != IPPROTO_TCP && q->ip.protocol != IPPROTO_UDP &&
	    q->ip.protocol != IPPROTO_ICMP)
		return -1;
	return 0;
}

/* The key, in the direction opposite to the quoted packet, that conntrack knows it by. */
static __always_inline void quote_reverse_key(const struct icmp_quote *q, struct bpfnet_ct_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->saddr = q->ip.daddr;
	k->daddr = q->ip.saddr;
	k->proto = q->ip.protocol;
	if (q->ip.protocol == IPPROTO_ICMP) {
		k->dport = q->l4.id;	/* a quoted echo request: the id is the "source port" */
	} else {
		k->sport = q->l4.dport;
		k->dport = q->l4.sport;
	}
}

/* Rewrite one field of the quote, keeping the quoted IP and the ICMP checksums right. */
static __always_inline int quote_rewrite(struct __ctx_buff *ctx, const struct flow4 *f,
					 __u32 off, __u32 old, __u32 new, __u32 size)
{
	__u32 qcsum_off = QUOTE_OFF(f) + offsetof(struct iphdr, check);
	__sum16 before, after;

	if (old == new)
		return 0;
	if (ctx_store_bytes(ctx, off, &new, size) ||
	    ctx_l4_csum_replace(ctx, f->csum_off, old, new, size))
		return DROP(DROP_CSUM);
	if (size != 4)
		return 0;
	/* an address: the quoted IP header checksum changes too, and the ICMP one with it */
	if (ctx_load_bytes(ctx, qcsum_off, &before, sizeof(before)) ||
	    ctx_l3_csum_replace(ctx, qcsum_off, old, new, 4) ||
	    ctx_load_bytes(ctx, qcsum_off, &after, sizeof(after)) ||
	    ctx_l4_csum_replace(ctx, f->csum_off, before, after, 2))
		return DROP(DROP_CSUM);
	return 0;
}

/*
 * The error travels in the direction of entry @e (found through the quote's
 * reversed tuple), the quote against it: the outer header gets @e's
 * translation, the quote its inverse. A source NAT of @e rewrites the outer
 * source and the quoted destination, a destination NAT the outer destination
 * and the quoted source; a hairpin entry has both.
 */
static __always_inline int icmp_error_snat(struct __ctx_buff *ctx, struct flow4 *f,
					   const struct icmp_quote *q, const struct bpfnet_ct_entry *e)
{
	__u32 off = QUOTE_OFF(f);
	int ret;

	ret = quote_rewrite(ctx, f, off + offsetof(struct iphdr, daddr), q->ip.daddr, e->nat_saddr, 4);
	if (!ret && q->ip.protocol != IPPROTO_ICMP)
		ret = quote_rewrite(ctx, f, q->l4_off + offsetof(struct quote_l4, dport),
				    q->l4.dport, e->nat_sport, 2);
	if (!ret)
		ret = nat_rewrite_addr(ctx, f, IPH_SADDR, f->key.saddr, e->nat_saddr);
	f->key.saddr = e->nat_saddr;
	return ret;
}

static __always_inline int icmp_error_dnat(struct __ctx_buff *ctx, struct flow4 *f,
					   const struct icmp_quote *q, const struct bpfnet_ct_entry *e)
{
	__u32 off = QUOTE_OFF(f);
	int ret;

	ret = quote_rewrite(ctx, f, off + offsetof(struct iphdr, saddr), q->ip.saddr, e->nat_daddr, 4);
	if (!ret)	/* a quoted echo request carries its id where a port would be */
		ret = q->ip.protocol == IPPROTO_ICMP ?
		      quote_rewrite(ctx, f, q->l4_off + offsetof(struct quote_l4, id), q->l4.id,
				    e->nat_dport, 2) :
		      quote_rewrite(ctx, f, q->l4_off + offsetof(struct quote_l4, sport),
				    q->l4.sport, e->nat_dport, 2);
	if (!ret)
		ret = nat_rewrite_addr(ctx, f, IPH_DADDR, f->key.daddr, e->nat_daddr);
	f->key.daddr = e->nat_daddr;
	return ret;
}

/*
 * Does the ICMP error @f, from outside to the container @dst, quote a packet
 * of one of @dst's own tracked flows, translated or not?
 */
static __always_inline int icmp_error_of_flow(struct __ctx_buff *ctx, const struct flow4 *f,
					      const struct bpfnet_ep *dst)
{
	struct bpfnet_ct_key k;
	struct icmp_quote q;
	struct ct_hit hit;

	if (quote_load(ctx, f, &q))
		return 0;
	quote_reverse_key(&q, &k);
	return ct_lookup_flow(&k, CT_FROM_OUTSIDE, dst, CT_NO_RETIRE, &hit) == CT_FLOW;
}

/*
 * Translate the ICMP error @f, sent by the endpoint of generation
 * @sender_gen, if it concerns a live translated flow between the endpoints it
 * was made for, whose packets in the error's direction go where the error
 * goes (@daddr_ep: the endpoint at its destination address). *@dst is where
 * it goes after translation. Returns 1 when it does not (the error then goes
 * on untouched): errors are easily forged, so they never end a flow.
 */
static __always_inline int icmp_error_nat(struct __ctx_buff *ctx, struct flow4 *f,
					  __u32 sender_gen, const struct bpfnet_ep *daddr_ep,
					  const struct bpfnet_ep **dst)
{
	struct bpfnet_ct_key k;
	struct icmp_quote q;
	struct ct_hit hit;
	int ret = 0;

	if (quote_load(ctx, f, &q))
		return 1;
	quote_reverse_key(&q, &k);
	if (ct_lookup_flow(&k, sender_gen, daddr_ep, CT_NO_RETIRE, &hit) != CT_FLOW ||
	    !(hit.e->flags & (BPFNET_CT_F_SNAT | BPFNET_CT_F_DNAT)))
		return 1;
	/* untranslated, the destination is the flow's own: @daddr_ep stands for it */
	if (!(hit.e->flags & BPFNET_CT_F_DNAT) && f->key.daddr != k.daddr)
		return 1;
	if (hit.e->flags & BPFNET_CT_F_SNAT)
		ret = icmp_error_snat(ctx, f, &q, hit.e);
	if (!ret && (hit.e->flags & BPFNET_CT_F_DNAT))
		ret = icmp_error_dnat(ctx, f, &q, hit.e);
	if (!ret)
		count_global(BPFNET_G_ICMP_ERR_NAT);
	*dst = hit.dst;
	return ret;
}

#endif
