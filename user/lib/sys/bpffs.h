/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The bpffs the instance pins its datapath in, found (or mounted) on first use. */
#ifndef BPFNET_BPFFS_H
#define BPFNET_BPFFS_H

#include <sys/types.h>
#include "core/core.h"

/* <bpffs>/bpfnet/<instance>, finding the bpffs on first use. */
int bn_pin_dir(struct bpfnet *bn, const char **out);
/* The same, mounting a bpffs at /sys/fs/bpf when there is none (init only). */
int bn_pin_dir_mount(struct bpfnet *bn, const char **out);
/*
 * The nearest ancestor process in another mount namespace (`ip netns exec`
 * hides the host's /sys): its mounts are reachable under /proc/PID/root.
 * -ENOENT when there is none; *same_ns_as_parent says if our parent shares ours.
 */
pid_t bn_mntns_ancestor(int *same_ns_as_parent);

#endif
