/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The macvlan devices of macvlan endpoints: made on their parent in the node,
 * living in the container's netns under the endpoint's ifname.
 */
#ifndef BPFNET_MACVLAN_H
#define BPFNET_MACVLAN_H

#include <stdbool.h>
#include "core/core.h"
#include "model/state.h"
#include "sys/netlink.h"

/* The node's device @name, a macvlan's parent: -ENODEV (with words) when there is none. */
int macvlan_parent(struct bpfnet *bn, struct nl *node_nl, const char *name, struct nl_link *out);

/*
 * Endpoint @ep's macvlan (bridge mode) on its parent, made right into the
 * netns of @netns_fd as ep->ifname with its MAC and MTU. -EEXIST (with words)
 * when the netns has a device of that name.
 */
int macvlan_create(struct bpfnet *bn, struct nl *node_nl, const struct ep_state *ep, int netns_fd);

/*
 * Is @link (a device of @ep's netns) the macvlan made for @ep: a macvlan of
 * its MAC and, when @parent_ifindex is known (> 0), on that parent?
 */
bool macvlan_is_ours(const struct nl_link *link, const struct ep_state *ep, int parent_ifindex);

/*
 * Delete @ep's macvlan from its netns (@netns_fd, or -1: opened from
 * ep->netns). Only ours (macvlan_is_ours(), the parent looked up in
 * @node_nl): a device of that name that is not stays. Already gone (netns
 * deleted, parent gone) is fine.
 */
int macvlan_delete(struct bpfnet *bn, struct nl *node_nl, const struct ep_state *ep, int netns_fd);

#endif
