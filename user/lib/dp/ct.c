// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Conntrack from the control plane: one walk shared by listing, counting,
 * flushing and garbage collection. The table is read whole with batch
 * lookups (an LRU hash has no consistent snapshot: the view is best effort
 * while the datapath works on), each entry is judged against its other half
 * and the endpoints that exist, and what is dead is removed and counted by
 * why: expired, retired (an endpoint of the flow is gone, or another now) or
 * evicted (its other half lost to the LRU). Every walk collects, as Linux's
 * ctnetlink dump removes the expired entries it meets: reading the table is
 * what tidies it, with no daemon, and endpoint rm never has to walk it.
 *
 * An entry is read again and judged anew right before it is removed, and a
 * dead one younger than CT_GC_MIN_AGE_NS is left for the next walk: the
 * datapath may be writing the other half of a new flow, or have made a new
 * flow under the key since the walk read it. Each removal is counted by the
 * command whose delete succeeded, with atomic adds to cp_stats, so commands
 * walking at once count every flow once.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp/ct.h"

/* The datapath writes a new flow's two halves within microseconds; a second is plenty. */
#define CT_GC_MIN_AGE_NS 1000000000ULL
/* Entries read per batch lookup: a bucket never holds this many. */
#define CT_BATCH 4096

struct ct_row {
	struct bpfnet_ct_key key;	/* first: rows compare by it */
	struct bpfnet_ct_entry val;
};

/* The generations of the endpoints that exist, sorted. */
struct ct_gens {
	__u32 *gen;
	size_t n;
};

/* What an entry is to the walk. */
enum ct_fate {
	CT_LIVE,	/* the original of an intact, unexpired flow of existing endpoints */
	CT_PARTNER,	/* the reply of an intact flow: its original decides */
	CT_EXPIRED,
	CT_EVICTED,	/* half a flow: the other half was lost to LRU eviction */
	CT_RETIRED,
	CT_FLUSHED,	/* a live flow the visitor wants gone */
};

struct ct_walk {
	struct dp *dp;
	struct dp_cp_stats *cp;
	struct ct_gens gens;
	__u64 now;
	struct ct_walk_result *res;
};

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct bpfnet_ct_key));
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static bool key_equal(const struct bpfnet_ct_key *a, const struct bpfnet_ct_key *b)
{
	return !cmp_key(a, b);
}

/* Every entry of the table, sorted by key; a key met twice (a bucket read twice) once. */
static int ct_snapshot(struct dp *dp, struct ct_row **out, size_t *n)
{
	struct bpfnet_ct_key *keys = calloc(CT_BATCH, sizeof(*keys));
	struct bpfnet_ct_entry *vals = calloc(CT_BATCH, sizeof(*vals));
	__u32 token = 0, count, max = 0;
	int err = dp_max_entries(dp, DP_CT, &max);
	/* init sizes the table (dp/sizes.h) */
	struct ct_row *rows = err ? NULL : malloc((max + 1) * sizeof(*rows));
	size_t got = 0, kept = 0;
	bool first = true;

	if (!err && (!keys || !vals || !rows))
		err = -ENOMEM;
	/* a hash map's batch token is a bucket number; ENOENT ends the walk */
	while (!err && got < max) {
		count = got + CT_BATCH > max ? max - got : CT_BATCH;
		err = dp_ct_read_batch(dp, &token, first, keys, vals, &count);
		for (__u32 i = 0; i < count && (!err || err == -ENOENT); i++, got++) {
			rows[got].key = keys[i];
			rows[got].val = vals[i];
		}
		first = false;
	}
	free(keys);
	free(vals);
	if (err && err != -ENOENT) {
		free(rows);
		return err;
	}
	qsort(rows, got, sizeof(*rows), cmp_key);
	for (size_t i = 0; i < got; i++)
		if (!kept || !key_equal(&rows[i].key, &rows[kept - 1].key))
			rows[kept++] = rows[i];
	*out = rows;
	*n = kept;
	return 0;
}

/*
 * The generations alive, read after the table: a flow in the snapshot was
 * made for generations that were in the endpoint maps then, so one missing
 * now belongs to an endpoint that is gone (generations are never reused).
 */
static int gens_read(struct dp *dp, struct ct_gens *g)
{
	int err;

	g->n = 0;
	g->gen = calloc(2 * BPFNET_EP_MAX, sizeof(*g->gen));
	if (!g->gen)
		return -ENOMEM;
	err = dp_ep_gens(dp, g->gen, 2 * BPFNET_EP_MAX, &g->n);
	qsort(g->gen, g->n, sizeof(*g->gen), cmp_u32);
	return err;
}

static bool gen_alive(const struct ct_gens *g, __u32 gen)
{
	return !gen || bsearch(&gen, g->gen, g->n, sizeof(*g->gen), cmp_u32);
}

/* Does @other, the entry under @e's peer key, make one flow with @e (under @key)? */
static bool pair_intact(const struct bpfnet_ct_key *key, const struct bpfnet_ct_entry *e,
			const struct bpfnet_ct_entry *other)
{
	return other && key_equal(&other->peer, key) &&
	       !(other->flags & BPFNET_CT_F_REPLY) != !(e->flags & BPFNET_CT_F_REPLY);
}

/* The flags that are the flow's state, of which each half has its copy (bpf/lib/ct.h). */
#define CT_F_STATE (BPFNET_CT_F_SEEN_REPLY | BPFNET_CT_F_FIN_ORIG | BPFNET_CT_F_FIN_REPLY)

/*
 * The flow of original @e as its later-written half has it: each half keeps
 * a copy of state and expiry, written by its direction's packets (the other
 * half's only when the state changes), so the later expiry is the flow's.
 */
static struct bpfnet_ct_entry ct_flow_view(const struct bpfnet_ct_entry *e,
					   const struct bpfnet_ct_entry *other)
{
	struct bpfnet_ct_entry v = *e;

	if (other && other->expires_ns > v.expires_ns) {
		v.state = other->state;
		v.flags = (v.flags & ~CT_F_STATE) | (other->flags & CT_F_STATE);
		v.expires_ns = other->expires_ns;
	}
	return v;
}

/*
 * The fate of entry @e under @key, its other half @other (NULL: none). The
 * order is the datapath's: a reply without its original is evicted (the
 * datapath would use it until its own copy expires, the walk tidies it); a
 * flow past both copies' time expired, whatever else befell it; then a
 * broken pair, then the endpoints.
 */
static enum ct_fate ct_fate_of(const struct ct_walk *w, const struct bpfnet_ct_key *key,
			       const struct bpfnet_ct_entry *e, const struct bpfnet_ct_entry *other)
{
	bool intact = pair_intact(key, e, other);

	if (e->flags & BPFNET_CT_F_REPLY)
		return intact ? CT_PARTNER : CT_EVICTED;
	if (ct_flow_view(e, intact ? other : NULL).expires_ns < w->now)
		return CT_EXPIRED;
	if (!intact)
		return CT_EVICTED;
	if (!gen_alive(&w->gens, e->tx_gen) || !gen_alive(&w->gens, e->rx_gen))
		return CT_RETIRED;
	return CT_LIVE;
}

static void count_removal(struct ct_walk *w, enum ct_fate fate)
{
	static const enum bpfnet_global_counter counter[] = {
		[CT_EXPIRED] = BPFNET_G_CT_EXPIRED,
		[CT_EVICTED] = BPFNET_G_CT_EVICTED,
		[CT_RETIRED] = BPFNET_G_CT_RETIRED,
		[CT_FLUSHED] = BPFNET_G_CT_FLUSHED,
	};
	struct ct_walk_result *r = w->res;

	if (fate == CT_EXPIRED)
		r->gc.expired++;
	else if (fate == CT_EVICTED)
		r->gc.evicted++;
	else if (fate == CT_RETIRED)
		r->gc.retired++;
	else
		r->flushed++;
	if (w->cp)
		dp_cp_count(w->cp, counter[fate], 1);
}

/*
 * Remove the entry under @key if, read again now, it is dead (or live and
 * @flush), with its other half if that makes one flow with it. The flow is
 * counted once, by whoever deletes the entry that stands for it.
 */
static void ct_reap(struct ct_walk *w, const struct bpfnet_ct_key *key, bool flush)
{
	struct bpfnet_ct_entry e, other;
	bool have_other, intact;
	enum ct_fate fate;

	if (dp_ct_get(w->dp, key, &e))
		return;		/* gone meanwhile */
	have_other = !dp_ct_get(w->dp, &e.peer, &other);
	fate = ct_fate_of(w, key, &e, have_other ? &other : NULL);
	if (fate == CT_PARTNER || (fate == CT_LIVE && !flush))
		return;
	if (fate != CT_LIVE && e.created_ns + CT_GC_MIN_AGE_NS > w->now)
		return;		/* perhaps half made: its other half is being written */
	intact = pair_intact(key, &e, have_other ? &other : NULL);
	if (dp_ct_del(w->dp, key))
		return;
	w->res->entries--;
	if (intact && !dp_ct_del(w->dp, &e.peer))
		w->res->entries--;
	count_removal(w, fate == CT_LIVE ? CT_FLUSHED : fate);
}

static const struct ct_row *row_find(const struct ct_row *rows, size_t n,
				     const struct bpfnet_ct_key *key)
{
	return bsearch(key, rows, n, sizeof(*rows), cmp_key);
}

int ct_walk_maps(struct dp *dp, struct dp_cp_stats *cp, __u64 now, ct_visit_fn visit, void *arg,
		 struct ct_walk_result *res)
{
	struct ct_walk w = { .dp = dp, .cp = cp, .now = now, .res = res };
	struct ct_row *rows = NULL;
	size_t n = 0;
	int err;

	memset(res, 0, sizeof(*res));
	err = ct_snapshot(dp, &rows, &n) ?: gens_read(dp, &w.gens);
	res->entries = n;
	for (size_t i = 0; !err && i < n; i++) {
		const struct ct_row *r = &rows[i], *o = row_find(rows, n, &r->val.peer);
		const struct bpfnet_ct_entry *other = o ? &o->val : NULL;
		enum ct_fate fate = ct_fate_of(&w, &r->key, &r->val, other);
		bool flush = false;

		if (fate == CT_PARTNER)
			continue;
		if (fate == CT_LIVE) {
			struct bpfnet_ct_entry view = ct_flow_view(&r->val, other);

			flush = visit && visit(&r->key, &view, other, arg);
			if (!flush) {
				res->live++;
				continue;
			}
		}
		ct_reap(&w, &r->key, flush);
	}
	free(w.gens.gen);
	free(rows);
	return err;
}

int ct_walk(struct dp *dp, ct_visit_fn visit, void *arg, struct ct_walk_result *res)
{
	struct dp_cp_stats cp = {};
	/* values of another layout would be read as garbage: refused (dp_fd() checks the size) */
	int err = dp_fd(dp, DP_CT);

	err = err < 0 ? err : dp_fd(dp, DP_EP_BY_IP);
	err = err < 0 ? err : dp_fd(dp, DP_EP_BY_IFINDEX);
	err = err < 0 ? err : dp_cp_stats_open(dp, &cp);
	if (!err) {
		err = ct_walk_maps(dp, &cp, bn_mono_ns(), visit, arg, res);
		if (err)
			bn_fail(dp->bn, err, "cannot walk the conntrack table: %s", strerror(-err));
	}
	dp_cp_stats_close(&cp);
	return err;
}

int ct_flush_matching(struct dp *dp, ct_visit_fn pred, void *arg, size_t *n)
{
	struct ct_walk_result res;
	int err = ct_walk(dp, pred, arg, &res);

	if (!err && n)
		*n = res.flushed;
	return err;
}

int ct_summary(struct dp *dp, struct bpfnet_ct_summary *out)
{
	__u64 c[BPFNET_G_MAX], ended;
	struct ct_walk_result res;
	__u32 max;
	int err;

	memset(out, 0, sizeof(*out));
	/* a table of another layout is refused in words before anything else is read */
	err = dp_fd(dp, DP_CT);
	if (err < 0)
		return err;
	/* the counters before the walk, and what the walk itself removed on top */
	err = dp_global_read(dp, c) ?: ct_walk(dp, NULL, NULL, &res);
	if (err)
		return err;
	out->flows = res.live;
	out->entries = res.entries;
	err = dp_max_entries(dp, DP_CT, &max);
	if (err)
		return err;
	out->max = max;
	out->fill_pct = (unsigned int)(res.entries * 100 / max);
	out->pressure = res.entries * 100 > (__u64)max * BPFNET_CT_PRESSURE_PCT;
	out->gc = res.gc;
	ended = c[BPFNET_G_CT_EXPIRED] + res.gc.expired + c[BPFNET_G_CT_RETIRED] +
		res.gc.retired + c[BPFNET_G_CT_FLUSHED] + res.live;
	out->lost = c[BPFNET_G_CT_CREATED] > ended ? c[BPFNET_G_CT_CREATED] - ended : 0;
	return 0;
}
