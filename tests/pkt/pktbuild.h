/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A tiny packet builder for the datapath tests: Ethernet (optionally with an
 * 802.1Q tag), IPv4 with options, UDP, TCP, ICMP echo and Ethernet/IPv4 ARP.
 *
 * Every multi-byte field is written byte by byte in network order, and the
 * checksums are computed in full over the bytes (RFC 1071) rather than
 * updated incrementally, so the builder shares no code or technique with the
 * datapath it checks. The same helpers verify the datapath's output.
 */
#ifndef BPFNET_TESTS_PKTBUILD_H
#define BPFNET_TESTS_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/if_ether.h>

/* Large enough for every test frame, small enough to live on the stack. */
#define PKT_MAX 256
/* Shortest Ethernet frame without FCS: shorter frames are padded to this. */
#define PKT_ETH_MIN_LEN 60

#define IPV4_HDR_LEN 20		/* ihl 5 */
#define IPV4_VERSION 4
#define IPV4_FLAG_DF 0x4000
#define IPV4_FLAG_MF 0x2000
#define IPV4_FRAG_OFFSET_MASK 0x1fff

#define UDP_HDR_LEN 8
#define TCP_HDR_LEN 20		/* doff 5, no options */
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10
#define ICMP_ECHO_HDR_LEN 8
#define ICMP_HDR_LEN 8		/* type, code, checksum and 4 type-specific bytes */
#define ICMP_TYPE_ECHO_REPLY 0
#define ICMP_TYPE_DEST_UNREACH 3
#define ICMP_TYPE_ECHO_REQUEST 8
#define ICMP_TYPE_TIME_EXCEEDED 11
#define ICMP_CODE_HOST_UNREACH 1
#define ICMP_CODE_PORT_UNREACH 3
#define ICMP_CODE_FRAG_NEEDED 4
/* What an ICMP error quotes at least (RFC 792): the IP header and 8 bytes of L4. */
#define ICMP_QUOTE_L4_LEN 8
#define VLAN_HDR_LEN 4

#define ARP_HDR_LEN 8		/* hrd, pro, hln, pln, op */
#define ARP_BODY_LEN 20		/* sha, sip, tha, tip for Ethernet/IPv4 */
#define ARP_LEN (ARP_HDR_LEN + ARP_BODY_LEN)
#define ARP_HRD_ETHER 1
#define ARP_PLN_IPV4 4
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ARP_OP_RARP_REQUEST 3

/* Offsets inside the headers, from the start of each header. */
#define ETH_OFF_DST 0
#define ETH_OFF_SRC ETH_ALEN
#define ETH_OFF_PROTO (2 * ETH_ALEN)

#define IP_OFF_VER_IHL 0
#define IP_OFF_TOS 1
#define IP_OFF_TOT_LEN 2
#define IP_OFF_ID 4
#define IP_OFF_FRAG 6
#define IP_OFF_TTL 8
#define IP_OFF_PROTO 9
#define IP_OFF_CHECK 10
#define IP_OFF_SADDR 12
#define IP_OFF_DADDR 16

#define UDP_OFF_LEN 4
#define UDP_OFF_CHECK 6
#define TCP_OFF_CHECK 16
#define ICMP_OFF_CHECK 2
#define ICMP_OFF_ID 4		/* echo id; for errors the first type-specific bytes */

#define ARP_OFF_HRD 0
#define ARP_OFF_PRO 2
#define ARP_OFF_HLN 4
#define ARP_OFF_PLN 5
#define ARP_OFF_OP 6
#define ARP_OFF_SHA 8
#define ARP_OFF_SIP 14
#define ARP_OFF_THA 18
#define ARP_OFF_TIP 24

/* An IPv4 address in host order, written as a dotted quad. */
#define IP4(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

struct pkt {
	uint8_t data[PKT_MAX];
	size_t len;
	size_t l3_off;		/* IPv4 or ARP header; 0 until one is added */
	size_t l4_off;		/* UDP/TCP/ICMP header; 0 until one is added */
};

/* What pkt_ipv4() writes. Addresses in host order; frag is the whole 16-bit field. */
struct ipv4_spec {
	uint32_t saddr;
	uint32_t daddr;
	uint8_t proto;
	uint8_t ttl;
	uint8_t tos;
	uint16_t id;
	uint16_t frag;
	const uint8_t *opts;	/* options, a multiple of 4 bytes */
	size_t opts_len;
};

struct arp_spec {
	uint16_t op;
	const uint8_t *sha;
	uint32_t sip;
	const uint8_t *tha;
	uint32_t tip;
};

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v & 0xffff);
}

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

/* Reserve @len zeroed bytes at the end of the frame and return them. */
static inline uint8_t *pkt_put(struct pkt *p, size_t len)
{
	uint8_t *at = p->data + p->len;

	if (p->len + len > PKT_MAX)
		abort();
	memset(at, 0, len);
	p->len += len;
	return at;
}

static inline void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

static inline void pkt_append(struct pkt *p, const void *bytes, size_t len)
{
	memcpy(pkt_put(p, len), bytes, len);
}

/* Zero padding up to @len bytes, as a NIC pads short frames. */
static inline void pkt_pad_to(struct pkt *p, size_t len)
{
	if (p->len < len)
		pkt_put(p, len - p->len);
}

static inline void pkt_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t proto)
{
	uint8_t *eth = pkt_put(p, ETH_HLEN);

	memcpy(eth + ETH_OFF_DST, dst, ETH_ALEN);
	memcpy(eth + ETH_OFF_SRC, src, ETH_ALEN);
	put_be16(eth + ETH_OFF_PROTO, proto);
}

/* An 802.1Q tag after an Ethernet header whose type is ETH_P_8021Q. */
static inline void pkt_vlan(struct pkt *p, uint16_t tci, uint16_t inner_proto)
{
	uint8_t *tag = pkt_put(p, VLAN_HDR_LEN);

	put_be16(tag, tci);
	put_be16(tag + 2, inner_proto);
}

/* One's complement sum of @len bytes taken as big-endian 16-bit words. */
static inline uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get_be16(b + i);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static inline size_t ipv4_hdr_len(const uint8_t *iph)
{
	return (size_t)(iph[IP_OFF_VER_IHL] & 0x0f) * 4;
}

/* The header checksum @iph should carry, computed from scratch (check field skipped). */
static inline uint16_t ipv4_csum_compute(const uint8_t *iph)
{
	size_t hlen = ipv4_hdr_len(iph);
	uint32_t sum = csum_add(0, iph, IP_OFF_CHECK);

	sum = csum_add(sum, iph + IP_OFF_CHECK + 2, hlen - IP_OFF_CHECK - 2);
	return (uint16_t)~csum_fold(sum);
}

/* A header verifies when the sum over all of it, checksum included, is all ones. */
static inline bool ipv4_csum_valid(const uint8_t *iph)
{
	return csum_fold(csum_add(0, iph, ipv4_hdr_len(iph))) == 0xffff;
}

static inline void ipv4_csum_set(uint8_t *iph)
{
	put_be16(iph + IP_OFF_CHECK, 0);
	put_be16(iph + IP_OFF_CHECK, ipv4_csum_compute(iph));
}

/* Sum of the IPv4 pseudo header of a transport segment of @l4_len bytes. */
static inline uint32_t ipv4_pseudo_sum(const uint8_t *iph, size_t l4_len)
{
	uint32_t sum = csum_add(0, iph + IP_OFF_SADDR, 8);	/* saddr and daddr */

	return sum + iph[IP_OFF_PROTO] + (uint32_t)l4_len;
}

/* Offset of the checksum inside the transport header, or -1 if unknown. */
static inline int l4_check_off(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP:
		return UDP_OFF_CHECK;
	case IPPROTO_TCP:
		return TCP_OFF_CHECK;
	case IPPROTO_ICMP:
		return ICMP_OFF_CHECK;
	default:
		return -1;
	}
}

/* The transport checksum over @l4 (its own check field taken as zero). */
static inline uint16_t l4_csum_compute(const uint8_t *iph, const uint8_t *l4, size_t l4_len)
{
	int off = l4_check_off(iph[IP_OFF_PROTO]);
	uint32_t sum = 0;
	uint16_t csum;

	if (iph[IP_OFF_PROTO] != IPPROTO_ICMP)	/* ICMP has no pseudo header */
		sum = ipv4_pseudo_sum(iph, l4_len);
	sum = csum_add(sum, l4, (size_t)off);
	sum = csum_add(sum, l4 + off + 2, l4_len - (size_t)off - 2);
	csum = (uint16_t)~csum_fold(sum);
	if (csum == 0 && iph[IP_OFF_PROTO] == IPPROTO_UDP)
		csum = 0xffff;	/* 0 means "no checksum" in UDP */
	return csum;
}

static inline bool l4_csum_valid(const uint8_t *iph, const uint8_t *l4, size_t l4_len)
{
	int off = l4_check_off(iph[IP_OFF_PROTO]);

	return off >= 0 && l4_len >= (size_t)off + 2 &&
	       get_be16(l4 + off) == l4_csum_compute(iph, l4, l4_len);
}

static inline bool ipv4_is_fragment(const uint8_t *iph)
{
	uint16_t frag = get_be16(iph + IP_OFF_FRAG);

	return (frag & IPV4_FLAG_MF) || (frag & IPV4_FRAG_OFFSET_MASK);
}

/* IPv4 header with options; tot_len and checksums are set by pkt_ipv4_finish(). */
static inline void pkt_ipv4(struct pkt *p, const struct ipv4_spec *s)
{
	size_t hlen = IPV4_HDR_LEN + s->opts_len;
	uint8_t *iph;

	p->l3_off = p->len;
	iph = pkt_put(p, hlen);
	iph[IP_OFF_VER_IHL] = IPV4_VERSION << 4 | (uint8_t)(hlen / 4);
	iph[IP_OFF_TOS] = s->tos;
	put_be16(iph + IP_OFF_ID, s->id);
	put_be16(iph + IP_OFF_FRAG, s->frag);
	iph[IP_OFF_TTL] = s->ttl;
	iph[IP_OFF_PROTO] = s->proto;
	put_be32(iph + IP_OFF_SADDR, s->saddr);
	put_be32(iph + IP_OFF_DADDR, s->daddr);
	if (s->opts_len)
		memcpy(iph + IPV4_HDR_LEN, s->opts, s->opts_len);
}

static inline void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *udp;

	p->l4_off = p->len;
	udp = pkt_put(p, UDP_HDR_LEN);
	put_be16(udp, sport);
	put_be16(udp + 2, dport);
}

static inline void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint32_t seq,
			   uint32_t ack, uint8_t flags, uint16_t window)
{
	uint8_t *tcp;

	p->l4_off = p->len;
	tcp = pkt_put(p, TCP_HDR_LEN);
	put_be16(tcp, sport);
	put_be16(tcp + 2, dport);
	put_be32(tcp + 4, seq);
	put_be32(tcp + 8, ack);
	tcp[12] = (TCP_HDR_LEN / 4) << 4;
	tcp[13] = flags;
	put_be16(tcp + 14, window);
}

static inline void pkt_icmp_echo(struct pkt *p, uint16_t id, uint16_t seq)
{
	uint8_t *icmp;

	p->l4_off = p->len;
	icmp = pkt_put(p, ICMP_ECHO_HDR_LEN);
	icmp[0] = ICMP_TYPE_ECHO_REQUEST;
	icmp[1] = 0;
	put_be16(icmp + 4, id);
	put_be16(icmp + 6, seq);
}

/*
 * Any ICMP header: @rest is the 4 type-specific bytes (echo id and sequence,
 * or unused and next-hop MTU for "fragmentation needed"). What follows it
 * (echo data, the quote of an error) is appended by the caller.
 */
static inline void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint32_t rest)
{
	uint8_t *icmp;

	p->l4_off = p->len;
	icmp = pkt_put(p, ICMP_HDR_LEN);
	icmp[0] = type;
	icmp[1] = code;
	put_be32(icmp + ICMP_OFF_ID, rest);
}

/*
 * Close the IPv4 datagram that ends at the current end of the frame: total
 * length, UDP length and the transport and header checksums.
 */
static inline void pkt_ipv4_finish(struct pkt *p)
{
	uint8_t *iph = p->data + p->l3_off;
	size_t tot_len = p->len - p->l3_off;

	put_be16(iph + IP_OFF_TOT_LEN, (uint16_t)tot_len);
	if (p->l4_off) {
		uint8_t *l4 = p->data + p->l4_off;
		size_t l4_len = p->len - p->l4_off;
		int off = l4_check_off(iph[IP_OFF_PROTO]);

		if (iph[IP_OFF_PROTO] == IPPROTO_UDP)
			put_be16(l4 + UDP_OFF_LEN, (uint16_t)l4_len);
		if (off >= 0)
			put_be16(l4 + off, l4_csum_compute(iph, l4, l4_len));
	}
	ipv4_csum_set(iph);
}

static inline void pkt_arp(struct pkt *p, const struct arp_spec *s)
{
	uint8_t *arp;

	p->l3_off = p->len;
	arp = pkt_put(p, ARP_LEN);
	put_be16(arp + ARP_OFF_HRD, ARP_HRD_ETHER);
	put_be16(arp + ARP_OFF_PRO, ETH_P_IP);
	arp[ARP_OFF_HLN] = ETH_ALEN;
	arp[ARP_OFF_PLN] = ARP_PLN_IPV4;
	put_be16(arp + ARP_OFF_OP, s->op);
	memcpy(arp + ARP_OFF_SHA, s->sha, ETH_ALEN);
	put_be32(arp + ARP_OFF_SIP, s->sip);
	memcpy(arp + ARP_OFF_THA, s->tha, ETH_ALEN);
	put_be32(arp + ARP_OFF_TIP, s->tip);
}

#endif /* BPFNET_TESTS_PKTBUILD_H */
