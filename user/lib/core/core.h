/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * core: what every layer of the library shares, and nothing else: the
 * instance handle, error messages (bn_fail) and logging (pr_*), and a few
 * leaf helpers. It includes only libc and the public header.
 *
 * The layers, each calling only those below it (tests/unit/layers.sh checks
 * the includes):
 *   api/    the public verbs and the transaction helper   may use dp, sys, model, core
 *   dp/     the datapath: load/pin/attach, the maps        may use sys, model, core
 *   sys/    netlink, netns, bpffs, the instance's files   may use model, core
 *   model/  pure data: state, journal, IPAM, -p parsing   may use core (libc, jansson)
 *   core/   the handle and errors                          libc only
 */
#ifndef BPFNET_CORE_H
#define BPFNET_CORE_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include "bpfnet/bpfnet.h"

#define BPFNET_INSTANCE_MAX 32		/* instance name length, without the NUL */
#define BPFNET_DEFAULT_INSTANCE "default"
#define BPFNET_DEFAULT_BPFFS "/sys/fs/bpf"
#define BPFNET_DEFAULT_RUN_DIR "/run/bpfnet"
#define BPFNET_NETNS_DIR "/var/run/netns"

struct journal;

#define BN_ERRMSG_MAX 512

struct bpfnet {
	char instance[BPFNET_INSTANCE_MAX + 1];
	char bpffs_opt[PATH_MAX];	/* as given; "" = find one */
	char pin_dir[PATH_MAX];		/* <bpffs>/bpfnet/<instance>, once resolved */
	char run_dir[PATH_MAX];		/* <run>/<instance> */
	char errmsg[BN_ERRMSG_MAX];
	int lock_fd;			/* held while a command changes state; -1 otherwise */
	struct journal *recovered;	/* the interrupted command this handle finished or undid */
};

#define __printf(a, b) __attribute__((format(printf, a, b)))

/* The callback the library prints through (bpfnet_set_print()); returns the one before. */
bpfnet_print_fn bn_set_print_fn(bpfnet_print_fn fn);
void bn_print(enum bpfnet_log_level level, const char *fmt, ...) __printf(2, 3);
/* The same with a va_list: 0 when no callback is set. */
int bn_vprint(enum bpfnet_log_level level, const char *fmt, va_list ap);
#define pr_warn(fmt, ...) bn_print(BPFNET_WARN, "bpfnet: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) bn_print(BPFNET_INFO, "bpfnet: " fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) bn_print(BPFNET_DEBUG, "bpfnet: " fmt, ##__VA_ARGS__)

/* Record why a call failed, for bpfnet__errmsg(); returns @err (a negative errno). */
int bn_fail(struct bpfnet *bn, int err, const char *fmt, ...) __printf(3, 4);

/* A name users give to networks and endpoints: [A-Za-z0-9][A-Za-z0-9_.-]*, < BPFNET_NAME_MAX. */
int name_valid(const char *name);
/* The same alphabet, shorter than @max (with the NUL): container IDs of runtimes. */
int id_valid(const char *name, size_t max);

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(), for ages of map entries. */
unsigned long long bn_mono_ns(void);

/* A random unicast, locally administered MAC; -EIO without random bytes. */
int bn_random_mac(uint8_t mac[6]);

/* 32-bit FNV-1a: stable short ids derived from names (veth names, tc priorities). */
unsigned int fnv1a32(const char *s);

#endif
