/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Seeding the packet tests' maps the way the control plane writes them:
 * every entry is made by the library's own encoders (dp_net_encode,
 * dp_ep_encode, svc_port_encode and svc_write, dp_node_addr_encode,
 * node_ports_write) from networks,
 * endpoints and mappings as the library keeps them (struct net_state,
 * struct ep_state, struct port_map), so the tests start from
 * the values the library writes and cannot drift from them. Used by the l3
 * topology (topo.h) and the bridge segment of test_bridge.c.
 */
#ifndef BPFNET_TESTS_SEED_H
#define BPFNET_TESTS_SEED_H

#include "harness.h"
#include "dp/datapath.h"
#include "dp/encode.h"
#include "dp/node_ports.h"
#include "dp/svc.h"

#define PREFIX_24 24

/* A network as the library keeps it; addresses in host order. */
static inline struct net_state topo_net(uint32_t id, uint32_t subnet, uint32_t gateway,
					bool bridge, const char *gateway_mode, bool masquerade,
					bool internal, const uint8_t *gw_mac)
{
	struct net_state n = { .id = id, .prefix_len = PREFIX_24, .masquerade = masquerade,
			       .internal = internal };

	snprintf(n.mode, sizeof(n.mode), "%s",
		 bridge ? BPFNET_MODE_NAME_BRIDGE : BPFNET_MODE_NAME_L3);
	snprintf(n.gateway_mode, sizeof(n.gateway_mode), "%s", gateway_mode);
	n.subnet.s_addr = htonl(subnet);
	n.gateway.s_addr = htonl(gateway);
	if (gw_mac)
		memcpy(n.gateway_mac, gw_mac, ETH_ALEN);
	return n;
}

static inline int topo_seed_net(const struct net_state *n)
{
	struct bpfnet_net val;
	__u32 key = n->id;

	dp_net_encode(n, &val);
	return map_update(skel->maps.networks, &key, sizeof(key), &val, sizeof(val));
}

/* Endpoint @id of network @n on host veth @ifindex, as endpoint add writes it. */
static inline int topo_seed_ep(const struct net_state *n, unsigned int ifindex,
			       uint32_t id, uint32_t ip, const uint8_t *mac,
			       const uint8_t *host_mac, uint32_t gen)
{
	/* GRO on, as endpoint add turns it on: the uplink's XDP program delivers to it */
	struct ep_state ep = { .id = id, .host_ifindex = ifindex, .gen = gen,
			       .prefix_len = n->prefix_len, .gateway = n->gateway, .xdp_rx = true };
	struct bpfnet_ep val;

	ep.ip.s_addr = htonl(ip);
	memcpy(ep.mac, mac, ETH_ALEN);
	memcpy(ep.host_mac, host_mac, ETH_ALEN);
	dp_ep_encode(&ep, n, &val);
	return seed_ep(&val);
}

/*
 * @proto @host_ip:@host_port published to @ep_ip:@ep_port, as port add
 * writes it: service @svc_id with one backend. A port published before is
 * unpublished first (tests that unpublish seed again).
 */
/* node_ports from the seeded portmap4 and node_addrs, as every command that changes them writes it. */
static inline int topo_seed_node_ports(void)
{
	struct node_ports_fds fds = {
		.portmap = bpf_map__fd(skel->maps.portmap4),
		.node_addrs = bpf_map__fd(skel->maps.node_addrs),
		.ep_by_ip = bpf_map__fd(skel->maps.ep_by_ip),
		.node_ports = bpf_map__fd(skel->maps.node_ports),
	};
	int err = node_ports_write(&fds);

	if (err)
		fprintf(stderr, "seeding node_ports: %s\n", strerror(-err));
	return err;
}

static inline int topo_seed_port(uint8_t proto, uint32_t host_ip, uint16_t host_port,
				 uint32_t ep_ip, uint16_t ep_port, uint32_t svc_id)
{
	struct svc_maps sm = { .portmap = bpf_map__fd(skel->maps.portmap4),
			       .backends = bpf_map__fd(skel->maps.backends4) };
	struct port_map m = { .proto = proto, .host_port = host_port,
			      .host_port_last = host_port, .container_port = ep_port };
	const char *map;
	struct svc_port p;

	m.host_ip.s_addr = htonl(host_ip);
	m.container_ip.s_addr = htonl(ep_ip);
	svc_port_encode(&m, 0, &p);
	svc_unpublish(&sm, &p.key);
	if (svc_write(&sm, &p, 1, svc_id, &map)) {
		fprintf(stderr, "seeding port %u: %s refused it\n", host_port, map ? map : "?");
		return -1;
	}
	return topo_seed_node_ports();
}

static inline int topo_seed_node_addr(uint32_t ip)
{
	struct in_addr addr = { .s_addr = htonl(ip) };
	__be32 key;
	__u32 val;

	dp_node_addr_encode(&addr, &key, &val);
	return map_update(skel->maps.node_addrs, &key, sizeof(key), &val, sizeof(val)) ?:
	       topo_seed_node_ports();
}

/*
 * @ip:@port/@proto (host order) a published container port of a routed
 * network, as port add counts it in ep_ports: one mapping.
 */
static inline int topo_seed_ep_port(uint32_t ip, uint16_t port, uint8_t proto)
{
	struct bpfnet_ep_port_key key;
	__u32 mappings = 1;

	dp_ep_port_encode(htonl(ip), htons(port), proto, &key);
	return map_update(skel->maps.ep_ports, &key, sizeof(key), &mappings, sizeof(mappings));
}

#endif /* BPFNET_TESTS_SEED_H */
