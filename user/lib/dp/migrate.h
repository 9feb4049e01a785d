/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Migration of the pinned maps at init (issue 12). Before anything changes,
 * every map of the binary's object is decided: created (not pinned), reused
 * (same layout version and shape), migrated (a converter from the pinned
 * version exists, or only the size changed) or refused (the whole init is,
 * naming the map and both versions). A migrated map is made beside the old
 * one as <name>_new, filled (pass 1), the new programs attached against it,
 * the entries the old programs wrote meanwhile copied (pass 2), and then
 * renamed over the old name; the layout record says where each map is, so
 * that an init killed at any step is completed by the next (layout.h).
 */
#ifndef BPFNET_DP_MIGRATE_H
#define BPFNET_DP_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "core/core.h"
#include "dp/migrate_convert.h"

struct dp;
struct dp_sizes;

/* What a map is made of, as the kernel reports it and the object defines it. */
struct map_def {
	__u32 type, key_size, value_size, max_entries, flags;
};

enum mig_action {
	MIG_CREATE,	/* not pinned: the load makes it */
	MIG_REUSE,	/* pinned as the binary wants it */
	MIG_MIGRATE,	/* converted into a new map */
	MIG_REFUSE,	/* no way from the pinned map to the binary's */
};

/* One map's decision's input: what is pinned, what the binary wants. */
struct mig_in {
	const char *name;
	bool pinned;
	struct map_def have, want;
	__u32 from, to;		/* layout versions: the pinned map's, the binary's */
};

struct mig_decision {
	enum mig_action action;
	const struct mig_converter *conv;	/* MIG_MIGRATE across versions */
	char why[256];				/* MIG_REFUSE: the message */
};

/* The decision for one map (pure: no kernel, no files). */
void mig_decide(const struct mig_in *in, struct mig_decision *d);

struct mig_plan;

/*
 * Every map decided (*out allocated; free with mig_plan_free()), nothing
 * changed; -EPROTO with the message of the first refused map. @sizes (NULL:
 * keep every size) the tables' sizes init was asked for (sizes.h): a new one
 * migrates the maps of its group; -ENOSPC one smaller than their entries.
 */
int mig_plan(struct bpfnet *bn, const struct dp_sizes *sizes, struct mig_plan **out);
/* The sizes the load gives the big tables (dp_sizes_apply()). */
const struct dp_sizes *mig_plan_sizes(const struct mig_plan *p);
void mig_plan_free(struct mig_plan *p);
/* Does the plan migrate any map? */
bool mig_plan_migrates(const struct mig_plan *p);
/* The pin path the load gives map @name: its staging pin when migrated, else NULL. */
const char *mig_pin_path(const struct mig_plan *p, const char *name);
/* A name and its action, for the plan's log and the tests. */
enum mig_action mig_plan_action(const struct mig_plan *p, const char *name);

/*
 * Before the load: staging pins of killed runs that cannot be reused removed,
 * the layout record made if none, the created and reused maps' entries written.
 */
int mig_prepare(struct bpfnet *bn, struct mig_plan *p);
/* After the load: pass 1 into every new map, then the record marks them staged. */
int mig_copy(struct bpfnet *bn, struct mig_plan *p);
/* @dp's maps that are migrated: the new ones, for the writes of the rest of init. */
int mig_adopt(struct dp *dp, const struct mig_plan *p);
/* After the new programs are attached: pass 2, the renames, the record. */
int mig_finish(struct bpfnet *bn, struct mig_plan *p);

/* Test hook: stop forever at step @step when $BPFNET_TEST_MIGRATE_PAUSE names it. */
void mig_pause_at(const char *step);

#endif
