/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFNET_ENDPOINT_H
#define BPFNET_ENDPOINT_H

#include "internal.h"
#include "netlink.h"

/* Delete endpoint @ep's veth from the node; already gone (netns deleted) is fine. */
int ep_delete_veth(struct bpfnet *bn, struct nl *nl, const struct bpfnet_endpoint_info *ep);

#endif
