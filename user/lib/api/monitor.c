// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event monitor's public verbs: the datapath's raw events (dp/monitor.c)
 * in the API's words, endpoints named from the state, tuples read from the
 * packet's first bytes.
 */
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_cls.h>
#include <linux/bpf.h>

#include "api/internal.h"
#include "api/types.h"
#include "dp/monitor.h"
#include "sys/store.h"

#define NSEC_PER_SEC 1000000000ULL

/* The datapath's flow kinds (their order of telling apart) as the API's. */
#define KIND(name, pub, str, flag) [BPFNET_##name] = BPFNET_FLOW_##pub,
static const enum bpfnet_flow_kind flow_kinds[BPFNET_CT_KIND_MAX] = {
	BPFNET_FOREACH_CT_KIND(KIND)
};
#undef KIND

#define STATE(name, pub, str) [BPFNET_##name] = BPFNET_FLOW_##pub,
static const enum bpfnet_flow_state flow_states[BPFNET_CT_STATE_MAX] = {
	BPFNET_FOREACH_CT_STATE(STATE)
};
#undef STATE

_Static_assert(BPFNET_MONITOR_DROP == BPFNET_MON_F(BPFNET_MON_DROP) &&
	       BPFNET_MONITOR_NAT == BPFNET_MON_F(BPFNET_MON_NAT) &&
	       BPFNET_MONITOR_FLOW == BPFNET_MON_F(BPFNET_MON_FLOW) &&
	       BPFNET_MONITOR_TRACE == BPFNET_MON_F(BPFNET_MON_TRACE) &&
	       BPFNET_MONITOR_ALL == BPFNET_MON_F_ALL, "the API's types are the datapath's bits");
_Static_assert(BPFNET_MONITOR_SNAP_LEN == BPFNET_MON_SNAP_LEN, "the API's snap length");
_Static_assert((int)BPFNET_EVENT_DROP == (int)BPFNET_MON_EV_DROP &&
	       (int)BPFNET_EVENT_FLOW_NEW == (int)BPFNET_MON_EV_FLOW_NEW &&
	       (int)BPFNET_EVENT_FLOW_END == (int)BPFNET_MON_EV_FLOW_END &&
	       (int)BPFNET_EVENT_TRACE == (int)BPFNET_MON_EV_TRACE, "the API's kinds are the datapath's");

static const struct {
	const char *name;
	unsigned int bits;
} type_names[] = {
	{ "drop", BPFNET_MONITOR_DROP }, { "nat", BPFNET_MONITOR_NAT },
	{ "flow", BPFNET_MONITOR_FLOW }, { "trace", BPFNET_MONITOR_TRACE },
	{ "all", BPFNET_MONITOR_ALL },
};

int bpfnet_monitor_types_parse(const char *s, unsigned int *out)
{
	unsigned int bits = 0;
	const char *p = s ? s : "";

	do {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
			if (len == strlen(type_names[i].name) && !strncmp(p, type_names[i].name, len))
				break;
		if (i == sizeof(type_names) / sizeof(type_names[0]))
			return bn_fail_nohandle(-EINVAL, "unknown event type '%.*s' in '%s': allowed: "
						"drop, nat, flow, trace, all (comma separated)",
						(int)len, p, s ? s : "");
		bits |= type_names[i].bits;
		p += len;
	} while (*p++ == ',');
	*out = bits;
	return 0;
}

const char *bpfnet_monitor_event_kind_str(enum bpfnet_monitor_event_kind kind)
{
	switch (kind) {
	case BPFNET_EVENT_DROP:
		return "drop";
	case BPFNET_EVENT_FLOW_NEW:
		return "flow_new";
	case BPFNET_EVENT_FLOW_END:
		return "flow_end";
	case BPFNET_EVENT_TRACE:
		return "trace";
	}
	return "?";
}

struct bpfnet_monitor {
	struct bpfnet *bn;
	struct dp_monitor *dp;
	struct state st;		/* endpoint names by id */
	__u64 st_loaded_ns;		/* when: an unknown id reloads it, at most once a second */
	bpfnet_monitor_fn fn;
	void *fn_ctx;
};

static const char *verdict_name(const struct bpfnet_mon_event *ev)
{
	if (ev->hook == BPFNET_MON_HOOK_XDP) {
		switch (ev->verdict) {
		case XDP_DROP: return "drop";
		case XDP_PASS: return "pass";
		case XDP_TX: return "tx";
		case XDP_REDIRECT: return "redirect";
		}
		return "?";
	}
	switch (ev->verdict) {
	case TC_ACT_UNSPEC: return "pass";	/* not bpfnet's: the next filter or the stack */
	case TC_ACT_OK: return "ok";
	case TC_ACT_SHOT: return "drop";
	case TC_ACT_STOLEN: return "stolen";
	case TC_ACT_REDIRECT: return "redirect";
	}
	return "?";
}

static struct bpfnet_tuple tuple_of(const struct bpfnet_ct_key *k)
{
	struct bpfnet_tuple t = { .proto = k->proto };

	if (!k->proto)
		return t;
	t.src = bpfnet_addr_ip4((struct in_addr){ k->saddr });
	t.dst = bpfnet_addr_ip4((struct in_addr){ k->daddr });
	t.sport = ntohs(k->sport);
	t.dport = ntohs(k->dport);
	return t;
}

static const char *ep_name(struct bpfnet_monitor *m, __u32 id, __u64 now)
{
	for (int pass = 0; id && pass < 2; pass++) {
		for (size_t i = 0; i < m->st.n_eps; i++)
			if (m->st.eps[i].id == id)
				return m->st.eps[i].name;
		/* an endpoint added since: the state read again, not on every event */
		if (pass || now - m->st_loaded_ns < NSEC_PER_SEC)
			break;
		state_free(&m->st);
		memset(&m->st, 0, sizeof(m->st));
		if (state_load(m->bn, &m->st))
			memset(&m->st, 0, sizeof(m->st));
		m->st_loaded_ns = now;
	}
	return "";
}

static int on_event(const struct bpfnet_mon_event *raw, void *ctx)
{
	struct bpfnet_monitor *m = ctx;
	struct bpfnet_monitor_event ev = { .sz = sizeof(ev) };
	struct bpfnet_ct_key pkt;
	char ifname[IF_NAMESIZE];

	ev.kind = (enum bpfnet_monitor_event_kind)raw->event;
	ev.ts_ns = raw->ts_ns;
	snprintf(ev.endpoint, sizeof(ev.endpoint), "%s", ep_name(m, raw->ep_id, raw->ts_ns));
	if (if_indextoname(raw->ifindex, ifname))
		snprintf(ev.ifname, sizeof(ev.ifname), "%s", ifname);
	ev.ifindex = raw->ifindex;
	ev.to_endpoint = raw->dir == 1;
	ev.xdp = raw->hook == BPFNET_MON_HOOK_XDP;
	if (raw->reason)
		ev.reason = bn_drop_reason_name(raw->reason) ?: "?";
	ev.verdict = verdict_name(raw);
	ev.cap_len = raw->cap_len < BPFNET_MON_SNAP_LEN ? raw->cap_len : BPFNET_MON_SNAP_LEN;
	ev.len = raw->len;
	ev.data = raw->data;
	dp_mon_packet_tuple(raw->data, ev.cap_len, &pkt);
	ev.tuple = tuple_of(&pkt);
	if (ev.kind == BPFNET_EVENT_FLOW_NEW || ev.kind == BPFNET_EVENT_FLOW_END) {
		ev.flow_kind = raw->ct_kind < BPFNET_CT_KIND_MAX ? flow_kinds[raw->ct_kind] :
			       BPFNET_FLOW_KIND_ROUTED;
		ev.flow_state = raw->ct_state < BPFNET_CT_STATE_MAX ? flow_states[raw->ct_state] :
				BPFNET_FLOW_NONE;
		ev.before = tuple_of(&raw->before);
		ev.after = tuple_of(&raw->after);
	}
	return m->fn(&ev, m->fn_ctx);
}

int bpfnet_monitor__open(struct bpfnet *bn, const struct bpfnet_monitor_opts *opts,
			 struct bpfnet_monitor **out)
{
	unsigned int types = OPTS_GET(opts, types, 0);
	struct bpfnet_monitor *m;
	int err;

	if (!OPTS_VALID(opts) || !out)
		return bn_fail(bn, -EINVAL, "bpfnet_monitor__open: bad options or no result pointer");
	if (types & ~BPFNET_MONITOR_ALL)
		return bn_fail(bn, -EINVAL, "unknown monitor types 0x%x: allowed BPFNET_MONITOR_*",
			       types & ~BPFNET_MONITOR_ALL);
	m = calloc(1, sizeof(*m));
	if (!m)
		return bn_fail(bn, -ENOMEM, "out of memory");
	m->bn = bn;
	err = state_load(bn, &m->st);
	if (!err && !m->st.node.initialized)
		err = bn_fail(bn, -ENOENT, "the node is not initialized");
	if (!err)
		err = dp_monitor_open(bn, types ? types : BPFNET_MONITOR_DROP, &m->dp);
	if (err) {
		state_free(&m->st);
		free(m);
		return err;
	}
	*out = m;
	return 0;
}

int bpfnet_monitor__poll(struct bpfnet_monitor *m, int timeout_ms, bpfnet_monitor_fn fn,
			 void *ctx)
{
	if (!m || !fn)
		return -EINVAL;
	m->fn = fn;
	m->fn_ctx = ctx;
	return dp_monitor_poll(m->dp, timeout_ms, on_event, m);
}

int bpfnet_monitor__counters(struct bpfnet_monitor *m, struct bpfnet_monitor_counters *out)
{
	struct bpfnet_monitor_counters c = { .sz = sizeof(c) };
	__u64 raw[BPFNET_MON_CPU_COUNTERS];
	int err;

	if (!m)
		return -EINVAL;
	err = bn_out_check(m->bn, out, "bpfnet_monitor_counters");
	if (err)
		return err;
	err = dp_monitor_counters(m->dp, raw);
	if (!err) {
		c.produced = raw[0];
		c.suppressed = raw[1];
		c.lost = raw[2];
	}
	bn_out_put(out, &c, sizeof(c));
	return err;
}

void bpfnet_monitor__close(struct bpfnet_monitor *m)
{
	if (!m)
		return;
	dp_monitor_close(m->dp);
	state_free(&m->st);
	free(m);
}
