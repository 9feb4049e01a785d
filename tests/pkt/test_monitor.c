// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Packet tests of the event monitor (bpf/lib/monitor.h), with
 * BPF_PROG_TEST_RUN on the l3 topology (topo.h): every drop this file can
 * craft, from the containers' veths (from_container), the uplink (tc
 * from_uplink) and XDP (xdp_from_uplink), gives exactly one event with its
 * reason, endpoint, direction, length and first bytes (and, through the
 * library's reader, its tuple) while a monitor listens, and none when none
 * does; a listener whose lease ran out gets nothing and the datapath lowers
 * the mask; the token bucket holds back what is past its burst and counts
 * it (produced + suppressed = the events finish() had); new and ended flows
 * of a published port and trace points of every verdict.
 *
 * The listener is this process: a ring of mon_rings' shape in slot 0, the
 * slot's lease and mask written into mon_ctl as a monitor writes them.
 */
#include "topo.h"
#include <bpf/libbpf.h>
#include "dp/monitor.h"

#define UDP_SPORT 40000
#define UDP_DPORT 5353
#define TCP_SPORT 43210
#define PORTMAP_PORT 8080	/* portmaps[0]: to A:80 */
#define PORTMAP_EP_PORT 80
#define VLAN_TCI 10
#define ETH_P_IPV6_ 0x86dd
#define IPV6_HDR_LEN 40
#define BAD_IHL_ 4
#define LEASE_TEST_NS (10 * NSEC_PER_SEC)
#define MAX_EVENTS 8192
#define BUCKET_EXTRA 500	/* runs past the burst in the rate limit test */
#define MON_CPU_WORDS (sizeof(struct bpfnet_mon_cpu) / sizeof(uint64_t))
#define IP_UNUSED_IN_NET1 IP4(10, 1, 0, 77)

static const char payload[] = "bpfnet monitor test payload";

static int ring_fd = -1;
static struct ring_buffer *rb;
static struct bpfnet_mon_event events[MAX_EVENTS];
static size_t n_events;

static int collect(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size == sizeof(events[0]) && n_events < MAX_EVENTS)
		memcpy(&events[n_events++], data, size);
	return 0;
}

/* Every event the ring holds now, into events[] (emptied first). */
static size_t drain(void)
{
	n_events = 0;
	if (ring_buffer__consume(rb) < 0)
		fail_msg("ring_buffer__consume: %s", strerror(errno));
	return n_events;
}

static void ctl_write(const struct bpfnet_mon_ctl *ctl)
{
	uint32_t zero = 0;

	if (bpf_map__update_elem(skel->maps.mon_ctl, &zero, sizeof(zero), ctl, sizeof(*ctl), 0))
		fail_msg("writing mon_ctl: %s", strerror(errno));
}

static struct bpfnet_mon_ctl ctl_read(void)
{
	struct bpfnet_mon_ctl ctl;
	uint32_t zero = 0;

	if (bpf_map__lookup_elem(skel->maps.mon_ctl, &zero, sizeof(zero), &ctl, sizeof(ctl), 0))
		fail_msg("reading mon_ctl: %s", strerror(errno));
	return ctl;
}

/* Slot 0 listening for @mask (BPFNET_MON_F()), its lease running; 0: nobody listens. */
static void listen_for(uint32_t mask)
{
	struct bpfnet_mon_ctl ctl = { .mask = mask };

	ctl.slot_mask[0] = mask;
	ctl.slot_until_ns[0] = mask ? now_ns() + LEASE_TEST_NS : 0;
	ctl_write(&ctl);
	drain();
}

/* produced, suppressed, lost: mon_cpu's counters summed over CPUs. */
static void mon_counters(uint64_t out[BPFNET_MON_CPU_COUNTERS])
{
	uint64_t sum[MON_CPU_WORDS];

	percpu_sum(skel->maps.mon_cpu, 0, sum, MON_CPU_WORDS);
	memcpy(out, sum, BPFNET_MON_CPU_COUNTERS * sizeof(uint64_t));
}

/* Every CPU's bucket full again (and its counters zero): a test of its own. */
static void mon_cpu_reset(void)
{
	void *zeros = calloc((size_t)ncpus, sizeof(struct bpfnet_mon_cpu));
	uint32_t zero = 0;

	assert_non_null(zeros);
	if (bpf_map__update_elem(skel->maps.mon_cpu, &zero, sizeof(zero), zeros,
				 (size_t)ncpus * sizeof(struct bpfnet_mon_cpu), 0))
		fail_msg("resetting mon_cpu: %s", strerror(errno));
	free(zeros);
}

/* ---- frames ---- */

enum prog_id { PROG_FROM_CONTAINER, PROG_FROM_UPLINK, PROG_XDP };

/* Ethernet + IPv4 + UDP from container @h (its own MAC and address) to @daddr. */
static void udp_from(struct pkt *p, enum host_id h, uint32_t daddr)
{
	struct ipv4_spec ip = { .saddr = hosts[h].ip, .daddr = daddr, .proto = IPPROTO_UDP,
				.ttl = DEFAULT_TTL };

	pkt_init(p);
	pkt_eth(p, hosts[h].host_mac, hosts[h].mac, ETH_P_IP);
	pkt_ipv4(p, &ip);
	pkt_udp(p, UDP_SPORT, UDP_DPORT);
	pkt_append(p, payload, sizeof(payload));
	pkt_ipv4_finish(p);
}

/* A TCP segment from the outside (the uplink's neighbour) from @saddr to @daddr:@dport. */
static void tcp_from_uplink(struct pkt *p, uint32_t saddr, uint32_t daddr, uint16_t dport,
			    uint8_t flags, uint8_t ttl)
{
	struct ipv4_spec ip = { .saddr = saddr, .daddr = daddr, .proto = IPPROTO_TCP, .ttl = ttl };

	pkt_init(p);
	pkt_eth(p, hosts[UPLINK].host_mac, hosts[UPLINK].mac, ETH_P_IP);
	pkt_ipv4(p, &ip);
	pkt_tcp(p, TCP_SPORT, dport, 1, flags & TCP_FLAG_ACK ? 1 : 0, flags, 64240);
	pkt_ipv4_finish(p);
}

static void f_spoofed_ip(struct pkt *p)
{
	udp_from(p, EP_A, IP_B);
	spoof_ip_src(p);
}

static void f_spoofed_mac(struct pkt *p)
{
	udp_from(p, EP_A, IP_B);
	spoof_eth_src(p);
}

static void f_other_network(struct pkt *p)
{
	udp_from(p, EP_A, IP_C);
}

static void f_unassigned(struct pkt *p)
{
	udp_from(p, EP_A, IP_UNUSED_IN_NET1);
}

static void f_bad_ihl(struct pkt *p)
{
	udp_from(p, EP_A, IP_B);
	ip_ihl_4(p);
}

static void f_vlan(struct pkt *p)
{
	struct ipv4_spec ip = { .saddr = IP_A, .daddr = IP_B, .proto = IPPROTO_UDP,
				.ttl = DEFAULT_TTL };

	pkt_init(p);
	pkt_eth(p, hosts[EP_A].host_mac, hosts[EP_A].mac, ETH_P_8021Q);
	pkt_vlan(p, VLAN_TCI, ETH_P_IP);
	pkt_ipv4(p, &ip);
	pkt_udp(p, UDP_SPORT, UDP_DPORT);
	pkt_ipv4_finish(p);
}

static void f_ipv6(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, hosts[EP_A].host_mac, hosts[EP_A].mac, ETH_P_IPV6_);
	pkt_put(p, IPV6_HDR_LEN)[0] = 6 << 4;
}

/* Long enough that only the first BPFNET_MON_SNAP_LEN bytes are captured. */
static void f_spoofed_long(struct pkt *p)
{
	f_spoofed_ip(p);
	p->len = p->l4_off + UDP_HDR_LEN;
	pkt_pad_to(p, PKT_MAX - ETH_HLEN);	/* past the snap length, room for the output */
	pkt_ipv4_finish(p);
	spoof_ip_src(p);
}

static void f_ttl1_to_b(struct pkt *p)
{
	tcp_from_uplink(p, REMOTE, IP_B, PORTMAP_EP_PORT, TCP_FLAG_SYN, 1);
}

static void f_martian(struct pkt *p)
{
	tcp_from_uplink(p, LOOPBACK, NODE, PORTMAP_PORT, TCP_FLAG_SYN, DEFAULT_TTL);
}

struct drop_case {
	const char *name;
	enum prog_id prog;
	enum host_id in;		/* the device it comes in on */
	void (*build)(struct pkt *p);
	enum bpfnet_drop_reason reason;
	enum host_id ep;		/* the endpoint it concerns; H_NONE: none */
	uint8_t dir;			/* 0: from the endpoint, 1: towards it */
	bool has_tuple;			/* IPv4 with its ports in the first bytes */
};

static const struct drop_case drop_cases[] = {
	{ "container: spoofed source address", PROG_FROM_CONTAINER, EP_A, f_spoofed_ip,
	  BPFNET_DROP_SPOOFED_IP, EP_A, 0, true },
	{ "container: spoofed source MAC", PROG_FROM_CONTAINER, EP_A, f_spoofed_mac,
	  BPFNET_DROP_SPOOFED_MAC, EP_A, 0, true },
	{ "container: to another network", PROG_FROM_CONTAINER, EP_A, f_other_network,
	  BPFNET_DROP_OTHER_NETWORK, EP_A, 0, true },
	{ "container: to an unassigned address", PROG_FROM_CONTAINER, EP_A, f_unassigned,
	  BPFNET_DROP_UNASSIGNED, EP_A, 0, true },
	{ "container: ihl 4", PROG_FROM_CONTAINER, EP_A, f_bad_ihl, BPFNET_DROP_BAD_IP_HEADER,
	  EP_A, 0, false },
	{ "container: 802.1Q tagged", PROG_FROM_CONTAINER, EP_A, f_vlan, BPFNET_DROP_VLAN, EP_A, 0,
	  false },
	{ "container: IPv6", PROG_FROM_CONTAINER, EP_A, f_ipv6, BPFNET_DROP_UNSUPPORTED_L3, EP_A,
	  0, false },
	{ "container: a veth without an endpoint", PROG_FROM_CONTAINER, UPLINK, f_spoofed_ip,
	  BPFNET_DROP_NO_ENDPOINT, H_NONE, 0, true },
	{ "container: a long frame, its first bytes captured", PROG_FROM_CONTAINER, EP_A,
	  f_spoofed_long, BPFNET_DROP_SPOOFED_IP, EP_A, 0, true },
	{ "uplink: ttl 1 to B", PROG_FROM_UPLINK, UPLINK, f_ttl1_to_b, BPFNET_DROP_TTL_EXCEEDED,
	  EP_B, 1, true },
	{ "uplink: loopback source", PROG_FROM_UPLINK, UPLINK, f_martian,
	  BPFNET_DROP_MARTIAN_SOURCE, H_NONE, 1, true },
	{ "xdp: loopback source", PROG_XDP, UPLINK, f_martian, BPFNET_DROP_MARTIAN_SOURCE, H_NONE,
	  1, true },
};

static int run(const char *name, enum prog_id prog, enum host_id in, const struct pkt *p)
{
	struct pkt out;

	if (prog == PROG_XDP)
		return xdp_test_run(name, xdp_skel->progs.xdp_from_uplink, hosts[in].ifindex, p,
				    &out);
	return prog_test_run(name, prog == PROG_FROM_UPLINK ? skel->progs.from_uplink :
			     skel->progs.from_container, hosts[in].ifindex, p, &out);
}

/* The one event of @c's drop of @p: where, why, what. */
static void check_drop_event(const struct drop_case *c, const struct pkt *p,
			     const struct bpfnet_mon_event *e)
{
	uint32_t cap = p->len < BPFNET_MON_SNAP_LEN ? (uint32_t)p->len : BPFNET_MON_SNAP_LEN;
	struct bpfnet_ct_key k;

	if (e->event != BPFNET_MON_EV_DROP || e->reason != c->reason)
		fail_msg("%s: event %u reason %s, expected a drop of reason %s", c->name, e->event,
			 e->reason < BPFNET_DROP_MAX ? drop_names[e->reason] : "?",
			 drop_names[c->reason]);
	if (e->ep_id != hosts[c->ep].ep_id || e->dir != c->dir)
		fail_msg("%s: endpoint id %u direction %u, expected %u and %u", c->name, e->ep_id,
			 e->dir, hosts[c->ep].ep_id, c->dir);
	if (e->ifindex != hosts[c->in].ifindex)
		fail_msg("%s: ifindex %u, expected %s's %u", c->name, e->ifindex,
			 hosts[c->in].ifname, hosts[c->in].ifindex);
	if (e->hook != (c->prog == PROG_XDP ? BPFNET_MON_HOOK_XDP : BPFNET_MON_HOOK_TC))
		fail_msg("%s: hook %u", c->name, e->hook);
	if (e->len != p->len || e->cap_len != cap || memcmp(e->data, p->data, cap))
		fail_msg("%s: %u bytes of %u captured, expected the frame's first %u of %zu%s",
			 c->name, e->cap_len, e->len, cap, p->len,
			 e->cap_len == cap && memcmp(e->data, p->data, cap) ? " (they differ)" : "");
	if (dp_mon_packet_tuple(e->data, e->cap_len, &k) != c->has_tuple)
		fail_msg("%s: the library %s a tuple in the captured bytes", c->name,
			 c->has_tuple ? "found no" : "found");
	if (c->has_tuple && (k.saddr != *(const __be32 *)(l3((struct pkt *)p) + IP_OFF_SADDR) ||
			     k.daddr != *(const __be32 *)(l3((struct pkt *)p) + IP_OFF_DADDR) ||
			     k.proto != l3((struct pkt *)p)[IP_OFF_PROTO] ||
			     k.sport != *(const __be16 *)(p->data + p->l4_off)))
		fail_msg("%s: the tuple read from the captured bytes is not the frame's", c->name);
}

static void test_drop(void **state)
{
	const struct drop_case *c = *state;
	uint64_t before[BPFNET_MON_CPU_COUNTERS], after[BPFNET_MON_CPU_COUNTERS];
	uint64_t drops[BPFNET_DROP_MAX], drops_after[BPFNET_DROP_MAX];
	struct pkt p;

	c->build(&p);
	listen_for(BPFNET_MON_F(BPFNET_MON_DROP));
	mon_counters(before);
	check_verdict(c->name, c->prog == PROG_XDP ? XDP_DROP : TC_ACT_SHOT,
		      run(c->name, c->prog, c->in, &p));
	mon_counters(after);
	if (drain() != 1)
		fail_msg("%s: %zu events, expected 1", c->name, n_events);
	check_drop_event(c, &p, &events[0]);
	check_delta(c->name, "mon_cpu.produced", 1, before[0], after[0]);

	/* nobody listening: the drop is counted as ever, and there is no event */
	listen_for(0);
	read_drop_stats(drops);
	mon_counters(before);
	run(c->name, c->prog, c->in, &p);
	mon_counters(after);
	read_drop_stats(drops_after);
	check_drop_deltas(c->name, c->reason, drops, drops_after);
	if (drain())
		fail_msg("%s: nobody listens, yet %zu events", c->name, n_events);
	for (int i = 0; i < BPFNET_MON_CPU_COUNTERS; i++)
		check_delta(c->name, "mon_cpu counters", 0, before[i], after[i]);
}

/* A monitor killed: its lease runs out, it gets nothing, and the datapath lowers the mask. */
static void test_lease_over(void **state)
{
	struct bpfnet_mon_ctl ctl = { .mask = BPFNET_MON_F(BPFNET_MON_DROP) };
	uint64_t before[BPFNET_MON_CPU_COUNTERS], after[BPFNET_MON_CPU_COUNTERS];
	struct pkt p;

	(void)state;
	ctl.slot_mask[0] = ctl.mask;
	ctl.slot_until_ns[0] = now_ns() - 1;
	ctl_write(&ctl);
	drain();
	f_spoofed_ip(&p);
	mon_counters(before);
	run("lease over", PROG_FROM_CONTAINER, EP_A, &p);
	mon_counters(after);
	if (drain())
		fail_msg("lease over: %zu events", n_events);
	check_delta("lease over", "mon_cpu.produced", 0, before[0], after[0]);
	if (ctl_read().mask != 0)
		fail_msg("lease over: the mask is 0x%x, expected lowered to 0", ctl_read().mask);
}

/* A slot that asked for NAT events only gets no drop, whoever else listens for drops. */
static void test_slot_mask(void **state)
{
	struct bpfnet_mon_ctl ctl = { .mask = BPFNET_MON_F(BPFNET_MON_DROP) |
					      BPFNET_MON_F(BPFNET_MON_NAT) };
	struct pkt p;

	(void)state;
	ctl.slot_mask[0] = BPFNET_MON_F(BPFNET_MON_NAT);
	ctl.slot_mask[1] = BPFNET_MON_F(BPFNET_MON_DROP);	/* its ring: none (NULL) */
	ctl.slot_until_ns[0] = ctl.slot_until_ns[1] = now_ns() + LEASE_TEST_NS;
	ctl_write(&ctl);
	drain();
	f_spoofed_ip(&p);
	run("slot mask", PROG_FROM_CONTAINER, EP_A, &p);
	if (drain())
		fail_msg("slot mask: the NAT listener got %zu events of a drop", n_events);
}

/* Past its burst the CPU's bucket holds events back, and counts them. */
static void test_rate_limit(void **state)
{
	uint64_t before[BPFNET_MON_CPU_COUNTERS], after[BPFNET_MON_CPU_COUNTERS];
	const uint32_t runs = BPFNET_MON_BURST + BUCKET_EXTRA;
	struct pkt p, out;
	uint64_t t0, elapsed, produced, suppressed, refill;

	(void)state;
	f_spoofed_ip(&p);
	mon_cpu_reset();
	listen_for(BPFNET_MON_F(BPFNET_MON_DROP));
	mon_counters(before);
	{
		struct __sk_buff ctx = { .ifindex = hosts[EP_A].ifindex };
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p.data,
			    .data_size_in = (__u32)p.len, .data_out = out.data,
			    .data_size_out = sizeof(out.data), .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = runs);

		t0 = now_ns();
		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.from_container), &opts))
			fail_msg("rate limit: BPF_PROG_TEST_RUN: %s", strerror(errno));
		elapsed = now_ns() - t0;
	}
	mon_counters(after);
	produced = after[0] - before[0];
	suppressed = after[1] - before[1];
	/* the credit the bucket earned while the runs ran, at most */
	refill = elapsed / (NSEC_PER_SEC / BPFNET_MON_RATE) + 1;
	print_message("rate limit: %u runs in %llu us: %llu produced, %llu suppressed\n", runs,
		      (unsigned long long)(elapsed / 1000), (unsigned long long)produced,
		      (unsigned long long)suppressed);
	check_delta("rate limit", "produced + suppressed (every drop had its event)", runs, 0,
		    produced + suppressed);
	if (produced < BPFNET_MON_BURST || produced > BPFNET_MON_BURST + refill)
		fail_msg("rate limit: %llu produced, expected the burst (%u) and at most %llu more",
			 (unsigned long long)produced, BPFNET_MON_BURST,
			 (unsigned long long)refill);
	if (drain() != produced)
		fail_msg("rate limit: the ring has %zu events, %llu were produced", n_events,
			 (unsigned long long)produced);
	check_delta("rate limit", "mon_cpu.lost", 0, before[2], after[2]);
}

/* Trace points: a forwarded packet's verdict; a drop is one too. */
static void test_trace(void **state)
{
	struct pkt p;

	(void)state;
	mon_cpu_reset();
	listen_for(BPFNET_MON_F(BPFNET_MON_TRACE));
	udp_from(&p, EP_A, IP_B);
	check_verdict("trace", TC_ACT_REDIRECT, run("trace", PROG_FROM_CONTAINER, EP_A, &p));
	if (drain() != 1 || events[0].event != BPFNET_MON_EV_TRACE ||
	    events[0].verdict != TC_ACT_REDIRECT || events[0].reason || events[0].ep_id !=
	    hosts[EP_A].ep_id)
		fail_msg("trace: %zu events, expected one trace point of A's redirect", n_events);
	f_spoofed_ip(&p);
	run("trace", PROG_FROM_CONTAINER, EP_A, &p);
	if (drain() != 1 || events[0].event != BPFNET_MON_EV_DROP ||
	    events[0].reason != BPFNET_DROP_SPOOFED_IP || events[0].verdict != TC_ACT_SHOT)
		fail_msg("trace: %zu events, expected the drop as a trace point", n_events);
}

static void check_tuple(const char *name, const char *which, const struct bpfnet_ct_key *k,
			uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
	if (k->saddr != htonl(saddr) || k->daddr != htonl(daddr) || k->sport != htons(sport) ||
	    k->dport != htons(dport) || k->proto != IPPROTO_TCP)
		fail_msg("%s: %s tuple %08x:%u -> %08x:%u, expected %08x:%u -> %08x:%u", name,
			 which, ntohl(k->saddr), ntohs(k->sport), ntohl(k->daddr), ntohs(k->dport),
			 saddr, sport, daddr, dport);
}

/* A published port's new flow (NAT: before -> after), then its end by a RST (FLOW). */
static void test_portmap_flow(void **state)
{
	struct pkt p;

	(void)state;
	mon_cpu_reset();
	listen_for(BPFNET_MON_F(BPFNET_MON_NAT));
	tcp_from_uplink(&p, REMOTE, NODE, PORTMAP_PORT, TCP_FLAG_SYN, DEFAULT_TTL);
	check_verdict("portmap", TC_ACT_REDIRECT, run("portmap", PROG_FROM_UPLINK, UPLINK, &p));
	if (drain() != 1 || events[0].event != BPFNET_MON_EV_FLOW_NEW)
		fail_msg("portmap: %zu events, expected one new flow", n_events);
	if (events[0].ct_kind != BPFNET_CT_KIND_PORTMAP || events[0].ct_state != BPFNET_CT_SYN_SENT ||
	    events[0].ep_id != hosts[EP_A].ep_id || events[0].dir != 1)
		fail_msg("portmap: kind %u state %u endpoint %u dir %u, expected a portmap flow "
			 "into A in syn_sent", events[0].ct_kind, events[0].ct_state,
			 events[0].ep_id, events[0].dir);
	check_tuple("portmap", "before", &events[0].before, REMOTE, TCP_SPORT, NODE, PORTMAP_PORT);
	check_tuple("portmap", "after", &events[0].after, REMOTE, TCP_SPORT, IP_A, PORTMAP_EP_PORT);

	/* NAT listeners see no end; flow listeners do */
	listen_for(BPFNET_MON_F(BPFNET_MON_FLOW));
	tcp_from_uplink(&p, REMOTE, NODE, PORTMAP_PORT, TCP_FLAG_RST, DEFAULT_TTL);
	run("portmap rst", PROG_FROM_UPLINK, UPLINK, &p);
	if (drain() != 1 || events[0].event != BPFNET_MON_EV_FLOW_END ||
	    events[0].ct_state != BPFNET_CT_CLOSE || events[0].ct_kind != BPFNET_CT_KIND_PORTMAP)
		fail_msg("portmap rst: %zu events, expected the flow's end (close)", n_events);
	check_tuple("portmap rst", "before", &events[0].before, REMOTE, TCP_SPORT, NODE,
		    PORTMAP_PORT);
	/* a RST again changes nothing: no second end */
	run("portmap rst again", PROG_FROM_UPLINK, UPLINK, &p);
	if (drain())
		fail_msg("portmap rst again: %zu events, the flow had ended already", n_events);
}

/* Flows made while nobody listened leave no note behind for a later listener. */
static void test_no_stale_note(void **state)
{
	struct pkt p;

	(void)state;
	listen_for(0);
	tcp_from_uplink(&p, REMOTE_NN, NODE, PORTMAP_PORT, TCP_FLAG_SYN, DEFAULT_TTL);
	run("unheard flow", PROG_FROM_UPLINK, UPLINK, &p);
	listen_for(BPFNET_MON_F_ALL);
	f_spoofed_ip(&p);
	run("then a drop", PROG_FROM_CONTAINER, EP_A, &p);
	if (drain() != 1 || events[0].event != BPFNET_MON_EV_DROP)
		fail_msg("stale note: %zu events, expected the drop alone", n_events);
}

static int setup_monitor(void **state)
{
	uint32_t slot = 0;

	(void)state;
	if (skel_load() || xdp_skel_load() || topo_seed(BPFNET_GW_MODE_NAT_UNPROTECTED))
		return -1;
	ring_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "mon_ring", 0, 0, BPFNET_MON_RING_BYTES,
				 NULL);
	if (ring_fd < 0 || bpf_map__update_elem(skel->maps.mon_rings, &slot, sizeof(slot),
						&ring_fd, sizeof(ring_fd), 0)) {
		fprintf(stderr, "the test's ring: %s\n", strerror(errno));
		return -1;
	}
	rb = ring_buffer__new(ring_fd, collect, NULL, NULL);
	return rb ? 0 : -1;
}

static int teardown_monitor(void **state)
{
	ring_buffer__free(rb);
	if (ring_fd >= 0)
		close(ring_fd);
	return skel_destroy(state);
}

int main(void)
{
	if (enter_netns() || topo_add_veths())
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(drop_cases); i++)
		add_test(drop_cases[i].name, test_drop, &drop_cases[i]);
	add_test("a lease run out: no event, the mask lowered", test_lease_over, NULL);
	add_test("a slot gets only what it asked for", test_slot_mask, NULL);
	add_test("rate limit: the burst, then suppressed and counted", test_rate_limit, NULL);
	add_test("trace: every verdict, drops included", test_trace, NULL);
	add_test("portmap: a NAT event before -> after, then the end by a RST", test_portmap_flow,
		 NULL);
	add_test("no stale note of a flow made while nobody listened", test_no_stale_note, NULL);
	return run_group("monitor", setup_monitor, teardown_monitor, NULL);
}
