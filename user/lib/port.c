// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Published ports: Docker's -p for bpfnet. A call is all or nothing: every
 * spec is parsed and checked for conflicts (same proto, address and port;
 * 0.0.0.0 conflicts with every address) before the first map write, and map
 * writes are undone if the state cannot be saved.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "internal.h"
#include "ct.h"
#include "datapath.h"
#include "node.h"
#include "port.h"
#include "portspec.h"
#include "state.h"

#define PORTS_PER_PROTO 65536

/* Which (proto, address, port) are taken, by existing and by new mappings. */
struct port_index {
	__u8 *wild[2];		/* 0.0.0.0:port taken, per proto */
	__u32 *bound[2];	/* mappings on a specific address using the port, per proto */
	__u64 *specific;	/* proto << 48 | address << 16 | port, sorted */
	size_t n_specific;
};

static int proto_slot(__u8 proto)
{
	return proto == IPPROTO_UDP;
}

static __u64 specific_key(__u8 proto, struct in_addr ip, unsigned int port)
{
	return (__u64)proto << 48 | (__u64)ntohl(ip.s_addr) << 16 | port;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static size_t mapping_ports(const struct bpfnet_port_mapping *m)
{
	return (size_t)m->host_port_last - m->host_port + 1;
}

static void index_free(struct port_index *ix)
{
	for (int p = 0; p < 2; p++) {
		free(ix->wild[p]);
		free(ix->bound[p]);
	}
	free(ix->specific);
}

static int index_build(struct port_index *ix, const struct bpfnet_port_mapping *maps, size_t n,
		       size_t extra)
{
	size_t total = extra;

	memset(ix, 0, sizeof(*ix));
	for (size_t i = 0; i < n; i++)
		total += mapping_ports(&maps[i]);
	for (int p = 0; p < 2; p++) {
		ix->wild[p] = calloc(PORTS_PER_PROTO, sizeof(*ix->wild[p]));
		ix->bound[p] = calloc(PORTS_PER_PROTO, sizeof(*ix->bound[p]));
	}
	ix->specific = malloc((total + 1) * sizeof(*ix->specific));
	if (!ix->wild[0] || !ix->wild[1] || !ix->bound[0] || !ix->bound[1] || !ix->specific)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct bpfnet_port_mapping *m = &maps[i];
		int s = proto_slot(m->proto);

		for (unsigned int port = m->host_port; port <= m->host_port_last; port++) {
			if (m->host_ip.s_addr == INADDR_ANY) {
				ix->wild[s][port] = 1;
			} else {
				ix->bound[s][port]++;
				ix->specific[ix->n_specific++] = specific_key(m->proto, m->host_ip, port);
			}
		}
	}
	qsort(ix->specific, ix->n_specific, sizeof(*ix->specific), cmp_u64);
	return 0;
}

/* Take one port for @m, or say it is taken. New specific keys are checked in one pass later. */
static int index_take(struct port_index *ix, const struct bpfnet_port_mapping *m,
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

/* Who holds (proto, address, port): for the error message. */
static const char *holder_of(const struct state *st, const struct bpfnet_port_mapping *m,
			     unsigned int port)
{
	for (size_t i = 0; i < st->n_ports; i++) {
		const struct bpfnet_port_mapping *o = &st->ports[i];

		if (o->proto == m->proto && port >= o->host_port && port <= o->host_port_last &&
		    (o->host_ip.s_addr == INADDR_ANY || m->host_ip.s_addr == INADDR_ANY ||
		     o->host_ip.s_addr == m->host_ip.s_addr))
			return o->endpoint;
	}
	return NULL;
}

static int conflict_error(struct bpfnet *bn, const struct state *st,
			  const struct bpfnet_port_mapping *m, unsigned int port)
{
	char ip[INET_ADDRSTRLEN];
	const char *who = holder_of(st, m, port);

	inet_ntop(AF_INET, &m->host_ip, ip, sizeof(ip));
	if (who)
		return bn_fail(bn, -EADDRINUSE, "%s:%u/%s is already published by endpoint '%s'",
			       ip, port, m->proto == IPPROTO_UDP ? "udp" : "tcp", who);
	return bn_fail(bn, -EADDRINUSE, "%s:%u/%s is given twice in this call", ip, port,
		       m->proto == IPPROTO_UDP ? "udp" : "tcp");
}

/* Parse and conflict-check @n specs for @ep into @out; nothing is changed yet. */
static int ports_check(struct bpfnet *bn, const struct state *st,
		       const struct bpfnet_endpoint_info *ep, const char *const *specs, size_t n,
		       struct bpfnet_port_mapping *out, size_t *n_ports)
{
	struct port_index ix;
	__u64 *fresh = NULL;
	size_t n_fresh = 0, total = 0;
	char why[160];
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (portspec_parse(specs[i], &out[i], why, sizeof(why)))
			return bn_fail(bn, -EINVAL, "invalid port mapping %s", why);
		strcpy(out[i].endpoint, ep->name);
		out[i].container_ip = ep->ip;
		total += mapping_ports(&out[i]);
	}
	err = index_build(&ix, st->ports, st->n_ports, total);
	if (!err && !(fresh = malloc((total + 1) * sizeof(*fresh))))
		err = -ENOMEM;
	for (size_t i = 0; i < n && !err; i++)
		for (unsigned int p = out[i].host_port; p <= out[i].host_port_last && !err; p++)
			if (index_take(&ix, &out[i], p, fresh, &n_fresh))
				err = conflict_error(bn, st, &out[i], p);
	if (!err) {
		/* two new mappings on the same specific address and port */
		qsort(fresh, n_fresh, sizeof(*fresh), cmp_u64);
		for (size_t i = 1; i < n_fresh && !err; i++)
			if (fresh[i] == fresh[i - 1])
				err = bn_fail(bn, -EADDRINUSE, "port %u/%s is given twice in this call",
					      (unsigned int)(fresh[i] & 0xffff),
					      fresh[i] >> 48 == IPPROTO_UDP ? "udp" : "tcp");
	}
	free(fresh);
	index_free(&ix);
	*n_ports = total;
	return err == -ENOMEM ? bn_fail(bn, err, "out of memory") : err;
}

static void portmap_entry(const struct bpfnet_port_mapping *m, unsigned int off,
			  struct bpfnet_portmap_key *k, struct bpfnet_portmap_val *v)
{
	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	k->host_ip = m->host_ip.s_addr;
	k->host_port = htons(m->host_port + off);
	k->proto = m->proto;
	v->ep_ip = m->container_ip.s_addr;
	v->ep_port = htons(m->container_port + off);
}

/* Write (or delete, when @del) the map entries of @n mappings in batches. */
static int portmap_write(struct bpfnet *bn, const struct bpfnet_port_mapping *maps, size_t n,
			 size_t n_ports, bool del)
{
	struct bpfnet_portmap_key *keys = calloc(n_ports + 1, sizeof(*keys));
	struct bpfnet_portmap_val *vals = calloc(n_ports + 1, sizeof(*vals));
	int fd = dp_map_fd(bn, BPFNET_MAP_PORTMAP), err = 0;
	__u32 count = 0, done;

	if (fd < 0 || !keys || !vals) {
		err = fd < 0 ? fd : bn_fail(bn, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		for (unsigned int off = 0; off < mapping_ports(&maps[i]); off++, count++)
			portmap_entry(&maps[i], off, &keys[count], &vals[count]);
	done = count;
	if (del) {
		/* one by one: a batch delete stops at the first missing key */
		for (__u32 i = 0; i < count; i++)
			bpf_map_delete_elem(fd, &keys[i]);
	} else if (count && bpf_map_update_batch(fd, keys, vals, &done, NULL)) {
		err = -errno;
		for (__u32 i = 0; i < done; i++)
			bpf_map_delete_elem(fd, &keys[i]);
		bn_fail(bn, err, "cannot publish: portmap4 refused %u entries (%s; at most %d "
			"ports)", count - done, strerror(-err), BPFNET_PORTMAP_MAX);
	}
out:
	if (fd >= 0)
		close(fd);
	free(keys);
	free(vals);
	return err;
}

static int endpoint_for_ports(struct bpfnet *bn, struct state *st, const char *name,
			      struct bpfnet_endpoint_info **ep)
{
	if (!st->node.initialized)
		return bn_fail(bn, -ENOENT, "the node is not initialized: run 'bpfnet init "
			       "--uplink DEV' first");
	*ep = name ? state_ep(st, name) : NULL;
	if (!*ep)
		return bn_fail(bn, -ENOENT, "no endpoint '%s' ('bpfnet endpoint ls' lists them)",
			       name ? name : "");
	return 0;
}

static int ports_add_locked(struct bpfnet *bn, struct state *st, const char *endpoint,
			    const char *const *specs, size_t n)
{
	struct bpfnet_port_mapping *maps = calloc(n + 1, sizeof(*maps));
	struct bpfnet_endpoint_info *ep;
	size_t n_ports = 0;
	int err;

	if (!maps)
		return bn_fail(bn, -ENOMEM, "out of memory");
	err = endpoint_for_ports(bn, st, endpoint, &ep) ?:
	      ports_check(bn, st, ep, specs, n, maps, &n_ports) ?: node_addrs_sync(bn) ?:
	      portmap_write(bn, maps, n, n_ports, false);
	if (!err) {
		err = state_add_ports(st, maps, n) ?: state_save(bn, st);
		if (err)
			portmap_write(bn, maps, n, n_ports, true);
	}
	free(maps);
	return err;
}

int bpfnet_port__add(struct bpfnet *bn, const char *endpoint, const char *const *specs, size_t n)
{
	struct state st;
	int err;

	if (!n)
		return bn_fail(bn, -EINVAL, "no port mapping given");
	bn->errmsg[0] = '\0';
	err = bn_lock(bn) ?: state_load(bn, &st);
	if (err)
		goto unlock;
	err = ports_add_locked(bn, &st, endpoint, specs, n);
	state_free(&st);
unlock:
	bn_unlock(bn);
	return err;
}

/*
 * Take the ports of @r out of its endpoint's mappings, splitting a range
 * when @r is in its middle. -ENOENT when they are not published like that.
 */
static int ports_cut(struct bpfnet *bn, struct state *st, const struct bpfnet_port_mapping *r,
		     const char *spec)
{
	for (size_t i = 0; i < st->n_ports; i++) {
		struct bpfnet_port_mapping *s = &st->ports[i], right;

		if (strcmp(s->endpoint, r->endpoint) || s->proto != r->proto ||
		    s->host_ip.s_addr != r->host_ip.s_addr || r->host_port < s->host_port ||
		    r->host_port_last > s->host_port_last ||
		    s->container_port + (r->host_port - s->host_port) != r->container_port)
			continue;
		right = *s;
		right.host_port = r->host_port_last + 1;
		right.container_port = r->container_port + mapping_ports(r);
		if (r->host_port > s->host_port) {
			s->host_port_last = r->host_port - 1;
			if (r->host_port_last < right.host_port_last)
				return state_add_ports(st, &right, 1);
		} else if (r->host_port_last < s->host_port_last) {
			*s = right;
		} else {
			*s = st->ports[--st->n_ports];
		}
		return 0;
	}
	return bn_fail(bn, -ENOENT, "%s is not published by endpoint '%s' ('bpfnet port ls')",
		       spec, r->endpoint);
}

/* The published ports being removed, per proto and port, with the address they were on. */
struct removed_ports {
	__u8 *port[2];
	__be32 *host_ip[2];
};

static bool flow_of_removed_port(const struct bpfnet_ct_key *k, const struct bpfnet_ct_entry *e,
				 void *arg)
{
	struct removed_ports *rp = arg;
	int s = proto_slot(k->proto);
	unsigned int port = ntohs(k->dport);

	if (!(e->flags & (BPFNET_CT_F_PORTMAP | BPFNET_CT_F_HAIRPIN)) ||
	    (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP) || !rp->port[s][port])
		return false;
	return rp->host_ip[s][port] == INADDR_ANY || rp->host_ip[s][port] == k->daddr;
}

/* End the flows of removed mappings, so no client keeps reaching the old target (moby#8795). */
static int ports_end_flows(struct bpfnet *bn, const struct bpfnet_port_mapping *maps, size_t n)
{
	struct removed_ports rp = {};
	int err = 0;

	for (int s = 0; s < 2 && !err; s++) {
		rp.port[s] = calloc(PORTS_PER_PROTO, sizeof(*rp.port[s]));
		rp.host_ip[s] = calloc(PORTS_PER_PROTO, sizeof(*rp.host_ip[s]));
		if (!rp.port[s] || !rp.host_ip[s])
			err = bn_fail(bn, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && !err; i++) {
		int s = proto_slot(maps[i].proto);

		for (unsigned int p = maps[i].host_port; p <= maps[i].host_port_last; p++) {
			/* two addresses on one port: end the flows of both, not too few */
			rp.host_ip[s][p] = rp.port[s][p] ? INADDR_ANY : maps[i].host_ip.s_addr;
			rp.port[s][p] = 1;
		}
	}
	if (!err)
		err = ct_flush_matching(bn, flow_of_removed_port, &rp, NULL);
	for (int s = 0; s < 2; s++) {
		free(rp.port[s]);
		free(rp.host_ip[s]);
	}
	return err;
}

static int ports_remove_locked(struct bpfnet *bn, struct state *st, const char *endpoint,
			       const char *const *specs, size_t n)
{
	struct bpfnet_port_mapping *maps = calloc(n + 1, sizeof(*maps));
	struct bpfnet_endpoint_info *ep;
	size_t n_ports = 0;
	char why[160];
	int err;

	if (!maps)
		return bn_fail(bn, -ENOMEM, "out of memory");
	err = endpoint_for_ports(bn, st, endpoint, &ep);
	for (size_t i = 0; i < n && !err; i++) {
		if (portspec_parse(specs[i], &maps[i], why, sizeof(why))) {
			err = bn_fail(bn, -EINVAL, "invalid port mapping %s", why);
			break;
		}
		strcpy(maps[i].endpoint, ep->name);
		maps[i].container_ip = ep->ip;
		n_ports += mapping_ports(&maps[i]);
		err = ports_cut(bn, st, &maps[i], specs[i]);
	}
	if (!err)
		err = portmap_write(bn, maps, n, n_ports, true);
	if (!err) {
		err = state_save(bn, st);
		if (err)	/* put back what the saved state still has */
			portmap_write(bn, maps, n, n_ports, false);
	}
	if (!err)
		err = ports_end_flows(bn, maps, n);
	free(maps);
	return err;
}

int bpfnet_port__remove(struct bpfnet *bn, const char *endpoint, const char *const *specs,
			size_t n)
{
	struct state st;
	int err;

	if (!n)
		return bn_fail(bn, -EINVAL, "no port mapping given");
	err = bn_lock(bn) ?: state_load(bn, &st);
	if (err)
		goto unlock;
	err = ports_remove_locked(bn, &st, endpoint, specs, n);
	state_free(&st);
unlock:
	bn_unlock(bn);
	return err;
}

/* Every mapping of endpoint @ep goes with it: map entries and flows (state is the caller's). */
int ports_drop_endpoint(struct bpfnet *bn, struct state *st, const struct bpfnet_endpoint_info *ep)
{
	size_t kept = 0, n_gone = 0, n_ports = 0;
	struct bpfnet_port_mapping *gone = calloc(st->n_ports + 1, sizeof(*gone));
	int err;

	if (!gone)
		return bn_fail(bn, -ENOMEM, "out of memory");
	for (size_t i = 0; i < st->n_ports; i++) {
		if (strcmp(st->ports[i].endpoint, ep->name)) {
			st->ports[kept++] = st->ports[i];
		} else {
			n_ports += mapping_ports(&st->ports[i]);
			gone[n_gone++] = st->ports[i];
		}
	}
	st->n_ports = kept;
	err = portmap_write(bn, gone, n_gone, n_ports, true) ?: ct_flush_addr(bn, ep->ip);
	free(gone);
	return err;
}

static int cmp_port(const void *a, const void *b)
{
	const struct bpfnet_port_mapping *x = a, *y = b;
	int c = strcmp(x->endpoint, y->endpoint);

	if (c)
		return c;
	if (x->proto != y->proto)
		return x->proto - y->proto;
	return (int)x->host_port - (int)y->host_port;
}

int bpfnet_port__list(struct bpfnet *bn, const char *endpoint, struct bpfnet_port_mapping **out,
		      size_t *count)
{
	struct state st;
	size_t kept = 0;
	int err = state_load(bn, &st);

	if (err)
		return err;
	if (endpoint && !state_ep(&st, endpoint)) {
		state_free(&st);
		return bn_fail(bn, -ENOENT, "no endpoint '%s' ('bpfnet endpoint ls' lists them)",
			       endpoint);
	}
	for (size_t i = 0; i < st.n_ports; i++)
		if (!endpoint || !strcmp(st.ports[i].endpoint, endpoint))
			st.ports[kept++] = st.ports[i];
	qsort(st.ports, kept, sizeof(*st.ports), cmp_port);
	*out = st.ports;
	*count = kept;
	st.ports = NULL;
	state_free(&st);
	return 0;
}
