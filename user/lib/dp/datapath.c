// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp/datapath.h"
#include "sys/fsutil.h"
#include "model/ipam.h"
#include "datapath.skel.h"

/* Distinct per instance so two instances sharing an uplink do not replace each other. */
static __u32 dp_tc_priority(const struct bpfnet *bn)
{
	return 1 + fnv1a32(bn->instance) % 0xfff0;
}

static int pin_prog_atomic(struct bpfnet *bn, struct bpf_program *prog, const char *dir)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, bpf_program__name(prog));
	/* bpffs refuses dots in names (reserved), hence "_new" */
	snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	err = bpf_obj_pin(bpf_program__fd(prog), tmp);
	if (err)
		return bn_fail(bn, -errno, "cannot pin %s: %s", tmp, strerror(errno));
	/* bpffs supports rename(2): readers see the old or the new program, never none */
	if (rename(tmp, path) < 0) {
		err = -errno;
		unlink(tmp);
		return bn_fail(bn, err, "cannot pin %s: %s", path, strerror(-err));
	}
	return 0;
}

int dp_load(struct bpfnet *bn)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	struct datapath_bpf *skel;
	const char *dir;
	int err;

	err = bn_pin_dir_mount(bn, &dir);
	if (err)
		return err;
	err = mkdir_p(dir, 0700);
	if (err)
		return bn_fail(bn, err, "cannot create %s: %s", dir, strerror(-err));
	oopts.pin_root_path = dir;
	skel = datapath_bpf__open_opts(&oopts);
	if (!skel)
		return bn_fail(bn, -errno, "cannot open the datapath object: %s", strerror(errno));
	err = datapath_bpf__load(skel);
	if (err) {
		bn_fail(bn, err, "the kernel refused the datapath (%s); see the libbpf log above",
			strerror(-err));
		goto out;
	}
	err = pin_prog_atomic(bn, skel->progs.from_container, dir) ?:
	      pin_prog_atomic(bn, skel->progs.from_uplink, dir);
out:
	datapath_bpf__destroy(skel);
	return err;
}

static int pinned_fd(struct bpfnet *bn, const char *name, const char *what)
{
	char path[PATH_MAX];
	const char *dir;
	int fd, err = bn_pin_dir(bn, &dir);

	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return bn_fail(bn, -errno, "cannot open the %s %s: %s (is the node initialized?)",
			       what, path, strerror(errno));
	return fd;
}

#define MAP_NAME(name) name,
const char *const dp_map_names[] = { BPFNET_FOREACH_MAP(MAP_NAME) };
#undef MAP_NAME
const size_t dp_n_map_names = sizeof(dp_map_names) / sizeof(dp_map_names[0]);

bool dp_map_known(const char *map)
{
	for (size_t i = 0; i < dp_n_map_names; i++)
		if (!strcmp(dp_map_names[i], map))
			return true;
	return false;
}

int dp_map_fd(struct bpfnet *bn, const char *map)
{
	/* only maps of the ABI's list, the one tests/unit/test_maps.c holds against the object */
	if (!dp_map_known(map))
		return bn_fail(bn, -EINVAL, "no map '%s' in the datapath's ABI", map);
	return pinned_fd(bn, map, "map");
}

int dp_map_fd_sized(struct bpfnet *bn, const char *map, size_t value_size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = dp_map_fd(bn, map), err;

	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	if (!err && info.value_size == value_size)
		return fd;
	close(fd);
	if (err)
		return bn_fail(bn, err, "cannot read map %s: %s", map, strerror(-err));
	return bn_fail(bn, -EPROTO, "map %s is of another bpfnet (values of %u bytes, this one's "
		       "are %zu): take it down with the bpfnet that made it, then initialize again",
		       map, info.value_size, value_size);
}

int dp_attach(struct bpfnet *bn, int ifindex, const char *prog, bool *created_hook)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_TC_HANDLE, .priority = dp_tc_priority(bn),
		    .flags = BPF_TC_F_REPLACE);
	int fd = pinned_fd(bn, prog, "program"), err;

	if (fd < 0)
		return fd;
	err = bpf_tc_hook_create(&hook);
	if (created_hook)
		*created_hook = !err;
	if (err && err != -EEXIST) {
		bn_fail(bn, err, "cannot create the clsact qdisc on ifindex %d: %s", ifindex,
			strerror(-err));
		goto out;
	}
	opts.prog_fd = fd;
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		bn_fail(bn, err, "cannot attach %s to ifindex %d: %s", prog, ifindex, strerror(-err));
out:
	close(fd);
	return err;
}

int dp_pinned_prog_id(struct bpfnet *bn, const char *prog, __u32 *id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = pinned_fd(bn, prog, "program"), err = 0;

	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = bn_fail(bn, -errno, "cannot read the pinned %s: %s", prog, strerror(errno));
	else
		*id = info.id;
	close(fd);
	return err;
}

int dp_attached_prog_id(struct bpfnet *bn, int ifindex, __u32 *id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_TC_HANDLE, .priority = dp_tc_priority(bn));
	int err = bpf_tc_query(&hook, &opts);

	/* no clsact, or no filter of ours in it: both mean nothing of ours runs there */
	if (err == -ENOENT || err == -EINVAL)
		return -ENOENT;
	if (err)
		return bn_fail(bn, err, "cannot query tc on ifindex %d: %s", ifindex,
			       strerror(-err));
	*id = opts.prog_id;
	return 0;
}

int dp_detach(struct bpfnet *bn, int ifindex, bool destroy_hook)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_TC_HANDLE, .priority = dp_tc_priority(bn));
	int err = bpf_tc_detach(&hook, &opts);

	if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL)
		return bn_fail(bn, err, "cannot detach from ifindex %d: %s", ifindex,
			       strerror(-err));
	if (destroy_hook) {
		/* the hook was ours; take the whole clsact qdisc down as init found it */
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		err = bpf_tc_hook_destroy(&hook);
		if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL)
			return bn_fail(bn, err, "cannot remove clsact from ifindex %d: %s",
				       ifindex, strerror(-err));
	}
	return 0;
}

int dp_unpin(struct bpfnet *bn)
{
	char parent[PATH_MAX];
	const char *dir;
	int err = bn_pin_dir(bn, &dir);

	if (err)
		return err;
	err = remove_flat_dir(dir);
	if (err)
		return bn_fail(bn, err, "cannot remove pins under %s: %s", dir, strerror(-err));
	/* <bpffs>/bpfnet goes too once the last instance is gone */
	snprintf(parent, sizeof(parent), "%s", dir);
	*strrchr(parent, '/') = '\0';
	rmdir(parent);
	return 0;
}

static int map_update(struct bpfnet *bn, const char *map, const void *key, const void *val)
{
	int fd = dp_map_fd(bn, map), err;

	if (fd < 0)
		return fd;
	err = bpf_map_update_elem(fd, key, val, BPF_ANY) ? -errno : 0;
	close(fd);
	if (err)
		return bn_fail(bn, err, "cannot update map %s: %s", map, strerror(-err));
	return 0;
}

static int map_delete(struct bpfnet *bn, const char *map, const void *key)
{
	int fd = dp_map_fd(bn, map), err;

	if (fd < 0)
		return fd;
	err = bpf_map_delete_elem(fd, key) && errno != ENOENT ? -errno : 0;
	close(fd);
	if (err)
		return bn_fail(bn, err, "cannot delete from map %s: %s", map, strerror(-err));
	return 0;
}

void dp_net_encode(const struct net_state *net, struct bpfnet_net *val)
{
	memset(val, 0, sizeof(*val));
	val->subnet = net->subnet.s_addr;
	val->mask = htonl(prefix_mask(net->prefix_len));
	val->gateway = net->gateway.s_addr;
	val->mode = net_is_bridge(net) ? BPFNET_MODE_BRIDGE : BPFNET_MODE_L3;
	val->flags = (net->masquerade ? BPFNET_NET_F_MASQUERADE : 0) |
		     (net->internal ? BPFNET_NET_F_INTERNAL : 0);
	if (net_is_routed(net))
		val->flags |= BPFNET_NET_F_ROUTED;
	else if (!strcmp(net->gateway_mode, BPFNET_GW_MODE_NAT_UNPROTECTED))
		val->flags |= BPFNET_NET_F_UNPROTECTED;
	memcpy(val->gw_mac, net->gateway_mac, sizeof(val->gw_mac));
}

int dp_net_set(struct bpfnet *bn, const struct net_state *net)
{
	struct bpfnet_net val;
	__u32 key = net->id;

	dp_net_encode(net, &val);

	return map_update(bn, BPFNET_MAP_NETWORKS, &key, &val);
}

int dp_net_clear(struct bpfnet *bn, unsigned int net_id)
{
	struct bpfnet_net val = {};
	__u32 key = net_id;

	/* an array slot cannot be deleted, only zeroed (mode NONE) */
	return map_update(bn, BPFNET_MAP_NETWORKS, &key, &val);
}

void dp_ep_encode(const struct ep_state *ep, const struct net_state *net,
		  struct bpfnet_ep *val)
{
	memset(val, 0, sizeof(*val));
	val->ifindex = ep->host_ifindex;
	val->id = ep->id;
	val->net_id = net->id;
	val->ip = ep->ip.s_addr;
	memcpy(val->mac, ep->mac, sizeof(val->mac));
	memcpy(val->host_mac, ep->host_mac, sizeof(val->host_mac));
	val->flags = BPFNET_EP_F_VALID;
	val->gen = ep->gen;
	if (net_is_bridge(net))
		val->flags |= BPFNET_EP_F_BRIDGE;
	if (net->internal)
		val->flags |= BPFNET_EP_F_INTERNAL;
}

int dp_ep_stats_zero(struct bpfnet *bn, unsigned int id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct bpfnet_ep_stats *zero;
	__u32 key = id;
	int err;

	if (ncpu < 0)
		return bn_fail(bn, ncpu, "cannot count CPUs");
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	err = map_update(bn, BPFNET_MAP_EP_STATS, &key, zero);
	free(zero);
	return err;
}

int dp_ep_set(struct bpfnet *bn, const struct ep_state *ep,
	      const struct net_state *net)
{
	struct bpfnet_ep val;
	__u32 ifindex = ep->host_ifindex;
	__be32 ip = ep->ip.s_addr;

	dp_ep_encode(ep, net, &val);
	return map_update(bn, BPFNET_MAP_EP_BY_IFINDEX, &ifindex, &val) ?:
	       map_update(bn, BPFNET_MAP_EP_BY_IP, &ip, &val);
}

int dp_ep_clear(struct bpfnet *bn, const struct ep_state *ep)
{
	__u32 ifindex = ep->host_ifindex;
	__be32 ip = ep->ip.s_addr;

	return map_delete(bn, BPFNET_MAP_EP_BY_IP, &ip) ?:
	       map_delete(bn, BPFNET_MAP_EP_BY_IFINDEX, &ifindex);
}

int dp_flood_set(struct bpfnet *bn, unsigned int net_id, const struct bpfnet_flood *ports)
{
	__u32 key = net_id;

	if (!ports->n_ports)
		return map_delete(bn, BPFNET_MAP_FLOOD_PORTS, &key);
	return map_update(bn, BPFNET_MAP_FLOOD_PORTS, &key, ports);
}

int dp_fdb_set(struct bpfnet *bn, unsigned int net_id, const uint8_t mac[6],
	       const struct bpfnet_fdb_val *val)
{
	struct bpfnet_fdb_key key = { .net_id = net_id };

	memcpy(key.mac, mac, sizeof(key.mac));
	return map_update(bn, BPFNET_MAP_FDB, &key, val);
}

int dp_percpu_sum(int map_fd, unsigned int key, __u64 *out, size_t value_size)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t words = value_size / sizeof(__u64);
	__u64 *vals;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	/* per-CPU values come back as one 8-byte-aligned slot per possible CPU */
	vals = calloc((size_t)ncpu, value_size);
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, vals)) {
		err = -errno;
		goto out;
	}
	memset(out, 0, value_size);
	for (int c = 0; c < ncpu; c++)
		for (size_t w = 0; w < words; w++)
			out[w] += vals[c * words + w];
out:
	free(vals);
	return err;
}

static int config_get(struct bpfnet *bn, struct bpfnet_config *cfg)
{
	int fd = dp_map_fd_sized(bn, BPFNET_MAP_CONFIG, sizeof(*cfg)), err;
	__u32 zero = 0;

	if (fd < 0)
		return fd;
	err = bpf_map_lookup_elem(fd, &zero, cfg) ? -errno : 0;
	close(fd);
	if (err)
		return bn_fail(bn, err, "cannot read map %s: %s", BPFNET_MAP_CONFIG,
			       strerror(-err));
	return 0;
}

/* Only the cookie: the generations handed out so far stay (re-init keeps the maps). */
int dp_config_set(struct bpfnet *bn, __u64 netns_cookie)
{
	struct bpfnet_config cfg;
	__u32 zero = 0;
	int err = config_get(bn, &cfg);

	if (err)
		return err;
	cfg.netns_cookie = netns_cookie;
	return map_update(bn, BPFNET_MAP_CONFIG, &zero, &cfg);
}

int dp_ep_gen_next(struct bpfnet *bn, unsigned int *gen)
{
	struct bpfnet_config cfg;
	__u32 zero = 0;
	int err = config_get(bn, &cfg);

	if (err)
		return err;
	/* 0 means "no endpoint"; past 2^32 - 1 adds the count wraps and skips it */
	if (!++cfg.last_ep_gen)
		cfg.last_ep_gen = 1;
	err = map_update(bn, BPFNET_MAP_CONFIG, &zero, &cfg);
	if (!err)
		*gen = cfg.last_ep_gen;
	return err;
}

int dp_ep_gen_floor(struct bpfnet *bn, unsigned int floor)
{
	struct bpfnet_config cfg;
	__u32 zero = 0;
	int err = config_get(bn, &cfg);

	if (err || cfg.last_ep_gen >= floor)
		return err;
	cfg.last_ep_gen = floor;
	return map_update(bn, BPFNET_MAP_CONFIG, &zero, &cfg);
}

int dp_svc_ids_take(struct bpfnet *bn, size_t n, __u32 *first)
{
	struct bpfnet_config cfg;
	__u32 zero = 0;
	int err = config_get(bn, &cfg);

	if (err)
		return err;
	/* never reused while the maps live: a stale backend can never join a new service */
	if (n > UINT32_MAX - cfg.last_svc_id)
		return bn_fail(bn, -ENOSPC, "no service ids left for %zu published ports (%u handed "
			       "out since the maps were made)", n, cfg.last_svc_id);
	*first = cfg.last_svc_id + 1;
	cfg.last_svc_id += n;
	return map_update(bn, BPFNET_MAP_CONFIG, &zero, &cfg);
}

int dp_svc_id_floor(struct bpfnet *bn, __u32 floor)
{
	struct bpfnet_config cfg;
	__u32 zero = 0;
	int err = config_get(bn, &cfg);

	if (err || cfg.last_svc_id >= floor)
		return err;
	cfg.last_svc_id = floor;
	return map_update(bn, BPFNET_MAP_CONFIG, &zero, &cfg);
}

int dp_cp_stats_open(struct bpfnet *bn, struct dp_cp_stats *cp)
{
	int fd = dp_map_fd(bn, BPFNET_MAP_CP_STATS), err = 0;
	long page = sysconf(_SC_PAGESIZE);

	cp->len = ((BPFNET_G_MAX * sizeof(__u64)) + page - 1) / page * page;
	if (fd < 0)
		return fd;
	cp->counters = mmap(NULL, cp->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cp->counters == MAP_FAILED) {
		err = bn_fail(bn, -errno, "cannot map %s: %s", BPFNET_MAP_CP_STATS,
			      strerror(errno));
		cp->counters = NULL;
	}
	close(fd);
	return err;
}

void dp_cp_stats_close(struct dp_cp_stats *cp)
{
	if (cp->counters)
		munmap(cp->counters, cp->len);
	cp->counters = NULL;
}

int dp_global_read(struct bpfnet *bn, __u64 out[BPFNET_G_MAX])
{
	int dp = dp_map_fd(bn, BPFNET_MAP_GLOBAL_STATS), cp = -1, err = 0;

	if (dp < 0)
		return dp;
	cp = dp_map_fd(bn, BPFNET_MAP_CP_STATS);
	if (cp < 0) {
		close(dp);
		return cp;
	}
	for (__u32 g = 0; g < BPFNET_G_MAX && !err; g++) {
		__u64 n = 0;

		err = dp_percpu_sum(dp, g, &out[g], sizeof(out[g]));
		if (!err && !bpf_map_lookup_elem(cp, &g, &n))
			out[g] += n;
	}
	close(dp);
	close(cp);
	return err ? bn_fail(bn, err, "cannot read node counters: %s", strerror(-err)) : 0;
}

void dp_cp_count(struct dp_cp_stats *cp, enum bpfnet_global_counter counter, __u64 n)
{
	if (n)
		__atomic_fetch_add(&cp->counters[counter], n, __ATOMIC_RELAXED);
}

/* Make node_addrs hold exactly @addrs: add the new, then drop the gone. */
int dp_node_addrs_set(struct bpfnet *bn, const struct in_addr *addrs, size_t n)
{
	int fd = dp_map_fd(bn, BPFNET_MAP_NODE_ADDRS), err = 0;
	__be32 key, next, *stale = NULL;
	size_t n_stale = 0;
	__u32 one = 1;

	if (fd < 0)
		return fd;
	for (size_t i = 0; i < n && !err; i++)
		if (bpf_map_update_elem(fd, &addrs[i].s_addr, &one, BPF_ANY))
			err = -errno;
	stale = calloc(BPFNET_NODE_ADDR_MAX, sizeof(*stale));
	if (!err && !stale)
		err = -ENOMEM;
	for (int r = bpf_map_get_next_key(fd, NULL, &next); !err && !r;
	     r = bpf_map_get_next_key(fd, &key, &next)) {
		size_t i;

		key = next;
		for (i = 0; i < n && addrs[i].s_addr != key; i++)
			;
		if (i == n && n_stale < BPFNET_NODE_ADDR_MAX)
			stale[n_stale++] = key;
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	free(stale);
	close(fd);
	return err ? bn_fail(bn, err, "cannot update node addresses: %s", strerror(-err)) : 0;
}

/* Is @dir/@name a pinned BPF object? */
static bool pinned(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int dp_foreach_pin(struct bpfnet *bn,
		   int (*cb)(const char *name, bool is_prog, bool is_pinned, void *arg), void *arg)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	const char *progs[] = { BPFNET_PROG_FROM_CONTAINER, BPFNET_PROG_FROM_UPLINK };
	struct datapath_bpf *skel;
	struct bpf_map *map;
	const char *dir;
	int err = bn_pin_dir(bn, &dir);

	if (err)
		return err;
	for (size_t i = 0; !err && i < sizeof(progs) / sizeof(progs[0]); i++)
		err = cb(progs[i], true, pinned(dir, progs[i]), arg);
	if (err)
		return err;
	/* the maps the object pins by name, read from the object itself: none is forgotten */
	oopts.pin_root_path = dir;
	skel = datapath_bpf__open_opts(&oopts);
	if (!skel)
		return bn_fail(bn, -errno, "cannot open the datapath object: %s", strerror(errno));
	bpf_object__for_each_map(map, skel->obj) {
		if (!err && bpf_map__pin_path(map))
			err = cb(bpf_map__name(map), false, pinned(dir, bpf_map__name(map)), arg);
	}
	datapath_bpf__destroy(skel);
	return err;
}

struct first_missing {
	char *name;
	size_t len;
};

static int first_missing(const char *name, bool is_prog, bool is_pinned, void *arg)
{
	struct first_missing *m = arg;

	(void)is_prog;
	if (is_pinned)
		return 0;
	snprintf(m->name, m->len, "%s", name);
	return -ENOENT;
}

int dp_pins_check(struct bpfnet *bn, char *missing, size_t len)
{
	struct first_missing m = { missing, len };

	return dp_foreach_pin(bn, first_missing, &m);
}
