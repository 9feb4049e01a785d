/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Socket hooks for the node's local clients (bpf/sock.bpf.c): cgroup v2
 * sock_addr programs that send connect()/sendto() to a published port
 * straight to its container. Attached to the cgroup v2 root as bpf_links
 * pinned under the instance's pin dir, so they outlive bpfnet and go away
 * with the pins. All return 0 or -errno.
 */
#ifndef BPFNET_SOCKHOOK_H
#define BPFNET_SOCKHOOK_H

#include <linux/types.h>

struct bpfnet;

/*
 * Load the hooks (sharing the instance's pinned maps), attach them to the
 * cgroup v2 root and pin their links as BPFNET_LINK_*. Safe to re-run: a
 * pinned link is updated in place to the new program, never attached twice.
 * The datapath must be loaded (its pin dir exist) and config[0].netns_cookie
 * set (netns_cookie_self()), or the hooks translate nothing.
 * The cgroup v2 root is $BPFNET_CGROUP, else the cgroup2 mount, found also
 * under `ip netns exec` through an ancestor process's mounts.
 */
int sock_hooks_attach(struct bpfnet *bn);

/*
 * Is each hook's link pinned and attached to the cgroup v2 root it would be
 * attached to now? @bad sees each that is not, with why in words.
 */
int sock_hooks_verify(struct bpfnet *bn, void (*bad)(const char *pin, const char *why, void *arg),
		      void *arg);

/* Unpin (and so detach) the hooks' links; missing ones are fine. */
int sock_hooks_detach(struct bpfnet *bn);

/* Cookie of the caller's network namespace (SO_NETNS_COOKIE, Linux >= 5.14). */
int netns_cookie_self(__u64 *cookie);

#endif
