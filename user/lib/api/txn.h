/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One transaction per mutating command: lock the instance, load its state,
 * recover an interrupted command (api/recover.c), make the change, and on
 * the way out undo a failed add, free what was held and unlock. The change
 * records its intent (txn_record*) before it makes anything and commits it
 * in the save that records its result.
 */
#ifndef BPFNET_TXN_H
#define BPFNET_TXN_H

#include <stdbool.h>
#include "api/internal.h"
#include "dp/datapath.h"
#include "model/journal.h"
#include "sys/netlink.h"

struct txn;

/* Takes back what a failed change made; runs before the maps are closed. */
typedef void (*txn_undo_fn)(struct txn *t, void *arg);

struct txn {
	struct bpfnet *bn;
	enum journal_op op;		/* the command, as its journal entry names it */
	struct state st;		/* loaded under the lock, recovered */
	struct dp dp;			/* the maps, opened once on first use */
	struct nl *nl;			/* netlink in the node, opened by txn_nl() */
	bool recorded;			/* our journal entry is on disk, not yet committed */
	txn_undo_fn undo;		/* set once there is something to undo */
	void *undo_arg;
};

typedef int (*txn_fn)(struct txn *t, void *arg);

/*
 * Run @change as command @op. When it fails after recording an add (an op
 * journal_undoes()), the undo set with txn_on_failure() runs and the entry
 * is cleared (the first error's message kept); a removal stays recorded, for
 * the next command to finish. Returns @change's result.
 */
int txn_run(struct bpfnet *bn, enum journal_op op, txn_fn change, void *arg);

/* Netlink in the node's netns, opened on first use and closed by txn_run(). */
int txn_nl(struct txn *t, struct nl **nl);
/* What to run if the change fails from here on (see txn_run()). */
void txn_on_failure(struct txn *t, txn_undo_fn undo, void *arg);

/* Record the command's intent (op = t->op) and save the state. */
int txn_record(struct txn *t, const struct journal *j);
int txn_record_ep(struct txn *t, const struct ep_state *ep);
int txn_record_net(struct txn *t, const struct net_state *net);
int txn_record_ports(struct txn *t, const struct ep_state *ep,
		     const struct port_map *maps, size_t n);
/* The change is made: clear the entry and save the state, in one atomic write. */
int txn_commit(struct txn *t);

#endif
