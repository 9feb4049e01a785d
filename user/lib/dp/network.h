/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A network in the datapath and on the node. */
#ifndef BPFNET_DP_NETWORK_H
#define BPFNET_DP_NETWORK_H

#include "core/core.h"
#include "dp/datapath.h"
#include "model/state.h"

/* The datapath's view of a new network, and the node's gateway address. */
int network_install(struct dp *dp, const struct net_state *n);
/*
 * Take network @n out of the datapath: its map slot, flood list and FDB
 * entries, and a bridge's gateway address on the node. Each step is fine
 * with being done already; the first error is kept.
 */
int network_uninstall(struct dp *dp, const struct net_state *n);

#endif
