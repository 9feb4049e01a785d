// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet port add|rm|ls and bpfnet ct ls|flush */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

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
	struct bpfnet_port_mapping *maps;
	int err;

	if (argc < 2)
		return usage_error("usage: bpfnet %s %s", port_cmds[0].name, port_cmds[0].usage);
	err = parse_specs(argc - 1, argv + 1, &maps);
	if (err)
		return err;
	err = bpfnet_port__add(cli->bn, argv[0], maps, argc - 1);
	free(maps);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(json_pack("{s:s, s:i}", "endpoint", argv[0], "published", argc - 1));
	return EXIT_OK;
}

static int do_rm(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_port_mapping *maps;
	int err;

	if (argc < 2)
		return usage_error("usage: bpfnet %s %s", port_cmds[1].name, port_cmds[1].usage);
	err = parse_specs(argc - 1, argv + 1, &maps);
	if (err)
		return err;
	err = bpfnet_port__remove(cli->bn, argv[0], maps, argc - 1);
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
	struct bpfnet_port_mapping *maps;
	const char *ep = NULL;
	size_t n;
	int err;

	if (parse_args(&port_cmds[2], argc, argv, NULL, &ep, 0, 1))
		return EXIT_USAGE;
	err = bpfnet_port__list(cli->bn, ep, &maps, &n);
	if (err)
		return report_error(cli, err);
	if (cli->json) {
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
	{ "port add", do_add, "EP SPEC [SPEC...]   (SPEC: [HOST_IP:]HOST_PORT[-END]:"
			       "CONTAINER_PORT[-END][/tcp|/udp])" },
	{ "port rm", do_rm, "EP SPEC [SPEC...]" },
	{ "port ls", do_ls, "[EP]" },
	{}
};

static json_t *flow_json(const struct bpfnet_ct_flow *f)
{
	return json_pack("{s:s, s:s, s:s, s:{s:o, s:i, s:o, s:i}, s:{s:o, s:i, s:o, s:i}, s:I, "
			 "s:I, s:I, s:I, s:I, s:I}",
			 "proto", bpfnet_proto_str(f->proto), "kind", bpfnet_flow_kind_str(f->kind),
			 "state", bpfnet_flow_state_str(f->state),
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
	printf("%-5s %-10s %-12s %-44s %-44s %8llus %8llu/%llu\n", bpfnet_proto_str(f->proto),
	       bpfnet_flow_kind_str(f->kind), bpfnet_flow_state_str(f->state), orig, reply,
	       (unsigned long long)(f->age_ms / 1000), (unsigned long long)f->packets,
	       (unsigned long long)f->reply_packets);
}

static int do_ct_ls(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_ct_flow *flows;
	size_t n;
	int err;

	if (parse_args(&ct_cmds[0], argc, argv, NULL, NULL, 0, 0))
		return EXIT_USAGE;
	err = bpfnet_ct__list(cli->bn, &flows, &n);
	if (err)
		return report_error(cli, err);
	if (cli->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, flow_json(&flows[i]));
		print_json(arr);
	} else {
		printf("%-5s %-10s %-12s %-44s %-44s %9s %s\n", "PROTO", "KIND", "STATE",
		       "ORIGINAL", "REPLY", "AGE", "PACKETS");
		for (size_t i = 0; i < n; i++)
			flow_print(&flows[i]);
	}
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
	{ "ct ls", do_ct_ls, "" },
	{ "ct flush", do_ct_flush, "" },
	{ "ct gc", do_ct_gc, "" },
	{}
};
