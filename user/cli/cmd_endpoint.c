// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet endpoint add|ls|show|rm */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static json_t *endpoint_json(const struct bpfnet_endpoint_info *e)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:i, s:o, s:o, s:s, s:i, s:o, s:i, s:i, s:I, "
			 "s:o}",
			 "name", e->name, "network", e->network, "netns", e->netns, "ifname",
			 e->ifname, "ip", json_ip(&e->ip.addr), "prefix_len", e->ip.len, "gateway",
			 json_ip(&e->gateway), "mac", json_mac(e->mac), "host_ifname",
			 e->host_ifname, "host_ifindex", e->host_ifindex, "host_mac",
			 json_mac(e->host_mac), "mtu", e->mtu, "id", e->id, "gen", (json_int_t)e->gen,
			 "container_id", e->container_id[0] ? json_string(e->container_id) : json_null());
}

static void endpoint_print(const struct bpfnet_endpoint_info *e)
{
	char ip[BPFNET_ADDRSTRLEN], gw[BPFNET_ADDRSTRLEN];
	const uint8_t *m = e->mac, *h = e->host_mac;

	printf("name:     %s\nnetwork:  %s\nnetns:    %s\nifname:   %s\nip:       %s/%u\n"
	       "gateway:  %s\nmac:      %02x:%02x:%02x:%02x:%02x:%02x\nmtu:      %u\n",
	       e->name, e->network, e->netns, e->ifname, ip_str(&e->ip.addr, ip), e->ip.len,
	       ip_str(&e->gateway, gw), m[0], m[1], m[2], m[3], m[4], m[5], e->mtu);
	/* a macvlan endpoint has no host side */
	if (e->host_ifname[0])
		printf("host-if:  %s (ifindex %u, mac %02x:%02x:%02x:%02x:%02x:%02x)\n",
		       e->host_ifname, e->host_ifindex, h[0], h[1], h[2], h[3], h[4], h[5]);
	else
		printf("host-if:  - (macvlan)\n");
	if (e->container_id[0])
		printf("container: %s\n", e->container_id);
}

/* aa:bb:cc:dd:ee:ff (either case) into @mac; the library says what it refuses of it. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int end = 0;

	if (!s)
		return 0;
	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2],
				      &b[3], &b[4], &b[5], &end) != 6 || end != 17 ||
	    strspn(s, "0123456789abcdefABCDEF:") != 17)
		return value_errorf(EINVAL, "invalid MAC '%s': six hex bytes such as "
				    "02:42:ac:11:00:02", s);
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return value_errorf(EINVAL, "invalid MAC '%s': all zero", s);
	return 0;
}

static int parse_mtu(const char *s, unsigned int *mtu)
{
	char *end;
	unsigned long v;

	if (!s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v == 0 || v > 65535 || *s == '-')
		return value_errorf(EINVAL, "invalid MTU '%s': a number from 68 to 65535", s);
	*mtu = v;
	return 0;
}

static int do_add(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_endpoint_opts o = { .sz = sizeof(o) };
	struct bpfnet_endpoint_info info = { .sz = sizeof(info) };
	const char *mtu = NULL, *ip = NULL, *mac = NULL;
	int no_default_route = 0;
	const struct opt opts[] = {
		OPT("netns", &o.netns), OPT("name", &o.name), OPT("ip", &ip),
		OPT("ifname", &o.ifname), OPT("mtu", &mtu), OPT("container-id", &o.container_id),
		OPT("mac", &mac), FLAG("no-default-route", &no_default_route), {}
	};
	int err;

	if (parse_args(&endpoint_cmds[0], argc, argv, opts, &o.network, 1, 1))
		return EXIT_USAGE;
	if (!o.netns)
		return usage_error("endpoint add needs --netns NAME|PATH");
	if (parse_mtu(mtu, &o.mtu) || parse_mac(mac, o.mac))
		return EXIT_USAGE;
	if (ip && bpfnet_addr_parse(ip, &o.ip))
		return value_errorf(EINVAL, "invalid address '%s': expected IPv4 such as 10.1.0.2",
				    ip);
	o.default_route = no_default_route ? BPFNET_NO : BPFNET_DEFAULT;
	cli_ref(cli, "network", o.network);
	err = bpfnet_endpoint__add(cli->bn, &o, &info);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(endpoint_json(&info));
	else
		endpoint_print(&info);
	return EXIT_OK;
}

static int do_ls(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_endpoint_info *eps;
	int quiet = 0;
	const struct opt opts[] = { QUIET(&quiet), {} };
	size_t n;
	int err;

	if (parse_args(&endpoint_cmds[1], argc, argv, opts, NULL, 0, 0))
		return EXIT_USAGE;
	err = bpfnet_endpoint__list(cli->bn, &eps, &n);
	if (err)
		return report_error(cli, err);
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", eps[i].name);
	} else if (cli->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, endpoint_json(&eps[i]));
		print_json(arr);
	} else {
		printf("%-16s %-12s %-18s %-17s %-14s %-12s %s\n", "NAME", "NETWORK", "IP", "MAC",
		       "HOST-IF", "CONTAINER", "NETNS");
		for (size_t i = 0; i < n; i++) {
			const uint8_t *m = eps[i].mac;
			char cidr[BPFNET_PREFIXSTRLEN];

			bpfnet_prefix_str(&eps[i].ip, cidr, sizeof(cidr));
			/* the short form of a runtime's ID, as docker ps shows it */
			printf("%-16s %-12s %-18s %02x:%02x:%02x:%02x:%02x:%02x %-14s %-12.12s %s\n",
			       eps[i].name, eps[i].network, cidr, m[0], m[1], m[2], m[3], m[4],
			       m[5], eps[i].host_ifname[0] ? eps[i].host_ifname : "-",
			       eps[i].container_id[0] ? eps[i].container_id : "-", eps[i].netns);
		}
	}
	free(eps);
	return EXIT_OK;
}

static int do_show(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_endpoint_info info = { .sz = sizeof(info) };
	const char *name = NULL, *container_id = NULL, *ifname = NULL;
	const struct opt opts[] = {
		OPT("container-id", &container_id), OPT("ifname", &ifname), {}
	};
	int err;

	if (parse_args(&endpoint_cmds[2], argc, argv, opts, &name, 0, 1))
		return EXIT_USAGE;
	if (!name == !container_id || (ifname && !container_id))
		return usage_error("usage: bpfnet %s %s", endpoint_cmds[2].name,
				   endpoint_cmds[2].usage);
	if (name) {
		cli_ref(cli, "endpoint", name);
		err = bpfnet_endpoint__get(cli->bn, name, &info);
	} else {
		err = bpfnet_endpoint__find(cli->bn, container_id, ifname, &info);
	}
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(endpoint_json(&info));
	else
		endpoint_print(&info);
	return EXIT_OK;
}

static int do_rm(struct cli *cli, int argc, char **argv)
{
	const char *name;
	int err;

	if (parse_args(&endpoint_cmds[3], argc, argv, NULL, &name, 1, 1))
		return EXIT_USAGE;
	cli_ref(cli, "endpoint", name);
	err = bpfnet_endpoint__remove(cli->bn, name);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(json_pack("{s:s}", "removed", name));
	return EXIT_OK;
}

/* Exit 0 when the endpoint is as it was made, 1 when something differs (as bpfnet check). */
static int do_check_ep(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_check_issue *issues;
	const char *name;
	size_t n;
	int err;

	if (parse_args(&endpoint_cmds[4], argc, argv, NULL, &name, 1, 1))
		return EXIT_USAGE;
	cli_ref(cli, "endpoint", name);
	err = bpfnet_endpoint__check(cli->bn, name, &issues, &n);
	if (err)
		return report_error(cli, err);
	if (cli->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, check_issue_json(&issues[i]));
		print_json(arr);
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%-24s %-28s %s\n", issues[i].kind, issues[i].object,
			       issues[i].message);
		if (!n)
			printf("endpoint %s: as it was made\n", name);
		else
			printf("endpoint %s: %zu difference%s\n", name, n, n == 1 ? "" : "s");
	}
	free(issues);
	return n ? EXIT_FAIL : EXIT_OK;
}

const struct cmd endpoint_cmds[] = {
	{ "endpoint add", do_add,
	  "NETWORK --netns NAME|PATH [--name EP] [--ip IP] [--ifname IF] [--mtu N] "
	  "[--container-id ID] [--mac MAC] [--no-default-route]",
	  "Give the network namespace NAME (under /var/run/netns) or PATH an interface IF "
	  "(default eth0) on NETWORK: a veth pair, the address IP (default the lowest free "
	  "one), a default route via the gateway (the first endpoint of the netns with one; "
	  "none with --no-default-route: only the subnet's route, for a further network of a "
	  "container, as docker network connect), the MTU N (default the uplink's), the MAC "
	  "MAC (default chosen). EP defaults to the netns name. ID is a container runtime's ID "
	  "of the container (64 hex characters from podman): one endpoint per ID and IF.",
	  CMD_NODE },
	{ "endpoint ls", do_ls, "[-q]", "List the endpoints (-q: their names only).", 0 },
	{ "endpoint show", do_show, "EP | --container-id ID [--ifname IF]",
	  "Show endpoint EP, or the one of container ID at interface IF (default eth0).", 0 },
	{ "endpoint rm", do_rm, "EP", "Remove endpoint EP: its veth pair, routes, published "
	  "ports and flows. When its netns is gone from its path already, the veth is taken "
	  "down and renamed bnHASHxGEN and the kernel deletes it with that netns, without the "
	  "wait a deletion costs.", 0 },
	{ "endpoint check", do_check_ep, "EP",
	  "Is endpoint EP as it was made: both ends of its veth (up, MAC, MTU), its address and "
	  "routes in its netns, its entries in every map, its published ports? Exit 1 when "
	  "something differs (the netns gone included).", CMD_NODE },
	{}
};
