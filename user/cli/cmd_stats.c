// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet stats [--all] [--prometheus] [--watch [--interval S] [--count N]] */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

const struct cmd stats_cmd = {
	"stats", do_stats, "[--all] [--prometheus] [--watch [--interval SECONDS] [--count N]]",
	"Counters per endpoint, drop reason and event; the conntrack fill (warns above 90%). "
	"Drop reasons that never happened are left out unless --all; on a terminal, bytes "
	"and counts in human units (K, M, G). --prometheus prints every counter and gauge in "
	"Prometheus' text exposition format (0.0.4) for a scraper or node_exporter's textfile "
	"collector. --watch reads the counters every --interval seconds (default 1) and shows "
	"the rates between two reads (packets/s, bytes/s, the drop reasons and events that "
	"moved): redrawn on a terminal, one block per interval otherwise, one JSON object a "
	"line with --json; --count N stops after N intervals, Ctrl-C at any time.", CMD_NODE
};

#define WATCH_INTERVAL_MAX 86400.0
#define WATCH_INTERVAL_MIN 0.1
#define WATCH_COUNT_MAX 1000000000UL

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int stats_snap_get(struct bpfnet *bn, struct stats_snap *snap)
{
	int err;

	snap->s.sz = sizeof(snap->s);
	err = bpfnet_stats__get(bn, &snap->s);
	snap->when = monotonic_now();
	if (!err)
		err = bpfnet_endpoint__list(bn, &snap->eps, &snap->n_eps) ?:
		      bpfnet_port__list(bn, NULL, &snap->ports, &snap->n_ports);
	return err;
}

void stats_snap_free(struct stats_snap *snap)
{
	bpfnet_stats__free(&snap->s);
	free(snap->eps);
	free(snap->ports);
	memset(snap, 0, sizeof(*snap));
}

const char *snap_network(const struct stats_snap *snap, const char *name)
{
	for (size_t i = 0; i < snap->n_eps; i++)
		if (!strcmp(snap->eps[i].name, name))
			return snap->eps[i].network;
	return "";
}

uint64_t snap_published_ports(const struct stats_snap *snap, const char *name)
{
	uint64_t n = 0;

	for (size_t i = 0; i < snap->n_ports; i++) {
		const struct bpfnet_port_mapping *m = &snap->ports[i];

		if (!name || !strcmp(m->endpoint, name))
			n += (uint64_t)m->host_port_last - m->host_port + 1;
	}
	return n;
}

static const char *human_units(double d, unsigned int base, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (d >= base && u < 5) {
		d /= base;
		u++;
	}
	snprintf(buf, len, d < 10 ? "%.1f%c%s" : "%.0f%c%s", d, units[u], base == 1024 ? "i" : "");
	return buf;
}

const char *stats_num(bool human, uint64_t v, unsigned int base, char *buf, size_t len)
{
	if (!human || v < base) {
		snprintf(buf, len, "%llu", (unsigned long long)v);
		return buf;
	}
	return human_units((double)v, base, buf, len);
}

const char *stats_rate(bool human, double v, unsigned int base, char *buf, size_t len)
{
	if (!human || v < base) {
		snprintf(buf, len, "%.1f", v);
		return buf;
	}
	return human_units(v, base, buf, len);
}

static void stats_print(const struct stats_snap *snap, bool human, bool all)
{
	const struct bpfnet_stats *s = &snap->s;
	char buf[256], a[24], b[24], c[24], d[24], e[24];
	size_t hidden = 0;

	printf("%-16s %12s %14s %12s %14s %10s\n", "ENDPOINT", "TX-PACKETS", "TX-BYTES",
	       "RX-PACKETS", "RX-BYTES", "DROPS");
	for (size_t i = 0; i < s->n_endpoints; i++) {
		const struct bpfnet_endpoint_stats *ep = &s->endpoints[i];

		printf("%-16s %12s %14s %12s %14s %10s\n", ep->name,
		       stats_num(human, ep->tx_packets, 1000, a, sizeof(a)),
		       stats_num(human, ep->tx_bytes, 1024, b, sizeof(b)),
		       stats_num(human, ep->rx_packets, 1000, c, sizeof(c)),
		       stats_num(human, ep->rx_bytes, 1024, d, sizeof(d)),
		       stats_num(human, ep->drops, 1000, e, sizeof(e)));
	}
	printf("\n%-28s %12s\n", "DROP-REASON", "PACKETS");
	for (size_t i = 0; i < s->n_drops; i++) {
		if (!s->drops[i].packets && !all) {
			hidden++;
			continue;
		}
		printf("%-28s %12s\n", s->drops[i].reason,
		       stats_num(human, s->drops[i].packets, 1000, a, sizeof(a)));
	}
	if (hidden)
		printf("(%zu drop reason%s at zero not shown: --all shows them)\n", hidden,
		       hidden == 1 ? "" : "s");
	printf("\n%-28s %12s\n", "EVENT", "COUNT");
	for (size_t i = 0; i < s->n_events; i++)
		printf("%-28s %12s\n", s->events[i].reason,
		       stats_num(human, s->events[i].packets, 1000, a, sizeof(a)));
	printf("%-28s %12llu (live, as ct ls lists them)\n", "ct_flows",
	       (unsigned long long)s->ct.flows);
	printf("%-28s %12llu of %llu (%u%%)\n", "ct_entries", (unsigned long long)s->ct_entries,
	       (unsigned long long)s->ct_max, s->ct.fill_pct);
	printf("%-28s %12llu (created, less ended, less live: lost to LRU eviction)\n", "ct_lost",
	       (unsigned long long)s->ct.lost);
	printf("%-28s %12llu\n", "published_ports",
	       (unsigned long long)snap_published_ports(snap, NULL));
	if (ct_warning(&s->ct, buf, sizeof(buf)))
		printf("\nwarning: %s\n", buf);
}

static json_t *stats_json(const struct stats_snap *snap)
{
	const struct bpfnet_stats *s = &snap->s;
	json_t *eps = json_array(), *drops = json_object(), *events = json_object();

	for (size_t i = 0; i < s->n_endpoints; i++) {
		const struct bpfnet_endpoint_stats *e = &s->endpoints[i];

		json_array_append_new(
			eps, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "name", e->name,
				       "network", snap_network(snap, e->name), "tx_packets",
				       (json_int_t)e->tx_packets, "tx_bytes", (json_int_t)e->tx_bytes,
				       "rx_packets", (json_int_t)e->rx_packets, "rx_bytes",
				       (json_int_t)e->rx_bytes, "drops", (json_int_t)e->drops,
				       "published_ports",
				       (json_int_t)snap_published_ports(snap, e->name)));
	}
	for (size_t i = 0; i < s->n_drops; i++)
		json_object_set_new(drops, s->drops[i].reason,
				    json_integer((json_int_t)s->drops[i].packets));
	for (size_t i = 0; i < s->n_events; i++)
		json_object_set_new(events, s->events[i].reason,
				    json_integer((json_int_t)s->events[i].packets));
	return json_pack("{s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:o}", "endpoints", eps, "drops",
			 drops, "events", events, "ct_entries", (json_int_t)s->ct_entries,
			 "ct_max", (json_int_t)s->ct_max, "published_ports",
			 (json_int_t)snap_published_ports(snap, NULL), "ct", ct_json(&s->ct),
			 "warnings", warnings_json(&s->ct));
}

/* --interval: seconds, a decimal number in [WATCH_INTERVAL_MIN, WATCH_INTERVAL_MAX]. */
static int parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < WATCH_INTERVAL_MIN ||
	    v > WATCH_INTERVAL_MAX)
		return value_errorf(EINVAL, "--interval takes seconds from %.1f to %.0f, not '%s'",
				    WATCH_INTERVAL_MIN, WATCH_INTERVAL_MAX, s);
	*out = v;
	return 0;
}

/* --count: a whole number of intervals, 1..WATCH_COUNT_MAX. */
static int parse_count(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '1' || *s > '9' || *end || errno || v > WATCH_COUNT_MAX)
		return value_errorf(EINVAL, "--count takes a whole number from 1 to %lu, not '%s'",
				    WATCH_COUNT_MAX, s);
	*out = v;
	return 0;
}

/* The options that do not go together, refused before anything is read. */
static int stats_opts_check(int prom, int watch, int all, const char *interval,
			    const char *count, bool json)
{
	if (prom && watch)
		return usage_error("--prometheus and --watch do not go together: a scraper "
				   "computes its own rates (rate() of the _total series)");
	if (prom && json)
		return usage_error("--prometheus and --json do not go together: choose one format");
	if (prom && all)
		return usage_error("--prometheus always exposes every drop reason; --all is for "
				   "the table");
	if (!watch && (interval || count))
		return usage_error("--%s is an option of --watch", interval ? "interval" : "count");
	return 0;
}

int do_stats(struct cli *cli, int argc, char **argv)
{
	struct watch_opts w = { .interval = 1.0, .human = isatty(STDOUT_FILENO) };
	int all = 0, prom = 0, watch = 0;
	const char *interval = NULL, *count = NULL;
	const struct opt opts[] = { FLAG("all", &all), FLAG("prometheus", &prom),
				    FLAG("watch", &watch), OPT("interval", &interval),
				    OPT("count", &count), {} };
	struct stats_snap snap = {};
	int err;

	if (parse_args(&stats_cmd, argc, argv, opts, NULL, 0, 0))
		return EXIT_USAGE;
	err = stats_opts_check(prom, watch, all, interval, count, cli->json);
	if (!err && interval)
		err = parse_interval(interval, &w.interval);
	if (!err && count)
		err = parse_count(count, &w.count);
	if (err)
		return err;
	w.all = all;
	if (watch)
		return stats_watch(cli, &w);
	err = stats_snap_get(cli->bn, &snap);
	if (err) {
		stats_snap_free(&snap);
		return report_error(cli, err);
	}
	if (prom)
		stats_prometheus(stdout, bpfnet__instance(cli->bn), &snap);
	else if (cli->json)
		print_json(stats_json(&snap));
	else
		stats_print(&snap, w.human, all);
	stats_snap_free(&snap);
	return EXIT_OK;
}
