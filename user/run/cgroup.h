/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A container's cgroup (cgroup.c, mountinfo.c): one directory per hierarchy
 * the container's controllers live on, found in /proc/self/mountinfo. On a
 * pure v2 host that is one directory; on this machine's hybrid layout (v1
 * controllers, cgroup2 apart at /sys/fs/cgroup/unified) memory, cpu and pids
 * are each where they are mounted: the v2 tree when the controller is enabled
 * there, else its v1 hierarchy. The container is always put in the v2 tree
 * when one is mounted (the socket hooks and cgroup.kill live there), in a v1
 * hierarchy only for a limit set there (each move costs an RCU grace period).
 *
 * The directory is <hierarchy root>/<parent>/<name>; parent is
 * RUN_CGROUP_PARENT or $BPFNET_CGROUP_PARENT (tests give their own).
 */
#ifndef BPFNET_RUN_CGROUP_H
#define BPFNET_RUN_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "run.h"

/* Limits; 0 is "none" for each. */
struct cg_limits {
	uint64_t memory_bytes;		/* --memory: memory.max / memory.limit_in_bytes */
	uint64_t cpu_quota_us;		/* --cpus N: N * cpu_period_us per period */
	uint64_t cpu_period_us;		/* 0 with a quota: 100000 */
	uint64_t pids_max;		/* --pids */
};

/* What the caller needs to check limits before anything is made. */
int cg_limits_parse_memory(const char *s, uint64_t *bytes, struct run_err *e); /* 64m, 1g, 67108864 */
int cg_limits_parse_cpus(const char *s, struct cg_limits *lim, struct run_err *e); /* 0.2, 1.5 */
int cg_limits_parse_pids(const char *s, uint64_t *max, struct run_err *e);

struct cgroup;

/* Make (or, when it exists empty, take) the cgroup @name with @lim; all or nothing. */
int cg_create(const char *name, const struct cg_limits *lim, struct cgroup **out,
	      struct run_err *e);
/* The cgroup @name as it is on disk (exec, stop, rm); -ENOENT if none of its dirs is left. */
int cg_open(const char *name, struct cgroup **out, struct run_err *e);
void cg_free(struct cgroup *cg);

/* Move @pid (0: the caller) into every directory of @cg. */
int cg_attach(struct cgroup *cg, pid_t pid, struct run_err *e);
/*
 * The v2 directory (NULL: none), for a process to be born in
 * (spawn_spec.cgroup_v2_dir), and cg_attach() of such a process: every
 * directory but that one. A v1 hierarchy has a directory only for a limit set
 * on it (cg_create()), so without one the container is never moved.
 */
const char *cg_v2_dir(const struct cgroup *cg);
int cg_attach_v1(struct cgroup *cg, pid_t pid, struct run_err *e);
/* The processes in it now (v2 tree, else the first hierarchy); *pids malloc()ed. */
int cg_pids(struct cgroup *cg, pid_t **pids, size_t *count, struct run_err *e);
/* Signal every process in it (cgroup.kill for SIGKILL where the kernel has it). */
int cg_signal(struct cgroup *cg, int sig, struct run_err *e);
/* Did the memory limit kill a process in it (memory.events oom_kill, v1 oom_control)? */
int cg_oom_killed(struct cgroup *cg, bool *killed, struct run_err *e);
/* CPU time its processes used, in nanoseconds (cpu.stat usage_usec, cpuacct.usage). */
int cg_cpu_usage_ns(struct cgroup *cg, uint64_t *ns, struct run_err *e);
/*
 * Kill what is left in it, wait for it to empty and remove every directory
 * (the parent's too, while they are empty: nothing else is in them then).
 * Idempotent: a cgroup gone already is 0. -EBUSY when a process would not die
 * within a second, or when the caller itself is in it.
 */
int cg_remove(struct cgroup *cg, struct run_err *e);
/* The same by name, for rm after a crash: 0 when none of it exists. */
int cg_remove_name(const char *name, struct run_err *e);
/*
 * The directory serving @controller ("memory", "cpu", "cpuacct", "pids"; NULL:
 * the v2 tree's), for reading its files; NULL when no hierarchy has it.
 */
const char *cg_path(const struct cgroup *cg, const char *controller);
/* Is that directory a cgroup v2 one (memory.max, cpu.max) rather than v1? */
bool cg_path_is_v2(const struct cgroup *cg, const char *controller);

#endif
