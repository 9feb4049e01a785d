// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Several endpoints in one container netns, as `docker network connect` makes
 * them: the first endpoint with a gateway gives the netns its default route,
 * each further one only the connected route of its own subnet. When the one
 * with the default route goes, the next endpoint there with a gateway takes
 * it over, as libnetwork moves a sandbox's gateway to its remaining networks.
 * An endpoint made without a default route (opts.default_route BPFNET_NO)
 * neither holds nor takes it: its container was told its way out is elsewhere.
 */
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "sys/epnetns.h"
#include "sys/netlink.h"
#include "sys/netns.h"

/* Is endpoint @ep's netns the one of @netns_fd? An endpoint whose netns is gone is in none. */
static bool ep_in_netns(const struct ep_state *ep, int netns_fd)
{
	char path[BPFNET_PATH_MAX];
	int fd, same;

	if (netns_open(ep->netns, path, sizeof(path), &fd))
		return false;
	same = netns_same(fd, netns_fd);
	close(fd);
	return same == 1;
}

/*
 * Only the endpoints made in a netns of this inode (or not known: an older
 * state) are opened to be sure, as before: an endpoint add opens the netns
 * of the one or two endpoints that may share its netns, not every
 * endpoint's. (A netns's inode lives as long as it does; a later netns may
 * get the number again, and is then opened and compared as any.)
 */
const struct ep_state *ep_gateway_in_netns(const struct state *st, int netns_fd)
{
	uint64_t dev = 0, ino = 0;
	bool known = !netns_ident(netns_fd, &dev, &ino);

	for (size_t i = 0; i < st->n_eps; i++) {
		const struct ep_state *ep = &st->eps[i];

		if (ep->gateway.s_addr == INADDR_ANY || ep->no_default_route)
			continue;
		if (known && ep->netns_ino && (ep->netns_ino != ino || ep->netns_dev != dev))
			continue;
		if (ep_in_netns(ep, netns_fd))
			return ep;
	}
	return NULL;
}

static int is_default_route(const struct nl_route4_entry *r, void *arg)
{
	(void)arg;
	return r->table == RT_TABLE_MAIN && !r->route.prefix_len;
}

/* Give the netns of @nl a default route via @ep's gateway, unless it has one. */
static int default_route_via(struct bpfnet *bn, struct nl *nl,
			     const struct ep_state *ep)
{
	struct nl_route4 dflt = { .gateway = ep->gateway };
	struct nl_link eth;
	int err = nl_route_foreach4(nl, is_default_route, NULL);

	if (err > 0)
		return 0;	/* still there: @gone did not hold it, or the admin set one */
	err = err ?: nl_link_get_by_name(nl, ep->ifname, &eth);
	if (!err) {
		dflt.ifindex = eth.ifindex;
		err = nl_route_add4(nl, &dflt);
	}
	if (err && err != -EEXIST)
		return bn_fail(bn, err, "cannot move the default route of %s to endpoint '%s' "
			       "(%s): %s %s", ep->netns, ep->name, ep->ifname, strerror(-err),
			       nl_errmsg(nl));
	return 0;
}

int ep_default_route_handover(struct bpfnet *bn, const struct state *st,
			      const struct ep_state *gone)
{
	const struct ep_state *next;
	char path[BPFNET_PATH_MAX];
	struct nl *nl;
	int fd, err;

	if (gone->gateway.s_addr == INADDR_ANY || gone->no_default_route)
		return 0;
	/* a netns deleted with its container leaves nobody to hand over to */
	if (netns_open(gone->netns, path, sizeof(path), &fd))
		return 0;
	next = ep_gateway_in_netns(st, fd);
	err = next ? nl_open(&nl, fd) : 0;
	close(fd);
	if (!next)
		return 0;
	if (err)
		return bn_fail(bn, err, "cannot open netlink in %s: %s", gone->netns,
			       strerror(-err));
	err = default_route_via(bn, nl, next);
	nl_close(nl);
	return err;
}
