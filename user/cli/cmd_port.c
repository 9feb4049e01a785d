// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet port add|rm|ls and bpfnet ct ls|flush */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The -p specs of the command line, parsed by the library's parser. */
static int parse_specs(int n, char **specs, struct bpfnet_port_mapping **out)
{
	struct bpfnet_port_mapping *maps = calloc(n, sizeof(*maps));

	if (!maps)
		return fail_error("out of memory");
	for (int i = 0; i < n; i++) {
		if (bpfnet_port_spec_parse(specs[i], &maps[i])) {
			free(maps);
			return value_error();
		}
	}
	*out = maps;
	return 0;
}

static int do_add(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_port_mapping *maps = NULL;
	int err;

	if (argc < 2)
		return usage_error("usage: bpfnet %s %s", port_cmds[0].name, port_cmds[0].usage);
	err = parse_specs(argc - 1, argv + 1, &maps);
	if (err)
		return err;
	cli_ref(cli, "endpoint", argv[0]);
	err = bpfnet_port__add(cli->bn, argv[0], maps, argc - 1);
	free(maps);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(json_pack("{s:s, s:i}", "endpoint", argv[0], "published", argc - 1));
	return EXIT_OK;
}

/* HOSTPORT[/tcp|/udp] (no ':'): port rm's short form, as docker port names a mapping. */
static int parse_host_port(const char *s, uint16_t *port, enum bpfnet_proto *proto)
{
	const char *slash = strchr(s, '/');
	unsigned long v;
	char *end;

	*proto = BPFNET_PROTO_TCP;
	if (slash && !strcmp(slash, "/udp"))
		*proto = BPFNET_PROTO_UDP;
	else if (slash && strcmp(slash, "/tcp"))
		return value_errorf(EINVAL, "invalid port '%s': HOSTPORT[/tcp|/udp], or a whole "
				   "mapping [HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END][/PROTO]",
				   s);
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)*s) || end != (slash ? slash : s + strlen(s)) || !v ||
	    v > 65535)
		return value_errorf(EINVAL, "invalid port '%s': HOSTPORT is 1-65535", s);
	*port = v;
	return 0;
}

/*
 * The mappings of port rm: each whole spec parsed, each short HOSTPORT[/proto]
 * replaced by the mappings of @ep that publish it (on any host address), one
 * port each. *out: free() it.
 */
static int rm_mappings(struct cli *cli, const char *ep, int argc, char **argv,
		       struct bpfnet_port_mapping **out, size_t *n_out)
{
	struct bpfnet_port_mapping *maps, *rm;
	size_t n_maps, n = 0;
	int err = bpfnet_port__list(cli->bn, ep, &maps, &n_maps);

	if (err)
		return report_error(cli, err);
	rm = calloc((size_t)argc + n_maps, sizeof(*rm));
	if (!rm) {
		free(maps);
		return fail_error("out of memory");
	}
	for (int i = 0; i < argc && !err; i++) {
		enum bpfnet_proto proto = BPFNET_PROTO_TCP;
		uint16_t port = 0;
		size_t found = 0;

		if (strchr(argv[i], ':')) {
			err = bpfnet_port_spec_parse(argv[i], &rm[n++]) ? value_error() : 0;
			continue;
		}
		err = parse_host_port(argv[i], &port, &proto);
		/* a mapping holds a port once: at most one removal per mapping and argument */
		for (size_t m = 0; !err && m < n_maps && n < (size_t)argc + n_maps; m++) {
			struct bpfnet_port_mapping one = maps[m];

			if (one.proto != proto || port < one.host_port || port > one.host_port_last)
				continue;
			one.container_port += port - one.host_port;
			one.container_port_last = one.container_port;
			one.host_port = one.host_port_last = port;
			rm[n++] = one;
			found++;
		}
		if (!err && !found)
			err = cli_error(EXIT_FAIL, "not_found", ENOENT, "error: port %s is not "
					"published by endpoint '%s' ('bpfnet port ls %s' lists them)",
					argv[i], ep, ep);
	}
	free(maps);
	if (err)
		free(rm);
	else
		*out = rm;
	*n_out = n;
	return err;
}

static int do_rm(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_port_mapping *maps = NULL;
	size_t n = 0;
	int err;

	if (argc < 2)
		return usage_error("usage: bpfnet %s %s", port_cmds[1].name, port_cmds[1].usage);
	cli_ref(cli, "endpoint", argv[0]);
	err = rm_mappings(cli, argv[0], argc - 1, argv + 1, &maps, &n);
	if (err)
		return err;
	err = bpfnet_port__remove(cli->bn, argv[0], maps, n);
	free(maps);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(json_pack("{s:s, s:i}", "endpoint", argv[0], "removed", argc - 1));
	return EXIT_OK;
}

static json_t *mapping_json(const struct bpfnet_port_mapping *m)
{
	char spec[64];

	return json_pack("{s:s, s:s, s:s, s:o, s:i, s:i, s:o, s:i, s:i}", "endpoint", m->endpoint,
			 "spec", bpfnet_port_spec(m, spec, sizeof(spec)), "proto",
			 bpfnet_proto_str(m->proto), "host_ip", json_ip(&m->host_addr),
			 "host_port", m->host_port, "host_port_last", m->host_port_last,
			 "container_ip", json_ip(&m->container_addr), "container_port",
			 m->container_port, "container_port_last", m->container_port_last);
}

static int do_ls(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_port_mapping *maps = NULL;
	const char *ep = NULL;
	int quiet = 0;
	const struct opt opts[] = { QUIET(&quiet), {} };
	size_t n;
	int err;

	if (parse_args(&port_cmds[2], argc, argv, opts, &ep, 0, 1))
		return EXIT_USAGE;
	cli_ref(cli, "endpoint", ep);
	err = bpfnet_port__list(cli->bn, ep, &maps, &n);
	if (err)
		return report_error(cli, err);
	if (quiet) {
		for (size_t i = 0; i < n; i++) {
			char spec[64];

			printf("%s\n", bpfnet_port_spec(&maps[i], spec, sizeof(spec)));
		}
	} else if (cli->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, mapping_json(&maps[i]));
		print_json(arr);
	} else {
		printf("%-16s %-36s %s\n", "ENDPOINT", "MAPPING", "CONTAINER");
		for (size_t i = 0; i < n; i++) {
			char spec[64], ip[BPFNET_ADDRSTRLEN];

			printf("%-16s %-36s %s:%u\n", maps[i].endpoint,
			       bpfnet_port_spec(&maps[i], spec, sizeof(spec)),
			       ip_str(&maps[i].container_addr, ip), maps[i].container_port);
		}
	}
	free(maps);
	return EXIT_OK;
}

const struct cmd port_cmds[] = {
	{ "port add", do_add, "EP SPEC [SPEC...]",
	  "Publish ports of endpoint EP, all or nothing. SPEC as docker run -p: "
	  "[HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END][/tcp|/udp]; a range maps one to one, "
	  "HOST_IP (default 0.0.0.0: every address of the node) must be the node's.", CMD_NODE },
	{ "port rm", do_rm, "EP SPEC|HOSTPORT[/tcp|/udp] [...]",
	  "Unpublish ports of endpoint EP, given as the whole SPEC or as the host port (tcp "
	  "unless /udp) on whichever addresses EP publishes it; ends their flows.", CMD_NODE },
	{ "port ls", do_ls, "[EP] [-q]", "List the published ports (of EP; -q: the specs only).",
	  CMD_NODE },
	{}
};

/* Never answered: no packet came back in the reply direction (conntrack -L's [UNREPLIED]). */
static bool flow_unreplied(const struct bpfnet_ct_flow *f)
{
	return f->reply_packets == 0;
}

static json_t *flow_json(const struct bpfnet_ct_flow *f)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:{s:o, s:i, s:o, s:i}, s:{s:o, s:i, s:o, s:i}, "
			 "s:I, s:I, s:I, s:I, s:I, s:I}",
			 "proto", bpfnet_proto_str(f->proto), "kind", bpfnet_flow_kind_str(f->kind),
			 "state", bpfnet_flow_state_str(f->state), "unreplied", flow_unreplied(f),
			 "original", "src", json_ip(&f->orig_src), "sport", f->orig_sport, "dst",
			 json_ip(&f->orig_dst), "dport", f->orig_dport,
			 "reply", "src", json_ip(&f->reply_src), "sport", f->reply_sport, "dst",
			 json_ip(&f->reply_dst), "dport", f->reply_dport,
			 "age_ms", (json_int_t)f->age_ms, "expires_in_ms", (json_int_t)f->expires_in_ms,
			 "packets", (json_int_t)f->packets, "bytes", (json_int_t)f->bytes,
			 "reply_packets", (json_int_t)f->reply_packets,
			 "reply_bytes", (json_int_t)f->reply_bytes);
}

static void flow_print(const struct bpfnet_ct_flow *f)
{
	char a[BPFNET_ADDRSTRLEN], b[BPFNET_ADDRSTRLEN], c[BPFNET_ADDRSTRLEN], d[BPFNET_ADDRSTRLEN];
	char orig[128], reply[128];

	snprintf(orig, sizeof(orig), "%s:%u>%s:%u", ip_str(&f->orig_src, a), f->orig_sport,
		 ip_str(&f->orig_dst, b), f->orig_dport);
	snprintf(reply, sizeof(reply), "%s:%u>%s:%u", ip_str(&f->reply_src, c), f->reply_sport,
		 ip_str(&f->reply_dst, d), f->reply_dport);
	printf("%-5s %-10s %-12s %-9s %-44s %-44s %8llus %8llus %8llu/%llu\n",
	       bpfnet_proto_str(f->proto), bpfnet_flow_kind_str(f->kind),
	       bpfnet_flow_state_str(f->state), flow_unreplied(f) ? "UNREPLIED" : "-",
	       orig, reply, (unsigned long long)(f->age_ms / 1000),
	       (unsigned long long)((f->expires_in_ms + 999) / 1000),
	       (unsigned long long)f->packets, (unsigned long long)f->reply_packets);
}

/* ct ls's filters: every one given must match. */
struct flow_filter {
	bool by_ip;
	struct bpfnet_addr ip;	/* --endpoint: the endpoint's address on either side */
	enum bpfnet_proto proto;	/* --proto; 0: any */
	int port;		/* --port: any of the four ports; 0: any */
};

static bool addr_eq(const struct bpfnet_addr *a, const struct bpfnet_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET6)
		return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
	return a->v4.s_addr == b->v4.s_addr;
}

static bool flow_matches(const struct bpfnet_ct_flow *f, const struct flow_filter *ff)
{
	if (ff->proto && f->proto != ff->proto)
		return false;
	if (ff->port && f->orig_sport != ff->port && f->orig_dport != ff->port &&
	    f->reply_sport != ff->port && f->reply_dport != ff->port)
		return false;
	return !ff->by_ip || addr_eq(&f->orig_src, &ff->ip) || addr_eq(&f->orig_dst, &ff->ip) ||
	       addr_eq(&f->reply_src, &ff->ip) || addr_eq(&f->reply_dst, &ff->ip);
}

static int flow_filter_parse(struct cli *cli, const char *ep, const char *proto,
			     const char *port, struct flow_filter *ff)
{
	struct bpfnet_endpoint_info info = { .sz = sizeof(info) };
	unsigned long v;
	char *end;
	int err;

	memset(ff, 0, sizeof(*ff));
	if (proto && bpfnet_proto_parse(proto, &ff->proto))
		return value_errorf(EINVAL, "invalid --proto '%s': tcp, udp or icmp", proto);
	if (port) {
		v = strtoul(port, &end, 10);
		if (!isdigit((unsigned char)*port) || *end || !v || v > 65535)
			return value_errorf(EINVAL, "invalid --port '%s': 1-65535", port);
		ff->port = v;
	}
	if (!ep)
		return 0;
	cli_ref(cli, "endpoint", ep);
	err = bpfnet_endpoint__get(cli->bn, ep, &info);
	if (err)
		return report_error(cli, err);
	ff->by_ip = true;
	ff->ip = info.ip.addr;
	return 0;
}

static int do_ct_ls(struct cli *cli, int argc, char **argv)
{
	const char *ep = NULL, *proto = NULL, *port = NULL;
	const struct opt opts[] = {
		OPT("endpoint", &ep), OPT("proto", &proto), OPT("port", &port), {}
	};
	struct bpfnet_ct_flow *flows;
	struct flow_filter ff;
	size_t n, shown = 0, unreplied = 0;
	json_t *arr;
	int err;

	if (parse_args(&ct_cmds[0], argc, argv, opts, NULL, 0, 0))
		return EXIT_USAGE;
	err = flow_filter_parse(cli, ep, proto, port, &ff);
	if (err)
		return err;
	err = bpfnet_ct__list(cli->bn, &flows, &n);
	if (err)
		return report_error(cli, err);
	arr = json_array();
	if (!cli->json)
		printf("%-5s %-10s %-12s %-9s %-44s %-44s %9s %9s %s\n", "PROTO", "KIND", "STATE",
		       "FLAGS", "ORIGINAL", "REPLY", "AGE", "EXPIRES", "PACKETS");
	for (size_t i = 0; i < n; i++) {
		if (!flow_matches(&flows[i], &ff))
			continue;
		shown++;
		unreplied += flow_unreplied(&flows[i]);
		if (cli->json)
			json_array_append_new(arr, flow_json(&flows[i]));
		else
			flow_print(&flows[i]);
	}
	if (cli->json)
		print_json(json_incref(arr));
	else if (shown == n)
		printf("%zu flow%s (%zu unreplied)\n", n, n == 1 ? "" : "s", unreplied);
	else
		printf("%zu of %zu flows (%zu unreplied)\n", shown, n, unreplied);
	json_decref(arr);
	free(flows);
	return EXIT_OK;
}

static int do_ct_flush(struct cli *cli, int argc, char **argv)
{
	size_t n;
	int err;

	if (parse_args(&ct_cmds[1], argc, argv, NULL, NULL, 0, 0))
		return EXIT_USAGE;
	err = bpfnet_ct__flush(cli->bn, &n);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(json_pack("{s:I}", "flushed", (json_int_t)n));
	else
		printf("%zu flows flushed\n", n);
	return EXIT_OK;
}

static int do_ct_gc(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_ct_gc gc;
	int err;

	if (parse_args(&ct_cmds[2], argc, argv, NULL, NULL, 0, 0))
		return EXIT_USAGE;
	err = bpfnet_ct__gc(cli->bn, &gc);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(json_pack("{s:I, s:I, s:I}", "expired", (json_int_t)gc.expired,
				     "retired", (json_int_t)gc.retired,
				     "evicted", (json_int_t)gc.evicted));
	else
		printf("%llu flows collected: %llu expired, %llu of removed endpoints, %llu broken "
		       "by eviction\n", (unsigned long long)(gc.expired + gc.retired + gc.evicted),
		       (unsigned long long)gc.expired, (unsigned long long)gc.retired,
		       (unsigned long long)gc.evicted);
	return EXIT_OK;
}

const struct cmd ct_cmds[] = {
	{ "ct ls", do_ct_ls, "[--endpoint EP] [--proto tcp|udp|icmp] [--port N]",
	  "List the live flows: protocol, kind (portmap, masquerade, hairpin, routed), state, "
	  "UNREPLIED when nothing came back yet, both directions, age, seconds until expiry, "
	  "packets each way, and a count line. --endpoint: flows with EP's address on either "
	  "side; --port: N as any of their ports.", CMD_NODE },
	{ "ct flush", do_ct_flush, "", "Forget every tracked flow.", CMD_NODE },
	{ "ct gc", do_ct_gc, "", "Remove the flows that are over (expired, of removed "
	  "endpoints, broken by eviction) and count them.", CMD_NODE },
	{}
};
