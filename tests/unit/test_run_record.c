// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Container records (user/run/record.c, record_json.c) under a temp run dir:
 * a record saved reads back field for field; a hostile container.json (each
 * field in turn made wrong: its type, its range, its form, a netns path that
 * is not the container's, a symlink) is refused with EUCLEAN and the field
 * named, never followed; IDs found by a unique prefix; the start time tells a
 * live process from a zombie; record_refresh() of a record whose init and
 * waiter are gone tears it down and reads init's status.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "asserts.h"
#include "record.h"
#include "record_json.h"

#define ID1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "0123456789abffff0123456789abcdef0123456789abcdef0123456789abcdef"

static char run_dir[64];
static char *test_argv[] = { "sleep", "30", NULL };
static char *test_env[] = { "PATH=/bin", "HOME=/root", NULL };

static void make_record(struct container_record *r, const char *name, const char *id)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->id, id);
	strcpy(r->name, name);
	strcpy(r->instance, "default");
	snprintf(r->netns, sizeof(r->netns), "%s/%s", RUN_NETNS_DIR, name);
	r->state = CONTAINER_RUNNING;
	r->init_pid = 4242;
	r->init_start_time = 123456;
	r->exit_status = -1;
	r->detached = true;
	r->userns = true;
	r->userns_range.host_first = RUN_USERNS_FIRST + 2 * RUN_USERNS_SIZE;
	r->userns_range.count = RUN_USERNS_SIZE;
	r->argv = test_argv;
	r->env = test_env;
	strcpy(r->hostname, "h1");
	strcpy(r->network_mode, "networks");
	r->n_nets = 1;
	strcpy(r->nets[0].endpoint, name);
	strcpy(r->nets[0].network, "n1");
	strcpy(r->nets[0].ifname, "eth0");
	bpfnet_prefix_parse("10.1.0.5/24", &r->nets[0].ip);
	bpfnet_addr_parse("10.1.0.1", &r->nets[0].gateway);
	r->n_ports = 1;
	strcpy(r->ports[0], "8080:80/tcp");
	r->created = 1700000000;
}

static void save(const struct container_record *r)
{
	struct run_err e = {};
	int fd = record_lock(&e);

	assert_cmp(fd, >=, 0);
	assert_int_equal(record_save(r, &e), 0);
	record_unlock(fd);
}

static void remove_record(const char *name)
{
	assert_int_equal(record_remove(name, NULL), 0);
}

static void test_round_trip(void **state)
{
	struct container_record r, back;
	struct run_err e = {};

	(void)state;
	make_record(&r, "rt1", ID1);
	save(&r);
	assert_int_equal(record_load("rt1", &back, &e), 0);
	assert_string_equal(back.id, ID1);
	assert_string_equal(back.netns, RUN_NETNS_DIR "/rt1");
	assert_int_equal(back.state, CONTAINER_RUNNING);
	assert_int_equal(back.init_pid, 4242);
	assert_int_equal(back.init_start_time, 123456);
	assert_true(back.userns && back.detached && !back.auto_remove);
	assert_int_equal(back.userns_range.host_first, r.userns_range.host_first);
	assert_string_equal(back.argv[0], "sleep");
	assert_string_equal(back.argv[1], "30");
	assert_null(back.argv[2]);
	assert_string_equal(back.env[1], "HOME=/root");
	assert_int_equal(back.n_nets, 1);
	assert_string_equal(back.nets[0].network, "n1");
	assert_int_equal(back.nets[0].ip.len, 24);
	assert_int_equal(back.nets[0].gateway.family, AF_INET);
	assert_string_equal(back.ports[0], "8080:80/tcp");
	assert_int_equal(back.created, 1700000000);
	record_free(&back);
	assert_int_equal(record_load("nope", &back, &e), -ENOENT);
	assert_has(e.msg, "no container 'nope'");
	remove_record("rt1");
	assert_int_equal(record_load("rt1", &back, NULL), -ENOENT);
	assert_int_equal(record_remove("rt1", NULL), 0);	/* twice: nothing there */
}

/* One field of a good record made wrong, and what the refusal must name. */
struct mutation {
	const char *key;	/* top-level key; "networks.0.ip" style for nested ones */
	const char *json;	/* its new value, as JSON; NULL: deleted */
	const char *named;
};

static const struct mutation mutations[] = {
	{ "version", "2", "'version'" },
	{ "version", NULL, "'version'" },
	{ "id", "\"xyz\"", "'id'" },
	{ "id", "\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"", "'id'" },
	{ "id", "42", "'id'" },
	{ "name", "\"other\"", "'name'" },
	{ "name", "\"../../etc\"", "'name'" },
	{ "netns", "\"/etc\"", "'netns'" },
	{ "netns", "\"/var/run/netns/other\"", "'netns'" },
	{ "netns", "\"/var/run/netns/h1/../../../etc\"", "'netns'" },
	{ "network_mode", "\"bridge\"", "'network_mode'" },
	{ "state", "\"paused\"", "'state'" },
	{ "init", "{\"pid\": -1, \"start_time\": 1}", "'pid'" },
	{ "init", "{\"pid\": 99999999, \"start_time\": 1}", "'pid'" },
	{ "init", "{\"pid\": 5}", "'start_time'" },
	{ "init", "[]", "'init'" },
	{ "waiter", "\"me\"", "'waiter'" },
	{ "exit_status", "300", "'exit_status'" },
	{ "exit_status", "-2", "'exit_status'" },
	{ "exit_status", "1.5", "'exit_status'" },
	{ "detached", "1", "'detached'" },
	{ "userns", "{\"host_first\": 1000001, \"count\": 65536}", "'userns'" },
	{ "userns", "{\"host_first\": 0, \"count\": 65536}", "'host_first'" },
	{ "userns", "{\"host_first\": 1000000, \"count\": 4294967295}", "'count'" },
	{ "argv", "[]", "'argv'" },
	{ "argv", "[\"sh\", 5]", "'argv'" },
	{ "argv", "\"sh -c true\"", "'argv'" },
	{ "argv", "[\"a\\u0000b\"]", "u0000" },
	{ "env", "{}", "'env'" },
	{ "hostname", "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
	  "'hostname'" },
	{ "networks", "[1]", "'networks'" },
	{ "networks", "[{\"endpoint\": \"e\", \"network\": \"n\", \"ifname\": \"eth0\", "
	  "\"ip\": \"10.1.0.5\", \"gateway\": null}]", "'networks.ip'" },
	{ "networks", "[{\"endpoint\": \"e\", \"network\": \"n\", \"ifname\": "
	  "\"eth0123456789abcdef\", \"ip\": \"10.1.0.5/24\", \"gateway\": null}]", "'ifname'" },
	{ "networks", "[{}, {}, {}, {}, {}, {}, {}, {}, {}]", "'networks'" },
	{ "ports", "[\"80\"]", "'ports'" },
	{ "created", "-1", "'created'" },
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_hostile_fields(void **state)
{
	struct container_record r, back;
	char path[BPFNET_PATH_MAX];

	(void)state;
	make_record(&r, "h1", ID1);
	save(&r);
	record_path("h1", "container.json", path, sizeof(path));
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		const struct mutation *m = &mutations[i];
		json_t *o = record_to_json(&r), *v = NULL;
		struct run_err e = {};
		char *text;

		unit_case("%s = %s", m->key, m->json ? m->json : "(deleted)");
		if (m->json) {
			v = json_loads(m->json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
			assert_non_null(v);
			json_object_set_new(o, m->key, v);
		} else {
			json_object_del(o, m->key);
		}
		text = json_dumps(o, 0);
		write_file(path, text);
		free(text);
		json_decref(o);
		assert_int_equal(record_load("h1", &back, &e), -EUCLEAN);
		assert_has(e.msg, m->named);
		assert_has(e.msg, path);
		assert_null(back.argv);
	}
	unit_case_end();
	/* not JSON, not an object, duplicate keys, a symlink */
	const char *texts[] = { "", "{", "[1, 2]", "{\"version\": 1, \"version\": 1}", "null" };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct run_err e = {};

		unit_case("container.json: '%s'", texts[i]);
		write_file(path, texts[i]);
		assert_int_equal(record_load("h1", &back, &e), -EUCLEAN);
		assert_has(e.msg, path);
	}
	unit_case_end();
	unlink(path);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(record_load("h1", &back, NULL), -EUCLEAN);
	remove_record("h1");
	/* a name that is none: refused before any path is made of it */
	assert_int_equal(record_load("../h1", &back, NULL), -EINVAL);
	assert_int_equal(record_remove("..", NULL), -EINVAL);
}

static void test_list_find(void **state)
{
	struct container_record r, found, *list;
	struct run_err e = {};
	char dir[BPFNET_PATH_MAX];
	size_t n, bad;

	(void)state;
	make_record(&r, "f1", ID1);
	save(&r);
	make_record(&r, "f2", ID2);
	r.created = 1600000000;
	save(&r);
	/* a directory whose remove was cut short (no container.json): no record, not "bad" */
	record_path("f3", NULL, dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(record_list(&list, &n, &bad, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(bad, 0);
	assert_string_equal(list[0].name, "f2");	/* older first */
	record_list_free(list, n);
	assert_int_equal(record_find("f1", &found, &e), 0);
	assert_string_equal(found.id, ID1);
	record_free(&found);
	assert_int_equal(record_find("0123456789abf", &found, &e), 0);
	assert_string_equal(found.name, "f2");
	record_free(&found);
	assert_int_equal(record_find("0123456789ab", &found, &e), -EINVAL);
	assert_has(e.msg, "2 container IDs");
	assert_int_equal(record_find("fedc", &found, &e), -ENOENT);
	remove_record("f1");
	remove_record("f2");
	remove_record("f3");
}

static void test_proc_start_time(void **state)
{
	struct proc_id self, gone;
	uint64_t st;
	pid_t child;

	(void)state;
	assert_int_equal(proc_self(&self, NULL), 0);
	assert_true(proc_alive(&self));
	gone = self;
	gone.start_time++;
	assert_false(proc_alive(&gone));	/* the same PID, another process */
	child = fork();
	if (!child)
		_exit(0);
	/* a zombie until reaped: not alive */
	for (int i = 0; i < 200 && !proc_start_time(child, &st); i++)
		usleep(5000);
	assert_int_equal(proc_start_time(child, &st), -ESRCH);
	waitpid(child, NULL, 0);
	assert_int_equal(proc_start_time(child, &st), -ESRCH);
	assert_int_equal(proc_start_time(0, &st), -ESRCH);
}

/* init and waiter gone: the first to look tears it down, with the status init wrote */
static void test_refresh_teardown(void **state)
{
	struct container_record r, now;
	char path[BPFNET_PATH_MAX];
	struct run_err e = {};
	pid_t child;

	(void)state;
	make_record(&r, "rf1", ID1);
	strcpy(r.network_mode, "none");
	r.n_nets = 0;
	r.n_ports = 0;
	r.userns = false;
	child = fork();
	if (!child)
		_exit(0);
	waitpid(child, NULL, 0);
	r.init_pid = child;	/* a process that was, and is no more */
	r.waiter.pid = child;
	r.waiter.start_time = 1;
	save(&r);
	record_path("rf1", "status", path, sizeof(path));
	write_file(path, "42\n");
	assert_int_equal(record_load("rf1", &now, &e), 0);
	assert_int_equal(record_refresh(&now, -1, &e), 0);
	assert_int_equal(now.state, CONTAINER_EXITED);
	assert_int_equal(now.exit_status, 42);
	record_free(&now);
	/* saved so: the next look needs no teardown */
	assert_int_equal(record_load("rf1", &now, &e), 0);
	assert_int_equal(now.state, CONTAINER_EXITED);
	assert_int_equal(now.waiter.pid, 0);
	record_free(&now);
	remove_record("rf1");
	/* with --rm it is gone afterwards */
	r.auto_remove = true;
	save(&r);
	assert_int_equal(record_load("rf1", &now, &e), 0);
	assert_int_equal(record_refresh(&now, -1, &e), -ENOENT);
	record_free(&now);
	assert_int_equal(record_load("rf1", &now, NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hostile_fields),
		cmocka_unit_test(test_list_find),
		cmocka_unit_test(test_proc_start_time),
		cmocka_unit_test(test_refresh_teardown),
	};
	char cmd[128];
	int ret;

	strcpy(run_dir, "/tmp/bpfnet-record.XXXXXX");
	if (!mkdtemp(run_dir))
		return 1;
	setenv("BPFNET_RUN_DIR", run_dir, 1);
	setenv("BPFNET_CGROUP_PARENT", "bpfnet-unit-record", 1);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", run_dir);
	if (system(cmd))
		ret = 1;
	return ret;
}
