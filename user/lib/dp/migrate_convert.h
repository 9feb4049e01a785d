/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The converters of a migration: one entry's value from one layout version
 * of a map to another (the structs of dp/layouts.h). Keys never change
 * between the layouts known so far; a map whose version is the same on both
 * sides (a new size only) is copied as it is, with no converter.
 */
#ifndef BPFNET_DP_MIGRATE_CONVERT_H
#define BPFNET_DP_MIGRATE_CONVERT_H

#include <stddef.h>
#include <linux/types.h>

struct mig_converter {
	const char *family;	/* the maps it serves, see mig_converter_find() */
	__u32 from, to;		/* layout versions */
	__u32 from_size, to_size;	/* value sizes of those versions */
	void (*convert)(const void *in, void *out);
};

/* The converter of map @map's values from version @from to @to; NULL when there is none. */
const struct mig_converter *mig_converter_find(const char *map, __u32 from, __u32 to);
/* The highest layout version of @map any converter knows (1 when none does). */
__u32 mig_known_version(const char *map);

#endif
