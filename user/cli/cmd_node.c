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

/* The conntrack pressure warning, or NULL when the table is below BPFNET_CT_PRESSURE_PCT. */
static const char *ct_warning(const struct bpfnet_ct_summary *ct, char *buf, size_t len)
{
	if (!ct->pressure)
		return NULL;
	snprintf(buf, len, "conntrack table %u%% full (%llu of %llu entries): new flows evict "
		 "idle live ones; %llu flows lost to eviction so far", ct->fill_pct,
		 (unsigned long long)ct->entries, (unsigned long long)ct->max,
		 (unsigned long long)ct->lost);
	return buf;
}

static json_t *ct_json(const struct bpfnet_ct_summary *ct)
{
	return json_pack("{s:I, s:I, s:I, s:i, s:b, s:I, s:{s:I, s:I, s:I}}",
			 "flows", (json_int_t)ct->flows, "entries", (json_int_t)ct->entries,
			 "max", (json_int_t)ct->max, "fill_pct", (int)ct->fill_pct,
			 "pressure", ct->pressure, "lost", (json_int_t)ct->lost,
			 "collected", "expired", (json_int_t)ct->gc.expired,
			 "retired", (json_int_t)ct->gc.retired,
			 "evicted", (json_int_t)ct->gc.evicted);
}

static json_t *warnings_json(const struct bpfnet_ct_summary *ct)
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

int do_status(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_ct_summary ct = { .sz = sizeof(ct) };
	struct bpfnet_node_info info = { .sz = sizeof(info) };
	int err;

	if (parse_args(&status_cmd, argc, argv, NULL, NULL, 0, 0))
		return EXIT_USAGE;
	err = bpfnet_node__info(cli->bn, &info);
	if (!err && info.initialized)
		err = bpfnet_ct__summary(cli->bn, &ct);
	if (err)
		return report_error(cli, err);
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:b, s:s, s:i, s:s, s:b, s:s}", "instance",
				      bpfnet__instance(cli->bn), "initialized", info.initialized,
				      "uplink", info.uplink, "uplink_ifindex", info.uplink_ifindex,
				      "pin_dir", info.pin_dir, "pins_missing", info.pins_missing,
				      "missing_pin", info.missing_pin);

		if (info.initialized) {
			json_object_set_new(j, "ct", ct_json(&ct));
			json_object_set_new(j, "warnings", warnings_json(&ct));
		}
		print_json(j);
	} else if (info.pins_missing) {
		status_pins_missing(cli, &info);
	} else if (!info.initialized) {
		printf("instance %s: not initialized\n", bpfnet__instance(cli->bn));
	} else {
		printf("instance %s: uplink %s (ifindex %u), pins in %s\n",
		       bpfnet__instance(cli->bn), info.uplink, info.uplink_ifindex, info.pin_dir);
		ct_print(&ct);
	}
	return EXIT_OK;
}

static void stats_print(const struct bpfnet_stats *s)
{
	char buf[256];

	printf("%-16s %12s %14s %12s %14s %10s\n", "ENDPOINT", "TX-PACKETS", "TX-BYTES",
	       "RX-PACKETS", "RX-BYTES", "DROPS");
	for (size_t i = 0; i < s->n_endpoints; i++) {
		const struct bpfnet_endpoint_stats *e = &s->endpoints[i];

		printf("%-16s %12llu %14llu %12llu %14llu %10llu\n", e->name,
		       (unsigned long long)e->tx_packets, (unsigned long long)e->tx_bytes,
		       (unsigned long long)e->rx_packets, (unsigned long long)e->rx_bytes,
		       (unsigned long long)e->drops);
	}
	printf("\n%-28s %12s\n", "DROP-REASON", "PACKETS");
	for (size_t i = 0; i < s->n_drops; i++)
		printf("%-28s %12llu\n", s->drops[i].reason, (unsigned long long)s->drops[i].packets);
	printf("\n%-28s %12s\n", "EVENT", "COUNT");
	for (size_t i = 0; i < s->n_events; i++)
		printf("%-28s %12llu\n", s->events[i].reason, (unsigned long long)s->events[i].packets);
	printf("%-28s %12llu (live, as ct ls lists them)\n", "ct_flows",
	       (unsigned long long)s->ct.flows);
	printf("%-28s %12llu of %llu (%u%%)\n", "ct_entries", (unsigned long long)s->ct_entries,
	       (unsigned long long)s->ct_max, s->ct.fill_pct);
	printf("%-28s %12llu (created, less ended, less live: lost to LRU eviction)\n", "ct_lost",
	       (unsigned long long)s->ct.lost);
	if (ct_warning(&s->ct, buf, sizeof(buf)))
		printf("\nwarning: %s\n", buf);
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
	return json_pack("{s:o, s:o, s:o, s:I, s:I, s:o, s:o}", "endpoints", eps, "drops", drops,
			 "events", events, "ct_entries", (json_int_t)s->ct_entries, "ct_max",
			 (json_int_t)s->ct_max, "ct", ct_json(&s->ct), "warnings",
			 warnings_json(&s->ct));
}

int do_stats(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_stats s = { .sz = sizeof(s) };
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
