/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the commands of the runtime share (teardown.c, report.c): ending a
 * container's life and saying what went wrong in the CLI's words.
 */
#ifndef BPFNET_RUN_LIFECYCLE_H
#define BPFNET_RUN_LIFECYCLE_H

#include <stdbool.h>
#include "cmd_run.h"
#include "record.h"

/*
 * Remove every part of @r whose init has ended (or is to be killed with the
 * cgroup): its endpoints (by container ID), its cgroup (after asking whether
 * its memory limit killed something: then status 128+9), its netns bind and
 * its userns range; then save it EXITED with @status (-1: unknown) or, with
 * --rm, remove it (-ENOENT afterwards, so callers know it is gone). Each step
 * is idempotent; hold the lock. On a failure the record stays, naming what
 * is left for the next rm.
 */
int container_teardown(struct container_record *r, int status, struct run_err *e);

/*
 * Give back every --userns range taken in the name of container @name (its
 * file holds the name, userns.h): a run killed between userns_take() and the
 * save of its record leaves one that no record names. Hold the lock.
 */
int userns_release_named(const char *name, struct run_err *e);

/* Open the bpfnet instance of @r (its instance and bpffs). */
int record_open_instance(const struct container_record *r, struct bpfnet **bn, struct run_err *e);

/*
 * Send @sig to init of @r, and wait up to @timeout_ms for it to end (0: no
 * wait); true when it has.
 */
bool container_signal_init(const struct container_record *r, int sig, int timeout_ms);
/* SIGKILL every process of its cgroup and wait (2 s at most) for init to end. */
int container_kill(const struct container_record *r, struct run_err *e);

/* ---- errors, through the CLI's reporter ---- */

/* A usage error (exit 2): the command line is wrong. */
int run_usage(const struct run_globals *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A failure in @e: the CLI's code and exit status for its errno. */
int run_fail(const struct run_globals *g, const struct run_err *e);
/* The same from an errno and words. */
int run_failf(const struct run_globals *g, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
