// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The node's verbs: init, down, info (the datapath work itself is dp/node.c's). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/internal.h"
#include "api/txn.h"
#include "dp/datapath.h"
#include "dp/node.h"
#include "sys/bpffs.h"
#include "sys/store.h"

static int init_change(struct txn *t, void *uplink)
{
	struct nl *nl;

	return txn_nl(t, &nl) ?: node_init_locked(&t->dp, &t->st, nl, uplink);
}

int bpfnet_node__init(struct bpfnet *bn, const char *uplink)
{
	if (!uplink || !*uplink)
		return bn_fail(bn, -EINVAL, "an uplink is required (--uplink DEV)");
	return txn_run(bn, JOURNAL_INIT, init_change, (void *)uplink);
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
	snprintf(info.uplink, sizeof(info.uplink), "%s", st.node.uplink);
	info.uplink_ifindex = st.node.uplink_ifindex;
	if (st.node.initialized)
		err = node_pins_check(bn, &info);
	state_free(&st);
	if (!err)
		bn_out_put(out, &info, sizeof(info));
	return err;
}
