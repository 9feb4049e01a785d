/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFNET_PORT_H
#define BPFNET_PORT_H

#include <stdbool.h>
#include "model/state.h"
#include "bpfnet/abi.h"

/*
 * Unpublish every port of @ep: map entries (ep_ports too, when its network is
 * @routed). Its flows end with its generation, without a walk.
 */
int ports_drop_endpoint(struct bpfnet *bn, const struct ep_state *ep, bool routed);

struct svc_maps;
/*
 * Recount ep_ports (routed networks' published container ports) from the
 * published ports (@sm) for the container ports of @maps of endpoint @ep.
 */
int ep_ports_update(struct bpfnet *bn, struct state *st, const struct svc_maps *sm,
		    const struct ep_state *ep, const struct port_map *maps,
		    size_t n);
/* End the flows through the @n mappings' ports (they are being unpublished). */
int ports_end_flows(struct bpfnet *bn, const struct port_map *maps, size_t n);

#endif
