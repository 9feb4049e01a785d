/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The parts of the packet fuzzer (test_fuzz.c) that know frames but not the
 * topology: a seeded PRNG, the mutations of a frame (blind ones and ones
 * that know the fields of Ethernet, 802.1Q, IPv4, TCP, UDP, ICMP and ARP),
 * the checksums made right again after a mutation, and the check of a frame
 * the datapath rewrote.
 *
 * The check recomputes every sum from the bytes with pktbuild.h's RFC 1071
 * helpers: nothing is shared with the datapath's incremental updates.
 * Because a fuzzed frame may arrive with wrong checksums (the datapath does
 * not verify them, the receiver does), the check is that a rewrite is
 * checksum neutral: the one's complement sum over each checksummed range,
 * its checksum field included, is the same before and after. A frame that
 * arrived with right checksums therefore leaves with right ones, and a
 * wrong one stays exactly as wrong, which the receiver still sees.
 */
#ifndef BPFNET_TESTS_FUZZ_H
#define BPFNET_TESTS_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pktbuild.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define ETH_P_QINQ_TAG 0x88a8
#define IPV4_MAX_HDR_LEN 60
#define TCP_DOFF_BYTE 12
#define TCP_FLAGS_BYTE 13
#define ICMP_QUOTE_OFF ICMP_HDR_LEN	/* the quoted IP header, from the ICMP header */
#define QUOTE_REWRITTEN_L4 6		/* ports and echo id of the quoted L4 header */
#define ICMP_TYPE_PARAM_PROBLEM 12

/* ---- a seeded PRNG (splitmix64): the same seed, the same packets ---- */

static uint64_t rng_state;

static inline uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 for n 0. */
static inline uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

/* One time in @n. */
static inline bool one_in(uint32_t n)
{
	return rnd(n) == 0;
}

/* ---- what the mutations pick from: the topology's values, given by the test ---- */

struct fuzz_dict {
	const uint32_t *addrs;
	size_t n_addrs;
	const uint8_t (*macs)[ETH_ALEN];
	size_t n_macs;
	const uint16_t *ports;
	size_t n_ports;
};

static inline uint32_t pick_addr(const struct fuzz_dict *d)
{
	return one_in(8) ? (uint32_t)rnd64() : d->addrs[rnd((uint32_t)d->n_addrs)];
}

static inline uint16_t pick_port(const struct fuzz_dict *d)
{
	return one_in(4) ? (uint16_t)rnd64() : d->ports[rnd((uint32_t)d->n_ports)];
}

static inline void pick_mac(const struct fuzz_dict *d, uint8_t *mac)
{
	size_t i;

	if (!one_in(8)) {
		memcpy(mac, d->macs[rnd((uint32_t)d->n_macs)], ETH_ALEN);
		return;
	}
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = (uint8_t)rnd64();
}

/* ---- reading a frame ---- */

static inline bool is_ip_fragment_later(const uint8_t *iph)
{
	return get_be16(iph + IP_OFF_FRAG) & IPV4_FRAG_OFFSET_MASK;
}

static inline bool icmp_is_error(uint8_t type)
{
	return type == ICMP_TYPE_DEST_UNREACH || type == ICMP_TYPE_TIME_EXCEEDED ||
	       type == ICMP_TYPE_PARAM_PROBLEM;
}

/*
 * An untagged IPv4 frame as the datapath's parse_ipv4() takes it: version
 * 4, ihl 5 or more, a total length that holds the header and fits the
 * frame. @l4_len is what the datagram (not the frame: padding may follow)
 * holds after the header.
 */
struct ipv4_view {
	const uint8_t *iph;
	size_t l3, hlen, end, l4, l4_len;
	uint8_t proto;
};

static inline bool ipv4_view_of(const struct pkt *p, struct ipv4_view *v)
{
	size_t tot;

	if (p->len < ETH_HLEN + IPV4_HDR_LEN || get_be16(p->data + ETH_OFF_PROTO) != ETH_P_IP)
		return false;
	v->l3 = ETH_HLEN;
	v->iph = p->data + v->l3;
	v->hlen = ipv4_hdr_len(v->iph);
	tot = get_be16(v->iph + IP_OFF_TOT_LEN);
	if (v->iph[IP_OFF_VER_IHL] >> 4 != IPV4_VERSION || v->hlen < IPV4_HDR_LEN ||
	    v->l3 + v->hlen > p->len || tot < v->hlen || v->l3 + tot > p->len)
		return false;
	v->end = v->l3 + tot;
	v->l4 = v->l3 + v->hlen;
	v->l4_len = tot - v->hlen;
	v->proto = v->iph[IP_OFF_PROTO];
	return true;
}

/* Where the IPv4 header of @p would be: after the Ethernet header, or after one tag. */
static inline size_t l3_of(const struct pkt *p)
{
	uint16_t type = p->len >= ETH_HLEN ? get_be16(p->data + ETH_OFF_PROTO) : 0;

	if ((type == ETH_P_8021Q || type == ETH_P_QINQ_TAG) && p->len >= ETH_HLEN + VLAN_HDR_LEN)
		return ETH_HLEN + VLAN_HDR_LEN;
	return ETH_HLEN;
}

/* ---- checksums made right after a mutation (from scratch, over what the frame holds) ---- */

/* The quoted IPv4 header of an ICMP error at @l4 (@l4_len bytes of datagram), if whole. */
static inline uint8_t *icmp_quote(uint8_t *l4, size_t l4_len)
{
	uint8_t *q = l4 + ICMP_QUOTE_OFF;

	if (l4_len < ICMP_QUOTE_OFF + IPV4_HDR_LEN || !icmp_is_error(l4[0]) ||
	    q[IP_OFF_VER_IHL] >> 4 != IPV4_VERSION || ipv4_hdr_len(q) < IPV4_HDR_LEN ||
	    ICMP_QUOTE_OFF + ipv4_hdr_len(q) > l4_len)
		return NULL;
	return q;
}

/*
 * Every checksum of the IPv4 datagram at @l3 computed again, the datagram
 * cut to the frame if its total length says more: the quoted header of an
 * ICMP error, the transport checksum (sometimes a UDP "none" instead), the
 * header. A later fragment has no transport header; a first fragment's
 * transport checksum is taken over its own bytes, as if it were whole.
 */
static inline void fix_csums(struct pkt *p, size_t l3)
{
	uint8_t *iph = p->data + l3, *l4, *q;
	size_t hlen, end, l4_len;
	int off;

	if (l3 + IPV4_HDR_LEN > p->len)
		return;
	hlen = ipv4_hdr_len(iph);
	if (hlen < IPV4_HDR_LEN || l3 + hlen > p->len)
		return;
	end = l3 + get_be16(iph + IP_OFF_TOT_LEN);
	if (end > p->len)
		end = p->len;
	if (end < l3 + hlen)
		end = l3 + hlen;
	l4 = iph + hlen;
	l4_len = end - l3 - hlen;
	off = l4_check_off(iph[IP_OFF_PROTO]);
	if (!is_ip_fragment_later(iph) && off >= 0 && l4_len >= (size_t)off + 2) {
		if (iph[IP_OFF_PROTO] == IPPROTO_ICMP && (q = icmp_quote(l4, l4_len)))
			ipv4_csum_set(q);
		put_be16(l4 + off, l4_csum_compute(iph, l4, l4_len));
		if (iph[IP_OFF_PROTO] == IPPROTO_UDP && one_in(8))
			put_be16(l4 + off, 0);
	}
	ipv4_csum_set(iph);
}

/* The total length (and UDP length) made to say what the frame holds. */
static inline void fix_lengths(struct pkt *p, size_t l3)
{
	uint8_t *iph = p->data + l3;
	size_t hlen;

	if (l3 + IPV4_HDR_LEN > p->len)
		return;
	put_be16(iph + IP_OFF_TOT_LEN, (uint16_t)(p->len - l3));
	hlen = ipv4_hdr_len(iph);
	if (iph[IP_OFF_PROTO] == IPPROTO_UDP && !is_ip_fragment_later(iph) &&
	    l3 + hlen + UDP_HDR_LEN <= p->len)
		put_be16(iph + hlen + UDP_OFF_LEN, (uint16_t)(p->len - l3 - hlen));
}

/* ---- mutations: each changes one thing, blind or knowing the field ---- */

/* @n bytes made at @at, what was there moved back (the frame cut at PKT_MAX). */
static inline uint8_t *make_room(struct pkt *p, size_t at, size_t n)
{
	if (at > p->len)
		at = p->len;
	if (p->len + n > PKT_MAX)
		p->len = PKT_MAX - n;
	if (at > p->len)
		at = p->len;
	memmove(p->data + at + n, p->data + at, p->len - at);
	p->len += n;
	return p->data + at;
}

static inline void mut_bitflips(struct pkt *p)
{
	uint32_t i, n = 1 + rnd(4);

	for (i = 0; i < n; i++)
		p->data[rnd((uint32_t)p->len)] ^= (uint8_t)(1U << rnd(8));
}

static inline void mut_byte(struct pkt *p)
{
	p->data[rnd((uint32_t)p->len)] = (uint8_t)rnd64();
}

/* Cut anywhere after the Ethernet header (BPF_PROG_TEST_RUN wants at least that much). */
static inline void mut_truncate(struct pkt *p)
{
	if (p->len > ETH_HLEN)
		p->len = ETH_HLEN + rnd((uint32_t)(p->len - ETH_HLEN));
}

static inline void mut_extend(struct pkt *p)
{
	size_t n = 1 + rnd(PKT_MAX - 1), i;

	if (p->len + n > PKT_MAX)
		n = PKT_MAX - p->len;
	for (i = 0; i < n; i++)
		p->data[p->len + i] = one_in(2) ? 0 : (uint8_t)rnd64();
	p->len += n;
}

static inline void mut_eth(struct pkt *p, const struct fuzz_dict *d)
{
	static const uint16_t types[] = { ETH_P_IP, ETH_P_ARP, ETH_P_IPV6, ETH_P_8021Q,
					  ETH_P_QINQ_TAG, 0x0000, 0xffff };

	switch (rnd(3)) {
	case 0:
		pick_mac(d, p->data + ETH_OFF_DST);
		break;
	case 1:
		pick_mac(d, p->data + ETH_OFF_SRC);
		break;
	default:
		put_be16(p->data + ETH_OFF_PROTO,
			 one_in(4) ? (uint16_t)rnd64() : types[rnd(ARRAY_SIZE(types))]);
	}
}

/* An 802.1Q or 802.1ad tag inserted after the MACs, the frame's type behind it. */
static inline void mut_vlan_tag(struct pkt *p)
{
	uint8_t *tag = make_room(p, ETH_OFF_PROTO, VLAN_HDR_LEN);

	put_be16(tag, one_in(2) ? ETH_P_8021Q : ETH_P_QINQ_TAG);
	put_be16(tag + 2, (uint16_t)rnd(4096));	/* the TCI: priority 0, a VLAN id */
	/* tag[4..5] is now the type the frame had: the tag's inner type */
}

static inline void mut_ipv4_field(struct pkt *p, size_t l3, const struct fuzz_dict *d)
{
	static const uint16_t frags[] = { IPV4_FLAG_MF, IPV4_FLAG_DF, 1, 2, 3, 0x1fff,
					  IPV4_FLAG_MF | 1, IPV4_FLAG_MF | 3, 0 };
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 0, 47, 255 };
	static const uint8_t ttls[] = { 0, 1, 2, 255 };
	uint8_t *iph = p->data + l3;
	uint16_t tot, frag;

	if (l3 + IPV4_HDR_LEN > p->len)
		return;
	switch (rnd(7)) {
	case 0:	/* version and ihl */
		iph[IP_OFF_VER_IHL] = one_in(4) ? (uint8_t)rnd64() :
				      (uint8_t)(IPV4_VERSION << 4 | rnd(16));
		break;
	case 1:
		tot = (uint16_t)(p->len - l3);
		put_be16(iph + IP_OFF_TOT_LEN, one_in(3) ? (uint16_t)rnd64() :
				one_in(2) ? (uint16_t)(tot - rnd(40)) : (uint16_t)(tot + rnd(40)));
		break;
	case 2:
		frag = frags[rnd(ARRAY_SIZE(frags))] | (uint16_t)(rnd(2) * IPV4_FLAG_MF);
		put_be16(iph + IP_OFF_FRAG, one_in(4) ? (uint16_t)rnd64() : frag);
		break;
	case 3:
		iph[IP_OFF_PROTO] = one_in(4) ? (uint8_t)rnd64() : protos[rnd(ARRAY_SIZE(protos))];
		break;
	case 4:
		iph[IP_OFF_TTL] = one_in(2) ? (uint8_t)rnd64() : ttls[rnd(ARRAY_SIZE(ttls))];
		break;
	case 5:
		put_be32(iph + IP_OFF_SADDR, pick_addr(d));
		break;
	default:
		put_be32(iph + IP_OFF_DADDR, pick_addr(d));
	}
}

/* IP options (NOPs or random bytes) inserted after the header, ihl and length following. */
static inline void mut_ip_options(struct pkt *p, size_t l3)
{
	size_t hlen, n, i, room;
	uint8_t *opt;

	if (l3 + IPV4_HDR_LEN > p->len)
		return;
	hlen = ipv4_hdr_len(p->data + l3);
	if (hlen < IPV4_HDR_LEN || hlen >= IPV4_MAX_HDR_LEN)
		return;
	room = IPV4_MAX_HDR_LEN - hlen;
	n = 4 * (1 + rnd((uint32_t)room / 4));
	opt = make_room(p, l3 + hlen, n);
	for (i = 0; i < n; i++)
		opt[i] = one_in(2) ? 1 /* NOP */ : (uint8_t)rnd64();
	p->data[l3 + IP_OFF_VER_IHL] = (uint8_t)(IPV4_VERSION << 4 | (hlen + n) / 4);
	put_be16(p->data + l3 + IP_OFF_TOT_LEN,
		 (uint16_t)(get_be16(p->data + l3 + IP_OFF_TOT_LEN) + n));
}

static inline void mut_l4_field(struct pkt *p, size_t l3, const struct fuzz_dict *d)
{
	static const uint8_t icmp_types[] = { ICMP_TYPE_ECHO_REPLY, ICMP_TYPE_DEST_UNREACH, 5,
					      ICMP_TYPE_ECHO_REQUEST, ICMP_TYPE_TIME_EXCEEDED,
					      ICMP_TYPE_PARAM_PROBLEM };
	uint8_t *l4;
	size_t hlen;

	if (l3 + IPV4_HDR_LEN > p->len)
		return;
	hlen = ipv4_hdr_len(p->data + l3);
	if (hlen < IPV4_HDR_LEN || l3 + hlen + 4 > p->len)
		return;
	l4 = p->data + l3 + hlen;
	switch (rnd(5)) {
	case 0:
		put_be16(l4, pick_port(d));
		break;
	case 1:
		put_be16(l4 + 2, pick_port(d));
		break;
	case 2:	/* TCP data offset and flags, UDP length, ICMP type and code */
		if (l3 + hlen + TCP_FLAGS_BYTE + 1 <= p->len)
			l4[one_in(2) ? TCP_DOFF_BYTE : TCP_FLAGS_BYTE] = (uint8_t)rnd64();
		break;
	case 3:
		if (l3 + hlen + UDP_HDR_LEN <= p->len)
			put_be16(l4 + UDP_OFF_LEN,
				 one_in(2) ? (uint16_t)rnd(16) : (uint16_t)rnd64());
		break;
	default:
		l4[0] = one_in(4) ? (uint8_t)rnd64() : icmp_types[rnd(ARRAY_SIZE(icmp_types))];
		l4[1] = one_in(2) ? 0 : (uint8_t)rnd(16);
	}
}

/* A field of the header an ICMP error quotes: its ihl, protocol, addresses, ports. */
static inline void mut_quote(struct pkt *p, size_t l3, const struct fuzz_dict *d)
{
	size_t hlen, q;

	if (l3 + IPV4_HDR_LEN > p->len)
		return;
	hlen = ipv4_hdr_len(p->data + l3);
	q = l3 + hlen + ICMP_QUOTE_OFF;
	if (hlen < IPV4_HDR_LEN || q + IPV4_HDR_LEN + 4 > p->len)
		return;
	switch (rnd(5)) {
	case 0:
		p->data[q + IP_OFF_VER_IHL] = (uint8_t)(IPV4_VERSION << 4 | rnd(16));
		break;
	case 1:
		p->data[q + IP_OFF_PROTO] = one_in(2) ? IPPROTO_ICMP : (uint8_t)rnd64();
		break;
	case 2:
		put_be32(p->data + q + (one_in(2) ? IP_OFF_SADDR : IP_OFF_DADDR), pick_addr(d));
		break;
	default:
		put_be16(p->data + q + IPV4_HDR_LEN + 2 * rnd(2), pick_port(d));
	}
}

static inline void mut_arp(struct pkt *p, size_t l3, const struct fuzz_dict *d)
{
	uint8_t *arp = p->data + l3;

	if (l3 + ARP_LEN > p->len)
		return;
	switch (rnd(6)) {
	case 0:
		put_be16(arp + ARP_OFF_OP, one_in(2) ? (uint16_t)rnd(5) : (uint16_t)rnd64());
		break;
	case 1:
		pick_mac(d, arp + ARP_OFF_SHA);
		break;
	case 2:
		put_be32(arp + ARP_OFF_SIP, one_in(4) ? 0 : pick_addr(d));
		break;
	case 3:
		put_be32(arp + ARP_OFF_TIP, pick_addr(d));
		break;
	case 4:
		arp[one_in(2) ? ARP_OFF_HLN : ARP_OFF_PLN] = (uint8_t)rnd(16);
		break;
	default:
		put_be16(arp + (one_in(2) ? ARP_OFF_HRD : ARP_OFF_PRO), (uint16_t)rnd64());
	}
}

/*
 * The header or transport checksum set to a value where one's complement
 * arithmetic wraps (0x0000 and 0xffff, the two zeros, and their neighbours),
 * left wrong: an incremental update must carry right there too, which a
 * right checksum reaches only once in thousands of frames.
 */
static inline void mut_csum_edge(struct pkt *p, size_t l3)
{
	static const uint16_t edges[] = { 0x0000, 0xffff, 0xfffe, 0x0001, 0xfeff, 0x0100,
					  0xff00, 0x00ff };
	uint8_t *iph = p->data + l3;
	size_t hlen;
	int off;

	if (l3 + IPV4_HDR_LEN > p->len)
		return;
	hlen = ipv4_hdr_len(iph);
	off = l4_check_off(iph[IP_OFF_PROTO]);
	if (one_in(2) && off >= 0 && hlen >= IPV4_HDR_LEN && l3 + hlen + (size_t)off + 2 <= p->len)
		put_be16(iph + hlen + off, edges[rnd(ARRAY_SIZE(edges))]);
	else
		put_be16(iph + IP_OFF_CHECK, edges[rnd(ARRAY_SIZE(edges))]);
}

/* One mutation of @p, of a kind picked at random. */
static inline void mutate(struct pkt *p, const struct fuzz_dict *d)
{
	size_t l3 = l3_of(p);

	switch (rnd(12)) {
	case 0:
		mut_bitflips(p);
		break;
	case 1:
		mut_byte(p);
		break;
	case 2:
		mut_truncate(p);
		break;
	case 3:
		mut_extend(p);
		break;
	case 4:
		mut_eth(p, d);
		break;
	case 5:
		mut_vlan_tag(p);
		break;
	case 6:
	case 7:
		mut_ipv4_field(p, l3, d);
		break;
	case 8:
		mut_ip_options(p, l3);
		break;
	case 9:
		mut_l4_field(p, l3, d);
		break;
	case 10:
		mut_quote(p, l3, d);
		break;
	default:
		mut_arp(p, l3, d);
	}
}

/* Random bytes, @len of them from ETH_HLEN up; with @plausible an Ethernet header from @d. */
static inline void gen_random(struct pkt *p, bool plausible, const struct fuzz_dict *d)
{
	size_t i;

	pkt_init(p);
	p->len = ETH_HLEN + rnd(PKT_MAX - ETH_HLEN + 1);
	for (i = 0; i < p->len; i++)
		p->data[i] = (uint8_t)rnd64();
	if (!plausible)
		return;
	pick_mac(d, p->data + ETH_OFF_DST);
	pick_mac(d, p->data + ETH_OFF_SRC);
	put_be16(p->data + ETH_OFF_PROTO, one_in(4) ? ETH_P_ARP : ETH_P_IP);
	if (p->len > ETH_HLEN && one_in(2))
		p->data[ETH_HLEN] = IPV4_VERSION << 4 | 5;
}

/* ---- the check of a rewritten IPv4 frame ---- */

/* A one's complement sum, its two zeros (0x0000, 0xffff) one value. */
static inline uint16_t sum_norm(uint32_t sum)
{
	uint16_t s = csum_fold(sum);

	return s == 0xffff ? 0 : s;
}

/* The sum a transport checksum makes true: pseudo header (TCP/UDP) and every L4 byte. */
static inline uint16_t l4_sum(const struct ipv4_view *v)
{
	uint32_t sum = 0;

	if (v->proto != IPPROTO_ICMP)
		sum = ipv4_pseudo_sum(v->iph, v->l4_len);
	return sum_norm(csum_add(sum, v->iph + v->hlen, v->l4_len));
}

/* What the checks of rewritten frames saw, for the run's summary. */
struct rewrite_tally {
	uint64_t frames;	/* rewritten IPv4 frames checked */
	uint64_t l4_checked;	/* ... whose transport checksum was checked */
	uint64_t fragments;	/* ... that were fragments (first or later) */
	uint64_t with_options;	/* ... with IP options */
	uint64_t icmp_quotes;	/* ... ICMP errors whose quoted header was checked */
	uint64_t valid_in;	/* ... that arrived with every checksum right (so left so) */
};

static inline bool field_may_change(size_t i, const struct ipv4_view *v, const uint8_t *q)
{
	size_t r, qr, ql4;
	int off;

	if (i < ETH_ALEN * 2)
		return true;	/* the MACs of the next hop */
	if (i < v->l3 || i >= v->end)
		return false;	/* Ethernet type; padding after the datagram */
	r = i - v->l3;
	if (r == IP_OFF_TTL || r == IP_OFF_CHECK || r == IP_OFF_CHECK + 1 ||
	    (r >= IP_OFF_SADDR && r < IP_OFF_DADDR + 4))
		return true;
	if (r < v->hlen || is_ip_fragment_later(v->iph))
		return false;	/* options; a later fragment's payload */
	r -= v->hlen;
	off = l4_check_off(v->proto);
	if (off >= 0 && (r == (size_t)off || r == (size_t)off + 1))
		return true;
	if (v->proto == IPPROTO_TCP || v->proto == IPPROTO_UDP)
		return r < 4;	/* the ports */
	if (v->proto != IPPROTO_ICMP)
		return false;
	if (r == ICMP_OFF_ID || r == ICMP_OFF_ID + 1)
		return true;	/* the echo id */
	if (!q)
		return false;
	if (r < ICMP_QUOTE_OFF)
		return false;
	qr = r - ICMP_QUOTE_OFF;
	ql4 = ipv4_hdr_len(q);
	if (qr == IP_OFF_CHECK || qr == IP_OFF_CHECK + 1 ||
	    (qr >= IP_OFF_SADDR && qr < IP_OFF_DADDR + 4))
		return true;
	return qr >= ql4 && qr < ql4 + QUOTE_REWRITTEN_L4;
}

/* The transport checksum of @vi rewritten as @vo: neutral, a UDP "none" kept; *@valid if right. */
static inline bool l4_csum_neutral(const struct ipv4_view *vi, const struct ipv4_view *vo,
				   struct rewrite_tally *t, bool *valid, char *why, size_t why_len)
{
	int off = l4_check_off(vi->proto);
	uint16_t ci, co;

	if (is_ip_fragment_later(vi->iph) || off < 0 || vi->l4_len < (size_t)off + 2)
		return true;	/* no transport header, or not as far as its checksum */
	ci = get_be16(vi->iph + vi->hlen + off);
	co = get_be16(vo->iph + vo->hlen + off);
	t->l4_checked++;
	if (vi->proto == IPPROTO_UDP && (!ci || !co)) {
		if (ci != co) {
			snprintf(why, why_len, "UDP checksum 0x%04x in, 0x%04x out: \"none\" (0) "
				 "must stay none, and only it", ci, co);
			return false;
		}
	} else if (l4_sum(vi) != l4_sum(vo)) {
		snprintf(why, why_len, "transport (protocol %u) checksum not neutral: 0x%04x in, "
			 "0x%04x out, 0x%04x would be right%s", vi->proto, ci, co,
			 l4_csum_compute(vo->iph, vo->iph + vo->hlen, vo->l4_len),
			 ipv4_is_fragment(vi->iph) ? " (over this first fragment)" : "");
		return false;
	}
	*valid = *valid && !ipv4_is_fragment(vi->iph) &&
		 l4_csum_valid(vi->iph, vi->iph + vi->hlen, vi->l4_len);
	return true;
}

/* The header an ICMP error quotes, rewritten from @qi to @qo: its checksum neutral. */
static inline bool quote_csum_neutral(const uint8_t *qi, const uint8_t *qo,
				      struct rewrite_tally *t, bool *valid, char *why,
				      size_t why_len)
{
	if (!qi || !qo)
		return true;
	t->icmp_quotes++;
	if (sum_norm(csum_add(0, qi, ipv4_hdr_len(qi))) !=
	    sum_norm(csum_add(0, qo, ipv4_hdr_len(qo)))) {
		snprintf(why, why_len, "quoted IPv4 header checksum not neutral: 0x%04x in, 0x%04x "
			 "out", get_be16(qi + IP_OFF_CHECK), get_be16(qo + IP_OFF_CHECK));
		return false;
	}
	*valid = *valid && ipv4_csum_valid(qi);
	return true;
}

/*
 * @out, the datapath's rewrite of the IPv4 frame @in: the same length, no
 * byte changed but those a router and NAT change (MACs, TTL, addresses,
 * ports or echo id, checksums, and the same in an ICMP error's quote), every
 * checksum neutral. What is checked of the transport checksum: over the
 * whole datagram with the pseudo header for TCP and UDP, over the whole
 * message for ICMP; for a first fragment over the bytes it holds (the real
 * sum covers the datagram, which no fragment has: what the fragment holds,
 * plus the pseudo header, must still sum the same); for a later fragment
 * none, since it has no transport header, and its bytes after the IP header
 * may not change at all. A UDP checksum of 0 ("none") must stay 0. IP
 * options are in the header sum and may not change. false, with @why, when
 * one does not hold.
 */
static inline bool check_ipv4_rewrite(const struct pkt *in, const struct pkt *out,
				      struct rewrite_tally *t, char *why, size_t why_len)
{
	struct ipv4_view vi, vo;
	const uint8_t *qi = NULL, *qo = NULL;
	bool valid;
	size_t i;

	if (!ipv4_view_of(in, &vi)) {
		snprintf(why, why_len, "rewrote a frame that is no IPv4 datagram it parses");
		return false;
	}
	vo = vi;
	vo.iph = out->data + vo.l3;
	if (vi.proto == IPPROTO_ICMP && !is_ip_fragment_later(vi.iph)) {
		qi = icmp_quote((uint8_t *)vi.iph + vi.hlen, vi.l4_len);
		qo = icmp_quote((uint8_t *)vo.iph + vo.hlen, vo.l4_len);
	}
	for (i = 0; i < in->len; i++)
		if (in->data[i] != out->data[i] && !field_may_change(i, &vi, qi)) {
			snprintf(why, why_len, "byte %zu changed (0x%02x to 0x%02x): no field the "
				 "datapath rewrites", i, in->data[i], out->data[i]);
			return false;
		}
	t->frames++;
	t->fragments += ipv4_is_fragment(vi.iph);
	t->with_options += vi.hlen > IPV4_HDR_LEN;
	valid = ipv4_csum_valid(vi.iph);
	if (sum_norm(csum_add(0, vi.iph, vi.hlen)) != sum_norm(csum_add(0, vo.iph, vo.hlen))) {
		snprintf(why, why_len, "IPv4 header checksum not neutral: 0x%04x in (%s), 0x%04x "
			 "out, 0x%04x would be right", get_be16(vi.iph + IP_OFF_CHECK),
			 valid ? "right" : "wrong", get_be16(vo.iph + IP_OFF_CHECK),
			 ipv4_csum_compute(vo.iph));
		return false;
	}
	if (!l4_csum_neutral(&vi, &vo, t, &valid, why, why_len) ||
	    !quote_csum_neutral(qi, qo, t, &valid, why, why_len))
		return false;
	t->valid_in += valid;
	return true;
}

/* A frame as one hex string: what a regression case pastes. */
static inline void print_hex(const char *label, const struct pkt *p)
{
	size_t i;

	fprintf(stderr, "  %s (%zu bytes): ", label, p->len);
	for (i = 0; i < p->len; i++)
		fprintf(stderr, "%02x", p->data[i]);
	fprintf(stderr, "\n");
}

#endif /* BPFNET_TESTS_FUZZ_H */
