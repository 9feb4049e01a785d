/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Published ports in the datapath: portmap4, ep_ports, and the flows through them. */
#ifndef BPFNET_DP_PORTMAP_H
#define BPFNET_DP_PORTMAP_H

#include <stdbool.h>
#include <netinet/in.h>
#include "core/core.h"
#include "dp/maps.h"
#include "model/state.h"
#include "bpfnet/abi.h"

#define PORTS_PER_PROTO 65536

/* Per-proto tables (TCP, UDP) are indexed by this slot. */
static inline int proto_slot(__u8 proto)
{
	return proto == IPPROTO_UDP;
}

static inline size_t mapping_ports(const struct port_map *m)
{
	return (size_t)m->host_port_last - m->host_port + 1;
}

/* Publish (or unpublish, when @del) the @n_ports ports of @n mappings, all or none. */
int ports_write(struct dp *dp, const struct port_map *maps, size_t n, size_t n_ports,
		bool del);
/*
 * Recount ep_ports (routed networks' published container ports) from the
 * published ports for the container ports of @maps of endpoint @ep.
 */
int ep_ports_update(struct dp *dp, struct state *st, const struct ep_state *ep,
		    const struct port_map *maps, size_t n);
/* End the flows through the @n mappings' ports (they are being unpublished). */
int ports_end_flows(struct dp *dp, const struct port_map *maps, size_t n);
/*
 * Unpublish every port of @ep: map entries (ep_ports too, when its network is
 * @routed). Its flows end with its generation, without a walk.
 */
int ports_drop_endpoint(struct dp *dp, const struct ep_state *ep, bool routed);
/*
 * Unpublish @maps of @ep where they still lead where they say (an interrupted
 * port add undone, or port rm finished), recount ep_ports, end their flows.
 */
int ports_unpublish(struct dp *dp, struct state *st, const struct ep_state *ep,
		    const struct port_map *maps, size_t n);

#endif
