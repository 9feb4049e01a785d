/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFNET_NODE_H
#define BPFNET_NODE_H

#include "internal.h"
#include "netlink.h"

/* Load the node's current IPv4 addresses into the datapath. */
int node_addrs_refresh(struct bpfnet *bn, struct nl *nl);

/* The same with a netlink socket of its own. */
int node_addrs_sync(struct bpfnet *bn);

#endif
