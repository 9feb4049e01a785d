/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFNET_ENDPOINT_H
#define BPFNET_ENDPOINT_H

#include <stdbool.h>
#include "api/internal.h"
#include "sys/netlink.h"
#include "model/state.h"

/* Delete endpoint @ep's veth from the node; already gone (netns deleted) is fine. */
int ep_delete_veth(struct bpfnet *bn, struct nl *nl, const struct ep_state *ep);

/* An endpoint of @st with a gateway in the netns of @netns_fd (the one with its default route). */
const struct ep_state *ep_gateway_in_netns(const struct state *st, int netns_fd);
/*
 * Endpoint @gone (no longer in @st) took its netns's default route with it:
 * give it to the next endpoint there with a gateway, if there is one.
 */
int ep_default_route_handover(struct bpfnet *bn, const struct state *st,
			      const struct ep_state *gone);

/*
 * Take endpoint @name out of @st (in memory; the caller saves) and out of the
 * node: maps, published ports, its bridge segment, its veth. Each step is
 * idempotent, so a removal cut short can be run again. No such endpoint: 0.
 */
int ep_remove(struct bpfnet *bn, struct state *st, struct nl *nl, const char *name);

/*
 * Make endpoint @name of @st again from what the state says (check --repair,
 * when its veth is gone): a new veth pair into its netns, addresses, routes,
 * maps, filter. Its host_ifindex in @st changes; the caller saves. When its
 * netns is gone, *netns_gone is set and nothing changes.
 */
int ep_rebuild(struct bpfnet *bn, struct state *st, struct nl *nl, const char *name,
	       bool *netns_gone);

#endif
