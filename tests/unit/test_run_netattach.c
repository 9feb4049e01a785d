// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * netattach (user/run/netattach.c) where no node is needed: an instance of
 * its own under a temp run dir, with a network but never initialized. What
 * is refused before anything is made (and with which words), netattach_up
 * failing whole with nothing left, netattach_down of a container that has
 * no endpoint (rm after a crash calls it blindly). The attachments
 * themselves need a node: tests/e2e/86-run.sh and 89-run-net.sh make them
 * through `bpfnet run`.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "asserts.h"
#include "netattach.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct fixture {
	char dir[64];
	char state[128];
	struct bpfnet *bn;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct bpfnet_opts o = { .sz = sizeof(o), .instance = "unit" };
	struct bpfnet_network_opts n = { .sz = sizeof(n), .name = "n1" };

	assert_non_null(f);
	strcpy(f->dir, "/tmp/bpfnet-netattach.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof(f->state), "%s/unit/state.json", f->dir);
	o.run_dir = f->dir;
	assert_int_equal(bpfnet__open(&o, &f->bn), 0);
	assert_int_equal(bpfnet_prefix_parse("10.61.0.0/24", &n.subnet), 0);
	/* before init only the state has it: no node, no netlink */
	assert_int_equal(bpfnet_network__create(f->bn, &n, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[160];
	const char *names[] = { "state.json", "lock" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/unit/%s", f->dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/unit", f->dir);
	rmdir(path);
	rmdir(f->dir);
	bpfnet__close(f->bn);
	free(f);
	return 0;
}

static struct bpfnet_port_mapping port(const char *spec)
{
	struct bpfnet_port_mapping m;

	assert_int_equal(bpfnet_port_spec_parse(spec, &m), 0);
	return m;
}

/* Refused before the node is even asked: bad arguments, too many networks, -p without one. */
static void test_check_arguments(void **state)
{
	struct fixture *f = *state;
	struct run_net nets[RUN_MAX_NETWORKS + 1] = {};
	struct bpfnet_port_mapping p = port("8080:80");
	struct run_err e = {};

	for (size_t i = 0; i < RUN_MAX_NETWORKS + 1; i++)
		nets[i].network = "n1";
	assert_int_equal(netattach_check(f->bn, NULL, nets, 1, NULL, 0, &e), -EINVAL);
	assert_int_equal(netattach_check(f->bn, "", nets, 1, NULL, 0, &e), -EINVAL);
	assert_int_equal(netattach_check(f->bn, "c1", nets, RUN_MAX_NETWORKS + 1, NULL, 0, &e),
			 -E2BIG);
	assert_int_equal(e.errnum, E2BIG);
	assert_has(e.msg, "at most 8");
	assert_int_equal(netattach_check(f->bn, "c1", NULL, 0, &p, 1, &e), -EINVAL);
	assert_has(e.msg, "-p needs a network");
	/* no network at all (none, host): nothing to refuse, nothing asked of the node */
	assert_int_equal(netattach_check(f->bn, "c1", NULL, 0, NULL, 0, &e), 0);
	assert_int_equal(netattach_check(f->bn, "c1", NULL, 0, NULL, 0, NULL), 0);
}

/* A node never initialized: said in words, for the first network as for any. */
static void test_check_not_initialized(void **state)
{
	struct fixture *f = *state;
	struct run_net net = { .network = "n1" };
	struct run_err e = {};

	assert_int_equal(netattach_check(f->bn, "c1", &net, 1, NULL, 0, &e), -ENOENT);
	assert_int_equal(e.errnum, ENOENT);
	assert_has(e.msg, "not initialized");
	assert_has(e.msg, "bpfnet init");
}

/* netattach_up fails whole: the library's words after the runtime's, out zeroed, no endpoint. */
static void test_up_fails_whole(void **state)
{
	struct fixture *f = *state;
	struct run_net nets[2] = { { .network = "n1" }, { .network = "n1" } };
	struct net_attachment out[2];
	struct bpfnet_endpoint_info *eps;
	struct bpfnet_port_mapping p = port("8080:80");
	struct run_err e = {};
	size_t n;

	memset(out, 0x5a, sizeof(out));
	assert_int_equal(netattach_up(f->bn, "c1", ID, "/proc/self/ns/net", nets, 1, NULL, 0,
				      out, &e), -ENOENT);
	assert_has(e.msg, "cannot attach to network 'n1'");
	assert_has(e.msg, "not initialized");
	assert_int_equal(out[0].endpoint[0], 0);
	assert_int_equal(out[0].ip.addr.family, AF_UNSPEC);
	assert_int_equal(netattach_up(f->bn, "c1", ID, "/proc/self/ns/net", NULL, 0, &p, 1, out,
				      &e), -EINVAL);
	assert_int_equal(bpfnet_endpoint__list(f->bn, &eps, &n), 0);
	assert_int_equal(n, 0);
	free(eps);
}

/* Down of a container with no endpoint is 0 (rm after a crash); without an ID, refused. */
static void test_down_nothing(void **state)
{
	struct fixture *f = *state;
	struct run_err e = {};

	assert_int_equal(netattach_down(f->bn, ID, &e), 0);
	assert_int_equal(netattach_down(f->bn, ID, NULL), 0);
	assert_int_equal(netattach_down(f->bn, "", &e), -EINVAL);
	assert_int_equal(netattach_down(f->bn, NULL, &e), -EINVAL);
	assert_has(e.msg, "container ID");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_not_initialized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_up_fails_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
