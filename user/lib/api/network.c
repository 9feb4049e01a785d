// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Networks: validation, id allocation, state and the networks map. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "dp/bridge.h"
#include "dp/datapath.h"
#include "sys/gateway.h"
#include "model/ipam.h"
#include "model/journal.h"
#include "sys/netlink.h"
#include "api/network.h"
#include "api/node.h"
#include "sys/nodecheck.h"
#include "model/state.h"
#include "api/types.h"

/*
 * --gateway-mode (default nat). A routed network is reached by its containers'
 * own addresses, so it never masquerades; an internal one has no way in at
 * all, so no mode but the default means anything for it.
 */
static int gateway_mode_option(struct bpfnet *bn, const struct bpfnet_network_opts *o,
			       struct net_state *n)
{
	const char *mode = bpfnet_gateway_mode_str(o->gateway_mode);

	if (!strcmp(mode, "?"))
		return bn_fail(bn, -EINVAL, "unknown gateway mode %d: allowed: " BPFNET_GW_MODES,
			       (int)o->gateway_mode);
	if (n->internal && o->gateway_mode != BPFNET_GATEWAY_NAT)
		return bn_fail(bn, -EINVAL, "--gateway-mode %s is for networks with a way in: an "
			       "internal network has none", mode);
	snprintf(n->gateway_mode, sizeof(n->gateway_mode), "%s", mode);
	if (net_is_routed(n))
		n->masquerade = 0;
	return 0;
}

/* Masquerade: on unless routed or internal, which cannot have it. */
static int masquerade_option(struct bpfnet *bn, const struct bpfnet_network_opts *o,
			     struct net_state *n)
{
	if (o->masquerade != BPFNET_DEFAULT && o->masquerade != BPFNET_YES &&
	    o->masquerade != BPFNET_NO)
		return bn_fail(bn, -EINVAL, "masquerade %d: BPFNET_DEFAULT, BPFNET_YES or BPFNET_NO",
			       (int)o->masquerade);
	if (o->masquerade == BPFNET_YES && !n->masquerade)
		return bn_fail(bn, -EINVAL, "masquerade is for networks with a way out of their "
			       "own: a%s network has none", n->internal ? "n internal" : " routed");
	if (o->masquerade == BPFNET_NO)
		n->masquerade = 0;
	return 0;
}

static int parse_subnet(struct bpfnet *bn, const struct bpfnet_prefix *p, struct net_state *n)
{
	char s[BPFNET_PREFIXSTRLEN];
	int err;

	if (p->addr.family == AF_UNSPEC)
		return bn_fail(bn, -EINVAL, "a subnet is required (--subnet CIDR, e.g. 10.1.0.0/24)");
	bpfnet_prefix_str(p, s, sizeof(s));
	err = bn_addr4(bn, &p->addr, "subnet", &n->subnet);
	if (err)
		return err;
	n->prefix_len = p->len;
	if (p->len < IPAM_PREFIX_MIN || p->len > IPAM_PREFIX_MAX)
		return bn_fail(bn, -EINVAL, "subnet '%s': prefix length must be %d..%d", s,
			       IPAM_PREFIX_MIN, IPAM_PREFIX_MAX);
	if (ntohl(n->subnet.s_addr) & ~prefix_mask(p->len))
		return bn_fail(bn, -EINVAL, "subnet '%s' has host bits set: give the network "
			       "address (e.g. 10.1.0.0/24)", s);
	return 0;
}

static int parse_gateway(struct bpfnet *bn, const struct bpfnet_addr *a, struct net_state *n)
{
	struct ipam_pool pool = { .subnet = n->subnet, .prefix_len = n->prefix_len };
	char s[BPFNET_ADDRSTRLEN];
	int err;

	if (a->family == AF_UNSPEC) {
		n->gateway = subnet_first_host(n->subnet);
		return 0;
	}
	err = bn_addr4(bn, a, "gateway", &n->gateway);
	if (err)
		return err;
	if (ipam_check(&pool, n->gateway))
		return bn_fail(bn, -EINVAL, "gateway %s must be a host address inside the subnet",
			       bpfnet_addr_str(a, s, sizeof(s)));
	return 0;
}

static int check_overlap(struct bpfnet *bn, struct state *st, const struct net_state *n)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	for (size_t i = 0; i < st->n_nets; i++) {
		const struct net_state *o = &st->nets[i];

		if (subnets_overlap(n->subnet, n->prefix_len, o->subnet, o->prefix_len))
			return bn_fail(bn, -EEXIST, "subnet %s/%u overlaps network '%s' (%s/%u)",
				       inet_ntop(AF_INET, &n->subnet, a, sizeof(a)), n->prefix_len,
				       o->name, inet_ntop(AF_INET, &o->subnet, b, sizeof(b)),
				       o->prefix_len);
	}
	return 0;
}

/* Loopback, link-local, multicast and the like are never a container network. */
static int check_reserved(struct bpfnet *bn, const struct net_state *n)
{
	const struct ip4_range *r = ip4_reserved_overlap(n->subnet, n->prefix_len);
	char a[INET_ADDRSTRLEN], range[INET_ADDRSTRLEN + 4];

	if (!r)
		return 0;
	return bn_fail(bn, -EINVAL, "subnet %s/%u overlaps %s, the %s: use a private range "
		       "(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
		       inet_ntop(AF_INET, &n->subnet, a, sizeof(a)), n->prefix_len,
		       ip4_range_format(r, range, sizeof(range)), r->what);
}

/* The node's own addresses and routes are not ours to take (after our networks' check). */
static int check_node_uses(struct bpfnet *bn, const struct net_state *n)
{
	struct nl *nl;
	int err = nl_open(&nl, -1);

	if (err)
		return bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
	err = node_check_subnet(bn, nl, n->subnet, n->prefix_len);
	nl_close(nl);
	return err;
}

static int alloc_net_id(struct bpfnet *bn, struct state *st, unsigned int *id)
{
	for (unsigned int i = 1; i < BPFNET_NET_MAX; i++) {
		if (!state_net_by_id(st, i)) {
			*id = i;
			return 0;
		}
	}
	return bn_fail(bn, -ENOSPC, "no room for another network (at most %d)",
		       BPFNET_NET_MAX - 1);
}

/* Bridge options: --internal (no masquerade then), and the gateway MAC every container sees. */
static int bridge_options(struct bpfnet *bn, const struct bpfnet_network_opts *o,
			  struct net_state *n)
{
	if (!net_is_bridge(n)) {
		if (o->internal)
			return bn_fail(bn, -EINVAL, "--internal is for bridge networks (--mode "
				       "bridge); an %s network always has a way out", n->mode);
		return 0;
	}
	n->internal = o->internal;
	if (n->internal)
		n->masquerade = 0;	/* nothing leaves an internal network */
	if (bn_random_mac(n->gateway_mac))
		return bn_fail(bn, -EIO, "cannot get random bytes for the gateway MAC");
	return 0;
}

static int network_build(struct bpfnet *bn, struct state *st, const struct bpfnet_network_opts *o,
			 struct net_state *n)
{
	const char *mode = bpfnet_network_mode_str(o->mode);

	memset(n, 0, sizeof(*n));
	if (!o->name || !name_valid(o->name))
		return bn_fail(bn, -EINVAL, "invalid network name '%s': use 1-%d letters, digits, "
			       "'_', '.' or '-', starting with a letter or digit",
			       o->name ? o->name : "", BPFNET_NAME_MAX - 1);
	if (state_net(st, o->name))
		return bn_fail(bn, -EEXIST, "network '%s' already exists", o->name);
	if (!strcmp(mode, "?"))
		return bn_fail(bn, -EINVAL, "unknown mode %d: allowed: l3, bridge", (int)o->mode);
	strcpy(n->name, o->name);
	snprintf(n->mode, sizeof(n->mode), "%s", mode);
	n->masquerade = 1;
	return bridge_options(bn, o, n) ?: gateway_mode_option(bn, o, n) ?:
	       masquerade_option(bn, o, n) ?: parse_subnet(bn, &o->subnet, n) ?:
	       check_reserved(bn, n) ?: parse_gateway(bn, &o->gateway, n) ?:
	       check_overlap(bn, st, n) ?: check_node_uses(bn, n) ?: alloc_net_id(bn, st, &n->id);
}

/* The datapath's view of a new network, and the node's gateway address. */
static int network_install(struct bpfnet *bn, const struct net_state *n)
{
	struct nl *nl = NULL;
	int err = dp_net_set(bn, n);

	if (err || !net_has_gateway(n))
		return err;
	err = nl_open(&nl, -1);
	if (err)
		return bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
	err = net_gateway_add(bn, nl, n);
	/* published ports answer on the gateway too, as on every node address */
	err = err ?: node_addrs_refresh(bn, nl);
	nl_close(nl);
	return err;
}

/* Undo network_install, or take down a removed network; the first error is kept. */
int network_uninstall(struct bpfnet *bn, const struct net_state *n)
{
	struct bpfnet_flood none = {};
	struct nl *nl = NULL;
	int err = 0, nerr;

	if (net_is_bridge(n))
		err = dp_flood_set(bn, n->id, &none) ?: bridge_fdb_forget_net(bn, n->id);
	err = dp_net_clear(bn, n->id) ?: err;
	if (!net_has_gateway(n))
		return err;
	nerr = nl_open(&nl, -1);
	if (nerr)
		return err ?: bn_fail(bn, nerr, "cannot open netlink: %s", strerror(-nerr));
	err = err ?: net_gateway_del(bn, nl, n);
	err = err ?: node_addrs_refresh(bn, nl);
	nl_close(nl);
	return err;
}

/* Undo a failed create: the first error's message is the one the user needs. */
static void network_undo(struct bpfnet *bn, const struct net_state *n)
{
	char msg[sizeof(bn->errmsg)];

	memcpy(msg, bn->errmsg, sizeof(msg));
	network_uninstall(bn, n);
	memcpy(bn->errmsg, msg, sizeof(msg));
}

/* The caller's opts, as long as they are, into ours: fields past its sz take their defaults. */
static void network_opts_read(const struct bpfnet_network_opts *in, struct bpfnet_network_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->name = OPTS_GET(in, name, NULL);
	o->mode = OPTS_GET(in, mode, BPFNET_NETWORK_L3);
	if (OPTS_HAS(in, subnet))
		o->subnet = in->subnet;
	if (OPTS_HAS(in, gateway))
		o->gateway = in->gateway;
	o->masquerade = OPTS_GET(in, masquerade, BPFNET_DEFAULT);
	o->internal = OPTS_GET(in, internal, false);
	o->gateway_mode = OPTS_GET(in, gateway_mode, BPFNET_GATEWAY_NAT);
}

/* The public view of network @n into the caller's @out, as far as its sz reaches. */
static void net_to_public(const struct net_state *n, struct bpfnet_network_info *out)
{
	struct bpfnet_network_info p = { .sz = sizeof(p) };

	strcpy(p.name, n->name);
	p.id = n->id;
	p.mode = net_is_bridge(n) ? BPFNET_NETWORK_BRIDGE : BPFNET_NETWORK_L3;
	p.subnet = bn_prefix_from4(n->subnet, n->prefix_len);
	p.gateway = bpfnet_addr_ip4(n->gateway);
	p.endpoints = n->endpoints;
	p.masquerade = n->masquerade;
	p.internal = n->internal;
	memcpy(p.gateway_mac, n->gateway_mac, sizeof(p.gateway_mac));
	bpfnet_gateway_mode_parse(n->gateway_mode, &p.gateway_mode);
	bn_out_put(out, &p, sizeof(p));
}

int bpfnet_network__create(struct bpfnet *bn, const struct bpfnet_network_opts *opts,
			   struct bpfnet_network_info *out)
{
	struct bpfnet_network_opts o;
	struct net_state n;
	struct state st;
	int err;

	if (!opts || !OPTS_VALID(opts))
		return bn_fail(bn, -EINVAL, "struct bpfnet_network_opts: bad sz (at least %zu; "
			       "bytes past %zu must be zero)", sizeof(size_t), sizeof(*opts));
	if (out && bn_out_check(bn, out, "bpfnet_network_info"))
		return -EINVAL;
	network_opts_read(opts, &o);
	err = state_begin(bn, &st, JOURNAL_NETWORK_CREATE);
	if (err)
		goto unlock;
	err = network_build(bn, &st, &o, &n);
	/* before init nothing but the state changes; after, the intent goes to disk first */
	if (!err && st.node.initialized)
		err = journal_record_net(bn, &st, JOURNAL_NETWORK_CREATE, &n);
	if (err)
		goto free;
	err = (st.node.initialized ? network_install(bn, &n) : 0) ?: state_add_net(&st, &n) ?:
	      journal_commit(bn, &st);
	if (err && st.node.initialized) {
		state_del_net(&st, n.name);
		network_undo(bn, &n);
		journal_abandon(bn, &st);
	}
	if (!err && out)
		net_to_public(&n, out);
free:
	state_free(&st);
unlock:
	bn_unlock(bn);
	return err;
}

int bpfnet_network__remove(struct bpfnet *bn, const char *name)
{
	struct net_state *n;
	unsigned int users;
	struct state st;
	int err;

	err = state_begin(bn, &st, JOURNAL_NETWORK_REMOVE);
	if (err)
		goto unlock;
	n = state_net(&st, name);
	users = state_net_users(&st, name);
	if (!n && journal_finished(bn, JOURNAL_NETWORK_REMOVE, name, NULL, 0))
		err = 0;	/* a re-run of the removal this call's recovery finished */
	else if (!n)
		err = bn_fail(bn, -ENOENT, "no network '%s'", name);
	else if (users)
		err = bn_fail(bn, -EBUSY, "network '%s' has %u endpoint(s) attached: remove them "
			      "first", name, users);
	else if (st.node.initialized)
		/* once recorded, a removal is finished: by the next command if this one fails */
		err = journal_record_net(bn, &st, JOURNAL_NETWORK_REMOVE, n) ?:
		      network_uninstall(bn, n);
	if (!err && n) {
		state_del_net(&st, name);
		err = journal_commit(bn, &st);
	}
	state_free(&st);
unlock:
	bn_unlock(bn);
	return err;
}

int bpfnet_network__get(struct bpfnet *bn, const char *name, struct bpfnet_network_info *out)
{
	struct net_state *n;
	struct state st;
	int err = bn_out_check(bn, out, "bpfnet_network_info") ?: state_load(bn, &st);

	if (err)
		return err;
	n = state_net(&st, name);
	if (n) {
		n->endpoints = state_net_users(&st, name);
		net_to_public(n, out);
	} else {
		err = bn_fail(bn, -ENOENT, "no network '%s'", name);
	}
	state_free(&st);
	return err;
}

static int cmp_net(const void *a, const void *b)
{
	return strcmp(((const struct net_state *)a)->name,
		      ((const struct net_state *)b)->name);
}

int bpfnet_network__list(struct bpfnet *bn, struct bpfnet_network_info **out, size_t *count)
{
	struct bpfnet_network_info *pub;
	struct state st;
	int err = state_load(bn, &st);

	if (err)
		return err;
	qsort(st.nets, st.n_nets, sizeof(*st.nets), cmp_net);
	pub = calloc(st.n_nets + 1, sizeof(*pub));
	for (size_t i = 0; pub && i < st.n_nets; i++) {
		st.nets[i].endpoints = state_net_users(&st, st.nets[i].name);
		pub[i].sz = sizeof(*pub);
		net_to_public(&st.nets[i], &pub[i]);
	}
	if (pub) {
		*out = pub;
		*count = st.n_nets;
	}
	state_free(&st);
	return pub ? 0 : bn_fail(bn, -ENOMEM, "out of memory");
}
