// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/nsfs.h>

#include "core/core.h"
#include "sys/netns.h"

int netns_open(const char *spec, char *path, size_t path_len, int *fd)
{
	int nfd, err;

	if (!*spec)
		return -EINVAL;
	if (strchr(spec, '/'))
		snprintf(path, path_len, "%s", spec);
	else if (snprintf(path, path_len, "%s/%s", BPFNET_NETNS_DIR, spec) >= (int)path_len)
		return -ENAMETOOLONG;
	nfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nfd < 0)
		return -errno;
	/* NS_GET_NSTYPE tells a netns file from any other file at that path */
	err = ioctl(nfd, NS_GET_NSTYPE);
	if (err != CLONE_NEWNET) {
		close(nfd);
		return -EINVAL;
	}
	*fd = nfd;
	return 0;
}

int netns_same(int fd_a, int fd_b)
{
	struct stat a, b;

	if (fstat(fd_a, &a) < 0 || fstat(fd_b, &b) < 0)
		return -errno;
	/* a netns is one nsfs inode, whatever path or bind mount it is opened by */
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int netns_ident(int fd, uint64_t *dev, uint64_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

int netns_is_current(int fd)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), ret;

	if (self < 0)
		return -errno;
	ret = netns_same(fd, self);
	close(self);
	return ret;
}

int netns_run(int fd, int (*fn)(void *arg), void *arg)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), ret;

	if (self < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0) {
		ret = -errno;
		close(self);
		return ret;
	}
	ret = fn(arg);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* cannot happen for a netns we were in; carrying on in the wrong one would be worse */
		pr_warn("cannot return to the original netns: %s\n", strerror(errno));
		abort();
	}
	close(self);
	return ret;
}
