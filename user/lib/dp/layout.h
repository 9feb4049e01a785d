/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The layout record (abi.h, BPFNET_MAP_LAYOUT): which layout version each
 * pinned map has, read by every command that opens a map and written by init.
 */
#ifndef BPFNET_DP_LAYOUT_H
#define BPFNET_DP_LAYOUT_H

#include <stdbool.h>
#include <linux/types.h>
#include "core/core.h"
#include "bpfnet/abi.h"

/* The layout version of map @name this binary reads and writes (BPFNET_FOREACH_MAP; 1 when unlisted). */
__u32 layout_of_binary(const char *name);
/* The record's fd; -ENOENT (no message) when the datapath has none (made before records). */
int layout_open(struct bpfnet *bn);
/* The record, created and pinned when there is none. */
int layout_open_or_create(struct bpfnet *bn);
/* Map @name's entry of the record at @fd (-1: none): {1, 0} when it has none. */
int layout_get(int fd, const char *name, struct bpfnet_layout_val *v);
int layout_put(int fd, const char *name, __u32 version, __u32 staged);
/* Is <pin dir>/@name<BPFNET_LAYOUT_STAGING> pinned, a migration's new map? */
bool layout_staging_pinned(struct bpfnet *bn, const char *name);
/*
 * May a command other than init use pinned map @name? Refused (-EPROTO, a
 * message naming the map and both versions and telling to run init) when
 * its layout is not this binary's, or a migration of it is unfinished.
 */
int layout_check(struct bpfnet *bn, const char *name);

/* One map of the binary's list as the record and the pins say (for status and check). */
struct layout_entry {
	const char *name;
	bool pinned;		/* a map is pinned under the name */
	bool staging;		/* and a migration's new one beside it */
	__u32 datapath;		/* the record's version of the pinned map */
	__u32 staged;		/* the record: a migration to this version is unfinished */
	__u32 binary;		/* this binary's */
};
/*
 * @cb for every map of BPFNET_FOREACH_MAP; *@abi the record's ABI version (0:
 * the datapath has no record). Stops at @cb's error.
 */
int layout_foreach(struct bpfnet *bn, int (*cb)(const struct layout_entry *e, void *arg),
		   void *arg, __u32 *abi);

#endif
