// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The copies of a migration (migrate.h): every entry of the old map into the
 * new one, converted. Pass 1 runs while the old programs still run; pass 2,
 * once the new ones do, copies what the old wrote in between: the entries
 * of hash maps the new map lacks (BPF_NOEXIST: what the new programs wrote
 * since is newer), and the per-CPU counters' growth since pass 1.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp/migrate_internal.h"

/* Keys of every map of the datapath fit (the layout record's are the largest). */
#define KEY_MAX 64

static bool is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_array(__u32 type)
{
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* One value's bytes as lookup and update take them: a slot per possible CPU, 8-aligned. */
struct value_shape {
	size_t slots, in_slot, out_slot;
};

static int shape_of(const struct mig_map *m, struct value_shape *s)
{
	bool percpu = is_percpu(m->have.type);
	int ncpu = percpu ? libbpf_num_possible_cpus() : 1;

	if (ncpu < 0)
		return ncpu;
	s->slots = (size_t)ncpu;
	s->in_slot = percpu ? (m->have.value_size + 7) / 8 * 8 : m->have.value_size;
	s->out_slot = percpu ? (m->want.value_size + 7) / 8 * 8 : m->want.value_size;
	return 0;
}

static void convert(const struct mig_map *m, const struct value_shape *s, const void *in,
		    void *out)
{
	memset(out, 0, s->slots * s->out_slot);
	for (size_t c = 0; c < s->slots; c++) {
		const char *i = (const char *)in + c * s->in_slot;
		char *o = (char *)out + c * s->out_slot;

		if (m->conv)
			m->conv->convert(i, o);
		else
			memcpy(o, i, m->want.value_size);
	}
}

/* Pass 2 of a per-CPU counter array: what the old programs counted since pass 1, added. */
static void add_growth(const struct value_shape *s, const __u64 *now, const __u64 *then,
		       __u64 *into)
{
	size_t words = s->slots * s->out_slot / sizeof(__u64);

	for (size_t w = 0; w < words; w++)
		into[w] += now[w] - then[w];
}

struct copy_bufs {
	void *in, *out, *cur;
};

static int array_entry(struct mig_map *m, const struct value_shape *s, struct copy_bufs *b,
		       __u32 key, bool second)
{
	size_t snap_len = s->slots * s->in_slot;
	void *then = (char *)m->snap + key * snap_len;

	if (bpf_map_lookup_elem(m->old_fd, &key, b->in))
		return -errno;
	if (!second) {
		memcpy(then, b->in, snap_len);
		convert(m, s, b->in, b->out);
		return bpf_map_update_elem(m->new_fd, &key, b->out, BPF_ANY) ? -errno : 0;
	}
	if (!is_percpu(m->have.type) || m->conv || !memcmp(then, b->in, snap_len))
		return 0;	/* only the datapath's counters change under us */
	if (bpf_map_lookup_elem(m->new_fd, &key, b->cur))
		return -errno;
	add_growth(s, b->in, then, b->cur);
	return bpf_map_update_elem(m->new_fd, &key, b->cur, BPF_ANY) ? -errno : 0;
}

static int copy_array(struct mig_map *m, const struct value_shape *s, struct copy_bufs *b,
		      bool second)
{
	__u32 n = m->have.max_entries < m->want.max_entries ? m->have.max_entries
							     : m->want.max_entries;
	int err = 0;

	/* a new map a killed run filled and its programs counted into: kept as it is */
	if (m->staging_reuse)
		return 0;
	if (!second) {
		m->snap = calloc(n ? n : 1, s->slots * s->in_slot);
		if (!m->snap)
			return -ENOMEM;
	}
	for (__u32 k = 0; k < n && !err; k++)
		err = array_entry(m, s, b, k, second);
	m->n_copied = n;
	return err;
}

static int copy_hash(struct mig_map *m, const struct value_shape *s, struct copy_bufs *b)
{
	__u8 key[KEY_MAX], next[KEY_MAX];
	void *prev = NULL;

	while (!bpf_map_get_next_key(m->old_fd, prev, next)) {
		memcpy(key, next, m->have.key_size);
		prev = key;
		/* gone since the walk found it (expired, evicted): nothing to keep */
		if (bpf_map_lookup_elem(m->old_fd, key, b->in))
			continue;
		convert(m, s, b->in, b->out);
		if (!bpf_map_update_elem(m->new_fd, key, b->out, BPF_NOEXIST))
			m->n_copied++;
		else if (errno != EEXIST)
			return -errno;
	}
	return errno == ENOENT ? 0 : -errno;
}

static bool is_map_of_maps(__u32 type)
{
	return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/*
 * A map of maps (the monitor's rings): a lookup gives an inner map's id, an
 * update takes its fd. Every inner map is put in the new map as it is, so a
 * listener keeps its slot; one freed since the walk found it is skipped.
 */
static int copy_map_of_maps(struct mig_map *m)
{
	/* an array's slots all exist: it takes BPF_ANY alone */
	__u64 flags = m->have.type == BPF_MAP_TYPE_ARRAY_OF_MAPS ? BPF_ANY : BPF_NOEXIST;
	__u8 key[KEY_MAX], next[KEY_MAX];
	void *prev = NULL;
	__u32 id;
	int fd, err = 0;

	while (!err && !bpf_map_get_next_key(m->old_fd, prev, next)) {
		memcpy(key, next, m->have.key_size);
		prev = key;
		if (bpf_map_lookup_elem(m->old_fd, key, &id))
			continue;	/* an empty slot of an array of maps */
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!bpf_map_update_elem(m->new_fd, key, &fd, flags))
			m->n_copied++;
		else if (errno != EEXIST)
			err = -errno;
		close(fd);
	}
	return err ? err : errno == ENOENT ? 0 : -errno;
}

/* A ring buffer or a perf event array holds no entries to carry over: made anew. */
static bool has_entries(__u32 type)
{
	return type != BPF_MAP_TYPE_RINGBUF && type != BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

int mig_copy_map(struct bpfnet *bn, struct mig_map *m, bool second)
{
	unsigned long long t0 = bn_mono_ns();
	struct value_shape s;
	struct copy_bufs b = {};
	int err = shape_of(m, &s);

	if (!has_entries(m->have.type))
		return 0;
	if (is_map_of_maps(m->have.type)) {
		err = copy_map_of_maps(m);
		return err ? bn_fail(bn, err, "cannot migrate map %s: %s", m->name,
				     strerror(-err)) : 0;
	}
	if (err)
		return bn_fail(bn, err, "cannot count CPUs: %s", strerror(-err));
	if (m->have.key_size > KEY_MAX)
		return bn_fail(bn, -E2BIG, "map %s: keys of %u bytes", m->name, m->have.key_size);
	b.in = calloc(s.slots, s.in_slot);
	b.out = calloc(s.slots, s.out_slot + s.in_slot);
	b.cur = calloc(s.slots, s.out_slot + s.in_slot);
	if (!b.in || !b.out || !b.cur)
		err = -ENOMEM;
	else if (is_array(m->have.type))
		err = copy_array(m, &s, &b, second);
	else
		err = copy_hash(m, &s, &b);
	free(b.in);
	free(b.out);
	free(b.cur);
	m->pass_ns[second] = bn_mono_ns() - t0;
	if (err)
		return bn_fail(bn, err, "cannot migrate map %s (pass %d): %s%s", m->name,
			       second ? 2 : 1, strerror(-err), err == -E2BIG ?
			       " (the new map is smaller than its entries)" : "");
	return 0;
}
