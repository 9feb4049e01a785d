// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Packet tests of bridge mode: the switching done by from_container on the
 * host-side veths (learning, known unicast, flooding, the gateway, ARP,
 * anti-spoofing, malformed frames) and from_uplink into a bridge network.
 *
 * The process moves into a private netns (the node) and gives every endpoint
 * a netns of its own, its veth's peer inside as eth0, as bpfnet does; all of
 * it vanishes with the process. The skeleton is loaded with pinning off and
 * its maps seeded here. Each table entry is one frame: verdict, output bytes
 * (built from scratch with pktbuild.h), the drop reason (drop_stats), the
 * per-endpoint counters (ep_stats), the node-wide events (global_stats) and,
 * where it matters, the FDB afterwards.
 *
 * BPF_PROG_TEST_RUN does not redirect, so flooding is seen there only in the
 * counters. The .live cases therefore run for real: from_container is
 * attached to every host veth, the frame is sent from the sender's eth0
 * through AF_PACKET, and every container's AF_PACKET socket says what it
 * received: the expected frames, each exactly once, marked as its stack must
 * see them (for it, broadcast, multicast, for another), and nothing else.
 */
#include <fcntl.h>

#include "seed.h"
#include "sys/netlink.h"
#include "sys/netns.h"

#define IP_ID 0x3d57
#define UDP_SPORT 40000
#define UDP_DPORT 6000
#define VLAN_TCI 10
#define ETH_P_QINQ 0x88a8
#define LIVE_WAIT_MS 300	/* for the expected frames to arrive */
#define LIVE_QUIET_MS 50	/* and then for a duplicate that should not come */
#define LIVE_STEP_MS 10
#define ANCIENT_NS 0		/* last_seen at boot: older than FAST_AGEING_NS whatever the uptime */
#define FAST_AGEING_NS (1 * NSEC_PER_MSEC)	/* the ageing time of the cases about ageing */
/* The FDB's coarse clock lags CLOCK_MONOTONIC by a tick (10 ms at HZ=100); ten times that. */
#define COARSE_LAG_NS (100 * NSEC_PER_MSEC)

#define IP_A IP4(10, 1, 0, 2)
#define IP_B IP4(10, 1, 0, 3)
#define IP_C IP4(10, 1, 0, 4)
#define IP_D IP4(10, 1, 0, 5)
#define IP_E IP4(10, 2, 0, 2)
#define IP_I IP4(10, 3, 0, 2)
#define IP_J IP4(10, 3, 0, 3)
#define GW1 IP4(10, 1, 0, 1)
#define GW3 IP4(10, 3, 0, 1)
#define IP_NODE IP4(192, 168, 50, 1)
#define IP_REMOTE IP4(192, 168, 50, 2)

enum net_id { NET1 = 1, NET2, NET3 };	/* bridge; bridge with one port; internal bridge */

enum host_id { EP_A, EP_B, EP_C, EP_D, EP_E, EP_I, EP_J, UPLINK, HOST_COUNT };

struct host {
	const char *ifname;		/* host-side veth */
	uint8_t mac[ETH_ALEN];		/* container MAC */
	uint32_t ip;
	uint32_t ep_id;			/* 0: not an endpoint */
	enum net_id net;
	bool static_fdb;		/* seeded as endpoint add writes it (D is only learned) */
	unsigned int ifindex;
	int ns_fd;			/* its netns; -1 for the uplink, whose peer stays here */
	int ct_ifindex;			/* eth0 in its netns */
	int sock;			/* AF_PACKET on eth0, in its netns */
};

/* The datapath's own ageing time, restored after a case that shortened it. */
static uint64_t default_ageing_ns;

static struct host hosts[HOST_COUNT] = {
	[EP_A] = { "bb-a", { 0x02, 0xa0, 0, 0, 0, 0x0a }, IP_A, 1, NET1, true },
	[EP_B] = { "bb-b", { 0x02, 0xa0, 0, 0, 0, 0x0b }, IP_B, 2, NET1, true },
	[EP_C] = { "bb-c", { 0x02, 0xa0, 0, 0, 0, 0x0c }, IP_C, 3, NET1, true },
	[EP_D] = { "bb-d", { 0x02, 0xa0, 0, 0, 0, 0x0d }, IP_D, 4, NET1, false },
	[EP_E] = { "bb-e", { 0x02, 0xa0, 0, 0, 0, 0x0e }, IP_E, 5, NET2, true },
	[EP_I] = { "bb-i", { 0x02, 0xa0, 0, 0, 0, 0x01 }, IP_I, 6, NET3, true },
	[EP_J] = { "bb-j", { 0x02, 0xa0, 0, 0, 0, 0x02 }, IP_J, 7, NET3, true },
	[UPLINK] = { "bb-up", { 0x02, 0xa0, 0, 0, 0, 0xff }, IP_REMOTE },
};

struct net_seed {
	uint32_t subnet;
	uint32_t gateway;
	uint8_t flags;
	uint8_t gw_mac[ETH_ALEN];
};

static const struct net_seed nets[] = {
	/* nat-unprotected: the uplink case routes in from outside (test_security: gateway modes) */
	[NET1] = { IP4(10, 1, 0, 0), GW1, BPFNET_NET_F_UNPROTECTED, { 0x02, 0x6b, 0, 0, 0, 1 } },
	[NET2] = { IP4(10, 2, 0, 0), IP4(10, 2, 0, 1), 0, { 0x02, 0x6b, 0, 0, 0, 2 } },
	[NET3] = { IP4(10, 3, 0, 0), GW3, BPFNET_NET_F_INTERNAL, { 0x02, 0x6b, 0, 0, 0, 3 } },
};

static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mcast[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
static const uint8_t zero_mac[ETH_ALEN];
static const uint8_t unknown_mac[ETH_ALEN] = { 0x02, 0x77, 0x77, 0x77, 0x77, 0x77 };
static const uint8_t aged_mac[ETH_ALEN] = { 0x02, 0x88, 0x88, 0x88, 0x88, 0x88 };
static const char payload[] = "bpfnet bridge test payload";

enum dst { TO_HOST, TO_GW, TO_BCAST, TO_MCAST, TO_UNKNOWN, TO_AGED };
enum kind { K_UDP, K_ARP_REQ, K_ARP_REPLY, K_ARP_RARP, K_VLAN, K_QINQ, K_IPV6 };
enum out { OUT_DROPPED, OUT_UNCHANGED, OUT_ARP_REPLY, OUT_ROUTED };

struct bcase {
	const char *name;
	bool uplink;			/* from_uplink on the uplink; else from_container */
	enum host_id from;		/* sender: Ethernet and L3 source */
	enum dst dst;			/* destination MAC */
	enum host_id to;		/* TO_HOST: whose MAC */
	enum kind kind;
	uint32_t dst_ip;		/* IPv4 destination or ARP target */
	void (*mangle)(struct pkt *p);
	size_t trunc_to;
	void (*prepare)(void);		/* FDB state the case starts from */
	uint64_t ageing_ns;		/* the FDB ageing time for this case; 0: the default */
	bool live;
	/* expectations */
	int verdict;
	enum bpfnet_drop_reason drop;
	enum out out;
	enum host_id routed_to;		/* OUT_ROUTED */
	int rx[HOST_COUNT];		/* frames each endpoint gets (ep_stats, live sockets) */
	int charged[HOST_COUNT];	/* drops of the uplink counted against an endpoint */
	uint64_t events[BPFNET_G_MAX];	/* node-wide counter deltas */
	void (*check)(const struct bcase *c);
};

struct counters {
	uint64_t drops[BPFNET_DROP_MAX];
	uint64_t events[BPFNET_G_MAX];
	struct bpfnet_ep_stats ep[HOST_COUNT];
};

/* ---- frames ---- */

static const uint8_t *dst_mac(const struct bcase *c)
{
	switch (c->dst) {
	case TO_GW:
		return nets[hosts[c->from].net].gw_mac;
	case TO_BCAST:
		return bcast;
	case TO_MCAST:
		return mcast;
	case TO_UNKNOWN:
		return unknown_mac;
	case TO_AGED:
		return aged_mac;
	default:
		return hosts[c->to].mac;
	}
}

static void build_ipv4(const struct bcase *c, const uint8_t *src, struct pkt *p, uint16_t type)
{
	struct ipv4_spec ip = { .saddr = hosts[c->from].ip, .daddr = c->dst_ip,
				.proto = IPPROTO_UDP, .ttl = DEFAULT_TTL, .id = IP_ID,
				.frag = IPV4_FLAG_DF };

	pkt_eth(p, dst_mac(c), src, type);
	if (c->kind == K_VLAN || c->kind == K_QINQ)
		pkt_vlan(p, VLAN_TCI, ETH_P_IP);
	pkt_ipv4(p, &ip);
	pkt_udp(p, UDP_SPORT, UDP_DPORT);
	pkt_append(p, payload, strlen(payload));
	pkt_ipv4_finish(p);
}

static void build_arp(const struct bcase *c, struct pkt *p)
{
	const struct host *h = &hosts[c->from];
	uint16_t op = c->kind == K_ARP_REPLY ? ARP_OP_REPLY :
		      c->kind == K_ARP_RARP ? ARP_OP_RARP_REQUEST : ARP_OP_REQUEST;
	struct arp_spec arp = { .op = op, .sha = h->mac, .sip = h->ip,
				.tha = op == ARP_OP_REPLY ? dst_mac(c) : zero_mac,
				.tip = c->dst_ip };

	pkt_eth(p, dst_mac(c), h->mac, ETH_P_ARP);
	pkt_arp(p, &arp);
}

static void build_input(const struct bcase *c, struct pkt *p)
{
	const uint8_t *src = hosts[c->from].mac;

	pkt_init(p);
	if (c->kind == K_ARP_REQ || c->kind == K_ARP_REPLY || c->kind == K_ARP_RARP)
		build_arp(c, p);
	else if (c->kind == K_VLAN)
		build_ipv4(c, src, p, ETH_P_8021Q);
	else if (c->kind == K_QINQ)
		build_ipv4(c, src, p, ETH_P_QINQ);
	else if (c->kind == K_IPV6)
		build_ipv4(c, src, p, ETH_P_IPV6);	/* the type alone makes it unsupported */
	else
		build_ipv4(c, src, p, ETH_P_IP);
	if (c->mangle)
		c->mangle(p);
	if (c->trunc_to)
		p->len = c->trunc_to;
}

static void build_expected(const struct bcase *c, const struct pkt *in, struct pkt *out)
{
	const struct host *h = &hosts[c->from], *to = &hosts[c->routed_to];

	if (c->out == OUT_ARP_REPLY)	/* the gateway's answer to the asker */
		build_arp_reply(out, h->mac, h->ip, nets[h->net].gw_mac, c->dst_ip);
	else if (c->out == OUT_ROUTED)	/* from the gateway MAC to the container's */
		expect_routed(in, to->mac, nets[to->net].gw_mac, out);
	else
		*out = *in;
}

/* ---- maps ---- */

static void snapshot(struct counters *c)
{
	memset(c, 0, sizeof(*c));
	read_drop_stats(c->drops);
	read_global_stats(c->events);
	for (int h = 0; h < HOST_COUNT; h++)
		if (hosts[h].ep_id)
			read_ep_stats(hosts[h].ep_id, &c->ep[h]);
}

/* map_update() or fail: the cases' prepare() writes the FDB too. */
static void map_set(struct bpf_map *map, const void *key, size_t ksz, const void *val, size_t vsz)
{
	if (map_update(map, key, ksz, val, vsz))
		fail();
}

static struct bpfnet_fdb_key fdb_key(enum net_id net, const uint8_t *mac)
{
	struct bpfnet_fdb_key k = { .net_id = net };

	memcpy(k.mac, mac, ETH_ALEN);
	return k;
}

static void fdb_put(enum net_id net, const uint8_t *mac, enum host_id port, uint64_t last_seen,
		    uint32_t flags)
{
	struct bpfnet_fdb_key k = fdb_key(net, mac);
	struct bpfnet_fdb_val v = { .ifindex = hosts[port].ifindex, .ep_id = hosts[port].ep_id,
				    .last_seen_ns = last_seen, .flags = flags };

	map_set(skel->maps.fdb, &k, sizeof(k), &v, sizeof(v));
}

/* The FDB entry of @mac in @net, or fail the test. */
static struct bpfnet_fdb_val fdb_get(const struct bcase *c, enum net_id net, const uint8_t *mac)
{
	struct bpfnet_fdb_key k = fdb_key(net, mac);
	struct bpfnet_fdb_val v;

	if (bpf_map__lookup_elem(skel->maps.fdb, &k, sizeof(k), &v, sizeof(v), 0))
		fail_msg("%s: no FDB entry for %02x:..:%02x in network %d", c->name, mac[0],
			 mac[5], net);
	return v;
}

/* Network @id as the library describes it: a bridge, its gateway mode and internal flag. */
static struct net_state net_info(enum net_id id)
{
	const struct net_seed *n = &nets[id];
	const char *mode = n->flags & BPFNET_NET_F_UNPROTECTED ? BPFNET_GW_MODE_NAT_UNPROTECTED :
							      BPFNET_GW_MODE_NAT;

	return topo_net(id, n->subnet, n->gateway, true, mode, false,
			n->flags & BPFNET_NET_F_INTERNAL, n->gw_mac);
}

static void seed_host(const struct host *h)
{
	struct net_state n = net_info(h->net);

	if (topo_seed_ep(&n, h->ifindex, h->ep_id, h->ip, h->mac, nets[h->net].gw_mac, 0))
		fail();
	if (h->static_fdb)
		fdb_put(h->net, h->mac, (enum host_id)(h - hosts), now_ns(), BPFNET_FDB_F_STATIC);
}

static void seed_net(enum net_id id)
{
	struct net_state net = net_info(id);
	struct bpfnet_flood fl = {};
	__u32 key = id;

	if (topo_seed_net(&net))
		fail();
	for (int h = 0; h < HOST_COUNT; h++) {
		if (!hosts[h].ep_id || hosts[h].net != id)
			continue;
		fl.ports[fl.n_ports].ifindex = hosts[h].ifindex;
		fl.ports[fl.n_ports++].ep_id = hosts[h].ep_id;
	}
	map_set(skel->maps.flood_ports, &key, sizeof(key), &fl, sizeof(fl));
}

/* ---- the FDB before and after ---- */

/* C's MAC learned behind A's port (C moved, or a stale entry): C's next frame moves it. */
static void prepare_c_behind_a(void)
{
	fdb_put(NET1, hosts[EP_C].mac, EP_A, now_ns(), BPFNET_FDB_F_LEARNED);
}

/* A station behind B, learned long ago and silent since. */
static void prepare_aged(void)
{
	fdb_put(NET1, aged_mac, EP_B, ANCIENT_NS, BPFNET_FDB_F_LEARNED);
}

/* When the running case's prepare() wrote the FDB: CLOCK_MONOTONIC. */
static uint64_t prepared_ns;

/* A's static entry, idle since boot: A's next frame must refresh it. */
static void prepare_a_idle(void)
{
	prepared_ns = now_ns();
	fdb_put(NET1, hosts[EP_A].mac, EP_A, ANCIENT_NS, BPFNET_FDB_F_STATIC);
}

/* A's static entry, refreshed a moment ago: A's next frame must not write it. */
static void prepare_a_fresh(void)
{
	prepared_ns = now_ns();
	fdb_put(NET1, hosts[EP_A].mac, EP_A, prepared_ns, BPFNET_FDB_F_STATIC);
}

/* B's static entry, as idle as the aged one. */
static void prepare_b_idle(void)
{
	fdb_put(NET1, hosts[EP_B].mac, EP_B, ANCIENT_NS, BPFNET_FDB_F_STATIC);
}

static void check_port(const struct bcase *c, const uint8_t *mac, enum host_id port,
		       uint32_t flags)
{
	struct bpfnet_fdb_val v = fdb_get(c, hosts[port].net, mac);

	if (v.ifindex != hosts[port].ifindex || v.ep_id != hosts[port].ep_id || v.flags != flags)
		fail_msg("%s: FDB entry: expected ifindex %u ep %u flags %u, got %u %u %u",
			 c->name, hosts[port].ifindex, hosts[port].ep_id, flags, v.ifindex,
			 v.ep_id, v.flags);
}

/* A's entry refreshed, on the clock user space reads it with (fdb ls: its age), still static. */
static void check_a_refreshed(const struct bcase *c)
{
	struct bpfnet_fdb_val v = fdb_get(c, NET1, hosts[EP_A].mac);
	uint64_t after = now_ns();

	check_port(c, hosts[EP_A].mac, EP_A, BPFNET_FDB_F_STATIC);
	if (v.last_seen_ns + COARSE_LAG_NS < prepared_ns || v.last_seen_ns > after)
		fail_msg("%s: last_seen %llu ns, expected within [%llu - %llu, %llu] (CLOCK_MONOTONIC)",
			 c->name, (unsigned long long)v.last_seen_ns,
			 (unsigned long long)prepared_ns, (unsigned long long)COARSE_LAG_NS,
			 (unsigned long long)after);
}

/* A's entry exactly as prepare_a_fresh() wrote it: learning wrote nothing. */
static void check_a_untouched(const struct bcase *c)
{
	struct bpfnet_fdb_val v = fdb_get(c, NET1, hosts[EP_A].mac);

	check_port(c, hosts[EP_A].mac, EP_A, BPFNET_FDB_F_STATIC);
	if (v.last_seen_ns != prepared_ns)
		fail_msg("%s: last_seen rewritten: %llu ns, was %llu", c->name,
			 (unsigned long long)v.last_seen_ns, (unsigned long long)prepared_ns);
}

static void check_d_learned(const struct bcase *c)
{
	check_port(c, hosts[EP_D].mac, EP_D, BPFNET_FDB_F_LEARNED);
}

static void check_c_moved(const struct bcase *c)
{
	check_port(c, hosts[EP_C].mac, EP_C, BPFNET_FDB_F_LEARNED);
}

static void check_aged_gone(const struct bcase *c)
{
	struct bpfnet_fdb_key k = fdb_key(NET1, aged_mac);
	struct bpfnet_fdb_val v;

	if (!bpf_map__lookup_elem(skel->maps.fdb, &k, sizeof(k), &v, sizeof(v), 0))
		fail_msg("%s: the aged entry is still in the FDB", c->name);
}

static void check_b_static(const struct bcase *c)
{
	check_port(c, hosts[EP_B].mac, EP_B, BPFNET_FDB_F_STATIC);
}

/* ---- running ---- */

static int run_prog(const struct bcase *c, const struct pkt *in, struct pkt *out)
{
	struct bpf_program *prog = c->uplink ? skel->progs.from_uplink : skel->progs.from_container;

	return prog_test_run(c->name, prog, hosts[c->uplink ? UPLINK : c->from].ifindex, in, out);
}

static void check_deltas(const struct bcase *c, size_t len, const struct counters *b,
			 const struct counters *a)
{
	bool dropped = c->drop != BPFNET_DROP_UNUSED;

	check_drop_deltas(c->name, c->drop, b->drops, a->drops);
	check_global_deltas(c->name, c->events, b->events, a->events);
	for (int h = 0; h < HOST_COUNT; h++) {
		bool sender = h == (int)c->from && !c->uplink;
		uint64_t tx = a->ep[h].tx_packets - b->ep[h].tx_packets;
		uint64_t drops = a->ep[h].drops - b->ep[h].drops;
		uint64_t rx = a->ep[h].rx_packets - b->ep[h].rx_packets;
		uint64_t rx_bytes = a->ep[h].rx_bytes - b->ep[h].rx_bytes;

		int want_drops = (sender && dropped) + c->charged[h];

		if (tx != (sender && !dropped) || drops != (uint64_t)want_drops ||
		    rx != (uint64_t)c->rx[h] || rx_bytes != c->rx[h] * len)
			fail_msg("%s: ep_stats of %s: expected tx %d drops %d rx %d (%zu bytes), "
				 "got tx %llu drops %llu rx %llu (%llu bytes)", c->name,
				 hosts[h].ifname, sender && !dropped, want_drops, c->rx[h],
				 c->rx[h] * len, (unsigned long long)tx, (unsigned long long)drops,
				 (unsigned long long)rx, (unsigned long long)rx_bytes);
	}
}

/* ---- live: real veths, real delivery ---- */

/* Container @h is the asker of an ARP answered by the gateway: it gets the answer. */
static bool gets_reply(const struct bcase *c, int h)
{
	return h == (int)c->from && c->out == OUT_ARP_REPLY;
}

static void live_drain(void)
{
	uint8_t buf[PKT_MAX];

	for (int h = 0; h < HOST_COUNT; h++)
		while (hosts[h].sock >= 0 && recv(hosts[h].sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
}

static void live_send(const struct bcase *c, const struct pkt *in)
{
	const struct host *h = &hosts[c->from];
	int err = packet_send(h->sock, h->ct_ifindex, in);

	if (err)
		fail_msg("%s: sending from %s's eth0: %s", c->name, h->ifname, strerror(-err));
}

struct live_seen {
	int want[HOST_COUNT];		/* frames equal to what each container should get */
	int other[HOST_COUNT];		/* anything else */
};

/*
 * How @h's stack must classify @frame: only a frame marked for it (PACKET_HOST)
 * reaches its IP and ARP code, so a wrong mark is a lost frame.
 */
static unsigned char pkttype_for(int h, const struct pkt *frame)
{
	const uint8_t *dst = frame->data + ETH_OFF_DST;

	if (!memcmp(dst, bcast, ETH_ALEN))
		return PACKET_BROADCAST;
	if (dst[0] & 1)
		return PACKET_MULTICAST;
	return memcmp(dst, hosts[h].mac, ETH_ALEN) ? PACKET_OTHERHOST : PACKET_HOST;
}

/* Read what arrived on @h's eth0 for a moment; outgoing frames (the sender's own) are not ours. */
static void live_read(int h, const struct pkt *want, struct live_seen *seen)
{
	struct pkt got;
	struct sockaddr_ll from;
	socklen_t alen = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(hosts[h].sock, got.data, sizeof(got.data), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &alen)) > 0) {
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if ((size_t)n == want->len && !memcmp(got.data, want->data, want->len) &&
		    from.sll_pkttype == pkttype_for(h, want))
			seen->want[h]++;
		else
			seen->other[h]++;
		alen = sizeof(from);
	}
}

static void live_collect(const struct bcase *c, const struct pkt *in, const struct pkt *reply,
			 struct live_seen *seen)
{
	int waited = 0, expected = 0, got;

	memset(seen, 0, sizeof(*seen));
	for (int h = 0; h < HOST_COUNT; h++)
		expected += c->rx[h];
	expected += c->out == OUT_ARP_REPLY;
	do {
		sleep_ms(LIVE_STEP_MS);
		waited += LIVE_STEP_MS;
		got = 0;
		for (int h = 0; h < HOST_COUNT; h++) {
			if (hosts[h].sock >= 0)
				live_read(h, gets_reply(c, h) ? reply : in, seen);
			got += seen->want[h];
		}
	} while (got < expected && waited < LIVE_WAIT_MS);
	sleep_ms(LIVE_QUIET_MS);
	for (int h = 0; h < HOST_COUNT; h++)
		if (hosts[h].sock >= 0)
			live_read(h, gets_reply(c, h) ? reply : in, seen);
}

static void check_live(const struct bcase *c, const struct live_seen *seen)
{
	for (int h = 0; h < HOST_COUNT; h++) {
		int want = c->rx[h] + gets_reply(c, h);

		if (hosts[h].sock >= 0 && (seen->want[h] != want || seen->other[h]))
			fail_msg("%s: %s's container: expected the frame %d time(s) and nothing "
				 "else, got it %d time(s) and %d other frame(s)", c->name,
				 hosts[h].ifname, want, seen->want[h], seen->other[h]);
	}
}

/* A dropped live frame shows as a drop count; wait for one (or give up). */
static void live_wait_drop(void)
{
	uint64_t before = drops_total();

	for (int i = 0; i < LIVE_WAIT_MS / LIVE_STEP_MS; i++) {
		sleep_ms(LIVE_STEP_MS);
		if (drops_total() != before)
			return;
	}
}

static void run_case(void **state)
{
	const struct bcase *c = *state;
	struct counters before, after;
	struct pkt in, want, got;
	struct live_seen seen;
	int verdict = 0;	/* not for the live cases: their frames are seen delivered */

	skel->data->fdb_ageing_ns = c->ageing_ns ? c->ageing_ns : default_ageing_ns;
	if (c->prepare)
		c->prepare();
	build_input(c, &in);
	build_expected(c, &in, &want);
	live_drain();
	snapshot(&before);
	if (c->live) {
		live_send(c, &in);
		if (c->verdict == TC_ACT_SHOT)
			live_wait_drop();
		else
			live_collect(c, &in, &want, &seen);
	} else {
		verdict = run_prog(c, &in, &got);
	}
	snapshot(&after);
	if (!c->live)
		check_verdict(c->name, c->verdict, verdict);
	check_deltas(c, in.len, &before, &after);
	if (c->live && c->verdict != TC_ACT_SHOT)
		check_live(c, &seen);
	if (!c->live && c->out != OUT_DROPPED)
		assert_pkt_equal(c->name, &want, &got);
	if (c->check)
		c->check(c);
}

/* ---- the cases ---- */

#define SHOT(reason) .verdict = TC_ACT_SHOT, .drop = BPFNET_##reason, .out = OUT_DROPPED
#define SWITCHED .verdict = TC_ACT_REDIRECT, .out = OUT_UNCHANGED
#define FLOODED_TO_BCD SWITCHED, .rx = { [EP_B] = 1, [EP_C] = 1, [EP_D] = 1 }, \
		       .events = { [BPFNET_G_FLOODED] = 1 }
#define UDP_TO(x) .dst = TO_HOST, .to = EP_##x, .dst_ip = IP_##x

static const struct bcase cases[] = {
	/* 1. learning */
	{ "learning: D's first frame (a broadcast ARP request) puts D's MAC behind D's port",
	  .from = EP_D, .dst = TO_BCAST, .kind = K_ARP_REQ, .dst_ip = IP_B, SWITCHED,
	  .rx = { [EP_A] = 1, [EP_B] = 1, [EP_C] = 1 },
	  .events = { [BPFNET_G_FDB_LEARNED] = 1, [BPFNET_G_FLOODED] = 1 },
	  .check = check_d_learned },
	{ "learning: D's next frame only refreshes the entry", .from = EP_D, UDP_TO(B),
	  SWITCHED, .rx = { [EP_B] = 1 }, .check = check_d_learned },
	{ "learning: C's MAC behind A's port moves to C's port when C sends",
	  .from = EP_C, .dst = TO_BCAST, .dst_ip = IP4(10, 1, 0, 255), .prepare = prepare_c_behind_a,
	  SWITCHED, .rx = { [EP_A] = 1, [EP_B] = 1, [EP_D] = 1 },
	  .events = { [BPFNET_G_FDB_MOVED] = 1, [BPFNET_G_FLOODED] = 1 },
	  .check = check_c_moved },
	{ "learning: A's frame refreshes A's entry idle for over a second, on CLOCK_MONOTONIC",
	  .from = EP_A, UDP_TO(B), .prepare = prepare_a_idle, SWITCHED, .rx = { [EP_B] = 1 },
	  .check = check_a_refreshed },
	{ "learning: A's frame does not write A's entry refreshed less than a second ago",
	  .from = EP_A, UDP_TO(B), .prepare = prepare_a_fresh, SWITCHED, .rx = { [EP_B] = 1 },
	  .check = check_a_untouched },

	/* 2. known unicast: L2, the frame untouched */
	{ "known unicast: udp A->B goes to B's port only, TTL kept", .from = EP_A, UDP_TO(B),
	  SWITCHED, .rx = { [EP_B] = 1 } },
	{ "known unicast: A->D through a learned entry", .from = EP_A, UDP_TO(D), SWITCHED,
	  .rx = { [EP_D] = 1 } },
	{ "known unicast: arp reply B->A goes to A only", .from = EP_B, .dst = TO_HOST, .to = EP_A,
	  .kind = K_ARP_REPLY, .dst_ip = IP_A, SWITCHED, .rx = { [EP_A] = 1 } },
	{ "known unicast: a static entry never ages", .from = EP_A, UDP_TO(B),
	  .prepare = prepare_b_idle, .ageing_ns = FAST_AGEING_NS, SWITCHED, .rx = { [EP_B] = 1 }, .check = check_b_static },
	{ "known unicast: to the sender's own MAC is dropped", .from = EP_A, UDP_TO(A),
	  SHOT(DROP_SAME_PORT) },

	/* 3. flooding: every other port of the network; not the sender's, not another network's */
	{ "flood: udp broadcast from A to B, C and D, not back to A, not to E",
	  .from = EP_A, .dst = TO_BCAST, .dst_ip = IP4(10, 1, 0, 255), FLOODED_TO_BCD },
	{ "flood: multicast (01:00:5e:00:00:fb) from A", .from = EP_A, .dst = TO_MCAST,
	  .dst_ip = IP4(224, 0, 0, 251), FLOODED_TO_BCD },
	{ "flood: unknown unicast from A", .from = EP_A, .dst = TO_UNKNOWN, .dst_ip = IP_FOREIGN,
	  FLOODED_TO_BCD },
	{ "flood: an idle learned entry is forgotten, its frame flooded", .from = EP_A,
	  .dst = TO_AGED, .dst_ip = IP_FOREIGN, .prepare = prepare_aged, .ageing_ns = FAST_AGEING_NS, SWITCHED,
	  .rx = { [EP_B] = 1, [EP_C] = 1, [EP_D] = 1 },
	  .events = { [BPFNET_G_FDB_AGED] = 1, [BPFNET_G_FLOODED] = 1 }, .check = check_aged_gone },
	{ "flood: arp request from A for B, not answered from BPF", .from = EP_A, .dst = TO_BCAST,
	  .kind = K_ARP_REQ, .dst_ip = IP_B, FLOODED_TO_BCD },
	{ "flood: arp probe (sender 0.0.0.0) from A", .from = EP_A, .dst = TO_BCAST,
	  .kind = K_ARP_REQ, .dst_ip = IP_B, .mangle = arp_probe, FLOODED_TO_BCD },
	{ "flood: E is alone in network 2: its broadcast is consumed", .from = EP_E,
	  .dst = TO_BCAST, .dst_ip = IP4(10, 2, 0, 255), .verdict = TC_ACT_STOLEN,
	  .out = OUT_UNCHANGED, .events = { [BPFNET_G_FLOODED] = 1 } },
	{ "flood: E to A's MAC: unknown in network 2, so A never sees it", .from = EP_E,
	  .dst = TO_HOST, .to = EP_A, .dst_ip = IP_A, .verdict = TC_ACT_STOLEN,
	  .out = OUT_UNCHANGED, .events = { [BPFNET_G_FLOODED] = 1 } },

	/* 4. the gateway */
	{ "gateway: broadcast arp request for it is answered with its MAC, and flooded",
	  .from = EP_A, .dst = TO_BCAST, .kind = K_ARP_REQ, .dst_ip = GW1,
	  .verdict = TC_ACT_REDIRECT, .out = OUT_ARP_REPLY,
	  .rx = { [EP_B] = 1, [EP_C] = 1, [EP_D] = 1 }, .events = { [BPFNET_G_FLOODED] = 1 } },
	{ "gateway: unicast arp request to its MAC is answered, not flooded", .from = EP_A,
	  .dst = TO_GW, .kind = K_ARP_REQ, .dst_ip = GW1, .verdict = TC_ACT_REDIRECT,
	  .out = OUT_ARP_REPLY },
	{ "gateway: arp request to its MAC for another address", .from = EP_A, .dst = TO_GW,
	  .kind = K_ARP_REQ, .dst_ip = IP_B, SHOT(DROP_ARP_NOT_ANSWERED) },
	{ "gateway: ipv4 to its MAC for the gateway address goes to the node", .from = EP_A,
	  .dst = TO_GW, .dst_ip = GW1, .verdict = TC_ACT_OK, .out = OUT_UNCHANGED },
	{ "gateway: ipv4 to its MAC for the node's address goes to the node", .from = EP_A,
	  .dst = TO_GW, .dst_ip = IP_NODE, .verdict = TC_ACT_OK, .out = OUT_UNCHANGED },
	{ "gateway: ipv4 to its MAC for B is routed into B (TTL-1)", .from = EP_A, .dst = TO_GW,
	  .dst_ip = IP_B, .verdict = TC_ACT_REDIRECT, .out = OUT_ROUTED, .routed_to = EP_B,
	  .rx = { [EP_B] = 1 } },
	{ "gateway: ipv4 to its MAC for E (network 2) is dropped", .from = EP_A, .dst = TO_GW,
	  .dst_ip = IP_E, SHOT(DROP_OTHER_NETWORK) },

	/* 5. internal network */
	{ "internal: I to the gateway MAC", .from = EP_I, .dst = TO_GW, .dst_ip = IP_REMOTE,
	  SHOT(DROP_INTERNAL) },
	{ "internal: arp request for the gateway is flooded to J, not answered", .from = EP_I,
	  .dst = TO_BCAST, .kind = K_ARP_REQ, .dst_ip = GW3, SWITCHED, .rx = { [EP_J] = 1 },
	  .events = { [BPFNET_G_FLOODED] = 1 } },
	{ "internal: I to J", .from = EP_I, UDP_TO(J), SWITCHED, .rx = { [EP_J] = 1 } },

	/* 6. anti-spoofing and malformed frames */
	{ "spoof: source MAC not A's", .from = EP_A, UDP_TO(B), .mangle = spoof_eth_src,
	  SHOT(DROP_SPOOFED_MAC) },
	{ "spoof: source address not A's, in a switched frame", .from = EP_A, UDP_TO(B),
	  .mangle = spoof_ip_src, SHOT(DROP_SPOOFED_IP) },
	{ "spoof: broadcast with a source address not A's", .from = EP_A, .dst = TO_BCAST,
	  .dst_ip = IP4(10, 1, 0, 255), .mangle = spoof_ip_src, SHOT(DROP_SPOOFED_IP) },
	{ "spoof: arp sender MAC not A's", .from = EP_A, .dst = TO_BCAST, .kind = K_ARP_REQ,
	  .dst_ip = IP_B, .mangle = spoof_arp_sha, SHOT(DROP_SPOOFED_MAC) },
	{ "spoof: arp sender address not A's", .from = EP_A, .dst = TO_BCAST, .kind = K_ARP_REQ,
	  .dst_ip = IP_B, .mangle = spoof_arp_sip, SHOT(DROP_SPOOFED_IP) },
	{ "malformed: arp opcode 3 (RARP)", .from = EP_A, .dst = TO_BCAST, .kind = K_ARP_RARP,
	  .dst_ip = IP_B, SHOT(DROP_BAD_ARP) },
	{ "malformed: 802.1Q tagged frame", .from = EP_A, UDP_TO(B), .kind = K_VLAN,
	  SHOT(DROP_VLAN) },
	{ "malformed: 802.1ad (QinQ) tagged frame", .from = EP_A, .dst = TO_BCAST, .kind = K_QINQ,
	  .dst_ip = IP_B, SHOT(DROP_VLAN) },
	{ "malformed: IPv6 ethertype", .from = EP_A, UDP_TO(B), .kind = K_IPV6,
	  SHOT(DROP_UNSUPPORTED_L3) },
	{ "malformed: runt, an Ethernet header and nothing else", .from = EP_A, .dst = TO_BCAST,
	  .kind = K_ARP_REQ, .dst_ip = IP_B, .trunc_to = ETH_HLEN, SHOT(DROP_TRUNCATED) },
	{ "malformed: runt, arp cut to 10 bytes", .from = EP_A, .dst = TO_BCAST, .kind = K_ARP_REQ,
	  .dst_ip = IP_B, .trunc_to = ETH_HLEN + 10, SHOT(DROP_TRUNCATED) },
	{ "malformed: ipv4 ihl 4", .from = EP_A, UDP_TO(B), .mangle = ip_ihl_4,
	  SHOT(DROP_BAD_IP_HEADER) },

	/* 7. from the uplink into a bridge network */
	{ "uplink: ipv4 to B (nat-unprotected) is routed in, from the gateway MAC", .uplink = true, .from = UPLINK,
	  .dst = TO_HOST, .to = EP_A, .dst_ip = IP_B, .verdict = TC_ACT_REDIRECT,
	  .out = OUT_ROUTED, .routed_to = EP_B, .rx = { [EP_B] = 1 },
	  .events = { [BPFNET_G_CT_CREATED] = 1 } },	/* tracked, so that B's answer leaves as it is */
	{ "uplink: ipv4 to I (internal network) is dropped, counted against I", .uplink = true,
	  .from = UPLINK, .dst = TO_HOST, .to = EP_A, .dst_ip = IP_I, SHOT(DROP_INTERNAL),
	  .charged = { [EP_I] = 1 } },

	/* 8. live: frames really delivered, each exactly once */
	{ "live: broadcast from A reaches B, C and D once each; A and E nothing", .live = true,
	  .from = EP_A, .dst = TO_BCAST, .dst_ip = IP4(10, 1, 0, 255), FLOODED_TO_BCD },
	/* marked PACKET_HOST for B: by the kernel's peer-redirect scrub (6.15+) or by BPF before */
	{ "live: known unicast A->B reaches B only, unchanged", .live = true, .from = EP_A,
	  UDP_TO(B), SWITCHED, .rx = { [EP_B] = 1 } },
	{ "live: unknown unicast from A reaches B, C and D", .live = true, .from = EP_A,
	  .dst = TO_UNKNOWN, .dst_ip = IP_FOREIGN, FLOODED_TO_BCD },
	{ "live: arp request for the gateway: A gets the answer, B, C, D the request",
	  .live = true, .from = EP_A, .dst = TO_BCAST, .kind = K_ARP_REQ, .dst_ip = GW1,
	  .verdict = TC_ACT_REDIRECT, .out = OUT_ARP_REPLY,
	  .rx = { [EP_B] = 1, [EP_C] = 1, [EP_D] = 1 }, .events = { [BPFNET_G_FLOODED] = 1 } },
	{ "live: broadcast in the internal network reaches J only", .live = true, .from = EP_I,
	  .dst = TO_BCAST, .dst_ip = IP4(10, 3, 0, 255), SWITCHED, .rx = { [EP_J] = 1 },
	  .events = { [BPFNET_G_FLOODED] = 1 } },
	{ "live: runt, ipv4 header cut short (eth + 12 bytes)", .live = true, .from = EP_A,
	  UDP_TO(B), .trunc_to = ETH_HLEN + 12, SHOT(DROP_TRUNCATED) },
	/* the kernel takes the tag off before tc: the program sees it only in skb->vlan_* */
	{ "live: 802.1Q tagged frame", .live = true, .from = EP_A, UDP_TO(B), .kind = K_VLAN,
	  SHOT(DROP_VLAN) },
};

/* ---- setup ---- */

/* A new netns kept alive by the returned fd; we stay in ours. */
static int new_netns(void)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd = -1;

	if (self >= 0 && !unshare(CLONE_NEWNET)) {
		fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (setns(self, CLONE_NEWNET))
			abort();	/* carrying on in the wrong netns, every test would lie */
	}
	if (self >= 0)
		close(self);
	return fd;
}

/* disable_ipv6(), for netns_run() in a container's netns. */
static int ipv6_off(void *arg)
{
	(void)arg;
	return disable_ipv6();
}

static int open_socket(void *arg)
{
	struct host *h = arg;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = h->ct_ifindex };

	h->sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (h->sock < 0 || bind(h->sock, (struct sockaddr *)&sll, sizeof(sll)))
		return -1;
	return 0;
}

/* The container end: eth0 up in its netns, and a socket on it. */
static int container_side(struct host *h)
{
	struct nl_link eth;
	struct nl *nl;
	int err = nl_open(&nl, h->ns_fd);

	if (err)
		return err;
	err = nl_link_get_by_name(nl, "eth0", &eth) ?: nl_link_set_up(nl, eth.ifindex);
	nl_close(nl);
	h->ct_ifindex = eth.ifindex;
	return err ?: netns_run(h->ns_fd, open_socket, h);
}

static int make_host(struct nl *nl, struct host *h)
{
	struct nl_veth_opts v = { .name = h->ifname, .mac = nets[h->net].gw_mac,
				  .peer_name = "eth0", .peer_mac = h->mac, .peer_netns_fd = -1 };
	struct nl_link link;
	int err;

	h->sock = -1;
	h->ns_fd = -1;
	if (h->ep_id) {
		h->ns_fd = new_netns();
		if (h->ns_fd < 0 || netns_run(h->ns_fd, ipv6_off, NULL))
			return -1;
		v.peer_netns_fd = h->ns_fd;
	} else {
		v.mac = NULL;
		v.peer_name = "bb-up-rt";
	}
	err = nl_veth_create(nl, &v) ?: nl_link_get_by_name(nl, h->ifname, &link) ?:
	      nl_link_set_up(nl, link.ifindex);
	if (err)
		return err;
	h->ifindex = link.ifindex;
	return h->ep_id ? container_side(h) : 0;
}

static int setup(void **state)
{
	(void)state;
	if (skel_load())
		return -1;
	default_ageing_ns = skel->data->fdb_ageing_ns;
	for (enum net_id n = NET1; n <= NET3; n++)
		seed_net(n);
	for (int h = 0; h < HOST_COUNT; h++)
		if (hosts[h].ep_id)
			seed_host(&hosts[h]);
	/* the live cases run on the real path: the program on every host veth */
	for (int h = 0; h < HOST_COUNT; h++)
		if (hosts[h].ep_id &&
		    tc_attach_ingress(hosts[h].ifindex, skel->progs.from_container))
			return -1;
	return 0;
}

int main(void)
{
	struct nl *nl;

	if (enter_netns() || nl_open(&nl, -1)) {
		perror("a private netns for the test");
		return 1;
	}
	for (int h = 0; h < HOST_COUNT; h++) {
		if (make_host(nl, &hosts[h])) {
			fprintf(stderr, "cannot make %s and its container\n", hosts[h].ifname);
			return 1;
		}
	}
	nl_close(nl);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		add_test(cases[i].name, run_case, &cases[i]);
	return run_group("bridge", setup, skel_destroy, NULL);
}
