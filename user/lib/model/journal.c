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
