// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The node's addresses and routes against what a command is about to claim.
 * A network on the uplink's own subnet gets /32 routes to its containers that
 * win over the node's connected route: the node would send its neighbours'
 * traffic into containers. A port published on an address the node does not
 * own is never reached; Docker refuses it too (the bind fails).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/rtnetlink.h>

#include "model/ipam.h"
#include "sys/nodecheck.h"

/* Node addresses a "not an address of this node" error lists, at most. */
#define HOST_IP_LIST_MAX 8
/* Room for one route as `ip route` prints it: type, two addresses, a device. */
#define ROUTE_TEXT_MAX 96

struct subnet_conflict {
	struct in_addr net;
	unsigned int prefix_len;
	int beside;			/* a device whose routes and addresses do not count; 0: none */
	struct nl_route4_entry route;	/* the overlapping route, if one was found */
	struct nl_addr4 addr;		/* else the overlapping address */
};

/* Does route @r go out of device @ifindex only (every nexthop of it)? */
static bool route_only_on(const struct nl_route4_entry *r, int ifindex)
{
	if (!ifindex || !r->n_nexthops)
		return ifindex && r->route.ifindex == ifindex;
	for (size_t i = 0; i < r->n_nexthops; i++)
		if (r->nexthop_ifindexes[i] != ifindex)
			return false;
	return true;
}

static int route_overlaps(const struct nl_route4_entry *r, void *arg)
{
	struct subnet_conflict *c = arg;

	if (route_only_on(r, c->beside))
		return 0;

	/* the default route covers every subnet yet claims none: the /32s of containers win */
	if (r->table != RT_TABLE_MAIN || !r->route.prefix_len ||
	    !subnets_overlap(c->net, c->prefix_len, r->route.dst, r->route.prefix_len))
		return 0;
	c->route = *r;
	return 1;
}

static int addr_overlaps(const struct nl_addr4 *a, void *arg)
{
	struct subnet_conflict *c = arg;

	if ((c->beside && a->ifindex == c->beside) ||
	    !subnets_overlap(c->net, c->prefix_len, a->local, a->prefix_len))
		return 0;
	c->addr = *a;
	return 1;
}

static const char *route_type_prefix(unsigned int type)
{
	switch (type) {
	case RTN_BLACKHOLE:
		return "blackhole ";
	case RTN_UNREACHABLE:
		return "unreachable ";
	case RTN_PROHIBIT:
		return "prohibit ";
	case RTN_THROW:
		return "throw ";
	default:
		return "";
	}
}

/* " dev NAME" of @ifindex, or of its number when it cannot be named. */
static void dev_format(struct nl *nl, int ifindex, char *buf, size_t len)
{
	struct nl_link link;

	if (ifindex <= 0)
		buf[0] = '\0';
	else if (nl_link_get_by_index(nl, ifindex, &link))
		snprintf(buf, len, " dev ifindex %d", ifindex);
	else
		snprintf(buf, len, " dev %s", link.name);
}

/* The route as `ip route` shows it: "[TYPE ]DST/LEN[ via GW][ dev IF]". */
static void route_format(struct nl *nl, const struct nl_route4_entry *r, char *buf, size_t len)
{
	char dst[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN] = "", dev[IF_NAMESIZE + 24];

	inet_ntop(AF_INET, &r->route.dst, dst, sizeof(dst));
	if (r->route.gateway.s_addr != INADDR_ANY)
		inet_ntop(AF_INET, &r->route.gateway, gw, sizeof(gw));
	dev_format(nl, r->route.ifindex, dev, sizeof(dev));
	snprintf(buf, len, "%s%s/%u%s%s%s", route_type_prefix(r->type), dst, r->route.prefix_len,
		 gw[0] ? " via " : "", gw, dev);
}

static int subnet_conflict_error(struct bpfnet *bn, struct nl *nl,
				 const struct subnet_conflict *c, bool by_route)
{
	char sub[INET_ADDRSTRLEN], addr[INET_ADDRSTRLEN], what[ROUTE_TEXT_MAX];

	inet_ntop(AF_INET, &c->net, sub, sizeof(sub));
	if (by_route) {
		route_format(nl, &c->route, what, sizeof(what));
		return bn_fail(bn, -EEXIST, "subnet %s/%u overlaps the node's route %s: choose a "
			       "subnet the node does not use", sub, c->prefix_len, what);
	}
	inet_ntop(AF_INET, &c->addr.local, addr, sizeof(addr));
	if (c->addr.label[0])
		snprintf(what, sizeof(what), " dev %s", c->addr.label);
	else
		dev_format(nl, c->addr.ifindex, what, sizeof(what));
	return bn_fail(bn, -EEXIST, "subnet %s/%u overlaps the node's address %s/%u%s: choose a "
		       "subnet the node does not use", sub, c->prefix_len, addr, c->addr.prefix_len,
		       what);
}

int node_check_subnet(struct bpfnet *bn, struct nl *nl, struct in_addr net,
		      unsigned int prefix_len)
{
	return node_check_subnet_beside(bn, nl, net, prefix_len, 0);
}

int node_check_subnet_beside(struct bpfnet *bn, struct nl *nl, struct in_addr net,
			     unsigned int prefix_len, int ifindex)
{
	struct subnet_conflict c = { .net = net, .prefix_len = prefix_len, .beside = ifindex };
	int err = nl_route_foreach4(nl, route_overlaps, &c);

	if (err > 0)
		return subnet_conflict_error(bn, nl, &c, true);
	/* an address with no route of its own: a /32, noprefixroute, or on a device that is down */
	err = err ?: nl_addr_foreach4(nl, addr_overlaps, &c);
	if (err > 0)
		return subnet_conflict_error(bn, nl, &c, false);
	if (err)
		return bn_fail(bn, err, "cannot read the node's routes and addresses: %s",
			       strerror(-err));
	return 0;
}

/* Looking for @ip among the node's addresses, and noting what it is instead. */
struct host_ip_search {
	struct in_addr ip;
	bool is_broadcast;
	struct nl_addr4 broadcast_of;	/* the address whose subnet @ip is the broadcast of */
	unsigned int n_listed;
	char list[HOST_IP_LIST_MAX * (INET_ADDRSTRLEN + 2) + 8];
};

static int host_ip_match(const struct nl_addr4 *a, void *arg)
{
	struct host_ip_search *s = arg;
	size_t used = strlen(s->list);
	char ip[INET_ADDRSTRLEN];

	if (a->local.s_addr == s->ip.s_addr)
		return 1;
	if (!s->is_broadcast && ip4_is_subnet_broadcast(s->ip, a->local, a->prefix_len)) {
		s->is_broadcast = true;
		s->broadcast_of = *a;
	}
	/* the list is for a person choosing another address: loopback goes without saying */
	if (host_ip_kind(a->local) == HOST_IP_LOOPBACK)
		return 0;
	inet_ntop(AF_INET, &a->local, ip, sizeof(ip));
	if (s->n_listed++ < HOST_IP_LIST_MAX)
		snprintf(s->list + used, sizeof(s->list) - used, "%s%s", used ? ", " : "", ip);
	else if (s->n_listed == HOST_IP_LIST_MAX + 1)
		snprintf(s->list + used, sizeof(s->list) - used, ", ...");
	return 0;
}

static int host_ip_not_owned(struct bpfnet *bn, const char *ip, const struct host_ip_search *s)
{
	char local[INET_ADDRSTRLEN];

	if (s->is_broadcast)
		return bn_fail(bn, -EADDRNOTAVAIL, "host address %s is the broadcast address of "
			       "the node's %s/%u (dev %s), not an address of the node: publish on "
			       "one of its addresses, 127.0.0.1 or 0.0.0.0", ip,
			       inet_ntop(AF_INET, &s->broadcast_of.local, local, sizeof(local)),
			       s->broadcast_of.prefix_len, s->broadcast_of.label);
	return bn_fail(bn, -EADDRNOTAVAIL, "host address %s is not an address of this node (it "
		       "has %s): publish on one of those, 127.0.0.1 or 0.0.0.0", ip,
		       s->list[0] ? s->list : "none but loopback");
}

int node_check_host_ip(struct bpfnet *bn, struct nl *nl, struct in_addr ip)
{
	struct host_ip_search s = { .ip = ip };
	char a[INET_ADDRSTRLEN];
	int err;

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	switch (host_ip_kind(ip)) {
	case HOST_IP_ANY:
	case HOST_IP_LOOPBACK:
		return 0;
	case HOST_IP_MULTICAST:
		return bn_fail(bn, -EADDRNOTAVAIL, "host address %s is a multicast group, not an "
			       "address of the node: publish on one of its addresses, 127.0.0.1 "
			       "or 0.0.0.0", a);
	case HOST_IP_BROADCAST:
		return bn_fail(bn, -EADDRNOTAVAIL, "host address %s is the broadcast address, not "
			       "an address of the node: publish on one of its addresses, "
			       "127.0.0.1 or 0.0.0.0", a);
	case HOST_IP_UNICAST:
		break;
	}
	err = nl_addr_foreach4(nl, host_ip_match, &s);
	if (err > 0)
		return 0;
	if (err)
		return bn_fail(bn, err, "cannot list the node's addresses: %s", strerror(-err));
	return host_ip_not_owned(bn, a, &s);
}
