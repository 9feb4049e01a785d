// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet network create|ls|show|rm */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static json_t *network_json(const struct bpfnet_network_info *n)
{
	char subnet[BPFNET_PREFIXSTRLEN];
	json_t *j;

	bpfnet_prefix_str(&n->subnet, subnet, sizeof(subnet));
	j = json_pack("{s:s, s:i, s:s, s:s, s:o, s:s, s:b, s:b, s:i}", "name", n->name, "id",
		      n->id, "mode", bpfnet_network_mode_str(n->mode), "subnet", subnet, "gateway",
		      json_ip(&n->gateway), "gateway_mode", bpfnet_gateway_mode_str(n->gateway_mode),
		      "masquerade", n->masquerade, "internal", n->internal, "endpoints",
		      n->endpoints);
	if (n->mode == BPFNET_NETWORK_BRIDGE)
		json_object_set_new(j, "gateway_mac", json_mac(n->gateway_mac));
	if (n->mode == BPFNET_NETWORK_MACVLAN)
		json_object_set_new(j, "parent", json_string(n->parent));
	return j;
}

/* The FLAGS column of network ls: how the network reaches out, if at all. */
static const char *network_flags(const struct bpfnet_network_info *n, char *buf, size_t len)
{
	if (n->mode == BPFNET_NETWORK_MACVLAN) {
		snprintf(buf, len, "parent=%s", n->parent);
		return buf;
	}
	if (n->internal)
		return "internal";
	return n->masquerade ? "masquerade" : "-";
}

static void network_print(const struct bpfnet_network_info *n)
{
	char a[BPFNET_PREFIXSTRLEN], b[BPFNET_ADDRSTRLEN];
	const uint8_t *m = n->gateway_mac;

	printf("name:         %s\nmode:         %s\nsubnet:       %s\ngateway:      %s\n"
	       "gateway-mode: %s\nmasquerade:   %s\ninternal:     %s\nendpoints:    %u\n",
	       n->name, bpfnet_network_mode_str(n->mode),
	       bpfnet_prefix_str(&n->subnet, a, sizeof(a)), ip_str(&n->gateway, b),
	       bpfnet_gateway_mode_str(n->gateway_mode), n->masquerade ? "yes" : "no",
	       n->internal ? "yes" : "no", n->endpoints);
	if (n->mode == BPFNET_NETWORK_BRIDGE)
		printf("gateway-mac:  %02x:%02x:%02x:%02x:%02x:%02x\n", m[0], m[1], m[2], m[3],
		       m[4], m[5]);
	if (n->mode == BPFNET_NETWORK_MACVLAN)
		printf("parent:       %s\n", n->parent);
}

/* The values of network create's options, parsed by the library's parsers. */
static int create_values(struct bpfnet_network_opts *o, const char *mode, const char *subnet,
			 const char *gateway, const char *gateway_mode)
{
	if (mode && bpfnet_network_mode_parse(mode, &o->mode))
		return value_error();
	if (!subnet)
		return usage_error("a subnet is required (--subnet CIDR, e.g. 10.1.0.0/24)");
	if (bpfnet_prefix_parse(subnet, &o->subnet))
		return value_errorf(EINVAL, "invalid subnet '%s': expected an IPv4 CIDR such as "
				    "10.1.0.0/24", subnet);
	if (gateway && bpfnet_addr_parse(gateway, &o->gateway))
		return value_errorf(EINVAL, "invalid gateway '%s': expected an IPv4 address",
				    gateway);
	if (gateway_mode && bpfnet_gateway_mode_parse(gateway_mode, &o->gateway_mode))
		return value_error();
	return 0;
}

static int do_create(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_network_opts o = { .sz = sizeof(o) };
	struct bpfnet_network_info info = { .sz = sizeof(info) };
	const char *mode = NULL, *subnet = NULL, *gateway = NULL, *gateway_mode = NULL;
	int no_masquerade = 0, internal = 0;
	const struct opt opts[] = {
		OPT("mode", &mode), OPT("subnet", &subnet), OPT("gateway", &gateway),
		FLAG("no-masquerade", &no_masquerade), FLAG("internal", &internal),
		OPT("gateway-mode", &gateway_mode), OPT("parent", &o.parent), {}
	};
	int err;

	if (parse_args(&network_cmds[0], argc, argv, opts, &o.name, 1, 1))
		return EXIT_USAGE;
	if (create_values(&o, mode, subnet, gateway, gateway_mode))
		return EXIT_USAGE;
	o.masquerade = no_masquerade ? BPFNET_NO : BPFNET_DEFAULT;
	o.internal = internal;
	err = bpfnet_network__create(cli->bn, &o, &info);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(network_json(&info));
	else
		network_print(&info);
	return EXIT_OK;
}

static int do_ls(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_network_info *nets;
	int quiet = 0;
	const struct opt opts[] = { QUIET(&quiet), {} };
	size_t n;
	int err;

	if (parse_args(&network_cmds[1], argc, argv, opts, NULL, 0, 0))
		return EXIT_USAGE;
	err = bpfnet_network__list(cli->bn, &nets, &n);
	if (err)
		return report_error(cli, err);
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", nets[i].name);
	} else if (cli->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, network_json(&nets[i]));
		print_json(arr);
	} else {
		printf("%-20s %-7s %-18s %-15s %-15s %-9s %s\n", "NAME", "MODE", "SUBNET",
		       "GATEWAY", "GATEWAY-MODE", "ENDPOINTS", "FLAGS");
		for (size_t i = 0; i < n; i++) {
			char b[BPFNET_ADDRSTRLEN], sub[BPFNET_PREFIXSTRLEN], f[IF_NAMESIZE + 8];

			printf("%-20s %-7s %-18s %-15s %-15s %-9u %s\n", nets[i].name,
			       bpfnet_network_mode_str(nets[i].mode),
			       bpfnet_prefix_str(&nets[i].subnet, sub, sizeof(sub)),
			       ip_str(&nets[i].gateway, b),
			       bpfnet_gateway_mode_str(nets[i].gateway_mode), nets[i].endpoints,
			       network_flags(&nets[i], f, sizeof(f)));
		}
	}
	free(nets);
	return EXIT_OK;
}

static int do_show(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_network_info info = { .sz = sizeof(info) };
	const char *name;
	int err;

	if (parse_args(&network_cmds[2], argc, argv, NULL, &name, 1, 1))
		return EXIT_USAGE;
	cli_ref(cli, "network", name);
	err = bpfnet_network__get(cli->bn, name, &info);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(network_json(&info));
	else
		network_print(&info);
	return EXIT_OK;
}

static int do_rm(struct cli *cli, int argc, char **argv)
{
	const char *name;
	int err;

	if (parse_args(&network_cmds[3], argc, argv, NULL, &name, 1, 1))
		return EXIT_USAGE;
	cli_ref(cli, "network", name);
	err = bpfnet_network__remove(cli->bn, name);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(json_pack("{s:s}", "removed", name));
	return EXIT_OK;
}

const struct cmd network_cmds[] = {
	{ "network create", do_create, "NAME --subnet CIDR [--mode l3|bridge|macvlan] "
	  "[--parent DEV] [--gateway IP] [--no-masquerade] [--internal] "
	  "[--gateway-mode nat|routed|nat-unprotected]",
	  "Create network NAME on subnet CIDR (IPv4). l3 (default): every container its own "
	  "routed /32 behind the gateway (default the subnet's first address); bridge: one L2 "
	  "segment with an FDB. macvlan (--parent DEV required): the kernel's macvlan in bridge "
	  "mode on the node's device DEV, as Docker's macvlan driver: containers sit on DEV's "
	  "segment with addresses of it (CIDR may be DEV's own subnet), the gateway is a router "
	  "there, not the node; no BPF in their path, so no published port, no masquerade, no "
	  "--internal or --gateway-mode, and (the kernel's design) no traffic between them and "
	  "the node. --no-masquerade: containers leave the node with their own "
	  "addresses. --internal (bridge): containers reach each other and nothing else. "
	  "--gateway-mode: what the outside reaches by routing to container addresses: nat "
	  "(default: the replies of the containers' own flows), routed (also published "
	  "container ports, no masquerade), nat-unprotected (everything).", 0 },
	{ "network ls", do_ls, "[-q]", "List the networks (-q: their names only).", 0 },
	{ "network show", do_show, "NAME", "Show network NAME.", 0 },
	{ "network rm", do_rm, "NAME", "Remove network NAME; refused while endpoints are "
	  "attached to it.", 0 },
	{}
};
