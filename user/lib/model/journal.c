// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The intent journal (see journal.h) as data: its encoding in state.json,
 * copies, and what a pending entry means. Recording it is sys/store.c's,
 * recovering from it api/recover.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/journal.h"
#include "model/portspec.h"
#include "model/state.h"

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

/* "init on up0, up1": the devices by name (the CLI's syntax is not the library's to say). */
static void uplinks_describe(const struct journal *j, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "init on ");

	for (size_t i = 0; i < j->n_uplinks && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 j->uplinks[i].name);
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
		uplinks_describe(j, buf, len);
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

static json_t *uplinks_to_json(const struct journal *j)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < j->n_uplinks; i++)
		if (json_array_append_new(arr, json_pack("{s:s, s:b}", "name", j->uplinks[i].name,
							 "clsact_before",
							 j->uplinks[i].clsact_before))) {
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
	    (json_object_set_new(o, "uplinks", uplinks_to_json(j)) ||
	     json_object_set_new(o, "first", json_boolean(j->first_init))))
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

static int uplink_take(struct journal *j, const char *name, int clsact_before)
{
	struct journal_uplink *u;

	if (!name || !*name || strlen(name) >= sizeof(u->name) ||
	    j->n_uplinks >= BPFNET_UPLINK_MAX || journal_uplink(j, name))
		return -EINVAL;
	u = &j->uplinks[j->n_uplinks++];
	strcpy(u->name, name);
	u->clsact_before = clsact_before;
	return 0;
}

/*
 * An init's uplinks: a list of {name, clsact_before}, or (written before
 * there were several) one "uplink" with the entry's "clsact_before".
 */
static int init_from_json(json_t *obj, struct journal *j)
{
	const char *uplink = NULL, *name;
	json_t *arr = NULL, *item;
	int clsact = 1;	/* not known: leave the qdisc be */
	size_t i;

	if (json_unpack(obj, "{s?s, s?o, s?b}", "uplink", &uplink, "uplinks", &arr,
			"clsact_before", &clsact))
		return -EINVAL;
	if (!arr)
		return uplink_take(j, uplink, clsact);
	if (uplink || !json_is_array(arr) || !json_array_size(arr))
		return -EINVAL;
	json_array_foreach(arr, i, item) {
		clsact = 1;
		if (json_unpack(item, "{s:s, s?b}", "name", &name, "clsact_before", &clsact) ||
		    uplink_take(j, name, clsact))
			return -EINVAL;
	}
	return 0;
}

int journal_from_json(json_t *obj, struct journal *j)
{
	const char *op;
	json_t *net = NULL, *ep = NULL, *maps = NULL;
	int pid = 0, first = 0;

	memset(j, 0, sizeof(*j));
	if (json_unpack(obj, "{s:s, s?i, s?b, s?o, s?o, s?o}", "op", &op, "pid", &pid,
			"first", &first, "network", &net, "endpoint", &ep, "mappings", &maps))
		return -EINVAL;
	j->op = op_by_name(op);
	j->pid = pid;
	j->first_init = first;
	switch (j->op) {
	case JOURNAL_NONE:
		return -EINVAL;
	case JOURNAL_INIT:
		return init_from_json(obj, j);
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

const struct journal_uplink *journal_uplink(const struct journal *j, const char *name)
{
	for (size_t i = 0; i < j->n_uplinks; i++)
		if (!strcmp(j->uplinks[i].name, name))
			return &j->uplinks[i];
	return NULL;
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
