// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The container's init, PID 1 of its namespace, what docker-init (tini) is:
 * it forks the command (PID 2), passes every signal it gets on to it, reaps
 * every orphan the namespace hands it, and ends with the command's status.
 *
 * Why not exec the command as PID 1 (the "the command is PID 1")?
 * A PID 1 gets only the signals it has a handler for — a command that never
 * expected to be init ignores `stop`'s SIGTERM and Ctrl-C — and the zombies of
 * every orphan would pile up unreaped. The issue asks for both ("a small init
 * as PID 1 that forwards signals and reaps orphans"); so, as with
 * `docker run --init`, PID 1 is this init (named "bpfnet-init") and the
 * command is its only child, PID 2, seeing exactly the same namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "procstat.h"
#include "spawn_internal.h"

#define INIT_NAME "bpfnet-init"	/* its comm, what `ps` shows for PID 1 */

extern char **environ;

/* SIG_DFL for every signal, nothing blocked: what a freshly exec'd program expects */
static void reset_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);	/* EINVAL for SIGKILL, SIGSTOP, libc's own: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

noreturn void exec_command(char *const *argv, char *const *envp, const char *workdir,
			   int sync_fd)
{
	const char *dir = workdir ? workdir : "/";
	struct run_err e = { 0 };

	reset_signals();
	if (chdir(dir) < 0) {
		run_errf(&e, errno, "cannot change into the working directory %s: %s", dir,
			 strerror(errno));
		child_fail(sync_fd, &e);
	}
	/* execvpe() searches the PATH of environ, not of its envp: make them the same */
	environ = (char **)envp;
	execvpe(argv[0], argv, envp);
	run_errf(&e, errno, "cannot run %s: %s", argv[0], strerror(errno));
	child_fail(sync_fd, &e);
}

/*
 * init is a copy of the caller: its /proc/1/cmdline and environ would show the
 * container the caller's arguments and environment (`bpfnet run -e K=V ...`
 * and whatever the host's shell had). Overwrite both areas, as
 * setproctitle() does; their bounds are fields 48..51 of /proc/self/stat.
 * Cosmetic for the name, so a failure leaves them as they are. After the
 * command is forked, which has its own copy of those strings.
 */
static void forget_caller_cmdline(char *const *envp)
{
	unsigned long area[4];	/* arg_start, arg_end, env_start, env_end */
	const char *fields, *p;
	char buf[1024];

	if (proc_stat_read(0, buf, sizeof(buf), &fields))
		return;
	p = proc_stat_field(fields, 48);
	if (!p || sscanf(p, "%lu %lu %lu %lu", &area[0], &area[1], &area[2], &area[3]) != 4 ||
	    area[1] <= area[0] || area[3] < area[2])
		return;
	environ = (char **)envp;	/* the strings the old environ points at go now */
	memset((void *)area[2], 0, area[3] - area[2]);
	memset((void *)area[0], 0, area[1] - area[0]);
	snprintf((char *)area[0], area[1] - area[0], "%s", INIT_NAME);
}

static pid_t fork_command(const struct init_args *a)
{
	struct run_err e = { 0 };
	pid_t pid = fork();

	if (pid < 0) {
		run_errf(&e, errno, "cannot fork the command: %s", strerror(errno));
		child_fail(a->sync_fd, &e);
	}
	if (pid == 0) {
		if (a->status_fd >= 0)
			close(a->status_fd);
		if (a->take_terminal)
			terminal_take_for_self();	/* as tini's isolate_child() */
		exec_command(a->argv, a->envp, a->workdir, a->sync_fd);
	}
	/* both sides set the group, so neither the terminal nor a forward races the child's setpgid */
	if (a->take_terminal)
		setpgid(pid, pid);
	return pid;
}

static void write_status(int fd, int status)
{
	char buf[16];
	int len;

	if (fd < 0)
		return;
	len = snprintf(buf, sizeof(buf), "%d\n", status);
	while (write(fd, buf, len) < 0 && errno == EINTR)
		;
	close(fd);
}

/* reap every child that ended; true once the command is among them, *status its status */
static bool reap_children(pid_t command, int *status)
{
	bool command_done = false;
	int ws;
	pid_t pid;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		if (pid == command) {
			*status = init_status_of(ws);
			command_done = true;
		}
	}
	return command_done;
}

noreturn void init_run(const struct init_args *a)
{
	sigset_t all;
	siginfo_t si;
	pid_t command;
	int sig, status = 0;

	prctl(PR_SET_NAME, INIT_NAME, 0, 0, 0);
	/*
	 * A group of its own: the caller's terminal signals (Ctrl-C without a lent
	 * terminal) go to the caller alone, which forwards them once, through us.
	 */
	setpgid(0, 0);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);	/* already so since the clone; the command unblocks */
	command = fork_command(a);
	/* the command has its own copy: EOF reaches the parent when its execve() closes that */
	close(a->sync_fd);
	/* only now: the command's argv, envp and workdir may be strings of the caller's argv */
	forget_caller_cmdline(a->envp);
	for (;;) {
		sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;	/* EINTR: a stopped-and-continued init */
		if (sig == SIGCHLD) {
			if (reap_children(command, &status))
				break;
			continue;
		}
		/* with the terminal it has a group of its own, which its jobs may share */
		kill(a->take_terminal ? -command : command, sig);
	}
	write_status(a->status_fd, status);
	/* the kernel kills what is left in the namespace once its PID 1 is gone */
	_exit(status);
}
