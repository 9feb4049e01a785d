/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The container's processes (spawn.c, init.c, rootfs.c, enter.c).
 *
 * container_spawn() clones the init process into new PID, mount, UTS, IPC and
 * (unless host networking) network namespaces, plus a user namespace with
 * --userns. The child stops on a socket until the parent has run @before_start
 * (uid/gid maps, the cgroup, the netns bind mount, the network attachments,
 * the /etc files), then:
 *   - unshares its cgroup namespace where the kernel has one (after it was
 *     moved into its cgroup, so that cgroup is its root), sets the hostname,
 *     brings lo up in a new netns;
 *   - with a rootfs: bind-mounts it onto itself; /proc of the new PID
 *     namespace, /sys read-only, a minimal /dev (null, zero, full, random,
 *     urandom, tty bind-mounted from the host's; pts, shm), /tmp; pivot_root,
 *     old root detached; the /etc files of spec->etc_dir (hosts, hostname,
 *     resolv.conf) bound in; without one: the host's files, own /proc (and
 *     /sys with its own network namespace);
 *   - forks the command (PID 2 in its namespace) and stays as PID 1: forwards
 *     every signal it can catch to it, reaps every orphan, and exits with the
 *     command's status as `docker run` reports it (0..255; 128+N for signal N).
 * Before exiting, init writes that status, in decimal with a newline, to
 * spec->status_fd (opened by the caller, inherited, so no path or permission
 * inside the container matters).
 *
 * init is PID 1 (comm and cmdline "bpfnet-init": not the caller's arguments
 * nor its environment), the command PID 2; init.c says why not the command
 * itself as PID 1. The container holds no descriptor of the caller's but
 * stdio (init also status_fd, which the command does not get): every other
 * one is closed in the child, close-on-exec or not, so that a lock or socket
 * of the caller is never kept by a container that outlives it.
 * The mount points a rootfs lacks (proc, sys, dev, tmp, etc/hosts, ...) are
 * made in it, also with a user namespace (before init becomes its root), and
 * the rootfs and etc_dir may lie below directories closed to that root.
 */
#ifndef BPFNET_RUN_SPAWN_H
#define BPFNET_RUN_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "run.h"

struct spawn_spec {
	const char *name;		/* the container's name (messages) */
	const char *hostname;		/* required: set in its UTS namespace */
	const char *rootfs;		/* NULL: the host's files, its own /proc */
	const char *etc_dir;		/* hosts, hostname, resolv.conf to bind over /etc's (NULL:
					 * none); with a rootfs, made there if missing; without,
					 * only over those the host has, in the container's mount
					 * namespace, as `ip netns exec` binds /etc/netns/NAME */
	char *const *argv;		/* the command; argv[0] is looked up in PATH */
	char *const *envp;		/* its whole environment */
	const char *workdir;		/* NULL: "/" */
	bool host_network;		/* no network namespace of its own */
	bool userns;			/* a user namespace; @before_start writes the maps */
	int stdio[3];			/* the command's stdin, stdout, stderr; -1: the caller's */
	int status_fd;			/* init writes the exit status here; -1: nowhere */
	bool foreground;		/* give the command the terminal of stdin, if it is one
					 * and the caller is its foreground: the command's group
					 * becomes the terminal's foreground (Ctrl-C reaches the
					 * command once, not the caller), and container_wait()
					 * gives it back to the caller */
	const char *cgroup_v2_dir;	/* NULL, or a cgroup v2 directory init is born in
					 * (clone3's CLONE_INTO_CGROUP): the hook need not
					 * move it there, which costs a migration */
};

/*
 * Runs in the parent once the child exists and waits: non-zero (a negative
 * errno, @e filled) kills the child, and container_spawn() fails with it.
 */
typedef int (*spawn_hook)(pid_t init_pid, void *arg, struct run_err *e);

/*
 * Start the container: *init_pid is its init as the caller's PID namespace
 * sees it. 0, or a negative errno with @e filled; on failure no process of it
 * is left. A setup step that fails in the child (a rootfs without /bin, the
 * command not found) is reported here with the child's words, not as a status.
 */
int container_spawn(const struct spawn_spec *spec, spawn_hook before_start, void *arg,
		    pid_t *init_pid, struct run_err *e);

/*
 * Wait for init @pid (a child of the caller), forwarding SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH the caller gets to it
 * meanwhile; *status as init_status_of() says. Those signals are unblocked
 * while it waits (one pending is forwarded then); handlers and mask are the
 * caller's again when it returns. 0 or a negative errno (of waitpid).
 * A caller that must not die of a Ctrl-C between container_spawn() and this
 * blocks those signals before the spawn (init and the command are not
 * affected: init blocks everything anyway, the command starts unblocked).
 */
int container_wait(pid_t pid, int *status);

/* A wait(2) status as `docker run` reports it: the exit code, or 128+N for signal N. */
int init_status_of(int wstatus);

/*
 * `bpfnet exec`: run @argv in every namespace of init @pid (user, mount, UTS,
 * IPC, net, PID, cgroup; what it has of them), as its child so that it is in
 * its PID namespace, with @envp and @workdir (NULL: "/"), and wait for it
 * (container_wait(): signals forwarded); *status as init_status_of(). The
 * caller has already joined the cgroup. The command has a process group of
 * its own, the terminal's foreground if stdin (stdio[0], -1: the caller's) is
 * a terminal the caller is the foreground of, given back after. A failure
 * before its exec (not found, no such workdir) is an error with its words.
 */
int container_exec(pid_t pid, char *const *argv, char *const *envp, const char *workdir,
		   const int stdio[3], int *status, struct run_err *e);

#endif
