/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The event monitor's listener (bpf/lib/monitor.h writes): a slot of
 * mon_ctl claimed under a lease, a ring of its own in mon_rings, the
 * events read from it. A listener killed leaves a lease that runs out
 * within BPFNET_MON_LEASE_MS; the datapath then drops its bits from the
 * mask and the next listener may take the slot.
 */
#ifndef BPFNET_DP_MONITOR_H
#define BPFNET_DP_MONITOR_H

#include "dp/maps.h"

struct dp_monitor;

/* One event, as the ring holds it; a non-zero return stops dp_monitor_poll(). */
typedef int (*dp_monitor_fn)(const struct bpfnet_mon_event *ev, void *ctx);

/* Listen for events of @mask (BPFNET_MON_F()); -EBUSY when every slot is live. */
int dp_monitor_open(struct bpfnet *bn, __u32 mask, struct dp_monitor **out);
/* Wait up to @timeout_ms (-1: no end) for events, @fn for each; renews the lease when due. */
int dp_monitor_poll(struct dp_monitor *m, int timeout_ms, dp_monitor_fn fn, void *ctx);
int dp_monitor_counters(struct dp_monitor *m, __u64 out[BPFNET_MON_CPU_COUNTERS]);
/* Give the slot back (lease, mask, ring) and free @m; NULL is fine. */
void dp_monitor_close(struct dp_monitor *m);

/*
 * The IPv4 5-tuple of a packet's first @len bytes (an Ethernet frame), into
 * @key (network order; ICMP echo: the id as sport of a request, dport of a
 * reply, as conntrack keys it); false when they do not hold it.
 */
bool dp_mon_packet_tuple(const __u8 *data, __u32 len, struct bpfnet_ct_key *key);

#endif
