/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Per-endpoint and node-wide counters. Per-CPU slots: plain increments are race-free. */
#ifndef BPFNET_BPF_STATS_H
#define BPFNET_BPF_STATS_H

#include "lib/maps.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/* One more of a node-wide event (enum bpfnet_global_counter). */
static __always_inline void count_global(__u32 counter)
{
	__u64 *cnt = bpf_map_lookup_elem(&global_stats, &counter);

	if (cnt)
		*cnt += 1;
}

static __always_inline struct bpfnet_ep_stats *ep_stats_of(__u32 ep_id)
{
	return bpf_map_lookup_elem(&ep_stats, &ep_id);
}

static __always_inline void ep_count_tx(__u32 ep_id, __u32 len)
{
	struct bpfnet_ep_stats *st = ep_stats_of(ep_id);

	if (st) {
		st->tx_packets++;
		st->tx_bytes += len;
	}
}

static __always_inline void ep_count_rx(__u32 ep_id, __u32 len)
{
	struct bpfnet_ep_stats *st = ep_stats_of(ep_id);

	if (st) {
		st->rx_packets++;
		st->rx_bytes += len;
	}
}

static __always_inline void ep_count_drop(__u32 ep_id)
{
	struct bpfnet_ep_stats *st = ep_stats_of(ep_id);

	if (st)
		st->drops++;
}

#endif
