// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet ct: listing, counting, flushing and collecting flows, through the walk of dp/ct.c. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "dp/ct.h"
#include "dp/maps.h"

/* The datapath's states (abi.h) as the API numbers them: the two enums are kept apart. */
#define FLOW_STATE(name, pub, str) [BPFNET_##name] = BPFNET_FLOW_##pub,
static const enum bpfnet_flow_state flow_states[BPFNET_CT_STATE_MAX] = {
	BPFNET_FOREACH_CT_STATE(FLOW_STATE)
};
#undef FLOW_STATE

/* Flow kinds, in the order they are told apart: the first whose flag the entry has. */
struct ct_kind {
	enum bpfnet_flow_kind kind;
	__u8 flag;		/* 0: every flow */
};

#define KIND(name, pub, str, flag) [BPFNET_##name] = { BPFNET_FLOW_##pub, flag },
static const struct ct_kind kinds[BPFNET_CT_KIND_MAX] = { BPFNET_FOREACH_CT_KIND(KIND) };
#undef KIND

static bool every_flow(const struct bpfnet_ct_key *k, const struct bpfnet_ct_entry *e,
		       const struct bpfnet_ct_entry *reply, void *arg)
{
	(void)k, (void)e, (void)reply, (void)arg;
	return true;
}

int bpfnet_ct__flush(struct bpfnet *bn, size_t *flushed)
{
	struct dp dp;
	int err;

	dp_init(&dp, bn);
	err = ct_flush_matching(&dp, every_flow, NULL, flushed);
	dp_close(&dp);
	return err;
}

int bpfnet_ct__gc(struct bpfnet *bn, struct bpfnet_ct_gc *out)
{
	struct ct_walk_result res;
	struct dp dp;
	int err;

	dp_init(&dp, bn);
	err = ct_walk(&dp, NULL, NULL, &res);
	dp_close(&dp);
	if (!err && out)
		*out = res.gc;
	return err;
}

static enum bpfnet_flow_kind flow_kind(const struct bpfnet_ct_entry *e)
{
	unsigned int k = 0;

	while (k < BPFNET_CT_KIND_MAX - 1 && !(e->flags & kinds[k].flag))
		k++;
	return kinds[k].kind;
}

static enum bpfnet_flow_state flow_state(const struct bpfnet_ct_entry *e)
{
	return e->state < BPFNET_CT_STATE_MAX ? flow_states[e->state] : BPFNET_FLOW_NONE;
}

static struct bpfnet_addr addr4(__be32 a)
{
	struct in_addr in = { a };

	return bpfnet_addr_ip4(in);
}

static void flow_of(const struct bpfnet_ct_key *k, const struct bpfnet_ct_entry *e,
		    const struct bpfnet_ct_entry *reply, __u64 now, struct bpfnet_ct_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->proto = k->proto;
	f->state = flow_state(e);
	f->kind = flow_kind(e);
	f->orig_src = addr4(k->saddr);
	f->orig_dst = addr4(k->daddr);
	f->orig_sport = ntohs(k->sport);
	f->orig_dport = ntohs(k->dport);
	f->reply_src = addr4(e->peer.saddr);
	f->reply_dst = addr4(e->peer.daddr);
	f->reply_sport = ntohs(e->peer.sport);
	f->reply_dport = ntohs(e->peer.dport);
	f->age_ms = (now - e->created_ns) / 1000000;
	f->expires_in_ms = (e->expires_ns - now) / 1000000;
	f->packets = e->packets;
	f->bytes = e->bytes;
	if (reply) {
		f->reply_packets = reply->packets;
		f->reply_bytes = reply->bytes;
	}
}

struct flow_list {
	struct bpfnet_ct_flow *flows;
	size_t n, cap;
	__u64 now;
	int err;
};

static bool list_flow(const struct bpfnet_ct_key *k, const struct bpfnet_ct_entry *e,
		      const struct bpfnet_ct_entry *reply, void *arg)
{
	struct flow_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct bpfnet_ct_flow *f = realloc(l->flows, cap * sizeof(*f));

		if (!f) {
			l->err = -ENOMEM;
			return false;
		}
		l->flows = f;
		l->cap = cap;
	}
	flow_of(k, e, reply, l->now, &l->flows[l->n++]);
	return false;
}

int bpfnet_ct__summary(struct bpfnet *bn, struct bpfnet_ct_summary *out)
{
	struct bpfnet_ct_summary s;
	struct dp dp;
	int err = bn_out_check(bn, out, "bpfnet_ct_summary");

	if (err)
		return err;
	dp_init(&dp, bn);
	err = ct_summary(&dp, &s);
	dp_close(&dp);
	if (!err) {
		s.sz = sizeof(s);
		bn_out_put(out, &s, sizeof(s));
	}
	return err;
}

int bpfnet_ct__list(struct bpfnet *bn, struct bpfnet_ct_flow **out, size_t *count)
{
	struct flow_list l = { .now = bn_mono_ns() };
	struct ct_walk_result res;
	struct dp dp;
	int err;

	dp_init(&dp, bn);
	err = ct_walk(&dp, list_flow, &l, &res) ?: l.err;
	dp_close(&dp);

	if (err) {
		free(l.flows);
		return l.err ? bn_fail(bn, l.err, "out of memory") : err;
	}
	*out = l.flows ? l.flows : calloc(1, sizeof(*l.flows));
	*count = l.n;
	return *out ? 0 : bn_fail(bn, -ENOMEM, "out of memory");
}
