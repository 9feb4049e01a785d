// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uid/gid ranges for --userns (userns.h). Range k is host uids
 * RUN_USERNS_FIRST + k * RUN_USERNS_SIZE .. + RUN_USERNS_SIZE - 1; it is
 * taken when <dir>/<its first uid> exists. The file is written whole
 * unnamed (O_TMPFILE) and then given the range's name by linkat(), which is
 * atomic and fails with EEXIST when the name is taken, so of two runs that
 * try the same k at once exactly one gets it and the other goes on to k + 1:
 * no lock file, nothing to unlock after a crash, and never a range file
 * without the name of its container (which rm -f gives back by that name).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userns.h"

#define USERNS_PATH_MAX 512

/* mkdir -p @dir (0700: the files say which host uids are whose). */
static int make_dir(const char *dir, struct run_err *e)
{
	char path[USERNS_PATH_MAX];
	size_t i, len = strlen(dir);

	if (!len || len >= sizeof(path))
		return run_errf(e, EINVAL, "\"%s\" is not a directory for uid ranges", dir);
	strcpy(path, dir);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return run_errf(e, errno, "cannot make %s: %s", path, strerror(errno));
		path[i] = i < len ? '/' : '\0';
	}
	return 0;
}

static int range_path(char *buf, size_t len, const char *dir, uint32_t first)
{
	if (snprintf(buf, len, "%s/%u", dir, first) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * An unnamed file in @dir holding "@name\n" (O_TMPFILE): linked under a
 * range's name only once whole, so that a run killed at any instant leaves
 * either no range file or one that names its container (rm gives it back).
 */
static int name_file(const char *dir, const char *name, struct run_err *e)
{
	char line[RUN_NAME_MAX + 2];
	int len = snprintf(line, sizeof(line), "%s\n", name), fd, err;
	ssize_t n;

	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return run_errf(e, errno, "cannot make a file in %s: %s", dir, strerror(errno));
	n = write(fd, line, (size_t)len);
	err = n < 0 ? errno : n != len ? EIO : 0;
	if (err) {
		close(fd);
		return run_errf(e, err, "cannot write a file in %s: %s", dir, strerror(err));
	}
	return fd;
}

int userns_take(const char *dir, const char *name, struct userns_range *out, struct run_err *e)
{
	char path[USERNS_PATH_MAX], self[64];
	uint32_t k, first;
	int fd, err;

	if (!name || !*name || strlen(name) >= RUN_NAME_MAX || strchr(name, '\n'))
		return run_errf(e, EINVAL, "\"%s\" is not a container name", name ? name : "");
	err = make_dir(dir, e);
	if (err)
		return err;
	fd = name_file(dir, name, e);
	if (fd < 0)
		return fd;
	/* linkat() through /proc/self/fd: an O_TMPFILE file gets its name, or EEXIST */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	for (k = 0; k < RUN_USERNS_RANGES; k++) {
		first = RUN_USERNS_FIRST + k * RUN_USERNS_SIZE;
		if (range_path(path, sizeof(path), dir, first)) {
			close(fd);
			return run_errf(e, ENAMETOOLONG, "%s: path too long", dir);
		}
		if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW)) {
			if (errno == EEXIST)
				continue;
			err = errno;
			close(fd);
			return run_errf(e, err, "cannot take uid range %s: %s", path, strerror(err));
		}
		close(fd);
		out->host_first = first;
		out->count = RUN_USERNS_SIZE;
		return 0;
	}
	close(fd);
	return run_errf(e, ENOSPC, "all %u uid ranges for --userns are taken (in %s)",
			RUN_USERNS_RANGES, dir);
}

/* Is @r one that userns_take() hands out? */
static bool range_valid(const struct userns_range *r)
{
	uint32_t off;

	if (r->host_first < RUN_USERNS_FIRST)
		return false;
	off = r->host_first - RUN_USERNS_FIRST;
	return off % RUN_USERNS_SIZE == 0 && off / RUN_USERNS_SIZE < RUN_USERNS_RANGES &&
	       r->count == RUN_USERNS_SIZE;
}

int userns_release(const char *dir, const struct userns_range *r, struct run_err *e)
{
	char path[USERNS_PATH_MAX];

	if (!r->host_first && !r->count)
		return 0;	/* none taken (a zeroed record) */
	if (!range_valid(r))
		return run_errf(e, EINVAL, "uid range %u+%u is not one of --userns's", r->host_first,
				r->count);
	if (range_path(path, sizeof(path), dir, r->host_first))
		return run_errf(e, ENAMETOOLONG, "%s: path too long", dir);
	if (unlink(path) && errno != ENOENT)
		return run_errf(e, errno, "cannot give back uid range %s: %s", path,
				strerror(errno));
	return 0;
}

/*
 * One map file: the whole map in one write(), as the kernel takes it. The
 * caller is root in the namespace's parent (CAP_SETUID/CAP_SETGID there), so
 * gid_map may be written without denying setgroups first: that rule binds
 * unprivileged writers only (user_namespaces(7)), and the container keeps
 * setgroups(2), which a root inside may need.
 */
static int write_map(pid_t pid, const char *file, const struct userns_range *r,
		     struct run_err *e)
{
	char path[64], map[64];
	int fd, len, err = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	len = snprintf(map, sizeof(map), "0 %u %u\n", r->host_first, r->count);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return run_errf(e, errno, "cannot open %s: %s", path, strerror(errno));
	n = write(fd, map, (size_t)len);
	if (n < 0)
		err = errno;
	else if (n != len)
		err = EIO;
	close(fd);
	if (err)
		return run_errf(e, err, "cannot write %s (\"0 %u %u\"): %s", path, r->host_first,
				r->count, strerror(err));
	return 0;
}

int userns_write_maps(pid_t pid, const struct userns_range *r, struct run_err *e)
{
	int err;

	if (pid <= 0)
		return run_errf(e, EINVAL, "no process %d to map uids of", (int)pid);
	if (!r->count || r->count > RUN_USERNS_SIZE || r->host_first > UINT32_MAX - r->count)
		return run_errf(e, EINVAL, "uid range %u+%u is not a range", r->host_first,
				r->count);
	err = write_map(pid, "uid_map", r, e);
	if (!err)
		err = write_map(pid, "gid_map", r, e);
	return err;
}
