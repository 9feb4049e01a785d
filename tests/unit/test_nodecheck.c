// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * user/lib/nodecheck.c against the real kernel: which subnets a node's routes
 * and addresses forbid, and which host addresses it owns. main() moves the
 * process into a private netns first and builds a node there with `ip`, so
 * nothing reaches the host's netns. Needs root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "asserts.h"
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "api/internal.h"
#include "sys/nodecheck.h"

static struct bpfnet *bn;
static struct nl *nl;

/* The node: an uplink with a neighbour behind it, a device that is down, a /32 on lo. */
static const char *const node_setup[] = {
	"ip link set lo up",
	"ip link add a0 type veth peer name a1",
	"ip addr add 192.168.77.1/24 dev a0",
	"ip addr add 10.62.0.1/24 dev a1",
	"ip link set a0 up",
	"ip addr add 10.63.0.1/32 dev lo",
	"ip route add 172.30.0.0/16 via 192.168.77.2",
	"ip route add blackhole 10.99.0.0/16",
	"ip route add default via 192.168.77.2",
	"ip route add 10.80.0.0/16 via 192.168.77.2 table 100",
};

static struct in_addr A(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* node_check_subnet() on @cidr: @want, and the message holds @needle (NULL: none). */
static void subnet_is(const char *net, unsigned int len, int want, const char *needle)
{
	int err = node_check_subnet(bn, nl, A(net), len);

	print_message("%s/%u: %d %s\n", net, len, err, err ? bpfnet__errmsg(bn) : "");
	assert_int_equal(err, want);
	if (needle)
		assert_has(bpfnet__errmsg(bn), needle);
}

static void host_ip_is(const char *ip, int want, const char *needle)
{
	int err = node_check_host_ip(bn, nl, A(ip));

	print_message("%s: %d %s\n", ip, err, err ? bpfnet__errmsg(bn) : "");
	assert_int_equal(err, want);
	if (needle)
		assert_has(bpfnet__errmsg(bn), needle);
}

static void test_subnet_routes(void **state)
{
	(void)state;
	subnet_is("192.168.77.0", 24, -EEXIST,
		  "subnet 192.168.77.0/24 overlaps the node's route 192.168.77.0/24 dev a0");
	subnet_is("192.168.0.0", 16, -EEXIST, "the node's route 192.168.77.0/24 dev a0");
	subnet_is("192.168.77.192", 26, -EEXIST, "the node's route 192.168.77.0/24 dev a0");
	subnet_is("172.30.5.0", 24, -EEXIST,
		  "the node's route 172.30.0.0/16 via 192.168.77.2 dev a0");
	subnet_is("10.99.1.0", 24, -EEXIST, "the node's route blackhole 10.99.0.0/16");
}

static void test_subnet_addresses(void **state)
{
	(void)state;
	/* no route covers these: an address on a device that is down, a /32 */
	subnet_is("10.62.0.0", 24, -EEXIST, "the node's address 10.62.0.1/24 dev a1");
	subnet_is("10.63.0.0", 24, -EEXIST, "the node's address 10.63.0.1/32 dev lo");
}

static void test_subnet_free(void **state)
{
	(void)state;
	/* the default route claims nothing; other tables are policy routing's, not the node's */
	subnet_is("10.50.0.0", 24, 0, NULL);
	subnet_is("10.80.0.0", 24, 0, NULL);
	subnet_is("192.168.78.0", 24, 0, NULL);
	subnet_is("172.31.0.0", 16, 0, NULL);
}

static void test_host_ip_owned(void **state)
{
	(void)state;
	host_ip_is("0.0.0.0", 0, NULL);
	host_ip_is("192.168.77.1", 0, NULL);
	host_ip_is("127.0.0.1", 0, NULL);
	host_ip_is("127.5.5.5", 0, NULL);
	host_ip_is("10.63.0.1", 0, NULL);
	host_ip_is("10.62.0.1", 0, NULL);
}

static void test_host_ip_refused(void **state)
{
	(void)state;
	host_ip_is("198.51.100.77", -EADDRNOTAVAIL,
		   "host address 198.51.100.77 is not an address of this node");
	host_ip_is("198.51.100.77", -EADDRNOTAVAIL, "192.168.77.1");
	host_ip_is("198.51.100.77", -EADDRNOTAVAIL, "10.63.0.1");
	host_ip_is("192.168.77.2", -EADDRNOTAVAIL, "is not an address of this node");
	host_ip_is("192.168.77.255", -EADDRNOTAVAIL,
		   "192.168.77.255 is the broadcast address of the node's 192.168.77.1/24 "
		   "(dev a0)");
	host_ip_is("10.62.0.255", -EADDRNOTAVAIL, "broadcast address of the node's 10.62.0.1/24");
	host_ip_is("224.0.0.1", -EADDRNOTAVAIL, "224.0.0.1 is a multicast group");
	host_ip_is("255.255.255.255", -EADDRNOTAVAIL, "255.255.255.255 is the broadcast address");
}

static int group_setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(node_setup) / sizeof(node_setup[0]); i++) {
		if (system(node_setup[i])) {
			fprintf(stderr, "setup: '%s' failed\n", node_setup[i]);
			return -1;
		}
	}
	return nl_open(&nl, -1) ?: bpfnet__open(NULL, &bn);
}

static int group_teardown(void **state)
{
	(void)state;
	nl_close(nl);
	bpfnet__close(bn);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subnet_routes),
		cmocka_unit_test(test_subnet_addresses),
		cmocka_unit_test(test_subnet_free),
		cmocka_unit_test(test_host_ip_owned),
		cmocka_unit_test(test_host_ip_refused),
	};

	/* a netns of our own: everything made here vanishes with the process */
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET) (needs root)");
		return 1;
	}
	/* bpfnet__open() checks a bpffs named there; these checks use none */
	unsetenv("BPFNET_BPFFS");
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
