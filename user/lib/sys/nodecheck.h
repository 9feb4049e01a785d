/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the node already uses and bpfnet must not take over: the subnets of its
 * addresses and the destinations of its routes, and which addresses are its own.
 */
#ifndef BPFNET_NODECHECK_H
#define BPFNET_NODECHECK_H

#include <netinet/in.h>
#include "core/core.h"
#include "sys/netlink.h"

/*
 * May a network have subnet @net/@prefix_len? Not when it overlaps an address
 * of the node or a route of its main table (the default route aside): the
 * container routes would capture the node's traffic there. -EEXIST, with the
 * address or route named, when it does.
 */
int node_check_subnet(struct bpfnet *bn, struct nl *nl, struct in_addr net,
		      unsigned int prefix_len);
/*
 * The same, but routes and addresses of device @ifindex (a macvlan network's
 * parent: its own subnet is the network's segment) do not count. @ifindex 0:
 * every device counts.
 */
int node_check_subnet_beside(struct bpfnet *bn, struct nl *nl, struct in_addr net,
			     unsigned int prefix_len, int ifindex);

/*
 * May a port be published on host address @ip? 0.0.0.0, 127.0.0.0/8 and the
 * node's own addresses: yes. -EADDRNOTAVAIL, naming why, for any other: an
 * address of someone else, a subnet's broadcast address, multicast, reserved.
 */
int node_check_host_ip(struct bpfnet *bn, struct nl *nl, struct in_addr ip);

#endif
