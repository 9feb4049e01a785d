// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The macvlan devices of macvlan endpoints (Docker's macvlan driver): one
 * RTM_NEWLINK made in the node, on the parent, that creates the device in
 * the container's netns under its final name, so that no half-made device
 * ever sits in the node. A device deleted is found by what was recorded
 * before it was made (name, MAC, parent), never just by its name: an eth0
 * of the container that is not ours stays.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys/macvlan.h"
#include "sys/netns.h"

int macvlan_parent(struct bpfnet *bn, struct nl *node_nl, const char *name, struct nl_link *out)
{
	int err = nl_link_get_by_name(node_nl, name, out);

	if (err == -ENODEV || err == -EINVAL)
		return bn_fail(bn, -ENODEV, "the parent device %s is not a device of the node: give "
			       "one that 'ip link' shows in the node's network namespace", name);
	if (err)
		return bn_fail(bn, err, "cannot read the parent device %s: %s", name,
			       strerror(-err));
	return 0;
}

int macvlan_create(struct bpfnet *bn, struct nl *node_nl, const struct ep_state *ep, int netns_fd)
{
	struct nl_macvlan_opts o = {
		.name = ep->ifname, .mac = ep->mac, .mtu = ep->mtu, .netns_fd = netns_fd,
	};
	struct nl_link parent;
	int err = macvlan_parent(bn, node_nl, ep->parent, &parent);

	if (err)
		return err;
	o.parent_ifindex = parent.ifindex;
	err = nl_macvlan_create(node_nl, &o);
	if (err == -EEXIST)
		return bn_fail(bn, err, "%s already exists in %s: give another --ifname", ep->ifname,
			       ep->netns);
	if (err)
		return bn_fail(bn, err, "cannot create the macvlan %s on %s in %s: %s %s", ep->ifname,
			       ep->parent, ep->netns, strerror(-err), nl_errmsg(node_nl));
	return 0;
}

bool macvlan_is_ours(const struct nl_link *link, const struct ep_state *ep, int parent_ifindex)
{
	return !strcmp(link->kind, "macvlan") && !memcmp(link->mac, ep->mac, sizeof(ep->mac)) &&
	       (parent_ifindex <= 0 || link->link == parent_ifindex);
}

static int delete_in(struct bpfnet *bn, struct nl *node_nl, const struct ep_state *ep, int fd)
{
	struct nl_link parent = { .ifindex = 0 }, link;
	struct nl *nl;
	int err = nl_open(&nl, fd);

	if (err)
		return bn_fail(bn, err, "cannot open netlink in %s: %s", ep->netns, strerror(-err));
	/* a parent that is gone took its macvlans along: whatever is left is not ours */
	if (nl_link_get_by_name(node_nl, ep->parent, &parent))
		goto out;
	err = nl_link_get_by_name(nl, ep->ifname, &link);
	if (!err && macvlan_is_ours(&link, ep, parent.ifindex))
		err = nl_link_del(nl, link.ifindex);
	if (err == -ENODEV)
		err = 0;
	if (err)
		bn_fail(bn, err, "cannot delete the macvlan %s in %s: %s %s", ep->ifname, ep->netns,
			strerror(-err), nl_errmsg(nl));
out:
	nl_close(nl);
	return err;
}

int macvlan_delete(struct bpfnet *bn, struct nl *node_nl, const struct ep_state *ep, int netns_fd)
{
	char path[BPFNET_PATH_MAX];
	int fd = netns_fd, err;

	/* a netns deleted with its container took the macvlan along */
	if (fd < 0 && netns_open(ep->netns, path, sizeof(path), &fd))
		return 0;
	err = delete_in(bn, node_nl, ep, fd);
	if (fd != netns_fd)
		close(fd);
	return err;
}
