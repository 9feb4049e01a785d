/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Every map of the datapath, in one place. Pinned by name under the instance's bpffs dir. */
#ifndef BPFNET_BPF_MAPS_H
#define BPFNET_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bpfnet/abi.h"

/* Endpoint of each host-side veth: who may send from it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFNET_EP_MAX);
	__type(key, __u32);
	__type(value, struct bpfnet_ep);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ep_by_ifindex SEC(".maps");

/* Endpoint owning each container address: where to forward to. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFNET_EP_MAX);
	__type(key, __be32);
	__type(value, struct bpfnet_ep);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ep_by_ip SEC(".maps");

/* Network of each network id: subnet and gateway, for ARP answers. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPFNET_NET_MAX);
	__type(key, __u32);
	__type(value, struct bpfnet_net);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} networks SEC(".maps");

/* Traffic counters of each endpoint id, per CPU so the fast path never contends. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFNET_EP_MAX);
	__type(key, __u32);
	__type(value, struct bpfnet_ep_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ep_stats SEC(".maps");

/* Packets dropped for each enum bpfnet_drop_reason, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFNET_DROP_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} drop_stats SEC(".maps");

/* Node-wide settings (struct bpfnet_config at key 0), written by init. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfnet_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config SEC(".maps");

/* Published ports: (node address or 0.0.0.0, port, proto) -> a service and its backend count. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFNET_PORTMAP_MAX);
	__type(key, struct bpfnet_portmap_key);
	__type(value, struct bpfnet_portmap_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} portmap4 SEC(".maps");

/* Backends of the services: (service id, slot) -> container address and port (lib/svc.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFNET_BACKEND_MAX);
	__type(key, struct bpfnet_backend_key);
	__type(value, struct bpfnet_backend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} backends4 SEC(".maps");

/*
 * Published container ports, (container address, port, proto) -> the number of
 * mappings leading there: what a routed network opens to direct access.
 * Written by port add/rm for endpoints of routed networks only.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFNET_EP_PORTS_MAX);
	__type(key, struct bpfnet_ep_port_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ep_ports SEC(".maps");

/* Conntrack of translated flows, both directions; LRU so a full table never stalls. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BPFNET_CT_MAX);
	__type(key, struct bpfnet_ct_key);
	__type(value, struct bpfnet_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ct4 SEC(".maps");

/*
 * Ports of fragmented datagrams, left by their first fragment for the later
 * ones, which carry no L4 header (lib/frag.h). LRU: an entry is needed only
 * while its datagram's fragments pass.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BPFNET_FRAG_MAX);
	__type(key, struct bpfnet_frag_key);
	__type(value, struct bpfnet_frag_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} frag4 SEC(".maps");

/* IPv4 addresses of the node, kept current by the control plane. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFNET_NODE_ADDR_MAX);
	__type(key, __be32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} node_addrs SEC(".maps");

/* The uplink's early check (lib/uplink.h): node address -> published ports (abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFNET_NODE_ADDR_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* 16 KiB a value: only the node's few addresses */
	__type(key, __be32);
	__type(value, struct bpfnet_node_ports);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} node_ports SEC(".maps");

/* Local clients' translated sockets, to answer getpeername/recvmsg with the published address. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BPFNET_SOCK_NAT_MAX);
	__type(key, struct bpfnet_sock_nat_key);
	__type(value, struct bpfnet_sock_nat_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sock_nat SEC(".maps");

/*
 * Bridge networks' forwarding database: (network, MAC) -> port. Written by
 * endpoint add (static) and by learning from traffic. Not preallocated:
 * learning replaces whole entries, and a replaced element must not be reused
 * while another CPU still reads it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFNET_FDB_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bpfnet_fdb_key);
	__type(value, struct bpfnet_fdb_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fdb SEC(".maps");

/*
 * Every port of each bridge network, keyed by network id, for flooding. The
 * control plane replaces a network's list whole; not preallocated, so a
 * reader keeps the old list intact until it is done (RCU).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFNET_NET_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct bpfnet_flood);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flood_ports SEC(".maps");

/* Node-wide event counters (enum bpfnet_global_counter), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFNET_G_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} global_stats SEC(".maps");

/*
 * The same counters, added to by the control plane (conntrack GC and
 * flushes); the datapath never touches them. Memory-mappable, so that
 * commands running at once can add with atomic instructions.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPFNET_G_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cp_stats SEC(".maps");

/*
 * The event monitor (lib/monitor.h). Its listeners: one entry, memory-mapped
 * by the monitors, which set and renew their leases with atomics.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct bpfnet_mon_ctl);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mon_ctl SEC(".maps");

/* The ring of a monitor, its template: each monitor makes its own and puts it in its slot. */
struct mon_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BPFNET_MON_RING_BYTES);
};

/*
 * One ring per listening monitor, so that each reads every event (one ring
 * has one reader's position). Empty slots are NULL.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, BPFNET_MON_SLOTS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct mon_ring);
} mon_rings SEC(".maps");

/* Each CPU's counters, token bucket, pending note and event being built. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfnet_mon_cpu);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mon_cpu SEC(".maps");

#endif
