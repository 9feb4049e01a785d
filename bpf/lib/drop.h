/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Return contract of the datapath helpers: a value >= 0 is a TC_ACT_* verdict
 * (TC_ACT_UNSPEC, -1, is never used), a negative value is -enum bpfnet_drop_reason.
 * The entry programs turn a drop into TC_ACT_SHOT and count its reason.
 */
#ifndef BPFNET_BPF_DROP_H
#define BPFNET_BPF_DROP_H

#include <linux/pkt_cls.h>
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

/* Turn a helper's result into a verdict, counting the drop reason if any. */
static __always_inline int verdict_of(int ret)
{
	if (!is_drop(ret))
		return ret;
	count_drop((__u32)-ret);
	return TC_ACT_SHOT;
}

#endif
