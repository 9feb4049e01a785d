// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The datapath's maps (maps.h): the handle that opens each once per
 * operation, and every read and write of them the control plane makes.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp/encode.h"
#include "dp/maps.h"

/* A batch token is a bucket or an index: no larger than this. */
#define BATCH_TOKEN_MAX 64

/* Each map's pinned name and value size: the layout this build reads and writes. */
static const struct {
	const char *name;
	size_t value_size;
} dp_maps[DP_MAP_COUNT] = {
	[DP_EP_BY_IFINDEX] = { BPFNET_MAP_EP_BY_IFINDEX, sizeof(struct bpfnet_ep) },
	[DP_EP_BY_IP] = { BPFNET_MAP_EP_BY_IP, sizeof(struct bpfnet_ep) },
	[DP_NETWORKS] = { BPFNET_MAP_NETWORKS, sizeof(struct bpfnet_net) },
	[DP_EP_STATS] = { BPFNET_MAP_EP_STATS, sizeof(struct bpfnet_ep_stats) },
	[DP_DROP_STATS] = { BPFNET_MAP_DROP_STATS, sizeof(__u64) },
	[DP_GLOBAL_STATS] = { BPFNET_MAP_GLOBAL_STATS, sizeof(__u64) },
	[DP_CONFIG] = { BPFNET_MAP_CONFIG, sizeof(struct bpfnet_config) },
	[DP_PORTMAP] = { BPFNET_MAP_PORTMAP, sizeof(struct bpfnet_portmap_val) },
	[DP_CT] = { BPFNET_MAP_CT, sizeof(struct bpfnet_ct_entry) },
	[DP_NODE_ADDRS] = { BPFNET_MAP_NODE_ADDRS, sizeof(__u32) },
	[DP_FDB] = { BPFNET_MAP_FDB, sizeof(struct bpfnet_fdb_val) },
	[DP_FLOOD_PORTS] = { BPFNET_MAP_FLOOD_PORTS, sizeof(struct bpfnet_flood) },
	[DP_EP_PORTS] = { BPFNET_MAP_EP_PORTS, sizeof(__u32) },
	[DP_CP_STATS] = { BPFNET_MAP_CP_STATS, sizeof(__u64) },
	[DP_BACKENDS] = { BPFNET_MAP_BACKENDS, sizeof(struct bpfnet_backend) },
	[DP_MON_CTL] = { BPFNET_MAP_MON_CTL, sizeof(struct bpfnet_mon_ctl) },
	[DP_MON_RINGS] = { BPFNET_MAP_MON_RINGS, sizeof(__u32) },	/* a ring's id */
	[DP_MON_CPU] = { BPFNET_MAP_MON_CPU, sizeof(struct bpfnet_mon_cpu) },
	[DP_NODE_PORTS] = { BPFNET_MAP_NODE_PORTS, sizeof(struct bpfnet_node_ports) },
};

/* ---- the handle ---- */

void dp_init(struct dp *dp, struct bpfnet *bn)
{
	dp->bn = bn;
	for (int m = 0; m < DP_MAP_COUNT; m++)
		dp->fd[m] = -1;
}

void dp_close(struct dp *dp)
{
	for (int m = 0; m < DP_MAP_COUNT; m++) {
		if (dp->fd[m] >= 0)
			close(dp->fd[m]);
		dp->fd[m] = -1;
	}
}

int dp_fd(struct dp *dp, enum dp_map m)
{
	if (m >= DP_MAP_COUNT)
		return bn_fail(dp->bn, -EINVAL, "no such map of the datapath");
	if (dp->fd[m] < 0)
		dp->fd[m] = dp_map_fd_sized(dp->bn, dp_maps[m].name, dp_maps[m].value_size);
	return dp->fd[m];
}

__u32 dp_map_count(int fd, __u32 limit)
{
	__u8 key[64], next[64];
	void *prev = NULL;
	__u32 n = 0;

	while (n <= limit && !bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

int dp_pinned_info(const char *path, struct bpf_map_info *info, bool *pinned)
{
	__u32 len = sizeof(*info);
	int fd = bpf_obj_get(path), err = 0;

	memset(info, 0, sizeof(*info));
	*pinned = fd >= 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		err = -errno;
	close(fd);
	return err;
}

int dp_adopt(struct dp *dp, enum dp_map m, int fd)
{
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (own < 0)
		return -errno;
	if (dp->fd[m] >= 0)
		close(dp->fd[m]);
	dp->fd[m] = own;
	return 0;
}

enum dp_map dp_map_by_name(const char *name)
{
	int m;

	for (m = 0; m < DP_MAP_COUNT && strcmp(dp_maps[m].name, name); m++)
		;
	return m;
}

/* ---- the primitives, on one map ---- */

static int map_update(struct dp *dp, enum dp_map m, const void *key, const void *val)
{
	int fd = dp_fd(dp, m);

	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, key, val, BPF_ANY))
		return bn_fail(dp->bn, -errno, "cannot update map %s: %s", dp_maps[m].name,
			       strerror(errno));
	return 0;
}

static int map_delete(struct dp *dp, enum dp_map m, const void *key)
{
	int fd = dp_fd(dp, m);

	if (fd < 0)
		return fd;
	if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
		return bn_fail(dp->bn, -errno, "cannot delete from map %s: %s", dp_maps[m].name,
			       strerror(errno));
	return 0;
}

/* -ENOENT without a message: an entry not there is for the caller to word. */
static int map_lookup(struct dp *dp, enum dp_map m, const void *key, void *val)
{
	int fd = dp_fd(dp, m);

	if (fd < 0)
		return fd;
	if (!bpf_map_lookup_elem(fd, key, val))
		return 0;
	if (errno == ENOENT)
		return -ENOENT;
	return bn_fail(dp->bn, -errno, "cannot read map %s: %s", dp_maps[m].name, strerror(errno));
}

/* Up to @max keys of @m into @keys (@ksz bytes each); a hash map changing underneath may skip some. */
static int map_keys(struct dp *dp, enum dp_map m, void *keys, size_t ksz, size_t max, size_t *n)
{
	int fd = dp_fd(dp, m);
	void *prev = NULL;

	*n = 0;
	if (fd < 0)
		return fd;
	while (*n < max && !bpf_map_get_next_key(fd, prev, (char *)keys + *n * ksz)) {
		prev = (char *)keys + *n * ksz;
		(*n)++;
	}
	return 0;
}

/* Read @m whole in batches into @keys/@vals (room for @max); -errno of the kernel, unworded. */
static int map_read_all(struct dp *dp, enum dp_map m, void *keys, size_t ksz, void *vals,
			size_t vsz, size_t max, size_t *n)
{
	__u8 in[BATCH_TOKEN_MAX], out[BATCH_TOKEN_MAX];
	int fd = dp_fd(dp, m), err = 0;
	bool first = true;
	__u32 count;

	*n = 0;
	if (fd < 0)
		return fd;
	/* a hash map's batch token is a bucket number; ENOENT ends the walk */
	while (!err && *n < max) {
		count = max - *n;
		err = bpf_map_lookup_batch(fd, first ? NULL : in, out, (char *)keys + *n * ksz,
					   (char *)vals + *n * vsz, &count, NULL) ? -errno : 0;
		*n += count;
		memcpy(in, out, sizeof(in));
		first = false;
	}
	return err == -ENOENT ? 0 : err;
}

/* A per-CPU slot of @value_size bytes of u64 counters, summed into @out. */
static int percpu_sum(struct dp *dp, enum dp_map m, __u32 key, __u64 *out, size_t value_size)
{
	int ncpu = libbpf_num_possible_cpus(), fd = dp_fd(dp, m), err = 0;
	size_t words = value_size / sizeof(__u64);
	__u64 *vals;

	if (fd < 0)
		return fd;
	if (ncpu < 0)
		return ncpu;
	/* per-CPU values come back as one 8-byte-aligned slot per possible CPU */
	vals = calloc((size_t)ncpu, value_size);
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, vals)) {
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

/* ---- endpoints ---- */

int dp_ep_put(struct dp *dp, const struct ep_state *ep,
	      const struct net_state *net)
{
	struct bpfnet_ep val;
	__u32 ifindex = ep->host_ifindex;
	__be32 ip = ep->ip.s_addr;

	dp_ep_encode(ep, net, &val);
	return map_update(dp, DP_EP_BY_IFINDEX, &ifindex, &val) ?:
	       map_update(dp, DP_EP_BY_IP, &ip, &val);
}

int dp_ep_del(struct dp *dp, const struct ep_state *ep)
{
	return dp_ep_del_by_ip(dp, ep->ip.s_addr) ?: dp_ep_del_by_ifindex(dp, ep->host_ifindex);
}

int dp_ep_get_by_ip(struct dp *dp, __be32 ip, struct bpfnet_ep *val)
{
	return map_lookup(dp, DP_EP_BY_IP, &ip, val);
}

int dp_ep_get_by_ifindex(struct dp *dp, __u32 ifindex, struct bpfnet_ep *val)
{
	return map_lookup(dp, DP_EP_BY_IFINDEX, &ifindex, val);
}

int dp_ep_del_by_ip(struct dp *dp, __be32 ip)
{
	return map_delete(dp, DP_EP_BY_IP, &ip);
}

int dp_ep_del_by_ifindex(struct dp *dp, __u32 ifindex)
{
	return map_delete(dp, DP_EP_BY_IFINDEX, &ifindex);
}

int dp_ep_ifindexes(struct dp *dp, __u32 *ifindexes, size_t max, size_t *n)
{
	return map_keys(dp, DP_EP_BY_IFINDEX, ifindexes, sizeof(*ifindexes), max, n);
}

/* The generations of map @m's entries, appended to @gens. */
static int gens_of(struct dp *dp, enum dp_map m, size_t ksz, __u32 *gens, size_t max, size_t *n)
{
	__u8 key[8], next[8];
	int fd = dp_fd(dp, m);
	struct bpfnet_ep ep;
	void *prev = NULL;

	if (fd < 0)
		return fd;
	while (*n < max && !bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksz);
		prev = key;
		if (!bpf_map_lookup_elem(fd, key, &ep))
			gens[(*n)++] = ep.gen;
	}
	return 0;
}

int dp_ep_gens(struct dp *dp, __u32 *gens, size_t max, size_t *n)
{
	*n = 0;
	return gens_of(dp, DP_EP_BY_IP, sizeof(__be32), gens, max, n) ?:
	       gens_of(dp, DP_EP_BY_IFINDEX, sizeof(__u32), gens, max, n);
}

int dp_ep_stats_zero(struct dp *dp, unsigned int id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct bpfnet_ep_stats *zero;
	__u32 key = id;
	int err;

	if (ncpu < 0)
		return bn_fail(dp->bn, ncpu, "cannot count CPUs");
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	err = map_update(dp, DP_EP_STATS, &key, zero);
	free(zero);
	return err;
}

int dp_ep_stats_read(struct dp *dp, unsigned int id, struct bpfnet_ep_stats *sum)
{
	return percpu_sum(dp, DP_EP_STATS, id, (__u64 *)sum, sizeof(*sum));
}

/* ---- networks ---- */

int dp_net_put(struct dp *dp, const struct net_state *net)
{
	struct bpfnet_net val;
	__u32 key = net->id;

	dp_net_encode(net, &val);
	return map_update(dp, DP_NETWORKS, &key, &val);
}

int dp_net_clear(struct dp *dp, unsigned int net_id)
{
	struct bpfnet_net val = {};
	__u32 key = net_id;

	return map_update(dp, DP_NETWORKS, &key, &val);
}

int dp_flood_put(struct dp *dp, unsigned int net_id, const struct bpfnet_flood *ports)
{
	__u32 key = net_id;

	if (!ports->n_ports)
		return map_delete(dp, DP_FLOOD_PORTS, &key);
	return map_update(dp, DP_FLOOD_PORTS, &key, ports);
}

/* ---- the bridge FDB ---- */

int dp_fdb_put(struct dp *dp, const struct bpfnet_fdb_key *key, const struct bpfnet_fdb_val *val)
{
	return map_update(dp, DP_FDB, key, val);
}

int dp_fdb_get(struct dp *dp, const struct bpfnet_fdb_key *key, struct bpfnet_fdb_val *val)
{
	return map_lookup(dp, DP_FDB, key, val);
}

int dp_fdb_del(struct dp *dp, const struct bpfnet_fdb_key *key)
{
	return map_delete(dp, DP_FDB, key);
}

void fdb_dump_free(struct fdb_dump *d)
{
	free(d->keys);
	free(d->vals);
}

int dp_fdb_dump(struct dp *dp, struct fdb_dump *d)
{
	int fd = dp_fd(dp, DP_FDB), err;
	size_t n;

	d->n = 0;
	if (fd < 0)
		return fd;
	d->keys = calloc(BPFNET_FDB_MAX, sizeof(*d->keys));
	d->vals = calloc(BPFNET_FDB_MAX, sizeof(*d->vals));
	if (!d->keys || !d->vals)
		return -ENOMEM;
	/* the datapath keeps changing the table: every key first, then each value */
	err = map_keys(dp, DP_FDB, d->keys, sizeof(*d->keys), BPFNET_FDB_MAX, &n);
	for (size_t i = 0; !err && i < n; i++)
		if (!bpf_map_lookup_elem(fd, &d->keys[i], &d->vals[d->n]))
			d->keys[d->n++] = d->keys[i];
	return err;
}

/* ---- published container ports (portmap4 and backends4 are dp/svc.c's) ---- */

int dp_ep_port_set(struct dp *dp, const struct bpfnet_ep_port_key *key, __u32 count)
{
	return count ? map_update(dp, DP_EP_PORTS, key, &count) : map_delete(dp, DP_EP_PORTS, key);
}

/* ---- config, node addresses ---- */

int dp_config_get(struct dp *dp, struct bpfnet_config *cfg)
{
	__u32 zero = 0;
	int err = map_lookup(dp, DP_CONFIG, &zero, cfg);

	if (err == -ENOENT)
		return bn_fail(dp->bn, err, "cannot read map %s: %s", BPFNET_MAP_CONFIG,
			       strerror(-err));
	return err;
}

int dp_config_put(struct dp *dp, const struct bpfnet_config *cfg)
{
	__u32 zero = 0;

	return map_update(dp, DP_CONFIG, &zero, cfg);
}

/* Only the cookie: the generations handed out so far stay (re-init keeps the maps). */
int dp_config_set_cookie(struct dp *dp, __u64 netns_cookie)
{
	struct bpfnet_config cfg;
	int err = dp_config_get(dp, &cfg);

	if (err)
		return err;
	cfg.netns_cookie = netns_cookie;
	return dp_config_put(dp, &cfg);
}

int dp_ep_gen_next(struct dp *dp, unsigned int *gen)
{
	struct bpfnet_config cfg;
	int err = dp_config_get(dp, &cfg);

	if (err)
		return err;
	/* 0 means "no endpoint"; past 2^32 - 1 adds the count wraps and skips it */
	if (!++cfg.last_ep_gen)
		cfg.last_ep_gen = 1;
	err = dp_config_put(dp, &cfg);
	if (!err)
		*gen = cfg.last_ep_gen;
	return err;
}

int dp_ep_gen_floor(struct dp *dp, unsigned int floor)
{
	struct bpfnet_config cfg;
	int err = dp_config_get(dp, &cfg);

	if (err || cfg.last_ep_gen >= floor)
		return err;
	cfg.last_ep_gen = floor;
	return dp_config_put(dp, &cfg);
}

int dp_svc_ids_take(struct dp *dp, size_t n, __u32 *first)
{
	struct bpfnet_config cfg;
	int err = dp_config_get(dp, &cfg);

	if (err)
		return err;
	/* never reused while the maps live: a stale backend can never join a new service */
	if (n > UINT32_MAX - cfg.last_svc_id)
		return bn_fail(dp->bn, -ENOSPC, "no service ids left for %zu published ports (%u "
			       "handed out since the maps were made)", n, cfg.last_svc_id);
	*first = cfg.last_svc_id + 1;
	cfg.last_svc_id += n;
	return dp_config_put(dp, &cfg);
}

int dp_svc_id_floor(struct dp *dp, __u32 floor)
{
	struct bpfnet_config cfg;
	int err = dp_config_get(dp, &cfg);

	if (err || cfg.last_svc_id >= floor)
		return err;
	cfg.last_svc_id = floor;
	return dp_config_put(dp, &cfg);
}

int dp_node_addrs_set(struct dp *dp, const struct in_addr *addrs, size_t n)
{
	int fd = dp_fd(dp, DP_NODE_ADDRS), err = 0;
	__be32 *keys = NULL, *stale = NULL;
	size_t n_keys = 0, n_stale = 0;
	__be32 key;
	__u32 val;

	if (fd < 0)
		return fd;
	for (size_t i = 0; i < n && !err; i++) {
		dp_node_addr_encode(&addrs[i], &key, &val);
		if (bpf_map_update_elem(fd, &key, &val, BPF_ANY))
			err = -errno;
	}
	keys = calloc(BPFNET_NODE_ADDR_MAX, sizeof(*keys));
	stale = calloc(BPFNET_NODE_ADDR_MAX, sizeof(*stale));
	if (!err && (!keys || !stale))
		err = -ENOMEM;
	if (!err)
		err = map_keys(dp, DP_NODE_ADDRS, keys, sizeof(*keys), BPFNET_NODE_ADDR_MAX, &n_keys);
	for (size_t k = 0; !err && k < n_keys; k++) {
		size_t i;

		for (i = 0; i < n && addrs[i].s_addr != keys[k]; i++)
			;
		if (i == n)
			stale[n_stale++] = keys[k];
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	free(keys);
	free(stale);
	return err ? bn_fail(dp->bn, err, "cannot update node addresses: %s", strerror(-err)) : 0;
}

/* ---- counters ---- */

int dp_cp_stats_open(struct dp *dp, struct dp_cp_stats *cp)
{
	int fd = dp_fd(dp, DP_CP_STATS);
	long page = sysconf(_SC_PAGESIZE);

	cp->len = ((BPFNET_G_MAX * sizeof(__u64)) + page - 1) / page * page;
	if (fd < 0)
		return fd;
	cp->counters = mmap(NULL, cp->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cp->counters == MAP_FAILED) {
		cp->counters = NULL;
		return bn_fail(dp->bn, -errno, "cannot map %s: %s", BPFNET_MAP_CP_STATS,
			       strerror(errno));
	}
	return 0;
}

void dp_cp_stats_close(struct dp_cp_stats *cp)
{
	if (cp->counters)
		munmap(cp->counters, cp->len);
	cp->counters = NULL;
}

void dp_cp_count(struct dp_cp_stats *cp, enum bpfnet_global_counter counter, __u64 n)
{
	if (n)
		__atomic_fetch_add(&cp->counters[counter], n, __ATOMIC_RELAXED);
}

int dp_global_read(struct dp *dp, __u64 out[BPFNET_G_MAX])
{
	int cp = dp_fd(dp, DP_CP_STATS), err = 0;

	if (cp < 0)
		return cp;
	for (__u32 g = 0; g < BPFNET_G_MAX && !err; g++) {
		__u64 n = 0;

		err = percpu_sum(dp, DP_GLOBAL_STATS, g, &out[g], sizeof(out[g]));
		if (!err && !bpf_map_lookup_elem(cp, &g, &n))
			out[g] += n;
	}
	return err ? bn_fail(dp->bn, err, "cannot read node counters: %s", strerror(-err)) : 0;
}

int dp_drop_read(struct dp *dp, unsigned int reason, __u64 *n)
{
	return percpu_sum(dp, DP_DROP_STATS, reason, n, sizeof(*n));
}

/* ---- conntrack ---- */

int dp_ct_read_batch(struct dp *dp, __u32 *token, bool first, struct bpfnet_ct_key *keys,
		     struct bpfnet_ct_entry *vals, __u32 *count)
{
	int fd = dp_fd(dp, DP_CT);
	__u32 in = *token;

	if (fd < 0)
		return fd;
	return bpf_map_lookup_batch(fd, first ? NULL : &in, token, keys, vals, count, NULL) ?
		       -errno : 0;
}

int dp_ct_get(struct dp *dp, const struct bpfnet_ct_key *key, struct bpfnet_ct_entry *e)
{
	int fd = dp_fd(dp, DP_CT);

	if (fd < 0)
		return fd;
	return bpf_map_lookup_elem(fd, key, e) ? -errno : 0;
}

int dp_ct_del(struct dp *dp, const struct bpfnet_ct_key *key)
{
	int fd = dp_fd(dp, DP_CT);

	if (fd < 0)
		return fd;
	return bpf_map_delete_elem(fd, key) ? -errno : 0;
}

/* ---- any map ---- */

void *dp_dump_key(const struct dp_dump *d, size_t i)
{
	return (char *)d->keys + i * d->ksz;
}

void *dp_dump_val(const struct dp_dump *d, size_t i)
{
	return (char *)d->vals + i * d->vsz;
}

void dp_dump_free(struct dp_dump *d)
{
	free(d->keys);
	free(d->vals);
	memset(d, 0, sizeof(*d));
}

int dp_map_dump(struct dp *dp, enum dp_map m, struct dp_dump *d)
{
	int fd = dp_fd(dp, m), err = 0;
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(d, 0, sizeof(*d));
	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	d->ksz = info.key_size;
	d->vsz = info.value_size;
	d->keys = err ? NULL : calloc(info.max_entries + 1, d->ksz);
	d->vals = err ? NULL : calloc(info.max_entries + 1, d->vsz);
	if (!err && (!d->keys || !d->vals))
		err = -ENOMEM;
	if (!err)
		err = map_read_all(dp, m, d->keys, d->ksz, d->vals, d->vsz, info.max_entries, &d->n);
	if (err) {
		dp_dump_free(d);
		return bn_fail(dp->bn, err, "cannot read map %s: %s", dp_maps[m].name,
			       strerror(-err));
	}
	return 0;
}

int dp_max_entries(struct dp *dp, enum dp_map m, __u32 *max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = dp_fd(dp, m);

	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return bn_fail(dp->bn, -errno, "cannot read map %s: %s", dp_maps[m].name,
			       strerror(errno));
	*max = info.max_entries;
	return 0;
}

int dp_map_del(struct dp *dp, enum dp_map m, const void *key)
{
	return map_delete(dp, m, key);
}

int dp_map_put(struct dp *dp, enum dp_map m, const void *key, const void *val)
{
	return map_update(dp, m, key, val);
}

/* ---- the event monitor (dp/monitor.c) ---- */

int dp_mon_ctl_open(struct dp *dp, struct dp_mon_ctl *ctl)
{
	int fd = dp_fd(dp, DP_MON_CTL);
	long page = sysconf(_SC_PAGESIZE);

	ctl->len = (sizeof(*ctl->ctl) + page - 1) / page * page;
	ctl->ctl = NULL;
	if (fd < 0)
		return fd;
	ctl->ctl = mmap(NULL, ctl->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ctl->ctl == MAP_FAILED) {
		ctl->ctl = NULL;
		return bn_fail(dp->bn, -errno, "cannot map %s: %s", BPFNET_MAP_MON_CTL,
			       strerror(errno));
	}
	return 0;
}

void dp_mon_ctl_close(struct dp_mon_ctl *ctl)
{
	if (ctl->ctl)
		munmap(ctl->ctl, ctl->len);
	ctl->ctl = NULL;
}

int dp_mon_ring_create(struct dp *dp)
{
	/* the same shape as mon_rings' template (bpf/lib/maps.h): the kernel compares */
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "mon_ring", 0, 0, BPFNET_MON_RING_BYTES, NULL);

	if (fd < 0)
		return bn_fail(dp->bn, -errno, "cannot create a ring buffer of %u bytes: %s",
			       BPFNET_MON_RING_BYTES, strerror(errno));
	return fd;
}

int dp_mon_ring_put(struct dp *dp, __u32 slot, int ring_fd)
{
	__u32 val = (__u32)ring_fd;

	return map_update(dp, DP_MON_RINGS, &slot, &val);
}

int dp_mon_ring_del(struct dp *dp, __u32 slot)
{
	return map_delete(dp, DP_MON_RINGS, &slot);
}

int dp_mon_counters_read(struct dp *dp, __u64 out[BPFNET_MON_CPU_COUNTERS])
{
	__u64 sum[sizeof(struct bpfnet_mon_cpu) / sizeof(__u64)];
	int err = percpu_sum(dp, DP_MON_CPU, 0, sum, sizeof(struct bpfnet_mon_cpu));

	if (err < 0)
		return bn_fail(dp->bn, err, "cannot read %s: %s", BPFNET_MAP_MON_CPU,
			       strerror(-err));
	/* produced, suppressed, lost: the struct's first words */
	memcpy(out, sum, BPFNET_MON_CPU_COUNTERS * sizeof(__u64));
	return 0;
}
