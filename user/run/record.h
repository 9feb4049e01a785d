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
 *
 * The process that waits for init (the foreground `bpfnet run`, or the
 * monitor of `run -d`) is the record's waiter: it tears the container down
 * when init ends. When it is gone (killed), whoever finds init dead does it
 * instead (record_refresh()).
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

#define RUN_MAX_PORTS 64	/* -p given at most this often */
#define RUN_MAX_ARGS 1024	/* words of the command, and -e variables, at most */
#define RUN_PORT_STR_MAX 64	/* a -p mapping as bpfnet_port_spec_str() writes it */

/* A process told apart from a later one with the same PID: its start time. */
struct proc_id {
	pid_t pid;			/* 0: none */
	uint64_t start_time;		/* /proc/PID/stat field 22 */
};

struct container_record {
	char id[RUN_ID_LEN + 1];
	char name[RUN_NAME_MAX];
	char instance[BPFNET_NAME_MAX];	/* the bpfnet instance of its networks */
	char bpffs[BPFNET_PATH_MAX];	/* the bpffs it was opened with; "": the default */
	char netns[BPFNET_PATH_MAX];	/* RUN_NETNS_DIR/<name>; "" for host networking */
	enum container_state state;
	pid_t init_pid;			/* 0 before it starts */
	uint64_t init_start_time;	/* /proc/PID/stat field 22: tells a reused PID apart */
	struct proc_id waiter;		/* who waits for init and tears it down */
	int exit_status;		/* -1: unknown */
	bool oom_killed;		/* its memory limit killed a process of it */
	bool detached, auto_remove, userns;
	struct userns_range userns_range;
	char **argv;			/* the command, NULL-terminated */
	char **env;			/* its environment (exec starts from it), NULL-terminated */
	char hostname[BPFNET_NAME_MAX];
	char rootfs[BPFNET_PATH_MAX];	/* "": the host's files */
	char workdir[BPFNET_PATH_MAX];	/* "": "/" */
	size_t n_nets;
	struct net_attachment nets[RUN_MAX_NETWORKS];
	size_t n_ports;
	char ports[RUN_MAX_PORTS][RUN_PORT_STR_MAX];	/* -p as given, normalized */
	char network_mode[BPFNET_NAME_MAX];	/* "networks" (nets[]), "none" or "host" */
	int64_t created;		/* CLOCK_REALTIME seconds, for ps */
};

/* ---- where things are ---- */

/* <run dir>/containers; made (0700) if missing by record_lock(). */
const char *record_root(void);
/* <run dir>/containers/<name>[/<file>] into @buf (BPFNET_PATH_MAX). -ENAMETOOLONG. */
int record_path(const char *name, const char *file, char *buf, size_t len);
/* The directory --userns ranges are taken in (userns.h): <run dir>/userns. */
const char *record_userns_dir(void);

/* Is @name a container name (run.h)? With @e: why not. */
bool record_name_valid(const char *name, struct run_err *e);

/* ---- the lock ---- */

/* Take <run dir>/containers/.lock (blocking): an fd to give to record_unlock(). */
int record_lock(struct run_err *e);
void record_unlock(int fd);

/* ---- records ---- */

/*
 * Read <name>'s record into @r (free with record_free()). -ENOENT none;
 * -EUCLEAN a file that is not a record as this writes them (@e says which
 * field), whatever it holds.
 */
int record_load(const char *name, struct container_record *r, struct run_err *e);
/* Make its directory if missing and write @r whole: temp file, fsync, rename. Hold the lock. */
int record_save(const struct container_record *r, struct run_err *e);
/* Remove <name>'s directory and all in it; none is 0. Hold the lock. */
int record_remove(const char *name, struct run_err *e);
/* Every record, oldest first; those that cannot be read are skipped, counted in *bad (or NULL). */
int record_list(struct container_record **out, size_t *count, size_t *bad, struct run_err *e);
/* The record named @word, or whose ID @word is a unique prefix of (docker's rule). */
int record_find(const char *word, struct container_record *r, struct run_err *e);
void record_free(struct container_record *r);
void record_list_free(struct container_record *list, size_t count);

/* ---- processes ---- */

/* @p's start time now; -ESRCH if there is no such process, or it is a zombie. */
int proc_start_time(pid_t pid, uint64_t *start_time);
/* Is @p the process it was (same PID, same start time, not a zombie)? */
bool proc_alive(const struct proc_id *p);
/* The caller as a struct proc_id. */
int proc_self(struct proc_id *p, struct run_err *e);
/* Is init of @r running now? */
bool record_init_alive(const struct container_record *r);

/*
 * @r as it is now: init gone means EXITED, with the status file's value (or
 * 128+9 when its memory limit killed it, -1 unknown). When its waiter is gone
 * too, its parts are torn down (under the lock: @lock_fd if the caller holds
 * it, -1 to take it) and the record saved as EXITED or, with --rm, removed:
 * then -ENOENT. An EXITED record is as it was.
 */
int record_refresh(struct container_record *r, int lock_fd, struct run_err *e);

/* The status init wrote to <name>/status; -1 if none (yet) or not a status. */
int record_read_status(const char *name);

const char *container_state_str(enum container_state s);

#endif
