/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The cgroup hierarchies this process sees (mountinfo.c), from
 * /proc/self/mountinfo (proc(5)): a line per mount,
 *   ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
 * with space, tab, newline and backslash in paths written as \040 \011 \012
 * \134. A cgroup v1 hierarchy is told by its super options ("rw,memory",
 * "rw,cpu,cpuacct", "rw,name=systemd"), the v2 tree by its fs type cgroup2.
 * Every line is hostile input: a malformed one is skipped, never half read.
 */
#ifndef BPFNET_RUN_MOUNTINFO_H
#define BPFNET_RUN_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "run.h"

#define CG_MOUNTS_MAX 32		/* hierarchies kept; a kernel has ~15 v1 controllers + v2 */
#define CG_PATH_MAX 512			/* a mount point or a directory below one */
#define CG_OPTS_MAX 256			/* a v1 hierarchy's super options */
#define MOUNTINFO_LINE_MAX 4096		/* longer lines are not a cgroup mount of ours: skipped */

/* One line of mountinfo, unescaped; the fields a cgroup needs. */
struct mountinfo_entry {
	unsigned int major, minor;	/* st_dev of its filesystem: one per cgroup hierarchy */
	char root[CG_PATH_MAX];		/* the mount's root inside its filesystem */
	char mount_point[CG_PATH_MAX];
	char fstype[64];
	char super_opts[CG_OPTS_MAX];
};

/* One cgroup hierarchy and where it is mounted. */
struct cg_mount {
	char path[CG_PATH_MAX];		/* mount point */
	unsigned int major, minor;	/* the hierarchy (bind mounts of it share these) */
	bool v2;			/* the unified tree */
	bool root_is_top;		/* the mount shows the hierarchy from its root "/" */
	char opts[CG_OPTS_MAX];		/* v1: super options but rw/ro: its controllers */
};

struct cg_mounts {
	struct cg_mount m[CG_MOUNTS_MAX];
	size_t n;
};

/* Parse one line (with or without its '\n'): 0, or -EINVAL when it is not a mountinfo line. */
int mountinfo_parse_line(const char *line, struct mountinfo_entry *out);
/* Undo mountinfo's octal escapes of @src into @dst (size @len): 0, -EINVAL on a bad one, -ENAMETOOLONG. */
int mountinfo_unescape(const char *src, char *dst, size_t len);
/* The cgroup mounts among the lines of @f (malformed lines skipped). */
int cg_mounts_read(FILE *f, struct cg_mounts *out);
/* The same from /proc/self/mountinfo. */
int cg_mounts_load(struct cg_mounts *out, struct run_err *e);
/* The v1 hierarchy with @controller ("memory", "name=systemd") among its options, or NULL. */
const struct cg_mount *cg_mounts_v1(const struct cg_mounts *ms, const char *controller);
/* The cgroup2 mount, or NULL. */
const struct cg_mount *cg_mounts_v2(const struct cg_mounts *ms);

#endif
