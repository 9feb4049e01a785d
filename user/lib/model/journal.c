// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The intent journal (see journal.h): encoding in state.json, recording and
 * clearing around each mutating command, and the recovery of a command that
 * was killed part-way.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "model/journal.h"
#include "dp/bridge.h"
#include "dp/datapath.h"
#include "dp/svc.h"
#include "api/endpoint.h"
#include "model/ipam.h"
#include "sys/netlink.h"
#include "api/network.h"
#include "api/node.h"
#include "api/port.h"
#include "model/portspec.h"
#include "model/state.h"

/* write_file_atomic()'s temp files: "<file>.tmp.<pid>" */
#define STATE_TEMP_PREFIX "state.json.tmp."

#define OP_NAME(name, str) [name] = str,
static const char *const op_names[JOURNAL_OP_MAX] = { JOURNAL_FOREACH_OP(OP_NAME) };
#undef OP_NAME

const char *journal_op_name(enum journal_op op)
{
	return op < JOURNAL_OP_MAX ? op_names[op] : "?";
}

static enum journal_op op_by_name(const char *name)
{
	for (int op = JOURNAL_NONE + 1; op < JOURNAL_OP_MAX; op++)
		if (!strcmp(op_names[op], name))
			return op;
	return JOURNAL_NONE;
}

static bool op_is_network(enum journal_op op)
{
	return op == JOURNAL_NETWORK_CREATE || op == JOURNAL_NETWORK_REMOVE;
}

static bool op_is_endpoint(enum journal_op op)
{
	return op == JOURNAL_ENDPOINT_ADD || op == JOURNAL_ENDPOINT_REMOVE;
}

static bool op_is_port(enum journal_op op)
{
	return op == JOURNAL_PORT_ADD || op == JOURNAL_PORT_REMOVE;
}

char *journal_describe(const struct journal *j, char *buf, size_t len)
{
	char verb[32], *sp;

	snprintf(verb, sizeof(verb), "%s", journal_op_name(j->op));
	sp = strchr(verb, '_');
	if (sp)
		*sp = ' ';
	if (op_is_network(j->op))
		snprintf(buf, len, "%s '%s'", verb, j->net.name);
	else if (op_is_endpoint(j->op))
		snprintf(buf, len, "%s '%s'", verb, j->ep.name);
	else if (op_is_port(j->op))
		snprintf(buf, len, "%s '%s' (%zu mapping%s)", verb, j->ep.name, j->n_maps,
			 j->n_maps == 1 ? "" : "s");
	else if (j->op == JOURNAL_INIT)
		snprintf(buf, len, "init --uplink %s", j->uplink);
	else
		snprintf(buf, len, "%s", verb);
	return buf;
}

/* ---- encoding ------------------------------------------------------------------------ */

/* Port mappings as the -p specs they came from: short, and read back by the same parser. */
static json_t *maps_to_json(const struct journal *j)
{
	json_t *arr = json_array();
	char spec[64];

	for (size_t i = 0; arr && i < j->n_maps; i++)
		if (json_array_append_new(arr, json_string(port_map_format(&j->maps[i], spec,
									   sizeof(spec))))) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

json_t *journal_to_json(const struct journal *j)
{
	json_t *o;

	if (j->op == JOURNAL_NONE || j->op >= JOURNAL_OP_MAX)
		return NULL;
	o = json_pack("{s:s, s:i}", "op", journal_op_name(j->op), "pid", j->pid);
	if (!o)
		return NULL;
	if (j->op == JOURNAL_INIT &&
	    (json_object_set_new(o, "uplink", json_string(j->uplink)) ||
	     json_object_set_new(o, "first", json_boolean(j->first_init)) ||
	     json_object_set_new(o, "clsact_before", json_boolean(j->clsact_before))))
		goto fail;
	if (op_is_network(j->op) && json_object_set_new(o, "network", net_to_json(&j->net)))
		goto fail;
	if ((op_is_endpoint(j->op) || op_is_port(j->op)) &&
	    json_object_set_new(o, "endpoint", ep_to_json(&j->ep)))
		goto fail;
	if (op_is_port(j->op) && json_object_set_new(o, "mappings", maps_to_json(j)))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static int maps_from_json(json_t *arr, struct journal *j)
{
	char why[160];
	json_t *item;
	size_t i;

	if (!json_is_array(arr) || !json_array_size(arr))
		return -EINVAL;
	j->maps = calloc(json_array_size(arr), sizeof(*j->maps));
	if (!j->maps)
		return -ENOMEM;
	json_array_foreach(arr, i, item) {
		struct port_map *m = &j->maps[j->n_maps];

		if (!json_is_string(item) ||
		    port_map_parse(json_string_value(item), m, why, sizeof(why)))
			return -EINVAL;
		snprintf(m->endpoint, sizeof(m->endpoint), "%s", j->ep.name);
		m->container_ip = j->ep.ip;
		j->n_maps++;
	}
	return 0;
}

int journal_from_json(json_t *obj, struct journal *j)
{
	const char *op, *uplink = NULL;
	json_t *net = NULL, *ep = NULL, *maps = NULL;
	int pid = 0, first = 0, clsact = 1;

	memset(j, 0, sizeof(*j));
	if (json_unpack(obj, "{s:s, s?i, s?s, s?b, s?b, s?o, s?o, s?o}", "op", &op, "pid", &pid,
			"uplink", &uplink, "first", &first, "clsact_before", &clsact, "network",
			&net, "endpoint", &ep, "mappings", &maps))
		return -EINVAL;
	j->op = op_by_name(op);
	j->pid = pid;
	j->first_init = first;
	j->clsact_before = clsact;	/* not known: leave the qdisc be */
	switch (j->op) {
	case JOURNAL_NONE:
		return -EINVAL;
	case JOURNAL_INIT:
		if (!uplink || !*uplink || strlen(uplink) >= sizeof(j->uplink))
			return -EINVAL;
		strcpy(j->uplink, uplink);
		return 0;
	case JOURNAL_NETWORK_CREATE:
	case JOURNAL_NETWORK_REMOVE:
		return net ? net_from_json(net, &j->net) : -EINVAL;
	case JOURNAL_ENDPOINT_ADD:
	case JOURNAL_ENDPOINT_REMOVE:
		return ep ? ep_from_json(ep, &j->ep) : -EINVAL;
	case JOURNAL_PORT_ADD:
	case JOURNAL_PORT_REMOVE:
		return ep && maps ? ep_from_json(ep, &j->ep) ?: maps_from_json(maps, j) : -EINVAL;
	default:
		return 0;
	}
}

void journal_free(struct journal *j)
{
	if (!j)
		return;
	free(j->maps);
	memset(j, 0, sizeof(*j));
}

int journal_copy(struct journal *dst, const struct journal *src)
{
	*dst = *src;
	dst->maps = NULL;
	if (!src->n_maps)
		return 0;
	dst->maps = malloc(src->n_maps * sizeof(*dst->maps));
	if (!dst->maps) {
		dst->n_maps = 0;
		return -ENOMEM;
	}
	memcpy(dst->maps, src->maps, src->n_maps * sizeof(*dst->maps));
	return 0;
}

/* ---- recording ----------------------------------------------------------------------- */

int journal_record(struct bpfnet *bn, struct state *st, const struct journal *j)
{
	int err;

	journal_free(&st->journal);
	err = journal_copy(&st->journal, j);
	if (err)
		return bn_fail(bn, err, "out of memory");
	st->journal.pid = getpid();
	err = state_save(bn, st);
	if (err)
		journal_free(&st->journal);	/* not on disk: nothing is pending */
	return err;
}

int journal_record_ep(struct bpfnet *bn, struct state *st, enum journal_op op,
		      const struct ep_state *ep)
{
	struct journal j = { .op = op, .ep = *ep };

	return journal_record(bn, st, &j);
}

int journal_record_net(struct bpfnet *bn, struct state *st, enum journal_op op,
		       const struct net_state *net)
{
	struct journal j = { .op = op, .net = *net };

	return journal_record(bn, st, &j);
}

int journal_record_ports(struct bpfnet *bn, struct state *st, enum journal_op op,
			 const struct ep_state *ep,
			 const struct port_map *maps, size_t n)
{
	/* journal_record() copies the mappings; the cast only lends them */
	struct journal j = { .op = op, .ep = *ep, .maps = (struct port_map *)maps,
			     .n_maps = n };

	return journal_record(bn, st, &j);
}

int journal_commit(struct bpfnet *bn, struct state *st)
{
	journal_free(&st->journal);
	return state_save(bn, st);
}

/* Save @st with nothing pending; an instance left with nothing in it keeps no state file. */
static int save_settled(struct bpfnet *bn, struct state *st)
{
	journal_free(&st->journal);
	return state_is_empty(st) ? state_unlink(bn) : state_save(bn, st);
}

void journal_abandon(struct bpfnet *bn, struct state *st)
{
	char msg[sizeof(bn->errmsg)];

	memcpy(msg, bn->errmsg, sizeof(msg));
	/* if even this fails the entry stays on disk, and the next command undoes it again */
	save_settled(bn, st);
	memcpy(bn->errmsg, msg, sizeof(msg));
}

/* ---- what the state owns ----------------------------------------------------------------- */

static bool owned_ifname(const struct state *st, const char *name)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (!strcmp(st->eps[i].host_ifname, name))
			return true;
	return false;
}

static bool owned_ifindex(const struct state *st, __u32 ifindex)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].host_ifindex == ifindex)
			return true;
	return false;
}

static bool owned_ip(const struct state *st, __be32 ip)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].ip.s_addr == ip)
			return true;
	return false;
}

static bool owned_ep_id(const struct state *st, unsigned int id)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].id == id)
			return true;
	return false;
}

/* ---- undoing an endpoint add ------------------------------------------------------------- */

/*
 * The ep_by_ifindex entries the add wrote: its endpoint id and address, under
 * an ifindex no endpoint of the state has. Found by value, so they go even
 * when the veth (and with it the ifindex) is already gone. Their ifindexes
 * land in @ifindexes (up to @max) for the FDB.
 */
static int forget_ep_by_ifindex(struct bpfnet *bn, const struct state *st,
				const struct ep_state *ep, __u32 *ifindexes,
				size_t max, size_t *n)
{
	int fd = dp_map_fd(bn, BPFNET_MAP_EP_BY_IFINDEX);
	__u32 keys[BPFNET_EP_MAX], key, *prev = NULL;
	struct bpfnet_ep val;
	size_t count = 0;

	*n = 0;
	if (fd < 0)
		return fd;
	/* keys first: deleting while walking a hash map restarts the walk */
	while (count < BPFNET_EP_MAX && !bpf_map_get_next_key(fd, prev, &key)) {
		keys[count] = key;
		prev = &keys[count++];
	}
	for (size_t i = 0; i < count; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], &val) || val.id != ep->id ||
		    val.ip != ep->ip.s_addr || owned_ifindex(st, keys[i]))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
		if (*n < max)
			ifindexes[(*n)++] = keys[i];
	}
	close(fd);
	return 0;
}

/* ep_by_ip[@ep's address], if it is the add's own entry and no endpoint of the state has it. */
static int forget_ep_by_ip(struct bpfnet *bn, const struct state *st,
			   const struct ep_state *ep)
{
	int fd = dp_map_fd(bn, BPFNET_MAP_EP_BY_IP);
	__be32 key = ep->ip.s_addr;
	struct bpfnet_ep val;

	if (fd < 0)
		return fd;
	if (!owned_ip(st, key) && !bpf_map_lookup_elem(fd, &key, &val) && val.id == ep->id)
		bpf_map_delete_elem(fd, &key);
	close(fd);
	return 0;
}

/* The add's static FDB entry, and what was learned behind the ports it made. */
static int forget_fdb(struct bpfnet *bn, const struct state *st,
		      const struct net_state *net, const struct ep_state *ep,
		      const __u32 *ifindexes, size_t n)
{
	struct bpfnet_fdb_key key = { .net_id = net->id };
	struct bpfnet_fdb_val val;
	int fd = dp_map_fd(bn, BPFNET_MAP_FDB), err = 0;

	if (fd < 0)
		return fd;
	memcpy(key.mac, ep->mac, sizeof(key.mac));
	if (!bpf_map_lookup_elem(fd, &key, &val) && val.ep_id == ep->id &&
	    !owned_ifindex(st, val.ifindex))
		bpf_map_delete_elem(fd, &key);
	close(fd);
	for (size_t i = 0; i < n && !err; i++)
		err = bridge_fdb_forget_port(bn, net->id, ifindexes[i]);
	return err;
}

static int undo_endpoint_add(struct bpfnet *bn, struct state *st, struct nl *nl,
			     const struct ep_state *ep)
{
	const struct net_state *net = state_net(st, ep->network);
	__u32 ifindexes[8];
	struct nl_link link;
	size_t n = 0;
	int err;

	/* an id the state gives to an endpoint means this entry is not what it says */
	if (owned_ep_id(st, ep->id))
		return 0;
	if (!owned_ifname(st, ep->host_ifname) &&
	    !nl_link_get_by_name(nl, ep->host_ifname, &link)) {
		err = nl_link_del(nl, link.ifindex);
		if (err && err != -ENODEV)
			return bn_fail(bn, err, "cannot delete %s: %s %s", ep->host_ifname,
				       strerror(-err), nl_errmsg(nl));
	}
	err = forget_ep_by_ifindex(bn, st, ep, ifindexes, sizeof(ifindexes) / sizeof(*ifindexes),
				   &n) ?:
	      forget_ep_by_ip(bn, st, ep);
	if (!err && net && net_is_bridge(net))
		err = bridge_ports_sync(bn, st, net, NULL) ?:
		      forget_fdb(bn, st, net, ep, ifindexes, n);
	/* its flows, if any, hold its generation, which no endpoint has: dead without a walk */
	return err;
}

/* ---- the other commands ------------------------------------------------------------------ */

static int undo_network_create(struct bpfnet *bn, struct state *st,
			       const struct net_state *net)
{
	struct net_state n = *net;

	if (!st->node.initialized || state_net(st, net->name) || state_net_by_id(st, net->id))
		return 0;
	for (size_t i = 0; i < st->n_nets; i++)
		if (st->nets[i].gateway.s_addr == net->gateway.s_addr)
			n.internal = 1;	/* the gateway is another network's: leave it be */
	return network_uninstall(bn, &n);
}

static int finish_network_remove(struct bpfnet *bn, struct state *st, const char *name)
{
	struct net_state *n = state_net(st, name);
	int err = 0;

	if (!n || state_net_users(st, name))
		return 0;
	if (st->node.initialized)
		err = network_uninstall(bn, n);
	if (!err)
		state_del_net(st, name);
	return err;
}

/*
 * Port add is undone and port rm finished the same way: every port of the
 * entry that still leads where the entry says is unpublished, the published
 * container ports of a routed network are recounted, and their flows end.
 */
static int unpublish_ports(struct bpfnet *bn, struct state *st, const struct journal *j)
{
	struct svc_maps sm = { -1, -1 };
	struct bpfnet_backend cur;
	struct svc_port p;
	int err = svc_maps_open(bn, &sm);

	if (err)
		return err;
	for (size_t i = 0; i < j->n_maps; i++) {
		const struct port_map *m = &j->maps[i];

		for (unsigned int off = 0; off <= (unsigned int)(m->host_port_last - m->host_port);
		     off++) {
			svc_port_encode(m, off, &p);
			if (!svc_port_lookup(&sm, &p.key, &cur) && cur.ep_ip == p.be.ep_ip &&
			    cur.ep_port == p.be.ep_port)
				svc_unpublish(&sm, &p.key);
		}
	}
	/* the backends of ports whose frontends the command had not written yet, or removed */
	err = svc_sweep(&sm);
	if (err)
		bn_fail(bn, err, "cannot read the published ports: %s", strerror(-err));
	else
		err = ep_ports_update(bn, st, &sm, &j->ep, j->maps, j->n_maps);
	svc_maps_close(&sm);
	return err ?: ports_end_flows(bn, j->maps, j->n_maps);
}

static int finish_down(struct bpfnet *bn, struct state *st, struct nl *nl)
{
	int err = node_teardown(bn, st, nl) ?: state_unlink(bn);

	if (!err) {
		state_free(st);		/* the instance is gone: the command goes on from nothing */
		memset(st, 0, sizeof(*st));
	}
	return err;
}

static int recover_op(struct bpfnet *bn, struct state *st, struct nl *nl, const struct journal *j)
{
	switch (j->op) {
	case JOURNAL_INIT:
		return j->first_init ? node_init_undo(bn, st, nl, j->uplink, !j->clsact_before) :
				       node_init_locked(bn, st, nl, j->uplink);
	case JOURNAL_DOWN:
		return finish_down(bn, st, nl);
	case JOURNAL_NETWORK_CREATE:
		return undo_network_create(bn, st, &j->net);
	case JOURNAL_NETWORK_REMOVE:
		return finish_network_remove(bn, st, j->net.name);
	case JOURNAL_ENDPOINT_ADD:
		return st->node.initialized ? undo_endpoint_add(bn, st, nl, &j->ep) : 0;
	case JOURNAL_ENDPOINT_REMOVE:
		return ep_remove(bn, st, nl, j->ep.name);
	case JOURNAL_PORT_ADD:
	case JOURNAL_PORT_REMOVE:
		return st->node.initialized ? unpublish_ports(bn, st, j) : 0;
	default:
		return 0;
	}
}

int journal_recover(struct bpfnet *bn, struct state *st)
{
	struct journal j;
	char what[128], msg[sizeof(bn->errmsg)];
	struct nl *nl = NULL;
	int err;

	if (st->journal.op == JOURNAL_NONE)
		return 0;
	/* the entry is worked from a copy: finishing a down or an init rewrites st */
	err = journal_copy(&j, &st->journal);
	if (err)
		return bn_fail(bn, err, "out of memory");
	journal_describe(&j, what, sizeof(what));
	err = nl_open(&nl, -1);
	if (err)
		bn_fail(bn, err, "cannot open netlink: %s", strerror(-err));
	else
		err = recover_op(bn, st, nl, &j);
	nl_close(nl);
	/* a finished down leaves no state to save */
	if (!err && j.op != JOURNAL_DOWN)
		err = save_settled(bn, st);
	if (err) {
		memcpy(msg, bn->errmsg, sizeof(msg));
		bn_fail(bn, err, "the interrupted %s (pid %d) cannot be %s: %s; fix that and "
			"try again, or repair the instance or take it down",
			what, j.pid, journal_undoes(j.op) ? "undone" : "finished", msg);
		journal_free(&j);
		return err;
	}
	journal_free(bn->recovered);
	free(bn->recovered);
	bn->recovered = malloc(sizeof(*bn->recovered));
	if (bn->recovered)
		*bn->recovered = j;
	else
		journal_free(&j);
	pr_debug("recovered the interrupted %s (pid %d)\n", what, j.pid);
	return 0;
}

bool journal_undoes(enum journal_op op)
{
	return op == JOURNAL_NETWORK_CREATE || op == JOURNAL_ENDPOINT_ADD || op == JOURNAL_PORT_ADD;
}

bool journal_finished(const struct bpfnet *bn, enum journal_op op, const char *name,
		      const struct port_map *maps, size_t n)
{
	const struct journal *j = bn->recovered;

	if (!j || j->op != op)
		return false;
	if (op_is_network(op))
		return !strcmp(j->net.name, name);
	if (!strcmp(j->ep.name, name) && !op_is_port(op))
		return true;
	if (strcmp(j->ep.name, name) || j->n_maps != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (maps[i].proto != j->maps[i].proto ||
		    maps[i].host_ip.s_addr != j->maps[i].host_ip.s_addr ||
		    maps[i].host_port != j->maps[i].host_port ||
		    maps[i].host_port_last != j->maps[i].host_port_last ||
		    maps[i].container_port != j->maps[i].container_port)
			return false;
	return true;
}

/* ---- the one door ---------------------------------------------------------------------- */

int journal_stale_temp_files(struct bpfnet *bn, bool remove,
			     void (*found)(const char *name, void *arg), void *arg)
{
	char path[PATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	DIR *d = opendir(bn->run_dir);
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : bn_fail(bn, -errno, "cannot read %s: %s",
						     bn->run_dir, strerror(errno));
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, STATE_TEMP_PREFIX, strlen(STATE_TEMP_PREFIX)))
			continue;
		if (found)
			found(de->d_name, arg);
		snprintf(path, sizeof(path), "%s/%s", bn->run_dir, de->d_name);
		if (remove && unlink(path) < 0 && errno != ENOENT && !err)
			err = bn_fail(bn, -errno, "cannot remove %s: %s", path, strerror(errno));
	}
	closedir(d);
	return err;
}

int state_begin(struct bpfnet *bn, struct state *st, enum journal_op self)
{
	int err = bn_lock(bn) ?: state_load(bn, st);

	if (err)
		return err;
	/* under the lock no save is under way: a temp file is a killed command's */
	err = journal_stale_temp_files(bn, true, NULL, NULL);
	if (err)
		goto fail;
	/* an init supersedes an interrupted one: it does the same again (node_init_locked()) */
	if (self == JOURNAL_INIT && st->journal.op == JOURNAL_INIT)
		return 0;
	err = journal_recover(bn, st);
	/* down takes away all the recovery would have fixed: it goes on from the state as saved */
	if (err && self == JOURNAL_DOWN) {
		state_free(st);
		err = state_load(bn, st);
	}
	if (!err)
		return 0;
fail:
	state_free(st);
	return err;
}

/* ---- stray veths ----------------------------------------------------------------------- */

void host_ifname_prefix(const struct bpfnet *bn, char buf[IF_NAMESIZE])
{
	snprintf(buf, IF_NAMESIZE, "bn%06x-", fnv1a32(bn->instance) & 0xffffff);
}

bool veth_is_stray(const struct bpfnet *bn, const struct state *st, const char *name,
		   const char *kind)
{
	char prefix[IF_NAMESIZE];
	size_t len;

	host_ifname_prefix(bn, prefix);
	len = strlen(prefix);
	if (strcmp(kind, "veth") || strncmp(name, prefix, len) || !name[len])
		return false;
	/* exactly the names endpoint add makes: prefix and an endpoint id */
	for (const char *p = name + len; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return !owned_ifname(st, name);
}

struct sweep {
	struct bpfnet *bn;
	struct nl *nl;
	const struct state *st;
	size_t n;
	int err;
};

static int sweep_one(const struct nl_link *link, void *arg)
{
	struct sweep *s = arg;
	int err;

	if (!veth_is_stray(s->bn, s->st, link->name, link->kind))
		return 0;
	err = nl_link_del(s->nl, link->ifindex);
	if (!err)
		s->n++;
	else if (err != -ENODEV && !s->err)
		s->err = bn_fail(s->bn, err, "cannot delete the stray veth %s: %s", link->name,
				 strerror(-err));
	return 0;
}

int veth_strays_remove(struct bpfnet *bn, struct nl *nl, const struct state *st, size_t *n)
{
	struct sweep s = { bn, nl, st, 0, 0 };
	int err = nl_link_foreach(nl, sweep_one, &s);

	if (n)
		*n = s.n;
	if (err)
		return bn_fail(bn, err, "cannot list the node's links: %s", strerror(-err));
	return s.err;
}
