// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bridge FDB as `bpfnet fdb ls` lists it: the entries the datapath
 * would still use, with the endpoints and ports they lead to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "dp/bridge.h"
#include "dp/maps.h"
#include "sys/store.h"

#define NSEC_PER_MSEC 1000000ULL
#define FDB_AGEING_NS (BPFNET_FDB_AGEING_SEC * 1000 * NSEC_PER_MSEC)

static const struct ep_state *ep_of_port(const struct state *st, unsigned int ifindex)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].host_ifindex == ifindex)
			return &st->eps[i];
	return NULL;
}

/* One listed entry; false for an entry the datapath would no longer use. */
static bool entry_of(const struct state *st, const struct net_state *net,
		     const struct bpfnet_fdb_key *k, const struct bpfnet_fdb_val *v, __u64 now,
		     struct bpfnet_fdb_entry *e)
{
	__u64 idle = now > v->last_seen_ns ? now - v->last_seen_ns : 0;
	const struct ep_state *ep = ep_of_port(st, v->ifindex);

	if (!(v->flags & BPFNET_FDB_F_STATIC) && idle > FDB_AGEING_NS)
		return false;
	memset(e, 0, sizeof(*e));
	snprintf(e->network, sizeof(e->network), "%s", net->name);
	memcpy(e->mac, k->mac, sizeof(e->mac));
	if (ep) {
		snprintf(e->endpoint, sizeof(e->endpoint), "%s", ep->name);
		snprintf(e->port, sizeof(e->port), "%s", ep->host_ifname);
	}
	e->ifindex = v->ifindex;
	e->is_static = !!(v->flags & BPFNET_FDB_F_STATIC);
	e->age_ms = idle / NSEC_PER_MSEC;
	return true;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct bpfnet_fdb_entry *x = a, *y = b;

	return strcmp(x->network, y->network) ?: memcmp(x->mac, y->mac, sizeof(x->mac));
}

static int fdb_collect(struct bpfnet *bn, struct state *st, const char *network,
		       struct bpfnet_fdb_entry **out, size_t *count)
{
	struct bpfnet_fdb_entry *list = NULL;
	struct fdb_dump d = {};
	__u64 now = bn_mono_ns();
	struct dp dp;
	size_t n = 0;
	int fd, err;

	dp_init(&dp, bn);
	fd = dp_fd(&dp, DP_FDB);
	err = fd < 0 ? 0 : dp_fdb_dump(&dp, &d);
	dp_close(&dp);
	if (fd < 0)
		return fd;
	if (!err && !(list = calloc(d.n + 1, sizeof(*list))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < d.n; i++) {
		const struct net_state *net = state_net_by_id(st, d.keys[i].net_id);

		if (net && (!network || !strcmp(net->name, network)) &&
		    entry_of(st, net, &d.keys[i], &d.vals[i], now, &list[n]))
			n++;
	}
	fdb_dump_free(&d);
	if (err) {
		free(list);
		return bn_fail(bn, err, "cannot read the FDB: %s", strerror(-err));
	}
	qsort(list, n, sizeof(*list), cmp_entry);
	*out = list;
	*count = n;
	return 0;
}

int bpfnet_fdb__list(struct bpfnet *bn, const char *network, struct bpfnet_fdb_entry **out,
		     size_t *count)
{
	const struct net_state *net;
	struct state st;
	int err = state_load(bn, &st);

	if (err)
		return err;
	net = network ? state_net(&st, network) : NULL;
	if (network && !net)
		err = bn_fail(bn, -ENOENT, "no network '%s'",
			      network);
	else if (net && !net_is_bridge(net))
		err = bn_fail(bn, -EINVAL, "network '%s' is an %s network: only bridge networks "
			      "have an FDB", network, net->mode);
	else if (!st.node.initialized)
		err = bn_fail(bn, -ENOENT, "the node is not initialized");
	else
		err = fdb_collect(bn, &st, network, out, count);
	state_free(&st);
	return err;
}
