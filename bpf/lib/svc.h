/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Published ports as services, the way Cilium's lb4 and katran split them: a
 * frontend (portmap4: a node address or 0.0.0.0, a port, a proto) names a
 * service and how many backends it has, and the backends (backends4) are
 * keyed by service id and slot. A new flow takes the slot a hash of the flow
 * picks, modulo the count; conntrack keeps the choice for the flow's later
 * packets, so only first packets (and the socket hooks' connect) come here.
 * The control plane writes one backend per service today; nothing here
 * assumes it.
 */
#ifndef BPFNET_BPF_SVC_H
#define BPFNET_BPF_SVC_H

#include <stdbool.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bpfnet/abi.h"
#include "lib/maps.h"
#include "lib/drop.h"

/* svc_lookup(): the flow is for no published port (no drop, no verdict: the caller's to say). */
#define SVC_NONE 1

/* The node's own addresses: what a 0.0.0.0 mapping answers on (all of 127/8 too). */
static __always_inline bool svc_node_addr(__be32 ip)
{
	return IN_LOOPBACK(bpf_ntohl(ip)) || bpf_map_lookup_elem(&node_addrs, &ip) != NULL;
}

/*
 * The service published on @ip:@port/@proto: a mapping bound to exactly that
 * address first, else a 0.0.0.0 one when @ip is the node's (Docker's
 * -p 8080:80 answers on every node address).
 */
static __always_inline const struct bpfnet_portmap_val *svc_frontend(__be32 ip, __be16 port,
								     __u8 proto)
{
	struct bpfnet_portmap_key k = { .host_ip = ip, .host_port = port, .proto = proto };
	const struct bpfnet_portmap_val *svc;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return NULL;
	svc = bpf_map_lookup_elem(&portmap4, &k);
	if (svc || !svc_node_addr(ip))
		return svc;
	k.host_ip = bpf_htonl(INADDR_ANY);
	return bpf_map_lookup_elem(&portmap4, &k);
}

/* Three words mixed into one, every input bit reaching every output bit (murmur3's finalizer). */
static __always_inline __u32 svc_hash(__u32 a, __u32 b, __u32 c)
{
	__u32 h = a * 0x9e3779b1U ^ b;

	h = (h ^ (h >> 16)) * 0x85ebca6bU ^ c;
	h = (h ^ (h >> 13)) * 0xc2b2ae35U;
	return h ^ (h >> 16);
}

/* A flow's hash, the same for each of its packets: its tuple as it arrives. */
static __always_inline __u32 svc_flow_hash(const struct bpfnet_ct_key *k)
{
	return svc_hash(k->saddr, k->daddr, ((__u32)k->sport << 16 | k->dport) ^ k->proto);
}

/* The backend of @svc in the slot @hash picks; NULL when the service has none there. */
static __always_inline const struct bpfnet_backend *svc_backend(const struct bpfnet_portmap_val *svc,
								 __u32 hash)
{
	struct bpfnet_backend_key k = { .svc_id = svc->svc_id };
	__u32 count = svc->count;

	if (!count)
		return NULL;
	k.slot = hash % count;
	return bpf_map_lookup_elem(&backends4, &k);
}

/*
 * Where a new flow @k to a published port goes: 0 with @be set, SVC_NONE when
 * @k is for no published port, DROP_NO_BACKEND when its service has no
 * backend (a count of 0, or the slot's entry missing).
 */
static __always_inline int svc_lookup(const struct bpfnet_ct_key *k,
				      const struct bpfnet_backend **be)
{
	const struct bpfnet_portmap_val *svc = svc_frontend(k->daddr, k->dport, k->proto);

	if (!svc)
		return SVC_NONE;
	*be = svc_backend(svc, svc_flow_hash(k));
	return *be ? 0 : DROP(DROP_NO_BACKEND);
}

#endif
