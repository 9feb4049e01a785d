// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The node: datapath load/upgrade, uplink attach, and taking it all down. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/internal.h"
#include "dp/bridge.h"
#include "dp/datapath.h"
#include "api/endpoint.h"
#include "sys/gateway.h"
#include "model/journal.h"
#include "sys/netlink.h"
#include "api/node.h"
#include "dp/sockhook.h"
#include "model/state.h"

/* Tell the datapath the node's current addresses (they may change under us; every
 * bpfnet command that publishes ports refreshes them). */
int node_addrs_refresh(struct bpfnet *bn, struct nl *nl)
{
	struct in_addr addrs[BPFNET_NODE_ADDR_MAX];
	size_t n;
	int err = nl_addr_list4(nl, addrs, BPFNET_NODE_ADDR_MAX, &n);

	if (err)
		return bn_fail(bn, err, "cannot list the node's addresses: %s", strerror(-err));
	return dp_node_addrs_set(bn, addrs, n);
}

int node_addrs_sync(struct bpfnet *bn)
{
	struct nl *nl;
	int err = nl_open(&nl, -1);

	if (err)
		return bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
	err = node_addrs_refresh(bn, nl);
	nl_close(nl);
	return err;
}

/* Every network into the maps; the node takes their gateway addresses again. */
static int sync_networks(struct bpfnet *bn, struct state *st, struct nl *nl)
{
	int err = 0;

	for (size_t i = 0; i < st->n_nets && !err; i++)
		err = dp_net_set(bn, &st->nets[i]) ?: net_gateway_add(bn, nl, &st->nets[i]);
	return err;
}

/* Every endpoint into the maps, re-attached to its veth; bridge ports rejoin their segment. */
static int sync_endpoints(struct bpfnet *bn, struct state *st, struct nl *nl)
{
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
		err = (ep->gen ? 0 : dp_ep_gen_next(bn, &ep->gen)) ?: dp_ep_set(bn, ep, net) ?:
		      (net_is_bridge(net) ? bridge_fdb_add(bn, net, ep) : 0) ?:
		      dp_attach(bn, link.ifindex, BPFNET_PROG_FROM_CONTAINER, NULL);
	}
	for (size_t i = 0; i < st->n_nets && !err; i++)
		if (net_is_bridge(&st->nets[i]))
			err = bridge_ports_sync(bn, st, &st->nets[i], NULL);
	return err;
}

/* What the datapath needs to know of the node: which netns the socket hooks serve. */
static int node_config(struct bpfnet *bn)
{
	__u64 cookie;
	int err = netns_cookie_self(&cookie);

	if (err)
		return bn_fail(bn, err, "cannot read the netns cookie (SO_NETNS_COOKIE, Linux >= "
			       "5.14): %s", strerror(-err));
	return dp_config_set(bn, cookie);
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

int node_init_locked(struct bpfnet *bn, struct state *st, struct nl *nl, const char *uplink)
{
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
		err = node_config(bn) ?: sync_networks(bn, st, nl) ?: sync_endpoints(bn, st, nl) ?:
		      node_addrs_refresh(bn, nl) ?: sock_hooks_attach(bn) ?: journal_commit(bn, st);
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

typedef int (*node_change_fn)(struct bpfnet *bn, struct state *st, struct nl *nl,
			      const void *arg);

/* Lock, load the state, open netlink in the node, make the change, and undo all of that. */
static int node_change(struct bpfnet *bn, enum journal_op op, node_change_fn change,
		       const void *arg)
{
	struct nl *nl = NULL;
	struct state st;
	int err;

	err = state_begin(bn, &st, op);
	if (err)
		goto unlock;
	err = nl_open(&nl, -1);
	if (err)
		bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
	else
		err = change(bn, &st, nl, arg);
	nl_close(nl);
	state_free(&st);
unlock:
	bn_unlock(bn);
	return err;
}

static int init_change(struct bpfnet *bn, struct state *st, struct nl *nl, const void *uplink)
{
	return node_init_locked(bn, st, nl, uplink);
}

int bpfnet_node__init(struct bpfnet *bn, const char *uplink)
{
	if (!uplink || !*uplink)
		return bn_fail(bn, -EINVAL, "an uplink is required (--uplink DEV)");
	return node_change(bn, JOURNAL_INIT, init_change, uplink);
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

static int down_locked(struct bpfnet *bn, struct state *st, struct nl *nl, const void *unused)
{
	struct journal j = { .op = JOURNAL_DOWN };

	(void)unused;
	/* once recorded, down is finished: by the next command if this one is cut short */
	return journal_record(bn, st, &j) ?: node_teardown(bn, st, nl) ?: state_remove(bn);
}

int bpfnet_node__down(struct bpfnet *bn)
{
	/* no state: never initialized here, or already down; only stray pins may remain */
	if (access(bn->run_dir, F_OK) && errno == ENOENT) {
		const char *dir;

		return bn_pin_dir(bn, &dir) ? 0 : dp_unpin(bn);
	}
	return node_change(bn, JOURNAL_DOWN, down_locked, NULL);
}

/* The state says initialized; that is true only while the datapath's pins are there. */
static int node_pins_check(struct bpfnet *bn, struct bpfnet_node_info *out)
{
	const char *dir;
	int err = bn_pin_dir(bn, &dir);

	if (!err) {
		snprintf(out->pin_dir, sizeof(out->pin_dir), "%s", dir);
		err = dp_pins_check(bn, out->missing_pin, sizeof(out->missing_pin));
		if (err && err != -ENOENT)
			return err;
	}
	out->initialized = !err;
	out->pins_missing = !!err;
	return 0;
}

int bpfnet_node__info(struct bpfnet *bn, struct bpfnet_node_info *out)
{
	struct bpfnet_node_info info = { .sz = sizeof(info) };
	struct state st;
	int err = bn_out_check(bn, out, "bpfnet_node_info") ?: state_load(bn, &st);

	if (err)
		return err;
	snprintf(info.uplink, sizeof(info.uplink), "%s", st.node.uplink);
	info.uplink_ifindex = st.node.uplink_ifindex;
	if (st.node.initialized)
		err = node_pins_check(bn, &info);
	state_free(&st);
	if (!err)
		bn_out_put(out, &info, sizeof(info));
	return err;
}
