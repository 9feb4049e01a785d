/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model: pure data, no system call. It uses core/ and jansson only; every
 * other layer may use it (see core/core.h for the layer rules).
 *
 * The instance's persistent state: node, networks, endpoints (and so the
 * IPAM allocations), as kept in <run_dir>/state.json (sys/store.c reads and
 * writes the file, atomically under the instance lock).
 */
#ifndef BPFNET_STATE_H
#define BPFNET_STATE_H

#include <stdbool.h>
#include <jansson.h>
#include <linux/types.h>
#include "core/core.h"
#include "model/journal.h"
#include "model/objects.h"

/* Network modes by name, as users give them and the state keeps them. */
#define BPFNET_MODE_NAME_L3 "l3"
#define BPFNET_MODE_NAME_BRIDGE "bridge"
#define BPFNET_MODE_NAME_MACVLAN "macvlan"

/* Gateway modes by name (Docker 28's): what the outside reaches of a network's containers. */
#define BPFNET_GW_MODE_NAT "nat"
#define BPFNET_GW_MODE_NAT_UNPROTECTED "nat-unprotected"
#define BPFNET_GW_MODE_ROUTED "routed"

#define BPFNET_GW_MODES BPFNET_GW_MODE_NAT ", " BPFNET_GW_MODE_ROUTED ", " \
	BPFNET_GW_MODE_NAT_UNPROTECTED

/* A device that outside traffic arrives on: from_uplink runs on its tc ingress. */
struct node_uplink {
	char name[IF_NAMESIZE];
	unsigned int ifindex;
	int created_clsact;	/* init created its clsact qdisc: detaching removes it */
	/*
	 * xdp_from_uplink attached natively beside from_uplink; when the node
	 * wants XDP but the kernel refused it here, the reason (tc alone).
	 */
	int xdp_native;
	char xdp_refused[BPFNET_XDP_WHY_MAX];
};

struct node_state {
	int initialized;
	size_t n_uplinks;	/* 1..BPFNET_UPLINK_MAX when initialized, in the order given */
	struct node_uplink uplinks[BPFNET_UPLINK_MAX];
	int xdp_off;		/* init --xdp off: tc alone on every uplink */
};

struct state {
	struct node_state node;
	struct net_state *nets;
	size_t n_nets;
	struct ep_state *eps;
	size_t n_eps;
	/*
	 * Published ports live in the pinned portmap4 map (see api/port.c); the state
	 * only remembers the node addresses that some mapping is bound to, so a
	 * 0.0.0.0 mapping can be checked against them with a few lookups.
	 */
	struct in_addr *bound_ips;
	size_t n_bound_ips;
	/* the command in progress, recorded before it changes anything (journal.h) */
	struct journal journal;
};

/* The whole state as state.json holds it; NULL when out of memory or a journal cannot be written. */
json_t *state_to_json(const struct state *st);
/* Read it back into @st (zeroed by the caller); -EINVAL when malformed, -ENOMEM. */
int state_from_json(json_t *root, struct state *st);
/* Nothing in it: not initialized, no network, no endpoint (such an instance keeps no file). */
bool state_is_empty(const struct state *st);
void state_free(struct state *st);

struct net_state *state_net(struct state *st, const char *name);
struct net_state *state_net_by_id(struct state *st, unsigned int id);
struct ep_state *state_ep(struct state *st, const char *name);
int state_add_net(struct state *st, const struct net_state *net);
int state_add_ep(struct state *st, const struct ep_state *ep);
void state_del_net(struct state *st, const char *name);
void state_del_ep(struct state *st, const char *name);
/* Remember @ip as bound by some mapping; *added says whether it is new. */
int state_add_bound_ip(struct state *st, struct in_addr ip, int *added);

/* One network or endpoint as state.json keeps it (the journal keeps them the same way). */
json_t *net_to_json(const struct net_state *n);
json_t *ep_to_json(const struct ep_state *e);
int net_from_json(json_t *j, struct net_state *n);
int ep_from_json(json_t *j, struct ep_state *e);

/* The uplink named @name, or NULL. */
struct node_uplink *node_uplink(struct node_state *node, const char *name);
/* How many of the node's uplinks are named @name (a valid state: 0 or 1). */
size_t node_uplink_count(const struct node_state *node, const char *name);

/* Endpoints attached to network @name. */
unsigned int state_net_users(const struct state *st, const char *name);

/* Is something the state gives to an endpoint named so, at that ifindex, address or id? */
bool state_owns_ifname(const struct state *st, const char *name);
bool state_owns_ifindex(const struct state *st, __u32 ifindex);
bool state_owns_ip(const struct state *st, __be32 ip);
bool state_owns_ep_id(const struct state *st, unsigned int id);

static inline int net_is_bridge(const struct net_state *n)
{
	return !strcmp(n->mode, BPFNET_MODE_NAME_BRIDGE);
}

/* The kernel's macvlan on a parent device: no BPF, no map entry, no gateway on the node. */
static inline int net_is_macvlan(const struct net_state *n)
{
	return !strcmp(n->mode, BPFNET_MODE_NAME_MACVLAN);
}

/*
 * A network whose gateway is the node's: every one but an internal one, which
 * has none, and a macvlan one, whose gateway is a router on the parent's segment.
 */
static inline int net_has_gateway(const struct net_state *n)
{
	return !n->internal && !net_is_macvlan(n);
}

static inline int gw_mode_known(const char *mode)
{
	return !strcmp(mode, BPFNET_GW_MODE_NAT) || !strcmp(mode, BPFNET_GW_MODE_ROUTED) ||
	       !strcmp(mode, BPFNET_GW_MODE_NAT_UNPROTECTED);
}

static inline int net_is_routed(const struct net_state *n)
{
	return !strcmp(n->gateway_mode, BPFNET_GW_MODE_ROUTED);
}

#endif
