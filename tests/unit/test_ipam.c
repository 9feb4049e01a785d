// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* IPv4/CIDR parsing, address allocation, MACs, names and map encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "asserts.h"
#include "model/ipam.h"
#include "api/internal.h"
#include "dp/encode.h"

static struct in_addr A(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void test_ip4_parse(void **state)
{
	struct in_addr a;

	(void)state;
	assert_int_equal(ip4_parse("10.1.0.2", &a), 0);
	assert_ip4_equal(a.s_addr, A("10.1.0.2").s_addr);
	assert_int_equal(ip4_parse("10.1.0", &a), -EINVAL);
	assert_int_equal(ip4_parse("10.1.0.256", &a), -EINVAL);
	assert_int_equal(ip4_parse("10.1.0.2 ", &a), -EINVAL);
	assert_int_equal(ip4_parse("", &a), -EINVAL);
	assert_int_equal(ip4_parse("::1", &a), -EINVAL);
}

static void test_cidr4_parse(void **state)
{
	struct in_addr net;
	unsigned int len;

	(void)state;
	assert_int_equal(cidr4_parse("10.1.0.0/24", &net, &len), 0);
	assert_ip4_equal(net.s_addr, A("10.1.0.0").s_addr);
	assert_int_equal(len, 24);
	assert_int_equal(cidr4_parse("10.0.0.0/8", &net, &len), 0);
	assert_int_equal(cidr4_parse("10.1.0.0/30", &net, &len), 0);
	assert_int_equal(cidr4_parse("10.1.0.5/24", &net, &len), -EDOM);
	assert_int_equal(cidr4_parse("10.1.0.0/33", &net, &len), -EINVAL);
	assert_int_equal(cidr4_parse("10.1.0.0/31", &net, &len), -ERANGE);
	assert_int_equal(cidr4_parse("10.0.0.0/7", &net, &len), -ERANGE);
	assert_int_equal(cidr4_parse("10.1.0.0/", &net, &len), -EINVAL);
	assert_int_equal(cidr4_parse("10.1.0.0/-1", &net, &len), -EINVAL);
	assert_int_equal(cidr4_parse("10.1.0.0/24x", &net, &len), -EINVAL);
	assert_int_equal(cidr4_parse("10.1.0.0", &net, &len), -EINVAL);
	assert_int_equal(cidr4_parse("abc/24", &net, &len), -EINVAL);
	assert_int_equal(cidr4_parse("10.1.0.0/024", &net, &len), 0);
}

static void test_subnets(void **state)
{
	(void)state;
	assert_true(ip4_in_subnet(A("10.1.0.77"), A("10.1.0.0"), 24));
	assert_false(ip4_in_subnet(A("10.1.1.77"), A("10.1.0.0"), 24));
	assert_true(subnets_overlap(A("10.1.0.0"), 24, A("10.0.0.0"), 8));
	assert_true(subnets_overlap(A("10.0.0.0"), 8, A("10.1.0.0"), 24));
	assert_false(subnets_overlap(A("10.1.0.0"), 24, A("10.2.0.0"), 24));
	assert_int_equal(prefix_mask(24), 0xffffff00u);
	assert_ip4_equal(subnet_first_host(A("10.1.0.0")).s_addr, A("10.1.0.1").s_addr);
}

/* The special-purpose ranges no network may take, found by any overlap, named in text. */
static void test_reserved_ranges(void **state)
{
	static const struct {
		const char *net;
		unsigned int len;
		const char *range;	/* NULL: not reserved */
	} cases[] = {
		{ "127.0.0.0", 8, "127.0.0.0/8" },	{ "127.1.0.0", 16, "127.0.0.0/8" },
		{ "126.0.0.0", 7, "127.0.0.0/8" },	{ "169.254.0.0", 16, "169.254.0.0/16" },
		{ "169.254.169.0", 24, "169.254.0.0/16" }, { "169.0.0.0", 8, "169.254.0.0/16" },
		{ "224.0.0.0", 24, "224.0.0.0/4" },	{ "239.255.0.0", 16, "224.0.0.0/4" },
		{ "0.0.0.0", 8, "0.0.0.0/8" },		{ "0.1.0.0", 16, "0.0.0.0/8" },
		{ "240.0.0.0", 8, "240.0.0.0/4" },	{ "255.255.255.0", 24, "240.0.0.0/4" },
		{ "10.0.0.0", 8, NULL },		{ "172.16.0.0", 12, NULL },
		{ "192.168.0.0", 16, NULL },		{ "100.64.0.0", 10, NULL },
		{ "198.51.100.0", 24, NULL },		{ "1.0.0.0", 8, NULL },
		{ "128.0.0.0", 8, NULL },		{ "223.255.255.0", 24, NULL },
		{ "169.253.0.0", 16, NULL },		{ "126.0.0.0", 8, NULL },
	};
	char buf[INET_ADDRSTRLEN + 4], got[64], want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ip4_range *r = ip4_reserved_overlap(A(cases[i].net), cases[i].len);

		/* the subnet and what it overlaps, "-" for nothing: a failure shows both */
		snprintf(want, sizeof(want), "%s/%u %s", cases[i].net, cases[i].len,
			 cases[i].range ? cases[i].range : "-");
		snprintf(got, sizeof(got), "%s/%u %s", cases[i].net, cases[i].len,
			 r ? ip4_range_format(r, buf, sizeof(buf)) : "-");
		assert_string_equal(got, want);
		if (r)
			assert_cmp(strlen(r->what), >, 0);
	}
	assert_has(ip4_reserved_overlap(A("127.0.0.0"), 8)->what, "loopback");
	assert_has(ip4_reserved_overlap(A("169.254.0.0"), 16)->what, "link-local");
	assert_has(ip4_reserved_overlap(A("224.0.0.0"), 4)->what, "multicast");
}

static void test_host_ip_kind(void **state)
{
	(void)state;
	assert_int_equal(host_ip_kind(A("0.0.0.0")), HOST_IP_ANY);
	assert_int_equal(host_ip_kind(A("127.0.0.1")), HOST_IP_LOOPBACK);
	assert_int_equal(host_ip_kind(A("127.255.0.9")), HOST_IP_LOOPBACK);
	assert_int_equal(host_ip_kind(A("224.0.0.1")), HOST_IP_MULTICAST);
	assert_int_equal(host_ip_kind(A("239.255.255.255")), HOST_IP_MULTICAST);
	assert_int_equal(host_ip_kind(A("255.255.255.255")), HOST_IP_BROADCAST);
	assert_int_equal(host_ip_kind(A("192.168.77.1")), HOST_IP_UNICAST);
	assert_int_equal(host_ip_kind(A("198.51.100.77")), HOST_IP_UNICAST);
	assert_int_equal(host_ip_kind(A("128.0.0.1")), HOST_IP_UNICAST);
	assert_int_equal(host_ip_kind(A("126.255.255.255")), HOST_IP_UNICAST);
	assert_int_equal(host_ip_kind(A("223.255.255.255")), HOST_IP_UNICAST);
}

static void test_subnet_broadcast(void **state)
{
	(void)state;
	assert_true(ip4_is_subnet_broadcast(A("192.168.77.255"), A("192.168.77.1"), 24));
	assert_false(ip4_is_subnet_broadcast(A("192.168.77.254"), A("192.168.77.1"), 24));
	assert_false(ip4_is_subnet_broadcast(A("192.168.78.255"), A("192.168.77.1"), 24));
	assert_true(ip4_is_subnet_broadcast(A("10.255.255.255"), A("10.1.2.3"), 8));
	assert_true(ip4_is_subnet_broadcast(A("10.0.0.3"), A("10.0.0.1"), 30));
	/* /31 and /32 have no broadcast address: both ends are hosts (RFC 3021) */
	assert_false(ip4_is_subnet_broadcast(A("10.0.0.1"), A("10.0.0.0"), 31));
	assert_false(ip4_is_subnet_broadcast(A("10.0.0.1"), A("10.0.0.1"), 32));
}

static void test_ipam_pick(void **state)
{
	struct in_addr used[] = { A("10.1.0.2"), A("10.1.0.4") }, got;
	struct ipam_pool pool = { A("10.1.0.0"), 24, A("10.1.0.1"), used, 2 };

	(void)state;
	assert_int_equal(ipam_pick(&pool, &got), 0);
	assert_ip4_equal(got.s_addr, A("10.1.0.3").s_addr);
	pool.n_used = 0;
	assert_int_equal(ipam_pick(&pool, &got), 0);
	assert_ip4_equal(got.s_addr, A("10.1.0.2").s_addr);
	/* a gateway in the middle is skipped too */
	pool.gateway = A("10.1.0.2");
	assert_int_equal(ipam_pick(&pool, &got), 0);
	assert_ip4_equal(got.s_addr, A("10.1.0.1").s_addr);
}

static void test_ipam_exhausted(void **state)
{
	struct in_addr used[] = { A("10.1.0.2") }, got;
	/* /30: .1 gateway, .2 used, .0 and .3 network and broadcast */
	struct ipam_pool pool = { A("10.1.0.0"), 30, A("10.1.0.1"), used, 1 };

	(void)state;
	assert_int_equal(ipam_pick(&pool, &got), -ENOSPC);
}

static void test_ipam_check(void **state)
{
	struct in_addr used[] = { A("10.1.0.2") };
	struct ipam_pool pool = { A("10.1.0.0"), 24, A("10.1.0.1"), used, 1 };

	(void)state;
	assert_int_equal(ipam_check(&pool, A("10.1.0.3")), 0);
	assert_int_equal(ipam_check(&pool, A("10.1.0.2")), -EADDRINUSE);
	assert_int_equal(ipam_check(&pool, A("10.1.0.1")), -EADDRINUSE);
	assert_int_equal(ipam_check(&pool, A("10.1.0.0")), -EINVAL);
	assert_int_equal(ipam_check(&pool, A("10.1.0.255")), -EINVAL);
	assert_int_equal(ipam_check(&pool, A("10.2.0.3")), -EDOM);
}

static void test_mac(void **state)
{
	uint8_t mac[6], back[6];
	char buf[18];

	(void)state;
	mac_for_ip(A("10.1.0.2"), mac);
	assert_string_equal(mac_format(mac, buf), "0a:58:0a:01:00:02");
	assert_int_equal(mac_parse(buf, back), 0);
	assert_memory_equal(mac, back, 6);
	assert_int_equal(mac_parse("0a:58:0a:01:00", back), -EINVAL);
	assert_int_equal(mac_parse("0a:58:0a:01:00:02:03", back), -EINVAL);
	assert_int_equal(mac_parse("0a:58:0a:01:00:zz", back), -EINVAL);
}

static void test_names(void **state)
{
	char longname[BPFNET_NAME_MAX + 1];

	(void)state;
	assert_true(name_valid("web-1"));
	assert_true(name_valid("a.b_c"));
	assert_false(name_valid(""));
	assert_false(name_valid("-x"));
	assert_false(name_valid("a/b"));
	assert_false(name_valid("a b"));
	memset(longname, 'a', BPFNET_NAME_MAX);
	longname[BPFNET_NAME_MAX] = '\0';
	assert_false(name_valid(longname));
	longname[BPFNET_NAME_MAX - 1] = '\0';
	assert_true(name_valid(longname));
}

static void test_map_encoding(void **state)
{
	struct net_state net = { .id = 3, .subnet = A("10.1.0.0"), .prefix_len = 20,
					   .gateway = A("10.1.0.1") };
	struct ep_state ep = { .id = 7, .host_ifindex = 42, .ip = A("10.1.0.9"),
					   .gen = 77,
					   .mac = { 0x0a, 0x58, 10, 1, 0, 9 },
					   .host_mac = { 2, 1, 2, 3, 4, 5 } };
	struct bpfnet_net nv;
	struct bpfnet_ep ev;

	(void)state;
	dp_net_encode(&net, &nv);
	assert_ip4_equal(nv.subnet, A("10.1.0.0").s_addr);
	assert_ip4_equal(nv.mask, A("255.255.240.0").s_addr);
	assert_ip4_equal(nv.gateway, A("10.1.0.1").s_addr);
	assert_int_equal(nv.mode, BPFNET_MODE_L3);
	assert_int_equal(nv.flags, 0);
	dp_ep_encode(&ep, &net, &ev);
	assert_int_equal(ev.ifindex, 42);
	assert_int_equal(ev.id, 7);
	assert_int_equal(ev.net_id, 3);
	assert_ip4_equal(ev.ip, A("10.1.0.9").s_addr);
	assert_memory_equal(ev.mac, ep.mac, 6);
	assert_memory_equal(ev.host_mac, ep.host_mac, 6);
	assert_int_equal(ev.flags, BPFNET_EP_F_VALID);
	assert_int_equal(ev.gen, 77);
}

/* A bridge network: its mode, flags and gateway MAC, and its endpoints marked as switched. */
static void test_map_encoding_bridge(void **state)
{
	struct net_state net = { .id = 5, .mode = "bridge", .subnet = A("10.5.0.0"),
					   .prefix_len = 24, .gateway = A("10.5.0.1"),
					   .masquerade = 1,
					   .gateway_mac = { 2, 0x42, 0, 0, 0, 1 } };
	struct ep_state ep = { .id = 8, .host_ifindex = 43, .ip = A("10.5.0.2") };
	struct bpfnet_net nv;
	struct bpfnet_ep ev;

	(void)state;
	dp_net_encode(&net, &nv);
	assert_int_equal(nv.mode, BPFNET_MODE_BRIDGE);
	assert_int_equal(nv.flags, BPFNET_NET_F_MASQUERADE);
	assert_memory_equal(nv.gw_mac, net.gateway_mac, 6);
	dp_ep_encode(&ep, &net, &ev);
	assert_int_equal(ev.net_id, 5);
	assert_int_equal(ev.flags, BPFNET_EP_F_VALID | BPFNET_EP_F_BRIDGE);

	net.internal = 1;
	net.masquerade = 0;
	dp_net_encode(&net, &nv);
	assert_int_equal(nv.flags, BPFNET_NET_F_INTERNAL);
	dp_ep_encode(&ep, &net, &ev);
	assert_int_equal(ev.flags, BPFNET_EP_F_VALID | BPFNET_EP_F_BRIDGE | BPFNET_EP_F_INTERNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4_parse),     cmocka_unit_test(test_cidr4_parse),
		cmocka_unit_test(test_subnets),       cmocka_unit_test(test_ipam_pick),
		cmocka_unit_test(test_ipam_exhausted), cmocka_unit_test(test_ipam_check),
		cmocka_unit_test(test_mac),           cmocka_unit_test(test_names),
		cmocka_unit_test(test_map_encoding), cmocka_unit_test(test_map_encoding_bridge),
		cmocka_unit_test(test_reserved_ranges), cmocka_unit_test(test_host_ip_kind),
		cmocka_unit_test(test_subnet_broadcast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
