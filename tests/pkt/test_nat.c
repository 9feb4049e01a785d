// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Packet tests of the datapath's NAT: published ports (DNAT), masquerade
 * (SNAT), hairpin, ICMP errors of translated flows, TCP conntrack states,
 * expired and stale conntrack entries, malformed packets and source port
 * exhaustion. Every step is one BPF_PROG_TEST_RUN of from_container or
 * from_uplink (see nat_harness.h) checked for its verdict, its exact output
 * frame, the checksums of that frame recomputed in full, the drop, global and
 * endpoint counter deltas, and the conntrack entries it left in ct4.
 *
 * The node: address 192.168.50.1 on the uplink nt-up; outside it 192.168.50.2
 * (neighbour entry: the FIB answers SUCCESS) and 192.168.50.3 (none:
 * NO_NEIGH, bpf_redirect_neigh). Containers A 10.1.0.2 and B 10.1.0.3 in a
 * masquerading network, C 10.2.0.2 in one routed as it is. Published:
 * 0.0.0.0:8080/tcp -> A:80, 0.0.0.0:5353/udp -> A:53, 192.168.50.1:8081/tcp
 * -> B:81, 0.0.0.0:8082/tcp -> C:82, 127.0.0.1:9090/tcp -> A:90.
 */
#include "nat_harness.h"

#define SNAT_RANGE (BPFNET_SNAT_PORT_MAX - BPFNET_SNAT_PORT_MIN + 1)
#define FILLER IP4(10, 1, 0, 200)	/* source of the flows that take up the port range */
#define FILLER_LIFETIME_S 3600
#define MTU_1400 1400
#define SLOW_FILL_NS (10 * NSEC_PER_SEC)

/* ---- new flows and their replies ---- */

static const struct nat_case nat_cases[] = {
	/* 1, 2: published ports, and the container's replies */
	{ "dnat: tcp to 0.0.0.0:8080 reaches 10.1.0.2:80, its reply leaves from 192.168.50.1:8080",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, NODE, 8080) }, .xl = T(TCP, REMOTE, 40000, IP_A, 80),
	  PUBLISHED(EP_A) },
	{ "dnat: tcp to 192.168.50.1:8081 (bound to the address) reaches 10.1.0.3:81",
	  UPLINK, { .t = T(TCP, REMOTE, 40001, NODE, 8081) }, .xl = T(TCP, REMOTE, 40001, IP_B, 81),
	  PUBLISHED(EP_B) },
	{ "dnat: udp to 0.0.0.0:5353 reaches 10.1.0.2:53",
	  UPLINK, { .t = T(UDP, REMOTE, 40002, NODE, 5353) }, .xl = T(UDP, REMOTE, 40002, IP_A, 53),
	  PUBLISHED(EP_A) },
	{ "dnat: into a network without masquerade, 0.0.0.0:8082 to 10.2.0.2:82",
	  UPLINK, { .t = T(TCP, REMOTE, 40003, NODE, 8082) }, .xl = T(TCP, REMOTE, 40003, IP_C, 82),
	  PUBLISHED(EP_C) },
	{ "dnat: client without neighbour entry, the reply leaves by redirect_neigh",
	  UPLINK, { .t = T(TCP, REMOTE_NN, 40004, NODE, 8080) },
	  .xl = T(TCP, REMOTE_NN, 40004, IP_A, 80), PUBLISHED(EP_A), .no_neigh = true },
	{ "dnat: 127.0.0.1:9090 is not used for 192.168.50.1:9090",
	  UPLINK, { .t = T(TCP, REMOTE, 40005, NODE, 9090) }, UNTOUCHED(TC_ACT_UNSPEC) },
	{ "dnat: 0.0.0.0:8080 is not used for 192.168.50.9, not a node address",
	  UPLINK, { .t = T(TCP, REMOTE, 40006, NOT_NODE, 8080) }, UNTOUCHED(TC_ACT_UNSPEC) },
	{ "dnat: 8080 is published for tcp only, udp to it is the node's",
	  UPLINK, { .t = T(UDP, REMOTE, 40007, NODE, 8080) }, UNTOUCHED(TC_ACT_UNSPEC) },
	{ "dnat: icmp echo to the node is the node's",
	  UPLINK, { .t = T(ICMP, REMOTE, 0x1234, NODE, 0) }, UNTOUCHED(TC_ACT_UNSPEC) },

	/* 3: masquerade, and the replies from outside */
	{ "snat: udp 10.1.0.2:5000 > 192.168.50.2:53 leaves from 192.168.50.1, a port of the range",
	  EP_A, { .t = T(UDP, IP_A, 5000, REMOTE, 53) }, .xl = T(UDP, NODE, 0, REMOTE, 53),
	  MASQUERADED },
	{ "snat: udp without checksum (0) keeps 0 both ways",
	  EP_A, { .t = T(UDP, IP_A, 5001, REMOTE, 53), .no_csum = true },
	  .xl = T(UDP, NODE, 0, REMOTE, 53), MASQUERADED },
	{ "snat: source port 40000, inside the range, is kept",
	  EP_A, { .t = T(UDP, IP_A, 40000, REMOTE, 53) }, .xl = T(UDP, NODE, 40000, REMOTE, 53),
	  MASQUERADED },
	{ "snat: tcp 10.1.0.2:5002 > 192.168.50.2:443",
	  EP_A, { .t = T(TCP, IP_A, 5002, REMOTE, 443) }, .xl = T(TCP, NODE, 0, REMOTE, 443),
	  MASQUERADED },
	{ "snat: icmp echo id 0x4242 gets an id of the range",
	  EP_A, { .t = T(ICMP, IP_A, 0x4242, REMOTE, 0) }, .xl = T(ICMP, NODE, 0, REMOTE, 0),
	  MASQUERADED },
	{ "snat: icmp echo id 40000, inside the range, is kept",
	  EP_A, { .t = T(ICMP, IP_A, 40000, REMOTE, 0) }, .xl = T(ICMP, NODE, 40000, REMOTE, 0),
	  MASQUERADED },
	{ "snat: ip options (ihl 6), the ports after them are translated",
	  EP_A, { .t = T(UDP, IP_A, 5003, REMOTE, 53), .ip_opts = true },
	  .xl = T(UDP, NODE, 0, REMOTE, 53), MASQUERADED },
	{ "snat: destination without neighbour entry, out by redirect_neigh",
	  EP_A, { .t = T(UDP, IP_A, 5004, REMOTE_NN, 53) }, .xl = T(UDP, NODE, 0, REMOTE_NN, 53),
	  MASQUERADED, .no_neigh = true },
	{ "snat: a network without masquerade: tracked untranslated, out through the FIB",
	  EP_C, { .t = T(UDP, IP_C, 5005, REMOTE, 53) }, .xl = T(UDP, IP_C, 5005, REMOTE, 53),
	  ROUTED_OUT },
	{ "snat: to the node address without a published port, the node's",
	  EP_A, { .t = T(UDP, IP_A, 5006, NODE, 9999) }, UNTOUCHED(TC_ACT_OK) },
	/* found by test_fuzz: the id of a reply is its "destination port", so masquerading it
	 * rewrote the id as the source port, the checksum updated from 0, not from the id */
	{ "snat: an icmp echo reply answering no flow starts none, untouched, the stack's",
	  EP_A, { .t = T(ICMP, IP_A, 0, REMOTE, 0x4500) }, UNTOUCHED(TC_ACT_OK) },
	{ "snat: without masquerade, an icmp echo reply answering no flow is not tracked",
	  EP_C, { .t = T(ICMP, IP_C, 0, REMOTE, 0x4500) }, UNTOUCHED(TC_ACT_OK) },

	/* 4: hairpin */
	{ "hairpin: 10.1.0.3:41000 > 192.168.50.1:8080 reaches 10.1.0.2:80 from 192.168.50.1:41000",
	  EP_B, { .t = T(TCP, IP_B, 41000, NODE, 8080) }, .xl = T(TCP, NODE, 41000, IP_A, 80),
	  HAIRPINNED(EP_A) },
	{ "hairpin: 10.1.0.2 reaches its own published port",
	  EP_A, { .t = T(TCP, IP_A, 42000, NODE, 8080) }, .xl = T(TCP, NODE, 42000, IP_A, 80),
	  HAIRPINNED(EP_A) },
	{ "hairpin: udp from port 5000, outside the range, gets a port of it",
	  EP_B, { .t = T(UDP, IP_B, 5000, NODE, 5353) }, .xl = T(UDP, NODE, 0, IP_A, 53),
	  HAIRPINNED(EP_A) },
	{ "hairpin: 10.1.0.2 to 192.168.50.1:8081 (bound to the address) reaches 10.1.0.3:81",
	  EP_A, { .t = T(TCP, IP_A, 42001, NODE, 8081) }, .xl = T(TCP, NODE, 42001, IP_B, 81),
	  HAIRPINNED(EP_B) },
	{ "hairpin: from a network without masquerade",
	  EP_C, { .t = T(TCP, IP_C, 43000, NODE, 8080) }, .xl = T(TCP, NODE, 43000, IP_A, 80),
	  HAIRPINNED(EP_A) },
};

static void run_nat_case(void **state)
{
	const struct nat_case *c = *state;
	struct seg s = first_seg(c);
	struct pkt in, out;
	struct tuple xl;
	int est = c->seg.t.proto == IPPROTO_TCP ? BPFNET_CT_SYN_SENT : BPFNET_CT_ESTABLISHED;

	at("%s: first packet", c->name);
	if (c->to == H_NONE) {	/* not ours to translate */
		frame_from(&in, c->from, &s);
		step(c->from, &in, &out, &(struct expect){ .verdict = c->verdict });
		expect_frame(&in, &out);
		expect_no_ct(&c->seg.t);
		return;
	}
	xl = open_flow(c, &in, &out);
	expect_flow_ct(&c->seg.t, &xl, c->flags, est);
	at("%s: reply", c->name);
	flow_step(c, &xl, true, TCP_FLAG_SYN | TCP_FLAG_ACK);
	expect_flow_ct(&c->seg.t, &xl, c->flags | F_SEEN, BPFNET_CT_ESTABLISHED);
}

/* ---- 5: ICMP errors ---- */

/*
 * An ICMP error about a packet of a flow: sent from outside (err_from
 * UPLINK) about a packet that left translated, or by a container about a
 * packet it received translated. The quote holds the packet as the erring
 * host saw it; translated, error and quote must read as if no NAT had been.
 */
struct icmp_err_case {
	const char *name;
	const struct nat_case *flow;	/* NULL: the quote is of no flow (.quote) */
	bool about_reply;		/* the quoted packet went in the reply direction */
	enum host_id err_from;
	uint32_t err_src;		/* source of an error from outside */
	uint8_t type, code;
	uint32_t rest;			/* "fragmentation needed": the next-hop MTU */
	struct tuple quote;
};

static const struct nat_case udp_snat_flow = {
	"udp 10.1.0.2:5000 > 192.168.50.2:53", EP_A, { .t = T(UDP, IP_A, 5000, REMOTE, 53) },
	.xl = T(UDP, NODE, 0, REMOTE, 53), MASQUERADED };
static const struct nat_case tcp_snat_flow = {
	"tcp 10.1.0.2:5002 > 192.168.50.2:443", EP_A, { .t = T(TCP, IP_A, 5002, REMOTE, 443) },
	.xl = T(TCP, NODE, 0, REMOTE, 443), MASQUERADED };
static const struct nat_case echo_snat_flow = {
	"icmp echo 10.1.0.2 > 192.168.50.2 id 0x4242", EP_A,
	{ .t = T(ICMP, IP_A, 0x4242, REMOTE, 0) }, .xl = T(ICMP, NODE, 0, REMOTE, 0), MASQUERADED };
static const struct nat_case tcp_dnat_flow = {
	"tcp 192.168.50.2:40000 > 0.0.0.0:8080", UPLINK, { .t = T(TCP, REMOTE, 40000, NODE, 8080) },
	.xl = T(TCP, REMOTE, 40000, IP_A, 80), PUBLISHED(EP_A) };
static const struct nat_case udp_hairpin_flow = {
	"udp 10.1.0.3:5000 > 192.168.50.1:5353", EP_B, { .t = T(UDP, IP_B, 5000, NODE, 5353) },
	.xl = T(UDP, NODE, 0, IP_A, 53), HAIRPINNED(EP_A) };
static const struct nat_case udp_dnat_flow = {
	"udp 192.168.50.2:40002 > 0.0.0.0:5353", UPLINK, { .t = T(UDP, REMOTE, 40002, NODE, 5353) },
	.xl = T(UDP, REMOTE, 40002, IP_A, 53), PUBLISHED(EP_A) };

#define FRAG_NEEDED .type = ICMP_TYPE_DEST_UNREACH, .code = ICMP_CODE_FRAG_NEEDED, .rest = MTU_1400
#define TIME_EXCEEDED .type = ICMP_TYPE_TIME_EXCEEDED, .code = 0
#define UNREACH(c) .type = ICMP_TYPE_DEST_UNREACH, .code = ICMP_CODE_##c

static const struct icmp_err_case icmp_err_cases[] = {
	{ "icmp error: frag needed (mtu 1400) for a masqueraded udp flow",
	  &udp_snat_flow, false, UPLINK, REMOTE, FRAG_NEEDED },
	{ "icmp error: time exceeded from a router for a masqueraded udp flow",
	  &udp_snat_flow, false, UPLINK, ROUTER, TIME_EXCEEDED },
	{ "icmp error: port unreachable for a masqueraded tcp flow",
	  &tcp_snat_flow, false, UPLINK, REMOTE, UNREACH(PORT_UNREACH) },
	{ "icmp error: time exceeded for a masqueraded icmp echo",
	  &echo_snat_flow, false, UPLINK, ROUTER, TIME_EXCEEDED },
	{ "icmp error: host unreachable for the reply of a published tcp port",
	  &tcp_dnat_flow, true, UPLINK, ROUTER, UNREACH(HOST_UNREACH) },
	{ "icmp error: frag needed for the reply of a published tcp port",
	  &tcp_dnat_flow, true, UPLINK, REMOTE, FRAG_NEEDED },
	{ "icmp error: port unreachable from a container for a published udp port",
	  &udp_dnat_flow, false, EP_A, 0, UNREACH(PORT_UNREACH) },
	{ "icmp error: port unreachable from a container for a masqueraded flow's reply",
	  &udp_snat_flow, true, EP_A, 0, UNREACH(PORT_UNREACH) },
	{ "icmp error: port unreachable from a container for a hairpinned udp flow",
	  &udp_hairpin_flow, false, EP_A, 0, UNREACH(PORT_UNREACH) },
	{ "icmp error: port unreachable from a container for a hairpinned flow's reply",
	  &udp_hairpin_flow, true, EP_B, 0, UNREACH(PORT_UNREACH) },
	{ "icmp error: about no known flow, from outside, the node's",
	  NULL, false, UPLINK, REMOTE, FRAG_NEEDED, .quote = T(UDP, NODE, 33333, REMOTE, 53) },
	{ "icmp error: about no known flow, from a container, the node's",
	  NULL, false, EP_A, 0, UNREACH(PORT_UNREACH), .quote = T(UDP, REMOTE, 53, IP_A, 5999) },
};

/* What an error quotes of the datagram @t: its IPv4 header and 8 bytes of L4. */
static void build_quote(struct pkt *q, const struct tuple *t)
{
	struct seg s = { .t = *t, .ttl = DEFAULT_TTL - 1 };

	if (t->proto == IPPROTO_TCP)
		s.tcp_flags = TCP_FLAG_ACK;
	pkt_init(q);
	build_ip(q, &s);
	q->len = IPV4_HDR_LEN + ICMP_QUOTE_L4_LEN;
}

/*
 * The quoted transport checksum (UDP bytes 6-7, ICMP 2-3; TCP's lies past
 * the 8 bytes) covers the whole original datagram, which the quote does not
 * hold: it cannot be verified, and the datapath leaves it as quoted.
 */
static void keep_quoted_l4_csum(struct pkt *want, const struct pkt *in, uint8_t proto)
{
	int off = proto == IPPROTO_TCP ? -1 : l4_check_off(proto);

	if (off >= 0)
		memcpy(want->data + IPV4_HDR_LEN + off, in->data + IPV4_HDR_LEN + off, 2);
}

static void build_icmp_error(struct pkt *p, const uint8_t *dst, const uint8_t *src,
			     uint32_t saddr, uint32_t daddr, uint8_t ttl,
			     const struct icmp_err_case *c, const struct pkt *quote)
{
	struct ipv4_spec ip = { .saddr = saddr, .daddr = daddr, .proto = IPPROTO_ICMP,
				.ttl = ttl, .id = IP_ID };

	pkt_init(p);
	pkt_eth(p, dst, src, ETH_P_IP);
	pkt_ipv4(p, &ip);
	pkt_icmp(p, c->type, c->code, c->rest);
	pkt_append(p, quote->data, quote->len);
	pkt_ipv4_finish(p);
}

static void run_icmp_err_case(void **state)
{
	const struct icmp_err_case *c = *state;
	const struct host *eh = &hosts[c->err_from];
	bool outward = c->err_from != UPLINK;
	struct pkt in, out, want, qin, qwant;
	struct tuple wire = c->quote, xl = c->quote;
	struct expect x = { .verdict = TC_ACT_REDIRECT };
	enum host_id to;

	if (c->flow) {
		struct bpfnet_ct_entry e;

		at("%s: the flow's first packet", c->name);
		open_flow(c->flow, &in, &out);
		e = ct_must_get(&c->flow->seg.t);
		wire = c->flow->seg.t;
		if (c->about_reply) {
			wire = tuple_of_key(&e.peer);
			e = ct_must_get(&wire);
		}
		xl = translate(&wire, &e);
	}
	at("%s", c->name);
	/*
	 * To the quoted packet's source, from a router on its way or (a
	 * container) its destination; translated, to the original source from
	 * the original destination, or from the same router.
	 */
	build_quote(&qin, &xl);
	build_icmp_error(&in, eh->host_mac, eh->mac, outward ? xl.daddr : c->err_src, xl.saddr,
			 DEFAULT_TTL, c, &qin);
	if (!c->flow) {
		step(c->err_from, &in, &out, &(struct expect){
			.verdict = outward ? TC_ACT_OK : TC_ACT_UNSPEC });
		expect_frame(&in, &out);
		return;
	}
	to = host_of_ip(wire.saddr);
	x.rx = to == UPLINK ? H_NONE : to;
	/* ICMP errors are tc's: XDP passes them on untouched */
	x.xdp_to_tc = c->err_from == UPLINK;
	x.global[BPFNET_G_ICMP_ERR_NAT] = 1;
	step(c->err_from, &in, &out, &x);
	build_quote(&qwant, &wire);
	keep_quoted_l4_csum(&qwant, &qin, wire.proto);
	build_icmp_error(&want, hosts[to].mac, hosts[to].host_mac,
			 outward ? wire.daddr : c->err_src, wire.saddr, DEFAULT_TTL - 1, c, &qwant);
	expect_frame(&want, &out);
	check_csums(&out);
}

/* ---- 6: TCP states ---- */

struct tcp_step {
	const char *name;
	bool reply;		/* sent by the responder */
	uint8_t tcp_flags;
	int state;
	uint8_t flags;		/* of the original entry, besides the flow's own */
};

struct tcp_seq {
	const char *name;
	const struct nat_case *flow;
	const struct tcp_step *steps;
	size_t n;
};

#define SYN TCP_FLAG_SYN
#define ACK TCP_FLAG_ACK
#define FIN TCP_FLAG_FIN
#define RST TCP_FLAG_RST

static const struct tcp_step client_closes[] = {
	{ "SYN", false, SYN, BPFNET_CT_SYN_SENT, 0 },
	{ "SYN retransmitted", false, SYN, BPFNET_CT_SYN_SENT, 0 },
	{ "SYN-ACK", true, SYN | ACK, BPFNET_CT_ESTABLISHED, F_SEEN },
	{ "ACK", false, ACK, BPFNET_CT_ESTABLISHED, F_SEEN },
	{ "FIN from the client", false, FIN | ACK, BPFNET_CT_FIN_WAIT, F_SEEN | F_FIN_O },
	{ "ACK of it", true, ACK, BPFNET_CT_FIN_WAIT, F_SEEN | F_FIN_O },
	{ "FIN from the server", true, FIN | ACK, BPFNET_CT_TIME_WAIT, F_SEEN | F_FIN_O | F_FIN_R },
	{ "last ACK", false, ACK, BPFNET_CT_TIME_WAIT, F_SEEN | F_FIN_O | F_FIN_R },
	{ "RST", false, RST, BPFNET_CT_CLOSE, F_SEEN | F_FIN_O | F_FIN_R },
	{ "new SYN on the closed tuple", false, SYN, BPFNET_CT_SYN_SENT, 0 },
};

static const struct tcp_step server_closes[] = {
	{ "SYN", false, SYN, BPFNET_CT_SYN_SENT, 0 },
	{ "SYN-ACK", true, SYN | ACK, BPFNET_CT_ESTABLISHED, F_SEEN },
	{ "FIN from the server", true, FIN | ACK, BPFNET_CT_FIN_WAIT, F_SEEN | F_FIN_R },
	{ "FIN from the client", false, FIN | ACK, BPFNET_CT_TIME_WAIT,
	  F_SEEN | F_FIN_O | F_FIN_R },
	{ "RST from the server", true, RST, BPFNET_CT_CLOSE, F_SEEN | F_FIN_O | F_FIN_R },
};

static const struct tcp_step reset_at_once[] = {
	{ "SYN", false, SYN, BPFNET_CT_SYN_SENT, 0 },
	{ "RST from the server", true, RST | ACK, BPFNET_CT_CLOSE, F_SEEN },
};

static const struct tcp_seq tcp_seqs[] = {
	{ "tcp states: published port, client closes", &tcp_dnat_flow, client_closes,
	  ARRAY_SIZE(client_closes) },
	{ "tcp states: masqueraded, server closes", &tcp_snat_flow, server_closes,
	  ARRAY_SIZE(server_closes) },
	{ "tcp states: masqueraded, refused", &tcp_snat_flow, reset_at_once,
	  ARRAY_SIZE(reset_at_once) },
};

/* The first step opens the flow (a SYN), every other one is a packet of it. */
static void run_tcp_seq(void **state)
{
	const struct tcp_seq *q = *state;
	const struct nat_case *c = q->flow;
	struct tuple xl = c->xl;
	struct pkt in, out;
	size_t i;

	for (i = 0; i < q->n; i++) {
		const struct tcp_step *s = &q->steps[i];

		at("%s: %s", q->name, s->name);
		if (i == 0)
			xl = open_flow(c, &in, &out);
		else
			flow_step(c, &xl, s->reply, s->tcp_flags);
		expect_flow_ct(&c->seg.t, &xl, c->flags | s->flags, s->state);
	}
}

/* ---- 7: expired and stale entries ---- */

/* The masqueraded UDP flow: its tuple, its translation, its reply as it comes from outside. */
struct udp_flow {
	struct tuple t, xl;
	struct pkt reply;
};

/* Is @port a published port of @proto in the topology (tests/pkt/topo.h)? */
static bool port_is_published(uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < ARRAY_SIZE(portmaps); i++)
		if (portmaps[i].proto == proto && portmaps[i].host_port == port)
			return true;
	return false;
}

/*
 * Masquerade picks the flow's source port at random: one that is also a
 * published port (40010/udp lies in the range) would make the stale tests'
 * untranslated reply a new published flow, rightly. Such a pick is opened
 * again, so the tests do not fail one run in some ten thousand.
 */
static void udp_flow_open(struct udp_flow *f)
{
	struct pkt in, out;
	struct seg r = {};

	at("%s: first packet", udp_snat_flow.name);
	f->t = udp_snat_flow.seg.t;
	f->xl = open_flow(&udp_snat_flow, &in, &out);
	while (port_is_published(IPPROTO_UDP, f->xl.sport)) {
		r.t = reverse(&f->xl);
		ct_del(&r.t);
		ct_del(&f->t);
		f->xl = open_flow(&udp_snat_flow, &in, &out);
	}
	r.t = reverse(&f->xl);
	frame_from(&f->reply, UPLINK, &r);
}

/* The reply arrives from outside and is left to the node, counting @counter. */
static void expect_reply_untranslated(const struct udp_flow *f, enum bpfnet_global_counter counter)
{
	struct expect x = { .verdict = TC_ACT_UNSPEC };
	struct pkt out;

	x.global[counter] = 1;
	step(UPLINK, &f->reply, &out, &x);
	expect_frame(&f->reply, &out);
}

static void test_expired_original_starts_a_new_flow(void **state)
{
	struct bpfnet_ct_entry old, now;
	struct expect x = { .verdict = TC_ACT_REDIRECT };
	struct udp_flow f;
	struct pkt in, out, want;
	struct seg s = udp_snat_flow.seg;
	struct tuple xl;

	(void)state;
	udp_flow_open(&f);
	ct_expire_flow(&f.t, &f.xl);
	old = ct_must_get(&f.t);

	at("expired flow: next packet of the original direction");
	x.global[BPFNET_G_CT_EXPIRED] = 1;
	x.global[BPFNET_G_CT_CREATED] = 1;
	x.global[BPFNET_G_SNAT] = 1;
	frame_from(&in, EP_A, &s);
	step(EP_A, &in, &out, &x);
	xl = f.xl;
	xl.sport = snat_port(&out, 0);
	s.t = xl;
	expected_out(&want, &in, &s, UPLINK, false);
	expect_frame(&want, &out);
	expect_flow_ct(&f.t, &xl, F_SNAT, BPFNET_CT_ESTABLISHED);
	now = ct_must_get(&f.t);
	if (now.created_ns <= old.created_ns)
		fail_msg("%s: ct4[%s]: created_ns: expected a new flow (after %llu), got %llu",
			 where, tuple_str(&f.t), (unsigned long long)old.created_ns,
			 (unsigned long long)now.created_ns);
	if (xl.sport != f.xl.sport) {
		struct tuple old_reply = reverse(&f.xl);

		expect_no_ct(&old_reply);
	}
}

static void test_expired_flow_reply_untranslated(void **state)
{
	struct udp_flow f;
	struct tuple r;

	(void)state;
	udp_flow_open(&f);
	ct_expire_flow(&f.t, &f.xl);
	at("expired flow: reply from outside");
	expect_reply_untranslated(&f, BPFNET_G_CT_EXPIRED);
	r = reverse(&f.xl);
	expect_no_ct(&f.t);
	expect_no_ct(&r);
}

/*
 * A reply whose original is gone (the LRU's doing) goes on to the container
 * it was made for until its own copy of the expiry runs out, not longer.
 */
static void test_orphan_reply_untranslated(void **state)
{
	struct udp_flow f;
	struct tuple r;

	(void)state;
	udp_flow_open(&f);
	ct_del(&f.t);
	at("original deleted: reply from outside, its own copy unexpired");
	flow_step(&udp_snat_flow, &f.xl, true, 0);
	r = reverse(&f.xl);
	ct_expire(&r);
	at("original deleted: reply from outside, its own copy expired");
	expect_reply_untranslated(&f, BPFNET_G_CT_EVICTED);
	r = reverse(&f.xl);
	expect_no_ct(&r);
}

static void test_reply_of_reused_original_untranslated(void **state)
{
	struct bpfnet_ct_entry e;
	struct udp_flow f;
	struct tuple r;

	(void)state;
	udp_flow_open(&f);
	/* the original now belongs to a flow with another reply tuple */
	e = ct_must_get(&f.t);
	e.peer.dport = htons(f.xl.sport == BPFNET_SNAT_PORT_MIN ? BPFNET_SNAT_PORT_MAX :
								BPFNET_SNAT_PORT_MIN);
	ct_put(&f.t, &e);
	r = reverse(&f.xl);
	ct_expire(&r);
	at("original pointing elsewhere: reply from outside, its own copy expired");
	expect_reply_untranslated(&f, BPFNET_G_CT_EVICTED);
	expect_no_ct(&r);
	ct_must_get(&f.t);
}

/*
 * Each direction keeps its own copy of the expiry, refreshed by its packets
 * alone (one lookup): the flow lives while either is unexpired. A reply
 * leaves the original's expired copy alone; the original direction's next
 * packet finds its copy expired, takes the reply's and goes on in the flow.
 */
static void test_one_copy_expired_flow_lives(void **state)
{
	struct expect x = { .verdict = TC_ACT_REDIRECT };
	struct seg s = udp_snat_flow.seg;
	struct pkt in, out, want;
	struct bpfnet_ct_entry o;
	struct udp_flow f;

	(void)state;
	udp_flow_open(&f);
	at("one copy expired: first reply (seen_reply, a change: both copies written)");
	flow_step(&udp_snat_flow, &f.xl, true, 0);
	expect_flow_ct(&f.t, &f.xl, F_SNAT | F_SEEN, BPFNET_CT_ESTABLISHED);
	ct_expire(&f.t);
	at("one copy expired: the original's, a reply goes on");
	flow_step(&udp_snat_flow, &f.xl, true, 0);
	o = ct_must_get(&f.t);
	if (o.expires_ns != 1)
		fail_msg("%s: ct4[%s]: a reply without a change of state wrote the original's "
			 "expiry (%llu)", where, tuple_str(&f.t), (unsigned long long)o.expires_ns);
	at("one copy expired: the original direction's next packet, in the same flow");
	frame_from(&in, EP_A, &s);
	step(EP_A, &in, &out, &x);	/* no ct_created, no ct_expired: the same flow */
	s.t = f.xl;
	expected_out(&want, &in, &s, UPLINK, false);
	expect_frame(&want, &out);
	expect_flow_ct(&f.t, &f.xl, F_SNAT | F_SEEN, BPFNET_CT_ESTABLISHED);
}

/*
 * A reply writes the original's copy only when it changes the state: its
 * SYN-ACK and its FIN do, its plain ACKs do not; the FIN of either side is
 * in both copies, so either direction's entry ends the flow alike.
 */
static void test_reply_writes_original_on_change(void **state)
{
	const struct nat_case *c = &tcp_dnat_flow;
	struct tuple r = reverse(&c->xl);
	struct bpfnet_ct_entry o;
	struct pkt in, out;
	__u64 mark;

	(void)state;
	at("state copies: SYN");
	open_flow(c, &in, &out);
	at("state copies: SYN-ACK, the original's copy established too");
	flow_step(c, &c->xl, true, TCP_FLAG_SYN | TCP_FLAG_ACK);
	expect_flow_ct(&c->seg.t, &c->xl, c->flags | F_SEEN, BPFNET_CT_ESTABLISHED);
	o = ct_must_get(&c->seg.t);
	mark = o.expires_ns - NSEC_PER_SEC;	/* still live, and told apart from a write */
	o.expires_ns = mark;
	ct_put(&c->seg.t, &o);
	at("state copies: the reply's ACK leaves the original's copy alone");
	flow_step(c, &c->xl, true, TCP_FLAG_ACK);
	if (ct_must_get(&c->seg.t).expires_ns != mark)
		fail_msg("%s: ct4[%s]: the original's expiry was written", where,
			 tuple_str(&c->seg.t));
	at("state copies: the reply's FIN is in both copies");
	flow_step(c, &c->xl, true, TCP_FLAG_FIN | TCP_FLAG_ACK);
	expect_flow_ct(&c->seg.t, &c->xl, c->flags | F_SEEN | BPFNET_CT_F_FIN_REPLY,
		       BPFNET_CT_FIN_WAIT);
	at("state copies: the client's FIN, time_wait in both");
	flow_step(c, &c->xl, false, TCP_FLAG_FIN | TCP_FLAG_ACK);
	expect_flow_ct(&c->seg.t, &c->xl,
		       c->flags | F_SEEN | BPFNET_CT_F_FIN_REPLY | BPFNET_CT_F_FIN_ORIG,
		       BPFNET_CT_TIME_WAIT);
	expect_ct(&r, &(struct ct_want){ .peer = c->seg.t, .state = BPFNET_CT_TIME_WAIT,
		  .flags = F_REPLY | F_SNAT | F_SEEN | BPFNET_CT_F_FIN_REPLY | BPFNET_CT_F_FIN_ORIG,
		  .nat = { 0, c->seg.t.daddr, c->seg.t.dport, 0, 0 },
		  .timeout_s = BPFNET_CT_TIMEOUT_TIME_WAIT });
}

/* ---- 8: malformed and hostile ---- */

struct bad_case {
	const char *name;
	enum host_id dev;
	struct seg seg;
	size_t l4_len;		/* the IPv4 total length covers this much L4 (0: all) */
	size_t pad_to;		/* Ethernet padding after the datagram */
	int verdict;
	enum bpfnet_drop_reason drop;
};

#define DROPPED(reason) .verdict = TC_ACT_SHOT, .drop = BPFNET_##reason

static const struct bad_case bad_cases[] = {
	{ "truncated: ip says tcp, 10 bytes of it",
	  EP_A, { .t = T(TCP, IP_A, 5000, REMOTE, 443) }, .l4_len = 10, DROPPED(DROP_TRUNCATED) },
	{ "truncated: ip says tcp, 10 bytes of it, frame padded to 60 bytes",
	  EP_A, { .t = T(TCP, IP_A, 5000, REMOTE, 443) }, .l4_len = 10, .pad_to = PKT_ETH_MIN_LEN,
	  DROPPED(DROP_TRUNCATED) },
	{ "truncated: ip says udp, 4 bytes of it",
	  EP_A, { .t = T(UDP, IP_A, 5000, REMOTE, 53) }, .l4_len = 4, DROPPED(DROP_TRUNCATED) },
	{ "truncated: ip says icmp, 4 bytes of it",
	  EP_A, { .t = T(ICMP, IP_A, 0x4242, REMOTE, 0) }, .l4_len = 4, DROPPED(DROP_TRUNCATED) },
	{ "truncated: tcp from outside to a published port of a node address is dropped",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, NODE, 8080) }, .l4_len = 10,
	  DROPPED(DROP_TRUNCATED) },
	{ "truncated: tcp from outside to an address not the node's is left to the stack",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, NOT_NODE, 8080) }, .l4_len = 10,
	  .verdict = TC_ACT_UNSPEC },
};

static void run_bad_case(void **state)
{
	const struct bad_case *c = *state;
	struct pkt in, out;

	at("%s", c->name);
	frame_from(&in, c->dev, &c->seg);
	if (c->l4_len) {
		uint8_t *iph = in.data + in.l3_off;
		size_t tot_len = ipv4_hdr_len(iph) + c->l4_len;

		put_be16(iph + IP_OFF_TOT_LEN, (uint16_t)tot_len);
		ipv4_csum_set(iph);
		in.len = in.l3_off + tot_len;
	}
	pkt_pad_to(&in, c->pad_to);
	step(c->dev, &in, &out, &(struct expect){ .verdict = c->verdict, .drop = c->drop });
	if (c->verdict != TC_ACT_SHOT)
		expect_frame(&in, &out);
	expect_no_ct(&c->seg.t);
}

/*
 * Every port of the SNAT range towards 192.168.50.2:53 taken by a live flow
 * (the one opened first, and fillers written here): a new flow there finds
 * none in its BPFNET_SNAT_TRIES tries, whatever its random start, and is
 * dropped; the flow that holds a port goes on, and other destinations work.
 */
static void test_snat_exhaustion(void **state)
{
	struct bpfnet_ct_key *keys = calloc(2 * SNAT_RANGE, sizeof(*keys));
	struct bpfnet_ct_entry *vals = calloc(2 * SNAT_RANGE, sizeof(*vals));
	uint64_t now = now_ns(), took;
	struct seg fresh = { .t = T(UDP, IP_A, 5001, REMOTE, 53) };
	struct seg other = { .t = T(UDP, IP_A, 5001, REMOTE, 54) };
	struct udp_flow f;
	struct pkt in, out, want;
	struct seg s;
	__u32 n = 0, port;
	struct expect x = { .verdict = TC_ACT_REDIRECT };

	(void)state;
	assert_non_null(keys);
	assert_non_null(vals);
	udp_flow_open(&f);
	for (port = BPFNET_SNAT_PORT_MIN; port <= BPFNET_SNAT_PORT_MAX; port++) {
		struct tuple o = T(UDP, FILLER, (uint16_t)port, REMOTE, 53);
		struct tuple r = T(UDP, REMOTE, 53, NODE, (uint16_t)port);
		struct bpfnet_ct_entry *ov = &vals[n], *rv = &vals[n + 1];

		if (port == f.xl.sport)
			continue;
		keys[n] = ct_key(&o);
		keys[n + 1] = ct_key(&r);
		ov->peer = keys[n + 1];
		ov->flags = F_SNAT;
		ov->nat_saddr = htonl(NODE);
		ov->nat_sport = htons((uint16_t)port);
		ov->state = BPFNET_CT_ESTABLISHED;
		ov->created_ns = now;
		ov->expires_ns = now + FILLER_LIFETIME_S * NSEC_PER_SEC;
		rv->peer = keys[n];
		rv->flags = F_REPLY | F_DNAT;
		rv->nat_daddr = htonl(FILLER);
		rv->nat_dport = htons((uint16_t)port);
		rv->created_ns = now;
		n += 2;
	}
	at("snat exhaustion: filling ct4");
	if (bpf_map_update_batch(bpf_map__fd(skel->maps.ct4), keys, vals, &n, NULL))
		fail_msg("%s: bpf_map_update_batch: %s (%u written)", where, strerror(errno), n);
	took = now_ns() - now;
	free(keys);
	free(vals);
	print_message("# snat exhaustion: %u entries written in %llu ms\n", n,
		      (unsigned long long)(took / 1000000));
	if (took > SLOW_FILL_NS)
		skip();

	at("snat exhaustion: new flow to the full destination");
	frame_from(&in, EP_A, &fresh);
	step(EP_A, &in, &out, &(struct expect){ DROPPED(DROP_SNAT_EXHAUSTED) });
	expect_no_ct(&fresh.t);

	at("snat exhaustion: the flow holding a port");
	s = udp_snat_flow.seg;
	frame_from(&in, EP_A, &s);
	step(EP_A, &in, &out, &x);
	s.t = f.xl;
	expected_out(&want, &in, &s, UPLINK, false);
	expect_frame(&want, &out);
	at("snat exhaustion: its reply");
	step(UPLINK, &f.reply, &out, &(struct expect){ .verdict = TC_ACT_REDIRECT, .rx = EP_A });
	s.t = reverse(&f.t);
	expected_out(&want, &f.reply, &s, EP_A, false);
	expect_frame(&want, &out);

	at("snat exhaustion: new flow to another destination");
	x.global[BPFNET_G_CT_CREATED] = 1;
	x.global[BPFNET_G_SNAT] = 1;
	frame_from(&in, EP_A, &other);
	step(EP_A, &in, &out, &x);
	snat_port(&out, 0);
}

/* Each direction's entry counts its packets and bytes (frame lengths), the first included. */
static void test_ct_counts(void **state)
{
	const struct nat_case *c = &tcp_dnat_flow;
	struct bpfnet_ct_entry o, r;
	struct seg s = { .t = c->xl, .tcp_flags = SYN | ACK };
	struct pkt in, out, syn;
	struct tuple rt = reverse(&c->xl);
	struct expect x = { .verdict = TC_ACT_REDIRECT };

	(void)state;
	at("ct counters: SYN");
	open_flow(c, &syn, &out);
	o = ct_must_get(&c->seg.t);
	r = ct_must_get(&rt);
	if (o.packets != 1 || o.bytes != syn.len)
		fail_msg("%s: original entry: expected 1 packet, %zu bytes, got %llu, %llu", where,
			 syn.len, (unsigned long long)o.packets, (unsigned long long)o.bytes);
	if (r.packets || r.bytes)
		fail_msg("%s: reply entry: expected 0 packets, 0 bytes, got %llu, %llu", where,
			 (unsigned long long)r.packets, (unsigned long long)r.bytes);

	at("ct counters: SYN-ACK");
	s.t = rt;
	frame_from(&in, EP_A, &s);
	step(EP_A, &in, &out, &x);
	r = ct_must_get(&rt);
	if (r.packets != 1 || r.bytes != in.len)
		fail_msg("%s: reply entry: expected 1 packet, %zu bytes, got %llu, %llu", where,
			 in.len, (unsigned long long)r.packets, (unsigned long long)r.bytes);

	at("ct counters: ACK");
	s.t = c->seg.t;
	s.tcp_flags = ACK;
	frame_from(&in, UPLINK, &s);
	x.rx = EP_A;
	step(UPLINK, &in, &out, &x);
	o = ct_must_get(&c->seg.t);
	if (o.packets != 2 || o.bytes != syn.len + in.len)
		fail_msg("%s: original entry: expected 2 packets, %zu bytes, got %llu, %llu", where,
			 syn.len + in.len, (unsigned long long)o.packets,
			 (unsigned long long)o.bytes);
}

/* ---- flows that must not disturb each other ---- */

static const struct nat_case udp_dnat_in_range_flow = {
	"udp 192.168.50.2:53 > 0.0.0.0:40010", UPLINK, { .t = T(UDP, REMOTE, 53, NODE, 40010) },
	.xl = T(UDP, REMOTE, 53, IP_B, 53), PUBLISHED(EP_B) };

/* The published flow @c goes on: its entries and its next packet from outside. */
static void expect_published_flow_intact(const struct nat_case *c, int state)
{
	expect_flow_ct(&c->seg.t, &c->xl, c->flags, state);
	at("%s: its next packet", c->name);
	flow_step(c, &c->xl, false, 0);
}

/*
 * 192.168.50.2:53 talks to the published 192.168.50.1:40010 (inside the SNAT
 * range), then container A masquerades from port 40010 to 192.168.50.2:53:
 * the reply tuple it would take is the published flow's original; it must get
 * another port and leave the published flow alone.
 */
static void test_snat_spares_published_flow(void **state)
{
	const struct nat_case *pub = &udp_dnat_in_range_flow;
	struct seg s = { .t = T(UDP, IP_A, 40010, REMOTE, 53) };
	struct expect x = { .verdict = TC_ACT_REDIRECT };
	struct pkt in, out;
	uint16_t port;

	(void)state;
	at("%s: first packet", pub->name);
	open_flow(pub, &in, &out);
	at("masquerade from port 40010 to 192.168.50.2:53");
	x.global[BPFNET_G_CT_CREATED] = 1;
	x.global[BPFNET_G_SNAT] = 1;
	frame_from(&in, EP_A, &s);
	step(EP_A, &in, &out, &x);
	port = snat_port(&out, 0);
	at("masquerade from port 40010 to 192.168.50.2:53, then the published flow");
	expect_published_flow_intact(pub, BPFNET_CT_ESTABLISHED);
	if (port == 40010)
		fail_msg("%s: translated source port: expected any but 40010, the published "
			 "flow's, got it", where);
}

/*
 * One client port to two published ports of the same container port
 * (0.0.0.0:8080 and 0.0.0.0:8090 both lead to 10.1.0.2:80): both flows have
 * the reply tuple 10.1.0.2:80 > 192.168.50.2:40000. Whatever becomes of the
 * second, the first must go on, its replies leaving from 192.168.50.1:8080.
 */
static void test_dnat_spares_flow_with_same_reply(void **state)
{
	const struct nat_case *first = &tcp_dnat_flow;
	struct seg s = { .t = T(TCP, REMOTE, 40000, NODE, 8090), .tcp_flags = SYN };
	struct pkt in, out;

	(void)state;
	at("%s: first packet", first->name);
	open_flow(first, &in, &out);
	at("second flow 192.168.50.2:40000 > 192.168.50.1:8090");
	frame_from(&in, UPLINK, &s);
	run_frame(UPLINK, &in, &out);
	at("second flow, then the first's entries");
	expect_flow_ct(&first->seg.t, &first->xl, first->flags, BPFNET_CT_SYN_SENT);
	at("second flow, then the first's SYN-ACK");
	flow_step(first, &first->xl, true, SYN | ACK);
}

/*
 * The uplink routes the container subnets: a host outside may reach a
 * container by its own address, untranslated, where the network's gateway
 * mode is nat-unprotected (test_security has what each mode lets in). The
 * flow is tracked without translation, so that the container's answer leaves
 * as it is (out through the FIB) rather than masqueraded as a flow of its own.
 */
struct routed_case {
	const char *name;
	struct seg seg;		/* from outside to the container */
	enum host_id ep;
	bool tracked;
};

static const struct routed_case routed_cases[] = {
	{ "routed in: tcp to 10.1.0.2 is tracked, the answer leaves unmasqueraded",
	  { .t = T(TCP, REMOTE, 40000, IP_A, 80) }, EP_A, true },
	{ "routed in: icmp echo to 10.1.0.2 is tracked, the reply leaves unmasqueraded",
	  { .t = T(ICMP, REMOTE, 0x0777, IP_A, 0) }, EP_A, true },
	{ "routed in: tcp to 10.2.0.2 (no masquerade) is tracked too, the answer leaves as it is",
	  { .t = T(TCP, REMOTE, 40000, IP_C, 82) }, EP_C, true },
};

static void run_routed_case(void **state)
{
	const struct routed_case *c = *state;
	bool tcp = c->seg.t.proto == IPPROTO_TCP;
	struct seg s = c->seg;
	struct expect x = { .verdict = TC_ACT_REDIRECT, .rx = c->ep };
	struct pkt in, out, want;
	int est = tcp ? BPFNET_CT_SYN_SENT : BPFNET_CT_ESTABLISHED;

	set_net_flags(hosts[c->ep].net_id, BPFNET_NET_F_UNPROTECTED);
	at("%s: from outside", c->name);
	s.tcp_flags = tcp ? SYN : 0;
	x.global[BPFNET_G_CT_CREATED] = c->tracked;
	frame_from(&in, UPLINK, &s);
	step(UPLINK, &in, &out, &x);
	expected_out(&want, &in, &s, c->ep, false);
	expect_frame(&want, &out);
	check_csums(&out);
	if (c->tracked)
		expect_flow_ct(&c->seg.t, &c->seg.t, 0, est);
	else
		expect_no_ct(&c->seg.t);

	at("%s: the container's answer", c->name);
	s.t = reverse(&c->seg.t);
	s.tcp_flags = tcp ? SYN | ACK : 0;
	frame_from(&in, c->ep, &s);
	step(c->ep, &in, &out, &(struct expect){
		.verdict = c->tracked ? TC_ACT_REDIRECT : TC_ACT_OK });
	if (!c->tracked) {
		expect_frame(&in, &out);
		expect_no_ct(&s.t);
		return;
	}
	expected_out(&want, &in, &s, UPLINK, false);
	expect_frame(&want, &out);
	check_csums(&out);
	expect_flow_ct(&c->seg.t, &c->seg.t, F_SEEN, BPFNET_CT_ESTABLISHED);
}

/*
 * A packet routed in from outside straight to a container's address, with
 * the reverse tuple of what the container holds of a translated flow (the
 * original of a masqueraded flow, the reply of a published one): its fate is
 * open, but it must not take over the flow, which goes on translated. The
 * network is nat-unprotected, the mode that lets most in.
 */
static const struct nat_case *const routed_victims[] = { &udp_snat_flow, &tcp_dnat_flow };

static void run_routed_collision(void **state)
{
	const struct nat_case *c = *state;
	struct seg r = { .tcp_flags = ACK };
	struct pkt in, out;
	struct tuple xl;

	set_net_flags(NET1, BPFNET_NET_F_UNPROTECTED);
	at("%s: first packet", c->name);
	xl = open_flow(c, &in, &out);
	/* the container's side of the flow, reversed */
	r.t = c->from == UPLINK ? xl : reverse(&c->seg.t);
	at("%s, then %s routed in", c->name, tuple_str(&r.t));
	frame_from(&in, UPLINK, &r);
	run_frame(UPLINK, &in, &out);
	expect_flow_ct(&c->seg.t, &xl, c->flags, c->seg.t.proto == IPPROTO_TCP ?
			BPFNET_CT_SYN_SENT : BPFNET_CT_ESTABLISHED);
	at("%s, after %s routed in: original direction", c->name, tuple_str(&r.t));
	flow_step(c, &xl, false, ACK);
	at("%s, after %s routed in: reply", c->name, tuple_str(&r.t));
	flow_step(c, &xl, true, ACK);
}

/* ---- drops counted against the endpoint they concern ---- */

/*
 * A packet of a published flow that cannot be delivered (TTL 1 after the
 * DNAT) is dropped and counted against the container it was for, although
 * it came in on the uplink addressed to the node.
 */
static void test_published_drop_charged(void **state)
{
	const struct nat_case *c = &tcp_dnat_flow;
	struct seg s = c->seg;
	struct pkt in, out;

	(void)state;
	at("%s: first packet", c->name);
	open_flow(c, &in, &out);
	at("%s: ttl 1", c->name);
	s.ttl = 1;
	s.tcp_flags = TCP_FLAG_ACK;
	frame_from(&in, UPLINK, &s);
	step(UPLINK, &in, &out, &(struct expect){ .verdict = TC_ACT_SHOT,
		.drop = BPFNET_DROP_TTL_EXCEEDED, .charged = EP_A });
}

/* ---- main ---- */

/* ---- services: a published port leads where its service's backends say ---- */

#define SVC_ID 100		/* services of these tests: ids the seeded ports never use */
#define SVC_PORT 8070		/* their frontends, 0.0.0.0:8070.. */

static struct bpfnet_portmap_key svc_frontend_key(uint16_t port)
{
	return (struct bpfnet_portmap_key){ .host_port = htons(port), .proto = IPPROTO_TCP };
}

/* 0.0.0.0:@port/tcp names service @id, of @count backends. */
static void svc_frontend_put(uint16_t port, uint32_t id, uint16_t count)
{
	struct bpfnet_portmap_key k = svc_frontend_key(port);
	struct bpfnet_portmap_val v = { .svc_id = id, .count = count };

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.portmap4), &k, &v, BPF_ANY))
		fail_msg("%s: cannot write frontend :%u", where, port);
	/* and the uplink's early check, as every publish writes it */
	if (topo_seed_node_ports())
		fail_msg("%s: cannot write node_ports for :%u", where, port);
}

static void svc_backend_put(uint32_t id, uint16_t slot, uint32_t ip, uint16_t port)
{
	struct bpfnet_backend_key k = { .svc_id = id, .slot = slot };
	struct bpfnet_backend v = { .ep_ip = htonl(ip), .ep_port = htons(port) };

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.backends4), &k, &v, BPF_ANY))
		fail_msg("%s: cannot write backend %u/%u", where, id, slot);
}

/* The service of 0.0.0.0:@port/tcp and its first @slots backend slots gone. */
static void svc_remove(uint16_t port, uint32_t id, uint16_t slots)
{
	struct bpfnet_portmap_key k = svc_frontend_key(port);

	bpf_map_delete_elem(bpf_map__fd(skel->maps.portmap4), &k);
	for (uint16_t slot = 0; slot < slots; slot++) {
		struct bpfnet_backend_key bk = { .svc_id = id, .slot = slot };

		bpf_map_delete_elem(bpf_map__fd(skel->maps.backends4), &bk);
	}
}

/*
 * The frontend names a service, not a container: a new backend for it takes
 * the next new flow there, while conntrack keeps the flows already made on
 * the backend they started with.
 */
static void test_svc_backend_decides(void **state)
{
	const struct nat_case first = {
		"service: its backend 10.2.0.2:82", UPLINK,
		{ .t = T(TCP, REMOTE, 40100, NODE, SVC_PORT) },
		.xl = T(TCP, REMOTE, 40100, IP_C, 82), PUBLISHED(EP_C) };
	const struct nat_case second = {
		"service: its backend now 10.1.0.2:80", UPLINK,
		{ .t = T(TCP, REMOTE, 40101, NODE, SVC_PORT) },
		.xl = T(TCP, REMOTE, 40101, IP_A, 80), PUBLISHED(EP_A) };
	struct pkt in, out;

	(void)state;
	at("%s: setup", first.name);
	svc_frontend_put(SVC_PORT, SVC_ID, 1);
	svc_backend_put(SVC_ID, 0, IP_C, 82);
	at("%s: first packet", first.name);
	open_flow(&first, &in, &out);
	at("%s: reply", first.name);
	flow_step(&first, &first.xl, true, TCP_FLAG_SYN | TCP_FLAG_ACK);
	svc_backend_put(SVC_ID, 0, IP_A, 80);
	at("%s: first packet", second.name);
	open_flow(&second, &in, &out);
	expect_flow_ct(&second.seg.t, &second.xl, second.flags, BPFNET_CT_SYN_SENT);
	at("%s: the earlier flow's next packet stays with 10.2.0.2:82", first.name);
	flow_step(&first, &first.xl, false, TCP_FLAG_ACK);
	svc_remove(SVC_PORT, SVC_ID, 1);
}

/* ---- node_ports: the uplink's early check ---- */

#define EARLY_PORT (SVC_PORT + 3)	/* a frontend these tests write, node_ports or not */

/*
 * A frontend :@port of service @svc (backend IP_C:82) written into portmap4
 * behind node_ports' back: the first packet @s of a flow to it passes
 * untouched and starts nothing, which shows neither ct4 nor portmap4 was asked.
 */
static void frontend_untold(uint16_t port, uint32_t svc, const struct seg *s)
{
	struct bpfnet_portmap_key k = svc_frontend_key(port);
	struct bpfnet_portmap_val v = { .svc_id = svc, .count = 1 };
	struct pkt in, out;

	svc_backend_put(svc, 0, IP_C, 82);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.portmap4), &k, &v, BPF_ANY))
		fail_msg("%s: cannot write frontend :%u", where, port);
	frame_from(&in, UPLINK, s);
	step(UPLINK, &in, &out, &(struct expect){ .verdict = TC_ACT_UNSPEC });
	expect_no_ct(&s->t);
}

/*
 * The early check alone decides for a node address: with a frontend in
 * portmap4 that node_ports was not told of (no command leaves that), the
 * first packet passes to the node untouched and starts nothing, so neither
 * conntrack nor portmap4 was asked. Once node_ports is written, the same
 * port is DNATed; with no entry for the address, it is too (a missing entry
 * only means "look further").
 */
static void test_node_ports_decides(void **state)
{
	const struct nat_case told = {
		"early check: a port node_ports has is published", UPLINK,
		{ .t = T(TCP, REMOTE, 40121, NODE, EARLY_PORT) },
		.xl = T(TCP, REMOTE, 40121, IP_C, 82), PUBLISHED(EP_C) };
	const struct nat_case unknown = {
		"early check: no entry for the address, the long way", UPLINK,
		{ .t = T(TCP, REMOTE, 40122, NODE, EARLY_PORT) },
		.xl = T(TCP, REMOTE, 40122, IP_C, 82), PUBLISHED(EP_C) };
	struct seg s = { .t = T(TCP, REMOTE, 40120, NODE, EARLY_PORT), .tcp_flags = TCP_FLAG_SYN };
	__be32 node = htonl(NODE);
	struct pkt in, out;

	(void)state;
	at("early check: a frontend node_ports was not told of");
	frontend_untold(EARLY_PORT, SVC_ID + 3, &s);
	at("%s", told.name);
	if (topo_seed_node_ports())
		fail_msg("%s: cannot write node_ports", where);
	open_flow(&told, &in, &out);
	at("%s", unknown.name);
	if (bpf_map_delete_elem(bpf_map__fd(skel->maps.node_ports), &node))
		fail_msg("%s: no node_ports entry for the node address", where);
	open_flow(&unknown, &in, &out);
	svc_remove(EARLY_PORT, SVC_ID + 3, 1);
	if (topo_seed_node_ports())
		fail_msg("%s: cannot write node_ports", where);
}

#define EARLY_RANGE_PORT (BPFNET_SNAT_PORT_MIN + 7)	/* a frontend in the masquerade range */

/*
 * A port in the masquerade range that node_ports says no address publishes
 * can only be a flow's: with a frontend in portmap4 that node_ports was not
 * told of, the first packet passes untouched and starts nothing (portmap4 was
 * not asked), while a masquerade reply of the same range is still
 * translated. Once node_ports has the port, it is DNATed.
 */
static void test_node_ports_flow_only(void **state)
{
	const struct nat_case told = {
		"early check: a published port in the masquerade range", UPLINK,
		{ .t = T(TCP, REMOTE, 40131, NODE, EARLY_RANGE_PORT) },
		.xl = T(TCP, REMOTE, 40131, IP_C, 82), PUBLISHED(EP_C) };
	struct seg s = { .t = T(TCP, REMOTE, 40130, NODE, EARLY_RANGE_PORT),
			 .tcp_flags = TCP_FLAG_SYN };
	struct pkt in, out;

	(void)state;
	at("early check: an unpublished port in the masquerade range, a frontend not told of");
	frontend_untold(EARLY_RANGE_PORT, SVC_ID + 4, &s);
	at("%s", told.name);
	if (topo_seed_node_ports())
		fail_msg("%s: cannot write node_ports", where);
	open_flow(&told, &in, &out);
	svc_remove(EARLY_RANGE_PORT, SVC_ID + 4, 1);
	if (topo_seed_node_ports())
		fail_msg("%s: cannot write node_ports", where);
}

static bool node_port_bit(const struct bpfnet_node_ports *np, uint8_t proto, uint16_t port)
{
	return np->bits[proto == IPPROTO_UDP][port / 64] & (1ULL << (port % 64));
}

/*
 * What the control plane's writer makes of the topology: every node address
 * (127.0.0.1 too) gets every published (proto, port), wherever it is
 * published; no other address, a container's least, has an entry.
 */
static void test_node_ports_written(void **state)
{
	int fd = bpf_map__fd(skel->maps.node_ports);
	static struct bpfnet_node_ports np;
	const uint32_t addrs[] = { NODE, LOOPBACK };
	__be32 other[] = { htonl(NOT_NODE), htonl(IP_A), htonl(GW1) };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		__be32 a = htonl(addrs[i]);

		at("node_ports of %08x", addrs[i]);
		if (bpf_map_lookup_elem(fd, &a, &np))
			fail_msg("%s: no entry", where);
		for (size_t p = 0; p < ARRAY_SIZE(portmaps); p++)
			if (!node_port_bit(&np, portmaps[p].proto, portmaps[p].host_port))
				fail_msg("%s: no bit for published %u/%u", where, portmaps[p].host_port,
					 portmaps[p].proto);
		if (node_port_bit(&np, IPPROTO_UDP, 8080) || node_port_bit(&np, IPPROTO_TCP, 5353) ||
		    node_port_bit(&np, IPPROTO_TCP, 22))
			fail_msg("%s: a bit for a port published for no proto of it", where);
	}
	for (size_t i = 0; i < ARRAY_SIZE(other); i++)
		if (!bpf_map_lookup_elem(fd, &other[i], &np))
			fail_msg("node_ports: an entry for %08x, no node address", ntohl(other[i]));
}

/* A published port whose service has no backend: its new flows are dropped, and counted. */
struct svc_drop_case {
	const char *name;
	enum host_id from;
	struct tuple t;
	uint16_t count;		/* the frontend's */
	bool backend;		/* a backend in slot 1 (never slot 0: count 1 picks slot 0) */
};

static const struct svc_drop_case svc_drop_cases[] = {
	{ "service: count 0, from outside: dropped as no_backend", UPLINK,
	  T(TCP, REMOTE, 40110, NODE, SVC_PORT + 1), 0, true },
	{ "service: slot 0's backend missing, from outside: dropped as no_backend", UPLINK,
	  T(TCP, REMOTE, 40111, NODE, SVC_PORT + 1), 1, true },
	{ "service: no backend at all, from outside: dropped as no_backend", UPLINK,
	  T(TCP, REMOTE, 40112, NODE, SVC_PORT + 1), 1, false },
	{ "service: count 0, hairpin from a container: dropped as no_backend", EP_B,
	  T(TCP, IP_B, 40113, NODE, SVC_PORT + 1), 0, true },
	{ "service: slot 0's backend missing, hairpin: dropped as no_backend", EP_B,
	  T(TCP, IP_B, 40114, NODE, SVC_PORT + 1), 1, true },
};

static void run_svc_drop_case(void **state)
{
	const struct svc_drop_case *c = *state;
	struct seg s = { .t = c->t, .tcp_flags = TCP_FLAG_SYN };
	struct pkt in, out;

	at("%s", c->name);
	svc_frontend_put(c->t.dport, SVC_ID + 1, c->count);
	if (c->backend)
		svc_backend_put(SVC_ID + 1, 1, IP_A, 80);
	frame_from(&in, c->from, &s);
	step(c->from, &in, &out, &(struct expect){ .verdict = TC_ACT_SHOT,
						    .drop = BPFNET_DROP_NO_BACKEND });
	expect_no_ct(&c->t);
	svc_remove(c->t.dport, SVC_ID + 1, 2);
}

/* Where the first packet of @t to a service of several backends went: its destination. */
static uint32_t svc_first_packet_to(const struct tuple *t)
{
	struct seg s = { .t = *t, .tcp_flags = TCP_FLAG_SYN };
	struct pkt in, out;
	int verdict;

	frame_from(&in, UPLINK, &s);
	verdict = run_frame(UPLINK, &in, &out);
	check_run_verdict(UPLINK, TC_ACT_REDIRECT, verdict);
	check_csums(&out);
	return get_be32(out.data + out.l3_off + IP_OFF_DADDR);
}

/*
 * The slot a new flow takes is its hash modulo the count: with two backends,
 * flows from different client ports go to both, and each flow's packets stay
 * with the backend its first one took (here: the same first packet again,
 * its conntrack entry gone, picks the same slot).
 */
static void test_svc_slots(void **state)
{
	unsigned int hits[2] = { 0, 0 };

	(void)state;
	at("service of two backends: setup");
	svc_frontend_put(SVC_PORT + 2, SVC_ID + 2, 2);
	svc_backend_put(SVC_ID + 2, 0, IP_A, 80);
	svc_backend_put(SVC_ID + 2, 1, IP_C, 82);
	for (uint16_t i = 0; i < 32; i++) {
		struct tuple t = T(TCP, REMOTE, 41000 + i, NODE, SVC_PORT + 2);
		uint32_t to, again;

		at("service of two backends: flow from port %u", t.sport);
		to = svc_first_packet_to(&t);
		if (to != IP_A && to != IP_C)
			fail_msg("%s: sent to %s, not to a backend", where, ip_str(to));
		hits[to == IP_C]++;
		ct_clear();
		again = svc_first_packet_to(&t);
		if (again != to)
			fail_msg("%s: the same flow again went to %s, first to %s", where,
				 ip_str(again), ip_str(to));
		ct_clear();
	}
	if (!hits[0] || !hits[1])
		fail_msg("service of two backends: 32 flows went to slot 0 %u times, slot 1 %u: "
			 "expected both", hits[0], hits[1]);
	svc_remove(SVC_PORT + 2, SVC_ID + 2, 2);
}

/*
 * Does the uplink path of @c, published port or reply of a translated flow,
 * run through xdp_from_uplink? Not a reply to a container's own address:
 * that is routed in, which only from_uplink does.
 */
static bool on_xdp_path(const struct nat_case *c)
{
	return c->from == UPLINK || (c->to == UPLINK && (c->flags & F_SNAT));
}

/*
 * A published port's SYN whose TCP checksum is only the pseudo header's, as
 * a veth hands over its peer's offloaded frames: XDP cannot complete it, so
 * it passes the frame untouched, and tc (whose skb knows) translates it.
 */
static void test_xdp_partial_csum_to_tc(void **state)
{
	const struct nat_case *c = &nat_cases[0];	/* tcp to 0.0.0.0:8080, published */
	struct seg s = first_seg(c);
	struct pkt in, out;
	uint8_t *iph, *l4;
	uint32_t sum = 0;
	size_t l4_len;

	(void)state;
	at("partial checksum: a SYN to a published port");
	frame_from(&in, UPLINK, &s);
	iph = in.data + in.l3_off;
	l4 = in.data + in.l4_off;
	l4_len = get_be16(iph + IP_OFF_TOT_LEN) - ipv4_hdr_len(iph);
	for (size_t i = 0; i < 8; i += 2)	/* saddr, daddr */
		sum += get_be16(iph + IP_OFF_SADDR + i);
	sum += IPPROTO_TCP + l4_len;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	put_be16(l4 + l4_check_off(IPPROTO_TCP), (uint16_t)sum);
	assert_int_equal(xdp_test_run(where, xdp_skel->progs.xdp_from_uplink,
				      hosts[UPLINK].ifindex, &in, &out), XDP_PASS);
	expect_frame(&in, &out);
}

/* The cases of the uplink's published-port path again, under XDP. */
static void add_xdp_tests(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nat_cases); i++)
		if (on_xdp_path(&nat_cases[i]))
			add_test_xdp(nat_cases[i].name, run_nat_case, &nat_cases[i]);
	for (i = 0; i < ARRAY_SIZE(icmp_err_cases); i++)
		if (icmp_err_cases[i].err_from == UPLINK ||
		    (icmp_err_cases[i].flow && on_xdp_path(icmp_err_cases[i].flow)))
			add_test_xdp(icmp_err_cases[i].name, run_icmp_err_case, &icmp_err_cases[i]);
	for (i = 0; i < ARRAY_SIZE(tcp_seqs); i++)
		add_test_xdp(tcp_seqs[i].name, run_tcp_seq, &tcp_seqs[i]);
	/* an endpoint whose veth takes no XDP frames: XDP leaves each of its frames to tc */
	for (i = 0; i < ARRAY_SIZE(nat_cases); i++)
		if (on_xdp_path(&nat_cases[i]))
			add_test_xdp_not_ready(nat_cases[i].name, run_nat_case, &nat_cases[i]);
	add_test_xdp("a partial checksum (CHECKSUM_PARTIAL from a veth) is left to tc",
		     test_xdp_partial_csum_to_tc, NULL);
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++)
		if (bad_cases[i].dev == UPLINK)
			add_test_xdp(bad_cases[i].name, run_bad_case, &bad_cases[i]);
	add_test_xdp("service: the backend, not the frontend, says where new flows go",
		     test_svc_backend_decides, NULL);
	for (i = 0; i < ARRAY_SIZE(svc_drop_cases); i++)
		if (svc_drop_cases[i].from == UPLINK)
			add_test_xdp(svc_drop_cases[i].name, run_svc_drop_case, &svc_drop_cases[i]);
	add_test_xdp("service: of two backends, each flow's hash picks one, both are used",
		     test_svc_slots, NULL);
	add_test_xdp("drop: a published flow's packet with ttl 1, counted against its container",
		     test_published_drop_charged, NULL);
	add_test_xdp("early check: node_ports alone decides for a node address",
		     test_node_ports_decides, NULL);
	add_test_xdp("early check: in the masquerade range, only a flow claims an unpublished port",
		     test_node_ports_flow_only, NULL);
	add_test_xdp("stale: expired flow, its reply is not translated",
		     test_expired_flow_reply_untranslated, NULL);
	add_test_xdp("stale: original deleted, its reply untranslated once its own copy expired",
		     test_orphan_reply_untranslated, NULL);
	add_test_xdp("stale: original pointing to another reply, this one untranslated "
		     "once expired",
		     test_reply_of_reused_original_untranslated, NULL);
	add_test_xdp("state copies: one direction's copy expired, the flow lives",
		     test_one_copy_expired_flow_lives, NULL);
}

int main(void)
{
	size_t i;

	if (nat_setup_netns())
		return 1;
	for (i = 0; i < ARRAY_SIZE(nat_cases); i++)
		add_test(nat_cases[i].name, run_nat_case, &nat_cases[i]);
	for (i = 0; i < ARRAY_SIZE(icmp_err_cases); i++)
		add_test(icmp_err_cases[i].name, run_icmp_err_case, &icmp_err_cases[i]);
	for (i = 0; i < ARRAY_SIZE(tcp_seqs); i++)
		add_test(tcp_seqs[i].name, run_tcp_seq, &tcp_seqs[i]);
	add_test("ct counters: packets and bytes of each direction", test_ct_counts, NULL);
	add_test("collision: masquerade spares the tuple of a published flow in the port range",
		 test_snat_spares_published_flow, NULL);
	add_test("collision: a published flow spares another with the same reply tuple",
		 test_dnat_spares_flow_with_same_reply, NULL);
	add_test("collision: routed in, the reverse of a masqueraded flow spares it",
		 run_routed_collision, routed_victims[0]);
	add_test("collision: routed in, the reverse of a published flow's reply spares it",
		 run_routed_collision, routed_victims[1]);
	for (i = 0; i < ARRAY_SIZE(routed_cases); i++)
		add_test(routed_cases[i].name, run_routed_case, &routed_cases[i]);
	add_test("stale: expired flow, the next packet starts a new flow",
		 test_expired_original_starts_a_new_flow, NULL);
	add_test("stale: expired flow, its reply is not translated",
		 test_expired_flow_reply_untranslated, NULL);
	add_test("stale: original deleted, its reply untranslated once its own copy expired",
		 test_orphan_reply_untranslated, NULL);
	add_test("stale: original pointing to another reply, this one untranslated once expired",
		 test_reply_of_reused_original_untranslated, NULL);
	add_test("state copies: one direction's copy expired, the flow lives",
		 test_one_copy_expired_flow_lives, NULL);
	add_test("state copies: a reply writes the original's only when the state changes",
		 test_reply_writes_original_on_change, NULL);
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++)
		add_test(bad_cases[i].name, run_bad_case, &bad_cases[i]);
	add_test("snat exhaustion: every port towards one destination taken",
		 test_snat_exhaustion, NULL);
	add_test("service: the backend, not the frontend, says where new flows go",
		 test_svc_backend_decides, NULL);
	for (i = 0; i < ARRAY_SIZE(svc_drop_cases); i++)
		add_test(svc_drop_cases[i].name, run_svc_drop_case, &svc_drop_cases[i]);
	add_test("service: of two backends, each flow's hash picks one, both are used",
		 test_svc_slots, NULL);
	add_test("drop: a published flow's packet with ttl 1, counted against its container",
		 test_published_drop_charged, NULL);
	add_test("early check: node_ports alone decides for a node address",
		 test_node_ports_decides, NULL);
	add_test("early check: in the masquerade range, only a flow claims an unpublished port",
		 test_node_ports_flow_only, NULL);
	add_test("early check: node_ports holds every published port under each node address",
		 test_node_ports_written, NULL);
	add_xdp_tests();
	/* every test starts from an empty conntrack table */
	return run_group("nat", setup_datapath, skel_destroy, reset_state);
}
