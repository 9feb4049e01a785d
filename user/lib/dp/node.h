/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The node's datapath: init's work, its undo, and down's teardown. */
#ifndef BPFNET_DP_NODE_H
#define BPFNET_DP_NODE_H

#include <stdbool.h>
#include "core/core.h"
#include "dp/datapath.h"
#include "model/state.h"
#include "sys/netlink.h"

/* Load the node's current IPv4 addresses into the datapath. */
int node_addrs_refresh(struct dp *dp, struct nl *nl);

/* The same with a netlink socket of its own. */
int node_addrs_sync(struct dp *dp);

/*
 * init's work under the lock: record it in the journal, load or upgrade the
 * datapath, attach it to @uplink, sync every network and endpoint of @st into
 * it, save @st. A first init that fails takes back what it made.
 */
int node_init_locked(struct dp *dp, struct state *st, struct nl *nl, const char *uplink);
/*
 * Take back what a first init made: the uplink's filter (and the clsact qdisc
 * with @destroy_clsact, when there was none before), the gateways, the pins.
 */
int node_init_undo(struct bpfnet *bn, struct state *st, struct nl *nl, const char *uplink,
		   bool destroy_clsact);
/* down's work, the state file aside: veths (strays too), gateways, uplink, pins. */
int node_teardown(struct bpfnet *bn, struct state *st, struct nl *nl);

#endif
