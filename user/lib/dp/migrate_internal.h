/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The plan of a migration, shared by dp/migrate*.c only. */
#ifndef BPFNET_DP_MIGRATE_INTERNAL_H
#define BPFNET_DP_MIGRATE_INTERNAL_H

#include <limits.h>
#include "dp/migrate.h"
#include "dp/sizes.h"
#include "bpfnet/abi.h"

#define MIG_MAPS_MAX 64

struct mig_map {
	char name[BPFNET_LAYOUT_NAME_LEN];
	char path[PATH_MAX];
	char staging_path[PATH_MAX + 8];
	enum mig_action action;
	const struct mig_converter *conv;	/* NULL: the values are copied as they are */
	__u32 from, to;
	struct map_def have, want;
	bool staging_pinned;	/* <name>_new is there, from a killed run */
	bool staging_reuse;	/* ... and it is this migration's: filled, not made anew */
	int old_fd, new_fd;	/* during the migration */
	void *snap;		/* per-CPU counters as pass 1 read them, for pass 2's deltas */
	size_t n_copied;	/* entries pass 1 and pass 2 wrote */
	unsigned long long pass_ns[2];	/* how long each pass took */
};

struct mig_plan {
	char dir[PATH_MAX];
	size_t n;
	struct mig_map maps[MIG_MAPS_MAX];
	struct dp_sizes sizes;	/* of the big tables, resolved: what the load makes */
	unsigned long long copy_ns, staged_ns;	/* pass 1 began; the maps were marked staged */
};

/* Pass 1 (@second false) or 2 of map @m, from its old fd into its new one. */
int mig_copy_map(struct bpfnet *bn, struct mig_map *m, bool second);

#endif
