// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The container's /etc files (user/run/etcfiles.c), written into a
 * temporary directory and read back whole: /etc/hosts and /etc/hostname
 * byte for byte as Docker writes them, resolv.conf filtered from crafted
 * host files (loopback and IPv6 nameservers out, Docker's defaults when
 * none is left), mode 0644 whatever the umask, no temporary file left, and
 * bad input refused with nothing written.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "asserts.h"
#include "netattach.h"

#define HOSTS_HEAD                                                                    \
	"127.0.0.1\tlocalhost\n"                                                      \
	"::1\tlocalhost ip6-localhost ip6-loopback\n"                                 \
	"fe00::0\tip6-localnet\n"                                                     \
	"ff00::0\tip6-mcastprefix\n"                                                  \
	"ff02::1\tip6-allnodes\n"                                                     \
	"ff02::2\tip6-allrouters\n"
#define DOCKER_DNS "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"

struct fixture {
	char dir[64];
	char resolv[96];	/* the crafted host resolv.conf */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/bpfnet-etcfiles-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->resolv, sizeof(f->resolv), "%s/host-resolv.conf", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	const char *names[] = { "hosts", "hostname", "resolv.conf", "host-resolv.conf" };
	char path[160];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The whole of @dir/@name (malloc()ed), or NULL when it cannot be read. */
static char *slurp(const char *dir, const char *name)
{
	char path[160], *buf = NULL;
	size_t len = 0;
	FILE *in, *out;
	int c;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	in = fopen(path, "r");
	if (!in)
		return NULL;
	out = open_memstream(&buf, &len);
	while (out && (c = fgetc(in)) != EOF)
		fputc(c, out);
	fclose(in);
	if (out)
		fclose(out);
	return buf;
}

static void assert_file(const char *dir, const char *name, const char *want)
{
	char *got = slurp(dir, name);
	char path[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unit_case("%s", name);
	assert_true(got != NULL);
	assert_string_equal(got, want);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	unit_case_end();
	free(got);
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_true(f != NULL);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Only the three files (and the crafted input) in @dir: no ".hosts.XXXXXX" left behind. */
static void assert_no_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_true(d != NULL);
	while ((de = readdir(d))) {
		unit_case("left in the directory: %.100s", de->d_name);
		assert_true(!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
			    !strcmp(de->d_name, "hosts") || !strcmp(de->d_name, "hostname") ||
			    !strcmp(de->d_name, "resolv.conf") ||
			    !strcmp(de->d_name, "host-resolv.conf"));
	}
	unit_case_end();
	closedir(d);
}

static struct net_attachment att(const char *ip, unsigned int len)
{
	struct net_attachment a = { .ifname = "eth0" };

	assert_int_equal(bpfnet_addr_parse(ip, &a.ip.addr), 0);
	a.ip.len = len;
	return a;
}

/* Two attachments: Docker's head, then one line per address, the name after the hostname. */
static void test_hosts_two_networks(void **state)
{
	struct fixture *f = *state;
	struct net_attachment a[2] = { att("10.1.0.2", 24), att("10.2.0.7", 16) };
	struct run_err e = {};
	mode_t old = umask(077);	/* the files are 0644 whatever the caller's umask */
	int err;

	put_file(f->resolv, "nameserver 10.9.9.9\n");
	err = etcfiles_write_from(f->dir, "web", "c1", a, 2, f->resolv, &e);
	umask(old);
	assert_int_equal(err, 0);
	assert_file(f->dir, "hosts", HOSTS_HEAD "10.1.0.2\tweb c1\n10.2.0.7\tweb c1\n");
	assert_file(f->dir, "hostname", "web\n");
	assert_file(f->dir, "resolv.conf", "nameserver 10.9.9.9\n");
	assert_no_temporaries(f->dir);
}

/* The hostname is the name (the default): the name once; no attachment: the head alone. */
static void test_hosts_same_name_and_none(void **state)
{
	struct fixture *f = *state;
	struct net_attachment a = att("172.18.0.3", 16);
	struct run_err e = {};

	put_file(f->resolv, "nameserver 10.9.9.9\n");
	assert_int_equal(etcfiles_write_from(f->dir, "3f4e5d6c7b8a", "3f4e5d6c7b8a", &a, 1,
					     f->resolv, &e), 0);
	assert_file(f->dir, "hosts", HOSTS_HEAD "172.18.0.3\t3f4e5d6c7b8a\n");
	/* written again over the last ones (--network none): replaced whole */
	assert_int_equal(etcfiles_write_from(f->dir, "box", NULL, NULL, 0, f->resolv, &e), 0);
	assert_file(f->dir, "hosts", HOSTS_HEAD);
	assert_file(f->dir, "hostname", "box\n");
	assert_no_temporaries(f->dir);
}

struct resolv_case {
	const char *what, *host, *want;
};

static const struct resolv_case resolv_cases[] = {
	{ "loopback and IPv6 nameservers out, everything else as it was",
	  "# written by hand\n"
	  "search example.com lab.example.com\n"
	  "nameserver 127.0.0.53\n"
	  "nameserver 10.255.255.53\n"
	  "  nameserver\t127.1.2.3   # a local cache\n"
	  "nameserver ::1\n"
	  "nameserver fe80::1%eth0\n"
	  "nameserver 2001:4860:4860::8888\n"
	  "nameserver 192.168.1.1\n"
	  "options ndots:2 edns0\n",
	  "# written by hand\n"
	  "search example.com lab.example.com\n"
	  "nameserver 10.255.255.53\n"
	  "nameserver 192.168.1.1\n"
	  "options ndots:2 edns0\n" },
	{ "only systemd-resolved's stub: Docker's defaults after the rest",
	  "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n",
	  "options edns0 trust-ad\nsearch .\n" DOCKER_DNS },
	{ "no newline at the end: one added before the defaults",
	  "search lan\nnameserver ::1",
	  "search lan\n" DOCKER_DNS },
	{ "empty: the defaults", "", DOCKER_DNS },
	/* 128.0.0.1 and a name that starts "nameserver" are no loopback nameservers */
	{ "look-alikes kept",
	  "nameserver 128.0.0.1\nnameservers 127.0.0.1\n;nameserver 127.0.0.1\n",
	  "nameserver 128.0.0.1\nnameservers 127.0.0.1\n;nameserver 127.0.0.1\n" },
};

static void test_resolv_filtered(void **state)
{
	struct fixture *f = *state;
	struct run_err e = {};

	for (size_t i = 0; i < sizeof(resolv_cases) / sizeof(resolv_cases[0]); i++) {
		const struct resolv_case *c = &resolv_cases[i];
		char *got;

		put_file(f->resolv, c->host);
		unit_case("%s", c->what);
		assert_int_equal(etcfiles_write_from(f->dir, "h", NULL, NULL, 0, f->resolv, &e), 0);
		got = slurp(f->dir, "resolv.conf");
		unit_case("%s", c->what);
		assert_true(got != NULL);
		assert_string_equal(got, c->want);
		unit_case_end();
		free(got);
	}
	assert_no_temporaries(f->dir);
}

/* A host without /etc/resolv.conf: the container gets Docker's defaults. */
static void test_resolv_missing(void **state)
{
	struct fixture *f = *state;
	struct run_err e = {};

	unlink(f->resolv);
	assert_int_equal(etcfiles_write_from(f->dir, "h", NULL, NULL, 0, f->resolv, &e), 0);
	assert_file(f->dir, "resolv.conf", DOCKER_DNS);
}

/* Refused: no file is made, the words say why. */
static void test_refused(void **state)
{
	struct fixture *f = *state;
	char missing[128];
	struct run_err e = {};
	char *hosts;

	assert_int_equal(etcfiles_write_from(f->dir, "two words", NULL, NULL, 0, f->resolv, &e),
			 -EINVAL);
	assert_int_equal(e.errnum, EINVAL);
	assert_has(e.msg, "two words");
	assert_int_equal(etcfiles_write_from(f->dir, "", NULL, NULL, 0, f->resolv, &e), -EINVAL);
	hosts = slurp(f->dir, "hosts");
	assert_true(hosts == NULL);
	snprintf(missing, sizeof(missing), "%s/no-such-dir", f->dir);
	assert_int_equal(etcfiles_write_from(missing, "h", NULL, NULL, 0, f->resolv, &e),
			 -ENOENT);
	assert_has(e.msg, "no-such-dir");
	/* a host resolv.conf that is a directory cannot be read: an error, not the defaults */
	assert_int_equal(etcfiles_write_from(f->dir, "h", NULL, NULL, 0, f->dir, &e) < 0, 1);
	assert_has(e.msg, f->dir);
}

/* The one without the path: reads the host's /etc/resolv.conf. */
static void test_host_default(void **state)
{
	struct fixture *f = *state;
	struct run_err e = {};
	char *got;

	assert_int_equal(etcfiles_write(f->dir, "h", NULL, NULL, 0, &e), 0);
	got = slurp(f->dir, "resolv.conf");
	assert_true(got != NULL);
	assert_true(strstr(got, "nameserver 127.") == NULL);
	assert_true(strstr(got, "nameserver ") != NULL);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hosts_two_networks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hosts_same_name_and_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolv_filtered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolv_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_default, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
