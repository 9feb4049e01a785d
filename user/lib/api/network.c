// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Networks: validation, id allocation, state and the networks map. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/txn.h"
#include "api/types.h"
#include "dp/network.h"
#include "model/ipam.h"
#include "sys/netlink.h"
#include "sys/nodecheck.h"
#include "sys/store.h"

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

/* Undo a failed create (txn_run() keeps the first error's message). */
static void network_undo(struct txn *t, void *net)
{
	const struct net_state *n = net;

	state_del_net(&t->st, n->name);
	network_uninstall(&t->dp, n);
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

struct network_create {
	struct bpfnet_network_opts o;
	struct net_state n;
};

static int network_create(struct txn *t, void *arg)
{
	struct network_create *c = arg;
	bool initialized = t->st.node.initialized;
	int err = network_build(t->bn, &t->st, &c->o, &c->n);

	/* before init nothing but the state changes; after, the intent goes to disk first */
	if (!err && initialized)
		err = txn_record_net(t, &c->n);
	if (err)
		return err;
	txn_on_failure(t, network_undo, &c->n);
	return (initialized ? network_install(&t->dp, &c->n) : 0) ?: state_add_net(&t->st, &c->n) ?:
	       txn_commit(t);
}

int bpfnet_network__create(struct bpfnet *bn, const struct bpfnet_network_opts *opts,
			   struct bpfnet_network_info *out)
{
	struct network_create c;
	int err;

	if (!opts || !OPTS_VALID(opts))
		return bn_fail(bn, -EINVAL, "struct bpfnet_network_opts: bad sz (at least %zu; "
			       "bytes past %zu must be zero)", sizeof(size_t), sizeof(*opts));
	if (out && bn_out_check(bn, out, "bpfnet_network_info"))
		return -EINVAL;
	network_opts_read(opts, &c.o);
	err = txn_run(bn, JOURNAL_NETWORK_CREATE, network_create, &c);
	if (!err && out)
		net_to_public(&c.n, out);
	return err;
}

static int network_remove(struct txn *t, void *name)
{
	struct bpfnet *bn = t->bn;
	struct state *st = &t->st;
	struct net_state *n = state_net(st, name);
	unsigned int users = state_net_users(st, name);
	int err = 0;

	if (!n && journal_finished(bn, JOURNAL_NETWORK_REMOVE, name, NULL, 0))
		return 0;	/* a re-run of the removal this call's recovery finished */
	if (!n)
		return bn_fail(bn, -ENOENT, "no network '%s'",
			       (const char *)name);
	if (users)
		return bn_fail(bn, -EBUSY, "network '%s' has %u endpoint(s) attached: remove them "
			       "first", (const char *)name, users);
	if (st->node.initialized)
		/* once recorded, a removal is finished: by the next command if this one fails */
		err = txn_record_net(t, n) ?: network_uninstall(&t->dp, n);
	if (err)
		return err;
	state_del_net(st, name);
	return txn_commit(t);
}

int bpfnet_network__remove(struct bpfnet *bn, const char *name)
{
	return txn_run(bn, JOURNAL_NETWORK_REMOVE, network_remove, (void *)name);
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
