/*
 * Published ports: Docker's -p for bpfnet. They live in the pinned maps
 * themselves (portmap4 and its services' backends, dp/svc.c): they are what
 * the datapath reads, they outlive the control plane, and a map lookup is the
 * cheapest conflict check, so publishing one more port with 50,000 there
 * costs a few lookups rather than a state file rewrite. A call is all or
 * nothing: every spec is parsed and checked for conflicts (same proto,
 * address and port; 0.0.0.0 conflicts with every address) before the first
 * write, and a refused write is undone.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/txn.h"
#include "api/types.h"
#include "dp/maps.h"
#include "dp/node.h"
#include "dp/portmap.h"
#include "dp/svc.h"
#include "model/portspec.h"
#include "sys/netlink.h"
#include "sys/nodecheck.h"
#include "sys/store.h"

/* A mapping in the -p syntax, for messages: "[ffff:...]:65535-65535:65535-65535/udp" */
#define PORTSPEC_TEXT_MAX 96

/* Past this many new ports one read of the whole map beats a lookup per port. */
#define PORT_BULK_THRESHOLD 256
/* How far back a mapping's host address is looked for among those checked (bounds the cost). */
#define HOST_IP_RECHECK_WINDOW 16

/* Which (proto, address, port) are taken, by mappings in the map (bulk) or new ones. */
struct port_index {
	__u8 *wild[2];		/* 0.0.0.0:port taken, per proto */
	__u32 *bound[2];	/* mappings on a specific address using the port, per proto */
	__u64 *specific;	/* proto << 48 | address << 16 | port, sorted */
	size_t n_specific;
};

static __u64 specific_key(__u8 proto, struct in_addr ip, unsigned int port)
{
	return (__u64)proto << 48 | (__u64)ntohl(ip.s_addr) << 16 | port;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void index_free(struct port_index *ix)
{
	for (int p = 0; p < 2; p++) {
		free(ix->wild[p]);
		free(ix->bound[p]);
	}
	free(ix->specific);
}

/* An index of @d's entries (none in lookup mode), with room for @extra new specific ports. */
static int index_build(struct port_index *ix, const struct svc_dump *d, size_t extra)
{
	memset(ix, 0, sizeof(*ix));
	for (int p = 0; p < 2; p++) {
		ix->wild[p] = calloc(PORTS_PER_PROTO, sizeof(*ix->wild[p]));
		ix->bound[p] = calloc(PORTS_PER_PROTO, sizeof(*ix->bound[p]));
	}
	ix->specific = malloc((d->n + extra + 1) * sizeof(*ix->specific));
	if (!ix->wild[0] || !ix->wild[1] || !ix->bound[0] || !ix->bound[1] || !ix->specific)
		return -ENOMEM;
	for (size_t i = 0; i < d->n; i++) {
		const struct bpfnet_portmap_key *k = &d->ports[i].key;
		struct in_addr ip = { k->host_ip };
		unsigned int port = ntohs(k->host_port);
		int s = proto_slot(k->proto);

		if (k->host_ip == INADDR_ANY) {
			ix->wild[s][port] = 1;
		} else {
			ix->bound[s][port]++;
			ix->specific[ix->n_specific++] = specific_key(k->proto, ip, port);
		}
	}
	qsort(ix->specific, ix->n_specific, sizeof(*ix->specific), cmp_u64);
	return 0;
}

/* Take one port for @m in the index, or say it is taken. */
static int index_take(struct port_index *ix, const struct port_map *m,
		      unsigned int port, __u64 *new_specific, size_t *n_new)
{
	int s = proto_slot(m->proto);
	__u64 key;

	if (ix->wild[s][port])
		return -EADDRINUSE;
	if (m->host_ip.s_addr == INADDR_ANY) {
		if (ix->bound[s][port])
			return -EADDRINUSE;
		ix->wild[s][port] = 1;
		return 0;
	}
	key = specific_key(m->proto, m->host_ip, port);
	if (bsearch(&key, ix->specific, ix->n_specific, sizeof(key), cmp_u64))
		return -EADDRINUSE;
	ix->bound[s][port]++;
	new_specific[(*n_new)++] = key;
	return 0;
}

/* Is the port published (with a backend or without), and where does it lead (@be)? */
static int map_has(const struct svc_maps *sm, __be32 ip, unsigned int port, __u8 proto,
		   struct bpfnet_backend *be)
{
	struct bpfnet_portmap_key k = { .host_ip = ip, .host_port = htons(port), .proto = proto };

	return svc_port_lookup(sm, &k, be) != -ENOENT;
}

/* Lookup mode: is (proto, address, port) of @m held in the map? The holder lands in @be. */
static bool map_taken(const struct svc_maps *sm, const struct state *st,
		      const struct port_map *m, unsigned int port,
		      struct bpfnet_backend *be)
{
	if (map_has(sm, INADDR_ANY, port, m->proto, be))
		return true;
	if (m->host_ip.s_addr != INADDR_ANY)
		return map_has(sm, m->host_ip.s_addr, port, m->proto, be);
	for (size_t i = 0; i < st->n_bound_ips; i++)
		if (map_has(sm, st->bound_ips[i].s_addr, port, m->proto, be))
			return true;
	return false;
}

static const char *endpoint_of_ip(const struct state *st, __be32 ip)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].ip.s_addr == ip)
			return st->eps[i].name;
	return "?";
}

static int conflict_error(struct bpfnet *bn, const struct port_map *m,
			  unsigned int port, const char *holder)
{
	char ip[INET_ADDRSTRLEN];
	const char *proto = m->proto == IPPROTO_UDP ? "udp" : "tcp";

	inet_ntop(AF_INET, &m->host_ip, ip, sizeof(ip));
	if (holder)
		return bn_fail(bn, -EADDRINUSE, "%s:%u/%s conflicts with a port published by "
			       "endpoint '%s'", ip, port, proto, holder);
	return bn_fail(bn, -EADDRINUSE, "%s:%u/%s conflicts with another mapping of this call",
		       ip, port, proto);
}

/* What conflicts are checked against: the whole map read once, or lookups one by one. */
struct port_check {
	const struct svc_maps *sm;
	bool bulk;
	struct svc_dump dump;
	struct port_index ix;
	__u64 *fresh;		/* specific (proto, address, port) of this call */
	size_t n_fresh;
};

static const char *bulk_holder(const struct port_check *c, const struct state *st,
			       const struct port_map *m, unsigned int port)
{
	for (size_t i = 0; i < c->dump.n; i++) {
		const struct bpfnet_portmap_key *k = &c->dump.ports[i].key;

		if (k->proto == m->proto && ntohs(k->host_port) == port &&
		    (k->host_ip == INADDR_ANY || m->host_ip.s_addr == INADDR_ANY ||
		     k->host_ip == m->host_ip.s_addr))
			return endpoint_of_ip(st, c->dump.ports[i].be.ep_ip);
	}
	return NULL;
}

static int check_port(struct bpfnet *bn, struct port_check *c, const struct state *st,
		      const struct port_map *m, unsigned int port)
{
	struct bpfnet_backend be;

	if (!c->bulk && map_taken(c->sm, st, m, port, &be))
		return conflict_error(bn, m, port, endpoint_of_ip(st, be.ep_ip));
	if (index_take(&c->ix, m, port, c->fresh, &c->n_fresh))
		return conflict_error(bn, m, port, c->bulk ? bulk_holder(c, st, m, port) : NULL);
	return 0;
}

/* Two mappings of this call on the same specific address and port. */
static int check_fresh_duplicates(struct bpfnet *bn, struct port_check *c)
{
	qsort(c->fresh, c->n_fresh, sizeof(*c->fresh), cmp_u64);
	for (size_t i = 1; i < c->n_fresh; i++)
		if (c->fresh[i] == c->fresh[i - 1])
			return bn_fail(bn, -EADDRINUSE, "port %u/%s is given twice in this call",
				       (unsigned int)(c->fresh[i] & 0xffff),
				       c->fresh[i] >> 48 == IPPROTO_UDP ? "udp" : "tcp");
	return 0;
}

/* Public mapping @m as this library can publish it: TCP or UDP, IPv4, ranges that match. */
static int map_check_public(struct bpfnet *bn, const struct bpfnet_port_mapping *m)
{
	char spec[PORTSPEC_TEXT_MAX];
	struct in_addr ip;

	if (m->proto != BPFNET_PROTO_TCP && m->proto != BPFNET_PROTO_UDP)
		return bn_fail(bn, -EINVAL, "invalid port mapping: protocol %d: tcp (%d) or udp "
			       "(%d)", m->proto, BPFNET_PROTO_TCP, BPFNET_PROTO_UDP);
	portspec_format(m, spec, sizeof(spec));
	if (!m->host_port || m->host_port > m->host_port_last || !m->container_port ||
	    m->container_port > m->container_port_last)
		return bn_fail(bn, -EINVAL, "invalid port mapping '%s': ports are 1-65535, a "
			       "range is FIRST-LAST", spec);
	if (m->host_port_last - m->host_port != m->container_port_last - m->container_port)
		return bn_fail(bn, -EINVAL, "invalid port mapping '%s': host range and container "
			       "range differ in length", spec);
	if (m->host_addr.family != AF_UNSPEC)
		return bn_addr4(bn, &m->host_addr, "port mapping host address", &ip);
	return 0;
}

/* The library's record of public mapping @m (checked) of endpoint @ep. */
static void map_from_public(const struct ep_state *ep, const struct bpfnet_port_mapping *m,
			    struct port_map *out)
{
	memset(out, 0, sizeof(*out));
	strcpy(out->endpoint, ep->name);
	out->proto = m->proto;
	if (m->host_addr.family == AF_INET)
		out->host_ip = m->host_addr.v4;
	out->host_port = m->host_port;
	out->host_port_last = m->host_port_last;
	out->container_port = m->container_port;
	out->container_ip = ep->ip;
}

static int maps_from_public(const struct ep_state *ep,
			    const struct bpfnet_port_mapping *maps, size_t n, struct port_map *out,
			    size_t *n_ports)
{
	*n_ports = 0;
	for (size_t i = 0; i < n; i++) {
		map_from_public(ep, &maps[i], &out[i]);
		*n_ports += mapping_ports(&out[i]);
	}
	return 0;
}

/* The public view of record @m. */
static void map_to_public(const struct port_map *m, struct bpfnet_port_mapping *out)
{
	memset(out, 0, sizeof(*out));
	strcpy(out->endpoint, m->endpoint);
	out->proto = m->proto;
	out->host_addr = bpfnet_addr_ip4(m->host_ip);
	out->host_port = m->host_port;
	out->host_port_last = m->host_port_last;
	out->container_port = m->container_port;
	out->container_port_last = m->container_port + (m->host_port_last - m->host_port);
	out->container_addr = bpfnet_addr_ip4(m->container_ip);
}

/* Was the host address of mapping @i checked already? A call of 20,000 specs has few. */
static bool host_ip_seen(const struct port_map *maps, size_t i)
{
	for (size_t k = i; k-- > 0 && i - k <= HOST_IP_RECHECK_WINDOW;)
		if (maps[k].host_ip.s_addr == maps[i].host_ip.s_addr)
			return true;
	return false;
}

/* Every host address must be the node's (or 0.0.0.0, or loopback): nothing else is reached. */
static int check_host_ips(struct bpfnet *bn, const struct port_map *maps, size_t n)
{
	struct nl *nl;
	int err = nl_open(&nl, -1);

	if (err)
		return bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
	for (size_t i = 0; i < n && !err; i++)
		if (!host_ip_seen(maps, i))
			err = node_check_host_ip(bn, nl, maps[i].host_ip);
	nl_close(nl);
	return err;
}

/* Conflict-check @n parsed mappings; nothing is changed. */
static int ports_check(struct bpfnet *bn, const struct state *st, const struct svc_maps *sm,
		       const struct port_map *maps, size_t n, size_t n_ports)
{
	struct port_check c = { .sm = sm, .bulk = n_ports > PORT_BULK_THRESHOLD };
	int err = c.bulk ? svc_dump(sm, &c.dump) : 0;

	if (!err)
		err = index_build(&c.ix, &c.dump, n_ports);
	if (!err && !(c.fresh = malloc((n_ports + 1) * sizeof(*c.fresh))))
		err = -ENOMEM;
	if (err)
		err = bn_fail(bn, err, "cannot read the published ports: %s", strerror(-err));
	for (size_t i = 0; i < n && !err; i++)
		for (unsigned int p = maps[i].host_port; p <= maps[i].host_port_last && !err; p++)
			err = check_port(bn, &c, st, &maps[i], p);
	if (!err)
		err = check_fresh_duplicates(bn, &c);
	free(c.fresh);
	index_free(&c.ix);
	svc_dump_free(&c.dump);
	return err;
}

static int endpoint_for_ports(struct bpfnet *bn, struct state *st, const char *name,
			      struct ep_state **ep)
{
	*ep = name ? state_ep(st, name) : NULL;
	if (!*ep)
		return bn_fail(bn, -ENOENT, "no endpoint '%s'",
			       name ? name : "");
	return 0;
}

/* An internal network has no way in, a macvlan one no BPF: nothing of them can be published. */
static int endpoint_publishable(struct bpfnet *bn, struct state *st,
				const struct ep_state *ep)
{
	const struct net_state *net = state_net(st, ep->network);

	if (net && net->internal)
		return bn_fail(bn, -EPERM, "endpoint '%s' is on internal network '%s', which has "
			       "no way in or out: ports can be published only for endpoints of "
			       "other networks", ep->name, net->name);
	if (ep_is_macvlan(ep))
		return bn_fail(bn, -EPERM, "endpoint '%s' is on macvlan network '%s', which "
			       "publishes no port: its traffic goes from its macvlan straight to "
			       "the parent %s, past no BPF program that could translate it; the "
			       "segment reaches it at its own address %s", ep->name, ep->network,
			       ep->parent, inet_ntoa(ep->ip));
	return 0;
}

/* Remember the addresses the mappings bind to; the state is saved only when one is new. */
static int note_bound_ips(struct bpfnet *bn, struct state *st,
			  const struct port_map *maps, size_t n)
{
	int added, any = 0, err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		if (maps[i].host_ip.s_addr == INADDR_ANY)
			continue;
		err = state_add_bound_ip(st, maps[i].host_ip, &added);
		any |= added;
	}
	if (err)
		return bn_fail(bn, err, "out of memory");
	return any ? state_save(bn, st) : 0;
}

/* Publish @maps in portmap4 and ep_ports, or in neither; the first error's message is kept. */
static int ports_publish(struct dp *dp, struct state *st, const struct ep_state *ep,
			 const struct port_map *maps, size_t n, size_t n_ports)
{
	struct bpfnet *bn = dp->bn;
	char msg[sizeof(bn->errmsg)];
	int err = ports_write(dp, maps, n, n_ports, false);

	if (err)
		return err;
	err = ep_ports_update(dp, st, ep, maps, n);
	if (err) {
		memcpy(msg, bn->errmsg, sizeof(msg));
		ports_write(dp, maps, n, n_ports, true);
		ep_ports_update(dp, st, ep, maps, n);
		memcpy(bn->errmsg, msg, sizeof(msg));
	}
	return err;
}

/* One port add or rm: its arguments, and what it works out on the way. */
struct ports_call {
	const char *endpoint;
	const struct bpfnet_port_mapping *pub;
	size_t n;
	struct port_map *maps;		/* @pub as the library keeps them */
	size_t n_ports;
	struct ep_state *ep;
	struct svc_maps sm;		/* the maps of published ports, of the txn's handle */
};

/* The checks found every port free: whatever is there now is this call's. */
static void ports_add_failed(struct txn *t, void *arg)
{
	struct ports_call *c = arg;

	ports_write(&t->dp, c->maps, c->n, c->n_ports, true);
	ep_ports_update(&t->dp, &t->st, c->ep, c->maps, c->n);
}

static int ports_add_locked(struct txn *t, struct ports_call *c)
{
	struct bpfnet *bn = t->bn;
	struct state *st = &t->st;
	int err;

	/* every check passed, the intent goes to disk: a kill is undone by the next command */
	err = endpoint_for_ports(bn, st, c->endpoint, &c->ep) ?:
	      endpoint_publishable(bn, st, c->ep) ?:
	      maps_from_public(c->ep, c->pub, c->n, c->maps, &c->n_ports) ?:
	      check_host_ips(bn, c->maps, c->n) ?:
	      ports_check(bn, st, &c->sm, c->maps, c->n, c->n_ports) ?:
	      note_bound_ips(bn, st, c->maps, c->n) ?: txn_record_ports(t, c->ep, c->maps, c->n);
	if (err)
		return err;
	txn_on_failure(t, ports_add_failed, c);
	return node_addrs_sync(&t->dp) ?:
	       ports_publish(&t->dp, st, c->ep, c->maps, c->n, c->n_ports) ?: txn_commit(t);
}

/* What every port change starts with, under the lock: an initialized node, the maps. */
static int ports_begin(struct txn *t, struct ports_call *c)
{
	if (!t->st.node.initialized)
		return bn_fail(t->bn, -ENOENT, "the node is not initialized");
	return svc_maps_open(&t->dp, &c->sm);
}

static int ports_add_change(struct txn *t, void *c)
{
	return ports_begin(t, c) ?: ports_add_locked(t, c);
}

static int ports_remove_change(struct txn *t, void *c);

static int ports_change(struct bpfnet *bn, const char *endpoint,
			const struct bpfnet_port_mapping *pub, size_t n, enum journal_op op)
{
	struct ports_call c = { .endpoint = endpoint, .pub = pub, .n = n };
	int err;

	if (!n || !pub)
		return bn_fail(bn, -EINVAL, "no port mapping given");
	/* what no state can make right is refused before anything is locked or read */
	for (size_t i = 0; i < n; i++) {
		err = map_check_public(bn, &pub[i]);
		if (err)
			return err;
	}
	c.maps = calloc(n + 1, sizeof(*c.maps));
	if (!c.maps)
		return bn_fail(bn, -ENOMEM, "out of memory");
	err = txn_run(bn, op, op == JOURNAL_PORT_ADD ? ports_add_change : ports_remove_change, &c);
	free(c.maps);
	return err;
}

int bpfnet_port__add(struct bpfnet *bn, const char *endpoint,
		     const struct bpfnet_port_mapping *maps, size_t n)
{
	return ports_change(bn, endpoint, maps, n, JOURNAL_PORT_ADD);
}

/* Every port of @m must be published by its endpoint, to the same container port. */
static int check_owned(struct bpfnet *bn, const struct svc_maps *sm, const struct port_map *m,
		       const struct bpfnet_port_mapping *pub)
{
	char spec[PORTSPEC_TEXT_MAX];
	struct bpfnet_backend be;

	portspec_format(pub, spec, sizeof(spec));
	for (unsigned int off = 0; off < mapping_ports(m); off++) {
		if (!map_has(sm, m->host_ip.s_addr, m->host_port + off, m->proto, &be) ||
		    be.ep_ip != m->container_ip.s_addr ||
		    ntohs(be.ep_port) != m->container_port + off)
			return bn_fail(bn, -ENOENT, "%s is not published by endpoint '%s' (port "
				       "%u)", spec, m->endpoint,
				       m->host_port + off);
	}
	return 0;
}

static int ports_remove_locked(struct txn *t, struct ports_call *c)
{
	struct bpfnet *bn = t->bn;
	int err;

	err = endpoint_for_ports(bn, &t->st, c->endpoint, &c->ep) ?:
	      maps_from_public(c->ep, c->pub, c->n, c->maps, &c->n_ports);
	for (size_t i = 0; i < c->n && !err; i++)
		err = check_owned(bn, &c->sm, &c->maps[i], &c->pub[i]);
	/* not published: fine for a re-run of the removal this call's recovery finished */
	if (err == -ENOENT && c->ep &&
	    journal_finished(bn, JOURNAL_PORT_REMOVE, c->ep->name, c->maps, c->n))
		return 0;
	/* once recorded, a removal is finished: by the next command if this one fails */
	return err ?: txn_record_ports(t, c->ep, c->maps, c->n) ?:
	       ports_write(&t->dp, c->maps, c->n, c->n_ports, true) ?:
	       ep_ports_update(&t->dp, &t->st, c->ep, c->maps, c->n) ?:
	       ports_end_flows(&t->dp, c->maps, c->n) ?: txn_commit(t);
}

static int ports_remove_change(struct txn *t, void *c)
{
	return ports_begin(t, c) ?: ports_remove_locked(t, c);
}

int bpfnet_port__remove(struct bpfnet *bn, const char *endpoint,
			const struct bpfnet_port_mapping *maps, size_t n)
{
	return ports_change(bn, endpoint, maps, n, JOURNAL_PORT_REMOVE);
}

static int cmp_port(const void *a, const void *b)
{
	const struct port_map *x = a, *y = b;
	int c = strcmp(x->endpoint, y->endpoint);

	if (c)
		return c;
	if (x->proto != y->proto)
		return x->proto - y->proto;
	if (x->host_ip.s_addr != y->host_ip.s_addr)
		return ntohl(x->host_ip.s_addr) < ntohl(y->host_ip.s_addr) ? -1 : 1;
	return (int)x->host_port - (int)y->host_port;
}

/* Single-port mappings, sorted, folded into ranges where ports run on together. */
static size_t fold_ranges(struct port_map *m, size_t n)
{
	size_t out = 0;

	qsort(m, n, sizeof(*m), cmp_port);
	for (size_t i = 0; i < n; i++) {
		struct port_map *last = out ? &m[out - 1] : NULL;

		if (last && !strcmp(last->endpoint, m[i].endpoint) && last->proto == m[i].proto &&
		    last->host_ip.s_addr == m[i].host_ip.s_addr &&
		    m[i].host_port == last->host_port_last + 1 &&
		    m[i].container_port == last->container_port + mapping_ports(last))
			last->host_port_last = m[i].host_port;
		else
			m[out++] = m[i];
	}
	return out;
}

static int list_from_dump(struct bpfnet *bn, const struct state *st, const char *endpoint,
			  const struct svc_dump *d, struct bpfnet_port_mapping **out,
			  size_t *count)
{
	struct port_map *m = calloc(d->n + 1, sizeof(*m));
	struct bpfnet_port_mapping *pub;
	size_t n = 0;

	if (!m)
		return bn_fail(bn, -ENOMEM, "out of memory");
	for (size_t i = 0; i < d->n; i++) {
		const struct svc_port *p = &d->ports[i];
		const char *ep = endpoint_of_ip(st, p->be.ep_ip);

		if (endpoint && strcmp(ep, endpoint))
			continue;
		snprintf(m[n].endpoint, sizeof(m[n].endpoint), "%s", ep);
		m[n].proto = p->key.proto;
		m[n].host_ip.s_addr = p->key.host_ip;
		m[n].host_port = m[n].host_port_last = ntohs(p->key.host_port);
		m[n].container_ip.s_addr = p->be.ep_ip;
		m[n].container_port = ntohs(p->be.ep_port);
		n++;
	}
	n = fold_ranges(m, n);
	pub = calloc(n + 1, sizeof(*pub));
	for (size_t i = 0; pub && i < n; i++)
		map_to_public(&m[i], &pub[i]);
	free(m);
	if (!pub)
		return bn_fail(bn, -ENOMEM, "out of memory");
	*out = pub;
	*count = n;
	return 0;
}

int bpfnet_port_spec_parse(const char *spec, struct bpfnet_port_mapping *out)
{
	char why[BN_ERRMSG_MAX - 32];

	if (!spec || !out)
		return bn_fail_nohandle(-EINVAL, "invalid port mapping: none given");
	if (portspec_parse(spec, out, why, sizeof(why)))
		return bn_fail_nohandle(-EINVAL, "invalid port mapping %s", why);
	return 0;
}

char *bpfnet_port_spec(const struct bpfnet_port_mapping *m, char *buf, size_t len)
{
	return portspec_format(m, buf, len);
}

int bpfnet_port__list(struct bpfnet *bn, const char *endpoint, struct bpfnet_port_mapping **out,
		      size_t *count)
{
	struct svc_dump d = {};
	struct svc_maps sm;
	struct state st;
	struct dp dp;
	int err = state_load(bn, &st);

	if (err)
		return err;
	if (endpoint && !state_ep(&st, endpoint)) {
		err = bn_fail(bn, -ENOENT, "no endpoint '%s'",
			      endpoint);
	} else if (!st.node.initialized) {
		*out = NULL;	/* nothing can be published before init */
		*count = 0;
	} else {
		dp_init(&dp, bn);
		err = svc_maps_open(&dp, &sm);
		if (!err) {
			err = svc_dump(&sm, &d);
			err = err ? bn_fail(bn, err, "cannot read the published ports: %s",
					    strerror(-err)) :
				    list_from_dump(bn, &st, endpoint, &d, out, count);
		}
		dp_close(&dp);
	}
	svc_dump_free(&d);
	state_free(&st);
	return err;
}
