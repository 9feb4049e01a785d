// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The recovery of a command killed part-way (model/journal.h): its journal
 * entry says what it was about to do; an add is undone, a removal finished.
 * Built from the same idempotent steps of dp/ that the commands use, so it
 * never calls a verb (and the verbs, through txn_run(), call it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/recover.h"
#include "dp/endpoint.h"
#include "dp/network.h"
#include "dp/node.h"
#include "dp/portmap.h"
#include "sys/netlink.h"
#include "sys/store.h"

static int undo_network_create(struct dp *dp, struct state *st,
			       const struct net_state *net)
{
	struct net_state n = *net;

	if (!st->node.initialized || state_net(st, net->name) || state_net_by_id(st, net->id))
		return 0;
	for (size_t i = 0; i < st->n_nets; i++)
		if (st->nets[i].gateway.s_addr == net->gateway.s_addr)
			n.internal = 1;	/* the gateway is another network's: leave it be */
	return network_uninstall(dp, &n);
}

static int finish_network_remove(struct dp *dp, struct state *st, const char *name)
{
	struct net_state *n = state_net(st, name);
	int err = 0;

	if (!n || state_net_users(st, name))
		return 0;
	if (st->node.initialized)
		err = network_uninstall(dp, n);
	if (!err)
		state_del_net(st, name);
	return err;
}

static int finish_down(struct bpfnet *bn, struct state *st, struct nl *nl)
{
	int err = node_teardown(bn, st, nl) ?: state_unlink(bn);

	if (!err) {
		state_free(st);		/* the instance is gone: the command goes on from nothing */
		memset(st, 0, sizeof(*st));
	}
	return err;
}

/* A later init is finished: run again on the uplinks it was asked for. */
static int init_again(struct dp *dp, struct state *st, struct nl *nl, const struct journal *j)
{
	struct uplink_set want;

	uplink_set_of_journal(j, &want);
	return node_init_locked(dp, st, nl, &want, NULL);
}

static int recover_op(struct dp *dp, struct state *st, struct nl *nl, const struct journal *j)
{
	struct bpfnet *bn = dp->bn;

	switch (j->op) {
	case JOURNAL_INIT:
		return j->first_init ? node_init_undo(bn, st, nl, j) : init_again(dp, st, nl, j);
	case JOURNAL_DOWN:
		return finish_down(bn, st, nl);
	case JOURNAL_NETWORK_CREATE:
		return undo_network_create(dp, st, &j->net);
	case JOURNAL_NETWORK_REMOVE:
		return finish_network_remove(dp, st, j->net.name);
	case JOURNAL_ENDPOINT_ADD:
		return st->node.initialized ? ep_add_undo_interrupted(dp, st, nl, &j->ep) : 0;
	case JOURNAL_ENDPOINT_REMOVE:
		return ep_remove(dp, st, nl, j->ep.name);
	case JOURNAL_PORT_ADD:
	case JOURNAL_PORT_REMOVE:
		return st->node.initialized ? ports_unpublish(dp, st, &j->ep, j->maps, j->n_maps) : 0;
	default:
		return 0;
	}
}

int journal_recover(struct bpfnet *bn, struct state *st)
{
	struct journal j;
	char what[128], msg[sizeof(bn->errmsg)];
	struct nl *nl = NULL;
	struct dp dp;
	int err;

	if (st->journal.op == JOURNAL_NONE)
		return 0;
	/* the entry is worked from a copy: finishing a down or an init rewrites st */
	err = journal_copy(&j, &st->journal);
	if (err)
		return bn_fail(bn, err, "out of memory");
	journal_describe(&j, what, sizeof(what));
	/* its own maps: a down it finishes unpins them, and the command goes on without */
	dp_init(&dp, bn);
	err = nl_open(&nl, -1);
	if (err)
		bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
	else
		err = recover_op(&dp, st, nl, &j);
	nl_close(nl);
	dp_close(&dp);
	/* a finished down leaves no state to save */
	if (!err && j.op != JOURNAL_DOWN)
		err = state_save_settled(bn, st);
	if (err) {
		memcpy(msg, bn->errmsg, sizeof(msg));
		bn_fail(bn, err, "the interrupted %s (pid %d) cannot be %s: %s; fix that and "
			"try again, or repair the instance or take it down",
			what, j.pid, journal_undoes(j.op) ? "undone" : "finished", msg);
		journal_free(&j);
		return err;
	}
	journal_free(bn->recovered);
	free(bn->recovered);
	bn->recovered = malloc(sizeof(*bn->recovered));
	if (bn->recovered)
		*bn->recovered = j;
	else
		journal_free(&j);
	pr_debug("recovered the interrupted %s (pid %d)\n", what, j.pid);
	return 0;
}
