// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bridge FDB from the control plane: listing it, and forgetting the
 * entries of a port that goes away. The datapath keeps changing the table,
 * so both read every key first and then look at (or delete) each one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "dp/bridge.h"
#include "dp/datapath.h"

#define NSEC_PER_MSEC 1000000ULL
#define FDB_AGEING_NS (BPFNET_FDB_AGEING_SEC * 1000 * NSEC_PER_MSEC)

struct fdb_dump {
	struct bpfnet_fdb_key *keys;
	struct bpfnet_fdb_val *vals;
	size_t n;
};

static void dump_free(struct fdb_dump *d)
{
	free(d->keys);
	free(d->vals);
}

/* Every entry now in the table (those deleted while we read are left out). */
static int fdb_dump(int fd, struct fdb_dump *d)
{
	struct bpfnet_fdb_key *prev = NULL;
	size_t n = 0;

	d->n = 0;
	d->keys = calloc(BPFNET_FDB_MAX, sizeof(*d->keys));
	d->vals = calloc(BPFNET_FDB_MAX, sizeof(*d->vals));
	if (!d->keys || !d->vals)
		return -ENOMEM;
	while (n < BPFNET_FDB_MAX && !bpf_map_get_next_key(fd, prev, &d->keys[n])) {
		prev = &d->keys[n];
		n++;
	}
	for (size_t i = 0; i < n; i++)
		if (!bpf_map_lookup_elem(fd, &d->keys[i], &d->vals[d->n]))
			d->keys[d->n++] = d->keys[i];
	return 0;
}

/* Delete the entries of network @net_id: all of them, or those behind @ifindex. */
static int fdb_forget(struct bpfnet *bn, unsigned int net_id, bool all, unsigned int ifindex)
{
	int fd = dp_map_fd(bn, BPFNET_MAP_FDB), err;
	struct fdb_dump d = {};

	if (fd < 0)
		return fd;
	err = fdb_dump(fd, &d);
	for (size_t i = 0; !err && i < d.n; i++)
		if (d.keys[i].net_id == net_id && (all || d.vals[i].ifindex == ifindex))
			bpf_map_delete_elem(fd, &d.keys[i]);
	dump_free(&d);
	close(fd);
	return err ? bn_fail(bn, err, "cannot read the FDB: %s", strerror(-err)) : 0;
}

int bridge_fdb_forget_port(struct bpfnet *bn, unsigned int net_id, unsigned int ifindex)
{
	return fdb_forget(bn, net_id, false, ifindex);
}

int bridge_fdb_forget_net(struct bpfnet *bn, unsigned int net_id)
{
	return fdb_forget(bn, net_id, true, 0);
}

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
	int fd = dp_map_fd(bn, BPFNET_MAP_FDB), err;
	struct bpfnet_fdb_entry *list = NULL;
	struct fdb_dump d = {};
	__u64 now = bn_mono_ns();
	size_t n = 0;

	if (fd < 0)
		return fd;
	err = fdb_dump(fd, &d);
	close(fd);
	if (!err && !(list = calloc(d.n + 1, sizeof(*list))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < d.n; i++) {
		const struct net_state *net = state_net_by_id(st, d.keys[i].net_id);

		if (net && (!network || !strcmp(net->name, network)) &&
		    entry_of(st, net, &d.keys[i], &d.vals[i], now, &list[n]))
			n++;
	}
	dump_free(&d);
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
