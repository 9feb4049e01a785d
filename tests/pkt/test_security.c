// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Packet tests of what a hostile neighbour on the uplink's segment or a
 * hostile container must not get through: martian addresses (moby#45610),
 * VLAN tags, direct routing to container addresses under each gateway mode
 * (nat, routed, nat-unprotected), the l3 gateway address and unassigned
 * addresses of a container's subnet, malformed TCP/UDP headers, and IPv4
 * options on every NAT path, ICMP error quotes included.
 *
 * The hosts, networks and published ports are test_nat's (nat_harness.h):
 * the node 192.168.50.1 on the uplink, outside it 192.168.50.2, containers
 * A 10.1.0.2 and B 10.1.0.3 in a masquerading network (NET1, gateway
 * 10.1.0.1), C 10.2.0.2 in one that routes as it is (NET2). The node here also
 * has a default route via 192.168.50.2, as most nodes do: whatever the
 * datapath wrongly lets out, leaves. Each case sets the gateway modes it
 * needs; every test starts from the networks, endpoints, node addresses and
 * empty conntrack, FDB and ep_ports tables as seeded. Each case with a step
 * on the uplink runs once more through xdp_from_uplink, then tc (see
 * add_xdp_tests()).
 */
#include "nat_harness.h"

#define GW1 IP4(10, 1, 0, 1)			/* NET1's gateway: the node's */
#define UNASSIGNED IP4(10, 1, 0, 77)		/* in NET1, no endpoint */
#define NET1_BCAST IP4(10, 1, 0, 255)
#define NET1_ADDR IP4(10, 1, 0, 0)
#define LOOPBACK_2 IP4(127, 0, 0, 2)
#define ZERONET_HOST IP4(0, 0, 0, 5)
#define ZERONET_SRC IP4(0, 1, 2, 3)
#define MCAST_SRC IP4(224, 0, 0, 5)
#define MDNS_GROUP IP4(224, 0, 0, 251)
#define BROADCAST IP4(255, 255, 255, 255)
#define IPPROTO_GRE_ 47			/* a protocol nothing tracks */
#define VLAN_TCI 10
#define TCP_DOFF_BYTE 12		/* data offset, high nibble, in 32-bit words */
#define TCP_DOFF_MAX 15
#define TCP_OPTS_LEN 12			/* NOPs, for a data offset of 8 */
#define BRIDGE_TTL_KEPT 0		/* L2 switching leaves the TTL */
#define PORT_SSH 22

/* The gateway MAC NET1 gets when a case makes it a bridge network. */
static const uint8_t br_gw_mac[ETH_ALEN] = { 0x02, 0x6b, 0x0a, 0x01, 0x00, 0x01 };
static const uint8_t tcp_nops[TCP_OPTS_LEN] = {
	IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP,
	IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP,
};

/* ---- the maps a case changes, and putting them back ---- */

static struct bpf_map *map_of(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, name);

	if (!m)
		fail_msg("%s: the datapath has no map %s", where, name);
	return m;
}

/* Empty a hash map of keys of @key_size bytes (at most @max of them). */
static int map_clear(struct bpf_map *m, size_t key_size, size_t max)
{
	uint8_t *keys = calloc(max + 1, key_size);
	int fd = bpf_map__fd(m);
	size_t n = 0, i;

	if (!keys)
		return -1;
	while (n < max && !bpf_map_get_next_key(fd, n ? keys + (n - 1) * key_size : NULL,
						 keys + n * key_size))
		n++;
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys + i * key_size);
	free(keys);
	return 0;
}

static int reset_all(void **state)
{
	size_t i;
	__be32 gw = htonl(GW1);

	for (i = EP_A; i < UPLINK; i++) {
		const struct host *h = &hosts[i];
		struct net_state n = topo_net_of(topo_net_seed(h->net_id), BPFNET_GW_MODE_NAT);

		if (topo_seed_ep(&n, h->ifindex, h->ep_id, h->ip, h->mac, h->host_mac, h->gen))
			return -1;
	}
	bpf_map_delete_elem(bpf_map__fd(skel->maps.node_addrs), &gw);
	return map_clear(skel->maps.fdb, sizeof(struct bpfnet_fdb_key), BPFNET_FDB_MAX) ?:
	       map_clear(bpf_object__find_map_by_name(skel->obj, "ep_ports"),
			 sizeof(struct bpfnet_ep_port_key), BPFNET_PORTMAP_MAX) ?:
	       reset_state(state);
}

/* @ip:@port/@proto a published container port, as port add writes it for a routed network. */
static void open_ep_port(uint32_t ip, uint16_t port, uint8_t proto)
{
	if (topo_seed_ep_port(ip, port, proto))
		fail_msg("%s: cannot write ep_ports", where);
}

/* NET1 made a bridge network, A and B its ports with static FDB entries, as endpoint add has it. */
static void use_bridge(void)
{
	struct net_state net = topo_net(NET1, IP4(10, 1, 0, 0), GW1, true, BPFNET_GW_MODE_NAT,
					true, false, br_gw_mac);
	int h;

	if (topo_seed_net(&net))
		fail_msg("%s: cannot make NET1 a bridge network", where);
	for (h = EP_A; h <= EP_B; h++) {
		struct bpfnet_fdb_key k = { .net_id = NET1 };
		struct bpfnet_fdb_val v = { .ifindex = hosts[h].ifindex, .ep_id = hosts[h].ep_id,
					    .last_seen_ns = now_ns(), .flags = BPFNET_FDB_F_STATIC };

		memcpy(k.mac, hosts[h].mac, ETH_ALEN);
		if (topo_seed_ep(&net, hosts[h].ifindex, hosts[h].ep_id, hosts[h].ip, hosts[h].mac,
				 br_gw_mac, 0) ||
		    map_update(skel->maps.fdb, &k, sizeof(k), &v, sizeof(v)))
			fail_msg("%s: cannot make %s a bridge port", where, hosts[h].ifname);
	}
}

/* ---- manglings: each breaks or changes one thing, checksums kept right ---- */

static uint8_t *l4(struct pkt *p)
{
	return p->data + p->l4_off;
}

/* The transport and header checksums again, after a field changed. */
static void refinish(struct pkt *p)
{
	uint8_t *iph = p->data + p->l3_off;
	size_t l4_len = get_be16(iph + IP_OFF_TOT_LEN) - ipv4_hdr_len(iph);
	int off = l4_check_off(iph[IP_OFF_PROTO]);

	if (off >= 0 && !ipv4_is_fragment(iph))
		put_be16(l4(p) + off, l4_csum_compute(iph, l4(p), l4_len));
	ipv4_csum_set(iph);
}

static void tcp_doff(struct pkt *p, uint8_t doff)
{
	l4(p)[TCP_DOFF_BYTE] = (uint8_t)(doff << 4);
	refinish(p);
}

static void tcp_doff_4(struct pkt *p)
{
	tcp_doff(p, TCP_HDR_LEN / 4 - 1);
}

/* 60 bytes of header claimed; the datagram holds 20 and a 35-byte payload. */
static void tcp_doff_15(struct pkt *p)
{
	tcp_doff(p, TCP_DOFF_MAX);
}

static void udp_len_7(struct pkt *p)
{
	put_be16(l4(p) + UDP_OFF_LEN, UDP_HDR_LEN - 1);
	refinish(p);
}

static void udp_len_past_end(struct pkt *p)
{
	put_be16(l4(p) + UDP_OFF_LEN, get_be16(l4(p) + UDP_OFF_LEN) + 1);
	refinish(p);
}

/* Legal: UDP says less than the datagram holds (bytes after it are ignored). */
static void udp_len_short(struct pkt *p)
{
	put_be16(l4(p) + UDP_OFF_LEN, UDP_HDR_LEN);
	refinish(p);
}

static void ip_proto_gre(struct pkt *p)
{
	p->data[p->l3_off + IP_OFF_PROTO] = IPPROTO_GRE_;
	p->l4_off = 0;
	ipv4_csum_set(p->data + p->l3_off);
}

/* ---- one packet, one verdict ---- */

enum out {
	OUT_NONE,	/* dropped: the bytes do not matter */
	OUT_SAME,	/* to the node or the next filter, unchanged */
	OUT_ROUTED,	/* into .rx, one routed hop: its MACs, TTL-1 */
	OUT_SWITCHED,	/* into .rx at L2: unchanged */
};

struct one_case {
	const char *name;
	enum host_id dev;		/* where it arrives */
	struct seg seg;
	uint16_t vlan;			/* ETH_P_8021Q or ETH_P_8021AD: a tag in the frame */
	void (*mangle)(struct pkt *p);
	bool tcp_opts;			/* TCP: 12 bytes of options, data offset 8 */
	bool bridge;			/* NET1 a bridge network (A, B its ports) */
	enum host_id to_mac;		/* to this endpoint's MAC (bridge); else the gateway's */
	uint8_t net1, net2;		/* gateway mode flags of NET1 and NET2 */
	struct tuple open;		/* an ep_ports entry; proto 0: none */
	bool gw_node_addr;		/* NET1's gateway in node_addrs, as the control plane has it */
	/* expectations */
	int verdict;
	enum bpfnet_drop_reason drop;
	enum out out;
	enum host_id rx;
	enum host_id charged;		/* a published port's drop: its container (struct expect) */
	bool tracked;			/* a new untranslated conntrack flow */
};

#define DROPPED(reason) .verdict = TC_ACT_SHOT, .drop = BPFNET_##reason
#define DROP_AS(reason) DROPPED(reason), .out = OUT_NONE
#define NODES(v) .verdict = v, .out = OUT_SAME
#define ROUTED_IN(ep) .verdict = TC_ACT_REDIRECT, .out = OUT_ROUTED, .rx = ep
#define SYN_ .tcp_flags = TCP_FLAG_SYN
#define ROUTED_MODE BPFNET_NET_F_ROUTED
#define UNPROTECTED BPFNET_NET_F_UNPROTECTED

static const struct one_case one_cases[] = {
	/* 1. martians, from the uplink */
	{ "martian: 127.0.0.1:9090 from the uplink, published on 127.0.0.1, is dropped (moby#45610)",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, LOOPBACK, 9090), SYN_ }, DROP_AS(DROP_MARTIAN_DEST) },
	{ "martian: 127.0.0.2:9090 from the uplink, all of 127/8 is loopback",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, LOOPBACK_2, 9090), SYN_ },
	  DROP_AS(DROP_MARTIAN_DEST) },
	{ "martian: destination 0.0.0.5 from the uplink",
	  UPLINK, { .t = T(UDP, REMOTE, 40000, ZERONET_HOST, 53) }, DROP_AS(DROP_MARTIAN_DEST) },
	{ "martian: source 127.0.0.1 from the uplink to the published 0.0.0.0:8080",
	  UPLINK, { .t = T(TCP, LOOPBACK, 40000, NODE, 8080), SYN_ }, DROP_AS(DROP_MARTIAN_SOURCE) },
	{ "martian: source 0.0.0.0 to the published 0.0.0.0:8080",
	  UPLINK, { .t = T(TCP, 0, 40000, NODE, 8080), SYN_ }, DROP_AS(DROP_MARTIAN_SOURCE) },
	{ "martian: source 0.1.2.3 to the node",
	  UPLINK, { .t = T(UDP, ZERONET_SRC, 40000, NODE, 5353) }, DROP_AS(DROP_MARTIAN_SOURCE) },
	{ "martian: multicast source 224.0.0.5 to the published 0.0.0.0:5353/udp",
	  UPLINK, { .t = T(UDP, MCAST_SRC, 40000, NODE, 5353) }, DROP_AS(DROP_MARTIAN_SOURCE) },
	{ "martian: source 255.255.255.255 to the node",
	  UPLINK, { .t = T(UDP, BROADCAST, 40000, NODE, 5353) }, DROP_AS(DROP_MARTIAN_SOURCE) },
	{ "martian: source 127.0.0.1 routed to a container address (nat-unprotected)",
	  UPLINK, { .t = T(TCP, LOOPBACK, 40000, IP_A, 80), SYN_ }, .net1 = UNPROTECTED,
	  DROP_AS(DROP_MARTIAN_SOURCE) },
	{ "martian: DHCP is none, 0.0.0.0:68 > 255.255.255.255:67 reaches the node's stack untouched",
	  UPLINK, { .t = T(UDP, 0, 68, BROADCAST, 67) }, NODES(TC_ACT_UNSPEC) },
	{ "martian: a multicast destination (mDNS) is none, the node's untouched",
	  UPLINK, { .t = T(UDP, REMOTE, 5353, MDNS_GROUP, 5353) }, NODES(TC_ACT_UNSPEC) },

	/* 1b. a local container's address as the source, from the uplink: spoofed */
	{ "uplink spoof: C's 10.2.0.2 from the uplink to the published 0.0.0.0:8080 (to A, NET1)",
	  UPLINK, { .t = T(TCP, IP_C, 40000, NODE, 8080), SYN_ }, DROP_AS(DROP_LOCAL_SOURCE),
	  .charged = EP_A },
	{ "uplink spoof: A's 10.1.0.2 from the uplink to its own published 0.0.0.0:5353/udp",
	  UPLINK, { .t = T(UDP, IP_A, 40000, NODE, 5353) }, DROP_AS(DROP_LOCAL_SOURCE),
	  .charged = EP_A },
	{ "uplink spoof: C's 10.2.0.2 routed to A's address (nat-unprotected)",
	  UPLINK, { .t = T(TCP, IP_C, 40000, IP_A, 80), SYN_ }, .net1 = UNPROTECTED,
	  DROP_AS(DROP_LOCAL_SOURCE) },
	{ "uplink spoof: a container's address to the node's own port is the node's, untouched",
	  UPLINK, { .t = T(TCP, IP_C, 40000, NODE, 22), SYN_ }, NODES(TC_ACT_UNSPEC) },

	/* 2. martians, from containers */
	{ "martian: a container to 127.0.0.1:9090 (published on loopback) is dropped, not hairpinned",
	  EP_A, { .t = T(TCP, IP_A, 42000, LOOPBACK, 9090), SYN_ }, DROP_AS(DROP_MARTIAN_DEST) },
	{ "martian: a container to 0.0.0.5",
	  EP_A, { .t = T(UDP, IP_A, 42000, ZERONET_HOST, 53) }, DROP_AS(DROP_MARTIAN_DEST) },
	{ "martian: a container sending from 127.0.0.1 (a martian before a spoof)",
	  EP_A, { .t = T(UDP, LOOPBACK, 42000, REMOTE, 53) }, DROP_AS(DROP_MARTIAN_SOURCE) },
	{ "martian: a container sending from 224.0.0.1",
	  EP_A, { .t = T(UDP, IP4(224, 0, 0, 1), 42000, REMOTE, 53) },
	  DROP_AS(DROP_MARTIAN_SOURCE) },
	{ "martian: a container's 0.0.0.0 > 255.255.255.255 is not its own address: spoofed",
	  EP_A, { .t = T(UDP, 0, 68, BROADCAST, 67) }, DROP_AS(DROP_SPOOFED_IP) },
	{ "martian: bridge, switched A->B at L2 with destination 127.0.0.1",
	  EP_A, { .t = T(TCP, IP_A, 42000, LOOPBACK, 9090), SYN_ }, .bridge = true, .to_mac = EP_B,
	  DROP_AS(DROP_MARTIAN_DEST) },
	{ "martian: bridge, to the gateway MAC with destination 127.0.0.1:9090",
	  EP_A, { .t = T(TCP, IP_A, 42000, LOOPBACK, 9090), SYN_ }, .bridge = true,
	  DROP_AS(DROP_MARTIAN_DEST) },
	{ "martian: bridge, switched A->B from source 127.0.0.1",
	  EP_A, { .t = T(UDP, LOOPBACK, 42000, IP_B, 53) }, .bridge = true, .to_mac = EP_B,
	  DROP_AS(DROP_MARTIAN_SOURCE) },

	/* 3. VLAN tags */
	{ "vlan: l3 container, an 802.1Q tag in the frame",
	  EP_A, { .t = T(UDP, IP_A, 5000, REMOTE, 53) }, .vlan = ETH_P_8021Q, DROP_AS(DROP_VLAN) },
	{ "vlan: l3 container, an 802.1ad tag in the frame",
	  EP_A, { .t = T(UDP, IP_A, 5000, REMOTE, 53) }, .vlan = ETH_P_8021AD, DROP_AS(DROP_VLAN) },
	{ "vlan: bridge container, an 802.1Q tag",
	  EP_A, { .t = T(UDP, IP_A, 5000, IP_B, 53) }, .vlan = ETH_P_8021Q, .bridge = true,
	  .to_mac = EP_B, DROP_AS(DROP_VLAN) },
	{ "vlan: from the uplink to the published 0.0.0.0:8080, tagged: the node's, untouched",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, NODE, 8080), SYN_ }, .vlan = ETH_P_8021Q,
	  NODES(TC_ACT_UNSPEC) },
	{ "vlan: from the uplink to a container address (nat-unprotected), 802.1ad: untouched",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, IP_A, 80), SYN_ }, .vlan = ETH_P_8021AD,
	  .net1 = UNPROTECTED, NODES(TC_ACT_UNSPEC) },

	/* 4. gateway modes: new packets from outside straight to container addresses */
	{ "nat: a new tcp flow to 10.1.0.2:22 is dropped",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, IP_A, PORT_SSH), SYN_ },
	  DROP_AS(DROP_DIRECT_ROUTING) },
	{ "nat: to 10.1.0.2:80, published (by 0.0.0.0:8080) and in ep_ports, is dropped too",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, IP_A, 80), SYN_ }, .open = T(TCP, IP_A, 80, 0, 0),
	  DROP_AS(DROP_DIRECT_ROUTING) },
	{ "nat: udp to 10.2.0.2:53 (a network without masquerade) is dropped",
	  UPLINK, { .t = T(UDP, REMOTE, 40000, IP_C, 53) }, DROP_AS(DROP_DIRECT_ROUTING) },
	{ "nat: icmp echo to 10.1.0.2 is dropped",
	  UPLINK, { .t = T(ICMP, REMOTE, 0x777, IP_A, 0) }, DROP_AS(DROP_DIRECT_ROUTING) },
	{ "nat: a protocol nothing tracks (GRE) to 10.1.0.2 is dropped",
	  UPLINK, { .t = T(ICMP, REMOTE, 0x777, IP_A, 0) }, .mangle = ip_proto_gre,
	  DROP_AS(DROP_DIRECT_ROUTING) },
	{ "nat: a fragment to 10.1.0.2 is dropped",
	  UPLINK, { .t = T(UDP, REMOTE, 40000, IP_A, 53), .frag = IPV4_FLAG_MF },
	  DROP_AS(DROP_DIRECT_ROUTING) },
	{ "routed: tcp to the published container port 10.2.0.2:82 gets in, tracked",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, IP_C, 82), SYN_ }, .net2 = ROUTED_MODE,
	  .open = T(TCP, IP_C, 82, 0, 0), ROUTED_IN(EP_C), .tracked = true },
	{ "routed: tcp to 10.2.0.2:83, not published, is dropped",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, IP_C, 83), SYN_ }, .net2 = ROUTED_MODE,
	  .open = T(TCP, IP_C, 82, 0, 0), DROP_AS(DROP_DIRECT_ROUTING) },
	{ "routed: udp to 10.2.0.2:82, published for tcp only, is dropped",
	  UPLINK, { .t = T(UDP, REMOTE, 40000, IP_C, 82) }, .net2 = ROUTED_MODE,
	  .open = T(TCP, IP_C, 82, 0, 0), DROP_AS(DROP_DIRECT_ROUTING) },
	{ "routed: icmp echo to 10.2.0.2 is dropped (Docker lets ICMP in)",
	  UPLINK, { .t = T(ICMP, REMOTE, 0x777, IP_C, 0) }, .net2 = ROUTED_MODE,
	  DROP_AS(DROP_DIRECT_ROUTING) },
	{ "nat-unprotected: a new tcp flow to 10.1.0.2:22 gets in, tracked",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, IP_A, PORT_SSH), SYN_ }, .net1 = UNPROTECTED,
	  ROUTED_IN(EP_A), .tracked = true },
	{ "nat-unprotected: GRE to 10.1.0.2 gets in",
	  UPLINK, { .t = T(ICMP, REMOTE, 0x777, IP_A, 0) }, .mangle = ip_proto_gre,
	  .net1 = UNPROTECTED, ROUTED_IN(EP_A) },

	/* 5. the gateway and the rest of a container's own subnet */
	{ "l3 gateway: tcp to the own gateway 10.1.0.1:9090 goes to the node untouched, not out",
	  EP_A, { .t = T(TCP, IP_A, 42000, GW1, 9090), SYN_ }, NODES(TC_ACT_OK) },
	{ "l3 gateway: udp to it, the node's address as well",
	  EP_A, { .t = T(UDP, IP_A, 42000, GW1, 53) }, .gw_node_addr = true, NODES(TC_ACT_OK) },
	{ "unassigned: 10.1.0.77 of the own subnet, no endpoint, is dropped, not masqueraded",
	  EP_A, { .t = T(TCP, IP_A, 42000, UNASSIGNED, 80), SYN_ }, DROP_AS(DROP_UNASSIGNED) },
	{ "unassigned: the subnet broadcast 10.1.0.255",
	  EP_A, { .t = T(UDP, IP_A, 42000, NET1_BCAST, 53) }, DROP_AS(DROP_UNASSIGNED) },
	{ "unassigned: the network address 10.1.0.0",
	  EP_A, { .t = T(UDP, IP_A, 42000, NET1_ADDR, 53) }, DROP_AS(DROP_UNASSIGNED) },
	{ "unassigned: bridge, to the gateway MAC for 10.1.0.77",
	  EP_A, { .t = T(UDP, IP_A, 42000, UNASSIGNED, 53) }, .bridge = true,
	  DROP_AS(DROP_UNASSIGNED) },
	{ "l3 gateway: bridge, to the gateway MAC for the gateway, the node's",
	  EP_A, { .t = T(UDP, IP_A, 42000, GW1, 53) }, .bridge = true, NODES(TC_ACT_OK) },

	/* 6. malformed L4 headers, and legal ones that look odd */
	{ "bad l4: tcp data offset 4, from a container to the outside",
	  EP_A, { .t = T(TCP, IP_A, 5000, REMOTE, 443), SYN_ }, .mangle = tcp_doff_4,
	  DROP_AS(DROP_BAD_L4) },
	{ "bad l4: tcp data offset 15, past the end of the datagram",
	  EP_A, { .t = T(TCP, IP_A, 5000, REMOTE, 443), SYN_ }, .mangle = tcp_doff_15,
	  DROP_AS(DROP_BAD_L4) },
	{ "bad l4: udp length 7, from a container to the outside",
	  EP_A, { .t = T(UDP, IP_A, 5000, REMOTE, 53) }, .mangle = udp_len_7,
	  DROP_AS(DROP_BAD_L4) },
	{ "bad l4: udp length past the end of the datagram",
	  EP_A, { .t = T(UDP, IP_A, 5000, REMOTE, 53) }, .mangle = udp_len_past_end,
	  DROP_AS(DROP_BAD_L4) },
	{ "bad l4: tcp data offset 4, container to container A->B",
	  EP_A, { .t = T(TCP, IP_A, 5000, IP_B, 80), SYN_ }, .mangle = tcp_doff_4,
	  DROP_AS(DROP_BAD_L4) },
	{ "bad l4: udp length past the end, container to container A->B",
	  EP_A, { .t = T(UDP, IP_A, 5000, IP_B, 53) }, .mangle = udp_len_past_end,
	  DROP_AS(DROP_BAD_L4) },
	{ "bad l4: bridge, switched A->B, udp length 7",
	  EP_A, { .t = T(UDP, IP_A, 5000, IP_B, 53) }, .mangle = udp_len_7, .bridge = true,
	  .to_mac = EP_B, DROP_AS(DROP_BAD_L4) },
	{ "bad l4: hairpin to the node's 0.0.0.0:8080, tcp data offset 4",
	  EP_B, { .t = T(TCP, IP_B, 5000, NODE, 8080), SYN_ }, .mangle = tcp_doff_4,
	  DROP_AS(DROP_BAD_L4) },
	{ "bad l4: from outside to the published 0.0.0.0:8080, tcp data offset 4",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, NODE, 8080), SYN_ }, .mangle = tcp_doff_4,
	  DROP_AS(DROP_BAD_L4) },
	{ "bad l4: from outside to the published 0.0.0.0:5353/udp, length past the end",
	  UPLINK, { .t = T(UDP, REMOTE, 40000, NODE, 5353) }, .mangle = udp_len_past_end,
	  DROP_AS(DROP_BAD_L4) },
	{ "bad l4: from outside to a node address, no port published there, udp length 7",
	  UPLINK, { .t = T(UDP, REMOTE, 40000, NODE, 9999) }, .mangle = udp_len_7,
	  DROP_AS(DROP_BAD_L4) },
	{ "bad l4: from outside to a container address (nat-unprotected), tcp data offset 4",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, IP_A, 80), SYN_ }, .mangle = tcp_doff_4,
	  .net1 = UNPROTECTED, DROP_AS(DROP_BAD_L4) },
	{ "bad l4: from outside to an address not the node's: untouched",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, NOT_NODE, 80), SYN_ }, .mangle = tcp_doff_4,
	  NODES(TC_ACT_UNSPEC) },
	{ "good l4: tcp data offset 8 (12 bytes of options), A->B, routed",
	  EP_A, { .t = T(TCP, IP_A, 5000, IP_B, 80), SYN_ }, .tcp_opts = true, ROUTED_IN(EP_B) },
	{ "good l4: udp length shorter than the datagram, A->B, routed",
	  EP_A, { .t = T(UDP, IP_A, 5000, IP_B, 53) }, .mangle = udp_len_short, ROUTED_IN(EP_B) },
	{ "good l4: a later fragment has no L4 header to check, A->B, routed",
	  EP_A, { .t = T(UDP, IP_A, 5000, IP_B, 53), .frag = IPV4_FLAG_MF | 185 },
	  .mangle = udp_len_7, ROUTED_IN(EP_B) },
};

/* The frame of @c, built from scratch: its tag, TCP options, mangling. */
static void build_one(struct pkt *p, const struct one_case *c)
{
	const struct host *h = &hosts[c->dev];
	const uint8_t *dst = c->to_mac ? hosts[c->to_mac].mac : c->bridge ? br_gw_mac : h->host_mac;
	struct seg s = c->seg;

	pkt_init(p);
	if (c->vlan) {
		pkt_eth(p, dst, h->mac, c->vlan);
		pkt_vlan(p, VLAN_TCI, ETH_P_IP);
	} else {
		pkt_eth(p, dst, h->mac, ETH_P_IP);
	}
	if (!c->tcp_opts) {
		build_ip(p, &s);
	} else {
		struct ipv4_spec ip = { .saddr = s.t.saddr, .daddr = s.t.daddr, .proto = s.t.proto,
					.ttl = DEFAULT_TTL, .id = IP_ID, .frag = IPV4_FLAG_DF };

		pkt_ipv4(p, &ip);
		pkt_tcp(p, s.t.sport, s.t.dport, TCP_SEQ, TCP_ACK, s.tcp_flags, TCP_WINDOW);
		pkt_append(p, tcp_nops, sizeof(tcp_nops));
		l4(p)[TCP_DOFF_BYTE] = (uint8_t)((TCP_HDR_LEN + TCP_OPTS_LEN) / 4 << 4);
		pkt_append(p, payload, strlen(payload));
		pkt_ipv4_finish(p);
	}
	if (c->mangle)
		c->mangle(p);
}

static void set_modes(const struct one_case *c)
{
	if (c->bridge)
		use_bridge();
	else if (c->net1)
		set_net_flags(NET1, c->net1);
	if (c->net2)
		set_net_flags(NET2, c->net2);
	if (c->open.proto)
		open_ep_port(c->open.saddr, c->open.sport, c->open.proto);
	if (c->gw_node_addr && topo_seed_node_addr(GW1))
		fail_msg("%s: cannot make the gateway a node address", where);
}

static bool is_martian(enum bpfnet_drop_reason drop)
{
	return drop == BPFNET_DROP_MARTIAN_SOURCE || drop == BPFNET_DROP_MARTIAN_DEST;
}

static void run_one(void **state)
{
	const struct one_case *c = *state;
	struct expect x = { .verdict = c->verdict, .drop = c->drop, .rx = c->rx,
			    .charged = c->charged };
	struct pkt in, out, want;

	at("%s", c->name);
	set_modes(c);
	build_one(&in, c);
	x.global[BPFNET_G_CT_CREATED] = c->tracked;
	/* under XDP, martians are dropped first; the rest routed to a container is tc's */
	x.xdp_to_tc = routed_in(c->dev, &c->seg) && !is_martian(c->drop);
	/* a first fragment leaves its ports in frag4 for the later ones, whatever its fate */
	x.global[BPFNET_G_FRAG_TRACKED] = c->seg.frag == IPV4_FLAG_MF;
	step(c->dev, &in, &out, &x);
	switch (c->out) {
	case OUT_SAME:
	case OUT_SWITCHED:
		expect_frame(&in, &out);
		break;
	case OUT_ROUTED:
		expect_routed(&in, hosts[c->rx].mac, hosts[c->rx].host_mac, &want);
		expect_frame(&want, &out);
		/* checksums can be recomputed for whole TCP, UDP and ICMP datagrams */
		if (!c->seg.frag && c->mangle != ip_proto_gre)
			check_csums(&out);
		break;
	default:
		break;
	}
	if (c->tracked)
		expect_flow_ct(&c->seg.t, &c->seg.t, 0, c->seg.t.proto == IPPROTO_TCP ?
			       BPFNET_CT_SYN_SENT : BPFNET_CT_ESTABLISHED);
	else
		expect_no_ct(&c->seg.t);
}

/* ---- the containers' own flows from routed addresses, and their replies ---- */

static const struct nat_case c_udp_out = {
	"udp 10.2.0.2:5005 > 192.168.50.2:53 (no masquerade)", EP_C,
	{ .t = T(UDP, IP_C, 5005, REMOTE, 53) }, .xl = T(UDP, IP_C, 5005, REMOTE, 53), ROUTED_OUT };
static const struct nat_case c_tcp_out = {
	"tcp 10.2.0.2:5006 > 192.168.50.2:443 (no masquerade)", EP_C,
	{ .t = T(TCP, IP_C, 5006, REMOTE, 443) }, .xl = T(TCP, IP_C, 5006, REMOTE, 443),
	ROUTED_OUT };

/*
 * nat without masquerade, and routed: a container's own flow leaves with its
 * own address and is tracked (untranslated), so its replies get in; a packet
 * that looks like a reply from another port is a new flow and is not.
 */
static void own_flow_replies(const struct nat_case *c, uint8_t mode)
{
	struct seg other = { .t = reverse(&c->xl), .tcp_flags = TCP_FLAG_ACK };
	struct pkt in, out;
	struct tuple xl;

	set_net_flags(NET2, mode);
	at("%s: first packet", c->name);
	xl = open_flow(c, &in, &out);
	if (get_be32(out.data + out.l3_off + IP_OFF_SADDR) != IP_C)
		fail_msg("%s: left from %s, expected the container's own 10.2.0.2", where,
			 ip_str(get_be32(out.data + out.l3_off + IP_OFF_SADDR)));
	expect_flow_ct(&c->seg.t, &xl, 0, c->seg.t.proto == IPPROTO_TCP ? BPFNET_CT_SYN_SENT :
			BPFNET_CT_ESTABLISHED);
	at("%s: reply", c->name);
	flow_step(c, &xl, true, TCP_FLAG_SYN | TCP_FLAG_ACK);
	at("%s: the container again", c->name);
	flow_step(c, &xl, false, TCP_FLAG_ACK);
	at("%s: a 'reply' from another port", c->name);
	other.t.sport++;
	frame_from(&in, UPLINK, &other);
	step(UPLINK, &in, &out, &(struct expect){ DROPPED(DROP_DIRECT_ROUTING),
		.xdp_to_tc = routed_in(UPLINK, &other) });
	expect_no_ct(&other.t);
}

static void test_nat_nomasq_udp_replies(void **state)
{
	(void)state;
	own_flow_replies(&c_udp_out, 0);
}

static void test_nat_nomasq_tcp_replies(void **state)
{
	(void)state;
	own_flow_replies(&c_tcp_out, 0);
}

static void test_routed_udp_replies(void **state)
{
	(void)state;
	own_flow_replies(&c_udp_out, BPFNET_NET_F_ROUTED);
}

/* nat, masquerading: a container's own flow's replies come back to the node and are translated. */
static const struct nat_case a_tcp_masq = {
	"tcp 10.1.0.2:5002 > 192.168.50.2:443", EP_A, { .t = T(TCP, IP_A, 5002, REMOTE, 443) },
	.xl = T(TCP, NODE, 0, REMOTE, 443), MASQUERADED };

static void test_nat_masq_replies(void **state)
{
	struct seg direct = { .t = reverse(&a_tcp_masq.seg.t), .tcp_flags = TCP_FLAG_ACK };
	struct pkt in, out;
	struct tuple xl;

	(void)state;
	at("%s: first packet", a_tcp_masq.name);
	xl = open_flow(&a_tcp_masq, &in, &out);
	at("%s: reply", a_tcp_masq.name);
	flow_step(&a_tcp_masq, &xl, true, TCP_FLAG_SYN | TCP_FLAG_ACK);
	at("%s: the same ports routed straight to 10.1.0.2", a_tcp_masq.name);
	frame_from(&in, UPLINK, &direct);
	step(UPLINK, &in, &out, &(struct expect){ DROPPED(DROP_DIRECT_ROUTING),
		.xdp_to_tc = routed_in(UPLINK, &direct) });
}

/* routed: a published container port; the container's answer leaves as it is, the flow goes on. */
static void test_routed_published_flow(void **state)
{
	const struct nat_case in_flow = {
		"tcp 192.168.50.2:40000 > 10.2.0.2:82 (routed)", UPLINK,
		{ .t = T(TCP, REMOTE, 40000, IP_C, 82) }, .xl = T(TCP, REMOTE, 40000, IP_C, 82),
		.verdict = TC_ACT_REDIRECT, .to = EP_C, .kind = BPFNET_G_CT_CREATED };
	struct pkt in, out;
	struct tuple xl;

	(void)state;
	set_net_flags(NET2, BPFNET_NET_F_ROUTED);
	open_ep_port(IP_C, 82, IPPROTO_TCP);
	at("%s: SYN", in_flow.name);
	xl = open_flow(&in_flow, &in, &out);
	expect_flow_ct(&in_flow.seg.t, &xl, 0, BPFNET_CT_SYN_SENT);
	at("%s: SYN-ACK", in_flow.name);
	flow_step(&in_flow, &xl, true, TCP_FLAG_SYN | TCP_FLAG_ACK);
	at("%s: ACK", in_flow.name);
	flow_step(&in_flow, &xl, false, TCP_FLAG_ACK);
	expect_flow_ct(&in_flow.seg.t, &xl, F_SEEN, BPFNET_CT_ESTABLISHED);
}

/* Published host ports DNAT in every gateway mode. */
static const struct nat_case c_dnat = {
	"tcp 192.168.50.2:40003 > 0.0.0.0:8082", UPLINK, { .t = T(TCP, REMOTE, 40003, NODE, 8082) },
	.xl = T(TCP, REMOTE, 40003, IP_C, 82), PUBLISHED(EP_C) };

static void dnat_in_mode(uint8_t mode)
{
	struct pkt in, out;
	struct tuple xl;

	set_net_flags(NET2, mode);
	at("%s: first packet", c_dnat.name);
	xl = open_flow(&c_dnat, &in, &out);
	at("%s: reply", c_dnat.name);
	flow_step(&c_dnat, &xl, true, TCP_FLAG_SYN | TCP_FLAG_ACK);
}

static void test_dnat_routed(void **state)
{
	(void)state;
	dnat_in_mode(BPFNET_NET_F_ROUTED);
}

static void test_dnat_unprotected(void **state)
{
	(void)state;
	dnat_in_mode(BPFNET_NET_F_UNPROTECTED);
}

/* The gateway address, a node address as the control plane has it, leads to published ports. */
static void test_hairpin_via_gateway(void **state)
{
	const struct nat_case c = {
		"hairpin: 10.1.0.3 > the gateway 10.1.0.1:8080 reaches 10.1.0.2:80", EP_B,
		{ .t = T(TCP, IP_B, 41000, GW1, 8080) }, .xl = T(TCP, GW1, 41000, IP_A, 80),
		HAIRPINNED(EP_A) };
	struct pkt in, out;
	struct tuple xl;

	(void)state;
	if (topo_seed_node_addr(GW1))
		fail_msg("cannot make the gateway a node address");
	at("%s: first packet", c.name);
	xl = open_flow(&c, &in, &out);
	at("%s: reply", c.name);
	flow_step(&c, &xl, true, TCP_FLAG_SYN | TCP_FLAG_ACK);
}

/* ---- ICMP errors: quotes with IP options, and errors about routed flows ---- */

/* What an error quotes of @t: its IPv4 header (with options if @opts) and 8 bytes of L4. */
static void quote_of(struct pkt *q, const struct tuple *t, bool opts)
{
	struct seg s = { .t = *t, .ttl = DEFAULT_TTL - 1, .ip_opts = opts };

	if (t->proto == IPPROTO_TCP)
		s.tcp_flags = TCP_FLAG_ACK;
	pkt_init(q);
	build_ip(q, &s);
	q->len = ipv4_hdr_len(q->data) + ICMP_QUOTE_L4_LEN;
}

struct icmp_err {
	uint8_t type, code;
	uint32_t rest;
	uint32_t saddr, daddr;
	uint8_t ttl;
	bool opts;		/* the error itself has IP options */
};

static void build_error(struct pkt *p, const uint8_t *dst, const uint8_t *src,
			const struct icmp_err *e, const struct pkt *quote)
{
	struct ipv4_spec ip = { .saddr = e->saddr, .daddr = e->daddr, .proto = IPPROTO_ICMP,
				.ttl = e->ttl, .id = IP_ID, .opts = e->opts ? ip_options : NULL,
				.opts_len = e->opts ? sizeof(ip_options) : 0 };

	pkt_init(p);
	pkt_eth(p, dst, src, ETH_P_IP);
	pkt_ipv4(p, &ip);
	pkt_icmp(p, e->type, e->code, e->rest);
	pkt_append(p, quote->data, quote->len);
	pkt_ipv4_finish(p);
}

/* The quoted UDP checksum covers a datagram the quote lacks: the datapath leaves it as quoted. */
static void keep_quoted_udp_csum(struct pkt *want, const struct pkt *in)
{
	size_t hlen = ipv4_hdr_len(in->data);

	if (in->data[IP_OFF_PROTO] == IPPROTO_UDP)
		memcpy(want->data + hlen + UDP_OFF_CHECK, in->data + hlen + UDP_OFF_CHECK, 2);
}

#define FRAG_NEEDED_1400 ICMP_TYPE_DEST_UNREACH, ICMP_CODE_FRAG_NEEDED, 1400

static const struct nat_case a_udp_masq_opts = {
	"udp 10.1.0.2:5000 > 192.168.50.2:53 with ip options", EP_A,
	{ .t = T(UDP, IP_A, 5000, REMOTE, 53), .ip_opts = true },
	.xl = T(UDP, NODE, 0, REMOTE, 53), MASQUERADED };

/*
 * "Fragmentation needed" from outside about a masqueraded datagram that
 * carried IP options: the quote's L4 header lies after its options; outer
 * destination and quoted source go back to the container.
 */
static void test_icmp_quote_options_masq(void **state)
{
	struct icmp_err e = { FRAG_NEEDED_1400, REMOTE, NODE, DEFAULT_TTL, false };
	/* ICMP errors are tc's: XDP passes them on untouched */
	struct expect x = { .verdict = TC_ACT_REDIRECT, .rx = EP_A, .xdp_to_tc = true };
	struct pkt in, out, want, q, qwant;
	struct tuple xl;

	(void)state;
	at("%s: first packet", a_udp_masq_opts.name);
	xl = open_flow(&a_udp_masq_opts, &in, &out);
	at("frag needed quoting %s", a_udp_masq_opts.name);
	quote_of(&q, &xl, true);
	build_error(&in, hosts[UPLINK].host_mac, hosts[UPLINK].mac, &e, &q);
	x.global[BPFNET_G_ICMP_ERR_NAT] = 1;
	step(UPLINK, &in, &out, &x);
	quote_of(&qwant, &a_udp_masq_opts.seg.t, true);
	keep_quoted_udp_csum(&qwant, &q);
	e.daddr = IP_A;
	e.ttl = DEFAULT_TTL - 1;
	build_error(&want, hosts[EP_A].mac, hosts[EP_A].host_mac, &e, &qwant);
	expect_frame(&want, &out);
	check_csums(&out);
}

static const struct nat_case udp_dnat_opts = {
	"udp 192.168.50.2:40002 > 0.0.0.0:5353 with ip options", UPLINK,
	{ .t = T(UDP, REMOTE, 40002, NODE, 5353), .ip_opts = true },
	.xl = T(UDP, REMOTE, 40002, IP_A, 53), PUBLISHED(EP_A) };

/* A container's "port unreachable" for a published datagram with options; the error has some too. */
static void test_icmp_quote_options_dnat(void **state)
{
	struct icmp_err e = { ICMP_TYPE_DEST_UNREACH, ICMP_CODE_PORT_UNREACH, 0, IP_A, REMOTE,
			      DEFAULT_TTL, true };
	struct expect x = { .verdict = TC_ACT_REDIRECT };
	struct pkt in, out, want, q, qwant;
	struct tuple xl;

	(void)state;
	at("%s: first packet", udp_dnat_opts.name);
	xl = open_flow(&udp_dnat_opts, &in, &out);
	at("port unreachable from the container quoting %s", udp_dnat_opts.name);
	quote_of(&q, &xl, true);
	build_error(&in, hosts[EP_A].host_mac, hosts[EP_A].mac, &e, &q);
	x.global[BPFNET_G_ICMP_ERR_NAT] = 1;
	step(EP_A, &in, &out, &x);
	quote_of(&qwant, &udp_dnat_opts.seg.t, true);
	keep_quoted_udp_csum(&qwant, &q);
	e.saddr = NODE;
	e.ttl = DEFAULT_TTL - 1;
	build_error(&want, hosts[UPLINK].mac, hosts[UPLINK].host_mac, &e, &qwant);
	expect_frame(&want, &out);
	check_csums(&out);
}

/*
 * nat without masquerade: an error from a router about the container's own
 * (untranslated) flow gets in, untouched but for the hop; one quoting no
 * flow of the container is direct access, and is dropped.
 */
static void test_icmp_error_routed_flow(void **state)
{
	struct icmp_err e = { FRAG_NEEDED_1400, ROUTER, IP_C, DEFAULT_TTL, false };
	struct tuple stranger = T(UDP, IP_C, 5999, REMOTE, 53);
	struct pkt in, out, want, q;
	struct tuple xl;

	(void)state;
	at("%s: first packet", c_udp_out.name);
	xl = open_flow(&c_udp_out, &in, &out);
	at("frag needed quoting %s", c_udp_out.name);
	quote_of(&q, &xl, false);
	build_error(&in, hosts[UPLINK].host_mac, hosts[UPLINK].mac, &e, &q);
	/* ICMP errors are tc's under XDP, as is all routed to a container */
	step(UPLINK, &in, &out, &(struct expect){ .verdict = TC_ACT_REDIRECT, .rx = EP_C,
		.xdp_to_tc = true });
	expect_routed(&in, hosts[EP_C].mac, hosts[EP_C].host_mac, &want);
	expect_frame(&want, &out);
	at("frag needed quoting a flow 10.2.0.2 never had");
	quote_of(&q, &stranger, false);
	build_error(&in, hosts[UPLINK].host_mac, hosts[UPLINK].mac, &e, &q);
	step(UPLINK, &in, &out, &(struct expect){ DROPPED(DROP_DIRECT_ROUTING),
		.xdp_to_tc = true });
}

/* ---- IP options on every NAT path: the L4 header found from the IHL ---- */

static const struct nat_case opt_flows[] = {
	{ "ip options: a SYN from outside to the published 0.0.0.0:8080, and its replies",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, NODE, 8080), .ip_opts = true },
	  .xl = T(TCP, REMOTE, 40000, IP_A, 80), PUBLISHED(EP_A) },
	{ "ip options: udp from outside to 0.0.0.0:5353, and its replies",
	  UPLINK, { .t = T(UDP, REMOTE, 40002, NODE, 5353), .ip_opts = true },
	  .xl = T(UDP, REMOTE, 40002, IP_A, 53), PUBLISHED(EP_A) },
	{ "ip options: masquerade of tcp, and its replies",
	  EP_A, { .t = T(TCP, IP_A, 5002, REMOTE, 443), .ip_opts = true },
	  .xl = T(TCP, NODE, 0, REMOTE, 443), MASQUERADED },
	{ "ip options: hairpin of tcp to 192.168.50.1:8080, and its replies",
	  EP_B, { .t = T(TCP, IP_B, 41000, NODE, 8080), .ip_opts = true },
	  .xl = T(TCP, NODE, 41000, IP_A, 80), HAIRPINNED(EP_A) },
	{ "ip options: no masquerade, tracked as it is, and its replies",
	  EP_C, { .t = T(UDP, IP_C, 5005, REMOTE, 53), .ip_opts = true },
	  .xl = T(UDP, IP_C, 5005, REMOTE, 53), ROUTED_OUT },
};

static void run_opt_flow(void **state)
{
	establish_flow(*state);
}

/* ---- main ---- */

/*
 * Every case with a step on the uplink once more through xdp_from_uplink
 * then, if it passes the frame, from_uplink (nat_harness.h's add_test_xdp()).
 * A VLAN tag in skb metadata has no XDP form (there is no skb): the tagged
 * cases here carry the tag in the frame, as a driver without VLAN offload
 * hands it to XDP, and XDP must pass it untouched.
 */
static void add_xdp_tests(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(one_cases); i++)
		if (one_cases[i].dev == UPLINK)
			add_test_xdp(one_cases[i].name, run_one, &one_cases[i]);
	add_test_xdp("nat, no masquerade: replies of a container's own udp flow",
		     test_nat_nomasq_udp_replies, NULL);
	add_test_xdp("nat, no masquerade: replies of a container's own tcp flow",
		     test_nat_nomasq_tcp_replies, NULL);
	add_test_xdp("routed: replies of a container's own flow", test_routed_udp_replies, NULL);
	add_test_xdp("nat: a masqueraded flow's replies, not straight to the container",
		     test_nat_masq_replies, NULL);
	add_test_xdp("routed: a published container port's flow, both ways",
		     test_routed_published_flow, NULL);
	add_test_xdp("routed: published host ports still DNAT", test_dnat_routed, NULL);
	add_test_xdp("nat-unprotected: published host ports still DNAT", test_dnat_unprotected,
		     NULL);
	add_test_xdp("icmp error: a quote with ip options, frag needed for a masqueraded flow",
		     test_icmp_quote_options_masq, NULL);
	add_test_xdp("icmp error: a quote with ip options, from a container for a published port",
		     test_icmp_quote_options_dnat, NULL);
	add_test_xdp("icmp error: about a container's own routed flow, and about none",
		     test_icmp_error_routed_flow, NULL);
	for (i = 0; i < ARRAY_SIZE(opt_flows); i++)
		if (opt_flows[i].from == UPLINK || opt_flows[i].to == UPLINK)
			add_test_xdp(opt_flows[i].name, run_opt_flow, &opt_flows[i]);
}

/* test_nat's netns, and a default route via REMOTE: what is let out, leaves. */
static int setup_netns(void)
{
	char cmd[128];

	if (nat_setup_netns())
		return -1;
	snprintf(cmd, sizeof(cmd), "ip route add default via %s dev %s", ip_str(REMOTE),
		 hosts[UPLINK].ifname);
	return sh(cmd);
}

int main(void)
{
	size_t i;

	if (setup_netns())
		return 1;
	for (i = 0; i < ARRAY_SIZE(one_cases); i++)
		add_test(one_cases[i].name, run_one, &one_cases[i]);
	add_test("nat, no masquerade: a container's own udp flow is tracked, its replies get in",
		 test_nat_nomasq_udp_replies, NULL);
	add_test("nat, no masquerade: a container's own tcp flow is tracked, its replies get in",
		 test_nat_nomasq_tcp_replies, NULL);
	add_test("routed: egress leaves with the container's own address, its replies get in",
		 test_routed_udp_replies, NULL);
	add_test("nat: a masqueraded flow's replies get in translated, not straight to the container",
		 test_nat_masq_replies, NULL);
	add_test("routed: a published container port's flow, both ways, tracked as it is",
		 test_routed_published_flow, NULL);
	add_test("routed: published host ports still DNAT", test_dnat_routed, NULL);
	add_test("nat-unprotected: published host ports still DNAT", test_dnat_unprotected, NULL);
	add_test("l3 gateway: a published port through the gateway address (hairpin)",
		 test_hairpin_via_gateway, NULL);
	add_test("icmp error: a quote with ip options, frag needed for a masqueraded flow",
		 test_icmp_quote_options_masq, NULL);
	add_test("icmp error: a quote with ip options, from a container for a published port",
		 test_icmp_quote_options_dnat, NULL);
	add_test("icmp error: about a container's own routed flow gets in, about none does not",
		 test_icmp_error_routed_flow, NULL);
	for (i = 0; i < ARRAY_SIZE(opt_flows); i++)
		add_test(opt_flows[i].name, run_opt_flow, &opt_flows[i]);
	add_xdp_tests();
	return run_group("security", setup_datapath, skel_destroy, reset_all);
}
