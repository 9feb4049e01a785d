/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the parts of bpfnet check share: a finding (an inconsistency, its
 * stable kind and the repair that fixes it), one look's list of them, and
 * whole-map reads. check.c runs the looks and the repairs; check_maps.c
 * compares the maps of networks, endpoints and published ports.
 */
#ifndef BPFNET_CHECK_H
#define BPFNET_CHECK_H

#include <stdbool.h>
#include <netinet/in.h>
#include "api/internal.h"
#include "dp/maps.h"
#include "bpfnet/abi.h"

struct nl;
struct nl_link;
struct state;

/* Longest key of a map check deletes from (bpfnet_fdb_key, 12 bytes, with room). */
#define CHECK_KEY_MAX 16

enum fix {
	FIX_NONE,		/* nothing bpfnet can do about it (the uplink is gone) */
	FIX_JOURNAL,		/* finish or undo the interrupted command */
	FIX_TEMP_FILES,
	FIX_STRAY_PINS,		/* pins of an instance that is not initialized */
	FIX_REINIT,		/* a pin is missing: init again re-creates and re-syncs all */
	FIX_ATTACH,		/* our filter on .ifindex, running the pinned .what */
	FIX_SOCK_HOOKS,
	FIX_CONFIG,
	FIX_NODE_ADDRS,
	FIX_NET,		/* the networks slot of network .name */
	FIX_FLOOD,		/* the flood list of network .name */
	FIX_GATEWAY,		/* the gateway address of network .name */
	FIX_EP_REBUILD,		/* endpoint .name made again (or removed: its netns is gone) */
	FIX_EP_MAPS,		/* ep_by_ifindex and ep_by_ip of endpoint .name */
	FIX_FDB,		/* the static FDB entry of endpoint .name */
	FIX_DELETE_KEY,		/* stray entry .key of map .what */
	FIX_UPDATE_KEY,		/* entry .key of map .what to hold .val */
	FIX_CLEAR_NET_SLOT,	/* stray networks slot .ifindex */
	FIX_DELETE_LINK,	/* stray veth .ifindex */
	FIX_UNPUBLISH,		/* published port .key: its frontend and its backends */
	FIX_SVC_IDS,		/* hand out service ids past .val */
};

struct finding {
	struct bpfnet_check_issue issue;
	enum fix fix;
	char name[BPFNET_NAME_MAX];
	char what[32];
	__u32 ifindex;
	__u8 key[CHECK_KEY_MAX];
	__u32 key_len;
	__u32 val;		/* FIX_UPDATE_KEY: a counter, the only value written so */
	__be32 ep_ip;		/* a published port's: the endpoint address it leads to */
};

struct findings {
	struct finding *v;
	size_t n, cap;
};

struct check {
	struct bpfnet *bn;
	struct dp dp;		/* the maps, for one look or one repair */
	struct state *st;
	struct nl *nl;
	struct findings *out;
	bool pins_ok;		/* every pin is there: the map checks can run */
	int err;		/* a look that could not be made (not an inconsistency) */
};

/*
 * A look under the instance lock: lock, load @st (the caller's, freed by
 * check_end()), open netlink in the node; -errno with the message set, and
 * then nothing is held. check_end() closes the maps and netlink, unlocks.
 */
int check_begin(struct check *c, struct bpfnet *bn, struct state *st);
void check_end(struct check *c);
/* The issues of @all as the public API hands them out (malloc()ed, never NULL). */
int check_issues_out(struct bpfnet *bn, const struct findings *all,
		     struct bpfnet_check_issue **issues, size_t *count);
/* The pins of an initialized instance: each one missing is a finding; sets c->pins_ok. */
void check_pins(struct check *c);

/* Note an inconsistency of @kind about @object, in words; NULL when out of memory. */
struct finding *finding_add(struct check *c, const char *kind, enum fix fix, const char *object,
			    const char *fmt, ...) __printf(5, 6);
/* The endpoint or network a repair works on (@f may be NULL). */
void finding_name(struct finding *f, const char *name);
/* The map entry a repair deletes or writes (@f may be NULL). */
void finding_key(struct finding *f, const char *map, const void *key, __u32 len);

/* @ip as a dotted quad into @buf. */
const char *check_ip(__be32 ip, char buf[INET_ADDRSTRLEN]);

/* Every entry of map @name into @d; a failure is the check's error. */
int check_map_dump(struct check *c, const char *name, struct dp_dump *d);

static inline bool check_addr_in(const struct in_addr *addrs, size_t n, __be32 ip)
{
	for (size_t i = 0; i < n; i++)
		if (addrs[i].s_addr == ip)
			return true;
	return false;
}

/* Our filter on @ifindex (named @dev) must run the pinned @prog. */
void check_tc_filter(struct check *c, int ifindex, const char *dev, const char *prog);

/* The maps of the state's networks, endpoints and published ports (check_maps.c). */
void check_networks(struct check *c);
void check_endpoints(struct check *c);
void check_ports(struct check *c);
/*
 * Endpoint @ep's share of the same: its host veth and filter, its entries in
 * ep_by_ifindex, ep_by_ip, the FDB and its network's flood list, and the
 * findings of check_ports() about ports leading to its address.
 */
void check_endpoint_maps(struct check *c, const struct ep_state *ep);

/*
 * Macvlan endpoint @ep's device in its netns (@ct_nl; @where names it): there
 * ("macvlan_missing", with the repair @fix), a macvlan ("macvlan_mismatch"),
 * on the node's device that is its parent ("parent_missing", "macvlan_mismatch").
 * 0 with *link set when a device of its name is there, -errno when not.
 */
int check_macvlan_link(struct check *c, const struct ep_state *ep, struct nl *ct_nl,
		       const char *where, enum fix fix, struct nl_link *link);
/* The node's look at macvlan endpoint @ep: its netns and its macvlan there (check_macvlan.c). */
void check_macvlan_endpoint(struct check *c, const struct ep_state *ep);

#endif
