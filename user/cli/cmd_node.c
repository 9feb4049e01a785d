// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet init|down|status (stats: cmd_stats.c) */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfnet/abi.h"

#include "cli.h"

const struct cmd init_cmd = {
	"init", do_init, "[--uplink DEV[,DEV...]|auto] [--xdp auto|off] [--ct-max N] [--ports-max N]",
	"Load the datapath, pin it and attach it to the uplinks: the devices traffic from "
	"outside arrives on (a NIC, a second one, a VPN), at most 8. --uplink auto takes the "
	"devices of the node's IPv4 default routes; without --uplink, a node not initialized "
	"is initialized so, and an initialized one keeps its uplinks. Safe to re-run: it "
	"upgrades in place and keeps the maps; with other uplinks it attaches to the new ones "
	"and detaches from the dropped ones, endpoints and flows untouched. --ct-max sizes the "
	"conntrack table in entries, two a flow (default 65536, 1024 to 16777216; a full table "
	"evicts its least recently used flows, counted in stats as ct_lost), --ports-max the "
	"published-port tables (default 16384, 64 to 1048576); without them a running node "
	"keeps its sizes, with others its tables are migrated into new ones, flows and ports "
	"kept (a size smaller than the entries held is refused). status shows the sizes and "
	"the memory they take. --xdp auto "
	"(the default) also attaches the uplink's XDP program natively where the driver has "
	"native XDP (veth does; tc's program stays for what XDP leaves to it); --xdp off "
	"keeps tc alone. Re-running init switches it either way.", 0
};
const struct cmd down_cmd = {
	"down", do_down, "",
	"Detach, unpin and delete everything of the instance: its veths, routes, state.", 0
};
const struct cmd status_cmd = {
	"status", do_status, "",
	"The node: its uplinks, the counts of networks, endpoints, published ports and flows, "
	"the datapath's ABI version, whether the tc programs of each uplink and of each "
	"endpoint and the socket hooks are attached, the conntrack fill.", 0
};

/* @given: the options of the command line (table sizes, 0: keep; --xdp), the uplinks set here. */
static int init_on(struct cli *cli, const struct bpfnet_init_opts *given,
		   const char *const *names, size_t n)
{
	struct bpfnet_init_opts o = *given;
	int err;

	o.uplinks = n ? names : NULL;
	o.n_uplinks = n;
	err = bpfnet_node__init_opts(cli->bn, &o);
	return err ? report_error(cli, err) : do_status(cli, 0, NULL);
}

/* No --uplink: the uplinks the node has (an upgrade never moves them), else detected. */
static int init_keeping(struct cli *cli, const struct bpfnet_init_opts *given)
{
	struct bpfnet_node_info info = { .sz = sizeof(info) };
	const char *names[BPFNET_UPLINK_MAX];
	int err = bpfnet_node__info(cli->bn, &info);

	if (err)
		return report_error(cli, err);
	for (unsigned int i = 0; i < info.n_uplinks; i++)
		names[i] = info.uplinks[i];
	return init_on(cli, given, names,
		       info.initialized || info.pins_missing ? info.n_uplinks : 0);
}

/* --uplink eth0,eth1: each name as given; the library says what is wrong with the list. */
static int init_listed(struct cli *cli, const struct bpfnet_init_opts *given, const char *list)
{
	size_t max = 1, n = 0;
	char *copy = strdup(list), *next = copy;
	const char **names;
	int rc;

	for (const char *c = list; *c; c++)
		max += *c == ',';
	names = calloc(max, sizeof(*names));
	if (!copy || !names) {
		rc = fail_error("out of memory");
		goto out;
	}
	while (next) {
		names[n] = strsep(&next, ",");
		if (!*names[n++]) {
			rc = usage_error("--uplink: an empty device name in '%s' (give "
					 "DEV[,DEV...] or auto)", list);
			goto out;
		}
	}
	rc = init_on(cli, given, names, n);
out:
	free(names);
	free(copy);
	return rc;
}

/*
 * --ct-max/--ports-max N: a decimal number, nothing else (the library says
 * whether it is in range); absent: 0, the node's size kept.
 */
static int parse_size(const char *opt, const char *s, unsigned int min, unsigned int limit,
		      unsigned int *out)
{
	unsigned long v;
	char *end;

	*out = 0;
	if (!s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v > UINT_MAX || !v)
		return value_errorf(EINVAL, "%s '%s': a number from %u to %u", opt, s, min, limit);
	*out = (unsigned int)v;
	return 0;
}

int do_init(struct cli *cli, int argc, char **argv)
{
	const char *uplink = NULL, *ct_max = NULL, *ports_max = NULL, *xdp = "auto";
	const struct opt opts[] = { OPT("uplink", &uplink), OPT("ct-max", &ct_max),
				    OPT("ports-max", &ports_max), OPT("xdp", &xdp), {} };
	struct bpfnet_init_opts given = { .sz = sizeof(given) };
	int rc;

	if (parse_args(&init_cmd, argc, argv, opts, NULL, 0, 0))
		return EXIT_USAGE;
	rc = parse_size("--ct-max", ct_max, BPFNET_CT_MAX_MIN, BPFNET_CT_MAX_LIMIT,
			&given.ct_max) ?:
	     parse_size("--ports-max", ports_max, BPFNET_PORTS_MAX_MIN, BPFNET_PORTS_MAX_LIMIT,
			&given.ports_max);
	if (rc)
		return rc;
	if (strcmp(xdp, "auto") && strcmp(xdp, "off"))
		return usage_error("--xdp: '%s' is neither auto nor off", xdp);
	given.xdp = strcmp(xdp, "off") ? BPFNET_DEFAULT : BPFNET_NO;
	if (!uplink)
		return init_keeping(cli, &given);
	if (!strcmp(uplink, "auto"))
		return init_on(cli, &given, NULL, 0);
	return init_listed(cli, &given, uplink);
}

int do_down(struct cli *cli, int argc, char **argv)
{
	int err;

	if (parse_args(&down_cmd, argc, argv, NULL, NULL, 0, 0))
		return EXIT_USAGE;
	err = bpfnet_node__down(cli->bn);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(json_pack("{s:s}", "down", bpfnet__instance(cli->bn)));
	return EXIT_OK;
}

/*
 * Is the pin @missing a map this bpfnet has and the pinned datapath never had,
 * beside maps it has: a datapath of an older bpfnet, running, that init upgrades?
 */
static bool older_datapath(const struct bpfnet_layout_info *l, const char *missing)
{
	bool some_pinned = false, new_map = false;

	for (unsigned int i = 0; i < l->n_maps; i++) {
		some_pinned |= l->maps[i].datapath != 0;
		new_map |= !l->maps[i].datapath && !strcmp(l->maps[i].name, missing);
	}
	return some_pinned && new_map;
}

/* The state says initialized, the bpffs says otherwise: the datapath is not running. */
static void status_pins_missing(struct cli *cli, const struct bpfnet_node_info *info,
				const struct bpfnet_layout_info *layout)
{
	const char *inst = bpfnet__instance(cli->bn);
	char list[BPFNET_UPLINK_MAX * IF_NAMESIZE];

	uplinks_str(info, list, sizeof(list));
	if (info->missing_pin[0] && older_datapath(layout, info->missing_pin)) {
		printf("instance %s: running on %s, a datapath of an older bpfnet (it has no map "
		       "%s): 'bpfnet init' upgrades it in place, its flows kept\n", inst, list,
		       info->missing_pin);
		return;
	}
	if (info->missing_pin[0])
		printf("instance %s: not running: the state says initialized on %s, but %s/%s is "
		       "not pinned", inst, list, info->pin_dir, info->missing_pin);
	else
		printf("instance %s: not running: the state says initialized on %s, but no bpffs "
		       "holds its pins", inst, list);
	printf("; 'bpfnet init' restores the datapath, 'bpfnet down' forgets it\n");
}

/* The conntrack pressure warning, or NULL when the table is below BPFNET_CT_PRESSURE_PCT. */
const char *ct_warning(const struct bpfnet_ct_summary *ct, char *buf, size_t len)
{
	if (!ct->pressure)
		return NULL;
	snprintf(buf, len, "conntrack table %u%% full (%llu of %llu entries): new flows evict "
		 "idle live ones; %llu flows lost to eviction so far", ct->fill_pct,
		 (unsigned long long)ct->entries, (unsigned long long)ct->max,
		 (unsigned long long)ct->lost);
	return buf;
}

json_t *ct_json(const struct bpfnet_ct_summary *ct)
{
	return json_pack("{s:I, s:I, s:I, s:i, s:b, s:I, s:{s:I, s:I, s:I}}",
			 "flows", (json_int_t)ct->flows, "entries", (json_int_t)ct->entries,
			 "max", (json_int_t)ct->max, "fill_pct", (int)ct->fill_pct,
			 "pressure", ct->pressure, "lost", (json_int_t)ct->lost,
			 "collected", "expired", (json_int_t)ct->gc.expired,
			 "retired", (json_int_t)ct->gc.retired,
			 "evicted", (json_int_t)ct->gc.evicted);
}

json_t *warnings_json(const struct bpfnet_ct_summary *ct)
{
	json_t *w = json_array();
	char buf[256];

	if (ct_warning(ct, buf, sizeof(buf)))
		json_array_append_new(w, json_string(buf));
	return w;
}

static void ct_print(const struct bpfnet_ct_summary *ct)
{
	char buf[256];

	printf("conntrack: %llu flows, %llu of %llu entries (%u%%), %llu flows lost to eviction\n",
	       (unsigned long long)ct->flows, (unsigned long long)ct->entries,
	       (unsigned long long)ct->max, ct->fill_pct, (unsigned long long)ct->lost);
	if (ct_warning(ct, buf, sizeof(buf)))
		printf("warning: %s\n", buf);
}

/* What status counts: the objects of the state, the flows of the table. */
struct status_counts {
	size_t networks, endpoints, ports, flows;
};

/* Is everything attached where the state says? From bpfnet_node__check()'s findings. */
struct status_health {
	bool known;		/* the check could run */
	bool uplink;		/* every uplink's tc program */
	json_t *detached_uplinks;	/* the uplinks without it */
	bool sock_hooks;
	size_t endpoints_ok;
	json_t *detached;	/* the endpoints whose tc program is not attached */
};

static int status_count(struct cli *cli, struct status_counts *n,
			struct bpfnet_endpoint_info **eps)
{
	struct bpfnet_network_info *nets = NULL;
	struct bpfnet_port_mapping *maps = NULL;
	int err;

	err = bpfnet_network__list(cli->bn, &nets, &n->networks) ?:
	      bpfnet_endpoint__list(cli->bn, eps, &n->endpoints) ?:
	      bpfnet_port__list(cli->bn, NULL, &maps, &n->ports);
	free(nets);
	free(maps);
	return err;
}

/* A macvlan endpoint (no host side) is cut off when its macvlan or its netns is gone or wrong. */
static bool macvlan_issue_about(const struct bpfnet_check_issue *is,
				const struct bpfnet_endpoint_info *ep)
{
	static const char *const kinds[] = { "macvlan_missing", "macvlan_mismatch",
					     "netns_missing" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(is->kind, kinds[i]))
			return strstr(is->object, ep->netns) != NULL;
	return false;
}

static bool issue_about(const struct bpfnet_check_issue *is, const char *dev)
{
	static const char *const kinds[] = { "tc_filter_missing", "tc_filter_stale",
					     "uplink_missing", "veth_missing", "veth_mismatch" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(is->kind, kinds[i]))
			return !strcmp(is->object, dev) || strstr(is->object, dev);
	return false;
}

static void status_health(struct cli *cli, const struct bpfnet_node_info *info,
			  const struct bpfnet_endpoint_info *eps, size_t n_eps,
			  struct status_health *h)
{
	struct bpfnet_check_opts o = { .sz = sizeof(o) };
	struct bpfnet_check_issue *issues;
	size_t n;

	h->detached = json_array();
	h->detached_uplinks = json_array();
	if (bpfnet_node__check(cli->bn, &o, &issues, &n))
		return;
	h->known = h->uplink = h->sock_hooks = true;
	for (size_t i = 0; i < n; i++)
		h->sock_hooks &= strcmp(issues[i].kind, "sock_hook_missing") != 0;
	for (unsigned int u = 0; u < info->n_uplinks; u++) {
		bool ok = true;

		for (size_t i = 0; i < n; i++)
			ok &= !issue_about(&issues[i], info->uplinks[u]);
		h->uplink &= ok;
		if (!ok)
			json_array_append_new(h->detached_uplinks, json_string(info->uplinks[u]));
	}
	for (size_t e = 0; e < n_eps; e++) {
		bool ok = true;

		for (size_t i = 0; i < n; i++)
			ok &= eps[e].host_ifname[0] ? !issue_about(&issues[i], eps[e].host_ifname) :
						      !macvlan_issue_about(&issues[i], &eps[e]);
		h->endpoints_ok += ok;
		if (!ok)
			json_array_append_new(h->detached, json_string(eps[e].name));
	}
	free(issues);
}

static json_t *status_more_json(const struct status_counts *n, const struct status_health *h)
{
	return json_pack("{s:{s:I, s:I, s:I, s:I}, s:{s:i, s:s}, s:{s:b, s:b, s:O, s:b, s:I, s:I, "
			 "s:O}}",
			 "counts", "networks", (json_int_t)n->networks, "endpoints",
			 (json_int_t)n->endpoints, "ports", (json_int_t)n->ports, "flows",
			 (json_int_t)n->flows, "datapath", "abi_version", BPFNET_ABI_VERSION,
			 "version", bpfnet_version(), "attached", "known", h->known, "uplink",
			 h->uplink, "detached_uplinks", h->detached_uplinks, "sock_hooks",
			 h->sock_hooks, "endpoints",
			 (json_int_t)h->endpoints_ok, "endpoints_total", (json_int_t)n->endpoints,
			 "detached_endpoints", h->detached);
}

static bool uplink_detached(const struct status_health *h, const char *name)
{
	for (size_t i = 0; i < json_array_size(h->detached_uplinks); i++)
		if (!strcmp(json_string_value(json_array_get(h->detached_uplinks, i)), name))
			return true;
	return false;
}

static void status_more_print(const struct bpfnet_node_info *info, const struct status_counts *n,
			      const struct status_health *h)
{
	printf("datapath: ABI %d (bpfnet %s)\n", BPFNET_ABI_VERSION, bpfnet_version());
	printf("objects: %zu network%s, %zu endpoint%s, %zu published port%s, %zu flow%s\n",
	       n->networks, n->networks == 1 ? "" : "s", n->endpoints, n->endpoints == 1 ? "" : "s",
	       n->ports, n->ports == 1 ? "" : "s", n->flows, n->flows == 1 ? "" : "s");
	if (!h->known) {
		printf("attached: unknown (the check could not run)\n");
		return;
	}
	printf("attached: uplink%s", info->n_uplinks == 1 ? "" : "s");
	for (unsigned int u = 0; u < info->n_uplinks; u++)
		printf("%s %s %s", u ? "," : "", info->uplinks[u],
		       uplink_detached(h, info->uplinks[u]) ? "NO" : "yes");
	printf("; endpoints %zu of %zu; socket hooks %s\n", h->endpoints_ok, n->endpoints,
	       h->sock_hooks ? "yes" : "NO");
	if (!h->uplink || !h->sock_hooks || h->endpoints_ok < n->endpoints) {
		printf("warning: not attached:");
		for (size_t i = 0; i < json_array_size(h->detached_uplinks); i++)
			printf(" the uplink %s's program,",
			       json_string_value(json_array_get(h->detached_uplinks, i)));
		for (size_t i = 0; i < json_array_size(h->detached); i++)
			printf(" endpoint %s's program,", json_string_value(json_array_get(h->detached,
											    i)));
		if (!h->sock_hooks)
			printf(" the socket hooks,");
		printf(" ('bpfnet check --repair' re-attaches)\n");
	}
}

/*
 * Uplink @u's XDP program: "native" (attached beside tc), "off" (init --xdp
 * off) or "tc" (tc alone: refused, the reason in uplink_xdp_refused).
 */
static const char *uplink_xdp_mode(const struct bpfnet_node_info *info, unsigned int u)
{
	if (info->uplink_xdp[u])
		return "native";
	return info->xdp_off ? "off" : "tc";
}

static json_t *uplinks_json(const struct bpfnet_node_info *info)
{
	json_t *arr = json_array();

	for (unsigned int u = 0; u < info->n_uplinks; u++)
		json_array_append_new(arr, json_pack("{s:s, s:i, s:s, s:s}", "name",
						     info->uplinks[u], "ifindex",
						     info->uplink_ifindexes[u], "xdp",
						     uplink_xdp_mode(info, u), "xdp_refused",
						     info->uplink_xdp_refused[u]));
	return arr;
}

/* "xdp: eth0 native, wg0 tc alone (the driver has no native XDP)", or off for all. */
static void xdp_print(const struct bpfnet_node_info *info)
{
	if (info->xdp_off) {
		printf("xdp: off (init --xdp off): tc alone on every uplink\n");
		return;
	}
	printf("xdp:");
	for (unsigned int u = 0; u < info->n_uplinks; u++) {
		printf("%s %s ", u ? "," : "", info->uplinks[u]);
		if (info->uplink_xdp[u])
			printf("native");
		else
			printf("tc alone (%s)", info->uplink_xdp_refused[u][0] ?
			       info->uplink_xdp_refused[u] : "not attached: 'bpfnet init' attaches");
	}
	printf("\n");
}

/*
 * The maps' layout versions: one line when the datapath's are this bpfnet's
 * (the maps not of layout 1 named), else the maps that differ and what to do.
 */
static void layout_print(const struct bpfnet_layout_info *l)
{
	const char *sep = "";

	if (!l->differ) {
		printf("layout: the datapath's is this bpfnet's (ABI %u", l->abi_binary);
		for (unsigned int i = 0; i < l->n_maps; i++)
			if (l->maps[i].binary != 1)
				printf(", %s %u", l->maps[i].name, l->maps[i].binary);
		printf(", every other map 1)\n");
		return;
	}
	printf("layout: DIFFERS from this bpfnet's, run `bpfnet init` to migrate:");
	for (unsigned int i = 0; i < l->n_maps; i++) {
		const struct bpfnet_map_layout *m = &l->maps[i];

		if (!m->datapath || (m->datapath == m->binary && !m->migrating_to))
			continue;
		printf("%s %s %u (this bpfnet: %u", sep, m->name, m->datapath, m->binary);
		if (m->migrating_to)
			printf("; a migration to %u was cut short", m->migrating_to);
		printf(")");
		sep = ",";
	}
	printf("\n");
}

static json_t *layout_json(const struct bpfnet_layout_info *l)
{
	json_t *maps = json_object();

	for (unsigned int i = 0; i < l->n_maps; i++)
		json_object_set_new(maps, l->maps[i].name,
				    json_pack("{s:i, s:i, s:i}", "datapath", l->maps[i].datapath,
					      "binary", l->maps[i].binary, "migrating_to",
					      l->maps[i].migrating_to));
	return json_pack("{s:b, s:{s:i, s:i}, s:o}", "differ", l->differ, "abi", "datapath",
			 l->abi_datapath, "binary", l->abi_binary, "maps", maps);
}

static double mib(uint64_t bytes)
{
	return bytes / (1024.0 * 1024.0);
}

/* The big tables' sizes and the kernel memory of every map. */
static void maps_print(const struct bpfnet_maps_info *m)
{
	printf("tables: conntrack %u entries (%u flows, %.1f MiB), published ports %u (%.1f "
	       "MiB); every map %.1f MiB of kernel memory\n", m->ct_max, m->ct_max / 2,
	       mib(m->ct_memlock), m->ports_max, mib(m->ports_memlock), mib(m->memlock));
}

static json_t *maps_json(const struct bpfnet_maps_info *m)
{
	json_t *tables = json_object();

	for (unsigned int i = 0; i < m->n_maps; i++)
		json_object_set_new(tables, m->maps[i].name,
				    json_pack("{s:i, s:I}", "max_entries",
					      (int)m->maps[i].max_entries, "memlock",
					      (json_int_t)m->maps[i].memlock));
	return json_pack("{s:i, s:i, s:I, s:I, s:I, s:o}", "ct_max", (int)m->ct_max, "ports_max",
			 (int)m->ports_max, "ct_memlock", (json_int_t)m->ct_memlock,
			 "ports_memlock", (json_int_t)m->ports_memlock, "memlock",
			 (json_int_t)m->memlock, "tables", tables);
}

int do_status(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_endpoint_info *eps = NULL;
	struct status_health health = {};
	struct status_counts counts = {};
	struct bpfnet_ct_summary ct = { .sz = sizeof(ct) };
	struct bpfnet_node_info info = { .sz = sizeof(info) };
	struct bpfnet_layout_info layout = { .sz = sizeof(layout) };
	struct bpfnet_maps_info maps = { .sz = sizeof(maps) };
	int err;

	if (parse_args(&status_cmd, argc, argv, NULL, NULL, 0, 0))
		return EXIT_USAGE;
	err = bpfnet_node__info(cli->bn, &info);
	if (!err && info.initialized)
		err = bpfnet_node__layout(cli->bn, &layout);
	/* pins missing: the layouts tell a datapath of an older bpfnet from none, if they can */
	if (!err && info.pins_missing && bpfnet_node__layout(cli->bn, &layout))
		layout.n_maps = 0;
	/* maps of another layout are not this bpfnet's to read: the layouts say so instead */
	if (!err && info.initialized && !layout.differ)
		err = bpfnet_ct__summary(cli->bn, &ct) ?: status_count(cli, &counts, &eps);
	if (!err && info.initialized)
		err = bpfnet_node__maps(cli->bn, &maps);
	if (err) {
		free(eps);
		return report_error(cli, err);
	}
	counts.flows = ct.flows;
	if (info.initialized && !layout.differ)
		status_health(cli, &info, eps, counts.endpoints, &health);
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:b, s:s, s:i, s:o, s:s, s:b, s:s}", "instance",
				      bpfnet__instance(cli->bn), "initialized", info.initialized,
				      "uplink", info.uplink, "uplink_ifindex", info.uplink_ifindex,
				      "uplinks", uplinks_json(&info), "pin_dir", info.pin_dir,
				      "pins_missing", info.pins_missing, "missing_pin",
				      info.missing_pin);

		json_object_set_new(j, "xdp", json_string(info.xdp_off ? "off" : "auto"));

		if (info.initialized) {
			json_object_set_new(j, "layout", layout_json(&layout));
			json_object_set_new(j, "maps", maps_json(&maps));
		}
		if (info.initialized && !layout.differ) {
			json_t *more = status_more_json(&counts, &health);

			json_object_update(j, more);
			json_decref(more);
			json_object_set_new(j, "ct", ct_json(&ct));
			json_object_set_new(j, "warnings", warnings_json(&ct));
		}
		print_json(j);
	} else if (info.pins_missing) {
		status_pins_missing(cli, &info, &layout);
	} else if (!info.initialized) {
		printf("instance %s: not initialized\n", bpfnet__instance(cli->bn));
	} else {
		printf("instance %s: uplink%s", bpfnet__instance(cli->bn),
		       info.n_uplinks == 1 ? "" : "s");
		for (unsigned int u = 0; u < info.n_uplinks; u++)
			printf("%s %s (ifindex %u)", u ? "," : "", info.uplinks[u],
			       info.uplink_ifindexes[u]);
		printf(", pins in %s\n", info.pin_dir);
		xdp_print(&info);
		layout_print(&layout);
		maps_print(&maps);
		if (!layout.differ) {
			status_more_print(&info, &counts, &health);
			ct_print(&ct);
		}
	}
	json_decref(health.detached);
	json_decref(health.detached_uplinks);
	free(eps);
	return EXIT_OK;
}
