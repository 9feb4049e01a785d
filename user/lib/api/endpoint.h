/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFNET_ENDPOINT_H
#define BPFNET_ENDPOINT_H

#include <stdbool.h>
#include "api/internal.h"
#include "dp/datapath.h"
#include "sys/netlink.h"

/*
 * Make endpoint @name of @st again from what the state says (check --repair,
 * when its veth is gone): a new veth pair into its netns, addresses, routes,
 * maps, filter. Its host_ifindex in @st changes; the caller saves. When its
 * netns is gone, *netns_gone is set and nothing changes.
 */
int ep_rebuild(struct dp *dp, struct state *st, struct nl *nl, const char *name,
	       bool *netns_gone);

#endif
