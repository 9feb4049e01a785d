/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The public value types at the api boundary: what the IPv4-only internals take. */
#ifndef BPFNET_API_TYPES_H
#define BPFNET_API_TYPES_H

#include "api/internal.h"

/*
 * The IPv4 address of @a, named @what in messages: -EAFNOSUPPORT for IPv6
 * (not supported yet), -EINVAL for another family (AF_UNSPEC included).
 */
int bn_addr4(struct bpfnet *bn, const struct bpfnet_addr *a, const char *what,
	     struct in_addr *out);
struct bpfnet_prefix bn_prefix_from4(struct in_addr a, unsigned int len);

/* The name of drop reason @reason (abi.h's, as stats and the monitor show it); NULL: none. */
const char *bn_drop_reason_name(unsigned int reason);

#endif
