/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpfnet's container runtime (`bpfnet run`, exec, ps, logs, stop, rm): the
 * words its parts share. The runtime is a program over libbpfnet's public API
 * (include/bpfnet/) and the kernel, nothing of user/lib's internals; the CLI
 * calls it through cmd_run.h.
 *
 * Parts, a file (or two) each:
 *   spawn.h     the container's processes: clone, init as PID 1, rootfs, exec
 *   cgroup.h    limits in a cgroup of its own (v2 where the controller is, else v1)
 *   userns.h    uid/gid ranges for --userns, recorded so that none is shared
 *   netattach.h its network attachments through libbpfnet, /etc files
 *   record.h    what is known of each container, on disk, under a lock
 */
#ifndef BPFNET_RUN_H
#define BPFNET_RUN_H

#include <stdarg.h>
#include <stddef.h>
#include <bpfnet/bpfnet.h>

/* An error of the runtime: an errno (positive) and a sentence for the user. */
#define RUN_ERR_MAX 256
struct run_err {
	int errnum;
	char msg[RUN_ERR_MAX];
};

/* Fill @e (may be NULL) and return -@errnum: `return run_errf(e, EINVAL, "...")`. */
int run_errf(struct run_err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A container's name: [A-Za-z0-9][A-Za-z0-9_.-]*, shorter than RUN_NAME_MAX,
 * so that "NAME-eth9" is an endpoint name and NAME a netns and cgroup name.
 * Its ID: RUN_ID_LEN lowercase hex characters, random, the endpoints'
 * container_id. Default name: the ID's first RUN_SHORT_ID_LEN characters.
 */
#define RUN_NAME_MAX (BPFNET_NAME_MAX - 8)
#define RUN_ID_LEN 64
#define RUN_SHORT_ID_LEN 12
#define RUN_MAX_NETWORKS 8	/* --network given at most this often */

/* Where the runtime keeps things (each overridable for tests, see record.h). */
#define RUN_NETNS_DIR "/var/run/netns"	/* the container's netns, as `ip netns` keeps them */
#define RUN_CGROUP_PARENT "bpfnet"	/* below each hierarchy's root; $BPFNET_CGROUP_PARENT */

#endif
