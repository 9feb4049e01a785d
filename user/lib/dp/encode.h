/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Map keys and values encoded from the state's objects, as the BPF side
 * reads them: the control plane writes nothing else, and the packet tests
 * seed their topology through the same functions, so the two cannot drift.
 * Pure: no map is touched. A published port's frontend and backend are
 * encoded by svc_port_encode() (dp/svc.h).
 */
#ifndef BPFNET_DP_ENCODE_H
#define BPFNET_DP_ENCODE_H

#include "core/core.h"
#include "model/state.h"
#include "bpfnet/abi.h"

/* networks[net->id] */
void dp_net_encode(const struct net_state *net, struct bpfnet_net *val);
/* ep_by_ifindex[ep->host_ifindex] and ep_by_ip[ep->ip] (the same value) */
void dp_ep_encode(const struct ep_state *ep, const struct net_state *net,
		  struct bpfnet_ep *val);
/* The ep_ports key of container address @ip, port @port (network order), @proto. */
void dp_ep_port_encode(__be32 ip, __be16 port, __u8 proto, struct bpfnet_ep_port_key *k);
/* The static FDB entry of endpoint @ep of bridge network @net, seen at @now_ns. */
void dp_fdb_encode_static(const struct net_state *net,
			  const struct ep_state *ep, __u64 now_ns,
			  struct bpfnet_fdb_key *k, struct bpfnet_fdb_val *v);
/*
 * flood_ports[net->id]: the ports of @st's endpoints on @net, and @add (an
 * endpoint being added, not in @st yet) unless NULL; -ENOSPC past BPFNET_FLOOD_MAX.
 */
int dp_flood_encode(const struct state *st, const struct net_state *net,
		    const struct ep_state *add, struct bpfnet_flood *fl);
/* The node_addrs entry of node address @addr. */
void dp_node_addr_encode(const struct in_addr *addr, __be32 *key, __u32 *val);

#endif
