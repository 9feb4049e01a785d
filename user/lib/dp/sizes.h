/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The sizes of the big tables, chosen at init (bpfnet init --ct-max,
 * --ports-max; issue 13). A size sets max_entries of every map of its group
 * before the object is loaded; a size not given is the running node's (read
 * from the pinned map), or the object's default on a first init, so that an
 * init without options never resizes anything. A new size of a pinned map is
 * a migration (migrate.h: only max_entries differs, the entries are copied).
 */
#ifndef BPFNET_DP_SIZES_H
#define BPFNET_DP_SIZES_H

#include <stdbool.h>
#include <linux/types.h>
#include "core/core.h"

struct bpf_object;

enum dp_size {
	DP_SIZE_CT,	/* conntrack entries (ct4; sock_nat gets half) */
	DP_SIZE_PORTS,	/* published ports (portmap4, backends4, ep_ports) */
	DP_SIZE_COUNT
};

/* One size a group: 0 in a request means "keep" (the running node's, or the default). */
struct dp_sizes {
	__u32 n[DP_SIZE_COUNT];
};

/* The option that sets @s ("--ct-max"), and what it counts ("conntrack entries"). */
const char *dp_size_option(enum dp_size s);
const char *dp_size_what(enum dp_size s);
/* The object's size of group @s: what a first init without the option makes. */
__u32 dp_size_default(enum dp_size s);

/* 0 when @n (not 0) is a size of @s; else -EINVAL with the range in words. */
int dp_size_check(struct bpfnet *bn, enum dp_size s, __u32 n);

/*
 * The max_entries map @name gets under @sz; false when its size is not one
 * init chooses (the object's own stays). @group: the size it follows.
 */
bool dp_size_of_map(const char *name, const struct dp_sizes *sz, __u32 *max_entries,
		    enum dp_size *group);

/*
 * @want (0: keep) completed into @out: each size not given is the pinned
 * map's (its staging pin's when an init cut short left one: the next init
 * completes that resize), else the default. Pins under @dir.
 */
int dp_sizes_resolve(struct bpfnet *bn, const char *dir, const struct dp_sizes *want,
		     struct dp_sizes *out);

/* Every sized map of @obj (opened, not loaded) set to its size under @sz. */
int dp_sizes_apply(struct bpfnet *bn, struct bpf_object *obj, const struct dp_sizes *sz);

/*
 * Every map of @obj (opened, not loaded) that reuses a pinned one (its pin
 * path set) sized as that pinned map: libbpf refuses to reuse a pin of
 * another max_entries. For the objects loaded after the datapath's (the
 * socket hooks, XDP), whose maps' sizes the datapath's init chose.
 */
int dp_sizes_match_pins(struct bpfnet *bn, struct bpf_object *obj);

/*
 * A pinned map about to be made smaller: 0 when its entries fit @max_entries,
 * else -ENOSPC in words (the option, the entries it holds): a copy into a
 * smaller table would fail midway (hash) or drop flows (LRU).
 */
int dp_size_shrink_check(struct bpfnet *bn, const char *name, int fd, __u32 max_entries);

/* The kernel memory map @fd takes, as /proc/self/fdinfo says (memlock); 0 on error. */
__u64 dp_map_memlock(int fd);

#endif
