// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event monitor's listener (monitor.h). The slots live in mon_ctl,
 * mapped shared with the datapath: a slot is claimed by compare-and-swap of
 * its lease (so two monitors starting at once never take the same one), its
 * ring put in mon_rings before its mask says what it wants, and its bits
 * or'd into the datapath's mask after; renewals re-assert both, since the
 * datapath may lower the mask on a race (bpf/lib/monitor.h, mon_live).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <netinet/in.h>
#include <bpf/libbpf.h>

#include "dp/monitor.h"

#define NSEC_PER_MSEC 1000000ULL
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

struct dp_monitor {
	struct dp dp;
	struct dp_mon_ctl ctl;
	struct ring_buffer *rb;
	int ring_fd;
	__u32 slot;
	__u32 mask;
	__u64 renewed_ns;
	/* the callback of the poll in progress */
	dp_monitor_fn fn;
	void *fn_ctx;
	int stop;	/* @fn's non-zero return */
};

/* bpf_ktime_get_ns()'s clock. */
static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static __u64 lease_end(void)
{
	return mono_ns() + BPFNET_MON_LEASE_MS * NSEC_PER_MSEC;
}

/* A slot whose lease is over (free, or its monitor gone), taken with a new lease; else -EBUSY. */
static int slot_claim(struct bpfnet_mon_ctl *ctl, __u32 *slot)
{
	for (__u32 i = 0; i < BPFNET_MON_SLOTS; i++) {
		__u64 until = __atomic_load_n(&ctl->slot_until_ns[i], __ATOMIC_ACQUIRE);

		if (until >= mono_ns())
			continue;
		if (__atomic_compare_exchange_n(&ctl->slot_until_ns[i], &until, lease_end(), false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			/* a killed owner's wishes are not ours: nothing until the ring is in */
			__atomic_store_n(&ctl->slot_mask[i], 0, __ATOMIC_RELEASE);
			*slot = i;
			return 0;
		}
	}
	return -EBUSY;
}

/* The lease extended, the slot's bits in the datapath's mask (again: it may have lowered it). */
static void slot_renew(struct dp_monitor *m)
{
	struct bpfnet_mon_ctl *ctl = m->ctl.ctl;

	__atomic_store_n(&ctl->slot_until_ns[m->slot], lease_end(), __ATOMIC_RELEASE);
	__atomic_store_n(&ctl->slot_mask[m->slot], m->mask, __ATOMIC_RELEASE);
	__atomic_fetch_or(&ctl->mask, m->mask, __ATOMIC_ACQ_REL);
	m->renewed_ns = mono_ns();
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct dp_monitor *m = ctx;

	if (size < sizeof(struct bpfnet_mon_event))
		return 0;	/* not a record of this layout: skipped */
	m->stop = m->fn(data, m->fn_ctx);
	/* libbpf stops consuming on a negative return only */
	return m->stop ? -ECANCELED : 0;
}

static void monitor_free(struct dp_monitor *m)
{
	ring_buffer__free(m->rb);
	if (m->ring_fd >= 0)
		close(m->ring_fd);
	dp_mon_ctl_close(&m->ctl);
	dp_close(&m->dp);
	free(m);
}

/*
 * The datapath's mask down to what the live slots ask for, as the datapath
 * itself does at its next packet (mon_live), so that the cost goes with the
 * last listener even on an idle node. A monitor starting at that instant may
 * lose its bits until its next renewal, as with the datapath's lowering.
 */
static void mask_lower(struct bpfnet_mon_ctl *ctl)
{
	__u32 old = __atomic_load_n(&ctl->mask, __ATOMIC_ACQUIRE), live;

	do {
		__u64 now = mono_ns();

		live = 0;
		for (__u32 i = 0; i < BPFNET_MON_SLOTS; i++)
			if (__atomic_load_n(&ctl->slot_until_ns[i], __ATOMIC_ACQUIRE) >= now)
				live |= __atomic_load_n(&ctl->slot_mask[i], __ATOMIC_ACQUIRE);
	} while (old != live && !__atomic_compare_exchange_n(&ctl->mask, &old, live, false,
							      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
}

/* The slot given back: no mask, no lease, no ring (the datapath sees it free at once). */
static void slot_release(struct dp_monitor *m)
{
	struct bpfnet_mon_ctl *ctl = m->ctl.ctl;

	__atomic_store_n(&ctl->slot_mask[m->slot], 0, __ATOMIC_RELEASE);
	dp_mon_ring_del(&m->dp, m->slot);
	__atomic_store_n(&ctl->slot_until_ns[m->slot], 0, __ATOMIC_RELEASE);
	mask_lower(ctl);
}

int dp_monitor_open(struct bpfnet *bn, __u32 mask, struct dp_monitor **out)
{
	struct dp_monitor *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return bn_fail(bn, -ENOMEM, "out of memory");
	dp_init(&m->dp, bn);
	m->ring_fd = -1;
	m->mask = mask;
	err = dp_mon_ctl_open(&m->dp, &m->ctl);
	if (err)
		goto fail;
	if (slot_claim(m->ctl.ctl, &m->slot)) {
		err = bn_fail(bn, -EBUSY, "%d monitors listen already: no more at once",
			      BPFNET_MON_SLOTS);
		goto fail;
	}
	m->ring_fd = dp_mon_ring_create(&m->dp);
	err = m->ring_fd < 0 ? m->ring_fd : dp_mon_ring_put(&m->dp, m->slot, m->ring_fd);
	if (err)
		goto fail_slot;
	m->rb = ring_buffer__new(m->ring_fd, on_record, m, NULL);
	if (!m->rb) {
		err = bn_fail(bn, -errno, "cannot map the ring buffer: %s", strerror(errno));
		goto fail_slot;
	}
	slot_renew(m);
	*out = m;
	return 0;
fail_slot:
	slot_release(m);
fail:
	monitor_free(m);
	return err;
}

int dp_monitor_poll(struct dp_monitor *m, int timeout_ms, dp_monitor_fn fn, void *ctx)
{
	__u64 start = mono_ns();
	int n = 0, got;

	m->fn = fn;
	m->fn_ctx = ctx;
	for (;;) {
		__u64 now = mono_ns(), due = m->renewed_ns + BPFNET_MON_RENEW_MS * NSEC_PER_MSEC;
		long wait = due > now ? (long)((due - now) / NSEC_PER_MSEC) : 0;

		if (now >= due)
			slot_renew(m);
		if (timeout_ms >= 0) {
			long left = (long)timeout_ms - (long)((now - start) / NSEC_PER_MSEC);

			if (left <= 0)
				return n;
			if (left < wait)
				wait = left;
		}
		if (wait > BPFNET_MON_READ_MS)
			wait = BPFNET_MON_READ_MS;
		/* at least one ms: a wait of 0 would spin until the renewal */
		m->stop = 0;
		got = ring_buffer__poll(m->rb, wait > 0 ? (int)wait : 1);
		/* the datapath wakes readers only for a full batch: what waits below it, now */
		if (!got && !m->stop)
			got = ring_buffer__consume(m->rb);
		if (m->stop)
			return m->stop;
		if (got < 0)
			return got == -EINTR ? -EINTR : bn_fail(m->dp.bn, got, "cannot read the "
							       "ring buffer: %s", strerror(-got));
		n += got;
		if (n)
			return n;
	}
}

int dp_monitor_counters(struct dp_monitor *m, __u64 out[BPFNET_MON_CPU_COUNTERS])
{
	return dp_mon_counters_read(&m->dp, out);
}

void dp_monitor_close(struct dp_monitor *m)
{
	if (!m)
		return;
	slot_release(m);
	monitor_free(m);
}

/* The L4 ports (or ICMP echo id) at @l4 of @proto into @key; false if not all there. */
static bool l4_ports(const __u8 *l4, const __u8 *end, __u8 proto, struct bpfnet_ct_key *key)
{
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		if (end - l4 < 4)
			return false;
		memcpy(&key->sport, l4, 2);
		memcpy(&key->dport, l4 + 2, 2);
		return true;
	}
	if (proto != IPPROTO_ICMP)
		return true;	/* no ports to have */
	if (end - l4 < 8)
		return false;
	/* echo: the id, where conntrack keys it; other ICMP: none */
	if (l4[0] == ICMP_ECHO_REQUEST)
		memcpy(&key->sport, l4 + 4, 2);
	else if (l4[0] == ICMP_ECHO_REPLY)
		memcpy(&key->dport, l4 + 4, 2);
	return true;
}

bool dp_mon_packet_tuple(const __u8 *data, __u32 len, struct bpfnet_ct_key *key)
{
	const __u8 *end = data + len, *ip = data + ETH_HLEN;
	struct iphdr iph;
	__be16 proto;

	memset(key, 0, sizeof(*key));
	if (len < ETH_HLEN + sizeof(iph))
		return false;
	memcpy(&proto, data + 2 * ETH_ALEN, sizeof(proto));
	memcpy(&iph, ip, sizeof(iph));
	if (proto != htons(ETH_P_IP) || iph.version != 4 || iph.ihl < 5 ||
	    end - ip < iph.ihl * 4)
		return false;
	key->saddr = iph.saddr;
	key->daddr = iph.daddr;
	key->proto = iph.protocol;
	/* a later fragment has no L4 header: its addresses only */
	if (ntohs(iph.frag_off) & 0x1fff)
		return true;
	if (!l4_ports(ip + iph.ihl * 4, end, iph.protocol, key)) {
		key->proto = 0;
		return false;
	}
	return true;
}
