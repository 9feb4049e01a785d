/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFNET_PORT_H
#define BPFNET_PORT_H

#include <stdbool.h>
#include "state.h"

/* Unpublish every port of @ep: map entries (ep_ports too, when its network is @routed), flows. */
int ports_drop_endpoint(struct bpfnet *bn, const struct bpfnet_endpoint_info *ep, bool routed);

#endif
