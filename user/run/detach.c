// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `bpfnet run -d`: a monitor process per container, not a daemon. The caller
 * forks; the child starts a session of its own and forks again, so that the
 * monitor is nobody's child that waits for it and no terminal's; the monitor
 * starts the container, says "started" (or the error) to the caller over a
 * socket, waits for init and tears the container down when it ends. The
 * caller prints the ID and returns. Killing the monitor leaves the container
 * running: its record names no live waiter then, and the first command that
 * finds init dead tears it down (record_refresh()).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lifecycle.h"
#include "runcfg.h"
#include "spawn.h"

#define REPORT_MAX (RUN_ERR_MAX + 64)

/* One line to the caller; a caller gone (MSG_NOSIGNAL: no SIGPIPE) does not matter. */
static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
	char buf[REPORT_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

/* The monitor's stdio is /dev/null, and it keeps no fd of the caller's but @report_fd. */
static int monitor_detach_fds(int report_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return -errno;
	for (int fd = 0; fd < 3; fd++)
		if (fd != null && dup2(null, fd) < 0)
			return -errno;
	if (null > 2)
		close(null);
	if (report_fd != 3 && (dup2(report_fd, 3) < 0 || close(report_fd)))
		return -errno;
	fcntl(3, F_SETFD, FD_CLOEXEC);
	return close_range(4, ~0U, 0) ? -errno : 0;
}

static __attribute__((noreturn)) void monitor(struct run_config *c, int report_fd)
{
	const int stdio[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	struct run_err e = {};
	int status = -1, err;
	bool oom;
	pid_t pid;

	report(report_fd, "monitor %d", (int)getpid());
	err = monitor_detach_fds(report_fd);
	if (err) {
		report(report_fd, "err %d cannot detach from the terminal: %s", -err,
		       strerror(-err));
		_exit(1);
	}
	report_fd = 3;
	if (run_start(c, stdio, &pid, &e)) {
		report(report_fd, "err %d %s", e.errnum, e.msg);
		_exit(1);
	}
	report(report_fd, "ok %s", c->id);
	close(report_fd);
	if (container_wait(pid, &status))
		status = -1;
	run_finish(c, status, &oom, &e);
	_exit(0);
}

/* The caller's side: the monitor's words, until "ok" or "err" (or the monitor is gone). */
static int await_start(struct run_config *c, int fd)
{
	char buf[4 * REPORT_MAX], *line, *nl;
	size_t len = 0;
	pid_t monitor_pid = 0;
	int errnum;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		while ((nl = memchr(buf, '\n', len))) {
			*nl = 0;
			line = buf;
			if (!strncmp(line, "ok ", 3))
				return 0;
			if (sscanf(line, "err %d", &errnum) == 1 && strchr(line + 4, ' '))
				return run_failf(c->g, errnum, "%s", strchr(line + 4, ' ') + 1);
			sscanf(line, "monitor %d", &monitor_pid);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (poll(&p, 1, 500) == 0) {
			/* init may hold the socket open: the monitor's death is no EOF then */
			if (monitor_pid > 0 && kill(monitor_pid, 0) && errno == ESRCH)
				break;
			continue;
		}
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || len + (size_t)n == sizeof(buf))
			break;
		len += (size_t)n;
	}
	return run_failf(c->g, EIO, "the monitor of container '%s' ended before starting it "
			 "('bpfnet rm -f %s' removes what it left)", c->name, c->name);
}

int run_detached(struct run_config *c)
{
	int sv[2], ret, wstatus;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return run_failf(c->g, errno, "socketpair: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	child = fork();
	if (child < 0) {
		ret = run_failf(c->g, errno, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	if (!child) {
		close(sv[0]);
		setsid();
		child = fork();
		if (child)
			_exit(child < 0 ? 1 : 0);
		monitor(c, sv[1]);
	}
	close(sv[1]);
	waitpid(child, &wstatus, 0);
	ret = await_start(c, sv[0]);
	close(sv[0]);
	if (ret)
		return ret;
	if (c->g->json)
		printf("{\n  \"id\": \"%s\",\n  \"name\": \"%s\"\n}\n", c->id, c->name);
	else
		printf("%s\n", c->id);
	return 0;
}
