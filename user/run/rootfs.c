// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The container's files, set up by its init in its own mount namespace
 * before the command starts (what runc's rootfs_linux.go does, in syscalls).
 *
 * Every mount of the container's sits under "/" made recursively private
 * first, so none of them propagates back to the host's mount namespace.
 * Two steps (spawn_internal.h): what touches the host's directories, with
 * the credentials init was cloned with (host root); then, as the container's
 * root and relative to the rootfs's bind mount, the mounts into it.
 * Without a rootfs the container has the host's files (as `ip netns exec`
 * gives), but a /proc of its own PID namespace mounted over the host's, so
 * that it sees only its own processes, and with its own network namespace
 * a /sys of that. With one:
 *   - the rootfs is bind-mounted onto itself (pivot_root wants a mount point)
 *     and becomes the cwd, from which every later path is resolved;
 *   - /proc, /sys (read-only), /dev (a tmpfs: the host's null, zero, full,
 *     random, urandom and tty bind-mounted in — a user namespace may not
 *     mknod, and a bind works in every case —, a new devpts instance, shm),
 *     /tmp are mounted into it while the host's /proc is still in the
 *     namespace: inside a user namespace the kernel lets proc and sysfs be
 *     mounted only where an unobstructed one is already visible;
 *   - pivot_root(".", "."), then the old root, stacked on the new one,
 *     detached (runc's way: no directory for the old root is left in the
 *     rootfs);
 *   - the /etc files bound in after the pivot, so that a symbolic link in the
 *     rootfs (/etc/resolv.conf often is one) resolves inside it, never on the
 *     host; their sources were cloned (open_tree) before the pivot.
 * The mount points the rootfs lacks are made; one that is a symbolic link is
 * refused, since the mount would follow it out of the rootfs (but /etc's,
 * bound after the pivot, may be links, see etc_target_make()).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "spawn_internal.h"

#define PROC_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static const char *const etc_files[] = { "hosts", "hostname", "resolv.conf" };
_Static_assert(sizeof(etc_files) / sizeof(etc_files[0]) == FS_ETC_FILES, "FS_ETC_FILES");

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

static const struct {
	const char *target;
	const char *link;
} dev_links[] = {
	{ "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
	{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
};

static int mount_fs(const char *source, const char *target, const char *type,
		    unsigned long flags, const char *data, struct run_err *e)
{
	if (mount(source, target, type, flags, data) < 0)
		return run_errf(e, errno, "cannot mount %s on %s: %s", type ? type : source, target,
				strerror(errno));
	return 0;
}

static int bind_mount(const char *source, const char *target, unsigned long flags,
		      struct run_err *e)
{
	if (mount(source, target, NULL, MS_BIND | flags, NULL) < 0)
		return run_errf(e, errno, "cannot bind-mount %s on %s: %s", source, target,
				strerror(errno));
	return 0;
}

/* nothing of ours propagates to the host's namespace (nor the host's mounts to us) */
static int make_root_private(struct run_err *e)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return run_errf(e, errno, "cannot make the container's mounts private: %s",
				strerror(errno));
	return 0;
}

/* @path as a mount point: made if missing (a directory or an empty file), refused if a link */
static int mount_point(const char *path, bool dir, struct run_err *e)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return run_errf(e, ELOOP, "%s is a symbolic link: a mount there would leave "
					"the rootfs", path);
		if (dir != !!S_ISDIR(st.st_mode))
			return run_errf(e, dir ? ENOTDIR : EISDIR, "%s is not a %s", path,
					dir ? "directory" : "file");
		return 0;
	}
	if (errno != ENOENT)
		return run_errf(e, errno, "cannot look at %s: %s", path, strerror(errno));
	if (dir) {
		if (mkdir(path, 0755) < 0)
			return run_errf(e, errno, "cannot make the directory %s: %s", path,
					strerror(errno));
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return run_errf(e, errno, "cannot make the file %s: %s", path, strerror(errno));
	close(fd);
	return 0;
}

static int path_in(char *buf, size_t len, const char *dir, const char *name, struct run_err *e)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		return run_errf(e, ENAMETOOLONG, "the path %s/%s is too long", dir, name);
	return 0;
}

/* the rootfs's directory @name, made a mount point of a new @type file system */
static int mount_in_rootfs(const char *root, const char *name, const char *type,
			   unsigned long flags, const char *data, struct run_err *e)
{
	char path[PATH_MAX];
	int err;

	if ((err = path_in(path, sizeof(path), root, name, e)) ||
	    (err = mount_point(path, true, e)))
		return err;
	return mount_fs(type, path, type, flags, data, e);
}

/*
 * /sys read-only. A sysfs shows the network devices of the mounter's network
 * namespace and may be mounted in a user namespace only if that one owns it:
 * so with the host's network and a user namespace, the host's /sys is bound
 * in (read-only) instead.
 */
static int mount_sys(const struct spawn_spec *spec, const char *root, struct run_err *e)
{
	char path[PATH_MAX];
	int err;

	if (!(spec->host_network && spec->userns))
		return mount_in_rootfs(root, "sys", "sysfs", MS_RDONLY | PROC_FLAGS, NULL, e);
	if ((err = path_in(path, sizeof(path), root, "sys", e)) ||
	    (err = mount_point(path, true, e)) ||
	    (err = bind_mount("/sys", path, MS_REC, e)))
		return err;
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | PROC_FLAGS, NULL) < 0)
		return run_errf(e, errno, "cannot make %s read-only: %s", path, strerror(errno));
	return 0;
}

static int dev_make_nodes(const char *dev, struct run_err *e)
{
	char path[PATH_MAX], host[64];
	int err;

	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		snprintf(host, sizeof(host), "/dev/%s", dev_nodes[i]);
		if ((err = path_in(path, sizeof(path), dev, dev_nodes[i], e)) ||
		    (err = mount_point(path, false, e)) ||
		    (err = bind_mount(host, path, 0, e)))
			return err;
	}
	return 0;
}

static int dev_make_links(const char *dev, struct run_err *e)
{
	char path[PATH_MAX];
	int err;

	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
		if ((err = path_in(path, sizeof(path), dev, dev_links[i].link, e)))
			return err;
		if (symlink(dev_links[i].target, path) < 0)
			return run_errf(e, errno, "cannot make the link %s: %s", path,
					strerror(errno));
	}
	return 0;
}

/* a minimal /dev: a tmpfs of our own, nothing of the host's but the harmless nodes */
static int mount_dev(const char *root, struct run_err *e)
{
	char dev[PATH_MAX];
	int err;

	if ((err = mount_in_rootfs(root, "dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
				   "mode=755,size=65536k", e)))
		return err;
	if ((err = path_in(dev, sizeof(dev), root, "dev", e)) || (err = dev_make_nodes(dev, e)))
		return err;
	/* a devpts instance of its own, so the container's ptys are not the host's */
	if ((err = mount_in_rootfs(dev, "pts", "devpts", MS_NOSUID | MS_NOEXEC,
				   "newinstance,ptmxmode=0666,mode=0620", e)))
		return err;
	if ((err = mount_in_rootfs(dev, "shm", "tmpfs", PROC_FLAGS, "mode=1777,size=65536k", e)))
		return err;
	return dev_make_links(dev, e);
}

/*
 * The /etc files of @etc_dir as detached bind mounts (open_tree clones), -1
 * for those it lacks: a plain descriptor would not do, since a bind from a
 * mount that is no longer in the namespace (the old root, after the pivot) is
 * refused.
 */
static int etc_sources_open(const char *etc_dir, int fds[FS_ETC_FILES], struct run_err *e)
{
	char path[PATH_MAX];
	int err;

	for (size_t i = 0; i < FS_ETC_FILES; i++)
		fds[i] = -1;
	if (!etc_dir)
		return 0;
	for (size_t i = 0; i < FS_ETC_FILES; i++) {
		if ((err = path_in(path, sizeof(path), etc_dir, etc_files[i], e)))
			return err;
		fds[i] = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fds[i] < 0 && errno != ENOENT)
			return run_errf(e, errno, "cannot open %s for a bind mount: %s", path,
					strerror(errno));
	}
	return 0;
}

/* the directories above @path, made where missing */
static int make_parents(const char *path, struct run_err *e)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return run_errf(e, errno, "cannot make the directory %s: %s", dir,
					strerror(errno));
		*slash = '/';
	}
	return 0;
}

/*
 * A missing /etc/NAME of a rootfs: made. A link to nothing (an image's
 * /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf, whose /run is
 * empty): its target made, as Docker does, so the bind lands there. Called
 * after the pivot: whatever the link says stays inside the container's root.
 */
static int etc_target_make(const char *dst, struct run_err *e)
{
	char link[PATH_MAX], target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int err;

	if (lstat(dst, &st) < 0 || !S_ISLNK(st.st_mode))
		return mount_point(dst, false, e);
	n = readlink(dst, link, sizeof(link) - 1);
	if (n < 0)
		return run_errf(e, errno, "cannot read the link %s: %s", dst, strerror(errno));
	link[n] = '\0';
	if ((size_t)snprintf(target, sizeof(target), "%s%s", link[0] == '/' ? "" : "/etc/", link) >=
	    sizeof(target))
		return run_errf(e, ENAMETOOLONG, "the link %s is too long", dst);
	if ((err = make_parents(target, e)))
		return err;
	return mount_point(target, false, e);
}

/*
 * Move the /etc sources over /etc/NAME of the root we are in, following a
 * link there (resolved in that root: a rootfs's link stays in it). With
 * @create, a missing /etc or file is made (in a rootfs); without (the host's
 * files), a file the host lacks is left so: we never write into the host's /etc.
 */
static int etc_bind(int fds[FS_ETC_FILES], bool create, struct run_err *e)
{
	char dst[64];
	int err;

	for (size_t i = 0; i < FS_ETC_FILES; i++) {
		if (fds[i] < 0)
			continue;
		snprintf(dst, sizeof(dst), "/etc/%s", etc_files[i]);
		if (!create && access(dst, F_OK) < 0)
			continue;
		if (create && ((err = mount_point("/etc", true, e)) ||
			       (access(dst, F_OK) < 0 && (err = etc_target_make(dst, e)))))
			return err;
		if (move_mount(fds[i], "", AT_FDCWD, dst,
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) < 0)
			return run_errf(e, errno, "cannot bind the container's %s over %s: %s",
					etc_files[i], dst, strerror(errno));
	}
	return 0;
}

static void etc_sources_close(int fds[FS_ETC_FILES])
{
	for (size_t i = 0; i < FS_ETC_FILES; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* the new root (our cwd) in place of the old, the old one (stacked on top by pivot_root) detached */
static int pivot_into_cwd(const char *root, struct run_err *e)
{
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return run_errf(e, errno, "cannot pivot_root into %s: %s", root, strerror(errno));
	if (umount2(".", MNT_DETACH) < 0)
		return run_errf(e, errno, "cannot detach the host's root: %s", strerror(errno));
	if (chdir("/") < 0)
		return run_errf(e, errno, "cannot change into the new root: %s", strerror(errno));
	return 0;
}

/*
 * /etc and the files to bind over, made in the rootfs where missing (with the
 * cloned credentials, see fs_prepare()); a link is left to etc_bind(), which
 * follows it once inside.
 */
static int etc_points_make(const char *root, const int fds[FS_ETC_FILES], struct run_err *e)
{
	char path[PATH_MAX], name[32];
	struct stat st;
	int err;

	for (size_t i = 0; i < FS_ETC_FILES; i++) {
		if (fds[i] < 0)
			continue;
		snprintf(name, sizeof(name), "etc/%s", etc_files[i]);
		if ((err = path_in(path, sizeof(path), root, "etc", e)) ||
		    (err = mount_point(path, true, e)) ||
		    (err = path_in(path, sizeof(path), root, name, e)))
			return err;
		if (lstat(path, &st) < 0 && (err = mount_point(path, false, e)))
			return err;
	}
	return 0;
}

/*
 * A user namespace's root is "others" to the host's files: a rootfs it may not
 * search (a mktemp -d is 0700) would be a root directory it cannot use at all.
 */
static int rootfs_open_to_userns_root(const char *root, struct run_err *e)
{
	struct stat st;

	if (stat(root, &st) < 0)
		return run_errf(e, errno, "cannot look at the rootfs %s: %s", root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return run_errf(e, ENOTDIR, "the rootfs %s is not a directory", root);
	if (!(st.st_mode & S_IXOTH))
		return run_errf(e, EACCES, "the rootfs %s (mode %04o) is closed to the user "
				"namespace's root, which is 'others' to it: make it searchable "
				"(chmod o+rx)", root, (unsigned int)(st.st_mode & 07777));
	return 0;
}

static int rootfs_prepare(const struct spawn_spec *spec, struct fs_setup *fs, struct run_err *e)
{
	static const char *const points[] = { "proc", "sys", "dev", "tmp" };
	char path[PATH_MAX];
	int err;

	if (!realpath(spec->rootfs, fs->root))
		return run_errf(e, errno, "cannot find the rootfs %s: %s", spec->rootfs,
				strerror(errno));
	if (spec->userns && (err = rootfs_open_to_userns_root(fs->root, e)))
		return err;
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++)
		if ((err = path_in(path, sizeof(path), fs->root, points[i], e)) ||
		    (err = mount_point(path, true, e)))
			return err;
	if ((err = etc_points_make(fs->root, fs->etc, e)) ||
	    (err = bind_mount(fs->root, fs->root, MS_REC, e)))
		return err;
	/* into the bind mount: from here on every path is relative to it */
	if (chdir(fs->root) < 0)
		return run_errf(e, errno, "cannot change into the rootfs %s: %s", fs->root,
				strerror(errno));
	return 0;
}

/* in the rootfs (our cwd), with the container's credentials: the mounts, the pivot, /etc */
static int rootfs_finish(const struct spawn_spec *spec, struct fs_setup *fs, struct run_err *e)
{
	int err;

	if ((err = mount_in_rootfs(".", "proc", "proc", PROC_FLAGS, NULL, e)) ||
	    (err = mount_sys(spec, ".", e)) ||
	    (err = mount_dev(".", e)) ||
	    (err = mount_in_rootfs(".", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", e)) ||
	    (err = pivot_into_cwd(fs->root, e)))
		return err;
	return etc_bind(fs->etc, true, e);
}

/*
 * The host's files, but /proc of the new PID namespace, with a network
 * namespace of its own a /sys that shows its devices (what `ip netns exec`
 * does; mounted over the host's, which a user namespace may not unmount),
 * and the container's /etc files.
 */
static int host_files_finish(const struct spawn_spec *spec, struct fs_setup *fs,
			     struct run_err *e)
{
	int err;

	if ((err = mount_fs("proc", "/proc", "proc", PROC_FLAGS, NULL, e)))
		return err;
	if (!spec->host_network && (err = mount_fs("sysfs", "/sys", "sysfs", PROC_FLAGS, NULL, e)))
		return err;
	return etc_bind(fs->etc, false, e);
}

int fs_prepare(const struct spawn_spec *spec, struct fs_setup *fs, struct run_err *e)
{
	int err;

	fs->root[0] = '\0';
	if ((err = etc_sources_open(spec->etc_dir, fs->etc, e)) || (err = make_root_private(e)))
		return err;
	return spec->rootfs ? rootfs_prepare(spec, fs, e) : 0;
}

int fs_finish(const struct spawn_spec *spec, struct fs_setup *fs, struct run_err *e)
{
	int err = spec->rootfs ? rootfs_finish(spec, fs, e) : host_files_finish(spec, fs, e);

	etc_sources_close(fs->etc);
	return err;
}
