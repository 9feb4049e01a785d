// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where the instance's pins live. The bpffs is found in this order:
 * 1. --bpffs / $BPFNET_BPFFS, which must be a bpffs;
 * 2. /sys/fs/bpf when it is one;
 * 3. `ip netns exec` runs its command in a private mount namespace with a fresh
 *    /sys, which hides the host's bpffs: it is still reachable through the root
 *    of the nearest ancestor in another mount namespace (/proc/PID/root);
 * 4. otherwise a bpffs is mounted at /sys/fs/bpf, as Cilium does, but only when
 *    our mount namespace is our parent's: a mount in a private one would vanish
 *    when this process exits, and the pins with it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "sys/bpffs.h"
#include "sys/fsutil.h"

static int mnt_ns_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], *buf, *p;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, &buf, 4096))
		return 0;
	/* "pid (comm) state ppid ...": comm may hold spaces and parens, skip to the last ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	free(buf);
	return ppid;
}

pid_t bn_mntns_ancestor(int *same_ns_as_parent)
{
	char self[64], other[64];
	pid_t pid = getppid();

	*same_ns_as_parent = 0;
	if (mnt_ns_of(getpid(), self, sizeof(self)))
		return -ENOENT;
	for (int depth = 0; pid > 1 && depth < 64; depth++, pid = parent_of(pid)) {
		if (mnt_ns_of(pid, other, sizeof(other)))
			return -ENOENT;
		if (!strcmp(self, other)) {
			if (depth == 0)
				*same_ns_as_parent = 1;
			continue;
		}
		return pid;
	}
	return -ENOENT;
}

/* The host's bpffs seen through the first ancestor outside our mount namespace. */
static int ancestor_bpffs(char *out, size_t len, int *same_ns_as_parent)
{
	pid_t pid = bn_mntns_ancestor(same_ns_as_parent);

	if (pid < 0)
		return pid;
	snprintf(out, len, "/proc/%d/root" BPFNET_DEFAULT_BPFFS, pid);
	return is_bpffs(out) ? 0 : -ENOENT;
}

static int find_bpffs(struct bpfnet *bn, char *out, size_t len, bool may_mount)
{
	int same_ns_as_parent;

	if (bn->bpffs_opt[0]) {
		if (!is_bpffs(bn->bpffs_opt))
			return bn_fail(bn, -ENOTDIR, "%s is not a bpffs mount", bn->bpffs_opt);
		snprintf(out, len, "%s", bn->bpffs_opt);
		return 0;
	}
	snprintf(out, len, "%s", BPFNET_DEFAULT_BPFFS);
	if (is_bpffs(out))
		return 0;
	if (!ancestor_bpffs(out, len, &same_ns_as_parent))
		return 0;
	if (!same_ns_as_parent && getppid() > 1)
		return bn_fail(bn, -ENOENT,
			       "no bpffs at %s and this process runs in a private mount namespace "
			       "(ip netns exec?); mount one on the host (mount -t bpf bpf %s) "
			       "or pass --bpffs DIR",
			       BPFNET_DEFAULT_BPFFS, BPFNET_DEFAULT_BPFFS);
	if (!may_mount)
		return bn_fail(bn, -ENOENT, "no bpffs at %s: nothing of bpfnet is pinned there",
			       BPFNET_DEFAULT_BPFFS);
	snprintf(out, len, "%s", BPFNET_DEFAULT_BPFFS);
	if (mount("bpf", out, "bpf", 0, "mode=0700") < 0)
		return bn_fail(bn, -errno, "cannot mount a bpffs at %s: %s", out, strerror(errno));
	pr_info("mounted a bpffs at %s\n", out);
	return 0;
}

static int pin_dir(struct bpfnet *bn, const char **out, bool may_mount)
{
	char root[PATH_MAX];
	int err;

	if (!bn->pin_dir[0]) {
		err = find_bpffs(bn, root, sizeof(root), may_mount);
		if (err)
			return err;
		if (snprintf(bn->pin_dir, sizeof(bn->pin_dir), "%s/bpfnet/%s", root, bn->instance) >=
		    (int)sizeof(bn->pin_dir))
			return bn_fail(bn, -ENAMETOOLONG, "bpffs path %s is too long", root);
	}
	*out = bn->pin_dir;
	return 0;
}

int bn_pin_dir(struct bpfnet *bn, const char **out)
{
	return pin_dir(bn, out, false);
}

int bn_pin_dir_mount(struct bpfnet *bn, const char **out)
{
	return pin_dir(bn, out, true);
}
