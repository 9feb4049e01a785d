// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet check [--repair]: the state is the truth, and everything it
 * describes is compared with it under the instance lock: the pending journal
 * entry, the pins, every map the control plane writes (entries missing,
 * different, or there for nothing), the veths, the tc filters and the socket
 * hooks. Each difference is a finding with a stable kind and a repair; a
 * repair run fixes what it found and looks again, until nothing is left or
 * nothing changes, and reports as repaired what the last look no longer found.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/check.h"
#include "api/endpoint.h"
#include "api/internal.h"
#include "api/recover.h"
#include "dp/bridge.h"
#include "dp/ct.h"
#include "dp/datapath.h"
#include "dp/maps.h"
#include "dp/endpoint.h"
#include "dp/layout.h"
#include "dp/node.h"
#include "dp/sockhook.h"
#include "dp/svc.h"
#include "model/ipam.h"
#include "model/journal.h"
#include "sys/bpffs.h"
#include "sys/gateway.h"
#include "sys/netlink.h"
#include "sys/store.h"
#include "sys/veth.h"

/* Looks, each followed by repairs, before a repair run gives up on what is left. */
#define CHECK_ROUNDS 4

struct finding *finding_add(struct check *c, const char *kind, enum fix fix, const char *object,
			    const char *fmt, ...)
{
	struct findings *fs = c->out;
	struct finding *f;
	va_list ap;

	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? 2 * fs->cap : 16;
		struct finding *v = realloc(fs->v, cap * sizeof(*v));

		if (!v) {
			c->err = c->err ?: bn_fail(c->bn, -ENOMEM, "out of memory");
			return NULL;
		}
		fs->v = v;
		fs->cap = cap;
	}
	f = &fs->v[fs->n++];
	memset(f, 0, sizeof(*f));
	f->fix = fix;
	snprintf(f->issue.kind, sizeof(f->issue.kind), "%s", kind);
	snprintf(f->issue.object, sizeof(f->issue.object), "%s", object);
	va_start(ap, fmt);
	vsnprintf(f->issue.message, sizeof(f->issue.message), fmt, ap);
	va_end(ap);
	return f;
}

void finding_name(struct finding *f, const char *name)
{
	if (f)
		snprintf(f->name, sizeof(f->name), "%s", name);
}

void finding_key(struct finding *f, const char *map, const void *key, __u32 len)
{
	if (!f || len > sizeof(f->key))
		return;
	snprintf(f->what, sizeof(f->what), "%s", map);
	memcpy(f->key, key, len);
	f->key_len = len;
}

const char *check_ip(__be32 ip, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = { ip };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* ---- reading maps -------------------------------------------------------------------- */

int check_map_dump(struct check *c, const char *name, struct dp_dump *d)
{
	int err = dp_map_dump(&c->dp, dp_map_by_name(name), d);

	return err ? (c->err = err) : 0;
}

/* ---- journal, files, pins ---------------------------------------------------------------- */

static void check_journal(struct check *c)
{
	const struct journal *j = &c->st->journal;
	char what[128];

	if (j->op == JOURNAL_NONE)
		return;
	journal_describe(j, what, sizeof(what));
	finding_add(c, "journal_pending", FIX_JOURNAL, what, "%s (pid %d) was interrupted; the next "
	       "mutating command %s it", what, j->pid,
	       journal_undoes(j->op) ? "undoes" : "finishes");
}

static void temp_file_found(const char *name, void *arg)
{
	finding_add(arg, "stale_temp_file", FIX_TEMP_FILES, name,
	       "a state save was interrupted and left %s behind", name);
}

static int pin_seen(const char *name, bool is_prog, bool is_pinned, void *arg)
{
	struct check *c = arg;
	const char *dir = "";

	if (is_pinned)
		return 0;
	c->pins_ok = false;
	bn_pin_dir(c->bn, &dir);
	finding_add(c, "pin_missing", FIX_REINIT, name, "the %s %s is not pinned under %s",
	       is_prog ? "program" : "map", name, dir);
	return 0;
}

/*
 * A map of another layout than this bpfnet's, or one an init killed mid-way
 * left half-migrated: the maps are init's alone until it migrates them (their
 * entries are not compared: this binary cannot read them).
 */
static int layout_seen(const struct layout_entry *e, void *arg)
{
	struct check *c = arg;

	if (!e->pinned)
		return 0;
	if (e->staged || e->staging) {
		finding_add(c, "migration_unfinished", FIX_REINIT, e->name, "map %s: a migration "
			    "from layout %u%s was cut short (%s); init completes it", e->name,
			    e->datapath, e->staged ? "" : " (not yet recorded)",
			    e->staging ? "its new map is pinned beside it" : "renamed, not recorded");
		c->pins_ok = false;
	} else if (e->datapath != e->binary) {
		finding_add(c, "layout_differs", FIX_REINIT, e->name, "map %s has layout version %u, "
			    "this bpfnet's is %u; init migrates it", e->name, e->datapath, e->binary);
		c->pins_ok = false;
	}
	return 0;
}

void check_pins(struct check *c)
{
	const char *dir;
	__u32 abi;
	int err;

	c->pins_ok = true;
	if (!c->st->node.initialized) {
		c->pins_ok = false;
		if (!bn_pin_dir(c->bn, &dir) && !access(dir, F_OK))
			finding_add(c, "stray_pins", FIX_STRAY_PINS, dir, "the instance is not "
			       "initialized, yet %s holds pins", dir);
		return;
	}
	err = dp_foreach_pin(c->bn, pin_seen, c) ?: layout_foreach(c->bn, layout_seen, c, &abi);
	if (err)
		c->err = c->err ?: err;
}

/* ---- the node: uplink filter, config, socket hooks, addresses ------------------------------- */

void check_tc_filter(struct check *c, int ifindex, const char *dev, const char *prog)
{
	__u32 want, got;
	struct finding *f = NULL;
	int err = dp_pinned_prog_id(c->bn, prog, &want);

	if (err) {
		c->err = c->err ?: err;
		return;
	}
	err = dp_attached_prog_id(c->bn, ifindex, &got);
	if (err == -ENOENT)
		f = finding_add(c, "tc_filter_missing", FIX_ATTACH, dev, "%s has no bpfnet filter on "
			   "tc ingress (%s should run there)", dev, prog);
	else if (err)
		c->err = c->err ?: err;
	else if (got != want)
		f = finding_add(c, "tc_filter_stale", FIX_ATTACH, dev, "%s runs program id %u, not the "
			   "pinned %s (id %u)", dev, got, prog, want);
	if (f) {
		f->ifindex = ifindex;
		snprintf(f->what, sizeof(f->what), "%s", prog);
	}
}

static void check_uplinks(struct check *c)
{
	for (size_t i = 0; i < c->st->node.n_uplinks; i++) {
		const char *dev = c->st->node.uplinks[i].name;
		struct nl_link up;

		if (nl_link_get_by_name(c->nl, dev, &up)) {
			finding_add(c, "uplink_missing", FIX_NONE, dev, "the uplink %s is gone: "
				    "bring it back and initialize the node again, or initialize it "
				    "without %s, or take it down", dev, dev);
			continue;
		}
		check_tc_filter(c, up.ifindex, dev, BPFNET_PROG_FROM_UPLINK);
	}
}

/* The highest endpoint generation of the state: the config must not hand it out again. */
static unsigned int max_ep_gen(const struct state *st)
{
	unsigned int max = 0;

	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].gen > max)
			max = st->eps[i].gen;
	return max;
}

static void check_config(struct check *c)
{
	struct bpfnet_config cfg;
	int fd = dp_fd(&c->dp, DP_CONFIG);
	__u64 cookie;

	if (fd < 0) {
		c->err = c->err ?: fd;
		return;
	}
	if (dp_config_get(&c->dp, &cfg))
		memset(&cfg, 0, sizeof(cfg));
	if (!netns_cookie_self(&cookie) && cfg.netns_cookie != cookie)
		finding_add(c, "config_mismatch", FIX_CONFIG, BPFNET_MAP_CONFIG "[0]", "config names "
		       "another network namespace than the node's: the socket hooks act nowhere");
	else if (cfg.last_ep_gen < max_ep_gen(c->st))
		finding_add(c, "config_mismatch", FIX_CONFIG, BPFNET_MAP_CONFIG "[0]", "config would "
		       "hand out endpoint generation %u again, which an endpoint has: a new "
		       "endpoint could take over old flows", cfg.last_ep_gen + 1);
}

static void hook_bad(const char *pin, const char *why, void *arg)
{
	finding_add(arg, "sock_hook_missing", FIX_SOCK_HOOKS, pin, "the socket hook %s is %s: the "
	       "node's own clients do not reach published ports", pin, why);
}

static void check_sock_hooks(struct check *c)
{
	int err = sock_hooks_verify(c->bn, hook_bad, c);

	if (err)
		c->err = c->err ?: err;
}

static void check_node_addrs(struct check *c)
{
	struct in_addr addrs[BPFNET_NODE_ADDR_MAX];
	char ip[INET_ADDRSTRLEN];
	struct dp_dump d;
	size_t n;
	int err = nl_addr_list4(c->nl, addrs, BPFNET_NODE_ADDR_MAX, &n);

	if (err) {
		c->err = c->err ?: bn_fail(c->bn, err, "cannot list the node's addresses: %s",
					   strerror(-err));
		return;
	}
	if (check_map_dump(c, BPFNET_MAP_NODE_ADDRS, &d))
		return;
	for (size_t i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < d.n && *(__be32 *)dp_dump_key(&d, k) != addrs[i].s_addr; k++)
			;
		if (k == d.n)
			finding_add(c, "node_addrs_mismatch", FIX_NODE_ADDRS, check_ip(addrs[i].s_addr, ip),
			       "the node has %s, node_addrs does not: ports published on every "
			       "address do not answer there", ip);
	}
	for (size_t k = 0; k < d.n; k++) {
		__be32 a = *(__be32 *)dp_dump_key(&d, k);

		if (!check_addr_in(addrs, n, a))
			finding_add(c, "node_addrs_mismatch", FIX_NODE_ADDRS, check_ip(a, ip), "node_addrs "
			       "has %s, which the node no longer has", ip);
	}
	dp_dump_free(&d);
}

static int link_seen(const struct nl_link *link, void *arg)
{
	struct check *c = arg;
	struct finding *f;

	if (!veth_is_stray(c->bn, c->st, link->name, link->kind))
		return 0;
	f = finding_add(c, "stray_veth", FIX_DELETE_LINK, link->name, "%s is a veth of this "
		   "instance that no endpoint owns", link->name);
	if (f)
		f->ifindex = link->ifindex;
	return 0;
}

/* One look at everything. */
static void collect(struct check *c)
{
	int err;

	c->out->n = 0;
	c->err = 0;
	dp_close(&c->dp);	/* each look opens the maps as they are now */
	check_journal(c);
	err = journal_stale_temp_files(c->bn, false, temp_file_found, c);
	c->err = c->err ?: err;
	check_pins(c);
	err = nl_link_foreach(c->nl, link_seen, c);
	if (err)
		c->err = c->err ?: bn_fail(c->bn, err, "cannot list the node's links: %s",
					   strerror(-err));
	if (!c->pins_ok)
		return;	/* the maps are not all there: init again first */
	check_uplinks(c);
	check_config(c);
	check_sock_hooks(c);
	check_node_addrs(c);
	check_networks(c);
	check_endpoints(c);
	check_ports(c);
}

/* ---- repairs ------------------------------------------------------------------------------- */

static int delete_key(struct check *c, const struct finding *f)
{
	return dp_map_del(&c->dp, dp_map_by_name(f->what), f->key);
}

static int unpublish(struct check *c, const struct finding *f)
{
	struct svc_maps sm;
	int err = svc_maps_open(&c->dp, &sm);

	if (err)
		return err;
	svc_unpublish(&sm, (const struct bpfnet_portmap_key *)f->key);
	return 0;
}

static int update_key(struct check *c, const struct finding *f)
{
	return dp_map_put(&c->dp, dp_map_by_name(f->what), f->key, &f->val);
}

/* The endpoint made again; removed like 'endpoint rm' would when its netns is gone. */
static int rebuild_endpoint(struct check *c, const char *name)
{
	bool netns_gone;
	int err = ep_rebuild(&c->dp, c->st, c->nl, name, &netns_gone);

	if (err && netns_gone)
		err = ep_remove(&c->dp, c->st, c->nl, name);
	return err;
}

/*
 * The cookie, and generations handed out from past every endpoint's. The
 * flows of endpoints gone are collected first: their generations, lost with
 * the config, may be handed out again.
 */
static int fix_config(struct check *c)
{
	struct ct_walk_result res;
	__u64 cookie;
	int err = netns_cookie_self(&cookie);

	if (err)
		return bn_fail(c->bn, err, "cannot read the netns cookie: %s", strerror(-err));
	return dp_config_set_cookie(&c->dp, cookie) ?: ct_walk(&c->dp, NULL, NULL, &res) ?:
	       dp_ep_gen_floor(&c->dp, max_ep_gen(c->st));
}

static int fix_endpoint(struct check *c, const struct finding *f)
{
	struct ep_state *ep = state_ep(c->st, f->name);
	struct net_state *net = ep ? state_net(c->st, ep->network) : NULL;

	if (!net)
		return 0;	/* gone since: nothing to fix */
	return f->fix == FIX_EP_MAPS ? dp_ep_put(&c->dp, ep, net) : bridge_fdb_add(&c->dp, net, ep);
}

static int fix_network(struct check *c, const struct finding *f)
{
	struct net_state *net = state_net(c->st, f->name);

	if (!net)
		return 0;
	if (f->fix == FIX_NET)
		return dp_net_put(&c->dp, net);
	if (f->fix == FIX_FLOOD)
		return bridge_ports_sync(&c->dp, c->st, net, NULL);
	return net_gateway_add(c->bn, c->nl, net) ?: node_addrs_refresh(&c->dp, c->nl);
}

/* init again on the node's uplinks: the pins come back. */
static int reinit(struct check *c)
{
	struct uplink_set want;

	uplink_set_of_node(&c->st->node, &want);
	return node_init_locked(&c->dp, c->st, c->nl, &want, NULL);
}

/* Repair one finding; *dirty when @c->st changed and is to be saved. */
static int fix_one(struct check *c, const struct finding *f, bool *dirty)
{
	int err;

	switch (f->fix) {
	case FIX_JOURNAL:
		return journal_recover(c->bn, c->st);
	case FIX_TEMP_FILES:
		return journal_stale_temp_files(c->bn, true, NULL, NULL);
	case FIX_STRAY_PINS:
		return dp_unpin(c->bn);
	case FIX_REINIT:
		return reinit(c);
	case FIX_ATTACH:
		return dp_attach(c->bn, f->ifindex, f->what, NULL);
	case FIX_SOCK_HOOKS:
		return sock_hooks_attach(c->bn);
	case FIX_CONFIG:
		return fix_config(c);
	case FIX_NODE_ADDRS:
		return node_addrs_refresh(&c->dp, c->nl);
	case FIX_NET:
	case FIX_FLOOD:
	case FIX_GATEWAY:
		return fix_network(c, f);
	case FIX_EP_REBUILD:
		err = rebuild_endpoint(c, f->name);
		*dirty = true;
		return err;
	case FIX_EP_MAPS:
	case FIX_FDB:
		return fix_endpoint(c, f);
	case FIX_DELETE_KEY:
		return delete_key(c, f);
	case FIX_UPDATE_KEY:
		return update_key(c, f);
	case FIX_UNPUBLISH:
		return unpublish(c, f);
	case FIX_SVC_IDS:
		return dp_svc_id_floor(&c->dp, f->val);
	case FIX_CLEAR_NET_SLOT:
		return dp_net_clear(&c->dp, f->ifindex);
	case FIX_DELETE_LINK:
		err = nl_link_del(c->nl, f->ifindex);
		return err && err != -ENODEV ? bn_fail(c->bn, err, "cannot delete %s: %s",
						      f->issue.object, strerror(-err)) : 0;
	default:
		return 0;
	}
}

/*
 * Repair what one look found. A recovered journal or a re-init changes
 * everything the other findings were based on: the round ends there and the
 * next look sees the result. A repair that fails says why in its finding.
 */
static void fix_all(struct check *c)
{
	bool dirty = false;
	int err;

	for (size_t i = 0; i < c->out->n; i++) {
		struct finding *f = &c->out->v[i];
		size_t len = strlen(f->issue.message);

		/* a repair may unpin or re-create maps: each opens them as they are */
		dp_close(&c->dp);
		err = fix_one(c, f, &dirty);
		if (err)
			snprintf(f->issue.message + len, sizeof(f->issue.message) - len,
				 " (repair failed: %s)", bpfnet__errmsg(c->bn));
		if (f->fix == FIX_JOURNAL || f->fix == FIX_REINIT)
			break;
	}
	if (dirty && c->st->node.initialized)
		state_save(c->bn, c->st);
}

/* ---- the call ------------------------------------------------------------------------------- */

static const struct finding *find_same(const struct findings *fs, const struct finding *f)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].issue.kind, f->issue.kind) &&
		    !strcmp(fs->v[i].issue.object, f->issue.object))
			return &fs->v[i];
	return NULL;
}

/* Everything any look found, once, with the message of its first sighting. */
static int merge(struct findings *all, const struct findings *cur)
{
	for (size_t i = 0; i < cur->n; i++) {
		struct finding *v;

		if (find_same(all, &cur->v[i]))
			continue;
		v = realloc(all->v, (all->n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		all->v = v;
		all->v[all->n++] = cur->v[i];
	}
	return 0;
}

static int check_locked(struct check *c, bool repair, struct findings *all)
{
	struct findings cur = {};
	int err = 0;

	c->out = &cur;
	collect(c);
	for (int round = 1; !c->err && repair && cur.n && round < CHECK_ROUNDS; round++) {
		err = merge(all, &cur);
		if (err)
			break;
		fix_all(c);
		/* the fixes' own messages of the findings just tried */
		for (size_t i = 0; i < cur.n; i++) {
			struct finding *same = (struct finding *)find_same(all, &cur.v[i]);

			if (same)
				same->issue = cur.v[i].issue;
		}
		collect(c);
	}
	err = err ?: c->err ?: merge(all, &cur);
	/* repaired: what the last look no longer found */
	for (size_t i = 0; !err && repair && i < all->n; i++)
		all->v[i].issue.repaired = !find_same(&cur, &all->v[i]);
	free(cur.v);
	return err == -ENOMEM ? bn_fail(c->bn, err, "out of memory") : err;
}

int check_issues_out(struct bpfnet *bn, const struct findings *all,
		     struct bpfnet_check_issue **issues, size_t *count)
{
	*issues = calloc(all->n + 1, sizeof(**issues));
	if (!*issues)
		return bn_fail(bn, -ENOMEM, "out of memory");
	for (size_t i = 0; i < all->n; i++)
		(*issues)[i] = all->v[i].issue;
	*count = all->n;
	return 0;
}

int check_begin(struct check *c, struct bpfnet *bn, struct state *st)
{
	/* the lock, so that no command is half-way through what is compared */
	int err = bn_lock(bn) ?: state_load(bn, st);

	memset(c, 0, sizeof(*c));
	c->bn = bn;
	dp_init(&c->dp, bn);
	if (err) {
		bn_unlock(bn);
		return err;
	}
	c->st = st;
	err = nl_open(&c->nl, -1);
	if (err) {
		bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
		check_end(c);
	}
	return err;
}

void check_end(struct check *c)
{
	dp_close(&c->dp);
	nl_close(c->nl);
	c->nl = NULL;
	if (c->st)
		state_free(c->st);
	c->st = NULL;
	bn_unlock(c->bn);
}

int bpfnet_node__check(struct bpfnet *bn, const struct bpfnet_check_opts *opts,
		       struct bpfnet_check_issue **issues, size_t *count)
{
	struct findings all = {};
	struct check c;
	struct state st;
	int err;

	if (!OPTS_VALID(opts) || !issues || !count)
		return bn_fail(bn, -EINVAL, "struct bpfnet_check_opts: bad sz (at least %zu; bytes "
			       "past %zu must be zero), or no issues/count", sizeof(size_t),
			       sizeof(*opts));
	err = check_begin(&c, bn, &st);
	if (err)
		return err;
	err = check_locked(&c, OPTS_GET(opts, repair, false), &all) ?:
	      check_issues_out(bn, &all, issues, count);
	free(all.v);
	check_end(&c);
	return err;
}
