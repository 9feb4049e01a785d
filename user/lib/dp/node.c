// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The node's datapath: init's work (load or upgrade, attach to the uplink,
 * every network and endpoint of the state synced into the maps), what a
 * first init cut short leaves to undo, and down's teardown.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dp/bridge.h"
#include "dp/maps.h"
#include "dp/node.h"
#include "dp/sockhook.h"
#include "sys/gateway.h"
#include "sys/netlink.h"
#include "sys/store.h"
#include "sys/veth.h"

/* Tell the datapath the node's current addresses (they may change under us; every
 * bpfnet command that publishes ports refreshes them). */
int node_addrs_refresh(struct dp *dp, struct nl *nl)
{
	struct bpfnet *bn = dp->bn;
	struct in_addr addrs[BPFNET_NODE_ADDR_MAX];
	size_t n;
	int err = nl_addr_list4(nl, addrs, BPFNET_NODE_ADDR_MAX, &n);

	if (err)
		return bn_fail(bn, err, "cannot list the node's addresses: %s", strerror(-err));
	return dp_node_addrs_set(dp, addrs, n);
}

int node_addrs_sync(struct dp *dp)
{
	struct bpfnet *bn = dp->bn;
	struct nl *nl;
	int err = nl_open(&nl, -1);

	if (err)
		return bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
	err = node_addrs_refresh(dp, nl);
	nl_close(nl);
	return err;
}

/* Every network into the maps; the node takes their gateway addresses again. */
static int sync_networks(struct dp *dp, struct state *st, struct nl *nl)
{
	struct bpfnet *bn = dp->bn;
	int err = 0;

	for (size_t i = 0; i < st->n_nets && !err; i++)
		err = dp_net_put(dp, &st->nets[i]) ?: net_gateway_add(bn, nl, &st->nets[i]);
	return err;
}

/* Every endpoint into the maps, re-attached to its veth; bridge ports rejoin their segment. */
static int sync_endpoints(struct dp *dp, struct state *st, struct nl *nl)
{
	struct bpfnet *bn = dp->bn;
	int err = 0;

	for (size_t i = 0; i < st->n_eps && !err; i++) {
		struct ep_state *ep = &st->eps[i];
		struct net_state *net = state_net(st, ep->network);
		struct nl_link link;

		/* a veth whose container netns was deleted is gone; endpoint rm cleans up */
		if (!net || nl_link_get_by_name(nl, ep->host_ifname, &link))
			continue;
		ep->host_ifindex = link.ifindex;
		/* a state of version 3 knew no generations: one now, saved with the state */
		err = (ep->gen ? 0 : dp_ep_gen_next(dp, &ep->gen)) ?: dp_ep_put(dp, ep, net) ?:
		      (net_is_bridge(net) ? bridge_fdb_add(dp, net, ep) : 0) ?:
		      dp_attach(bn, link.ifindex, BPFNET_PROG_FROM_CONTAINER, NULL);
	}
	for (size_t i = 0; i < st->n_nets && !err; i++)
		if (net_is_bridge(&st->nets[i]))
			err = bridge_ports_sync(dp, st, &st->nets[i], NULL);
	return err;
}

/* What the datapath needs to know of the node: which netns the socket hooks serve. */
static int node_config(struct dp *dp)
{
	struct bpfnet *bn = dp->bn;
	__u64 cookie;
	int err = netns_cookie_self(&cookie);

	if (err)
		return bn_fail(bn, err, "cannot read the netns cookie (SO_NETNS_COOKIE, Linux >= "
			       "5.14): %s", strerror(-err));
	return dp_config_set_cookie(dp, cookie);
}

int node_init_undo(struct bpfnet *bn, struct state *st, struct nl *nl, const char *uplink,
		   bool destroy_clsact)
{
	struct nl_link up;
	int err = 0;

	if (!nl_link_get_by_name(nl, uplink, &up))
		err = dp_detach(bn, up.ifindex, destroy_clsact);
	for (size_t i = 0; i < st->n_nets && !err; i++)
		err = net_gateway_del(bn, nl, &st->nets[i]);
	return err ?: dp_unpin(bn);
}

/*
 * Did the uplink have a clsact qdisc before this instance's first init? Asked
 * before anything is attached, so that an init cut short still knows whether
 * the qdisc it leaves is its own; an init that supersedes one cut short
 * inherits the answer, the qdisc being there now is the killed one's.
 */
static int clsact_before(struct bpfnet *bn, const struct state *st, struct nl *nl, int ifindex,
			 bool *had)
{
	const struct journal *pending = &st->journal;
	int err;

	if (pending->op == JOURNAL_INIT && pending->first_init) {
		*had = pending->clsact_before;
		return 0;
	}
	err = nl_qdisc_has(nl, ifindex, "clsact", had);
	return err ? bn_fail(bn, err, "cannot list the qdiscs of the uplink: %s", strerror(-err)) :
		     0;
}

int node_init_locked(struct dp *dp, struct state *st, struct nl *nl, const char *uplink)
{
	struct bpfnet *bn = dp->bn;
	struct node_state before = st->node;
	struct journal j = { .op = JOURNAL_INIT, .first_init = !before.initialized };
	bool created = false, had = true;
	struct nl_link up;
	int err;

	/* @uplink may be st->node.uplink itself (check --repair), which is rewritten below */
	snprintf(j.uplink, sizeof(j.uplink), "%s", uplink);
	uplink = j.uplink;
	if (before.initialized && strcmp(st->node.uplink, uplink))
		return bn_fail(bn, -EBUSY, "instance '%s' already runs on uplink %s: take it "
			       "down first to move it", bn->instance, st->node.uplink);
	err = nl_link_get_by_name(nl, uplink, &up);
	if (err)
		return bn_fail(bn, err, "no device '%s' in this network namespace: %s", uplink,
			       strerror(-err));
	if (j.first_init) {
		err = clsact_before(bn, st, nl, up.ifindex, &had);
		if (err)
			return err;
		j.clsact_before = had;
	}
	err = journal_record(bn, st, &j);
	if (err)
		return err;
	err = dp_load(bn) ?: dp_attach(bn, up.ifindex, BPFNET_PROG_FROM_UPLINK, &created);
	if (!err) {
		st->node.initialized = 1;
		snprintf(st->node.uplink, sizeof(st->node.uplink), "%s", uplink);
		st->node.uplink_ifindex = up.ifindex;
		st->node.created_clsact |= created || !had;
		/* the node's addresses once the gateways are among them */
		err = node_config(dp) ?: sync_networks(dp, st, nl) ?: sync_endpoints(dp, st, nl) ?:
		      node_addrs_refresh(dp, nl) ?: sock_hooks_attach(bn) ?: journal_commit(bn, st);
	}
	if (err) {
		char msg[sizeof(bn->errmsg)];

		memcpy(msg, bn->errmsg, sizeof(msg));
		if (!before.initialized)
			node_init_undo(bn, st, nl, uplink, !had);
		st->node = before;
		memcpy(bn->errmsg, msg, sizeof(msg));
		journal_abandon(bn, st);
	}
	return err;
}

int node_teardown(struct bpfnet *bn, struct state *st, struct nl *nl)
{
	struct nl_link up;
	int err = 0;

	for (size_t i = 0; i < st->n_eps && !err; i++)
		err = ep_delete_veth(bn, nl, &st->eps[i]);
	for (size_t i = 0; i < st->n_nets && !err && st->node.initialized; i++)
		err = net_gateway_del(bn, nl, &st->nets[i]);
	/* and veths of ours that no state names: leftovers of a crashed add */
	if (!err)
		err = veth_strays_remove(bn, nl, st, NULL);
	if (!err && st->node.initialized && !nl_link_get_by_name(nl, st->node.uplink, &up))
		err = dp_detach(bn, up.ifindex, st->node.created_clsact);
	return err ?: dp_unpin(bn);
}
