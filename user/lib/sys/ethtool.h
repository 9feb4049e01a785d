/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Device features the datapath needs, set as ethtool does, without ethtool. */
#ifndef BPFNET_SYS_ETHTOOL_H
#define BPFNET_SYS_ETHTOOL_H

/*
 * GRO on device @ifname (a char *) of the caller's netns: 0, or -errno. On
 * a veth it makes the kernel run NAPI there (veth_gro_requested()), which
 * veth_xdp_xmit() needs of the peer it delivers XDP frames into. Shaped for
 * netns_run().
 */
int link_gro_on(void *ifname);

#endif
