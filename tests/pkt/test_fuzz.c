// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Random and mutated frames through every BPF program of the datapath with
 * BPF_PROG_TEST_RUN: from_container on the endpoints' host veths,
 * from_uplink and xdp_from_uplink on the uplink. After every frame the
 * invariants below are checked; the first that does not hold fails the
 * program's case with the seed, the frame in and out in hex, and what broke.
 *
 * The topology: topo.h's two l3 networks (A and B in the masquerading NET1,
 * gateway mode nat; C in NET2, not masquerading, gateway mode routed with
 * its port 82/tcp published; published ports, node addresses), and a
 * masquerading bridge network NET3 in gateway mode nat-unprotected with D
 * and E (FDB, flood list). Before the fuzzing, and again every FLOWS_EVERY
 * frames, a set of flows is opened with valid frames (masqueraded,
 * published, hairpin, routed in, bridge, UDP fragmented) and the replies
 * and ICMP errors of each are made from what the datapath sent: the
 * templates the mutations start from therefore reach the established, reply
 * and ICMP-error paths as well as the new-flow ones.
 *
 * The generators: random bytes of random length (and random bytes behind a
 * plausible Ethernet header), and templates mutated 0 to 3 times (fuzz.h:
 * bit flips, truncation, extension, MACs and type, an inserted 802.1Q or
 * 802.1ad tag, IPv4 ihl/tot_len/frag_off/protocol/TTL/addresses, options,
 * ports, TCP data offset and flags, UDP length, ICMP type, the quote of an
 * ICMP error, ARP fields), their checksums made right again half of the time,
 * and one time in eight a checksum set where one's complement sums wrap.
 * A container's frame is sometimes sent on another endpoint's veth, or on
 * one without an endpoint. A frame xdp_from_uplink passes goes on through
 * from_uplink, as it does on an uplink with both attached.
 *
 * The invariants of every frame:
 *  - the verdict is one the program returns (from_container: OK, SHOT,
 *    REDIRECT, STOLEN; from_uplink: UNSPEC, OK, SHOT, REDIRECT; XDP: PASS,
 *    DROP, REDIRECT), and BPF_PROG_TEST_RUN itself succeeds;
 *  - counters add up: drop_stats grew by exactly one (in a slot of a named
 *    reason) for a drop and not at all otherwise, no slot beyond
 *    BPFNET_DROP_MAX and not "unused"; the sender's ep_stats count a drop
 *    or one tx of the frame's length, no other endpoint's tx or drops move
 *    (from the uplink: no tx at all, at most one drop, only with a drop);
 *    rx moves only with a redirect, by one frame of its length per
 *    endpoint, into one endpoint at most from the uplink; at the end no
 *    ep_stats slot outside the topology moved;
 *  - isolation: no endpoint receives a container's frame from another
 *    network (a container of another network is reached only through a
 *    published port, its source then a node address), nor, from a
 *    container, a packet whose source address is that of an endpoint of
 *    another network; a packet rewritten into an endpoint is addressed to it
 *    (its MAC, its address). From the uplink the source address is the
 *    outside's word: it may be anything, a container's address included;
 *  - anti-spoofing: a container's frame that is not dropped has its
 *    endpoint's source MAC, is untagged IPv4 or ARP, from its address (ARP:
 *    its MAC and address, or 0.0.0.0); one on a veth with no endpoint is
 *    dropped;
 *  - rewrites: a frame that is not dropped is as long as it was; one that
 *    from_uplink leaves to the stack or XDP to from_uplink is untouched
 *    (else it would be translated twice, or seen translated); if changed,
 *    it is an ARP reply to the sender or an IPv4 datagram whose only
 *    changed bytes are MACs, TTL, addresses, ports/echo id, checksums (and
 *    those of an ICMP error's quote), every checksum recomputed here from
 *    the bytes and neutral (fuzz.h says what exactly, fragments and options
 *    included).
 *
 * FUZZ_PACKETS (default SHORT_RUN, the make check run) frames per program,
 * FUZZ_SEED (default DEFAULT_SEED, so make check runs the same frames every
 * time) seeds the generator; `make fuzz-packets` runs the long run. The
 * datapath's own randomness (the SNAT port it picks) and clock (expiry) are
 * not the test's: a failing frame is reported in hex, to become a regression
 * case of the packet tests, rather than trusted to recur from the seed.
 */
#include <inttypes.h>

#include "topo.h"
#include "fuzz.h"

#define NET3 3			/* a bridge network, masquerading */
#define SUBNET3 IP4(10, 3, 0, 0)
#define GW3 IP4(10, 3, 0, 1)
#define IP_D IP4(10, 3, 0, 2)
#define IP_E IP4(10, 3, 0, 3)
#define BCAST3 IP4(10, 3, 0, 255)
#define UNASSIGNED1 IP4(10, 1, 0, 99)
#define FAR IP4(8, 8, 8, 8)	/* only the default route, whose router has no neighbour */

#define SHORT_RUN 20000
#define DEFAULT_SEED 0x6270666e65747a31ULL
#define FLOWS_EVERY 4096	/* frames between two openings of the flows */
#define MAX_TMPL 160
#define PAYLOAD_LEN 16
#define LATER_FRAG_OFF 3	/* 24 bytes: past every L4 header (RFC 1858) */
#define MAX_MUTATIONS 3
#define TCP_SEQ 0x01020304
#define TCP_ACK_NR 0x0a0b0c0d
#define TCP_WINDOW 64240
#define N_EPS 5

enum ep_index { I_A, I_B, I_C, I_D, I_E };
enum prog_id { P_FROM_CONTAINER, P_FROM_UPLINK, P_XDP, P_COUNT };
enum side { SIDE_EP, SIDE_UPLINK };

static const char *const prog_names[P_COUNT] = { "from_container", "from_uplink",
						 "xdp_from_uplink" };

static const uint8_t gw3_mac[ETH_ALEN] = { 0x02, 0x6b, 0, 0, 0, 3 };
static const uint8_t bcast_mac[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mcast_mac[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
static const uint8_t unknown_mac[ETH_ALEN] = { 0x02, 0x77, 0x77, 0x77, 0x77, 0x77 };
static const uint8_t zero_mac[ETH_ALEN];

/* The bridge network's endpoints; their host veths carry its gateway MAC. */
static struct host bridge_hosts[] = {
	{ "nf-d", "nf-d-ct", { 0x02, 0x00, 0x0a, 0x03, 0x00, 0x02 },
	  { 0x02, 0x6b, 0, 0, 0, 3 }, IP_D, 4, NET3, 0, 0, 14 },
	{ "nf-e", "nf-e-ct", { 0x02, 0x00, 0x0a, 0x03, 0x00, 0x03 },
	  { 0x02, 0x6b, 0, 0, 0, 3 }, IP_E, 5, NET3, 0, 0, 15 },
};

/* Every endpoint, by enum ep_index; ep_stats ids 1..N_EPS. */
static struct host *const eps[N_EPS] = { &hosts[EP_A], &hosts[EP_B], &hosts[EP_C],
					 &bridge_hosts[0], &bridge_hosts[1] };

static const uint32_t dict_addrs[] = {
	IP_A, IP_B, IP_C, IP_D, IP_E, GW1, GW2, GW3, NODE, REMOTE, REMOTE_NN, ROUTER, NOT_NODE,
	LOOPBACK, 0, 0xffffffff, IP4(224, 0, 0, 251), UNASSIGNED1, BCAST3, FAR,
};
static const uint16_t dict_ports[] = {
	80, 53, 81, 82, 90, 8080, 5353, 8081, 8082, 9090, 8090, 40010, 443, 22, 123,
	BPFNET_SNAT_PORT_MIN, BPFNET_SNAT_PORT_MAX, 0, 65535, 40001, 40002, 50001, 50002,
};
#define DICT_MACS_MAX 16
static uint8_t dict_macs[DICT_MACS_MAX][ETH_ALEN];
static struct fuzz_dict dict = { dict_addrs, ARRAY_SIZE(dict_addrs), dict_macs, 0, dict_ports,
				 ARRAY_SIZE(dict_ports) };

/* ---- templates: valid frames the mutations start from ---- */

struct tspec {
	enum side side;
	enum ep_index sender;
	const uint8_t *dmac;	/* NULL: the sender's gateway (host veth), or the node */
	uint16_t arp_op;	/* an ARP frame: sha the sender's, sip saddr, tip daddr */
	uint8_t proto;
	uint32_t saddr;
	uint16_t sport;		/* ICMP: the echo id */
	uint32_t daddr;
	uint16_t dport;
	uint8_t flags;		/* TCP flags; ICMP: the type */
	uint16_t frag;		/* the IPv4 flags and fragment offset */
	uint16_t id;
	bool opts;
	bool open;		/* opens a flow: its reply and an ICMP error become templates */
};

#define FROM(ep) .side = SIDE_EP, .sender = (ep)
#define OUTSIDE .side = SIDE_UPLINK
#define TCP(s, sp, d, dp, fl) .proto = IPPROTO_TCP, .saddr = (s), .sport = (sp), .daddr = (d), \
	.dport = (dp), .flags = (fl)
#define UDP(s, sp, d, dp) .proto = IPPROTO_UDP, .saddr = (s), .sport = (sp), .daddr = (d), \
	.dport = (dp)
#define ICMP(s, d, type, echo_id) .proto = IPPROTO_ICMP, .saddr = (s), .daddr = (d), \
	.flags = (type), .sport = (echo_id)
#define ARP(op, s, d) .arp_op = (op), .saddr = (s), .daddr = (d)
#define SYN TCP_FLAG_SYN
#define ACK TCP_FLAG_ACK
#define ECHO ICMP_TYPE_ECHO_REQUEST
#define MF IPV4_FLAG_MF

static const struct tspec specs[] = {
	/* flows opened before the fuzzing: masquerade, hairpin, routed, bridge, published ports */
	{ FROM(I_A), TCP(IP_A, 40001, REMOTE, 443, SYN), .open = true },
	{ FROM(I_A), UDP(IP_A, 40002, REMOTE, 53), .open = true },
	{ FROM(I_A), ICMP(IP_A, REMOTE, ECHO, 0x77), .open = true },
	{ FROM(I_A), TCP(IP_A, 40003, NODE, 8082, SYN), .open = true },
	{ FROM(I_A), UDP(IP_A, 40005, REMOTE, 5000), .frag = MF, .id = 0x1111, .open = true },
	{ FROM(I_B), TCP(IP_B, 40010, NODE, 8081, SYN), .open = true },
	{ FROM(I_C), TCP(IP_C, 40020, REMOTE, 22, SYN), .open = true },
	{ FROM(I_C), UDP(IP_C, 40021, REMOTE, 123), .open = true },
	{ FROM(I_D), .dmac = gw3_mac, TCP(IP_D, 40030, REMOTE, 443, SYN), .open = true },
	{ FROM(I_E), .dmac = gw3_mac, TCP(IP_E, 40031, NODE, 8080, SYN), .open = true },
	{ OUTSIDE, TCP(REMOTE, 50001, NODE, 8080, SYN), .open = true },
	{ OUTSIDE, UDP(REMOTE, 50002, NODE, 5353), .open = true },
	{ OUTSIDE, TCP(REMOTE, 50003, NODE, 8082, SYN), .open = true },
	{ OUTSIDE, UDP(REMOTE, 50004, NODE, 40010), .frag = MF, .id = 0x2222, .open = true },
	/* containers: later fragments, options, peers, other networks, the node, ARP */
	{ FROM(I_A), UDP(IP_A, 40005, REMOTE, 5000), .frag = LATER_FRAG_OFF, .id = 0x1111 },
	{ FROM(I_A), TCP(IP_A, 40001, REMOTE, 443, ACK), .opts = true },
	{ FROM(I_A), TCP(IP_A, 40004, IP_B, 80, SYN) },
	{ FROM(I_A), UDP(IP_A, 40006, IP_C, 53) },
	{ FROM(I_A), TCP(IP_A, 40007, GW1, 22, SYN) },
	{ FROM(I_A), UDP(IP_A, 40008, UNASSIGNED1, 53) },
	{ FROM(I_A), ICMP(IP_A, IP_B, ECHO, 0x78) },
	{ FROM(I_A), TCP(IP_A, 40009, NODE, 9090, SYN) },
	{ FROM(I_A), .dmac = bcast_mac, ARP(ARP_OP_REQUEST, IP_A, GW1) },
	{ FROM(I_A), .dmac = bcast_mac, ARP(ARP_OP_REQUEST, IP_A, IP_B) },
	{ FROM(I_A), .dmac = bcast_mac, ARP(ARP_OP_REQUEST, IP_A, IP_C) },
	{ FROM(I_A), ARP(ARP_OP_REPLY, IP_A, GW1) },
	{ FROM(I_A), .dmac = bcast_mac, ARP(ARP_OP_REQUEST, 0, GW1) },
	{ FROM(I_B), UDP(IP_B, 40011, REMOTE_NN, 53) },
	{ FROM(I_C), UDP(IP_C, 40022, IP_A, 53) },
	{ FROM(I_C), UDP(IP_C, 40023, FAR, 53) },
	{ FROM(I_C), .dmac = bcast_mac, ARP(ARP_OP_REQUEST, IP_C, GW2) },
	{ FROM(I_D), .dmac = bridge_hosts[1].mac, UDP(IP_D, 40032, IP_E, 53) },
	{ FROM(I_D), .dmac = bcast_mac, UDP(IP_D, 68, BCAST3, 67) },
	{ FROM(I_D), .dmac = mcast_mac, UDP(IP_D, 5353, IP4(224, 0, 0, 251), 5353) },
	{ FROM(I_D), .dmac = bcast_mac, ARP(ARP_OP_REQUEST, IP_D, GW3) },
	{ FROM(I_D), .dmac = bcast_mac, ARP(ARP_OP_REQUEST, IP_D, IP_E) },
	{ FROM(I_D), .dmac = gw3_mac, ARP(ARP_OP_REQUEST, IP_D, GW3) },
	{ FROM(I_D), .dmac = gw3_mac, UDP(IP_D, 40033, IP_A, 53) },
	{ FROM(I_E), .dmac = bridge_hosts[0].mac, TCP(IP_E, 40034, IP_D, 80, SYN) },
	{ FROM(I_E), .dmac = unknown_mac, UDP(IP_E, 40035, IP_D, 53) },
	/* the uplink: direct routing, the node's own, later fragments, not IPv4 */
	{ OUTSIDE, UDP(REMOTE, 50004, NODE, 40010), .frag = LATER_FRAG_OFF, .id = 0x2222 },
	{ OUTSIDE, UDP(REMOTE, 50007, NODE, 5353), .frag = LATER_FRAG_OFF, .id = 0x3333 },
	{ OUTSIDE, TCP(REMOTE, 50001, NODE, 8080, ACK), .opts = true },
	{ OUTSIDE, TCP(REMOTE, 50005, IP_A, 80, SYN) },
	{ OUTSIDE, TCP(REMOTE, 50006, NODE, 9090, SYN) },
	{ OUTSIDE, TCP(REMOTE, 50008, IP_D, 80, SYN), .open = true },
	{ OUTSIDE, TCP(REMOTE, 50009, IP_C, 82, SYN), .open = true },
	{ OUTSIDE, TCP(REMOTE, 50011, IP_C, 83, SYN) },
	{ OUTSIDE, ICMP(REMOTE, NODE, ECHO, 0x100) },
	{ OUTSIDE, ICMP(REMOTE, IP_C, ECHO, 0x101) },
	{ OUTSIDE, UDP(REMOTE, 50010, NOT_NODE, 53) },
	{ OUTSIDE, .dmac = bcast_mac, ARP(ARP_OP_REQUEST, REMOTE, NODE) },
};

struct tmpl {
	struct pkt p;
	enum side side;
	int sender;		/* enum ep_index of SIDE_EP */
};

static struct tmpl tmpls[MAX_TMPL];
static size_t n_tmpls;		/* specs first, then the flows' replies and errors */

static uint64_t seed = DEFAULT_SEED;
static uint64_t n_packets = SHORT_RUN;
static bool skb_vlan_settable;	/* can ctx_in carry skb VLAN metadata? (probed) */

static const uint8_t *sender_mac(const struct tspec *s)
{
	return s->side == SIDE_EP ? eps[s->sender]->mac : hosts[UPLINK].mac;
}

static const uint8_t *gateway_mac(const struct tspec *s)
{
	return s->side == SIDE_EP ? eps[s->sender]->host_mac : hosts[UPLINK].host_mac;
}

static void build_spec(const struct tspec *s, struct pkt *p)
{
	static const uint8_t opts[] = { 1, 1, 1, 0 };	/* NOP NOP NOP END */
	struct ipv4_spec ip = { .saddr = s->saddr, .daddr = s->daddr, .proto = s->proto,
				.ttl = DEFAULT_TTL, .id = s->id, .frag = s->frag,
				.opts = s->opts ? opts : NULL,
				.opts_len = s->opts ? sizeof(opts) : 0 };
	const uint8_t *dmac = s->dmac ? s->dmac : gateway_mac(s);
	uint8_t payload[PAYLOAD_LEN];

	pkt_init(p);
	if (s->arp_op) {
		struct arp_spec arp = { .op = s->arp_op, .sha = sender_mac(s), .sip = s->saddr,
					.tha = s->arp_op == ARP_OP_REPLY ? dmac : zero_mac,
					.tip = s->daddr };

		pkt_eth(p, dmac, sender_mac(s), ETH_P_ARP);
		pkt_arp(p, &arp);
		return;
	}
	pkt_eth(p, dmac, sender_mac(s), ETH_P_IP);
	pkt_ipv4(p, &ip);
	if (!(s->frag & IPV4_FRAG_OFFSET_MASK)) {
		if (s->proto == IPPROTO_TCP)
			pkt_tcp(p, s->sport, s->dport, TCP_SEQ, TCP_ACK_NR, s->flags, TCP_WINDOW);
		else if (s->proto == IPPROTO_UDP)
			pkt_udp(p, s->sport, s->dport);
		else
			pkt_icmp(p, s->flags, 0, (uint32_t)s->sport << 16 | 1);
	}
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)('a' + i);
	pkt_append(p, payload, sizeof(payload));
	pkt_ipv4_finish(p);
}

static void add_tmpl(const struct pkt *p, enum side side, int sender)
{
	if (n_tmpls == MAX_TMPL)
		fail_msg("more than %d templates", MAX_TMPL);
	tmpls[n_tmpls++] = (struct tmpl){ .p = *p, .side = side, .sender = sender };
}

/* ---- the topology: topo.h's l3 networks, a bridge network, routes ---- */

/* NET2 in gateway mode "routed": C's published port 82/tcp is open to direct access. */
static int seed_routed_net2(void)
{
	struct net_state n = topo_net_of(topo_net_seed(NET2), BPFNET_GW_MODE_ROUTED);

	return topo_seed_net(&n) ?: topo_seed_ep_port(IP_C, 82, IPPROTO_TCP);
}

/* NET3, a bridge in gateway mode "nat-unprotected": the outside may reach D and E directly. */
static int seed_bridge(void)
{
	struct net_state n = topo_net(NET3, SUBNET3, GW3, true, BPFNET_GW_MODE_NAT_UNPROTECTED,
				      true, false, gw3_mac);
	static struct bpfnet_flood fl;
	__u32 key = NET3;
	size_t i;

	if (topo_seed_net(&n))
		return -1;
	for (i = 0; i < ARRAY_SIZE(bridge_hosts); i++) {
		const struct host *h = &bridge_hosts[i];
		struct ep_state ep = { .id = h->ep_id, .host_ifindex = h->ifindex };
		struct bpfnet_fdb_key k;
		struct bpfnet_fdb_val v;

		memcpy(ep.mac, h->mac, ETH_ALEN);
		if (topo_seed_ep(&n, h->ifindex, h->ep_id, h->ip, h->mac, gw3_mac, h->gen))
			return -1;
		dp_fdb_encode_static(&n, &ep, now_ns(), &k, &v);
		if (map_update(skel->maps.fdb, &k, sizeof(k), &v, sizeof(v)))
			return -1;
		fl.ports[fl.n_ports].ifindex = h->ifindex;
		fl.ports[fl.n_ports++].ep_id = h->ep_id;
	}
	return map_update(skel->maps.flood_ports, &key, sizeof(key), &fl, sizeof(fl));
}

static const char *ip_str(uint32_t ip)
{
	static char buf[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = htonl(ip) };

	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

/*
 * The veths, forwarding on the endpoints' (bpf_fib_lookup answers only
 * there), the node's uplink address, a permanent neighbour for REMOTE (none
 * for REMOTE_NN) and a default route via ROUTER, which has no neighbour.
 */
static int setup_netns(void)
{
	char cmd[256], mac[32], path[128];
	size_t i;

	if (enter_netns() || topo_add_veths())
		return -1;
	for (i = 0; i < ARRAY_SIZE(bridge_hosts); i++)
		if (veth_add(bridge_hosts[i].ifname, bridge_hosts[i].host_mac, bridge_hosts[i].peer,
			     bridge_hosts[i].mac, &bridge_hosts[i].ifindex,
			     &bridge_hosts[i].peer_ifindex))
			return -1;
	for (i = 0; i < N_EPS; i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding",
			 eps[i]->ifname);
		if (write_proc(path, "1"))
			return -1;
	}
	fmt_mac(mac, sizeof(mac), hosts[UPLINK].mac);
	snprintf(cmd, sizeof(cmd), "ip addr add %s/24 dev %s", ip_str(NODE), hosts[UPLINK].ifname);
	if (sh(cmd))
		return -1;
	snprintf(cmd, sizeof(cmd), "ip neigh add %s lladdr %s dev %s nud permanent",
		 ip_str(REMOTE), mac, hosts[UPLINK].ifname);
	if (sh(cmd))
		return -1;
	snprintf(cmd, sizeof(cmd), "ip route add default via %s", ip_str(ROUTER));
	return sh(cmd);
}

static void dict_add_mac(const uint8_t *mac)
{
	if (dict.n_macs == DICT_MACS_MAX)
		abort();
	memcpy(dict_macs[dict.n_macs++], mac, ETH_ALEN);
}

static void build_dict(void)
{
	size_t i;

	for (i = 0; i < N_EPS; i++) {
		dict_add_mac(eps[i]->mac);
		if (i != I_E)	/* D and E share the gateway MAC */
			dict_add_mac(eps[i]->host_mac);
	}
	dict_add_mac(hosts[UPLINK].mac);
	dict_add_mac(hosts[UPLINK].host_mac);
	dict_add_mac(bcast_mac);
	dict_add_mac(mcast_mac);
	dict_add_mac(unknown_mac);
	dict_add_mac(zero_mac);
}

/* ---- running one frame ---- */

static struct bpf_program *prog_of(enum prog_id prog)
{
	switch (prog) {
	case P_FROM_CONTAINER:
		return skel->progs.from_container;
	case P_FROM_UPLINK:
		return skel->progs.from_uplink;
	default:
		return xdp_skel->progs.xdp_from_uplink;
	}
}

/* @in through @prog as arrived on @ifindex (skb VLAN metadata @vlan_tci, if nonzero); -errno. */
static int run_prog(enum prog_id prog, unsigned int ifindex, uint16_t vlan_tci,
		    const struct pkt *in, struct pkt *out, int *verdict)
{
	struct __sk_buff skb = { .ifindex = ifindex, .vlan_present = !!vlan_tci,
				 .vlan_tci = vlan_tci };
	struct xdp_md xdp = { .data_end = (__u32)in->len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in->data,
		.data_size_in = (__u32)in->len,
		.data_out = out->data,
		.data_size_out = sizeof(out->data),
	);

	if (prog == P_XDP) {
		opts.ctx_in = &xdp;
		opts.ctx_size_in = sizeof(xdp);
	} else {
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
	}
	pkt_init(out);
	if (bpf_prog_test_run_opts(bpf_program__fd(prog_of(prog)), &opts))
		return -errno;
	out->len = opts.data_size_out;
	*verdict = (int)opts.retval;
	return 0;
}

/* ---- counters ---- */

struct snap {
	uint64_t drops[BPFNET_DROP_SLOTS];
	struct bpfnet_ep_stats ep[N_EPS + 1];	/* by ep_stats id; 0 is no endpoint's */
};

#define EP_FIELDS (sizeof(struct bpfnet_ep_stats) / sizeof(uint64_t))

/* The first @n slots of the per-CPU array @map of @fields counters, summed over the CPUs. */
static void percpu_batch(struct bpf_map *map, uint32_t n, size_t fields, uint64_t *sum)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	static uint64_t *vals;
	static uint32_t *keys;
	static size_t room;
	uint32_t out_batch, count = n;
	size_t k, c, f;
	int err;

	if (room < (size_t)n * fields) {
		free(vals);
		free(keys);
		room = (size_t)n * fields;
		vals = calloc(room * (size_t)ncpus, sizeof(*vals));
		keys = calloc(n, sizeof(*keys));
		assert_non_null(vals);
		assert_non_null(keys);
	}
	err = bpf_map_lookup_batch(bpf_map__fd(map), NULL, &out_batch, keys, vals, &count, &opts);
	if ((err && err != -ENOENT) || count != n)	/* ENOENT: the batch reached the end */
		fail_msg("%s: batch lookup of %u slots: %s (got %u)", bpf_map__name(map), n,
			 strerror(-err), count);
	memset(sum, 0, (size_t)n * fields * sizeof(*sum));
	for (k = 0; k < n; k++)
		for (c = 0; c < (size_t)ncpus; c++)
			for (f = 0; f < fields; f++)
				sum[k * fields + f] += vals[(k * (size_t)ncpus + c) * fields + f];
}

static void snap_read(struct snap *s)
{
	percpu_batch(skel->maps.drop_stats, BPFNET_DROP_SLOTS, 1, s->drops);
	percpu_batch(skel->maps.ep_stats, N_EPS + 1, EP_FIELDS, (uint64_t *)s->ep);
}

/* No ep_stats slot but the topology's endpoints' ever moved. */
static void check_foreign_ep_slots(const char *name)
{
	static struct bpfnet_ep_stats all[BPFNET_EP_MAX];
	uint32_t id;

	percpu_batch(skel->maps.ep_stats, BPFNET_EP_MAX, EP_FIELDS, (uint64_t *)all);
	for (id = 0; id < BPFNET_EP_MAX; id++) {
		const struct bpfnet_ep_stats *s = &all[id];

		if (id >= 1 && id <= N_EPS)
			continue;
		if (s->tx_packets || s->tx_bytes || s->rx_packets || s->rx_bytes || s->drops)
			fail_msg("%s: ep_stats[%u], no endpoint's, moved: tx %" PRIu64 " rx %"
				 PRIu64 " drops %" PRIu64, name, id, s->tx_packets, s->rx_packets,
				 s->drops);
	}
}

/* ---- the invariants of one frame ---- */

struct frame_run {
	enum prog_id prog;
	int sender;		/* enum ep_index from a container; -1: none (the uplink's veth) */
	uint16_t vlan_tci;	/* skb VLAN metadata; 0: none */
	const struct pkt *in, *out;
	int verdict;
	const struct snap *b, *a;
};

static const struct host *ep_of_ip_addr(uint32_t ip)
{
	for (size_t i = 0; i < N_EPS; i++)
		if (eps[i]->ip == ip)
			return eps[i];
	return NULL;
}

static bool is_node_ip(uint32_t ip)
{
	for (size_t i = 0; i < ARRAY_SIZE(node_addrs); i++)
		if (node_addrs[i] == ip)
			return true;
	return ip == GW1 || ip == GW2 || ip == GW3;
}

static bool mac_is(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, ETH_ALEN);
}

static bool verdict_known(enum prog_id prog, int v)
{
	switch (prog) {
	case P_FROM_CONTAINER:
		return v == TC_ACT_OK || v == TC_ACT_SHOT || v == TC_ACT_REDIRECT ||
		       v == TC_ACT_STOLEN;
	case P_FROM_UPLINK:
		return v == TC_ACT_UNSPEC || v == TC_ACT_OK || v == TC_ACT_SHOT ||
		       v == TC_ACT_REDIRECT;
	default:
		return v == XDP_PASS || v == XDP_DROP || v == XDP_REDIRECT;
	}
}

static bool is_redirect(const struct frame_run *r)
{
	return r->verdict == (r->prog == P_XDP ? XDP_REDIRECT : TC_ACT_REDIRECT);
}

static bool is_dropped(const struct frame_run *r)
{
	return r->verdict == (r->prog == P_XDP ? XDP_DROP : TC_ACT_SHOT);
}

#define WHY(...) (snprintf(why, why_len, __VA_ARGS__), false)

static bool check_drop_stats(const struct frame_run *r, char *why, size_t why_len)
{
	uint64_t total = 0, d;
	uint32_t slot;

	for (slot = 0; slot < BPFNET_DROP_SLOTS; slot++) {
		d = r->a->drops[slot] - r->b->drops[slot];
		if (d && (slot == BPFNET_DROP_UNUSED || slot >= BPFNET_DROP_MAX))
			return WHY("drop_stats slot %u, no named reason's, grew by %" PRIu64, slot,
				   d);
		total += d;
	}
	if (total != (is_dropped(r) ? 1 : 0))
		return WHY("drop_stats grew by %" PRIu64 " for one frame, verdict %d", total,
			   r->verdict);
	return true;
}

/* tx and drops of every endpoint, as the verdict says. */
static bool check_ep_tx_drops(const struct frame_run *r, char *why, size_t why_len)
{
	uint64_t drops = 0;

	for (int i = 0; i < N_EPS; i++) {
		const struct bpfnet_ep_stats *b = &r->b->ep[i + 1], *a = &r->a->ep[i + 1];
		uint64_t txp = a->tx_packets - b->tx_packets, txb = a->tx_bytes - b->tx_bytes;
		uint64_t dr = a->drops - b->drops;
		bool sent = r->prog == P_FROM_CONTAINER && i == r->sender;
		uint64_t want_tx = sent && !is_dropped(r) ? 1 : 0;

		if (txp != want_tx || txb != want_tx * r->in->len)
			return WHY("ep_stats[%s].tx grew by %" PRIu64 " frames, %" PRIu64 " bytes; "
				   "expected %" PRIu64 " of %zu bytes", eps[i]->ifname, txp, txb,
				   want_tx, r->in->len);
		if (r->prog == P_FROM_CONTAINER && dr != (sent && is_dropped(r) ? 1U : 0U))
			return WHY("ep_stats[%s].drops grew by %" PRIu64 " (sender: %s)",
				   eps[i]->ifname, dr, sent ? "yes" : "no");
		drops += dr;
	}
	if (r->prog != P_FROM_CONTAINER && drops > (is_dropped(r) ? 1U : 0U))
		return WHY("endpoints' drops grew by %" PRIu64 " for one frame from the uplink, "
			   "verdict %d", drops, r->verdict);
	return true;
}

/* A frame delivered into @y (its rx counted): from its own network, and for it. */
static bool check_delivery(const struct frame_run *r, const struct host *y, int receivers,
			   char *why, size_t why_len)
{
	const struct host *x = r->sender >= 0 ? eps[r->sender] : NULL, *z;
	struct ipv4_view v;
	bool ip = ipv4_view_of(r->out, &v);
	uint32_t saddr = ip ? get_be32(v.iph + IP_OFF_SADDR) : 0;

	if (!is_redirect(r))
		return WHY("rx of %s counted, but the verdict %d is no redirect", y->ifname,
			   r->verdict);
	/* from the uplink the source is anyone's word: the outside is not a network of the node */
	if (x && ip && (z = ep_of_ip_addr(saddr)) && z->net_id != y->net_id)
		return WHY("delivered into %s (network %u) a packet from %s, the address of %s "
			   "(network %u)", y->ifname, y->net_id, ip_str(saddr), z->ifname,
			   z->net_id);
	if (x && x->net_id != y->net_id && !(ip && is_node_ip(saddr) && receivers == 1))
		return WHY("a frame of %s (network %u) delivered into %s (network %u), not "
			   "through a published port", x->ifname, x->net_id, y->ifname, y->net_id);
	if (receivers == 1 && ip && memcmp(r->in->data, r->out->data, r->in->len)) {
		uint32_t daddr = get_be32(v.iph + IP_OFF_DADDR);

		if (!mac_is(r->out->data + ETH_OFF_DST, y->mac) || daddr != y->ip)
			return WHY("a packet routed into %s is addressed to %s, not to it",
				   y->ifname, ip_str(daddr));
	}
	return true;
}

static bool check_rx(const struct frame_run *r, char *why, size_t why_len)
{
	int receivers = 0;

	for (int i = 0; i < N_EPS; i++) {
		const struct bpfnet_ep_stats *b = &r->b->ep[i + 1], *a = &r->a->ep[i + 1];
		uint64_t rxp = a->rx_packets - b->rx_packets, rxb = a->rx_bytes - b->rx_bytes;

		if (rxp > 1 || rxb != rxp * r->in->len)
			return WHY("ep_stats[%s].rx grew by %" PRIu64 " frames, %" PRIu64 " bytes, "
				   "for one frame of %zu", eps[i]->ifname, rxp, rxb, r->in->len);
		receivers += (int)rxp;
	}
	if (r->prog != P_FROM_CONTAINER && receivers > 1)
		return WHY("one frame from the uplink delivered into %d endpoints", receivers);
	for (int i = 0; i < N_EPS; i++)
		if (r->a->ep[i + 1].rx_packets != r->b->ep[i + 1].rx_packets &&
		    !check_delivery(r, eps[i], receivers, why, why_len))
			return false;
	return true;
}

/* What a container's frame must be to pass: its endpoint's, untagged IPv4 or ARP. */
static bool check_sender(const struct frame_run *r, char *why, size_t why_len)
{
	const struct pkt *in = r->in;
	const struct host *x;
	uint16_t type = get_be16(in->data + ETH_OFF_PROTO);
	uint32_t sip;

	if (r->sender < 0)
		return WHY("passed a frame on a veth that is no endpoint's");
	x = eps[r->sender];
	if (r->vlan_tci)
		return WHY("passed a frame tagged in the skb (VLAN TCI 0x%04x)", r->vlan_tci);
	if (!mac_is(in->data + ETH_OFF_SRC, x->mac))
		return WHY("passed a frame from %s whose source MAC is not its endpoint's",
			   x->ifname);
	if (type == ETH_P_IP) {
		if (in->len < ETH_HLEN + IPV4_HDR_LEN)
			return WHY("passed a truncated IPv4 header from %s", x->ifname);
		sip = get_be32(in->data + ETH_HLEN + IP_OFF_SADDR);
		if (sip != x->ip)
			return WHY("passed IPv4 from %s with source %s, not its endpoint's",
				   x->ifname, ip_str(sip));
		return true;
	}
	if (type != ETH_P_ARP)
		return WHY("passed a frame of type 0x%04x from %s", type, x->ifname);
	if (in->len < ETH_HLEN + ARP_LEN)
		return WHY("passed a truncated ARP packet from %s", x->ifname);
	sip = get_be32(in->data + ETH_HLEN + ARP_OFF_SIP);
	if (!mac_is(in->data + ETH_HLEN + ARP_OFF_SHA, x->mac) || (sip && sip != x->ip))
		return WHY("passed ARP from %s with a sender that is not its endpoint", x->ifname);
	return true;
}

/* A rewritten ARP frame: the answer to the container that asked, from its gateway. */
static bool check_arp_reply(const struct frame_run *r, char *why, size_t why_len)
{
	const uint8_t *i = r->in->data, *o = r->out->data;
	const uint8_t *ia = i + ETH_HLEN, *oa = o + ETH_HLEN;

	if (r->prog != P_FROM_CONTAINER || r->sender < 0 || !is_redirect(r) ||
	    r->in->len < ETH_HLEN + ARP_LEN)
		return WHY("rewrote an ARP frame other than by answering a container");
	if (get_be16(oa + ARP_OFF_OP) != ARP_OP_REPLY ||
	    !mac_is(o + ETH_OFF_DST, i + ETH_OFF_SRC) ||
	    !mac_is(oa + ARP_OFF_THA, ia + ARP_OFF_SHA) ||
	    get_be32(oa + ARP_OFF_TIP) != get_be32(ia + ARP_OFF_SIP) ||
	    get_be32(oa + ARP_OFF_SIP) != get_be32(ia + ARP_OFF_TIP) ||
	    !mac_is(oa + ARP_OFF_SHA, o + ETH_OFF_SRC) ||
	    !mac_is(o + ETH_OFF_SRC, eps[r->sender]->host_mac) ||
	    memcmp(oa, ia, ARP_OFF_OP) || memcmp(o + ETH_OFF_PROTO, i + ETH_OFF_PROTO, 2) ||
	    memcmp(o + ETH_HLEN + ARP_LEN, i + ETH_HLEN + ARP_LEN, r->in->len - ETH_HLEN - ARP_LEN))
		return WHY("an ARP answer that is not the reply to the request from its gateway");
	return true;
}

static struct rewrite_tally tally;

static bool check_frame(const struct frame_run *r, char *why, size_t why_len)
{
	if (!verdict_known(r->prog, r->verdict))
		return WHY("verdict %d is none %s returns", r->verdict, prog_names[r->prog]);
	if (!check_drop_stats(r, why, why_len) || !check_ep_tx_drops(r, why, why_len) ||
	    !check_rx(r, why, why_len))
		return false;
	if (is_dropped(r))
		return true;
	if (r->out->len != r->in->len)
		return WHY("the frame left %zu bytes long, it came %zu", r->out->len, r->in->len);
	if (r->prog == P_FROM_CONTAINER && !check_sender(r, why, why_len))
		return false;
	if (!memcmp(r->in->data, r->out->data, r->in->len))
		return true;
	/* what from_uplink leaves to the stack, and XDP to from_uplink, must be as it came */
	if (r->prog != P_FROM_CONTAINER && !is_redirect(r))
		return WHY("passed on a frame it rewrote: the next to see it gets it translated");
	if (r->vlan_tci)
		return WHY("rewrote a frame tagged in the skb");
	if (get_be16(r->in->data + ETH_OFF_PROTO) == ETH_P_ARP)
		return check_arp_reply(r, why, why_len);
	return check_ipv4_rewrite(r->in, r->out, &tally, why, why_len);
}

/* ---- the run ---- */

/* Verdicts -1 (TC_ACT_UNSPEC) to 6 counted one by one, the rest in the last slot. */
#define VERDICT_SLOTS 8

struct run_stats {
	uint64_t verdicts[P_COUNT][VERDICT_SLOTS];	/* by program, by verdict_slot() */
	uint64_t frames;	/* fuzzed and flow-opening frames, run */
	uint64_t refused;	/* generated, but refused by BPF_PROG_TEST_RUN (kernel_refuses) */
};

static struct run_stats stats;

static int verdict_slot(int v)
{
	return v >= -1 && v < VERDICT_SLOTS - 2 ? v + 1 : VERDICT_SLOTS - 1;
}

static const char *verdict_str(enum prog_id prog, int v)
{
	return prog == P_XDP ? xdp_verdict_name(v) : verdict_name(v);
}

static void report(const struct frame_run *r, const char *why, uint64_t n)
{
	unsigned int ifindex = r->prog == P_FROM_CONTAINER && r->sender >= 0 ?
			       eps[r->sender]->ifindex : hosts[UPLINK].ifindex;

	fprintf(stderr, "# fuzz: INVARIANT BROKEN: %s\n", why);
	fprintf(stderr, "  program %s on %s (ifindex %u)%s, frame %" PRIu64 " of seed 0x%016"
		PRIx64 " (FUZZ_SEED=0x%016" PRIx64 " to run it again), verdict %s (%d)\n",
		prog_names[r->prog], r->sender >= 0 ? eps[r->sender]->ifname : hosts[UPLINK].ifname,
		ifindex, r->vlan_tci ? " with skb VLAN metadata" : "", n, seed, seed,
		verdict_str(r->prog, r->verdict), r->verdict);
	print_hex("in ", r->in);
	print_hex("out", r->out);
	hexdump_diff(r->in, r->out);
}

/*
 * What BPF_PROG_TEST_RUN itself refuses (EINVAL) for tc programs: a frame of
 * type IPv4 shorter than an IPv4 header, or IPv6 shorter than an IPv6 one
 * (the kernel reads the addresses for the test's socket). Such frames are
 * generated all the same and counted, not run.
 */
#define IPV6_HDR_LEN 40

static bool kernel_refuses(enum prog_id prog, const struct pkt *in)
{
	uint16_t type = get_be16(in->data + ETH_OFF_PROTO);

	return prog != P_XDP && ((type == ETH_P_IP && in->len < ETH_HLEN + IPV4_HDR_LEN) ||
				 (type == ETH_P_IPV6 && in->len < ETH_HLEN + IPV6_HDR_LEN));
}

/*
 * One frame through @prog and its invariants; *@b is the counters before,
 * and after on return. The verdict; -1 for a frame the kernel refused.
 */
static int one_frame(enum prog_id prog, int sender, uint16_t vlan_tci, const struct pkt *in,
		      struct pkt *out, struct snap *b, uint64_t n)
{
	unsigned int ifindex = prog == P_FROM_CONTAINER && sender >= 0 ? eps[sender]->ifindex :
			       hosts[UPLINK].ifindex;
	struct frame_run r = { .prog = prog, .sender = prog == P_FROM_CONTAINER ? sender : -1,
			       .vlan_tci = vlan_tci, .in = in, .out = out, .b = b };
	struct snap a;
	char why[256];
	int err = run_prog(prog, ifindex, vlan_tci, in, out, &r.verdict);

	if (err == -EINVAL && kernel_refuses(prog, in)) {
		stats.refused++;
		return -1;
	}
	if (err) {
		snprintf(why, sizeof(why), "BPF_PROG_TEST_RUN failed: %s", strerror(-err));
		report(&r, why, n);
		fail_msg("%s: frame %" PRIu64 ": %s", prog_names[prog], n, why);
	}
	snap_read(&a);
	r.a = &a;
	if (!check_frame(&r, why, sizeof(why))) {
		report(&r, why, n);
		fail_msg("%s: frame %" PRIu64 ": %s", prog_names[prog], n, why);
	}
	stats.verdicts[prog][verdict_slot(r.verdict)]++;
	stats.frames++;
	*b = a;
	return r.verdict;
}

/* Who receives @out, which the datapath sent: the outside, an endpoint; false for neither. */
static bool receiver_of(const struct pkt *out, enum side *side, int *ep)
{
	if (mac_is(out->data + ETH_OFF_DST, hosts[UPLINK].mac)) {
		*side = SIDE_UPLINK;
		return true;
	}
	for (int i = 0; i < N_EPS; i++)
		if (mac_is(out->data + ETH_OFF_DST, eps[i]->mac)) {
			*side = SIDE_EP;
			*ep = i;
			return true;
		}
	return false;
}

static void frame_of_receiver(struct pkt *p, enum side side, int ep)
{
	const uint8_t *src = side == SIDE_EP ? eps[ep]->mac : hosts[UPLINK].mac;
	const uint8_t *dst = side == SIDE_EP ? eps[ep]->host_mac : hosts[UPLINK].host_mac;

	memcpy(p->data + ETH_OFF_DST, dst, ETH_ALEN);
	memcpy(p->data + ETH_OFF_SRC, src, ETH_ALEN);
}

/* The answer to @out by its receiver: addresses and ports swapped, SYN-ACK, echo reply. */
static void make_reply(const struct pkt *out, enum side side, int ep, struct pkt *p)
{
	struct ipv4_view v;
	uint8_t *iph, *l4;
	uint8_t addr[4], port[2];

	*p = *out;
	if (!ipv4_view_of(p, &v))
		return;
	iph = p->data + v.l3;
	l4 = iph + v.hlen;
	frame_of_receiver(p, side, ep);
	memcpy(addr, iph + IP_OFF_SADDR, 4);
	memcpy(iph + IP_OFF_SADDR, iph + IP_OFF_DADDR, 4);
	memcpy(iph + IP_OFF_DADDR, addr, 4);
	iph[IP_OFF_TTL] = DEFAULT_TTL;
	put_be16(iph + IP_OFF_FRAG, 0);
	if (v.proto == IPPROTO_ICMP) {
		l4[0] = ICMP_TYPE_ECHO_REPLY;
	} else {
		memcpy(port, l4, 2);
		memcpy(l4, l4 + 2, 2);
		memcpy(l4 + 2, port, 2);
		if (v.proto == IPPROTO_TCP)
			l4[TCP_FLAGS_BYTE] = TCP_FLAG_SYN | TCP_FLAG_ACK;
	}
	p->len = v.end;
	fix_lengths(p, v.l3);
	fix_csums(p, v.l3);
}

/* "Port unreachable" about @out from its receiver, quoting its header and 8 bytes. */
static void make_error(const struct pkt *out, enum side side, int ep, struct pkt *p)
{
	struct ipv4_view v;
	struct ipv4_spec ip = { .proto = IPPROTO_ICMP, .ttl = DEFAULT_TTL };

	pkt_init(p);
	if (!ipv4_view_of(out, &v) || v.l4_len < ICMP_QUOTE_L4_LEN)
		return;
	ip.saddr = get_be32(v.iph + IP_OFF_DADDR);
	ip.daddr = get_be32(v.iph + IP_OFF_SADDR);
	pkt_eth(p, zero_mac, zero_mac, ETH_P_IP);
	frame_of_receiver(p, side, ep);
	pkt_ipv4(p, &ip);
	pkt_icmp(p, ICMP_TYPE_DEST_UNREACH, ICMP_CODE_PORT_UNREACH, 0);
	pkt_append(p, v.iph, v.hlen + ICMP_QUOTE_L4_LEN);
	pkt_ipv4_finish(p);
}

/*
 * Every flow of specs[] opened (again: a fuzzed RST or an expiry may have
 * ended it, a new SNAT port may have been picked), each frame checked like
 * any other, and its reply and an ICMP error about it made templates.
 */
static void open_flows(struct snap *b, uint64_t n)
{
	struct pkt in, out, p;
	enum side side;
	int ep = -1;
	size_t i;

	n_tmpls = ARRAY_SIZE(specs);
	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		const struct tspec *s = &specs[i];

		if (!s->open)
			continue;
		in = tmpls[i].p;
		one_frame(s->side == SIDE_EP ? P_FROM_CONTAINER : P_FROM_UPLINK,
			  s->side == SIDE_EP ? (int)s->sender : -1, 0, &in, &out, b, n);
		if (out.len < ETH_HLEN || !receiver_of(&out, &side, &ep) ||
		    !ipv4_view_of(&out, &(struct ipv4_view){ 0 }))
			continue;
		make_reply(&out, side, ep, &p);
		add_tmpl(&p, side, ep);
		make_error(&out, side, ep, &p);
		if (p.len)
			add_tmpl(&p, side, ep);
	}
}

/* A template of @side (and one time in 16 of the other). */
static const struct tmpl *pick_tmpl(enum side side)
{
	const struct tmpl *t;

	if (one_in(16))
		side = side == SIDE_EP ? SIDE_UPLINK : SIDE_EP;
	do
		t = &tmpls[rnd((uint32_t)n_tmpls)];
	while (t->side != side);
	return t;
}

/* A frame for @prog into @p; its sender (enum ep_index, -1: none) and skb VLAN TCI. */
static int generate(enum prog_id prog, struct pkt *p, uint16_t *vlan_tci)
{
	enum side side = prog == P_FROM_CONTAINER ? SIDE_EP : SIDE_UPLINK;
	int sender = (int)rnd(N_EPS);
	uint32_t r = rnd(16), k;

	*vlan_tci = 0;
	if (r <= 1) {
		gen_random(p, r == 1, &dict);
	} else {
		const struct tmpl *t = pick_tmpl(side);

		*p = t->p;
		if (t->side == SIDE_EP)
			sender = t->sender;
		k = rnd(MAX_MUTATIONS + 1);	/* 0: as it is, the paths of live flows */
		for (uint32_t i = 0; i < k; i++)
			mutate(p, &dict);
		if (k && one_in(4))
			fix_lengths(p, l3_of(p));
		if (k && one_in(2))
			fix_csums(p, l3_of(p));
		if (one_in(8))
			mut_csum_edge(p, l3_of(p));
	}
	if (prog == P_FROM_CONTAINER && one_in(16))
		sender = (int)rnd(N_EPS);	/* on another endpoint's veth: spoofed there */
	if (prog == P_FROM_CONTAINER && one_in(64))
		sender = -1;			/* on the uplink: no endpoint */
	if (prog != P_XDP && skb_vlan_settable && one_in(32))
		*vlan_tci = (uint16_t)(1 + rnd(4095));
	return sender;
}

static void print_summary(enum prog_id prog, uint64_t ns, const struct snap *b0,
			  const struct snap *b1)
{
	char line[1024];
	size_t len = 0;
	double s = (double)ns / NSEC_PER_SEC;
	static const int tc[] = { TC_ACT_UNSPEC, TC_ACT_OK, TC_ACT_SHOT, TC_ACT_STOLEN,
				  TC_ACT_REDIRECT };
	static const int xdp[] = { XDP_PASS, XDP_DROP, XDP_REDIRECT };
	const int *vs = prog == P_XDP ? xdp : tc;
	size_t nv = prog == P_XDP ? ARRAY_SIZE(xdp) : ARRAY_SIZE(tc), i;

	printf("# %s: %" PRIu64 " frames in %.2f s, %.0f frames/s (%" PRIu64 " runs, flow "
	       "openings%s included; %" PRIu64 " too short for BPF_PROG_TEST_RUN), seed 0x%016"
	       PRIx64 "\n", prog_names[prog], n_packets, s, (double)(n_packets) / s, stats.frames,
	       prog == P_XDP ? " and from_uplink after XDP_PASS" : "", stats.refused, seed);
	for (i = 0; i < nv; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s %" PRIu64,
					verdict_str(prog, vs[i]),
					stats.verdicts[prog][verdict_slot(vs[i])]);
	printf("#   verdicts of %s:%s\n", prog_names[prog], line);
	len = 0;
	line[0] = '\0';
	for (i = 1; i < BPFNET_DROP_MAX && len < sizeof(line) - 64; i++)
		if (b1->drops[i] != b0->drops[i])
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %s %" PRIu64,
						drop_names[i], b1->drops[i] - b0->drops[i]);
	printf("#   drops:%s\n", line);
	printf("#   rewritten IPv4 frames checked %" PRIu64 ": transport checksum %" PRIu64
	       ", fragments %" PRIu64 ", with options %" PRIu64 ", ICMP quotes %" PRIu64
	       ", arrived with every checksum right %" PRIu64 "\n", tally.frames,
	       tally.l4_checked, tally.fragments, tally.with_options, tally.icmp_quotes,
	       tally.valid_in);
}

static void print_globals(const uint64_t *g0, const uint64_t *g1)
{
	char line[1024];
	size_t len = 0;

	line[0] = '\0';
	for (uint32_t g = 0; g < BPFNET_G_MAX && len < sizeof(line) - 64; g++)
		if (g1[g] != g0[g])
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %s %" PRIu64,
						global_names[g], g1[g] - g0[g]);
	printf("#   events:%s\n", line);
}

static void fuzz(void **state)
{
	enum prog_id prog = (enum prog_id)((uintptr_t)*state - 1);
	struct snap b, start;
	uint64_t g0[BPFNET_G_MAX], g1[BPFNET_G_MAX], n, t0;
	struct pkt in, out;
	uint16_t vlan_tci;
	int sender;

	memset(&stats, 0, sizeof(stats));
	memset(&tally, 0, sizeof(tally));
	/* each program its own stream: its frames do not depend on another's count */
	rng_state = seed ^ (0x9e3779b97f4a7c15ULL * (prog + 1));
	snap_read(&b);
	start = b;
	read_global_stats(g0);
	t0 = now_ns();
	for (n = 0; n < n_packets; n++) {
		if (n % FLOWS_EVERY == 0)
			open_flows(&b, n);
		sender = generate(prog, &in, &vlan_tci);
		/* what XDP passes goes on to from_uplink, as on an uplink with both attached */
		if (one_frame(prog, sender, vlan_tci, &in, &out, &b, n) == XDP_PASS &&
		    prog == P_XDP)
			one_frame(P_FROM_UPLINK, -1, 0, &in, &out, &b, n);
	}
	print_summary(prog, now_ns() - t0, &start, &b);
	read_global_stats(g1);
	print_globals(g0, g1);
	check_foreign_ep_slots(prog_names[prog]);
}

/* Does BPF_PROG_TEST_RUN take skb VLAN metadata in ctx_in? (Kernels up to now refuse it.) */
static void probe_skb_vlan(void)
{
	struct pkt in, out;
	int verdict;

	build_spec(&specs[0], &in);
	skb_vlan_settable = !run_prog(P_FROM_UPLINK, hosts[UPLINK].ifindex, 1, &in, &out,
				      &verdict);
	printf("# skb VLAN metadata through ctx_in: %s\n", skb_vlan_settable ?
	       "accepted, fuzzed too" : "refused by BPF_PROG_TEST_RUN (EINVAL); tags in the "
	       "frame only");
}

static int setup(void **state)
{
	size_t i;

	(void)state;
	if (setup_netns() || skel_load() || xdp_skel_load() || topo_seed(BPFNET_GW_MODE_NAT) ||
	    seed_routed_net2() || seed_bridge())
		return -1;
	build_dict();
	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		struct pkt p;

		build_spec(&specs[i], &p);
		add_tmpl(&p, specs[i].side, (int)specs[i].sender);
	}
	probe_skb_vlan();
	return 0;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (!s || !*s)
		return dflt;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "%s=%s: not a number\n", name, s);
		exit(2);
	}
	return v;
}

int main(void)
{
	static const char *const names[P_COUNT] = {
		"from_container: random and mutated frames, every invariant after each",
		"from_uplink: random and mutated frames, every invariant after each",
		"xdp_from_uplink: random and mutated frames, every invariant after each",
	};

	n_packets = env_u64("FUZZ_PACKETS", SHORT_RUN);
	seed = env_u64("FUZZ_SEED", DEFAULT_SEED);
	printf("# fuzz: seed 0x%016" PRIx64 ", %" PRIu64 " frames per program\n", seed, n_packets);
	for (uintptr_t p = 0; p < P_COUNT; p++)
		add_test(names[p], fuzz, (const void *)(p + 1));	/* NULL is no state */
	return run_group("fuzz", setup, skel_destroy, NULL);
}
