// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The steps of a migration at init (migrate.h), in their order. Each leaves
 * the pins and the layout record in a state the next init completes when
 * this one is killed right after it:
 *   prepare   leftovers of killed runs removed, record made     -> init redoes everything
 *   load      new maps pinned as <name>_new, programs pinned    -> not staged: removed, redone
 *   copy      pass 1, then the record marks the maps staged     -> staged: reused and refilled
 *   attach    (init's) the new programs on every device         -> the same
 *   finish    pass 2, each rename, then the record              -> renamed ones are the new
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "dp/maps.h"
#include "dp/layout.h"
#include "dp/migrate_internal.h"
#include "sys/fsutil.h"

#define PAUSE_ENV "BPFNET_TEST_MIGRATE_PAUSE"

void mig_pause_at(const char *step)
{
	const char *want = getenv(PAUSE_ENV);

	if (!want || strcmp(want, step))
		return;
	/* the e2e tests kill us here with SIGKILL: the crash the next init must complete */
	fprintf(stderr, "bpfnet: %s: paused at %s\n", PAUSE_ENV, step);
	for (;;)
		pause();
}

int mig_prepare(struct bpfnet *bn, struct mig_plan *p)
{
	int rec, err = mkdir_p(p->dir, 0700);

	if (err)
		return bn_fail(bn, err, "cannot create %s: %s", p->dir, strerror(-err));
	for (size_t i = 0; i < p->n; i++) {
		struct mig_map *m = &p->maps[i];

		/* a killed run's new map that this one cannot fill: made again by the load */
		if (m->staging_pinned && !(m->action == MIG_MIGRATE && m->staging_reuse) &&
		    unlink(m->staging_path) && errno != ENOENT)
			return bn_fail(bn, -errno, "cannot remove the stale %s: %s",
				       m->staging_path, strerror(errno));
	}
	rec = layout_open_or_create(bn);
	if (rec < 0)
		return rec;
	err = layout_put(rec, BPFNET_LAYOUT_KEY_ABI, BPFNET_ABI_VERSION, 0);
	/* before the load makes them: a map is never pinned with a version the record lacks */
	for (size_t i = 0; i < p->n && !err; i++)
		if (p->maps[i].action != MIG_MIGRATE)
			err = layout_put(rec, p->maps[i].name, p->maps[i].to, 0);
	close(rec);
	if (err)
		return bn_fail(bn, err, "cannot write the layout record: %s", strerror(-err));
	mig_pause_at("prepared");
	return 0;
}

static int open_pin(struct bpfnet *bn, const char *path, int *fd)
{
	*fd = bpf_obj_get(path);
	if (*fd < 0)
		return bn_fail(bn, -errno, "cannot open %s: %s", path, strerror(errno));
	return 0;
}

/* From here on the new programs may run against the new maps: other commands refuse. */
static int mark_staged(struct bpfnet *bn, const struct mig_plan *p)
{
	int rec = layout_open(bn), err = 0;

	if (rec < 0)
		return rec == -ENOENT ? bn_fail(bn, rec, "the layout record is gone") : rec;
	for (size_t i = 0; i < p->n && !err; i++)
		if (p->maps[i].action == MIG_MIGRATE)
			err = layout_put(rec, p->maps[i].name, p->maps[i].from, p->maps[i].to);
	close(rec);
	return err ? bn_fail(bn, err, "cannot mark the migration in the layout record: %s",
			     strerror(-err)) : 0;
}

int mig_copy(struct bpfnet *bn, struct mig_plan *p)
{
	int err = 0;

	if (!mig_plan_migrates(p))
		return 0;
	p->copy_ns = bn_mono_ns();
	for (size_t i = 0; i < p->n && !err; i++) {
		struct mig_map *m = &p->maps[i];

		if (m->action == MIG_MIGRATE)
			err = open_pin(bn, m->path, &m->old_fd) ?:
			      open_pin(bn, m->staging_path, &m->new_fd) ?: mig_copy_map(bn, m, false);
	}
	err = err ?: mark_staged(bn, p);
	if (err)
		return err;
	p->staged_ns = bn_mono_ns();
	mig_pause_at("copied");
	return 0;
}

int mig_adopt(struct dp *dp, const struct mig_plan *p)
{
	int err = 0;

	for (size_t i = 0; i < p->n && !err; i++) {
		enum dp_map m = dp_map_by_name(p->maps[i].name);

		if (p->maps[i].action == MIG_MIGRATE && m != DP_MAP_COUNT)
			err = dp_adopt(dp, m, p->maps[i].new_fd);
	}
	return err ? bn_fail(dp->bn, err, "cannot keep the new maps: %s", strerror(-err)) : 0;
}

/* The new map under the old name, atomically (bpffs supports rename(2)), then the record. */
static int rename_over(struct bpfnet *bn, int rec, const struct mig_map *m)
{
	int err;

	if (rename(m->staging_path, m->path))
		return bn_fail(bn, -errno, "cannot rename %s over %s: %s", m->staging_path,
			       m->path, strerror(errno));
	mig_pause_at("renamed_one");
	err = layout_put(rec, m->name, m->to, 0);
	if (err)
		return bn_fail(bn, err, "cannot write the layout record: %s", strerror(-err));
	if (m->from == m->to)
		pr_info("map %s: resized to %u entries: %zu entries copied, pass 1 %.1f ms, pass 2 "
			"%.1f ms\n", m->name, m->want.max_entries, m->n_copied,
			m->pass_ns[0] / 1e6, m->pass_ns[1] / 1e6);
	else
		pr_info("map %s: migrated from layout %u to %u: %zu entries, pass 1 %.1f ms, pass 2 "
			"%.1f ms\n", m->name, m->from, m->to, m->n_copied, m->pass_ns[0] / 1e6,
			m->pass_ns[1] / 1e6);
	return 0;
}

int mig_finish(struct bpfnet *bn, struct mig_plan *p)
{
	int rec, err = 0;

	if (!mig_plan_migrates(p))
		return 0;
	mig_pause_at("attached");
	for (size_t i = 0; i < p->n && !err; i++)
		if (p->maps[i].action == MIG_MIGRATE)
			err = mig_copy_map(bn, &p->maps[i], true);
	rec = err ? err : layout_open(bn);
	if (rec < 0)
		return rec;
	for (size_t i = 0; i < p->n && !err; i++)
		if (p->maps[i].action == MIG_MIGRATE)
			err = rename_over(bn, rec, &p->maps[i]);
	close(rec);
	if (!err)
		pr_info("migration: %.1f ms from the first copy to the last rename, %.1f ms of them "
			"with the new programs attached or being attached\n",
			(bn_mono_ns() - p->copy_ns) / 1e6, (bn_mono_ns() - p->staged_ns) / 1e6);
	return err;
}
