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

/* The quoted packet: an IPv4 header without options, then the first 8 bytes of L4. */
struct icmp_quote {
	struct iphdr ip;
	__be16 sport;		/* or ICMP type/code */
	__be16 dport;		/* or ICMP checksum */
	__be16 id;		/* ICMP echo id; for UDP/TCP the length or seq, untouched */
	__be16 rest;
};

#define QUOTE_OFF(f) ((f)->l4_off + sizeof(struct icmphdr))

static __always_inline int quote_load(struct __sk_buff *skb, const struct flow4 *f,
				      struct icmp_quote *q)
{
	if (bpf_skb_load_bytes(skb, QUOTE_OFF(f), q, sizeof(*q)))
		return -1;
	if (q->ip.version != 4 || q->ip.ihl != 5)
		return -1;	/* options in a quote are legal but unseen in practice */
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
		k->dport = q->id;	/* a quoted echo request: the id is the "source port" */
	} else {
		k->sport = q->dport;
		k->dport = q->sport;
	}
}

/* Rewrite one field of the quote, keeping the quoted IP and the ICMP checksums right. */
static __always_inline int quote_rewrite(struct __sk_buff *skb, const struct flow4 *f,
					 __u32 off, __u32 old, __u32 new, __u32 size)
{
	__u32 qcsum_off = QUOTE_OFF(f) + offsetof(struct iphdr, check);
	__sum16 before, after;

	if (old == new)
		return 0;
	if (bpf_skb_store_bytes(skb, off, &new, size, 0) ||
	    bpf_l4_csum_replace(skb, f->csum_off, old, new, size))
		return DROP(DROP_CSUM);
	if (size != 4)
		return 0;
	/* an address: the quoted IP header checksum changes too, and the ICMP one with it */
	if (bpf_skb_load_bytes(skb, qcsum_off, &before, sizeof(before)) ||
	    bpf_l3_csum_replace(skb, qcsum_off, old, new, 4) ||
	    bpf_skb_load_bytes(skb, qcsum_off, &after, sizeof(after)) ||
	    bpf_l4_csum_replace(skb, f->csum_off, before, after, 2))
		return DROP(DROP_CSUM);
	return 0;
}

/*
 * Translate the ICMP error @f if it concerns a translated flow. @outward:
 * the error is sent by a container (towards the outside), else it arrived
 * for the node. Returns 1 when the error is not about any tracked flow.
 */
static __always_inline int icmp_error_nat(struct __sk_buff *skb, struct flow4 *f, int outward)
{
	struct bpfnet_ct_entry *e, *orig;
	struct bpfnet_ct_key k;
	struct icmp_quote q;
	__be32 addr;
	__be16 port;
	__u32 a_off, p_off;
	int ret;

	if (quote_load(skb, f, &q))
		return 1;
	quote_reverse_key(&q, &k);
	e = ct_lookup(&k, &orig);
	if (!e || !(e->flags & (outward ? BPFNET_CT_F_SNAT : BPFNET_CT_F_DNAT)))
		return 1;
	/*
	 * The quote travelled against @e's direction: what @e writes into the
	 * destination is the quote's source (inward), and vice versa (outward).
	 */
	addr = outward ? e->nat_saddr : e->nat_daddr;
	port = outward ? e->nat_sport : e->nat_dport;
	a_off = QUOTE_OFF(f) + (outward ? offsetof(struct iphdr, daddr) : offsetof(struct iphdr, saddr));
	if (q.ip.protocol == IPPROTO_ICMP)
		p_off = QUOTE_OFF(f) + offsetof(struct icmp_quote, id);
	else
		p_off = QUOTE_OFF(f) + (outward ? offsetof(struct icmp_quote, dport) :
						  offsetof(struct icmp_quote, sport));
	ret = quote_rewrite(skb, f, a_off, outward ? q.ip.daddr : q.ip.saddr, addr, 4) ?:
	      quote_rewrite(skb, f, p_off, q.ip.protocol == IPPROTO_ICMP ? q.id :
					   (outward ? q.dport : q.sport), port, 2);
	if (ret)
		return ret;
	if (outward) {
		ret = nat_rewrite_addr(skb, f, IPH_SADDR_OFF, f->key.saddr, addr);
		f->key.saddr = addr;
	} else {
		ret = nat_rewrite_addr(skb, f, IPH_DADDR_OFF, f->key.daddr, addr);
		f->key.daddr = addr;
	}
	if (!ret)
		count_global(BPFNET_G_ICMP_ERR_NAT);
	return ret;
}

#endif
