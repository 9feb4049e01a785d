// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Container records on disk: <run dir>/containers/<name>/container.json
 * under <run dir>/containers/.lock, and what the processes they name are
 * doing now (record_refresh()).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lifecycle.h"
#include "procstat.h"
#include "record.h"
#include "record_json.h"

#define RECORD_FILE "container.json"
#define DEFAULT_RUN_DIR "/run/bpfnet"

static const char *run_dir(void)
{
	const char *d = getenv("BPFNET_RUN_DIR");

	return d && *d ? d : DEFAULT_RUN_DIR;
}

const char *record_root(void)
{
	static char root[BPFNET_PATH_MAX];

	if (!*root)
		snprintf(root, sizeof(root), "%s/containers", run_dir());
	return root;
}

const char *record_userns_dir(void)
{
	static char dir[BPFNET_PATH_MAX];

	if (!*dir)
		snprintf(dir, sizeof(dir), "%s/userns", run_dir());
	return dir;
}

int record_path(const char *name, const char *file, char *buf, size_t len)
{
	int n = file ? snprintf(buf, len, "%s/%s/%s", record_root(), name, file)
		     : snprintf(buf, len, "%s/%s", record_root(), name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool record_name_valid(const char *name, struct run_err *e)
{
	size_t len = strlen(name);

	if (!len || len >= RUN_NAME_MAX) {
		run_errf(e, EINVAL, "invalid container name '%s': 1 to %d characters", name,
			 RUN_NAME_MAX - 1);
		return false;
	}
	if (!isalnum((unsigned char)name[0]) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len) {
		run_errf(e, EINVAL, "invalid container name '%s': a letter or digit, then letters, "
			 "digits, '_', '.', '-'", name);
		return false;
	}
	return true;
}

/* ---- the lock ---- */

static int mkdir_p(const char *dir, mode_t mode, struct run_err *e)
{
	char buf[BPFNET_PATH_MAX];

	if ((size_t)snprintf(buf, sizeof(buf), "%s", dir) >= sizeof(buf))
		return run_errf(e, ENAMETOOLONG, "%s: path too long", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return run_errf(e, errno, "cannot make %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return run_errf(e, errno, "cannot make %s: %s", buf, strerror(errno));
	return 0;
}

int record_lock(struct run_err *e)
{
	char path[BPFNET_PATH_MAX];
	int fd, err;

	/* 0711: a --userns container's root (an unprivileged uid here) opens its /etc files */
	if ((err = mkdir_p(record_root(), 0711, e)))
		return err;
	snprintf(path, sizeof(path), "%s/.lock", record_root());
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return run_errf(e, errno, "cannot open %s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX)) {
		if (errno == EINTR)
			continue;
		err = errno;
		close(fd);
		return run_errf(e, err, "cannot lock %s: %s", path, strerror(err));
	}
	return fd;
}

void record_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* the flock goes with the last fd of its open file */
}

/* ---- records ---- */

void record_free(struct container_record *r)
{
	for (size_t i = 0; r->argv && r->argv[i]; i++)
		free(r->argv[i]);
	for (size_t i = 0; r->env && r->env[i]; i++)
		free(r->env[i]);
	free(r->argv);
	free(r->env);
	r->argv = r->env = NULL;
}

void record_list_free(struct container_record *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		record_free(&list[i]);
	free(list);
}

#define RECORD_MAX_BYTES (1 << 20)	/* far more than 1024 words of argv and env take */

static int read_whole(int fd, char **out, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap), *grown;
	ssize_t got;

	if (!buf)
		return -ENOMEM;
	while ((got = read(fd, buf + n, cap - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			return -errno;
		}
		n += (size_t)got;
		if (n == cap) {
			if (cap >= RECORD_MAX_BYTES || !(grown = realloc(buf, cap * 2))) {
				free(buf);
				return cap >= RECORD_MAX_BYTES ? -EFBIG : -ENOMEM;
			}
			buf = grown;
			cap *= 2;
		}
	}
	*out = buf;
	*len = n;
	return 0;
}

int record_load(const char *name, struct container_record *r, struct run_err *e)
{
	char path[BPFNET_PATH_MAX], *text = NULL;
	json_error_t jerr;
	size_t len = 0;
	json_t *o;
	int fd, err;

	memset(r, 0, sizeof(*r));
	if (!record_name_valid(name, e))
		return -EINVAL;
	if (record_path(name, RECORD_FILE, path, sizeof(path)))
		return run_errf(e, ENAMETOOLONG, "%s: path too long", name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return run_errf(e, ENOENT, "no container '%s'", name);
	if (fd < 0)
		return run_errf(e, errno == ELOOP ? EUCLEAN : errno, "cannot open %s: %s", path,
				strerror(errno));
	/* whole, in a few reads: json_loadfd() reads a byte at a time */
	err = read_whole(fd, &text, &len);
	close(fd);
	if (err == -EFBIG)
		return run_errf(e, EUCLEAN, "%s: not a container record: over %d bytes", path,
				RECORD_MAX_BYTES);
	if (err)
		return run_errf(e, -err, "cannot read %s: %s", path, strerror(-err));
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!o)
		return run_errf(e, EUCLEAN, "%s: not a container record: %s (line %d)", path,
				jerr.text, jerr.line);
	err = record_from_json(o, path, name, r, e);
	json_decref(o);
	return err;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

static int write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int record_save(const struct container_record *r, struct run_err *e)
{
	char dir[BPFNET_PATH_MAX], path[BPFNET_PATH_MAX], tmp[BPFNET_PATH_MAX + 8], *text;
	json_t *o;
	int fd, err;

	if (record_path(r->name, NULL, dir, sizeof(dir)) ||
	    record_path(r->name, RECORD_FILE, path, sizeof(path)))
		return run_errf(e, ENAMETOOLONG, "%s: path too long", r->name);
	/* 0711 as the root: the record, status and log stay the owner's (0600) */
	if (mkdir(dir, 0711) && errno != EEXIST)
		return run_errf(e, errno, "cannot make %s: %s", dir, strerror(errno));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return run_errf(e, errno, "cannot write %s: %s", tmp, strerror(errno));
	/* one write, not jansson's one per token */
	o = record_to_json(r);
	text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	errno = 0;
	err = !text || write_all(fd, text) || write_all(fd, "\n") || fsync(fd);
	free(text);
	if (err) {
		err = errno ? errno : EIO;
		close(fd);
		unlink(tmp);
		return run_errf(e, err, "cannot write %s: %s", tmp, strerror(err));
	}
	close(fd);
	if (rename(tmp, path)) {
		err = errno;
		unlink(tmp);
		return run_errf(e, err, "cannot rename %s: %s", tmp, strerror(err));
	}
	fsync_dir(dir);
	return 0;
}

int record_remove(const char *name, struct run_err *e)
{
	char dir[BPFNET_PATH_MAX], path[BPFNET_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (!record_name_valid(name, e))
		return -EINVAL;
	if (record_path(name, NULL, dir, sizeof(dir)))
		return run_errf(e, ENAMETOOLONG, "%s: path too long", name);
	d = opendir(dir);
	if (!d && errno == ENOENT)
		return 0;
	if (!d)
		return run_errf(e, errno, "cannot open %s: %s", dir, strerror(errno));
	/* the record last: a remove killed midway leaves a record that names the rest */
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, RECORD_FILE))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) && errno != ENOENT && !err)
			err = run_errf(e, errno, "cannot remove %s/%s: %s", dir, de->d_name,
				       strerror(errno));
	}
	closedir(d);
	if (err)
		return err;
	if (record_path(name, RECORD_FILE, path, sizeof(path)))
		return run_errf(e, ENAMETOOLONG, "%s: path too long", name);
	if (unlink(path) && errno != ENOENT)
		return run_errf(e, errno, "cannot remove %s: %s", path, strerror(errno));
	if (rmdir(dir) && errno != ENOENT)
		return run_errf(e, errno, "cannot remove %s: %s", dir, strerror(errno));
	fsync_dir(record_root());
	return 0;
}

static int by_created(const void *a, const void *b)
{
	const struct container_record *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->name, y->name);
}

int record_list(struct container_record **out, size_t *count, size_t *bad, struct run_err *e)
{
	struct container_record *list = NULL, *grown;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int err;

	*out = NULL;
	*count = 0;
	if (bad)
		*bad = 0;
	d = opendir(record_root());
	if (!d && errno == ENOENT)
		return 0;
	if (!d)
		return run_errf(e, errno, "cannot open %s: %s", record_root(), strerror(errno));
	while ((de = readdir(d))) {
		struct run_err ignored;

		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				closedir(d);
				record_list_free(list, n);
				return run_errf(e, ENOMEM, "out of memory");
			}
			list = grown;
		}
		err = record_load(de->d_name, &list[n], &ignored);
		/* ENOENT: a directory whose remove was cut short, not a record */
		if (err) {
			if (bad && err != -ENOENT)
				(*bad)++;
			continue;
		}
		n++;
	}
	closedir(d);
	qsort(list, n, sizeof(*list), by_created);
	*out = list;
	*count = n;
	return 0;
}

int record_find(const char *word, struct container_record *r, struct run_err *e)
{
	struct container_record *list;
	size_t n, match = 0, matches = 0;
	int err;

	err = record_load(word, r, e);
	if (err != -ENOENT && err != -EINVAL)
		return err;
	if (err == -EINVAL && !record_name_valid(word, NULL))
		return err;
	if ((err = record_list(&list, &n, NULL, e)))
		return err;
	for (size_t i = 0; *word && i < n; i++) {
		if (!strncmp(list[i].id, word, strlen(word))) {
			match = i;
			matches++;
		}
	}
	if (matches == 1) {
		*r = list[match];
		list[match].argv = list[match].env = NULL;
	}
	record_list_free(list, n);
	if (matches > 1)
		return run_errf(e, EINVAL, "'%s' is the beginning of %zu container IDs: give more of "
				"it, or the name", word, matches);
	if (!matches)
		return run_errf(e, ENOENT, "no container '%s' ('bpfnet ps -a' lists them)", word);
	return 0;
}

/* ---- processes ---- */

int proc_start_time(pid_t pid, uint64_t *start_time)
{
	const char *fields, *p;
	unsigned long long st;
	char buf[1024];

	if (pid <= 0 || proc_stat_read(pid, buf, sizeof(buf), &fields))
		return -ESRCH;
	/* field 3 is the state, 22 the start time */
	if (*fields == 'Z' || *fields == 'X')
		return -ESRCH;
	p = proc_stat_field(fields, 22);
	if (!p || sscanf(p, "%llu", &st) != 1)
		return -ESRCH;
	*start_time = st;
	return 0;
}

bool proc_alive(const struct proc_id *p)
{
	uint64_t st;

	return p->pid > 0 && !proc_start_time(p->pid, &st) && st == p->start_time;
}

int proc_self(struct proc_id *p, struct run_err *e)
{
	p->pid = getpid();
	if (proc_start_time(p->pid, &p->start_time))
		return run_errf(e, EIO, "cannot read /proc/self/stat");
	return 0;
}

bool record_init_alive(const struct container_record *r)
{
	struct proc_id init = { r->init_pid, r->init_start_time };

	return proc_alive(&init);
}

int record_read_status(const char *name)
{
	char path[BPFNET_PATH_MAX], buf[16], *end;
	ssize_t n;
	long v;
	int fd;

	if (record_path(name, "status", path, sizeof(path)))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || v < 0 || v > 255)
		return -1;
	return (int)v;
}

/*
 * Init is gone and so is its waiter: tear it down under the lock, after
 * reading the record again (someone may have done it meanwhile, or removed
 * it and made another of the same name).
 */
static int refresh_teardown(struct container_record *r, int lock_fd, struct run_err *e)
{
	struct container_record now;
	int fd = lock_fd, err;

	if (fd < 0 && (fd = record_lock(e)) < 0)
		return fd;
	err = record_load(r->name, &now, e);
	if (!err && strcmp(now.id, r->id)) {
		record_free(&now);
		err = run_errf(e, ENOENT, "container '%s' is gone", r->name);
	}
	if (err) {
		if (lock_fd < 0)
			record_unlock(fd);
		return err;
	}
	if (now.state != CONTAINER_EXITED && !record_init_alive(&now) && !proc_alive(&now.waiter))
		err = container_teardown(&now, record_read_status(now.name), e);
	if (lock_fd < 0)
		record_unlock(fd);
	record_free(r);
	*r = now;
	return err;
}

int record_refresh(struct container_record *r, int lock_fd, struct run_err *e)
{
	if (r->state == CONTAINER_EXITED)
		return 0;
	if (r->state == CONTAINER_RUNNING && record_init_alive(r))
		return 0;
	if (proc_alive(&r->waiter)) {
		/* its waiter is at work, or waits for init: what ps says meanwhile */
		if (r->state == CONTAINER_RUNNING) {
			r->state = CONTAINER_EXITED;
			r->exit_status = record_read_status(r->name);
		}
		return 0;
	}
	return refresh_teardown(r, lock_fd, e);
}
