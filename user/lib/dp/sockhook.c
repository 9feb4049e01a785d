// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The socket hooks of bpf/sock.bpf.c: loaded with the instance's pin dir as
 * pin_root_path (so they use the datapath's pinned maps), attached to the
 * cgroup v2 root as bpf_links, and the links pinned there too. The links keep
 * the hooks attached with no bpfnet process running; unpinning them (detach,
 * or `down` removing the pin dir) takes them off.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfnet/abi.h"
#include "core/core.h"
#include "sys/bpffs.h"
#include "sys/fsutil.h"
#include "dp/sizes.h"
#include "dp/sockhook.h"
#include "sock.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71	/* Linux 5.14; older libc headers lack it */
#endif

/* mountinfo of a busy host can be long; more than this is not a real one */
#define MOUNTINFO_MAX (16U << 20)
#define CGROUP_ENV "BPFNET_CGROUP"

int netns_cookie_self(__u64 *cookie)
{
	socklen_t len = sizeof(*cookie);
	/* any socket reports its netns; AF_UNIX exists even with networking torn down */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
		err = -errno;
	else if (len != sizeof(*cookie))
		err = -EINVAL;
	close(fd);
	return err;
}

static bool is_cgroup2(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo: undo it in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * The mount point of the cgroup2 mount in @mountinfo ("ID PARENT MAJ:MIN ROOT
 * MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"). A mount of
 * the hierarchy's root ("/") is preferred: attaching below it would miss the
 * processes outside that subtree.
 */
static int mountinfo_cgroup2(const char *mountinfo, char *out, size_t len)
{
	char *buf, *line, *save = NULL;
	bool found = false;
	int err = read_file(mountinfo, &buf, MOUNTINFO_MAX);

	if (err)
		return err;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char root[PATH_MAX], mnt[PATH_MAX], fstype[64];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		/* PATH_MAX - 1 = 4095: the field widths below */
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
			continue;
		unescape_octal(mnt);
		if (found && strcmp(root, "/"))
			continue;
		if (snprintf(out, len, "%s", mnt) >= (int)len)
			continue;
		found = true;
		if (!strcmp(root, "/"))
			break;
	}
	free(buf);
	return found ? 0 : -ENOENT;
}

/*
 * The cgroup v2 root: $BPFNET_CGROUP, else our cgroup2 mount, else (under `ip
 * netns exec`, whose fresh /sys has no cgroup mounts) the mount of the nearest
 * ancestor in another mount namespace, through /proc/PID/root.
 */
static int find_cgroup_root(struct bpfnet *bn, char *out, size_t len)
{
	const char *env = getenv(CGROUP_ENV);
	char mnt[PATH_MAX], mountinfo[64];
	int same_ns_as_parent;
	pid_t pid;

	if (env && *env) {
		if (!is_cgroup2(env))
			return bn_fail(bn, -ENOTDIR, "$%s=%s is not a cgroup v2 directory",
				       CGROUP_ENV, env);
		snprintf(out, len, "%s", env);
		return 0;
	}
	if (!mountinfo_cgroup2("/proc/self/mountinfo", mnt, sizeof(mnt)) && is_cgroup2(mnt)) {
		snprintf(out, len, "%s", mnt);
		return 0;
	}
	pid = bn_mntns_ancestor(&same_ns_as_parent);
	if (pid > 0) {
		snprintf(mountinfo, sizeof(mountinfo), "/proc/%d/mountinfo", pid);
		if (!mountinfo_cgroup2(mountinfo, mnt, sizeof(mnt)) &&
		    snprintf(out, len, "/proc/%d/root%s", pid, mnt) < (int)len && is_cgroup2(out))
			return 0;
	}
	return bn_fail(bn, -ENOENT, "no cgroup v2 hierarchy found (no cgroup2 mount here%s); "
		       "mount one (mount -t cgroup2 none /sys/fs/cgroup) or set $%s to its "
		       "root directory", pid > 0 ? " nor in the parent's mount namespace" : "",
		       CGROUP_ENV);
}

/* The kernel's id of the cgroup open at @fd, as bpf_link_info reports it. */
static int cgroup_id_of(int fd, __u64 *id)
{
	struct {
		struct file_handle fh;
		__u64 id;	/* kernfs file handles are the 64-bit node id */
	} h = { .fh.handle_bytes = sizeof(__u64) };
	int mnt_id;

	if (name_to_handle_at(fd, "", &h.fh, &mnt_id, AT_EMPTY_PATH) < 0)
		return -errno;
	*id = h.id;
	return 0;
}

/* Pin @fd at @path replacing what is there in one step (bpffs supports rename(2)). */
static int pin_fd_atomic(int fd, const char *path)
{
	char tmp[PATH_MAX + 8];
	int err;

	/* bpffs refuses dots in names (reserved), hence "_new" */
	snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	if (rename(tmp, path) < 0) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

/*
 * The link pinned at @path if a re-run may update it in place: a cgroup link
 * of @type on cgroup @cg_id. Anything else (a link of another cgroup, one left
 * defunct by a removed cgroup, no pin at all) is replaced instead.
 */
static struct bpf_link *reusable_link(const char *path, enum bpf_attach_type type, __u64 cg_id)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	struct bpf_link *link;

	/* checked first: libbpf warns about every pin it cannot open */
	if (access(path, F_OK) < 0)
		return NULL;
	link = bpf_link__open(path);
	if (!link)
		return NULL;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len) ||
	    info.type != BPF_LINK_TYPE_CGROUP || info.cgroup.attach_type != type ||
	    info.cgroup.cgroup_id != cg_id) {
		bpf_link__destroy(link);
		return NULL;
	}
	return link;
}

struct cgroup_root {
	char path[PATH_MAX];
	int fd;
	__u64 id;
};

/* The cgroup v2 root the hooks belong to, open, with its id. */
static int cgroup_root_open(struct bpfnet *bn, struct cgroup_root *cg)
{
	int err = find_cgroup_root(bn, cg->path, sizeof(cg->path));

	if (err)
		return err;
	cg->fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->fd < 0)
		return bn_fail(bn, -errno, "cannot open the cgroup %s: %s", cg->path,
			       strerror(errno));
	err = cgroup_id_of(cg->fd, &cg->id);
	if (err) {
		close(cg->fd);
		cg->fd = -1;
		return bn_fail(bn, err, "cannot get the id of the cgroup %s: %s", cg->path,
			       strerror(-err));
	}
	return 0;
}

/* Attach @prog to the cgroup and pin its link as @dir/@name; *pinned when a new pin was made. */
static int hook_attach(struct bpfnet *bn, const struct cgroup_root *cg, struct bpf_program *prog,
		       const char *dir, const char *name, bool *pinned)
{
	enum bpf_attach_type type = bpf_program__expected_attach_type(prog);
	char path[PATH_MAX];
	struct bpf_link *link;
	int err;

	*pinned = false;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return bn_fail(bn, -ENAMETOOLONG, "pin path %s/%s is too long", dir, name);
	link = reusable_link(path, type, cg->id);
	if (link) {
		/* atomic: the hook never goes missing and is never attached twice */
		err = bpf_link__update_program(link, prog);
		/* closes only our fd: the pin keeps the link attached */
		bpf_link__destroy(link);
		if (!err)
			return 0;
		pr_warn("cannot update the pinned link %s (%s), attaching anew\n", path,
			strerror(-err));
	}
	link = bpf_program__attach_cgroup(prog, cg->fd);
	if (!link) {
		err = -errno;
		return bn_fail(bn, err, "cannot attach %s to the cgroup %s: %s (set $%s to "
			       "another cgroup v2 root?)", bpf_program__name(prog), cg->path,
			       strerror(-err), CGROUP_ENV);
	}
	/* replacing a stale pin drops the last reference to its link, detaching it */
	err = pin_fd_atomic(bpf_link__fd(link), path);
	/* unpinned, closing our fd detaches the program again: nothing is left behind */
	bpf_link__destroy(link);
	if (err)
		return bn_fail(bn, err, "cannot pin %s: %s", path, strerror(-err));
	*pinned = true;
	return 0;
}

static int attach_all(struct bpfnet *bn, struct sock_bpf *skel, const char *dir)
{
	const struct {
		struct bpf_program *prog;
		const char *pin;
	} hooks[] = {
		{ skel->progs.sock_connect4, BPFNET_LINK_CONNECT4 },
		{ skel->progs.sock_sendmsg4, BPFNET_LINK_SENDMSG4 },
		{ skel->progs.sock_recvmsg4, BPFNET_LINK_RECVMSG4 },
		{ skel->progs.sock_getpeername4, BPFNET_LINK_GETPEERNAME4 },
	};
	bool pinned[sizeof(hooks) / sizeof(hooks[0])] = {};
	struct cgroup_root cg = { .fd = -1 };
	size_t i, n = sizeof(hooks) / sizeof(hooks[0]);
	int err = cgroup_root_open(bn, &cg);

	if (err)
		return err;
	for (i = 0; i < n && !err; i++)
		err = hook_attach(bn, &cg, hooks[i].prog, dir, hooks[i].pin, &pinned[i]);
	if (err) {
		char path[PATH_MAX];

		/*
		 * Take back the hooks this call added so a failed first init leaves
		 * none; updated ones stay, they run the new programs consistently.
		 */
		for (i = 0; i < n; i++) {
			if (!pinned[i])
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, hooks[i].pin);
			unlink(path);
		}
	}
	close(cg.fd);
	return err;
}

/*
 * The maps an unfinished migration made beside the old ones (dp/migrate.h),
 * at their staging pins: the datapath's new programs use those already.
 */
static int pin_paths_of_migration(struct bpf_object *obj, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err = 0;

	bpf_object__for_each_map(map, obj) {
		if (err || !bpf_map__pin_path(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", dir, bpf_map__name(map),
			 BPFNET_LAYOUT_STAGING);
		if (access(path, F_OK) == 0)
			err = bpf_map__set_pin_path(map, path);
	}
	return err;
}

int sock_hooks_attach(struct bpfnet *bn)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	struct sock_bpf *skel;
	const char *dir;
	int err = bn_pin_dir(bn, &dir);

	if (err)
		return err;
	/* without the datapath's pins libbpf would create fresh maps nobody writes */
	if (access(dir, F_OK) < 0)
		return bn_fail(bn, -errno, "cannot use %s: %s (is the node initialized?)", dir,
			       strerror(errno));
	oopts.pin_root_path = dir;
	skel = sock_bpf__open_opts(&oopts);
	if (!skel)
		return bn_fail(bn, -errno, "cannot open the socket hooks object: %s",
			       strerror(errno));
	err = pin_paths_of_migration(skel->obj, dir) ?: dp_sizes_match_pins(bn, skel->obj) ?:
	      sock_bpf__load(skel);
	if (err)
		bn_fail(bn, err, "the kernel refused the socket hooks (%s); see the libbpf log "
			"above", strerror(-err));
	else
		err = attach_all(bn, skel, dir);
	sock_bpf__destroy(skel);
	return err;
}

int sock_hooks_verify(struct bpfnet *bn, void (*bad)(const char *pin, const char *why, void *arg),
		      void *arg)
{
	static const struct {
		const char *pin;
		enum bpf_attach_type type;
	} hooks[] = {
		{ BPFNET_LINK_CONNECT4, BPF_CGROUP_INET4_CONNECT },
		{ BPFNET_LINK_SENDMSG4, BPF_CGROUP_UDP4_SENDMSG },
		{ BPFNET_LINK_RECVMSG4, BPF_CGROUP_UDP4_RECVMSG },
		{ BPFNET_LINK_GETPEERNAME4, BPF_CGROUP_INET4_GETPEERNAME },
	};
	struct cgroup_root cg = { .fd = -1 };
	char path[PATH_MAX], why[PATH_MAX + 64];
	const char *dir;
	int err = bn_pin_dir(bn, &dir) ?: cgroup_root_open(bn, &cg);

	if (err)
		return err;
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		struct bpf_link *link;

		snprintf(path, sizeof(path), "%s/%s", dir, hooks[i].pin);
		link = reusable_link(path, hooks[i].type, cg.id);
		if (link) {
			bpf_link__destroy(link);	/* our fd only: the pin keeps it */
			continue;
		}
		if (access(path, F_OK) < 0)
			snprintf(why, sizeof(why), "not pinned");
		else
			snprintf(why, sizeof(why), "not attached to the cgroup %s", cg.path);
		bad(hooks[i].pin, why, arg);
	}
	close(cg.fd);
	return 0;
}

int sock_hooks_detach(struct bpfnet *bn)
{
	static const char *const pins[] = {
		BPFNET_LINK_CONNECT4,
		BPFNET_LINK_SENDMSG4,
		BPFNET_LINK_RECVMSG4,
		BPFNET_LINK_GETPEERNAME4,
	};
	char path[PATH_MAX];
	const char *dir;
	int err = 0;

	/* no bpffs: nothing of the instance can be pinned, so nothing is attached */
	if (bn_pin_dir(bn, &dir))
		return 0;
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pins[i]);
		/* the pin holds the link's last reference: unlinking detaches the hook */
		if (unlink(path) < 0 && errno != ENOENT && !err)
			err = bn_fail(bn, -errno, "cannot unpin %s: %s", path, strerror(errno));
	}
	return err;
}
