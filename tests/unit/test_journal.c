// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The intent journal: every entry kind through JSON and back, through
 * state.json and back, malformed entries refused, the words check uses, and
 * which veth names are strays.
 */
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
#include "run_dir_fixture.h"

#include "sys/fsutil.h"
#include "model/journal.h"
#include "model/state.h"
#include "sys/store.h"
#include "sys/veth.h"

static struct ep_state sample_ep(void)
{
	struct ep_state e = { .name = "c1", .network = "n1",
					  .netns = "/var/run/netns/c1", .ifname = "eth0",
					  .host_ifname = "bn00abcd-7", .id = 7, .host_ifindex = 41,
					  .prefix_len = 24, .mtu = 1500,
					  .mac = { 0x0a, 0x58, 10, 1, 0, 2 },
					  .host_mac = { 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee },
					  /* the runtime's identity goes with the entry (CNI) */
					  .container_id = "9f86d081884c7d659a2feaa0c55ad015"
							  "a3bf4f1b2b0b822cd15d6c15b0f00a08" };

	inet_pton(AF_INET, "10.1.0.2", &e.ip);
	inet_pton(AF_INET, "10.1.0.1", &e.gateway);
	return e;
}

static struct net_state sample_net(void)
{
	struct net_state n = { .name = "b1", .id = 5, .mode = "bridge", .prefix_len = 16,
					 .masquerade = 1, .gateway_mac = { 2, 0x42, 1, 2, 3, 4 },
					 .gateway_mode = BPFNET_GW_MODE_ROUTED };

	inet_pton(AF_INET, "10.2.0.0", &n.subnet);
	inet_pton(AF_INET, "10.2.0.1", &n.gateway);
	return n;
}

/* @j to JSON text and back into @back. */
static void roundtrip(const struct journal *j, struct journal *back)
{
	json_t *o = journal_to_json(j), *again;
	char *text;

	assert_non_null(o);
	text = json_dumps(o, 0);
	json_decref(o);
	assert_non_null(text);
	again = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(again);
	assert_int_equal(journal_from_json(again, back), 0);
	json_decref(again);
}

static void test_empty_is_not_written(void **state)
{
	struct journal j = {};

	(void)state;
	assert_null(journal_to_json(&j));
}

static void test_endpoint_and_network_entries(void **state)
{
	struct journal add = { .op = JOURNAL_ENDPOINT_ADD, .pid = 123, .ep = sample_ep() };
	struct journal net = { .op = JOURNAL_NETWORK_CREATE, .net = sample_net() }, back;

	(void)state;
	roundtrip(&add, &back);
	assert_int_equal(back.op, JOURNAL_ENDPOINT_ADD);
	assert_int_equal(back.pid, 123);
	assert_memory_equal(&back.ep, &add.ep, sizeof(add.ep));
	journal_free(&back);
	add.op = JOURNAL_ENDPOINT_REMOVE;
	roundtrip(&add, &back);
	assert_int_equal(back.op, JOURNAL_ENDPOINT_REMOVE);
	assert_string_equal(back.ep.host_ifname, "bn00abcd-7");
	journal_free(&back);
	roundtrip(&net, &back);
	assert_int_equal(back.op, JOURNAL_NETWORK_CREATE);
	assert_memory_equal(&back.net, &net.net, sizeof(net.net));
	journal_free(&back);
}

static void test_init_and_down_entries(void **state)
{
	struct journal init = { .op = JOURNAL_INIT, .first_init = 1, .n_uplinks = 2,
				.uplinks = { { "up0", 0 }, { "up1", 1 } } };
	struct journal down = { .op = JOURNAL_DOWN }, back;

	(void)state;
	roundtrip(&init, &back);
	assert_int_equal(back.op, JOURNAL_INIT);
	assert_int_equal(back.first_init, 1);
	assert_int_equal(back.n_uplinks, 2);
	assert_string_equal(back.uplinks[0].name, "up0");
	assert_int_equal(back.uplinks[0].clsact_before, 0);
	assert_string_equal(back.uplinks[1].name, "up1");
	assert_int_equal(back.uplinks[1].clsact_before, 1);
	assert_ptr_equal(journal_uplink(&back, "up1"), &back.uplinks[1]);
	assert_null(journal_uplink(&back, "up2"));
	roundtrip(&down, &back);
	assert_int_equal(back.op, JOURNAL_DOWN);
}

/* An init entry written when there was one uplink: its "uplink" and its "clsact_before". */
static void test_init_entry_of_one_uplink(void **state)
{
	json_t *o = json_loads("{\"op\": \"init\", \"pid\": 7, \"uplink\": \"eth0\", "
			       "\"first\": true, \"clsact_before\": false}", 0, NULL);
	json_t *unknown = json_loads("{\"op\": \"init\", \"uplink\": \"eth0\"}", 0, NULL);
	struct journal j;

	(void)state;
	assert_int_equal(journal_from_json(o, &j), 0);
	assert_int_equal(j.first_init, 1);
	assert_int_equal(j.n_uplinks, 1);
	assert_string_equal(j.uplinks[0].name, "eth0");
	assert_int_equal(j.uplinks[0].clsact_before, 0);
	journal_free(&j);
	/* not known whether the qdisc was there: leave it be */
	assert_int_equal(journal_from_json(unknown, &j), 0);
	assert_int_equal(j.uplinks[0].clsact_before, 1);
	journal_free(&j);
	json_decref(o);
	json_decref(unknown);
}

/* Port mappings travel as -p specs: TCP and UDP, a host address, a 20,000-port range. */
static void test_port_entries(void **state)
{
	struct port_map maps[3] = {
		{ .proto = IPPROTO_TCP, .host_port = 20000, .host_port_last = 39999,
		  .container_port = 20000 },
		{ .proto = IPPROTO_UDP, .host_port = 53, .host_port_last = 53,
		  .container_port = 5353 },
		{ .proto = IPPROTO_TCP, .host_port = 8443, .host_port_last = 8443,
		  .container_port = 443 },
	};
	struct journal j = { .op = JOURNAL_PORT_ADD, .ep = sample_ep(), .maps = maps, .n_maps = 3 };
	struct journal back;
	char buf[128];

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &maps[2].host_ip);
	roundtrip(&j, &back);
	assert_int_equal(back.op, JOURNAL_PORT_ADD);
	assert_int_equal(back.n_maps, 3);
	for (size_t i = 0; i < 3; i++) {
		unit_case("mapping %zu", i);
		assert_int_equal(back.maps[i].proto, maps[i].proto);
		assert_ip4_equal(back.maps[i].host_ip.s_addr, maps[i].host_ip.s_addr);
		assert_int_equal(back.maps[i].host_port, maps[i].host_port);
		assert_int_equal(back.maps[i].host_port_last, maps[i].host_port_last);
		assert_int_equal(back.maps[i].container_port, maps[i].container_port);
		/* filled in from the entry's endpoint */
		assert_string_equal(back.maps[i].endpoint, "c1");
		assert_ip4_equal(back.maps[i].container_ip.s_addr, j.ep.ip.s_addr);
	}
	unit_case_end();
	assert_string_equal(journal_describe(&back, buf, sizeof(buf)),
			    "port add 'c1' (3 mappings)");
	journal_free(&back);
	assert_null(back.maps);
}

static void expect_refused(const char *text)
{
	json_t *o = json_loads(text, 0, NULL);
	struct journal j;

	assert_non_null(o);
	assert_int_equal(journal_from_json(o, &j), -EINVAL);
	journal_free(&j);
	json_decref(o);
}

static void test_malformed_refused(void **state)
{
	(void)state;
	expect_refused("{}");
	expect_refused("{\"op\": \"endpoint_explode\"}");
	expect_refused("{\"op\": \"none\"}");
	expect_refused("{\"op\": \"endpoint_add\"}");
	expect_refused("{\"op\": \"network_create\", \"network\": {\"name\": \"x\"}}");
	expect_refused("{\"op\": \"init\"}");
	expect_refused("{\"op\": \"init\", \"uplink\": \"a-name-far-too-long-for-a-device\"}");
	expect_refused("{\"op\": \"init\", \"uplinks\": []}");
	expect_refused("{\"op\": \"init\", \"uplinks\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}");
	expect_refused("{\"op\": \"init\", \"uplinks\": [{\"name\": \"\"}]}");
	expect_refused("{\"op\": \"init\", \"uplinks\": [{\"clsact_before\": true}]}");
	expect_refused("{\"op\": \"init\", \"uplinks\": [{\"name\": \"a\"}, {\"name\": \"b\"}, "
		       "{\"name\": \"c\"}, {\"name\": \"d\"}, {\"name\": \"e\"}, {\"name\": \"f\"}, "
		       "{\"name\": \"g\"}, {\"name\": \"h\"}, {\"name\": \"i\"}]}");
	expect_refused("{\"op\": \"init\", \"uplink\": \"a\", \"uplinks\": [{\"name\": \"b\"}]}");
	expect_refused("{\"op\": \"port_add\", \"endpoint\": {\"name\": \"c1\"}, "
		       "\"mappings\": []}");
	expect_refused("{\"op\": 7}");
}

static void test_bad_mapping_refused(void **state)
{
	struct journal j = { .op = JOURNAL_PORT_REMOVE, .ep = sample_ep() };
	struct port_map m = { .proto = IPPROTO_TCP, .host_port = 80,
					 .host_port_last = 80, .container_port = 80 };
	json_t *o;

	(void)state;
	j.maps = &m;
	j.n_maps = 1;
	o = journal_to_json(&j);
	assert_non_null(o);
	json_array_set_new(json_object_get(o, "mappings"), 0, json_string("80-81:80/tcp"));
	assert_int_equal(journal_from_json(o, &j), -EINVAL);
	journal_free(&j);
	json_decref(o);
}

static void test_describe(void **state)
{
	struct journal j = { .op = JOURNAL_ENDPOINT_ADD, .ep = sample_ep() };
	char buf[128];

	(void)state;
	assert_string_equal(journal_describe(&j, buf, sizeof(buf)), "endpoint add 'c1'");
	j.op = JOURNAL_NETWORK_REMOVE;
	j.net = sample_net();
	assert_string_equal(journal_describe(&j, buf, sizeof(buf)), "network rm 'b1'");
	j.op = JOURNAL_INIT;
	j.n_uplinks = 2;
	strcpy(j.uplinks[0].name, "eth0");
	strcpy(j.uplinks[1].name, "wg0");
	assert_string_equal(journal_describe(&j, buf, sizeof(buf)), "init on eth0, wg0");
	assert_string_equal(journal_op_name(JOURNAL_PORT_REMOVE), "port_rm");
	assert_true(journal_undoes(JOURNAL_PORT_ADD));
	assert_false(journal_undoes(JOURNAL_ENDPOINT_REMOVE));
}

/* Through state.json: the entry is saved with the state and read back with it. */
static void test_state_file(void **state)
{
	struct fixture *f = *state;
	struct state st = {}, back;
	struct net_state n = sample_net();
	struct journal j = { .op = JOURNAL_NETWORK_CREATE, .net = n };

	assert_int_equal(bn_lock(f->bn), 0);
	st.node.initialized = 1;
	st.node.n_uplinks = 1;
	strcpy(st.node.uplinks[0].name, "up0");
	assert_int_equal(journal_record(f->bn, &st, &j), 0);
	assert_int_equal(st.journal.pid, getpid());
	assert_int_equal(state_load(f->bn, &back), 0);
	assert_int_equal(back.journal.op, JOURNAL_NETWORK_CREATE);
	assert_string_equal(back.journal.net.name, "b1");
	state_free(&back);
	/* committed: the same save records the result and clears the entry */
	assert_int_equal(state_add_net(&st, &n), 0);
	assert_int_equal(journal_commit(f->bn, &st), 0);
	assert_int_equal(state_load(f->bn, &back), 0);
	assert_int_equal(back.journal.op, JOURNAL_NONE);
	assert_int_equal(back.n_nets, 1);
	state_free(&back);
	state_free(&st);
	bn_unlock(f->bn);
}

/* A state.json of version 3 has no journal and still reads; a corrupt entry does not. */
static void test_state_versions(void **state)
{
	struct fixture *f = *state;
	char path[128];
	const char *v3 = "{\"version\": 3, \"node\": {\"initialized\": false, \"uplink\": \"\", "
			 "\"uplink_ifindex\": 0, \"created_clsact\": false}, \"networks\": [], "
			 "\"endpoints\": [], \"bound_ips\": []}";
	const char *bad = "{\"version\": 4, \"node\": {\"initialized\": false, \"uplink\": \"\", "
			  "\"uplink_ifindex\": 0, \"created_clsact\": false}, \"networks\": [], "
			  "\"endpoints\": [], \"bound_ips\": [], \"journal\": {\"op\": \"?\"}}";
	struct state st;

	assert_int_equal(bn_lock(f->bn), 0);
	snprintf(path, sizeof(path), "%s/unit/state.json", f->dir);
	assert_int_equal(write_file_atomic(path, v3, strlen(v3)), 0);
	assert_int_equal(state_load(f->bn, &st), 0);
	assert_int_equal(st.journal.op, JOURNAL_NONE);
	state_free(&st);
	assert_int_equal(write_file_atomic(path, bad, strlen(bad)), 0);
	assert_int_equal(state_load(f->bn, &st), -EUCLEAN);
	bn_unlock(f->bn);
}

static void test_stray_names(void **state)
{
	struct fixture *f = *state;
	struct ep_state e = sample_ep();
	char prefix[IF_NAMESIZE], name[IF_NAMESIZE + 8];
	struct state st = {};

	host_ifname_prefix(f->bn, prefix);
	assert_memory_equal(prefix, "bn", 2);
	snprintf(name, sizeof(name), "%s7", prefix);
	memcpy(e.host_ifname, name, sizeof(e.host_ifname) - 1);
	assert_int_equal(state_add_ep(&st, &e), 0);
	assert_false(veth_is_stray(f->bn, &st, name, "veth"));	/* c1's */
	snprintf(name, sizeof(name), "%s8", prefix);
	assert_true(veth_is_stray(f->bn, &st, name, "veth"));
	assert_false(veth_is_stray(f->bn, &st, name, "macvlan"));	/* not one we make */
	snprintf(name, sizeof(name), "%sx", prefix);
	assert_false(veth_is_stray(f->bn, &st, name, "veth"));	/* not an endpoint id */
	assert_false(veth_is_stray(f->bn, &st, prefix, "veth"));
	assert_false(veth_is_stray(f->bn, &st, "eth0", "veth"));
	state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_is_not_written),
		cmocka_unit_test(test_endpoint_and_network_entries),
		cmocka_unit_test(test_init_and_down_entries),
		cmocka_unit_test(test_init_entry_of_one_uplink),
		cmocka_unit_test(test_port_entries),
		cmocka_unit_test(test_malformed_refused),
		cmocka_unit_test(test_bad_mapping_refused),
		cmocka_unit_test(test_describe),
		cmocka_unit_test_setup_teardown(test_state_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stray_names, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
