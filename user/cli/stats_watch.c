// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet stats --watch: the counters read every interval, each block the
 * rates between two consecutive reads, over the time that really passed
 * between them (CLOCK_MONOTONIC), not the nominal interval. A counter that
 * went down (its endpoint was removed and made again under the same name)
 * is taken as restarted from zero, as Prometheus' rate() takes a reset.
 *
 * On a terminal each block redraws the screen; otherwise (a pipe, a file)
 * the blocks follow one another. With --json each block is one JSON object
 * on one line (JSON Lines), so that a script reads them as they come.
 * SIGINT and SIGTERM end the loop between two reads: exit status 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "stats.h"

static volatile sig_atomic_t watch_stop;

static void on_stop(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/* No SA_RESTART: a signal cuts the sleep short. */
static void watch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Sleep until @deadline (CLOCK_MONOTONIC); false when a signal asked to stop. */
static bool sleep_until(const struct timespec *deadline)
{
	while (!watch_stop) {
		int err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL);

		if (!err)
			return !watch_stop;
		if (err != EINTR)
			return false;
	}
	return false;
}

static void timespec_add(struct timespec *t, double sec)
{
	long long ns = (long long)(sec * 1e9);

	t->tv_sec += ns / 1000000000LL;
	t->tv_nsec += ns % 1000000000LL;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

/* Per second, from @before to @now over @dt seconds; a reset counts from zero. */
static double rate(uint64_t before, uint64_t now, double dt)
{
	uint64_t d = now >= before ? now - before : now;

	return dt > 0 ? (double)d / dt : 0.0;
}

static const struct bpfnet_endpoint_stats *ep_in(const struct stats_snap *s, const char *name)
{
	for (size_t i = 0; i < s->s.n_endpoints; i++)
		if (!strcmp(s->s.endpoints[i].name, name))
			return &s->s.endpoints[i];
	return NULL;
}

/* The same counter (by name) in the previous read; 0 if it was not there. */
static uint64_t stat_in(const struct bpfnet_drop_stat *a, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(a[i].reason, name))
			return a[i].packets;
	return 0;
}

/* An endpoint's five rates; one new since the last read counts from zero. */
struct ep_rates {
	double tx_pps, tx_bps, rx_pps, rx_bps, drops;
};

static struct ep_rates ep_rates(const struct stats_snap *prev, const struct stats_snap *cur,
				const struct bpfnet_endpoint_stats *e)
{
	static const struct bpfnet_endpoint_stats zero;
	const struct bpfnet_endpoint_stats *p = ep_in(prev, e->name) ?: &zero;
	double dt = cur->when - prev->when;

	return (struct ep_rates){ rate(p->tx_packets, e->tx_packets, dt),
				  rate(p->tx_bytes, e->tx_bytes, dt),
				  rate(p->rx_packets, e->rx_packets, dt),
				  rate(p->rx_bytes, e->rx_bytes, dt), rate(p->drops, e->drops, dt) };
}

/* The drop reasons or events of a read, each with its rate since the last one. */
static void print_moved(const char *title, const struct bpfnet_drop_stat *prev, size_t n_prev,
			const struct bpfnet_drop_stat *cur, size_t n, double dt,
			const struct watch_opts *o)
{
	char a[24];
	size_t shown = 0;

	printf("\n%-28s %12s\n", title, "PER-SECOND");
	for (size_t i = 0; i < n; i++) {
		uint64_t before = stat_in(prev, n_prev, cur[i].reason);

		if (before == cur[i].packets && !o->all)
			continue;
		printf("%-28s %12s\n", cur[i].reason,
		       stats_rate(o->human, rate(before, cur[i].packets, dt), 1000, a, sizeof(a)));
		shown++;
	}
	if (!shown)
		printf("(none moved)\n");
}

static void watch_print(const struct stats_snap *prev, const struct stats_snap *cur,
			unsigned long n, const struct watch_opts *o)
{
	const struct bpfnet_stats *s = &cur->s;
	double dt = cur->when - prev->when;
	char a[24], b[24], c[24], d[24], e[24];

	if (o->human)
		fputs("\033[H\033[2J", stdout);	/* home, clear: the block redraws the screen */
	else if (n > 1)
		fputc('\n', stdout);
	printf("interval %lu: rates over %.2f s; conntrack %llu flows, %llu of %llu entries "
	       "(%u%%)\n", n, dt, (unsigned long long)s->ct.flows,
	       (unsigned long long)s->ct_entries, (unsigned long long)s->ct_max, s->ct.fill_pct);
	printf("%-16s %12s %12s %12s %12s %10s\n", "ENDPOINT", "TX-PKT/S", "TX-BYTES/S",
	       "RX-PKT/S", "RX-BYTES/S", "DROPS/S");
	for (size_t i = 0; i < s->n_endpoints; i++) {
		struct ep_rates r = ep_rates(prev, cur, &s->endpoints[i]);

		printf("%-16s %12s %12s %12s %12s %10s\n", s->endpoints[i].name,
		       stats_rate(o->human, r.tx_pps, 1000, a, sizeof(a)),
		       stats_rate(o->human, r.tx_bps, 1024, b, sizeof(b)),
		       stats_rate(o->human, r.rx_pps, 1000, c, sizeof(c)),
		       stats_rate(o->human, r.rx_bps, 1024, d, sizeof(d)),
		       stats_rate(o->human, r.drops, 1000, e, sizeof(e)));
	}
	print_moved("DROP-REASON", prev->s.drops, prev->s.n_drops, s->drops, s->n_drops, dt, o);
	print_moved("EVENT", prev->s.events, prev->s.n_events, s->events, s->n_events, dt, o);
	if (o->human)
		printf("\n(every %.1f s; Ctrl-C ends)\n", o->interval);
}

static json_t *moved_json(const struct bpfnet_drop_stat *prev, size_t n_prev,
			  const struct bpfnet_drop_stat *cur, size_t n, double dt, bool all)
{
	json_t *j = json_object();

	for (size_t i = 0; i < n; i++) {
		uint64_t before = stat_in(prev, n_prev, cur[i].reason);

		if (before != cur[i].packets || all)
			json_object_set_new(j, cur[i].reason,
					    json_real(rate(before, cur[i].packets, dt)));
	}
	return j;
}

/* One line: {"interval": N, "seconds": dt, "endpoints": [...], "drops_per_s": {...}, ...}. */
static void watch_json(const struct stats_snap *prev, const struct stats_snap *cur,
		       unsigned long n, const struct watch_opts *o)
{
	const struct bpfnet_stats *s = &cur->s;
	double dt = cur->when - prev->when;
	json_t *eps = json_array();

	for (size_t i = 0; i < s->n_endpoints; i++) {
		const struct bpfnet_endpoint_stats *e = &s->endpoints[i];
		struct ep_rates r = ep_rates(prev, cur, e);

		json_array_append_new(
			eps, json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:f}", "name", e->name,
				       "network", snap_network(cur, e->name), "tx_packets_per_s",
				       r.tx_pps, "tx_bytes_per_s", r.tx_bps, "rx_packets_per_s",
				       r.rx_pps, "rx_bytes_per_s", r.rx_bps, "drops_per_s", r.drops));
	}
	json_dumpf(json_pack("{s:I, s:f, s:o, s:o, s:o, s:o}", "interval", (json_int_t)n,
			     "seconds", dt, "endpoints", eps, "drops_per_s",
			     moved_json(prev->s.drops, prev->s.n_drops, s->drops, s->n_drops, dt,
					o->all),
			     "events_per_s",
			     moved_json(prev->s.events, prev->s.n_events, s->events, s->n_events,
					dt, o->all),
			     "ct", ct_json(&s->ct)),
		   stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}

int stats_watch(struct cli *cli, const struct watch_opts *o)
{
	struct stats_snap prev = {}, cur = {};
	struct timespec deadline;
	int err;

	watch_signals();
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	err = stats_snap_get(cli->bn, &prev);
	for (unsigned long n = 1; !err && (!o->count || n <= o->count); n++) {
		timespec_add(&deadline, o->interval);
		if (!sleep_until(&deadline))
			break;
		err = stats_snap_get(cli->bn, &cur);
		if (err)
			break;
		if (cli->json)
			watch_json(&prev, &cur, n, o);
		else
			watch_print(&prev, &cur, n, o);
		fflush(stdout);
		stats_snap_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
	}
	stats_snap_free(&prev);
	stats_snap_free(&cur);
	return err ? report_error(cli, err) : EXIT_OK;
}
