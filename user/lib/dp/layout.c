// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The layout record (layout.h): a small hash map pinned beside the maps it describes. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "dp/layout.h"
#include "sys/bpffs.h"

#define LAYOUT_OF(name, layout) { name, layout },
static const struct {
	const char *name;
	__u32 layout;
} binary_layouts[] = { BPFNET_FOREACH_MAP(LAYOUT_OF) };
#undef LAYOUT_OF

__u32 layout_of_binary(const char *name)
{
	for (size_t i = 0; i < sizeof(binary_layouts) / sizeof(binary_layouts[0]); i++)
		if (!strcmp(binary_layouts[i].name, name))
			return binary_layouts[i].layout;
	return 1;
}

static int layout_path(struct bpfnet *bn, const char *name, const char *suffix, char *path,
		       size_t len)
{
	const char *dir;
	int err = bn_pin_dir(bn, &dir);

	if (err)
		return err;
	if (snprintf(path, len, "%s/%s%s", dir, name, suffix) >= (int)len)
		return bn_fail(bn, -ENAMETOOLONG, "pin path %s/%s is too long", dir, name);
	return 0;
}

int layout_open(struct bpfnet *bn)
{
	char path[PATH_MAX];
	int fd, err = layout_path(bn, BPFNET_MAP_LAYOUT, "", path, sizeof(path));

	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd >= 0 || errno == ENOENT)
		return fd >= 0 ? fd : -ENOENT;
	return bn_fail(bn, -errno, "cannot open the layout record %s: %s", path, strerror(errno));
}

int layout_open_or_create(struct bpfnet *bn)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	char path[PATH_MAX];
	int fd = layout_open(bn), err;

	if (fd != -ENOENT)
		return fd;
	err = layout_path(bn, BPFNET_MAP_LAYOUT, "", path, sizeof(path));
	if (err)
		return err;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, BPFNET_MAP_LAYOUT, sizeof(struct bpfnet_layout_key),
			    sizeof(struct bpfnet_layout_val), BPFNET_LAYOUT_MAX, &opts);
	if (fd < 0)
		return bn_fail(bn, -errno, "cannot create the layout record: %s", strerror(errno));
	/* written empty: a record without an entry for a map says layout 1, as none at all */
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		close(fd);
		return bn_fail(bn, err, "cannot pin %s: %s", path, strerror(-err));
	}
	return fd;
}

static void layout_key(const char *name, struct bpfnet_layout_key *k)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
}

int layout_get(int fd, const char *name, struct bpfnet_layout_val *v)
{
	struct bpfnet_layout_key k;

	*v = (struct bpfnet_layout_val){ .version = 1 };
	if (fd < 0)
		return 0;
	layout_key(name, &k);
	if (!bpf_map_lookup_elem(fd, &k, v) || errno == ENOENT)
		return 0;
	return -errno;
}

int layout_put(int fd, const char *name, __u32 version, __u32 staged)
{
	struct bpfnet_layout_val v = { .version = version, .staged = staged };
	struct bpfnet_layout_key k;

	layout_key(name, &k);
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY) ? -errno : 0;
}

bool layout_staging_pinned(struct bpfnet *bn, const char *name)
{
	char path[PATH_MAX];

	return !layout_path(bn, name, BPFNET_LAYOUT_STAGING, path, sizeof(path)) &&
	       access(path, F_OK) == 0;
}

int layout_check(struct bpfnet *bn, const char *name)
{
	struct bpfnet_layout_val v;
	__u32 mine = layout_of_binary(name);
	int fd = layout_open(bn), err;

	if (fd < 0 && fd != -ENOENT)
		return fd;
	err = layout_get(fd, name, &v);
	if (fd >= 0)
		close(fd);
	if (err)
		return bn_fail(bn, err, "cannot read the layout record: %s", strerror(-err));
	if (v.staged || layout_staging_pinned(bn, name))
		return bn_fail(bn, -EPROTO, "map %s: a migration from layout version %u to %u was "
			       "cut short (this bpfnet's is %u); run `bpfnet init` to complete it",
			       name, v.version, v.staged ? v.staged : mine, mine);
	if (v.version != mine)
		return bn_fail(bn, -EPROTO, "map %s has layout version %u, this bpfnet's is %u; run "
			       "`bpfnet init` with this bpfnet to migrate it", name, v.version, mine);
	return 0;
}

static bool pin_exists(struct bpfnet *bn, const char *name)
{
	char path[PATH_MAX];

	return !layout_path(bn, name, "", path, sizeof(path)) && access(path, F_OK) == 0;
}

int layout_foreach(struct bpfnet *bn, int (*cb)(const struct layout_entry *e, void *arg),
		   void *arg, __u32 *abi)
{
	struct bpfnet_layout_val v;
	int fd = layout_open(bn), err = 0;

	*abi = 0;
	if (fd < 0 && fd != -ENOENT)
		return fd;
	if (fd >= 0 && !layout_get(fd, BPFNET_LAYOUT_KEY_ABI, &v))
		*abi = v.version;
	for (size_t i = 0; i < sizeof(binary_layouts) / sizeof(binary_layouts[0]) && !err; i++) {
		struct layout_entry e = { .name = binary_layouts[i].name,
					  .binary = binary_layouts[i].layout };

		err = layout_get(fd, e.name, &v);
		if (err) {
			err = bn_fail(bn, err, "cannot read the layout record: %s", strerror(-err));
			break;
		}
		e.pinned = pin_exists(bn, e.name);
		e.staging = layout_staging_pinned(bn, e.name);
		e.datapath = v.version;
		e.staged = v.staged;
		err = cb(&e, arg);
	}
	if (fd >= 0)
		close(fd);
	return err;
}
