/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Several endpoints in one container netns: which of them holds its default route. */
#ifndef BPFNET_EPNETNS_H
#define BPFNET_EPNETNS_H

#include "core/core.h"
#include "model/state.h"

/*
 * An endpoint of @st with a gateway and a default route in the netns of
 * @netns_fd (the one that holds its default route).
 */
const struct ep_state *ep_gateway_in_netns(const struct state *st, int netns_fd);
/*
 * Endpoint @gone (no longer in @st) took its netns's default route with it:
 * give it to the next endpoint there with a gateway, if there is one.
 */
int ep_default_route_handover(struct bpfnet *bn, const struct state *st,
			      const struct ep_state *gone);

#endif
