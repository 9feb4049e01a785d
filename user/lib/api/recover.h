/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finishing or undoing the command a kill interrupted. */
#ifndef BPFNET_RECOVER_H
#define BPFNET_RECOVER_H

#include "api/internal.h"

/*
 * Finish or undo @st's pending command, clear it and save @st. The one
 * recovery used by txn_run() and check --repair; the handle remembers what
 * it recovered (journal_finished()).
 */
int journal_recover(struct bpfnet *bn, struct state *st);

#endif
