// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A container's cgroup (cgroup.h): a directory <mount>/<parent>/<name> in
 * each hierarchy one of its controllers lives on, plus the v2 tree.
 *
 * Which hierarchy serves a controller: the v2 tree when the controller is in
 * its root's cgroup.controllers (a v2 controller is enabled down the path in
 * each parent's cgroup.subtree_control), else the v1 hierarchy whose super
 * options name it. The roles: memory (the limit, OOM kills), cpu (the quota),
 * cpuacct (usage; on v2 cpu.stat, which every v2 cgroup has) and pids.
 * cpuset, devices, freezer and the rest get no directory: a task is then in
 * its parent's cgroup there, as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_impl.h"

#define CG_PARENT_ENV "BPFNET_CGROUP_PARENT"
#define CG_REMOVE_TIMEOUT_MS 1000	/* how long processes get to die in cg_remove() */
#define CG_REMOVE_POLL_MS 10
#define CG_WALK_DEPTH 8			/* sub-cgroups a container made below its own */
#define CG_MKDIR_TRIES 5		/* a parent removed under us by a concurrent cg_remove() */

static const char *const role_controller[CG_ROLES] = {
	[CG_ROLE_MEMORY] = "memory",
	[CG_ROLE_CPU] = "cpu",
	[CG_ROLE_CPUACCT] = "cpuacct",
	[CG_ROLE_PIDS] = "pids",
};

/* ---- files ---- */

int cg_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	ssize_t n;
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (int)got;
}

/* Write @value to @dir/@file in one write(), as cgroup files want it. */
static int write_file(const char *dir, const char *file, const char *value)
{
	char path[CG_PATH_MAX + 64];
	size_t len = strlen(value);
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

static bool file_exists(const char *dir, const char *file)
{
	char path[CG_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return !access(path, F_OK);
}

/* The number after "@key " on a line of @dir/@file ("oom_kill 3"). */
static int read_key(const char *dir, const char *file, const char *key, uint64_t *v)
{
	char path[CG_PATH_MAX + 64], buf[4096], *line, *save = NULL;
	size_t kl = strlen(key);
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	n = cg_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			char *end;

			errno = 0;
			*v = strtoull(line + kl + 1, &end, 10);
			return errno || end == line + kl + 1 ? -EINVAL : 0;
		}
	}
	return -ENOENT;
}

static int read_u64(const char *dir, const char *file, uint64_t *v)
{
	char path[CG_PATH_MAX + 64], buf[64], *end;
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	n = cg_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return errno || end == buf || (*end && *end != '\n') ? -EINVAL : 0;
}

/* ---- names ---- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* A path component a container name may be: [A-Za-z0-9][A-Za-z0-9_.-]*. */
static bool name_valid(const char *s, size_t max)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (i = 0; s[i]; i++)
		if (!name_char(s[i]) || i + 1 >= max)
			return false;
	return true;
}

/* $BPFNET_CGROUP_PARENT: relative components of name characters, none "." or "..". */
static int parent_of_env(char *out, size_t len, struct run_err *e)
{
	const char *env = getenv(CG_PARENT_ENV), *p;

	if (!env)
		env = RUN_CGROUP_PARENT;
	if (!*env || strlen(env) >= len || strlen(env) >= CG_PARENT_MAX)
		goto bad;
	for (p = env; *p;) {
		const char *end = strchrnul(p, '/');
		size_t l = (size_t)(end - p);
		size_t i;

		if (!l || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			goto bad;
		for (i = 0; i < l; i++)
			if (!name_char(p[i]))
				goto bad;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			goto bad;	/* a trailing '/' */
	}
	strcpy(out, env);
	return 0;
bad:
	return run_errf(e, EINVAL,
			"%s \"%s\" is not a relative cgroup path of [A-Za-z0-9_.-] components (no \"..\")",
			CG_PARENT_ENV, env);
}

/* ---- the layout ---- */

/* Does the v2 root offer @controller (its cgroup.controllers)? */
static bool v2_has(const char *v2_controllers, const char *controller)
{
	size_t l = strlen(controller);
	const char *p = v2_controllers;

	while ((p = strstr(p, controller))) {
		if ((p == v2_controllers || p[-1] == ' ') && (!p[l] || p[l] == ' ' || p[l] == '\n'))
			return true;
		p += l;
	}
	return false;
}

/* The index of the directory on mount @m, added when it is not there yet ("" when too long). */
static int dir_on(struct cgroup *cg, const struct cg_mount *m)
{
	char path[CG_PATH_MAX];
	struct cg_dir *d;
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (!strcmp(cg->dir[i].mount, m->path))
			return (int)i;
	d = &cg->dir[cg->n];
	memset(d, 0, sizeof(*d));
	if (snprintf(path, sizeof(path), "%s/%s/%s", m->path, cg->parent, cg->name) <
	    (int)sizeof(path))
		strcpy(d->path, path);
	strcpy(d->mount, m->path);
	d->v2 = m->v2;
	return (int)cg->n++;
}

/* Which directory serves each role, for @name on the hierarchies @ms. */
int cg_plan(const struct cg_mounts *ms, const char *name, struct cgroup **out, struct run_err *e)
{
	const struct cg_mount *v2 = cg_mounts_v2(ms), *m;
	char ctl[512] = "", path[CG_PATH_MAX + 64];
	struct cgroup *cg;
	int r, err;

	if (!name || !name_valid(name, RUN_NAME_MAX))
		return run_errf(e, EINVAL, "\"%s\" is not a cgroup name ([A-Za-z0-9][A-Za-z0-9_.-]*)",
				name ? name : "");
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return run_errf(e, ENOMEM, "out of memory");
	err = parent_of_env(cg->parent, sizeof(cg->parent), e);
	if (err) {
		free(cg);
		return err;
	}
	strcpy(cg->name, name);
	cg->v2 = -1;
	if (v2) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", v2->path);
		if (cg_read_file(path, ctl, sizeof(ctl)) < 0)
			ctl[0] = '\0';
		cg->v2 = dir_on(cg, v2);
	}
	for (r = 0; r < CG_ROLES; r++) {
		const char *c = role_controller[r];

		cg->role[r] = -1;
		/* v2 usage is cpu.stat's, there with or without the cpu controller */
		if (v2 && (v2_has(ctl, r == CG_ROLE_CPUACCT ? "cpu" : c))) {
			cg->role[r] = cg->v2;
			cg->v2_ctl[r] = r != CG_ROLE_CPUACCT;
		} else if ((m = cg_mounts_v1(ms, c))) {
			cg->role[r] = dir_on(cg, m);
		} else if (v2 && r == CG_ROLE_CPUACCT) {
			cg->role[r] = cg->v2;
		}
	}
	for (r = 0; r < (int)cg->n; r++)
		if (!cg->dir[r].path[0]) {
			free(cg);
			return run_errf(e, ENAMETOOLONG, "the cgroup path of %s is too long", name);
		}
	*out = cg;
	return 0;
}

/*
 * After the directories are made or looked up: a role whose directory is not
 * there has none, but CPU time, which the v2 tree's cpu.stat counts with or
 * without a cpu controller.
 */
static void settle_roles(struct cgroup *cg)
{
	bool v2 = cg->v2 >= 0 && cg->dir[cg->v2].present;
	int r;

	for (r = 0; r < CG_ROLES; r++) {
		if (cg->role[r] < 0 || cg->dir[cg->role[r]].present)
			continue;
		cg->role[r] = r == CG_ROLE_CPUACCT && v2 ? cg->v2 : -1;
		cg->v2_ctl[r] = false;
	}
}

/* ---- removal ---- */

/* Append the pid in @line to @pids. */
static int push_pid(const char *line, pid_t **pids, size_t *n, size_t *cap)
{
	long pid = strtol(line, NULL, 10);

	if (pid <= 0)
		return 0;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		pid_t *np = realloc(*pids, ncap * sizeof(**pids));

		if (!np)
			return -ENOMEM;
		*pids = np;
		*cap = ncap;
	}
	(*pids)[(*n)++] = (pid_t)pid;
	return 0;
}

/*
 * Append the pids of @dir's cgroup.procs and its sub-cgroups' to @pids. Read
 * whole, line by line: a number cut short would be another process's pid.
 */
static int collect_pids(const char *dir, int depth, pid_t **pids, size_t *n, size_t *cap)
{
	char path[CG_PATH_MAX + 64], *line = NULL;
	size_t line_cap = 0;
	struct dirent *de;
	FILE *f;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!err && getline(&line, &line_cap, f) > 0)
		err = push_pid(line, pids, n, cap);
	if (!err && ferror(f))
		err = -EIO;
	free(line);
	fclose(f);
	if (err)
		return err;
	if (depth >= CG_WALK_DEPTH || !(d = opendir(dir)))
		return 0;
	while ((de = readdir(d)) && !err) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		err = collect_pids(path, depth + 1, pids, n, cap);
		if (err == -ENOENT)
			err = 0;
	}
	closedir(d);
	return err;
}

/* rmdir @dir after its sub-cgroups: 0 when it is gone. */
static int remove_tree(const char *dir, int depth)
{
	char path[CG_PATH_MAX + 64];
	struct dirent *de;
	DIR *d;

	if (depth < CG_WALK_DEPTH && (d = opendir(dir))) {
		while ((de = readdir(d))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path))
				remove_tree(path, depth + 1);
		}
		closedir(d);
	}
	if (rmdir(dir) && errno != ENOENT)
		return -errno;
	return 0;
}

/* rmdir the parent's components in @mount, deepest first, while they are empty (@max at most). */
static void remove_parents(const char *mount, const char *parent, int max)
{
	char path[CG_PATH_MAX + CG_PARENT_MAX + 2], *slash;
	size_t base = strlen(mount) + 1;

	snprintf(path, sizeof(path), "%s/%s", mount, parent);
	for (; max; max--) {
		if (rmdir(path) && errno != ENOENT)
			return;		/* ENOTEMPTY, EBUSY: someone else's container is in it */
		slash = strrchr(path + base, '/');
		if (!slash)
			return;
		*slash = '\0';
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SIGKILL every process in @cg's present directories; how many there were, or -errno. */
static int kill_all(struct cgroup *cg)
{
	pid_t *pids = NULL;
	size_t n = 0, cap = 0, i, k;
	int err;

	for (i = 0; i < cg->n; i++) {
		if (!cg->dir[i].present)
			continue;
		err = collect_pids(cg->dir[i].path, 0, &pids, &n, &cap);
		if (err && err != -ENOENT) {
			free(pids);
			return err;
		}
	}
	for (k = 0; k < n; k++)
		kill(pids[k], SIGKILL);
	free(pids);
	return (int)n;
}

static bool holds_self(struct cgroup *cg)
{
	pid_t *pids = NULL, self = getpid();
	size_t n = 0, cap = 0, i, k;
	bool found = false;

	for (i = 0; i < cg->n; i++)
		if (cg->dir[i].present)
			collect_pids(cg->dir[i].path, 0, &pids, &n, &cap);
	for (k = 0; k < n && !found; k++)
		found = pids[k] == self;
	free(pids);
	return found;
}

/* Remove @cg's present directories: kill, wait for them to empty, rmdir. */
static int remove_dirs(struct cgroup *cg, struct run_err *e)
{
	long deadline = now_ms() + CG_REMOVE_TIMEOUT_MS;
	size_t i;
	int left, err = 0;

	if (holds_self(cg))
		return run_errf(e, EBUSY, "cannot remove cgroup %s: this process is in it", cg->name);
	if (cg->v2 >= 0 && cg->dir[cg->v2].present)
		write_file(cg->dir[cg->v2].path, "cgroup.kill", "1");	/* ENOENT before 5.14 */
	for (;;) {
		left = kill_all(cg);
		if (left < 0)
			return run_errf(e, -left, "cannot list the processes of cgroup %s: %s",
					cg->name, strerror(-left));
		/* the killed exit asynchronously: rmdir says EBUSY until the last has */
		for (i = 0; i < cg->n; i++) {
			if (!cg->dir[i].present)
				continue;
			err = remove_tree(cg->dir[i].path, 0);
			if (!err)
				cg->dir[i].present = false;
			else if (err != -EBUSY)
				return run_errf(e, -err, "cannot remove %s: %s", cg->dir[i].path,
						strerror(-err));
		}
		if (!cg_present(cg))
			return 0;
		if (now_ms() > deadline)
			break;
		usleep(CG_REMOVE_POLL_MS * 1000);
	}
	return run_errf(e, EBUSY, "cgroup %s: %d process%s would not die within a second",
			cg->name, left, left == 1 ? "" : "es");
}

bool cg_present(const struct cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (cg->dir[i].present)
			return true;
	return false;
}

static void remove_all_parents(const struct cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		remove_parents(cg->dir[i].mount, cg->parent, -1);
}

int cg_remove(struct cgroup *cg, struct run_err *e)
{
	int err;

	if (!cg)
		return 0;
	err = remove_dirs(cg, e);
	if (err)
		return err;
	remove_all_parents(cg);
	return 0;
}

/* ---- open, create ---- */

/* The plan for @name with each directory's presence as it is now. */
static int lookup(const char *name, struct cgroup **out, struct run_err *e)
{
	struct cg_mounts ms;
	struct cgroup *cg;
	struct stat st;
	size_t i;
	int err;

	err = cg_mounts_load(&ms, e);
	if (err)
		return err;
	err = cg_plan(&ms, name, &cg, e);
	if (err)
		return err;
	for (i = 0; i < cg->n; i++)
		cg->dir[i].present = !stat(cg->dir[i].path, &st) && S_ISDIR(st.st_mode);
	settle_roles(cg);
	*out = cg;
	return 0;
}

int cg_open(const char *name, struct cgroup **out, struct run_err *e)
{
	struct cgroup *cg;
	int err = lookup(name, &cg, e);

	if (err)
		return err;
	if (!cg_present(cg)) {
		free(cg);
		return run_errf(e, ENOENT, "no cgroup %s in any hierarchy", name);
	}
	*out = cg;
	return 0;
}

int cg_remove_name(const char *name, struct run_err *e)
{
	struct cgroup *cg;
	int err = lookup(name, &cg, e);

	if (err)
		return err;
	err = cg_remove(cg, e);
	free(cg);
	return err;
}

void cg_free(struct cgroup *cg)
{
	free(cg);
}

int cg_create(const char *name, const struct cg_limits *lim, struct cgroup **out,
	      struct run_err *e)
{
	struct cg_mounts ms;
	int err;

	err = cg_mounts_load(&ms, e);
	if (err)
		return err;
	return cg_create_on(&ms, name, lim, out, e);
}

/* Enable the v2 controllers @cg uses in @dir's cgroup.subtree_control (for its children). */
static int enable_v2(const struct cgroup *cg, const char *dir, struct run_err *e)
{
	char path[CG_PATH_MAX + 64], have[512], word[32];
	int r, err;

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	err = cg_read_file(path, have, sizeof(have));
	if (err < 0)
		return run_errf(e, -err, "cannot read %s: %s", path, strerror(-err));
	for (r = 0; r < CG_ROLES; r++) {
		if (!cg->v2_ctl[r] || v2_has(have, role_controller[r]))
			continue;
		snprintf(word, sizeof(word), "+%s", role_controller[r]);
		err = write_file(dir, "cgroup.subtree_control", word);
		if (err)
			return run_errf(e, -err, "cannot enable the %s controller in %s: %s",
					role_controller[r], path, strerror(-err));
	}
	return 0;
}

/*
 * mkdir <mount>/<parent> component by component, enabling the v2 controllers
 * on the way down (a v2 child gets only what its parent's subtree_control
 * has); d->parents_made counts the components that were new.
 */
static int make_parents(const struct cgroup *cg, struct cg_dir *d, struct run_err *e)
{
	char path[CG_PATH_MAX];
	const char *p = cg->parent;
	int err;

	snprintf(path, sizeof(path), "%s", d->mount);
	if (d->v2 && (err = enable_v2(cg, path, e)))
		return err;
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t l = strlen(path);

		snprintf(path + l, sizeof(path) - l, "/%.*s", (int)(end - p), p);
		if (!mkdir(path, 0755))
			d->parents_made++;
		else if (errno != EEXIST)
			return run_errf(e, errno, "cannot make %s: %s", path, strerror(errno));
		if (d->v2 && (err = enable_v2(cg, path, e)))
			return err;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* Make @d, or take it when it exists without processes in it. */
static int make_or_take(const struct cgroup *cg, struct cg_dir *d, struct run_err *e)
{
	pid_t *pids = NULL;
	size_t n = 0, cap = 0;
	int err, tries;

	for (tries = 0; tries < CG_MKDIR_TRIES; tries++) {
		err = make_parents(cg, d, e);
		if (err)
			return err;
		if (!mkdir(d->path, 0755)) {
			d->made = d->present = true;
			return 0;
		}
		if (errno != ENOENT)	/* ENOENT: a parent just removed by a cg_remove() */
			break;
	}
	if (errno != EEXIST)
		return run_errf(e, errno, "cannot make %s: %s", d->path, strerror(errno));
	err = collect_pids(d->path, 0, &pids, &n, &cap);
	free(pids);
	if (err)
		return run_errf(e, -err, "cannot read %s/cgroup.procs: %s", d->path, strerror(-err));
	if (n)
		return run_errf(e, EEXIST, "cgroup %s exists and has processes in it", d->path);
	d->present = true;
	return 0;
}

/* Undo what cg_create_on() made: the directories it made, the parents it made. */
static void unmake(struct cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++) {
		struct cg_dir *d = &cg->dir[i];

		if (d->made)
			rmdir(d->path);
		if (d->parents_made)
			remove_parents(d->mount, cg->parent, d->parents_made);
	}
}

/* Write @value to @d/@file, the message naming both. */
static int set(const struct cg_dir *d, const char *file, const char *value, struct run_err *e)
{
	int err = write_file(d->path, file, value);

	if (err)
		return run_errf(e, -err, "cannot set %s/%s to %s: %s", d->path, file, value,
				strerror(-err));
	return 0;
}

static int set_memory(const struct cg_dir *d, uint64_t bytes, struct run_err *e)
{
	char v[32];
	int err;

	if (bytes)
		snprintf(v, sizeof(v), "%" PRIu64, bytes);
	if (d->v2) {
		/* swap would let it use more than the limit: none beyond it, as with v1 memsw */
		err = set(d, "memory.max", bytes ? v : "max", e);
		if (!err && file_exists(d->path, "memory.swap.max"))
			err = set(d, "memory.swap.max", bytes ? "0" : "max", e);
		return err;
	}
	/* memsw (memory + swap) must stay >= the limit: lift it, set the limit, lower it */
	if (file_exists(d->path, "memory.memsw.limit_in_bytes") &&
	    (err = set(d, "memory.memsw.limit_in_bytes", "-1", e)))
		return err;
	err = set(d, "memory.limit_in_bytes", bytes ? v : "-1", e);
	if (!err && bytes && file_exists(d->path, "memory.memsw.limit_in_bytes"))
		err = set(d, "memory.memsw.limit_in_bytes", v, e);
	return err;
}

static int set_cpu(const struct cg_dir *d, uint64_t quota, uint64_t period, struct run_err *e)
{
	char q[32], p[32], both[64];
	int err;

	if (!period)
		period = CG_CPU_PERIOD_US;
	snprintf(q, sizeof(q), "%" PRIu64, quota);
	snprintf(p, sizeof(p), "%" PRIu64, period);
	if (d->v2) {
		snprintf(both, sizeof(both), "%s %s", quota ? q : "max", p);
		return set(d, "cpu.max", both, e);
	}
	/* no quota while the period changes: the kernel checks each against the other */
	err = set(d, "cpu.cfs_quota_us", "-1", e);
	if (!err)
		err = set(d, "cpu.cfs_period_us", p, e);
	if (!err && quota)
		err = set(d, "cpu.cfs_quota_us", q, e);
	return err;
}

static int set_pids(const struct cg_dir *d, uint64_t max, struct run_err *e)
{
	char v[32];

	snprintf(v, sizeof(v), "%" PRIu64, max);
	return set(d, "pids.max", max ? v : "max", e);
}

/* The limit asked for needs its controller somewhere. */
static int need(const struct cgroup *cg, enum cg_role r, bool asked, const char *option,
		struct run_err *e)
{
	if (asked && cg->role[r] < 0)
		return run_errf(e, EOPNOTSUPP,
				"%s needs the %s cgroup controller, which no mounted hierarchy has",
				option, role_controller[r]);
	return 0;
}

static int set_limits(struct cgroup *cg, const struct cg_limits *lim, struct run_err *e)
{
	int err = 0;

	if (cg->role[CG_ROLE_MEMORY] >= 0)
		err = set_memory(&cg->dir[cg->role[CG_ROLE_MEMORY]], lim->memory_bytes, e);
	if (!err && cg->role[CG_ROLE_CPU] >= 0)
		err = set_cpu(&cg->dir[cg->role[CG_ROLE_CPU]], lim->cpu_quota_us,
			      lim->cpu_period_us, e);
	if (!err && cg->role[CG_ROLE_PIDS] >= 0)
		err = set_pids(&cg->dir[cg->role[CG_ROLE_PIDS]], lim->pids_max, e);
	return err;
}

/* The roles a limit of @lim asks for: the CPU quota's also accounts the CPU time. */
static bool role_limited(enum cg_role r, const struct cg_limits *lim)
{
	switch (r) {
	case CG_ROLE_MEMORY:
		return lim->memory_bytes;
	case CG_ROLE_CPU:
	case CG_ROLE_CPUACCT:
		return lim->cpu_quota_us;
	case CG_ROLE_PIDS:
		return lim->pids_max;
	default:
		return false;
	}
}

/*
 * Is directory @i made? The v2 one always (the container is born in it, see
 * spawn_spec.cgroup_v2_dir, and cgroup.kill lives there); a v1 one only for a
 * limit set on it. Every move of a process between cgroups waits for an RCU
 * grace period (cgroup_threadgroup_rwsem, 10-15 ms on this machine), so a
 * container born in its v2 directory and with no v1 limit is never moved at
 * all. Without a v2 tree every hierarchy gets one, so that the tree can be
 * listed and killed.
 */
static bool dir_wanted(const struct cgroup *cg, size_t i, const struct cg_limits *lim)
{
	int r;

	if (cg->v2 < 0 || (int)i == cg->v2)
		return true;
	for (r = 0; r < CG_ROLES; r++)
		if (cg->role[r] == (int)i && role_limited(r, lim))
			return true;
	return false;
}

int cg_create_on(const struct cg_mounts *ms, const char *name, const struct cg_limits *lim,
		 struct cgroup **out, struct run_err *e)
{
	static const struct cg_limits none;
	struct cgroup *cg;
	size_t i;
	int err;

	if (!lim)
		lim = &none;
	err = cg_plan(ms, name, &cg, e);
	if (err)
		return err;
	if (!cg->n) {
		free(cg);
		return run_errf(e, EOPNOTSUPP, "no cgroup hierarchy is mounted");
	}
	err = need(cg, CG_ROLE_MEMORY, lim->memory_bytes, "--memory", e);
	if (!err)
		err = need(cg, CG_ROLE_CPU, lim->cpu_quota_us, "--cpus", e);
	if (!err)
		err = need(cg, CG_ROLE_PIDS, lim->pids_max, "--pids", e);
	for (i = 0; i < cg->n && !err; i++)
		if (dir_wanted(cg, i, lim))
			err = make_or_take(cg, &cg->dir[i], e);
	settle_roles(cg);
	if (!err)
		err = set_limits(cg, lim, e);
	if (err) {
		unmake(cg);
		free(cg);
		return err;
	}
	*out = cg;
	return 0;
}

/* ---- what is in it ---- */

/* Move @pid into the directories of @cg, the v2 one only when @with_v2. */
static int attach(struct cgroup *cg, pid_t pid, bool with_v2, struct run_err *e)
{
	char v[32];
	size_t i;
	int err;

	snprintf(v, sizeof(v), "%d", (int)pid);	/* 0: the writer itself */
	for (i = 0; i < cg->n; i++) {
		if (!cg->dir[i].present || (!with_v2 && (int)i == cg->v2))
			continue;
		err = write_file(cg->dir[i].path, "cgroup.procs", v);
		if (err)
			return run_errf(e, -err, "cannot move process %d into %s: %s", (int)pid,
					cg->dir[i].path, strerror(-err));
	}
	return 0;
}

int cg_attach(struct cgroup *cg, pid_t pid, struct run_err *e)
{
	return attach(cg, pid, true, e);
}

int cg_attach_v1(struct cgroup *cg, pid_t pid, struct run_err *e)
{
	return attach(cg, pid, false, e);
}

const char *cg_v2_dir(const struct cgroup *cg)
{
	return cg->v2 >= 0 && cg->dir[cg->v2].present ? cg->dir[cg->v2].path : NULL;
}

/* The directory processes are listed from: the v2 one, else the first present. */
static const struct cg_dir *procs_dir(const struct cgroup *cg)
{
	size_t i;

	if (cg->v2 >= 0 && cg->dir[cg->v2].present)
		return &cg->dir[cg->v2];
	for (i = 0; i < cg->n; i++)
		if (cg->dir[i].present)
			return &cg->dir[i];
	return NULL;
}

int cg_pids(struct cgroup *cg, pid_t **pids, size_t *count, struct run_err *e)
{
	const struct cg_dir *d = procs_dir(cg);
	size_t cap = 0;
	int err;

	*pids = NULL;
	*count = 0;
	if (!d)
		return 0;
	err = collect_pids(d->path, 0, pids, count, &cap);
	if (err && err != -ENOENT) {
		free(*pids);
		*pids = NULL;
		*count = 0;
		return run_errf(e, -err, "cannot list the processes of %s: %s", d->path,
				strerror(-err));
	}
	return 0;
}

int cg_signal(struct cgroup *cg, int sig, struct run_err *e)
{
	const struct cg_dir *d = procs_dir(cg);
	pid_t *pids;
	size_t n, i;
	int err;

	/* cgroup.kill takes the whole tree at once, forks racing the kill included */
	if (sig == SIGKILL && cg->v2 >= 0 && d == &cg->dir[cg->v2] &&
	    !write_file(d->path, "cgroup.kill", "1"))
		return 0;
	err = cg_pids(cg, &pids, &n, e);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (kill(pids[i], sig) && errno != ESRCH) {
			err = run_errf(e, errno, "cannot signal process %d of cgroup %s: %s",
				       (int)pids[i], cg->name, strerror(errno));
			break;
		}
	free(pids);
	return err;
}

int cg_oom_killed(struct cgroup *cg, bool *killed, struct run_err *e)
{
	const struct cg_dir *d;
	uint64_t v = 0;
	int err;

	*killed = false;
	if (cg->role[CG_ROLE_MEMORY] < 0)
		return 0;	/* no memory controller: no limit to be killed by */
	d = &cg->dir[cg->role[CG_ROLE_MEMORY]];
	if (d->v2) {
		err = read_key(d->path, "memory.events", "oom_kill", &v);
	} else {
		/* oom_control has oom_kill since 4.13; before, failcnt says the limit was hit */
		err = read_key(d->path, "memory.oom_control", "oom_kill", &v);
		if (err == -ENOENT && file_exists(d->path, "memory.oom_control"))
			err = read_u64(d->path, "memory.failcnt", &v);
	}
	if (err)
		return run_errf(e, -err, "cannot read the OOM kills of %s: %s", d->path,
				strerror(-err));
	*killed = v > 0;
	return 0;
}

int cg_cpu_usage_ns(struct cgroup *cg, uint64_t *ns, struct run_err *e)
{
	const struct cg_dir *d;
	uint64_t v;
	int err;

	if (cg->role[CG_ROLE_CPUACCT] < 0)
		return run_errf(e, EOPNOTSUPP, "no cgroup hierarchy accounts CPU time");
	d = &cg->dir[cg->role[CG_ROLE_CPUACCT]];
	if (d->v2) {
		err = read_key(d->path, "cpu.stat", "usage_usec", &v);
		v *= 1000;
	} else {
		err = read_u64(d->path, "cpuacct.usage", &v);
	}
	if (err)
		return run_errf(e, -err, "cannot read the CPU usage of %s: %s", d->path,
				strerror(-err));
	*ns = v;
	return 0;
}

/* The directory of @controller's role, or NULL. */
static const struct cg_dir *role_dir(const struct cgroup *cg, const char *controller)
{
	int r;

	if (!controller)
		return cg->v2 >= 0 ? &cg->dir[cg->v2] : NULL;
	for (r = 0; r < CG_ROLES; r++)
		if (!strcmp(role_controller[r], controller))
			return cg->role[r] >= 0 ? &cg->dir[cg->role[r]] : NULL;
	return NULL;
}

const char *cg_path(const struct cgroup *cg, const char *controller)
{
	const struct cg_dir *d = role_dir(cg, controller);

	return d ? d->path : NULL;
}

bool cg_path_is_v2(const struct cgroup *cg, const char *controller)
{
	const struct cg_dir *d = role_dir(cg, controller);

	return d && d->v2;
}
