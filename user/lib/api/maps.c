// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet_node__maps(): the datapath's maps, their sizes and the kernel memory they take. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "api/internal.h"
#include "dp/datapath.h"
#include "dp/sizes.h"
#include "sys/bpffs.h"

/* Map @name pinned under @dir into @m; -ENOENT when it is not pinned. */
static int map_mem_read(const char *dir, const char *name, struct bpfnet_map_mem *m)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* any layout will do: only the kernel's account of the map is read */
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->type = info.type;
	m->max_entries = info.max_entries;
	m->key_size = info.key_size;
	m->value_size = info.value_size;
	m->memlock = err ? 0 : dp_map_memlock(fd);
	close(fd);
	return err;
}

/* The map's memory to its size's total, if init sizes it. */
static void account(struct bpfnet_maps_info *info, const struct bpfnet_map_mem *m)
{
	struct dp_sizes none = {};
	enum dp_size group;
	__u32 unused;

	info->memlock += m->memlock;
	if (!dp_size_of_map(m->name, &none, &unused, &group))
		return;
	if (group == DP_SIZE_CT)
		info->ct_memlock += m->memlock;
	else
		info->ports_memlock += m->memlock;
	/* the size is the first map's of its group (ct4, portmap4) */
	if (!strcmp(m->name, BPFNET_MAP_CT))
		info->ct_max = m->max_entries;
	else if (!strcmp(m->name, BPFNET_MAP_PORTMAP))
		info->ports_max = m->max_entries;
}

int bpfnet_node__maps(struct bpfnet *bn, struct bpfnet_maps_info *out)
{
	struct bpfnet_maps_info info = { .sz = sizeof(info) };
	const char *dir;
	int err = bn_out_check(bn, out, "bpfnet_maps_info") ?: bn_pin_dir(bn, &dir);

	for (size_t i = 0; !err && i < dp_n_map_names; i++) {
		struct bpfnet_map_mem *m = &info.maps[info.n_maps];

		if (info.n_maps == BPFNET_LAYOUT_MAPS_MAX)
			break;
		err = map_mem_read(dir, dp_map_names[i], m);
		if (err == -ENOENT) {
			err = 0;
			continue;
		}
		if (err)
			return bn_fail(bn, err, "cannot read map %s/%s: %s", dir, dp_map_names[i],
				       strerror(-err));
		account(&info, m);
		info.n_maps++;
	}
	if (!err && !info.n_maps)
		err = bn_fail(bn, -ENOENT, "no map pinned under %s: the node is not initialized",
			      dir);
	if (!err)
		bn_out_put(out, &info, sizeof(info));
	return err;
}
