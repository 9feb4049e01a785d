/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * node_ports (abi.h): the uplink's early "not ours" check, written from the
 * truth: the published ports (portmap4) and the node's addresses
 * (node_addrs).
 */
#ifndef BPFNET_DP_NODE_PORTS_H
#define BPFNET_DP_NODE_PORTS_H

#include "core/core.h"
#include "dp/datapath.h"

/* The maps node_ports is written from, and itself: open fds. */
struct node_ports_fds {
	int portmap;
	int node_addrs;
	int ep_by_ip;
	int node_ports;
};

/*
 * Make node_ports hold, for every node address that is no endpoint's, every
 * (proto, port) of portmap4, and nothing else. -errno on failure, after which
 * node_ports is emptied as far as it can be: a missing entry is always safe
 * (the datapath looks further), a clear bit of a published port is not.
 */
int node_ports_write(const struct node_ports_fds *fds);

/*
 * node_ports_write() on @dp's maps, worded. Called once published ports are
 * added (not removed: a set bit is harmless) and once they are gone with their
 * flows, or the node's addresses changed.
 */
int dp_node_ports_sync(struct dp *dp);

#endif
