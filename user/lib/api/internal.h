/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * api: the public verbs of include/bpfnet/bpfnet.h and the transaction
 * helper (api/txn.h). Files here may use dp/, sys/, model/ and core/; no
 * lower layer includes anything of api/ (see core/core.h for the rules).
 */
#ifndef BPFNET_INTERNAL_H
#define BPFNET_INTERNAL_H

#include "core/core.h"
#include "model/state.h"

/* The same as bn_fail() for a call with no handle: bpfnet__errmsg(NULL) reads it, per thread. */
int bn_fail_nohandle(int err, const char *fmt, ...) __printf(2, 3);

#define bn_offsetofend(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/*
 * Structs that start with their size, as libbpf's opts: a caller's older,
 * smaller struct is fine (fields past its sz take their defaults); a newer,
 * larger one only if every byte past @lib_sz is zero. 0 or -EINVAL.
 */
int bn_sz_check(const void *p, size_t lib_sz);
#define OPTS_VALID(opts) (!(opts) || !bn_sz_check((opts), sizeof(*(opts))))
#define OPTS_HAS(opts, field) ((opts) && (opts)->sz >= bn_offsetofend(typeof(*(opts)), field))
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/*
 * Results the caller sizes (struct bpfnet_*_info and the like): check its sz
 * before acting (-EINVAL with a message below sizeof(size_t)), then copy the
 * library's @src of @lib_sz bytes as far as the caller's sz reaches; a newer
 * caller's fields past @lib_sz read zero.
 */
int bn_out_check(struct bpfnet *bn, const void *dst, const char *what);
void bn_out_put(void *dst, const void *src, size_t lib_sz);

#endif
