/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the library's modules share and callers never see. */
#ifndef BPFNET_INTERNAL_H
#define BPFNET_INTERNAL_H

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include "bpfnet/bpfnet.h"

#define BPFNET_INSTANCE_MAX 32		/* instance name length, without the NUL */
#define BPFNET_DEFAULT_INSTANCE "default"
#define BPFNET_DEFAULT_BPFFS "/sys/fs/bpf"
#define BPFNET_DEFAULT_RUN_DIR "/run/bpfnet"
#define BPFNET_NETNS_DIR "/var/run/netns"

struct journal;

#define BN_ERRMSG_MAX 512

struct bpfnet {
	char instance[BPFNET_INSTANCE_MAX + 1];
	char bpffs_opt[PATH_MAX];	/* as given; "" = find one */
	char pin_dir[PATH_MAX];		/* <bpffs>/bpfnet/<instance>, once resolved */
	char run_dir[PATH_MAX];		/* <run>/<instance> */
	char errmsg[BN_ERRMSG_MAX];
	int lock_fd;			/* held while a command changes state; -1 otherwise */
	struct journal *recovered;	/* the interrupted command this handle finished or undid */
};

#define __printf(a, b) __attribute__((format(printf, a, b)))

void bn_print(enum bpfnet_log_level level, const char *fmt, ...) __printf(2, 3);
#define pr_warn(fmt, ...) bn_print(BPFNET_WARN, "bpfnet: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) bn_print(BPFNET_INFO, "bpfnet: " fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) bn_print(BPFNET_DEBUG, "bpfnet: " fmt, ##__VA_ARGS__)

/* Record why a call failed, for bpfnet__errmsg(); returns @err (a negative errno). */
int bn_fail(struct bpfnet *bn, int err, const char *fmt, ...) __printf(3, 4);
/* The same for a call with no handle: bpfnet__errmsg(NULL) reads it, per thread. */
int bn_fail_nohandle(int err, const char *fmt, ...) __printf(2, 3);

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

/* Exclusive per-instance lock around read-modify-write of state and maps. */
int bn_lock(struct bpfnet *bn);
void bn_unlock(struct bpfnet *bn);

#define bn_offsetofend(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/*
 * Structs that start with their size, as libbpf's opts: a caller's older,
 * smaller struct is fine (fields past its sz take their defaults); a newer,
 * larger one only if every byte past @lib_sz is zero. 0 or -EINVAL.
 */
int bn_sz_check(const void *p, size_t lib_sz);
#define OPTS_VALID(opts) (!(opts) || !bn_sz_check((opts), sizeof(*(opts))))
#define OPTS_HAS(opts, field) ((opts) && (opts)->sz >= bn_offsetofend(typeof(*(opts)), field))
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/*
 * Results the caller sizes (struct bpfnet_*_info and the like): check its sz
 * before acting (-EINVAL with a message below sizeof(size_t)), then copy the
 * library's @src of @lib_sz bytes as far as the caller's sz reaches; a newer
 * caller's fields past @lib_sz read zero.
 */
int bn_out_check(struct bpfnet *bn, const void *dst, const char *what);
void bn_out_put(void *dst, const void *src, size_t lib_sz);

/*
 * A network and an endpoint as the library keeps them (state.json, the
 * journal): IPv4, modes by name. The public struct bpfnet_network_info and
 * struct bpfnet_endpoint_info are made from them at the api boundary.
 */
struct net_state {
	char name[BPFNET_NAME_MAX];
	unsigned int id;
	char mode[8];		/* BPFNET_MODE_NAME_* */
	struct in_addr subnet;
	unsigned int prefix_len;
	struct in_addr gateway;
	unsigned int endpoints;	/* attached now: filled in for the caller, not kept */
	int masquerade;
	int internal;
	uint8_t gateway_mac[6];	/* bridge: the gateway's MAC, the same for every container */
	char gateway_mode[16];	/* BPFNET_GW_MODE_* */
};

struct ep_state {
	char name[BPFNET_NAME_MAX];
	char network[BPFNET_NAME_MAX];
	char netns[BPFNET_PATH_MAX];
	char ifname[IF_NAMESIZE];
	char host_ifname[IF_NAMESIZE];
	unsigned int id;
	unsigned int host_ifindex;
	struct in_addr ip;
	unsigned int prefix_len;
	struct in_addr gateway;
	uint8_t mac[6];
	uint8_t host_mac[6];
	unsigned int mtu;
	unsigned int gen;	/* new at every add, never reused */
};

/* Network modes by name, as users give them and the state keeps them. */
#define BPFNET_MODE_NAME_L3 "l3"
#define BPFNET_MODE_NAME_BRIDGE "bridge"

static inline int net_is_bridge(const struct net_state *n)
{
	return !strcmp(n->mode, BPFNET_MODE_NAME_BRIDGE);
}

/* A network whose gateway is the node's: every one but an internal one, which has none. */
static inline int net_has_gateway(const struct net_state *n)
{
	return !n->internal;
}

/* Gateway modes by name (Docker 28's): what the outside reaches of a network's containers. */
#define BPFNET_GW_MODE_NAT "nat"
#define BPFNET_GW_MODE_NAT_UNPROTECTED "nat-unprotected"
#define BPFNET_GW_MODE_ROUTED "routed"

#define BPFNET_GW_MODES BPFNET_GW_MODE_NAT ", " BPFNET_GW_MODE_ROUTED ", " \
	BPFNET_GW_MODE_NAT_UNPROTECTED

static inline int gw_mode_known(const char *mode)
{
	return !strcmp(mode, BPFNET_GW_MODE_NAT) || !strcmp(mode, BPFNET_GW_MODE_ROUTED) ||
	       !strcmp(mode, BPFNET_GW_MODE_NAT_UNPROTECTED);
}

static inline int net_is_routed(const struct net_state *n)
{
	return !strcmp(n->gateway_mode, BPFNET_GW_MODE_ROUTED);
}

/* A name users give to networks and endpoints: [A-Za-z0-9][A-Za-z0-9_.-]*, < BPFNET_NAME_MAX. */
int name_valid(const char *name);

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(), for ages of map entries. */
unsigned long long bn_mono_ns(void);

/* A random unicast, locally administered MAC; -EIO without random bytes. */
int bn_random_mac(uint8_t mac[6]);

/* 32-bit FNV-1a: stable short ids derived from names (veth names, tc priorities). */
unsigned int fnv1a32(const char *s);

#endif
