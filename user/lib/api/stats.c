// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Counters: the per-CPU maps summed over CPUs, endpoints named from the state. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/types.h"
#include "dp/ct.h"
#include "dp/maps.h"
#include "sys/store.h"

#define EVENT_NAME(name, str) [BPFNET_##name] = str,
static const char *const event_names[BPFNET_G_MAX] = { BPFNET_FOREACH_GLOBAL(EVENT_NAME) };
#undef EVENT_NAME

static int read_endpoints(struct dp *dp, const struct state *st, struct bpfnet_stats *out)
{
	int err = dp_fd(dp, DP_EP_STATS);

	if (err < 0)
		return err;
	err = 0;
	out->endpoints = calloc(st->n_eps + 1, sizeof(*out->endpoints));
	if (!out->endpoints)
		err = -ENOMEM;
	for (size_t i = 0; i < st->n_eps && !err; i++) {
		struct bpfnet_endpoint_stats *es = &out->endpoints[i];
		struct bpfnet_ep_stats sum;

		err = dp_ep_stats_read(dp, st->eps[i].id, &sum);
		strcpy(es->name, st->eps[i].name);
		es->tx_packets = sum.tx_packets;
		es->tx_bytes = sum.tx_bytes;
		es->rx_packets = sum.rx_packets;
		es->rx_bytes = sum.rx_bytes;
		es->drops = sum.drops;
		out->n_endpoints++;
	}
	return err ? bn_fail(dp->bn, err, "cannot read endpoint counters: %s", strerror(-err)) : 0;
}

static int read_drops(struct dp *dp, struct bpfnet_stats *out)
{
	int err = dp_fd(dp, DP_DROP_STATS);

	if (err < 0)
		return err;
	err = 0;
	/* reason 0 is never used: list the real ones */
	out->drops = calloc(BPFNET_DROP_MAX, sizeof(*out->drops));
	if (!out->drops)
		err = -ENOMEM;
	for (unsigned int r = 1; r < BPFNET_DROP_MAX && !err; r++) {
		__u64 n;

		err = dp_drop_read(dp, r, &n);
		out->drops[out->n_drops].reason = bn_drop_reason_name(r);
		out->drops[out->n_drops++].packets = n;
	}
	return err ? bn_fail(dp->bn, err, "cannot read drop counters: %s", strerror(-err)) : 0;
}

/* Read after the conntrack walk: what it collected is in them. */
static int read_events(struct dp *dp, struct bpfnet_stats *out)
{
	__u64 c[BPFNET_G_MAX];
	int err = dp_global_read(dp, c);

	if (err)
		return err;
	out->events = calloc(BPFNET_G_MAX, sizeof(*out->events));
	if (!out->events)
		return bn_fail(dp->bn, -ENOMEM, "out of memory");
	for (unsigned int g = 0; g < BPFNET_G_MAX; g++) {
		out->events[out->n_events].reason = event_names[g];
		out->events[out->n_events++].packets = c[g];
	}
	return 0;
}

/* Live flows and entries: walked (and collected), since an LRU hash keeps no count. */
static int count_ct(struct dp *dp, struct bpfnet_stats *out)
{
	int err = ct_summary(dp, &out->ct);

	out->ct.sz = sizeof(out->ct);
	out->ct_entries = out->ct.entries;
	out->ct_max = out->ct.max;
	return err;
}

static int stats_get(struct bpfnet *bn, struct bpfnet_stats *out)
{
	struct state st;
	struct dp dp;
	int err = state_load(bn, &st);

	if (err)
		return err;
	if (!st.node.initialized) {
		err = bn_fail(bn, -ENOENT, "the node is not initialized");
	} else {
		dp_init(&dp, bn);
		err = read_endpoints(&dp, &st, out) ?: read_drops(&dp, out) ?: count_ct(&dp, out) ?:
		      read_events(&dp, out);
		dp_close(&dp);
	}
	state_free(&st);
	return err;
}

static void stats_free(struct bpfnet_stats *s)
{
	free(s->endpoints);
	free(s->drops);
	free(s->events);
}

int bpfnet_stats__get(struct bpfnet *bn, struct bpfnet_stats *out)
{
	struct bpfnet_stats s = { .sz = sizeof(s) };
	int err = bn_out_check(bn, out, "bpfnet_stats");

	if (err)
		return err;
	err = stats_get(bn, &s);
	if (err) {
		stats_free(&s);
		memset(&s, 0, sizeof(s));
	}
	bn_out_put(out, &s, sizeof(s));
	return err;
}

/*
 * The arrays are early fields: every caller's sz reaches them. A struct whose
 * sz is below that was never filled (bpfnet_stats__get() refuses it): a
 * zeroed one, freed before any get, is left as it is.
 */
void bpfnet_stats__free(struct bpfnet_stats *stats)
{
	size_t sz;

	if (!stats || stats->sz <= sizeof(size_t))
		return;
	sz = stats->sz < sizeof(*stats) ? stats->sz : sizeof(*stats);
	stats_free(stats);
	memset((char *)stats + sizeof(size_t), 0, sz - sizeof(size_t));
}
