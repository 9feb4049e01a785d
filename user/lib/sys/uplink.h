/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The node's uplinks: which devices they are when none are given, and which may be one. */
#ifndef BPFNET_UPLINK_H
#define BPFNET_UPLINK_H

#include <stddef.h>
#include <net/if.h>
#include "core/core.h"
#include "model/state.h"
#include "sys/netlink.h"

/*
 * The devices of the IPv4 default routes of the main table (every nexthop
 * of a multipath one), lowest metric first, each once, loopback left out,
 * into @names; *n how many. -ENODEV (with words) when there is none, -E2BIG
 * when there are more than BPFNET_UPLINK_MAX.
 */
int uplinks_detect(struct bpfnet *bn, struct nl *nl, char names[BPFNET_UPLINK_MAX][IF_NAMESIZE],
		   size_t *n);

/*
 * May device @name be an uplink of the instance of @st? It exists (else
 * -ENODEV), it is not loopback, and no endpoint of @st has it as its host
 * veth (-EINVAL: from_uplink would replace from_container there). @link
 * gets the device.
 */
int uplink_usable(struct bpfnet *bn, struct nl *nl, const struct state *st, const char *name,
		  struct nl_link *link);

#endif
