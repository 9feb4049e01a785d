// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The instance handle: options, error messages, logging and the state lock. */
#include <ctype.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "api/internal.h"
#include "sys/fsutil.h"
#include "model/journal.h"

/* Attempts to lock an instance whose lock file a concurrent unlock keeps removing. */
#define LOCK_TRIES 16

static int default_print(enum bpfnet_log_level level, const char *fmt, va_list ap)
{
	if (level == BPFNET_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bpfnet_print_fn print_fn = default_print;

bpfnet_print_fn bpfnet_set_print(bpfnet_print_fn fn)
{
	bpfnet_print_fn old = print_fn;

	print_fn = fn;
	return old;
}

void bn_print(enum bpfnet_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!print_fn)
		return;
	va_start(ap, fmt);
	print_fn(level, fmt, ap);
	va_end(ap);
}

/* libbpf's messages go through the same callback, as warnings or debug. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum bpfnet_log_level ours = level == LIBBPF_WARN ? BPFNET_WARN : BPFNET_DEBUG;
	va_list copy;
	char msg[256];

	if (!print_fn)
		return 0;
	/*
	 * bpf_tc_hook_create() on an existing clsact is fine to us, and so is a
	 * bpf_tc_query() that finds no filter (check asks), but libbpf warns
	 */
	va_copy(copy, ap);
	vsnprintf(msg, sizeof(msg), fmt, copy);
	va_end(copy);
	if (strstr(msg, "Exclusivity flag on") || strstr(msg, "Cannot find specified filter chain"))
		ours = BPFNET_DEBUG;
	return print_fn(ours, fmt, ap);
}

int bn_fail(struct bpfnet *bn, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(bn->errmsg, sizeof(bn->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

const char *bpfnet__errmsg(const struct bpfnet *bn)
{
	return bn->errmsg;
}

const char *bpfnet__instance(const struct bpfnet *bn)
{
	return bn->instance;
}

int name_valid(const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= BPFNET_NAME_MAX || !isalnum((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return 0;
	return 1;
}

unsigned int fnv1a32(const char *s)
{
	unsigned int h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static const char *opt_or_env(const char *opt, const char *env, const char *def)
{
	const char *v = opt && *opt ? opt : getenv(env);

	return v && *v ? v : def;
}

/*
 * A bpffs named by the caller must be one, checked before any command runs: a
 * typo would otherwise read as an instance that was never initialized.
 */
static int bpffs_given_check(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;	/* "" too: ENOENT */
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return is_bpffs(path) ? 0 : -EMEDIUMTYPE;
}

int bpfnet__open(const struct bpfnet_opts *opts, struct bpfnet **out)
{
	const char *inst = BPFNET_DEFAULT_INSTANCE, *run = NULL, *bpffs = NULL;
	struct bpfnet *bn;
	int err;

	if (opts && opts->sz >= sizeof(*opts)) {
		/* NULL is the default; "" is a name, and not a valid one */
		inst = opts->instance ? opts->instance : inst;
		run = opts->run_dir;
		bpffs = opts->bpffs;
	}
	if (strlen(inst) > BPFNET_INSTANCE_MAX || !name_valid(inst))
		return -EINVAL;
	bpffs = bpffs ? bpffs : getenv("BPFNET_BPFFS");
	if (bpffs && strlen(bpffs) >= sizeof(bn->bpffs_opt))
		return -ENAMETOOLONG;
	err = bpffs ? bpffs_given_check(bpffs) : 0;
	if (err)
		return err;
	bn = calloc(1, sizeof(*bn));
	if (!bn)
		return -ENOMEM;
	bn->lock_fd = -1;
	strcpy(bn->instance, inst);
	snprintf(bn->bpffs_opt, sizeof(bn->bpffs_opt), "%s", bpffs ? bpffs : "");
	snprintf(bn->run_dir, sizeof(bn->run_dir), "%s/%s",
		 opt_or_env(run, "BPFNET_RUN_DIR", BPFNET_DEFAULT_RUN_DIR), inst);
	libbpf_set_print(libbpf_print);
	*out = bn;
	return 0;
}

void bpfnet__close(struct bpfnet *bn)
{
	if (!bn)
		return;
	bn_unlock(bn);
	journal_free(bn->recovered);
	free(bn->recovered);
	free(bn);
}

/* Is @fd still the file at @path? An unlock that removed an empty instance unlinks it. */
static bool lock_is_current(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int lock_once(struct bpfnet *bn, const char *path, int *out)
{
	int err, fd;

	err = mkdir_p(bn->run_dir, 0755);
	if (err)
		return bn_fail(bn, err, "cannot create state dir %s: %s", bn->run_dir, strerror(-err));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		return bn_fail(bn, err, "cannot open lock %s: %s", path, strerror(-err));
	}
	if (flock(fd, LOCK_EX) < 0) {
		err = -errno;
		close(fd);
		return bn_fail(bn, err, "cannot lock %s: %s", path, strerror(-err));
	}
	*out = fd;
	return 0;
}

int bn_lock(struct bpfnet *bn)
{
	char path[PATH_MAX + 8];
	int err, fd = -1;

	snprintf(path, sizeof(path), "%s/lock", bn->run_dir);
	/* the holder before us may have removed the (empty) instance: lock the new file then */
	for (int tries = 0; tries < LOCK_TRIES; tries++) {
		err = lock_once(bn, path, &fd);
		if (err)
			return err;
		if (lock_is_current(fd, path)) {
			bn->lock_fd = fd;
			return 0;
		}
		close(fd);
	}
	return bn_fail(bn, -EAGAIN, "cannot lock %s: it keeps being removed", path);
}

void bn_unlock(struct bpfnet *bn)
{
	char path[PATH_MAX + 16];

	if (bn->lock_fd < 0)
		return;
	/*
	 * A command that failed on an instance with no state leaves nothing behind:
	 * not even the lock and its directory.
	 */
	snprintf(path, sizeof(path), "%s/state.json", bn->run_dir);
	if (access(path, F_OK) && errno == ENOENT) {
		snprintf(path, sizeof(path), "%s/lock", bn->run_dir);
		unlink(path);
		rmdir(bn->run_dir);
		rmdir_parent(bn->run_dir);
	}
	close(bn->lock_fd);
	bn->lock_fd = -1;
}

unsigned long long bn_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

int bn_random_mac(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6)
		return -EIO;
	mac[0] = (mac[0] & 0xfe) | 0x02;	/* unicast, locally administered */
	return 0;
}
