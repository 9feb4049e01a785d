// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A network in the datapath: its map slot, flood list and FDB entries, its gateway on the node. */
#include <string.h>

#include "dp/bridge.h"
#include "dp/maps.h"
#include "dp/network.h"
#include "dp/node.h"
#include "sys/gateway.h"
#include "sys/netlink.h"

/* The datapath's view of a new network, and the node's gateway address. */
int network_install(struct dp *dp, const struct net_state *n)
{
	struct bpfnet *bn = dp->bn;
	struct nl *nl = NULL;
	int err;

	/* the kernel's macvlan: no BPF in its path, nothing in the maps, no gateway on the node */
	if (net_is_macvlan(n))
		return 0;
	err = dp_net_put(dp, n);

	if (err || !net_has_gateway(n))
		return err;
	err = nl_open(&nl, -1);
	if (err)
		return bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
	err = net_gateway_add(bn, nl, n);
	/* published ports answer on the gateway too, as on every node address */
	err = err ?: node_addrs_refresh(dp, nl);
	nl_close(nl);
	return err;
}

/* Undo network_install, or take down a removed network; the first error is kept. */
int network_uninstall(struct dp *dp, const struct net_state *n)
{
	struct bpfnet *bn = dp->bn;
	struct bpfnet_flood none = {};
	struct nl *nl = NULL;
	int err = 0, nerr;

	if (net_is_macvlan(n))
		return 0;
	if (net_is_bridge(n))
		err = dp_flood_put(dp, n->id, &none) ?: bridge_fdb_forget_net(dp, n->id);
	err = dp_net_clear(dp, n->id) ?: err;
	if (!net_has_gateway(n))
		return err;
	nerr = nl_open(&nl, -1);
	if (nerr)
		return err ?: bn_fail(bn, nerr, "cannot open netlink: %s", strerror(-nerr));
	err = err ?: net_gateway_del(bn, nl, n);
	err = err ?: node_addrs_refresh(dp, nl);
	nl_close(nl);
	return err;
}
