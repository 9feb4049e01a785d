/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The conntrack table from the control plane: walking, collecting and pruning it. */
#ifndef BPFNET_CT_H
#define BPFNET_CT_H

#include <stdbool.h>
#include "core/core.h"
#include "dp/maps.h"
#include "bpfnet/abi.h"

/*
 * Decides whether a live flow (its original entry under @key, and its reply)
 * is to go: true removes it, counted as flushed.
 */
typedef bool (*ct_visit_fn)(const struct bpfnet_ct_key *key, const struct bpfnet_ct_entry *orig,
			    const struct bpfnet_ct_entry *reply, void *arg);

struct ct_walk_result {
	size_t live;		/* live flows the walk left in place */
	size_t entries;		/* entries it read, less those it removed */
	size_t flushed;		/* live flows removed at the visitor's word */
	struct bpfnet_ct_gc gc;	/* dead flows removed, by cause */
};

/*
 * One pass over the table (ct4 of @dp, with the endpoint maps whose
 * generations live) at monotonic time @now: every dead flow removed and
 * counted (in @cp's cp_stats, when not NULL), every live one shown to @visit
 * (may be NULL), which may have it removed too.
 */
int ct_walk_maps(struct dp *dp, struct dp_cp_stats *cp, __u64 now, ct_visit_fn visit, void *arg,
		 struct ct_walk_result *res);

/* The same now, counted in the instance's cp_stats. */
int ct_walk(struct dp *dp, ct_visit_fn visit, void *arg, struct ct_walk_result *res);

/* Delete every live flow that @pred accepts; *n (may be NULL) counts them. */
int ct_flush_matching(struct dp *dp, ct_visit_fn pred, void *arg, size_t *n);

/* bpfnet_ct__summary() on the maps of @dp. */
int ct_summary(struct dp *dp, struct bpfnet_ct_summary *out);

#endif
