/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one door to the datapath's maps: a handle (struct dp, datapath.h)
 * that opens each map of the instance once per operation, and typed
 * operations per map. No other file of the library calls bpf_map_*(), but
 * dp/svc.c for the two maps of published ports, on this handle's fds.
 * All return 0 or -errno; a failure other than "no such entry" (-ENOENT,
 * left to the caller to word) sets the message.
 */
#ifndef BPFNET_DP_MAPS_H
#define BPFNET_DP_MAPS_H

#include <stdbool.h>
#include <netinet/in.h>
#include "dp/datapath.h"

/*
 * Use @fd (duplicated; the caller keeps its own) as map @m of @dp: the
 * packet tests run the control plane's operations on their skeleton's maps.
 */
int dp_adopt(struct dp *dp, enum dp_map m, int fd);
/* The entries of hash map @fd (keys of at most 64 bytes, as every datapath map's), counted
 * up to @limit + 1 (enough to tell "more"). */
__u32 dp_map_count(int fd, __u32 limit);
struct bpf_map_info;
/* The definition of the map pinned at @path into @info; *@pinned false (and 0) when none is. */
int dp_pinned_info(const char *path, struct bpf_map_info *info, bool *pinned);

/* ---- endpoints: ep_by_ifindex and ep_by_ip hold the same value ---- */
int dp_ep_put(struct dp *dp, const struct ep_state *ep,
	      const struct net_state *net);
/* Both entries of @ep; missing ones are fine. */
int dp_ep_del(struct dp *dp, const struct ep_state *ep);
int dp_ep_get_by_ip(struct dp *dp, __be32 ip, struct bpfnet_ep *val);
int dp_ep_get_by_ifindex(struct dp *dp, __u32 ifindex, struct bpfnet_ep *val);
int dp_ep_del_by_ip(struct dp *dp, __be32 ip);
int dp_ep_del_by_ifindex(struct dp *dp, __u32 ifindex);
/* The ifindexes ep_by_ifindex has, up to @max. */
int dp_ep_ifindexes(struct dp *dp, __u32 *ifindexes, size_t max, size_t *n);
/* The generations of both endpoint maps' entries, up to @max (a gen may come twice). */
int dp_ep_gens(struct dp *dp, __u32 *gens, size_t max, size_t *n);
/* A new endpoint's counters start at zero, not at its id's previous owner's. */
int dp_ep_stats_zero(struct dp *dp, unsigned int id);
/* Endpoint @id's counters, summed over CPUs. */
int dp_ep_stats_read(struct dp *dp, unsigned int id, struct bpfnet_ep_stats *sum);

/* ---- networks ---- */
int dp_net_put(struct dp *dp, const struct net_state *net);
/* An array slot cannot be deleted, only zeroed (mode NONE). */
int dp_net_clear(struct dp *dp, unsigned int net_id);
/* Replace bridge network @net_id's flood list whole (no ports: remove it). */
int dp_flood_put(struct dp *dp, unsigned int net_id, const struct bpfnet_flood *ports);

/* ---- the bridge FDB ---- */
struct fdb_dump {
	struct bpfnet_fdb_key *keys;
	struct bpfnet_fdb_val *vals;
	size_t n;
};

int dp_fdb_put(struct dp *dp, const struct bpfnet_fdb_key *key, const struct bpfnet_fdb_val *val);
int dp_fdb_get(struct dp *dp, const struct bpfnet_fdb_key *key, struct bpfnet_fdb_val *val);
int dp_fdb_del(struct dp *dp, const struct bpfnet_fdb_key *key);
/* Every entry now in the table (those deleted while it is read are left out). */
int dp_fdb_dump(struct dp *dp, struct fdb_dump *d);
void fdb_dump_free(struct fdb_dump *d);

/* ---- published container ports (portmap4 and backends4: dp/svc.h) ---- */
/* How many mappings lead to container port @key; 0 removes the entry. */
int dp_ep_port_set(struct dp *dp, const struct bpfnet_ep_port_key *key, __u32 count);

/* ---- config, node addresses ---- */
int dp_config_get(struct dp *dp, struct bpfnet_config *cfg);
int dp_config_put(struct dp *dp, const struct bpfnet_config *cfg);
/* Which netns the socket hooks serve; the generations handed out so far stay. */
int dp_config_set_cookie(struct dp *dp, __u64 netns_cookie);
/*
 * A new endpoint generation: never 0, never one handed out before while the
 * maps live. The caller holds the instance lock.
 */
int dp_ep_gen_next(struct dp *dp, unsigned int *gen);
/* Hand out generations from past @floor at least (a repair: the count was lost). */
int dp_ep_gen_floor(struct dp *dp, unsigned int floor);
/*
 * @n new service ids, *@first on: never 0, never handed out before while the
 * maps live. The caller holds the instance lock.
 */
int dp_svc_ids_take(struct dp *dp, size_t n, __u32 *first);
/* Hand out service ids from past @floor at least (a repair: the count was lost). */
int dp_svc_id_floor(struct dp *dp, __u32 floor);
/* Make node_addrs hold exactly @addrs: add the new, then drop the gone. */
int dp_node_addrs_set(struct dp *dp, const struct in_addr *addrs, size_t n);

/* ---- counters ---- */
/* cp_stats mapped: the node-wide counters the control plane adds to, with atomics. */
struct dp_cp_stats {
	__u64 *counters;	/* [BPFNET_G_MAX] */
	size_t len;
};

int dp_cp_stats_open(struct dp *dp, struct dp_cp_stats *cp);
void dp_cp_stats_close(struct dp_cp_stats *cp);
/* Add @n to @counter; safe against every other command doing the same at once. */
void dp_cp_count(struct dp_cp_stats *cp, enum bpfnet_global_counter counter, __u64 n);
/* Every node-wide counter: the datapath's (summed over CPUs) plus the control plane's. */
int dp_global_read(struct dp *dp, __u64 out[BPFNET_G_MAX]);
/* Drop reason @reason's packets, summed over CPUs. */
int dp_drop_read(struct dp *dp, unsigned int reason, __u64 *n);

/* ---- conntrack ---- */
/*
 * One batch of ct4 into @keys/@vals (room for *count; *count says how many
 * came). *token starts the walk at 0 and carries it on; -ENOENT after the
 * last batch (whose entries still came).
 */
int dp_ct_read_batch(struct dp *dp, __u32 *token, bool first, struct bpfnet_ct_key *keys,
		     struct bpfnet_ct_entry *vals, __u32 *count);
int dp_ct_get(struct dp *dp, const struct bpfnet_ct_key *key, struct bpfnet_ct_entry *e);
int dp_ct_del(struct dp *dp, const struct bpfnet_ct_key *key);

/* ---- any map, as bpfnet check compares and repairs them ---- */
struct dp_dump {
	void *keys, *vals;
	size_t n;
	__u32 ksz, vsz;
};

/* Every entry of map @m, its key and value sizes read from the kernel. */
int dp_map_dump(struct dp *dp, enum dp_map m, struct dp_dump *d);
void dp_dump_free(struct dp_dump *d);
void *dp_dump_key(const struct dp_dump *d, size_t i);
void *dp_dump_val(const struct dp_dump *d, size_t i);
/* Delete @key of map @m (missing is fine) / write @val under it. */
/* The max_entries of map @m as pinned (init chooses some: dp/sizes.h). */
int dp_max_entries(struct dp *dp, enum dp_map m, __u32 *max);
int dp_map_del(struct dp *dp, enum dp_map m, const void *key);
int dp_map_put(struct dp *dp, enum dp_map m, const void *key, const void *val);

/* ---- the event monitor (dp/monitor.c) ---- */
/* mon_ctl mapped: the listeners' slots, leases and mask, changed with atomics. */
struct dp_mon_ctl {
	struct bpfnet_mon_ctl *ctl;
	size_t len;
};

int dp_mon_ctl_open(struct dp *dp, struct dp_mon_ctl *ctl);
void dp_mon_ctl_close(struct dp_mon_ctl *ctl);
/* A new ring of mon_rings' shape: its fd, or -errno with the message set. */
int dp_mon_ring_create(struct dp *dp);
/* Ring @ring_fd as slot @slot's of mon_rings / the slot emptied (empty is fine). */
int dp_mon_ring_put(struct dp *dp, __u32 slot, int ring_fd);
int dp_mon_ring_del(struct dp *dp, __u32 slot);
/* mon_cpu's counters (produced, suppressed, lost), summed over CPUs. */
int dp_mon_counters_read(struct dp *dp, __u64 out[BPFNET_MON_CPU_COUNTERS]);

#endif
