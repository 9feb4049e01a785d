/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The conntrack table from the control plane: walking and pruning it. */
#ifndef BPFNET_CT_H
#define BPFNET_CT_H

#include <stdbool.h>
#include "internal.h"
#include "bpfnet/abi.h"

/* Decides whether a flow (given by its original-direction entry) is to go. */
typedef bool (*ct_pred_fn)(const struct bpfnet_ct_key *key, const struct bpfnet_ct_entry *e,
			   void *arg);

/* Delete every flow (both entries) that @pred accepts; *n (may be NULL) counts them. */
int ct_flush_matching(struct bpfnet *bn, ct_pred_fn pred, void *arg, size_t *n);

/* Flows to or from, or translated to, @ip: an endpoint that goes away. */
int ct_flush_addr(struct bpfnet *bn, struct in_addr ip);

#endif
