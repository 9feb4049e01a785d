// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Network gateways owned by the node: a /32 on lo each. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sys/gateway.h"

/* The gateway on the node: one address, no subnet route (the /32 routes reach containers). */
#define GW_PREFIX_LEN 32
#define LOOPBACK_IFNAME "lo"

static int lo_ifindex(struct bpfnet *bn, struct nl *nl, int *ifindex)
{
	struct nl_link lo;
	int err = nl_link_get_by_name(nl, LOOPBACK_IFNAME, &lo);

	if (err)
		return bn_fail(bn, err, "cannot find the node's %s: %s", LOOPBACK_IFNAME,
			       strerror(-err));
	*ifindex = lo.ifindex;
	return 0;
}

/* Add (or, with @del, remove) the gateway /32 on the node's lo; done already is fine. */
static int gateway_addr(struct bpfnet *bn, struct nl *nl, const struct net_state *net,
			bool del)
{
	char gw[INET_ADDRSTRLEN];
	int lo = 0, err;

	if (!net_has_gateway(net))
		return 0;
	err = lo_ifindex(bn, nl, &lo);
	if (err)
		return err;
	err = del ? nl_addr_del4(nl, lo, net->gateway, GW_PREFIX_LEN) :
		    nl_addr_add4(nl, lo, net->gateway, GW_PREFIX_LEN);
	/* re-init or an admin's address (add), already gone (del): the outcome is the same */
	if (!err || err == (del ? -EADDRNOTAVAIL : -EEXIST))
		return 0;
	return bn_fail(bn, err, "cannot %s the gateway %s of network '%s' on %s: %s %s",
		       del ? "remove" : "add", inet_ntop(AF_INET, &net->gateway, gw, sizeof(gw)),
		       net->name, LOOPBACK_IFNAME, strerror(-err), nl_errmsg(nl));
}

int net_gateway_add(struct bpfnet *bn, struct nl *nl, const struct net_state *net)
{
	return gateway_addr(bn, nl, net, false);
}

int net_gateway_del(struct bpfnet *bn, struct nl *nl, const struct net_state *net)
{
	return gateway_addr(bn, nl, net, true);
}
