/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpfnet stats: one read of every counter (a snapshot), and its three
 * readers: the table and JSON (cmd_stats.c), the Prometheus text exposition
 * (stats_prom.c) and --watch's rates between two snapshots (stats_watch.c).
 */
#ifndef BPFNET_CLI_STATS_H
#define BPFNET_CLI_STATS_H

#include <stdio.h>

#include "cli.h"

/*
 * The counters, and what names them: each endpoint's network and published
 * ports come from the endpoint and port lists read just after the counters
 * (an endpoint removed in between has network "" and no ports).
 */
struct stats_snap {
	struct bpfnet_stats s;
	struct bpfnet_endpoint_info *eps;
	size_t n_eps;
	struct bpfnet_port_mapping *ports;	/* ranges as port ls folds them */
	size_t n_ports;
	double when;	/* CLOCK_MONOTONIC seconds of the counters' read */
};

/* Read @snap (zeroed by the caller); a negative errno, its words in the handle. */
int stats_snap_get(struct bpfnet *bn, struct stats_snap *snap);
void stats_snap_free(struct stats_snap *snap);
/* The network of endpoint @name in @snap; "" if the lists no longer have it. */
const char *snap_network(const struct stats_snap *snap, const char *name);
/* Host ports (a range counts each of its ports) published by @name; NULL: by every endpoint. */
uint64_t snap_published_ports(const struct stats_snap *snap, const char *name);

/* @v into @buf, exact or (@human) with a K/M/G suffix of powers of @base (1000 or 1024). */
const char *stats_num(bool human, uint64_t v, unsigned int base, char *buf, size_t len);
/* A rate: one decimal, or (@human) with a K/M/G suffix as stats_num(). */
const char *stats_rate(bool human, double v, unsigned int base, char *buf, size_t len);

/* stats_prom.c: @snap of instance @instance in the text exposition format 0.0.4 to @f. */
void stats_prometheus(FILE *f, const char *instance, const struct stats_snap *snap);

/* stats_watch.c */
struct watch_opts {
	double interval;	/* seconds between reads */
	unsigned long count;	/* blocks to print; 0: until SIGINT/SIGTERM */
	bool human;		/* a terminal: redraw in place, human units */
	bool all;		/* drop reasons and events that did not move too */
};
int stats_watch(struct cli *cli, const struct watch_opts *o);

#endif
