// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The transaction every mutating command runs in (see txn.h). */
#include <stdio.h>
#include <string.h>

#include "api/recover.h"
#include "api/txn.h"
#include "sys/store.h"

/* Lock, load, and bring the instance to a settled state before the command's own work. */
static int txn_begin(struct txn *t)
{
	struct bpfnet *bn = t->bn;
	struct state *st = &t->st;
	int err = bn_lock(bn) ?: state_load(bn, st);

	if (err)
		return err;
	/* under the lock no save is under way: a temp file is a killed command's */
	err = journal_stale_temp_files(bn, true, NULL, NULL);
	if (err)
		goto fail;
	/* an init supersedes an interrupted one: it does the same again (node_init_locked()) */
	if (t->op == JOURNAL_INIT && st->journal.op == JOURNAL_INIT)
		return 0;
	err = journal_recover(bn, st);
	/* down takes away all the recovery would have fixed: it goes on from the state as saved */
	if (err && t->op == JOURNAL_DOWN) {
		state_free(st);
		err = state_load(bn, st);
	}
	if (!err)
		return 0;
fail:
	state_free(st);
	return err;
}

/* A failed add takes back what it made and clears its entry; the first message stays. */
static void txn_fail(struct txn *t)
{
	char msg[sizeof(t->bn->errmsg)];

	if (!t->recorded || !journal_undoes(t->op))
		return;
	if (t->undo) {
		memcpy(msg, t->bn->errmsg, sizeof(msg));
		t->undo(t, t->undo_arg);
		memcpy(t->bn->errmsg, msg, sizeof(msg));
	}
	journal_abandon(t->bn, &t->st);
}

int txn_run(struct bpfnet *bn, enum journal_op op, txn_fn change, void *arg)
{
	struct txn t = { .bn = bn, .op = op };
	int err;

	dp_init(&t.dp, bn);
	err = txn_begin(&t);
	if (!err) {
		err = change(&t, arg);
		if (err)
			txn_fail(&t);
		state_free(&t.st);
	}
	dp_close(&t.dp);
	nl_close(t.nl);
	bn_unlock(bn);
	return err;
}

int txn_nl(struct txn *t, struct nl **nl)
{
	int err = t->nl ? 0 : nl_open(&t->nl, -1);

	if (err)
		return bn_fail(t->bn, err, "cannot open netlink: %s", strerror(-err));
	*nl = t->nl;
	return 0;
}

void txn_on_failure(struct txn *t, txn_undo_fn undo, void *arg)
{
	t->undo = undo;
	t->undo_arg = arg;
}

int txn_record(struct txn *t, const struct journal *j)
{
	int err = journal_record(t->bn, &t->st, j);

	if (!err)
		t->recorded = true;
	return err;
}

int txn_record_ep(struct txn *t, const struct ep_state *ep)
{
	struct journal j = { .op = t->op, .ep = *ep };

	return txn_record(t, &j);
}

int txn_record_net(struct txn *t, const struct net_state *net)
{
	struct journal j = { .op = t->op, .net = *net };

	return txn_record(t, &j);
}

int txn_record_ports(struct txn *t, const struct ep_state *ep,
		     const struct port_map *maps, size_t n)
{
	/* journal_record() copies the mappings; the cast only lends them */
	struct journal j = { .op = t->op, .ep = *ep, .maps = (struct port_map *)maps,
			     .n_maps = n };

	return txn_record(t, &j);
}

int txn_commit(struct txn *t)
{
	int err = journal_commit(t->bn, &t->st);

	if (!err)
		t->recorded = false;
	return err;
}
