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
	const char *instance;	/* default "default"; [A-Za-z0-9_.-], 1..32 chars */
	const char *bpffs;	/* bpffs mount; default $BPFNET_BPFFS, else /sys/fs/bpf */
	const char *run_dir;	/* state root; default $BPFNET_RUN_DIR, else /run/bpfnet */
};

int bpfnet__open(const struct bpfnet_opts *opts, struct bpfnet **out);
void bpfnet__close(struct bpfnet *bn);
/* The last error of this handle, in words ("" when none). */
const char *bpfnet__errmsg(const struct bpfnet *bn);
const char *bpfnet__instance(const struct bpfnet *bn);

/* ---- node ---------------------------------------------------------------- */

struct bpfnet_node_info {
	int initialized;
	char uplink[IF_NAMESIZE];
	unsigned int uplink_ifindex;
	char pin_dir[BPFNET_PATH_MAX];
};

/* Load and pin the datapath, attach it to @uplink. Safe to re-run (upgrades in place). */
int bpfnet_node__init(struct bpfnet *bn, const char *uplink);
/* Detach and unpin everything of the instance, delete its veths, forget its state. */
int bpfnet_node__down(struct bpfnet *bn);
int bpfnet_node__info(struct bpfnet *bn, struct bpfnet_node_info *out);

/* ---- networks ------------------------------------------------------------ */

struct bpfnet_network_opts {
	size_t sz;
	const char *name;
	const char *mode;	/* "l3" */
	const char *subnet;	/* IPv4 CIDR */
	const char *gateway;	/* default: first address of the subnet */
};

struct bpfnet_network_info {
	char name[BPFNET_NAME_MAX];
	unsigned int id;
	char mode[8];
	struct in_addr subnet;
	unsigned int prefix_len;
	struct in_addr gateway;
	unsigned int endpoints;
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
};

int bpfnet_endpoint__add(struct bpfnet *bn, const struct bpfnet_endpoint_opts *opts,
			 struct bpfnet_endpoint_info *out);
int bpfnet_endpoint__remove(struct bpfnet *bn, const char *name);
int bpfnet_endpoint__get(struct bpfnet *bn, const char *name, struct bpfnet_endpoint_info *out);
int bpfnet_endpoint__list(struct bpfnet *bn, struct bpfnet_endpoint_info **out, size_t *count);

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
};

int bpfnet_stats__get(struct bpfnet *bn, struct bpfnet_stats *out);
void bpfnet_stats__free(struct bpfnet_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* BPFNET_BPFNET_H */
