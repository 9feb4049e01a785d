/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFNET_PORT_H
#define BPFNET_PORT_H

#include "state.h"

/* Unpublish every port of @ep (map entries and flows); the caller saves @st. */
int ports_drop_endpoint(struct bpfnet *bn, struct state *st, const struct bpfnet_endpoint_info *ep);

#endif
