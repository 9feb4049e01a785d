/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The conntrack table from the control plane: walking, collecting and pruning it. */
#ifndef BPFNET_CT_H
#define BPFNET_CT_H

#include <stdbool.h>
#include "api/internal.h"
#include "dp/datapath.h"
#include "bpfnet/abi.h"

/*
 * Decides whether a live flow (its original entry under @key, and its reply)
 * is to go: true removes it, counted as flushed.
 */
typedef bool (*ct_visit_fn)(const struct bpfnet_ct_key *key, const struct bpfnet_ct_entry *orig,
			    const struct bpfnet_ct_entry *reply, void *arg);

/* What a walk works on: the table, the endpoint maps (whose generations live), cp_stats. */
struct ct_maps {
	int ct_fd;
	int ep_fds[2];		/* ep_by_ip, ep_by_ifindex */
	struct dp_cp_stats *cp;
};

struct ct_walk_result {
	size_t live;		/* live flows the walk left in place */
	size_t entries;		/* entries it read, less those it removed */
	size_t flushed;		/* live flows removed at the visitor's word */
	struct bpfnet_ct_gc gc;	/* dead flows removed, by cause */
};

/*
 * One pass over the table at monotonic time @now: every dead flow removed
 * and counted, every live one shown to @visit (may be NULL), which may have
 * it removed too.
 */
int ct_walk_maps(const struct ct_maps *m, __u64 now, ct_visit_fn visit, void *arg,
		 struct ct_walk_result *res);

/* The same on the instance's pinned maps, now. */
int ct_walk(struct bpfnet *bn, ct_visit_fn visit, void *arg, struct ct_walk_result *res);

/* Delete every live flow that @pred accepts; *n (may be NULL) counts them. */
int ct_flush_matching(struct bpfnet *bn, ct_visit_fn pred, void *arg, size_t *n);

#endif
