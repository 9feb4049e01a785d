/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sys: the system below the datapath: netlink (libmnl), netns, bpffs, the
 * node's addresses, veths, and the instance's files. Files here may use
 * model/ and core/, never dp/ or api/ (see core/core.h).
 *
 * The instance's files under its run dir (<run>/<instance>): state.json,
 * written atomically under the lock (readers without the lock see the old or
 * the new file, never half), the lock itself, and the intent journal's
 * records. All return 0 or -errno with the message set.
 */
#ifndef BPFNET_STORE_H
#define BPFNET_STORE_H

#include <stdbool.h>
#include "core/core.h"
#include "model/journal.h"
#include "model/state.h"

/* state.json larger than this is refused rather than parsed. */
#define STATE_FILE_MAX (64u << 20)

/* Exclusive per-instance lock around read-modify-write of state and maps. */
int bn_lock(struct bpfnet *bn);
void bn_unlock(struct bpfnet *bn);

/* The state as saved; an instance without a file is an empty state. */
int state_load(struct bpfnet *bn, struct state *st);
int state_save(struct bpfnet *bn, const struct state *st);
/* Remove state.json alone (the lock stays held); a missing file is fine. */
int state_unlink(struct bpfnet *bn);
/* Save @st with nothing pending; an instance left with nothing in it keeps no state file. */
int state_save_settled(struct bpfnet *bn, struct state *st);
/* Forget the instance: state file, lock and directory. */
int state_remove(struct bpfnet *bn);

/* Record @j as the pending command of @st and save the state (atomically). */
int journal_record(struct bpfnet *bn, struct state *st, const struct journal *j);
/* The command is done: clear the entry and save @st, in one atomic write. */
int journal_commit(struct bpfnet *bn, struct state *st);
/*
 * The command failed and undid itself: clear the entry and save @st, keeping
 * the command's own error message. An instance left empty keeps no state file.
 */
void journal_abandon(struct bpfnet *bn, struct state *st);

/*
 * Temp files of state saves that a kill interrupted (under the lock no save
 * is under way): @found (may be NULL) sees each name; @remove deletes them.
 */
int journal_stale_temp_files(struct bpfnet *bn, bool remove,
			     void (*found)(const char *name, void *arg), void *arg);

#endif
