// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Endpoints: a veth pair from the node into a container netns, its address,
 * routes and map entries. endpoint add either completes or undoes all it did.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/endpoint.h"
#include "api/internal.h"
#include "api/txn.h"
#include "api/types.h"
#include "dp/bridge.h"
#include "dp/maps.h"
#include "dp/endpoint.h"
#include "model/ipam.h"
#include "sys/epnetns.h"
#include "sys/ethtool.h"
#include "sys/fsutil.h"
#include "sys/macvlan.h"
#include "sys/netlink.h"
#include "sys/netns.h"
#include "sys/store.h"
#include "sys/veth.h"

#define EP_DEFAULT_IFNAME "eth0"
#define EP_MTU_MIN 68		/* the IPv4 minimum (RFC 791) */
#define EP_MTU_MAX 65535

/* Everything one endpoint add works with, so each step stays a short function. */
struct ep_add {
	struct bpfnet *bn;
	struct dp *dp;
	struct state *st;
	const struct net_state *net;
	struct ep_state ep;
	int netns_fd;
	int ct_ifindex;		/* the container's interface, in its netns */
	struct nl_link parent;	/* macvlan: the network's parent device, in the node */
	struct nl *node_nl;
	struct nl *ct_nl;
};

static int ifname_valid(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	return strcspn(s, "/: \t\n") == len;
}

/* The lowest id no endpoint has: one pass over the endpoints, not one per id tried. */
static int alloc_ep_id(struct ep_add *a)
{
	uint8_t used[BPFNET_EP_MAX / 8] = {};

	for (size_t i = 0; i < a->st->n_eps; i++)
		if (a->st->eps[i].id < BPFNET_EP_MAX)
			used[a->st->eps[i].id / 8] |= 1U << (a->st->eps[i].id % 8);
	for (unsigned int id = 1; id < BPFNET_EP_MAX; id++) {
		if (!(used[id / 8] & (1U << (id % 8)))) {
			a->ep.id = id;
			return 0;
		}
	}
	return bn_fail(a->bn, -ENOSPC, "no room for another endpoint (at most %d)",
		       BPFNET_EP_MAX - 1);
}

/* The node's own addresses on a macvlan parent, which its segment knows as the node's. */
struct parent_addrs {
	int ifindex;
	struct in_addr *used;
	size_t n, max;
};

static int parent_addr_seen(const struct nl_addr4 *addr, void *arg)
{
	struct parent_addrs *p = arg;

	if (addr->ifindex == p->ifindex && p->n < p->max)
		p->used[p->n++] = addr->local;
	return 0;
}

/*
 * A macvlan endpoint must not take an address the node has on the parent:
 * the segment would have it twice. Added to @used (room for @max more).
 */
static int parent_addrs_used(struct ep_add *a, struct in_addr *used, size_t *n, size_t max)
{
	struct parent_addrs p = { a->parent.ifindex, used + *n, 0, max };
	int err;

	if (!net_is_macvlan(a->net))
		return 0;
	err = nl_addr_foreach4(a->node_nl, parent_addr_seen, &p);
	if (err)
		return bn_fail(a->bn, err, "cannot list the addresses of %s: %s", a->net->parent,
			       strerror(-err));
	*n += p.n;
	return 0;
}

static int pick_address(struct ep_add *a, const struct bpfnet_addr *ip)
{
	const struct net_state *net = a->net;
	struct in_addr *used;
	struct ipam_pool pool = { net->subnet, net->prefix_len, net->gateway, NULL, 0 };
	char sub[INET_ADDRSTRLEN], want[BPFNET_ADDRSTRLEN];
	bool given = ip->family != AF_UNSPEC;
	int err = given ? bn_addr4(a->bn, ip, "endpoint address", &a->ep.ip) : 0;

	if (err)
		return err;
	bpfnet_addr_str(ip, want, sizeof(want));
	used = calloc(a->st->n_eps + BPFNET_NODE_ADDR_MAX + 1, sizeof(*used));
	pool.used = used;
	if (!used)
		return -ENOMEM;
	for (size_t i = 0; i < a->st->n_eps; i++)
		if (!strcmp(a->st->eps[i].network, net->name))
			used[pool.n_used++] = a->st->eps[i].ip;
	err = parent_addrs_used(a, used, &pool.n_used, BPFNET_NODE_ADDR_MAX);
	if (err) {
		free(used);
		return err;
	}
	inet_ntop(AF_INET, &net->subnet, sub, sizeof(sub));
	if (!given) {
		err = ipam_pick(&pool, &a->ep.ip);
		if (err == -ENOSPC)
			bn_fail(a->bn, err, "network '%s' (%s/%u) has no free address left",
				net->name, sub, net->prefix_len);
	} else {
		err = ipam_check(&pool, a->ep.ip);
		if (err == -EDOM)
			bn_fail(a->bn, err, "%s is outside network '%s' (%s/%u)", want, net->name,
				sub, net->prefix_len);
		else if (err == -EINVAL)
			bn_fail(a->bn, err, "%s is the network or broadcast address of '%s'", want,
				net->name);
		else if (err == -EADDRINUSE)
			bn_fail(a->bn, err, "%s is already in use in network '%s' (gateway%s or "
				"another endpoint)", want, net->name, net_is_macvlan(net) ?
				", the node's own address on the parent" : "");
	}
	free(used);
	return err;
}

/* The node's own netns is no container: its eth0 and default route are the node's. */
static int netns_not_node(struct ep_add *a, const char *spec)
{
	int same = netns_is_current(a->netns_fd);

	if (same < 0)
		return bn_fail(a->bn, same, "cannot compare %s with the node's network namespace: "
			       "%s", a->ep.netns, strerror(-same));
	if (same)
		return bn_fail(a->bn, -EINVAL, "'%s' (%s) is the node's own network namespace, "
			       "not a container's: give the netns of a container", spec,
			       a->ep.netns);
	return 0;
}

static int open_netns(struct ep_add *a, const char *spec)
{
	int err;

	if (!spec || !*spec)
		return bn_fail(a->bn, -EINVAL, "a network namespace is required (--netns NAME|PATH)");
	err = netns_open(spec, a->ep.netns, sizeof(a->ep.netns), &a->netns_fd);
	if (!err)
		err = netns_ident(a->netns_fd, &a->ep.netns_dev, &a->ep.netns_ino);
	if (err == -ENOENT)
		return bn_fail(a->bn, err, "no network namespace '%s' (looked at %s; create it "
			       "with 'ip netns add' or give a path)", spec, a->ep.netns);
	if (err)
		return bn_fail(a->bn, err, "'%s' (%s) is not a network namespace: %s", spec,
			       a->ep.netns, strerror(-err));
	return netns_not_node(a, spec);
}

static int name_endpoint(struct ep_add *a, const struct bpfnet_endpoint_opts *o)
{
	const char *name = o->name;

	if (!name && strchr(o->netns, '/'))
		return bn_fail(a->bn, -EINVAL, "--name is required when --netns is a path");
	if (!name)
		name = o->netns;
	if (!name_valid(name))
		return bn_fail(a->bn, -EINVAL, "invalid endpoint name '%s': use 1-%d letters, "
			       "digits, '_', '.' or '-', starting with a letter or digit", name,
			       BPFNET_NAME_MAX - 1);
	if (state_ep(a->st, name))
		return bn_fail(a->bn, -EEXIST, "endpoint '%s' already exists (choose another "
			       "with --name)", name);
	strcpy(a->ep.name, name);
	return 0;
}

static int choose_mtu(struct ep_add *a, unsigned int want)
{
	struct nl_link up;
	int err;

	if (want && (want < EP_MTU_MIN || want > EP_MTU_MAX))
		return bn_fail(a->bn, -EINVAL, "MTU %u out of range %d..%d", want, EP_MTU_MIN,
			       EP_MTU_MAX);
	/* a macvlan is its parent's: never a larger MTU (the kernel refuses it) */
	if (net_is_macvlan(a->net) && want > a->parent.mtu)
		return bn_fail(a->bn, -EINVAL, "MTU %u is above %u, the MTU of the parent %s: a "
			       "macvlan's cannot be larger", want, a->parent.mtu, a->net->parent);
	if (net_is_macvlan(a->net) || want) {
		a->ep.mtu = want ? want : a->parent.mtu;
		return 0;
	}
	/* the first uplink's, as when there was one: the others' paths find theirs (PMTU) */
	err = nl_link_get_by_name(a->node_nl, a->st->node.uplinks[0].name, &up);
	if (err)
		return bn_fail(a->bn, err, "cannot read the uplink %s's MTU: %s",
			       a->st->node.uplinks[0].name, strerror(-err));
	a->ep.mtu = up.mtu;
	return 0;
}

static bool mac_is_zero(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !memcmp(mac, zero, sizeof(zero));
}

/*
 * Who in network @net has @mac already: an endpoint's container or host side,
 * or (bridge) the gateway. NULL when nobody; "the gateway" for the gateway.
 */
static const char *mac_user(const struct state *st, const struct net_state *net,
			    const uint8_t mac[6])
{
	if (net_is_bridge(net) && !memcmp(net->gateway_mac, mac, 6))
		return "the gateway";
	for (size_t i = 0; i < st->n_eps; i++) {
		const struct ep_state *e = &st->eps[i];

		if (!strcmp(e->network, net->name) &&
		    (!memcmp(e->mac, mac, 6) || !memcmp(e->host_mac, mac, 6)))
			return e->name;
	}
	return NULL;
}

/* The caller's MAC for the container side: a unicast one nobody of the network has. */
static int given_mac(struct ep_add *a, const uint8_t mac[6])
{
	const char *user = mac_user(a->st, a->net, mac);
	char text[18];

	mac_format(mac, text);
	if (mac[0] & 1)
		return bn_fail(a->bn, -EINVAL, "MAC %s is a multicast (group) address: a "
			       "container's must be unicast", text);
	if (user && !strcmp(user, "the gateway"))
		return bn_fail(a->bn, -EEXIST, "MAC %s is the gateway's of network '%s'", text,
			       a->net->name);
	if (user)
		return bn_fail(a->bn, -EEXIST, "MAC %s is already used in network '%s' by "
			       "endpoint '%s'", text, a->net->name, user);
	memcpy(a->ep.mac, mac, 6);
	return 0;
}

/*
 * A chosen container MAC. l3 and macvlan: it follows the address (as Docker's
 * macvlan driver has it: a container made again at an address keeps the MAC
 * its segment's peers cached); bridge: random, so a
 * container re-created with the same address is a new station to its peers.
 * Either way, not one that another endpoint was given (then random again).
 */
static int chosen_mac(struct ep_add *a)
{
	if (!net_is_bridge(a->net)) {
		mac_for_ip(a->ep.ip, a->ep.mac);
		if (!mac_user(a->st, a->net, a->ep.mac))
			return 0;
	}
	for (int tries = 0; tries < 8; tries++) {
		if (bn_random_mac(a->ep.mac))
			return bn_fail(a->bn, -EIO, "cannot get random bytes for a MAC");
		if (!mac_user(a->st, a->net, a->ep.mac))
			return 0;
	}
	return bn_fail(a->bn, -EIO, "no free random MAC found in network '%s'", a->net->name);
}

/*
 * The host side. l3: random, and it is the container's gateway MAC; bridge:
 * the network's gateway MAC, so frames to the gateway are the node's and the
 * node's frames come from the gateway. An internal network has no gateway.
 */
static int choose_macs(struct ep_add *a, const uint8_t want[6])
{
	int err = mac_is_zero(want) ? chosen_mac(a) : given_mac(a, want);

	if (err)
		return err;
	if (net_is_macvlan(a->net))
		return 0;	/* no host side */
	if (!net_is_bridge(a->net))
		return bn_random_mac(a->ep.host_mac) ?
			       bn_fail(a->bn, -EIO, "cannot get random bytes for a MAC") : 0;
	memcpy(a->ep.host_mac, a->net->gateway_mac, sizeof(a->ep.host_mac));
	if (a->net->internal)
		a->ep.gateway.s_addr = INADDR_ANY;
	return 0;
}

/* (container ID, ifname): the runtime's name of one attachment, given once. */
static int take_container_id(struct ep_add *a, const char *id, const char *ifname)
{
	if (!id)
		return 0;
	if (!id_valid(id, BPFNET_CONTAINER_ID_MAX))
		return bn_fail(a->bn, -EINVAL, "invalid container ID '%.*s%s': use 1-%d letters, "
			       "digits, '_', '.' or '-', starting with a letter or digit", 80, id,
			       strlen(id) > 80 ? "..." : "", BPFNET_CONTAINER_ID_MAX - 1);
	for (size_t i = 0; i < a->st->n_eps; i++) {
		const struct ep_state *e = &a->st->eps[i];

		if (!strcmp(e->container_id, id) && !strcmp(e->ifname, ifname))
			return bn_fail(a->bn, -EEXIST, "container %s already has an interface "
				       "%s: endpoint '%s'", id, ifname, e->name);
	}
	strcpy(a->ep.container_id, id);
	return 0;
}

static int validate(struct ep_add *a, const struct bpfnet_endpoint_opts *o)
{
	const char *ifname = o->ifname ? o->ifname : EP_DEFAULT_IFNAME;
	int err;

	if (!a->st->node.initialized)
		return bn_fail(a->bn, -ENOENT, "the node is not initialized");
	a->net = o->network ? state_net(a->st, o->network) : NULL;
	if (!a->net)
		return bn_fail(a->bn, -ENOENT, "no network '%s'",
			       o->network ? o->network : "");
	if (!ifname_valid(ifname))
		return bn_fail(a->bn, -EINVAL, "invalid interface name '%s': 1-%d characters, no "
			       "'/', ':' or spaces", ifname, IF_NAMESIZE - 1);
	if (o->default_route != BPFNET_DEFAULT && o->default_route != BPFNET_YES &&
	    o->default_route != BPFNET_NO)
		return bn_fail(a->bn, -EINVAL, "opts.default_route %d: BPFNET_DEFAULT, BPFNET_YES "
			       "or BPFNET_NO", (int)o->default_route);
	a->ep.no_default_route = o->default_route == BPFNET_NO;
	/* macvlan: the parent is looked at again, as it is now */
	if (net_is_macvlan(a->net)) {
		err = macvlan_parent(a->bn, a->node_nl, a->net->parent, &a->parent);
		if (err)
			return err;
		strcpy(a->ep.parent, a->net->parent);
	}
	err = take_container_id(a, o->container_id, ifname) ?:
	      bridge_check_room(a->bn, a->st, a->net) ?: open_netns(a, o->netns) ?:
	      name_endpoint(a, o) ?: pick_address(a, &o->ip) ?: alloc_ep_id(a) ?:
	      choose_mtu(a, o->mtu);
	if (err)
		return err;
	strcpy(a->ep.ifname, ifname);
	strcpy(a->ep.network, a->net->name);
	a->ep.prefix_len = a->net->prefix_len;
	a->ep.gateway = a->net->gateway;
	if (!net_is_macvlan(a->net))
		host_ifname_of(a->bn, a->ep.id, a->ep.host_ifname);
	/* the generation last: a refused add takes none from the config */
	return choose_macs(a, o->mac) ?: dp_ep_gen_next(a->dp, &a->ep.gen);
}

/* IPv6 is not routed by bpfnet yet; keep the veths quiet instead of dropping their RS/ND. */
static int ipv6_off(void *ifname)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", (char *)ifname);
	write_knob(path, "1");	/* no IPv6 in this kernel is as good */
	return 0;
}

/*
 * The datapath's FIB lookups for a container's packets are answered only
 * when forwarding is on for the veth they arrive on; this is also what lets
 * the node route a --no-masquerade network. Only this veth: the node's other
 * devices keep whatever the admin set.
 */
static int forwarding_on(struct bpfnet *bn, const char *ifname)
{
	char path[128];
	int err;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", ifname);
	err = write_knob(path, "1");
	return err ? bn_fail(bn, err, "cannot enable forwarding on %s: %s", ifname,
			     strerror(-err)) : 0;
}

static int configure_container(struct ep_add *a)
{
	struct nl_route4 dflt = { .gateway = a->ep.gateway };
	struct nl_link eth, lo;
	int err;

	err = nl_open(&a->ct_nl, a->netns_fd);
	if (err)
		return bn_fail(a->bn, err, "cannot open netlink in %s: %s", a->ep.netns,
			       strerror(-err));
	netns_run(a->netns_fd, ipv6_off, a->ep.ifname);
	/*
	 * GRO on the container's veth, so that the uplink's XDP program can
	 * deliver into it (veth_xdp_xmit() needs NAPI on the peer); refused, the
	 * endpoint is tc's alone, which needs nothing of it
	 */
	a->ep.xdp_rx = !ep_is_macvlan(&a->ep) && !netns_run(a->netns_fd, link_gro_on, a->ep.ifname);
	err = nl_link_get_by_name(a->ct_nl, a->ep.ifname, &eth) ?:
	      nl_link_get_by_name(a->ct_nl, "lo", &lo) ?:
	      nl_addr_add4(a->ct_nl, eth.ifindex, a->ep.ip, a->ep.prefix_len) ?:
	      nl_link_set_up(a->ct_nl, lo.ifindex) ?: nl_link_set_up(a->ct_nl, eth.ifindex);
	/*
	 * a default route via the gateway, unless there is none (internal network), it
	 * was not asked for, or another endpoint of this netns has it: then this one
	 * adds its subnet only
	 */
	if (!err && a->ep.gateway.s_addr != INADDR_ANY && !a->ep.no_default_route &&
	    !ep_gateway_in_netns(a->st, a->netns_fd)) {
		dflt.ifindex = eth.ifindex;
		err = nl_route_add4(a->ct_nl, &dflt);
	}
	if (!err)
		a->ct_ifindex = eth.ifindex;
	if (err)
		return bn_fail(a->bn, err, "cannot configure %s in %s: %s %s", a->ep.ifname,
			       a->ep.netns, strerror(-err), nl_errmsg(a->ct_nl));
	return 0;
}

static int configure_node(struct ep_add *a)
{
	struct nl_route4 host_route = { .dst = a->ep.ip, .prefix_len = 32 };
	struct nl_link host;
	int err;

	err = nl_link_get_by_name(a->node_nl, a->ep.host_ifname, &host);
	if (err)
		return bn_fail(a->bn, err, "cannot find %s: %s", a->ep.host_ifname, strerror(-err));
	a->ep.host_ifindex = host.ifindex;
	ipv6_off(a->ep.host_ifname);
	err = forwarding_on(a->bn, a->ep.host_ifname);
	if (err)
		return err;
	/* map entries first: the program must know the endpoint before its first packet */
	err = dp_ep_stats_zero(a->dp, a->ep.id) ?: dp_ep_put(a->dp, &a->ep, a->net) ?:
	      bridge_port_join(a->dp, a->st, a->net, &a->ep) ?:
	      dp_attach(a->bn, host.ifindex, BPFNET_PROG_FROM_CONTAINER, NULL);
	if (err)
		return err;
	host_route.ifindex = host.ifindex;
	err = nl_link_set_up(a->node_nl, host.ifindex);
	/* the node reaches the container over its veth, without ARP; not an internal one */
	if (!err && !a->net->internal)
		err = nl_route_add4(a->node_nl, &host_route) ?:
		      nl_neigh_add4(a->node_nl, host.ifindex, a->ep.ip, a->ep.mac);
	if (err)
		return bn_fail(a->bn, err, "cannot configure %s: %s %s", a->ep.host_ifname,
			       strerror(-err), nl_errmsg(a->node_nl));
	return 0;
}

static int create_veth(struct ep_add *a)
{
	struct nl_veth_opts v = {
		.name = a->ep.host_ifname,
		.mac = a->ep.host_mac,
		.peer_name = a->ep.ifname,
		.peer_mac = a->ep.mac,
		.peer_netns_fd = a->netns_fd,
		.mtu = a->ep.mtu,
	};
	int err = nl_veth_create(a->node_nl, &v);
	size_t swept;

	/* a veth of ours that no endpoint owns (left by a crash) never blocks a new one */
	if (err == -EEXIST && !veth_strays_remove(a->bn, a->node_nl, a->st, &swept) && swept)
		err = nl_veth_create(a->node_nl, &v);
	if (err == -EEXIST)
		return bn_fail(a->bn, err, "%s already exists in %s, or %s in the node",
			       a->ep.ifname, a->ep.netns, a->ep.host_ifname);
	if (err)
		return bn_fail(a->bn, err, "cannot create the veth pair: %s %s", strerror(-err),
			       nl_errmsg(a->node_nl));
	return 0;
}

/* The endpoint's device: a veth pair, or a macvlan on the parent right in the netns. */
static int create_link(struct ep_add *a)
{
	return ep_is_macvlan(&a->ep) ? macvlan_create(a->bn, a->node_nl, &a->ep, a->netns_fd) :
				       create_veth(a);
}

/* The node's side: a veth endpoint's maps, filter and routes; a macvlan one has none. */
static int configure_node_side(struct ep_add *a)
{
	return ep_is_macvlan(&a->ep) ? 0 : configure_node(a);
}

/* Undo a failed add; the first error's message is the one the user needs. */
static void ep_add_undo(struct ep_add *a)
{
	char msg[sizeof(a->bn->errmsg)];

	memcpy(msg, a->bn->errmsg, sizeof(msg));
	state_del_ep(a->st, a->ep.name);
	if (ep_is_macvlan(&a->ep)) {
		macvlan_delete(a->bn, a->node_nl, &a->ep, a->netns_fd);
	} else {
		dp_ep_del(a->dp, &a->ep);
		bridge_port_leave(a->dp, a->st, a->net, &a->ep);
		/* deleting one end takes the peer, its routes and the tc filter with it */
		ep_delete_veth(a->bn, a->node_nl, &a->ep);
	}
	memcpy(a->bn->errmsg, msg, sizeof(msg));
}

static void ep_add_failed(struct txn *t, void *a)
{
	(void)t;
	ep_add_undo(a);
}

struct ep_add_call {
	struct ep_add a;
	const struct bpfnet_endpoint_opts *opts;
};

static int ep_add_change(struct txn *t, void *arg)
{
	struct ep_add_call *c = arg;
	struct ep_add *a = &c->a;
	int err;

	a->bn = t->bn;
	a->dp = &t->dp;
	a->st = &t->st;
	err = txn_nl(t, &a->node_nl);
	/* the intent goes to disk before the first thing is made: a kill is undone later */
	err = err ?: validate(a, c->opts) ?: txn_record_ep(t, &a->ep) ?: create_link(a);
	if (err)
		return err;
	txn_on_failure(t, ep_add_failed, a);
	return configure_container(a) ?: configure_node_side(a) ?:
	       bridge_announce(a->bn, a->net, a->netns_fd, a->ct_ifindex, &a->ep) ?:
	       state_add_ep(a->st, &a->ep) ?: txn_commit(t);
}

/* The caller's opts, as long as they are, into ours: fields past its sz take their defaults. */
static void endpoint_opts_read(const struct bpfnet_endpoint_opts *in,
			       struct bpfnet_endpoint_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->network = OPTS_GET(in, network, NULL);
	o->netns = OPTS_GET(in, netns, NULL);
	o->name = OPTS_GET(in, name, NULL);
	if (OPTS_HAS(in, ip))
		o->ip = in->ip;
	o->ifname = OPTS_GET(in, ifname, NULL);
	o->mtu = OPTS_GET(in, mtu, 0);
	o->container_id = OPTS_GET(in, container_id, NULL);
	if (OPTS_HAS(in, mac))
		memcpy(o->mac, in->mac, sizeof(o->mac));
	o->default_route = OPTS_GET(in, default_route, BPFNET_DEFAULT);
}

/* The public view of endpoint @e into the caller's @out, as far as its sz reaches. */
static void ep_to_public(const struct ep_state *e, struct bpfnet_endpoint_info *out)
{
	struct bpfnet_endpoint_info p = { .sz = sizeof(p) };

	strcpy(p.name, e->name);
	strcpy(p.network, e->network);
	snprintf(p.netns, sizeof(p.netns), "%s", e->netns);
	strcpy(p.ifname, e->ifname);
	strcpy(p.host_ifname, e->host_ifname);
	p.id = e->id;
	p.host_ifindex = e->host_ifindex;
	p.ip = bn_prefix_from4(e->ip, e->prefix_len);
	if (e->gateway.s_addr != INADDR_ANY)
		p.gateway = bpfnet_addr_ip4(e->gateway);
	memcpy(p.mac, e->mac, sizeof(p.mac));
	memcpy(p.host_mac, e->host_mac, sizeof(p.host_mac));
	p.mtu = e->mtu;
	p.gen = e->gen;
	strcpy(p.container_id, e->container_id);
	bn_out_put(out, &p, sizeof(p));
}

int bpfnet_endpoint__add(struct bpfnet *bn, const struct bpfnet_endpoint_opts *opts,
			 struct bpfnet_endpoint_info *out)
{
	struct ep_add_call c = { .a = { .bn = bn, .netns_fd = -1 } };
	struct ep_add *a = &c.a;
	struct bpfnet_endpoint_opts o;
	int err;

	if (!opts || !OPTS_VALID(opts) || !OPTS_HAS(opts, network) || !OPTS_HAS(opts, netns))
		return bn_fail(bn, -EINVAL, "struct bpfnet_endpoint_opts: bad sz (at least up to "
			       "netns; bytes past %zu must be zero)", sizeof(*opts));
	if (out && bn_out_check(bn, out, "bpfnet_endpoint_info"))
		return -EINVAL;
	if (!opts->netns)
		return bn_fail(bn, -EINVAL, "a network namespace is required (its name or path)");
	endpoint_opts_read(opts, &o);
	/* IPv6 is refused before anything is locked or read */
	err = o.ip.family != AF_UNSPEC ? bn_addr4(bn, &o.ip, "endpoint address", &a->ep.ip) : 0;
	if (err)
		return err;
	c.opts = &o;
	err = txn_run(bn, JOURNAL_ENDPOINT_ADD, ep_add_change, &c);
	if (!err && out)
		ep_to_public(&a->ep, out);
	nl_close(a->ct_nl);
	if (a->netns_fd >= 0)
		close(a->netns_fd);
	return err;
}

/* Put the old attachment's remains away: its veth or macvlan if any, its map and FDB entries. */
static int ep_rebuild_clear(struct ep_add *a, const struct ep_state *old)
{
	if (ep_is_macvlan(old))
		return macvlan_delete(a->bn, a->node_nl, old, a->netns_fd);
	return ep_delete_veth(a->bn, a->node_nl, old) ?: dp_ep_del(a->dp, old) ?:
	       (net_is_bridge(a->net) ?
			bridge_fdb_forget_port(a->dp, a->net->id, old->host_ifindex) : 0);
}

int ep_rebuild(struct dp *dp, struct state *st, struct nl *nl, const char *name,
	       bool *netns_gone)
{
	struct bpfnet *bn = dp->bn;
	struct ep_state *cur = state_ep(st, name), old;
	struct ep_add a = { .bn = bn, .dp = dp, .st = st, .netns_fd = -1, .node_nl = nl };
	char path[BPFNET_PATH_MAX];
	int err;

	*netns_gone = false;
	if (!cur)
		return 0;
	old = *cur;
	a.ep = old;
	a.net = state_net(st, old.network);
	if (!a.net)
		return bn_fail(bn, -ENOENT, "endpoint '%s' is on network '%s', which the state "
			       "does not have", name, old.network);
	err = netns_open(old.netns, path, sizeof(path), &a.netns_fd);
	if (!err)
		netns_ident(a.netns_fd, &a.ep.netns_dev, &a.ep.netns_ino);
	if (err) {
		*netns_gone = err == -ENOENT;
		return bn_fail(bn, err, "cannot open the netns %s of endpoint '%s': %s", old.netns,
			       name, strerror(-err));
	}
	if (ep_is_macvlan(&old))
		err = macvlan_parent(bn, nl, old.parent, &a.parent);
	if (err) {
		close(a.netns_fd);
		return err;
	}
	/* out of the state while it is made again: a bridge port joins as the one added */
	state_del_ep(st, name);
	err = ep_rebuild_clear(&a, &old) ?: create_link(&a) ?: configure_container(&a) ?:
	      configure_node_side(&a) ?:
	      bridge_announce(bn, a.net, a.netns_fd, a.ct_ifindex, &a.ep);
	if (err)
		ep_add_undo(&a);
	nl_close(a.ct_nl);
	close(a.netns_fd);
	/* a failed rebuild leaves the endpoint as it was: check still says what is wrong */
	return state_add_ep(st, err ? &old : &a.ep) ?: err;
}

static int ep_remove_change(struct txn *t, void *name)
{
	struct ep_state *ep = state_ep(&t->st, name);
	struct nl *nl;

	/* a re-run of the removal that this call's recovery just finished */
	if (!ep && journal_finished(t->bn, JOURNAL_ENDPOINT_REMOVE, name, NULL, 0))
		return 0;
	if (!ep)
		return bn_fail(t->bn, -ENOENT, "no endpoint '%s'", (const char *)name);
	/* once recorded, a removal is finished: if this one fails, the next command does it */
	return txn_nl(t, &nl) ?: txn_record_ep(t, ep) ?: ep_remove(&t->dp, &t->st, nl, name) ?:
	       txn_commit(t);
}

int bpfnet_endpoint__remove(struct bpfnet *bn, const char *name)
{
	return txn_run(bn, JOURNAL_ENDPOINT_REMOVE, ep_remove_change, (void *)name);
}

int bpfnet_endpoint__get(struct bpfnet *bn, const char *name, struct bpfnet_endpoint_info *out)
{
	struct ep_state *ep;
	struct state st;
	int err = bn_out_check(bn, out, "bpfnet_endpoint_info") ?: state_load(bn, &st);

	if (err)
		return err;
	ep = state_ep(&st, name);
	if (ep)
		ep_to_public(ep, out);
	else
		err = bn_fail(bn, -ENOENT, "no endpoint '%s'",
			      name);
	state_free(&st);
	return err;
}

int bpfnet_endpoint__find(struct bpfnet *bn, const char *container_id, const char *ifname,
			  struct bpfnet_endpoint_info *out)
{
	const struct ep_state *ep = NULL;
	struct state st;
	int err;

	if (!container_id || !*container_id)
		return bn_fail(bn, -EINVAL, "a container ID is required");
	if (!ifname)
		ifname = EP_DEFAULT_IFNAME;
	err = bn_out_check(bn, out, "bpfnet_endpoint_info") ?: state_load(bn, &st);
	if (err)
		return err;
	for (size_t i = 0; i < st.n_eps && !ep; i++)
		if (!strcmp(st.eps[i].container_id, container_id) &&
		    !strcmp(st.eps[i].ifname, ifname))
			ep = &st.eps[i];
	if (ep)
		ep_to_public(ep, out);
	else
		err = bn_fail(bn, -ENOENT, "no endpoint of container %s at %s", container_id,
			      ifname);
	state_free(&st);
	return err;
}

static int cmp_ep(const void *a, const void *b)
{
	return strcmp(((const struct ep_state *)a)->name,
		      ((const struct ep_state *)b)->name);
}

/* Every endpoint of the state, by name, in the caller's layout: @put fills element i. */
static int ep_list(struct bpfnet *bn, size_t elem_sz, void **out, size_t *count,
		   void (*put)(const struct ep_state *e, void *elem))
{
	struct state st;
	char *pub;
	int err = state_load(bn, &st);

	if (err)
		return err;
	qsort(st.eps, st.n_eps, sizeof(*st.eps), cmp_ep);
	pub = calloc(st.n_eps + 1, elem_sz);
	for (size_t i = 0; pub && i < st.n_eps; i++)
		put(&st.eps[i], pub + i * elem_sz);
	if (pub) {
		*out = pub;
		*count = st.n_eps;
	}
	state_free(&st);
	return pub ? 0 : bn_fail(bn, -ENOMEM, "out of memory");
}

static void put_info(const struct ep_state *e, void *elem)
{
	struct bpfnet_endpoint_info *p = elem;

	p->sz = sizeof(*p);
	ep_to_public(e, p);
}

/*
 * The element bpfnet_endpoint__list() of LIBBPFNET_0.2 hands out: struct
 * bpfnet_endpoint_info before container_id. A program built with a 0.2
 * header strides its array by this size; the asserts keep it that layout.
 */
struct bpfnet_endpoint_info_0_2 {
	size_t sz;
	char name[BPFNET_NAME_MAX];
	char network[BPFNET_NAME_MAX];
	char netns[BPFNET_PATH_MAX];
	char ifname[IF_NAMESIZE];
	char host_ifname[IF_NAMESIZE];
	unsigned int id;
	unsigned int host_ifindex;
	struct bpfnet_prefix ip;
	struct bpfnet_addr gateway;
	uint8_t mac[6];
	uint8_t host_mac[6];
	unsigned int mtu;
	unsigned int gen;
};

#define SAME_OFFSET(f)                                                                   \
	_Static_assert(offsetof(struct bpfnet_endpoint_info_0_2, f) ==                   \
			       offsetof(struct bpfnet_endpoint_info, f),                 \
		       "0.2's " #f " is where 0.3 has it")
SAME_OFFSET(name);
SAME_OFFSET(network);
SAME_OFFSET(netns);
SAME_OFFSET(ifname);
SAME_OFFSET(host_ifname);
SAME_OFFSET(id);
SAME_OFFSET(host_ifindex);
SAME_OFFSET(ip);
SAME_OFFSET(gateway);
SAME_OFFSET(mac);
SAME_OFFSET(host_mac);
SAME_OFFSET(mtu);
SAME_OFFSET(gen);
#undef SAME_OFFSET
/* 0.3 only appended: what 0.2 had ends where container_id begins (up to alignment) */
_Static_assert(sizeof(struct bpfnet_endpoint_info_0_2) ==
		       (offsetof(struct bpfnet_endpoint_info, container_id) + _Alignof(size_t) - 1) /
			       _Alignof(size_t) * _Alignof(size_t),
	       "the 0.2 element is the 0.3 one without container_id");
_Static_assert(sizeof(size_t) != 8 || sizeof(struct bpfnet_endpoint_info_0_2) == 496,
	       "the 0.2 element of LP64 programs is 496 bytes");

static void put_info_0_2(const struct ep_state *e, void *elem)
{
	struct bpfnet_endpoint_info_0_2 *old = elem;
	struct bpfnet_endpoint_info p = { .sz = sizeof(p) };

	ep_to_public(e, &p);
	old->sz = sizeof(*old);
	memcpy(old->name, p.name, sizeof(old->name));
	memcpy(old->network, p.network, sizeof(old->network));
	memcpy(old->netns, p.netns, sizeof(old->netns));
	memcpy(old->ifname, p.ifname, sizeof(old->ifname));
	memcpy(old->host_ifname, p.host_ifname, sizeof(old->host_ifname));
	old->id = p.id;
	old->host_ifindex = p.host_ifindex;
	old->ip = p.ip;
	old->gateway = p.gateway;
	memcpy(old->mac, p.mac, sizeof(old->mac));
	memcpy(old->host_mac, p.host_mac, sizeof(old->host_mac));
	old->mtu = p.mtu;
	old->gen = p.gen;
}

/*
 * bpfnet_endpoint__list() twice: the default (and what static links take)
 * of LIBBPFNET_0.3 with container_id, and LIBBPFNET_0.2's for programs
 * linked before, whose elements have the old stride. The header's
 * declaration is the 0.3 one.
 */
__attribute__((symver("bpfnet_endpoint__list@@LIBBPFNET_0.3")))
int ep_list_v0_3(struct bpfnet *bn, struct bpfnet_endpoint_info **out, size_t *count);
__attribute__((symver("bpfnet_endpoint__list@LIBBPFNET_0.2")))
int ep_list_v0_2(struct bpfnet *bn, struct bpfnet_endpoint_info_0_2 **out, size_t *count);

int ep_list_v0_3(struct bpfnet *bn, struct bpfnet_endpoint_info **out, size_t *count)
{
	return ep_list(bn, sizeof(**out), (void **)out, count, put_info);
}

int ep_list_v0_2(struct bpfnet *bn, struct bpfnet_endpoint_info_0_2 **out, size_t *count)
{
	return ep_list(bn, sizeof(**out), (void **)out, count, put_info_0_2);
}
