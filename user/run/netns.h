/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A container's network namespace kept as `ip netns add` keeps them
 * (netns.c): RUN_NETNS_DIR made a shared mount point of itself (so that the
 * bind mounts in it propagate to every mount namespace), an empty file
 * RUN_NETNS_DIR/<name>, and /proc/<init>/ns/net bind-mounted onto it. `ip
 * netns exec <name>` and every other tool that knows that directory find it.
 */
#ifndef BPFNET_RUN_NETNS_H
#define BPFNET_RUN_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "run.h"

/* RUN_NETNS_DIR/<name> into @buf; -ENAMETOOLONG. */
int netns_path(const char *name, char *buf, size_t len);
/* Is @path exactly RUN_NETNS_DIR/<name>? */
bool netns_path_is(const char *path, const char *name);
/* Is there a netns named @name (a file in RUN_NETNS_DIR) already? */
bool netns_exists(const char *name);
/* Bind the network namespace of @pid to RUN_NETNS_DIR/<name>; -EEXIST if the name is taken. */
int netns_bind(const char *name, pid_t pid, struct run_err *e);
/* Unmount (detached) and remove @path; nothing there is 0. */
int netns_unbind(const char *path, struct run_err *e);

#endif
