// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * container_spawn() and container_wait(): the clone of init into its new
 * namespaces, the handshake with the caller's before_start hook, the errors
 * of the child before exec, and the wait that forwards the caller's signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "spawn_internal.h"

#define GO_BYTE 'g'

/* What the child needs of its parent's frame; it has a copy of the memory (no CLONE_VM). */
struct child_args {
	const struct spawn_spec *spec;
	int sync_fd;		/* the child's end of the sync channel */
	bool take_terminal;
};

/*
 * The terminal lent to a foreground container (or exec): the command's
 * process group is made the terminal's foreground group (so Ctrl-C reaches it
 * once, not also the caller and init), and container_wait() of that init
 * gives it back to the caller's group, which init cannot name: it is outside
 * its PID namespace.
 */
static struct {
	pid_t init_pid;
	int fd;
	pid_t pgrp;
} lent_terminal = { .init_pid = -1, .fd = -1 };

noreturn void child_fail(int sync_fd, const struct run_err *e)
{
	struct child_report r = { .errnum = e->errnum };

	snprintf(r.msg, sizeof(r.msg), "%s", e->msg);
	/* one message: it arrives whole or, if the parent is gone, not at all */
	send(sync_fd, &r, sizeof(r), MSG_NOSIGNAL);
	_exit(SPAWN_FAILED_EXIT);
}

int child_report_read(int sync_fd, struct run_err *e)
{
	struct child_report r;
	ssize_t n;

	do
		n = recv(sync_fd, &r, sizeof(r), 0);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n < 0)
		return run_errf(e, errno, "cannot read what the container's init reports: %s",
				strerror(errno));
	if (n != sizeof(r) || r.errnum <= 0)
		return run_errf(e, EPROTO, "the container's init sent a malformed report");
	r.msg[sizeof(r.msg) - 1] = '\0';
	return run_errf(e, r.errnum, "%s", r.msg);
}

/* fd's close-on-exec duplicate at 3 or above, @fd closed: out of the stdio slots' way */
static int fd_move_up(int fd, struct run_err *e)
{
	int up = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (up < 0)
		return run_errf(e, errno, "cannot duplicate descriptor %d: %s", fd, strerror(errno));
	close(fd);
	return up;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* close every descriptor from 3 up except the sorted @keep */
static void close_all_but(int *keep, int nkeep)
{
	unsigned int from = 3;

	qsort(keep, nkeep, sizeof(*keep), cmp_int);
	for (int i = 0; i < nkeep; i++) {
		if (keep[i] < 0)
			continue;
		if ((unsigned int)keep[i] > from)
			close_range(from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

int child_arrange_fds(const int stdio[3], int **keep, int nkeep, struct run_err *e)
{
	int up[3] = { -1, -1, -1 }, kept[8];

	if (nkeep > (int)(sizeof(kept) / sizeof(kept[0])))
		return run_errf(e, EINVAL, "too many descriptors to keep");
	/* first everything up and out of the way: a caller's stdio may be any number, also 0..2 */
	for (int i = 0; i < nkeep; i++) {
		if (*keep[i] >= 0 && *keep[i] < 3) {
			*keep[i] = fd_move_up(*keep[i], e);
			if (*keep[i] < 0)
				return *keep[i];
		}
	}
	for (int i = 0; i < 3; i++) {
		if (stdio[i] >= 0 && stdio[i] != i) {
			up[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
			if (up[i] < 0)
				return run_errf(e, errno, "cannot use descriptor %d as the container's %s: %s",
						stdio[i], i == 0 ? "stdin" : i == 1 ? "stdout" : "stderr",
						strerror(errno));
		}
	}
	for (int i = 0; i < 3; i++) {
		/* dup2() leaves the copy without close-on-exec: stdio is what the command inherits */
		if (up[i] >= 0 && dup2(up[i], i) < 0)
			return run_errf(e, errno, "cannot install the container's stdio: %s",
					strerror(errno));
		if (stdio[i] == i)
			fcntl(i, F_SETFD, 0);
	}
	for (int i = 0; i < nkeep; i++) {
		kept[i] = *keep[i];
		/* init keeps them, the command must not: init never execs, the command does */
		if (kept[i] >= 0)
			fcntl(kept[i], F_SETFD, FD_CLOEXEC);
	}
	close_all_but(kept, nkeep);
	return 0;
}

/* wait for the parent's "go"; anything else (its death, its hook's failure) ends the child */
static void child_wait_for_go(int sync_fd)
{
	char c = 0;
	ssize_t n;

	do
		n = recv(sync_fd, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != GO_BYTE)
		_exit(SPAWN_FAILED_EXIT);
}

/*
 * With a user namespace, the parent's hook has written the maps by now: become
 * its root (uid and gid 0 inside, the range's first outside). setgroups() may
 * be denied by /proc/PID/setgroups; no supplementary groups then is what we
 * want anyway, since the host's would be unmapped.
 */
int become_userns_root(struct run_err *e)
{
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return run_errf(e, errno, "cannot drop the supplementary groups: %s",
				strerror(errno));
	if (setresgid(0, 0, 0) < 0)
		return run_errf(e, errno, "cannot become gid 0 in the user namespace "
				"(is gid 0 mapped?): %s", strerror(errno));
	if (setresuid(0, 0, 0) < 0)
		return run_errf(e, errno, "cannot become uid 0 in the user namespace "
				"(is uid 0 mapped?): %s", strerror(errno));
	return 0;
}

/*
 * The cgroup namespace comes after "go", not with the clone: by then the hook
 * has moved the child into the container's cgroup, which so becomes the root
 * of what the container sees in /proc/self/cgroup and a cgroup mount.
 */
static int unshare_cgroup_ns(struct run_err *e)
{
	if (access("/proc/self/ns/cgroup", F_OK) < 0)
		return 0;	/* a kernel without cgroup namespaces */
	if (unshare(CLONE_NEWCGROUP) < 0)
		return run_errf(e, errno, "cannot make a cgroup namespace: %s", strerror(errno));
	return 0;
}

/* lo up in the new network namespace, with the ioctl `ip link set lo up` ends in */
static int loopback_up(struct run_err *e)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s, err = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return run_errf(e, errno, "cannot open a socket to bring lo up: %s", strerror(errno));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		err = run_errf(e, errno, "cannot read the flags of lo: %s", strerror(errno));
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			err = run_errf(e, errno, "cannot bring lo up: %s", strerror(errno));
	}
	close(s);
	return err;
}

/* after "go": the child becomes the container, everything but the command itself */
static int child_setup(const struct spawn_spec *spec, struct run_err *e)
{
	struct fs_setup fs;
	int err;

	if ((err = unshare_cgroup_ns(e)))
		return err;
	if (sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return run_errf(e, errno, "cannot set the hostname to '%s': %s", spec->hostname,
				strerror(errno));
	if (!spec->host_network && (err = loopback_up(e)))
		return err;
	if ((err = fs_prepare(spec, &fs, e)) ||
	    (spec->userns && (err = become_userns_root(e))))
		return err;
	return fs_finish(spec, &fs, e);
}

static int child_main(void *arg)
{
	struct child_args *a = arg;
	const struct spawn_spec *spec = a->spec;
	int status_fd = spec->status_fd;
	int *keep[] = { &a->sync_fd, &status_fd };
	struct init_args init = {
		.argv = spec->argv,
		.envp = spec->envp,
		.workdir = spec->workdir,
		.take_terminal = a->take_terminal,
	};
	struct run_err e = { 0 };

	if (child_arrange_fds(spec->stdio, keep, 2, &e))
		child_fail(a->sync_fd, &e);
	child_wait_for_go(a->sync_fd);
	if (child_setup(spec, &e))
		child_fail(a->sync_fd, &e);
	init.sync_fd = a->sync_fd;
	init.status_fd = status_fd;
	init_run(&init);
}

static uint64_t clone_flags(const struct spawn_spec *spec)
{
	uint64_t flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;

	if (!spec->host_network)
		flags |= CLONE_NEWNET;
	/* created first by the kernel, so the other namespaces of this clone are owned by it */
	if (spec->userns)
		flags |= CLONE_NEWUSER;
	return flags;
}

/*
 * clone3() rather than glibc's clone(): it can have the child born in the
 * container's cgroup v2 (CLONE_INTO_CGROUP), which spares the hook a write of
 * cgroup.procs, a migration that waits for an RCU grace period (~14 ms on
 * this machine). Without a stack of its own the child returns here like from
 * fork(); what glibc's fork() adds (atfork handlers, locks of other threads)
 * is for threads the runtime does not have, and init forks the command with
 * glibc's fork().
 *
 * Every signal is blocked across it: the child starts as PID 1 of its
 * namespace, where a signal it has no handler for would be dropped, but a
 * blocked one stays pending until init's sigwaitinfo() takes it (a `stop`
 * right at the start is not lost).
 */
static pid_t clone_child(struct child_args *args, struct run_err *e)
{
	const struct spawn_spec *spec = args->spec;
	struct clone_args ca = { .flags = clone_flags(spec), .exit_signal = SIGCHLD };
	sigset_t all, old;
	int cgroup = -1, err;
	pid_t pid;

	if (spec->cgroup_v2_dir) {
		cgroup = open(spec->cgroup_v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cgroup < 0)
			return run_errf(e, errno, "cannot open the cgroup %s: %s",
					spec->cgroup_v2_dir, strerror(errno));
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = cgroup;
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		_exit(child_main(args));
	err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (cgroup >= 0)
		close(cgroup);
	if (pid < 0 && spec->cgroup_v2_dir)
		return run_errf(e, err, "cannot clone the container '%s' into new namespaces "
				"and the cgroup %s: %s", spec->name, spec->cgroup_v2_dir,
				strerror(err));
	if (pid < 0)
		return run_errf(e, err, "cannot clone the container '%s' into new namespaces: %s",
				spec->name, strerror(err));
	return pid;
}


bool terminal_is_ours(int fd)
{
	if (fd < 0)
		fd = STDIN_FILENO;
	return isatty(fd) && tcgetpgrp(fd) == getpgrp();
}

void terminal_lend(int fd, pid_t pid)
{
	if (fd < 0)
		fd = STDIN_FILENO;
	if (lent_terminal.fd >= 0)
		close(lent_terminal.fd);
	lent_terminal.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	lent_terminal.pgrp = getpgrp();
	lent_terminal.init_pid = pid;
}

void terminal_take_for_self(void)
{
	sigset_t ttou, old;

	setpgid(0, 0);
	/* a background group's tcsetpgrp() would get SIGTTOU, unless it is blocked */
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(STDIN_FILENO, getpgrp());
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* after @pid ended: the terminal back to the caller's group, if it was lent */
static void take_back_terminal(pid_t pid)
{
	sigset_t ttou, old;

	if (lent_terminal.init_pid != pid || lent_terminal.fd < 0)
		return;
	/* we are a background group now: a blocked SIGTTOU lets tcsetpgrp() through */
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(lent_terminal.fd, lent_terminal.pgrp);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(lent_terminal.fd);
	lent_terminal.fd = -1;
	lent_terminal.init_pid = -1;
}

static void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	take_back_terminal(pid);
}

static int spec_check(const struct spawn_spec *spec, struct run_err *e)
{
	if (!spec->hostname || !spec->hostname[0])
		return run_errf(e, EINVAL, "the container needs a hostname");
	if (!spec->argv || !spec->argv[0] || !spec->argv[0][0])
		return run_errf(e, EINVAL, "the container needs a command");
	if (!spec->envp)
		return run_errf(e, EINVAL, "the container needs an environment (it may be empty)");
	return 0;
}

/* the parent's half of the handshake: the hook, "go", then what the child reports */
static int parent_sync(pid_t pid, int sync_fd, spawn_hook before_start, void *arg,
		       struct run_err *e)
{
	char go = GO_BYTE;
	int err;

	if (before_start && (err = before_start(pid, arg, e)))
		return err < 0 ? err : run_errf(e, EIO, "the container's setup failed");
	if (send(sync_fd, &go, 1, MSG_NOSIGNAL) != 1) {
		/* the child is gone already: it may have said why */
		err = child_report_read(sync_fd, e);
		return err ? err : run_errf(e, ECHILD, "the container's init ended before it started");
	}
	return child_report_read(sync_fd, e);
}

int container_spawn(const struct spawn_spec *spec, spawn_hook before_start, void *arg,
		    pid_t *init_pid, struct run_err *e)
{
	struct child_args args = { .spec = spec };
	int sv[2], err;
	pid_t pid;

	if ((err = spec_check(spec, e)))
		return err;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return run_errf(e, errno, "cannot make the container's sync channel: %s",
				strerror(errno));
	args.sync_fd = sv[1];
	args.take_terminal = spec->foreground && terminal_is_ours(spec->stdio[0]);
	pid = clone_child(&args, e);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return pid;
	}
	/* lent from now: the command may take it before its exec fails */
	if (args.take_terminal)
		terminal_lend(spec->stdio[0], pid);
	err = parent_sync(pid, sv[0], before_start, arg, e);
	close(sv[0]);
	if (err) {
		kill_and_reap(pid);
		return err;
	}
	*init_pid = pid;
	return 0;
}

int init_status_of(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

static const int forwarded_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
};
#define N_FORWARDED (sizeof(forwarded_signals) / sizeof(forwarded_signals[0]))

static volatile sig_atomic_t forward_to = -1;

static void forward_signal(int sig)
{
	int saved = errno;

	if (forward_to > 0)
		kill(forward_to, sig);
	errno = saved;
}

/*
 * Handlers that pass the signal on, and those signals unblocked while we wait:
 * one the caller blocked and got before calling us is delivered (and
 * forwarded) now instead of after init ended.
 */
int container_wait(pid_t pid, int *status)
{
	struct sigaction fwd = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
	struct sigaction old[N_FORWARDED];
	sigset_t set, oldmask;
	int ws = 0, err = 0;
	pid_t r;

	if (pid <= 0)
		return -EINVAL;
	sigemptyset(&set);
	sigfillset(&fwd.sa_mask);
	forward_to = pid;
	for (size_t i = 0; i < N_FORWARDED; i++) {
		sigaction(forwarded_signals[i], &fwd, &old[i]);
		sigaddset(&set, forwarded_signals[i]);
	}
	sigprocmask(SIG_UNBLOCK, &set, &oldmask);
	do
		r = waitpid(pid, &ws, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		err = -errno;
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaction(forwarded_signals[i], &old[i], NULL);
	forward_to = -1;
	take_back_terminal(pid);
	if (!err)
		*status = init_status_of(ws);
	return err;
}
