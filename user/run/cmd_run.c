// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `bpfnet run`: check everything, record the container, make its parts in an
 * order that a kill at any instant leaves removable (the record first, then
 * each part it names), start init and wait for it in the foreground, or hand
 * that to a monitor (detach.c). The process that waits tears it down.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "lifecycle.h"
#include "netns.h"
#include "runcfg.h"
#include "spawn.h"
#include "userns.h"

/* What the parts made so far are, for the hook and the undo. */
struct start {
	struct run_config *c;
	struct container_record r;	/* argv, env: c's, not to be freed */
	struct cgroup *cg;
};

/* Under the lock: the name still free (another run may have taken it since the check). */
static int record_created(struct start *s, struct run_err *e)
{
	struct container_record other;
	int fd, err;

	if ((fd = record_lock(e)) < 0)
		return fd;
	err = record_load(s->r.name, &other, e);
	if (!err) {
		record_free(&other);
		err = run_errf(e, EEXIST, "container name '%s' is in use by container %.12s",
			       s->r.name, other.id);
	} else if (err == -ENOENT) {
		err = proc_self(&s->r.waiter, e);
		/* the range is taken where the record that names it is written */
		if (!err && s->c->userns) {
			err = userns_take(record_userns_dir(), s->r.name, &s->r.userns_range, e);
			s->r.userns = !err;
		}
		if (!err && (err = record_save(&s->r, e)) && s->r.userns)
			userns_release(record_userns_dir(), &s->r.userns_range, NULL);
	}
	record_unlock(fd);
	return err;
}

static int save_locked(const struct container_record *r, struct run_err *e)
{
	int fd = record_lock(e), err;

	if (fd < 0)
		return fd;
	err = record_save(r, e);
	record_unlock(fd);
	return err;
}

/* In the parent while init waits: everything that needs its PID, then the record says RUNNING. */
static int before_start(pid_t pid, void *arg, struct run_err *e)
{
	struct start *s = arg;
	struct run_config *c = s->c;
	char etc_dir[BPFNET_PATH_MAX];
	int err;

	if ((s->r.userns && (err = userns_write_maps(pid, &s->r.userns_range, e))) ||
	    (err = cg_attach_v1(s->cg, pid, e)))
		return err;
	if (c->net_mode != NET_HOST && (err = netns_bind(c->name, pid, e)))
		return err;
	if (c->net_mode == NET_ATTACHED &&
	    (err = netattach_up(c->bn, c->name, c->id, s->r.netns, c->nets, c->n_nets, c->ports_m,
				c->n_ports, s->r.nets, e)))
		return err;
	s->r.n_nets = c->net_mode == NET_ATTACHED ? c->n_nets : 0;
	record_path(c->name, NULL, etc_dir, sizeof(etc_dir));
	if ((err = etcfiles_write(etc_dir, c->hostname, c->name, s->r.nets, s->r.n_nets, e)))
		return err;
	s->r.state = CONTAINER_RUNNING;
	s->r.init_pid = pid;
	if (proc_start_time(pid, &s->r.init_start_time))
		return run_errf(e, ESRCH, "init of '%s' (pid %d) is gone", c->name, (int)pid);
	return save_locked(&s->r, e);
}

/* A start that failed: remove what it made, the record too. */
static void start_undo(struct start *s)
{
	struct container_record now;
	int fd = record_lock(NULL);

	if (fd < 0)
		return;
	if (!record_load(s->r.name, &now, NULL)) {
		if (!strcmp(now.id, s->r.id)) {
			now.auto_remove = true;
			container_teardown(&now, -1, NULL);
		}
		record_free(&now);
	}
	record_unlock(fd);
}

static int open_file(const char *name, const char *file, int flags, struct run_err *e)
{
	char path[BPFNET_PATH_MAX];
	int fd;

	if (record_path(name, file, path, sizeof(path)))
		return run_errf(e, ENAMETOOLONG, "%s: path too long", name);
	fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return run_errf(e, errno, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

int run_start(struct run_config *c, const int stdio[3], pid_t *init_pid, struct run_err *e)
{
	struct start s = { .c = c };
	struct spawn_spec spec = {
		.name = c->name, .hostname = c->hostname, .rootfs = *c->rootfs ? c->rootfs : NULL,
		.argv = c->argv, .envp = c->envp, .workdir = *c->workdir ? c->workdir : NULL,
		.host_network = c->net_mode == NET_HOST, .userns = c->userns,
		.stdio = { stdio[0], stdio[1], stdio[2] }, .status_fd = -1,
		.foreground = !c->detach,
	};
	char etc_dir[BPFNET_PATH_MAX];
	int log_fd = -1, err;

	run_config_record(c, &s.r);
	if ((err = record_created(&s, e)))
		return err;
	err = cg_create(c->name, &c->limits, &s.cg, e);
	if (!err)
		err = spec.status_fd = open_file(c->name, "status", O_WRONLY | O_CREAT | O_TRUNC, e);
	/* a detached container writes to its log: `bpfnet logs` reads it */
	if (err >= 0 && c->detach)
		err = spec.stdio[1] = spec.stdio[2] = log_fd =
			open_file(c->name, "log", O_WRONLY | O_CREAT | O_APPEND, e);
	if (err >= 0) {
		record_path(c->name, NULL, etc_dir, sizeof(etc_dir));
		spec.etc_dir = etc_dir;
		spec.cgroup_v2_dir = cg_v2_dir(s.cg);
		err = container_spawn(&spec, before_start, &s, init_pid, e);
	}
	if (spec.status_fd >= 0)
		close(spec.status_fd);
	if (log_fd >= 0)
		close(log_fd);
	cg_free(s.cg);
	/* the instance is not needed while it runs: the teardown opens it again */
	bpfnet__close(c->bn);
	c->bn = NULL;
	if (err < 0) {
		start_undo(&s);
		return err;
	}
	return 0;
}

int run_finish(struct run_config *c, int status, bool *oom, struct run_err *e)
{
	struct container_record r;
	int fd, err;

	*oom = false;
	if ((fd = record_lock(e)) < 0)
		return fd;
	err = record_load(c->name, &r, e);
	if (err) {
		record_unlock(fd);
		/* rm -f, or whoever found it dead, did it already */
		return err == -ENOENT ? 0 : err;
	}
	/* (and may have made another of that name since) */
	if (!strcmp(r.id, c->id) && r.state != CONTAINER_EXITED) {
		err = container_teardown(&r, status, e);
		*oom = r.oom_killed;
	}
	record_free(&r);
	record_unlock(fd);
	return err == -ENOENT ? 0 : err;
}

static int run_foreground(struct run_config *c)
{
	const int stdio[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	struct run_err e = {};
	int status = -1, err;
	bool oom;
	pid_t pid;

	if ((err = run_start(c, stdio, &pid, &e)))
		return run_fail(c->g, &e);
	if (container_wait(pid, &status))
		status = 128 + SIGKILL;
	if (run_finish(c, status, &oom, &e))
		fprintf(stderr, "bpfnet: container '%s': %s\n", c->name, e.msg);
	if (oom) {
		fprintf(stderr, "bpfnet: container '%s' was killed by its memory limit (OOM)\n",
			c->name);
		status = 128 + SIGKILL;
	}
	return status;
}

int run_cmd_run(const struct run_globals *g, int argc, char **argv)
{
	struct run_config c = { .g = g };
	struct run_err e = {};
	int ret;

	if (run_config_parse(&c, argc, argv, &e)) {
		ret = e.errnum == EINVAL ? run_usage(g, "%s", e.msg) : run_fail(g, &e);
	} else if (run_config_check(&c, &e)) {
		ret = run_fail(g, &e);
	} else {
		ret = c.detach ? run_detached(&c) : run_foreground(&c);
	}
	run_config_free(&c);
	return ret;
}
