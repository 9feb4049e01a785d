// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet monitor: the datapath's events as they happen, one line each (or
 * one JSON object a line), optionally the packets into a pcap file.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pcap.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
/* How often the datapath's counters are read for "N events suppressed" lines. */
#define COUNTERS_EVERY_MS 1000

const struct cmd monitor_cmd = {
	"monitor", do_monitor,
	"[--type drop|nat|flow|trace|all] [--endpoint EP] [--pcap FILE] [--count N] "
	"[--duration S]",
	"Stream the datapath's events, one line each (with --json one object a line): drops "
	"(reason, endpoint, direction, tuple), new flows with their translation (--type nat: "
	"the translated ones), flows a RST or the last FIN ends, and with trace every verdict. "
	"--type takes several, comma separated (default drop). --endpoint shows that "
	"endpoint's only; --pcap writes the packets' first 128 bytes (with their length) to "
	"FILE for tcpdump -r; --count and --duration stop after N events or S seconds. The "
	"datapath rate-limits events per CPU; what it held back is reported as \"N events "
	"suppressed\" (--json: {\"event\": \"suppressed\", ...}). Nobody listening costs "
	"the datapath one map lookup per packet; a monitor killed stops costing within 3 "
	"seconds. Up to 4 monitors at once.", CMD_NODE
};

struct monitor_run {
	struct cli *cli;
	const char *endpoint;		/* NULL: every one */
	unsigned long count;		/* 0: no end */
	unsigned long shown;
	struct pcap_writer pcap;
	int pcap_err;
	int64_t mono_to_real_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC, at the start */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static const char *tuple_str(const struct bpfnet_tuple *t, char *buf, size_t len)
{
	char s[BPFNET_ADDRSTRLEN], d[BPFNET_ADDRSTRLEN];

	if (!t->proto) {
		snprintf(buf, len, "-");
		return buf;
	}
	bpfnet_addr_str(&t->src, s, sizeof(s));
	bpfnet_addr_str(&t->dst, d, sizeof(d));
	if (t->proto == BPFNET_PROTO_TCP || t->proto == BPFNET_PROTO_UDP)
		snprintf(buf, len, "%s %s:%u -> %s:%u", bpfnet_proto_str(t->proto), s, t->sport, d,
			 t->dport);
	else if (t->proto == BPFNET_PROTO_ICMP)
		snprintf(buf, len, "icmp %s -> %s id %u", s, d, t->sport ? t->sport : t->dport);
	else
		snprintf(buf, len, "proto %u %s -> %s", (unsigned int)t->proto, s, d);
	return buf;
}

/* Where: the endpoint, else the device (the uplink towards containers, a veth from one). */
static const char *where_str(const struct bpfnet_monitor_event *e, char *buf, size_t len)
{
	if (*e->endpoint)
		snprintf(buf, len, "%s", e->endpoint);
	else
		snprintf(buf, len, "%s %s", e->to_endpoint ? "uplink" : "veth",
			 *e->ifname ? e->ifname : "?");
	return buf;
}

static void event_print(const struct monitor_run *r, const struct bpfnet_monitor_event *e)
{
	char tm[32], where[BPFNET_NAME_MAX + IF_NAMESIZE + 8], tup[128], before[128], after[128];
	time_t secs = (time_t)((e->ts_ns + r->mono_to_real_ns) / NSEC_PER_SEC);
	struct tm lt;

	localtime_r(&secs, &lt);
	strftime(tm, sizeof(tm), "%H:%M:%S", &lt);
	printf("%s.%06llu %-8s ", tm,
	       (unsigned long long)((e->ts_ns + r->mono_to_real_ns) % NSEC_PER_SEC / 1000),
	       bpfnet_monitor_event_kind_str(e->kind));
	where_str(e, where, sizeof(where));
	if (e->kind == BPFNET_EVENT_FLOW_NEW || e->kind == BPFNET_EVENT_FLOW_END) {
		tuple_str(&e->before, before, sizeof(before));
		tuple_str(&e->after, after, sizeof(after));
		printf("%s %s %s %s", bpfnet_flow_kind_str(e->flow_kind), where,
		       e->to_endpoint ? "to-endpoint" : "from-endpoint", before);
		if (strcmp(before, after))
			printf(" => %s", after);
		printf(" (%s)\n", bpfnet_flow_state_str(e->flow_state));
		return;
	}
	printf("%s %s %s %s len %u\n", e->kind == BPFNET_EVENT_DROP ? e->reason : e->verdict,
	       where, e->to_endpoint ? "to-endpoint" : "from-endpoint",
	       tuple_str(&e->tuple, tup, sizeof(tup)), e->len);
}

static json_t *tuple_json(const struct bpfnet_tuple *t)
{
	if (!t->proto)
		return json_null();
	return json_pack("{s:s, s:o, s:i, s:o, s:i}", "proto", bpfnet_proto_str(t->proto), "src",
			 json_ip(&t->src), "sport", t->sport, "dst", json_ip(&t->dst), "dport",
			 t->dport);
}

static json_t *hex_json(const uint8_t *data, uint32_t len)
{
	char *hex = malloc(2 * (size_t)len + 1);
	json_t *j;

	if (!hex)
		return json_null();
	for (uint32_t i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", data[i]);
	hex[2 * len] = 0;
	j = json_string(hex);
	free(hex);
	return j;
}

/* time_ns: since the epoch (the event's monotonic time moved by the clocks' offset at the start) */
static void event_json(const struct monitor_run *r, const struct bpfnet_monitor_event *e)
{
	json_t *j = json_pack("{s:s, s:I, s:s, s:s, s:i, s:s, s:s, s:s, s:o, s:i, s:i, s:o}",
			      "event", bpfnet_monitor_event_kind_str(e->kind), "time_ns",
			      (json_int_t)(e->ts_ns + r->mono_to_real_ns), "endpoint", e->endpoint, "ifname", e->ifname,
			      "ifindex", (int)e->ifindex, "direction",
			      e->to_endpoint ? "to_endpoint" : "from_endpoint", "hook",
			      e->xdp ? "xdp" : "tc", "verdict", e->verdict, "tuple",
			      tuple_json(&e->tuple), "len", (int)e->len, "cap_len", (int)e->cap_len,
			      "data", hex_json(e->data, e->cap_len));

	if (e->reason)
		json_object_set_new(j, "reason", json_string(e->reason));
	if (e->kind == BPFNET_EVENT_FLOW_NEW || e->kind == BPFNET_EVENT_FLOW_END)
		json_object_set_new(j, "flow", json_pack("{s:s, s:s, s:o, s:o}", "kind",
							 bpfnet_flow_kind_str(e->flow_kind),
							 "state", bpfnet_flow_state_str(e->flow_state),
							 "before", tuple_json(&e->before),
							 "after", tuple_json(&e->after)));
	json_dumpf(j, stdout, JSON_COMPACT);
	json_decref(j);
	putchar('\n');
}

/* Stops the poll (returns 1) once --count events were shown. */
static int on_event(const struct bpfnet_monitor_event *e, void *ctx)
{
	struct monitor_run *r = ctx;

	if (r->endpoint && strcmp(e->endpoint, r->endpoint))
		return 0;
	if (r->cli->json)
		event_json(r, e);
	else
		event_print(r, e);
	fflush(stdout);
	if (r->pcap.f && !r->pcap_err)
		r->pcap_err = pcap_write(&r->pcap, e->ts_ns + r->mono_to_real_ns, e->data,
					 e->cap_len, e->len);
	r->shown++;
	return r->count && r->shown >= r->count ? 1 : 0;
}

/* What the rate limit held back (and full rings lost) since @last, as a line of the stream. */
static void counters_line(struct monitor_run *r, const struct bpfnet_monitor_counters *now,
			  struct bpfnet_monitor_counters *last)
{
	uint64_t sup = now->suppressed - last->suppressed, lost = now->lost - last->lost;

	if (sup || lost) {
		if (r->cli->json)
			printf("{\"event\": \"suppressed\", \"suppressed\": %llu, \"lost\": %llu}\n",
			       (unsigned long long)sup, (unsigned long long)lost);
		else
			printf("-- %llu events suppressed by the rate limit, %llu lost (a ring "
			       "full), node-wide\n", (unsigned long long)sup,
			       (unsigned long long)lost);
		fflush(stdout);
	}
	*last = *now;
}

static int parse_ulong(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = s ? strtoul(s, &end, 10) : 0;
	if (s && (!*s || *end || errno || *s == '-' || *out == 0 || *out > max))
		return value_errorf(EINVAL, "%s '%s': expected a whole number from 1 to %lu", opt, s,
				    max);
	return 0;
}

static int monitor_loop(struct monitor_run *r, struct bpfnet_monitor *m, unsigned long duration)
{
	struct bpfnet_monitor_counters first = { .sz = sizeof(first) }, last, now;
	uint64_t start = clock_ns(CLOCK_MONOTONIC), next = start;
	int rc = 0, err = bpfnet_monitor__counters(m, &first);

	last = first;
	while (!err && !stop_signal && !rc) {
		uint64_t t = clock_ns(CLOCK_MONOTONIC);
		long wait = COUNTERS_EVERY_MS;

		if (duration && t - start >= duration * NSEC_PER_SEC)
			break;
		if (duration && (start + duration * NSEC_PER_SEC - t) / NSEC_PER_MSEC < (uint64_t)wait)
			wait = (long)((start + duration * NSEC_PER_SEC - t) / NSEC_PER_MSEC) + 1;
		rc = bpfnet_monitor__poll(m, (int)wait, on_event, r);
		if (rc < 0 && rc != -EINTR)	/* a signal: stop_signal says which */
			err = rc;
		/* events, or on_event's 1: done once --count were shown */
		rc = r->count && r->shown >= r->count;
		if (!err && clock_ns(CLOCK_MONOTONIC) >= next) {
			now.sz = sizeof(now);
			err = bpfnet_monitor__counters(m, &now);
			if (!err)
				counters_line(r, &now, &last);
			next = clock_ns(CLOCK_MONOTONIC) + COUNTERS_EVERY_MS * NSEC_PER_MSEC;
		}
	}
	if (err)
		return report_error(r->cli, err);
	now.sz = sizeof(now);
	if (!bpfnet_monitor__counters(m, &now)) {
		counters_line(r, &now, &last);
		fprintf(stderr, "monitor: %lu events shown; %llu events suppressed by the rate "
			"limit, %llu lost while it listened (node-wide)\n", r->shown,
			(unsigned long long)(now.suppressed - first.suppressed),
			(unsigned long long)(now.lost - first.lost));
	}
	return EXIT_OK;
}

int do_monitor(struct cli *cli, int argc, char **argv)
{
	const char *type = NULL, *endpoint = NULL, *pcap = NULL, *count = NULL, *duration = NULL;
	const struct opt opts[] = { OPT("type", &type), OPT("endpoint", &endpoint),
				    OPT("pcap", &pcap), OPT("count", &count),
				    OPT("duration", &duration), {} };
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: the poll returns */
	struct bpfnet_endpoint_info ep = { .sz = sizeof(ep) };
	struct monitor_run r = { .cli = cli };
	struct bpfnet_monitor_opts mo = { .sz = sizeof(mo) };
	struct bpfnet_monitor *m;
	unsigned long secs;
	int err, rc;

	if (parse_args(&monitor_cmd, argc, argv, opts, NULL, 0, 0))
		return EXIT_USAGE;
	if (type && bpfnet_monitor_types_parse(type, &mo.types))
		return value_error();
	if (parse_ulong("--count", count, ULONG_MAX, &r.count) ||
	    parse_ulong("--duration", duration, INT_MAX / 1000, &secs))
		return EXIT_USAGE;
	if (endpoint) {
		cli_ref(cli, "endpoint", endpoint);
		err = bpfnet_endpoint__get(cli->bn, endpoint, &ep);
		if (err)
			return report_error(cli, err);
		r.endpoint = endpoint;
	}
	if (pcap) {
		err = pcap_open(&r.pcap, pcap, BPFNET_MONITOR_SNAP_LEN);
		if (err)
			return fail_error("cannot write %s: %s", pcap, strerror(-err));
	}
	err = bpfnet_monitor__open(cli->bn, &mo, &m);
	if (err) {
		pcap_close(&r.pcap);
		return report_error(cli, err);
	}
	r.mono_to_real_ns = (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
	/* on stderr, so that the stream stays events only: what scripts wait for */
	fprintf(stderr, "monitor: listening for %s events%s%s\n", type ? type : "drop",
		endpoint ? " of endpoint " : "", endpoint ? endpoint : "");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = monitor_loop(&r, m, duration ? secs : 0);
	bpfnet_monitor__close(m);
	err = pcap_close(&r.pcap) ?: r.pcap_err;
	if (!rc && err)
		rc = fail_error("cannot write %s: %s", pcap, strerror(-err));
	return rc;
}
