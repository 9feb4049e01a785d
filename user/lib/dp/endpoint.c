// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An endpoint's place in the datapath and on the node, as removal and the
 * undo of an interrupted add take it away: map entries, published ports, its
 * bridge segment, its veth.
 */
#include <string.h>

#include "dp/bridge.h"
#include "dp/maps.h"
#include "dp/endpoint.h"
#include "dp/portmap.h"
#include "sys/epnetns.h"
#include "sys/macvlan.h"
#include "sys/veth.h"

/*
 * Take endpoint @ep (no longer in @st) out of the datapath: maps, ports, its
 * network's segment. Its flows end as it leaves the endpoint maps, whatever
 * the size of the conntrack table: they hold its generation, which nothing
 * has any more (moby#8795; a new endpoint at its address gets a new one).
 * Its counters are zeroed once no program finds it any more (the next add
 * of its id zeroes them too): a pinned map keeps nothing of a removed
 * endpoint, which tools/soak checks.
 */
static int ep_detach(struct dp *dp, struct state *st, const struct ep_state *ep)
{
	const struct net_state *net = state_net(st, ep->network);

	/* no network (a state edited by hand): clear ep_ports as if it were routed */
	return dp_ep_del(dp, ep) ?: dp_ep_stats_zero(dp, ep->id) ?:
	       ports_drop_endpoint(dp, ep, !net || net_is_routed(net)) ?:
	       (net ? bridge_port_leave(dp, st, net, ep) : 0);
}

int ep_delete_link(struct bpfnet *bn, struct nl *nl, const struct ep_state *ep)
{
	return ep_is_macvlan(ep) ? macvlan_delete(bn, nl, ep, -1) : ep_delete_veth(bn, nl, ep);
}

int ep_remove(struct dp *dp, struct state *st, struct nl *nl, const char *name)
{
	struct bpfnet *bn = dp->bn;
	struct ep_state *ep = state_ep(st, name), gone;

	if (!ep)
		return 0;
	gone = *ep;
	state_del_ep(st, name);
	/* a macvlan endpoint has nothing in the datapath: no map entry, no port, no segment */
	return (st->node.initialized && !ep_is_macvlan(&gone) ? ep_detach(dp, st, &gone) : 0) ?:
	       ep_delete_link(bn, nl, &gone) ?: ep_default_route_handover(bn, st, &gone);
}

/*
 * The ep_by_ifindex entries the add wrote: its endpoint id and address, under
 * an ifindex no endpoint of the state has. Found by value, so they go even
 * when the veth (and with it the ifindex) is already gone. Their ifindexes
 * land in @ifindexes (up to @max) for the FDB.
 */
static int forget_ep_by_ifindex(struct dp *dp, const struct state *st,
				const struct ep_state *ep, __u32 *ifindexes,
				size_t max, size_t *n)
{
	__u32 keys[BPFNET_EP_MAX];
	struct bpfnet_ep val;
	size_t count;
	/* keys first: deleting while walking a hash map restarts the walk */
	int err = dp_ep_ifindexes(dp, keys, BPFNET_EP_MAX, &count);

	*n = 0;
	for (size_t i = 0; !err && i < count; i++) {
		if (dp_ep_get_by_ifindex(dp, keys[i], &val) || val.id != ep->id ||
		    val.ip != ep->ip.s_addr || state_owns_ifindex(st, keys[i]))
			continue;
		dp_ep_del_by_ifindex(dp, keys[i]);
		if (*n < max)
			ifindexes[(*n)++] = keys[i];
	}
	return err;
}

/* ep_by_ip[@ep's address], if it is the add's own entry and no endpoint of the state has it. */
static int forget_ep_by_ip(struct dp *dp, const struct state *st,
			   const struct ep_state *ep)
{
	__be32 ip = ep->ip.s_addr;
	struct bpfnet_ep val;
	int err = dp_fd(dp, DP_EP_BY_IP);

	if (err < 0)
		return err;
	if (!state_owns_ip(st, ip) && !dp_ep_get_by_ip(dp, ip, &val) && val.id == ep->id)
		dp_ep_del_by_ip(dp, ip);
	return 0;
}

/* The add's static FDB entry, and what was learned behind the ports it made. */
static int forget_fdb(struct dp *dp, const struct state *st,
		      const struct net_state *net, const struct ep_state *ep,
		      const __u32 *ifindexes, size_t n)
{
	struct bpfnet_fdb_key key = { .net_id = net->id };
	struct bpfnet_fdb_val val;
	int err = dp_fd(dp, DP_FDB);

	if (err < 0)
		return err;
	memcpy(key.mac, ep->mac, sizeof(key.mac));
	if (!dp_fdb_get(dp, &key, &val) && val.ep_id == ep->id &&
	    !state_owns_ifindex(st, val.ifindex))
		dp_fdb_del(dp, &key);
	err = 0;
	for (size_t i = 0; i < n && !err; i++)
		err = bridge_fdb_forget_port(dp, net->id, ifindexes[i]);
	return err;
}

/*
 * A macvlan add cut short: the device it may have made in the container's
 * netns, if it is the one it recorded (macvlan, its MAC, on its parent) and
 * no endpoint of the state has that interface of that netns.
 */
static int macvlan_add_undo(struct dp *dp, const struct state *st, struct nl *nl,
			    const struct ep_state *ep)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (!strcmp(st->eps[i].netns, ep->netns) && !strcmp(st->eps[i].ifname, ep->ifname))
			return 0;
	return macvlan_delete(dp->bn, nl, ep, -1);
}

int ep_add_undo_interrupted(struct dp *dp, struct state *st, struct nl *nl,
			     const struct ep_state *ep)
{
	struct bpfnet *bn = dp->bn;
	const struct net_state *net = state_net(st, ep->network);
	__u32 ifindexes[8];
	struct nl_link link;
	size_t n = 0;
	int err;

	/* an id the state gives to an endpoint means this entry is not what it says */
	if (state_owns_ep_id(st, ep->id))
		return 0;
	if (ep_is_macvlan(ep))
		return macvlan_add_undo(dp, st, nl, ep);
	if (!state_owns_ifname(st, ep->host_ifname) &&
	    !nl_link_get_by_name(nl, ep->host_ifname, &link)) {
		err = nl_link_del(nl, link.ifindex);
		if (err && err != -ENODEV)
			return bn_fail(bn, err, "cannot delete %s: %s %s", ep->host_ifname,
				       strerror(-err), nl_errmsg(nl));
	}
	err = forget_ep_by_ifindex(dp, st, ep, ifindexes, sizeof(ifindexes) / sizeof(*ifindexes),
				   &n) ?:
	      forget_ep_by_ip(dp, st, ep);
	if (!err && net && net_is_bridge(net))
		err = bridge_ports_sync(dp, st, net, NULL) ?:
		      forget_fdb(dp, st, net, ep, ifindexes, n);
	/* its flows, if any, hold its generation, which no endpoint has: dead without a walk */
	return err;
}
