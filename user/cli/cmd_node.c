// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet init|down|status|stats */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cmd init_cmd = { "init", do_init, "--uplink DEV" };
static const struct cmd down_cmd = { "down", do_down, "" };
static const struct cmd status_cmd = { "status", do_status, "" };
static const struct cmd stats_cmd = { "stats", do_stats, "" };

int do_init(struct cli *cli, int argc, char **argv)
{
	const char *uplink = NULL;
	const struct opt opts[] = { OPT("uplink", &uplink), {} };
	int err;

	if (parse_args(&init_cmd, argc, argv, opts, NULL, 0, 0))
		return EXIT_USAGE;
	if (!uplink)
		return usage_error("init needs --uplink DEV (the node's device towards the outside)");
	err = bpfnet_node__init(cli->bn, uplink);
	if (err)
		return report_error(cli, err);
	return do_status(cli, 0, NULL);
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

/* The state says initialized, the bpffs says otherwise: the datapath is not running. */
static void status_pins_missing(struct cli *cli, const struct bpfnet_node_info *info)
{
	const char *inst = bpfnet__instance(cli->bn);

	if (info->missing_pin[0])
		printf("instance %s: not running: the state says initialized on %s, but %s/%s is "
		       "not pinned", inst, info->uplink, info->pin_dir, info->missing_pin);
	else
		printf("instance %s: not running: the state says initialized on %s, but no bpffs "
		       "holds its pins", inst, info->uplink);
	printf("; 'bpfnet init --uplink %s' restores the datapath, 'bpfnet down' forgets it\n",
	       info->uplink);
}

int do_status(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_node_info info;
	int err;

	if (parse_args(&status_cmd, argc, argv, NULL, NULL, 0, 0))
		return EXIT_USAGE;
	err = bpfnet_node__info(cli->bn, &info);
	if (err)
		return report_error(cli, err);
	if (cli->json) {
		print_json(json_pack("{s:s, s:b, s:s, s:i, s:s, s:b, s:s}", "instance",
				     bpfnet__instance(cli->bn), "initialized", info.initialized,
				     "uplink", info.uplink, "uplink_ifindex", info.uplink_ifindex,
				     "pin_dir", info.pin_dir, "pins_missing", info.pins_missing,
				     "missing_pin", info.missing_pin));
	} else if (info.pins_missing) {
		status_pins_missing(cli, &info);
	} else if (!info.initialized) {
		printf("instance %s: not initialized\n", bpfnet__instance(cli->bn));
	} else {
		printf("instance %s: uplink %s (ifindex %u), pins in %s\n",
		       bpfnet__instance(cli->bn), info.uplink, info.uplink_ifindex, info.pin_dir);
	}
	return EXIT_OK;
}

static void stats_print(const struct bpfnet_stats *s)
{
	printf("%-16s %12s %14s %12s %14s %10s\n", "ENDPOINT", "TX-PACKETS", "TX-BYTES",
	       "RX-PACKETS", "RX-BYTES", "DROPS");
	for (size_t i = 0; i < s->n_endpoints; i++) {
		const struct bpfnet_endpoint_stats *e = &s->endpoints[i];

		printf("%-16s %12llu %14llu %12llu %14llu %10llu\n", e->name,
		       (unsigned long long)e->tx_packets, (unsigned long long)e->tx_bytes,
		       (unsigned long long)e->rx_packets, (unsigned long long)e->rx_bytes,
		       (unsigned long long)e->drops);
	}
	printf("\n%-24s %12s\n", "DROP-REASON", "PACKETS");
	for (size_t i = 0; i < s->n_drops; i++)
		printf("%-24s %12llu\n", s->drops[i].reason, (unsigned long long)s->drops[i].packets);
	printf("\n%-24s %12s\n", "EVENT", "COUNT");
	for (size_t i = 0; i < s->n_events; i++)
		printf("%-24s %12llu\n", s->events[i].reason, (unsigned long long)s->events[i].packets);
	printf("%-24s %12llu of %llu\n", "ct_entries", (unsigned long long)s->ct_entries,
	       (unsigned long long)s->ct_max);
}

static json_t *stats_json(const struct bpfnet_stats *s)
{
	json_t *eps = json_array(), *drops = json_object(), *events = json_object();

	for (size_t i = 0; i < s->n_endpoints; i++) {
		const struct bpfnet_endpoint_stats *e = &s->endpoints[i];

		json_array_append_new(eps, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "name",
						     e->name, "tx_packets", (json_int_t)e->tx_packets,
						     "tx_bytes", (json_int_t)e->tx_bytes,
						     "rx_packets", (json_int_t)e->rx_packets,
						     "rx_bytes", (json_int_t)e->rx_bytes,
						     "drops", (json_int_t)e->drops));
	}
	for (size_t i = 0; i < s->n_drops; i++)
		json_object_set_new(drops, s->drops[i].reason,
				    json_integer((json_int_t)s->drops[i].packets));
	for (size_t i = 0; i < s->n_events; i++)
		json_object_set_new(events, s->events[i].reason,
				    json_integer((json_int_t)s->events[i].packets));
	return json_pack("{s:o, s:o, s:o, s:I, s:I}", "endpoints", eps, "drops", drops, "events",
			 events, "ct_entries", (json_int_t)s->ct_entries, "ct_max",
			 (json_int_t)s->ct_max);
}

int do_stats(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_stats s;
	int err;

	if (parse_args(&stats_cmd, argc, argv, NULL, NULL, 0, 0))
		return EXIT_USAGE;
	err = bpfnet_stats__get(cli->bn, &s);
	if (err)
		return report_error(cli, err);
	if (cli->json)
		print_json(stats_json(&s));
	else
		stats_print(&s);
	bpfnet_stats__free(&s);
	return EXIT_OK;
}
