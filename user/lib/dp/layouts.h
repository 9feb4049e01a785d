/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every layout a pinned map's entries have had, as named versioned structs,
 * for the converters of dp/migrate_convert.c: abi.h holds only the current
 * one (the binary's), while a migration reads the pinned version and writes
 * the binary's. A layout, once released, never changes here; a new one is a
 * new struct. The asserts bind the current abi.h structs to theirs.
 */
#ifndef BPFNET_DP_LAYOUTS_H
#define BPFNET_DP_LAYOUTS_H

#include <linux/types.h>
#include "bpfnet/abi.h"

/* ct4, layout 1: the entry up to and with its byte counter. */
struct ct_entry_v1 {
	struct bpfnet_ct_key peer;
	__be32 nat_saddr;
	__be32 nat_daddr;
	__be16 nat_sport;
	__be16 nat_dport;
	__u8 flags;
	__u8 state;
	__u16 pad;
	__u32 tx_gen;
	__u32 rx_gen;
	__u64 created_ns;
	__u64 expires_ns;
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct ct_entry_v1) == 72, "ct4 layout 1 is released");

/* ct4, layout 2 (the "next" test layout): and the direction's last packet. */
struct ct_entry_v2 {
	struct ct_entry_v1 v1;
	__u64 last_seen_ns;
};
_Static_assert(sizeof(struct ct_entry_v2) == 80, "ct4 layout 2 is released");

/* ep_by_ifindex and ep_by_ip, layout 1. */
struct ep_v1 {
	__u32 ifindex;
	__u32 id;
	__u32 net_id;
	__be32 ip;
	__u8 mac[6];
	__u8 host_mac[6];
	__u32 flags;
	__u32 gen;
};
_Static_assert(sizeof(struct ep_v1) == 36, "ep layout 1 is released");

/* ep_by_ifindex and ep_by_ip, layout 2 (the "next" test layout): and the link's MTU. */
struct ep_v2 {
	struct ep_v1 v1;
	__u32 mtu;
};
_Static_assert(sizeof(struct ep_v2) == 40, "ep layout 2 is released");

#if BPFNET_LAYOUT_CT == 1
_Static_assert(sizeof(struct bpfnet_ct_entry) == sizeof(struct ct_entry_v1), "ct4 is layout 1");
#else
_Static_assert(sizeof(struct bpfnet_ct_entry) == sizeof(struct ct_entry_v2), "ct4 is layout 2");
#endif
#if BPFNET_LAYOUT_EP == 1
_Static_assert(sizeof(struct bpfnet_ep) == sizeof(struct ep_v1), "ep is layout 1");
#else
_Static_assert(sizeof(struct bpfnet_ep) == sizeof(struct ep_v2), "ep is layout 2");
#endif

#endif
