/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Network namespaces by name or path, and running code inside one. */
#ifndef BPFNET_NETNS_H
#define BPFNET_NETNS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Resolve @spec (a name as `ip netns` keeps them under /var/run/netns, or a
 * path such as /proc/PID/ns/net) into @path and open it. -ENOENT when it does
 * not exist, -EINVAL when it is not a network namespace.
 */
int netns_open(const char *spec, char *path, size_t path_len, int *fd);

/* 1 when the netns fds @fd_a and @fd_b are the same namespace, 0 when not, or -errno. */
int netns_same(int fd_a, int fd_b);
/* The identity netns_same() compares: the nsfs inode of @fd. */
int netns_ident(int fd, uint64_t *dev, uint64_t *ino);
/* netns_same() of @fd and the caller's own netns. */
int netns_is_current(int fd);

/* Run @fn(@arg) inside the netns @fd and always come back. Returns fn's result. */
int netns_run(int fd, int (*fn)(void *arg), void *arg);

#endif
