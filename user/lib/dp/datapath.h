/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The BPF side seen from the control plane: load, pin, attach, map access. */
#ifndef BPFNET_DATAPATH_H
#define BPFNET_DATAPATH_H

#include <stdbool.h>
#include <netinet/in.h>
#include "api/internal.h"
#include "bpfnet/abi.h"

/* tc filter handle every bpfnet filter uses; the priority tells instances apart. */
#define DP_TC_HANDLE 0xb9f

/*
 * Load the datapath with its maps reused from (or pinned to) the instance's pin
 * dir, and pin its programs there, replacing older ones atomically so that a
 * re-init upgrades the code without losing map contents.
 */
int dp_load(struct bpfnet *bn);
/* Attach pinned program @prog to tc ingress of @ifindex, replacing ours if there. */
int dp_attach(struct bpfnet *bn, int ifindex, const char *prog, bool *created_hook);
int dp_detach(struct bpfnet *bn, int ifindex, bool destroy_hook);
/* The kernel's id of pinned program @prog. */
int dp_pinned_prog_id(struct bpfnet *bn, const char *prog, __u32 *id);
/* The id of the program our filter runs on tc ingress of @ifindex; -ENOENT when none. */
int dp_attached_prog_id(struct bpfnet *bn, int ifindex, __u32 *id);

/* Remove every pin of the instance and its directory. */
int dp_unpin(struct bpfnet *bn);
/*
 * Are the programs and maps of the datapath pinned in the instance's pin dir?
 * -ENOENT, with the first missing one's name in @missing, when one is not.
 */
int dp_pins_check(struct bpfnet *bn, char *missing, size_t len);
/* @cb for every pin the datapath needs (its programs, then its maps); stops at an error. */
int dp_foreach_pin(struct bpfnet *bn,
		   int (*cb)(const char *name, bool is_prog, bool is_pinned, void *arg), void *arg);
/* The names of every map the control plane opens (BPFNET_FOREACH_MAP). */
extern const char *const dp_map_names[];
extern const size_t dp_n_map_names;
bool dp_map_known(const char *map);
/* fd of a pinned map of dp_map_names, or -errno (with the message set). Caller closes. */
int dp_map_fd(struct bpfnet *bn, const char *map);
/* The same, refused (-EPROTO, in words) unless its values are @value_size bytes. */
int dp_map_fd_sized(struct bpfnet *bn, const char *map, size_t value_size);

/* The map values for a network and an endpoint, as the BPF side reads them. */
void dp_net_encode(const struct net_state *net, struct bpfnet_net *val);
void dp_ep_encode(const struct ep_state *ep, const struct net_state *net,
		  struct bpfnet_ep *val);
int dp_net_set(struct bpfnet *bn, const struct net_state *net);
int dp_net_clear(struct bpfnet *bn, unsigned int net_id);
int dp_ep_set(struct bpfnet *bn, const struct ep_state *ep,
	      const struct net_state *net);
/* A new endpoint's counters start at zero, not at its id's previous owner's. */
int dp_ep_stats_zero(struct bpfnet *bn, unsigned int id);
int dp_ep_clear(struct bpfnet *bn, const struct ep_state *ep);

/* Replace bridge network @net_id's flood list whole (no ports: remove it). */
int dp_flood_set(struct bpfnet *bn, unsigned int net_id, const struct bpfnet_flood *ports);
/* Write the FDB entry of @mac in bridge network @net_id. */
int dp_fdb_set(struct bpfnet *bn, unsigned int net_id, const uint8_t mac[6],
	       const struct bpfnet_fdb_val *val);

int dp_config_set(struct bpfnet *bn, __u64 netns_cookie);
/*
 * A new endpoint generation: never 0, never one handed out before while the
 * maps live. The caller holds the instance lock.
 */
int dp_ep_gen_next(struct bpfnet *bn, unsigned int *gen);
/* Hand out generations from past @floor at least (a repair: the count was lost). */
int dp_ep_gen_floor(struct bpfnet *bn, unsigned int floor);

/*
 * @n new service ids, *@first on: never 0, never handed out before while the
 * maps live. The caller holds the instance lock.
 */
int dp_svc_ids_take(struct bpfnet *bn, size_t n, __u32 *first);
/* Hand out service ids from past @floor at least (a repair: the count was lost). */
int dp_svc_id_floor(struct bpfnet *bn, __u32 floor);

/* cp_stats mapped: the node-wide counters the control plane adds to, with atomics. */
struct dp_cp_stats {
	__u64 *counters;	/* [BPFNET_G_MAX] */
	size_t len;
};

int dp_cp_stats_open(struct bpfnet *bn, struct dp_cp_stats *cp);
void dp_cp_stats_close(struct dp_cp_stats *cp);
/* Every node-wide counter: the datapath's (summed over CPUs) plus the control plane's. */
int dp_global_read(struct bpfnet *bn, __u64 out[BPFNET_G_MAX]);
/* Add @n to @counter; safe against every other command doing the same at once. */
void dp_cp_count(struct dp_cp_stats *cp, enum bpfnet_global_counter counter, __u64 n);
/* The node_addrs entry of node address @addr. */
void dp_node_addr_encode(const struct in_addr *addr, __be32 *key, __u32 *val);
/* The node's IPv4 addresses, for published ports bound to "every node address". */
int dp_node_addrs_set(struct bpfnet *bn, const struct in_addr *addrs, size_t n);

/* Sum a per-CPU array slot of @value_size bytes of u64 counters into @out. */
int dp_percpu_sum(int map_fd, unsigned int key, __u64 *out, size_t value_size);

#endif
