// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The runtime's cgroups (user/run/cgroup.c, mountinfo.c) on this machine's
 * real hierarchies, under a parent of this test's own
 * (BPFNET_CGROUP_PARENT=bpfnet-unit-<pid>) that every case's teardown kills
 * and removes in every hierarchy, also when the case failed: limits read back
 * from the kernel's files, real children attached, OOM-killed, counted,
 * signalled, limited in pids and CPU; --memory/--cpus/--pids parsed; crafted
 * and random mountinfo lines parsed without harm.
 */
#include <errno.h>
#include <glob.h>
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "asserts.h"

#include "cgroup.h"
#include "cgroup_impl.h"
#include "mountinfo.h"

static char parent[64];		/* bpfnet-unit-<pid> */

/* ---- the test's own cleanup, independent of the code under test ---- */

static void kill_tree(const char *dir)
{
	char path[1024], buf[8192], *line, *save = NULL;
	struct dirent *de;
	FILE *f;
	DIR *d;
	size_t n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (atoi(line) > 0 && atoi(line) != getpid())
				kill(atoi(line), SIGKILL);
	}
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			kill_tree(path);
		}
	closedir(d);
}

static int rmdir_tree(const char *dir)
{
	char path[1024];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d)))
			if (de->d_type == DT_DIR && de->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
				rmdir_tree(path);
			}
		closedir(d);
	}
	return rmdir(dir) && errno != ENOENT ? -1 : 0;
}

/* Every <hierarchy>/<parent> of this test: its processes killed, its dirs removed. */
static int cleanup(void **state)
{
	char pattern[2][128];
	glob_t g;
	int tries, left, p;
	size_t i;

	(void)state;
	setenv("BPFNET_CGROUP_PARENT", parent, 1);	/* a case that set another one failed */
	snprintf(pattern[0], sizeof(pattern[0]), "/sys/fs/cgroup/*/%s", parent);
	snprintf(pattern[1], sizeof(pattern[1]), "/sys/fs/cgroup/%s", parent);
	for (tries = 0; tries < 200; tries++) {
		left = 0;
		for (p = 0; p < 2; p++) {
			if (glob(pattern[p], GLOB_ONLYDIR, NULL, &g))
				continue;
			for (i = 0; i < g.gl_pathc; i++) {
				kill_tree(g.gl_pathv[i]);
				left += rmdir_tree(g.gl_pathv[i]) ? 1 : 0;
			}
			globfree(&g);
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!left)
			break;
		usleep(10000);
	}
	return 0;
}

static int group_setup(void **state)
{
	snprintf(parent, sizeof(parent), "bpfnet-unit-%d", (int)getpid());
	return cleanup(state);
}

/* ---- helpers ---- */

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/*
 * No hierarchy (only the v1 ones if @v1_only) has a directory @name under the
 * tests' parent, nor (if @parent_too) the parent itself.
 */
static void expect_absent(const char *name, bool v1_only, bool parent_too)
{
	struct cg_mounts ms;
	char path[1024];
	size_t i;

	assert_int_equal(cg_mounts_load(&ms, NULL), 0);
	for (i = 0; i < ms.n; i++) {
		if (v1_only && ms.m[i].v2)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", ms.m[i].path, parent, name);
		unit_case("%.150s", path);
		assert_false(exists(path));
		snprintf(path, sizeof(path), "%s/%s", ms.m[i].path, parent);
		unit_case("%.150s", path);
		assert_false(parent_too && exists(path));
		unit_case_end();
	}
}

static void read_text(const char *dir, const char *file, char *buf, size_t len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	assert_cmp(cg_read_file(path, buf, len), >=, 0);
	buf[strcspn(buf, "\n")] = '\0';
}

static unsigned long long read_num(const char *dir, const char *file)
{
	char buf[64];

	read_text(dir, file, buf, sizeof(buf));
	return strtoull(buf, NULL, 10);
}

/* A child that waits for a byte on @go (after the parent attached it), then runs @fn. */
static pid_t fork_waiting(int *go, int (*fn)(void))
{
	int p[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_cmp(pid, >=, 0);
	if (!pid) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(100);
		_exit(fn());
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

static void release(int go)
{
	assert_int_equal(write(go, "g", 1), 1);
	close(go);
}

static __attribute__((noreturn)) int sleep_forever(void)
{
	for (;;)
		pause();
}

static int ignore_term_and_sleep(void)
{
	signal(SIGTERM, SIG_IGN);
	return sleep_forever();
}

/* ---- parsing ---- */

static void test_parse_memory(void **state)
{
	static const struct { const char *s; uint64_t want; } good[] = {
		{ "64m", 64ULL << 20 }, { "1g", 1ULL << 30 }, { "1G", 1ULL << 30 },
		{ "8192k", 8ULL << 20 }, { "6291456", 6ULL << 20 }, { "64MiB", 64ULL << 20 },
		{ "64mb", 64ULL << 20 }, { "64MB", 64ULL << 20 }, { "64 m", 64ULL << 20 },
		{ "1.5g", 3ULL << 29 }, { "1t", 1ULL << 40 }, { "7000000b", 7000000 },
	};
	static const char *const bad[] = {
		"", "0", "0m", "-1", "-64m", "64x", "m", "1048576", "5m", "512k", "64mm",
		"1.5.5g", "1.", ".5g", "67108864 ", "64  m", "99999999999999999999", "16777216t", "9223372036854775808", "64m ",
		" 64m", "0x10m", "1e9", "64ib", "64bm", "1.g", ".", "64\n",
	};
	struct run_err e;
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		unit_case("memory \"%s\"", good[i].s);
		v = 0;
		assert_int_equal(cg_limits_parse_memory(good[i].s, &v, &e), 0);
		unit_case("memory \"%s\"", good[i].s);
		assert_int_equal(v, good[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		v = 12345;
		unit_case("memory \"%s\"", bad[i]);
		assert_cmp(cg_limits_parse_memory(bad[i], &v, &e), <, 0);
		unit_case("memory \"%s\"", bad[i]);
		assert_int_equal(v, 12345);
		assert_has(e.msg, "--memory");
	}
	assert_int_equal(cg_limits_parse_memory("5m", &v, &e), -EINVAL);
	assert_has(e.msg, "6MiB");
	assert_int_equal(cg_limits_parse_memory("99999999999999999999", &v, &e), -ERANGE);
}

static void test_parse_cpus(void **state)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	static const struct { const char *s; uint64_t quota; } good[] = {
		{ "0.2", 20000 }, { "1", 100000 }, { "0.01", 1000 }, { ".5", 50000 },
		{ "0.25", 25000 }, { "1.0", 100000 }, { "0.3333333333333", 33333 },
	};
	static const char *const bad[] = {
		"0", "0.0", "-1", "-0.5", "abc", "", "0.001", "0.009", "1.5x", "1e3", "1,5", "1.",
		"99999999999999999999999", " 1", "1 ", ".", "0x1",
	};
	char more[32], all[32];
	struct cg_limits lim;
	struct run_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&lim, 0, sizeof(lim));
		unit_case("cpus \"%s\"", good[i].s);
		assert_int_equal(cg_limits_parse_cpus(good[i].s, &lim, &e), 0);
		unit_case("cpus \"%s\"", good[i].s);
		assert_int_equal(lim.cpu_quota_us, good[i].quota);
		assert_int_equal(lim.cpu_period_us, 100000);
	}
	if (n >= 2) {
		assert_int_equal(cg_limits_parse_cpus("1.5", &lim, &e), 0);
		assert_int_equal(lim.cpu_quota_us, 150000);
	}
	snprintf(all, sizeof(all), "%ld", n);
	assert_int_equal(cg_limits_parse_cpus(all, &lim, &e), 0);
	assert_int_equal(lim.cpu_quota_us, (uint64_t)n * 100000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&lim, 0, sizeof(lim));
		unit_case("cpus \"%s\"", bad[i]);
		assert_int_equal(cg_limits_parse_cpus(bad[i], &lim, &e), -EINVAL);
		unit_case("cpus \"%s\"", bad[i]);
		assert_int_equal(lim.cpu_quota_us, 0);
		assert_has(e.msg, "--cpus");
	}
	/* more than the machine has, by a little and by a whole CPU */
	snprintf(more, sizeof(more), "%ld.5", n);
	assert_int_equal(cg_limits_parse_cpus(more, &lim, &e), -EINVAL);
	snprintf(more, sizeof(more), "%ld CPUs", n);
	assert_has(e.msg, more);
	snprintf(more, sizeof(more), "%ld", n + 1);
	assert_int_equal(cg_limits_parse_cpus(more, &lim, &e), -EINVAL);
	assert_has(e.msg, "0.01");
}

static void test_parse_pids(void **state)
{
	static const struct { const char *s; uint64_t want; } good[] = {
		{ "1", 1 }, { "10", 10 }, { "4194304", 4194304 }, { "0010", 10 },
	};
	static const char *const bad[] = {
		"0", "-1", "", "10a", "4194305", "99999999999999999999999", " 10", "+10", "1.5",
		"0x10", "10 ",
	};
	struct run_err e;
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		unit_case("pids \"%s\"", good[i].s);
		assert_int_equal(cg_limits_parse_pids(good[i].s, &v, &e), 0);
		unit_case("pids \"%s\"", good[i].s);
		assert_int_equal(v, good[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		unit_case("pids \"%s\"", bad[i]);
		assert_cmp(cg_limits_parse_pids(bad[i], &v, &e), <, 0);
		unit_case("pids \"%s\"", bad[i]);
		assert_int_equal(v, 7);
		assert_has(e.msg, "--pids");
	}
}

/* ---- mountinfo ---- */

static void test_mountinfo_lines(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime cgroup cgroup rw,cpu",	/* no '-' */
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup",	/* no super opts */
		"32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu extra",
		"32 31 0:29 / /sys/fs/cgroup/cpu",
		"x 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu",
		"32 31 029 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu",
		"32 31 0: / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu",
		"32 -31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu",
		"32 31 0:29 / relative rw - cgroup cgroup rw,cpu",
		"32 31 0:29 / /a\\04 rw - cgroup cgroup rw,cpu",
		"32 31 0:29 / /a\\999 rw - cgroup cgroup rw,cpu",
		"32 31 0:29 / /a\\ rw - cgroup cgroup rw,cpu",
		"32 31 0:29 / /a\\000b rw - cgroup cgroup rw,cpu",
		"32 31 0:29 / /a\\x41 rw - cgroup cgroup rw,cpu",
		"32  31 0:29 / /a rw - cgroup cgroup rw,cpu",
		" 32 31 0:29 / /a rw - cgroup cgroup rw,cpu",
		"32 31 0:29 / /a rw - cgroup cgroup rw,cpu ",
		"32 31 0:29 / /a\trw - cgroup cgroup rw,cpu",
		"32 31 0:29 / /a rw -",
		"- - - - - - - - - -",
		"99999999999 31 0:29 / /a rw - cgroup cgroup rw,cpu",
	};
	struct mountinfo_entry me;
	char longline[5000], small[4];
	size_t i;

	(void)state;
	assert_int_equal(mountinfo_parse_line(
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:7 - cgroup cgroup rw,cpu\n",
		&me), 0);
	assert_string_equal(me.mount_point, "/sys/fs/cgroup/cpu");
	assert_string_equal(me.root, "/");
	assert_string_equal(me.fstype, "cgroup");
	assert_string_equal(me.super_opts, "rw,cpu");
	assert_int_equal(me.major, 0);
	assert_int_equal(me.minor, 29);

	/* escapes in paths; several optional fields; none */
	assert_int_equal(mountinfo_parse_line(
		"7 1 8:1 /sub\\040dir /mnt/a\\040b\\011c\\134d\\012e rw shared:1 master:2 propagate_from:3 - cgroup2 none rw,nsdelegate",
		&me), 0);
	assert_string_equal(me.root, "/sub dir");
	assert_string_equal(me.mount_point, "/mnt/a b\tc\\d\ne");
	assert_string_equal(me.fstype, "cgroup2");
	assert_string_equal(me.super_opts, "rw,nsdelegate");
	assert_int_equal(me.major, 8);
	assert_int_equal(mountinfo_parse_line("41 31 0:38 / /u rw - cgroup2 cgroup2 rw", &me), 0);
	assert_string_equal(me.mount_point, "/u");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unit_case("line %zu \"%s\"", i, bad[i]);
		assert_int_equal(mountinfo_parse_line(bad[i], &me), -EINVAL);
	}
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "1 2 0:3 / /", 11);
	assert_int_equal(mountinfo_parse_line(longline, &me), -EINVAL);
	/* a path longer than a field holds */
	memcpy(longline + 3000, " rw - cgroup cgroup rw,cpu", 27);
	assert_int_equal(mountinfo_parse_line(longline, &me), -EINVAL);

	assert_int_equal(mountinfo_unescape("a\\040b", small, sizeof(small)), 0);
	assert_string_equal(small, "a b");
	assert_int_equal(mountinfo_unescape("abcd", small, sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(mountinfo_unescape("", small, 0), -ENAMETOOLONG);
}

/* Random bytes and mutations of a good line: parsed or refused, never a crash or overrun. */
static void test_mountinfo_garbage(void **state)
{
	static const char good[] =
		"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory";
	static const char alphabet[] = " -:/\\0123456789abcrw,\t\n";
	struct mountinfo_entry me;
	char line[256];
	unsigned int seed = 11;
	int i, j, rc, ok = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		if (i % 2) {
			int len = rand_r(&seed) % (int)(sizeof(line) - 1);

			for (j = 0; j < len; j++)
				line[j] = (i % 4 == 1) ? (char)(1 + rand_r(&seed) % 255)
						       : alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
			line[len] = '\0';
		} else {
			strcpy(line, good);
			for (j = rand_r(&seed) % 4; j >= 0; j--)
				line[rand_r(&seed) % (sizeof(good) - 1)] =
					alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		}
		rc = mountinfo_parse_line(line, &me);
		unit_case("line \"%.140s\"", line);
		assert_true(rc == 0 || rc == -EINVAL);
		if (!rc) {
			ok++;
			assert_true(me.mount_point[0] == '/');
			assert_true(strlen(me.super_opts) < sizeof(me.super_opts));
		}
		unit_case_end();
	}
	/* some mutations leave a line that still parses: the table above was not all refusals */
	assert_cmp(ok, >, 0);
}

static void test_mountinfo_stream(void **state)
{
	char text[16384], *p = text;
	struct cg_mounts ms;
	const struct cg_mount *m;
	FILE *f;
	int i;

	(void)state;
	p += sprintf(p, "garbage\n\n1 2 3\n");
	p += sprintf(p, "20 1 0:5 / /proc rw - proc proc rw\n");
	/* a bind mount of a subtree first, then the hierarchy's top: the top is kept */
	p += sprintf(p, "30 1 0:40 /sub /elsewhere rw - cgroup cgroup rw,memory\n");
	p += sprintf(p, "31 1 0:40 / /cg/mem\\040ory rw - cgroup cgroup rw,memory\n");
	p += sprintf(p, "32 1 0:41 / /cg/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n");
	p += sprintf(p, "33 1 0:42 / /cg/systemd rw - cgroup cgroup rw,xattr,name=systemd\n");
	/* an over-long line whose tail looks like a cgroup2 mount: skipped whole */
	p += sprintf(p, "34 1 0:43 / /");
	for (i = 0; i < 5000; i++)
		*p++ = 'x';
	p += sprintf(p, " 99 1 0:44 / /fake rw - cgroup2 cgroup2 rw\n");
	p += sprintf(p, "35 1 0:45 / /cg/unified rw - cgroup2 cgroup2 rw\n");
	p += sprintf(p, "36 1 0:46 / /cg/pids rw - cgroup cgroup rw,pids");	/* no '\n' at EOF */
	f = fmemopen(text, (size_t)(p - text), "r");
	assert_non_null(f);
	assert_int_equal(cg_mounts_read(f, &ms), 0);
	fclose(f);
	assert_int_equal(ms.n, 5);
	m = cg_mounts_v1(&ms, "memory");
	assert_non_null(m);
	assert_string_equal(m->path, "/cg/mem ory");
	assert_true(m->root_is_top);
	assert_ptr_equal(cg_mounts_v1(&ms, "cpu"), cg_mounts_v1(&ms, "cpuacct"));
	assert_string_equal(cg_mounts_v1(&ms, "cpu")->path, "/cg/cpu,cpuacct");
	assert_string_equal(cg_mounts_v1(&ms, "name=systemd")->path, "/cg/systemd");
	assert_string_equal(cg_mounts_v1(&ms, "pids")->path, "/cg/pids");
	assert_null(cg_mounts_v1(&ms, "systemd"));
	assert_null(cg_mounts_v1(&ms, "rw"));
	assert_string_equal(cg_mounts_v1(&ms, "xattr")->opts, "xattr,name=systemd");
	assert_null(cg_mounts_v1(&ms, "cpus"));
	assert_string_equal(cg_mounts_v2(&ms)->path, "/cg/unified");
}

/* What this machine's mountinfo says agrees with /proc/self/cgroup. */
static void test_mountinfo_this_machine(void **state)
{
	char line[512], *ctls, *save = NULL, *c;
	struct cg_mounts ms;
	const struct cg_mount *m;
	struct run_err e;
	bool v2_line = false;
	char path[600];
	FILE *f;

	(void)state;
	assert_int_equal(cg_mounts_load(&ms, &e), 0);
	f = fopen("/proc/self/cgroup", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		ctls = strchr(line, ':') + 1;
		*strchr(ctls, ':') = '\0';
		if (!*ctls) {
			v2_line = true;
			continue;
		}
		for (c = strtok_r(ctls, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
			unit_case("controller %s", c);
			m = cg_mounts_v1(&ms, c);
			assert_non_null(m);
			snprintf(path, sizeof(path), "%s/cgroup.procs", m->path);
			assert_true(exists(path));
			unit_case_end();
		}
	}
	fclose(f);
	assert_int_equal(cg_mounts_v2(&ms) != NULL, v2_line);
}

/* ---- real cgroups ---- */

/* The directory @controller's role must have: v2 when the v2 root offers it, else v1. */
static void expect_dir(const struct cgroup *cg, const char *controller, const char *name)
{
	struct cg_mounts ms;
	const struct cg_mount *v2, *v1;
	char ctl[512] = "", want[1024], path[600];
	bool on_v2;

	assert_int_equal(cg_mounts_load(&ms, NULL), 0);
	v2 = cg_mounts_v2(&ms);
	v1 = cg_mounts_v1(&ms, controller);
	if (v2) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", v2->path);
		cg_read_file(path, ctl, sizeof(ctl));
	}
	on_v2 = v2 && strstr(ctl, !strcmp(controller, "cpuacct") ? "cpu" : controller);
	if (!on_v2 && !v1)
		return;
	snprintf(want, sizeof(want), "%s/%s/%s", on_v2 ? v2->path : v1->path, parent, name);
	unit_case("%s", controller);
	assert_non_null(cg_path(cg, controller));
	unit_case("%s", controller);
	assert_string_equal(cg_path(cg, controller), want);
	assert_int_equal(cg_path_is_v2(cg, controller), on_v2);
	assert_true(exists(want));
	unit_case_end();
}

static void test_create_limits_read_back(void **state)
{
	struct cg_limits lim = { .memory_bytes = 64ULL << 20, .pids_max = 20 };
	struct cgroup *cg;
	struct run_err e = { 0 };
	const char *d;
	char buf[128], path[1024];

	(void)state;
	assert_int_equal(cg_limits_parse_cpus("0.5", &lim, &e), 0);
	assert_int_equal(cg_create("t-limits", &lim, &cg, &e), 0);
	expect_dir(cg, "memory", "t-limits");
	expect_dir(cg, "cpu", "t-limits");
	expect_dir(cg, "cpuacct", "t-limits");
	expect_dir(cg, "pids", "t-limits");

	d = cg_path(cg, "memory");
	assert_non_null(d);
	if (cg_path_is_v2(cg, "memory")) {
		assert_int_equal(read_num(d, "memory.max"), 64ULL << 20);
	} else {
		assert_int_equal(read_num(d, "memory.limit_in_bytes"), 64ULL << 20);
		snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes", d);
		if (exists(path))
			assert_int_equal(read_num(d, "memory.memsw.limit_in_bytes"), 64ULL << 20);
	}
	d = cg_path(cg, "cpu");
	assert_non_null(d);
	if (cg_path_is_v2(cg, "cpu")) {
		read_text(d, "cpu.max", buf, sizeof(buf));
		assert_string_equal(buf, "50000 100000");
	} else {
		assert_int_equal(read_num(d, "cpu.cfs_quota_us"), 50000);
		assert_int_equal(read_num(d, "cpu.cfs_period_us"), 100000);
	}
	d = cg_path(cg, "pids");
	assert_non_null(d);
	assert_int_equal(read_num(d, "pids.max"), 20);
	/* the v2 tree gets its directory whatever its controllers */
	if (cg_path(cg, NULL)) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg_path(cg, NULL));
		assert_true(exists(path));
	}
	assert_int_equal(cg_remove(cg, &e), 0);
	cg_free(cg);
}

/* The controllers' files show their defaults without limits: "none" is none. */
static void test_create_without_limits(void **state)
{
	struct cgroup *cg;
	struct run_err e;
	char buf[64];

	(void)state;
	uint64_t ns;

	(void)buf;
	assert_int_equal(cg_create("t-nolimits", NULL, &cg, &e), 0);
	if (cg_path(cg, "pids")) {
		read_text(cg_path(cg, "pids"), "pids.max", buf, sizeof(buf));
		assert_string_equal(buf, "max");
	}
	if (cg_path(cg, "cpu") && !cg_path_is_v2(cg, "cpu")) {
		read_text(cg_path(cg, "cpu"), "cpu.cfs_quota_us", buf, sizeof(buf));
		assert_string_equal(buf, "-1");
	}
	/* with a v2 tree, no v1 hierarchy gets a directory for no limit: nothing to move into */
	if (cg_v2_dir(cg)) {
		assert_true(exists(cg_v2_dir(cg)));
		assert_null(cg_path(cg, "memory") && !cg_path_is_v2(cg, "memory") ? "" : NULL);
		assert_null(cg_path(cg, "pids") && !cg_path_is_v2(cg, "pids") ? "" : NULL);
		assert_null(cg_path(cg, "cpu") && !cg_path_is_v2(cg, "cpu") ? "" : NULL);
		expect_absent("t-nolimits", true, false);
		/* CPU time then comes from the v2 tree's cpu.stat */
		assert_int_equal(cg_cpu_usage_ns(cg, &ns, &e), 0);
	}
	assert_int_equal(cg_remove(cg, &e), 0);
	cg_free(cg);
}

/* Does @cg have a v1 directory for controller @c, and is @ctls (a /proc/PID/cgroup field) its? */
static bool has_v1(struct cgroup *cg, const char *ctls, const char *c)
{
	return strstr(ctls, c) && cg_path(cg, c) && !cg_path_is_v2(cg, c);
}

/* Each line of /proc/@pid/cgroup for a hierarchy @cg has a directory in shows it there. */
static void expect_in(struct cgroup *cg, pid_t pid, const char *name)
{
	char path[64], line[512], want[256];
	int matched = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(want, sizeof(want), "/%s/%s\n", parent, name);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *ctls = strchr(line, ':') + 1, *where = strchr(ctls, ':') + 1;
		bool ours = where == ctls + 1;	/* "0::" the v2 tree */

		ours = ours || has_v1(cg, ctls, "memory") || has_v1(cg, ctls, "cpu") ||
		       has_v1(cg, ctls, "pids");
		if (strstr(ctls, "cpuset"))
			ours = false;
		if (!ours)
			continue;
		unit_case("%.150s", line);
		assert_string_equal(where, want);
		unit_case_end();
		matched++;
	}
	fclose(f);
	assert_cmp(matched, >=, 1);
}

static void test_attach_pids_signal(void **state)
{
	struct cgroup *cg, *again;
	struct run_err e;
	pid_t pid, *pids;
	size_t n;
	int status;

	(void)state;
	assert_int_equal(cg_create("t-attach", NULL, &cg, &e), 0);
	assert_int_equal(cg_pids(cg, &pids, &n, &e), 0);
	assert_int_equal(n, 0);
	free(pids);
	pid = fork();
	assert_cmp(pid, >=, 0);
	if (!pid)
		_exit(sleep_forever());
	assert_int_equal(cg_attach(cg, pid, &e), 0);
	expect_in(cg, pid, "t-attach");
	assert_int_equal(cg_pids(cg, &pids, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], pid);
	free(pids);
	/* another handle on the same cgroup, as exec and stop get it */
	assert_int_equal(cg_open("t-attach", &again, &e), 0);
	assert_int_equal(cg_pids(again, &pids, &n, &e), 0);
	assert_int_equal(n, 1);
	free(pids);
	assert_int_equal(cg_signal(again, SIGTERM, &e), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(cg_pids(cg, &pids, &n, &e), 0);
	assert_int_equal(n, 0);
	free(pids);
	cg_free(again);
	assert_int_equal(cg_remove(cg, &e), 0);
	cg_free(cg);
}

/* Allocate and touch 512 MiB, a MiB at a time. */
static int allocate(void)
{
	size_t mib = 1 << 20;
	int i;

	for (i = 0; i < 512; i++) {
		char *p = mmap(NULL, mib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 3;
		memset(p, i, mib);
	}
	return 0;
}

static void test_memory_limit_oom_kills(void **state)
{
	struct cg_limits lim = { .memory_bytes = 16ULL << 20 };
	struct cgroup *cg;
	struct run_err e;
	bool killed = true;
	int go, status;
	pid_t pid;

	(void)state;
	assert_int_equal(cg_create("t-oom", &lim, &cg, &e), 0);
	assert_int_equal(cg_oom_killed(cg, &killed, &e), 0);
	assert_false(killed);
	pid = fork_waiting(&go, allocate);
	assert_int_equal(cg_attach(cg, pid, &e), 0);
	release(go);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_int_equal(cg_oom_killed(cg, &killed, &e), 0);
	assert_true(killed);
	assert_int_equal(cg_remove(cg, &e), 0);
	cg_free(cg);
}

static __attribute__((noreturn)) int busy(void)
{
	volatile unsigned long x = 0;

	for (;;)
		x++;
}

static uint64_t elapsed_ns(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (uint64_t)(b.tv_sec - a->tv_sec) * 1000000000ULL + (uint64_t)b.tv_nsec -
	       (uint64_t)a->tv_nsec;
}

/* A busy child's usage grows, and a 0.2 CPU quota holds it near a fifth of the time. */
static void test_cpu_usage_and_quota(void **state)
{
	struct cg_limits lim = { 0 };
	struct timespec t0;
	struct cgroup *cg;
	struct run_err e;
	uint64_t u0, u1, wall;
	int go;
	pid_t pid;

	(void)state;
	assert_int_equal(cg_limits_parse_cpus("0.2", &lim, &e), 0);
	assert_int_equal(cg_create("t-cpu", &lim, &cg, &e), 0);
	assert_int_equal(cg_cpu_usage_ns(cg, &u0, &e), 0);
	assert_int_equal(u0, 0);
	pid = fork_waiting(&go, busy);
	assert_int_equal(cg_attach(cg, pid, &e), 0);
	release(go);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cg_cpu_usage_ns(cg, &u0, &e), 0);
	usleep(1000000);
	assert_int_equal(cg_cpu_usage_ns(cg, &u1, &e), 0);
	wall = elapsed_ns(&t0);
	assert_cmp(u1 - u0, >, 20000000);		/* it ran: > 20 ms of CPU */
	/* 0.2 of the wall time and a period's worth of slack at most */
	assert_cmp(u1 - u0, <, wall / 5 + 100000000);
	assert_int_equal(cg_remove(cg, &e), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	cg_free(cg);
}

/* Fork until refused; the count of children made is the exit status. */
static int fork_until_refused(void)
{
	int n = 0;
	pid_t pid;

	while (n < 100) {
		pid = fork();
		if (pid < 0)
			return errno == EAGAIN ? n : 200;
		if (!pid)
			_exit(sleep_forever());
		n++;
	}
	return n;
}

static void test_pids_limit(void **state)
{
	struct cg_limits lim = { .pids_max = 5 };
	struct cgroup *cg;
	struct run_err e;
	pid_t pid, *pids;
	size_t n;
	int go, status;

	(void)state;
	assert_int_equal(cg_create("t-pids", &lim, &cg, &e), 0);
	pid = fork_waiting(&go, fork_until_refused);
	assert_int_equal(cg_attach(cg, pid, &e), 0);
	release(go);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	/* five tasks: the child and four of its own */
	assert_int_equal(WEXITSTATUS(status), 4);
	/* its orphans stay in the cgroup, and cg_remove() ends them */
	assert_int_equal(cg_pids(cg, &pids, &n, &e), 0);
	assert_int_equal(n, 4);
	free(pids);
	assert_int_equal(cg_remove(cg, &e), 0);
	cg_free(cg);
}

/* No directory of @name, nor the parent, in any hierarchy. */
static void expect_gone(const char *name)
{
	expect_absent(name, false, true);
}

static void test_remove_kills_and_removes_all(void **state)
{
	char sub[1024], procs[1100];
	struct cgroup *cg;
	FILE *f;
	struct run_err e;
	pid_t a, b;
	int status;

	(void)state;
	assert_int_equal(cg_create("t-remove", NULL, &cg, &e), 0);
	a = fork();
	if (!a)
		_exit(sleep_forever());
	b = fork();
	if (!b)
		_exit(ignore_term_and_sleep());
	assert_int_equal(cg_attach(cg, a, &e), 0);
	assert_int_equal(cg_attach(cg, b, &e), 0);
	/* a sub-cgroup the container made for itself, with a process in it */
	snprintf(sub, sizeof(sub), "%s/sub", cg_path(cg, "pids") ? cg_path(cg, "pids")
								 : cg_path(cg, NULL));
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", sub);
	f = fopen(procs, "w");
	assert_non_null(f);
	assert_cmp(fprintf(f, "%d", (int)b), >, 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(cg_remove(cg, &e), 0);
	assert_false(exists(sub));
	assert_int_equal(waitpid(a, &status, 0), a);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(waitpid(b, &status, 0), b);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	expect_gone("t-remove");
	/* idempotent, on the handle and by name; and nothing to open */
	assert_int_equal(cg_remove(cg, &e), 0);
	assert_int_equal(cg_remove_name("t-remove", &e), 0);
	cg_free(cg);
	assert_int_equal(cg_open("t-remove", &cg, &e), -ENOENT);
	assert_has(e.msg, "t-remove");
}

/* A run that died left its cgroup with a process in it: rm finds it by name. */
static void test_remove_name_after_crash(void **state)
{
	struct cgroup *cg;
	struct run_err e;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(cg_create("t-crash", NULL, &cg, &e), 0);
	pid = fork();
	if (!pid)
		_exit(sleep_forever());
	assert_int_equal(cg_attach(cg, pid, &e), 0);
	cg_free(cg);
	assert_int_equal(cg_remove_name("t-crash", &e), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	expect_gone("t-crash");
	assert_int_equal(cg_remove_name("t-crash", &e), 0);
}

/* A limit the kernel refuses leaves nothing made, the parent included. */
static void test_create_all_or_nothing(void **state)
{
	struct cg_limits below_min = { .cpu_quota_us = 10, .cpu_period_us = 100000 };
	struct cg_limits too_many = { .pids_max = 1ULL << 40 };
	struct cgroup *cg = NULL;
	struct run_err e;

	(void)state;
	assert_int_equal(cg_create("t-fail", &below_min, &cg, &e), -EINVAL);
	assert_has(e.msg, "cpu");
	assert_null(cg);
	expect_gone("t-fail");
	assert_int_equal(cg_create("t-fail", &too_many, &cg, &e), -EINVAL);
	assert_has(e.msg, "pids.max");
	expect_gone("t-fail");
}

/* An empty leftover is taken; one with processes in it is refused and left alone. */
static void test_create_takes_empty_refuses_busy(void **state)
{
	struct cg_limits lim = { .pids_max = 9 };
	struct cgroup *cg, *cg2 = NULL;
	struct run_err e;
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(cg_create("t-take", &lim, &cg, &e), 0);
	pid = fork();
	if (!pid)
		_exit(sleep_forever());
	assert_int_equal(cg_attach(cg, pid, &e), 0);
	assert_int_equal(cg_create("t-take", &lim, &cg2, &e), -EEXIST);
	assert_has(e.msg, "t-take");
	assert_true(exists(cg_path(cg, "pids")));
	expect_in(cg, pid, "t-take");
	/* SIGKILL through the cgroup (cgroup.kill where the v2 tree has it) */
	assert_int_equal(cg_signal(cg, SIGKILL, &e), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cg_free(cg);
	assert_int_equal(cg_create("t-take", &lim, &cg2, &e), 0);
	assert_int_equal(read_num(cg_path(cg2, "pids"), "pids.max"), 9);
	assert_int_equal(cg_remove(cg2, &e), 0);
	cg_free(cg2);
}

static void test_bad_names_and_parents(void **state)
{
	static const char *const names[] = { "", "../x", "a/b", ".x", "-x", "a b", "..", "x\n" };
	static const char *const parents[] = { "/abs", "a/../b", "..", "a//b", "a/", "a b", "",
					       "./a", "a/.", "x\ny" };
	char nested[128], longname[300], path[1024];
	struct cgroup *cg = NULL;
	struct run_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		unit_case("name \"%s\"", names[i]);
		assert_int_equal(cg_create(names[i], NULL, &cg, &e), -EINVAL);
		unit_case_end();
	}
	assert_int_equal(cg_create(NULL, NULL, &cg, &e), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(cg_create(longname, NULL, &cg, &e), -EINVAL);
	for (i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		setenv("BPFNET_CGROUP_PARENT", parents[i], 1);
		unit_case("parent \"%s\"", parents[i]);
		assert_int_equal(cg_create("t-bad", NULL, &cg, &e), -EINVAL);
		unit_case("parent \"%s\"", parents[i]);
		assert_has(e.msg, "BPFNET_CGROUP_PARENT");
		assert_int_equal(cg_remove_name("t-bad", &e), -EINVAL);
		unit_case_end();
	}
	assert_null(cg);
	/* a nested parent is made and removed level by level */
	snprintf(nested, sizeof(nested), "%s/nested", parent);
	setenv("BPFNET_CGROUP_PARENT", nested, 1);
	assert_int_equal(cg_create("t-nested", NULL, &cg, &e), 0);
	snprintf(path, sizeof(path), "/%s/t-nested", nested);
	assert_non_null(strstr(cg_path(cg, "pids") ? cg_path(cg, "pids") : cg_path(cg, NULL),
			       path));
	assert_int_equal(cg_remove(cg, &e), 0);
	cg_free(cg);
	setenv("BPFNET_CGROUP_PARENT", parent, 1);
	expect_gone("t-nested");
}

/* A limit whose controller no hierarchy has is refused naming it; without the limit, fine. */
static void test_missing_controller(void **state)
{
	struct cg_limits lim = { .memory_bytes = 64ULL << 20 };
	struct cg_mounts all, only_v2 = { 0 };
	const struct cg_mount *v2;
	char ctl[512] = "", path[600];
	struct cgroup *cg = NULL;
	struct run_err e;

	(void)state;
	assert_int_equal(cg_mounts_load(&all, &e), 0);
	v2 = cg_mounts_v2(&all);
	if (!v2)
		skip();
	snprintf(path, sizeof(path), "%s/cgroup.controllers", v2->path);
	cg_read_file(path, ctl, sizeof(ctl));
	if (strstr(ctl, "memory"))
		skip();		/* a v2 host: memory is there */
	only_v2.m[0] = *v2;
	only_v2.n = 1;
	assert_int_equal(cg_create_on(&only_v2, "t-missing", &lim, &cg, &e), -EOPNOTSUPP);
	assert_has(e.msg, "memory");
	assert_has(e.msg, "--memory");
	assert_null(cg);
	expect_gone("t-missing");
	assert_int_equal(cg_create_on(&only_v2, "t-missing", NULL, &cg, &e), 0);
	assert_non_null(cg_path(cg, NULL));
	assert_null(cg_path(cg, "memory"));
	assert_int_equal(cg_remove(cg, &e), 0);
	cg_free(cg);
	expect_gone("t-missing");
}

/* cg_remove() refuses to kill its own caller. */
static void test_remove_refuses_self(void **state)
{
	struct cgroup *cg;
	struct run_err e;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(cg_create("t-self", NULL, &cg, &e), 0);
	pid = fork();
	assert_cmp(pid, >=, 0);
	if (!pid) {
		if (cg_attach(cg, 0, &e))
			_exit(1);
		if (cg_remove(cg, &e) != -EBUSY || !strstr(e.msg, "this process"))
			_exit(2);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(cg_remove(cg, &e), 0);
	cg_free(cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_memory),
		cmocka_unit_test(test_parse_cpus),
		cmocka_unit_test(test_parse_pids),
		cmocka_unit_test(test_mountinfo_lines),
		cmocka_unit_test(test_mountinfo_garbage),
		cmocka_unit_test(test_mountinfo_stream),
		cmocka_unit_test(test_mountinfo_this_machine),
		cmocka_unit_test_teardown(test_create_limits_read_back, cleanup),
		cmocka_unit_test_teardown(test_create_without_limits, cleanup),
		cmocka_unit_test_teardown(test_attach_pids_signal, cleanup),
		cmocka_unit_test_teardown(test_memory_limit_oom_kills, cleanup),
		cmocka_unit_test_teardown(test_cpu_usage_and_quota, cleanup),
		cmocka_unit_test_teardown(test_pids_limit, cleanup),
		cmocka_unit_test_teardown(test_remove_kills_and_removes_all, cleanup),
		cmocka_unit_test_teardown(test_remove_name_after_crash, cleanup),
		cmocka_unit_test_teardown(test_create_all_or_nothing, cleanup),
		cmocka_unit_test_teardown(test_create_takes_empty_refuses_busy, cleanup),
		cmocka_unit_test_teardown(test_bad_names_and_parents, cleanup),
		cmocka_unit_test_teardown(test_missing_controller, cleanup),
		cmocka_unit_test_teardown(test_remove_refuses_self, cleanup),
	};

	return cmocka_run_group_tests(tests, group_setup, cleanup);
}
