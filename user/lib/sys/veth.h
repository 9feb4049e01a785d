/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The host-side veths of the instance's endpoints. */
#ifndef BPFNET_VETH_H
#define BPFNET_VETH_H

#include <stdbool.h>
#include "core/core.h"
#include "model/state.h"
#include "sys/netlink.h"

/* "bn<hash>-<id>": endpoint @id's host veth name. */
void host_ifname_of(const struct bpfnet *bn, unsigned int id, char buf[IF_NAMESIZE]);
/* "bn<hash>-": the name prefix of this instance's host-side veths. */
void host_ifname_prefix(const struct bpfnet *bn, char buf[IF_NAMESIZE]);

/*
 * Delete endpoint @ep's veth from the node; already gone (netns deleted) is
 * fine. When its netns is no longer at its path, the veth is left to the
 * kernel's deletion of that netns: taken down and renamed "bn<hash>x<gen>".
 */
int ep_delete_veth(struct bpfnet *bn, struct nl *nl, const struct ep_state *ep);

/* Is @name one of this instance's host veth names that @st does not give to an endpoint? */
bool veth_is_stray(const struct bpfnet *bn, const struct state *st, const char *name,
		   const char *kind);
/* Delete every stray veth of this instance (see veth_is_stray()); *n counts them. */
int veth_strays_remove(struct bpfnet *bn, struct nl *nl, const struct state *st, size_t *n);

#endif
