/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --userns (userns.c): root inside a container is a range of unprivileged
 * uids and gids outside, RUN_USERNS_SIZE long, never shared by two
 * containers. A range is taken by linking a file holding the container's
 * name as <dir>/<first uid> (linkat() fails if it exists), so two runs at once
 * cannot take the same one and no lock is needed; it is given back by
 * removing that file.
 */
#ifndef BPFNET_RUN_USERNS_H
#define BPFNET_RUN_USERNS_H

#include <stdint.h>
#include <sys/types.h>
#include "run.h"

#define RUN_USERNS_FIRST 1000000U	/* the first range begins here, clear of /etc/subuid's usual 100000 */
#define RUN_USERNS_SIZE 65536U		/* uids (and gids) of one container, 0..65535 inside */
#define RUN_USERNS_RANGES 1024U		/* ranges at most */

struct userns_range {
	uint32_t host_first;		/* uid and gid outside of root inside */
	uint32_t count;
};

/* Take a free range for container @name under @dir (made if missing). -ENOSPC: none left. */
int userns_take(const char *dir, const char *name, struct userns_range *out, struct run_err *e);
/* Give it back; a range not taken is 0. */
int userns_release(const char *dir, const struct userns_range *r, struct run_err *e);
/* Write /proc/@pid/uid_map and gid_map: 0..count-1 inside to host_first.. outside. */
int userns_write_maps(pid_t pid, const struct userns_range *r, struct run_err *e);

#endif
