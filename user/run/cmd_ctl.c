// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `bpfnet exec NAME -- CMD`, `bpfnet stop NAME [-t SECS]`, `bpfnet rm [-f] NAME`:
 * commands on a container that exists, whoever started it and whether or not
 * its `run` is still alive.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cgroup.h"
#include "lifecycle.h"
#include "spawn.h"

#define STOP_DEFAULT_SECS 10	/* docker stop's */
#define STOP_MAX_SECS 3600

/* @name's record, brought up to date (torn down if init and its waiter are gone). */
static int find_current(const char *name, struct container_record *r, int lock_fd,
			struct run_err *e)
{
	int err = record_find(name, r, e);

	if (err)
		return err;
	err = record_refresh(r, lock_fd, e);
	if (err == -ENOENT) {
		record_free(r);
		return run_errf(e, ENOENT, "container '%s' has ended and was removed (--rm)", name);
	}
	if (err)
		record_free(r);
	return err;
}

/* ---- exec ---- */

/* The container's environment with -e K=V on top. */
static char **exec_env(const struct container_record *r, const struct arg_list *env)
{
	size_t n = 0, cap = env->n + 1;
	char **out;

	for (size_t i = 0; r->env[i]; i++)
		cap++;
	out = calloc(cap, sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; r->env[i]; i++)
		out[n++] = r->env[i];
	for (size_t i = 0; i < env->n; i++) {
		const char *eq = strchr(env->v[i], '=');
		size_t key = eq ? (size_t)(eq - env->v[i]) : 0;
		size_t j;

		if (!key)
			continue;
		for (j = 0; j < n && (strncmp(out[j], env->v[i], key) || out[j][key] != '='); j++)
			;
		out[j] = (char *)env->v[i];
		if (j == n)
			n++;
	}
	return out;
}

static int exec_in(const struct run_globals *g, struct container_record *r, char **cmd,
		   const struct arg_list *env, const char *workdir)
{
	const int stdio[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	struct run_err e = {};
	struct cgroup *cg;
	char **envp;
	int status, err;

	if (r->state != CONTAINER_RUNNING)
		return run_failf(g, ESRCH, "container '%s' is not running", r->name);
	/* its limits hold for what runs in it: join its cgroup first (as runc exec does) */
	if ((err = cg_open(r->name, &cg, &e)) || (err = cg_attach(cg, 0, &e))) {
		if (!err)
			cg_free(cg);
		return run_fail(g, &e);
	}
	cg_free(cg);
	if (!(envp = exec_env(r, env)))
		return run_failf(g, ENOMEM, "out of memory");
	err = container_exec(r->init_pid, cmd, envp, workdir ? workdir : *r->workdir ? r->workdir
				: NULL, stdio, &status, &e);
	free(envp);
	if (err)
		return run_fail(g, &e);
	return status;
}

int run_cmd_exec(const struct run_globals *g, int argc, char **argv)
{
	const char *workdir = NULL, *name;
	struct arg_list env = { .max = RUN_MAX_ARGS };
	const struct arg_opt opts[] = {
		{ "env", 'e', ARG_LIST, &env },
		{ "workdir", 'w', ARG_VALUE, &workdir },
		{}
	};
	const struct arg_spec spec = { .cmd = "exec", .opts = opts, .min_pos = 1, .max_pos = 1,
				       .command = true };
	struct container_record r;
	struct run_err e = {};
	int n_pos, cmd_at, ret;
	char **cmd;

	if (args_parse(&spec, argc, argv, &name, &n_pos, &cmd_at, &e)) {
		args_free(opts);
		return run_usage(g, "%s", e.msg);
	}
	if (workdir && workdir[0] != '/') {
		args_free(opts);
		return run_usage(g, "-w %s: the working directory must be an absolute path",
				 workdir);
	}
	cmd = calloc((size_t)(argc - cmd_at) + 1, sizeof(*cmd));
	if (!cmd) {
		args_free(opts);
		return run_failf(g, ENOMEM, "out of memory");
	}
	memcpy(cmd, argv + cmd_at, (size_t)(argc - cmd_at) * sizeof(*cmd));
	if (find_current(name, &r, -1, &e)) {
		ret = run_fail(g, &e);
	} else {
		ret = exec_in(g, &r, cmd, &env, workdir);
		record_free(&r);
	}
	free(cmd);
	args_free(opts);
	return ret;
}

/* ---- stop ---- */

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Init has ended: its waiter (alive) tears it down; wait (5 s at most) for it
 * to have done so, so that ps right after says "Exited". No waiter: do it.
 */
static int await_teardown(const char *name, const char *id, struct run_err *e)
{
	for (int waited = 0; waited < 5000; waited += 20) {
		struct container_record r;
		int err = record_load(name, &r, NULL);

		if (err || strcmp(r.id, id)) {
			if (!err)
				record_free(&r);
			return 0;	/* removed (--rm, rm) */
		}
		err = record_refresh(&r, -1, e);
		if (err || r.state == CONTAINER_EXITED) {
			record_free(&r);
			return err == -ENOENT ? 0 : err;
		}
		record_free(&r);
		sleep_ms(20);
	}
	return 0;
}

static int stop_one(const char *word, int secs, struct run_err *e)
{
	struct container_record r;
	int err = find_current(word, &r, -1, e);

	if (err)
		return err;
	if (r.state == CONTAINER_RUNNING &&
	    !container_signal_init(&r, SIGTERM, secs * 1000) && (err = container_kill(&r, e))) {
		record_free(&r);
		return err;
	}
	if (r.state == CONTAINER_RUNNING)
		err = await_teardown(r.name, r.id, e);
	record_free(&r);
	return err;
}

int run_cmd_stop(const struct run_globals *g, int argc, char **argv)
{
	const char *secs_opt = NULL, *names[64];
	const struct arg_opt opts[] = {
		{ "time", 't', ARG_VALUE, &secs_opt },
		{ "timeout", 0, ARG_VALUE, &secs_opt },
		{}
	};
	const struct arg_spec spec = { .cmd = "stop", .opts = opts, .min_pos = 1, .max_pos = 64 };
	int secs = STOP_DEFAULT_SECS, n_pos, ret = 0;
	struct run_err e = {};
	char *end;

	if (args_parse(&spec, argc, argv, names, &n_pos, NULL, &e))
		return run_usage(g, "%s", e.msg);
	if (secs_opt) {
		long v = strtol(secs_opt, &end, 10);

		if (end == secs_opt || *end || v < 0 || v > STOP_MAX_SECS)
			return run_failf(g, EINVAL, "-t %s: seconds to wait, 0 to %d", secs_opt,
					 STOP_MAX_SECS);
		secs = (int)v;
	}
	for (int i = 0; i < n_pos; i++) {
		if (stop_one(names[i], secs, &e))
			ret = run_fail(g, &e);
		else if (!g->json)
			printf("%s\n", names[i]);
	}
	return ret;
}

/* ---- rm ---- */

/* rm -f of a container being started: its waiter is killed, as a kill -9 of run would. */
static void kill_waiter(const struct container_record *r)
{
	if (!proc_alive(&r->waiter) || r->waiter.pid == getpid())
		return;
	kill(r->waiter.pid, SIGKILL);
	for (int waited = 0; waited < 2000 && proc_alive(&r->waiter); waited += 10)
		sleep_ms(10);
}

static int rm_one(const char *word, bool force, struct run_err *e)
{
	char dir[BPFNET_PATH_MAX];
	struct container_record r;
	int fd, err;

	if ((fd = record_lock(e)) < 0)
		return fd;
	err = record_find(word, &r, e);
	/* rm -f of what is no record: its directory goes, what it named cannot be known */
	if (err == -EUCLEAN && force && record_name_valid(word, NULL)) {
		fprintf(stderr, "bpfnet: warning: %s; removing it, what it named is not known\n",
			e->msg);
		err = record_remove(word, e);
		goto out;
	}
	/*
	 * A directory without its record: a run killed before its first save, which is
	 * before it made anything but (maybe) its userns range. Nothing else to remove.
	 */
	if (err == -ENOENT && record_name_valid(word, NULL) &&
	    !record_path(word, NULL, dir, sizeof(dir)) && !access(dir, F_OK)) {
		err = userns_release_named(word, e) ?: record_remove(word, e);
		goto out;
	}
	if (err)
		goto out;
	err = record_refresh(&r, fd, e);
	if (err) {
		record_free(&r);
		/* -ENOENT: it had ended with --rm meanwhile, gone already as rm wants */
		err = err == -ENOENT ? 0 : err;
		goto out;
	}
	if (r.state != CONTAINER_EXITED && !force) {
		err = run_errf(e, EBUSY, "container '%s' is %s: stop it first, or 'bpfnet rm -f %s'",
			       r.name, r.state == CONTAINER_RUNNING ? "running" : "being created",
			       r.name);
	} else {
		if (r.state == CONTAINER_CREATED)
			kill_waiter(&r);
		if (r.state != CONTAINER_EXITED)
			err = container_kill(&r, e);
		r.auto_remove = true;
		if (!err)
			err = container_teardown(&r, r.exit_status, e);
		if (err == -ENOENT)
			err = 0;
	}
	record_free(&r);
out:
	record_unlock(fd);
	return err;
}

int run_cmd_rm(const struct run_globals *g, int argc, char **argv)
{
	bool force = false;
	const char *names[64];
	const struct arg_opt opts[] = { { "force", 'f', ARG_FLAG, &force }, {} };
	const struct arg_spec spec = { .cmd = "rm", .opts = opts, .min_pos = 1, .max_pos = 64 };
	struct run_err e = {};
	int n_pos, ret = 0;

	if (args_parse(&spec, argc, argv, names, &n_pos, NULL, &e))
		return run_usage(g, "%s", e.msg);
	for (int i = 0; i < n_pos; i++) {
		if (rm_one(names[i], force, &e))
			ret = run_fail(g, &e);
		else if (!g->json)
			printf("%s\n", names[i]);
	}
	return ret;
}
