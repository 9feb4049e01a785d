// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A container record as JSON (container.json) and back. Reading trusts
 * nothing: every field is checked for its type and range, every string for
 * its length and form, and a path that a teardown acts on (the netns) must be
 * the one this runtime would have made, so that a forged file cannot make rm
 * unmount or remove anything else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "record.h"
#include "netns.h"
#include "record_json.h"

#define RECORD_VERSION 1

static const char *const state_names[] = {
	[CONTAINER_CREATED] = "created",
	[CONTAINER_RUNNING] = "running",
	[CONTAINER_EXITED] = "exited",
};

const char *container_state_str(enum container_state s)
{
	return (unsigned int)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

static json_t *strv_json(char *const *v)
{
	json_t *arr = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

static json_t *addr_json(const struct bpfnet_addr *a)
{
	char buf[BPFNET_ADDRSTRLEN];

	if (a->family == AF_UNSPEC)
		return json_null();
	return json_string(bpfnet_addr_str(a, buf, sizeof(buf)));
}

static json_t *nets_json(const struct container_record *r)
{
	json_t *arr = json_array();
	char ip[BPFNET_PREFIXSTRLEN];

	for (size_t i = 0; i < r->n_nets; i++) {
		const struct net_attachment *a = &r->nets[i];

		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:o}", "endpoint",
						     a->endpoint, "network", a->network, "ifname",
						     a->ifname, "ip",
						     bpfnet_prefix_str(&a->ip, ip, sizeof(ip)),
						     "gateway", addr_json(&a->gateway)));
	}
	return arr;
}

static json_t *ports_json(const struct container_record *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < r->n_ports; i++)
		json_array_append_new(arr, json_string(r->ports[i]));
	return arr;
}

static json_t *proc_json(pid_t pid, uint64_t start_time)
{
	if (!pid)
		return json_null();
	return json_pack("{s:i, s:I}", "pid", (int)pid, "start_time", (json_int_t)start_time);
}

json_t *record_to_json(const struct container_record *r)
{
	json_t *userns = r->userns ? json_pack("{s:I, s:I}", "host_first",
					       (json_int_t)r->userns_range.host_first, "count",
					       (json_int_t)r->userns_range.count)
				   : json_null();

	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:i, s:b, s:b, s:b, "
			 "s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:o, s:o, s:I}",
			 "version", RECORD_VERSION, "id", r->id, "name", r->name, "instance",
			 r->instance, "bpffs", r->bpffs, "netns", r->netns, "state",
			 container_state_str(r->state), "init",
			 proc_json(r->init_pid, r->init_start_time), "waiter",
			 proc_json(r->waiter.pid, r->waiter.start_time), "exit_status",
			 r->exit_status, "oom_killed", r->oom_killed, "detached", r->detached,
			 "auto_remove", r->auto_remove, "userns", userns, "argv",
			 strv_json(r->argv), "env", strv_json(r->env), "hostname", r->hostname,
			 "rootfs", r->rootfs, "workdir", r->workdir, "network_mode",
			 r->network_mode, "networks", nets_json(r), "ports", ports_json(r),
			 "created", (json_int_t)r->created);
}

/* ---- reading, field by field ---- */

struct reader {
	const char *file;	/* for the messages */
	struct run_err *e;
};

static int bad(struct reader *rd, const char *field, const char *what)
{
	return run_errf(rd->e, EUCLEAN, "%s: field '%s' %s", rd->file, field, what);
}

static int get_str(struct reader *rd, json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return bad(rd, key, "is missing or not a string");
	if (json_string_length(v) >= len || strlen(json_string_value(v)) != json_string_length(v))
		return bad(rd, key, "is too long or holds a NUL");
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_int(struct reader *rd, json_t *o, const char *key, json_int_t min, json_int_t max,
		   json_int_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return bad(rd, key, "is missing or not an integer");
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return bad(rd, key, "is out of range");
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(struct reader *rd, json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return bad(rd, key, "is missing or not a boolean");
	*out = json_is_true(v);
	return 0;
}

static int get_proc(struct reader *rd, json_t *o, const char *key, pid_t *pid, uint64_t *start)
{
	json_t *v = json_object_get(o, key);
	json_int_t n;
	int err;

	*pid = 0;
	*start = 0;
	if (json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad(rd, key, "is missing or neither null nor {pid, start_time}");
	if ((err = get_int(rd, v, "pid", 1, 4194304, &n)))	/* PID_MAX_LIMIT */
		return err;
	*pid = (pid_t)n;
	if ((err = get_int(rd, v, "start_time", 0, INT64_MAX, &n)))
		return err;
	*start = (uint64_t)n;
	return 0;
}

/* A NULL-terminated copy of an array of strings, at most RUN_MAX_ARGS of them. */
static int get_strv(struct reader *rd, json_t *o, const char *key, bool nonempty, char ***out)
{
	json_t *v = json_object_get(o, key), *s;
	size_t i, n;
	char **strv;

	if (!json_is_array(v) || json_array_size(v) > RUN_MAX_ARGS ||
	    (nonempty && !json_array_size(v)))
		return bad(rd, key, nonempty ? "is not an array of 1 to 1024 strings"
				   : "is not an array of at most 1024 strings");
	n = json_array_size(v);
	strv = calloc(n + 1, sizeof(*strv));
	if (!strv)
		return run_errf(rd->e, ENOMEM, "out of memory");
	json_array_foreach(v, i, s) {
		if (!json_is_string(s) ||
		    strlen(json_string_value(s)) != json_string_length(s) ||
		    !(strv[i] = strdup(json_string_value(s)))) {
			for (size_t j = 0; j < i; j++)
				free(strv[j]);
			free(strv);
			return bad(rd, key, "holds something that is not a string");
		}
	}
	*out = strv;
	return 0;
}

static int get_state(struct reader *rd, json_t *o, enum container_state *out)
{
	char s[16];
	int err = get_str(rd, o, "state", s, sizeof(s));

	if (err)
		return err;
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (!strcmp(s, state_names[i])) {
			*out = (enum container_state)i;
			return 0;
		}
	}
	return bad(rd, "state", "is none of created, running, exited");
}

static bool is_hex_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == RUN_ID_LEN && !s[n];
}

static int get_ident(struct reader *rd, json_t *o, struct container_record *r, const char *dir_name)
{
	char mode[BPFNET_NAME_MAX];
	int err;

	if ((err = get_str(rd, o, "id", r->id, sizeof(r->id))))
		return err;
	if (!is_hex_id(r->id))
		return bad(rd, "id", "is not 64 lowercase hex digits");
	if ((err = get_str(rd, o, "name", r->name, sizeof(r->name))))
		return err;
	if (!record_name_valid(r->name, NULL) || strcmp(r->name, dir_name))
		return bad(rd, "name", "is not a container name, or not its directory's");
	if ((err = get_str(rd, o, "instance", r->instance, sizeof(r->instance))) ||
	    (err = get_str(rd, o, "bpffs", r->bpffs, sizeof(r->bpffs))) ||
	    (err = get_str(rd, o, "network_mode", mode, sizeof(mode))))
		return err;
	if (strcmp(mode, "none") && strcmp(mode, "host") && strcmp(mode, "networks"))
		return bad(rd, "network_mode", "is none of networks, none, host");
	strcpy(r->network_mode, mode);
	if ((err = get_str(rd, o, "netns", r->netns, sizeof(r->netns))))
		return err;
	/* the one path rm unmounts and removes: exactly the one run would have made */
	if (!strcmp(mode, "host") ? *r->netns != 0 : !netns_path_is(r->netns, r->name))
		return bad(rd, "netns", "is not " RUN_NETNS_DIR "/<name> (or \"\" for host networking)");
	return 0;
}

static int get_userns(struct reader *rd, json_t *o, struct container_record *r)
{
	json_t *v = json_object_get(o, "userns");
	json_int_t first, count;
	int err;

	r->userns = false;
	if (json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad(rd, "userns", "is neither null nor {host_first, count}");
	if ((err = get_int(rd, v, "host_first", RUN_USERNS_FIRST,
			   RUN_USERNS_FIRST + (json_int_t)(RUN_USERNS_RANGES - 1) * RUN_USERNS_SIZE,
			   &first)) ||
	    (err = get_int(rd, v, "count", RUN_USERNS_SIZE, RUN_USERNS_SIZE, &count)))
		return err;
	if ((first - RUN_USERNS_FIRST) % RUN_USERNS_SIZE)
		return bad(rd, "userns", "is not a range this runtime hands out");
	r->userns = true;
	r->userns_range.host_first = (uint32_t)first;
	r->userns_range.count = (uint32_t)count;
	return 0;
}

static int get_addr(struct reader *rd, json_t *o, const char *key, struct bpfnet_addr *a)
{
	json_t *v = json_object_get(o, key);

	memset(a, 0, sizeof(*a));
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v) || bpfnet_addr_parse(json_string_value(v), a))
		return bad(rd, key, "is neither null nor an address");
	return 0;
}

static int get_net(struct reader *rd, json_t *v, struct net_attachment *a)
{
	char ip[BPFNET_PREFIXSTRLEN];
	int err;

	if (!json_is_object(v))
		return bad(rd, "networks", "holds something that is not an attachment");
	if ((err = get_str(rd, v, "endpoint", a->endpoint, sizeof(a->endpoint))) ||
	    (err = get_str(rd, v, "network", a->network, sizeof(a->network))) ||
	    (err = get_str(rd, v, "ifname", a->ifname, sizeof(a->ifname))) ||
	    (err = get_str(rd, v, "ip", ip, sizeof(ip))) ||
	    (err = get_addr(rd, v, "gateway", &a->gateway)))
		return err;
	if (bpfnet_prefix_parse(ip, &a->ip))
		return bad(rd, "networks.ip", "is not an address/length");
	return 0;
}

static int get_nets(struct reader *rd, json_t *o, struct container_record *r)
{
	json_t *v = json_object_get(o, "networks"), *n;
	size_t i;
	int err;

	if (!json_is_array(v) || json_array_size(v) > RUN_MAX_NETWORKS)
		return bad(rd, "networks", "is not an array of at most 8 attachments");
	json_array_foreach(v, i, n)
		if ((err = get_net(rd, n, &r->nets[i])))
			return err;
	r->n_nets = json_array_size(v);
	v = json_object_get(o, "ports");
	if (!json_is_array(v) || json_array_size(v) > RUN_MAX_PORTS)
		return bad(rd, "ports", "is not an array of at most 64 mappings");
	json_array_foreach(v, i, n) {
		struct bpfnet_port_mapping m;

		if (!json_is_string(n) || json_string_length(n) >= RUN_PORT_STR_MAX ||
		    bpfnet_port_spec_parse(json_string_value(n), &m))
			return bad(rd, "ports", "holds something that is not a -p mapping");
		strcpy(r->ports[i], json_string_value(n));
	}
	r->n_ports = json_array_size(v);
	return 0;
}

static int get_runtime(struct reader *rd, json_t *o, struct container_record *r)
{
	json_int_t n;
	int err;

	if ((err = get_state(rd, o, &r->state)) ||
	    (err = get_proc(rd, o, "init", &r->init_pid, &r->init_start_time)) ||
	    (err = get_proc(rd, o, "waiter", &r->waiter.pid, &r->waiter.start_time)))
		return err;
	if ((err = get_int(rd, o, "exit_status", -1, 255, &n)))
		return err;
	r->exit_status = (int)n;
	if ((err = get_int(rd, o, "created", 0, INT64_MAX, &n)))
		return err;
	r->created = n;
	if ((err = get_bool(rd, o, "oom_killed", &r->oom_killed)) ||
	    (err = get_bool(rd, o, "detached", &r->detached)) ||
	    (err = get_bool(rd, o, "auto_remove", &r->auto_remove)))
		return err;
	return get_userns(rd, o, r);
}

static int get_config(struct reader *rd, json_t *o, struct container_record *r)
{
	int err;

	if ((err = get_strv(rd, o, "argv", true, &r->argv)) ||
	    (err = get_strv(rd, o, "env", false, &r->env)) ||
	    (err = get_str(rd, o, "hostname", r->hostname, sizeof(r->hostname))) ||
	    (err = get_str(rd, o, "rootfs", r->rootfs, sizeof(r->rootfs))) ||
	    (err = get_str(rd, o, "workdir", r->workdir, sizeof(r->workdir))))
		return err;
	return get_nets(rd, o, r);
}

int record_from_json(json_t *o, const char *file, const char *dir_name,
		     struct container_record *r, struct run_err *e)
{
	struct reader rd = { .file = file, .e = e };
	json_int_t version;
	int err;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return run_errf(e, EUCLEAN, "%s: not a JSON object", file);
	if ((err = get_int(&rd, o, "version", RECORD_VERSION, RECORD_VERSION, &version)) ||
	    (err = get_ident(&rd, o, r, dir_name)) || (err = get_runtime(&rd, o, r)) ||
	    (err = get_config(&rd, o, r))) {
		record_free(r);
		return err;
	}
	return 0;
}
