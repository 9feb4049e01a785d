/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the parts of spawn.h share among themselves (spawn.c, init.c,
 * rootfs.c, enter.c); nothing outside them includes this.
 *
 * The sync channel: a SOCK_SEQPACKET socketpair, both ends close-on-exec.
 * The parent sends one byte, "go", when its before_start hook is done; the
 * child sends at most one struct child_report (one message, so it arrives
 * whole) when a step before exec fails. EOF on the parent's end means every
 * copy of the child's end is gone: init closed its own after forking the
 * command, and the command's went with its execve() — the command runs.
 * A socket rather than a pipe so that the "go" to a child that already died
 * is an EPIPE (MSG_NOSIGNAL) and not a SIGPIPE that kills the caller.
 */
#ifndef BPFNET_RUN_SPAWN_INTERNAL_H
#define BPFNET_RUN_SPAWN_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include "spawn.h"

/* The exit code of a child that reported a failure before exec (as a shell's "not found"). */
#define SPAWN_FAILED_EXIT 127

struct child_report {
	int errnum;
	char msg[RUN_ERR_MAX];
};

/* Child side: send @e over @sync_fd and _exit(SPAWN_FAILED_EXIT). */
noreturn void child_fail(int sync_fd, const struct run_err *e);
/* Parent side: 0 on EOF (the command was exec'd), else -errnum with @e = the child's words. */
int child_report_read(int sync_fd, struct run_err *e);

/*
 * Child side: put stdio[i] (-1: keep the one inherited) on fd i, and move
 * *keep[0..nkeep) (-1 entries skipped) above them, close-on-exec; every other
 * descriptor is closed so that nothing of the caller (locks, sockets, the
 * state file) is held by the container.
 */
int child_arrange_fds(const int stdio[3], int **keep, int nkeep, struct run_err *e);

/*
 * In a forked child about to exec: default signal dispositions (SIG_IGN
 * survives execve), nothing blocked, then chdir(@workdir or "/") and
 * execvpe() with @envp as the environment (also the PATH searched). A
 * failure goes to @sync_fd with the reason. Never returns.
 */
noreturn void exec_command(char *const *argv, char *const *envp, const char *workdir,
			   int sync_fd);

/* In a user namespace whose maps are written: uid and gid 0 there, no supplementary groups. */
int become_userns_root(struct run_err *e);

/*
 * The caller's terminal (@fd, -1: stdin) for a command: whether it is one the
 * caller is the foreground of; lending it (container_wait() of @pid gives it
 * back to the caller's group); and, in the command's child, taking it: a
 * process group of its own made the terminal's foreground.
 */
bool terminal_is_ours(int fd);
void terminal_lend(int fd, pid_t pid);
void terminal_take_for_self(void);

/* After "go", in the child: what init is to run, and its fds (see init.c). */
struct init_args {
	char *const *argv;
	char *const *envp;
	const char *workdir;
	int status_fd;		/* -1: nowhere */
	int sync_fd;		/* closed once the command is forked */
	bool take_terminal;	/* stdin is the caller's foreground terminal: give it to the command */
};

/* Be the container's PID 1 until the command ends; exits with its status. */
noreturn void init_run(const struct init_args *a);

/*
 * The container's files (rootfs.c), in two steps around becoming the user
 * namespace's root. fs_prepare() still has the credentials cloned from the
 * caller (host root, unmapped inside): it opens the /etc sources, makes the
 * mount points a rootfs lacks (owned by host root, as the rootfs is) and
 * enters the rootfs's bind mount, so that directories of the host's closed
 * to the container's root (a 0700 run dir or temp dir above them) are behind
 * it. fs_finish(), with the container's credentials (a tmpfs mounted now is
 * its root's), mounts, pivots and binds /etc.
 */
#define FS_ETC_FILES 3		/* hosts, hostname, resolv.conf */
struct fs_setup {
	int etc[FS_ETC_FILES];	/* the /etc sources, detached bind mounts; -1: none */
	char root[PATH_MAX];	/* the rootfs, resolved; "" without one */
};
int fs_prepare(const struct spawn_spec *spec, struct fs_setup *fs, struct run_err *e);
int fs_finish(const struct spawn_spec *spec, struct fs_setup *fs, struct run_err *e);

#endif
