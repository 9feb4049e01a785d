// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfnet/abi.h"
#include "dp/migrate.h"
#include "dp/sizes.h"
#include "dp/xdp.h"
#include "sys/bpffs.h"
#include "xdp.skel.h"

int dp_xdp_load(struct bpfnet *bn, const char *dir, const struct mig_plan *plan)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .pin_root_path = dir);
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	struct xdp_bpf *skel = xdp_bpf__open_opts(&oopts);
	struct bpf_map *map;
	int err = 0;

	if (!skel)
		return bn_fail(bn, -errno, "cannot open the XDP object: %s", strerror(errno));
	/* the maps a migration makes anew are the datapath's at their staging pins: those */
	bpf_object__for_each_map(map, skel->obj) {
		const char *staging = mig_pin_path(plan, bpf_map__name(map));

		if (!err && staging && bpf_map__pin_path(map))
			err = bpf_map__set_pin_path(map, staging);
	}
	/* sized as the pinned tables it shares (init --ct-max, --ports-max) */
	err = err ?: dp_sizes_match_pins(bn, skel->obj) ?: xdp_bpf__load(skel);
	if (err) {
		bn_fail(bn, err, "the kernel refused the XDP program (%s); see the libbpf log above",
			strerror(-err));
		goto out;
	}
	/* pinned as dp_load pins the tc programs: the old one or the new, never none */
	snprintf(path, sizeof(path), "%s/%s", dir, BPFNET_PROG_XDP_FROM_UPLINK);
	snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	if (bpf_obj_pin(bpf_program__fd(skel->progs.xdp_from_uplink), tmp) || rename(tmp, path)) {
		err = bn_fail(bn, -errno, "cannot pin %s: %s", path, strerror(errno));
		unlink(tmp);
	}
out:
	xdp_bpf__destroy(skel);
	return err;
}

static int link_path(struct bpfnet *bn, int ifindex, char *path, size_t len)
{
	const char *dir;
	int err = bn_pin_dir(bn, &dir);

	if (!err)
		snprintf(path, len, "%s/%s%d", dir, BPFNET_LINK_XDP_PREFIX, ifindex);
	return err;
}

/* The pinned link of @ifindex, if it still runs on that device: its fd, else -ENOENT. */
static int link_open(struct bpfnet *bn, int ifindex)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err = link_path(bn, ifindex, path, sizeof(path));

	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -ENOENT;
	/* a link whose device went is defunct (ifindex 0): attach replaces its pin */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_LINK_TYPE_XDP ||
	    info.xdp.ifindex != (__u32)ifindex) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/* Words for a refusal of native XDP on a device. */
static void refusal(int err, char *why, size_t len)
{
	if (err == -EOPNOTSUPP)
		snprintf(why, len, "the driver has no native XDP");
	else if (err == -EBUSY || err == -EEXIST)
		snprintf(why, len, "another XDP program is attached");
	else
		snprintf(why, len, "native XDP refused: %s", strerror(-err));
}

static int link_create(struct bpfnet *bn, int ifindex, int prog_fd, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = XDP_FLAGS_DRV_MODE);
	char path[PATH_MAX];
	int fd, err = link_path(bn, ifindex, path, sizeof(path));

	if (err)
		return err;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lopts);
	if (fd < 0) {
		refusal(-errno, why, len);
		return 1;
	}
	unlink(path);
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	/* unpinned, the link goes with this fd: nothing stays attached */
	close(fd);
	return err ? bn_fail(bn, err, "cannot pin %s: %s", path, strerror(-err)) : 0;
}

int dp_xdp_attach(struct bpfnet *bn, int ifindex, char *why, size_t len)
{
	char path[PATH_MAX];
	const char *dir;
	int prog_fd, fd, err = bn_pin_dir(bn, &dir);

	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s", dir, BPFNET_PROG_XDP_FROM_UPLINK);
	prog_fd = bpf_obj_get(path);
	if (prog_fd < 0)
		return bn_fail(bn, -errno, "cannot open the program %s: %s", path, strerror(errno));
	fd = link_open(bn, ifindex);
	if (fd >= 0) {
		/* an upgrade: the new program in the same link, no moment without one */
		err = bpf_link_update(fd, prog_fd, NULL) ? -errno : 0;
		close(fd);
		if (err)
			bn_fail(bn, err, "cannot replace the XDP program on ifindex %d: %s", ifindex,
				strerror(-err));
	} else {
		err = link_create(bn, ifindex, prog_fd, why, len);
	}
	close(prog_fd);
	return err;
}

int dp_xdp_detach(struct bpfnet *bn, int ifindex)
{
	char path[PATH_MAX];
	int fd = link_open(bn, ifindex), err;

	if (fd >= 0) {
		/* off now, whoever else holds the link */
		bpf_link_detach(fd);
		close(fd);
	}
	err = link_path(bn, ifindex, path, sizeof(path));
	if (err)
		return err;
	if (unlink(path) && errno != ENOENT)
		return bn_fail(bn, -errno, "cannot unpin %s: %s", path, strerror(errno));
	return 0;
}

bool dp_xdp_attached(struct bpfnet *bn, int ifindex)
{
	int fd = link_open(bn, ifindex);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}
