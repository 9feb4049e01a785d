/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The node's datapath: init's work, its undo, and down's teardown. */
#ifndef BPFNET_DP_NODE_H
#define BPFNET_DP_NODE_H

#include <stdbool.h>
#include "core/core.h"
#include "dp/datapath.h"
#include "dp/sizes.h"
#include "model/state.h"
#include "sys/netlink.h"

/* Load the node's current IPv4 addresses into the datapath. */
int node_addrs_refresh(struct dp *dp, struct nl *nl);

/* The same with a netlink socket of its own. */
int node_addrs_sync(struct dp *dp);

/* The devices an init attaches the uplink program to, by name, in order, each once. */
struct uplink_set {
	size_t n;
	char names[BPFNET_UPLINK_MAX][IF_NAMESIZE];
	bool xdp_off;	/* tc alone on each, no XDP program (init --xdp off) */
};

/* The node's uplinks as the state has them; those an init's entry asked for. */
void uplink_set_of_node(const struct node_state *node, struct uplink_set *out);
void uplink_set_of_journal(const struct journal *j, struct uplink_set *out);

/*
 * init's work under the lock: check every device of @want (-ENODEV, -EINVAL
 * before anything changes), record it in the journal, load or upgrade the
 * datapath, attach it to every uplink of @want and detach it from those the
 * node has no more, sync every network and endpoint of @st into it, save
 * @st. A first init that fails takes back what it made; a later one the
 * uplinks it added. @sizes (NULL: keep) the big tables' sizes (dp/sizes.h).
 */
int node_init_locked(struct dp *dp, struct state *st, struct nl *nl,
		     const struct uplink_set *want, const struct dp_sizes *sizes);
/*
 * Take back what a first init of entry @j made: every uplink's filter (and
 * its clsact qdisc, when it had none before), the gateways, the pins.
 */
int node_init_undo(struct bpfnet *bn, struct state *st, struct nl *nl, const struct journal *j);
/* down's work, the state file aside: veths (strays too), gateways, uplink, pins. */
int node_teardown(struct bpfnet *bn, struct state *st, struct nl *nl);

#endif
