// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * verdict-cost: the per-packet cost, in nanoseconds, of each verdict class of
 * each datapath program, measured with BPF_PROG_TEST_RUN on the packet tests'
 * topology (tests/pkt: nat_harness.h, topo.h, seed.h), in a private netns.
 *
 * How the kernel runs a test (net/bpf/test_run.c, bpf_test_run()): one skb or
 * xdp_buff is built from data_in, then the program runs `repeat` times on
 * that same buffer, nothing reset between runs; retval is the last run's,
 * duration the time of the loop divided by the runs. A program that rewrites
 * the packet (DNAT, TTL-1, MACs, an ARP reply in place) or creates state (a
 * conntrack entry) would from the second run on measure another verdict. XDP
 * live frames (BPF_F_TEST_XDP_LIVE_FRAMES) are no way out: a recycled page
 * keeps what the program wrote (only data/data_end are reset), the frames are
 * really redirected or handed to the stack inside the timed loop, and no
 * output comes back to check. So each verdict is measured one of two ways:
 *
 *   repeat  repeat=N on one packet, only where the program changes neither
 *           the packet (data_out == data_in after N runs) nor any state but
 *           counters (checked: exactly N times the per-run deltas, the same
 *           verdict as the first run, no conntrack entry made);
 *   fresh   a fresh packet per run (repeat=1), every sample's verdict, output
 *           frame and counter deltas checked; "new flow" verdicts use a new
 *           source port per run and delete the flow's conntrack entries after
 *           it (outside the timed run), so each run really starts a flow.
 *
 * Each way has its own empty_program baseline (a two-instruction program of
 * the same type run the same way), whose median is subtracted: what is left
 * is the program's own cost. Samples of all verdicts are interleaved, so that
 * the noise of a shared machine falls on all of them alike.
 */
#include <getopt.h>
#include <linux/bpf.h>

#include "nat_harness.h"

#define DEFAULT_SAMPLES 2000	/* fresh runs per verdict */
#define DEFAULT_BATCHES 30	/* repeat calls per verdict */
#define DEFAULT_REPEAT 10000	/* runs per repeat call */
#define FRESH_CHUNK 20	/* fresh runs in a row, the counters checked around them */
#define MAX_SAMPLES 20000	/* new-flow source ports stay clear of each other */
#define PORTMAP_SPORT0 10000	/* portmap_new: source ports 10000.. */
#define MASQ_SPORT0 33000	/* masq_new: 33000.. (in the SNAT range, so kept) */
#define NOT_PUBLISHED 22	/* a port of the node nothing publishes */
#define EST_SPORT 40000		/* the established published-port flow */
#define MASQ_EST_SPORT 5002	/* the established masqueraded flow */
#define UDP_SPORT 5000
#define UDP_DPORT 6000

/* ---- the bridge segment: network 3, three ports (topo.h has networks 1 and 2) ---- */

#define BR_NET 3
#define BR_PORTS 3
#define BR_SUBNET IP4(10, 3, 0, 0)
#define BR_GW IP4(10, 3, 0, 1)
#define BR_BCAST IP4(10, 3, 0, 255)

struct br_port {
	const char *ifname, *peer;
	uint8_t mac[ETH_ALEN];
	uint32_t ip, ep_id;
	unsigned int ifindex, peer_ifindex;
};

static const uint8_t br_gw_mac[ETH_ALEN] = { 0x02, 0x6b, 0, 0, 0, 3 };
static const uint8_t bcast_mac[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static struct br_port br[BR_PORTS] = {
	{ "vc-b1", "vc-b1-ct", { 0x02, 0xb0, 0, 0, 0, 1 }, IP4(10, 3, 0, 2), 11, 0, 0 },
	{ "vc-b2", "vc-b2-ct", { 0x02, 0xb0, 0, 0, 0, 2 }, IP4(10, 3, 0, 3), 12, 0, 0 },
	{ "vc-b3", "vc-b3-ct", { 0x02, 0xb0, 0, 0, 0, 3 }, IP4(10, 3, 0, 4), 13, 0, 0 },
};

/* ---- what a case expects of each run ---- */

/* The endpoints whose counters are checked: topo.h's three, then the bridge ports. */
enum { N_EPS = 3 + BR_PORTS };
static const uint32_t ep_ids[N_EPS] = { 1, 2, 3, 11, 12, 13 };

struct ep_want {
	int tx, rx, drops;
};

struct per_run {
	int verdict;				/* the program's own return code */
	enum bpfnet_drop_reason drop;		/* DROP_UNUSED: none */
	int global[BPFNET_G_MAX];
	struct ep_want ep[N_EPS];		/* indexed as ep_ids */
};

struct snap {
	uint64_t drops[BPFNET_DROP_MAX];
	uint64_t global[BPFNET_G_MAX];
	struct bpfnet_ep_stats ep[N_EPS];
};

enum method { M_REPEAT, M_FRESH };
enum hook { HOOK_TC, HOOK_XDP };
enum dev { DEV_UPLINK, DEV_EP_A, DEV_BRIDGE };	/* the packet arrives on nt-up, nt-a, vc-b1 */

struct vcase;
/* Build sample @i's input, and the output it must give (NULL: the input, unchanged). */
typedef void (*build_fn)(const struct vcase *c, unsigned int i, struct pkt *in);
/* Check sample @i's output @out of @in; then undo what it left (new flows). */
typedef void (*after_fn)(const struct vcase *c, unsigned int i, const struct pkt *in,
			 const struct pkt *out);

struct vcase {
	enum hook hook;
	enum dev dev;
	const char *program;
	const char *verdict;
	enum method method;
	bool new_flow;
	/*
	 * A repeat-measured verdict once more, fresh: how far apart the two ways
	 * are on one verdict. Printed, not written to the CSV (one row a verdict).
	 */
	bool crosscheck;
	build_fn build;
	after_fn after;		/* NULL: the output must equal the input */
	struct per_run want;
	/* filled in */
	int prog_fd;
	unsigned int ifindex;
	uint32_t *ns;
	unsigned int n;
};

static unsigned int opt_samples = DEFAULT_SAMPLES, opt_batches = DEFAULT_BATCHES,
		    opt_repeat = DEFAULT_REPEAT;
static int empty_tc_fd = -1, empty_xdp_fd = -1, shot_tc_fd = -1;
static struct tuple masq_est_xl;	/* the established masqueraded flow, translated */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "verdict-cost: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---- running ---- */

/* One BPF_PROG_TEST_RUN of @c's program, @repeat runs of @in; the kernel's ns per run. */
static uint32_t timed_run(const struct vcase *c, const struct pkt *in, struct pkt *out,
			  unsigned int repeat, int *verdict)
{
	struct __sk_buff skb = { .ifindex = c->ifindex };
	struct xdp_md xdp = { .data_end = (__u32)in->len, .ingress_ifindex = c->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in->data,
		.data_size_in = (__u32)in->len,
		.data_out = out->data,
		.data_size_out = sizeof(out->data),
		.ctx_in = c->hook == HOOK_XDP ? (void *)&xdp : (void *)&skb,
		.ctx_size_in = c->hook == HOOK_XDP ? sizeof(xdp) : sizeof(skb),
		.repeat = repeat,
	);

	pkt_init(out);
	if (bpf_prog_test_run_opts(c->prog_fd, &opts))
		die("%s %s %s: BPF_PROG_TEST_RUN failed: %s", c->program, c->verdict,
		    c->hook == HOOK_XDP ? "xdp" : "tc", strerror(errno));
	out->len = opts.data_size_out;
	out->l3_off = in->l3_off;
	out->l4_off = in->l4_off;
	*verdict = (int)opts.retval;
	return opts.duration;
}

static void take_snap(struct snap *s)
{
	unsigned int i;

	read_drop_stats(s->drops);
	read_global_stats(s->global);
	for (i = 0; i < N_EPS; i++)
		read_ep_stats(ep_ids[i], &s->ep[i]);
}

static void check_count(const struct vcase *c, const char *what, uint64_t want, uint64_t b,
			uint64_t a)
{
	if (a - b != want)
		die("%s %s: %s: expected +%llu over the sample, got +%llu", c->program,
		    c->verdict, what, (unsigned long long)want, (unsigned long long)(a - b));
}

/* Every counter grown by exactly @runs times what one run of @c must add. */
static void check_snaps(const struct vcase *c, uint64_t runs, size_t len, const struct snap *b,
			const struct snap *a)
{
	const struct per_run *w = &c->want;
	char what[96];
	unsigned int i;

	for (i = 0; i < BPFNET_DROP_MAX; i++) {
		snprintf(what, sizeof(what), "drop_stats[%s]", drop_names[i]);
		check_count(c, what, w->drop && i == w->drop ? runs : 0, b->drops[i], a->drops[i]);
	}
	for (i = 0; i < BPFNET_G_MAX; i++) {
		snprintf(what, sizeof(what), "global_stats[%s]", global_names[i]);
		check_count(c, what, runs * (uint64_t)w->global[i], b->global[i], a->global[i]);
	}
	for (i = 0; i < N_EPS; i++) {
		const struct ep_want *e = &w->ep[i];

		snprintf(what, sizeof(what), "ep_stats[%u].tx_packets", ep_ids[i]);
		check_count(c, what, runs * e->tx, b->ep[i].tx_packets, a->ep[i].tx_packets);
		snprintf(what, sizeof(what), "ep_stats[%u].tx_bytes", ep_ids[i]);
		check_count(c, what, runs * e->tx * len, b->ep[i].tx_bytes, a->ep[i].tx_bytes);
		snprintf(what, sizeof(what), "ep_stats[%u].rx_packets (the redirect target)",
			 ep_ids[i]);
		check_count(c, what, runs * e->rx, b->ep[i].rx_packets, a->ep[i].rx_packets);
		snprintf(what, sizeof(what), "ep_stats[%u].rx_bytes", ep_ids[i]);
		check_count(c, what, runs * e->rx * len, b->ep[i].rx_bytes, a->ep[i].rx_bytes);
		snprintf(what, sizeof(what), "ep_stats[%u].drops", ep_ids[i]);
		check_count(c, what, runs * e->drops, b->ep[i].drops, a->ep[i].drops);
	}
}

static void check_verdict_of(const struct vcase *c, unsigned int i, int got)
{
	if (got != c->want.verdict)
		die("%s %s (%s) sample %u: verdict %d (%s), expected %d (%s)", c->program,
		    c->verdict, c->hook == HOOK_XDP ? "xdp" : "tc", i, got,
		    c->hook == HOOK_XDP ? xdp_verdict_name(got) : verdict_name(got),
		    c->want.verdict, c->hook == HOOK_XDP ? xdp_verdict_name(c->want.verdict) :
							   verdict_name(c->want.verdict));
}

/* Conntrack entries, counted: a repeat-measured verdict must make none. */
static unsigned int ct_count(void)
{
	int fd = bpf_map__fd(skel->maps.ct4);
	struct bpfnet_ct_key k, next;
	unsigned int n = 0;

	while (!bpf_map_get_next_key(fd, n ? &k : NULL, &next)) {
		k = next;
		n++;
	}
	return n;
}

/*
 * Samples @first.. of @c, @count of them one after the other: each a checked
 * run (fresh) or @opt_repeat runs (repeat). The counters are read around the
 * chunk, not around each run: reading them is a hundred syscalls, which
 * would leave every fresh run to start with cold caches.
 */
static void chunk(struct vcase *c, unsigned int first, unsigned int count)
{
	unsigned int runs = c->method == M_REPEAT ? opt_repeat : 1, ct_before = 0, i;
	struct pkt in, out;
	struct snap b, a;
	uint32_t ns;
	int verdict;

	if (c->method == M_REPEAT)
		ct_before = ct_count();
	take_snap(&b);
	for (i = first; i < first + count; i++) {
		c->build(c, i, &in);
		ns = timed_run(c, &in, &out, runs, &verdict);
		check_verdict_of(c, i, verdict);
		if (c->after) {
			c->after(c, i, &in, &out);
		} else {
			at("%s %s sample %u: unchanged by the program", c->program, c->verdict, i);
			assert_pkt_equal(where, &in, &out);
		}
		c->ns[c->n++] = ns;
	}
	take_snap(&a);
	check_snaps(c, (uint64_t)runs * count, in.len, &b, &a);
	if (c->method == M_REPEAT && ct_count() != ct_before)
		die("%s %s: the conntrack table changed under repeat", c->program, c->verdict);
}

/* ---- the packets ---- */

static void seg_frame(struct pkt *p, enum host_id from, struct tuple t, uint8_t flags)
{
	struct seg s = { .t = t, .tcp_flags = t.proto == IPPROTO_TCP ? flags : 0 };

	frame_from(p, from, &s);
}

/* What @in (from the sender of @c) must become: @t, one hop further, towards @to. */
static void check_out(const struct vcase *c, unsigned int i, const struct pkt *in,
		      const struct pkt *out, struct tuple t, uint8_t flags, enum host_id to)
{
	struct seg s = { .t = t, .tcp_flags = t.proto == IPPROTO_TCP ? flags : 0 };
	struct pkt want;

	at("%s %s (%s) sample %u", c->program, c->verdict, c->hook == HOOK_XDP ? "xdp" : "tc", i);
	expected_out(&want, in, &s, to, false);
	expect_frame(&want, out);
	check_csums(out);
}

static void b_not_ours(const struct vcase *c, unsigned int i, struct pkt *in)
{
	(void)c, (void)i;
	seg_frame(in, UPLINK, T(TCP, REMOTE, EST_SPORT, NODE, NOT_PUBLISHED), TCP_FLAG_SYN);
}

static void b_martian(const struct vcase *c, unsigned int i, struct pkt *in)
{
	(void)c, (void)i;
	seg_frame(in, UPLINK, T(TCP, LOOPBACK, EST_SPORT, NODE, 8080), TCP_FLAG_SYN);
}

static void b_portmap_new(const struct vcase *c, unsigned int i, struct pkt *in)
{
	(void)c;
	seg_frame(in, UPLINK, T(TCP, REMOTE, PORTMAP_SPORT0 + i, NODE, 8080), TCP_FLAG_SYN);
}

/* A new published-port flow: DNAT to A:80; its two entries, which must exist, removed. */
static void a_portmap_new(const struct vcase *c, unsigned int i, const struct pkt *in,
			  const struct pkt *out)
{
	struct tuple t = T(TCP, REMOTE, PORTMAP_SPORT0 + i, NODE, 8080);
	struct tuple xl = T(TCP, REMOTE, PORTMAP_SPORT0 + i, IP_A, 80);
	struct tuple r = reverse(&xl);

	check_out(c, i, in, out, xl, TCP_FLAG_SYN, EP_A);
	ct_del(&t);
	ct_del(&r);
}

static void b_dnat_est(const struct vcase *c, unsigned int i, struct pkt *in)
{
	(void)c, (void)i;
	seg_frame(in, UPLINK, T(TCP, REMOTE, EST_SPORT, NODE, 8080), TCP_FLAG_ACK);
}

static void a_dnat_est(const struct vcase *c, unsigned int i, const struct pkt *in,
		       const struct pkt *out)
{
	check_out(c, i, in, out, T(TCP, REMOTE, EST_SPORT, IP_A, 80), TCP_FLAG_ACK, EP_A);
}

static void b_reply(const struct vcase *c, unsigned int i, struct pkt *in)
{
	(void)c, (void)i;
	seg_frame(in, EP_A, T(TCP, IP_A, 80, REMOTE, EST_SPORT), TCP_FLAG_ACK);
}

static void a_reply(const struct vcase *c, unsigned int i, const struct pkt *in,
		    const struct pkt *out)
{
	check_out(c, i, in, out, T(TCP, NODE, 8080, REMOTE, EST_SPORT), TCP_FLAG_ACK, UPLINK);
}

static void b_masq_new(const struct vcase *c, unsigned int i, struct pkt *in)
{
	(void)c;
	seg_frame(in, EP_A, T(TCP, IP_A, MASQ_SPORT0 + i, REMOTE, 443), TCP_FLAG_SYN);
}

/* A new masqueraded flow: its source port kept; its two entries, which must exist, removed. */
static void a_masq_new(const struct vcase *c, unsigned int i, const struct pkt *in,
		       const struct pkt *out)
{
	uint16_t sport = (uint16_t)(MASQ_SPORT0 + i);
	struct tuple t = T(TCP, IP_A, sport, REMOTE, 443);
	struct tuple xl = T(TCP, NODE, sport, REMOTE, 443);
	struct tuple r = reverse(&xl);

	at("%s %s sample %u", c->program, c->verdict, i);
	snat_port(out, sport);
	check_out(c, i, in, out, xl, TCP_FLAG_SYN, UPLINK);
	ct_del(&t);
	ct_del(&r);
}

static void b_masq_est(const struct vcase *c, unsigned int i, struct pkt *in)
{
	(void)c, (void)i;
	seg_frame(in, EP_A, T(TCP, IP_A, MASQ_EST_SPORT, REMOTE, 443), TCP_FLAG_ACK);
}

static void a_masq_est(const struct vcase *c, unsigned int i, const struct pkt *in,
		       const struct pkt *out)
{
	check_out(c, i, in, out, masq_est_xl, TCP_FLAG_ACK, UPLINK);
}

static void b_routed(const struct vcase *c, unsigned int i, struct pkt *in)
{
	(void)c, (void)i;
	seg_frame(in, EP_A, T(UDP, IP_A, UDP_SPORT, IP_B, UDP_DPORT), 0);
}

/* A to B in one l3 network: MACs from B's gateway to B, TTL-1 (test_datapath's A_TO_B). */
static void a_routed(const struct vcase *c, unsigned int i, const struct pkt *in,
		     const struct pkt *out)
{
	struct pkt want;

	at("%s %s sample %u", c->program, c->verdict, i);
	expect_routed(in, hosts[EP_B].mac, hosts[EP_B].host_mac, &want);
	expect_frame(&want, out);
}

static void b_arp(const struct vcase *c, unsigned int i, struct pkt *in)
{
	struct arp_spec arp = { .op = ARP_OP_REQUEST, .sha = hosts[EP_A].mac, .sip = IP_A,
				.tha = (const uint8_t[ETH_ALEN]){ 0 }, .tip = GW1 };

	(void)c, (void)i;
	pkt_init(in);
	pkt_eth(in, bcast_mac, hosts[EP_A].mac, ETH_P_ARP);
	pkt_arp(in, &arp);
}

/* The gateway's answer, in place, back to A (test_datapath's expect_arp_reply). */
static void a_arp(const struct vcase *c, unsigned int i, const struct pkt *in,
		  const struct pkt *out)
{
	struct pkt want;

	(void)in;
	at("%s %s sample %u", c->program, c->verdict, i);
	build_arp_reply(&want, hosts[EP_A].mac, IP_A, hosts[EP_A].host_mac, GW1);
	expect_frame(&want, out);
}

/* A UDP frame of bridge port 0 to @dst_mac/@dst_ip. */
static void br_frame(struct pkt *p, const uint8_t *dst_mac, uint32_t dst_ip)
{
	struct ipv4_spec ip = { .saddr = br[0].ip, .daddr = dst_ip, .proto = IPPROTO_UDP,
				.ttl = DEFAULT_TTL, .id = IP_ID, .frag = IPV4_FLAG_DF };

	pkt_init(p);
	pkt_eth(p, dst_mac, br[0].mac, ETH_P_IP);
	pkt_ipv4(p, &ip);
	pkt_udp(p, UDP_SPORT, UDP_DPORT);
	pkt_append(p, payload, strlen(payload));
	pkt_ipv4_finish(p);
}

static void b_switched(const struct vcase *c, unsigned int i, struct pkt *in)
{
	(void)c, (void)i;
	br_frame(in, br[1].mac, br[1].ip);
}

static void b_flooded(const struct vcase *c, unsigned int i, struct pkt *in)
{
	(void)c, (void)i;
	br_frame(in, bcast_mac, BR_BCAST);
}

/* ---- the cases ---- */

#define TC_UP .hook = HOOK_TC, .dev = DEV_UPLINK, .program = "from_uplink"
#define TC_CT .hook = HOOK_TC, .dev = DEV_EP_A, .program = "from_container"
#define TC_BR .hook = HOOK_TC, .dev = DEV_BRIDGE, .program = "from_container"
#define TC_EMPTY .hook = HOOK_TC, .dev = DEV_UPLINK, .program = "empty"
#define XDP .hook = HOOK_XDP, .dev = DEV_UPLINK, .program = "xdp_from_uplink"
#define XDP_EMPTY .hook = HOOK_XDP, .dev = DEV_UPLINK, .program = "empty"
#define EP_OF_A 0
#define EP_OF_B 1
#define BR0 3
#define BR1 4
#define BR2 5

static struct vcase cases[] = {
	{ TC_EMPTY, "empty_program", M_REPEAT, .build = b_not_ours,
	  .want = { .verdict = TC_ACT_OK } },
	{ TC_EMPTY, "empty_program", M_FRESH, .build = b_not_ours,
	  .want = { .verdict = TC_ACT_OK } },
	{ XDP_EMPTY, "empty_program", M_REPEAT, .build = b_not_ours,
	  .want = { .verdict = XDP_PASS } },
	{ XDP_EMPTY, "empty_program", M_FRESH, .build = b_not_ours,
	  .want = { .verdict = XDP_PASS } },

	{ TC_UP, "not_ours", M_REPEAT, .build = b_not_ours,
	  .want = { .verdict = TC_ACT_UNSPEC, .global = { [BPFNET_G_UPLINK_PASSED] = 1 } } },
	{ XDP, .verdict = "not_ours", .method = M_REPEAT, .build = b_not_ours,
	  .want = { .verdict = XDP_PASS } },
	{ TC_UP, "not_ours", M_FRESH, .build = b_not_ours, .crosscheck = true,
	  .want = { .verdict = TC_ACT_UNSPEC, .global = { [BPFNET_G_UPLINK_PASSED] = 1 } } },
	{ TC_UP, "dropped", M_REPEAT, .build = b_martian,
	  .want = { .verdict = TC_ACT_SHOT, .drop = BPFNET_DROP_MARTIAN_SOURCE } },
	{ XDP, .verdict = "dropped", .method = M_REPEAT, .build = b_martian,
	  .want = { .verdict = XDP_DROP, .drop = BPFNET_DROP_MARTIAN_SOURCE } },
	{ TC_UP, "portmap_new", M_FRESH, .new_flow = true, .build = b_portmap_new,
	  .after = a_portmap_new,
	  .want = { .verdict = TC_ACT_REDIRECT, .ep = { [EP_OF_A] = { .rx = 1 } },
		    .global = { [BPFNET_G_CT_CREATED] = 1, [BPFNET_G_DNAT] = 1 } } },
	{ XDP, .verdict = "portmap_new", .method = M_FRESH, .new_flow = true,
	  .build = b_portmap_new, .after = a_portmap_new,
	  .want = { .verdict = XDP_REDIRECT, .ep = { [EP_OF_A] = { .rx = 1 } },
		    .global = { [BPFNET_G_CT_CREATED] = 1, [BPFNET_G_DNAT] = 1,
				[BPFNET_G_XDP_DELIVERED] = 1 } } },
	{ TC_UP, "dnat_established", M_FRESH, .build = b_dnat_est,
	  .after = a_dnat_est,
	  .want = { .verdict = TC_ACT_REDIRECT, .ep = { [EP_OF_A] = { .rx = 1 } } } },
	{ XDP, .verdict = "dnat_established", .method = M_FRESH, .build = b_dnat_est,
	  .after = a_dnat_est,
	  .want = { .verdict = XDP_REDIRECT, .ep = { [EP_OF_A] = { .rx = 1 } },
		    .global = { [BPFNET_G_XDP_DELIVERED] = 1 } } },
	{ TC_CT, "reply_reverse_nat", M_FRESH, .build = b_reply,
	  .after = a_reply,
	  .want = { .verdict = TC_ACT_REDIRECT, .ep = { [EP_OF_A] = { .tx = 1 } } } },
	{ TC_CT, "masq_new", M_FRESH, .new_flow = true, .build = b_masq_new,
	  .after = a_masq_new,
	  .want = { .verdict = TC_ACT_REDIRECT, .ep = { [EP_OF_A] = { .tx = 1 } },
	    .global = { [BPFNET_G_CT_CREATED] = 1, [BPFNET_G_SNAT] = 1 } } },
	{ TC_CT, "masq_established", M_FRESH, .build = b_masq_est,
	  .after = a_masq_est,
	  .want = { .verdict = TC_ACT_REDIRECT, .ep = { [EP_OF_A] = { .tx = 1 } } } },
	{ TC_CT, "routed_local", M_FRESH, .build = b_routed, .after = a_routed,
	  .want = { .verdict = TC_ACT_REDIRECT,
		    .ep = { [EP_OF_A] = { .tx = 1 }, [EP_OF_B] = { .rx = 1 } } } },
	{ TC_CT, "arp_answered", M_FRESH, .build = b_arp, .after = a_arp,
	  .want = { .verdict = TC_ACT_REDIRECT, .ep = { [EP_OF_A] = { .tx = 1 } } } },
	{ TC_BR, "bridge_switched", M_REPEAT, .build = b_switched,
	  .want = { .verdict = TC_ACT_REDIRECT,
		    .ep = { [BR0] = { .tx = 1 }, [BR1] = { .rx = 1 } } } },
	{ TC_BR, "flooded", M_REPEAT, .build = b_flooded,
	  .want = { .verdict = TC_ACT_REDIRECT, .global = { [BPFNET_G_FLOODED] = 1 },
		    .ep = { [BR0] = { .tx = 1 }, [BR1] = { .rx = 1 }, [BR2] = { .rx = 1 } } } },
};

/* ---- setup ---- */

/* A program of @type that returns @ret and does nothing else: the baseline. */
static int load_trivial(enum bpf_prog_type type, const char *name, int ret)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(type, name, "Dual BSD/GPL", insns, ARRAY_SIZE(insns), NULL);

	if (fd < 0)
		die("loading %s: %s", name, strerror(errno));
	return fd;
}

/* The bridge ports: veths, network 3 as a bridge, static FDB entries, its flood list. */
static void seed_bridge(void)
{
	struct net_state n = topo_net(BR_NET, BR_SUBNET, BR_GW, true, BPFNET_GW_MODE_NAT, false,
				      false, br_gw_mac);
	struct bpfnet_flood *fl = calloc(1, sizeof(*fl));
	__u32 key = BR_NET;
	unsigned int i;

	if (!fl || topo_seed_net(&n))
		die("seeding the bridge network");
	for (i = 0; i < BR_PORTS; i++) {
		struct bpfnet_fdb_key k = { .net_id = BR_NET };
		struct bpfnet_fdb_val v = { .ep_id = br[i].ep_id, .last_seen_ns = now_ns(),
					    .flags = BPFNET_FDB_F_STATIC };

		if (veth_add(br[i].ifname, br_gw_mac, br[i].peer, br[i].mac, &br[i].ifindex,
			     &br[i].peer_ifindex) ||
		    topo_seed_ep(&n, br[i].ifindex, br[i].ep_id, br[i].ip, br[i].mac, br_gw_mac, 0))
			die("making bridge port %s", br[i].ifname);
		memcpy(k.mac, br[i].mac, ETH_ALEN);
		v.ifindex = br[i].ifindex;
		if (map_update(skel->maps.fdb, &k, sizeof(k), &v, sizeof(v)))
			die("seeding the FDB");
		fl->ports[fl->n_ports].ifindex = br[i].ifindex;
		fl->ports[fl->n_ports++].ep_id = br[i].ep_id;
	}
	if (map_update(skel->maps.flood_ports, &key, sizeof(key), fl, sizeof(*fl)))
		die("seeding the flood list");
	free(fl);
}

/*
 * A flood's clones are really sent (bpf_clone_redirect), and their receipt
 * runs in the softirq at the end of each timed run: the containers' ends
 * drop them at tc ingress, so that what is timed is the datapath's work and
 * the least of the receiver's.
 */
static void drop_at_bridge_peers(void)
{
	unsigned int i;

	for (i = 0; i < BR_PORTS; i++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)br[i].peer_ifindex,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = shot_tc_fd);
		int err = bpf_tc_hook_create(&hook);

		if ((err && err != -EEXIST) || bpf_tc_attach(&hook, &opts))
			die("attaching the drop program to %s", br[i].peer);
	}
}

static void establish_flows(void)
{
	static const struct nat_case published = {
		"established published flow", UPLINK,
		{ .t = T(TCP, REMOTE, EST_SPORT, NODE, 8080) },
		.xl = T(TCP, REMOTE, EST_SPORT, IP_A, 80), PUBLISHED(EP_A) };
	static const struct nat_case masq = {
		"established masqueraded flow", EP_A,
		{ .t = T(TCP, IP_A, MASQ_EST_SPORT, REMOTE, 443) },
		.xl = T(TCP, NODE, 0, REMOTE, 443), MASQUERADED };

	establish_flow(&published);
	masq_est_xl = establish_flow(&masq);
}

static void setup(void)
{
	size_t i;

	if (nat_setup_netns() || setup_datapath(NULL))
		die("cannot set up the netns and the datapath");
	empty_tc_fd = load_trivial(BPF_PROG_TYPE_SCHED_CLS, "empty_tc", TC_ACT_OK);
	empty_xdp_fd = load_trivial(BPF_PROG_TYPE_XDP, "empty_xdp", XDP_PASS);
	shot_tc_fd = load_trivial(BPF_PROG_TYPE_SCHED_CLS, "shot_tc", TC_ACT_SHOT);
	seed_bridge();
	drop_at_bridge_peers();
	establish_flows();
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vcase *c = &cases[i];
		unsigned int n = c->method == M_REPEAT ? opt_batches : opt_samples;

		c->ifindex = c->dev == DEV_BRIDGE ? br[0].ifindex :
			     c->dev == DEV_EP_A ? hosts[EP_A].ifindex : hosts[UPLINK].ifindex;
		if (!strcmp(c->program, "empty"))
			c->prog_fd = c->hook == HOOK_XDP ? empty_xdp_fd : empty_tc_fd;
		else if (c->hook == HOOK_XDP)
			c->prog_fd = bpf_program__fd(xdp_skel->progs.xdp_from_uplink);
		else if (!strcmp(c->program, "from_uplink"))
			c->prog_fd = bpf_program__fd(skel->progs.from_uplink);
		else
			c->prog_fd = bpf_program__fd(skel->progs.from_container);
		c->ns = calloc(n, sizeof(*c->ns));
		if (!c->ns)
			die("out of memory");
	}
}

/* ---- results ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double median_of(const uint32_t *sorted, unsigned int n)
{
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + (double)sorted[n / 2]) / 2;
}

/* The baseline of @c: the empty program of its hook, run its way. */
static const struct vcase *baseline_of(const struct vcase *c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (!strcmp(cases[i].program, "empty") && cases[i].hook == c->hook &&
		    cases[i].method == c->method)
			return &cases[i];
	abort();
}

static void method_str(const struct vcase *c, double base, char *buf, size_t size)
{
	bool empty = !strcmp(c->program, "empty");
	int off;

	if (c->method == M_REPEAT)
		off = snprintf(buf, size, "repeat=%u x%u calls; packet and state unchanged "
			       "(checked)", opt_repeat, c->n);
	else
		off = snprintf(buf, size, "fresh packet per run (repeat=1) x%u%s", c->n,
			       c->new_flow ? "; new source port per run and its ct entries "
					     "deleted after" : "");
	if (empty)
		snprintf(buf + off, size - (size_t)off, "; raw (the baseline)");
	else
		snprintf(buf + off, size - (size_t)off, "; minus empty_program %s median %.1f ns",
			 c->method == M_REPEAT ? "repeat" : "repeat=1", base);
}

static void report(FILE *csv)
{
	size_t i;

	printf("%-4s %-16s %-18s %-7s %8s %8s %8s %9s %7s\n", "hook", "program", "verdict",
	       "method", "ns", "ns_min", "ns_max", "raw_med", "samples");
	if (csv)
		fprintf(csv, "hook,program,verdict,ns,ns_min,ns_max,samples,method\n");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vcase *c = &cases[i];
		const struct vcase *bc = baseline_of(c);
		bool empty = bc == c;
		double base, med;
		char method[256];

		qsort(c->ns, c->n, sizeof(*c->ns), cmp_u32);
		base = empty ? 0 : median_of(bc->ns, bc->n);
		med = median_of(c->ns, c->n);
		method_str(c, median_of(bc->ns, bc->n), method, sizeof(method));
		printf("%-4s %-16s %-18s %-7s %8.1f %8.1f %8.1f %9.1f %7u%s\n",
		       c->hook == HOOK_XDP ? "xdp" : "tc", c->program, c->verdict,
		       c->method == M_REPEAT ? "repeat" : "fresh", med - base, c->ns[0] - base,
		       c->ns[c->n - 1] - base, med, c->n,
		       c->crosscheck ? "  (cross-check of the repeat row, not in the CSV)" : "");
		if (csv && !c->crosscheck)
			fprintf(csv, "%s,%s,%s,%.1f,%.1f,%.1f,%u,%s\n",
				c->hook == HOOK_XDP ? "xdp" : "tc", c->program, c->verdict,
				med - base, c->ns[0] - base, c->ns[c->n - 1] - base, c->n, method);
	}
}

/* ---- main ---- */

/* Every case of @verdict made to expect a return code its program does not give. */
static void expect_wrong(const char *verdict)
{
	bool found = false;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (strcmp(cases[i].verdict, verdict))
			continue;
		/* TC_ACT_STOLEN and XDP_ABORTED: returned by none of these cases */
		cases[i].want.verdict = cases[i].hook == HOOK_XDP ? XDP_ABORTED : TC_ACT_STOLEN;
		found = true;
	}
	if (!found)
		die("--wrong-verdict: no verdict class '%s'", verdict);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: verdict-cost [--samples N] [--batches N] [--repeat N] [--csv FILE]\n"
		   "  --samples N  fresh runs per verdict (default %u, at most %u)\n"
		   "  --batches N  repeat calls per repeat-measured verdict (default %u)\n"
		   "  --repeat N   runs per repeat call (default %u)\n"
		   "  --csv FILE   also write hook,program,verdict,ns,ns_min,ns_max,samples,method\n"
		   "  --wrong-verdict VERDICT  expect another return code of VERDICT's runs: a check\n"
		   "               of the checks, the run must fail\n"
		   "Runs in a private netns of its own (root); ns are per packet, the empty\n"
		   "program's median (measured the same way) subtracted.\n",
		DEFAULT_SAMPLES, MAX_SAMPLES, DEFAULT_BATCHES, DEFAULT_REPEAT);
}

static unsigned int parse_count(const char *opt, const char *s, unsigned int max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max || s[0] == '-')
		die("%s: expected a whole number from 1 to %u, got '%s'", opt, max, s);
	return (unsigned int)v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "samples", required_argument, NULL, 's' },
		{ "batches", required_argument, NULL, 'b' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "csv", required_argument, NULL, 'c' },
		{ "wrong-verdict", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *csv_path = NULL;
	FILE *csv = NULL;
	bool done;
	size_t i;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			opt_samples = parse_count("--samples", optarg, MAX_SAMPLES);
			break;
		case 'b':
			opt_batches = parse_count("--batches", optarg, MAX_SAMPLES);
			break;
		case 'r':
			opt_repeat = parse_count("--repeat", optarg, 10000000);
			break;
		case 'c':
			csv_path = optarg;
			break;
		case 'w':
			expect_wrong(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	setup();
	/* interleaved: each round takes the next chunk of every verdict still short of samples */
	for (done = false; !done;) {
		done = true;
		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			struct vcase *c = &cases[i];
			unsigned int want = c->method == M_REPEAT ? opt_batches : opt_samples;
			unsigned int n = c->method == M_REPEAT ? 1 : FRESH_CHUNK;

			if (c->n < want) {
				chunk(c, c->n, want - c->n < n ? want - c->n : n);
				done = false;
			}
		}
	}
	/* opened only now: a failed run leaves no CSV that looks like results */
	if (csv_path && !(csv = fopen(csv_path, "w")))
		die("%s: %s", csv_path, strerror(errno));
	report(csv);
	if (csv && fclose(csv))
		die("%s: %s", csv_path, strerror(errno));
	return 0;
}
