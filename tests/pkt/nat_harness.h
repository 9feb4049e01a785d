/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Harness of the NAT packet tests (test_nat.c, test_ct.c, test_frag.c,
 * test_security.c), on top of the topology all l3 packet tests share
 * (topo.h) and the harness of every packet test (harness.h): their netns;
 * one BPF_PROG_TEST_RUN per step (the uplink's by from_uplink or, for a
 * test added with add_test_xdp(), xdp_from_uplink) with exact verdict,
 * drop, global and endpoint counter deltas; reading and writing conntrack
 * entries; and new flows: their translation, entries and further packets.
 *
 * Expected frames are built from scratch with pktbuild.h (every checksum
 * computed in full), never by patching the datapath's output.
 */
#ifndef BPFNET_TESTS_NAT_HARNESS_H
#define BPFNET_TESTS_NAT_HARNESS_H

#include "topo.h"

/* Several test programs share this harness, each using a part of it. */
#pragma GCC diagnostic ignored "-Wunused-function"

#define IP_ID 0x2b3c
#define TCP_SEQ 0x01020304
#define TCP_ACK 0x0a0b0c0d
#define TCP_WINDOW 64240
#define ICMP_SEQ 7



/* One direction of a flow, host order. ICMP echo: request sport = id, reply dport = id. */
struct tuple {
	uint8_t proto;
	uint32_t saddr;
	uint16_t sport;
	uint32_t daddr;
	uint16_t dport;
};

#define T(proto, saddr, sport, daddr, dport) \
	((struct tuple){ IPPROTO_##proto, saddr, sport, daddr, dport })

/* An IPv4 segment to build: the tuple and what else varies between cases. */
struct seg {
	struct tuple t;
	uint8_t tcp_flags;
	uint8_t ttl;		/* 0: DEFAULT_TTL */
	uint16_t frag;		/* flags and offset; 0: DF */
	bool ip_opts;		/* ihl 6 */
	bool no_csum;		/* UDP checksum 0 */
};

static const char payload[] = "bpfnet nat test payload, odd length";
/* Three NOPs and an end of list: an ihl 6 header. */
static const uint8_t ip_options[] = { IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_END };

#define XDP_PREFIX "xdp: "		/* of every message of a test run via_xdp */

static char where[256];		/* the step running, for every message */
/* The uplink's steps of the test running go through xdp_from_uplink, not from_uplink. */
static bool via_xdp;

static void at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void at(const char *fmt, ...)
{
	va_list ap;

	size_t off = (size_t)snprintf(where, sizeof(where), "%s", via_xdp ? XDP_PREFIX : "");

	va_start(ap, fmt);
	vsnprintf(where + off, sizeof(where) - off, fmt, ap);
	va_end(ap);
}

/* The step running without XDP_PREFIX: to build a further step's at() on. */
static const char *where_case(void)
{
	return via_xdp ? where + strlen(XDP_PREFIX) : where;
}

/*
 * A test once more with the uplink's steps through xdp_from_uplink: the
 * same case, the same expectations (verdicts by class), the same bytes out.
 */
struct xdp_variant {
	CMUnitTestFunction fn;
	const void *arg;
	char name[192];
};

static struct xdp_variant xdp_variants[MAX_TESTS];
static size_t n_xdp_variants;

static void run_via_xdp(void **state)
{
	const struct xdp_variant *v = *state;
	void *arg = (void *)v->arg;

	via_xdp = true;
	v->fn(&arg);
}

static void add_test_xdp(const char *name, CMUnitTestFunction fn, const void *arg)
{
	struct xdp_variant *v;

	if (n_xdp_variants == MAX_TESTS)
		abort();
	v = &xdp_variants[n_xdp_variants++];
	v->fn = fn;
	v->arg = arg;
	snprintf(v->name, sizeof(v->name), XDP_PREFIX "%s", name);
	add_test(v->name, run_via_xdp, v);
}

/* ---- formatting ---- */

static const char *ip_str(uint32_t ip)
{
	static char bufs[8][INET_ADDRSTRLEN];
	static unsigned int n;
	char *b = bufs[n++ % ARRAY_SIZE(bufs)];

	snprintf(b, INET_ADDRSTRLEN, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff);
	return b;
}

static const char *proto_str(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	default:
		return "?";
	}
}

static const char *tuple_str(const struct tuple *t)
{
	static char bufs[8][80];
	static unsigned int n;
	char *b = bufs[n++ % ARRAY_SIZE(bufs)];

	snprintf(b, sizeof(bufs[0]), "%s %s:%u > %s:%u", proto_str(t->proto), ip_str(t->saddr),
		 t->sport, ip_str(t->daddr), t->dport);
	return b;
}

#define STATE_NAME(name, pub, str) [BPFNET_##name] = str,
static const char *const state_names[BPFNET_CT_STATE_MAX] = { BPFNET_FOREACH_CT_STATE(STATE_NAME) };
#undef STATE_NAME

static const char *state_str(unsigned int state)
{
	return state < BPFNET_CT_STATE_MAX ? state_names[state] : "?";
}

static const char *ct_flags_str(uint8_t flags)
{
#define FLAG(name, bit) { #name, BPFNET_CT_F_##name },
	static const struct { const char *name; uint8_t flag; } names[] = {
		BPFNET_FOREACH_CT_FLAG(FLAG)
	};
#undef FLAG
	static char bufs[4][96];
	static unsigned int n;
	char *b = bufs[n++ % ARRAY_SIZE(bufs)];
	size_t i, len = 0;

	b[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (flags & names[i].flag)
			len += (size_t)snprintf(b + len, sizeof(bufs[0]) - len, "%s%s",
						len ? "|" : "", names[i].name);
	if (!len)
		snprintf(b, sizeof(bufs[0]), "none");
	return b;
}

/* ---- frames ---- */

static struct tuple reverse(const struct tuple *t)
{
	return (struct tuple){ t->proto, t->daddr, t->dport, t->saddr, t->sport };
}

static bool tuple_eq(const struct tuple *a, const struct tuple *b)
{
	return a->proto == b->proto && a->saddr == b->saddr && a->sport == b->sport &&
	       a->daddr == b->daddr && a->dport == b->dport;
}

static uint8_t seg_ttl(const struct seg *s)
{
	return s->ttl ? s->ttl : DEFAULT_TTL;
}

/* The transport header and payload of @s; for ICMP an echo request or reply. */
static void build_l4(struct pkt *p, const struct seg *s)
{
	const struct tuple *t = &s->t;

	switch (t->proto) {
	case IPPROTO_TCP:
		pkt_tcp(p, t->sport, t->dport, TCP_SEQ, TCP_ACK, s->tcp_flags, TCP_WINDOW);
		break;
	case IPPROTO_UDP:
		pkt_udp(p, t->sport, t->dport);
		break;
	default:
		if (t->sport)
			pkt_icmp(p, ICMP_TYPE_ECHO_REQUEST, 0, (uint32_t)t->sport << 16 | ICMP_SEQ);
		else
			pkt_icmp(p, ICMP_TYPE_ECHO_REPLY, 0, (uint32_t)t->dport << 16 | ICMP_SEQ);
		break;
	}
	pkt_append(p, payload, strlen(payload));
}

/* The IPv4 datagram of @s (no Ethernet header), every checksum computed in full. */
static void build_ip(struct pkt *p, const struct seg *s)
{
	struct ipv4_spec ip = {
		.saddr = s->t.saddr,
		.daddr = s->t.daddr,
		.proto = s->t.proto,
		.ttl = seg_ttl(s),
		.id = IP_ID,
		.frag = s->frag ? s->frag : IPV4_FLAG_DF,
		.opts = s->ip_opts ? ip_options : NULL,
		.opts_len = s->ip_opts ? sizeof(ip_options) : 0,
	};

	pkt_ipv4(p, &ip);
	build_l4(p, s);
	pkt_ipv4_finish(p);
	if (s->no_csum)
		put_be16(p->data + p->l4_off + UDP_OFF_CHECK, 0);
}

static void build_frame(struct pkt *p, const uint8_t *dst, const uint8_t *src, const struct seg *s)
{
	pkt_init(p);
	pkt_eth(p, dst, src, ETH_P_IP);
	build_ip(p, s);
}

/* A frame as @h sends it: a container to its gateway, or the outside to the node. */
static void frame_from(struct pkt *p, enum host_id h, const struct seg *s)
{
	build_frame(p, hosts[h].host_mac, hosts[h].mac, s);
}

/* A frame as it must reach @h: into a container, or out of the node to the outside. */
static void frame_to(struct pkt *p, enum host_id h, const struct seg *s)
{
	build_frame(p, hosts[h].mac, hosts[h].host_mac, s);
}

static enum host_id host_of_ip(uint32_t ip)
{
	int h;

	for (h = EP_A; h < UPLINK; h++)
		if (hosts[h].ip == ip)
			return (enum host_id)h;
	return UPLINK;
}

/* The source port, or the echo id of an ICMP echo request, of the frame @p. */
static uint16_t frame_sport(const struct pkt *p)
{
	const uint8_t *l4 = p->data + p->l4_off;

	return p->data[p->l3_off + IP_OFF_PROTO] == IPPROTO_ICMP ? get_be16(l4 + ICMP_OFF_ID) :
								  get_be16(l4);
}

/* ---- counters ---- */

struct counters {
	uint64_t drops[BPFNET_DROP_MAX];
	uint64_t global[BPFNET_G_MAX];
	struct bpfnet_ep_stats ep[HOST_COUNT];
};

static void snapshot(struct counters *c)
{
	uint32_t i;

	memset(c, 0, sizeof(*c));
	read_drop_stats(c->drops);
	read_global_stats(c->global);
	for (i = EP_A; i < UPLINK; i++)
		read_ep_stats(hosts[i].ep_id, &c->ep[i]);
}

/* What one step must do besides its output frame. */
struct expect {
	int verdict;
	enum bpfnet_drop_reason drop;	/* DROP_UNUSED: none */
	enum host_id rx;		/* endpoint it is delivered into, H_NONE: none */
	/*
	 * The endpoint a drop on the uplink counts against: by default the one
	 * at the destination address; a published port's drop counts against
	 * its container, which only the case knows.
	 */
	enum host_id charged;
	uint64_t global[BPFNET_G_MAX];	/* every counter not named must stay */
	/*
	 * Under via_xdp, a delivery (rx) that xdp_from_uplink leaves to tc all
	 * the same (an ICMP error, a fragment, routed to a container): without
	 * it, XDP must deliver it itself.
	 */
	bool xdp_to_tc;
};

/*
 * Is @s, arriving on @dev, routed to a container's own address from the
 * uplink? Under XDP that is from_uplink's (the gateway modes judge it, with
 * redirect_peer): xdp_from_uplink passes it untouched, martians aside.
 */
static bool routed_in(enum host_id dev, const struct seg *s)
{
	return dev == UPLINK && host_of_ip(s->t.daddr) != UPLINK;
}

/* The last uplink step under via_xdp: xdp_from_uplink passed it on, and tc decided. */
static bool xdp_passed;
/* The test running has the endpoints without BPFNET_EP_F_XDP_RX: every delivery is tc's. */
static bool eps_not_xdp_ready;

/* Whose drops a drop of the frame @in, entering on @dev, counts against. */
static enum host_id charged_host(enum host_id dev, const struct pkt *in, const struct expect *x)
{
	if (x->charged)
		return x->charged;
	if (dev != UPLINK)
		return dev;
	return host_of_ip(get_be32(in->data + in->l3_off + IP_OFF_DADDR));
}

static void check_counters(enum host_id dev, const struct pkt *in, const struct expect *x,
			   const struct counters *b, const struct counters *a)
{
	bool sent = dev != UPLINK, dropped = x->verdict == TC_ACT_SHOT;
	enum host_id charged = dropped ? charged_host(dev, in, x) : H_NONE;
	uint64_t global[BPFNET_G_MAX];
	size_t len = in->len;
	uint32_t i;

	/* what tc's from_uplink leaves to the stack counts once in uplink_passed */
	memcpy(global, x->global, sizeof(global));
	if (dev == UPLINK && (!via_xdp || xdp_passed) && x->verdict == TC_ACT_UNSPEC)
		global[BPFNET_G_UPLINK_PASSED]++;
	if (dev == UPLINK && via_xdp && !xdp_passed && x->verdict == TC_ACT_REDIRECT)
		global[BPFNET_G_XDP_DELIVERED]++;
	if (dev == UPLINK && via_xdp && x->rx && !x->xdp_to_tc && !eps_not_xdp_ready &&
	    xdp_passed)
		fail_msg("%s: xdp_from_uplink passed to tc a delivery it should make itself", where);
	if (dev == UPLINK && via_xdp && (x->xdp_to_tc || (x->rx && eps_not_xdp_ready)) &&
	    !xdp_passed)
		fail_msg("%s: xdp_from_uplink decided a frame it should leave to tc", where);
	if (dev == UPLINK && via_xdp && x->verdict == TC_ACT_SHOT && !x->xdp_to_tc && xdp_passed)
		fail_msg("%s: xdp_from_uplink passed to tc a frame it should drop itself", where);
	check_drop_deltas(where, x->drop, b->drops, a->drops);
	check_global_deltas(where, global, b->global, a->global);
	for (i = EP_A; i < UPLINK; i++) {
		struct ep_delta d = { .tx = sent && i == dev && !dropped, .rx = i == x->rx,
				      .drops = i == charged };

		check_ep_deltas(where, hosts[i].ifname, &d, len, &b->ep[i], &a->ep[i]);
	}
}

/* ---- running ---- */

/* @in through the program of @dev; its verdict, an XDP one under via_xdp from the uplink. */
static int run_frame(enum host_id dev, const struct pkt *in, struct pkt *out)
{
	struct bpf_program *prog = dev == UPLINK ? skel->progs.from_uplink :
						   skel->progs.from_container;

	xdp_passed = false;
	if (via_xdp && dev == UPLINK) {
		int verdict = xdp_test_run(where, xdp_skel->progs.xdp_from_uplink,
					   hosts[dev].ifindex, in, out);

		if (verdict != XDP_PASS)
			return verdict;
		/* the stack, then tc's from_uplink: it must see the frame as it arrived */
		xdp_passed = true;
		assert_pkt_equal(where, in, out);
	}
	return prog_test_run(where, prog, hosts[dev].ifindex, in, out);
}

/* @got, run_frame()'s verdict on @dev, of the class of the tc verdict @want. */
static void check_run_verdict(enum host_id dev, int want, int got)
{
	if (via_xdp && dev == UPLINK && !xdp_passed)
		check_xdp_verdict(where, want, got);
	else
		check_verdict(where, want, got);
}

/* Run @in through the program of @dev and check verdict and counters; output in @out. */
static void step(enum host_id dev, const struct pkt *in, struct pkt *out, const struct expect *x)
{
	struct counters before, after;
	int verdict;

	snapshot(&before);
	verdict = run_frame(dev, in, out);
	snapshot(&after);
	check_run_verdict(dev, x->verdict, verdict);
	check_counters(dev, in, x, &before, &after);
}

/* ---- output checks ---- */

static void expect_frame(const struct pkt *want, const struct pkt *got)
{
	assert_pkt_equal(where, want, got);
}

/*
 * Every checksum of the IPv4 frame @p, recomputed in full: the header, the
 * transport (TCP/UDP with the pseudo header; a UDP checksum of 0 is "none"
 * and must stay 0, which the exact frame comparison checks; ICMP over the
 * whole message) and, for ICMP errors, the quoted header.
 */
static void check_csums(const struct pkt *p)
{
	const uint8_t *iph = p->data + p->l3_off;
	size_t hlen = ipv4_hdr_len(iph), l4_len = get_be16(iph + IP_OFF_TOT_LEN) - hlen;
	const uint8_t *l4 = iph + hlen;
	int off = l4_check_off(iph[IP_OFF_PROTO]);

	check_ip_csum(where, "IPv4", iph);
	if (iph[IP_OFF_PROTO] == IPPROTO_UDP && !get_be16(l4 + UDP_OFF_CHECK))
		return;
	if (!l4_csum_valid(iph, l4, l4_len))
		fail_msg("%s: %s checksum: expected 0x%04x, got 0x%04x", where,
			 proto_str(iph[IP_OFF_PROTO]), l4_csum_compute(iph, l4, l4_len),
			 get_be16(l4 + off));
	if (iph[IP_OFF_PROTO] == IPPROTO_ICMP && l4[0] != ICMP_TYPE_ECHO_REQUEST &&
	    l4[0] != ICMP_TYPE_ECHO_REPLY)
		check_ip_csum(where, "quoted IPv4", l4 + ICMP_HDR_LEN);
}

/* ---- conntrack ---- */

static struct bpfnet_ct_key ct_key(const struct tuple *t)
{
	struct bpfnet_ct_key k;

	memset(&k, 0, sizeof(k));
	k.saddr = htonl(t->saddr);
	k.daddr = htonl(t->daddr);
	k.sport = htons(t->sport);
	k.dport = htons(t->dport);
	k.proto = t->proto;
	return k;
}

static struct tuple tuple_of_key(const struct bpfnet_ct_key *k)
{
	return (struct tuple){ k->proto, ntohl(k->saddr), ntohs(k->sport), ntohl(k->daddr),
			       ntohs(k->dport) };
}

static bool ct_get(const struct tuple *t, struct bpfnet_ct_entry *e)
{
	struct bpfnet_ct_key k = ct_key(t);

	return !bpf_map_lookup_elem(bpf_map__fd(skel->maps.ct4), &k, e);
}

static struct bpfnet_ct_entry ct_must_get(const struct tuple *t)
{
	struct bpfnet_ct_entry e;

	if (!ct_get(t, &e))
		fail_msg("%s: ct4[%s]: expected an entry, found none", where, tuple_str(t));
	return e;
}

static void ct_put(const struct tuple *t, const struct bpfnet_ct_entry *e)
{
	struct bpfnet_ct_key k = ct_key(t);

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.ct4), &k, e, BPF_ANY))
		fail_msg("%s: writing ct4[%s] failed: %s", where, tuple_str(t), strerror(errno));
}

static void ct_del(const struct tuple *t)
{
	struct bpfnet_ct_key k = ct_key(t);

	if (bpf_map_delete_elem(bpf_map__fd(skel->maps.ct4), &k))
		fail_msg("%s: deleting ct4[%s] failed: %s", where, tuple_str(t), strerror(errno));
}

/* Empty ct4: collect every key first, deleting while walking a hash map restarts the walk. */
/* The copy of the flow's expiry that entry @t holds, run out (each entry has one, bpf/lib/ct.h). */
static void ct_expire(const struct tuple *t)
{
	struct bpfnet_ct_entry e = ct_must_get(t);

	e.expires_ns = 1;
	ct_put(t, &e);
}

/* Both copies of the expiry of the flow @t (translated to @xl) run out: the flow is over. */
static void ct_expire_flow(const struct tuple *t, const struct tuple *xl)
{
	struct tuple r = reverse(xl);

	ct_expire(t);
	ct_expire(&r);
}

static int ct_clear(void)
{
	int fd = bpf_map__fd(skel->maps.ct4);
	struct bpfnet_ct_key *keys = calloc(BPFNET_CT_MAX, sizeof(*keys));
	size_t n = 0, i;

	if (!keys)
		return -1;
	while (n < BPFNET_CT_MAX &&
	       !bpf_map_get_next_key(fd, n ? &keys[n - 1] : NULL, &keys[n]))
		n++;
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
	return 0;
}

static void expect_no_ct(const struct tuple *t)
{
	struct bpfnet_ct_entry e;
	struct tuple peer;

	if (!ct_get(t, &e))
		return;
	peer = tuple_of_key(&e.peer);
	fail_msg("%s: ct4[%s]: expected no entry, found one (flags %s, peer %s)", where,
		 tuple_str(t), ct_flags_str(e.flags), tuple_str(&peer));
}

/* What one conntrack entry must hold. */
struct ct_want {
	struct tuple peer;
	uint8_t flags;			/* exactly */
	struct tuple nat;		/* nat_saddr:nat_sport > nat_daddr:nat_dport, no proto */
	int state;			/* -1: not checked (reply entries keep none) */
	unsigned int timeout_s;		/* expires_ns - now, within a second; 0: unchecked */
};

static void expect_ct(const struct tuple *key, const struct ct_want *w)
{
	struct bpfnet_ct_entry e = ct_must_get(key);
	struct tuple peer = tuple_of_key(&e.peer);
	struct tuple nat = { 0, ntohl(e.nat_saddr), ntohs(e.nat_sport), ntohl(e.nat_daddr),
			     ntohs(e.nat_dport) };
	const char *k = tuple_str(key);

	if (!tuple_eq(&peer, &w->peer) || e.peer.pad[0] || e.peer.pad[1] ||
	    e.peer.pad[2])
		fail_msg("%s: ct4[%s]: peer: expected %s, got %s", where, k, tuple_str(&w->peer),
			 tuple_str(&peer));
	if (e.flags != w->flags)
		fail_msg("%s: ct4[%s]: flags: expected %s, got %s", where, k,
			 ct_flags_str(w->flags), ct_flags_str(e.flags));
	if (nat.saddr != w->nat.saddr || nat.sport != w->nat.sport)
		fail_msg("%s: ct4[%s]: nat source: expected %s:%u, got %s:%u", where, k,
			 ip_str(w->nat.saddr), w->nat.sport, ip_str(nat.saddr), nat.sport);
	if (nat.daddr != w->nat.daddr || nat.dport != w->nat.dport)
		fail_msg("%s: ct4[%s]: nat destination: expected %s:%u, got %s:%u", where, k,
			 ip_str(w->nat.daddr), w->nat.dport, ip_str(nat.daddr), nat.dport);
	if (w->state >= 0 && e.state != w->state)
		fail_msg("%s: ct4[%s]: state: expected %s, got %s (%u)", where, k,
			 state_str((unsigned int)w->state), state_str(e.state), e.state);
	if (w->timeout_s) {
		int64_t left = (int64_t)(e.expires_ns - now_ns());
		int64_t want = (int64_t)w->timeout_s * (int64_t)NSEC_PER_SEC;

		if (left > want || left < want - (int64_t)NSEC_PER_SEC)
			fail_msg("%s: ct4[%s]: expires in %.3f s, expected %u s (less up to 1 s)",
				 where, k, (double)left / NSEC_PER_SEC, w->timeout_s);
	}
}

/* ---- setup ---- */

/* The gateway mode whose flags (BPFNET_NET_F_ROUTED, _UNPROTECTED) are @flags. */
static const char *gateway_mode_of(uint8_t flags)
{
	if (flags & BPFNET_NET_F_ROUTED)
		return BPFNET_GW_MODE_ROUTED;
	if (flags & BPFNET_NET_F_UNPROTECTED)
		return BPFNET_GW_MODE_NAT_UNPROTECTED;
	return BPFNET_GW_MODE_NAT;
}

/* For the test running: network @id in the gateway mode of @mode_flags (BPFNET_NET_F_*). */
static void set_net_flags(uint32_t id, uint8_t mode_flags)
{
	const struct net_seed *n = topo_net_seed(id);
	struct net_state net;

	if (n) {
		net = topo_net_of(n, gateway_mode_of(mode_flags));
		if (!topo_seed_net(&net))
			return;
	}
	fail_msg("%s: cannot set the gateway mode of network %u", where, id);
}

static int setup_datapath(void **state)
{
	(void)state;
	if (skel_load() || xdp_skel_load())
		return -1;
	return topo_seed(BPFNET_GW_MODE_NAT);
}

/*
 * A private netns: the veths, the node's address on the uplink and a
 * permanent neighbour entry for REMOTE (REMOTE_NN has none: NO_NEIGH).
 */
static int nat_setup_netns(void)
{
	char cmd[256], mac[32], path[128];
	int h;

	if (enter_netns() || topo_add_veths())
		return -1;
	/* bpf_fib_lookup() from a container's veth answers only with forwarding on */
	for (h = EP_A; h < UPLINK; h++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding",
			 hosts[h].ifname);
		if (write_proc(path, "1"))
			return -1;
	}
	fmt_mac(mac, sizeof(mac), hosts[UPLINK].mac);
	snprintf(cmd, sizeof(cmd),
		 "ip addr add %s/24 dev %s && ip neigh add %s lladdr %s dev %s nud permanent",
		 ip_str(NODE), hosts[UPLINK].ifname, ip_str(REMOTE), mac, hosts[UPLINK].ifname);
	return sh(cmd);
}

/* BPFNET_EP_F_XDP_RX on (@on) or off every endpoint of map @map, keyed by anything. */
static int eps_map_set_xdp_rx(struct bpf_map *map, bool on)
{
	int fd = bpf_map__fd(map);
	uint8_t key[8], next[8];	/* ep_by_ip's and ep_by_ifindex's keys: 4 bytes */
	struct bpfnet_ep ep;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (bpf_map_lookup_elem(fd, next, &ep))
			return -1;
		ep.flags = on ? ep.flags | BPFNET_EP_F_XDP_RX : ep.flags & ~BPFNET_EP_F_XDP_RX;
		if (bpf_map_update_elem(fd, next, &ep, BPF_EXIST))
			return -1;
		memcpy(key, next, sizeof(key));
		prev = key;
	}
	return 0;
}

static int eps_set_xdp_rx(bool on)
{
	eps_not_xdp_ready = !on;
	return eps_map_set_xdp_rx(skel->maps.ep_by_ip, on) ?:
	       eps_map_set_xdp_rx(skel->maps.ep_by_ifindex, on);
}

/* A test of the uplink's path under XDP once more, with no endpoint's veth taking XDP frames. */
static void run_via_xdp_not_ready(void **state)
{
	assert_int_equal(eps_set_xdp_rx(false), 0);
	run_via_xdp(state);
}

static struct xdp_variant xdp_not_ready_variants[MAX_TESTS];
static size_t n_xdp_not_ready_variants;

static void add_test_xdp_not_ready(const char *name, CMUnitTestFunction fn, const void *arg)
{
	struct xdp_variant *v;

	if (n_xdp_not_ready_variants == MAX_TESTS)
		abort();
	v = &xdp_not_ready_variants[n_xdp_not_ready_variants++];
	v->fn = fn;
	v->arg = arg;
	snprintf(v->name, sizeof(v->name), "xdp, veths without XDP: %s", name);
	add_test(v->name, run_via_xdp_not_ready, v);
}

/* Every test starts from an empty conntrack table and the networks as seeded. */
static int reset_state(void **state)
{
	size_t i;

	(void)state;
	where[0] = '\0';
	via_xdp = false;
	if (eps_set_xdp_rx(true))
		return -1;
	for (i = 0; i < ARRAY_SIZE(nets); i++) {
		struct net_state n = topo_net_of(&nets[i], BPFNET_GW_MODE_NAT);

		if (topo_seed_net(&n))
			return -1;
	}
	return ct_clear();
}

/* ---- flows: a new flow, its translation, its packets ---- */

#define F_SNAT BPFNET_CT_F_SNAT
#define F_DNAT BPFNET_CT_F_DNAT
#define F_REPLY BPFNET_CT_F_REPLY
#define F_SEEN BPFNET_CT_F_SEEN_REPLY
#define F_FIN_O BPFNET_CT_F_FIN_ORIG
#define F_FIN_R BPFNET_CT_F_FIN_REPLY

/*
 * A flow's first packet @seg enters at @from; translated (to != H_NONE) it
 * becomes @xl and goes to @to, whose reply must come back to @from as the
 * exact reverse of @seg. An SNAT source port of 0 in @xl: any port of the
 * range. TCP flows start with a SYN, answered by a SYN-ACK.
 */
struct nat_case {
	const char *name;
	enum host_id from;
	struct seg seg;
	int verdict;
	uint8_t flags;			/* of the original ct entry */
	struct tuple xl;
	enum host_id to;		/* UPLINK: out of the node through the FIB */
	enum bpfnet_global_counter kind;
	bool no_neigh;			/* the outside host has no neighbour entry */
};

#define PUBLISHED(ep) .verdict = TC_ACT_REDIRECT, .to = ep, .kind = BPFNET_G_DNAT, \
	.flags = F_DNAT | BPFNET_CT_F_PORTMAP
#define MASQUERADED .verdict = TC_ACT_REDIRECT, .to = UPLINK, .kind = BPFNET_G_SNAT, .flags = F_SNAT
#define HAIRPINNED(ep) .verdict = TC_ACT_REDIRECT, .to = ep, .kind = BPFNET_G_HAIRPIN, \
	.flags = BPFNET_CT_F_HAIRPIN | F_SNAT | F_DNAT
#define UNTOUCHED(v) .verdict = v, .to = H_NONE
/* A network without masquerade: tracked as it is (no kind of its own but the entry). */
#define ROUTED_OUT .verdict = TC_ACT_REDIRECT, .to = UPLINK, .kind = BPFNET_G_CT_CREATED, .flags = 0

static unsigned int timeout_of(uint8_t proto, int state)
{
	if (proto == IPPROTO_UDP)
		return BPFNET_CT_TIMEOUT_UDP;
	if (proto == IPPROTO_ICMP)
		return BPFNET_CT_TIMEOUT_ICMP;
	switch (state) {
	case BPFNET_CT_SYN_SENT:
		return BPFNET_CT_TIMEOUT_SYN_SENT;
	case BPFNET_CT_FIN_WAIT:
		return BPFNET_CT_TIMEOUT_FIN_WAIT;
	case BPFNET_CT_TIME_WAIT:
		return BPFNET_CT_TIMEOUT_TIME_WAIT;
	case BPFNET_CT_CLOSE:
		return BPFNET_CT_TIMEOUT_CLOSE;
	default:
		return BPFNET_CT_TIMEOUT_ESTABLISHED;
	}
}

/* The flags that are the flow's state, of which each entry has a copy (bpf/lib/ct.h). */
#define F_STATE (BPFNET_CT_F_SEEN_REPLY | BPFNET_CT_F_FIN_ORIG | BPFNET_CT_F_FIN_REPLY)

/*
 * Both entries of the flow whose original direction @t is translated to
 * @xl: the original (state, expiry, @flags) and the reply, keyed by the
 * reverse of @xl and translating back to @t, with the same copy of the
 * state (every change of state is written into both).
 */
static void expect_flow_ct(const struct tuple *t, const struct tuple *xl, uint8_t flags, int state)
{
	struct tuple r = reverse(xl);
	struct ct_want o = { .peer = r, .flags = flags, .state = state,
			     .timeout_s = timeout_of(t->proto, state) };
	struct ct_want rw = { .peer = *t, .flags = F_REPLY | (flags & F_STATE), .state = state,
			      .timeout_s = timeout_of(t->proto, state) };

	if (flags & F_SNAT) {
		o.nat.saddr = xl->saddr;
		o.nat.sport = xl->sport;
		rw.flags |= F_DNAT;
		rw.nat.daddr = t->saddr;
		rw.nat.dport = t->sport;
	}
	if (flags & F_DNAT) {
		o.nat.daddr = xl->daddr;
		o.nat.dport = xl->dport;
		rw.flags |= F_SNAT;
		rw.nat.saddr = t->daddr;
		rw.nat.sport = t->dport;
	}
	expect_ct(t, &o);
	expect_ct(&r, &rw);
}

/* @s one hop further (TTL-1) as it must leave for @to; by redirect_neigh the MACs stay. */
static void expected_out(struct pkt *want, const struct pkt *in, const struct seg *s,
			 enum host_id to, bool no_neigh)
{
	struct seg o = *s;

	o.ttl = seg_ttl(s) - 1;
	if (to == UPLINK && no_neigh)
		build_frame(want, in->data + ETH_OFF_DST, in->data + ETH_OFF_SRC, &o);
	else
		frame_to(want, to, &o);
}

/* The source port SNAT gave the frame @out: of the range, and @want if not 0. */
static uint16_t snat_port(const struct pkt *out, uint16_t want)
{
	uint16_t port = frame_sport(out);

	if (port < BPFNET_SNAT_PORT_MIN || port > BPFNET_SNAT_PORT_MAX)
		fail_msg("%s: translated source port %u: expected one of [%u, %u]", where, port,
			 BPFNET_SNAT_PORT_MIN, BPFNET_SNAT_PORT_MAX);
	if (want && port != want)
		fail_msg("%s: translated source port: expected %u (kept), got %u", where, want,
			 port);
	return port;
}

static struct seg first_seg(const struct nat_case *c)
{
	struct seg s = c->seg;

	if (s.t.proto == IPPROTO_TCP)
		s.tcp_flags = TCP_FLAG_SYN;
	return s;
}

/* Send the flow's first packet, expect it translated; returns the translated tuple. */
static struct tuple open_flow(const struct nat_case *c, struct pkt *in, struct pkt *out)
{
	struct seg s = first_seg(c);
	struct expect x = { .verdict = TC_ACT_REDIRECT, .rx = c->to == UPLINK ? H_NONE : c->to };
	struct tuple xl = c->xl;
	struct seg o;
	struct pkt want;

	x.global[BPFNET_G_CT_CREATED] = 1;
	x.global[c->kind] = 1;
	x.xdp_to_tc = routed_in(c->from, &s);
	frame_from(in, c->from, &s);
	step(c->from, in, out, &x);
	if (c->flags & F_SNAT)
		xl.sport = snat_port(out, c->xl.sport);
	o = s;
	o.t = xl;
	expected_out(&want, in, &o, c->to, c->no_neigh);
	expect_frame(&want, out);
	check_csums(out);
	return xl;
}

/* One more packet of the flow @c translated to @xl, original direction or reply. */
static void flow_step(const struct nat_case *c, const struct tuple *xl, bool reply,
		      uint8_t tcp_flags)
{
	enum host_id dev = reply ? c->to : c->from, to = reply ? c->from : c->to;
	struct seg s = c->seg;
	struct pkt in, out, want;

	s.t = reply ? reverse(xl) : c->seg.t;
	s.tcp_flags = c->seg.t.proto == IPPROTO_TCP ? tcp_flags : 0;
	frame_from(&in, dev, &s);
	step(dev, &in, &out, &(struct expect){ .verdict = TC_ACT_REDIRECT,
		.rx = to == UPLINK ? H_NONE : to, .xdp_to_tc = routed_in(dev, &s) });
	s.t = reply ? reverse(&c->seg.t) : *xl;
	expected_out(&want, &in, &s, to, c->no_neigh);
	expect_frame(&want, &out);
	check_csums(&out);
}

/* A flow of @c opened and established (SYN, SYN-ACK, ACK), each step checked; its translation. */
static struct tuple establish_flow(const struct nat_case *c)
{
	struct pkt in, out;
	struct tuple xl;

	at("%s: first packet", c->name);
	xl = open_flow(c, &in, &out);
	at("%s: reply", c->name);
	flow_step(c, &xl, true, TCP_FLAG_SYN | TCP_FLAG_ACK);
	at("%s: ack", c->name);
	flow_step(c, &xl, false, TCP_FLAG_ACK);
	return xl;
}

/* @t as the conntrack entry @e rewrites it. */
static struct tuple translate(const struct tuple *t, const struct bpfnet_ct_entry *e)
{
	struct tuple x = *t;

	if (e->flags & F_SNAT) {
		x.saddr = ntohl(e->nat_saddr);
		x.sport = ntohs(e->nat_sport);
	}
	if (e->flags & F_DNAT) {
		x.daddr = ntohl(e->nat_daddr);
		x.dport = ntohs(e->nat_dport);
	}
	return x;
}

#endif /* BPFNET_TESTS_NAT_HARNESS_H */
