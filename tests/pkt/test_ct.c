// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Packet tests of conntrack under pressure and churn (the NAT hosts of
 * nat_harness.h: containers A and B in a masquerading network, C in one
 * routed as it is, generations 11, 12 and 13):
 *
 * - flows lost to LRU eviction are counted wherever the datapath meets what
 *   is left of them: a reply without its original, a NAT port or reply
 *   tuple held by such a leftover (or by an expired flow, or one of a
 *   removed endpoint), reclaimed for the new flow;
 * - a flow of a removed endpoint, or of an earlier endpoint at a re-created
 *   endpoint's address (same address, new generation), delivers nothing
 *   into that address any more (moby#8795), with no walk of the table: its
 *   next packet retires it, and a packet from outside forging a container's
 *   tuple or an ICMP error ends nothing;
 * - the control plane's walk (user/lib/ct.c, the code behind ct ls, stats and
 *   ct gc) run on these very maps: it removes expired, half-evicted and
 *   retired flows, counts each once in cp_stats, and leaves the live ones.
 *
 * Every step is one BPF_PROG_TEST_RUN with exact verdict, drop, node-wide
 * and endpoint counter deltas (nat_harness.h).
 */
#include <sys/mman.h>

#include "nat_harness.h"
#include "dp/ct.h"

#define GEN_NEW 99		/* a re-created endpoint's generation, not its flows' */
/* Past the walk's minimum age for removing a dead entry (CT_GC_MIN_AGE_NS). */
#define BACKDATE_NS (10 * NSEC_PER_SEC)

static struct dp_cp_stats cp;	/* the test skeleton's cp_stats, mapped */

/* ---- the flows ---- */

/* Source ports inside the SNAT range are kept: the tuples below are fixed. */
static const struct nat_case masq_a = {
	"udp 10.1.0.2:41000 > 192.168.50.2:53", EP_A, { .t = T(UDP, IP_A, 41000, REMOTE, 53) },
	.xl = T(UDP, NODE, 41000, REMOTE, 53), MASQUERADED };
static const struct nat_case masq_b_same_port = {
	"udp 10.1.0.3:41000 > 192.168.50.2:53", EP_B, { .t = T(UDP, IP_B, 41000, REMOTE, 53) },
	.xl = T(UDP, NODE, 41000, REMOTE, 53), MASQUERADED };
static const struct nat_case masq_a_other = {
	"udp 10.1.0.2:41002 > 192.168.50.2:53", EP_A, { .t = T(UDP, IP_A, 41002, REMOTE, 53) },
	.xl = T(UDP, NODE, 41002, REMOTE, 53), MASQUERADED };
static const struct nat_case masq_b = {
	"udp 10.1.0.3:41003 > 192.168.50.2:53", EP_B, { .t = T(UDP, IP_B, 41003, REMOTE, 53) },
	.xl = T(UDP, NODE, 41003, REMOTE, 53), MASQUERADED };
static const struct nat_case pub_a = {
	"tcp 192.168.50.2:40000 > 0.0.0.0:8080", UPLINK, { .t = T(TCP, REMOTE, 40000, NODE, 8080) },
	.xl = T(TCP, REMOTE, 40000, IP_A, 80), PUBLISHED(EP_A) };
static const struct nat_case hairpin_b_a = {
	"tcp 10.1.0.3:41001 > 192.168.50.1:8080", EP_B, { .t = T(TCP, IP_B, 41001, NODE, 8080) },
	.xl = T(TCP, NODE, 41001, IP_A, 80), HAIRPINNED(EP_A) };
static const struct nat_case hairpin_c_a = {
	"tcp 10.2.0.2:43000 > 192.168.50.1:8080", EP_C, { .t = T(TCP, IP_C, 43000, NODE, 8080) },
	.xl = T(TCP, NODE, 43000, IP_A, 80), HAIRPINNED(EP_A) };

static struct tuple open_case(const struct nat_case *c)
{
	struct pkt in, out;

	at("%s: first packet", c->name);
	return open_flow(c, &in, &out);
}

/* ---- endpoints changing under their flows ---- */

/* Endpoint @h at its address again, with generation @gen: a re-created container. */
static void ep_recreate(enum host_id h, uint32_t gen)
{
	const struct host *x = &hosts[h];
	struct net_state n = topo_net_of(topo_net_seed(x->net_id), BPFNET_GW_MODE_NAT);

	if (topo_seed_ep(&n, x->ifindex, x->ep_id, x->ip, x->mac, x->host_mac, gen))
		fail_msg("%s: re-creating %s failed", where, x->ifname);
}

/* The published ports of @h gone, as endpoint rm and port rm take them. */
static void unpublish(enum host_id h)
{
	struct svc_maps sm = { .portmap = bpf_map__fd(skel->maps.portmap4),
			       .backends = bpf_map__fd(skel->maps.backends4) };

	for (size_t i = 0; i < ARRAY_SIZE(portmaps); i++) {
		struct bpfnet_portmap_key k = { .host_ip = htonl(portmaps[i].host_ip),
						.host_port = htons(portmaps[i].host_port),
						.proto = portmaps[i].proto };

		if (portmaps[i].ep_ip == hosts[h].ip)
			svc_unpublish(&sm, &k);
	}
}

/* Endpoint @h removed, as endpoint rm does: out of both endpoint maps, its ports gone. */
static void ep_remove(enum host_id h)
{
	__u32 ifindex = hosts[h].ifindex;
	__be32 ip = htonl(hosts[h].ip);

	if (bpf_map_delete_elem(bpf_map__fd(skel->maps.ep_by_ip), &ip) ||
	    bpf_map_delete_elem(bpf_map__fd(skel->maps.ep_by_ifindex), &ifindex))
		fail_msg("%s: removing %s failed: %s", where, hosts[h].ifname, strerror(errno));
	unpublish(h);
}

/* ---- checks ---- */

/* The generations both entries of the flow @t (translated to @xl) were made for. */
static void expect_gens(const struct tuple *t, const struct tuple *xl, uint32_t tx, uint32_t rx)
{
	struct tuple r = reverse(xl);
	struct bpfnet_ct_entry o = ct_must_get(t), re = ct_must_get(&r);

	if (o.tx_gen != tx || o.rx_gen != rx)
		fail_msg("%s: ct4[%s]: generations: expected tx %u rx %u, got tx %u rx %u", where,
			 tuple_str(t), tx, rx, o.tx_gen, o.rx_gen);
	if (re.tx_gen != rx || re.rx_gen != tx)
		fail_msg("%s: ct4[%s]: generations: expected tx %u rx %u, got tx %u rx %u", where,
			 tuple_str(&r), rx, tx, re.tx_gen, re.rx_gen);
}

/* Neither entry of the flow @t translated to @xl is left. */
static void expect_flow_gone(const struct tuple *t, const struct tuple *xl)
{
	struct tuple r = reverse(xl);

	expect_no_ct(t);
	expect_no_ct(&r);
}

/* @s sent by @dev is left as it is with @verdict, counting @counter (BPFNET_G_MAX: none). */
static void expect_untouched(enum host_id dev, const struct seg *s, int verdict,
			     enum bpfnet_global_counter counter)
{
	struct expect x = { .verdict = verdict };
	struct pkt in, out;

	if (counter != BPFNET_G_MAX)
		x.global[counter] = 1;
	frame_from(&in, dev, s);
	step(dev, &in, &out, &x);
	expect_frame(&in, &out);
}

/*
 * The first packet @s (from @from, translated to @xl for @to) of a new flow
 * that retires an old one on its way, counting @kind and @retired.
 */
static void expect_new_flow(enum host_id from, const struct seg *s, const struct tuple *xl,
			    enum host_id to, enum bpfnet_global_counter kind,
			    enum bpfnet_global_counter retired)
{
	struct expect x = { .verdict = TC_ACT_REDIRECT, .rx = to == UPLINK ? H_NONE : to };
	struct pkt in, out, want;
	struct seg o = *s;

	x.global[BPFNET_G_CT_CREATED] = 1;
	x.global[kind] = 1;
	x.global[retired] = 1;
	frame_from(&in, from, s);
	step(from, &in, &out, &x);
	o.t = *xl;
	expected_out(&want, &in, &o, to, false);
	expect_frame(&want, &out);
	check_csums(&out);
}

/* ---- 1: eviction, counted where the datapath meets its leftovers ---- */

/*
 * A reply whose original the LRU took lives on its own copy of the expiry
 * (one lookup per packet: it cannot know), to the container it was made
 * for; once that copy runs out it is removed, counted evicted.
 */
static void test_evicted_orphan_reply(void **state)
{
	struct seg r = { .t = reverse(&masq_a.xl) };
	struct tuple xl;

	(void)state;
	xl = open_case(&masq_a);
	ct_del(&masq_a.seg.t);	/* the LRU took the original */
	at("original evicted: the reply from outside, its own copy unexpired");
	flow_step(&masq_a, &xl, true, 0);
	ct_expire(&r.t);
	at("original evicted: the reply from outside, its own copy expired");
	expect_untouched(UPLINK, &r, TC_ACT_UNSPEC, BPFNET_G_CT_EVICTED);
	expect_flow_gone(&masq_a.seg.t, &xl);
	at("original evicted: the next reply finds nothing left to count");
	expect_untouched(UPLINK, &r, TC_ACT_UNSPEC, BPFNET_G_MAX);
}

/*
 * A's flow from port 41000 lost its original to the LRU; its reply entry
 * still holds 192.168.50.2:53 > 192.168.50.1:41000. B's new flow from the
 * same port wants that tuple first: it is reclaimed (and the lost flow
 * counted), B keeps its port.
 */
static void test_evicted_snat_port_reclaimed(void **state)
{
	struct seg s = masq_b_same_port.seg;

	(void)state;
	open_case(&masq_a);
	ct_del(&masq_a.seg.t);
	at("original evicted: B's new flow wants the port its reply holds");
	expect_new_flow(EP_B, &s, &masq_b_same_port.xl, UPLINK, BPFNET_G_SNAT, BPFNET_G_CT_EVICTED);
	expect_flow_ct(&s.t, &masq_b_same_port.xl, F_SNAT, BPFNET_CT_ESTABLISHED);
	expect_gens(&s.t, &masq_b_same_port.xl, hosts[EP_B].gen, 0);
}

/* The client of a published port whose flow lost its original sends again: a new flow. */
static void test_evicted_dnat_reply_reclaimed(void **state)
{
	struct seg s = { .t = pub_a.seg.t, .tcp_flags = TCP_FLAG_SYN };

	(void)state;
	open_case(&pub_a);
	ct_del(&pub_a.seg.t);
	at("original evicted: the client's SYN again");
	expect_new_flow(UPLINK, &s, &pub_a.xl, EP_A, BPFNET_G_DNAT, BPFNET_G_CT_EVICTED);
	expect_flow_ct(&s.t, &pub_a.xl, pub_a.flags, BPFNET_CT_SYN_SENT);
	expect_gens(&s.t, &pub_a.xl, 0, hosts[EP_A].gen);
}

/* A port held by an expired flow: reclaimed, counted expired, its original gone too. */
static void test_expired_snat_port_reclaimed(void **state)
{
	struct seg s = masq_b_same_port.seg;
	struct tuple xl;

	(void)state;
	xl = open_case(&masq_a);
	ct_expire_flow(&masq_a.seg.t, &xl);
	at("A's flow expired: B's new flow wants its port");
	expect_new_flow(EP_B, &s, &masq_b_same_port.xl, UPLINK, BPFNET_G_SNAT, BPFNET_G_CT_EXPIRED);
	expect_no_ct(&masq_a.seg.t);
	expect_gens(&s.t, &masq_b_same_port.xl, hosts[EP_B].gen, 0);
}

/* A port held by a live flow of a removed endpoint: reclaimed, counted retired. */
static void test_retired_snat_port_reclaimed(void **state)
{
	struct seg s = masq_b_same_port.seg;

	(void)state;
	open_case(&masq_a);
	ep_remove(EP_A);
	at("A removed: B's new flow wants the port A's flow holds");
	expect_new_flow(EP_B, &s, &masq_b_same_port.xl, UPLINK, BPFNET_G_SNAT, BPFNET_G_CT_RETIRED);
	expect_no_ct(&masq_a.seg.t);
}

/* ---- 2: flows of removed and re-created endpoints ---- */

/* A published flow's next packet, after A is removed: the node's, the flow retired. */
static void test_removed_published_flow(void **state)
{
	struct seg s = { .t = pub_a.seg.t, .tcp_flags = TCP_FLAG_ACK };
	struct tuple xl;

	(void)state;
	xl = open_case(&pub_a);
	ep_remove(EP_A);
	at("A removed: the client's next packet");
	expect_untouched(UPLINK, &s, TC_ACT_UNSPEC, BPFNET_G_CT_RETIRED);
	expect_flow_gone(&pub_a.seg.t, &xl);
}

/* A re-created at its address, nothing published: the old flow delivers nothing into it. */
static void test_recreated_gets_no_published_flow(void **state)
{
	struct seg s = { .t = pub_a.seg.t, .tcp_flags = TCP_FLAG_ACK };
	struct tuple xl;

	(void)state;
	xl = open_case(&pub_a);
	ep_recreate(EP_A, GEN_NEW);
	unpublish(EP_A);
	at("A re-created: the client's next packet");
	expect_untouched(UPLINK, &s, TC_ACT_UNSPEC, BPFNET_G_CT_RETIRED);
	expect_flow_gone(&pub_a.seg.t, &xl);
}

/* A re-created and its port published again: the client's packet starts a new flow. */
static void test_recreated_published_again(void **state)
{
	struct seg s = { .t = pub_a.seg.t, .tcp_flags = TCP_FLAG_SYN };

	(void)state;
	open_case(&pub_a);
	ep_recreate(EP_A, GEN_NEW);
	at("A re-created, 8080 published again: the client's SYN");
	expect_new_flow(UPLINK, &s, &pub_a.xl, EP_A, BPFNET_G_DNAT, BPFNET_G_CT_RETIRED);
	expect_gens(&s.t, &pub_a.xl, 0, GEN_NEW);
}

/* The reply to A's masqueraded flow, once A is re-created: not translated into the new A. */
static void test_recreated_gets_no_masquerade_reply(void **state)
{
	struct seg r = { .t = reverse(&masq_a.xl) };
	struct tuple xl;

	(void)state;
	xl = open_case(&masq_a);
	ep_recreate(EP_A, GEN_NEW);
	at("A re-created: the reply from outside");
	expect_untouched(UPLINK, &r, TC_ACT_UNSPEC, BPFNET_G_CT_RETIRED);
	expect_flow_gone(&masq_a.seg.t, &xl);
}

/* The new A sends the old A's tuple: the old flow retires, a new one begins. */
static void test_recreated_sends_old_tuple(void **state)
{
	struct seg s = masq_a.seg;

	(void)state;
	open_case(&masq_a);
	ep_recreate(EP_A, GEN_NEW);
	at("A re-created: it sends the old flow's tuple");
	expect_new_flow(EP_A, &s, &masq_a.xl, UPLINK, BPFNET_G_SNAT, BPFNET_G_CT_RETIRED);
	expect_gens(&s.t, &masq_a.xl, GEN_NEW, 0);
}

/* B's hairpin flow to A's published port, once A is re-created: nothing reaches the new A. */
static void test_recreated_gets_no_hairpin(void **state)
{
	struct seg s = { .t = hairpin_b_a.seg.t, .tcp_flags = TCP_FLAG_ACK };
	struct tuple xl;

	(void)state;
	xl = open_case(&hairpin_b_a);
	ep_recreate(EP_A, GEN_NEW);
	unpublish(EP_A);
	at("A re-created: B's next packet");
	expect_untouched(EP_B, &s, TC_ACT_OK, BPFNET_G_CT_RETIRED);
	expect_flow_gone(&hairpin_b_a.seg.t, &xl);
}

/* And the other way: the new A's packet with the old A's hairpin reply reaches not B. */
static void test_recreated_sends_no_hairpin_reply(void **state)
{
	struct seg s = { .tcp_flags = TCP_FLAG_SYN | TCP_FLAG_ACK };
	struct tuple xl;

	(void)state;
	xl = open_case(&hairpin_b_a);
	s.t = reverse(&xl);
	ep_recreate(EP_A, GEN_NEW);
	at("A re-created: it sends the old A's answer to B");
	expect_untouched(EP_A, &s, TC_ACT_OK, BPFNET_G_CT_RETIRED);
	expect_flow_gone(&hairpin_b_a.seg.t, &xl);
}

/* From outside with A's own tuple: a forgery, dropped; A's flow goes on untouched. */
static void test_forged_container_tuple_from_outside(void **state)
{
	struct pkt in, out;
	struct tuple xl;

	(void)state;
	xl = open_case(&masq_a);
	at("A's tuple from outside");
	frame_from(&in, UPLINK, &masq_a.seg);
	step(UPLINK, &in, &out, &(struct expect){ .verdict = TC_ACT_SHOT,
						  .drop = BPFNET_DROP_SPOOFED_IP });
	expect_flow_ct(&masq_a.seg.t, &xl, F_SNAT, BPFNET_CT_ESTABLISHED);
	at("A's tuple from outside, then A's own next packet");
	flow_step(&masq_a, &xl, false, 0);
}

/* An ICMP error from a router on the way, about the packet @quoted as it left the node. */
static void icmp_error_from_router(struct pkt *p, const struct tuple *quoted)
{
	struct seg qs = { .t = *quoted, .ttl = DEFAULT_TTL - 1 };
	struct ipv4_spec ip = { .saddr = ROUTER, .daddr = quoted->saddr, .proto = IPPROTO_ICMP,
				.ttl = DEFAULT_TTL, .id = IP_ID };
	struct pkt q;

	pkt_init(&q);
	build_ip(&q, &qs);
	q.len = IPV4_HDR_LEN + ICMP_QUOTE_L4_LEN;
	pkt_init(p);
	pkt_eth(p, hosts[UPLINK].host_mac, hosts[UPLINK].mac, ETH_P_IP);
	pkt_ipv4(p, &ip);
	pkt_icmp(p, ICMP_TYPE_DEST_UNREACH, ICMP_CODE_HOST_UNREACH, 0);
	pkt_append(p, q.data, q.len);
	pkt_ipv4_finish(p);
}

/*
 * An ICMP error about A's masqueraded flow is translated into A; once A is
 * re-created, it is not, and it ends nothing (errors are easily forged).
 */
static void test_recreated_gets_no_icmp_error(void **state)
{
	struct expect x = { .verdict = TC_ACT_REDIRECT, .rx = EP_A };
	struct pkt in, out;
	struct tuple xl;

	(void)state;
	xl = open_case(&masq_a);
	icmp_error_from_router(&in, &xl);
	at("icmp error about A's flow");
	x.global[BPFNET_G_ICMP_ERR_NAT] = 1;
	step(UPLINK, &in, &out, &x);
	ep_recreate(EP_A, GEN_NEW);
	at("A re-created: the same icmp error");
	step(UPLINK, &in, &out, &(struct expect){ .verdict = TC_ACT_UNSPEC });
	expect_frame(&in, &out);
	expect_flow_ct(&masq_a.seg.t, &xl, F_SNAT, BPFNET_CT_ESTABLISHED);
}

/* ---- 3: the control plane's walk ---- */

static struct ct_walk_result walk(ct_visit_fn visit)
{
	struct ct_walk_result res;
	struct dp dp;
	int err;

	/* the control plane's walk on the test skeleton's maps */
	dp_init(&dp, NULL);
	err = dp_adopt(&dp, DP_CT, bpf_map__fd(skel->maps.ct4)) ?:
	      dp_adopt(&dp, DP_EP_BY_IP, bpf_map__fd(skel->maps.ep_by_ip)) ?:
	      dp_adopt(&dp, DP_EP_BY_IFINDEX, bpf_map__fd(skel->maps.ep_by_ifindex)) ?:
	      ct_walk_maps(&dp, &cp, now_ns(), visit, NULL, &res);
	dp_close(&dp);
	if (err)
		fail_msg("%s: ct_walk_maps: %s", where, strerror(-err));
	return res;
}

/* Make the entry of @t look as old as a second walk would find it. */
static void backdate(const struct tuple *t)
{
	struct bpfnet_ct_entry e = ct_must_get(t);

	e.created_ns -= BACKDATE_NS;
	ct_put(t, &e);
}

static void backdate_flow(const struct tuple *t, const struct tuple *xl)
{
	struct tuple r = reverse(xl);

	backdate(t);
	backdate(&r);
}

static size_t ct_count(void)
{
	struct bpfnet_ct_key k, next, *prev = NULL;
	size_t n = 0;

	while (!bpf_map_get_next_key(bpf_map__fd(skel->maps.ct4), prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* What one walk must have found, removed and counted in cp_stats. */
struct walk_want {
	size_t live, entries, flushed;
	uint64_t expired, evicted, retired;
};

static void check_walk(const struct walk_want *w, const struct ct_walk_result *r,
		       const uint64_t *before)
{
	uint64_t want[BPFNET_G_MAX] = { [BPFNET_G_CT_EXPIRED] = w->expired,
					[BPFNET_G_CT_EVICTED] = w->evicted,
					[BPFNET_G_CT_RETIRED] = w->retired,
					[BPFNET_G_CT_FLUSHED] = w->flushed };
	char what[96];

	if (r->live != w->live || r->entries != w->entries || r->flushed != w->flushed ||
	    r->gc.expired != w->expired || r->gc.evicted != w->evicted ||
	    r->gc.retired != w->retired)
		fail_msg("%s: walk: expected live %zu, entries %zu, flushed %zu, expired %llu, "
			 "evicted %llu, retired %llu; got %zu, %zu, %zu, %llu, %llu, %llu", where,
			 w->live, w->entries, w->flushed, (unsigned long long)w->expired,
			 (unsigned long long)w->evicted, (unsigned long long)w->retired, r->live,
			 r->entries, r->flushed, (unsigned long long)r->gc.expired,
			 (unsigned long long)r->gc.evicted, (unsigned long long)r->gc.retired);
	for (uint32_t g = 0; g < BPFNET_G_MAX; g++) {
		snprintf(what, sizeof(what), "cp_stats[%s]", global_names[g]);
		check_delta(where, what, want[g], before[g], cp.counters[g]);
	}
	if (ct_count() != w->entries)
		fail_msg("%s: ct4 holds %zu entries, expected %zu", where, ct_count(), w->entries);
}

static void run_walk(ct_visit_fn visit, const struct walk_want *w)
{
	uint64_t before[BPFNET_G_MAX];
	struct ct_walk_result r;

	memcpy(before, cp.counters, sizeof(before));
	r = walk(visit);
	check_walk(w, &r, before);
}

/*
 * A live flow, an expired one, one without its original, one without its
 * reply and one of a removed endpoint: the walk keeps the first, removes
 * the others counted by cause, each once; a second walk finds nothing.
 */
static void test_walk_collects_by_cause(void **state)
{
	struct tuple live, exp, orphan_reply, orphan_orig, retired;

	(void)state;
	live = open_case(&masq_a);
	exp = open_case(&masq_a_other);
	ct_expire_flow(&masq_a_other.seg.t, &exp);
	backdate_flow(&masq_a_other.seg.t, &exp);
	orphan_reply = open_case(&pub_a);
	ct_del(&pub_a.seg.t);
	orphan_reply = reverse(&orphan_reply);
	backdate(&orphan_reply);
	orphan_orig = open_case(&masq_b);
	orphan_orig = reverse(&orphan_orig);
	ct_del(&orphan_orig);
	backdate(&masq_b.seg.t);
	retired = open_case(&hairpin_c_a);
	backdate_flow(&hairpin_c_a.seg.t, &retired);
	ep_remove(EP_C);

	at("walk: one of each");
	run_walk(NULL, &(struct walk_want){ .live = 1, .entries = 2, .expired = 1, .evicted = 2,
					    .retired = 1 });
	expect_flow_ct(&masq_a.seg.t, &live, F_SNAT, BPFNET_CT_ESTABLISHED);
	at("walk: again");
	run_walk(NULL, &(struct walk_want){ .live = 1, .entries = 2 });
}

/* A dead entry younger than a second may be half a flow being made: left for later. */
static void test_walk_spares_young_entries(void **state)
{
	struct tuple r;

	(void)state;
	r = open_case(&pub_a);
	r = reverse(&r);
	ct_del(&pub_a.seg.t);
	at("walk: a reply without original, just made");
	run_walk(NULL, &(struct walk_want){ .entries = 1 });
	backdate(&r);
	at("walk: the same, a while later");
	run_walk(NULL, &(struct walk_want){ .evicted = 1 });
}

/* A flow of the endpoint that had A's address before: not live (not listed), retired. */
static void test_walk_retires_recreated(void **state)
{
	struct tuple xl;

	(void)state;
	xl = open_case(&masq_a);
	backdate_flow(&masq_a.seg.t, &xl);
	ep_recreate(EP_A, GEN_NEW);
	at("walk: a flow of the old A");
	run_walk(NULL, &(struct walk_want){ .retired = 1 });
}

static bool flush_all(const struct bpfnet_ct_key *k, const struct bpfnet_ct_entry *e,
		      const struct bpfnet_ct_entry *reply, void *arg)
{
	(void)k, (void)e, (void)reply, (void)arg;
	return true;
}

/* A flush removes the live flows, counted flushed, and the dead by their cause. */
static void test_walk_flush(void **state)
{
	struct tuple xl;

	(void)state;
	open_case(&masq_a);
	xl = open_case(&masq_a_other);
	ct_expire_flow(&masq_a_other.seg.t, &xl);
	backdate_flow(&masq_a_other.seg.t, &xl);
	at("flush");
	run_walk(flush_all, &(struct walk_want){ .flushed = 1, .expired = 1 });
}

/* ---- main ---- */

static int setup(void **state)
{
	long page = sysconf(_SC_PAGESIZE);

	if (setup_datapath(state))
		return -1;
	cp.len = (size_t)page;
	cp.counters = mmap(NULL, cp.len, PROT_READ | PROT_WRITE, MAP_SHARED,
			   bpf_map__fd(skel->maps.cp_stats), 0);
	if (cp.counters == MAP_FAILED) {
		perror("mmap cp_stats");
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	munmap(cp.counters, cp.len);
	return skel_destroy(state);
}

/* An empty table, and the endpoints and ports as they were: tests remove and re-create. */
static int reset(void **state)
{
	return reset_state(state) ?: topo_seed(BPFNET_GW_MODE_NAT);
}

int main(void)
{
	if (nat_setup_netns())
		return 1;
	add_test("evicted: a reply without its original lives until its own copy expires, "
		 "then is counted once, not translated",
		 test_evicted_orphan_reply, NULL);
	add_test("evicted: a masquerade port held by a half-evicted flow is reclaimed, counted",
		 test_evicted_snat_port_reclaimed, NULL);
	add_test("evicted: a published port's reply tuple held by a half-evicted flow is "
		 "reclaimed, counted", test_evicted_dnat_reply_reclaimed, NULL);
	add_test("expired: a masquerade port held by an expired flow is reclaimed, counted",
		 test_expired_snat_port_reclaimed, NULL);
	add_test("retired: a masquerade port held by a removed endpoint's flow is reclaimed, "
		 "counted", test_retired_snat_port_reclaimed, NULL);
	add_test("removed endpoint: its published flow's next packet is the node's, retired",
		 test_removed_published_flow, NULL);
	add_test("re-created endpoint: the old published flow delivers nothing into it",
		 test_recreated_gets_no_published_flow, NULL);
	add_test("re-created endpoint, port published again: the client starts a new flow",
		 test_recreated_published_again, NULL);
	add_test("re-created endpoint: the old masqueraded flow's reply is not translated",
		 test_recreated_gets_no_masquerade_reply, NULL);
	add_test("re-created endpoint: sending the old flow's tuple starts a new flow",
		 test_recreated_sends_old_tuple, NULL);
	add_test("re-created endpoint: the old hairpin flow delivers nothing into it",
		 test_recreated_gets_no_hairpin, NULL);
	add_test("re-created endpoint: its packet with the old hairpin reply's tuple reaches "
		 "not the client", test_recreated_sends_no_hairpin_reply, NULL);
	add_test("forged: a container's tuple from outside is dropped, its flow untouched",
		 test_forged_container_tuple_from_outside, NULL);
	add_test("re-created endpoint: an icmp error of the old flow is not translated, ends "
		 "nothing", test_recreated_gets_no_icmp_error, NULL);
	add_test("walk: expired, half-evicted and retired flows removed and counted once",
		 test_walk_collects_by_cause, NULL);
	add_test("walk: a dead entry younger than a second is left for the next walk",
		 test_walk_spares_young_entries, NULL);
	add_test("walk: a flow of the endpoint that had a re-created endpoint's address is "
		 "retired", test_walk_retires_recreated, NULL);
	add_test("walk: flush removes live flows as flushed, dead ones by cause",
		 test_walk_flush, NULL);
	return run_group("ct", setup, teardown, reset);
}
