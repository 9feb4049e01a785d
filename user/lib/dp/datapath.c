// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp/datapath.h"
#include "dp/layout.h"
#include "dp/migrate.h"
#include "dp/sizes.h"
#include "dp/xdp.h"
#include "sys/bpffs.h"
#include "sys/fsutil.h"
#include "datapath.skel.h"

/* Distinct per instance so two instances sharing an uplink do not replace each other. */
static __u32 dp_tc_priority(const struct bpfnet *bn)
{
	return 1 + fnv1a32(bn->instance) % 0xfff0;
}

static int pin_prog_atomic(struct bpfnet *bn, struct bpf_program *prog, const char *dir)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, bpf_program__name(prog));
	/* bpffs refuses dots in names (reserved), hence "_new" */
	snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	err = bpf_obj_pin(bpf_program__fd(prog), tmp);
	if (err)
		return bn_fail(bn, -errno, "cannot pin %s: %s", tmp, strerror(errno));
	/* bpffs supports rename(2): readers see the old or the new program, never none */
	if (rename(tmp, path) < 0) {
		err = -errno;
		unlink(tmp);
		return bn_fail(bn, err, "cannot pin %s: %s", path, strerror(-err));
	}
	return 0;
}

/* The migrated maps pinned (or reused) beside the old ones, as their staging pins. */
static int pin_paths_of_plan(struct bpf_object *obj, const struct mig_plan *plan)
{
	struct bpf_map *map;
	int err = 0;

	bpf_object__for_each_map(map, obj) {
		const char *staging = mig_pin_path(plan, bpf_map__name(map));

		if (!err && staging && bpf_map__pin_path(map))
			err = bpf_map__set_pin_path(map, staging);
	}
	return err;
}

int dp_load(struct bpfnet *bn, const struct mig_plan *plan)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	struct datapath_bpf *skel;
	const char *dir;
	int err;

	err = bn_pin_dir_mount(bn, &dir);
	if (err)
		return err;
	err = mkdir_p(dir, 0700);
	if (err)
		return bn_fail(bn, err, "cannot create %s: %s", dir, strerror(-err));
	oopts.pin_root_path = dir;
	skel = datapath_bpf__open_opts(&oopts);
	if (!skel)
		return bn_fail(bn, -errno, "cannot open the datapath object: %s", strerror(errno));
	/* the tables' sizes first: the plan was made against them */
	err = dp_sizes_apply(bn, skel->obj, mig_plan_sizes(plan));
	if (err)
		goto out;
	err = pin_paths_of_plan(skel->obj, plan);
	if (err) {
		bn_fail(bn, err, "cannot set the pin paths of the new maps: %s", strerror(-err));
		goto out;
	}
	err = datapath_bpf__load(skel);
	if (err) {
		bn_fail(bn, err, "the kernel refused the datapath (%s); see the libbpf log above",
			strerror(-err));
		goto out;
	}
	err = pin_prog_atomic(bn, skel->progs.from_container, dir) ?:
	      pin_prog_atomic(bn, skel->progs.from_uplink, dir) ?: dp_xdp_load(bn, dir, plan);
out:
	datapath_bpf__destroy(skel);
	return err;
}

static int pinned_fd(struct bpfnet *bn, const char *name, const char *what)
{
	char path[PATH_MAX];
	const char *dir;
	int fd, err = bn_pin_dir(bn, &dir);

	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return bn_fail(bn, -errno, "cannot open the %s %s: %s (is the node initialized?)",
			       what, path, strerror(errno));
	return fd;
}

#define MAP_NAME(name, layout) name,
const char *const dp_map_names[] = { BPFNET_FOREACH_MAP(MAP_NAME) };
#undef MAP_NAME
const size_t dp_n_map_names = sizeof(dp_map_names) / sizeof(dp_map_names[0]);

bool dp_map_known(const char *map)
{
	for (size_t i = 0; i < dp_n_map_names; i++)
		if (!strcmp(dp_map_names[i], map))
			return true;
	return false;
}

int dp_map_fd(struct bpfnet *bn, const char *map)
{
	/* only maps of the ABI's list, the one tests/unit/test_maps.c holds against the object */
	if (!dp_map_known(map))
		return bn_fail(bn, -EINVAL, "no map '%s' in the datapath's ABI", map);
	/* a map of another layout, or one a killed init left half-migrated, is init's alone */
	return layout_check(bn, map) ?: pinned_fd(bn, map, "map");
}

int dp_map_fd_sized(struct bpfnet *bn, const char *map, size_t value_size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = dp_map_fd(bn, map), err;

	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	if (!err && info.value_size == value_size)
		return fd;
	close(fd);
	if (err)
		return bn_fail(bn, err, "cannot read map %s: %s", map, strerror(-err));
	return bn_fail(bn, -EPROTO, "map %s is of another bpfnet (values of %u bytes, this one's "
		       "are %zu): take it down with the bpfnet that made it, then initialize again",
		       map, info.value_size, value_size);
}

int dp_attach(struct bpfnet *bn, int ifindex, const char *prog, bool *created_hook)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_TC_HANDLE, .priority = dp_tc_priority(bn),
		    .flags = BPF_TC_F_REPLACE);
	int fd = pinned_fd(bn, prog, "program"), err;

	if (fd < 0)
		return fd;
	err = bpf_tc_hook_create(&hook);
	if (created_hook)
		*created_hook = !err;
	if (err && err != -EEXIST) {
		bn_fail(bn, err, "cannot create the clsact qdisc on ifindex %d: %s", ifindex,
			strerror(-err));
		goto out;
	}
	opts.prog_fd = fd;
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		bn_fail(bn, err, "cannot attach %s to ifindex %d: %s", prog, ifindex, strerror(-err));
out:
	close(fd);
	return err;
}

int dp_pinned_prog_id(struct bpfnet *bn, const char *prog, __u32 *id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = pinned_fd(bn, prog, "program"), err = 0;

	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = bn_fail(bn, -errno, "cannot read the pinned %s: %s", prog, strerror(errno));
	else
		*id = info.id;
	close(fd);
	return err;
}

int dp_attached_prog_id(struct bpfnet *bn, int ifindex, __u32 *id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_TC_HANDLE, .priority = dp_tc_priority(bn));
	int err = bpf_tc_query(&hook, &opts);

	/* no clsact, or no filter of ours in it: both mean nothing of ours runs there */
	if (err == -ENOENT || err == -EINVAL)
		return -ENOENT;
	if (err)
		return bn_fail(bn, err, "cannot query tc on ifindex %d: %s", ifindex,
			       strerror(-err));
	*id = opts.prog_id;
	return 0;
}

int dp_detach(struct bpfnet *bn, int ifindex, bool destroy_hook)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_TC_HANDLE, .priority = dp_tc_priority(bn));
	int err = bpf_tc_detach(&hook, &opts);

	if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL)
		return bn_fail(bn, err, "cannot detach from ifindex %d: %s", ifindex,
			       strerror(-err));
	if (destroy_hook) {
		/* the hook was ours; take the whole clsact qdisc down as init found it */
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		err = bpf_tc_hook_destroy(&hook);
		if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL)
			return bn_fail(bn, err, "cannot remove clsact from ifindex %d: %s",
				       ifindex, strerror(-err));
	}
	return 0;
}

int dp_unpin(struct bpfnet *bn)
{
	char parent[PATH_MAX];
	const char *dir;
	int err = bn_pin_dir(bn, &dir);

	if (err)
		return err;
	err = remove_flat_dir(dir);
	if (err)
		return bn_fail(bn, err, "cannot remove pins under %s: %s", dir, strerror(-err));
	/* <bpffs>/bpfnet goes too once the last instance is gone */
	snprintf(parent, sizeof(parent), "%s", dir);
	*strrchr(parent, '/') = '\0';
	rmdir(parent);
	return 0;
}

/* Is @dir/@name a pinned BPF object? */
static bool pinned(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int dp_foreach_pin(struct bpfnet *bn,
		   int (*cb)(const char *name, bool is_prog, bool is_pinned, void *arg), void *arg)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	const char *progs[] = { BPFNET_PROG_FROM_CONTAINER, BPFNET_PROG_FROM_UPLINK,
				BPFNET_PROG_XDP_FROM_UPLINK };
	struct datapath_bpf *skel;
	struct bpf_map *map;
	const char *dir;
	int err = bn_pin_dir(bn, &dir);

	if (err)
		return err;
	for (size_t i = 0; !err && i < sizeof(progs) / sizeof(progs[0]); i++)
		err = cb(progs[i], true, pinned(dir, progs[i]), arg);
	if (err)
		return err;
	/* the maps the object pins by name, read from the object itself: none is forgotten */
	oopts.pin_root_path = dir;
	skel = datapath_bpf__open_opts(&oopts);
	if (!skel)
		return bn_fail(bn, -errno, "cannot open the datapath object: %s", strerror(errno));
	bpf_object__for_each_map(map, skel->obj) {
		if (!err && bpf_map__pin_path(map))
			err = cb(bpf_map__name(map), false, pinned(dir, bpf_map__name(map)), arg);
	}
	datapath_bpf__destroy(skel);
	return err;
}

struct first_missing {
	char *name;
	size_t len;
};

static int first_missing(const char *name, bool is_prog, bool is_pinned, void *arg)
{
	struct first_missing *m = arg;

	(void)is_prog;
	if (is_pinned)
		return 0;
	snprintf(m->name, m->len, "%s", name);
	return -ENOENT;
}

int dp_pins_check(struct bpfnet *bn, char *missing, size_t len)
{
	struct first_missing m = { missing, len };

	return dp_foreach_pin(bn, first_missing, &m);
}
