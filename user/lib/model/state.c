// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "model/state.h"
#include "model/ipam.h"

/*
 * 2: networks have "masquerade", the state has "bound_ips"
 * 3: networks may have "internal" and "gateway_mac" (bridge); version 2 still reads
 * 4: networks may have "gateway_mode" (missing: "nat"), endpoints "gen" (their conntrack
 *    generation; missing: 0, until init gives one), the state "journal" (the command in
 *    progress, journal.h); versions 2 and 3 still read
 * 5: endpoints may have "container_id" (the runtime's; missing: none) and "netns_dev",
 *    "netns_ino" (their netns's inode; missing: not known); the node has "uplinks", a
 *    list of {name, ifindex, created_clsact}, instead of one "uplink" with
 *    "uplink_ifindex" and "created_clsact"; versions 2 to 4 still read
 * 6: networks may have mode "macvlan" with their "parent" device, endpoints of them
 *    "parent" (and no host side: "host_ifname" ""); missing: "" (an l3 or bridge one);
 *    endpoints may have "default_route": false (missing: true); versions 2 to 5 still
 *    read, and are written back as 6; since 0.6 (the same version, every new key
 *    optional) the node may have "xdp" ("auto", missing, or "off"), its uplinks
 *    "xdp_native" and "xdp_refused" (missing: false, ""), endpoints "xdp_rx"
 *    (their veth takes XDP frames; missing: false)
 */
#define STATE_VERSION 6
#define STATE_VERSION_OLDEST 2

static json_t *ip_json(struct in_addr a)
{
	char buf[INET_ADDRSTRLEN];

	return json_string(inet_ntop(AF_INET, &a, buf, sizeof(buf)));
}

json_t *net_to_json(const struct net_state *n)
{
	char mac[18];

	json_t *j = json_pack("{s:s, s:i, s:s, s:o, s:i, s:o, s:b, s:b, s:s, s:s}", "name",
			      n->name, "id", n->id, "mode", n->mode, "subnet", ip_json(n->subnet),
			      "prefix_len", n->prefix_len, "gateway", ip_json(n->gateway),
			      "masquerade", n->masquerade, "internal", n->internal, "gateway_mac",
			      mac_format(n->gateway_mac, mac), "gateway_mode",
			      n->gateway_mode[0] ? n->gateway_mode : BPFNET_GW_MODE_NAT);

	/* only a macvlan network has a parent: the other modes' files stay as they were */
	if (j && n->parent[0] && json_object_set_new(j, "parent", json_string(n->parent))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *ep_fields_to_json(const struct ep_state *e)
{
	char mac[18], host_mac[18];
	json_t *j;

	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:o, s:i, s:o, s:s, s:s, s:i, s:I, "
			 "s:s, s:I, s:I}",
			 "name", e->name, "network", e->network, "netns", e->netns,
			 "ifname", e->ifname, "host_ifname", e->host_ifname, "id", e->id,
			 "host_ifindex", e->host_ifindex, "ip", ip_json(e->ip),
			 "prefix_len", e->prefix_len, "gateway", ip_json(e->gateway),
			 "mac", mac_format(e->mac, mac), "host_mac", mac_format(e->host_mac, host_mac),
			 "mtu", e->mtu, "gen", (json_int_t)e->gen, "container_id", e->container_id,
			 "netns_dev", (json_int_t)e->netns_dev, "netns_ino", (json_int_t)e->netns_ino);
	if (j && e->parent[0] && json_object_set_new(j, "parent", json_string(e->parent))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/*
 * An endpoint may have "default_route": false (since version 6), written
 * only then: made without a default route. Missing is
 * true, as every endpoint was before: older files read unchanged.
 */
json_t *ep_to_json(const struct ep_state *e)
{
	json_t *o = ep_fields_to_json(e);

	if (o && e->no_default_route && json_object_set_new(o, "default_route", json_false())) {
		json_decref(o);
		return NULL;
	}
	if (o && e->xdp_rx && json_object_set_new(o, "xdp_rx", json_true())) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *uplinks_to_json(const struct node_state *node)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < node->n_uplinks; i++) {
		const struct node_uplink *u = &node->uplinks[i];

		if (json_array_append_new(arr, json_pack("{s:s, s:i, s:b, s:b, s:s}", "name",
							 u->name, "ifindex", u->ifindex,
							 "created_clsact", u->created_clsact,
							 "xdp_native", u->xdp_native,
							 "xdp_refused", u->xdp_refused))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *state_to_json(const struct state *st)
{
	json_t *nets = json_array(), *eps = json_array(), *bound = json_array(), *root, *journal;

	for (size_t i = 0; i < st->n_nets; i++)
		json_array_append_new(nets, net_to_json(&st->nets[i]));
	for (size_t i = 0; i < st->n_eps; i++)
		json_array_append_new(eps, ep_to_json(&st->eps[i]));
	for (size_t i = 0; i < st->n_bound_ips; i++)
		json_array_append_new(bound, ip_json(st->bound_ips[i]));
	root = json_pack("{s:i, s:{s:b, s:o, s:s}, s:o, s:o, s:o}", "version", STATE_VERSION,
			 "node", "initialized", st->node.initialized, "uplinks",
			 uplinks_to_json(&st->node), "xdp", st->node.xdp_off ? "off" : "auto",
			 "networks", nets, "endpoints", eps, "bound_ips", bound);
	if (!root || st->journal.op == JOURNAL_NONE)
		return root;
	/* a pending command that cannot be written must not be saved as none */
	journal = journal_to_json(&st->journal);
	if (!journal || json_object_set_new(root, "journal", journal)) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Copy a JSON string into a fixed buffer; too long or missing is corrupt state. */
static int take_str(char *dst, size_t len, const char *src)
{
	if (!src || strlen(src) >= len)
		return -EINVAL;
	strcpy(dst, src);
	return 0;
}

static int take_ip(struct in_addr *dst, const char *src)
{
	return src ? ip4_parse(src, dst) : -EINVAL;
}

/* A device name as the kernel takes one: 1..IF_NAMESIZE-1 bytes, no '/', ':' or space. */
static bool ifname_ok(const char *s)
{
	size_t len = strlen(s);

	return len && len < IF_NAMESIZE && strcmp(s, ".") && strcmp(s, "..") &&
	       strcspn(s, "/: \t\n") == len;
}

/*
 * The mode and what goes with it: l3 and bridge have no parent; macvlan has
 * one, and none of what bpfnet cannot give it (masquerade, internal, a
 * gateway mode other than nat).
 */
static int net_mode_valid(const struct net_state *n)
{
	if (!net_is_macvlan(n))
		return (!strcmp(n->mode, BPFNET_MODE_NAME_L3) ||
			!strcmp(n->mode, BPFNET_MODE_NAME_BRIDGE)) && !n->parent[0] ? 0 : -EINVAL;
	return ifname_ok(n->parent) && !n->masquerade && !n->internal &&
	       !strcmp(n->gateway_mode, BPFNET_GW_MODE_NAT) ? 0 : -EINVAL;
}

int net_from_json(json_t *j, struct net_state *n)
{
	const char *name, *mode, *subnet, *gw, *gw_mac = NULL, *gw_mode = BPFNET_GW_MODE_NAT;
	const char *parent = "";
	int id, plen, masq, internal = 0;

	if (json_unpack(j, "{s:s, s:i, s:s, s:s, s:i, s:s, s:b, s?b, s?s, s?s, s?s}", "name",
			&name, "id", &id, "mode", &mode, "subnet", &subnet, "prefix_len", &plen,
			"gateway", &gw, "masquerade", &masq, "internal", &internal, "gateway_mac",
			&gw_mac, "gateway_mode", &gw_mode, "parent", &parent))
		return -EINVAL;
	memset(n, 0, sizeof(*n));
	n->id = id;
	n->masquerade = masq;
	n->prefix_len = plen;
	n->internal = internal;
	if (!gw_mode_known(gw_mode))
		return -EINVAL;
	return take_str(n->name, sizeof(n->name), name) ?: take_str(n->mode, sizeof(n->mode), mode)
	       ?: take_str(n->gateway_mode, sizeof(n->gateway_mode), gw_mode) ?:
	       take_str(n->parent, sizeof(n->parent), parent) ?:
	       take_ip(&n->subnet, subnet) ?: take_ip(&n->gateway, gw) ?:
	       (gw_mac ? mac_parse(gw_mac, n->gateway_mac) : 0) ?: net_mode_valid(n);
}

/*
 * A veth endpoint has its host side; a macvlan one none (and a parent), so
 * nothing of the node is ever taken for it: no veth name, no ifindex.
 */
static int ep_sides_valid(const struct ep_state *e)
{
	if (!ep_is_macvlan(e))
		return ifname_ok(e->host_ifname) ? 0 : -EINVAL;
	return ifname_ok(e->parent) && !e->host_ifname[0] && !e->host_ifindex ? 0 : -EINVAL;
}

int ep_from_json(json_t *j, struct ep_state *e)
{
	const char *name, *net, *netns, *ifname, *host_ifname, *ip, *gw, *mac, *host_mac;
	const char *container_id = "", *parent = "";
	int id, ifindex, plen, mtu, default_route = 1, xdp_rx = 0;
	json_int_t gen = 0, ns_dev = 0, ns_ino = 0;

	if (json_unpack(j, "{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:i, s:s, s:s, s:s, s:i, s?I, "
			"s?s, s?I, s?I, s?b, s?s, s?b}",
			"name", &name, "network", &net, "netns", &netns, "ifname", &ifname,
			"host_ifname", &host_ifname, "id", &id, "host_ifindex", &ifindex, "ip", &ip,
			"prefix_len", &plen, "gateway", &gw, "mac", &mac, "host_mac", &host_mac,
			"mtu", &mtu, "gen", &gen, "container_id", &container_id, "netns_dev",
			&ns_dev, "netns_ino", &ns_ino, "default_route", &default_route, "parent",
			&parent, "xdp_rx", &xdp_rx) ||
	    gen < 0 || gen > UINT32_MAX)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->gen = (unsigned int)gen;
	e->netns_dev = (uint64_t)ns_dev;
	e->netns_ino = (uint64_t)ns_ino;
	e->no_default_route = !default_route;
	e->xdp_rx = xdp_rx;
	e->id = id;
	e->host_ifindex = ifindex;
	e->prefix_len = plen;
	e->mtu = mtu;
	return take_str(e->name, sizeof(e->name), name) ?:
	       take_str(e->network, sizeof(e->network), net) ?:
	       take_str(e->netns, sizeof(e->netns), netns) ?:
	       take_str(e->ifname, sizeof(e->ifname), ifname) ?:
	       take_str(e->host_ifname, sizeof(e->host_ifname), host_ifname) ?:
	       take_str(e->container_id, sizeof(e->container_id), container_id) ?:
	       take_str(e->parent, sizeof(e->parent), parent) ?:
	       take_ip(&e->ip, ip) ?: take_ip(&e->gateway, gw) ?: mac_parse(mac, e->mac) ?:
	       mac_parse(host_mac, e->host_mac) ?: ep_sides_valid(e);
}

static int uplink_from_json(json_t *j, struct node_uplink *u)
{
	const char *name, *refused = "";
	int ifindex, created, native = 0;

	if (json_unpack(j, "{s:s, s:i, s:b, s?b, s?s}", "name", &name, "ifindex", &ifindex,
			"created_clsact", &created, "xdp_native", &native, "xdp_refused",
			&refused) || !*name || ifindex < 0)
		return -EINVAL;
	u->ifindex = ifindex;
	u->created_clsact = created;
	u->xdp_native = native;
	return take_str(u->name, sizeof(u->name), name) ?:
	       take_str(u->xdp_refused, sizeof(u->xdp_refused), refused);
}

/*
 * The node's uplinks: version 5's list, or the one "uplink" of versions 2 to
 * 4 ("": none). Told apart by what is there, not by the version, so that a
 * file of a version 5 with "uplink" still (as a branch of 0.3 wrote it) reads.
 */
static int node_from_json(json_t *node, struct node_state *out)
{
	const char *uplink, *xdp = "auto";
	json_t *arr, *item;
	int init, ifindex, created;
	size_t i;

	if (!json_object_get(node, "uplinks")) {
		if (json_unpack(node, "{s:b, s:s, s:i, s:b}", "initialized", &init, "uplink",
				&uplink, "uplink_ifindex", &ifindex, "created_clsact", &created) ||
		    ifindex < 0)
			return -EINVAL;
		out->initialized = init;
		if (!*uplink)
			return init ? -EINVAL : 0;
		out->n_uplinks = 1;
		out->uplinks[0].ifindex = ifindex;
		out->uplinks[0].created_clsact = created;
		return take_str(out->uplinks[0].name, sizeof(out->uplinks[0].name), uplink);
	}
	if (json_unpack(node, "{s:b, s:o, s?s}", "initialized", &init, "uplinks", &arr, "xdp",
			&xdp) ||
	    !json_is_array(arr) || json_array_size(arr) > BPFNET_UPLINK_MAX ||
	    (init && !json_array_size(arr)) || (strcmp(xdp, "auto") && strcmp(xdp, "off")))
		return -EINVAL;
	out->initialized = init;
	out->xdp_off = !strcmp(xdp, "off");
	json_array_foreach(arr, i, item) {
		int err = uplink_from_json(item, &out->uplinks[out->n_uplinks++]);

		if (err)
			return err;
		if (node_uplink_count(out, out->uplinks[i].name) > 1)
			return -EINVAL;	/* one device twice: which qdisc is whose? */
	}
	return 0;
}

/*
 * Each endpoint is of its network's kind, on its parent: a veth endpoint on
 * a macvlan network (or the reverse) would be taken apart the wrong way. An
 * endpoint whose network is gone is check's to report (endpoint_without_network).
 */
static int eps_match_networks(struct state *st)
{
	for (size_t i = 0; i < st->n_eps; i++) {
		const struct ep_state *e = &st->eps[i];
		const struct net_state *n = state_net(st, e->network);

		if (n && (net_is_macvlan(n) != ep_is_macvlan(e) || strcmp(n->parent, e->parent)))
			return -EINVAL;
	}
	return 0;
}

int state_from_json(json_t *root, struct state *st)
{
	json_t *nets, *eps, *bound, *item, *journal, *node;
	int version, err = 0;
	size_t i;

	if (json_unpack(root, "{s:i, s:o, s:o, s:o, s:o}", "version", &version, "node", &node,
			"networks", &nets, "endpoints", &eps, "bound_ips", &bound) ||
	    version < STATE_VERSION_OLDEST || version > STATE_VERSION || !json_is_array(nets) ||
	    !json_is_array(eps) || !json_is_array(bound) ||
	    node_from_json(node, &st->node))
		return -EINVAL;
	st->nets = calloc(json_array_size(nets) + 1, sizeof(*st->nets));
	st->eps = calloc(json_array_size(eps) + 1, sizeof(*st->eps));
	if (!st->nets || !st->eps)
		return -ENOMEM;
	json_array_foreach(nets, i, item) {
		err = err ?: net_from_json(item, &st->nets[st->n_nets++]);
	}
	json_array_foreach(eps, i, item) {
		err = err ?: ep_from_json(item, &st->eps[st->n_eps++]);
	}
	st->bound_ips = calloc(json_array_size(bound) + 1, sizeof(*st->bound_ips));
	if (!st->bound_ips)
		return -ENOMEM;
	json_array_foreach(bound, i, item) {
		err = err ?: take_ip(&st->bound_ips[st->n_bound_ips++], json_string_value(item));
	}
	journal = json_object_get(root, "journal");
	return err ?: eps_match_networks(st) ?:
	       (journal ? journal_from_json(journal, &st->journal) : 0);
}

void state_free(struct state *st)
{
	journal_free(&st->journal);
	free(st->nets);
	free(st->eps);
	free(st->bound_ips);
	memset(st, 0, sizeof(*st));
}

bool state_is_empty(const struct state *st)
{
	return !st->node.initialized && !st->n_nets && !st->n_eps && !st->n_bound_ips &&
	       st->journal.op == JOURNAL_NONE;
}

struct net_state *state_net(struct state *st, const char *name)
{
	for (size_t i = 0; i < st->n_nets; i++)
		if (!strcmp(st->nets[i].name, name))
			return &st->nets[i];
	return NULL;
}

struct net_state *state_net_by_id(struct state *st, unsigned int id)
{
	for (size_t i = 0; i < st->n_nets; i++)
		if (st->nets[i].id == id)
			return &st->nets[i];
	return NULL;
}

struct ep_state *state_ep(struct state *st, const char *name)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (!strcmp(st->eps[i].name, name))
			return &st->eps[i];
	return NULL;
}

int state_add_net(struct state *st, const struct net_state *net)
{
	struct net_state *n = realloc(st->nets, (st->n_nets + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	st->nets = n;
	st->nets[st->n_nets++] = *net;
	return 0;
}

int state_add_ep(struct state *st, const struct ep_state *ep)
{
	struct ep_state *e = realloc(st->eps, (st->n_eps + 1) * sizeof(*e));

	if (!e)
		return -ENOMEM;
	st->eps = e;
	st->eps[st->n_eps++] = *ep;
	return 0;
}

void state_del_net(struct state *st, const char *name)
{
	struct net_state *n = state_net(st, name);

	if (n)
		*n = st->nets[--st->n_nets];
}

void state_del_ep(struct state *st, const char *name)
{
	struct ep_state *e = state_ep(st, name);

	if (e)
		*e = st->eps[--st->n_eps];
}

int state_add_bound_ip(struct state *st, struct in_addr ip, int *added)
{
	struct in_addr *n;

	*added = 0;
	for (size_t i = 0; i < st->n_bound_ips; i++)
		if (st->bound_ips[i].s_addr == ip.s_addr)
			return 0;
	n = realloc(st->bound_ips, (st->n_bound_ips + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	st->bound_ips = n;
	st->bound_ips[st->n_bound_ips++] = ip;
	*added = 1;
	return 0;
}

struct node_uplink *node_uplink(struct node_state *node, const char *name)
{
	for (size_t i = 0; i < node->n_uplinks; i++)
		if (!strcmp(node->uplinks[i].name, name))
			return &node->uplinks[i];
	return NULL;
}

size_t node_uplink_count(const struct node_state *node, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < node->n_uplinks; i++)
		n += !strcmp(node->uplinks[i].name, name);
	return n;
}

unsigned int state_net_users(const struct state *st, const char *name)
{
	unsigned int n = 0;

	for (size_t i = 0; i < st->n_eps; i++)
		n += !strcmp(st->eps[i].network, name);
	return n;
}

bool state_owns_ifname(const struct state *st, const char *name)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (!strcmp(st->eps[i].host_ifname, name))
			return true;
	return false;
}

bool state_owns_ifindex(const struct state *st, __u32 ifindex)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].host_ifindex == ifindex)
			return true;
	return false;
}

bool state_owns_ip(const struct state *st, __be32 ip)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].ip.s_addr == ip)
			return true;
	return false;
}

bool state_owns_ep_id(const struct state *st, unsigned int id)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].id == id)
			return true;
	return false;
}
