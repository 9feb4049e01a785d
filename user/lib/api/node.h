/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFNET_NODE_H
#define BPFNET_NODE_H

#include "api/internal.h"
#include <stdbool.h>
#include "sys/netlink.h"

/* Load the node's current IPv4 addresses into the datapath. */
int node_addrs_refresh(struct bpfnet *bn, struct nl *nl);

/* The same with a netlink socket of its own. */
int node_addrs_sync(struct bpfnet *bn);

struct state;

/*
 * init's work under the lock: load or upgrade the datapath, attach it to
 * @uplink, sync every network and endpoint of @st into it, save @st.
 */
int node_init_locked(struct bpfnet *bn, struct state *st, struct nl *nl, const char *uplink);
/*
 * Take back what a first init made: the uplink's filter (and the clsact qdisc
 * with @destroy_clsact, when there was none before), the gateways, the pins.
 */
int node_init_undo(struct bpfnet *bn, struct state *st, struct nl *nl, const char *uplink,
		   bool destroy_clsact);
/* down's work, the state file aside: veths (strays too), gateways, uplink, pins. */
int node_teardown(struct bpfnet *bn, struct state *st, struct nl *nl);

#endif
