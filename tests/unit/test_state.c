// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* state.json: round trip, corrupt files refused, networks through the public API. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "asserts.h"
#include "addrs.h"
#include "run_dir_fixture.h"

#include "model/state.h"
#include "sys/store.h"
#include "dp/bridge.h"
#include "bpfnet/abi.h"
#include "sys/fsutil.h"

static void test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct net_state n = { .name = "n1", .id = 4, .mode = "l3", .prefix_len = 24,
					 .gateway_mode = "routed" };
	struct net_state br = { .name = "b1", .id = 5, .mode = "bridge", .prefix_len = 16,
					  .internal = 1, .gateway_mac = { 2, 0x42, 1, 2, 3, 4 },
					  .gateway_mode = "nat" };
	struct ep_state e = { .name = "c1", .network = "n1", .netns = "/var/run/netns/c1",
					  .ifname = "eth0", .host_ifname = "bn000001-1", .id = 9,
					  .host_ifindex = 12, .prefix_len = 24, .mtu = 1400,
					  .gen = 0xfffffff0,	/* past INT_MAX: kept whole */
					  .mac = { 0x0a, 0x58, 10, 1, 0, 2 },
					  .host_mac = { 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee },
					  .container_id = "9f86d081884c7d659a2feaa0c55ad015"
							  "a3bf4f1b2b0b822cd15d6c15b0f00a08",
					  .netns_dev = 4, .netns_ino = 4026532512ULL };
	struct state st = {}, back;

	inet_pton(AF_INET, "10.1.0.0", &n.subnet);
	inet_pton(AF_INET, "10.2.0.0", &br.subnet);
	inet_pton(AF_INET, "10.2.0.1", &br.gateway);
	inet_pton(AF_INET, "10.1.0.1", &n.gateway);
	inet_pton(AF_INET, "10.1.0.2", &e.ip);
	e.gateway = n.gateway;
	st.node.initialized = 1;
	st.node.n_uplinks = 2;
	st.node.uplinks[0] = (struct node_uplink){ "up0", 2, 1, 1, "" };
	st.node.uplinks[1] = (struct node_uplink){ "wg0", 9, 0, 0, "the driver has no native XDP" };
	st.node.xdp_off = 1;
	e.xdp_rx = true;
	assert_int_equal(bn_lock(f->bn), 0);
	assert_int_equal(state_add_net(&st, &n), 0);
	assert_int_equal(state_add_net(&st, &br), 0);
	assert_int_equal(state_add_ep(&st, &e), 0);
	assert_int_equal(state_save(f->bn, &st), 0);
	bn_unlock(f->bn);
	assert_int_equal(state_load(f->bn, &back), 0);
	assert_int_equal(back.node.initialized, 1);
	assert_int_equal(back.node.n_uplinks, 2);
	assert_memory_equal(&back.node.uplinks[0], &st.node.uplinks[0], sizeof(struct node_uplink));
	assert_int_equal(back.node.xdp_off, 1);
	assert_memory_equal(&back.node.uplinks[1], &st.node.uplinks[1], sizeof(struct node_uplink));
	assert_ptr_equal(node_uplink(&back.node, "wg0"), &back.node.uplinks[1]);
	assert_null(node_uplink(&back.node, "eth9"));
	assert_int_equal(back.n_nets, 2);
	assert_memory_equal(&back.nets[0], &n, sizeof(n));
	assert_memory_equal(&back.nets[1], &br, sizeof(br));
	assert_int_equal(back.n_eps, 1);
	assert_memory_equal(&back.eps[0], &e, sizeof(e));
	assert_int_equal(state_net_users(&back, "n1"), 1);
	state_free(&st);
	state_free(&back);
}

#define UPLINK_JSON(name) "{\"name\":\"" name "\",\"ifindex\":3,\"created_clsact\":false}"

static void test_corrupt(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"{", "[]", "{\"version\": 99}",
		"{\"version\":1,\"node\":{\"initialized\":false,\"uplink\":\"\",\"uplink_ifindex\":0,"
		"\"created_clsact\":false},\"networks\":[{\"name\":\"x\"}],\"endpoints\":[]}",
		/* a gateway mode this build does not know */
		"{\"version\":4,\"node\":{\"initialized\":false,\"uplink\":\"\",\"uplink_ifindex\":0,"
		"\"created_clsact\":false},\"networks\":[{\"name\":\"n1\",\"id\":1,\"mode\":\"l3\","
		"\"subnet\":\"10.1.0.0\",\"prefix_len\":24,\"gateway\":\"10.1.0.1\","
		"\"masquerade\":true,\"gateway_mode\":\"open-sesame\"}],\"endpoints\":[],"
		"\"bound_ips\":[]}",
		/* version 5: initialized with no uplink; one device twice; too many; no name */
		"{\"version\":5,\"node\":{\"initialized\":true,\"uplinks\":[]},\"networks\":[],"
		"\"endpoints\":[],\"bound_ips\":[]}",
		"{\"version\":5,\"node\":{\"initialized\":true,\"uplinks\":["
		"{\"name\":\"a\",\"ifindex\":2,\"created_clsact\":true},"
		"{\"name\":\"a\",\"ifindex\":2,\"created_clsact\":true}]},\"networks\":[],"
		"\"endpoints\":[],\"bound_ips\":[]}",
		"{\"version\":5,\"node\":{\"initialized\":true,\"uplinks\":["
		UPLINK_JSON("a") "," UPLINK_JSON("b") "," UPLINK_JSON("c") "," UPLINK_JSON("d") ","
		UPLINK_JSON("e") "," UPLINK_JSON("f") "," UPLINK_JSON("g") "," UPLINK_JSON("h") ","
		UPLINK_JSON("i") "]},\"networks\":[],\"endpoints\":[],\"bound_ips\":[]}",
		"{\"version\":5,\"node\":{\"initialized\":true,\"uplinks\":[{\"ifindex\":2,"
		"\"created_clsact\":true}]},\"networks\":[],\"endpoints\":[],\"bound_ips\":[]}",
		/* "uplinks" not a list */
		"{\"version\":5,\"node\":{\"initialized\":true,\"uplinks\":\"a\"},\"networks\":[],"
		"\"endpoints\":[],\"bound_ips\":[]}",
		/* initialized on no uplink */
		"{\"version\":4,\"node\":{\"initialized\":true,\"uplink\":\"\",\"uplink_ifindex\":0,"
		"\"created_clsact\":false},\"networks\":[],\"endpoints\":[],\"bound_ips\":[]}",
	};
	char path[128];
	struct state st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unit_case("bad state file %zu", i);
		write_state(f, bad[i], path);
		assert_int_equal(state_load(f->bn, &st), -EUCLEAN);
		assert_has(bpfnet__errmsg(f->bn), "corrupt");
	}
	unit_case_end();
	unlink(path);
	assert_int_equal(state_load(f->bn, &st), 0);
	assert_int_equal(st.n_nets, 0);
}

/* A version 3 file (before generations) still loads: its endpoints have none (0) yet. */
static void test_version3(void **state)
{
	struct fixture *f = *state;
	static const char v3[] =
		"{\"version\":3,\"node\":{\"initialized\":false,\"uplink\":\"\","
		"\"uplink_ifindex\":0,\"created_clsact\":false},\"networks\":[{\"name\":\"n1\","
		"\"id\":1,\"mode\":\"l3\",\"subnet\":\"10.1.0.0\",\"prefix_len\":24,"
		"\"gateway\":\"10.1.0.1\",\"masquerade\":true}],\"endpoints\":[{\"name\":\"c1\","
		"\"network\":\"n1\",\"netns\":\"/var/run/netns/c1\",\"ifname\":\"eth0\","
		"\"host_ifname\":\"bn000001-1\",\"id\":1,\"host_ifindex\":7,\"ip\":\"10.1.0.2\","
		"\"prefix_len\":24,\"gateway\":\"10.1.0.1\",\"mac\":\"0a:58:0a:01:00:02\","
		"\"host_mac\":\"02:aa:bb:cc:dd:ee\",\"mtu\":1500}],\"bound_ips\":[]}";
	char path[128];
	struct state st;

	write_state(f, v3, path);
	assert_int_equal(state_load(f->bn, &st), 0);
	assert_int_equal(st.n_eps, 1);
	assert_string_equal(st.eps[0].name, "c1");
	assert_int_equal(st.eps[0].gen, 0);
	assert_string_equal(st.eps[0].container_id, "");	/* before version 5: none */
	assert_int_equal(st.eps[0].netns_ino, 0);		/* not known */
	state_free(&st);
}

/* A version 4 file, written with one uplink, loads as a node with that one. */
static void test_version4_one_uplink(void **state)
{
	struct fixture *f = *state;
	static const char v4[] =
		"{\"version\":4,\"node\":{\"initialized\":true,\"uplink\":\"eth0\","
		"\"uplink_ifindex\":2,\"created_clsact\":true},\"networks\":[],\"endpoints\":[],"
		"\"bound_ips\":[],\"journal\":{\"op\":\"init\",\"pid\":1,\"uplink\":\"eth0\","
		"\"first\":false}}";
	char path[128];
	struct state st;

	write_state(f, v4, path);
	assert_int_equal(state_load(f->bn, &st), 0);
	assert_int_equal(st.node.initialized, 1);
	assert_int_equal(st.node.n_uplinks, 1);
	assert_string_equal(st.node.uplinks[0].name, "eth0");
	assert_int_equal(st.node.uplinks[0].ifindex, 2);
	assert_int_equal(st.node.uplinks[0].created_clsact, 1);
	assert_int_equal(st.journal.op, JOURNAL_INIT);
	assert_int_equal(st.journal.n_uplinks, 1);
	assert_string_equal(st.journal.uplinks[0].name, "eth0");
	state_free(&st);
	unlink(path);
}

/*
 * A version 2 file (before bridge networks) still loads: its networks are l3,
 * not internal, and (as in version 3, before gateway modes) in gateway mode nat.
 */
static void test_version2(void **state)
{
	struct fixture *f = *state;
	static const char v2[] =
		"{\"version\":2,\"node\":{\"initialized\":false,\"uplink\":\"\","
		"\"uplink_ifindex\":0,\"created_clsact\":false},\"networks\":[{\"name\":\"n1\","
		"\"id\":1,\"mode\":\"l3\",\"subnet\":\"10.1.0.0\",\"prefix_len\":24,"
		"\"gateway\":\"10.1.0.1\",\"masquerade\":true}],\"endpoints\":[],"
		"\"bound_ips\":[]}";
	static const uint8_t zero_mac[6];
	char path[128];
	struct state st;

	write_state(f, v2, path);
	assert_int_equal(state_load(f->bn, &st), 0);
	assert_int_equal(st.n_nets, 1);
	assert_string_equal(st.nets[0].mode, "l3");
	assert_int_equal(st.nets[0].masquerade, 1);
	assert_int_equal(st.nets[0].internal, 0);
	assert_memory_equal(st.nets[0].gateway_mac, zero_mac, 6);
	assert_string_equal(st.nets[0].gateway_mode, "nat");
	state_free(&st);
	unlink(path);
}

/* Bridge networks: a random unicast, locally administered gateway MAC; --internal for them only. */
static void test_bridge_network_api(void **state)
{
	struct fixture *f = *state;
	struct bpfnet_network_opts o = { .sz = sizeof(o), .name = "b1",
					 .mode = BPFNET_NETWORK_BRIDGE, .subnet = P("10.1.0.0/24") };
	struct bpfnet_network_info a = { .sz = sizeof(a) }, b = { .sz = sizeof(b) };

	assert_int_equal(bpfnet_network__create(f->bn, &o, &a), 0);
	assert_int_equal(a.mode, BPFNET_NETWORK_BRIDGE);
	assert_int_equal(a.masquerade, 1);
	assert_int_equal(a.internal, 0);
	assert_int_equal(a.gateway_mac[0] & 0x03, 0x02);
	o.name = "b2";
	o.subnet = P("10.2.0.0/24");
	o.internal = 1;
	assert_int_equal(bpfnet_network__create(f->bn, &o, &b), 0);
	assert_int_equal(b.internal, 1);
	assert_int_equal(b.masquerade, 0);
	assert_memory_not_equal(a.gateway_mac, b.gateway_mac, 6);
	assert_int_equal(bpfnet_network__get(f->bn, "b2", &a), 0);
	assert_int_equal(a.internal, 1);
	assert_memory_equal(a.gateway_mac, b.gateway_mac, 6);
	o.name = "l1";
	o.mode = BPFNET_NETWORK_L3;
	o.subnet = P("10.3.0.0/24");
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "--internal is for bridge networks");
	/* an options struct from before "internal" existed is still accepted */
	o.sz = offsetof(struct bpfnet_network_opts, internal);
	assert_int_equal(bpfnet_network__create(f->bn, &o, &a), 0);
	assert_int_equal(a.internal, 0);
}

/* --gateway-mode: nat by default, routed never masquerades, an internal network has none. */
static void test_gateway_mode_api(void **state)
{
	struct fixture *f = *state;
	struct bpfnet_network_opts o = { .sz = sizeof(o), .name = "n1",
					 .subnet = P("10.1.0.0/24") };
	struct bpfnet_network_info info = { .sz = sizeof(info) };
	enum bpfnet_gateway_mode mode;

	assert_int_equal(bpfnet_network__create(f->bn, &o, &info), 0);
	assert_int_equal(info.gateway_mode, BPFNET_GATEWAY_NAT);
	assert_int_equal(info.masquerade, 1);
	o.name = "r1";
	o.subnet = P("10.2.0.0/24");
	o.gateway_mode = BPFNET_GATEWAY_ROUTED;
	assert_int_equal(bpfnet_network__create(f->bn, &o, &info), 0);
	assert_int_equal(info.gateway_mode, BPFNET_GATEWAY_ROUTED);
	assert_int_equal(info.masquerade, 0);
	assert_int_equal(bpfnet_network__get(f->bn, "r1", &info), 0);
	assert_int_equal(info.gateway_mode, BPFNET_GATEWAY_ROUTED);
	assert_int_equal(info.masquerade, 0);
	o.name = "u1";
	o.subnet = P("10.3.0.0/24");
	o.gateway_mode = BPFNET_GATEWAY_NAT_UNPROTECTED;
	assert_int_equal(bpfnet_network__create(f->bn, &o, &info), 0);
	assert_int_equal(info.gateway_mode, BPFNET_GATEWAY_NAT_UNPROTECTED);
	assert_int_equal(info.masquerade, 1);
	o.name = "x1";
	o.subnet = P("10.4.0.0/24");
	/* a name the parser refuses, and a value no enum member has */
	assert_int_equal(bpfnet_gateway_mode_parse("open", &mode), -EINVAL);
	assert_has(bpfnet__errmsg(NULL), "unknown gateway mode 'open': allowed: nat, "
		   "routed, nat-unprotected");
	o.gateway_mode = (enum bpfnet_gateway_mode)7;
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "unknown gateway mode 7: allowed: nat, "
		   "routed, nat-unprotected");
	o.mode = BPFNET_NETWORK_BRIDGE;
	o.internal = 1;
	o.gateway_mode = BPFNET_GATEWAY_ROUTED;
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "internal network has none");
	assert_int_equal(bpfnet_network__get(f->bn, "x1", &info), -ENOENT);
	/* an options struct from before gateway modes existed: nat */
	o.sz = offsetof(struct bpfnet_network_opts, gateway_mode);
	o.internal = 0;
	assert_int_equal(bpfnet_network__create(f->bn, &o, &info), 0);
	assert_int_equal(info.gateway_mode, BPFNET_GATEWAY_NAT);
}

/* A bridge network floods to BPFNET_FLOOD_MAX ports at most: one endpoint more is refused. */
static void test_bridge_full(void **state)
{
	struct fixture *f = *state;
	struct net_state br = { .name = "b1", .id = 1, .mode = "bridge" };
	struct net_state l3 = { .name = "n1", .id = 2, .mode = "l3" };
	struct ep_state ep = { .network = "b1" };
	struct state st = {};

	for (int i = 0; i < BPFNET_FLOOD_MAX - 1; i++) {
		unit_case("endpoint %d", i + 1);
		assert_int_equal(state_add_ep(&st, &ep), 0);
	}
	unit_case_end();
	assert_int_equal(bridge_check_room(f->bn, &st, &br), 0);
	assert_int_equal(state_add_ep(&st, &ep), 0);
	assert_int_equal(bridge_check_room(f->bn, &st, &br), -ENOSPC);
	assert_has(bpfnet__errmsg(f->bn), "already has 1024 endpoints");
	/* the bound is the flood list's: an l3 network has none */
	for (size_t i = 0; i < st.n_eps; i++)
		strcpy(st.eps[i].network, "n1");
	assert_int_equal(bridge_check_room(f->bn, &st, &l3), 0);
	state_free(&st);
}

/* Network create/rm before init touch only the state: validation is testable here. */
static void test_network_api(void **state)
{
	struct fixture *f = *state;
	struct bpfnet_network_opts o = { .sz = sizeof(o), .name = "n1",
					 .subnet = P("10.1.0.0/24") };
	struct bpfnet_network_info info = { .sz = sizeof(info) }, *list;
	enum bpfnet_network_mode mode;
	size_t n;

	assert_int_equal(bpfnet_network__create(f->bn, &o, &info), 0);
	assert_int_equal(info.id, 1);
	assert_int_equal(info.mode, BPFNET_NETWORK_L3);
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EEXIST);
	o.name = "n2";
	o.subnet = P("10.0.0.0/8");
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EEXIST);
	assert_has(bpfnet__errmsg(f->bn), "overlaps network 'n1'");
	o.subnet = P("10.2.0.0/24");
	o.gateway = A("10.3.0.1");
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	o.gateway = A("10.2.0.254");
	assert_int_equal(bpfnet_network_mode_parse("bridge-of-doom", &mode), -EINVAL);
	assert_has(bpfnet__errmsg(NULL), "'bridge-of-doom'");
	o.mode = (enum bpfnet_network_mode)9;
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "unknown mode 9");
	o.mode = BPFNET_NETWORK_L3;
	assert_int_equal(bpfnet_network__create(f->bn, &o, &info), 0);
	assert_int_equal(info.id, 2);
	assert_int_equal(bpfnet_network__list(f->bn, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "n1");
	free(list);
	assert_int_equal(bpfnet_network__remove(f->bn, "n1"), 0);
	assert_int_equal(bpfnet_network__remove(f->bn, "n1"), -ENOENT);
	assert_int_equal(bpfnet_network__get(f->bn, "n2", &info), 0);
	assert_int_equal(info.gateway.family, AF_INET);
	assert_ip4_equal(info.gateway.v4.s_addr, inet_addr("10.2.0.254"));
}

/* bpfnet__open(): "" is no instance name, and a bpffs given must be one. */
#define EP5_JSON(name, ip, extra)                                                             \
	"{\"name\":\"" name "\",\"network\":\"n1\",\"netns\":\"/var/run/netns/c1\","        \
	"\"ifname\":\"eth0\",\"host_ifname\":\"bn000001-1\",\"id\":1,\"host_ifindex\":7,"       \
	"\"ip\":\"" ip "\",\"prefix_len\":24,\"gateway\":\"10.1.0.1\","                          \
	"\"mac\":\"0a:58:0a:01:00:02\",\"host_mac\":\"02:aa:bb:cc:dd:ee\",\"mtu\":1500" extra "}"
#define STATE5_JSON(eps)                                                                      \
	"{\"version\":5,\"node\":{\"initialized\":false,\"uplinks\":[]},\"networks\":[],"      \
	"\"endpoints\":[" eps "],\"bound_ips\":[]}"

/*
 * An endpoint made without a default route: "default_route": false in its
 * state, written for it alone (absent is yes, as every older file has it),
 * read back; a value that is no boolean is a corrupt file.
 */
static void test_default_route(void **state)
{
	struct fixture *f = *state;
	struct ep_state a = { .name = "a", .network = "n1", .netns = "/var/run/netns/c1",
			      .ifname = "eth0", .host_ifname = "bn000001-1", .id = 1,
			      .prefix_len = 24, .mtu = 1500 };
	struct ep_state b = a;
	struct state st = {}, back;
	char path[128], *text = NULL;
	const char *hit;

	strcpy(b.name, "b");
	strcpy(b.ifname, "eth1");
	b.id = 2;
	b.no_default_route = true;
	inet_pton(AF_INET, "10.1.0.2", &a.ip);
	inet_pton(AF_INET, "10.1.0.3", &b.ip);
	inet_pton(AF_INET, "10.1.0.1", &a.gateway);
	b.gateway = a.gateway;
	assert_int_equal(bn_lock(f->bn), 0);
	assert_int_equal(state_add_ep(&st, &a), 0);
	assert_int_equal(state_add_ep(&st, &b), 0);
	assert_int_equal(state_save(f->bn, &st), 0);
	bn_unlock(f->bn);
	snprintf(path, sizeof(path), "%s/unit/state.json", f->dir);
	assert_int_equal(read_file(path, &text, 1 << 20), 0);
	hit = strstr(text, "\"default_route\"");
	assert_true(hit != NULL);
	assert_true(strstr(hit + 1, "\"default_route\"") == NULL);	/* b's only */
	assert_true(strstr(text, "\"default_route\": false") != NULL ||
		    strstr(text, "\"default_route\":false") != NULL);
	free(text);
	assert_int_equal(state_load(f->bn, &back), 0);
	assert_int_equal(back.n_eps, 2);
	assert_false(state_ep(&back, "a")->no_default_route);
	assert_true(state_ep(&back, "b")->no_default_route);
	state_free(&back);
	state_free(&st);

	write_state(f, STATE5_JSON(EP5_JSON("c", "10.1.0.2", ",\"default_route\":true") ","
				   EP5_JSON("d", "10.1.0.3", ",\"default_route\":false")), path);
	assert_int_equal(state_load(f->bn, &back), 0);
	assert_false(state_ep(&back, "c")->no_default_route);
	assert_true(state_ep(&back, "d")->no_default_route);
	state_free(&back);
	write_state(f, STATE5_JSON(EP5_JSON("e", "10.1.0.2", ",\"default_route\":\"no\"")), path);
	assert_int_equal(state_load(f->bn, &st), -EUCLEAN);
}

/* ---- macvlan (version 6) --------------------------------------------------------------- */

#define NET6_JSON(name, mode, extra)                                                          \
	"{\"name\":\"" name "\",\"id\":1,\"mode\":\"" mode "\",\"subnet\":\"10.1.0.0\","      \
	"\"prefix_len\":24,\"gateway\":\"10.1.0.1\",\"masquerade\":false" extra "}"
#define EP6_JSON(host_ifname, ifindex, extra)                                                 \
	"{\"name\":\"c1\",\"network\":\"mv\",\"netns\":\"/var/run/netns/c1\","                \
	"\"ifname\":\"eth0\",\"host_ifname\":\"" host_ifname "\",\"id\":1,"                    \
	"\"host_ifindex\":" ifindex ",\"ip\":\"10.1.0.2\",\"prefix_len\":24,"                   \
	"\"gateway\":\"10.1.0.1\",\"mac\":\"0a:58:0a:01:00:02\","                              \
	"\"host_mac\":\"00:00:00:00:00:00\",\"mtu\":1500" extra "}"
#define STATE_JSON(version, nets, eps)                                                        \
	"{\"version\":" version ",\"node\":{\"initialized\":false,\"uplinks\":[]},"            \
	"\"networks\":[" nets "],\"endpoints\":[" eps "],\"bound_ips\":[]}"

/* A macvlan network and its endpoint (no host side, its parent) go to disk and back. */
static void test_macvlan_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct net_state n = { .name = "mv", .id = 3, .mode = "macvlan", .prefix_len = 24,
			       .gateway_mode = "nat", .parent = "up0" };
	struct ep_state e = { .name = "c1", .network = "mv", .netns = "/var/run/netns/c1",
			      .ifname = "eth0", .id = 2, .prefix_len = 24, .mtu = 1500,
			      .gen = 7, .mac = { 0x0a, 0x58, 192, 168, 77, 3 }, .parent = "up0" };
	struct state st = {}, back;
	char path[128], *text = NULL;

	inet_pton(AF_INET, "192.168.77.0", &n.subnet);
	inet_pton(AF_INET, "192.168.77.2", &n.gateway);
	inet_pton(AF_INET, "192.168.77.3", &e.ip);
	e.gateway = n.gateway;
	assert_int_equal(bn_lock(f->bn), 0);
	assert_int_equal(state_add_net(&st, &n), 0);
	assert_int_equal(state_add_ep(&st, &e), 0);
	assert_int_equal(state_save(f->bn, &st), 0);
	bn_unlock(f->bn);
	snprintf(path, sizeof(path), "%s/unit/state.json", f->dir);
	assert_int_equal(read_file(path, &text, 1 << 20), 0);
	assert_has(text, "\"version\": 6");
	assert_has(text, "\"parent\": \"up0\"");
	free(text);
	assert_int_equal(state_load(f->bn, &back), 0);
	assert_int_equal(back.n_nets, 1);
	assert_memory_equal(&back.nets[0], &n, sizeof(n));
	assert_true(net_is_macvlan(&back.nets[0]));
	assert_false(net_has_gateway(&back.nets[0]));	/* a router of the segment, not the node */
	assert_int_equal(back.n_eps, 1);
	assert_memory_equal(&back.eps[0], &e, sizeof(e));
	assert_true(ep_is_macvlan(&back.eps[0]));
	assert_false(state_owns_ifname(&back, "bn000001-2"));
	state_free(&st);
	state_free(&back);
}

/* A version 5 file reads (no parent anywhere: l3 and veths) and is written back as 6. */
static void test_version5_to_6(void **state)
{
	struct fixture *f = *state;
	char path[128], *text = NULL;
	struct state st;

	write_state(f, STATE_JSON("5", NET6_JSON("n1", "l3", ""),
				  EP5_JSON("c1", "10.1.0.2", "")), path);
	assert_int_equal(state_load(f->bn, &st), 0);
	assert_int_equal(st.n_nets, 1);
	assert_string_equal(st.nets[0].parent, "");
	assert_false(net_is_macvlan(&st.nets[0]));
	assert_string_equal(st.eps[0].parent, "");
	assert_false(ep_is_macvlan(&st.eps[0]));
	assert_string_equal(st.eps[0].host_ifname, "bn000001-1");
	assert_int_equal(bn_lock(f->bn), 0);
	assert_int_equal(state_save(f->bn, &st), 0);
	bn_unlock(f->bn);
	state_free(&st);
	assert_int_equal(read_file(path, &text, 1 << 20), 0);
	assert_has(text, "\"version\": 6");
	assert_true(strstr(text, "\"parent\"") == NULL);	/* none has one */
	free(text);
	assert_int_equal(state_load(f->bn, &st), 0);
	assert_string_equal(st.eps[0].name, "c1");
	state_free(&st);
}

/* What no bpfnet writes: each a corrupt file, refused whole. */
static void test_macvlan_corrupt(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		/* a macvlan network without its parent, with an empty or impossible one */
		STATE_JSON("6", NET6_JSON("mv", "macvlan", ""), ""),
		STATE_JSON("6", NET6_JSON("mv", "macvlan", ",\"parent\":\"\""), ""),
		STATE_JSON("6", NET6_JSON("mv", "macvlan", ",\"parent\":\"sixteen-chars-xx\""), ""),
		STATE_JSON("6", NET6_JSON("mv", "macvlan", ",\"parent\":\"a/b\""), ""),
		STATE_JSON("6", NET6_JSON("mv", "macvlan", ",\"parent\":7"), ""),
		/* a parent on another mode; a mode this build does not know */
		STATE_JSON("6", NET6_JSON("mv", "l3", ",\"parent\":\"up0\""), ""),
		STATE_JSON("6", NET6_JSON("mv", "ipvlan", ""), ""),
		/* what macvlan cannot have */
		"{\"version\":6,\"node\":{\"initialized\":false,\"uplinks\":[]},\"networks\":[{"
		"\"name\":\"mv\",\"id\":1,\"mode\":\"macvlan\",\"subnet\":\"10.1.0.0\","
		"\"prefix_len\":24,\"gateway\":\"10.1.0.1\",\"masquerade\":true,\"parent\":"
		"\"up0\"}],\"endpoints\":[],\"bound_ips\":[]}",
		STATE_JSON("6", NET6_JSON("mv", "macvlan", ",\"parent\":\"up0\",\"internal\":true"),
			   ""),
		STATE_JSON("6", NET6_JSON("mv", "macvlan", ",\"parent\":\"up0\","
					  "\"gateway_mode\":\"routed\""), ""),
		/* a macvlan endpoint with a host side; a veth one without */
		STATE_JSON("6", NET6_JSON("mv", "macvlan", ",\"parent\":\"up0\""),
			   EP6_JSON("bn000001-1", "7", ",\"parent\":\"up0\"")),
		STATE_JSON("6", NET6_JSON("mv", "macvlan", ",\"parent\":\"up0\""),
			   EP6_JSON("", "7", ",\"parent\":\"up0\"")),
		STATE_JSON("6", NET6_JSON("mv", "l3", ""), EP6_JSON("", "0", "")),
		/* an endpoint of another kind or parent than its network */
		STATE_JSON("6", NET6_JSON("mv", "macvlan", ",\"parent\":\"up0\""),
			   EP6_JSON("bn000001-1", "7", "")),
		STATE_JSON("6", NET6_JSON("mv", "macvlan", ",\"parent\":\"up0\""),
			   EP6_JSON("", "0", ",\"parent\":\"up1\"")),
		STATE_JSON("6", NET6_JSON("mv", "l3", ""), EP6_JSON("", "0", ",\"parent\":\"up0\"")),
		/* a version from the future */
		STATE_JSON("7", "", ""),
	};
	char path[128];
	struct state st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unit_case("bad version 6 state file %zu", i);
		write_state(f, bad[i], path);
		assert_int_equal(state_load(f->bn, &st), -EUCLEAN);
		assert_has(bpfnet__errmsg(f->bn), "corrupt");
	}
	unit_case_end();
	/* and the good one of those shapes reads */
	write_state(f, STATE_JSON("6", NET6_JSON("mv", "macvlan", ",\"parent\":\"up0\""),
				  EP6_JSON("", "0", ",\"parent\":\"up0\"")), path);
	assert_int_equal(state_load(f->bn, &st), 0);
	assert_true(ep_is_macvlan(&st.eps[0]));
	state_free(&st);
}

/*
 * network create --mode macvlan before init (only the state changes): the
 * parent required there and nowhere else, what macvlan cannot have refused
 * in words, the parent and mode in the info and both list layouts.
 */
static void test_macvlan_network_api(void **state)
{
	struct fixture *f = *state;
	struct bpfnet_network_opts o = { .sz = sizeof(o), .name = "mv",
					 .mode = BPFNET_NETWORK_MACVLAN,
					 .subnet = P("10.77.0.0/24"), .gateway = A("10.77.0.254") };
	struct bpfnet_network_info info = { .sz = sizeof(info) }, *list;
	enum bpfnet_network_mode mode;
	size_t n;

	assert_string_equal(bpfnet_network_mode_str(BPFNET_NETWORK_MACVLAN), "macvlan");
	assert_int_equal(bpfnet_network_mode_parse("macvlan", &mode), 0);
	assert_int_equal(mode, BPFNET_NETWORK_MACVLAN);
	assert_int_equal(bpfnet_network_mode_parse("ipvlan", &mode), -EINVAL);
	assert_has(bpfnet__errmsg(NULL), "l3, bridge, macvlan");
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "--parent DEV");
	o.parent = "bad/name";
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "invalid parent device name");
	o.parent = "up0";
	o.masquerade = BPFNET_YES;
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "masquerade is not available on a macvlan network");
	o.masquerade = BPFNET_DEFAULT;
	o.gateway_mode = BPFNET_GATEWAY_ROUTED;
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "--gateway-mode is not available on a macvlan");
	o.gateway_mode = BPFNET_GATEWAY_NAT;
	o.internal = true;
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "--internal is not available on a macvlan");
	o.internal = false;
	o.mode = BPFNET_NETWORK_L3;
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "--parent is for macvlan networks");
	assert_int_equal(bpfnet_network__list(f->bn, &list, &n), 0);
	assert_int_equal(n, 0);	/* nothing of the refused ones */
	free(list);
	o.mode = BPFNET_NETWORK_MACVLAN;
	o.masquerade = BPFNET_NO;
	assert_int_equal(bpfnet_network__create(f->bn, &o, &info), 0);
	assert_int_equal(info.mode, BPFNET_NETWORK_MACVLAN);
	assert_string_equal(info.parent, "up0");
	assert_false(info.masquerade);
	assert_int_equal(info.gateway_mode, BPFNET_GATEWAY_NAT);
	assert_ip4_equal(info.gateway.v4.s_addr, inet_addr("10.77.0.254"));
	o.name = "l3";
	o.mode = BPFNET_NETWORK_L3;
	o.parent = NULL;
	o.subnet = P("10.77.0.128/25");
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EEXIST);
	assert_has(bpfnet__errmsg(f->bn), "overlaps network 'mv'");
	assert_int_equal(bpfnet_network__list(f->bn, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].parent, "up0");
	assert_int_equal(list[0].sz, sizeof(*list));
	free(list);
	/* a caller of the header before 0.4 (its info without parent) gets all it knows */
	memset(&info, 0x5a, sizeof(info));
	info.sz = offsetof(struct bpfnet_network_info, parent);
	assert_int_equal(bpfnet_network__get(f->bn, "mv", &info), 0);
	assert_int_equal(info.mode, BPFNET_NETWORK_MACVLAN);
	assert_int_equal((unsigned char)info.parent[0], 0x5a);	/* not written past its sz */
}

static void test_open_options(void **state)
{
	struct bpfnet_opts o = { .sz = sizeof(o), .run_dir = "/nonexistent" };
	struct bpfnet *bn;

	(void)state;
	o.instance = "";
	assert_int_equal(bpfnet__open(&o, &bn), -EINVAL);
	o.instance = NULL;
	assert_int_equal(bpfnet__open(&o, &bn), 0);
	assert_string_equal(bpfnet__instance(bn), "default");
	bpfnet__close(bn);
	o.bpffs = "/nonexistent";
	assert_int_equal(bpfnet__open(&o, &bn), -ENOENT);
	o.bpffs = "";
	assert_int_equal(bpfnet__open(&o, &bn), -ENOENT);
	o.bpffs = "/proc/self/status";
	assert_int_equal(bpfnet__open(&o, &bn), -ENOTDIR);
	o.bpffs = "/proc";
	assert_int_equal(bpfnet__open(&o, &bn), -EMEDIUMTYPE);
	/* the variable is checked as the option is, and the option wins over it */
	o.bpffs = NULL;
	setenv("BPFNET_BPFFS", "/nonexistent", 1);
	assert_int_equal(bpfnet__open(&o, &bn), -ENOENT);
	o.bpffs = "/proc";
	assert_int_equal(bpfnet__open(&o, &bn), -EMEDIUMTYPE);
	unsetenv("BPFNET_BPFFS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_network_api, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version4_one_uplink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bridge_network_api, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bridge_full, setup, teardown),
		cmocka_unit_test(test_open_options),
		cmocka_unit_test_setup_teardown(test_gateway_mode_api, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_macvlan_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version5_to_6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_macvlan_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_macvlan_network_api, setup, teardown),
	};

	/*
	 * network create checks the subnet against the routes of the netns it runs in:
	 * a private one, so that no route of the machine's decides the outcome
	 */
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET) (needs root)");
		return 1;
	}
	unsetenv("BPFNET_BPFFS");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
