/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * user/lib/netlink.c against the real kernel. main() moves the process into a
 * private netns first, so every link, address and route made here vanishes
 * with the process and nothing reaches the host's netns. Needs root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "asserts.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <linux/rtnetlink.h>

#include "sys/netlink.h"

static struct nl *nl;
static int peer_ns = -1;	/* a second private netns for veth peers */

static const uint8_t mac0[6] = { 0x02, 0xbf, 0x00, 0x00, 0x00, 0x10 };
static const uint8_t mac1[6] = { 0x02, 0xbf, 0x00, 0x00, 0x00, 0x11 };

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static ino_t netns_ino(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	return st.st_ino;
}

/* A new netns kept alive only by the returned fd; we stay where we were. */
static int new_netns(void)
{
	int saved, fd = -1;

	saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return -1;
	if (unshare(CLONE_NEWNET) == 0) {
		fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		/* Carrying on in the wrong netns would make every test lie. */
		if (setns(saved, CLONE_NEWNET))
			abort();
	}
	close(saved);
	return fd;
}

static int group_setup(void **state)
{
	(void)state;
	if (nl_open(&nl, -1))
		return -1;
	peer_ns = new_netns();
	return peer_ns < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	nl_close(nl);
	close(peer_ns);
	return 0;
}

/* Each test starts with bn0 <-> bn1, known MACs, MTU 1400, both down. */
static int veth_setup(void **state)
{
	struct nl_veth_opts opts = {
		.name = "bn0", .mac = mac0,
		.peer_name = "bn1", .peer_mac = mac1,
		.peer_netns_fd = -1, .mtu = 1400,
	};

	(void)state;
	return nl_veth_create(nl, &opts);
}

static int veth_teardown(void **state)
{
	struct nl_link link;

	(void)state;
	/* Deleting one end takes the other with it; a test may have done so. */
	if (nl_link_get_by_name(nl, "bn0", &link) == 0)
		return nl_link_del(nl, link.ifindex);
	return 0;
}

static void test_veth_get(void **state)
{
	struct nl_link a, b, c;

	(void)state;
	assert_int_equal(nl_link_get_by_name(nl, "bn0", &a), 0);
	assert_cmp(a.ifindex, >, 0);
	assert_string_equal(a.name, "bn0");
	assert_memory_equal(a.mac, mac0, 6);
	assert_int_equal(a.mtu, 1400);
	assert_string_equal(a.kind, "veth");
	assert_false(a.flags & IFF_UP);

	assert_int_equal(nl_link_get_by_name(nl, "bn1", &b), 0);
	assert_memory_equal(b.mac, mac1, 6);
	assert_int_equal(b.mtu, 1400);
	assert_string_equal(b.kind, "veth");
	assert_int_not_equal(a.ifindex, b.ifindex);

	assert_int_equal(nl_link_get_by_index(nl, a.ifindex, &c), 0);
	assert_memory_equal(&a, &c, sizeof(a));
}

static void test_veth_duplicate(void **state)
{
	struct nl_veth_opts opts = { .name = "bn0", .peer_name = "bn9", .peer_netns_fd = -1 };

	(void)state;
	assert_int_equal(nl_veth_create(nl, &opts), -EEXIST);
	assert_non_null(nl_errmsg(nl));
	/* A taken peer name is a clash too. */
	opts.name = "bn9";
	opts.peer_name = "bn1";
	assert_int_equal(nl_veth_create(nl, &opts), -EEXIST);
	opts.peer_name = "a-name-far-too-long";
	assert_int_equal(nl_veth_create(nl, &opts), -EINVAL);
}

static void test_link_missing(void **state)
{
	struct nl_link link;

	(void)state;
	assert_int_equal(nl_link_get_by_name(nl, "nosuch0", &link), -ENODEV);
	assert_int_equal(nl_link_get_by_index(nl, 99999, &link), -ENODEV);
	assert_int_equal(nl_link_del(nl, 99999), -ENODEV);
}

static void test_link_set_up(void **state)
{
	struct nl_link link;

	(void)state;
	assert_int_equal(nl_link_get_by_name(nl, "bn0", &link), 0);
	assert_int_equal(nl_link_set_up(nl, link.ifindex), 0);
	assert_int_equal(nl_link_get_by_index(nl, link.ifindex, &link), 0);
	assert_true(link.flags & IFF_UP);
}

static void test_addr_route_neigh(void **state)
{
	struct nl_route4 dflt = { .gateway = ip4("10.0.0.254") };
	struct nl_route4 host = { .dst = ip4("10.1.0.5"), .prefix_len = 32 };
	struct nl_link a, b;

	(void)state;
	assert_int_equal(nl_link_get_by_name(nl, "bn0", &a), 0);
	assert_int_equal(nl_link_get_by_name(nl, "bn1", &b), 0);
	assert_int_equal(nl_link_set_up(nl, a.ifindex), 0);
	assert_int_equal(nl_link_set_up(nl, b.ifindex), 0);
	assert_int_equal(nl_addr_add4(nl, a.ifindex, ip4("10.0.0.1"), 24), 0);
	assert_int_equal(nl_addr_add4(nl, a.ifindex, ip4("10.0.0.1"), 24), -EEXIST);
	assert_int_equal(nl_addr_add4(nl, a.ifindex, ip4("10.0.0.1"), 33), -EINVAL);
	/* a bridge gateway: a /32 added and taken away again */
	assert_int_equal(nl_addr_add4(nl, b.ifindex, ip4("10.9.0.1"), 32), 0);
	assert_int_equal(nl_addr_del4(nl, b.ifindex, ip4("10.9.0.1"), 32), 0);
	assert_int_equal(nl_addr_del4(nl, b.ifindex, ip4("10.9.0.1"), 32), -EADDRNOTAVAIL);
	assert_int_equal(nl_addr_del4(nl, b.ifindex, ip4("10.9.0.1"), 33), -EINVAL);

	dflt.ifindex = a.ifindex;
	host.ifindex = a.ifindex;
	assert_int_equal(nl_route_add4(nl, &dflt), 0);
	assert_int_equal(nl_route_add4(nl, &dflt), -EEXIST);
	assert_int_equal(nl_route_add4(nl, &host), 0);
	assert_int_equal(nl_route_add4(nl, &host), -EEXIST);
	assert_int_equal(nl_route_del4(nl, &host), 0);
	assert_int_equal(nl_route_del4(nl, &host), -ESRCH);
	assert_int_equal(nl_route_del4(nl, &dflt), 0);
	assert_int_equal(nl_route_del4(nl, &dflt), -ESRCH);

	assert_int_equal(nl_neigh_add4(nl, a.ifindex, ip4("10.0.0.2"), mac1), 0);
	/* NLM_F_REPLACE: adding it again is fine. */
	assert_int_equal(nl_neigh_add4(nl, a.ifindex, ip4("10.0.0.2"), mac1), 0);
}

/* The kernel's extended-ACK text reaches the caller, and is reset on success. */
static void test_errmsg(void **state)
{
	struct nl_route4 bad = { .dst = ip4("10.2.0.5"), .prefix_len = 24 };
	struct nl_link link;

	(void)state;
	assert_int_equal(nl_link_get_by_name(nl, "bn0", &link), 0);
	assert_int_equal(nl_link_set_up(nl, link.ifindex), 0);
	assert_string_equal(nl_errmsg(nl), "");
	bad.ifindex = link.ifindex;
	/* Host bits set beyond the prefix length. */
	assert_int_equal(nl_route_add4(nl, &bad), -EINVAL);
	assert_cmp(strlen(nl_errmsg(nl)), >, 0);
	print_message("extack: %s\n", nl_errmsg(nl));
	assert_int_equal(nl_link_get_by_name(nl, "bn0", &link), 0);
	assert_string_equal(nl_errmsg(nl), "");
}

static void test_link_del(void **state)
{
	struct nl_link link;

	(void)state;
	assert_int_equal(nl_link_get_by_name(nl, "bn0", &link), 0);
	assert_int_equal(nl_link_del(nl, link.ifindex), 0);
	assert_int_equal(nl_link_get_by_name(nl, "bn0", &link), -ENODEV);
	assert_int_equal(nl_link_get_by_name(nl, "bn1", &link), -ENODEV);
}

struct seen {
	int lo, bn0, bn1, calls;
};

static int seen_cb(const struct nl_link *link, void *arg)
{
	struct seen *seen = arg;
	struct nl_link again;

	seen->calls++;
	seen->lo |= !strcmp(link->name, "lo");
	seen->bn0 |= !strcmp(link->name, "bn0") && !strcmp(link->kind, "veth");
	seen->bn1 |= !strcmp(link->name, "bn1") && !strcmp(link->kind, "veth");
	/* The dump is over before callbacks run, so requests here are fine. */
	return nl_link_get_by_index(nl, link->ifindex, &again);
}

static int stop_cb(const struct nl_link *link, void *arg)
{
	(void)link;
	++*(int *)arg;
	return 42;
}

static void test_foreach(void **state)
{
	struct seen seen = {};
	struct nl_link link;
	int calls = 0;

	(void)state;
	assert_int_equal(nl_link_foreach(nl, seen_cb, &seen), 0);
	assert_true(seen.lo);
	assert_true(seen.bn0);
	assert_true(seen.bn1);
	assert_int_equal(seen.calls, 3);

	assert_int_equal(nl_link_foreach(nl, stop_cb, &calls), 42);
	assert_int_equal(calls, 1);
	/* Stopping early left nothing behind that confuses the next request. */
	assert_int_equal(nl_link_get_by_name(nl, "bn0", &link), 0);
}

/* What the address and route dumps report of what was just configured. */
struct dumped {
	int ifindex;
	int addr, connected, via, dflt, calls;
};

static int addr_seen_cb(const struct nl_addr4 *a, void *arg)
{
	struct dumped *d = arg;

	d->calls++;
	d->addr |= a->local.s_addr == ip4("10.4.0.1").s_addr && a->prefix_len == 24 &&
		   a->ifindex == d->ifindex && !strcmp(a->label, "bn0");
	return 0;
}

static int route_seen_cb(const struct nl_route4_entry *r, void *arg)
{
	struct dumped *d = arg;
	struct nl_link link;

	d->calls++;
	if (r->table != RT_TABLE_MAIN || r->route.ifindex != d->ifindex)
		return 0;
	d->connected |= r->route.dst.s_addr == ip4("10.4.0.0").s_addr &&
			r->route.prefix_len == 24 && r->protocol == RTPROT_KERNEL &&
			r->route.gateway.s_addr == INADDR_ANY && r->type == RTN_UNICAST;
	d->via |= r->route.dst.s_addr == ip4("10.5.0.0").s_addr && r->route.prefix_len == 16 &&
		  r->route.gateway.s_addr == ip4("10.4.0.254").s_addr;
	d->dflt |= r->route.prefix_len == 0 && r->route.gateway.s_addr == ip4("10.4.0.254").s_addr;
	/* the dump is over before callbacks run, so requests here are fine */
	return nl_link_get_by_index(nl, r->route.ifindex, &link);
}

static int stop_addr_cb(const struct nl_addr4 *a, void *arg)
{
	(void)a;
	++*(int *)arg;
	return 7;
}

static void test_addr_route_dump(void **state)
{
	struct nl_route4 via = { .dst = ip4("10.5.0.0"), .prefix_len = 16,
				 .gateway = ip4("10.4.0.254") };
	struct nl_route4 dflt = { .gateway = ip4("10.4.0.254") };
	struct dumped d = {};
	struct nl_link a;
	int calls = 0;

	(void)state;
	assert_int_equal(nl_link_get_by_name(nl, "bn0", &a), 0);
	assert_int_equal(nl_link_set_up(nl, a.ifindex), 0);
	assert_int_equal(nl_addr_add4(nl, a.ifindex, ip4("10.4.0.1"), 24), 0);
	via.ifindex = dflt.ifindex = d.ifindex = a.ifindex;
	assert_int_equal(nl_route_add4(nl, &via), 0);
	assert_int_equal(nl_route_add4(nl, &dflt), 0);

	assert_int_equal(nl_addr_foreach4(nl, addr_seen_cb, &d), 0);
	assert_true(d.addr);
	d.calls = 0;
	assert_int_equal(nl_route_foreach4(nl, route_seen_cb, &d), 0);
	assert_true(d.connected);
	assert_true(d.via);
	assert_true(d.dflt);
	/* the local table's routes come too: more than the three of the main table */
	assert_cmp(d.calls, >, 3);

	assert_int_equal(nl_addr_foreach4(nl, stop_addr_cb, &calls), 7);
	assert_int_equal(calls, 1);
	assert_int_equal(nl_link_get_by_name(nl, "bn0", &a), 0);
	assert_int_equal(nl_addr_foreach4(nl, NULL, NULL), -EINVAL);
	assert_int_equal(nl_route_foreach4(nl, NULL, NULL), -EINVAL);
}

static void test_peer_netns(void **state)
{
	struct nl_veth_opts opts = {
		.name = "bn2", .peer_name = "bn3", .peer_mac = mac1,
		.peer_netns_fd = peer_ns, .mtu = 9000,
	};
	ino_t here = netns_ino();
	struct nl_link link;
	struct nl *pnl;

	(void)state;
	assert_int_equal(nl_veth_create(nl, &opts), 0);
	assert_int_equal(nl_link_get_by_name(nl, "bn3", &link), -ENODEV);

	assert_int_equal(nl_open(&pnl, peer_ns), 0);
	assert_int_equal(netns_ino(), here);
	assert_int_equal(nl_link_get_by_name(pnl, "bn3", &link), 0);
	assert_memory_equal(link.mac, mac1, 6);
	assert_int_equal(link.mtu, 9000);
	assert_string_equal(link.kind, "veth");
	assert_int_equal(nl_link_get_by_name(pnl, "bn2", &link), -ENODEV);

	assert_int_equal(nl_link_get_by_name(nl, "bn2", &link), 0);
	assert_int_equal(nl_link_del(nl, link.ifindex), 0);
	assert_int_equal(nl_link_get_by_name(pnl, "bn3", &link), -ENODEV);
	nl_close(pnl);
}

static void test_open_bad_netns(void **state)
{
	ino_t here = netns_ino();
	struct nl *bad = (struct nl *)1;
	int fd;

	(void)state;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_cmp(fd, >=, 0);
	assert_int_equal(nl_open(&bad, fd), -EINVAL);
	assert_null(bad);
	close(fd);
	assert_int_equal(nl_open(&bad, 12345), -EBADF);
	assert_int_equal(netns_ino(), here);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_veth_get, veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_veth_duplicate, veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_link_missing, veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_link_set_up, veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_addr_route_neigh, veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_errmsg, veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_link_del, veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_foreach, veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_addr_route_dump, veth_setup, veth_teardown),
		cmocka_unit_test(test_peer_netns),
		cmocka_unit_test(test_open_bad_netns),
	};

	/* Everything below happens in a netns that dies with this process. */
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (run as root)\n", strerror(errno));
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
