// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Packet tests of the tc programs from_container and from_uplink, run with
 * BPF_PROG_TEST_RUN on hand-built frames.
 *
 * The process moves into a private network namespace first and creates veth
 * pairs there: test_run needs real ifindexes (it looks up the device of
 * __sk_buff.ifindex in the current netns), and everything vanishes with the
 * process. The skeleton is loaded with pinning turned off, the endpoint and
 * network maps are seeded by hand, and each table entry below is one run:
 * input frame, expected verdict, expected output frame, expected drop reason
 * (through drop_stats) and expected per-endpoint counter deltas (ep_stats).
 *
 * BPF_PROG_TEST_RUN refuses (EINVAL, before the program runs) ETH_P_IP frames
 * shorter than Ethernet + IPv4 header, at least on Linux 6.18. The few cases
 * that need such a frame are marked .live: the program is attached to the
 * veth's tc ingress and the frame is sent from the peer through AF_PACKET.
 * Their verdict is then read from whether the IPv4 stack saw the frame (its
 * InHdrErrors counter), the rest is checked as usual.
 */
#include "topo.h"

#define IP_ID 0x1c46
#define UDP_SPORT 40000
#define UDP_DPORT 5353
#define TCP_SPORT 43210
#define TCP_DPORT 8080
#define TCP_SEQ 0x01020304
#define TCP_ACK 0x0a0b0c0d
#define TCP_WINDOW 64240
#define ICMP_ID 0x4242
#define ICMP_SEQ 7
#define VLAN_TCI 10
#define TRAILER_PAD_TO 96	/* longer than any frame built here */
#define IPV6_VERSION 6
#define IPV6_HDR_LEN 40
#define IPV6_OFF_PLEN 4
#define IPV6_OFF_NEXT 6
#define IPV6_OFF_HOPS 7
#define IPV6_OFF_SADDR 8
#define IPV6_OFF_DADDR 24
#define IPV6_ADDR_LEN 16
#define BAD_ARP_HLEN 8
#define LATER_FRAG_OFFSET 185	/* in 8-byte units */
#define LIVE_WAIT_STEP_MS 10
#define LIVE_WAIT_STEPS 100		/* up to 1 s for a sent frame to be seen */

#define IP_UNUSED_IN_NET1 IP4(10, 1, 0, 77)	/* in A's subnet, no endpoint */
#define IP_OUTSIDE IP4(192, 168, 9, 9)		/* outside every subnet */
#define IP_NOT_EP IP4(10, 9, 9, 9)		/* routed by the node */

static const uint8_t broadcast_mac[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[ETH_ALEN];
/* Three NOPs and an end of list: an ihl 6 header. */
static const uint8_t ip_options[] = { IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_END };
static const char payload[] = "bpfnet test payload, odd length";

enum prog_id {
	PROG_FROM_CONTAINER,
	PROG_FROM_UPLINK,
};

enum pkt_kind {
	PK_UDP,
	PK_TCP,
	PK_ICMP,
	PK_ARP,
	PK_IPV6,
	PK_VLAN,	/* a tagged IPv4/UDP frame */
};

enum expect_out {
	OUT_DROPPED,	/* SHOT: the bytes do not matter */
	OUT_UNCHANGED,
	OUT_FORWARDED,	/* routed to endpoint .to */
	OUT_ARP_REPLY,	/* the request turned into our reply */
};

struct pkt_case {
	const char *name;
	enum prog_id prog;
	enum host_id dev;		/* veth it enters on; H_NONE: A's */
	/* input frame */
	enum pkt_kind kind;
	enum host_id from;		/* eth src, ARP sha/sip, IPv4 saddr; H_NONE: A */
	uint32_t dst_ip;		/* IPv4 daddr or ARP tip */
	uint16_t arp_op;		/* 0: request */
	uint8_t ttl;			/* 0: DEFAULT_TTL */
	uint16_t frag;			/* IPv4 flags and offset; 0: DF */
	bool ip_opts;			/* ihl 6 */
	size_t pad_to;			/* zero padding up to this length */
	void (*mangle)(struct pkt *p);	/* break the valid frame in one way */
	size_t trunc_to;		/* cut the frame to this length */
	bool live;			/* through a real veth, not BPF_PROG_TEST_RUN */
	/* expectations */
	int verdict;
	enum bpfnet_drop_reason drop;	/* BPFNET_DROP_UNUSED: none */
	enum expect_out out;
	enum host_id to;		/* for OUT_FORWARDED */
	struct ep_delta delta[HOST_COUNT];
};

/* A case names its device and sender unless they are A's, as most are (H_NONE: unnamed). */
static enum host_id dev_of(const struct pkt_case *c)
{
	return c->dev ? c->dev : EP_A;
}

static enum host_id sender_of(const struct pkt_case *c)
{
	return c->from ? c->from : EP_A;
}

struct counters {
	uint64_t drops[BPFNET_DROP_MAX];
	struct bpfnet_ep_stats ep[HOST_COUNT];
};

/* ---- mangling: each breaks exactly one thing of a valid frame (more in harness.h) ---- */

static void arp_hlen_8(struct pkt *p)
{
	l3(p)[ARP_OFF_HLN] = BAD_ARP_HLEN;
}

static void arp_op_rarp(struct pkt *p)
{
	put_be16(l3(p) + ARP_OFF_OP, ARP_OP_RARP_REQUEST);
}

static void ip_ttl_0(struct pkt *p)
{
	l3(p)[IP_OFF_TTL] = 0;
	ipv4_csum_set(l3(p));
}

static void ip_version_6(struct pkt *p)
{
	l3(p)[IP_OFF_VER_IHL] = IPV6_VERSION << 4 | (l3(p)[IP_OFF_VER_IHL] & 0x0f);
	ipv4_csum_set(l3(p));
}

static void ip_tot_len_too_big(struct pkt *p)
{
	put_be16(l3(p) + IP_OFF_TOT_LEN, (uint16_t)(p->len - p->l3_off + 1));
	ipv4_csum_set(l3(p));
}

static void ip_tot_len_below_ihl(struct pkt *p)
{
	put_be16(l3(p) + IP_OFF_TOT_LEN, IPV4_HDR_LEN - 4);
	ipv4_csum_set(l3(p));
}

/* Pick the IP id that gives the header checksum @want, for the carry corner cases. */
static void ip_id_for_csum(struct pkt *p, uint16_t want)
{
	uint32_t id;

	for (id = 0; id <= 0xffff; id++) {
		put_be16(l3(p) + IP_OFF_ID, (uint16_t)id);
		if (ipv4_csum_compute(l3(p)) == want) {
			ipv4_csum_set(l3(p));
			return;
		}
	}
	abort();
}

/* TTL-1 adds 0x0100: from 0xff.. the addition carries out of the top (end-around). */
static void ip_csum_end_around_carry(struct pkt *p)
{
	ip_id_for_csum(p, 0xff42);
}

/* TTL-1 adds 0x0100: 0xfeff becomes 0xffff, which must be written as 0x0000. */
static void ip_csum_negative_zero(struct pkt *p)
{
	ip_id_for_csum(p, 0xfeff);
}

/*
 * A valid header may also carry 0xffff, the other zero, when the rest sums to
 * 0xffff (canonical checksum 0x0000). TTL-1 must still give a valid header.
 */
static void ip_csum_noncanonical(struct pkt *p)
{
	ip_id_for_csum(p, 0x0000);
	put_be16(l3(p) + IP_OFF_CHECK, 0xffff);
}

/* ---- input frames ---- */

static void build_arp(const struct pkt_case *c, struct pkt *p)
{
	const struct host *src = &hosts[sender_of(c)];
	uint16_t op = c->arp_op ? c->arp_op : ARP_OP_REQUEST;
	struct arp_spec arp = {
		.op = op,
		.sha = src->mac,
		.sip = src->ip,
		.tha = op == ARP_OP_REQUEST ? zero_mac : src->host_mac,
		.tip = c->dst_ip,
	};

	pkt_eth(p, op == ARP_OP_REQUEST ? broadcast_mac : src->host_mac, src->mac, ETH_P_ARP);
	pkt_arp(p, &arp);
}

static void build_ipv6(const struct pkt_case *c, struct pkt *p)
{
	const struct host *src = &hosts[sender_of(c)];
	uint8_t *ip6;

	pkt_eth(p, src->host_mac, src->mac, ETH_P_IPV6);
	ip6 = pkt_put(p, IPV6_HDR_LEN);
	ip6[0] = IPV6_VERSION << 4;
	put_be16(ip6 + IPV6_OFF_PLEN, UDP_HDR_LEN);
	ip6[IPV6_OFF_NEXT] = IPPROTO_UDP;
	ip6[IPV6_OFF_HOPS] = DEFAULT_TTL;
	ip6[IPV6_OFF_SADDR] = 0xfd;	/* fd00::2 -> fd00::3 */
	ip6[IPV6_OFF_SADDR + IPV6_ADDR_LEN - 1] = 2;
	ip6[IPV6_OFF_DADDR] = 0xfd;
	ip6[IPV6_OFF_DADDR + IPV6_ADDR_LEN - 1] = 3;
	pkt_udp(p, UDP_SPORT, UDP_DPORT);
}

static uint8_t ipv4_proto_of(enum pkt_kind kind)
{
	switch (kind) {
	case PK_TCP:
		return IPPROTO_TCP;
	case PK_ICMP:
		return IPPROTO_ICMP;
	default:
		return IPPROTO_UDP;
	}
}

static void build_l4(enum pkt_kind kind, struct pkt *p)
{
	switch (kind) {
	case PK_TCP:
		pkt_tcp(p, TCP_SPORT, TCP_DPORT, TCP_SEQ, TCP_ACK, TCP_FLAG_PSH | TCP_FLAG_ACK,
			TCP_WINDOW);
		break;
	case PK_ICMP:
		pkt_icmp_echo(p, ICMP_ID, ICMP_SEQ);
		break;
	default:
		pkt_udp(p, UDP_SPORT, UDP_DPORT);
		break;
	}
	pkt_append(p, payload, strlen(payload));
}

static void build_ipv4(const struct pkt_case *c, struct pkt *p)
{
	const struct host *src = &hosts[sender_of(c)];
	struct ipv4_spec ip = {
		.saddr = src->ip,
		.daddr = c->dst_ip,
		.proto = ipv4_proto_of(c->kind),
		.ttl = c->ttl ? c->ttl : DEFAULT_TTL,
		.id = IP_ID,
		.frag = c->frag ? c->frag : IPV4_FLAG_DF,
		.opts = c->ip_opts ? ip_options : NULL,
		.opts_len = c->ip_opts ? sizeof(ip_options) : 0,
	};

	if (c->kind == PK_VLAN) {
		pkt_eth(p, src->host_mac, src->mac, ETH_P_8021Q);
		pkt_vlan(p, VLAN_TCI, ETH_P_IP);
	} else {
		pkt_eth(p, src->host_mac, src->mac, ETH_P_IP);
	}
	pkt_ipv4(p, &ip);
	build_l4(c->kind, p);
	pkt_ipv4_finish(p);
}

static void build_input(const struct pkt_case *c, struct pkt *p)
{
	pkt_init(p);
	switch (c->kind) {
	case PK_ARP:
		build_arp(c, p);
		break;
	case PK_IPV6:
		build_ipv6(c, p);
		break;
	default:
		build_ipv4(c, p);
		break;
	}
	if (c->mangle)
		c->mangle(p);
	if (c->pad_to)
		pkt_pad_to(p, c->pad_to);
	if (c->trunc_to)
		p->len = c->trunc_to;
}

/* ---- expected output frames ---- */

/* The reply, written from scratch; only trailing padding is carried over. */
static void expect_arp_reply(const struct pkt_case *c, const struct pkt *in, struct pkt *out)
{
	const struct host *asker = &hosts[sender_of(c)];
	size_t arp_end = ETH_HLEN + ARP_LEN;

	build_arp_reply(out, asker->mac, get_be32(in->data + in->l3_off + ARP_OFF_SIP),
			asker->host_mac, c->dst_ip);
	if (in->len > arp_end)
		pkt_append(out, in->data + arp_end, in->len - arp_end);
}

static void build_expected(const struct pkt_case *c, const struct pkt *in, struct pkt *out)
{
	switch (c->out) {
	case OUT_FORWARDED:
		/* routed into @to's netns: from the gateway MAC to the container MAC */
		expect_routed(in, hosts[c->to].mac, hosts[c->to].host_mac, out);
		break;
	case OUT_ARP_REPLY:
		expect_arp_reply(c, in, out);
		break;
	default:
		*out = *in;
		break;
	}
}

/* ---- maps ---- */

static void snapshot(struct counters *c)
{
	int h;

	memset(c, 0, sizeof(*c));
	read_drop_stats(c->drops);
	for (h = 0; h < HOST_COUNT; h++)
		if (hosts[h].ep_id)
			read_ep_stats(hosts[h].ep_id, &c->ep[h]);
}

static int setup_datapath(void **state)
{
	(void)state;
	if (skel_load())
		return -1;
	/* nat-unprotected: the uplink cases route in from outside (test_security: gateway modes) */
	return topo_seed(BPFNET_GW_MODE_NAT_UNPROTECTED);
}

/* ---- running and checking ---- */

static struct bpf_program *prog_of(const struct pkt_case *c)
{
	return c->prog == PROG_FROM_UPLINK ? skel->progs.from_uplink : skel->progs.from_container;
}

static void check_ep_stats(const struct pkt_case *c, size_t frame_len,
			   const struct counters *before, const struct counters *after)
{
	int h;

	for (h = 0; h < HOST_COUNT; h++)
		check_ep_deltas(c->name, hosts[h].ifname, &c->delta[h], frame_len, &before->ep[h],
				&after->ep[h]);
}

/* Independent of the expected frame: what routing must and must not have touched. */
static void check_forwarded(const struct pkt_case *c, const struct pkt *in, const struct pkt *out)
{
	const uint8_t *ip_in = in->data + in->l3_off, *ip_out = out->data + out->l3_off;
	size_t l4_len = get_be16(ip_out + IP_OFF_TOT_LEN) - ipv4_hdr_len(ip_out);

	if (ip_out[IP_OFF_TTL] != ip_in[IP_OFF_TTL] - 1)
		fail_msg("%s: TTL: expected %u, got %u", c->name, ip_in[IP_OFF_TTL] - 1,
			 ip_out[IP_OFF_TTL]);
	check_ip_csum(c->name, "IPv4", ip_out);
	if (memcmp(in->data + in->l4_off, out->data + out->l4_off, in->len - in->l4_off))
		fail_msg("%s: transport header, payload or trailer changed", c->name);
	if (!ipv4_is_fragment(ip_out) && !l4_csum_valid(ip_out, out->data + out->l4_off, l4_len))
		fail_msg("%s: transport checksum no longer valid", c->name);
}

/* ---- the real path, for the frames BPF_PROG_TEST_RUN refuses ---- */

/* Ip InHdrErrors of this netns: frames too short for an IPv4 header that reached ip_rcv(). */
static uint64_t ip_in_hdr_errors(void)
{
	char names[2048], values[2048], *n_save, *v_save, *name, *value;
	FILE *f = fopen("/proc/self/net/snmp", "r");
	uint64_t count = UINT64_MAX;

	assert_non_null(f);
	while (fgets(names, sizeof(names), f) && strncmp(names, "Ip:", 3))
		;
	if (!fgets(values, sizeof(values), f))
		values[0] = '\0';
	fclose(f);
	name = strtok_r(names, " \n", &n_save);
	value = strtok_r(values, " \n", &v_save);
	for (; name && value; name = strtok_r(NULL, " \n", &n_save),
			      value = strtok_r(NULL, " \n", &v_save))
		if (!strcmp(name, "InHdrErrors"))
			count = strtoull(value, NULL, 10);
	if (count == UINT64_MAX)
		fail_msg("no Ip InHdrErrors in /proc/self/net/snmp");
	return count;
}

static int live_send(const struct host *h, const struct pkt *in)
{
	int fd = socket(AF_PACKET, SOCK_RAW, 0), err;

	if (fd < 0)
		return -errno;
	err = packet_send(fd, (int)h->peer_ifindex, in);
	close(fd);
	return err;
}

/* Until the frame was counted as a drop or reached the stack, or LIVE_WAIT_STEPS ran out. */
static void live_wait(uint64_t drops_before, uint64_t hdr_errors_before)
{
	int i;

	for (i = 0; i < LIVE_WAIT_STEPS; i++) {
		if (drops_total() != drops_before || ip_in_hdr_errors() != hdr_errors_before)
			return;
		sleep_ms(LIVE_WAIT_STEP_MS);
	}
}

/* Remove the clsact qdisc of @ifindex, and with it every program attached there. */
static void tc_detach_all(unsigned int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	bpf_tc_hook_destroy(&hook);
}

/*
 * Attach the case's program to the tc ingress of its veth, send the frame in
 * from the peer and detach again. Returns whether the IPv4 stack saw the frame
 * (verdict TC_ACT_OK or TC_ACT_UNSPEC) or not (TC_ACT_SHOT), or -errno.
 */
static int run_live(const struct pkt_case *c, const struct pkt *in)
{
	const struct host *h = &hosts[dev_of(c)];
	uint64_t drops_before = drops_total(), hdr_errors_before = ip_in_hdr_errors();
	int err = tc_attach_ingress(h->ifindex, prog_of(c));

	if (!err)
		err = live_send(h, in);
	if (!err)
		live_wait(drops_before, hdr_errors_before);
	tc_detach_all(h->ifindex);
	if (err)
		return err;
	return ip_in_hdr_errors() != hdr_errors_before;
}

static void check_live_verdict(const struct pkt_case *c, int seen_by_stack)
{
	bool want_seen = c->verdict != TC_ACT_SHOT;

	if (seen_by_stack < 0)
		fail_msg("%s: running on %s failed: %s", c->name, hosts[dev_of(c)].ifname,
			 strerror(-seen_by_stack));
	if (seen_by_stack != want_seen)
		fail_msg("%s: verdict: expected %s (%d), so the IPv4 stack should %shave seen "
			 "the frame, but it did%s", c->name, verdict_name(c->verdict), c->verdict,
			 want_seen ? "" : "not ", seen_by_stack ? "" : " not");
}

static void run_case(void **state)
{
	const struct pkt_case *c = *state;
	struct counters before, after;
	struct pkt in, want, got;
	int verdict;

	build_input(c, &in);
	snapshot(&before);
	if (c->live)
		verdict = run_live(c, &in);
	else
		verdict = prog_test_run(c->name, prog_of(c), hosts[dev_of(c)].ifindex, &in, &got);
	snapshot(&after);

	if (c->live)
		check_live_verdict(c, verdict);
	else
		check_verdict(c->name, c->verdict, verdict);
	check_drop_deltas(c->name, c->drop, before.drops, after.drops);
	check_ep_stats(c, in.len, &before, &after);
	if (c->out == OUT_DROPPED || c->live)
		return;
	build_expected(c, &in, &want);
	assert_pkt_equal(c->name, &want, &got);
	if (c->out == OUT_FORWARDED)
		check_forwarded(c, &in, &got);
}

/* ---- the cases ---- */

#define SHOT(reason)                                   \
	.verdict = TC_ACT_SHOT, .drop = BPFNET_##reason, \
	.out = OUT_DROPPED
#define A_DROPS .delta = { [EP_A] = { .drops = 1 } }
#define A_TX .delta = { [EP_A] = { .tx = 1 } }
#define A_TO_B                                                                  \
	.verdict = TC_ACT_REDIRECT, .out = OUT_FORWARDED, .to = EP_B,          \
	.delta = { [EP_A] = { .tx = 1 }, [EP_B] = { .rx = 1 } }
#define ARP_REPLY .verdict = TC_ACT_REDIRECT, .out = OUT_ARP_REPLY, A_TX
#define UPLINK_IN .prog = PROG_FROM_UPLINK, .dev = UPLINK, .from = UPLINK
#define UPLINK_PASS .verdict = TC_ACT_UNSPEC, .out = OUT_UNCHANGED

static const struct pkt_case cases[] = {
	/* 1. ARP from a container */
	{ "arp: request for the gateway is answered",
	  .kind = PK_ARP, .dst_ip = GW1, ARP_REPLY },
	{ "arp: request for a peer is proxy-answered (l3 mode)",
	  .kind = PK_ARP, .dst_ip = IP_B, ARP_REPLY },
	{ "arp: request for an unused address of the subnet is proxy-answered",
	  .kind = PK_ARP, .dst_ip = IP_UNUSED_IN_NET1, ARP_REPLY },
	{ "arp: padded 60-byte request is answered, padding kept",
	  .kind = PK_ARP, .dst_ip = GW1, .pad_to = PKT_ETH_MIN_LEN, ARP_REPLY },
	{ "arp: probe (sender 0.0.0.0) for the gateway is answered",
	  .kind = PK_ARP, .dst_ip = GW1, .mangle = arp_probe, ARP_REPLY },
	{ "arp: request for the sender's own address (DAD) is not answered",
	  .kind = PK_ARP, .dst_ip = IP_A, SHOT(DROP_ARP_NOT_ANSWERED), A_DROPS },
	{ "arp: request outside the subnet is not answered",
	  .kind = PK_ARP, .dst_ip = IP_OUTSIDE, SHOT(DROP_ARP_NOT_ANSWERED), A_DROPS },
	{ "arp: request for an address of another network is not answered",
	  .kind = PK_ARP, .dst_ip = IP_C, SHOT(DROP_ARP_NOT_ANSWERED), A_DROPS },
	{ "arp: sender hardware address not the endpoint's",
	  .kind = PK_ARP, .dst_ip = GW1, .mangle = spoof_arp_sha, SHOT(DROP_SPOOFED_MAC), A_DROPS },
	{ "arp: sender protocol address not the endpoint's",
	  .kind = PK_ARP, .dst_ip = GW1, .mangle = spoof_arp_sip, SHOT(DROP_SPOOFED_IP), A_DROPS },
	{ "arp: reply from the container goes to the node unchanged",
	  .kind = PK_ARP, .dst_ip = GW1, .arp_op = ARP_OP_REPLY,
	  .verdict = TC_ACT_OK, .out = OUT_UNCHANGED, A_TX },
	{ "arp: hardware address length 8",
	  .kind = PK_ARP, .dst_ip = GW1, .mangle = arp_hlen_8, SHOT(DROP_BAD_ARP), A_DROPS },
	{ "arp: opcode 3 (RARP)",
	  .kind = PK_ARP, .dst_ip = GW1, .mangle = arp_op_rarp, SHOT(DROP_BAD_ARP), A_DROPS },
	{ "arp: truncated (eth + 10 bytes)",
	  .kind = PK_ARP, .dst_ip = GW1, .trunc_to = ETH_HLEN + 10, SHOT(DROP_TRUNCATED), A_DROPS },

	/* 2. IPv4 between two endpoints of one network */
	{ "ipv4: udp A->B is routed", .kind = PK_UDP, .dst_ip = IP_B, A_TO_B },
	{ "ipv4: tcp A->B is routed", .kind = PK_TCP, .dst_ip = IP_B, A_TO_B },
	{ "ipv4: icmp echo A->B is routed", .kind = PK_ICMP, .dst_ip = IP_B, A_TO_B },
	{ "ipv4: ip options (ihl 6) A->B are routed",
	  .kind = PK_UDP, .dst_ip = IP_B, .ip_opts = true, A_TO_B },
	{ "ipv4: first fragment (MF) A->B is routed",
	  .kind = PK_UDP, .dst_ip = IP_B, .frag = IPV4_FLAG_MF, A_TO_B },
	{ "ipv4: later fragment (MF, offset 185) A->B is routed",
	  .kind = PK_UDP, .dst_ip = IP_B, .frag = IPV4_FLAG_MF | LATER_FRAG_OFFSET, A_TO_B },
	{ "ipv4: ttl 2 A->B leaves with ttl 1",
	  .kind = PK_UDP, .dst_ip = IP_B, .ttl = 2, A_TO_B },
	{ "ipv4: trailing bytes past tot_len A->B are kept",
	  .kind = PK_ICMP, .dst_ip = IP_B, .pad_to = TRAILER_PAD_TO, A_TO_B },
	{ "ipv4: checksum 0xff42, TTL-1 carries end-around",
	  .kind = PK_UDP, .dst_ip = IP_B, .mangle = ip_csum_end_around_carry, A_TO_B },
	{ "ipv4: checksum 0xfeff, TTL-1 gives 0x0000 not 0xffff",
	  .kind = PK_UDP, .dst_ip = IP_B, .mangle = ip_csum_negative_zero, A_TO_B },
	{ "ipv4: non-canonical checksum 0xffff, TTL-1 gives a valid header",
	  .kind = PK_UDP, .dst_ip = IP_B, .mangle = ip_csum_noncanonical, A_TO_B },

	/* 3. policy */
	{ "ipv4: ttl 1 is dropped",
	  .kind = PK_UDP, .dst_ip = IP_B, .ttl = 1, SHOT(DROP_TTL_EXCEEDED), A_DROPS },
	{ "ipv4: ttl 0 is dropped",
	  .kind = PK_UDP, .dst_ip = IP_B, .mangle = ip_ttl_0, SHOT(DROP_TTL_EXCEEDED), A_DROPS },
	{ "ipv4: source MAC not the endpoint's",
	  .kind = PK_UDP, .dst_ip = IP_B, .mangle = spoof_eth_src, SHOT(DROP_SPOOFED_MAC), A_DROPS },
	{ "ipv4: source address not the endpoint's",
	  .kind = PK_UDP, .dst_ip = IP_B, .mangle = spoof_ip_src, SHOT(DROP_SPOOFED_IP), A_DROPS },
	{ "ipv4: A->C crosses networks",
	  .kind = PK_UDP, .dst_ip = IP_C, SHOT(DROP_OTHER_NETWORK), A_DROPS },
	{ "ipv4: A->10.9.9.9 (no endpoint) goes to the node unchanged",
	  .kind = PK_UDP, .dst_ip = IP_NOT_EP, .verdict = TC_ACT_OK, .out = OUT_UNCHANGED, A_TX },
	{ "ipv4: A->gateway goes to the node unchanged",
	  .kind = PK_ICMP, .dst_ip = GW1, .verdict = TC_ACT_OK, .out = OUT_UNCHANGED, A_TX },

	/* 4. malformed */
	{ "ipv4: header cut short (eth + 12 bytes), live",
	  .kind = PK_UDP, .dst_ip = IP_B, .trunc_to = ETH_HLEN + 12, .live = true,
	  SHOT(DROP_TRUNCATED), A_DROPS },
	{ "ipv4: ihl 4",
	  .kind = PK_UDP, .dst_ip = IP_B, .mangle = ip_ihl_4, SHOT(DROP_BAD_IP_HEADER), A_DROPS },
	{ "ipv4: version 6 in an ETH_P_IP frame",
	  .kind = PK_UDP, .dst_ip = IP_B, .mangle = ip_version_6, SHOT(DROP_BAD_IP_HEADER),
	  A_DROPS },
	{ "ipv4: tot_len larger than the frame",
	  .kind = PK_UDP, .dst_ip = IP_B, .mangle = ip_tot_len_too_big, SHOT(DROP_BAD_IP_HEADER),
	  A_DROPS },
	{ "ipv4: tot_len smaller than the header",
	  .kind = PK_UDP, .dst_ip = IP_B, .mangle = ip_tot_len_below_ihl,
	  SHOT(DROP_BAD_IP_HEADER), A_DROPS },
	{ "eth: IPv6 ethertype", .kind = PK_IPV6, SHOT(DROP_UNSUPPORTED_L3), A_DROPS },
	{ "eth: 802.1Q tagged frame",
	  .kind = PK_VLAN, .dst_ip = IP_B, SHOT(DROP_VLAN), A_DROPS },
	{ "eth: frame on a veth without an endpoint",
	  .dev = UPLINK, .kind = PK_UDP, .dst_ip = IP_B, SHOT(DROP_NO_ENDPOINT) },

	/* 5. from the uplink */
	{ "uplink: ipv4 to B is routed into B", UPLINK_IN, .kind = PK_UDP, .dst_ip = IP_B,
	  .verdict = TC_ACT_REDIRECT, .out = OUT_FORWARDED, .to = EP_B,
	  .delta = { [EP_B] = { .rx = 1 } } },
	{ "uplink: tcp to C (network 2) is routed into C", UPLINK_IN, .kind = PK_TCP,
	  .dst_ip = IP_C, .verdict = TC_ACT_REDIRECT, .out = OUT_FORWARDED, .to = EP_C,
	  .delta = { [EP_C] = { .rx = 1 } } },
	{ "uplink: ipv4 to a non-endpoint is the node's", UPLINK_IN, .kind = PK_UDP,
	  .dst_ip = IP_NOT_EP, UPLINK_PASS },
	{ "uplink: arp is the node's", UPLINK_IN, .kind = PK_ARP, .dst_ip = IP_B, UPLINK_PASS },
	{ "uplink: ipv6 is the node's", UPLINK_IN, .kind = PK_IPV6, UPLINK_PASS },
	{ "uplink: truncated ipv4 (eth + 12 bytes) is the node's, live", UPLINK_IN,
	  .kind = PK_UDP, .dst_ip = IP_B, .trunc_to = ETH_HLEN + 12, .live = true, UPLINK_PASS },
	{ "uplink: ipv4 with ihl 4 is the node's", UPLINK_IN, .kind = PK_UDP, .dst_ip = IP_B,
	  .mangle = ip_ihl_4, UPLINK_PASS },
	{ "uplink: ttl 1 to B is dropped, counted against B", UPLINK_IN, .kind = PK_UDP,
	  .dst_ip = IP_B, .ttl = 1, SHOT(DROP_TTL_EXCEEDED), .delta = { [EP_B] = { .drops = 1 } } },
};

/* ---- main ---- */

int main(void)
{
	size_t i;

	if (enter_netns() || topo_add_veths())
		return 1;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		add_test(cases[i].name, run_case, &cases[i]);
	return run_group("datapath", setup_datapath, skel_destroy, NULL);
}
