/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The uplink's XDP program (bpf/xdp.bpf.c): loaded over the datapath's maps,
 * attached natively (driver mode, never generic: that is slower than tc) as
 * a bpf_link pinned in the instance's pin dir, beside tc's from_uplink, which
 * stays for what XDP passes on. The pinned link keeps it attached with no
 * bpfnet process running; a link an init made but had not pinned when killed
 * goes with the process; `down` removing the pin dir takes every one off.
 */
#ifndef BPFNET_DP_XDP_H
#define BPFNET_DP_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include "core/core.h"

struct mig_plan;
/* Load xdp_from_uplink over the maps of pin dir @dir (@plan's staging ones) and pin it. */
int dp_xdp_load(struct bpfnet *bn, const char *dir, const struct mig_plan *plan);
/*
 * The pinned xdp_from_uplink natively on @ifindex: attached, or the program
 * of the link there replaced (an upgrade). 1 with the reason in @why when
 * the kernel refuses native XDP there (the driver has none, another XDP
 * program is attached): tc alone then. 0 attached; -errno (message set)
 * when bpfnet itself cannot go on.
 */
int dp_xdp_attach(struct bpfnet *bn, int ifindex, char *why, size_t len);
/* Our link off @ifindex, and its pin; 0 when there was none. */
int dp_xdp_detach(struct bpfnet *bn, int ifindex);
/* Does the pinned link of @ifindex run xdp_from_uplink there now? */
bool dp_xdp_attached(struct bpfnet *bn, int ifindex);

#endif
