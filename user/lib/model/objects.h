/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The model's own networks and endpoints, apart from the public info structs. */
#ifndef BPFNET_MODEL_OBJECTS_H
#define BPFNET_MODEL_OBJECTS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/core.h"

/*
 * A network and an endpoint as the library keeps them (state.json, the
 * journal): IPv4, modes by name. The public struct bpfnet_network_info
 * and struct bpfnet_endpoint_info are made from them at the api boundary
 * (net_to_public() and ep_to_public() in the verbs).
 */
struct net_state {
	char name[BPFNET_NAME_MAX];
	unsigned int id;
	char mode[8];		/* BPFNET_MODE_NAME_* */
	struct in_addr subnet;
	unsigned int prefix_len;
	struct in_addr gateway;
	unsigned int endpoints;	/* attached now: filled in for the caller, not kept */
	int masquerade;
	int internal;
	uint8_t gateway_mac[6];	/* bridge: the gateway's MAC, the same for every container */
	char gateway_mode[16];	/* BPFNET_GW_MODE_* */
	/*
	 * macvlan: the device of the node its endpoints' macvlans are made on
	 * (their L2 segment); "" for the other modes.
	 */
	char parent[IF_NAMESIZE];
};

struct ep_state {
	char name[BPFNET_NAME_MAX];
	char network[BPFNET_NAME_MAX];
	char netns[BPFNET_PATH_MAX];
	char ifname[IF_NAMESIZE];
	char host_ifname[IF_NAMESIZE];
	unsigned int id;
	unsigned int host_ifindex;
	struct in_addr ip;
	unsigned int prefix_len;
	struct in_addr gateway;
	/*
	 * Made with opts.default_route BPFNET_NO: its netns gets only the
	 * subnet's route from it, never the default route (a further attachment
	 * of a container, whose way out is another endpoint's).
	 */
	bool no_default_route;
	/* GRO turned on on its container-side veth: it takes XDP frames (BPFNET_EP_F_XDP_RX) */
	bool xdp_rx;
	uint8_t mac[6];
	uint8_t host_mac[6];
	unsigned int mtu;
	unsigned int gen;	/* new at every add, never reused */
	char container_id[BPFNET_CONTAINER_ID_MAX];	/* the runtime's; "" if none */
	/*
	 * The netns it was made in, as fstat() of it said (0: not known, a state
	 * before version 5): tells the endpoints of one netns apart without
	 * opening every endpoint's netns.
	 */
	uint64_t netns_dev, netns_ino;
	/*
	 * A macvlan endpoint: the parent device its macvlan (ifname in netns) was
	 * made on. It has no host side then: host_ifname "", host_ifindex 0,
	 * host_mac zero, and nothing in the datapath's maps. "" for a veth endpoint.
	 */
	char parent[IF_NAMESIZE];
};

/* A macvlan endpoint (no veth, no host side) rather than a veth one. */
static inline int ep_is_macvlan(const struct ep_state *e)
{
	return e->parent[0] != '\0';
}

#endif
