// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet_endpoint__check(): is one endpoint as endpoint add made it? What the
 * node's check looks at for it (check_endpoint_maps(): its veth, filter, map
 * entries and published ports), and what only a look at the endpoint itself
 * sees: both ends of its veth up with their MAC and MTU, and, in its netns,
 * its address and the routes the add made. A CNI runtime's CHECK asks this.
 * Nothing is repaired: the findings say what differs.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "api/check.h"
#include "model/ipam.h"
#include "sys/netlink.h"
#include "sys/netns.h"

/* One end of the veth (@obj names it): up, with the MAC and MTU the add gave it. */
static void check_link(struct check *c, const struct ep_state *ep, const struct nl_link *l,
		       const char *obj, const uint8_t mac[6])
{
	char want[18], got[18];

	if (!(l->flags & IFF_UP))
		finding_add(c, "link_down", FIX_NONE, obj, "%s of endpoint '%s' is down", obj,
			    ep->name);
	if (memcmp(l->mac, mac, 6))
		finding_add(c, "mac_differs", FIX_NONE, obj, "%s has MAC %s, endpoint '%s' was made "
			    "with %s", obj, mac_format(l->mac, got), ep->name, mac_format(mac, want));
	if (l->mtu != ep->mtu)
		finding_add(c, "mtu_differs", FIX_NONE, obj, "%s has MTU %u, endpoint '%s' was made "
			    "with %u", obj, l->mtu, ep->name, ep->mtu);
}

/* The host end; a host veth missing or another one is check_endpoint_maps()'s to say. */
static void check_host_side(struct check *c, const struct ep_state *ep)
{
	struct nl_link l;

	if (ep_is_macvlan(ep))
		return;	/* none */
	if (nl_link_get_by_name(c->nl, ep->host_ifname, &l) ||
	    (unsigned int)l.ifindex != ep->host_ifindex)
		return;
	check_link(c, ep, &l, ep->host_ifname, ep->host_mac);
}

struct addr_look {
	int ifindex;
	struct in_addr ip;
	int prefix_len;		/* of @ip on @ifindex; -1: not there */
};

static int addr_seen(const struct nl_addr4 *a, void *arg)
{
	struct addr_look *look = arg;

	if (a->ifindex == look->ifindex && a->local.s_addr == look->ip.s_addr)
		look->prefix_len = a->prefix_len;
	return 0;
}

static void check_address(struct check *c, const struct ep_state *ep, struct nl *ct_nl,
			  int ifindex, const char *where)
{
	struct addr_look look = { .ifindex = ifindex, .ip = ep->ip, .prefix_len = -1 };
	char obj[64], ip[INET_ADDRSTRLEN];
	int err = nl_addr_foreach4(ct_nl, addr_seen, &look);

	if (err) {
		c->err = c->err ?: bn_fail(c->bn, err, "cannot list the addresses of %s: %s", where,
					   strerror(-err));
		return;
	}
	snprintf(obj, sizeof(obj), "%s/%u", check_ip(ep->ip.s_addr, ip), ep->prefix_len);
	if (look.prefix_len < 0)
		finding_add(c, "address_missing", FIX_NONE, obj, "%s does not have %s, the address "
			    "of endpoint '%s'", where, obj, ep->name);
	else if ((unsigned int)look.prefix_len != ep->prefix_len)
		finding_add(c, "address_missing", FIX_NONE, obj, "%s has %s/%d, not %s, the "
			    "address of endpoint '%s'", where, ip, look.prefix_len, obj, ep->name);
}

struct route_look {
	int ifindex;
	struct in_addr subnet;
	unsigned int prefix_len;
	bool subnet_route;	/* the connected route of the address, on the interface */
	bool default_route;	/* the netns has one: this endpoint's or another's */
};

static int route_seen(const struct nl_route4_entry *r, void *arg)
{
	struct route_look *look = arg;

	if (r->table != RT_TABLE_MAIN)
		return 0;
	if (!r->route.prefix_len)
		look->default_route = true;
	else if (r->route.ifindex == look->ifindex && r->route.prefix_len == look->prefix_len &&
		 r->route.dst.s_addr == look->subnet.s_addr)
		look->subnet_route = true;
	return 0;
}

/*
 * The routes of the add: the subnet's (the kernel's, with the address) and,
 * with a gateway, a default route, unless it was made without one. Several
 * endpoints of one netns share one default route (sys/epnetns.c): any is
 * this endpoint's way out.
 */
static void check_routes(struct check *c, const struct ep_state *ep, struct nl *ct_nl,
			 int ifindex, const char *where)
{
	struct route_look look = { .ifindex = ifindex, .prefix_len = ep->prefix_len };
	char obj[96], net[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	int err;

	look.subnet.s_addr = ep->ip.s_addr & htonl(prefix_mask(ep->prefix_len));
	err = nl_route_foreach4(ct_nl, route_seen, &look);
	if (err) {
		c->err = c->err ?: bn_fail(c->bn, err, "cannot list the routes of %s: %s", where,
					   strerror(-err));
		return;
	}
	if (!look.subnet_route) {
		snprintf(obj, sizeof(obj), "%s/%u dev %s", check_ip(look.subnet.s_addr, net),
			 ep->prefix_len, ep->ifname);
		finding_add(c, "route_missing", FIX_NONE, obj, "%s has no route %s: endpoint '%s' "
			    "does not reach its network", where, obj, ep->name);
	}
	if (ep->gateway.s_addr != INADDR_ANY && !ep->no_default_route && !look.default_route) {
		snprintf(obj, sizeof(obj), "default via %s dev %s", check_ip(ep->gateway.s_addr, gw),
			 ep->ifname);
		finding_add(c, "route_missing", FIX_NONE, obj, "%s has no default route: endpoint "
			    "'%s' does not reach beyond its network (%s)", where, ep->name, obj);
	}
}

/*
 * The container end, in the endpoint's netns (@ct_nl): a veth (or the macvlan
 * on its parent), up, its MAC, MTU, address, routes.
 */
/* The veth's container end (@where names it) into @l: 0, or -errno when it is not there. */
static int container_veth(struct check *c, const struct ep_state *ep, struct nl *ct_nl,
			  const char *where, struct nl_link *l)
{
	int err = nl_link_get_by_name(ct_nl, ep->ifname, l);

	if (err == -ENODEV) {
		finding_add(c, "veth_missing", FIX_NONE, where, "%s is gone: endpoint '%s' has no "
			    "interface in its container", where, ep->name);
		return err;
	}
	if (err) {
		c->err = c->err ?: bn_fail(c->bn, err, "cannot read %s: %s", where, strerror(-err));
		return err;
	}
	if (strcmp(l->kind, "veth"))
		finding_add(c, "veth_mismatch", FIX_NONE, where, "%s is a%s %s, not the veth "
			    "endpoint '%s' was given", where, l->kind[0] ? "" : "n", l->kind[0] ?
			    l->kind : "interface of no kind", ep->name);
	return 0;
}

static void check_container_side(struct check *c, const struct ep_state *ep, struct nl *ct_nl)
{
	char where[BPFNET_PATH_MAX + IF_NAMESIZE + 8];
	struct nl_link l;
	int err;

	snprintf(where, sizeof(where), "%s in %s", ep->ifname, ep->netns);
	err = ep_is_macvlan(ep) ? check_macvlan_link(c, ep, ct_nl, where, FIX_NONE, &l) :
				  container_veth(c, ep, ct_nl, where, &l);
	if (err)
		return;
	check_link(c, ep, &l, where, ep->mac);
	check_address(c, ep, ct_nl, l.ifindex, where);
	check_routes(c, ep, ct_nl, l.ifindex, where);
}

/* Every look at @ep. A netns that is gone is the one thing to say: all else went with it. */
static int check_one(struct check *c, const struct ep_state *ep)
{
	char path[BPFNET_PATH_MAX];
	struct nl *ct_nl;
	int fd, err = netns_open(ep->netns, path, sizeof(path), &fd);

	if (err == -ENOENT || err == -EINVAL) {
		finding_add(c, "netns_missing", FIX_NONE, ep->netns, "the network namespace %s of "
			    "endpoint '%s' is gone", ep->netns, ep->name);
		return c->err;
	}
	if (err)
		return bn_fail(c->bn, err, "cannot open the network namespace %s of endpoint "
			       "'%s': %s", ep->netns, ep->name, strerror(-err));
	check_pins(c);
	if (c->pins_ok)
		check_endpoint_maps(c, ep);
	check_host_side(c, ep);
	err = nl_open(&ct_nl, fd);
	close(fd);
	if (err)
		return bn_fail(c->bn, err, "cannot open netlink in %s: %s", ep->netns,
			       strerror(-err));
	check_container_side(c, ep, ct_nl);
	nl_close(ct_nl);
	return c->err;
}

int bpfnet_endpoint__check(struct bpfnet *bn, const char *name, struct bpfnet_check_issue **issues,
			   size_t *count)
{
	struct findings found = {};
	const struct ep_state *ep;
	struct check c;
	struct state st;
	int err;

	if (!name || !issues || !count)
		return bn_fail(bn, -EINVAL, "an endpoint name, issues and count are required");
	err = check_begin(&c, bn, &st);
	if (err)
		return err;
	c.out = &found;
	ep = state_ep(&st, name);
	if (!ep)
		err = bn_fail(bn, -ENOENT, "no endpoint '%s'", name);
	else if (!st.node.initialized)
		err = bn_fail(bn, -ENOENT, "the node is not initialized");
	else
		err = check_one(&c, ep) ?: check_issues_out(bn, &found, issues, count);
	free(found.v);
	check_end(&c);
	return err;
}
