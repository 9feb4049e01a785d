// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet fdb ls: where each MAC of the bridge networks lives */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static json_t *fdb_json(const struct bpfnet_fdb_entry *e)
{
	return json_pack("{s:s, s:o, s:s, s:s, s:i, s:s, s:I}", "network", e->network, "mac",
			 json_mac(e->mac), "endpoint", e->endpoint, "port", e->port, "ifindex",
			 e->ifindex, "type", e->is_static ? "static" : "learned", "age_ms",
			 (json_int_t)e->age_ms);
}

static void fdb_print(const struct bpfnet_fdb_entry *e)
{
	const uint8_t *m = e->mac;

	printf("%-20s %02x:%02x:%02x:%02x:%02x:%02x  %-16s %-16s %-8s %8.1fs\n", e->network, m[0],
	       m[1], m[2], m[3], m[4], m[5], *e->endpoint ? e->endpoint : "-",
	       *e->port ? e->port : "-", e->is_static ? "static" : "learned",
	       (double)e->age_ms / 1000);
}

static int do_fdb_ls(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_fdb_entry *list;
	const char *network = NULL;
	size_t n;
	int err;

	if (parse_args(&fdb_cmds[0], argc, argv, NULL, &network, 0, 1))
		return EXIT_USAGE;
	cli_ref(cli, "network", network);
	err = bpfnet_fdb__list(cli->bn, network, &list, &n);
	if (err)
		return report_error(cli, err);
	if (cli->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, fdb_json(&list[i]));
		print_json(arr);
	} else {
		printf("%-20s %-18s %-16s %-16s %-8s %9s\n", "NETWORK", "MAC", "ENDPOINT", "PORT",
		       "TYPE", "AGE");
		for (size_t i = 0; i < n; i++)
			fdb_print(&list[i]);
	}
	free(list);
	return EXIT_OK;
}

const struct cmd fdb_cmds[] = {
	{ "fdb ls", do_fdb_ls, "[NETWORK]", "Where each MAC of the bridge networks (or of "
	  "NETWORK) lives: the endpoint and port it is behind, static or learned, its age.",
	  CMD_NODE },
	{}
};
