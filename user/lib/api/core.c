// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The instance handle: opening, closing, its error message, and libbpf's log routed in. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "api/internal.h"
#include "model/journal.h"
#include "sys/fsutil.h"
#include "sys/store.h"

/* libbpf's print callback before we routed it to ours, while we do */
static libbpf_print_fn_t libbpf_print_before;
static bool libbpf_routed;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);

const char *bpfnet_version(void)
{
	return BPFNET_VERSION_STRING;
}

/* libbpf's callback is the process's: taken only when asked, and given back. */
bpfnet_print_fn bpfnet_set_print(bpfnet_print_fn fn, unsigned int flags)
{
	bpfnet_print_fn old = bn_set_print_fn(fn);
	libbpf_print_fn_t prev;

	if (flags & BPFNET_PRINT_LIBBPF) {
		prev = libbpf_set_print(libbpf_print);
		if (!libbpf_routed)
			libbpf_print_before = prev;
		libbpf_routed = true;
	} else if (libbpf_routed) {
		libbpf_set_print(libbpf_print_before);
		libbpf_routed = false;
	}
	return old;
}

/* libbpf's messages go through the same callback, as warnings or debug. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum bpfnet_log_level ours = level == LIBBPF_WARN ? BPFNET_WARN : BPFNET_DEBUG;
	va_list copy;
	char msg[256];

	/*
	 * bpf_tc_hook_create() on an existing clsact is fine to us, and so is a
	 * bpf_tc_query() that finds no filter (check asks), but libbpf warns
	 */
	va_copy(copy, ap);
	vsnprintf(msg, sizeof(msg), fmt, copy);
	va_end(copy);
	if (strstr(msg, "Exclusivity flag on") || strstr(msg, "Cannot find specified filter chain"))
		ours = BPFNET_DEBUG;
	return bn_vprint(ours, fmt, ap);
}

/* Why the calling thread's last call without a handle failed. */
static __thread char thread_errmsg[BN_ERRMSG_MAX];

int bn_fail_nohandle(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(thread_errmsg, sizeof(thread_errmsg), fmt, ap);
	va_end(ap);
	return err;
}

const char *bpfnet__errmsg(const struct bpfnet *bn)
{
	return bn ? bn->errmsg : thread_errmsg;
}

int bn_sz_check(const void *p, size_t lib_sz)
{
	size_t sz = *(const size_t *)p;
	const char *b = p;

	if (sz < sizeof(size_t))
		return -EINVAL;
	for (size_t i = lib_sz; i < sz; i++)
		if (b[i])
			return -EINVAL;
	return 0;
}

int bn_out_check(struct bpfnet *bn, const void *dst, const char *what)
{
	size_t sz = *(const size_t *)dst;

	if (sz < sizeof(size_t))
		return bn_fail(bn, -EINVAL, "%s: sz %zu is smaller than the field itself: set it to "
			       "sizeof(struct %s)", what, sz, what);
	return 0;
}

void bn_out_put(void *dst, const void *src, size_t lib_sz)
{
	size_t sz = *(const size_t *)dst, n = sz < lib_sz ? sz : lib_sz;

	memcpy((char *)dst + sizeof(size_t), (const char *)src + sizeof(size_t),
	       n - sizeof(size_t));
	if (sz > lib_sz)
		memset((char *)dst + lib_sz, 0, sz - lib_sz);
}

const char *bpfnet__instance(const struct bpfnet *bn)
{
	return bn->instance;
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

/* bpfnet__open()'s options, checked, with their defaults. */
static int open_options(const struct bpfnet_opts *opts, const char **inst, const char **run,
			const char **bpffs)
{
	if (!OPTS_VALID(opts))
		return bn_fail_nohandle(-EINVAL, "struct bpfnet_opts: bad sz %zu (at least %zu; "
					"bytes past %zu must be zero)", opts->sz, sizeof(size_t),
					sizeof(*opts));
	/* NULL is the default; "" is a name, and not a valid one */
	*inst = OPTS_GET(opts, instance, NULL) ?: BPFNET_DEFAULT_INSTANCE;
	*run = OPTS_GET(opts, run_dir, NULL);
	*bpffs = OPTS_GET(opts, bpffs, NULL) ?: getenv("BPFNET_BPFFS");
	if (strlen(*inst) > BPFNET_INSTANCE_MAX || !name_valid(*inst))
		return bn_fail_nohandle(-EINVAL, "invalid instance name '%s': 1-%d letters, "
					"digits, '_', '.' or '-', starting with a letter or digit",
					*inst, BPFNET_INSTANCE_MAX);
	return 0;
}

/* The bpffs given, if any: a typo would otherwise read as an instance never initialized. */
static int open_bpffs(const char *bpffs)
{
	int err;

	if (!bpffs)
		return 0;
	if (strlen(bpffs) >= PATH_MAX)
		return bn_fail_nohandle(-ENAMETOOLONG, "bpffs path too long (at most %d bytes)",
					PATH_MAX - 1);
	err = bpffs_given_check(bpffs);
	if (err == -EMEDIUMTYPE)
		return bn_fail_nohandle(err, "bpffs %s: not a bpffs mount", bpffs);
	if (err)
		return bn_fail_nohandle(err, "bpffs '%s': %s", bpffs, strerror(-err));
	return 0;
}

int bpfnet__open(const struct bpfnet_opts *opts, struct bpfnet **out)
{
	const char *inst = NULL, *run = NULL, *bpffs = NULL;
	struct bpfnet *bn;
	int err;

	if (!out)
		return bn_fail_nohandle(-EINVAL, "bpfnet__open: out is NULL");
	err = open_options(opts, &inst, &run, &bpffs) ?: open_bpffs(bpffs);
	if (err)
		return err;
	run = opt_or_env(run, "BPFNET_RUN_DIR", BPFNET_DEFAULT_RUN_DIR);
	if (strlen(run) + 1 + strlen(inst) >= PATH_MAX)
		return bn_fail_nohandle(-ENAMETOOLONG, "run dir path too long (at most %zu bytes)",
					(size_t)PATH_MAX - 2 - strlen(inst));
	bn = calloc(1, sizeof(*bn));
	if (!bn)
		return bn_fail_nohandle(-ENOMEM, "out of memory");
	bn->lock_fd = -1;
	strcpy(bn->instance, inst);
	snprintf(bn->bpffs_opt, sizeof(bn->bpffs_opt), "%s", bpffs ? bpffs : "");
	snprintf(bn->run_dir, sizeof(bn->run_dir), "%s/%s", run, inst);
	thread_errmsg[0] = '\0';
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
