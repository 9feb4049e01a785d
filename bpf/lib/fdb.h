/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The forwarding database of bridge networks: which port (host-side veth)
 * each MAC of a network lives behind. Endpoint add writes a static entry;
 * every frame a port sends refreshes (or learns, or moves) the entry of its
 * source MAC; learned entries idle for BPFNET_FDB_AGEING_SEC are forgotten
 * when next looked up. Anti-spoofing lets a port send from its endpoint's
 * MAC only, so a container cannot fill the table with made-up addresses.
 */
#ifndef BPFNET_BPF_FDB_H
#define BPFNET_BPF_FDB_H

#include "lib/parse.h"
#include "lib/stats.h"

#define FDB_REFRESH_NS (BPFNET_FDB_REFRESH_MS * NSEC_PER_MSEC)

/*
 * The FDB's clock, read for every switched frame: CLOCK_MONOTONIC as of the
 * last tick. Idle times of a second and of minutes need no more, and it
 * costs a load where bpf_ktime_get_ns() reads the clocksource (tens of ns
 * in a VM). It lags the precise clock by a tick at most; an entry written
 * with the precise one (endpoint add) merely looks a tick younger.
 */
static __always_inline __u64 fdb_now(void)
{
	return bpf_ktime_get_coarse_ns();
}

/*
 * The ageing time: a global (.data) rather than a constant so that the packet
 * tests can age an entry at once. Without that they would need a timestamp
 * five minutes old, which a machine that booted less than five minutes ago
 * cannot have on the monotonic clock. Nothing in production writes it.
 */
__u64 fdb_ageing_ns = BPFNET_FDB_AGEING_SEC * NSEC_PER_SEC;

static __always_inline void fdb_key_of(struct bpfnet_fdb_key *k, __u32 net_id, const __u8 *mac)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->net_id = net_id;
	mac_copy(k->mac, mac);
}

/* How long the entry has been idle; another CPU may have refreshed it after @now was read. */
static __always_inline __u64 fdb_idle_ns(const struct bpfnet_fdb_val *v, __u64 now)
{
	return now > v->last_seen_ns ? now - v->last_seen_ns : 0;
}

/* A frame from endpoint @ep: its MAC lives behind its port, as of @now. */
static __always_inline void fdb_learn(const struct bpfnet_ep *ep, __u64 now)
{
	struct bpfnet_fdb_val fresh = {
		.ifindex = ep->ifindex,
		.ep_id = ep->id,
		.last_seen_ns = now,
		.flags = BPFNET_FDB_F_LEARNED,
	};
	struct bpfnet_fdb_key k;
	struct bpfnet_fdb_val *v;
	int moved;

	fdb_key_of(&k, ep->net_id, ep->mac);
	v = bpf_map_lookup_elem(&fdb, &k);
	if (v && v->ifindex == ep->ifindex) {
		/* the common case: a write per second at most, not per packet */
		if (fdb_idle_ns(v, now) > FDB_REFRESH_NS)
			v->last_seen_ns = now;
		return;
	}
	/* new, or behind another port before: the whole entry replaced at once */
	moved = v != NULL;
	if (!bpf_map_update_elem(&fdb, &k, &fresh, BPF_ANY))
		count_global(moved ? BPFNET_G_FDB_MOVED : BPFNET_G_FDB_LEARNED);
}

/* The port of @mac in network @net_id, or NULL when unknown (or just aged out). */
static __always_inline const struct bpfnet_fdb_val *fdb_lookup(__u32 net_id, const __u8 *mac,
								 __u64 now)
{
	struct bpfnet_fdb_key k;
	struct bpfnet_fdb_val *v;

	fdb_key_of(&k, net_id, mac);
	v = bpf_map_lookup_elem(&fdb, &k);
	if (!v || (v->flags & BPFNET_FDB_F_STATIC) || fdb_idle_ns(v, now) <= fdb_ageing_ns)
		return v;
	bpf_map_delete_elem(&fdb, &k);
	count_global(BPFNET_G_FDB_AGED);
	return NULL;
}

#endif
