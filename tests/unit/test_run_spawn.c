// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The container's processes (user/run/spawn.h) with real processes, as root:
 * exit statuses as `docker run` gives them, init as PID 1 and the command
 * PID 2 seeing only themselves, the hostname, a mount invisible outside, a
 * busybox-static rootfs that cannot see the host's files, /sys read-only, the
 * /dev nodes, orphans reaped, signals forwarded (to init and through
 * container_wait), a user namespace whose maps a test hook writes, exec in
 * the same namespaces, the child's errors with its words and no process left,
 * and no descriptor of the caller's inside.
 *
 * Every test has a fixture: a temp dir and the init it started, both removed
 * by the teardown, also after a failed assertion; an alarm ends a test that
 * hangs (and cleans up the same way).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdnoreturn.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "asserts.h"

#include "spawn.h"

#define TEST_TIMEOUT 60			/* seconds: far above what a test takes on a busy machine */
#define USERNS_HOST_FIRST 1000000	/* root inside the test's user namespace, outside */
#define USERNS_COUNT 65536
#define OUT_MAX 8192

static char *const test_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

/* what the teardown removes: the container, the test's pipes, its temp dir */
static struct {
	pid_t init;
	int in_w;		/* the write end of the command's stdin, -1 when none */
	int out_r;		/* the read end of its stdout/stderr */
	char dir[64];
	char cgroup[1100];	/* a test-only cgroup v2 directory, "" when none */
} fx;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/*
 * Every process of the test's: the test is a subreaper (main), so a container
 * whose caller (a child of the test) died is a child of ours by now.
 */
static void kill_children(void)
{
	char path[64];
	long pid;
	int n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	/* again and again: a killed caller's container becomes our child only then */
	do {
		n = 0;
		f = fopen(path, "r");
		while (f && fscanf(f, "%ld", &pid) == 1) {
			kill(pid, SIGKILL);
			n++;
		}
		if (f)
			fclose(f);
		/*
		 * As many as were killed, in whatever order they end: a dying init
		 * waits for its namespace's processes, one of which (an exec'd
		 * command) may be a zombie of ours, to be reaped first.
		 */
		for (int i = 0; i < n; i++)
			waitpid(-1, NULL, 0);
	} while (n);
}

static void fx_cleanup(void)
{
	if (fx.init > 0)
		kill(fx.init, SIGKILL);
	kill_children();
	fx.init = -1;
	if (fx.in_w >= 0)
		close(fx.in_w);
	if (fx.out_r >= 0)
		close(fx.out_r);
	fx.in_w = fx.out_r = -1;
	if (fx.dir[0])
		nftw(fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	fx.dir[0] = '\0';
	if (fx.cgroup[0])
		rmdir(fx.cgroup);
	fx.cgroup[0] = '\0';
}

/* a hung test (the alarm) or the test killed (tests/run under timeout, Ctrl-C): clean up, fail */
static void on_fatal_signal(int sig)
{
	if (sig == SIGALRM)
		fprintf(stderr, "# test_run_spawn: a test hung for %d s\n", TEST_TIMEOUT);
	else
		fprintf(stderr, "# test_run_spawn: killed by signal %d\n", sig);
	fx_cleanup();
	_exit(1);
}

static int fx_setup(void **state)
{
	(void)state;
	fx.init = -1;
	fx.in_w = fx.out_r = -1;
	strcpy(fx.dir, "/tmp/bpfnet-spawn.XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	chmod(fx.dir, 0755);	/* a user namespace's root is "other" to it */
	alarm(TEST_TIMEOUT);
	return 0;
}

static int fx_teardown(void **state)
{
	(void)state;
	alarm(0);
	fx_cleanup();
	return 0;
}

static struct spawn_spec base_spec(char *const *argv)
{
	struct spawn_spec s = {
		.name = "spawn-test",
		.hostname = "spawn-ut",
		.argv = argv,
		.envp = test_env,
		.stdio = { -1, -1, -1 },
		.status_fd = -1,
	};
	return s;
}

/*
 * Start @spec with stdin a pipe (fx.in_w; closing it is the command's EOF) and
 * stdout+stderr a pipe (fx.out_r); 0 or container_spawn()'s error.
 */
static int spawn_piped(struct spawn_spec *spec, spawn_hook hook, void *arg, struct run_err *e)
{
	int in[2], out[2], err;

	if (fx.in_w >= 0)
		close(fx.in_w);
	if (fx.out_r >= 0)
		close(fx.out_r);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	spec->stdio[0] = in[0];
	spec->stdio[1] = spec->stdio[2] = out[1];
	fx.in_w = in[1];
	fx.out_r = out[0];
	err = container_spawn(spec, hook, arg, &fx.init, e);
	close(in[0]);
	close(out[1]);
	if (err)
		fx.init = -1;
	return err;
}

/* everything the command and its children write, until they all closed it */
static void read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		assert_cmp(n, >, 0);
		got += n;
	}
	buf[got] = '\0';
}

/* one line (with its newline) */
static void read_line(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len - 1) {
		ssize_t n = read(fd, buf + got, 1);

		if (n < 0 && errno == EINTR)
			continue;
		assert_int_equal(n, 1);
		if (buf[got++] == '\n')
			break;
	}
	buf[got] = '\0';
}

static int wait_init(void)
{
	int status = -1;

	assert_int_equal(container_wait(fx.init, &status), 0);
	fx.init = -1;
	return status;
}

/* run @spec to its end: its output in @out, its status returned */
static int run_spec(struct spawn_spec *spec, spawn_hook hook, char *out, size_t len)
{
	struct run_err e = { 0 };
	int err = spawn_piped(spec, hook, NULL, &e);

	if (err)
		unit_case("%.40s: %.110s", spec->argv[0], e.msg);
	assert_int_equal(err, 0);
	close(fx.in_w);
	fx.in_w = -1;
	read_all(fx.out_r, out, len);
	return wait_init();
}

static int run_sh(const char *script, char *out, size_t len)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct spawn_spec spec = base_spec(argv);

	return run_spec(&spec, NULL, out, len);
}

static void test_exit_statuses(void **state)
{
	static const struct {
		const char *script;
		int status;
	} cases[] = {
		{ "true", 0 }, { "exit 7", 7 }, { "kill -TERM $$", 143 }, { "kill -KILL $$", 137 },
	};
	char *true_argv[] = { "/bin/true", NULL };
	struct spawn_spec spec = base_spec(true_argv);
	char out[OUT_MAX];

	(void)state;
	assert_int_equal(run_spec(&spec, NULL, out, sizeof(out)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = run_sh(cases[i].script, out, sizeof(out));

		unit_case("sh -c '%s'", cases[i].script);
		assert_int_equal(status, cases[i].status);
		unit_case_end();
	}
}

/* init writes the status to status_fd, and the command does not get that fd */
static void test_status_fd(void **state)
{
	char *argv[] = { "sh", "-c", "ls /proc/self/fd; kill -TERM $$", NULL };
	struct spawn_spec spec = base_spec(argv);
	char out[OUT_MAX], status_text[32];
	int sfd[2];

	(void)state;
	assert_int_equal(pipe2(sfd, O_CLOEXEC), 0);
	spec.status_fd = sfd[1];
	assert_int_equal(run_spec(&spec, NULL, out, sizeof(out)), 143);
	close(sfd[1]);
	read_all(sfd[0], status_text, sizeof(status_text));
	close(sfd[0]);
	assert_string_equal(status_text, "143\n");
	/* ls's own directory is 3; a status fd or a leaked fd of ours would be more */
	assert_string_equal(out, "0\n1\n2\n3\n");
}

/* an fd the caller forgot to make close-on-exec stays outside all the same */
static void test_no_fd_leak(void **state)
{
	char out[OUT_MAX];
	int leak = open("/dev/null", O_RDONLY);	/* deliberately without O_CLOEXEC */

	(void)state;
	assert_cmp(leak, >=, 3);
	assert_int_equal(run_sh("ls /proc/self/fd", out, sizeof(out)), 0);
	close(leak);
	assert_string_equal(out, "0\n1\n2\n3\n");
}

static void test_pid1_and_own_proc(void **state)
{
	char out[OUT_MAX];

	(void)state;
	/*
	 * The loop is the shell's own: while it runs, init and the shell are all
	 * there is. init shows neither the caller's arguments nor its environment.
	 */
	assert_int_equal(run_sh("echo $$ $PPID $(cat /proc/1/comm) $(tr -d '\\000' < /proc/1/cmdline) "
				"$(tr -d '\\000' < /proc/1/environ | wc -c); "
				"for d in /proc/[0-9]*; do printf '%s ' ${d#/proc/}; done",
				out, sizeof(out)),
			 0);
	assert_string_equal(out, "2 1 bpfnet-init bpfnet-init 0\n1 2 ");
}

static void test_hostname(void **state)
{
	struct utsname before, after;
	char out[OUT_MAX];

	(void)state;
	assert_int_equal(uname(&before), 0);
	assert_int_equal(run_sh("cat /proc/sys/kernel/hostname; hostname", out, sizeof(out)), 0);
	assert_int_equal(uname(&after), 0);
	assert_string_equal(out, "spawn-ut\nspawn-ut\n");
	assert_string_equal(after.nodename, before.nodename);
}

/* lines of the host's mountinfo naming @path as a mount point */
static int host_mounts_at(const char *path)
{
	char line[4096], needle[256];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	assert_non_null(f);
	snprintf(needle, sizeof(needle), " %s ", path);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void test_mount_invisible_outside(void **state)
{
	char dir[128], file[160], script[512], out[OUT_MAX];
	int proc_mounts = host_mounts_at("/proc");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/m", fx.dir);
	snprintf(file, sizeof(file), "%s/inside", dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(script, sizeof(script),
		 "mount -t tmpfs spawn-test %s && touch %s && grep -c ' %s ' /proc/self/mountinfo",
		 dir, file, dir);
	assert_int_equal(run_sh(script, out, sizeof(out)), 0);
	assert_string_equal(out, "1\n");
	assert_int_equal(access(file, F_OK), -1);
	assert_int_equal(host_mounts_at(dir), 0);
	/* nor did the container's own /proc land on the host's */
	assert_int_equal(host_mounts_at("/proc"), proc_mounts);
}

/* a double-forked sleep is init's to reap: its /proc entry goes (a zombie's would stay) */
static void test_orphans_reaped(void **state)
{
	char out[OUT_MAX];

	(void)state;
	assert_int_equal(run_sh("p=$(sh -c 'sleep 0.2 >/dev/null 2>&1 & echo $!'); i=0; "
				"while [ -e /proc/$p ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; "
				"if [ -e /proc/$p ]; then echo zombie; else echo reaped; fi",
				out, sizeof(out)),
			 0);
	assert_string_equal(out, "reaped\n");
}

static void test_network_namespace(void **state)
{
	char out[OUT_MAX], own[64], script[256];
	char *argv[] = { "readlink", "/proc/self/ns/net", NULL };
	struct spawn_spec spec = base_spec(argv);
	ssize_t n;

	(void)state;
	/* its own: lo alone, and up; /sys shows that one, not the host's devices */
	assert_int_equal(run_sh("ip -o link show", out, sizeof(out)), 0);
	assert_has(out, "1: lo: <LOOPBACK,UP,LOWER_UP>");
	assert_null(strstr(out, "2: "));
	assert_int_equal(run_sh("ls /sys/class/net", out, sizeof(out)), 0);
	assert_string_equal(out, "lo\n");
	/* the host's */
	n = readlink("/proc/self/ns/net", own, sizeof(own) - 1);
	assert_cmp(n, >, 0);
	own[n] = '\0';
	spec.host_network = true;
	assert_int_equal(run_spec(&spec, NULL, out, sizeof(out)), 0);
	snprintf(script, sizeof(script), "%s\n", own);
	assert_string_equal(out, script);
}

/* SIGTERM to init reaches the command (a sleep that would last long), 128+15 */
static void test_signal_to_init(void **state)
{
	char *argv[] = { "sleep", "1000", NULL };
	struct spawn_spec spec = base_spec(argv);
	struct run_err e = { 0 };
	time_t start = time(NULL);

	(void)state;
	assert_int_equal(spawn_piped(&spec, NULL, NULL, &e), 0);
	assert_int_equal(kill(fx.init, SIGTERM), 0);
	assert_int_equal(wait_init(), 143);
	assert_cmp(time(NULL) - start, <, TEST_TIMEOUT);
}

/* a signal the caller gets while in container_wait() goes to init and on to the command */
static void test_wait_forwards_signals(void **state)
{
	char *argv[] = { "sh", "-c",
			 "trap 'echo got; exit 3' USR1; echo ready; while :; do sleep 0.05; done",
			 NULL };
	struct spawn_spec spec = base_spec(argv);
	struct run_err e = { 0 };
	sigset_t usr1, old;
	char line[64], out[OUT_MAX];

	(void)state;
	assert_int_equal(spawn_piped(&spec, NULL, NULL, &e), 0);
	read_line(fx.out_r, line, sizeof(line));
	assert_string_equal(line, "ready\n");
	/* pending, so it arrives exactly when container_wait() is ready for it */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	raise(SIGUSR1);
	assert_int_equal(wait_init(), 3);
	sigprocmask(SIG_SETMASK, &old, NULL);
	read_all(fx.out_r, out, sizeof(out));
	assert_string_equal(out, "got\n");
}

/* the test's before_start: root inside is USERNS_HOST_FIRST outside, gid alike */
static int write_test_maps(pid_t pid, void *arg, struct run_err *e)
{
	static const char *const maps[] = { "uid_map", "gid_map" };
	char path[64], line[64];
	int fd, len;

	(void)arg;
	len = snprintf(line, sizeof(line), "0 %u %u\n", USERNS_HOST_FIRST, USERNS_COUNT);
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, maps[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, line, len) != len) {
			int err = errno;

			if (fd >= 0)
				close(fd);
			return run_errf(e, err, "cannot write %s: %s", path, strerror(err));
		}
		close(fd);
	}
	return 0;
}

/* "Uid:" of /proc/@pid/status, the real uid as the host sees it */
static long host_uid_of(pid_t pid)
{
	char path[64], line[256];
	long uid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %ld", &uid) == 1)
			break;
	fclose(f);
	return uid;
}

/* the command: init's only child */
static pid_t command_of(pid_t init)
{
	char path[64];
	long pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)init, (int)init);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	return pid;
}

static void test_userns_maps(void **state)
{
	char *argv[] = { "sh", "-c", "echo $(id -u) $(id -g) $(cat /proc/1/comm); exec cat", NULL };
	struct spawn_spec spec = base_spec(argv);
	struct run_err e = { 0 };
	char line[128];

	(void)state;
	spec.userns = true;
	assert_int_equal(spawn_piped(&spec, write_test_maps, NULL, &e), 0);
	read_line(fx.out_r, line, sizeof(line));
	assert_string_equal(line, "0 0 bpfnet-init\n");
	assert_int_equal(host_uid_of(fx.init), USERNS_HOST_FIRST);
	assert_int_equal(host_uid_of(command_of(fx.init)), USERNS_HOST_FIRST);
	close(fx.in_w);
	fx.in_w = -1;
	assert_int_equal(wait_init(), 0);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_cmp(fd, >=, 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	assert_cmp(in, >=, 0);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_cmp(out, >=, 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, n), n);
	close(in);
	close(out);
}

static void dir_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", fx.dir, name);
	assert_int_equal(mkdir(buf, 0755), 0);
	assert_int_equal(chmod(buf, 0755), 0);	/* whatever the umask */
}

/*
 * fx.dir/root: bin/busybox and its applets as links, etc/resolv.conf a link
 * (@dangling_link: to nowhere, as Ubuntu's into an empty /run; else to a file
 * of the rootfs); fx.dir/etc: the container's hosts, hostname, resolv.conf.
 * No mount points: spawn makes them.
 */
static void make_busybox_rootfs(bool dangling_link)
{
	static const char *const applets[] = {
		"sh", "ls", "cat", "echo", "test", "id", "awk", "touch", "head", "wc", "readlink",
		"hostname", "sleep", "grep", "cut", "mount",
	};
	char path[256], root[128], etc[128];

	dir_in(root, sizeof(root), "root");
	dir_in(path, sizeof(path), "root/bin");
	dir_in(path, sizeof(path), "root/etc");
	snprintf(path, sizeof(path), "%s/bin/busybox", root);
	copy_file("/bin/busybox", path, 0755);
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
		snprintf(path, sizeof(path), "%s/bin/%s", root, applets[i]);
		assert_int_equal(symlink("busybox", path), 0);
	}
	/* the bind must land on the link's target, inside the rootfs */
	snprintf(path, sizeof(path), "%s/etc/resolv.conf", root);
	if (dangling_link) {
		assert_int_equal(symlink("../run/systemd/resolve/stub-resolv.conf", path), 0);
	} else {
		assert_int_equal(symlink("/etc/resolv.real", path), 0);
		snprintf(path, sizeof(path), "%s/etc/resolv.real", root);
		write_file(path, "# the image's\n", 0644);
	}
	dir_in(etc, sizeof(etc), "etc");
	snprintf(path, sizeof(path), "%s/hosts", etc);
	write_file(path, "127.0.0.1 localhost\n10.9.0.2 spawn-ut\n", 0644);
	snprintf(path, sizeof(path), "%s/hostname", etc);
	write_file(path, "spawn-ut\n", 0644);
	snprintf(path, sizeof(path), "%s/resolv.conf", etc);
	write_file(path, "nameserver 10.9.0.1\n", 0644);
}

static char *const rootfs_env[] = { "PATH=/bin", NULL };

/* @spec for fx.dir/root with fx.dir/etc; @root and @etc hold the paths */
static void rootfs_spec(struct spawn_spec *spec, bool userns, char *root, char *etc, size_t len)
{
	snprintf(root, len, "%s/root", fx.dir);
	snprintf(etc, len, "%s/etc", fx.dir);
	spec->rootfs = root;
	spec->etc_dir = etc;
	spec->envp = rootfs_env;
	spec->userns = userns;
}

static int run_in_rootfs(const char *script, bool userns, char *out, size_t len)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct spawn_spec spec = base_spec(argv);
	char root[128], etc[128];

	rootfs_spec(&spec, userns, root, etc, sizeof(root));
	return run_spec(&spec, userns ? write_test_maps : NULL, out, len);
}

/* container_spawn()'s error for it (0 if it started: then it is waited for) */
static int run_in_rootfs_err(const char *script, bool userns, struct run_err *e)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct spawn_spec spec = base_spec(argv);
	char root[128], etc[128];
	int err;

	rootfs_spec(&spec, userns, root, etc, sizeof(root));
	err = spawn_piped(&spec, userns ? write_test_maps : NULL, NULL, e);
	if (!err)
		wait_init();
	return err;
}

static void test_rootfs_files(void **state)
{
	char script[512], hostfile[128], out[OUT_MAX];

	(void)state;
	make_busybox_rootfs(true);
	snprintf(hostfile, sizeof(hostfile), "%s/hostfile", fx.dir);
	write_file(hostfile, "the host's\n", 0644);
	snprintf(script, sizeof(script),
		 "test -e %s && echo host-file-visible; test -e /usr && echo host-usr-visible; "
		 "ls /; cat /etc/hostname /etc/hosts /etc/resolv.conf; pwd; "
		 "cat /run/systemd/resolve/stub-resolv.conf", hostfile);
	assert_int_equal(run_in_rootfs(script, false, out, sizeof(out)), 0);
	assert_string_equal(out, "bin\ndev\netc\nproc\nrun\nsys\ntmp\n"
				 "spawn-ut\n127.0.0.1 localhost\n10.9.0.2 spawn-ut\n"
				 "nameserver 10.9.0.1\n/\nnameserver 10.9.0.1\n");
}

/* what /sys, /dev and /tmp are in a rootfs, the same with and without a user namespace */
static const char sys_dev_script[] =
	"awk '$2 == \"/sys\" { split($4, o, \",\"); print \"sys\", $3, o[1] }' /proc/mounts; "
	"touch /sys/x 2>/dev/null && echo sys-writable; "
	"for n in null zero full random urandom tty; do test -c /dev/$n || echo no-$n; done; "
	"test -L /dev/ptmx && test -e /dev/pts/ptmx && test -L /dev/fd || echo no-pts; "
	"awk '$2 == \"/dev/pts\" || $2 == \"/dev/shm\" || $2 == \"/tmp\" { print $2, $3 }' "
	"/proc/mounts; echo x > /dev/null && head -c 5 /dev/zero | wc -c; "
	"touch /tmp/t /dev/shm/t && echo writable; set -- /proc/[0-9]*; echo $#";

static const char sys_dev_want[] = "sys sysfs ro\n/dev/pts devpts\n/dev/shm tmpfs\n/tmp tmpfs\n"
				   "5\nwritable\n2\n";

static void test_rootfs_sys_dev(void **state)
{
	char out[OUT_MAX];

	(void)state;
	make_busybox_rootfs(true);
	assert_int_equal(run_in_rootfs(sys_dev_script, false, out, sizeof(out)), 0);
	assert_string_equal(out, sys_dev_want);
}

static void test_rootfs_userns(void **state)
{
	char out[OUT_MAX], root[128];
	struct run_err e = { 0 };

	(void)state;
	/*
	 * Closed to the container's root (uid 1000000 outside) above the rootfs
	 * and the /etc sources, as a mktemp -d is; nor may it make the mount
	 * points in a directory of host root's: spawn must do both before it
	 * becomes that root.
	 */
	assert_int_equal(chmod(fx.dir, 0700), 0);
	make_busybox_rootfs(false);
	assert_int_equal(run_in_rootfs("id -u; cat /etc/hostname /etc/resolv.conf; ls -n /tmp -d",
				       true, out, sizeof(out)),
			 0);
	assert_has(out, "0\nspawn-ut\nnameserver 10.9.0.1\ndrwxrwxrwt    2 0        0 ");
	assert_int_equal(run_in_rootfs(sys_dev_script, true, out, sizeof(out)), 0);
	assert_string_equal(out, sys_dev_want);
	/* but the rootfs itself must be open to it: refused with a sentence that says how */
	snprintf(root, sizeof(root), "%s/root", fx.dir);
	assert_int_equal(chmod(root, 0700), 0);
	assert_int_equal(run_in_rootfs_err("true", true, &e), -EACCES);
	assert_has(e.msg, "(mode 0700) is closed to the user namespace's root");
}

/* readlink of /proc/@pid/ns/@name, e.g. "net:[4026531840]" */
static void ns_of(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	n = readlink(path, buf, len - 1);
	assert_cmp(n, >, 0);
	buf[n] = '\0';
}

/* exec into the running container of fx.init: its namespaces' inodes as the exec'd sees them */
static void exec_and_compare(bool userns)
{
	static const char *const names[] = { "cgroup", "ipc", "mnt", "net", "pid", "uts", "user" };
	char *argv[] = { "sh", "-c",
			 "for n in cgroup ipc mnt net pid uts user; do readlink /proc/self/ns/$n; done; "
			 "hostname; id -u; test $$ -gt 2 && pwd; exit 5",
			 NULL };
	char want[OUT_MAX] = "", ns[64], out[OUT_MAX];
	struct run_err e = { 0 };
	int stdio[3], p[2], status = -1;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ns_of(fx.init, names[i], ns, sizeof(ns));
		strcat(strcat(want, ns), "\n");
	}
	strcat(want, "spawn-ut\n0\n/tmp\n");
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	stdio[0] = -1;
	stdio[1] = stdio[2] = p[1];
	assert_int_equal(container_exec(fx.init, argv, test_env, "/tmp", stdio, &status, &e), 0);
	close(p[1]);
	read_all(p[0], out, sizeof(out));
	close(p[0]);
	assert_int_equal(status, 5);
	assert_string_equal(out, want);
	(void)userns;
}

static void test_exec_same_namespaces(void **state)
{
	char *argv[] = { "cat", NULL };
	struct spawn_spec spec = base_spec(argv);
	struct run_err e = { 0 };
	char theirs[64], ours[64];

	(void)state;
	assert_int_equal(spawn_piped(&spec, NULL, NULL, &e), 0);
	exec_and_compare(false);
	/* without --userns the container's user namespace is the host's */
	ns_of(fx.init, "user", theirs, sizeof(theirs));
	ns_of(getpid(), "user", ours, sizeof(ours));
	assert_string_equal(theirs, ours);
	close(fx.in_w);
	fx.in_w = -1;
	assert_int_equal(wait_init(), 0);
}

static void test_exec_userns(void **state)
{
	char *argv[] = { "cat", NULL };
	struct spawn_spec spec = base_spec(argv);
	struct run_err e = { 0 };
	char theirs[64], ours[64];

	(void)state;
	spec.userns = true;
	assert_int_equal(spawn_piped(&spec, write_test_maps, NULL, &e), 0);
	exec_and_compare(true);
	ns_of(fx.init, "user", theirs, sizeof(theirs));
	ns_of(getpid(), "user", ours, sizeof(ours));
	assert_string_not_equal(theirs, ours);
	close(fx.in_w);
	fx.in_w = -1;
	assert_int_equal(wait_init(), 0);
}

/*
 * Ctrl-C on the caller's terminal reaches the command exactly once: with
 * foreground, the terminal's foreground group is the command's (the caller
 * and init do not get it, and the terminal is the caller's again after the
 * wait); without, the caller gets it and forwards it through init; an exec'd
 * command has the terminal as a foreground one. The
 * caller is a child of the test, leader of a session on a new pty. The
 * command says whether its group is the terminal's foreground (/proc's pgrp
 * and tpgid, fields 5 and 8).
 */
static const char ctrl_c_script[] =
	"set -- $(cat /proc/$$/stat); [ $5 = $8 ] && echo fg || echo bg; "
	"trap 'n=$((n+1))' INT; echo ready; while [ ${n:-0} -lt 1 ]; do sleep 0.05; done; "
	"sleep 0.5; echo $n; exit 4";

enum ctrl_c_mode { CTRL_C_FOREGROUND, CTRL_C_FORWARDED, CTRL_C_EXEC };

/* `bpfnet exec` of the script into a container that just sleeps; exit code as below */
static int ctrl_c_exec(int tty, int out_w)
{
	char *sleeper[] = { "sleep", "1000", NULL };
	char *argv[] = { "sh", "-c", (char *)ctrl_c_script, NULL };
	struct spawn_spec spec = base_spec(sleeper);
	struct run_err e = { 0 };
	int stdio[3] = { tty, out_w, out_w }, status = -1, ws;
	pid_t init;

	spec.stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (container_spawn(&spec, NULL, NULL, &init, &e))
		return 11;
	close(spec.stdio[0]);
	if (container_exec(init, argv, test_env, NULL, stdio, &status, &e) || status != 4)
		status = -1;
	kill(init, SIGKILL);
	waitpid(init, &ws, 0);
	return status == 4 ? 0 : 12;
}

/* the caller's side, in its own session; its exit code says what went wrong */
static noreturn void ctrl_c_caller(const char *pty, int out_w, enum ctrl_c_mode mode)
{
	char *argv[] = { "sh", "-c", (char *)ctrl_c_script, NULL };
	struct spawn_spec spec = base_spec(argv);
	struct run_err e = { 0 };
	sigset_t intr;
	pid_t init;
	int tty, status = -1;

	if (setsid() < 0 || (tty = open(pty, O_RDWR | O_CLOEXEC)) < 0 ||
	    ioctl(tty, TIOCSCTTY, 0) < 0)
		_exit(10);
	/* as `run` must: a Ctrl-C between spawn and wait waits for container_wait() to forward it */
	sigemptyset(&intr);
	sigaddset(&intr, SIGINT);
	sigprocmask(SIG_BLOCK, &intr, NULL);
	if (mode == CTRL_C_EXEC) {
		status = ctrl_c_exec(tty, out_w);
		if (status == 0 && tcgetpgrp(tty) != getpgrp())
			status = 13;
		_exit(status);
	}
	spec.foreground = mode == CTRL_C_FOREGROUND;
	spec.stdio[0] = tty;
	spec.stdio[1] = spec.stdio[2] = out_w;
	if (container_spawn(&spec, NULL, NULL, &init, &e))
		_exit(11);
	close(out_w);
	if (container_wait(init, &status) || status != 4)
		_exit(12);
	if (tcgetpgrp(tty) != getpgrp())
		_exit(13);
	_exit(0);
}

static void ctrl_c_once(enum ctrl_c_mode mode)
{
	char line[64], out[OUT_MAX];
	int master, out_p[2], ws = -1;
	pid_t caller;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_cmp(master, >=, 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	assert_int_equal(pipe2(out_p, O_CLOEXEC), 0);
	caller = fork();
	assert_cmp(caller, >=, 0);
	if (caller == 0)
		ctrl_c_caller(ptsname(master), out_p[1], mode);
	fx.init = caller;	/* the teardown's to kill, with its container, if we fail */
	fx.out_r = out_p[0];
	close(out_p[1]);
	read_line(fx.out_r, line, sizeof(line));
	/* exec gives the terminal as a foreground run does */
	assert_string_equal(line, mode == CTRL_C_FORWARDED ? "bg\n" : "fg\n");
	read_line(fx.out_r, line, sizeof(line));
	assert_string_equal(line, "ready\n");
	assert_int_equal(write(master, "\003", 1), 1);
	read_all(fx.out_r, out, sizeof(out));
	assert_int_equal(waitpid(caller, &ws, 0), caller);
	fx.init = -1;
	close(master);
	assert_string_equal(out, "1\n");
	assert_int_equal(init_status_of(ws), 0);
}

static void test_ctrl_c_foreground(void **state)
{
	(void)state;
	ctrl_c_once(CTRL_C_FOREGROUND);
}

static void test_ctrl_c_forwarded(void **state)
{
	(void)state;
	ctrl_c_once(CTRL_C_FORWARDED);
}

static void test_ctrl_c_exec(void **state)
{
	(void)state;
	ctrl_c_once(CTRL_C_EXEC);
}

/* the environment the test was started with: its strings lie in the process's env area */
static char **initial_env;

/*
 * The caller's argv and environ strings may be the container's (the CLI's
 * `-w DIR`, `-e K=V`): init's overwriting of its cmdline and environ must not
 * reach the command. Here envp and workdir point into that area.
 */
static void test_caller_strings_intact(void **state)
{
	char *argv[] = { "sh", "-c", "pwd; echo \"$PATH\"", NULL };
	struct spawn_spec spec = base_spec(argv);
	const char *path = "", *pwd = "/";
	char want[OUT_MAX], out[OUT_MAX];

	(void)state;
	for (char **v = initial_env; *v; v++) {
		if (!strncmp(*v, "PATH=", 5))
			path = *v + 5;
		if (!strncmp(*v, "PWD=", 4) && (*v)[4] == '/')
			pwd = *v + 4;
	}
	spec.envp = initial_env;
	spec.workdir = pwd;
	snprintf(want, sizeof(want), "%s\n%s\n", pwd, path);
	assert_int_equal(run_spec(&spec, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

/* no child of ours is left (no container, no zombie) */
static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* where cgroup2 is mounted (field 5 of mountinfo, type after " - "); false if nowhere */
static bool cgroup2_mount(char *buf, size_t len)
{
	char line[4096], point[1024];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (sep && !strncmp(sep, " - cgroup2 ", 11) &&
		    sscanf(line, "%*s %*s %*s %*s %1023s", point) == 1) {
			snprintf(buf, len, "%s", point);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* init born in a cgroup v2 directory (CLONE_INTO_CGROUP), which is its cgroup namespace's root */
static void test_born_in_cgroup(void **state)
{
	char *argv[] = { "sh", "-c", "grep '^0::' /proc/self/cgroup; exec cat", NULL };
	struct spawn_spec spec = base_spec(argv);
	struct run_err e = { 0 };
	char mnt[1024], line[512], want[512];
	FILE *f;
	bool found = false;

	(void)state;
	if (!cgroup2_mount(mnt, sizeof(mnt)))
		skip();
	snprintf(fx.cgroup, sizeof(fx.cgroup), "%s/bpfnet-unit-spawn-%d", mnt, (int)getpid());
	assert_int_equal(mkdir(fx.cgroup, 0755), 0);
	spec.cgroup_v2_dir = fx.cgroup;
	assert_int_equal(spawn_piped(&spec, NULL, NULL, &e), 0);
	read_line(fx.out_r, line, sizeof(line));
	assert_string_equal(line, "0::/\n");
	snprintf(want, sizeof(want), "0::%s\n", fx.cgroup + strlen(mnt));
	snprintf(line, sizeof(line), "/proc/%d/cgroup", (int)fx.init);
	f = fopen(line, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = !strcmp(line, want);
	fclose(f);
	assert_true(found);
	close(fx.in_w);
	fx.in_w = -1;
	assert_int_equal(wait_init(), 0);

	/* not a cgroup: refused by the clone, with a sentence, nothing left */
	spec.cgroup_v2_dir = fx.dir;
	assert_int_not_equal(spawn_piped(&spec, NULL, NULL, &e), 0);
	assert_has(e.msg, "cannot clone the container 'spawn-test' into new namespaces and the cgroup");
	assert_no_children();
}

static int refuse_hook(pid_t pid, void *arg, struct run_err *e)
{
	(void)pid;
	(void)arg;
	return run_errf(e, EIO, "the test's hook refuses");
}


static void test_child_errors(void **state)
{
	char *missing[] = { "/nonexistent/cmd", NULL };
	char *sh[] = { "sh", "-c", "true", NULL };
	char root[128], empty[128];
	struct spawn_spec spec;
	struct run_err e = { 0 };

	(void)state;
	spec = base_spec(missing);
	assert_int_equal(spawn_piped(&spec, NULL, NULL, &e), -ENOENT);
	assert_has(e.msg, "cannot run /nonexistent/cmd: No such file or directory");
	assert_no_children();

	spec = base_spec(sh);
	assert_int_equal(spawn_piped(&spec, refuse_hook, NULL, &e), -EIO);
	assert_string_equal(e.msg, "the test's hook refuses");
	assert_no_children();

	spec = base_spec(sh);
	spec.workdir = "/nonexistent";
	assert_int_equal(spawn_piped(&spec, NULL, NULL, &e), -ENOENT);
	assert_has(e.msg, "cannot change into the working directory /nonexistent");
	assert_no_children();

	snprintf(root, sizeof(root), "%s/missing", fx.dir);
	spec = base_spec(sh);
	spec.rootfs = root;
	assert_int_equal(spawn_piped(&spec, NULL, NULL, &e), -ENOENT);
	assert_has(e.msg, "cannot find the rootfs");
	assert_no_children();

	/* a rootfs without a shell: the command is not found in it */
	dir_in(empty, sizeof(empty), "empty");
	spec = base_spec(sh);
	spec.rootfs = empty;
	assert_int_equal(spawn_piped(&spec, NULL, NULL, &e), -ENOENT);
	assert_has(e.msg, "cannot run sh");
	assert_no_children();

	/* exec into a container that is gone */
	assert_int_equal(container_exec(INT32_MAX, sh, test_env, NULL, (int[3]){ -1, -1, -1 },
					&(int){ 0 }, &e),
			 -ESRCH);
	assert_has(e.msg, "is not running");

	spec = base_spec(sh);
	spec.hostname = NULL;
	assert_int_equal(spawn_piped(&spec, NULL, NULL, &e), -EINVAL);
	assert_has(e.msg, "hostname");
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)

int main(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	initial_env = envp;
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	signal(SIGALRM, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGHUP, on_fatal_signal);
	signal(SIGINT, on_fatal_signal);
	const struct CMUnitTest tests[] = {
		T(test_exit_statuses),	    T(test_status_fd),
		T(test_no_fd_leak),	    T(test_pid1_and_own_proc),
		T(test_hostname),	    T(test_mount_invisible_outside),
		T(test_orphans_reaped),	    T(test_network_namespace),
		T(test_signal_to_init),	    T(test_wait_forwards_signals),
		T(test_userns_maps),	    T(test_rootfs_files),
		T(test_rootfs_sys_dev),	    T(test_rootfs_userns),
		T(test_exec_same_namespaces), T(test_exec_userns),
		T(test_ctrl_c_foreground),  T(test_ctrl_c_forwarded),
		T(test_ctrl_c_exec),
		T(test_caller_strings_intact), T(test_born_in_cgroup),
		T(test_child_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
