// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The map names the control plane opens against the BPF objects: every name
 * of the library's list (dp_map_names, BPFNET_FOREACH_MAP, the list
 * dp_map_fd() refuses others by) is a map the datapath object pins by that
 * name, every map either object pins is in the list, and the socket hooks'
 * object shares its maps with the datapath's. The objects are opened from
 * the skeletons, not loaded: no root, no kernel state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "dp/datapath.h"
#include "datapath.skel.h"
#include "sock.skel.h"

static struct datapath_bpf *dp_skel;
static struct sock_bpf *sock_skel;

static int setup(void **state)
{
	(void)state;
	dp_skel = datapath_bpf__open();
	sock_skel = sock_bpf__open();
	return dp_skel && sock_skel ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	datapath_bpf__destroy(dp_skel);
	sock_bpf__destroy(sock_skel);
	return 0;
}

static void test_listed_maps_are_pinned_by_the_datapath(void **state)
{
	(void)state;
	assert_true(dp_n_map_names > 0);
	for (size_t i = 0; i < dp_n_map_names; i++) {
		const struct bpf_map *m = bpf_object__find_map_by_name(dp_skel->obj,
								       dp_map_names[i]);

		if (!m)
			fail_msg("map '%s' of the library's list: expected in the datapath object, "
				 "it has none of that name", dp_map_names[i]);
		if (!bpf_map__pin_path(m))
			fail_msg("map '%s': expected pinned by name (LIBBPF_PIN_BY_NAME), it is not",
				 dp_map_names[i]);
	}
}

/* Every map @obj pins is in the library's list: init, check and down see them all. */
static void expect_pinned_maps_listed(const char *what, struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__pin_path(m) && !dp_map_known(bpf_map__name(m)))
			fail_msg("%s pins map '%s': expected in BPFNET_FOREACH_MAP, it is not", what,
				 bpf_map__name(m));
	}
}

static void test_pinned_maps_are_listed(void **state)
{
	(void)state;
	expect_pinned_maps_listed("the datapath object", dp_skel->obj);
	expect_pinned_maps_listed("the socket hooks' object", sock_skel->obj);
}

/* The socket hooks share the datapath's pins: each of their maps is one of its, same shape. */
static void test_sock_maps_are_the_datapaths(void **state)
{
	struct bpf_map *m;

	(void)state;
	bpf_object__for_each_map(m, sock_skel->obj) {
		const struct bpf_map *d;

		if (!bpf_map__pin_path(m))
			continue;
		d = bpf_object__find_map_by_name(dp_skel->obj, bpf_map__name(m));
		if (!d)
			fail_msg("socket hooks' map '%s': expected in the datapath object too",
				 bpf_map__name(m));
		if (bpf_map__key_size(d) != bpf_map__key_size(m) ||
		    bpf_map__value_size(d) != bpf_map__value_size(m) ||
		    bpf_map__max_entries(d) != bpf_map__max_entries(m) ||
		    bpf_map__type(d) != bpf_map__type(m))
			fail_msg("map '%s': expected the same type and sizes in both objects",
				 bpf_map__name(m));
	}
}

/* dp_map_fd() opens only listed maps: a typo is an error in words, not a missing pin. */
static void test_unlisted_name_refused(void **state)
{
	struct bpfnet_opts opts = { .sz = sizeof(opts), .bpffs = NULL };
	struct bpfnet *bn;

	(void)state;
	assert_false(dp_map_known("portmap"));
	assert_true(dp_map_known(BPFNET_MAP_PORTMAP));
	assert_true(dp_map_known(BPFNET_MAP_BACKENDS));
	assert_int_equal(bpfnet__open(&opts, &bn), 0);
	assert_int_equal(dp_map_fd(bn, "portmap"), -EINVAL);
	if (!strstr(bpfnet__errmsg(bn), "no map 'portmap'"))
		fail_msg("dp_map_fd(\"portmap\"): expected \"no map 'portmap' ...\", got \"%s\"",
			 bpfnet__errmsg(bn));
	bpfnet__close(bn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listed_maps_are_pinned_by_the_datapath),
		cmocka_unit_test(test_pinned_maps_are_listed),
		cmocka_unit_test(test_sock_maps_are_the_datapaths),
		cmocka_unit_test(test_unlisted_name_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
