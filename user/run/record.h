/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What is known of each container (record.c), kept where no process of
 * bpfnet has to live for it: <run dir>/containers/<name>/ (run dir:
 * $BPFNET_RUN_DIR, default /run/bpfnet), with
 *   container.json  the record below, written whole (temp file, rename)
 *   status          init's exit status (spawn.h), once it has ended
 *   log             stdout and stderr of a detached container
 *   hosts, hostname, resolv.conf   the files bound into its rootfs
 * and <run dir>/containers/.lock, an flock() every command that changes a
 * record holds. A record is written before anything of its container is
 * made, and every part it names is removed idempotently, so rm after a
 * process killed at any instant removes whatever there is.
 */
#ifndef BPFNET_RUN_RECORD_H
#define BPFNET_RUN_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "netattach.h"
#include "userns.h"

enum container_state {
	CONTAINER_CREATED,	/* recorded; its parts may be half made */
	CONTAINER_RUNNING,	/* init started (it may have died since: see record_refresh()) */
	CONTAINER_EXITED,	/* ended; exit_status known, or -1 */
};

struct container_record {
	char id[RUN_ID_LEN + 1];
	char name[RUN_NAME_MAX];
	char instance[BPFNET_NAME_MAX];	/* the bpfnet instance of its networks */
	char netns[BPFNET_PATH_MAX];	/* RUN_NETNS_DIR/<name>; "" for host networking */
	enum container_state state;
	pid_t init_pid;			/* 0 before it starts */
	uint64_t init_start_time;	/* /proc/PID/stat field 22: tells a reused PID apart */
	int exit_status;		/* -1: unknown */
	bool detached, auto_remove, userns;
	struct userns_range userns_range;
	char **argv;			/* the command, NULL-terminated */
	size_t n_nets;
	struct net_attachment nets[RUN_MAX_NETWORKS];
	char network_mode[BPFNET_NAME_MAX];	/* "bridge"-like: the networks; "none"; "host" */
	int64_t created;		/* CLOCK_REALTIME seconds, for ps */
};

#endif
