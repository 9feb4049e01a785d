// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Conntrack listing and flushing. The table is read key by key: an LRU hash
 * has no consistent snapshot, so a listing is a best-effort view of a table
 * that the datapath keeps changing.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "ct.h"
#include "datapath.h"

static const char *const state_names[BPFNET_CT_STATE_MAX] = {
	[BPFNET_CT_NONE] = "none",
	[BPFNET_CT_SYN_SENT] = "syn_sent",
	[BPFNET_CT_ESTABLISHED] = "established",
	[BPFNET_CT_FIN_WAIT] = "fin_wait",
	[BPFNET_CT_TIME_WAIT] = "time_wait",
	[BPFNET_CT_CLOSE] = "close",
};

/* Every key of the table, read before anything is deleted (deleting while walking restarts it). */
static int ct_keys(int fd, struct bpfnet_ct_key **out, size_t *n)
{
	struct bpfnet_ct_key *keys = malloc(BPFNET_CT_MAX * sizeof(*keys)), *prev = NULL;
	size_t count = 0;

	if (!keys)
		return -ENOMEM;
	while (count < BPFNET_CT_MAX && !bpf_map_get_next_key(fd, prev, &keys[count])) {
		prev = &keys[count];
		count++;
	}
	*out = keys;
	*n = count;
	return 0;
}

int ct_flush_matching(struct bpfnet *bn, ct_pred_fn pred, void *arg, size_t *n)
{
	int fd = dp_map_fd(bn, BPFNET_MAP_CT), err;
	struct bpfnet_ct_key *keys = NULL;
	struct bpfnet_ct_entry e;
	size_t count = 0, flushed = 0;

	if (fd < 0)
		return fd;
	err = ct_keys(fd, &keys, &count);
	for (size_t i = 0; !err && i < count; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], &e) || (e.flags & BPFNET_CT_F_REPLY))
			continue;
		if (pred && !pred(&keys[i], &e, arg))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
		bpf_map_delete_elem(fd, &e.peer);
		flushed++;
	}
	/* reply entries whose original is gone are dead weight: a full flush takes them too */
	for (size_t i = 0; !err && !pred && i < count; i++)
		bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
	close(fd);
	if (n)
		*n = flushed;
	return err ? bn_fail(bn, err, "cannot walk the conntrack table: %s", strerror(-err)) : 0;
}

static bool touches_addr(const struct bpfnet_ct_key *k, const struct bpfnet_ct_entry *e, void *arg)
{
	__be32 ip = ((struct in_addr *)arg)->s_addr;

	return k->saddr == ip || k->daddr == ip || e->nat_saddr == ip || e->nat_daddr == ip ||
	       e->peer.saddr == ip || e->peer.daddr == ip;
}

int ct_flush_addr(struct bpfnet *bn, struct in_addr ip)
{
	return ct_flush_matching(bn, touches_addr, &ip, NULL);
}

int bpfnet_ct__flush(struct bpfnet *bn, size_t *flushed)
{
	return ct_flush_matching(bn, NULL, NULL, flushed);
}

static const char *flow_kind(const struct bpfnet_ct_entry *e)
{
	if (e->flags & BPFNET_CT_F_HAIRPIN)
		return "hairpin";
	if (e->flags & BPFNET_CT_F_PORTMAP)
		return "portmap";
	if (e->flags & BPFNET_CT_F_SNAT)
		return "masquerade";
	return "routed";	/* untranslated, in or out: tracked so that its replies get in */
}

static void flow_of(const struct bpfnet_ct_key *k, const struct bpfnet_ct_entry *e,
		    const struct bpfnet_ct_entry *reply, __u64 now, struct bpfnet_ct_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->proto = k->proto;
	snprintf(f->state, sizeof(f->state), "%s",
		 e->state < BPFNET_CT_STATE_MAX ? state_names[e->state] : "?");
	snprintf(f->kind, sizeof(f->kind), "%s", flow_kind(e));
	f->orig_src.s_addr = k->saddr;
	f->orig_dst.s_addr = k->daddr;
	f->orig_sport = ntohs(k->sport);
	f->orig_dport = ntohs(k->dport);
	f->reply_src.s_addr = e->peer.saddr;
	f->reply_dst.s_addr = e->peer.daddr;
	f->reply_sport = ntohs(e->peer.sport);
	f->reply_dport = ntohs(e->peer.dport);
	f->age_ms = (now - e->created_ns) / 1000000;
	f->expires_in_ms = (e->expires_ns - now) / 1000000;
	f->packets = e->packets;
	f->bytes = e->bytes;
	if (reply) {
		f->reply_packets = reply->packets;
		f->reply_bytes = reply->bytes;
	}
}

int bpfnet_ct__list(struct bpfnet *bn, struct bpfnet_ct_flow **out, size_t *count)
{
	int fd = dp_map_fd(bn, BPFNET_MAP_CT), err;
	struct bpfnet_ct_entry e, reply;
	struct bpfnet_ct_flow *flows = NULL;
	struct bpfnet_ct_key *keys = NULL;
	size_t n = 0, m = 0;
	__u64 now = bn_mono_ns();

	if (fd < 0)
		return fd;
	err = ct_keys(fd, &keys, &n);
	if (!err && !(flows = calloc(n + 1, sizeof(*flows))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < n; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], &e) || (e.flags & BPFNET_CT_F_REPLY) ||
		    e.expires_ns < now)
			continue;
		flow_of(&keys[i], &e, bpf_map_lookup_elem(fd, &e.peer, &reply) ? NULL : &reply,
			now, &flows[m++]);
	}
	free(keys);
	close(fd);
	if (err) {
		free(flows);
		return bn_fail(bn, err, "cannot read the conntrack table: %s", strerror(-err));
	}
	*out = flows;
	*count = m;
	return 0;
}
