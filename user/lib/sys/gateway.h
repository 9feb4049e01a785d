/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The gateway of every network (l3 and bridge, not an internal one) is the
 * node's: a /32 on lo, as the host holds 172.17.0.1 on docker0, so that the
 * containers reach the node's services there and nothing sent to it is ever
 * routed out. Both return 0 or -errno with the message set.
 */
#ifndef BPFNET_GATEWAY_H
#define BPFNET_GATEWAY_H

#include "core/core.h"
#include "model/state.h"
#include "sys/netlink.h"

/* The node takes @net's gateway address; already there is fine. */
int net_gateway_add(struct bpfnet *bn, struct nl *nl, const struct net_state *net);
/* Take it away again; already gone is fine. */
int net_gateway_del(struct bpfnet *bn, struct nl *nl, const struct net_state *net);

#endif
