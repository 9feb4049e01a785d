/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI between bpfnet's BPF programs and its control plane: map names,
 * map sizes, key/value layouts and drop reasons. Included by bpf/ and user/
 * alike so that there is exactly one definition of every shared struct.
 */
#ifndef BPFNET_ABI_H
#define BPFNET_ABI_H

#include <linux/types.h>

/*
 * The version of this ABI: raised whenever a map, key, value or program
 * changes incompatibly, so that a datapath and a control plane can tell
 * whether they speak the same layout (bpfnet version --json reports it).
 */
#define BPFNET_ABI_VERSION 1

/* Endpoints one instance can hold; also the size of the per-endpoint stats array. */
#define BPFNET_EP_MAX 4096
/* Networks one instance can hold (ids 1..BPFNET_NET_MAX-1; 0 means "none"). */
#define BPFNET_NET_MAX 256

/*
 * Published ports (portmap4): Docker's -p ranges of all endpoints, TCP and
 * UDP. This is the object's size, the default of `bpfnet init --ports-max`
 * (BPFNET_PORTS_MAX_MIN..BPFNET_PORTS_MAX_LIMIT below), which sizes
 * backends4 and ep_ports alike: 240 bytes of preallocated kernel memory a
 * port, 3.9 MB at this default, more than a small host publishes (the bench's
 * 50,000 ports ask for --ports-max).
 */
#define BPFNET_PORTMAP_MAX 16384
/*
 * Backends (backends4) of the services published ports lead to: one per
 * published port today, the room a service of several backends will need
 * (and a new map size, a migration) comes with them.
 */
#define BPFNET_BACKEND_MAX BPFNET_PORTMAP_MAX
/* Backends one service can name: slots 0..count-1 of struct bpfnet_portmap_val. */
#define BPFNET_SVC_BACKENDS_MAX 1
/* Published container ports (ep_ports): at most one per published host port. */
#define BPFNET_EP_PORTS_MAX BPFNET_PORTMAP_MAX
/*
 * Conntrack entries; every NATed flow takes two (original and reply
 * direction). The object's size, the default of `bpfnet init --ct-max`:
 * 65,536 entries, 32,768 flows, 10 MB (152 bytes an entry, preallocated). A
 * full table evicts the least recently used flows (LRU), counted as lost.
 */
#define BPFNET_CT_MAX 65536
/*
 * The bounds of the sizes init takes (issue 13). Hash maps need no power of
 * two (the kernel rounds their buckets up itself). Below the minimums an LRU
 * table evicts erratically (each CPU takes free entries in batches of 128);
 * the limits keep one option under 2.5 GB of kernel memory.
 */
#define BPFNET_CT_MAX_MIN 1024
#define BPFNET_CT_MAX_LIMIT (1U << 24)
#define BPFNET_PORTS_MAX_MIN 64
#define BPFNET_PORTS_MAX_LIMIT (1U << 20)
/* IPv4 addresses of the node (portmap wildcard matching, hairpin, local clients). */
#define BPFNET_NODE_ADDR_MAX 256
/*
 * Translated sockets of local clients (connect4/sendmsg4 -> getpeername4/
 * recvmsg4): one a flow, so init sizes it with conntrack, half its entries.
 */
#define BPFNET_SOCK_NAT_MAX (BPFNET_CT_MAX / 2)
/* Source ports masquerade hands out, as Linux's default ip_local_port_range. */
#define BPFNET_SNAT_PORT_MIN 32768
#define BPFNET_SNAT_PORT_MAX 60999
/* Free ports tried for one new masqueraded flow before it is dropped as exhausted. */
#define BPFNET_SNAT_TRIES 32
/*
 * Fragmented datagrams in flight whose later fragments frag4 can match: more
 * than a Linux receiver's reassembly holds (ipfrag_high_thresh, 4 MiB: about
 * 1,800 fragments of 1500-byte frames), so only a flood evicts live ones.
 * Cilium's default too.
 */
#define BPFNET_FRAG_MAX 8192
/* A datagram's later fragments match its first this long after it (Linux's ipfrag_time). */
#define BPFNET_FRAG_TIMEOUT_SEC 30
/*
 * Ports of one bridge network, the fan-out bound of flooding: a broadcast
 * costs one clone per port. As many as a Linux bridge takes (BR_MAX_PORTS);
 * endpoint add refuses a bridge network that already has this many.
 */
#define BPFNET_FLOOD_MAX 1024
/*
 * FDB entries. Anti-spoofing lets a port send from its endpoint's MAC only,
 * so the table holds every endpoint's MAC once, with as much room again for
 * learned entries of removed endpoints that have not aged out yet.
 */
#define BPFNET_FDB_MAX (2 * BPFNET_EP_MAX)
/* A learned FDB entry idle this long is forgotten (the Linux bridge's default ageing time). */
#define BPFNET_FDB_AGEING_SEC 300
/* An entry's last_seen is rewritten at most this often: not per packet, across CPUs. */
#define BPFNET_FDB_REFRESH_MS 1000

/* Endpoint flags (struct bpfnet_ep.flags). */
#define BPFNET_EP_F_VALID (1U << 0)
#define BPFNET_EP_F_BRIDGE (1U << 1)	/* on a bridge network: switched at L2 */
#define BPFNET_EP_F_INTERNAL (1U << 2)	/* on an internal network: nothing in or out */
/*
 * Its container-side veth takes XDP frames (GRO on, so NAPI runs there):
 * xdp_from_uplink may deliver to it; without, it leaves the frame to tc.
 */
#define BPFNET_EP_F_XDP_RX (1U << 3)

/* Network modes (struct bpfnet_net.mode). */
enum bpfnet_net_mode {
	BPFNET_MODE_NONE = 0,
	BPFNET_MODE_L3 = 1,
	BPFNET_MODE_BRIDGE = 2,	/* one L2 segment switched by BPF, a gateway MAC */
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
	/*
	 * This endpoint's generation: a new one at every endpoint add, never
	 * reused while the maps live. Conntrack entries record the generations
	 * they were made for; an entry of a removed endpoint, or of an earlier
	 * endpoint with the same address, no longer matches and is dead.
	 */
	__u32 gen;
#ifdef BPFNET_LAYOUT_NEXT
	/*
	 * The "next" test layout (make next): the MTU of the endpoint's link,
	 * BPFNET_EP_MTU_DEFAULT when migrated from a layout that had none.
	 */
	__u32 mtu;
#endif
};
#ifdef BPFNET_LAYOUT_NEXT
_Static_assert(sizeof(struct bpfnet_ep) == 40, "bpfnet_ep layout is ABI");
#else
_Static_assert(sizeof(struct bpfnet_ep) == 36, "bpfnet_ep layout is ABI");
#endif
/* An Ethernet link's MTU: what an endpoint of a layout without the field had. */
#define BPFNET_EP_MTU_DEFAULT 1500

/* Network flags (struct bpfnet_net.flags). */
#define BPFNET_NET_F_MASQUERADE (1U << 0)	/* SNAT traffic leaving the node */
#define BPFNET_NET_F_INTERNAL (1U << 1)		/* bridge: containers reach each other only */
/*
 * The gateway mode (Docker 28's names): what the outside may reach of the
 * network's containers by routing to their addresses. Neither flag is "nat":
 * replies of the containers' own flows only. ROUTED: also the published
 * container ports (ep_ports), and no masquerade. UNPROTECTED ("nat-unprotected"):
 * everything, as before gateway modes existed.
 */
#define BPFNET_NET_F_ROUTED (1U << 2)
#define BPFNET_NET_F_UNPROTECTED (1U << 3)

/* A network: what ARP answering, the isolation check and egress NAT need. */
struct bpfnet_net {
	__be32 subnet;		/* network address, host bits zero */
	__be32 mask;		/* netmask, network byte order */
	__be32 gateway;
	__u8 mode;		/* enum bpfnet_net_mode */
	__u8 flags;		/* BPFNET_NET_F_* */
	/* bridge: the gateway's MAC, made at create (as docker0's); every host-side
	 * veth of the network carries it, so frames to it are the node's */
	__u8 gw_mac[6];
};
_Static_assert(sizeof(struct bpfnet_net) == 20, "bpfnet_net layout is ABI");
_Static_assert(__builtin_offsetof(struct bpfnet_net, mode) == 12, "bpfnet_net layout is ABI");

/* Key of the FDB: a MAC within one bridge network. */
struct bpfnet_fdb_key {
	__u32 net_id;
	__u8 mac[6];
	__u16 pad;
};
_Static_assert(sizeof(struct bpfnet_fdb_key) == 12, "bpfnet_fdb_key layout is ABI");

/* FDB entry flags. */
#define BPFNET_FDB_F_STATIC (1U << 0)	/* by endpoint add: never ages, endpoint rm removes it */
#define BPFNET_FDB_F_LEARNED (1U << 1)	/* learned from a frame's source: ages */

/* Where a MAC lives: the port (host-side veth) frames to it are switched to. */
struct bpfnet_fdb_val {
	__u32 ifindex;		/* host-side veth of the port */
	__u32 ep_id;		/* the port's endpoint, for its counters */
	__u64 last_seen_ns;	/* CLOCK_MONOTONIC (coarse) of a recent frame from the MAC */
	__u32 flags;		/* BPFNET_FDB_F_* */
	__u32 pad;
};
_Static_assert(sizeof(struct bpfnet_fdb_val) == 24, "bpfnet_fdb_val layout is ABI");

/* One port of a bridge network. */
struct bpfnet_port {
	__u32 ifindex;		/* host-side veth */
	__u32 ep_id;
};
_Static_assert(sizeof(struct bpfnet_port) == 8, "bpfnet_port layout is ABI");

/*
 * Every port of a bridge network, where broadcast, multicast and unknown
 * unicast go. One value per network, replaced whole, so the datapath always
 * sees a complete list, never one half-way through a change.
 */
struct bpfnet_flood {
	__u32 n_ports;		/* valid entries at the start of ports[] */
	__u32 pad;
	struct bpfnet_port ports[BPFNET_FLOOD_MAX];
};
_Static_assert(sizeof(struct bpfnet_flood) == 8 + 8 * BPFNET_FLOOD_MAX,
	       "bpfnet_flood layout is ABI");

/* Per-endpoint traffic counters, one slot per endpoint id, per CPU. */
struct bpfnet_ep_stats {
	__u64 tx_packets;	/* sent by the container (seen on its host veth) */
	__u64 tx_bytes;
	__u64 rx_packets;	/* delivered to the container by the datapath */
	__u64 rx_bytes;
	__u64 drops;		/* of packets the container sent */
};
/* read back as an array of __u64 counters (dp_percpu_sum) */
_Static_assert(sizeof(struct bpfnet_ep_stats) == 5 * sizeof(__u64),
	       "bpfnet_ep_stats layout is ABI");

/* Node-wide settings, one entry at index 0 of the config map. */
struct bpfnet_config {
	__u64 netns_cookie;	/* the node's netns: socket hooks act only there */
	/*
	 * The last endpoint generation handed out (endpoint add takes the next
	 * under the instance lock). Kept with the maps, since the generations
	 * need to be unique only among the conntrack entries those maps hold.
	 */
	__u32 last_ep_gen;
	/* The last service id handed out (port add takes the next ones under the lock). */
	__u32 last_svc_id;
};
_Static_assert(sizeof(struct bpfnet_config) == 16, "bpfnet_config layout is ABI");
_Static_assert(__builtin_offsetof(struct bpfnet_config, last_ep_gen) == 8,
	       "bpfnet_config layout is ABI");

/* A published port: proto + node address (0.0.0.0 = every node address) + port. */
struct bpfnet_portmap_key {
	__be32 host_ip;
	__be16 host_port;
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};
_Static_assert(sizeof(struct bpfnet_portmap_key) == 8, "bpfnet_portmap_key layout is ABI");

/*
 * Where a published port leads: a service, whose backends backends4 holds
 * under (svc_id, slot) for the slots 0..count-1. A new flow takes the slot its
 * hash picks (bpf/lib/svc.h); conntrack keeps it there. No backend (count 0,
 * or the slot's entry missing) drops the flow as DROP_NO_BACKEND. Written
 * after its backends, removed before them, so the datapath never finds a
 * service whose backends are not written yet.
 */
struct bpfnet_portmap_val {
	__u32 svc_id;		/* 1.., never reused while the maps live (bpfnet_config) */
	__u16 count;		/* backends in slots 0..count-1, at most BPFNET_SVC_BACKENDS_MAX */
	__u16 pad;
};
_Static_assert(sizeof(struct bpfnet_portmap_val) == 8, "bpfnet_portmap_val layout is ABI");

/* A backend slot of a service. */
struct bpfnet_backend_key {
	__u32 svc_id;
	__u16 slot;		/* 0..count-1 */
	__u16 pad;
};
_Static_assert(sizeof(struct bpfnet_backend_key) == 8, "bpfnet_backend_key layout is ABI");

/* A backend: the container address and port a published port's flows are sent to. */
struct bpfnet_backend {
	__be32 ep_ip;
	__be16 ep_port;
	__u16 pad;
};
_Static_assert(sizeof(struct bpfnet_backend) == 8, "bpfnet_backend layout is ABI");

/*
 * A published container port: what a routed network opens to direct access
 * from outside. The value (a __u32) counts the mappings in portmap4 that lead
 * to it; the entry exists while there is at least one.
 */
struct bpfnet_ep_port_key {
	__be32 ep_ip;
	__be16 ep_port;
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};
_Static_assert(sizeof(struct bpfnet_ep_port_key) == 8, "bpfnet_ep_port_key layout is ABI");

/* One direction of a flow, as it is on the wire before translation. */
struct bpfnet_ct_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;		/* ICMP echo: the id in requests, 0 in replies */
	__be16 dport;		/* ICMP echo: 0 in requests, the id in replies */
	__u8 proto;
	__u8 pad[3];
};
_Static_assert(sizeof(struct bpfnet_ct_key) == 16, "bpfnet_ct_key layout is ABI");

/*
 * States of a flow (struct bpfnet_ct_entry.state): the datapath's value, the
 * API's (enum bpfnet_flow_state, BPFNET_FLOW_<second>), the name `bpfnet ct
 * ls` shows. The API's names are these (user/lib/api/types.c).
 */
#define BPFNET_FOREACH_CT_STATE(X)                                           \
	X(CT_NONE, NONE, "none")                                             \
	X(CT_SYN_SENT, SYN_SENT, "syn_sent")          /* TCP: SYN seen, no answer yet */ \
	X(CT_ESTABLISHED, ESTABLISHED, "established") /* TCP: answered; UDP, ICMP: any */ \
	X(CT_FIN_WAIT, FIN_WAIT, "fin_wait")          /* TCP: FIN seen in one direction */ \
	X(CT_TIME_WAIT, TIME_WAIT, "time_wait")       /* TCP: FIN seen in both directions */ \
	X(CT_CLOSE, CLOSE, "close")                   /* TCP: RST seen */

#define BPFNET_CT_STATE_ENUM(name, pub, str) BPFNET_##name,
enum bpfnet_ct_state {
	BPFNET_FOREACH_CT_STATE(BPFNET_CT_STATE_ENUM)
	BPFNET_CT_STATE_MAX
};
#undef BPFNET_CT_STATE_ENUM
_Static_assert(BPFNET_CT_NONE == 0, "a zeroed entry has no state");

/* Conntrack entry flags (struct bpfnet_ct_entry.flags): bit, name. */
#define BPFNET_FOREACH_CT_FLAG(X)                                            \
	X(SNAT, 0)         /* rewrite the source to nat_saddr:nat_sport */   \
	X(DNAT, 1)         /* rewrite the destination to nat_daddr:nat_dport */ \
	X(REPLY, 2)        /* this is the reply direction (the original is peer) */ \
	X(SEEN_REPLY, 3)   /* the reply direction has answered (both copies) */ \
	X(FIN_ORIG, 4)     /* FIN sent by the originator */                  \
	X(FIN_REPLY, 5)    /* FIN sent by the responder */                   \
	X(PORTMAP, 6)      /* created by a published port (DNAT) */          \
	X(HAIRPIN, 7)      /* container to a published port of the node */

#define BPFNET_CT_FLAG_ENUM(name, bit) BPFNET_CT_F_##name = 1U << (bit),
enum bpfnet_ct_flag {
	BPFNET_FOREACH_CT_FLAG(BPFNET_CT_FLAG_ENUM)
};
#undef BPFNET_CT_FLAG_ENUM

/*
 * What made a flow: the first kind whose flag the original entry has (0: any
 * flow, so the last kind catches the rest). As the states: the API's value
 * (enum bpfnet_flow_kind, BPFNET_FLOW_<second>) and the name `ct ls` shows.
 */
#define BPFNET_FOREACH_CT_KIND(X)                                            \
	X(CT_KIND_HAIRPIN, KIND_HAIRPIN, "hairpin", BPFNET_CT_F_HAIRPIN)     \
	X(CT_KIND_PORTMAP, KIND_PORTMAP, "portmap", BPFNET_CT_F_PORTMAP)     \
	X(CT_KIND_MASQUERADE, KIND_MASQUERADE, "masquerade", BPFNET_CT_F_SNAT) \
	X(CT_KIND_ROUTED, KIND_ROUTED, "routed", 0) /* untranslated: tracked for its replies */

#define BPFNET_CT_KIND_ENUM(name, pub, str, flag) BPFNET_##name,
enum bpfnet_ct_kind {
	BPFNET_FOREACH_CT_KIND(BPFNET_CT_KIND_ENUM)
	BPFNET_CT_KIND_MAX
};
#undef BPFNET_CT_KIND_ENUM

/*
 * A flow direction's translation. Each direction's entry points at the other
 * through @peer and holds a copy of the flow's state (state, the SEEN_REPLY
 * and FIN flags, expiry), written by its own packets and, on a change of
 * state, into the other's too (bpf/lib/ct.h).
 */
struct bpfnet_ct_entry {
	struct bpfnet_ct_key peer;	/* the other direction's key */
	__be32 nat_saddr;
	__be32 nat_daddr;
	__be16 nat_sport;
	__be16 nat_dport;
	__u8 flags;		/* BPFNET_CT_F_* */
	__u8 state;		/* enum bpfnet_ct_state (this entry's copy, bpf/lib/ct.h) */
	__u16 pad;
	/*
	 * Generations (struct bpfnet_ep.gen) of the container endpoint that
	 * sends in this direction and of the one this direction delivers to;
	 * 0 for the outside (or the node). The flow is alive only while both
	 * endpoints are the ones it was made for.
	 */
	__u32 tx_gen;
	__u32 rx_gen;
	__u64 created_ns;	/* bpf_ktime_get_ns() */
	__u64 expires_ns;	/* this entry's copy: the flow lives while either is ahead */
	__u64 packets;		/* of this direction */
	__u64 bytes;
#ifdef BPFNET_LAYOUT_NEXT
	/*
	 * The "next" test layout (make next): bpf_ktime_get_ns() of this
	 * direction's last packet; created_ns when migrated from a layout
	 * that had none (the flow was seen then at least).
	 */
	__u64 last_seen_ns;
#endif
};
#ifdef BPFNET_LAYOUT_NEXT
_Static_assert(sizeof(struct bpfnet_ct_entry) == 80, "bpfnet_ct_entry layout is ABI");
#else
_Static_assert(sizeof(struct bpfnet_ct_entry) == 72, "bpfnet_ct_entry layout is ABI");
#endif
_Static_assert(__builtin_offsetof(struct bpfnet_ct_entry, flags) == 28,
	       "bpfnet_ct_entry layout is ABI");
_Static_assert(__builtin_offsetof(struct bpfnet_ct_entry, tx_gen) == 32,
	       "bpfnet_ct_entry layout is ABI");
_Static_assert(__builtin_offsetof(struct bpfnet_ct_entry, created_ns) == 40,
	       "bpfnet_ct_entry layout is ABI");

/*
 * A fragmented datagram: what all of its fragments share, the key of its
 * reassembly (RFC 791), as it arrives, before any translation.
 */
struct bpfnet_frag_key {
	__be32 saddr;
	__be32 daddr;
	__be16 id;		/* IP identification */
	__u8 proto;
	__u8 pad;
};
_Static_assert(sizeof(struct bpfnet_frag_key) == 12, "bpfnet_frag_key layout is ABI");

/* The ports of a fragmented datagram, from its first fragment, for its later ones. */
struct bpfnet_frag_val {
	__be16 sport;		/* as in struct bpfnet_ct_key: ICMP echo id in requests */
	__be16 dport;		/* ICMP echo id in replies */
	__u32 pad;
	__u64 expires_ns;	/* bpf_ktime_get_ns(): later fragments after this do not match */
};
_Static_assert(sizeof(struct bpfnet_frag_val) == 16, "bpfnet_frag_val layout is ABI");

/* Expiry of a flow after its last packet, per state (seconds; Cilium's and Linux's orders). */
#define BPFNET_CT_TIMEOUT_SYN_SENT 60
#define BPFNET_CT_TIMEOUT_ESTABLISHED 21600
#define BPFNET_CT_TIMEOUT_FIN_WAIT 120
#define BPFNET_CT_TIMEOUT_TIME_WAIT 30
#define BPFNET_CT_TIMEOUT_CLOSE 10
#define BPFNET_CT_TIMEOUT_UDP 60
#define BPFNET_CT_TIMEOUT_ICMP 30

/*
 * Node-wide counters, besides drops, with their names as `bpfnet stats`
 * shows them. The datapath counts in global_stats (per CPU), the control
 * plane (conntrack GC and flushes) in cp_stats; a counter is the sum of both.
 * Append new ones at the end.
 */
#define BPFNET_FOREACH_GLOBAL(X)                                              \
	X(G_CT_CREATED, "ct_created")         /* flows tracked */                \
	X(G_CT_EVICTED, "ct_evicted")         /* flows found broken by LRU eviction */ \
	X(G_CT_EXPIRED, "ct_expired")         /* flows found expired and removed */ \
	X(G_DNAT, "portmap_flows")            /* new flows through a published port */ \
	X(G_SNAT, "masquerade_flows")         /* new masqueraded flows */        \
	X(G_HAIRPIN, "hairpin_flows")         /* new container-to-published-port flows */ \
	X(G_ICMP_ERR_NAT, "icmp_errors_translated") /* ICMP errors translated */ \
	X(G_FDB_LEARNED, "fdb_learned")       /* MACs learned from traffic */    \
	X(G_FDB_MOVED, "fdb_moved")           /* MACs seen on another port than the FDB said */ \
	X(G_FDB_AGED, "fdb_aged")             /* learned MACs idle for BPFNET_FDB_AGEING_SEC */ \
	X(G_FLOODED, "flooded")               /* frames flooded (broadcast, multicast, unknown) */ \
	X(G_FRAG_TRACKED, "fragmented_datagrams") /* first fragments: ports kept for the later */ \
	X(G_FRAG_TO_NODE, "fragments_unmatched_to_node") /* later before first, from the uplink */ \
	X(G_CT_RETIRED, "ct_retired")         /* flows of endpoints removed or re-created */ \
	X(G_CT_FLUSHED, "ct_flushed")         /* live flows removed by ct flush or port rm */ \
	X(G_UPLINK_PASSED, "uplink_passed")   /* frames from an uplink left to the node's stack */ \
	X(G_XDP_DELIVERED, "xdp_delivered")   /* frames the uplink's XDP program delivered */

#define BPFNET_GLOBAL_ENUM(name, str) BPFNET_##name,
enum bpfnet_global_counter {
	BPFNET_FOREACH_GLOBAL(BPFNET_GLOBAL_ENUM)
	BPFNET_G_MAX
};
#undef BPFNET_GLOBAL_ENUM

/*
 * Slots of the counter maps (global_stats, cp_stats): more than there are
 * counters, so that a new counter changes no map's size; init cannot reuse
 * a pinned map whose size differs.
 */
#define BPFNET_G_SLOTS 64
_Static_assert(BPFNET_G_MAX <= BPFNET_G_SLOTS, "BPFNET_G_SLOTS: room for every counter");

/* Key of sock_nat: the socket cookie and the address it really talks to. */
struct bpfnet_sock_nat_key {
	__u64 cookie;
	__be32 ip;		/* the container address connect4/sendmsg4 wrote */
	__be16 port;
	__u16 pad;
};
_Static_assert(sizeof(struct bpfnet_sock_nat_key) == 16, "bpfnet_sock_nat_key layout is ABI");

/* What the local client believes it talks to: the published address and port. */
struct bpfnet_sock_nat_val {
	__be32 ip;
	__be16 port;
	__u16 pad;
};
_Static_assert(sizeof(struct bpfnet_sock_nat_val) == 8, "bpfnet_sock_nat_val layout is ABI");

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
	X(DROP_ARP_NOT_ANSWERED, "arp_not_answered") /* request for an address we do not own */ \
	X(DROP_SNAT_EXHAUSTED, "snat_ports_exhausted") /* no free source port for a new flow */ \
	X(DROP_CT_INSERT, "ct_insert_failed")      /* map refused, or a live flow holds the tuple */ \
	X(DROP_CSUM, "csum_update_failed")         /* a checksum or store helper failed */ \
	X(DROP_FIB, "no_route")                    /* masquerade found no route out */ \
	X(DROP_VLAN, "vlan_tagged")                /* from a container: 802.1Q/802.1ad tagged */ \
	X(DROP_INTERNAL, "internal_network")       /* into or out of an internal network */ \
	X(DROP_SAME_PORT, "bridge_same_port")      /* unicast back to the port it came from */ \
	X(DROP_MARTIAN_SOURCE, "martian_source")   /* loopback, 0/8, multicast or broadcast source */ \
	X(DROP_MARTIAN_DEST, "martian_destination") /* loopback or 0/8 destination */ \
	X(DROP_DIRECT_ROUTING, "direct_routing")   /* routed to a container its gateway mode closes */ \
	X(DROP_UNASSIGNED, "unassigned_address")   /* the sender's subnet, no endpoint has it */ \
	X(DROP_BAD_L4, "bad_l4_header")            /* TCP data offset or UDP length wrong */ \
	X(DROP_FRAG_TINY, "fragment_tiny")         /* splits or overlaps the L4 header, RFC 1858 */ \
	X(DROP_FRAG_NO_FIRST, "fragment_before_first") /* a later fragment, its first not seen */ \
	X(DROP_FRAG_NO_FLOW, "fragment_without_flow")  /* its first made no flow, or it ended */ \
	X(DROP_NO_BACKEND, "no_backend")           /* a published port's service has no backend */ \
	X(DROP_LOCAL_SOURCE, "uplink_local_source") /* from the uplink, a local container's address */

#define BPFNET_DROP_ENUM(name, str) BPFNET_##name,
enum bpfnet_drop_reason {
	BPFNET_FOREACH_DROP(BPFNET_DROP_ENUM)
	BPFNET_DROP_MAX
};
#undef BPFNET_DROP_ENUM

/* Slots of drop_stats: room for new reasons without changing the map's size (as above). */
#define BPFNET_DROP_SLOTS 64
_Static_assert(BPFNET_DROP_MAX <= BPFNET_DROP_SLOTS, "BPFNET_DROP_SLOTS: room for every reason");

/*
 * ---- the event monitor (bpf/lib/monitor.h, user/lib/dp/monitor.c) ----
 *
 * finish() (bpf/lib/finish.h), which every verdict passes, writes events
 * into the rings of the monitors that listen: drops, new flows (with their
 * translation), flows ended by the packets of their TCP teardown, and trace
 * points of every verdict. Nobody listening costs one lookup of mon_ctl and
 * one branch on its mask.
 */

/* What a monitor may ask for: bit BPFNET_MON_F(type) of the masks in struct bpfnet_mon_ctl. */
enum bpfnet_mon_type {
	BPFNET_MON_DROP = 0,	/* drops: reason, where, the packet's first bytes */
	BPFNET_MON_NAT = 1,	/* new translated flows (portmap, masquerade, hairpin) */
	BPFNET_MON_FLOW = 2,	/* every new flow, and flows a RST or the last FIN ends */
	BPFNET_MON_TRACE = 3,	/* every verdict of every packet (drops included) */
	BPFNET_MON_TYPES
};
#define BPFNET_MON_F(type) (1U << (type))
#define BPFNET_MON_F_ALL (BPFNET_MON_F(BPFNET_MON_TYPES) - 1)

/* The kind of one event record (struct bpfnet_mon_event.event). */
enum bpfnet_mon_event_kind {
	BPFNET_MON_EV_DROP = 1,		/* for DROP and TRACE listeners */
	BPFNET_MON_EV_FLOW_NEW = 2,	/* translated: for NAT and FLOW listeners; else FLOW only */
	BPFNET_MON_EV_FLOW_END = 3,	/* for FLOW listeners */
	BPFNET_MON_EV_TRACE = 4,	/* a verdict other than a drop, for TRACE listeners */
};

/* Which program type wrote an event: the verdict's meaning (TC_ACT_* or XDP_*). */
#define BPFNET_MON_HOOK_TC 0
#define BPFNET_MON_HOOK_XDP 1

/* Bytes of a packet an event carries, from its start (the Ethernet header). */
#define BPFNET_MON_SNAP_LEN 128
/* Monitors listening at once: each has its slot, a ring of its own in mon_rings. */
#define BPFNET_MON_SLOTS 4
/* Bytes of each monitor's ring (a power of two, whole pages): about 4,000 events. */
#define BPFNET_MON_RING_BYTES (1U << 20)
/*
 * A slot is live until its lease runs out: its monitor renews it every
 * BPFNET_MON_RENEW_MS; one killed stops renewing, and the datapath, finding
 * the lease over, takes its bits out of the mask, so that the cost of
 * listening goes with the listener.
 */
#define BPFNET_MON_LEASE_MS 3000
#define BPFNET_MON_RENEW_MS 1000
/*
 * A reader is woken only once this much waits in its ring (about 300
 * events); below it reads every BPFNET_MON_READ_MS by itself. A wakeup per
 * event would cost a context switch per packet on a node under load.
 */
#define BPFNET_MON_WAKEUP_BYTES (64U << 10)
#define BPFNET_MON_READ_MS 100
/*
 * The token bucket of each CPU, before any ring: at most this many events a
 * second, bursts of up to BPFNET_MON_BURST. What it holds back is counted
 * (struct bpfnet_mon_cpu.suppressed).
 */
#define BPFNET_MON_RATE 20000
#define BPFNET_MON_BURST 1000
/*
 * A note a helper left for finish() (a new or ended flow) older than this
 * is not the packet's own: a leftover of a packet whose finish() found no
 * listener, dropped rather than reported late.
 */
#define BPFNET_MON_NOTE_MAX_AGE_NS 1000000ULL

/*
 * The listeners, one entry at index 0 of mon_ctl, memory-mapped by the
 * monitors. @mask is the datapath's one branch: the union of the live
 * slots' masks. A monitor claims a slot by compare-and-swap of its lease,
 * puts its ring in mon_rings, sets its slot's mask, then ORs its bits into
 * @mask (again at every renewal). The datapath only ever lowers @mask, when
 * it finds a lease over.
 */
struct bpfnet_mon_ctl {
	__u32 mask;				/* BPFNET_MON_F(), of every live slot */
	__u32 pad;
	__u32 slot_mask[BPFNET_MON_SLOTS];	/* what each slot's monitor asked for; 0: free */
	__u64 slot_until_ns[BPFNET_MON_SLOTS];	/* bpf_ktime_get_ns() its lease ends at */
};
_Static_assert(sizeof(struct bpfnet_mon_ctl) == 8 + 12 * BPFNET_MON_SLOTS,
	       "bpfnet_mon_ctl layout is ABI");

/* One event, as a ring holds it. */
struct bpfnet_mon_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u8 event;		/* enum bpfnet_mon_event_kind */
	__u8 hook;		/* BPFNET_MON_HOOK_* */
	__u8 dir;		/* 0: sent by the endpoint (its veth), 1: towards it (the uplink) */
	__u8 ct_kind;		/* flow events: enum bpfnet_ct_kind */
	__u8 ct_state;		/* flow events: enum bpfnet_ct_state after the packet */
	__u8 pad[3];
	__u32 ep_id;		/* the endpoint the packet concerns; 0: none known */
	__u32 ifindex;		/* the device it came in on */
	__u32 reason;		/* drop: enum bpfnet_drop_reason */
	__s32 verdict;		/* the program's return code */
	__u32 len;		/* the packet's length (at the verdict) */
	__u32 cap_len;		/* bytes of it in data[] */
	/* flow events: the flow's tuple as its original direction sends it, and translated */
	struct bpfnet_ct_key before;
	struct bpfnet_ct_key after;
	__u8 data[BPFNET_MON_SNAP_LEN];
};
_Static_assert(sizeof(struct bpfnet_mon_event) == 40 + 32 + BPFNET_MON_SNAP_LEN,
	       "bpfnet_mon_event layout is ABI");

/* A flow event a helper noted on the packet's way, for finish() to write. */
struct bpfnet_mon_note {
	__u64 ns;		/* when noted; 0: none pending */
	__u8 event;		/* BPFNET_MON_EV_FLOW_NEW or _END */
	__u8 ct_kind;
	__u8 ct_state;
	__u8 accept;		/* BPFNET_MON_F() of the listeners it is for */
	__u32 pad;
	struct bpfnet_ct_key before;
	struct bpfnet_ct_key after;
};
_Static_assert(sizeof(struct bpfnet_mon_note) == 48, "bpfnet_mon_note layout is ABI");

/*
 * Each CPU's part of the monitor (mon_cpu, per CPU): the counters, the token
 * bucket, the pending note and the event being built (too big for the
 * stack). Events finish() had for a listener = produced + suppressed;
 * lost counts ring writes that found a ring full (one per ring).
 */
struct bpfnet_mon_cpu {
	__u64 produced;		/* events written to at least one ring */
	__u64 suppressed;	/* held back by the token bucket */
	__u64 lost;		/* ring writes refused: that monitor's ring was full */
	__u64 credit_ns;	/* the bucket: time credit, one event costs 1s / BPFNET_MON_RATE */
	__u64 last_ns;		/* when the credit was last topped up */
	struct bpfnet_mon_note note;
	struct bpfnet_mon_event ev;
};
#define BPFNET_MON_CPU_COUNTERS 3	/* produced, suppressed, lost: what user space sums */

/* Map names, as pinned under <bpffs>/bpfnet/<instance>/. */
#define BPFNET_MAP_EP_BY_IFINDEX "ep_by_ifindex"
#define BPFNET_MAP_EP_BY_IP "ep_by_ip"
#define BPFNET_MAP_NETWORKS "networks"
#define BPFNET_MAP_EP_STATS "ep_stats"
#define BPFNET_MAP_DROP_STATS "drop_stats"
#define BPFNET_MAP_GLOBAL_STATS "global_stats"
#define BPFNET_MAP_CONFIG "config"
#define BPFNET_MAP_PORTMAP "portmap4"
#define BPFNET_MAP_CT "ct4"
#define BPFNET_MAP_NODE_ADDRS "node_addrs"
#define BPFNET_MAP_SOCK_NAT "sock_nat"
#define BPFNET_MAP_FDB "fdb"
#define BPFNET_MAP_FLOOD_PORTS "flood_ports"
#define BPFNET_MAP_EP_PORTS "ep_ports"
#define BPFNET_MAP_FRAG "frag4"
#define BPFNET_MAP_CP_STATS "cp_stats"
#define BPFNET_MAP_BACKENDS "backends4"
#define BPFNET_MAP_MON_CTL "mon_ctl"
#define BPFNET_MAP_MON_RINGS "mon_rings"
#define BPFNET_MAP_MON_CPU "mon_cpu"
#define BPFNET_MAP_NODE_PORTS "node_ports"

/*
 * Every map above with its layout version, the one list the control plane
 * opens maps from (an unlisted name is refused) and tests/unit/test_maps.c
 * holds against the skeletons. A map's layout version is raised whenever its
 * type, key, value, size or flags change: init then migrates the pinned map
 * of the older layout into one of the new (user/lib/dp/migrate.c), or refuses
 * a layout it cannot convert. Append new maps.
 */
#ifdef BPFNET_LAYOUT_NEXT
#define BPFNET_LAYOUT_EP 2	/* bpfnet_ep.mtu */
#define BPFNET_LAYOUT_CT 2	/* bpfnet_ct_entry.last_seen_ns */
#else
#define BPFNET_LAYOUT_EP 1
#define BPFNET_LAYOUT_CT 1
#endif
#define BPFNET_FOREACH_MAP(X)                                                \
	X(BPFNET_MAP_EP_BY_IFINDEX, BPFNET_LAYOUT_EP)                        \
	X(BPFNET_MAP_EP_BY_IP, BPFNET_LAYOUT_EP)                             \
	X(BPFNET_MAP_NETWORKS, 1) X(BPFNET_MAP_EP_STATS, 1)                  \
	X(BPFNET_MAP_DROP_STATS, 1) X(BPFNET_MAP_GLOBAL_STATS, 1)            \
	X(BPFNET_MAP_CONFIG, 1) X(BPFNET_MAP_PORTMAP, 1)                     \
	X(BPFNET_MAP_CT, BPFNET_LAYOUT_CT)                                   \
	X(BPFNET_MAP_NODE_ADDRS, 1) X(BPFNET_MAP_SOCK_NAT, 1)                \
	X(BPFNET_MAP_FDB, 1) X(BPFNET_MAP_FLOOD_PORTS, 1)                    \
	X(BPFNET_MAP_EP_PORTS, 1) X(BPFNET_MAP_FRAG, 1)                      \
	X(BPFNET_MAP_CP_STATS, 1) X(BPFNET_MAP_BACKENDS, 1)                 \
	X(BPFNET_MAP_MON_CTL, 1) X(BPFNET_MAP_MON_RINGS, 1)                  \
	X(BPFNET_MAP_MON_CPU, 1) X(BPFNET_MAP_NODE_PORTS, 1)

/*
 * The layout record, pinned beside the maps as BPFNET_MAP_LAYOUT: for each
 * map name (key, NUL-padded) the layout version of the map pinned under that
 * name, and under BPFNET_LAYOUT_KEY_ABI the ABI version. Written by the
 * control plane only, never read by the programs. Its own layout is fixed
 * forever (a hash of these keys and values), so that every bpfnet, older or
 * newer, can read it. A datapath without it (made before layouts were
 * recorded) is of layout 1 for every map; a map missing from it too.
 */
#define BPFNET_MAP_LAYOUT "layout"
#define BPFNET_LAYOUT_NAME_LEN 32
#define BPFNET_LAYOUT_MAX 128
/* not a map name: bpffs names cannot hold dots */
#define BPFNET_LAYOUT_KEY_ABI ".abi"

struct bpfnet_layout_key {
	char name[BPFNET_LAYOUT_NAME_LEN];
};
_Static_assert(sizeof(struct bpfnet_layout_key) == 32, "the layout record is fixed forever");

struct bpfnet_layout_val {
	__u32 version;		/* of the map pinned under the key's name */
	/*
	 * A migration to this version is under way: the new map may be pinned
	 * as <name>_new (BPFNET_LAYOUT_STAGING), or already renamed over the
	 * old. Every command but init refuses the map until init completes it.
	 */
	__u32 staged;
};
_Static_assert(sizeof(struct bpfnet_layout_val) == 8, "the layout record is fixed forever");
/* Suffix of a migration's new maps beside the old ones (bpffs refuses dots). */
#define BPFNET_LAYOUT_STAGING "_new"

/*
 * node_ports (i13-fastpath): the uplink's early "not ours" check, one lookup
 * keyed by the destination address. An entry says that address is the
 * node's (no container's) and holds every (proto, port) published on any
 * address, a bit each: a TCP or UDP packet to it whose destination port has
 * no bit and lies outside the masquerade range is the node's own traffic,
 * passed without looking further. A set bit or a missing entry only means
 * "look further": the control plane may leave bits set, never clear one
 * while the port is published or its flows live.
 */
#define BPFNET_NODE_PORTS_WORDS (65536 / 64)
struct bpfnet_node_ports {
	__u64 bits[2][BPFNET_NODE_PORTS_WORDS];	/* [0] TCP, [1] UDP; port p: word p / 64, bit p % 64 */
};
_Static_assert(sizeof(struct bpfnet_node_ports) == 16384, "bpfnet_node_ports layout is ABI");

/* Pinned program names, used by endpoint add to attach without reloading. */
#define BPFNET_PROG_FROM_CONTAINER "from_container"
#define BPFNET_PROG_FROM_UPLINK "from_uplink"
#define BPFNET_PROG_XDP_FROM_UPLINK "xdp_from_uplink"
/* Pinned XDP link of uplink ifindex N: BPFNET_LINK_XDP_PREFIX "N". */
#define BPFNET_LINK_XDP_PREFIX "link_xdp_"
/* Pinned cgroup links of the socket hooks for the node's local clients. */
#define BPFNET_LINK_CONNECT4 "link_connect4"
#define BPFNET_LINK_SENDMSG4 "link_sendmsg4"
#define BPFNET_LINK_RECVMSG4 "link_recvmsg4"
#define BPFNET_LINK_GETPEERNAME4 "link_getpeername4"

#endif /* BPFNET_ABI_H */
