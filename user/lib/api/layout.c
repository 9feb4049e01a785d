// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet_node__layout(): the layout record and the pins, as the public struct says them. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "dp/layout.h"

static int layout_entry_put(const struct layout_entry *e, void *arg)
{
	struct bpfnet_layout_info *info = arg;
	struct bpfnet_map_layout *m;

	if (info->n_maps == BPFNET_LAYOUT_MAPS_MAX)
		return 0;
	m = &info->maps[info->n_maps++];
	snprintf(m->name, sizeof(m->name), "%s", e->name);
	m->datapath = e->pinned ? e->datapath : 0;
	m->binary = e->binary;
	m->migrating_to = e->staged ? e->staged : e->staging ? e->binary : 0;
	if (e->pinned && (m->datapath != m->binary || m->migrating_to))
		info->differ = true;
	return 0;
}

int bpfnet_node__layout(struct bpfnet *bn, struct bpfnet_layout_info *out)
{
	struct bpfnet_layout_info info = { .sz = sizeof(info), .abi_binary = BPFNET_ABI_VERSION };
	__u32 abi;
	int err = bn_out_check(bn, out, "bpfnet_layout_info") ?:
		  layout_foreach(bn, layout_entry_put, &info, &abi);

	if (err)
		return err;
	info.abi_datapath = abi;
	bn_out_put(out, &info, sizeof(info));
	return 0;
}
