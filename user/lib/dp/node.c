// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The node's datapath: init's work (load or upgrade, attach to every uplink,
 * every network and endpoint of the state synced into the maps), what a
 * first init cut short leaves to undo, and down's teardown.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dp/bridge.h"
#include "dp/endpoint.h"
#include "dp/maps.h"
#include "dp/migrate.h"
#include "dp/node.h"
#include "dp/node_ports.h"
#include "dp/sockhook.h"
#include "dp/xdp.h"
#include "sys/gateway.h"
#include "sys/netlink.h"
#include "sys/store.h"
#include "sys/uplink.h"
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
	return dp_node_addrs_set(dp, addrs, n) ?: dp_node_ports_sync(dp);
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

	/* a macvlan network is the kernel's: nothing of it in the maps, no gateway here */
	for (size_t i = 0; i < st->n_nets && !err; i++)
		if (!net_is_macvlan(&st->nets[i]))
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
		if (!net || ep_is_macvlan(ep) || nl_link_get_by_name(nl, ep->host_ifname, &link))
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

void uplink_set_of_node(const struct node_state *node, struct uplink_set *out)
{
	out->n = node->n_uplinks;
	out->xdp_off = node->xdp_off;
	for (size_t i = 0; i < out->n; i++)
		snprintf(out->names[i], IF_NAMESIZE, "%s", node->uplinks[i].name);
}

void uplink_set_of_journal(const struct journal *j, struct uplink_set *out)
{
	out->n = j->n_uplinks;
	for (size_t i = 0; i < out->n; i++)
		snprintf(out->names[i], IF_NAMESIZE, "%s", j->uplinks[i].name);
}

static bool uplink_set_has(const struct uplink_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->names[i], name))
			return true;
	return false;
}

/* The filter off device @name (a device gone took it along), and its qdisc if ours. */
static int uplink_detach(struct bpfnet *bn, struct nl *nl, const char *name, bool destroy_clsact)
{
	struct nl_link up;

	if (nl_link_get_by_name(nl, name, &up))
		return 0;
	return dp_xdp_detach(bn, up.ifindex) ?: dp_detach(bn, up.ifindex, destroy_clsact);
}

int node_init_undo(struct bpfnet *bn, struct state *st, struct nl *nl, const struct journal *j)
{
	int err = 0;

	for (size_t i = 0; i < j->n_uplinks && !err; i++)
		err = uplink_detach(bn, nl, j->uplinks[i].name, !j->uplinks[i].clsact_before);
	for (size_t i = 0; i < st->n_nets && !err; i++)
		err = net_gateway_del(bn, nl, &st->nets[i]);
	return err ?: dp_unpin(bn);
}

/*
 * Did device @dev have a clsact qdisc before this instance made it an
 * uplink? Asked before anything is attached, so that an init cut short
 * still knows whether the qdisc it leaves is its own; an init that
 * supersedes one cut short inherits the answer, the qdisc being there now
 * is the killed one's.
 */
static int clsact_before(struct bpfnet *bn, const struct state *st, struct nl *nl,
			 const struct nl_link *dev, bool *had)
{
	const struct journal *pending = &st->journal;
	const struct journal_uplink *u;
	int err;

	u = pending->op == JOURNAL_INIT ? journal_uplink(pending, dev->name) : NULL;
	if (u) {
		*had = u->clsact_before;
		return 0;
	}
	err = nl_qdisc_has(nl, dev->ifindex, "clsact", had);
	return err ? bn_fail(bn, err, "cannot list the qdiscs of %s: %s", dev->name,
			     strerror(-err)) : 0;
}

/* What an init is about to do: its journal entry, and the node's uplinks once it is done. */
struct init_plan {
	struct journal j;
	struct node_state node;		/* the state's node once the init is done */
	bool added[BPFNET_UPLINK_MAX];	/* not an uplink of the node before */
};

/* Every device of @want checked and asked about, before anything changes. */
static int init_plan(struct bpfnet *bn, struct state *st, struct nl *nl,
		     const struct uplink_set *want, struct init_plan *p)
{
	int err;

	if (!want->n || want->n > BPFNET_UPLINK_MAX)
		return bn_fail(bn, want->n ? -E2BIG : -EINVAL, "%zu uplinks: from 1 to %d",
			       want->n, BPFNET_UPLINK_MAX);
	p->j.op = JOURNAL_INIT;
	p->j.first_init = !st->node.initialized;
	p->node.initialized = 1;
	p->node.xdp_off = want->xdp_off;
	for (size_t i = 0; i < want->n; i++) {
		struct node_uplink *u = &p->node.uplinks[i];
		const struct node_uplink *old = node_uplink(&st->node, want->names[i]);
		struct nl_link dev;
		bool had = true;

		err = uplink_usable(bn, nl, st, want->names[i], &dev);
		if (!err && !old)
			err = clsact_before(bn, st, nl, &dev, &had);
		if (err)
			return err;
		snprintf(u->name, sizeof(u->name), "%s", dev.name);
		u->ifindex = dev.ifindex;
		u->created_clsact = old ? old->created_clsact : !had;
		p->added[i] = !old;
		p->j.uplinks[i] = (struct journal_uplink){ .clsact_before = had };
		snprintf(p->j.uplinks[i].name, IF_NAMESIZE, "%s", dev.name);
	}
	p->node.n_uplinks = p->j.n_uplinks = want->n;
	return 0;
}

/*
 * An init cut short that this one supersedes may have attached to devices
 * this one does not want, which the state does not name: detached, before
 * this one's entry replaces the record of them.
 */
static int superseded_uplinks_detach(struct bpfnet *bn, const struct state *st, struct nl *nl,
				     const struct uplink_set *want)
{
	const struct journal *pending = &st->journal;
	int err = 0;

	if (pending->op != JOURNAL_INIT)
		return 0;
	for (size_t i = 0; i < pending->n_uplinks && !err; i++) {
		const struct journal_uplink *u = &pending->uplinks[i];

		if (!uplink_set_has(want, u->name) && !node_uplink_count(&st->node, u->name))
			err = uplink_detach(bn, nl, u->name, !u->clsact_before);
	}
	return err;
}

/*
 * The XDP program natively on uplink @u, or off it (--xdp off): a refusal
 * leaves tc alone there, its reason recorded for node show.
 */
static int uplink_xdp(struct bpfnet *bn, const struct node_state *node, struct node_uplink *u)
{
	int ret;

	u->xdp_native = 0;
	u->xdp_refused[0] = '\0';
	if (node->xdp_off)
		return dp_xdp_detach(bn, (int)u->ifindex);
	ret = dp_xdp_attach(bn, (int)u->ifindex, u->xdp_refused, sizeof(u->xdp_refused));
	if (ret < 0)
		return ret;
	u->xdp_native = !ret;
	return 0;
}

/*
 * The filter on every uplink of the plan, then the XDP program (tc first:
 * what XDP passes on must find it); a qdisc created here is the node's to
 * remove.
 */
static int uplinks_attach(struct bpfnet *bn, struct init_plan *p)
{
	int err = 0;

	for (size_t i = 0; i < p->node.n_uplinks && !err; i++) {
		struct node_uplink *u = &p->node.uplinks[i];
		bool created = false;

		err = dp_attach(bn, (int)u->ifindex, BPFNET_PROG_FROM_UPLINK, &created) ?:
		      uplink_xdp(bn, &p->node, u);
		u->created_clsact |= created;
	}
	return err;
}

/* The node's uplinks that the plan drops: detached, their qdisc removed if the node's. */
static int dropped_uplinks_detach(struct bpfnet *bn, const struct node_state *before,
				  struct nl *nl, const struct init_plan *p)
{
	int err = 0;

	for (size_t i = 0; i < before->n_uplinks && !err; i++) {
		const struct node_uplink *u = &before->uplinks[i];

		if (!node_uplink_count(&p->node, u->name))
			err = uplink_detach(bn, nl, u->name, u->created_clsact);
	}
	return err;
}

/* A later init that failed: the uplinks it added go again, the others stay as they were. */
static void added_uplinks_detach(struct bpfnet *bn, struct nl *nl, const struct init_plan *p)
{
	for (size_t i = 0; i < p->node.n_uplinks; i++)
		if (p->added[i])
			uplink_detach(bn, nl, p->node.uplinks[i].name,
				      p->node.uplinks[i].created_clsact);
}

int node_init_locked(struct dp *dp, struct state *st, struct nl *nl,
		     const struct uplink_set *want, const struct dp_sizes *sizes)
{
	struct bpfnet *bn = dp->bn;
	struct node_state before = st->node;
	struct init_plan p = {};
	struct uplink_set set = *want;	/* @want may be the state's, which is rewritten */
	struct mig_plan *mp = NULL;
	int err;

	/* every map decided first: a layout it cannot migrate leaves all as it was */
	err = init_plan(bn, st, nl, &set, &p) ?: mig_plan(bn, sizes, &mp) ?:
	      superseded_uplinks_detach(bn, st, nl, &set) ?: journal_record(bn, st, &p.j);
	if (err) {
		mig_plan_free(mp);
		return err;
	}
	err = mig_prepare(bn, mp) ?: dp_load(bn, mp) ?: mig_copy(bn, mp) ?: mig_adopt(dp, mp) ?:
	      uplinks_attach(bn, &p);
	if (!err) {
		st->node = p.node;
		/* the node's addresses once the gateways are among them; the old maps go last */
		err = node_config(dp) ?: sync_networks(dp, st, nl) ?: sync_endpoints(dp, st, nl) ?:
		      node_addrs_refresh(dp, nl) ?: sock_hooks_attach(bn) ?: mig_finish(bn, mp) ?:
		      dropped_uplinks_detach(bn, &before, nl, &p) ?: journal_commit(bn, st);
	}
	mig_plan_free(mp);
	if (err) {
		char msg[sizeof(bn->errmsg)];

		memcpy(msg, bn->errmsg, sizeof(msg));
		if (!before.initialized)
			node_init_undo(bn, st, nl, &p.j);
		else
			added_uplinks_detach(bn, nl, &p);
		st->node = before;
		memcpy(bn->errmsg, msg, sizeof(msg));
		journal_abandon(bn, st);
	}
	return err;
}

int node_teardown(struct bpfnet *bn, struct state *st, struct nl *nl)
{
	int err = 0;

	for (size_t i = 0; i < st->n_eps && !err; i++)
		err = ep_delete_link(bn, nl, &st->eps[i]);
	for (size_t i = 0; i < st->n_nets && !err && st->node.initialized; i++)
		err = net_gateway_del(bn, nl, &st->nets[i]);
	/* and veths of ours that no state names: leftovers of a crashed add */
	if (!err)
		err = veth_strays_remove(bn, nl, st, NULL);
	for (size_t i = 0; i < st->node.n_uplinks && !err && st->node.initialized; i++)
		err = uplink_detach(bn, nl, st->node.uplinks[i].name,
				    st->node.uplinks[i].created_clsact);
	return err ?: dp_unpin(bn);
}
