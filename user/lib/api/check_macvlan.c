// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet check, macvlan endpoints: no veth, no filter, no map entry to look
 * at; what endpoint add made is a macvlan on the network's parent in the
 * container's netns. The node's check looks that it is there (made again by
 * a repair, or the endpoint removed when its netns is gone) and is the
 * macvlan of that parent; the endpoint's check (check_endpoint.c) adds its
 * MAC, MTU, address and routes.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/check.h"
#include "sys/macvlan.h"
#include "sys/netlink.h"
#include "sys/netns.h"

int check_macvlan_link(struct check *c, const struct ep_state *ep, struct nl *ct_nl,
		       const char *where, enum fix fix, struct nl_link *link)
{
	struct nl_link parent = { .ifindex = 0 };
	int err = nl_link_get_by_name(ct_nl, ep->ifname, link);

	if (err == -ENODEV) {
		finding_name(finding_add(c, "macvlan_missing", fix, where, "%s is gone: endpoint "
					 "'%s' has no macvlan on %s in its container", where,
					 ep->name, ep->parent), ep->name);
		return err;
	}
	if (err) {
		c->err = c->err ?: bn_fail(c->bn, err, "cannot read %s: %s", where, strerror(-err));
		return err;
	}
	if (strcmp(link->kind, "macvlan")) {
		finding_add(c, "macvlan_mismatch", FIX_NONE, where, "%s is a%s %s, not the macvlan "
			    "endpoint '%s' was given", where, link->kind[0] ? "" : "n",
			    link->kind[0] ? link->kind : "interface of no kind", ep->name);
		return 0;
	}
	if (nl_link_get_by_name(c->nl, ep->parent, &parent)) {
		finding_add(c, "parent_missing", FIX_NONE, ep->parent, "the parent %s of endpoint "
			    "'%s' is not a device of the node", ep->parent, ep->name);
		return 0;
	}
	if (link->link != parent.ifindex)
		finding_add(c, "macvlan_mismatch", FIX_NONE, where, "%s is a macvlan on ifindex %d "
			    "of the node, not on %s (ifindex %d), the parent of endpoint '%s'",
			    where, link->link, ep->parent, parent.ifindex, ep->name);
	return 0;
}

void check_macvlan_endpoint(struct check *c, const struct ep_state *ep)
{
	char path[BPFNET_PATH_MAX], where[BPFNET_PATH_MAX + IF_NAMESIZE + 8];
	struct nl_link link;
	struct nl *ct_nl;
	int fd, err = netns_open(ep->netns, path, sizeof(path), &fd);

	snprintf(where, sizeof(where), "%s in %s", ep->ifname, ep->netns);
	if (err == -ENOENT || err == -EINVAL) {
		/* its macvlan went with it: the repair removes the endpoint, as endpoint rm would */
		finding_name(finding_add(c, "netns_missing", FIX_EP_REBUILD, ep->netns, "the "
					 "network namespace %s of macvlan endpoint '%s' is gone",
					 ep->netns, ep->name), ep->name);
		return;
	}
	if (err) {
		c->err = c->err ?: bn_fail(c->bn, err, "cannot open the network namespace %s of "
					   "endpoint '%s': %s", ep->netns, ep->name, strerror(-err));
		return;
	}
	err = nl_open(&ct_nl, fd);
	close(fd);
	if (err) {
		c->err = c->err ?: bn_fail(c->bn, err, "cannot open netlink in %s: %s", ep->netns,
					   strerror(-err));
		return;
	}
	check_macvlan_link(c, ep, ct_nl, where, FIX_EP_REBUILD, &link);
	nl_close(ct_nl);
}
