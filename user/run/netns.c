// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The container's netns under RUN_NETNS_DIR, made the way iproute2's
 * netns_add() makes them, with syscalls: the directory becomes a shared
 * mount (a bind mount of itself first when it is not a mount point, which
 * mount(MS_SHARED) says with EINVAL), so that a netns bound later in it
 * reaches every mount namespace that has it; then the file and the bind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"

int netns_path(const char *name, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", RUN_NETNS_DIR, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

bool netns_path_is(const char *path, const char *name)
{
	char want[BPFNET_PATH_MAX];

	return !netns_path(name, want, sizeof(want)) && !strcmp(path, want);
}

bool netns_exists(const char *name)
{
	char path[BPFNET_PATH_MAX];
	struct stat st;

	return !netns_path(name, path, sizeof(path)) && !lstat(path, &st);
}

/* RUN_NETNS_DIR, a shared mount point (iproute2: "Make it possible for network namespace
 * mounts to propagate between mount namespaces"). */
static int netns_dir_shared(struct run_err *e)
{
	bool made_mount = false;

	if (mkdir(RUN_NETNS_DIR, 0755) && errno != EEXIST)
		return run_errf(e, errno, "cannot make %s: %s", RUN_NETNS_DIR, strerror(errno));
	while (mount("", RUN_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL)) {
		/* EINVAL: not a mount point; make it one, once */
		if (errno != EINVAL || made_mount)
			return run_errf(e, errno, "cannot make %s a shared mount: %s",
					RUN_NETNS_DIR, strerror(errno));
		if (mount(RUN_NETNS_DIR, RUN_NETNS_DIR, "none", MS_BIND | MS_REC, NULL))
			return run_errf(e, errno, "cannot bind-mount %s onto itself: %s",
					RUN_NETNS_DIR, strerror(errno));
		made_mount = true;
	}
	return 0;
}

int netns_bind(const char *name, pid_t pid, struct run_err *e)
{
	char path[BPFNET_PATH_MAX], src[64];
	int fd, err;

	if (netns_path(name, path, sizeof(path)))
		return run_errf(e, ENAMETOOLONG, "netns name '%s' is too long", name);
	if ((err = netns_dir_shared(e)))
		return err;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		if (err == EEXIST)
			return run_errf(e, err, "netns '%s' exists already (%s)", name, path);
		return run_errf(e, err, "cannot make %s: %s", path, strerror(err));
	}
	close(fd);
	snprintf(src, sizeof(src), "/proc/%d/ns/net", (int)pid);
	if (mount(src, path, "none", MS_BIND, NULL)) {
		err = errno;
		unlink(path);
		return run_errf(e, err, "cannot bind %s to %s: %s", src, path, strerror(err));
	}
	return 0;
}

int netns_unbind(const char *path, struct run_err *e)
{
	if (!*path)
		return 0;
	/* EINVAL: not a mount point (a bind never made, or undone already) */
	if (umount2(path, MNT_DETACH) && errno != EINVAL && errno != ENOENT)
		return run_errf(e, errno, "cannot unmount %s: %s", path, strerror(errno));
	if (unlink(path) && errno != ENOENT)
		return run_errf(e, errno, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}
