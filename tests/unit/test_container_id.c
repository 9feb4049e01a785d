// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The runtime's container identity of endpoints (CNI): which IDs are taken,
 * bpfnet_endpoint__find() over a state file (one of before version 5, which
 * had none, included), and endpoint add refusing a bad or a taken
 * (container ID, ifname) before it makes anything, the state file as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "asserts.h"
#include "run_dir_fixture.h"

#include "core/core.h"
#include "sys/fsutil.h"

#define PODMAN_ID "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* A node that says it is initialized, a network n1, and endpoints c1..c3 of it. */
#define STATE_HEAD(version)                                                               \
	"{\"version\":" #version ",\"node\":{\"initialized\":true,\"uplink\":\"up0\","              \
	"\"uplink_ifindex\":2,\"created_clsact\":false},\"networks\":[{\"name\":\"n1\","  \
	"\"id\":1,\"mode\":\"l3\",\"subnet\":\"10.1.0.0\",\"prefix_len\":24,"              \
	"\"gateway\":\"10.1.0.1\",\"masquerade\":true}],\"endpoints\":["
#define EP(name, id, ifname, ip, cid)                                                     \
	"{\"name\":\"" name "\",\"network\":\"n1\",\"netns\":\"/var/run/netns/x\","       \
	"\"ifname\":\"" ifname "\",\"host_ifname\":\"bn0000-" #id "\",\"id\":" #id ","     \
	"\"host_ifindex\":1" #id ",\"ip\":\"" ip "\",\"prefix_len\":24,"                   \
	"\"gateway\":\"10.1.0.1\",\"mac\":\"0a:58:0a:01:00:0" #id "\","                    \
	"\"host_mac\":\"02:aa:bb:cc:dd:0" #id "\",\"mtu\":1500" cid "}"
#define STATE_TAIL "],\"bound_ips\":[]}"

static const char two_attachments[] =
	STATE_HEAD(5) EP("c1", 1, "eth0", "10.1.0.2", ",\"container_id\":\"" PODMAN_ID "\"") ","
	EP("c2", 2, "net1", "10.1.0.3", ",\"container_id\":\"" PODMAN_ID "\"") ","
	EP("c3", 3, "eth0", "10.1.0.4", "") STATE_TAIL;

static void test_id_valid(void **state)
{
	static const struct {
		const char *id;
		int valid;
	} ids[] = {
		{ PODMAN_ID, 1 }, { "a", 1 }, { "web1_x.y-z", 1 }, { "0abc", 1 },
		{ "", 0 }, { "-abc", 0 }, { ".abc", 0 }, { "_abc", 0 }, { "a/b", 0 },
		{ "a b", 0 }, { "a:b", 0 }, { "a\nb", 0 }, { "ä", 0 },
	};
	char longest[BPFNET_CONTAINER_ID_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		unit_case("container ID '%s'", ids[i].id);
		assert_int_equal(id_valid(ids[i].id, BPFNET_CONTAINER_ID_MAX), ids[i].valid);
	}
	unit_case_end();
	/* below BPFNET_CONTAINER_ID_MAX with the NUL: 127 characters, not 128 */
	memset(longest, 'a', sizeof(longest));
	longest[BPFNET_CONTAINER_ID_MAX - 1] = '\0';
	assert_int_equal(id_valid(longest, BPFNET_CONTAINER_ID_MAX), 1);
	longest[BPFNET_CONTAINER_ID_MAX - 1] = 'a';
	longest[BPFNET_CONTAINER_ID_MAX] = '\0';
	assert_int_equal(id_valid(longest, BPFNET_CONTAINER_ID_MAX), 0);
	/* the endpoint names keep their own bound */
	assert_int_equal(name_valid(PODMAN_ID), 0);
}

static void test_find(void **state)
{
	struct fixture *f = *state;
	struct bpfnet_endpoint_info info = { .sz = sizeof(info) };
	char path[128];

	write_state(f, two_attachments, path);
	/* ifname NULL is eth0 */
	assert_int_equal(bpfnet_endpoint__find(f->bn, PODMAN_ID, NULL, &info), 0);
	assert_string_equal(info.name, "c1");
	assert_string_equal(info.container_id, PODMAN_ID);
	assert_int_equal(bpfnet_endpoint__find(f->bn, PODMAN_ID, "net1", &info), 0);
	assert_string_equal(info.name, "c2");
	assert_int_equal(bpfnet_endpoint__find(f->bn, PODMAN_ID, "eth1", &info), -ENOENT);
	assert_has(bpfnet__errmsg(f->bn), "eth1");
	assert_int_equal(bpfnet_endpoint__find(f->bn, "9f86d081884c", NULL, &info), -ENOENT);
	/* an endpoint without an ID is found by none, the empty one included */
	assert_int_equal(bpfnet_endpoint__find(f->bn, "", NULL, &info), -EINVAL);
	assert_int_equal(bpfnet_endpoint__find(f->bn, NULL, NULL, &info), -EINVAL);
	assert_int_equal(bpfnet_endpoint__get(f->bn, "c3", &info), 0);
	assert_string_equal(info.container_id, "");
	info.sz = 3;
	assert_int_equal(bpfnet_endpoint__find(f->bn, PODMAN_ID, NULL, &info), -EINVAL);
	unlink(path);
}

/* A version 4 file has no container IDs: it loads, and its endpoints have none. */
static void test_version4(void **state)
{
	struct fixture *f = *state;
	static const char v4[] = STATE_HEAD(4) EP("c1", 1, "eth0", "10.1.0.2", ",\"gen\":7") STATE_TAIL;
	struct bpfnet_endpoint_info info = { .sz = sizeof(info) };
	char path[128];

	write_state(f, v4, path);
	assert_int_equal(bpfnet_endpoint__get(f->bn, "c1", &info), 0);
	assert_int_equal(info.gen, 7);
	assert_string_equal(info.container_id, "");
	assert_int_equal(bpfnet_endpoint__find(f->bn, "c1", NULL, &info), -ENOENT);
	unlink(path);
}

static char *read_state(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	assert_int_not_equal(getdelim(&buf, &len, '\0', fp), -1);
	fclose(fp);
	return buf;
}

/* add_refused: endpoint add with @id at @ifname fails with @err naming @needle; nothing saved. */
static void add_refused(struct fixture *f, const char *path, const char *id, const char *ifname,
			int err, const char *needle)
{
	struct bpfnet_endpoint_opts o = { .sz = sizeof(o), .network = "n1", .netns = "x",
					  .name = "c9", .ifname = ifname, .container_id = id };
	char *before = read_state(path), *after;

	unit_case("endpoint add --container-id '%.40s' --ifname %s", id, ifname ? ifname : "-");
	assert_int_equal(bpfnet_endpoint__add(f->bn, &o, NULL), err);
	assert_has(bpfnet__errmsg(f->bn), needle);
	after = read_state(path);
	assert_string_equal(after, before);
	free(before);
	free(after);
}

static void test_add_refused(void **state)
{
	struct fixture *f = *state;
	char path[128], too_long[BPFNET_CONTAINER_ID_MAX + 1];

	write_state(f, two_attachments, path);
	memset(too_long, 'f', sizeof(too_long));
	too_long[BPFNET_CONTAINER_ID_MAX] = '\0';
	add_refused(f, path, "bad/id", NULL, -EINVAL, "invalid container ID 'bad/id'");
	add_refused(f, path, "", NULL, -EINVAL, "invalid container ID ''");
	add_refused(f, path, too_long, NULL, -EINVAL, "1-127 letters");
	/* the words name the endpoint that has the attachment */
	add_refused(f, path, PODMAN_ID, NULL, -EEXIST, "already has an interface eth0: endpoint 'c1'");
	add_refused(f, path, PODMAN_ID, "net1", -EEXIST, "endpoint 'c2'");
	unit_case_end();
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
