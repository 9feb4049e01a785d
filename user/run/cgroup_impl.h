/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The insides of struct cgroup (cgroup.c), shared with its unit tests: the
 * directories, which role each serves, and the entry points that take the
 * hierarchies as an argument instead of reading /proc/self/mountinfo.
 */
#ifndef BPFNET_RUN_CGROUP_IMPL_H
#define BPFNET_RUN_CGROUP_IMPL_H

#include <stdbool.h>
#include "cgroup.h"
#include "mountinfo.h"

#define CG_PARENT_MAX 128		/* $BPFNET_CGROUP_PARENT's length at most */
#define CG_CPU_PERIOD_US 100000ULL	/* the CFS period when a quota comes without one */

/* What a container's cgroup is for, each served by one of its directories. */
enum cg_role {
	CG_ROLE_MEMORY,		/* the limit and its OOM kills */
	CG_ROLE_CPU,		/* the CFS quota */
	CG_ROLE_CPUACCT,	/* CPU time used */
	CG_ROLE_PIDS,		/* the number of tasks */
	CG_ROLES
};

struct cg_dir {
	char path[CG_PATH_MAX];		/* <mount>/<parent>/<name> */
	char mount[CG_PATH_MAX];	/* the hierarchy's mount point */
	bool v2;
	bool present;			/* on disk, as far as this handle knows */
	bool made;			/* by this cg_create(): removed again if it fails */
	int parents_made;		/* components of the parent it made */
};

struct cgroup {
	char name[RUN_NAME_MAX];
	char parent[CG_PARENT_MAX];
	struct cg_dir dir[CG_MOUNTS_MAX];
	size_t n;
	int role[CG_ROLES];		/* index into dir[], -1: no hierarchy has it */
	bool v2_ctl[CG_ROLES];		/* the role's controller is a v2 one (subtree_control) */
	int v2;				/* index of the v2 directory, -1: no v2 tree */
};

/* The directories of @name on @ms and their roles, nothing made or looked at. */
int cg_plan(const struct cg_mounts *ms, const char *name, struct cgroup **out, struct run_err *e);
/* cg_create() on the hierarchies @ms. */
int cg_create_on(const struct cg_mounts *ms, const char *name, const struct cg_limits *lim,
		 struct cgroup **out, struct run_err *e);
/* Is any of its directories on disk? */
bool cg_present(const struct cgroup *cg);
/* Read @path whole into @buf (NUL-terminated): its length or -errno. */
int cg_read_file(const char *path, char *buf, size_t len);

#endif
