// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ctfill: synthetic conntrack flows written straight into an instance's
 * pinned ct4 map, for the bench (endpoint rm against a full table) and the
 * end-to-end tests (expired entries, a table past the warning), which must
 * not wait minutes for real flows to expire or open 100,000 real ones.
 *
 *   ctfill PIN_DIR fill N [--expired] [--base A.B.C.D] [--count]
 *   ctfill PIN_DIR expire-all
 *   ctfill PIN_DIR count
 *
 * fill: N flows of 2 entries each, UDP BASE+i:1000 > 203.0.113.1:53 and
 * back, untranslated ("routed"), of no endpoint (generations 0), alive for
 * an hour or (--expired) past their time; --count adds them to the
 * ct_created counter in cp_stats, as if the datapath had made them, so that
 * the "lost to eviction" figure stays true. expire-all: every flow in the
 * table past its time, both entries' copies of its expiry. Both print the
 * entries the table holds afterwards.
 *
 * The entry layout is read from the map's own BTF (member offsets by name),
 * so the same binary fills the map of an older bpfnet (the bench compares
 * with one); the key layout has not changed since conntrack began.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpfnet/abi.h"

#define NSEC_PER_SEC 1000000000ULL
#define LIVE_FOR_NS (3600 * NSEC_PER_SEC)	/* far longer than any bench or test */
/* Old enough for the control plane's walk to judge them: past its minimum age. */
#define AGE_NS (60 * NSEC_PER_SEC)
#define BATCH 8192		/* entries a batch update writes */
#define SYN_SPORT 1000
#define SYN_DPORT 53
#define DEFAULT_BASE "198.18.0.0"	/* RFC 2544 benchmarking range: no real host */
#define SYN_DST "203.0.113.1"		/* TEST-NET-3 */

/* Where the members of the map's struct bpfnet_ct_entry are (the map's BTF says). */
struct layout {
	__u32 size;
	__u32 peer, flags, created_ns, expires_ns;
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* bpf_ktime_get_ns()'s clock */
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

static int member_off(const struct btf *btf, const struct btf_type *t, const char *name,
		      __u32 *off)
{
	const struct btf_member *m = btf_members(t);

	for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name)) {
			*off = btf_member_bit_offset(t, i) / 8;
			return 0;
		}
	}
	fprintf(stderr, "ctfill: the map's value has no member '%s'\n", name);
	return -1;
}

static int layout_of(int fd, struct layout *l)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	const struct btf_type *t;
	struct btf *btf;
	int err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		perror("ctfill: map info");
		return -1;
	}
	if (info.key_size != sizeof(struct bpfnet_ct_key) || !info.btf_id) {
		fprintf(stderr, "ctfill: not a conntrack map (key %u bytes, btf %u)\n",
			info.key_size, info.btf_id);
		return -1;
	}
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf) {
		perror("ctfill: the map's BTF");
		return -1;
	}
	t = btf__type_by_id(btf, info.btf_value_type_id);
	l->size = info.value_size;
	err = !t || !btf_is_struct(t) ||
	      member_off(btf, t, "peer", &l->peer) || member_off(btf, t, "flags", &l->flags) ||
	      member_off(btf, t, "created_ns", &l->created_ns) ||
	      member_off(btf, t, "expires_ns", &l->expires_ns);
	btf__free(btf);
	return err ? -1 : 0;
}

static size_t count_entries(int fd)
{
	struct bpfnet_ct_key key, next, *prev = NULL;
	size_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static void put_entry(const struct layout *l, __u8 *v, const struct bpfnet_ct_key *peer,
		      __u8 flags, __u64 created, __u64 expires)
{
	memset(v, 0, l->size);
	memcpy(v + l->peer, peer, sizeof(*peer));
	v[l->flags] = flags;
	memcpy(v + l->created_ns, &created, sizeof(created));
	memcpy(v + l->expires_ns, &expires, sizeof(expires));
}

/* Flow @i's two keys: BASE+i:1000 > 203.0.113.1:53 and its reverse. */
static void flow_keys(struct in_addr base, __u32 i, struct bpfnet_ct_key *o,
		      struct bpfnet_ct_key *r)
{
	memset(o, 0, sizeof(*o));
	o->saddr = htonl(ntohl(base.s_addr) + i);
	inet_pton(AF_INET, SYN_DST, &o->daddr);
	o->sport = htons(SYN_SPORT);
	o->dport = htons(SYN_DPORT);
	o->proto = IPPROTO_UDP;
	memset(r, 0, sizeof(*r));
	r->saddr = o->daddr;
	r->daddr = o->saddr;
	r->sport = o->dport;
	r->dport = o->sport;
	r->proto = o->proto;
}

/* Add @n flows to cp_stats[ct_created], if there is one (an older bpfnet has none). */
static void count_created(const char *dir, __u64 n)
{
	char path[512];
	__u32 key = BPFNET_G_CT_CREATED;
	__u64 v = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, BPFNET_MAP_CP_STATS);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	/* the tests and the bench fill from one process: no one adds at the same time */
	if (!bpf_map_lookup_elem(fd, &key, &v)) {
		v += n;
		bpf_map_update_elem(fd, &key, &v, BPF_ANY);
	}
	close(fd);
}

/*
 * The originals first, then the replies: the LRU evicts the oldest entries,
 * so a full table breaks these flows in half, as it does real ones (whose
 * two directions are used apart), for the datapath and the walk to find.
 */
static int fill(int fd, const struct layout *l, __u32 n, struct in_addr base, int expired)
{
	struct bpfnet_ct_key *keys = calloc(BATCH, sizeof(*keys)), o, r;
	__u8 *vals = calloc(BATCH, l->size);
	__u64 now = mono_ns(), created = now - AGE_NS;
	__u64 expires = expired ? created + 1 : now + LIVE_FOR_NS;
	__u32 count;
	int err = 0;

	if (!keys || !vals)
		err = -ENOMEM;
	for (int reply = 0; reply < 2; reply++) {
		for (__u32 i = 0; !err && i < n;) {
			for (count = 0; count < BATCH && i < n; i++, count++) {
				flow_keys(base, i, &o, &r);
				keys[count] = reply ? r : o;
				put_entry(l, vals + (size_t)count * l->size, reply ? &o : &r,
					  reply ? BPFNET_CT_F_REPLY : 0, created,
					  reply ? 0 : expires);
			}
			if (bpf_map_update_batch(fd, keys, vals, &count, NULL))
				err = -errno;
		}
	}
	free(keys);
	free(vals);
	return err;
}

/* The table's max_entries: bpfnet init sizes it (--ct-max). */
static __u32 max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

/* Every key first: an update moves its element within the bucket, restarting a walk. */
static int expire_all(int fd, const struct layout *l)
{
	__u32 max = max_entries(fd);
	struct bpfnet_ct_key *keys = calloc(max + 1, sizeof(*keys));
	__u8 *v = malloc(l->size);
	__u64 past = mono_ns() - AGE_NS, created;
	size_t n = 0;
	int err = 0;

	if (!keys || !v)
		err = -ENOMEM;
	while (!err && n < max &&
	       !bpf_map_get_next_key(fd, n ? &keys[n - 1] : NULL, &keys[n]))
		n++;
	for (size_t i = 0; !err && i < n; i++) {
		/* replies too: each entry has its copy of the flow's expiry (bpf/lib/ct.h) */
		if (bpf_map_lookup_elem(fd, &keys[i], v))
			continue;
		memcpy(&created, v + l->created_ns, sizeof(created));
		if (created > past)
			memcpy(v + l->created_ns, &past, sizeof(past));
		memcpy(v + l->expires_ns, &past, sizeof(past));
		if (bpf_map_update_elem(fd, &keys[i], v, BPF_EXIST) && errno != ENOENT)
			err = -errno;
	}
	free(keys);
	free(v);
	return err;
}

static int usage(void)
{
	fprintf(stderr, "usage: ctfill PIN_DIR fill N [--expired] [--base A.B.C.D] [--count]\n"
			"       ctfill PIN_DIR expire-all | count\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct in_addr base;
	int expired = 0, count = 0, fd, err = 0;
	struct layout l;
	char path[512];
	long n = 0;

	inet_pton(AF_INET, DEFAULT_BASE, &base);
	if (argc < 3)
		return usage();
	if (!strcmp(argv[2], "fill")) {
		if (argc < 4 || (n = strtol(argv[3], NULL, 10)) <= 0 ||
		    n > BPFNET_CT_MAX_LIMIT / 2)
			return usage();
		for (int i = 4; i < argc; i++) {
			if (!strcmp(argv[i], "--expired"))
				expired = 1;
			else if (!strcmp(argv[i], "--count"))
				count = 1;
			else if (!strcmp(argv[i], "--base") && i + 1 < argc &&
				 inet_pton(AF_INET, argv[i + 1], &base) == 1)
				i++;
			else
				return usage();
		}
	} else if (strcmp(argv[2], "expire-all") && strcmp(argv[2], "count")) {
		return usage();
	}
	snprintf(path, sizeof(path), "%s/%s", argv[1], BPFNET_MAP_CT);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "ctfill: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (strcmp(argv[2], "count")) {
		err = layout_of(fd, &l) ? -EINVAL :
		      !strcmp(argv[2], "fill") ? fill(fd, &l, (__u32)n, base, expired) :
		      expire_all(fd, &l);
	}
	if (err)
		fprintf(stderr, "ctfill: %s: %s\n", argv[2], strerror(-err));
	else if (count)
		count_created(argv[1], (__u64)n);
	if (!err)
		printf("%zu\n", count_entries(fd));
	close(fd);
	return err ? 1 : 0;
}
