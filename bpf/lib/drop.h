/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Return contract of the datapath helpers: a value >= 0 is a CTX_ACT_*
 * verdict (ctx/), a negative value is -enum bpfnet_drop_reason. Every entry
 * program hands the result to finish() (lib/finish.h), which counts it and
 * turns it into the program type's verdict.
 */
#ifndef BPFNET_BPF_DROP_H
#define BPFNET_BPF_DROP_H

#include "bpfnet/abi.h"
#include "lib/maps.h"

#define DROP(reason) (-(int)BPFNET_##reason)

static __always_inline int is_drop(int ret)
{
	return ret < 0;
}

static __always_inline void count_drop(__u32 reason)
{
	__u64 *cnt = bpf_map_lookup_elem(&drop_stats, &reason);

	if (cnt)
		*cnt += 1;
}

#endif
