/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Bridge networks in the control plane: each port's flood list slot and
 * static FDB entry, and the gratuitous ARP a new container sends. All
 * return 0 or -errno with the message set.
 */
#ifndef BPFNET_BRIDGE_H
#define BPFNET_BRIDGE_H

#include "core/core.h"
#include "dp/datapath.h"
#include "model/state.h"
#include "sys/netlink.h"

/* Is there room in @net for one more port? -ENOSPC past BPFNET_FLOOD_MAX. */
int bridge_check_room(struct bpfnet *bn, const struct state *st,
		      const struct net_state *net);
/*
 * Rewrite @net's flood list from the endpoints @st holds, plus @add (an
 * endpoint being added, not in @st yet) when not NULL.
 */
int bridge_ports_sync(struct dp *dp, const struct state *st,
		      const struct net_state *net, const struct ep_state *add);
/* The static FDB entry of endpoint @ep: its MAC is behind its host veth. */
int bridge_fdb_add(struct dp *dp, const struct net_state *net,
		   const struct ep_state *ep);
/* Forget the FDB entries of network @net_id behind port @ifindex, or all of them. */
int bridge_fdb_forget_port(struct dp *dp, unsigned int net_id, unsigned int ifindex);
int bridge_fdb_forget_net(struct dp *dp, unsigned int net_id);

/*
 * Endpoint @ep joins / leaves its bridge network's segment (for leave, @st no
 * longer has it); nothing to do for other networks.
 */
int bridge_port_join(struct dp *dp, const struct state *st,
		     const struct net_state *net, const struct ep_state *ep);
int bridge_port_leave(struct dp *dp, const struct state *st,
		      const struct net_state *net, const struct ep_state *ep);

/*
 * Bridge networks: one gratuitous ARP from @ep's interface (@ifindex inside
 * netns @netns_fd), so that peers holding a neighbour entry for its address
 * (a container re-created with the same address) switch to its new MAC at once.
 */
int bridge_announce(struct bpfnet *bn, const struct net_state *net, int netns_fd,
		    int ifindex, const struct ep_state *ep);

#endif
