// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sizes of the big tables (sizes.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfnet/abi.h"
#include "dp/maps.h"
#include "dp/sizes.h"

/* A map's size is its group's, divided by @div (sock_nat: one entry a flow, ct4 two). */
static const struct {
	const char *map;
	enum dp_size group;
	__u32 div;
} sized_maps[] = {
	{ BPFNET_MAP_CT, DP_SIZE_CT, 1 },
	{ BPFNET_MAP_SOCK_NAT, DP_SIZE_CT, 2 },
	{ BPFNET_MAP_PORTMAP, DP_SIZE_PORTS, 1 },
	/* one backend a published port (BPFNET_SVC_BACKENDS_MAX) */
	{ BPFNET_MAP_BACKENDS, DP_SIZE_PORTS, 1 },
	{ BPFNET_MAP_EP_PORTS, DP_SIZE_PORTS, 1 },
};
_Static_assert(BPFNET_SVC_BACKENDS_MAX == 1, "backends4 is sized as one backend a port");

static const struct {
	const char *option, *what, *first_map;
	__u32 def, min, limit;
} groups[DP_SIZE_COUNT] = {
	[DP_SIZE_CT] = { "--ct-max", "conntrack entries (two a flow)", BPFNET_MAP_CT,
			 BPFNET_CT_MAX, BPFNET_CT_MAX_MIN, BPFNET_CT_MAX_LIMIT },
	[DP_SIZE_PORTS] = { "--ports-max", "published ports", BPFNET_MAP_PORTMAP,
			    BPFNET_PORTMAP_MAX, BPFNET_PORTS_MAX_MIN, BPFNET_PORTS_MAX_LIMIT },
};

const char *dp_size_option(enum dp_size s)
{
	return groups[s].option;
}

const char *dp_size_what(enum dp_size s)
{
	return groups[s].what;
}

__u32 dp_size_default(enum dp_size s)
{
	return groups[s].def;
}

int dp_size_check(struct bpfnet *bn, enum dp_size s, __u32 n)
{
	if (n >= groups[s].min && n <= groups[s].limit)
		return 0;
	return bn_fail(bn, -EINVAL, "%s %" PRIu32 ": from %" PRIu32 " to %" PRIu32 " %s",
		       groups[s].option, n, groups[s].min, groups[s].limit, groups[s].what);
}

bool dp_size_of_map(const char *name, const struct dp_sizes *sz, __u32 *max_entries,
		    enum dp_size *group)
{
	for (size_t i = 0; i < sizeof(sized_maps) / sizeof(sized_maps[0]); i++) {
		if (strcmp(sized_maps[i].map, name))
			continue;
		*group = sized_maps[i].group;
		*max_entries = sz->n[*group] / sized_maps[i].div;
		return true;
	}
	return false;
}

/* The max_entries pinned at @path; 0 when nothing is pinned there. */
static int pinned_max(const char *path, __u32 *max)
{
	struct bpf_map_info info;
	bool pinned;
	int err = dp_pinned_info(path, &info, &pinned);

	*max = info.max_entries;
	return err;
}

int dp_sizes_resolve(struct bpfnet *bn, const char *dir, const struct dp_sizes *want,
		     struct dp_sizes *out)
{
	char path[PATH_MAX];
	__u32 staged, pinned;
	int err = 0;

	for (int s = 0; s < DP_SIZE_COUNT && !err; s++) {
		out->n[s] = want ? want->n[s] : 0;
		if (out->n[s]) {
			err = dp_size_check(bn, s, out->n[s]);
			continue;
		}
		/* bpffs refuses dots in names: the staging pin is "<name>_new" (layout.h) */
		snprintf(path, sizeof(path), "%s/%s%s", dir, groups[s].first_map,
			 BPFNET_LAYOUT_STAGING);
		err = pinned_max(path, &staged);
		snprintf(path, sizeof(path), "%s/%s", dir, groups[s].first_map);
		err = err ?: pinned_max(path, &pinned);
		if (err)
			return bn_fail(bn, err, "cannot read the size of %s: %s", path,
				       strerror(-err));
		out->n[s] = staged ? staged : pinned ? pinned : groups[s].def;
	}
	return err;
}

int dp_sizes_apply(struct bpfnet *bn, struct bpf_object *obj, const struct dp_sizes *sz)
{
	struct bpf_map *map;
	enum dp_size group;
	__u32 n;
	int err = 0;

	bpf_object__for_each_map(map, obj) {
		if (err || !dp_size_of_map(bpf_map__name(map), sz, &n, &group))
			continue;
		err = bpf_map__set_max_entries(map, n);
		if (err)
			bn_fail(bn, err, "cannot size map %s to %" PRIu32 " entries: %s",
				bpf_map__name(map), n, strerror(-err));
	}
	return err;
}

int dp_sizes_match_pins(struct bpfnet *bn, struct bpf_object *obj)
{
	struct bpf_map *map;
	__u32 max;
	int err = 0;

	bpf_object__for_each_map(map, obj) {
		const char *path = bpf_map__pin_path(map);

		if (err || !path)
			continue;
		err = pinned_max(path, &max);
		if (!err && max && max != bpf_map__max_entries(map))
			err = bpf_map__set_max_entries(map, max);
		if (err)
			bn_fail(bn, err, "cannot size map %s as its pin %s: %s",
				bpf_map__name(map), path, strerror(-err));
	}
	return err;
}

int dp_size_shrink_check(struct bpfnet *bn, const char *name, int fd, __u32 max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), n, unused;
	enum dp_size group = DP_SIZE_CT;
	struct dp_sizes none = {};

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return bn_fail(bn, -errno, "cannot read map %s: %s", name, strerror(errno));
	if (info.key_size > 64 || max_entries >= info.max_entries)
		return 0;
	n = dp_map_count(fd, max_entries);
	if (n <= max_entries)
		return 0;
	dp_size_of_map(name, &none, &unused, &group);
	return bn_fail(bn, -ENOSPC, "%s: map %s holds more than %" PRIu32 " entries, its new size "
		       "(%s); a smaller table than its entries would lose them. Nothing changed: "
		       "give a larger size%s", dp_size_option(group), name, max_entries,
		       dp_size_what(group), group == DP_SIZE_CT ? ", or end flows first (bpfnet ct "
		       "flush)" : ", or remove published ports first");
}

__u64 dp_map_memlock(int fd)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* the kernel's own account of the map's memory, as bpftool shows it */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}
