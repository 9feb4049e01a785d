// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The copies of a migration (dp/migrate_copy.c) on real kernel maps: a
 * conntrack table of layout 1 into one of layout 2 (pass 1 converts every
 * entry; pass 2 adds what the old programs made in the window and keeps what
 * the new ones wrote since), per-CPU counters whose sums survive both
 * programs counting in the window, a new size alone (larger: copied; smaller
 * than the entries: refused in words), a ring buffer made anew, an array of maps
 * with its inner maps. Needs root (bpf(2)), no netns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp/layouts.h"
#include "dp/migrate_internal.h"

static struct bpfnet bn;

static int map_new(struct map_def *d)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = d->flags);
	int fd = bpf_map_create(d->type, "mig_test", d->key_size, d->value_size, d->max_entries,
				&o);

	assert_true(fd >= 0);
	return fd;
}

/* A migration of one map between the two maps of @have and @want. */
static struct mig_map map_pair(const char *name, struct map_def have, struct map_def want,
			       const struct mig_converter *conv)
{
	struct mig_map m = { .action = MIG_MIGRATE, .conv = conv, .have = have, .want = want };

	snprintf(m.name, sizeof(m.name), "%s", name);
	m.old_fd = map_new(&have);
	m.new_fd = map_new(&want);
	return m;
}

static void map_pair_free(struct mig_map *m)
{
	close(m->old_fd);
	close(m->new_fd);
	free(m->snap);
}

static struct bpfnet_ct_key ct_key(__u32 i)
{
	return (struct bpfnet_ct_key){ .saddr = i + 1, .daddr = 0x01020304, .sport = 1000,
				       .dport = 53, .proto = 17 };
}

static struct ct_entry_v1 ct_v1(__u32 i)
{
	return (struct ct_entry_v1){ .peer = ct_key(i + 100000), .state = 2, .tx_gen = i,
				     .created_ns = 1000 + i, .expires_ns = 5000 + i,
				     .packets = i, .bytes = 100 * i };
}

static void test_ct_up_pass1_then_the_window(void **state)
{
	struct map_def v1 = { BPF_MAP_TYPE_LRU_HASH, sizeof(struct bpfnet_ct_key),
			      sizeof(struct ct_entry_v1), 4096, 0 };
	struct map_def v2 = v1;
	struct mig_map m;
	struct ct_entry_v2 got, newer;
	struct ct_entry_v1 e;
	struct bpfnet_ct_key k;

	(void)state;
	v2.value_size = sizeof(struct ct_entry_v2);
	m = map_pair("ct4", v1, v2, mig_converter_find("ct4", 1, 2));
	for (__u32 i = 0; i < 1000; i++) {
		k = ct_key(i);
		e = ct_v1(i);
		assert_int_equal(bpf_map_update_elem(m.old_fd, &k, &e, BPF_ANY), 0);
	}
	assert_int_equal(mig_copy_map(&bn, &m, false), 0);
	assert_int_equal(m.n_copied, 1000);
	k = ct_key(7);
	assert_int_equal(bpf_map_lookup_elem(m.new_fd, &k, &got), 0);
	e = ct_v1(7);
	assert_memory_equal(&got.v1, &e, sizeof(e));
	assert_int_equal(got.last_seen_ns, e.created_ns);
	/* the window: the old programs make 10 flows; the new ones update flow 7 */
	for (__u32 i = 1000; i < 1010; i++) {
		k = ct_key(i);
		e = ct_v1(i);
		assert_int_equal(bpf_map_update_elem(m.old_fd, &k, &e, BPF_ANY), 0);
	}
	newer = got;
	newer.v1.packets = 999999;
	newer.last_seen_ns = 424242;
	k = ct_key(7);
	assert_int_equal(bpf_map_update_elem(m.new_fd, &k, &newer, BPF_ANY), 0);
	assert_int_equal(mig_copy_map(&bn, &m, true), 0);
	assert_int_equal(m.n_copied, 1010);
	k = ct_key(1009);
	assert_int_equal(bpf_map_lookup_elem(m.new_fd, &k, &got), 0);
	assert_int_equal(got.v1.bytes, 100 * 1009);
	k = ct_key(7);
	assert_int_equal(bpf_map_lookup_elem(m.new_fd, &k, &got), 0);
	assert_int_equal(got.last_seen_ns, 424242);	/* the new programs' write stays */
	map_pair_free(&m);
}

/* Per-CPU counters: what the old programs count after pass 1 is added to the new ones'. */
static void test_percpu_counters_keep_their_sums(void **state)
{
	struct map_def d = { BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct bpfnet_ep_stats), 8, 0 };
	int ncpu = libbpf_num_possible_cpus();
	struct bpfnet_ep_stats *v = calloc(ncpu, sizeof(*v));
	struct mig_map m = map_pair("ep_stats", d, d, NULL);
	__u32 key = 3;

	(void)state;
	assert_non_null(v);
	for (int c = 0; c < ncpu; c++)
		v[c] = (struct bpfnet_ep_stats){ .tx_packets = 10 + c, .rx_bytes = 1000 * (c + 1) };
	assert_int_equal(bpf_map_update_elem(m.old_fd, &key, v, BPF_ANY), 0);
	assert_int_equal(mig_copy_map(&bn, &m, false), 0);
	/* the window: the old programs count 5 more packets per CPU, the new ones 2 */
	for (int c = 0; c < ncpu; c++)
		v[c].tx_packets += 5;
	assert_int_equal(bpf_map_update_elem(m.old_fd, &key, v, BPF_ANY), 0);
	assert_int_equal(bpf_map_lookup_elem(m.new_fd, &key, v), 0);
	for (int c = 0; c < ncpu; c++)
		v[c].tx_packets += 2;
	assert_int_equal(bpf_map_update_elem(m.new_fd, &key, v, BPF_ANY), 0);
	assert_int_equal(mig_copy_map(&bn, &m, true), 0);
	assert_int_equal(bpf_map_lookup_elem(m.new_fd, &key, v), 0);
	for (int c = 0; c < ncpu; c++) {
		assert_int_equal(v[c].tx_packets, 10 + c + 5 + 2);
		assert_int_equal(v[c].rx_bytes, 1000 * (c + 1));
	}
	free(v);
	map_pair_free(&m);
}

static void test_a_larger_array_takes_every_entry(void **state)
{
	struct map_def small = { BPF_MAP_TYPE_ARRAY, 4, sizeof(struct bpfnet_net), 4, 0 };
	struct map_def large = small;
	struct bpfnet_net net = { .subnet = 0x0a000000, .mode = BPFNET_MODE_L3 }, got;
	struct mig_map m;
	__u32 key = 3;

	(void)state;
	large.max_entries = 16;
	m = map_pair("networks", small, large, NULL);
	assert_int_equal(bpf_map_update_elem(m.old_fd, &key, &net, BPF_ANY), 0);
	assert_int_equal(mig_copy_map(&bn, &m, false), 0);
	assert_int_equal(bpf_map_lookup_elem(m.new_fd, &key, &got), 0);
	assert_memory_equal(&got, &net, sizeof(net));
	map_pair_free(&m);
}

static void test_a_hash_smaller_than_its_entries_is_refused(void **state)
{
	struct map_def big = { BPF_MAP_TYPE_HASH, 4, 4, 64, 0 };
	struct map_def small = big;
	struct mig_map m;

	(void)state;
	small.max_entries = 16;
	m = map_pair("node_addrs", big, small, NULL);
	for (__u32 k = 0; k < 32; k++)
		assert_int_equal(bpf_map_update_elem(m.old_fd, &k, &k, BPF_ANY), 0);
	assert_int_equal(mig_copy_map(&bn, &m, false), -E2BIG);
	assert_non_null(strstr(bn.errmsg, "cannot migrate map node_addrs (pass 1)"));
	assert_non_null(strstr(bn.errmsg, "smaller than its entries"));
	map_pair_free(&m);
}

/* A ring buffer of another size (the monitor's events) has nothing to carry over. */
static void test_a_ring_buffer_is_made_anew(void **state)
{
	struct map_def small = { BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0 };
	struct map_def large = small;
	struct mig_map m;

	(void)state;
	large.max_entries = 8192;
	m = map_pair("events", small, large, NULL);
	assert_int_equal(mig_copy_map(&bn, &m, false), 0);
	assert_int_equal(mig_copy_map(&bn, &m, true), 0);
	assert_int_equal(m.n_copied, 0);
	map_pair_free(&m);
}

/* An array of maps of a new size (the monitor's rings): each inner map kept in its slot. */
static void test_an_array_of_maps_keeps_its_inner_maps(void **state)
{
	int ring = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "mig_ring", 0, 0, 4096, NULL);
	LIBBPF_OPTS(bpf_map_create_opts, o, .inner_map_fd = ring);
	struct map_def small = { BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0 };
	struct map_def large = small;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), slot = 2, id;
	struct mig_map m = { .action = MIG_MIGRATE, .have = small, .want = large };

	(void)state;
	assert_true(ring >= 0);
	large.max_entries = 8;
	m.want = large;
	snprintf(m.name, sizeof(m.name), "mon_rings");
	m.old_fd = bpf_map_create(small.type, "mig_old", 4, 4, small.max_entries, &o);
	m.new_fd = bpf_map_create(large.type, "mig_new", 4, 4, large.max_entries, &o);
	assert_true(m.old_fd >= 0 && m.new_fd >= 0);
	assert_int_equal(bpf_map_update_elem(m.old_fd, &slot, &ring, BPF_ANY), 0);
	assert_int_equal(mig_copy_map(&bn, &m, false), 0);
	assert_int_equal(mig_copy_map(&bn, &m, true), 0);
	assert_int_equal(bpf_map_lookup_elem(m.new_fd, &slot, &id), 0);
	assert_int_equal(bpf_obj_get_info_by_fd(ring, &info, &len), 0);
	assert_int_equal(id, info.id);
	slot = 1;
	assert_int_not_equal(bpf_map_lookup_elem(m.new_fd, &slot, &id), 0);	/* empty stays so */
	close(ring);
	map_pair_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_up_pass1_then_the_window),
		cmocka_unit_test(test_percpu_counters_keep_their_sums),
		cmocka_unit_test(test_a_larger_array_takes_every_entry),
		cmocka_unit_test(test_a_hash_smaller_than_its_entries_is_refused),
		cmocka_unit_test(test_a_ring_buffer_is_made_anew),
		cmocka_unit_test(test_an_array_of_maps_keeps_its_inner_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
