// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tables' sizes init takes (dp/sizes.c): the range of each, in words
 * when refused, and which maps each size makes (pure: no kernel).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "bpfnet/abi.h"
#include "core/core.h"
#include "dp/sizes.h"

static struct bpfnet bn;

static void test_ct_range(void **state)
{
	(void)state;
	assert_int_equal(dp_size_check(&bn, DP_SIZE_CT, BPFNET_CT_MAX_MIN), 0);
	assert_int_equal(dp_size_check(&bn, DP_SIZE_CT, BPFNET_CT_MAX_LIMIT), 0);
	/* no power of two needed: the kernel rounds a hash map's buckets itself */
	assert_int_equal(dp_size_check(&bn, DP_SIZE_CT, 100000), 0);
	assert_int_equal(dp_size_check(&bn, DP_SIZE_CT, BPFNET_CT_MAX_MIN - 1), -EINVAL);
	assert_non_null(strstr(bn.errmsg, "--ct-max 1023: from 1024 to 16777216"));
	assert_int_equal(dp_size_check(&bn, DP_SIZE_CT, BPFNET_CT_MAX_LIMIT + 1), -EINVAL);
	assert_int_equal(dp_size_check(&bn, DP_SIZE_CT, 0), -EINVAL);
}

static void test_ports_range(void **state)
{
	(void)state;
	assert_int_equal(dp_size_check(&bn, DP_SIZE_PORTS, BPFNET_PORTS_MAX_MIN), 0);
	assert_int_equal(dp_size_check(&bn, DP_SIZE_PORTS, BPFNET_PORTS_MAX_LIMIT), 0);
	assert_int_equal(dp_size_check(&bn, DP_SIZE_PORTS, 63), -EINVAL);
	assert_non_null(strstr(bn.errmsg, "--ports-max 63: from 64 to 1048576 published ports"));
	assert_int_equal(dp_size_check(&bn, DP_SIZE_PORTS, 1U << 31), -EINVAL);
}

static void test_defaults_are_in_range(void **state)
{
	(void)state;
	for (int s = 0; s < DP_SIZE_COUNT; s++)
		assert_int_equal(dp_size_check(&bn, s, dp_size_default(s)), 0);
	assert_int_equal(dp_size_default(DP_SIZE_CT), BPFNET_CT_MAX);
	assert_int_equal(dp_size_default(DP_SIZE_PORTS), BPFNET_PORTMAP_MAX);
}

static void test_maps_of_each_size(void **state)
{
	struct dp_sizes sz = { .n = { [DP_SIZE_CT] = 4096, [DP_SIZE_PORTS] = 300 } };
	enum dp_size g;
	__u32 n;

	(void)state;
	assert_true(dp_size_of_map(BPFNET_MAP_CT, &sz, &n, &g));
	assert_int_equal(n, 4096);
	assert_int_equal(g, DP_SIZE_CT);
	/* one local client's socket a flow: half the entries */
	assert_true(dp_size_of_map(BPFNET_MAP_SOCK_NAT, &sz, &n, &g));
	assert_int_equal(n, 2048);
	for (const char *const *m = (const char *const[]){ BPFNET_MAP_PORTMAP, BPFNET_MAP_BACKENDS,
							    BPFNET_MAP_EP_PORTS, NULL }; *m; m++) {
		assert_true(dp_size_of_map(*m, &sz, &n, &g));
		assert_int_equal(n, 300);
		assert_int_equal(g, DP_SIZE_PORTS);
	}
	/* the small tables keep the object's sizes */
	assert_false(dp_size_of_map(BPFNET_MAP_EP_BY_IP, &sz, &n, &g));
	assert_false(dp_size_of_map(BPFNET_MAP_FRAG, &sz, &n, &g));
	assert_false(dp_size_of_map(BPFNET_MAP_FDB, &sz, &n, &g));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_range),
		cmocka_unit_test(test_ports_range),
		cmocka_unit_test(test_defaults_are_in_range),
		cmocka_unit_test(test_maps_of_each_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
