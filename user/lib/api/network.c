// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Networks: validation, id allocation, state and the networks map. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/txn.h"
#include "api/types.h"
#include "dp/network.h"
#include "model/ipam.h"
#include "sys/macvlan.h"
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

/*
 * A macvlan network's gateway is a router on the parent's segment. Not the
 * node: by the kernel's design a macvlan never reaches its parent (nor the
 * node's addresses on it), so a default route via the node would lead nowhere.
 */
static int macvlan_gateway_not_node(struct bpfnet *bn, struct nl *nl, const struct net_state *n)
{
	struct in_addr addrs[BPFNET_NODE_ADDR_MAX];
	char gw[INET_ADDRSTRLEN];
	size_t count;
	int err = nl_addr_list4(nl, addrs, BPFNET_NODE_ADDR_MAX, &count);

	if (err)
		return bn_fail(bn, err, "cannot list the node's addresses: %s", strerror(-err));
	for (size_t i = 0; i < count; i++)
		if (addrs[i].s_addr == n->gateway.s_addr)
			return bn_fail(bn, -EINVAL, "gateway %s is an address of the node: macvlan "
				       "endpoints cannot reach their node (the kernel's macvlan never "
				       "passes traffic between a parent and its macvlans); give the "
				       "router of %s's segment with --gateway",
				       inet_ntop(AF_INET, &n->gateway, gw, sizeof(gw)), n->parent);
	return 0;
}

/*
 * The node's own addresses and routes are not ours to take (after our
 * networks' check). A macvlan network puts nothing on the node, and its
 * subnet is its parent's segment: the parent's own addresses and routes
 * there are what one expects (Docker's macvlan takes the parent's subnet);
 * those of the node's other devices still conflict.
 */
static int check_node_uses(struct bpfnet *bn, const struct net_state *n)
{
	struct nl_link parent = { .ifindex = 0 };
	struct nl *nl;
	int err = nl_open(&nl, -1);

	if (err)
		return bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
	if (net_is_macvlan(n) && nl_link_get_by_name(nl, n->parent, &parent))
		parent.ifindex = 0;	/* not there (before init): every device counts */
	err = node_check_subnet_beside(bn, nl, n->subnet, n->prefix_len, parent.ifindex);
	if (!err && net_is_macvlan(n))
		err = macvlan_gateway_not_node(bn, nl, n);
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

/* A device name the kernel would take: 1..15 bytes, no '/', ':' or space. */
static bool parent_name_valid(const char *s)
{
	size_t len = strlen(s);

	return len && len < IF_NAMESIZE && strcmp(s, ".") && strcmp(s, "..") &&
	       strcspn(s, "/: \t\n") == len;
}

/*
 * The parent of a macvlan network, on an initialized node: a device of the
 * node, neither loopback nor a veth of an endpoint (a macvlan there would sit
 * on one container's link, not on a segment). Before init only the state
 * changes, as for every network: endpoint add looks again.
 */
static int parent_usable(struct bpfnet *bn, const struct state *st, const struct net_state *n)
{
	struct nl_link dev;
	struct nl *nl;
	int err;

	if (!st->node.initialized)
		return 0;
	err = nl_open(&nl, -1);
	if (err)
		return bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
	err = macvlan_parent(bn, nl, n->parent, &dev);
	nl_close(nl);
	if (err)
		return err;
	if (dev.flags & IFF_LOOPBACK)
		return bn_fail(bn, -EINVAL, "--parent %s is the loopback device: a macvlan network "
			       "needs an Ethernet segment (the node's NIC, a VLAN or bond device)",
			       n->parent);
	if (state_owns_ifname(st, n->parent))
		return bn_fail(bn, -EINVAL, "--parent %s is the host veth of an endpoint: give a "
			       "device on the segment the containers are to sit on", n->parent);
	return 0;
}

/*
 * macvlan: the kernel's, on --parent, with no BPF in its path. What bpfnet
 * does in BPF for the other modes cannot be had there: refused, saying why.
 * The other modes take no parent.
 */
static int macvlan_options(struct bpfnet *bn, const struct state *st,
			   const struct bpfnet_network_opts *o, struct net_state *n)
{
	if (!net_is_macvlan(n)) {
		if (o->parent)
			return bn_fail(bn, -EINVAL, "--parent is for macvlan networks (--mode "
				       "macvlan); an %s network is reached through the node", n->mode);
		return 0;
	}
	if (!o->parent || !*o->parent)
		return bn_fail(bn, -EINVAL, "a macvlan network needs its parent device (--parent DEV: "
			       "the node's device on the segment the containers are to sit on)");
	if (!parent_name_valid(o->parent))
		return bn_fail(bn, -EINVAL, "invalid parent device name '%s': 1-%d characters, no "
			       "'/', ':' or spaces", o->parent, IF_NAMESIZE - 1);
	snprintf(n->parent, sizeof(n->parent), "%s", o->parent);
	n->masquerade = 0;	/* its traffic never passes bpfnet: nothing to translate it */
	if (o->masquerade == BPFNET_YES)
		return bn_fail(bn, -EINVAL, "masquerade is not available on a macvlan network: its "
			       "containers' traffic goes from their macvlan straight to the parent "
			       "%s, past no BPF program that could translate it; they leave with their "
			       "own addresses", n->parent);
	if (o->gateway_mode != BPFNET_GATEWAY_NAT)
		return bn_fail(bn, -EINVAL, "--gateway-mode is not available on a macvlan network: "
			       "its containers sit on the segment of %s, reached directly, with no "
			       "BPF program in their path to filter what comes in", n->parent);
	if (o->internal)
		return bn_fail(bn, -EINVAL, "--internal is not available on a macvlan network: its "
			       "containers sit on the segment of %s, which bpfnet cannot close off "
			       "(no BPF program in their path)", n->parent);
	return parent_usable(bn, st, n);
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
		return bn_fail(bn, -EINVAL, "unknown mode %d: allowed: l3, bridge, macvlan",
			       (int)o->mode);
	strcpy(n->name, o->name);
	snprintf(n->mode, sizeof(n->mode), "%s", mode);
	n->masquerade = 1;
	if (net_is_macvlan(n)) {
		snprintf(n->gateway_mode, sizeof(n->gateway_mode), "%s", BPFNET_GW_MODE_NAT);
		return macvlan_options(bn, st, o, n) ?: parse_subnet(bn, &o->subnet, n) ?:
		       check_reserved(bn, n) ?: parse_gateway(bn, &o->gateway, n) ?:
		       check_overlap(bn, st, n) ?: check_node_uses(bn, n) ?:
		       alloc_net_id(bn, st, &n->id);
	}
	return macvlan_options(bn, st, o, n) ?: bridge_options(bn, o, n) ?:
	       gateway_mode_option(bn, o, n) ?:
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
	o->parent = OPTS_GET(in, parent, NULL);
}

/* The public view of network @n into the caller's @out, as far as its sz reaches. */
static void net_to_public(const struct net_state *n, struct bpfnet_network_info *out)
{
	struct bpfnet_network_info p = { .sz = sizeof(p) };

	strcpy(p.name, n->name);
	p.id = n->id;
	p.mode = net_is_macvlan(n) ? BPFNET_NETWORK_MACVLAN :
		 net_is_bridge(n) ? BPFNET_NETWORK_BRIDGE : BPFNET_NETWORK_L3;
	p.subnet = bn_prefix_from4(n->subnet, n->prefix_len);
	p.gateway = bpfnet_addr_ip4(n->gateway);
	p.endpoints = n->endpoints;
	p.masquerade = n->masquerade;
	p.internal = n->internal;
	memcpy(p.gateway_mac, n->gateway_mac, sizeof(p.gateway_mac));
	bpfnet_gateway_mode_parse(n->gateway_mode, &p.gateway_mode);
	snprintf(p.parent, sizeof(p.parent), "%s", n->parent);
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

/* Every network of the state, by name, in the caller's layout: @put fills element i. */
static int net_list(struct bpfnet *bn, size_t elem_sz, void **out, size_t *count,
		    void (*put)(const struct net_state *n, void *elem))
{
	struct state st;
	char *pub;
	int err = state_load(bn, &st);

	if (err)
		return err;
	qsort(st.nets, st.n_nets, sizeof(*st.nets), cmp_net);
	pub = calloc(st.n_nets + 1, elem_sz);
	for (size_t i = 0; pub && i < st.n_nets; i++) {
		st.nets[i].endpoints = state_net_users(&st, st.nets[i].name);
		put(&st.nets[i], pub + i * elem_sz);
	}
	if (pub) {
		*out = pub;
		*count = st.n_nets;
	}
	state_free(&st);
	return pub ? 0 : bn_fail(bn, -ENOMEM, "out of memory");
}

static void put_info(const struct net_state *n, void *elem)
{
	struct bpfnet_network_info *p = elem;

	p->sz = sizeof(*p);
	net_to_public(n, p);
}

/*
 * The element bpfnet_network__list() handed out before 0.4: struct
 * bpfnet_network_info without parent. A program built with a 0.2 or 0.3
 * header strides its array by this size; the asserts keep it that layout.
 */
struct bpfnet_network_info_0_2 {
	size_t sz;
	char name[BPFNET_NAME_MAX];
	unsigned int id;
	enum bpfnet_network_mode mode;
	struct bpfnet_prefix subnet;
	struct bpfnet_addr gateway;
	unsigned int endpoints;
	bool masquerade;
	bool internal;
	uint8_t gateway_mac[6];
	enum bpfnet_gateway_mode gateway_mode;
};

#define SAME_OFFSET(f)                                                                   \
	_Static_assert(offsetof(struct bpfnet_network_info_0_2, f) ==                    \
			       offsetof(struct bpfnet_network_info, f),                  \
		       "0.2's " #f " is where 0.4 has it")
SAME_OFFSET(name);
SAME_OFFSET(id);
SAME_OFFSET(mode);
SAME_OFFSET(subnet);
SAME_OFFSET(gateway);
SAME_OFFSET(endpoints);
SAME_OFFSET(masquerade);
SAME_OFFSET(internal);
SAME_OFFSET(gateway_mac);
SAME_OFFSET(gateway_mode);
#undef SAME_OFFSET
/* 0.4 only appended: what 0.2 had ends where parent begins (up to alignment) */
_Static_assert(sizeof(struct bpfnet_network_info_0_2) ==
		       (offsetof(struct bpfnet_network_info, parent) + _Alignof(size_t) - 1) /
			       _Alignof(size_t) * _Alignof(size_t),
	       "the 0.2 element is the 0.4 one without parent");
_Static_assert(sizeof(size_t) != 8 || sizeof(struct bpfnet_network_info_0_2) == 144,
	       "the 0.2 element of LP64 programs is 144 bytes");

static void put_info_0_2(const struct net_state *n, void *elem)
{
	struct bpfnet_network_info p = { .sz = sizeof(p) };

	net_to_public(n, &p);
	/* the same fields at the same offsets, up to where parent begins */
	memcpy(elem, &p, sizeof(struct bpfnet_network_info_0_2));
	((struct bpfnet_network_info_0_2 *)elem)->sz = sizeof(struct bpfnet_network_info_0_2);
}

/*
 * bpfnet_network__list() twice: the default (and what static links take) of
 * LIBBPFNET_0.4 with parent, and LIBBPFNET_0.2's for programs linked before,
 * whose elements have the old stride. (0.3 kept the call at LIBBPFNET_0.2: a
 * program built with the 0.3 header binds that one too.) The header's
 * declaration is the 0.4 one.
 */
__attribute__((symver("bpfnet_network__list@@LIBBPFNET_0.4")))
int net_list_v0_4(struct bpfnet *bn, struct bpfnet_network_info **out, size_t *count);
__attribute__((symver("bpfnet_network__list@LIBBPFNET_0.2")))
int net_list_v0_2(struct bpfnet *bn, struct bpfnet_network_info_0_2 **out, size_t *count);

int net_list_v0_4(struct bpfnet *bn, struct bpfnet_network_info **out, size_t *count)
{
	return net_list(bn, sizeof(**out), (void **)out, count, put_info);
}

int net_list_v0_2(struct bpfnet *bn, struct bpfnet_network_info_0_2 **out, size_t *count)
{
	return net_list(bn, sizeof(**out), (void **)out, count, put_info_0_2);
}
