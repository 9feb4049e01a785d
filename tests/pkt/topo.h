/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The topology of the packet tests, seeded through the library's encoders
 * (seed.h).
 *
 * The l3 topology (test_datapath.c, and the NAT tests through
 * nat_harness.h): three endpoints in two networks, the uplink, the
 * published ports and node addresses. test_bridge.c has a bridge segment of
 * its own and seeds it through the same encoders.
 */
#ifndef BPFNET_TESTS_TOPO_H
#define BPFNET_TESTS_TOPO_H

#include "seed.h"

#define NET1 1			/* masquerading, in the NAT tests */
#define NET2 2			/* routed as it is */

#define IP_A IP4(10, 1, 0, 2)
#define IP_B IP4(10, 1, 0, 3)
#define IP_C IP4(10, 2, 0, 2)
#define GW1 IP4(10, 1, 0, 1)
#define GW2 IP4(10, 2, 0, 1)
#define NODE IP4(192, 168, 50, 1)		/* the node's uplink address */
#define REMOTE IP4(192, 168, 50, 2)		/* outside, permanent neighbour entry */
#define REMOTE_NN IP4(192, 168, 50, 3)		/* outside, no neighbour entry */
#define ROUTER IP4(192, 168, 50, 254)		/* sends ICMP errors, never receives */
#define NOT_NODE IP4(192, 168, 50, 9)		/* on the uplink's subnet, not the node's */
#define LOOPBACK IP4(127, 0, 0, 1)

enum host_id {
	H_NONE,
	EP_A,
	EP_B,
	EP_C,
	UPLINK,
	HOST_COUNT,
};

struct host {
	const char *ifname;		/* host-side veth; UPLINK: the node's uplink */
	const char *peer;		/* container side; UPLINK: the outside */
	uint8_t mac[ETH_ALEN];		/* container MAC; UPLINK: the outside neighbour's */
	uint8_t host_mac[ETH_ALEN];	/* host-side veth MAC; UPLINK: the node's */
	uint32_t ip;			/* container address; UPLINK: the outside host's */
	uint32_t ep_id;			/* 0: not an endpoint */
	uint32_t net_id;
	unsigned int ifindex;
	unsigned int peer_ifindex;
	uint32_t gen;			/* the endpoint's generation; UPLINK: 0, the outside */
};

static struct host hosts[HOST_COUNT] = {
	[H_NONE] = { "none", "none" },
	[EP_A] = { "nt-a", "nt-a-ct", { 0x02, 0x00, 0x0a, 0x01, 0x00, 0x02 },
		   { 0x02, 0xfe, 0x0a, 0x01, 0x00, 0x02 }, IP_A, 1, NET1, 0, 0, 11 },
	[EP_B] = { "nt-b", "nt-b-ct", { 0x02, 0x00, 0x0a, 0x01, 0x00, 0x03 },
		   { 0x02, 0xfe, 0x0a, 0x01, 0x00, 0x03 }, IP_B, 2, NET1, 0, 0, 12 },
	[EP_C] = { "nt-c", "nt-c-ct", { 0x02, 0x00, 0x0a, 0x02, 0x00, 0x02 },
		   { 0x02, 0xfe, 0x0a, 0x02, 0x00, 0x02 }, IP_C, 3, NET2, 0, 0, 13 },
	[UPLINK] = { "nt-up", "nt-up-rt", { 0x02, 0x00, 0xc0, 0xa8, 0x32, 0x02 },
		     { 0x02, 0xfe, 0xc0, 0xa8, 0x32, 0x01 }, REMOTE, 0, 0, 0, 0, 0 },
};

struct net_seed {
	uint32_t id;
	uint32_t subnet;
	bool masquerade;
};

static const struct net_seed nets[] = {
	{ NET1, IP4(10, 1, 0, 0), true },
	{ NET2, IP4(10, 2, 0, 0), false },
};

struct portmap_seed {
	uint8_t proto;
	uint32_t host_ip;
	uint16_t host_port;
	uint32_t ep_ip;
	uint16_t ep_port;
};

/* Published ports; host_ip 0 is 0.0.0.0, every node address. */
static const struct portmap_seed portmaps[] = {
	{ IPPROTO_TCP, 0, 8080, IP_A, 80 },
	{ IPPROTO_UDP, 0, 5353, IP_A, 53 },
	{ IPPROTO_TCP, NODE, 8081, IP_B, 81 },
	{ IPPROTO_TCP, 0, 8082, IP_C, 82 },
	{ IPPROTO_TCP, LOOPBACK, 9090, IP_A, 90 },
	{ IPPROTO_TCP, 0, 8090, IP_A, 80 },	/* A:80 published twice */
	{ IPPROTO_UDP, 0, 40010, IP_B, 53 },	/* inside the SNAT port range */
};

/* The service of portmaps[@i]; the service tests of test_nat use ids from 100 on. */
#define PORTMAP_SVC_ID(i) ((uint32_t)(i) + 1)

static const uint32_t node_addrs[] = { NODE, LOOPBACK };

/* ---- the l3 topology ---- */

/* Network @n of the topology in gateway mode @gateway_mode (BPFNET_GW_MODE_*). */
static inline struct net_state topo_net_of(const struct net_seed *n, const char *gateway_mode)
{
	return topo_net(n->id, n->subnet, n->subnet + 1, false, gateway_mode, n->masquerade,
			false, NULL);
}

static inline const struct net_seed *topo_net_seed(uint32_t id)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nets); i++)
		if (nets[i].id == id)
			return &nets[i];
	return NULL;
}

/* Every network in @gateway_mode, every endpoint, published port and node address. */
static inline int topo_seed(const char *gateway_mode)
{
	struct net_state n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nets); i++) {
		n = topo_net_of(&nets[i], gateway_mode);
		if (topo_seed_net(&n))
			return -1;
	}
	for (i = EP_A; i < UPLINK; i++) {
		const struct host *h = &hosts[i];

		n = topo_net_of(topo_net_seed(h->net_id), gateway_mode);
		if (topo_seed_ep(&n, h->ifindex, h->ep_id, h->ip, h->mac, h->host_mac, h->gen))
			return -1;
	}
	for (i = 0; i < ARRAY_SIZE(portmaps); i++)
		if (topo_seed_port(portmaps[i].proto, portmaps[i].host_ip, portmaps[i].host_port,
				   portmaps[i].ep_ip, portmaps[i].ep_port, PORTMAP_SVC_ID(i)))
			return -1;
	for (i = 0; i < ARRAY_SIZE(node_addrs); i++)
		if (topo_seed_node_addr(node_addrs[i]))
			return -1;
	return 0;
}

/* The veths of every host, each end with its MAC. */
static inline int topo_add_veths(void)
{
	int h;

	for (h = EP_A; h < HOST_COUNT; h++)
		if (veth_add(hosts[h].ifname, hosts[h].host_mac, hosts[h].peer, hosts[h].mac,
			     &hosts[h].ifindex, &hosts[h].peer_ifindex))
			return -1;
	return 0;
}

#endif /* BPFNET_TESTS_TOPO_H */
