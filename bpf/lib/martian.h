/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Martian addresses, as Linux's ip_route_input_slow() has them. A packet with
 * one is never translated or forwarded, whatever route_localnet says: with it
 * set, as Docker sets it, 127.0.0.1 from the wire reaches whatever listens on
 * loopback, published ports bound to 127.0.0.1 included (moby#45610).
 */
#ifndef BPFNET_BPF_MARTIAN_H
#define BPFNET_BPF_MARTIAN_H

#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include "lib/drop.h"

/* 0.0.0.0/8, "this network" (RFC 1122): no source on the wire but 0.0.0.0, no destination. */
#define IN_ZERONET(a) ((((long int)(a)) & 0xff000000) == 0)

static __always_inline int ipv4_check_martian(__be32 saddr, __be32 daddr)
{
	__u32 s = bpf_ntohl(saddr), d = bpf_ntohl(daddr);

	/* a DHCP client without an address yet asks everyone: the node's stack answers */
	if (s == INADDR_ANY && d == INADDR_BROADCAST)
		return 0;
	if (IN_ZERONET(s) || IN_LOOPBACK(s) || IN_MULTICAST(s) || s == INADDR_BROADCAST)
		return DROP(DROP_MARTIAN_SOURCE);
	if (IN_ZERONET(d) || IN_LOOPBACK(d))
		return DROP(DROP_MARTIAN_DEST);
	return 0;
}

#endif
