// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet check, the maps: what the control plane writes for each network,
 * endpoint and published port of the state must be there as it writes it,
 * and what no network or endpoint of the state owns must not be there.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/check.h"
#include "dp/encode.h"
#include "dp/svc.h"
#include "model/ipam.h"
#include "sys/netlink.h"
#include "model/state.h"

/* ---- networks ---------------------------------------------------------------------------- */

static int cmp_port(const void *a, const void *b)
{
	const struct bpfnet_port *x = a, *y = b;

	return x->ifindex != y->ifindex ? (x->ifindex < y->ifindex ? -1 : 1) :
					  (x->ep_id > y->ep_id) - (x->ep_id < y->ep_id);
}

/* Network @net's flood list must hold its endpoints' ports, in any order. */
static void check_flood(struct check *c, const struct net_state *net,
			const struct dp_dump *flood)
{
	struct bpfnet_flood *want = calloc(1, sizeof(*want)), *got = calloc(1, sizeof(*got));
	char obj[64];

	if (!want || !got) {
		c->err = c->err ?: bn_fail(c->bn, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->st->n_eps && want->n_ports < BPFNET_FLOOD_MAX; i++) {
		const struct ep_state *ep = &c->st->eps[i];

		if (strcmp(ep->network, net->name))
			continue;
		want->ports[want->n_ports].ifindex = ep->host_ifindex;
		want->ports[want->n_ports++].ep_id = ep->id;
	}
	for (size_t i = 0; i < flood->n; i++)
		if (*(__u32 *)dp_dump_key(flood, i) == net->id)
			memcpy(got, dp_dump_val(flood, i), sizeof(*got));
	if (got->n_ports > BPFNET_FLOOD_MAX)
		got->n_ports = BPFNET_FLOOD_MAX;
	qsort(want->ports, want->n_ports, sizeof(want->ports[0]), cmp_port);
	qsort(got->ports, got->n_ports, sizeof(got->ports[0]), cmp_port);
	if (want->n_ports != got->n_ports ||
	    memcmp(want->ports, got->ports, want->n_ports * sizeof(want->ports[0]))) {
		snprintf(obj, sizeof(obj), "flood_ports[%u]", net->id);
		finding_name(finding_add(c, "flood_list_mismatch", FIX_FLOOD, obj, "network '%s' floods "
				"to %u ports, not to the %u of its endpoints", net->name,
				got->n_ports, want->n_ports), net->name);
	}
out:
	free(want);
	free(got);
}

static void check_network(struct check *c, const struct net_state *net,
			  const struct dp_dump *slots, const struct dp_dump *flood,
			  const struct in_addr *addrs, size_t n_addrs)
{
	struct bpfnet_net want, *got = NULL;
	char obj[64], gw[INET_ADDRSTRLEN];
	struct nl_link parent;

	/* the kernel's: nothing in the maps, no gateway on the node; its parent must be there */
	if (net_is_macvlan(net)) {
		if (nl_link_get_by_name(c->nl, net->parent, &parent))
			finding_add(c, "parent_missing", FIX_NONE, net->parent, "the parent %s of "
				    "macvlan network '%s' is not a device of the node: its "
				    "endpoints lost their macvlans with it; bring it back and run "
				    "'check --repair', or remove them", net->parent, net->name);
		return;
	}
	dp_net_encode(net, &want);
	snprintf(obj, sizeof(obj), "networks[%u]", net->id);
	for (size_t i = 0; i < slots->n; i++)
		if (*(__u32 *)dp_dump_key(slots, i) == net->id)
			got = dp_dump_val(slots, i);
	if (!got || got->mode == BPFNET_MODE_NONE)
		finding_name(finding_add(c, "map_entry_missing", FIX_NET, obj, "network '%s' is not in "
				"the networks map", net->name), net->name);
	else if (memcmp(got, &want, sizeof(want)))
		finding_name(finding_add(c, "map_entry_mismatch", FIX_NET, obj, "the networks map holds "
				"another subnet, gateway, mode or flags for network '%s'",
				net->name), net->name);
	if (net_is_bridge(net))
		check_flood(c, net, flood);
	if (net_has_gateway(net) && !check_addr_in(addrs, n_addrs, net->gateway.s_addr))
		finding_name(finding_add(c, "gateway_address_missing", FIX_GATEWAY, net->name, "the node "
				"does not own %s, the gateway of network '%s'",
				check_ip(net->gateway.s_addr, gw), net->name), net->name);
}

/* Slots and flood lists of networks the state does not have. */
static void check_stray_networks(struct check *c, const struct dp_dump *slots,
				 const struct dp_dump *flood)
{
	char obj[64];

	for (size_t i = 0; i < slots->n; i++) {
		__u32 id = *(__u32 *)dp_dump_key(slots, i);
		const struct bpfnet_net *v = dp_dump_val(slots, i);
		struct finding *f;

		const struct net_state *net = state_net_by_id(c->st, id);

		/* a macvlan network has no slot: one at its id is there for nothing */
		if (v->mode == BPFNET_MODE_NONE || (net && !net_is_macvlan(net)))
			continue;
		snprintf(obj, sizeof(obj), "networks[%u]", id);
		f = finding_add(c, "stray_map_entry", FIX_CLEAR_NET_SLOT, obj, "network id %u is in "
			   "the networks map, not in the state", id);
		if (f)
			f->ifindex = id;
	}
	for (size_t i = 0; i < flood->n; i++) {
		__u32 id = *(__u32 *)dp_dump_key(flood, i);
		const struct net_state *net = state_net_by_id(c->st, id);

		if (net && net_is_bridge(net))
			continue;
		snprintf(obj, sizeof(obj), "flood_ports[%u]", id);
		finding_key(finding_add(c, "stray_map_entry", FIX_DELETE_KEY, obj, "a flood list for "
			       "network id %u, which is no bridge network of the state", id),
			BPFNET_MAP_FLOOD_PORTS, &id, sizeof(id));
	}
}

void check_networks(struct check *c)
{
	struct in_addr addrs[BPFNET_NODE_ADDR_MAX];
	struct dp_dump slots, flood = {};
	size_t n_addrs = 0;

	if (nl_addr_list4(c->nl, addrs, BPFNET_NODE_ADDR_MAX, &n_addrs))
		n_addrs = 0;	/* said by check_node_addrs() */
	if (check_map_dump(c, BPFNET_MAP_NETWORKS, &slots))
		return;
	if (!check_map_dump(c, BPFNET_MAP_FLOOD_PORTS, &flood)) {
		for (size_t i = 0; i < c->st->n_nets; i++)
			check_network(c, &c->st->nets[i], &slots, &flood, addrs, n_addrs);
		check_stray_networks(c, &slots, &flood);
	}
	dp_dump_free(&slots);
	dp_dump_free(&flood);
}

/* ---- endpoints ------------------------------------------------------------------------------ */

static const struct bpfnet_ep *ep_val_of(const struct dp_dump *d, const void *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!memcmp(dp_dump_key(d, i), key, d->ksz))
			return dp_dump_val(d, i);
	return NULL;
}

/* The endpoint's entry in ep_by_ifindex or ep_by_ip (@d, at @key) must be what it writes. */
static void check_ep_entry(struct check *c, const struct ep_state *ep,
			   const struct bpfnet_ep *want, const struct dp_dump *d, const void *key,
			   const char *obj)
{
	const struct bpfnet_ep *got = ep_val_of(d, key);

	if (!got)
		finding_name(finding_add(c, "map_entry_missing", FIX_EP_MAPS, obj, "endpoint '%s' is "
				"missing from %s", ep->name, obj), ep->name);
	else if (memcmp(got, want, sizeof(*want)))
		finding_name(finding_add(c, "map_entry_mismatch", FIX_EP_MAPS, obj, "%s does not hold "
				"endpoint '%s' as the state has it", obj, ep->name), ep->name);
}

/* A bridge port's static FDB entry: its MAC behind its veth. */
static void check_ep_fdb(struct check *c, const struct ep_state *ep,
			 const struct net_state *net, const struct dp_dump *fdb)
{
	struct bpfnet_fdb_key key = { .net_id = net->id };
	const struct bpfnet_fdb_val *got = NULL;
	char obj[96], mac[18];

	memcpy(key.mac, ep->mac, sizeof(key.mac));
	for (size_t i = 0; i < fdb->n; i++)
		if (!memcmp(dp_dump_key(fdb, i), &key, sizeof(key)))
			got = dp_dump_val(fdb, i);
	snprintf(obj, sizeof(obj), "fdb[%s %s]", net->name, mac_format(ep->mac, mac));
	if (!got)
		finding_name(finding_add(c, "map_entry_missing", FIX_FDB, obj, "the FDB does not know the "
				"MAC of endpoint '%s'", ep->name), ep->name);
	else if (got->ifindex != ep->host_ifindex || got->ep_id != ep->id ||
		 !(got->flags & BPFNET_FDB_F_STATIC))
		finding_name(finding_add(c, "map_entry_mismatch", FIX_FDB, obj, "the FDB entry of endpoint "
				"'%s' is not the static one of its port", ep->name), ep->name);
}

static void check_endpoint(struct check *c, const struct ep_state *ep,
			   const struct dp_dump *by_ifindex, const struct dp_dump *by_ip,
			   const struct dp_dump *fdb)
{
	const struct net_state *net = state_net(c->st, ep->network);
	char obj[sizeof(((struct bpfnet_check_issue *)0)->object)], ip[INET_ADDRSTRLEN];
	struct bpfnet_ep want;
	struct nl_link link;

	if (!net) {
		finding_add(c, "endpoint_without_network", FIX_NONE, ep->name, "endpoint '%s' is on "
		       "network '%s', which the state does not have", ep->name, ep->network);
		return;
	}
	if (net_is_macvlan(net)) {
		check_macvlan_endpoint(c, ep);
		return;
	}
	snprintf(obj, sizeof(obj), "endpoint %s", ep->name);
	if (nl_link_get_by_name(c->nl, ep->host_ifname, &link)) {
		finding_name(finding_add(c, "veth_missing", FIX_EP_REBUILD, obj, "the host veth %s of "
				"endpoint '%s' is gone", ep->host_ifname, ep->name), ep->name);
		return;	/* made again whole: its map entries with it */
	}
	if ((unsigned int)link.ifindex != ep->host_ifindex) {
		finding_name(finding_add(c, "veth_mismatch", FIX_EP_REBUILD, obj, "%s is ifindex %d, the "
				"state says %u: it is not the veth endpoint '%s' was given",
				ep->host_ifname, link.ifindex, ep->host_ifindex, ep->name),
			 ep->name);
		return;
	}
	check_tc_filter(c, link.ifindex, ep->host_ifname, BPFNET_PROG_FROM_CONTAINER);
	dp_ep_encode(ep, net, &want);
	snprintf(obj, sizeof(obj), "ep_by_ifindex[%u]", ep->host_ifindex);
	check_ep_entry(c, ep, &want, by_ifindex, &ep->host_ifindex, obj);
	snprintf(obj, sizeof(obj), "ep_by_ip[%s]", check_ip(ep->ip.s_addr, ip));
	check_ep_entry(c, ep, &want, by_ip, &ep->ip.s_addr, obj);
	if (net_is_bridge(net))
		check_ep_fdb(c, ep, net, fdb);
}

static const struct ep_state *ep_by_ifindex(const struct state *st, __u32 ifindex)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].host_ifindex == ifindex)
			return &st->eps[i];
	return NULL;
}

/* The endpoint at @ip that the datapath knows: a macvlan one is in no map, leads no port. */
static const struct ep_state *ep_by_ip(const struct state *st, __be32 ip)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].ip.s_addr == ip && !ep_is_macvlan(&st->eps[i]))
			return &st->eps[i];
	return NULL;
}

/* Entries of ep_by_ifindex and ep_by_ip that no endpoint of the state owns. */
static void check_stray_eps(struct check *c, const struct dp_dump *by_ifindex,
			    const struct dp_dump *by_ip)
{
	char obj[64], ip[INET_ADDRSTRLEN];

	for (size_t i = 0; i < by_ifindex->n; i++) {
		__u32 ifindex = *(__u32 *)dp_dump_key(by_ifindex, i);

		if (ep_by_ifindex(c->st, ifindex))
			continue;
		snprintf(obj, sizeof(obj), "ep_by_ifindex[%u]", ifindex);
		finding_key(finding_add(c, "stray_map_entry", FIX_DELETE_KEY, obj, "an endpoint on "
			       "ifindex %u, which no endpoint of the state has", ifindex),
			BPFNET_MAP_EP_BY_IFINDEX, &ifindex, sizeof(ifindex));
	}
	for (size_t i = 0; i < by_ip->n; i++) {
		__be32 a = *(__be32 *)dp_dump_key(by_ip, i);

		if (ep_by_ip(c->st, a))
			continue;
		snprintf(obj, sizeof(obj), "ep_by_ip[%s]", check_ip(a, ip));
		finding_key(finding_add(c, "stray_map_entry", FIX_DELETE_KEY, obj, "an endpoint at %s, "
			       "which no endpoint of the state has", ip), BPFNET_MAP_EP_BY_IP, &a,
			sizeof(a));
	}
}

/* Is the FDB entry one the state accounts for? Its endpoint's own is checked above. */
static bool fdb_entry_known(const struct state *st, const struct bpfnet_fdb_key *k,
			    const struct bpfnet_fdb_val *v)
{
	const struct net_state *net = state_net_by_id((struct state *)st, k->net_id);
	const struct ep_state *port = ep_by_ifindex(st, v->ifindex);

	if (!net || !net_is_bridge(net))
		return false;
	for (size_t i = 0; i < st->n_eps; i++)
		if (!strcmp(st->eps[i].network, net->name) &&
		    !memcmp(st->eps[i].mac, k->mac, sizeof(k->mac)))
			return true;
	/* learned behind a port of the network, or a static entry nobody owns */
	return !(v->flags & BPFNET_FDB_F_STATIC) && port && !strcmp(port->network, net->name);
}

static void check_stray_fdb(struct check *c, const struct dp_dump *fdb)
{
	char obj[96], mac[18];

	for (size_t i = 0; i < fdb->n; i++) {
		const struct bpfnet_fdb_key *k = dp_dump_key(fdb, i);
		const struct bpfnet_fdb_val *v = dp_dump_val(fdb, i);

		if (fdb_entry_known(c->st, k, v))
			continue;
		snprintf(obj, sizeof(obj), "fdb[%u %s]", k->net_id, mac_format(k->mac, mac));
		finding_key(finding_add(c, "stray_map_entry", FIX_DELETE_KEY, obj, "a %s FDB entry behind "
			       "ifindex %u, which no port of network id %u accounts for",
			       v->flags & BPFNET_FDB_F_STATIC ? "static" : "learned", v->ifindex,
			       k->net_id), BPFNET_MAP_FDB, k, sizeof(*k));
	}
}

void check_endpoints(struct check *c)
{
	struct dp_dump by_ifindex, by_ip = {}, fdb = {};

	if (check_map_dump(c, BPFNET_MAP_EP_BY_IFINDEX, &by_ifindex))
		return;
	if (!check_map_dump(c, BPFNET_MAP_EP_BY_IP, &by_ip) && !check_map_dump(c, BPFNET_MAP_FDB, &fdb)) {
		for (size_t i = 0; i < c->st->n_eps; i++)
			check_endpoint(c, &c->st->eps[i], &by_ifindex, &by_ip, &fdb);
		check_stray_eps(c, &by_ifindex, &by_ip);
		check_stray_fdb(c, &fdb);
	}
	dp_dump_free(&by_ifindex);
	dp_dump_free(&by_ip);
	dp_dump_free(&fdb);
}

/* Endpoint @ep's port in the flood list of its bridge network @net (the others' are theirs). */
static void check_flood_has(struct check *c, const struct ep_state *ep,
			    const struct net_state *net, const struct dp_dump *flood)
{
	const struct bpfnet_flood *got = NULL;
	char obj[64];

	for (size_t i = 0; i < flood->n && !got; i++)
		if (*(__u32 *)dp_dump_key(flood, i) == net->id)
			got = dp_dump_val(flood, i);
	for (__u32 i = 0; got && i < got->n_ports && i < BPFNET_FLOOD_MAX; i++)
		if (got->ports[i].ifindex == ep->host_ifindex && got->ports[i].ep_id == ep->id)
			return;
	snprintf(obj, sizeof(obj), "flood_ports[%u]", net->id);
	finding_name(finding_add(c, "flood_list_mismatch", FIX_FLOOD, obj, "network '%s' does not "
				 "flood to the port of endpoint '%s'", net->name, ep->name),
		     net->name);
}

/* The findings of check_ports() about ports that lead to @ip, into c->out. */
static void check_ports_of(struct check *c, __be32 ip)
{
	struct findings *out = c->out, all = {};

	c->out = &all;
	check_ports(c);
	c->out = out;
	for (size_t i = 0; i < all.n; i++) {
		const struct finding *f = &all.v[i];
		struct finding *copy;

		if (f->ep_ip != ip)
			continue;
		copy = finding_add(c, f->issue.kind, f->fix, f->issue.object, "%s",
				   f->issue.message);
		if (copy)
			*copy = *f;
	}
	free(all.v);
}

void check_endpoint_maps(struct check *c, const struct ep_state *ep)
{
	const struct net_state *net = state_net(c->st, ep->network);
	struct dp_dump by_ifindex, by_ip = {}, fdb = {}, flood = {};

	if (check_map_dump(c, BPFNET_MAP_EP_BY_IFINDEX, &by_ifindex))
		return;
	if (!check_map_dump(c, BPFNET_MAP_EP_BY_IP, &by_ip) &&
	    !check_map_dump(c, BPFNET_MAP_FDB, &fdb) &&
	    !check_map_dump(c, BPFNET_MAP_FLOOD_PORTS, &flood)) {
		/* a macvlan endpoint's device is the endpoint check's own look */
		if (!ep_is_macvlan(ep))
			check_endpoint(c, ep, &by_ifindex, &by_ip, &fdb);
		if (net && net_is_bridge(net))
			check_flood_has(c, ep, net, &flood);
		check_ports_of(c, ep->ip.s_addr);
	}
	dp_dump_free(&by_ifindex);
	dp_dump_free(&by_ip);
	dp_dump_free(&fdb);
	dp_dump_free(&flood);
}

/* (address, port, proto) of a published container port, as one sortable number. */
static __u64 ep_port_id(__be32 ip, __be16 port, __u8 proto)
{
	return (__u64)ntohl(ip) << 24 | (__u64)ntohs(port) << 8 | proto;
}

static int cmp_id(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* How many of the sorted @ids are @id. */
static __u32 id_count(const __u64 *ids, size_t n, __u64 id)
{
	const __u64 *hit = bsearch(&id, ids, n, sizeof(*ids), cmp_id);
	__u32 count = 0;

	if (!hit)
		return 0;
	while (hit > ids && hit[-1] == id)
		hit--;
	for (; hit < ids + n && *hit == id; hit++)
		count++;
	return count;
}

static void ep_port_report(struct check *c, const char *kind, enum fix fix,
			   const struct bpfnet_ep_port_key *k, __u32 want, __u32 got)
{
	char obj[64], ip[INET_ADDRSTRLEN];
	struct finding *f;

	snprintf(obj, sizeof(obj), "ep_ports[%s:%u/%s]", check_ip(k->ep_ip, ip), ntohs(k->ep_port),
		 k->proto == IPPROTO_UDP ? "udp" : "tcp");
	f = finding_add(c, kind, fix, obj, "%u published port%s lead%s to %s:%u of a routed "
		   "network, ep_ports counts %u", want, want == 1 ? "" : "s", want == 1 ? "s" : "",
		   ip, ntohs(k->ep_port), got);
	finding_key(f, BPFNET_MAP_EP_PORTS, k, sizeof(*k));
	if (f) {
		f->val = want;
		f->ep_ip = k->ep_ip;
	}
}

/*
 * Each of the sorted @want must have its entry in ep_ports (@d): looked up
 * among the entries' ids, sorted once, not by a walk of @d per port.
 */
static void check_ep_ports_there(struct check *c, const __u64 *want, size_t n,
				 const struct dp_dump *d)
{
	__u64 *have = calloc(d->n + 1, sizeof(*have));
	struct bpfnet_ep_port_key k;

	if (!have) {
		c->err = c->err ?: bn_fail(c->bn, -ENOMEM, "out of memory");
		return;
	}
	for (size_t e = 0; e < d->n; e++) {
		const struct bpfnet_ep_port_key *ek = dp_dump_key(d, e);

		have[e] = ep_port_id(ek->ep_ip, ek->ep_port, ek->proto);
	}
	qsort(have, d->n, sizeof(*have), cmp_id);
	for (size_t i = 0; i < n; i++) {
		if ((i && want[i] == want[i - 1]) || id_count(have, d->n, want[i]))
			continue;
		memset(&k, 0, sizeof(k));
		k.ep_ip = htonl(want[i] >> 24);
		k.ep_port = htons((want[i] >> 8) & 0xffff);
		k.proto = want[i] & 0xff;
		ep_port_report(c, "map_entry_missing", FIX_UPDATE_KEY, &k,
			       id_count(want, n, want[i]), 0);
	}
	free(have);
}

/*
 * ep_ports, what routed networks open to direct access, must count the
 * mappings of portmap4 (@pm) that lead to each container port of theirs.
 */
static void check_ep_ports(struct check *c, const struct svc_dump *pm)
{
	__u64 *want = calloc(pm->n + 1, sizeof(*want));
	size_t n = 0;
	struct dp_dump d;

	if (!want) {
		c->err = c->err ?: bn_fail(c->bn, -ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < pm->n; i++) {
		const struct svc_port *p = &pm->ports[i];
		const struct ep_state *ep = ep_by_ip(c->st, p->be.ep_ip);
		const struct net_state *net = ep ? state_net(c->st, ep->network) : NULL;

		if (net && net_is_routed(net))
			want[n++] = ep_port_id(p->be.ep_ip, p->be.ep_port, p->key.proto);
	}
	qsort(want, n, sizeof(*want), cmp_id);
	if (!check_map_dump(c, BPFNET_MAP_EP_PORTS, &d)) {
		for (size_t i = 0; i < d.n; i++) {
			const struct bpfnet_ep_port_key *ek = dp_dump_key(&d, i);
			__u32 got = *(__u32 *)dp_dump_val(&d, i);
			__u32 w = id_count(want, n, ep_port_id(ek->ep_ip, ek->ep_port, ek->proto));

			if (!w)
				ep_port_report(c, "stray_map_entry", FIX_DELETE_KEY, ek, w, got);
			else if (w != got)
				ep_port_report(c, "map_entry_mismatch", FIX_UPDATE_KEY, ek, w, got);
		}
		check_ep_ports_there(c, want, n, &d);
		dp_dump_free(&d);
	}
	free(want);
}

static const char *port_obj(const struct bpfnet_portmap_key *k, char obj[64])
{
	char ip[INET_ADDRSTRLEN];

	snprintf(obj, 64, "%s[%s %s:%u]", BPFNET_MAP_PORTMAP, k->proto == IPPROTO_UDP ? "udp" : "tcp",
		 check_ip(k->host_ip, ip), ntohs(k->host_port));
	return obj;
}

/* (service, slot) of a backend, or (service, count) of a frontend, as one sortable number. */
static __u64 svc_slot_id(__u32 svc_id, __u16 slot)
{
	return (__u64)svc_id << 16 | slot;
}

/* The backends' (service, slot), sorted; the frontends' (service, count), sorted. */
struct svc_index {
	__u64 *slots;
	size_t n_slots;
	__u64 *svcs;
	size_t n_svcs;
};

static int svc_index_build(struct svc_index *ix, const struct svc_dump *pm, const struct dp_dump *be)
{
	ix->slots = calloc(be->n + 1, sizeof(*ix->slots));
	ix->svcs = calloc(pm->n + 1, sizeof(*ix->svcs));
	if (!ix->slots || !ix->svcs)
		return -ENOMEM;
	for (size_t i = 0; i < be->n; i++) {
		const struct bpfnet_backend_key *k = dp_dump_key(be, i);

		ix->slots[ix->n_slots++] = svc_slot_id(k->svc_id, k->slot);
	}
	for (size_t i = 0; i < pm->n; i++)
		ix->svcs[ix->n_svcs++] = svc_slot_id(pm->ports[i].svc_id, pm->ports[i].count);
	qsort(ix->slots, ix->n_slots, sizeof(*ix->slots), cmp_id);
	qsort(ix->svcs, ix->n_svcs, sizeof(*ix->svcs), cmp_id);
	return 0;
}

static void svc_index_free(struct svc_index *ix)
{
	free(ix->slots);
	free(ix->svcs);
}

/* How many of the slots 0..count-1 of @p's service have a backend. */
static __u32 backends_of(const struct svc_port *p, const struct svc_index *ix)
{
	__u32 n = 0;

	for (__u32 slot = 0; slot < p->count; slot++)
		n += id_count(ix->slots, ix->n_slots, svc_slot_id(p->svc_id, slot)) > 0;
	return n;
}

/*
 * A published port must lead to an endpoint of the state through the
 * backends of its service, every slot of its count filled. Where one without
 * them led is lost: the repair unpublishes it (the port is free to publish
 * again), as it does one leading to no endpoint (slot 0's, the one port add
 * writes).
 */
static void check_port_backend(struct check *c, const struct svc_port *p,
			       const struct svc_index *ix)
{
	char obj[64], to[INET_ADDRSTRLEN];
	__u32 have = backends_of(p, ix);
	struct finding *f = NULL;

	if (!p->count || have < p->count)
		f = finding_add(c, "published_port_without_backend", FIX_UNPUBLISH,
				port_obj(&p->key, obj), "a published port whose service %u has %u "
				"of its %u backends in %s: flows to the others are dropped",
				p->svc_id, have, p->count, BPFNET_MAP_BACKENDS);
	else if (!ep_by_ip(c->st, p->be.ep_ip))
		f = finding_add(c, "stray_published_port", FIX_UNPUBLISH, port_obj(&p->key, obj),
				"a published port leading to %s:%u, where no endpoint is",
				check_ip(p->be.ep_ip, to), ntohs(p->be.ep_port));
	finding_key(f, BPFNET_MAP_PORTMAP, &p->key, sizeof(p->key));
	if (f)
		f->ep_ip = p->be.ep_ip;
}

/* Is backend @k in a slot of a service that a published port names (with a count past it)? */
static bool backend_named(const struct svc_index *ix, const struct bpfnet_backend_key *k)
{
	__u64 first = svc_slot_id(k->svc_id, 0);
	size_t lo = 0, hi = ix->n_svcs;

	/* the first frontend of the service, then each of its (one per port naming it) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->svcs[mid] < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ix->n_svcs && ix->svcs[lo] >> 16 == k->svc_id; lo++)
		if (k->slot < (ix->svcs[lo] & 0xffff))
			return true;
	return false;
}

/* Backends of no published port's service: left by a port add or rm cut short. */
static void check_stray_backends(struct check *c, const struct svc_index *ix, const struct dp_dump *d,
				 __u32 *max_id)
{
	char obj[64];

	for (size_t i = 0; i < d->n; i++) {
		const struct bpfnet_backend_key *k = dp_dump_key(d, i);
		const struct bpfnet_backend *be = dp_dump_val(d, i);
		char to[INET_ADDRSTRLEN];
		struct finding *f;

		if (k->svc_id > *max_id)
			*max_id = k->svc_id;
		if (backend_named(ix, k))
			continue;
		snprintf(obj, sizeof(obj), "%s[%u/%u]", BPFNET_MAP_BACKENDS, k->svc_id, k->slot);
		f = finding_add(c, "stray_map_entry", FIX_DELETE_KEY, obj, "a backend of service %u "
				"(to %s:%u), which no published port names",
				k->svc_id, check_ip(be->ep_ip, to), ntohs(be->ep_port));
		finding_key(f, BPFNET_MAP_BACKENDS, k, sizeof(*k));
		if (f)
			f->ep_ip = be->ep_ip;
	}
}

/* The config must hand out service ids past every one in use: a new one never joins another's. */
static void check_svc_ids(struct check *c, __u32 max_id)
{
	const struct bpfnet_config *cfg;
	struct finding *f;
	struct dp_dump d;

	if (check_map_dump(c, BPFNET_MAP_CONFIG, &d))
		return;
	cfg = d.n ? dp_dump_val(&d, 0) : NULL;
	if (cfg && cfg->last_svc_id < max_id) {
		f = finding_add(c, "config_mismatch", FIX_SVC_IDS, BPFNET_MAP_CONFIG "[0]", "config "
				"would hand out service id %u again, which a published port's "
				"service has", cfg->last_svc_id + 1);
		if (f)
			f->val = max_id;
	}
	dp_dump_free(&d);
}

/* Published ports and their backends; ep_ports against them. */
void check_ports(struct check *c)
{
	struct svc_maps sm;
	struct svc_dump d;
	struct dp_dump be;
	__u32 max_id = 0;
	int err = svc_maps_open(&c->dp, &sm);

	if (!err) {
		err = svc_dump(&sm, &d);
		if (err)
			bn_fail(c->bn, err, "cannot read the published ports: %s", strerror(-err));
	}
	if (err) {
		c->err = c->err ?: err;
		return;
	}
	if (!check_map_dump(c, BPFNET_MAP_BACKENDS, &be)) {
		struct svc_index ix = {};

		err = svc_index_build(&ix, &d, &be);
		if (err)
			c->err = c->err ?: bn_fail(c->bn, err, "out of memory");
		for (size_t i = 0; !err && i < d.n; i++) {
			check_port_backend(c, &d.ports[i], &ix);
			if (d.ports[i].svc_id > max_id)
				max_id = d.ports[i].svc_id;
		}
		if (!err) {
			check_stray_backends(c, &ix, &be, &max_id);
			check_svc_ids(c, max_id);
		}
		svc_index_free(&ix);
		dp_dump_free(&be);
	}
	check_ep_ports(c, &d);
	svc_dump_free(&d);
}
