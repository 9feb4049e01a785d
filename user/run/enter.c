// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * container_exec(): a command in every namespace of a running container,
 * what `nsenter --target PID --all` does, in setns() calls.
 *
 * The namespaces are opened from /proc/PID/ns first, all of them, while the
 * host's /proc is still ours to look at; one equal to the caller's own (the
 * host's user or network namespace of a container without one) is left out,
 * since setns() into one's own user namespace is refused.
 *
 * The PID namespace applies to the children of the one that enters it: the
 * caller enters it for the fork alone and goes back to its own right after,
 * so the child is born in the container's PID namespace and the caller's
 * later children are not. The child then enters the rest in util-linux
 * nsenter's order and two passes: all but the user namespace first (a root
 * caller still has its privileges over them), then the user namespace and
 * whatever was refused before it (entering a user namespace drops what one
 * had outside, so it comes last when it lowers privilege, and first, as the
 * retry, when only it grants the right to the others).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "spawn_internal.h"

static const struct {
	int type;
	const char *name;
} namespaces[] = {
	{ CLONE_NEWUSER, "user" }, { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWIPC, "ipc" },
	{ CLONE_NEWUTS, "uts" },   { CLONE_NEWNET, "net" },	  { CLONE_NEWPID, "pid" },
	{ CLONE_NEWNS, "mnt" },
};
#define N_NS (sizeof(namespaces) / sizeof(namespaces[0]))
#define NS_USER 0
#define NS_PID 5

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* fds[i]: the container's namespace i, -1 where it is the caller's own or the kernel has none */
static int namespaces_open(pid_t pid, int fds[N_NS], struct run_err *e)
{
	char path[64];
	struct stat theirs, ours;

	for (size_t i = 0; i < N_NS; i++)
		fds[i] = -1;
	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return run_errf(e, ESRCH, "the container's init (process %d) is not running",
				(int)pid);
	for (size_t i = 0; i < N_NS; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, namespaces[i].name);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0 && errno == ENOENT && kill(pid, 0) == 0)
			continue;	/* the process is there, the kernel lacks this namespace */
		if (fds[i] < 0)
			return run_errf(e, errno, "cannot open the %s namespace of process %d: %s",
					namespaces[i].name, (int)pid, strerror(errno));
		snprintf(path, sizeof(path), "/proc/self/ns/%s", namespaces[i].name);
		if (fstat(fds[i], &theirs) == 0 && stat(path, &ours) == 0 &&
		    same_file(&theirs, &ours)) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	return 0;
}

static void namespaces_close(int fds[N_NS])
{
	for (size_t i = 0; i < N_NS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* in the child: nsenter's two passes, see the top of the file */
static int namespaces_enter(int fds[N_NS], struct run_err *e)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = pass ? 0 : 1; i < N_NS; i++) {
			if (fds[i] < 0 || i == NS_PID)
				continue;
			if (setns(fds[i], namespaces[i].type) < 0) {
				if (pass == 0)
					continue;
				return run_errf(e, errno, "cannot enter the container's %s namespace: %s",
						namespaces[i].name, strerror(errno));
			}
			close(fds[i]);
			fds[i] = -1;
		}
	}
	return 0;
}

static noreturn void exec_child(int fds[N_NS], char *const *argv, char *const *envp,
				const char *workdir, const int stdio[3], bool take_terminal,
				int sync_fd)
{
	bool userns = fds[NS_USER] >= 0;
	int *keep[] = { &sync_fd };
	struct run_err e = { 0 };

	if (namespaces_enter(fds, &e) || (userns && become_userns_root(&e)))
		child_fail(sync_fd, &e);
	/* after: this closes the namespace fds with everything else of the caller's */
	if (child_arrange_fds(stdio, keep, 1, &e))
		child_fail(sync_fd, &e);
	/*
	 * A group of its own in any case: Ctrl-C on the caller's terminal then
	 * reaches it once, either directly as the terminal's foreground or
	 * through the caller, which container_wait() forwards.
	 */
	if (take_terminal)
		terminal_take_for_self();
	else
		setpgid(0, 0);
	exec_command(argv, envp, workdir, sync_fd);
}

/* fork the child into the container's PID namespace (@pid_ns, -1: it has the caller's) */
static pid_t fork_into_pid_ns(int pid_ns, struct run_err *e)
{
	int own = -1, err;
	pid_t child;

	if (pid_ns >= 0) {
		own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (own < 0)
			return run_errf(e, errno, "cannot open our own PID namespace: %s",
					strerror(errno));
		if (setns(pid_ns, CLONE_NEWPID) < 0) {
			err = run_errf(e, errno, "cannot enter the container's PID namespace: %s",
				       strerror(errno));
			close(own);
			return err;
		}
	}
	child = fork();
	err = errno;
	if (own >= 0) {
		/* back to our own for the caller's later children; refused only if we are broken */
		if (setns(own, CLONE_NEWPID) < 0 && child > 0) {
			err = errno;
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			close(own);
			return run_errf(e, err, "cannot return to our own PID namespace: %s",
					strerror(err));
		}
		close(own);
	}
	if (child < 0)
		return run_errf(e, err, "cannot fork into the container: %s", strerror(err));
	return child;
}

int container_exec(pid_t pid, char *const *argv, char *const *envp, const char *workdir,
		   const int stdio[3], int *status, struct run_err *e)
{
	bool take_terminal = terminal_is_ours(stdio[0]);
	int fds[N_NS], sv[2], err;
	pid_t child;

	if (!argv || !argv[0] || !argv[0][0] || !envp)
		return run_errf(e, EINVAL, "exec needs a command and an environment");
	if ((err = namespaces_open(pid, fds, e)))
		goto out;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		err = run_errf(e, errno, "cannot make the exec's sync channel: %s", strerror(errno));
		goto out;
	}
	child = fork_into_pid_ns(fds[NS_PID], e);
	if (child == 0) {
		close(sv[0]);
		exec_child(fds, argv, envp, workdir, stdio, take_terminal, sv[1]);
	}
	close(sv[1]);
	if (child < 0) {
		err = child;
		close(sv[0]);
		goto out;
	}
	/* as the child does: so neither the terminal nor a forward races its setpgid() */
	setpgid(child, child);
	if (take_terminal)
		terminal_lend(stdio[0], child);
	err = child_report_read(sv[0], e);
	close(sv[0]);
	if (err) {
		/* container_wait() also takes the terminal back */
		container_wait(child, &(int){ 0 });
		goto out;
	}
	err = container_wait(child, status);
	if (err)
		run_errf(e, -err, "cannot wait for the exec'd command: %s", strerror(-err));
out:
	namespaces_close(fds);
	return err;
}
