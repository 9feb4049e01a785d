// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Published ports as the datapath reads them (bpf/lib/svc.h): a frontend in
 * portmap4 naming a service id and its backend count, the backends in
 * backends4 under (service id, slot). Every port is a service of its own with
 * one backend today; a service of several is another count and more slots,
 * written by the same publish.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp/maps.h"
#include "dp/svc.h"

int svc_maps_open(struct dp *dp, struct svc_maps *sm)
{
	sm->dp = dp;
	sm->portmap = dp_fd(dp, DP_PORTMAP);
	if (sm->portmap < 0)
		return sm->portmap;
	sm->backends = dp_fd(dp, DP_BACKENDS);
	return sm->backends < 0 ? sm->backends : 0;
}

void svc_port_encode(const struct port_map *m, unsigned int off, struct svc_port *p)
{
	memset(p, 0, sizeof(*p));
	p->key.host_ip = m->host_ip.s_addr;
	p->key.host_port = htons(m->host_port + off);
	p->key.proto = m->proto;
	p->be.ep_ip = m->container_ip.s_addr;
	p->be.ep_port = htons(m->container_port + off);
}

static void backend_key(struct bpfnet_backend_key *k, __u32 svc_id, __u16 slot)
{
	memset(k, 0, sizeof(*k));
	k->svc_id = svc_id;
	k->slot = slot;
}

int svc_port_lookup(const struct svc_maps *sm, const struct bpfnet_portmap_key *key,
		    struct bpfnet_backend *be)
{
	struct bpfnet_portmap_val svc;
	struct bpfnet_backend_key bk;

	memset(be, 0, sizeof(*be));
	if (bpf_map_lookup_elem(sm->portmap, key, &svc))
		return -ENOENT;
	backend_key(&bk, svc.svc_id, 0);
	if (!svc.count || bpf_map_lookup_elem(sm->backends, &bk, be)) {
		memset(be, 0, sizeof(*be));
		return -ENODATA;
	}
	return 0;
}

/* The entries of @n ports as new services from @first on: backends and frontends. */
struct svc_batch {
	struct bpfnet_backend_key *bkeys;
	struct bpfnet_backend *bvals;
	struct bpfnet_portmap_key *keys;
	struct bpfnet_portmap_val *vals;
};

static void batch_free(struct svc_batch *b)
{
	free(b->bkeys);
	free(b->bvals);
	free(b->keys);
	free(b->vals);
}

static int batch_fill(struct svc_batch *b, const struct svc_port *p, size_t n, __u32 first)
{
	b->bkeys = calloc(n, sizeof(*b->bkeys));
	b->bvals = calloc(n, sizeof(*b->bvals));
	b->keys = calloc(n, sizeof(*b->keys));
	b->vals = calloc(n, sizeof(*b->vals));
	if (!b->bkeys || !b->bvals || !b->keys || !b->vals)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		backend_key(&b->bkeys[i], first + i, 0);
		b->bvals[i] = p[i].be;
		b->keys[i] = p[i].key;
		b->vals[i].svc_id = first + i;
		b->vals[i].count = 1;
	}
	return 0;
}

int svc_write(const struct svc_maps *sm, const struct svc_port *p, size_t n, __u32 first,
	      const char **refused_by)
{
	struct svc_batch b = {};
	__u32 nb = 0, nf = 0;
	int err = 0;

	*refused_by = NULL;
	if (!n)
		return 0;
	if (batch_fill(&b, p, n, first)) {
		batch_free(&b);
		return -ENOMEM;
	}
	/*
	 * One by one: a new service never takes over the backends of one that
	 * exists (BPF_NOEXIST), which batch updates cannot promise.
	 */
	for (; nb < n && !err; nb++)
		if (bpf_map_update_elem(sm->backends, &b.bkeys[nb], &b.bvals[nb], BPF_NOEXIST))
			err = -errno;
	if (err) {
		nb--;
		*refused_by = BPFNET_MAP_BACKENDS;
	} else {
		nf = n;
		if (bpf_map_update_batch(sm->portmap, b.keys, b.vals, &nf, NULL)) {
			err = -errno;
			*refused_by = BPFNET_MAP_PORTMAP;
		}
	}
	/* undone in the order of removal: frontends, then their backends */
	for (__u32 i = 0; err && i < nf; i++)
		bpf_map_delete_elem(sm->portmap, &b.keys[i]);
	for (__u32 i = 0; err && i < nb; i++)
		bpf_map_delete_elem(sm->backends, &b.bkeys[i]);
	batch_free(&b);
	return err;
}

/* The max_entries of map @fd, which init chooses (dp/sizes.h); 0 when unknown. */
static __u32 fd_max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

int svc_publish(const struct svc_maps *sm, const struct svc_port *p, size_t n)
{
	struct bpfnet *bn = sm->dp->bn;
	const char *map;
	__u32 first;
	int err = n ? dp_svc_ids_take(sm->dp, n, &first) : 0;

	if (err || !n)
		return err;
	err = svc_write(sm, p, n, first, &map);
	if (!err)
		return 0;
	if (!map)
		return bn_fail(bn, err, "out of memory");
	if (err == -EEXIST)
		return bn_fail(bn, err, "cannot publish: a service id just handed out is in %s "
			       "already (the count of ids in %s was lost)", map, BPFNET_MAP_CONFIG);
	return bn_fail(bn, err, "cannot publish: %s refused %zu entries (%s; at most %u ports in "
		       "all: bpfnet init --ports-max sets it)", map, n, strerror(-err),
		       fd_max_entries(sm->portmap));
}

void svc_unpublish(const struct svc_maps *sm, const struct bpfnet_portmap_key *key)
{
	struct bpfnet_portmap_val svc;
	struct bpfnet_backend_key bk;

	if (bpf_map_lookup_elem(sm->portmap, key, &svc))
		return;
	bpf_map_delete_elem(sm->portmap, key);
	for (__u32 slot = 0; slot < svc.count; slot++) {
		backend_key(&bk, svc.svc_id, slot);
		bpf_map_delete_elem(sm->backends, &bk);
	}
}

/* Every entry of the hash map @fd, at most @max, in batches; ENOENT ends the walk. */
static int dump_hash(int fd, void *keys, size_t ksz, void *vals, size_t vsz, size_t max,
		     size_t *n)
{
	__u32 in = 0, out = 0, count;
	bool first = true;
	int err = 0;

	*n = 0;
	/* a hash map's batch token is a bucket number */
	while (!err && *n < max) {
		count = max - *n;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, (char *)keys + *n * ksz,
					   (char *)vals + *n * vsz, &count, NULL) ? -errno : 0;
		*n += count;
		in = out;
		first = false;
	}
	return err == -ENOENT ? 0 : err;
}

struct backend_row {
	struct bpfnet_backend_key key;	/* first: rows compare by it */
	struct bpfnet_backend val;
};

static int cmp_backend(const void *a, const void *b)
{
	const struct bpfnet_backend_key *x = a, *y = b;

	if (x->svc_id != y->svc_id)
		return x->svc_id < y->svc_id ? -1 : 1;
	return (int)x->slot - (int)y->slot;
}

/* Every backend, sorted by (service, slot). */
static int dump_backends(int fd, struct backend_row **rows, size_t *n)
{
	__u32 max = fd_max_entries(fd);
	struct bpfnet_backend_key *keys = calloc(max + 1, sizeof(*keys));
	struct bpfnet_backend *vals = calloc(max + 1, sizeof(*vals));
	int err = !max ? -errno : !keys || !vals ? -ENOMEM : 0;

	*rows = NULL;
	*n = 0;
	if (!err)
		err = dump_hash(fd, keys, sizeof(*keys), vals, sizeof(*vals), max, n);
	if (!err && !(*rows = calloc(*n + 1, sizeof(**rows))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < *n; i++) {
		(*rows)[i].key = keys[i];
		(*rows)[i].val = vals[i];
	}
	if (!err)
		qsort(*rows, *n, sizeof(**rows), cmp_backend);
	free(keys);
	free(vals);
	return err;
}

int svc_dump(const struct svc_maps *sm, struct svc_dump *d)
{
	__u32 max = fd_max_entries(sm->portmap);
	struct bpfnet_portmap_key *keys = calloc(max + 1, sizeof(*keys));
	struct bpfnet_portmap_val *vals = calloc(max + 1, sizeof(*vals));
	struct backend_row *rows = NULL, *hit;
	struct bpfnet_backend_key bk;
	size_t n_rows = 0;
	int err = !max ? -errno : !keys || !vals ? -ENOMEM : 0;

	memset(d, 0, sizeof(*d));
	if (!err)
		err = dump_hash(sm->portmap, keys, sizeof(*keys), vals, sizeof(*vals), max, &d->n);
	if (!err)
		err = dump_backends(sm->backends, &rows, &n_rows);
	if (!err && !(d->ports = calloc(d->n + 1, sizeof(*d->ports))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < d->n; i++) {
		d->ports[i].key = keys[i];
		d->ports[i].svc_id = vals[i].svc_id;
		d->ports[i].count = vals[i].count;
		backend_key(&bk, vals[i].svc_id, 0);
		hit = vals[i].count ? bsearch(&bk, rows, n_rows, sizeof(*rows), cmp_backend) : NULL;
		if (hit)
			d->ports[i].be = hit->val;
	}
	if (err)
		svc_dump_free(d);
	free(rows);
	free(keys);
	free(vals);
	return err;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

int svc_sweep(const struct svc_maps *sm)
{
	struct backend_row *rows = NULL;
	struct svc_dump d;
	__u32 *ids = NULL;
	size_t n_rows = 0;
	int err = svc_dump(sm, &d) ?: dump_backends(sm->backends, &rows, &n_rows);

	if (!err && !(ids = calloc(d.n + 1, sizeof(*ids))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < d.n; i++)
		ids[i] = d.ports[i].svc_id;
	if (!err)
		qsort(ids, d.n, sizeof(*ids), cmp_u32);
	/* a slot past its service's count is no backend of it either (checked by bpfnet check) */
	for (size_t i = 0; !err && i < n_rows; i++)
		if (!bsearch(&rows[i].key.svc_id, ids, d.n, sizeof(*ids), cmp_u32))
			bpf_map_delete_elem(sm->backends, &rows[i].key);
	free(ids);
	free(rows);
	svc_dump_free(&d);
	return err;
}

void svc_dump_free(struct svc_dump *d)
{
	free(d->ports);
	memset(d, 0, sizeof(*d));
}
