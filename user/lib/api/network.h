/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFNET_NETWORK_H
#define BPFNET_NETWORK_H

#include "api/internal.h"

/*
 * Take network @n out of the datapath: its map slot, flood list and FDB
 * entries, and a bridge's gateway address on the node. Each step is fine
 * with being done already; the first error is kept.
 */
int network_uninstall(struct bpfnet *bn, const struct net_state *n);

#endif
