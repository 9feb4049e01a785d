// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The host-side veths of the instance's endpoints: their names, deleting
 * one, and sweeping the strays a crashed endpoint add leaves behind.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys/netns.h"
#include "sys/veth.h"

void host_ifname_of(const struct bpfnet *bn, unsigned int id, char buf[IF_NAMESIZE])
{
	/* bn + instance hash + id: unique per instance, and <= 14 characters */
	snprintf(buf, IF_NAMESIZE, "bn%06x-%u", fnv1a32(bn->instance) & 0xffffff, id);
}

/* Is the netns endpoint @ep was made in no longer at its path (or another one is there)? */
static bool ep_netns_unbound(const struct ep_state *ep)
{
	char path[BPFNET_PATH_MAX];
	uint64_t dev, ino;
	bool other;
	int fd, err = netns_open(ep->netns, path, sizeof(path), &fd);

	if (err)
		return err == -ENOENT;
	other = ep->netns_ino && !netns_ident(fd, &dev, &ino) &&
		(dev != ep->netns_dev || ino != ep->netns_ino);
	close(fd);
	return other;
}

/*
 * Endpoint @ep's netns is no longer at its path (its container ended and was
 * unbound, or `ip netns del`): the kernel deletes the veth pair by itself, in
 * its own worker, once nothing holds that netns. Deleting it here would wait
 * as every netdev unregistration does, for RCU grace periods (13-37 ms on
 * this machine, most of a `bpfnet run --rm`'s teardown), so the host side is
 * only taken down (its routes and neighbours go with that) and renamed out
 * of the way of the next endpoint given this id: "bn<hash>x<generation>",
 * which is no endpoint's and no stray's name (veth_is_stray()).
 * 0, or an error for the caller to delete it after all.
 */
static int retire_veth(struct bpfnet *bn, struct nl *nl, const struct ep_state *ep, int ifindex)
{
	char name[IF_NAMESIZE];

	if (!ep_netns_unbound(ep))
		return -EBUSY;
	/* host_ifname_prefix()'s, and 15 characters at most */
	snprintf(name, sizeof(name), "bn%06xx%05x", fnv1a32(bn->instance) & 0xffffff,
		 ep->gen & 0xfffff);
	return nl_link_down_rename(nl, ifindex, name);
}

int ep_delete_veth(struct bpfnet *bn, struct nl *nl, const struct ep_state *ep)
{
	struct nl_link link;
	int err = nl_link_get_by_name(nl, ep->host_ifname, &link);

	if (err == -ENODEV)
		return 0;
	if (!err && retire_veth(bn, nl, ep, link.ifindex))
		err = nl_link_del(nl, link.ifindex);
	if (err && err != -ENODEV)
		return bn_fail(bn, err, "cannot delete %s: %s %s", ep->host_ifname, strerror(-err),
			       nl_errmsg(nl));
	return 0;
}

void host_ifname_prefix(const struct bpfnet *bn, char buf[IF_NAMESIZE])
{
	snprintf(buf, IF_NAMESIZE, "bn%06x-", fnv1a32(bn->instance) & 0xffffff);
}

bool veth_is_stray(const struct bpfnet *bn, const struct state *st, const char *name,
		   const char *kind)
{
	char prefix[IF_NAMESIZE];
	size_t len;

	host_ifname_prefix(bn, prefix);
	len = strlen(prefix);
	if (strcmp(kind, "veth") || strncmp(name, prefix, len) || !name[len])
		return false;
	/* exactly the names endpoint add makes: prefix and an endpoint id */
	for (const char *p = name + len; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return !state_owns_ifname(st, name);
}

struct sweep {
	struct bpfnet *bn;
	struct nl *nl;
	const struct state *st;
	size_t n;
	int err;
};

static int sweep_one(const struct nl_link *link, void *arg)
{
	struct sweep *s = arg;
	int err;

	if (!veth_is_stray(s->bn, s->st, link->name, link->kind))
		return 0;
	err = nl_link_del(s->nl, link->ifindex);
	if (!err)
		s->n++;
	else if (err != -ENODEV && !s->err)
		s->err = bn_fail(s->bn, err, "cannot delete the stray veth %s: %s", link->name,
				 strerror(-err));
	return 0;
}

int veth_strays_remove(struct bpfnet *bn, struct nl *nl, const struct state *st, size_t *n)
{
	struct sweep s = { bn, nl, st, 0, 0 };
	int err = nl_link_foreach(nl, sweep_one, &s);

	if (n)
		*n = s.n;
	if (err)
		return bn_fail(bn, err, "cannot list the node's links: %s", strerror(-err));
	return s.err;
}
