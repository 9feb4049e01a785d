/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* An endpoint taken out of the datapath and the node. */
#ifndef BPFNET_DP_ENDPOINT_H
#define BPFNET_DP_ENDPOINT_H

#include "core/core.h"
#include "dp/datapath.h"
#include "model/state.h"
#include "sys/netlink.h"

/*
 * Take endpoint @name out of @st (in memory; the caller saves) and out of the
 * node: maps, published ports, its bridge segment, its veth. Each step is
 * idempotent, so a removal cut short can be run again. No such endpoint: 0.
 */
int ep_remove(struct dp *dp, struct state *st, struct nl *nl, const char *name);

/*
 * Delete endpoint @ep's device: its veth from the node, or its macvlan from
 * its netns (only the one made for it). Already gone is fine.
 */
int ep_delete_link(struct bpfnet *bn, struct nl *nl, const struct ep_state *ep);

/*
 * Undo an endpoint add that was killed part-way (@ep as its journal entry
 * says): its veth and the map entries it wrote, found by value, never what
 * @st gives to another endpoint.
 */
int ep_add_undo_interrupted(struct dp *dp, struct state *st, struct nl *nl,
			    const struct ep_state *ep);

#endif
