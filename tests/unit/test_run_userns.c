// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --userns ranges (user/run/userns.c) in a temp dir of the test's own:
 * taken in order, given back, never the same for two takers that race
 * (processes forked to take at once), -ENOSPC after the last; and the maps
 * written to a real child in a new user namespace, whose root then creates a
 * file owned by the range's first uid outside.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "asserts.h"

#include "userns.h"

static char dir[64];

static int rm_rf(const char *path)
{
	char sub[512];
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return unlink(path) && errno != ENOENT ? -errno : 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rm_rf(sub);
		}
	closedir(d);
	return rmdir(path) ? -errno : 0;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/bpfnet-userns.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(dir);
}

static void read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static int count_files(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_take_and_release(void **state)
{
	struct userns_range a, b, c, none = { 0 };
	struct run_err e;
	char path[128], text[64];

	(void)state;
	assert_int_equal(userns_take(dir, "c1", &a, &e), 0);
	assert_int_equal(a.host_first, RUN_USERNS_FIRST);
	assert_int_equal(a.count, RUN_USERNS_SIZE);
	snprintf(path, sizeof(path), "%s/%u", dir, a.host_first);
	read_text(path, text, sizeof(text));
	assert_string_equal(text, "c1\n");
	assert_int_equal(userns_take(dir, "c2", &b, &e), 0);
	assert_int_equal(b.host_first, RUN_USERNS_FIRST + RUN_USERNS_SIZE);
	/* a range given back is the next one taken */
	assert_int_equal(userns_release(dir, &a, &e), 0);
	assert_false(access(path, F_OK) == 0);
	assert_int_equal(userns_take(dir, "c3", &c, &e), 0);
	assert_int_equal(c.host_first, RUN_USERNS_FIRST);
	read_text(path, text, sizeof(text));
	assert_string_equal(text, "c3\n");
	/* giving back one not taken, or none at all, is fine */
	assert_int_equal(userns_release(dir, &b, &e), 0);
	assert_int_equal(userns_release(dir, &b, &e), 0);
	assert_int_equal(userns_release(dir, &none, &e), 0);
	assert_int_equal(count_files(dir), 1);
}

static void test_refusals(void **state)
{
	struct userns_range r, odd = { RUN_USERNS_FIRST + 5, RUN_USERNS_SIZE },
			       low = { 1000, RUN_USERNS_SIZE },
			       past = { RUN_USERNS_FIRST + RUN_USERNS_RANGES * RUN_USERNS_SIZE,
					RUN_USERNS_SIZE };
	struct run_err e;
	char file[128], deep[128];

	(void)state;
	assert_int_equal(userns_release(dir, &odd, &e), -EINVAL);
	assert_has(e.msg, "1000005");
	assert_int_equal(userns_release(dir, &low, &e), -EINVAL);
	assert_int_equal(userns_release(dir, &past, &e), -EINVAL);
	assert_int_equal(userns_take(dir, "", &r, &e), -EINVAL);
	assert_int_equal(userns_take(dir, "a\nb", &r, &e), -EINVAL);
	assert_int_equal(userns_take("", "c", &r, &e), -EINVAL);
	/* a file where the directory should be */
	snprintf(file, sizeof(file), "%s/file", dir);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(userns_take(file, "c", &r, &e), -ENOTDIR);
	assert_has(e.msg, file);
	/* a directory that is missing is made, parents too */
	snprintf(deep, sizeof(deep), "%s/a/b", dir);
	assert_int_equal(userns_take(deep, "c", &r, &e), 0);
	assert_int_equal(r.host_first, RUN_USERNS_FIRST);
	assert_int_equal(count_files(deep), 1);
	assert_int_equal(userns_write_maps(0, &r, &e), -EINVAL);
	r.count = 0;
	assert_int_equal(userns_write_maps(getpid(), &r, &e), -EINVAL);
}

#define TAKERS 24
#define TAKES 3

/* N processes released at once each take TAKES ranges: no two get the same one. */
static void test_concurrent_takers_never_overlap(void **state)
{
	uint32_t firsts[TAKERS * TAKES];
	int gate[2], results[2], i, j, status;
	pid_t pids[TAKERS];
	char name[32], path[128], text[64];
	size_t got = 0;
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(gate), 0);
	assert_int_equal(pipe(results), 0);
	for (i = 0; i < TAKERS; i++) {
		pids[i] = fork();
		assert_cmp(pids[i], >=, 0);
		if (!pids[i]) {
			struct userns_range r;
			char c;

			close(gate[1]);
			close(results[0]);
			/* everyone waits here until the parent closes the gate */
			if (read(gate[0], &c, 1) != 0)
				_exit(2);
			snprintf(name, sizeof(name), "taker%d", i);
			for (j = 0; j < TAKES; j++) {
				if (userns_take(dir, name, &r, NULL))
					_exit(1);
				if (write(results[1], &r.host_first, sizeof(r.host_first)) !=
				    sizeof(r.host_first))
					_exit(3);
			}
			_exit(0);
		}
	}
	close(gate[0]);
	close(results[1]);
	close(gate[1]);
	while ((n = read(results[0], (char *)firsts + got, sizeof(firsts) - got)) > 0)
		got += (size_t)n;
	close(results[0]);
	for (i = 0; i < TAKERS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		unit_case("taker %d", i);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		unit_case_end();
	}
	assert_int_equal(got, sizeof(firsts));
	for (i = 0; i < TAKERS * TAKES; i++) {
		assert_int_equal((firsts[i] - RUN_USERNS_FIRST) % RUN_USERNS_SIZE, 0);
		/* all taken at once fill the first ranges, no gap and no double */
		assert_cmp(firsts[i], <, RUN_USERNS_FIRST + TAKERS * TAKES * RUN_USERNS_SIZE);
		for (j = 0; j < i; j++) {
			unit_case("ranges %d and %d", i, j);
			assert_int_not_equal(firsts[i], firsts[j]);
			unit_case_end();
		}
		snprintf(path, sizeof(path), "%s/%u", dir, firsts[i]);
		read_text(path, text, sizeof(text));
		assert_has(text, "taker");
	}
	assert_int_equal(count_files(dir), TAKERS * TAKES);
}

static void test_enospc_after_the_last(void **state)
{
	struct userns_range r, freed = { RUN_USERNS_FIRST + 500 * RUN_USERNS_SIZE, RUN_USERNS_SIZE };
	struct run_err e;
	unsigned int i;

	(void)state;
	for (i = 0; i < RUN_USERNS_RANGES; i++) {
		assert_int_equal(userns_take(dir, "many", &r, &e), 0);
		assert_int_equal(r.host_first, RUN_USERNS_FIRST + i * RUN_USERNS_SIZE);
	}
	assert_int_equal(userns_take(dir, "one-more", &r, &e), -ENOSPC);
	assert_has(e.msg, "1024");
	assert_int_equal(count_files(dir), RUN_USERNS_RANGES);
	assert_int_equal(userns_release(dir, &freed, &e), 0);
	assert_int_equal(userns_take(dir, "one-more", &r, &e), 0);
	assert_int_equal(r.host_first, freed.host_first);
}

/* A child in a new user namespace: it tells @ready, waits for @go, then becomes root inside. */
static int child_in_userns(int ready, int go, const char *probe)
{
	char c;
	int fd;

	alarm(20);	/* a parent whose assertion failed never says go: end anyway */
	if (unshare(CLONE_NEWUSER))
		return 10;
	if (write(ready, "r", 1) != 1)
		return 11;
	if (read(go, &c, 1) != 1)
		return 12;
	if (c != 'g')
		return 0;	/* the parent is done with us */
	/* root inside is possible only once 0 is mapped */
	if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
		return 13;
	fd = open(probe, O_CREAT | O_WRONLY | O_EXCL, 0600);
	if (fd < 0)
		return 14;
	close(fd);
	return 0;
}

static void test_write_maps_on_a_real_child(void **state)
{
	struct userns_range r;
	int ready[2], go[2], status;
	unsigned int in, out, count;
	char path[64], map[128], probe[128], c;
	struct run_err e;
	struct stat st;
	pid_t pid;

	(void)state;
	assert_int_equal(userns_take(dir, "mapped", &r, &e), 0);
	/* the child's root writes here: the dir must let any uid in */
	assert_int_equal(chmod(dir, 01777), 0);
	snprintf(probe, sizeof(probe), "%s/probe", dir);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_cmp(pid, >=, 0);
	if (!pid) {
		close(ready[0]);
		close(go[1]);
		_exit(child_in_userns(ready[1], go[0], probe));
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(userns_write_maps(pid, &r, &e), 0);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	read_text(path, map, sizeof(map));
	assert_int_equal(sscanf(map, "%u %u %u", &in, &out, &count), 3);
	assert_int_equal(in, 0);
	assert_int_equal(out, r.host_first);
	assert_int_equal(count, RUN_USERNS_SIZE);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	read_text(path, map, sizeof(map));
	assert_int_equal(sscanf(map, "%u %u %u", &in, &out, &count), 3);
	assert_int_equal(out, r.host_first);
	/* a map is written once: the kernel refuses another, and the message says where */
	assert_int_equal(userns_write_maps(pid, &r, &e), -EPERM);
	assert_has(e.msg, "uid_map");
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	close(ready[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* root inside made it: outside it is the range's first uid and gid */
	assert_int_equal(stat(probe, &st), 0);
	assert_int_equal(st.st_uid, r.host_first);
	assert_int_equal(st.st_gid, r.host_first);
}

static void test_write_maps_no_such_process(void **state)
{
	struct userns_range r = { RUN_USERNS_FIRST, RUN_USERNS_SIZE };
	struct run_err e;
	pid_t pid = fork();

	(void)state;
	assert_cmp(pid, >=, 0);
	if (!pid)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* reaped: its /proc entry is gone (and the pid not reused this soon) */
	assert_int_equal(userns_write_maps(pid, &r, &e), -ENOENT);
	assert_has(e.msg, "uid_map");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_take_and_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_takers_never_overlap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_enospc_after_the_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_maps_on_a_real_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_maps_no_such_process, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
