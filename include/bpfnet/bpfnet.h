/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfnet: the embedding API of the bpfnet container dataplane.
 *
 * Conventions (as libbpf): functions return 0 or a negative errno; on error
 * bpfnet__errmsg() says in words what was wrong and what is allowed. Options
 * structs start with their size (set .sz = sizeof(struct ...)) so they can grow.
 * Every call acts on the network namespace the caller is in (the "node").
 */
#ifndef BPFNET_BPFNET_H
#define BPFNET_BPFNET_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BPFNET_NAME_MAX 64	/* network and endpoint names, with the NUL */
#define BPFNET_PATH_MAX 256	/* netns paths, with the NUL */

enum bpfnet_log_level { BPFNET_WARN, BPFNET_INFO, BPFNET_DEBUG };
typedef int (*bpfnet_print_fn)(enum bpfnet_log_level level, const char *fmt, va_list ap);
/* Where the library (and libbpf under it) prints; NULL silences it. Returns the old one. */
bpfnet_print_fn bpfnet_set_print(bpfnet_print_fn fn);

struct bpfnet;

struct bpfnet_opts {
	size_t sz;
	const char *instance;	/* NULL: "default"; else [A-Za-z0-9_.-], 1..32 chars */
	const char *bpffs;	/* a bpffs mount; NULL: $BPFNET_BPFFS if set, else found */
	const char *run_dir;	/* state root; default $BPFNET_RUN_DIR, else /run/bpfnet */
};

/*
 * -EINVAL: an invalid instance name ("" included). A bpffs given (option or
 * $BPFNET_BPFFS, "" included) is checked here: -ENOENT (or another errno of
 * stat(2)) when it cannot be found, -ENOTDIR, -EMEDIUMTYPE when it is no bpffs.
 */
int bpfnet__open(const struct bpfnet_opts *opts, struct bpfnet **out);
void bpfnet__close(struct bpfnet *bn);
/* The last error of this handle, in words ("" when none). */
const char *bpfnet__errmsg(const struct bpfnet *bn);
const char *bpfnet__instance(const struct bpfnet *bn);

/* ---- node ---------------------------------------------------------------- */

struct bpfnet_node_info {
	int initialized;	/* the state says so, and the datapath is pinned */
	char uplink[IF_NAMESIZE];
	unsigned int uplink_ifindex;
	char pin_dir[BPFNET_PATH_MAX];
	int pins_missing;	/* the state says initialized, but the datapath is not pinned */
	char missing_pin[BPFNET_NAME_MAX];	/* the first pin not found; "": no bpffs found */
};

/* Load and pin the datapath, attach it to @uplink. Safe to re-run (upgrades in place). */
int bpfnet_node__init(struct bpfnet *bn, const char *uplink);
/* Detach and unpin everything of the instance, delete its veths, forget its state. */
int bpfnet_node__down(struct bpfnet *bn);
int bpfnet_node__info(struct bpfnet *bn, struct bpfnet_node_info *out);

/* One way the instance does not match its state; see bpfnet_node__check(). */
struct bpfnet_check_issue {
	char kind[32];		/* stable: "stray_veth", "map_entry_missing", ... (README) */
	char object[96];	/* what it is about: "endpoint c1", "ep_by_ip[10.1.0.5]", ... */
	char message[256];	/* in words */
	int repaired;		/* --repair fixed it: a second look found it gone */
};

struct bpfnet_check_opts {
	size_t sz;
	int repair;		/* fix what can be fixed, then look again */
};

/*
 * Compare the state with everything it describes: the pending journal entry,
 * every pinned map, the veths, the tc filters and the socket hooks. *issues
 * (malloc()ed, free() it) lists each inconsistency; none means consistent.
 * Returns 0 when the check could run, whatever it found.
 */
int bpfnet_node__check(struct bpfnet *bn, const struct bpfnet_check_opts *opts,
		       struct bpfnet_check_issue **issues, size_t *count);

/* ---- networks ------------------------------------------------------------ */

struct bpfnet_network_opts {
	size_t sz;
	const char *name;
	const char *mode;	/* "l3" (default) or "bridge" */
	const char *subnet;	/* IPv4 CIDR */
	const char *gateway;	/* default: first address of the subnet */
	int no_masquerade;	/* containers leave the node with their own address */
	int internal;		/* bridge only: containers reach each other and nothing else */
	/*
	 * What the outside reaches by routing to container addresses: "nat"
	 * (default: replies of the containers' own flows only), "routed" (also
	 * published container ports; no masquerade), "nat-unprotected" (all).
	 */
	const char *gateway_mode;
};

struct bpfnet_network_info {
	char name[BPFNET_NAME_MAX];
	unsigned int id;
	char mode[8];		/* "l3" or "bridge" */
	struct in_addr subnet;
	unsigned int prefix_len;
	struct in_addr gateway;
	unsigned int endpoints;
	int masquerade;
	int internal;
	uint8_t gateway_mac[6];	/* bridge: the gateway's MAC, the same for every container */
	char gateway_mode[16];	/* "nat", "nat-unprotected" or "routed" */
};

int bpfnet_network__create(struct bpfnet *bn, const struct bpfnet_network_opts *opts,
			   struct bpfnet_network_info *out);
/* Refused (-EBUSY) while endpoints are attached. */
int bpfnet_network__remove(struct bpfnet *bn, const char *name);
int bpfnet_network__get(struct bpfnet *bn, const char *name, struct bpfnet_network_info *out);
/* *out is malloc()ed, free() it. */
int bpfnet_network__list(struct bpfnet *bn, struct bpfnet_network_info **out, size_t *count);

/* ---- endpoints ----------------------------------------------------------- */

struct bpfnet_endpoint_opts {
	size_t sz;
	const char *network;
	const char *netns;	/* a name under /var/run/netns, or a path */
	const char *name;	/* default: the netns name */
	const char *ip;		/* default: the lowest free address */
	const char *ifname;	/* default "eth0" */
	unsigned int mtu;	/* default: the uplink's */
};

struct bpfnet_endpoint_info {
	char name[BPFNET_NAME_MAX];
	char network[BPFNET_NAME_MAX];
	char netns[BPFNET_PATH_MAX];
	char ifname[IF_NAMESIZE];
	char host_ifname[IF_NAMESIZE];
	unsigned int id;
	unsigned int host_ifindex;
	struct in_addr ip;
	unsigned int prefix_len;
	struct in_addr gateway;
	uint8_t mac[6];
	uint8_t host_mac[6];
	unsigned int mtu;
	/* new at every add, never reused: conntrack tells this endpoint's flows apart by it */
	unsigned int gen;
};

int bpfnet_endpoint__add(struct bpfnet *bn, const struct bpfnet_endpoint_opts *opts,
			 struct bpfnet_endpoint_info *out);
int bpfnet_endpoint__remove(struct bpfnet *bn, const char *name);
int bpfnet_endpoint__get(struct bpfnet *bn, const char *name, struct bpfnet_endpoint_info *out);
int bpfnet_endpoint__list(struct bpfnet *bn, struct bpfnet_endpoint_info **out, size_t *count);

/* ---- bridge forwarding database ------------------------------------------ */

struct bpfnet_fdb_entry {
	char network[BPFNET_NAME_MAX];
	uint8_t mac[6];
	char endpoint[BPFNET_NAME_MAX];	/* whose port the MAC is behind; "" if none known */
	char port[IF_NAMESIZE];		/* that endpoint's host-side veth */
	unsigned int ifindex;
	int is_static;			/* written by endpoint add; else learned from traffic */
	uint64_t age_ms;		/* since a frame from the MAC was last seen (or since add) */
};

/*
 * Where each MAC of bridge network @network (NULL: of every bridge network)
 * lives. Learned entries idle longer than the ageing time are left out.
 * *out is malloc()ed, free() it.
 */
int bpfnet_fdb__list(struct bpfnet *bn, const char *network, struct bpfnet_fdb_entry **out,
		     size_t *count);

/* ---- published ports ----------------------------------------------------- */

/*
 * One mapping as Docker's -p writes it: [HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END][/tcp|/udp].
 * A range maps one to one; host_ip 0.0.0.0 means every node address.
 */
struct bpfnet_port_mapping {
	char endpoint[BPFNET_NAME_MAX];
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	struct in_addr host_ip;
	uint16_t host_port;		/* first, host byte order */
	uint16_t host_port_last;
	uint16_t container_port;	/* first; the range is as long as the host's */
	struct in_addr container_ip;
};

/*
 * Publish @n specs of endpoint @endpoint, all or nothing: a bad spec or a
 * mapping that conflicts (same proto, address and port) fails the whole call.
 */
int bpfnet_port__add(struct bpfnet *bn, const char *endpoint, const char *const *specs, size_t n);
/* Unpublish; every port of every spec must be published by @endpoint. Ends their flows. */
int bpfnet_port__remove(struct bpfnet *bn, const char *endpoint, const char *const *specs,
			size_t n);
/* @m in the -p syntax ("127.0.0.1:8080-8081:80-81/tcp") into @buf; returns @buf. */
char *bpfnet_port_spec(const struct bpfnet_port_mapping *m, char *buf, size_t len);
/* @endpoint NULL: every endpoint's. *out is malloc()ed. */
int bpfnet_port__list(struct bpfnet *bn, const char *endpoint, struct bpfnet_port_mapping **out,
		      size_t *count);

/* ---- connection tracking ------------------------------------------------- */

struct bpfnet_ct_flow {
	uint8_t proto;
	char state[16];			/* "syn_sent", "established", ... */
	/* as the originator sent it, and the reply direction as it came back */
	struct in_addr orig_src, orig_dst, reply_src, reply_dst;
	uint16_t orig_sport, orig_dport, reply_sport, reply_dport;	/* host order */
	char kind[12];			/* "portmap", "masquerade", "hairpin" */
	uint64_t age_ms, expires_in_ms;
	uint64_t packets, bytes, reply_packets, reply_bytes;
};

/*
 * Every call below reads the whole table and also removes, and counts, the
 * flows that are over (as bpfnet_ct__gc()): listing the table tidies it.
 */

/* The live flows: intact, unexpired, between endpoints that still exist. */
int bpfnet_ct__list(struct bpfnet *bn, struct bpfnet_ct_flow **out, size_t *count);
/* Forget every tracked flow; *flushed (may be NULL) says how many were live. */
int bpfnet_ct__flush(struct bpfnet *bn, size_t *flushed);

/* What a walk of the table removed, by why the flows had ended. */
struct bpfnet_ct_gc {
	uint64_t expired;	/* their time had run out */
	uint64_t retired;	/* an endpoint of theirs was removed (or re-created) */
	uint64_t evicted;	/* broken: their other half was lost to LRU eviction */
};

/* Remove the flows that are over; *out (may be NULL) says how many of each. */
int bpfnet_ct__gc(struct bpfnet *bn, struct bpfnet_ct_gc *out);

/* Above this fill of the table, new flows evict idle live ones: a warning. */
#define BPFNET_CT_PRESSURE_PCT 90

struct bpfnet_ct_summary {
	uint64_t flows;		/* live flows, as bpfnet_ct__list() lists them */
	uint64_t entries;	/* in the table: two per flow, and what is not collected yet */
	uint64_t max;
	unsigned int fill_pct;	/* entries of max, rounded down */
	int pressure;		/* entries above BPFNET_CT_PRESSURE_PCT % of max */
	/*
	 * Flows created, less those that ended (expired, retired, flushed),
	 * less the live ones: the flows lost to LRU eviction, found or not
	 * (the counter ct_evicted has only those found half). Exact on a quiet
	 * table; under traffic, off by the flows begun or ended during the walk.
	 */
	uint64_t lost;
	struct bpfnet_ct_gc gc;	/* what this walk removed */
};

int bpfnet_ct__summary(struct bpfnet *bn, struct bpfnet_ct_summary *out);

/* ---- counters ------------------------------------------------------------ */

struct bpfnet_endpoint_stats {
	char name[BPFNET_NAME_MAX];
	uint64_t tx_packets, tx_bytes;	/* sent by the container */
	uint64_t rx_packets, rx_bytes;	/* delivered to it by the datapath */
	uint64_t drops;
};

struct bpfnet_drop_stat {
	const char *reason;
	uint64_t packets;
};

struct bpfnet_stats {
	struct bpfnet_endpoint_stats *endpoints;
	size_t n_endpoints;
	struct bpfnet_drop_stat *drops;	/* every reason, zero counts included */
	size_t n_drops;
	struct bpfnet_drop_stat *events;	/* node-wide: ct_created, ct_evicted, snat, ... */
	size_t n_events;
	uint64_t ct_entries;			/* entries in the conntrack table now */
	uint64_t ct_max;
	struct bpfnet_ct_summary ct;		/* the table walked (and collected) */
};

int bpfnet_stats__get(struct bpfnet *bn, struct bpfnet_stats *out);
void bpfnet_stats__free(struct bpfnet_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* BPFNET_BPFNET_H */
