// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The plan of a migration (migrate.h): every map of the binary's object
 * compared with what is pinned under its name, decided before anything
 * changes, so that a refused init leaves the running datapath as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp/layout.h"
#include "dp/maps.h"
#include "dp/migrate_internal.h"
#include "sys/bpffs.h"
#include "datapath.skel.h"

static bool def_equal(const struct map_def *a, const struct map_def *b)
{
	return a->type == b->type && a->key_size == b->key_size &&
	       a->value_size == b->value_size && a->max_entries == b->max_entries &&
	       a->flags == b->flags;
}

/* The same map but for its number of entries: a new size is a migration of its own. */
static bool def_resized(const struct map_def *a, const struct map_def *b)
{
	struct map_def c = *a;

	c.max_entries = b->max_entries;
	return def_equal(&c, b);
}

static void refuse(struct mig_decision *d, const char *fmt, ...) __printf(2, 3);
static void refuse(struct mig_decision *d, const char *fmt, ...)
{
	va_list ap;

	d->action = MIG_REFUSE;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
}

/* Across versions: a converter, and a pinned map that is what its version says. */
static void decide_convert(const struct mig_in *in, struct mig_decision *d)
{
	const struct mig_converter *c = mig_converter_find(in->name, in->from, in->to);
	struct map_def from_def = in->want;

	if (!c) {
		refuse(d, "map %s has layout version %u, this bpfnet's is %u, and it has no "
		       "conversion from %u to %u%s; the running datapath is left as it is (init "
		       "it with the bpfnet that made it, or take it down)", in->name, in->from,
		       in->to, in->from, in->to,
		       in->from > mig_known_version(in->name) ? " (a newer layout than it knows)"
							      : "");
		return;
	}
	from_def.value_size = c->from_size;
	if (!def_resized(&in->have, &from_def) || c->to_size != in->want.value_size) {
		refuse(d, "map %s says layout version %u, but its entries (key %u, value %u bytes) "
		       "are not that layout's (value %u bytes); the running datapath is left as "
		       "it is", in->name, in->from, in->have.key_size, in->have.value_size,
		       c->from_size);
		return;
	}
	d->action = MIG_MIGRATE;
	d->conv = c;
}

void mig_decide(const struct mig_in *in, struct mig_decision *d)
{
	memset(d, 0, sizeof(*d));
	if (!in->pinned) {
		d->action = MIG_CREATE;
	} else if (in->from != in->to) {
		decide_convert(in, d);
	} else if (def_equal(&in->have, &in->want)) {
		d->action = MIG_REUSE;
	} else if (def_resized(&in->have, &in->want)) {
		d->action = MIG_MIGRATE;	/* copied as it is into a map of the new size */
	} else {
		refuse(d, "map %s has layout version %u as this bpfnet's, but another shape (type "
		       "%u, key %u, value %u bytes, flags %#x; this bpfnet's: type %u, key %u, "
		       "value %u, flags %#x); the running datapath is left as it is", in->name,
		       in->from, in->have.type, in->have.key_size, in->have.value_size,
		       in->have.flags, in->want.type, in->want.key_size, in->want.value_size,
		       in->want.flags);
	}
}

/* What is pinned at @path, if anything. */
static int pinned_def(const char *path, struct map_def *def, bool *pinned)
{
	struct bpf_map_info info;
	int err = dp_pinned_info(path, &info, pinned);

	*def = (struct map_def){ info.type, info.key_size, info.value_size, info.max_entries,
				 info.map_flags };
	return err;
}

static void object_def(const struct bpf_map *map, struct map_def *def)
{
	*def = (struct map_def){ bpf_map__type(map), bpf_map__key_size(map),
				 bpf_map__value_size(map), bpf_map__max_entries(map),
				 bpf_map__map_flags(map) };
}

/*
 * Which version is pinned under @m's name: the record's, but once a staged
 * map is no longer beside it, the rename of a killed run made it the staged one.
 */
static int plan_versions(struct bpfnet *bn, int rec, struct mig_map *m, struct mig_in *in)
{
	struct bpfnet_layout_val v;
	struct map_def staging_def;
	bool staging;
	int err = layout_get(rec, m->name, &v) ?:
		  pinned_def(m->staging_path, &staging_def, &staging);

	if (err)
		return bn_fail(bn, err, "cannot read the layout of map %s: %s", m->name,
			       strerror(-err));
	in->from = v.staged && !staging ? v.staged : v.version;
	m->staging_pinned = staging;
	m->staging_reuse = staging && v.staged == in->to && def_equal(&staging_def, &in->want);
	return 0;
}

/* A map made smaller: its entries must fit, or nothing changes (dp_size_shrink_check()). */
static int shrink_check(struct bpfnet *bn, const struct mig_map *m)
{
	int fd = bpf_obj_get(m->path), err;

	if (fd < 0)
		return bn_fail(bn, -errno, "cannot open %s: %s", m->path, strerror(errno));
	err = dp_size_shrink_check(bn, m->name, fd, m->want.max_entries);
	close(fd);
	return err;
}

static int plan_map(struct bpfnet *bn, int rec, const char *dir, const struct bpf_map *map,
		    struct mig_map *m)
{
	struct mig_in in = { .name = m->name };
	struct mig_decision d;
	int err;

	snprintf(m->name, sizeof(m->name), "%s", bpf_map__name(map));
	snprintf(m->path, sizeof(m->path), "%s/%s", dir, m->name);
	snprintf(m->staging_path, sizeof(m->staging_path), "%s%s", m->path,
		 BPFNET_LAYOUT_STAGING);
	object_def(map, &in.want);
	in.to = m->to = layout_of_binary(m->name);
	err = pinned_def(m->path, &in.have, &in.pinned);
	if (err)
		return bn_fail(bn, err, "cannot read map %s: %s", m->path, strerror(-err));
	err = plan_versions(bn, rec, m, &in);
	if (err)
		return err;
	mig_decide(&in, &d);
	m->action = d.action;
	m->conv = d.conv;
	m->from = in.from;
	m->have = in.have;
	m->want = in.want;
	if (d.action == MIG_REFUSE)
		return bn_fail(bn, -EPROTO, "%s", d.why);
	if (d.action == MIG_MIGRATE && in.want.max_entries < in.have.max_entries)
		err = shrink_check(bn, m);
	if (!err && d.action == MIG_MIGRATE && in.from == in.to)
		pr_info("map %s: %u -> %u entries, migrating\n", m->name, in.have.max_entries,
			in.want.max_entries);
	else if (!err && d.action == MIG_MIGRATE)
		pr_info("map %s: layout %u -> %u, migrating\n", m->name, m->from, m->to);
	return err;
}

static int plan_maps(struct bpfnet *bn, struct mig_plan *p, struct bpf_object *obj)
{
	int rec = layout_open(bn), err = 0;
	struct bpf_map *map;

	if (rec < 0 && rec != -ENOENT)
		return rec;
	bpf_object__for_each_map(map, obj) {
		if (err || !bpf_map__pin_path(map))
			continue;
		if (p->n == MIG_MAPS_MAX)
			err = bn_fail(bn, -E2BIG, "more than %d pinned maps", MIG_MAPS_MAX);
		else
			err = plan_map(bn, rec, p->dir, map, &p->maps[p->n++]);
	}
	if (rec >= 0)
		close(rec);
	return err;
}

int mig_plan(struct bpfnet *bn, const struct dp_sizes *sizes, struct mig_plan **out)
{
	struct datapath_bpf *skel;
	struct mig_plan *p;
	const char *dir;
	int err = bn_pin_dir_mount(bn, &dir);

	*out = NULL;
	if (err)
		return err;
	p = calloc(1, sizeof(*p));
	if (!p)
		return bn_fail(bn, -ENOMEM, "out of memory");
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	for (size_t i = 0; i < MIG_MAPS_MAX; i++)
		p->maps[i].old_fd = p->maps[i].new_fd = -1;
	/* opened, not loaded: the object's own definitions of its maps */
	skel = datapath_bpf__open();
	if (!skel) {
		free(p);
		return bn_fail(bn, -errno, "cannot open the datapath object: %s", strerror(errno));
	}
	err = dp_sizes_resolve(bn, p->dir, sizes, &p->sizes) ?:
	      dp_sizes_apply(bn, skel->obj, &p->sizes) ?: plan_maps(bn, p, skel->obj);
	datapath_bpf__destroy(skel);
	if (err) {
		mig_plan_free(p);
		return err;
	}
	*out = p;
	return 0;
}

void mig_plan_free(struct mig_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		if (p->maps[i].old_fd >= 0)
			close(p->maps[i].old_fd);
		if (p->maps[i].new_fd >= 0)
			close(p->maps[i].new_fd);
		free(p->maps[i].snap);
	}
	free(p);
}

static const struct mig_map *plan_find(const struct mig_plan *p, const char *name)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (!strcmp(p->maps[i].name, name))
			return &p->maps[i];
	return NULL;
}

const struct dp_sizes *mig_plan_sizes(const struct mig_plan *p)
{
	return &p->sizes;
}

bool mig_plan_migrates(const struct mig_plan *p)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (p->maps[i].action == MIG_MIGRATE)
			return true;
	return false;
}

const char *mig_pin_path(const struct mig_plan *p, const char *name)
{
	const struct mig_map *m = plan_find(p, name);

	return m && m->action == MIG_MIGRATE ? m->staging_path : NULL;
}

enum mig_action mig_plan_action(const struct mig_plan *p, const char *name)
{
	const struct mig_map *m = plan_find(p, name);

	return m ? m->action : MIG_CREATE;
}
