/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * dp: the datapath seen from the control plane: load, pin, attach, and the
 * one door to its maps (struct dp here, the typed per-map operations in
 * maps.h, the entries they write encoded by encode.h). Files here may use
 * sys/, model/ and core/, never api/ (see core/core.h).
 */
#ifndef BPFNET_DATAPATH_H
#define BPFNET_DATAPATH_H

#include <stdbool.h>
#include <netinet/in.h>
#include "core/core.h"
#include "model/state.h"
#include "bpfnet/abi.h"

/* The maps the control plane opens, by what they hold (names in abi.h). */
enum dp_map {
	DP_EP_BY_IFINDEX,
	DP_EP_BY_IP,
	DP_NETWORKS,
	DP_EP_STATS,
	DP_DROP_STATS,
	DP_GLOBAL_STATS,
	DP_CONFIG,
	DP_PORTMAP,
	DP_CT,
	DP_NODE_ADDRS,
	DP_FDB,
	DP_FLOOD_PORTS,
	DP_EP_PORTS,
	DP_CP_STATS,
	DP_BACKENDS,
	DP_MON_CTL,
	DP_MON_RINGS,
	DP_MON_CPU,
	DP_NODE_PORTS,
	DP_MAP_COUNT
};

/*
 * The instance's maps for one operation (maps.c): each opened from its pin on
 * first use (refused, in words, when its values are not this build's size)
 * and closed by dp_close() at the operation's end, so that the next one opens
 * the pins anew, whatever a down and an init in between replaced.
 */
struct dp {
	struct bpfnet *bn;
	int fd[DP_MAP_COUNT];
};

void dp_init(struct dp *dp, struct bpfnet *bn);
void dp_close(struct dp *dp);
/* fd of map @m, opened once; -errno with the message set. The handle owns it. */
int dp_fd(struct dp *dp, enum dp_map m);
/* The map of pinned name @name (DP_MAP_COUNT, which dp_fd() refuses, when none). */
enum dp_map dp_map_by_name(const char *name);

/* tc filter handle every bpfnet filter uses; the priority tells instances apart. */
#define DP_TC_HANDLE 0xb9f

/*
 * Load the datapath with its maps reused from (or pinned to) the instance's pin
 * dir, and pin its programs there, replacing older ones atomically so that a
 * re-init upgrades the code without losing map contents (a map of another
 * layout is migrated, dp/migrate.h).
 */
struct mig_plan;
/* @plan (dp/migrate.h): the maps it migrates are made or reused at their staging pins. */
int dp_load(struct bpfnet *bn, const struct mig_plan *plan);
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
/*
 * fd of a pinned map of dp_map_names, or -errno (with the message set); the
 * caller closes. struct dp's maps (maps.h) open through it.
 */
int dp_map_fd(struct bpfnet *bn, const char *map);
/* The same, refused (-EPROTO, in words) unless its values are @value_size bytes. */
int dp_map_fd_sized(struct bpfnet *bn, const char *map, size_t value_size);

#endif
