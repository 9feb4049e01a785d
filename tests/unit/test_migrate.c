// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The migration's decision per map (reuse, create, migrate, refuse) and its
 * converters (dp/migrate_plan.c, dp/migrate_convert.c): pure functions, no
 * kernel. Every field that two layouts share survives a round trip through
 * the other; a field only the newer has gets its documented default.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <linux/bpf.h>

#include "dp/layouts.h"
#include "dp/migrate.h"

/* ct4 as the object defines it, of @version's value size. */
static struct map_def ct_def(__u32 version)
{
	return (struct map_def){ BPF_MAP_TYPE_LRU_HASH, sizeof(struct bpfnet_ct_key),
				 version == 1 ? sizeof(struct ct_entry_v1)
					      : sizeof(struct ct_entry_v2),
				 BPFNET_CT_MAX, 0 };
}

static struct mig_decision decide(const char *name, bool pinned, struct map_def have,
				  __u32 from, struct map_def want, __u32 to)
{
	struct mig_in in = { name, pinned, have, want, from, to };
	struct mig_decision d;

	mig_decide(&in, &d);
	return d;
}

static void test_not_pinned_is_created(void **state)
{
	(void)state;
	assert_int_equal(decide("ct4", false, (struct map_def){}, 7, ct_def(1), 1).action,
			 MIG_CREATE);
}

static void test_same_layout_is_reused(void **state)
{
	(void)state;
	assert_int_equal(decide("ct4", true, ct_def(1), 1, ct_def(1), 1).action, MIG_REUSE);
	assert_int_equal(decide("ct4", true, ct_def(2), 2, ct_def(2), 2).action, MIG_REUSE);
}

static void test_a_new_size_alone_is_a_migration(void **state)
{
	struct map_def bigger = ct_def(1);
	struct mig_decision d;

	(void)state;
	bigger.max_entries *= 2;
	d = decide("ct4", true, ct_def(1), 1, bigger, 1);
	assert_int_equal(d.action, MIG_MIGRATE);
	assert_null(d.conv);	/* copied as they are */
}

static void test_another_shape_of_the_same_version_is_refused(void **state)
{
	struct map_def other = ct_def(1);
	struct mig_decision d;

	(void)state;
	other.flags = BPF_F_NO_COMMON_LRU;
	d = decide("ct4", true, other, 1, ct_def(1), 1);
	assert_int_equal(d.action, MIG_REFUSE);
	assert_non_null(strstr(d.why, "map ct4 has layout version 1"));
}

static void test_up_and_down_migrate_with_their_converter(void **state)
{
	struct mig_decision up = decide("ct4", true, ct_def(1), 1, ct_def(2), 2);
	struct mig_decision down = decide("ct4", true, ct_def(2), 2, ct_def(1), 1);

	(void)state;
	assert_int_equal(up.action, MIG_MIGRATE);
	assert_ptr_equal(up.conv, mig_converter_find("ct4", 1, 2));
	assert_int_equal(down.action, MIG_MIGRATE);
	assert_ptr_equal(down.conv, mig_converter_find("ct4", 2, 1));
}

static void test_a_layout_it_does_not_know_is_refused_naming_both(void **state)
{
	struct mig_decision d = decide("ct4", true, ct_def(2), 7, ct_def(1), 1);

	(void)state;
	assert_int_equal(d.action, MIG_REFUSE);
	assert_non_null(strstr(d.why, "map ct4 has layout version 7, this bpfnet's is 1"));
	assert_non_null(strstr(d.why, "a newer layout than it knows"));
}

static void test_a_map_without_converters_is_refused_across_versions(void **state)
{
	struct map_def net = { BPF_MAP_TYPE_ARRAY, 4, sizeof(struct bpfnet_net), BPFNET_NET_MAX, 0 };
	struct mig_decision d = decide("networks", true, net, 2, net, 1);

	(void)state;
	assert_int_equal(d.action, MIG_REFUSE);
	assert_non_null(strstr(d.why, "map networks has layout version 2, this bpfnet's is 1"));
}

/* A record that says 1 over entries of layout 2 (or anything else) is not believed. */
static void test_entries_not_of_the_recorded_layout_are_refused(void **state)
{
	struct mig_decision d = decide("ct4", true, ct_def(2), 1, ct_def(2), 2);

	(void)state;
	assert_int_equal(d.action, MIG_REFUSE);
	assert_non_null(strstr(d.why, "are not that layout's"));
}

static void test_endpoint_maps_share_the_ep_converters(void **state)
{
	(void)state;
	assert_non_null(mig_converter_find(BPFNET_MAP_EP_BY_IP, 1, 2));
	assert_ptr_equal(mig_converter_find(BPFNET_MAP_EP_BY_IP, 2, 1),
			 mig_converter_find(BPFNET_MAP_EP_BY_IFINDEX, 2, 1));
	assert_null(mig_converter_find(BPFNET_MAP_EP_BY_IP, 1, 3));
	assert_null(mig_converter_find(BPFNET_MAP_NETWORKS, 1, 2));
	assert_int_equal(mig_known_version(BPFNET_MAP_CT), 2);
	assert_int_equal(mig_known_version(BPFNET_MAP_NETWORKS), 1);
}

/* Every byte of a v1 value set (distinct values), so that a dropped field shows. */
static void fill(void *p, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)p)[i] = (unsigned char)(seed + i * 7);
}

static void test_ct_round_trip_keeps_every_shared_field(void **state)
{
	const struct mig_converter *up = mig_converter_find("ct4", 1, 2);
	const struct mig_converter *down = mig_converter_find("ct4", 2, 1);
	struct ct_entry_v1 a, back;
	struct ct_entry_v2 b, b2;

	(void)state;
	fill(&a, sizeof(a), 3);
	up->convert(&a, &b);
	assert_memory_equal(&b.v1, &a, sizeof(a));
	assert_int_equal(b.last_seen_ns, a.created_ns);	/* the default: seen when made */
	down->convert(&b, &back);
	assert_memory_equal(&back, &a, sizeof(a));
	/* and the other way: 2 -> 1 -> 2 keeps all but the field layout 1 lacks */
	fill(&b, sizeof(b), 11);
	down->convert(&b, &back);
	up->convert(&back, &b2);
	assert_memory_equal(&b2.v1, &b.v1, sizeof(b.v1));
	assert_int_equal(b2.last_seen_ns, b.v1.created_ns);
}

static void test_ep_round_trip_keeps_every_shared_field(void **state)
{
	const struct mig_converter *up = mig_converter_find(BPFNET_MAP_EP_BY_IP, 1, 2);
	const struct mig_converter *down = mig_converter_find(BPFNET_MAP_EP_BY_IP, 2, 1);
	struct ep_v1 a, back;
	struct ep_v2 b;

	(void)state;
	fill(&a, sizeof(a), 5);
	up->convert(&a, &b);
	assert_memory_equal(&b.v1, &a, sizeof(a));
	assert_int_equal(b.mtu, BPFNET_EP_MTU_DEFAULT);
	down->convert(&b, &back);
	assert_memory_equal(&back, &a, sizeof(a));
	assert_int_equal(up->from_size, sizeof(struct ep_v1));
	assert_int_equal(up->to_size, sizeof(struct ep_v2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_pinned_is_created),
		cmocka_unit_test(test_same_layout_is_reused),
		cmocka_unit_test(test_a_new_size_alone_is_a_migration),
		cmocka_unit_test(test_another_shape_of_the_same_version_is_refused),
		cmocka_unit_test(test_up_and_down_migrate_with_their_converter),
		cmocka_unit_test(test_a_layout_it_does_not_know_is_refused_naming_both),
		cmocka_unit_test(test_a_map_without_converters_is_refused_across_versions),
		cmocka_unit_test(test_entries_not_of_the_recorded_layout_are_refused),
		cmocka_unit_test(test_endpoint_maps_share_the_ep_converters),
		cmocka_unit_test(test_ct_round_trip_keeps_every_shared_field),
		cmocka_unit_test(test_ep_round_trip_keeps_every_shared_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
