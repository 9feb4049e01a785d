// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet stats --prometheus: Prometheus' text exposition format, version
 * 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Each metric family is written whole: "# HELP", "# TYPE", then its samples,
 * so that no family is split. Counters end in _total; every sample carries
 * bpfnet_instance (not "instance", which Prometheus gives the scrape target,
 * so that the exposition of several instances of one node may be joined in
 * node_exporter's textfile directory). Drop reasons at zero are exposed too:
 * a series that appears only once it is non-zero makes rate() miss its first
 * increase.
 */
#include <ctype.h>
#include <string.h>

#include "stats.h"

struct prom {
	FILE *f;
	const char *instance;
};

/* A label pair of a sample; the list ends with a NULL name. */
struct prom_label {
	const char *name, *value;
};

/* Label values escape backslash, double quote and line feed; HELP escapes only two. */
static void prom_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' && quote)
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

static void prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
	fprintf(p->f, "# HELP %s ", name);
	prom_escaped(p->f, help, false);
	fprintf(p->f, "\n# TYPE %s %s\n", name, type);
}

static void prom_labels(struct prom *p, const struct prom_label *labels)
{
	fputs("{bpfnet_instance=\"", p->f);
	prom_escaped(p->f, p->instance, true);
	fputc('"', p->f);
	for (; labels && labels->name; labels++) {
		fprintf(p->f, ",%s=\"", labels->name);
		prom_escaped(p->f, labels->value, true);
		fputc('"', p->f);
	}
	fputc('}', p->f);
}

static void prom_u64(struct prom *p, const char *name, const struct prom_label *labels,
		     uint64_t v)
{
	fputs(name, p->f);
	prom_labels(p, labels);
	fprintf(p->f, " %llu\n", (unsigned long long)v);
}

static void prom_f64(struct prom *p, const char *name, const struct prom_label *labels,
		     double v)
{
	fputs(name, p->f);
	prom_labels(p, labels);
	fprintf(p->f, " %.6g\n", v);
}

/* A family of one unlabelled sample. */
static void prom_single(struct prom *p, const char *name, const char *type, const char *help,
			uint64_t v)
{
	prom_family(p, name, type, help);
	prom_u64(p, name, NULL, v);
}

static void prom_info(struct prom *p, const struct stats_snap *snap)
{
	const struct prom_label l[] = { { "version", bpfnet_version() }, {} };

	prom_family(p, "bpfnet_info", "gauge", "The bpfnet library that read the counters (1).");
	prom_u64(p, "bpfnet_info", l, 1);
	prom_single(p, "bpfnet_endpoints", "gauge", "Endpoints of the instance.",
		    snap->s.n_endpoints);
}

/* What one column of struct bpfnet_endpoint_stats is. */
enum ep_field { EP_TX_PACKETS, EP_TX_BYTES, EP_RX_PACKETS, EP_RX_BYTES, EP_DROPS };

static uint64_t ep_field(const struct bpfnet_endpoint_stats *e, enum ep_field f)
{
	switch (f) {
	case EP_TX_PACKETS: return e->tx_packets;
	case EP_TX_BYTES: return e->tx_bytes;
	case EP_RX_PACKETS: return e->rx_packets;
	case EP_RX_BYTES: return e->rx_bytes;
	case EP_DROPS: return e->drops;
	}
	return 0;
}

/* One family per unit, a sample per endpoint and direction (tx: sent by the container). */
static void prom_endpoint_traffic(struct prom *p, const struct stats_snap *snap, const char *name,
				  const char *help, enum ep_field tx, enum ep_field rx)
{
	prom_family(p, name, "counter", help);
	for (size_t i = 0; i < snap->s.n_endpoints; i++) {
		const struct bpfnet_endpoint_stats *e = &snap->s.endpoints[i];
		const char *net = snap_network(snap, e->name);
		const struct prom_label ltx[] = { { "endpoint", e->name }, { "network", net },
						  { "direction", "tx" }, {} };
		const struct prom_label lrx[] = { { "endpoint", e->name }, { "network", net },
						  { "direction", "rx" }, {} };

		prom_u64(p, name, ltx, ep_field(e, tx));
		prom_u64(p, name, lrx, ep_field(e, rx));
	}
}

static void prom_endpoints(struct prom *p, const struct stats_snap *snap)
{
	prom_endpoint_traffic(p, snap, "bpfnet_endpoint_packets_total",
			      "Packets of the endpoint: direction tx sent by the container, rx "
			      "delivered to it by the datapath.", EP_TX_PACKETS, EP_RX_PACKETS);
	prom_endpoint_traffic(p, snap, "bpfnet_endpoint_bytes_total",
			      "Bytes of the endpoint: direction tx sent by the container, rx "
			      "delivered to it by the datapath.", EP_TX_BYTES, EP_RX_BYTES);
	prom_family(p, "bpfnet_endpoint_drops_total", "counter",
		    "Packets of the endpoint the datapath dropped (every reason).");
	for (size_t i = 0; i < snap->s.n_endpoints; i++) {
		const struct bpfnet_endpoint_stats *e = &snap->s.endpoints[i];
		const struct prom_label l[] = { { "endpoint", e->name },
						{ "network", snap_network(snap, e->name) }, {} };

		prom_u64(p, "bpfnet_endpoint_drops_total", l, e->drops);
	}
	prom_family(p, "bpfnet_endpoint_published_ports", "gauge",
		    "Host ports the endpoint publishes (a range counts each of its ports).");
	for (size_t i = 0; i < snap->s.n_endpoints; i++) {
		const struct bpfnet_endpoint_stats *e = &snap->s.endpoints[i];
		const struct prom_label l[] = { { "endpoint", e->name },
						{ "network", snap_network(snap, e->name) }, {} };

		prom_u64(p, "bpfnet_endpoint_published_ports", l,
			 snap_published_ports(snap, e->name));
	}
	prom_single(p, "bpfnet_published_ports", "gauge",
		    "Host ports published by every endpoint (a range counts each of its ports).",
		    snap_published_ports(snap, NULL));
}

static void prom_drops(struct prom *p, const struct stats_snap *snap)
{
	prom_family(p, "bpfnet_drops_total", "counter",
		    "Packets the datapath dropped, by reason (README: drop reasons).");
	for (size_t i = 0; i < snap->s.n_drops; i++) {
		const struct prom_label l[] = { { "reason", snap->s.drops[i].reason }, {} };

		prom_u64(p, "bpfnet_drops_total", l, snap->s.drops[i].packets);
	}
}

/* Words for the node-wide counters; one this table does not know gets generic ones. */
static const struct {
	const char *event, *help;
} event_help[] = {
	{ "ct_created", "Flows conntrack began tracking (a 4-tuple reused after its "
			"connection closed re-arms its entry: not counted again)." },
	{ "ct_evicted", "Flows found broken by the LRU eviction of one of their entries." },
	{ "ct_expired", "Flows found expired and removed." },
	{ "portmap_flows", "New flows through a published port (DNAT; 4-tuples, as ct_created)." },
	{ "masquerade_flows", "New flows leaving with the node's address (SNAT; 4-tuples, as "
			      "ct_created)." },
	{ "hairpin_flows", "New flows from a container to a published port." },
	{ "icmp_errors_translated", "ICMP errors translated for a NATed flow." },
	{ "fdb_learned", "MACs learned from traffic on bridge networks." },
	{ "fdb_moved", "MACs seen behind another port than the FDB said." },
	{ "fdb_aged", "Learned MACs removed after the ageing time." },
	{ "flooded", "Frames flooded on bridge networks (broadcast, multicast, unknown)." },
	{ "fragmented_datagrams", "First fragments whose ports were kept for the later ones." },
	{ "fragments_unmatched_to_node", "Later fragments before their first, from the uplink." },
	{ "ct_retired", "Flows of endpoints removed or re-created." },
	{ "ct_flushed", "Live flows removed by ct flush or port rm." },
	{ "uplink_passed", "Frames from an uplink left to the node's stack." },
};

static const char *event_help_of(const char *event)
{
	for (size_t i = 0; i < sizeof(event_help) / sizeof(event_help[0]); i++)
		if (!strcmp(event_help[i].event, event))
			return event_help[i].help;
	return "A node-wide counter of the datapath (bpfnet stats: EVENT).";
}

/* bpfnet_<event>_total, any character a metric name may not have made '_'. */
static void event_metric_name(const char *event, char *buf, size_t len)
{
	snprintf(buf, len, "bpfnet_%s_total", event);
	for (char *c = buf; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			*c = '_';
}

static void prom_events(struct prom *p, const struct stats_snap *snap)
{
	char name[128];

	for (size_t i = 0; i < snap->s.n_events; i++) {
		event_metric_name(snap->s.events[i].reason, name, sizeof(name));
		prom_single(p, name, "counter", event_help_of(snap->s.events[i].reason),
			    snap->s.events[i].packets);
	}
}

static void prom_ct(struct prom *p, const struct stats_snap *snap)
{
	const struct bpfnet_ct_summary *ct = &snap->s.ct;

	prom_single(p, "bpfnet_ct_flows", "gauge",
		    "Live tracked flows (as bpfnet ct ls lists them).", ct->flows);
	prom_single(p, "bpfnet_ct_entries", "gauge",
		    "Entries in the conntrack table (two per flow, and what is not collected yet).",
		    ct->entries);
	prom_single(p, "bpfnet_ct_entries_max", "gauge", "Capacity of the conntrack table.",
		    ct->max);
	prom_family(p, "bpfnet_ct_fill_ratio", "gauge",
		    "Entries of the conntrack table over its capacity (new flows evict idle live "
		    "ones above 0.9).");
	prom_f64(p, "bpfnet_ct_fill_ratio", NULL,
		 ct->max ? (double)ct->entries / (double)ct->max : 0.0);
	prom_single(p, "bpfnet_ct_lost_flows", "gauge",
		    "Flows created, less those that ended, less the live ones: lost to LRU "
		    "eviction.", ct->lost);
}

void stats_prometheus(FILE *f, const char *instance, const struct stats_snap *snap)
{
	struct prom p = { .f = f, .instance = instance };

	prom_info(&p, snap);
	prom_endpoints(&p, snap);
	prom_drops(&p, snap);
	prom_events(&p, snap);
	prom_ct(&p, snap);
	fflush(f);
}
