// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which devices are the node's uplinks when nobody says: those its default
 * routes leave by, as a host's outside traffic arrives where its replies
 * leave (a second NIC with its own default route, a multipath one, a VPN).
 */
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "sys/uplink.h"

/* Default routes looked at, at most: more than any node has. */
#define DEFAULT_ROUTE_MAX 64

struct default_routes {
	struct nl_route4_entry r[DEFAULT_ROUTE_MAX];
	size_t n;
};

static int default_route_seen(const struct nl_route4_entry *r, void *arg)
{
	struct default_routes *d = arg;
	size_t i;

	if (r->table != RT_TABLE_MAIN || r->type != RTN_UNICAST || r->route.prefix_len ||
	    !r->n_nexthops || d->n == DEFAULT_ROUTE_MAX)
		return 0;
	/* by metric, the kernel's choice first; the dump's order among equals */
	for (i = d->n; i > 0 && d->r[i - 1].priority > r->priority; i--)
		d->r[i] = d->r[i - 1];
	d->r[i] = *r;
	d->n++;
	return 0;
}

/* @link into @names unless loopback or there already; -E2BIG when full. */
static int detected_add(const struct nl_link *link, char names[BPFNET_UPLINK_MAX][IF_NAMESIZE],
			size_t *n)
{
	if (link->flags & IFF_LOOPBACK)
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(names[i], link->name))
			return 0;
	if (*n == BPFNET_UPLINK_MAX)
		return -E2BIG;
	snprintf(names[(*n)++], IF_NAMESIZE, "%s", link->name);
	return 0;
}

int uplinks_detect(struct bpfnet *bn, struct nl *nl, char names[BPFNET_UPLINK_MAX][IF_NAMESIZE],
		   size_t *n)
{
	struct default_routes d = { .n = 0 };
	struct nl_link link;
	int err = nl_route_foreach4(nl, default_route_seen, &d);

	if (err)
		return bn_fail(bn, err, "cannot read the node's routes: %s", strerror(-err));
	*n = 0;
	for (size_t i = 0; i < d.n; i++)
		for (size_t k = 0; k < d.r[i].n_nexthops; k++) {
			/* a device gone since the dump is no uplink */
			if (nl_link_get_by_index(nl, d.r[i].nexthop_ifindexes[k], &link))
				continue;
			if (detected_add(&link, names, n))
				return bn_fail(bn, -E2BIG, "the node's default routes leave by more "
					       "than %d devices: name the uplinks", BPFNET_UPLINK_MAX);
		}
	if (!*n)
		return bn_fail(bn, -ENODEV, "no uplink detected: the node has no IPv4 default "
			       "route in its main table; name the uplinks");
	return 0;
}

int uplink_usable(struct bpfnet *bn, struct nl *nl, const struct state *st, const char *name,
		  struct nl_link *link)
{
	int err = nl_link_get_by_name(nl, name, link);

	if (err)
		return bn_fail(bn, err, "no device '%s' in this "
			       "network namespace: %s", name, strerror(-err));
	if (link->flags & IFF_LOOPBACK)
		return bn_fail(bn, -EINVAL, "%s is the loopback device: no traffic from outside "
			       "arrives on it, it cannot be an uplink", name);
	if (state_owns_ifname(st, name))
		return bn_fail(bn, -EINVAL, "%s is the host veth of an endpoint of this instance, "
			       "it cannot be an uplink", name);
	return 0;
}
