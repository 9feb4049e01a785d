// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The node's verbs: init, down, info (the datapath work itself is dp/node.c's). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/internal.h"
#include "api/txn.h"
#include "dp/datapath.h"
#include "dp/node.h"
#include "dp/sizes.h"
#include "dp/xdp.h"
#include "sys/bpffs.h"
#include "sys/store.h"
#include "sys/uplink.h"

/* What an init is asked for: uplinks, and the tables' sizes (0: keep). */
struct init_want {
	struct uplink_set uplinks;
	struct dp_sizes sizes;
};

/* The uplinks asked for: none means those of the default routes, detected under the lock. */
static int init_change(struct txn *t, void *arg)
{
	struct init_want *want = arg;
	struct nl *nl;
	int err = txn_nl(t, &nl);

	if (!err && !want->uplinks.n)
		err = uplinks_detect(t->bn, nl, want->uplinks.names, &want->uplinks.n);
	return err ?: node_init_locked(&t->dp, &t->st, nl, &want->uplinks, &want->sizes);
}

/* The sizes of @opts, each checked before anything changes; 0 keeps the node's. */
static int sizes_take(struct bpfnet *bn, const struct bpfnet_init_opts *opts,
		      struct dp_sizes *sizes)
{
	int err = 0;

	sizes->n[DP_SIZE_CT] = OPTS_GET(opts, ct_max, 0);
	sizes->n[DP_SIZE_PORTS] = OPTS_GET(opts, ports_max, 0);
	for (int s = 0; s < DP_SIZE_COUNT && !err; s++)
		if (sizes->n[s])
			err = dp_size_check(bn, s, sizes->n[s]);
	return err;
}

/* The caller's list into @want: each a device name, each once, at most BPFNET_UPLINK_MAX. */
static int uplinks_take(struct bpfnet *bn, const char *const *uplinks, size_t n,
			struct uplink_set *want)
{
	want->n = 0;
	if (n > BPFNET_UPLINK_MAX)
		return bn_fail(bn, -E2BIG, "%zu uplinks: at most %d", n, BPFNET_UPLINK_MAX);
	for (size_t i = 0; i < n; i++) {
		const char *name = uplinks[i];

		if (!name || !*name || strlen(name) >= IF_NAMESIZE || strchr(name, '/'))
			return bn_fail(bn, -EINVAL, "uplink %zu: '%s' is not a device name (1 to "
				       "%d characters, no '/')", i + 1, name ? name : "(null)",
				       IF_NAMESIZE - 1);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(uplinks[k], name))
				return bn_fail(bn, -EINVAL, "uplink %s is given twice", name);
		snprintf(want->names[want->n++], IF_NAMESIZE, "%s", name);
	}
	return 0;
}

int bpfnet_node__init_opts(struct bpfnet *bn, const struct bpfnet_init_opts *opts)
{
	struct init_want want;
	const char *const *uplinks = OPTS_HAS(opts, uplinks) ? opts->uplinks : NULL;
	size_t n = OPTS_HAS(opts, n_uplinks) ? opts->n_uplinks : 0;
	int xdp = OPTS_GET(opts, xdp, BPFNET_DEFAULT), err;

	if (!OPTS_VALID(opts))
		return bn_fail(bn, -EINVAL, "struct bpfnet_init_opts: bad sz");
	if (xdp != BPFNET_DEFAULT && xdp != BPFNET_YES && xdp != BPFNET_NO)
		return bn_fail(bn, -EINVAL, "struct bpfnet_init_opts: xdp %d: BPFNET_DEFAULT, "
			       "BPFNET_YES or BPFNET_NO", xdp);
	err = uplinks_take(bn, uplinks, uplinks ? n : 0, &want.uplinks) ?:
	      sizes_take(bn, opts, &want.sizes);
	want.uplinks.xdp_off = xdp == BPFNET_NO;
	return err ?: txn_run(bn, JOURNAL_INIT, init_change, &want);
}

int bpfnet_node__init(struct bpfnet *bn, const char *uplink)
{
	struct bpfnet_init_opts o = { .sz = sizeof(o), .uplinks = &uplink, .n_uplinks = 1 };

	if (!uplink || !*uplink)
		return bn_fail(bn, -EINVAL, "an uplink is required");
	return bpfnet_node__init_opts(bn, &o);
}

static int down_change(struct txn *t, void *unused)
{
	struct journal j = { .op = JOURNAL_DOWN };
	struct nl *nl;

	(void)unused;
	/* once recorded, down is finished: by the next command if this one is cut short */
	return txn_nl(t, &nl) ?: txn_record(t, &j) ?: node_teardown(t->bn, &t->st, nl) ?:
	       state_remove(t->bn);
}

int bpfnet_node__down(struct bpfnet *bn)
{
	/* no state: never initialized here, or already down; only stray pins may remain */
	if (access(bn->run_dir, F_OK) && errno == ENOENT) {
		const char *dir;

		return bn_pin_dir(bn, &dir) ? 0 : dp_unpin(bn);
	}
	return txn_run(bn, JOURNAL_DOWN, down_change, NULL);
}

/* The state says initialized; that is true only while the datapath's pins are there. */
static int node_pins_check(struct bpfnet *bn, struct bpfnet_node_info *out)
{
	const char *dir;
	int err = bn_pin_dir(bn, &dir);

	if (!err) {
		snprintf(out->pin_dir, sizeof(out->pin_dir), "%s", dir);
		err = dp_pins_check(bn, out->missing_pin, sizeof(out->missing_pin));
		if (err && err != -ENOENT)
			return err;
	}
	out->initialized = !err;
	out->pins_missing = !!err;
	return 0;
}

int bpfnet_node__info(struct bpfnet *bn, struct bpfnet_node_info *out)
{
	struct bpfnet_node_info info = { .sz = sizeof(info) };
	struct state st;
	int err = bn_out_check(bn, out, "bpfnet_node_info") ?: state_load(bn, &st);

	if (err)
		return err;
	info.n_uplinks = st.node.n_uplinks;
	for (size_t i = 0; i < st.node.n_uplinks; i++) {
		snprintf(info.uplinks[i], sizeof(info.uplinks[i]), "%s", st.node.uplinks[i].name);
		info.uplink_ifindexes[i] = st.node.uplinks[i].ifindex;
		/* attached is the kernel's word, not the state's: a device re-created lost it */
		info.uplink_xdp[i] = st.node.initialized &&
				     dp_xdp_attached(bn, (int)st.node.uplinks[i].ifindex);
		snprintf(info.uplink_xdp_refused[i], sizeof(info.uplink_xdp_refused[i]), "%s",
			 st.node.uplinks[i].xdp_refused);
	}
	info.xdp_off = st.node.xdp_off;
	/* as before several: the first */
	snprintf(info.uplink, sizeof(info.uplink), "%s", info.uplinks[0]);
	info.uplink_ifindex = info.uplink_ifindexes[0];
	if (st.node.initialized)
		err = node_pins_check(bn, &info);
	state_free(&st);
	if (!err)
		bn_out_put(out, &info, sizeof(info));
	return err;
}
