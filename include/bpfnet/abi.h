/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI between bpfnet's BPF programs and its control plane: map names,
 * map sizes, key/value layouts and drop reasons. Included by bpf/ and user/
 * alike so that there is exactly one definition of every shared struct.
 */
#ifndef BPFNET_ABI_H
#define BPFNET_ABI_H

#include <linux/types.h>

/* Endpoints one instance can hold; also the size of the per-endpoint stats array. */
#define BPFNET_EP_MAX 4096
/* Networks one instance can hold (ids 1..BPFNET_NET_MAX-1; 0 means "none"). */
#define BPFNET_NET_MAX 256

/* Endpoint flags (struct bpfnet_ep.flags). */
#define BPFNET_EP_F_VALID (1U << 0)

/* Network modes (struct bpfnet_net.mode). */
enum bpfnet_net_mode {
	BPFNET_MODE_NONE = 0,
	BPFNET_MODE_L3 = 1,
};

/*
 * One local endpoint, as the datapath sees it. Stored twice: keyed by the
 * host-side veth ifindex (source checks on the container's own packets) and
 * keyed by the container address (forwarding to it), so that the fast path
 * needs one lookup in each direction.
 */
struct bpfnet_ep {
	__u32 ifindex;		/* host-side veth */
	__u32 id;		/* slot in ep_stats, 1..BPFNET_EP_MAX-1 */
	__u32 net_id;		/* network it belongs to */
	__be32 ip;		/* container address */
	__u8 mac[6];		/* container-side (eth0) MAC */
	__u8 host_mac[6];	/* host-side veth MAC: the gateway MAC the container sees */
	__u32 flags;
};
_Static_assert(sizeof(struct bpfnet_ep) == 32, "bpfnet_ep layout is ABI");

/* A network: what ARP answering and the isolation check need. */
struct bpfnet_net {
	__be32 subnet;		/* network address, host bits zero */
	__be32 mask;		/* netmask, network byte order */
	__be32 gateway;
	__u8 mode;		/* enum bpfnet_net_mode */
	__u8 pad[3];
};
_Static_assert(sizeof(struct bpfnet_net) == 16, "bpfnet_net layout is ABI");

/* Per-endpoint traffic counters, one slot per endpoint id, per CPU. */
struct bpfnet_ep_stats {
	__u64 tx_packets;	/* sent by the container (seen on its host veth) */
	__u64 tx_bytes;
	__u64 rx_packets;	/* delivered to the container by the datapath */
	__u64 rx_bytes;
	__u64 drops;		/* of packets the container sent */
};

/*
 * Why the datapath dropped a packet. Helpers return these negated, so they can
 * never collide with TC_ACT_* verdicts (all >= -1). Index into drop_stats.
 */
#define BPFNET_FOREACH_DROP(X)                                               \
	X(DROP_UNUSED, "unused")                                             \
	X(DROP_TRUNCATED, "truncated")             /* shorter than its headers */ \
	X(DROP_BAD_IP_HEADER, "bad_ip_header")     /* version, ihl or length wrong */ \
	X(DROP_UNSUPPORTED_L3, "unsupported_l3")   /* not IPv4 or ARP */       \
	X(DROP_NO_ENDPOINT, "no_endpoint")         /* veth without an endpoint entry */ \
	X(DROP_SPOOFED_MAC, "spoofed_mac")         /* source MAC not the endpoint's */ \
	X(DROP_SPOOFED_IP, "spoofed_ip")           /* source IPv4 not the endpoint's */ \
	X(DROP_OTHER_NETWORK, "other_network")     /* destination in another network */ \
	X(DROP_TTL_EXCEEDED, "ttl_exceeded")                                 \
	X(DROP_BAD_ARP, "bad_arp")                 /* not Ethernet/IPv4 ARP */ \
	X(DROP_ARP_NOT_ANSWERED, "arp_not_answered") /* request for an address we do not own */

#define BPFNET_DROP_ENUM(name, str) BPFNET_##name,
enum bpfnet_drop_reason {
	BPFNET_FOREACH_DROP(BPFNET_DROP_ENUM)
	BPFNET_DROP_MAX
};
#undef BPFNET_DROP_ENUM

/* Map names, as pinned under <bpffs>/bpfnet/<instance>/. */
#define BPFNET_MAP_EP_BY_IFINDEX "ep_by_ifindex"
#define BPFNET_MAP_EP_BY_IP "ep_by_ip"
#define BPFNET_MAP_NETWORKS "networks"
#define BPFNET_MAP_EP_STATS "ep_stats"
#define BPFNET_MAP_DROP_STATS "drop_stats"

/* Pinned program names, used by endpoint add to attach without reloading. */
#define BPFNET_PROG_FROM_CONTAINER "from_container"
#define BPFNET_PROG_FROM_UPLINK "from_uplink"

#endif /* BPFNET_ABI_H */
