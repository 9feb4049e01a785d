// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The unit tests' assertions (asserts.h) say what was expected and what came: each
 * failing assertion runs in a child, whose report must hold both values, and each
 * passing one must stay silent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "asserts.h"

static int ret(int v)
{
	return v;
}

static void int_errno(void)
{
	assert_int_equal(ret(-EINVAL), 0);
}

static void int_want_errno(void)
{
	assert_int_equal(ret(0), -EADDRINUSE);
}

static void int_not_equal(void)
{
	assert_int_not_equal(ret(7), 7);
}

static void truth(void)
{
	assert_true(ret(1) == 2);
}

static void falsehood(void)
{
	assert_false(ret(3));
}

static void ordering(void)
{
	int fd = -1;

	assert_cmp(fd, >=, 0);
}

static void ip4(void)
{
	assert_ip4_equal(htonl(0x0a000001), htonl(0x0a000002));
}

static void text(void)
{
	const char *msg = "subnet overlaps the node's route";

	assert_has(msg, "broadcast");
}

static void no_text(void)
{
	const char *msg = NULL;

	assert_has(msg, "broadcast");
}

static void table_row(void)
{
	for (int i = 0; i < 5; i++) {
		unit_case("row %d", i);
		assert_cmp(i, <, 3);
	}
	unit_case_end();
}

static void all_pass(void)
{
	int fd = 0;

	unit_case("never shown");
	assert_int_equal(ret(-EINVAL), -EINVAL);
	assert_int_not_equal(ret(1), 2);
	assert_true(ret(1) == 1);
	assert_false(ret(0));
	assert_cmp(fd, >=, 0);
	assert_ip4_equal(htonl(0x0a000001), htonl(0x0a000001));
	assert_has("a text", "tex");
	unit_case_end();
}

/* run @probe in a child; its stdout and stderr, and how it ended */
static void run_child(void (*probe)(void), char *out, size_t size, int *status)
{
	size_t len = 0;
	ssize_t n;
	int pfd[2];
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_cmp(pid, >=, 0);
	if (pid == 0) {
		/* a failure aborts the child instead of jumping back into the parent's test */
		setenv("CMOCKA_TEST_ABORT", "1", 1);
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		probe();
		_exit(0);
	}
	close(pfd[1]);
	while (len < size - 1 && (n = read(pfd[0], out + len, size - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
}

static void fails_saying(void (*probe)(void), const char *name, const char *want)
{
	char out[2048];
	int status;

	run_child(probe, out, sizeof(out), &status);
	unit_case("%s", name);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	assert_has(out, want);
	unit_case_end();
}

static void test_reports(void **state)
{
	(void)state;
	fails_saying(int_errno, "int_errno", "ret(-EINVAL): got -22 (Invalid argument), want 0\n");
	fails_saying(int_want_errno, "int_want_errno",
		     "ret(0): got 0, want -EADDRINUSE = -98 (Address already in use)\n");
	fails_saying(int_not_equal, "int_not_equal", "ret(7): got 7, want anything but 7\n");
	fails_saying(truth, "truth", "ret(1) == 2: got false, want true\n");
	fails_saying(falsehood, "falsehood", "ret(3): got true, want false\n");
	fails_saying(ordering, "ordering", "want fd >= 0, got -1 >= 0\n");
	fails_saying(ip4, "ip4", "htonl(0x0a000001): got 10.0.0.1, want 10.0.0.2\n");
	fails_saying(text, "text",
		     "msg: got \"subnet overlaps the node's route\", want a text with \"broadcast\"\n");
	fails_saying(no_text, "no_text", "msg: got NULL, want a text with \"broadcast\"\n");
	fails_saying(table_row, "table_row", "row 3: want i < 3, got 3 < 3\n");
}

static void test_silent_when_true(void **state)
{
	char out[2048];
	int status;

	(void)state;
	run_child(all_pass, out, sizeof(out), &status);
	assert_int_equal(status, 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_silent_when_true),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
