/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The event monitor's writer, called by finish() (lib/finish.h) for every
 * verdict: nobody listening costs one lookup of mon_ctl and one branch on
 * its mask. Someone listening: the verdict as an event (a drop, or a trace
 * point), then the flow event a helper noted on the way (lib/monitor_note.h),
 * each through the CPU's token bucket and into the ring of every monitor
 * whose slot asked for it and whose lease runs (struct bpfnet_mon_ctl).
 *
 * The packet's 5-tuple is not parsed here: an event carries the packet's
 * first BPFNET_MON_SNAP_LEN bytes, which hold its headers, and the library
 * reads the tuple from them (user/lib/dp/monitor.c). So the datapath pays
 * for no parse, and a drop before any parse still shows what was dropped.
 */
#ifndef BPFNET_BPF_MONITOR_H
#define BPFNET_BPF_MONITOR_H

#include "ctx/ctx.h"
#include "lib/drop.h"
#include "lib/monitor_note.h"
#include "lib/stats.h"

#ifdef CTX_IS_XDP
#define MON_HOOK BPFNET_MON_HOOK_XDP
#else
#define MON_HOOK BPFNET_MON_HOOK_TC
#endif

/* What one event costs of the bucket's time credit. */
#define MON_EVENT_COST_NS (NSEC_PER_SEC / BPFNET_MON_RATE)
#define MON_BUCKET_NS (BPFNET_MON_BURST * MON_EVENT_COST_NS)

/*
 * What the live slots ask for. A slot whose lease has run out (its monitor
 * killed) no longer counts, and @ctl's mask is lowered to the live ones', so
 * that the next packets take the cheap branch again. A plain store: a
 * monitor ORing its bits in at that instant may lose them until its next
 * renewal (BPFNET_MON_RENEW_MS), never for longer.
 */
static __always_inline __u32 mon_live(struct bpfnet_mon_ctl *ctl, __u64 now)
{
	__u32 live = 0;

#pragma unroll
	for (__u32 i = 0; i < BPFNET_MON_SLOTS; i++)
		if (ctl->slot_until_ns[i] >= now)
			live |= ctl->slot_mask[i];
	if (live != ctl->mask)
		ctl->mask = live;
	return live;
}

/* One event's worth of the CPU's time credit, or the event counted as suppressed. */
static __always_inline int mon_take_token(struct bpfnet_mon_cpu *mc, __u64 now)
{
	__u64 credit = mc->credit_ns + (now - mc->last_ns);

	if (credit > MON_BUCKET_NS || now < mc->last_ns)
		credit = MON_BUCKET_NS;
	mc->last_ns = now;
	if (credit < MON_EVENT_COST_NS) {
		mc->credit_ns = credit;
		mc->suppressed++;
		return 0;
	}
	mc->credit_ns = credit - MON_EVENT_COST_NS;
	mc->produced++;
	return 1;
}

/* Wake @ring's reader only when enough waits (BPFNET_MON_WAKEUP_BYTES); it reads by itself too. */
static __always_inline __u64 mon_wakeup(void *ring)
{
	return bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= BPFNET_MON_WAKEUP_BYTES ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* The event built in @mc, into the ring of every live slot that takes @accept. */
static __always_inline void mon_write(struct bpfnet_mon_cpu *mc, const struct bpfnet_mon_ctl *ctl,
				      __u32 accept, __u64 now)
{
	if (!mon_take_token(mc, now))
		return;
#pragma unroll
	for (__u32 i = 0; i < BPFNET_MON_SLOTS; i++) {
		__u32 slot = i;	/* its address is taken: i itself stays a constant */
		void *ring;

		if (!(ctl->slot_mask[i] & accept) || ctl->slot_until_ns[i] < now)
			continue;
		ring = bpf_map_lookup_elem(&mon_rings, &slot);
		if (ring && bpf_ringbuf_output(ring, &mc->ev, sizeof(mc->ev), mon_wakeup(ring)))
			mc->lost++;
	}
}

/* The event of @ctx's packet in @mc: where it is, its length and first bytes. */
static __always_inline void mon_event_start(struct bpfnet_mon_cpu *mc, struct __ctx_buff *ctx,
					    __u8 event, __u32 ep_id, __u32 dir, __u64 now)
{
	struct bpfnet_mon_event *ev = &mc->ev;
	__u32 len = ctx_len(ctx);
	/* 64 bits: a u32 may reach the helper in a register whose upper half the verifier doubts */
	__u64 cap = len < BPFNET_MON_SNAP_LEN ? len : BPFNET_MON_SNAP_LEN;

	ev->ts_ns = now;
	ev->event = event;
	ev->hook = MON_HOOK;
	ev->dir = (__u8)dir;
	ev->ep_id = ep_id;
	ev->ifindex = ctx_ifindex(ctx);
	ev->len = len;
	ev->cap_len = 0;
	if (!cap)
		return;
	/*
	 * A fresh register between the two checks: clang would fold them into
	 * one ((cap - 1) <= 127) on a copy, whose bounds the helper's
	 * argument does not get.
	 */
	asm volatile("" : "+r"(cap));
	if (cap <= BPFNET_MON_SNAP_LEN && !ctx_load_bytes(ctx, 0, ev->data, cap))
		ev->cap_len = (__u32)cap;
}

/* The verdict @ret of the packet as a drop or trace event, if some live slot takes it. */
static __always_inline void mon_verdict(struct bpfnet_mon_cpu *mc, struct bpfnet_mon_ctl *ctl,
					struct __ctx_buff *ctx, __u32 ep_id, __u32 dir, int ret,
					__u32 live, __u64 now)
{
	int drop = is_drop(ret);
	__u32 accept = drop ? BPFNET_MON_F(BPFNET_MON_DROP) | BPFNET_MON_F(BPFNET_MON_TRACE) :
			      BPFNET_MON_F(BPFNET_MON_TRACE);

	if (!(live & accept))
		return;
	mon_event_start(mc, ctx, drop ? BPFNET_MON_EV_DROP : BPFNET_MON_EV_TRACE, ep_id, dir, now);
	mc->ev.reason = drop ? (__u32)-ret : 0;
	mc->ev.verdict = drop ? CTX_ACT_DROP : ctx_act(ret);
	mc->ev.ct_kind = 0;
	mc->ev.ct_state = 0;
	__builtin_memset(&mc->ev.before, 0, sizeof(mc->ev.before));
	__builtin_memset(&mc->ev.after, 0, sizeof(mc->ev.after));
	mon_write(mc, ctl, accept, now);
}

/* The flow event a helper noted for this packet, if any, and fresh (not a leftover). */
static __always_inline void mon_noted(struct bpfnet_mon_cpu *mc, struct bpfnet_mon_ctl *ctl,
				      struct __ctx_buff *ctx, __u32 ep_id, __u32 dir, int ret,
				      __u32 live, __u64 now)
{
	struct bpfnet_mon_note *n = &mc->note;

	if (!n->ns)
		return;
	if (now - n->ns <= BPFNET_MON_NOTE_MAX_AGE_NS && (live & n->accept)) {
		mon_event_start(mc, ctx, n->event, ep_id, dir, now);
		mc->ev.reason = is_drop(ret) ? (__u32)-ret : 0;
		mc->ev.verdict = is_drop(ret) ? CTX_ACT_DROP : ctx_act(ret);
		mc->ev.ct_kind = n->ct_kind;
		mc->ev.ct_state = n->ct_state;
		mc->ev.before = n->before;
		mc->ev.after = n->after;
		mon_write(mc, ctl, n->accept, now);
	}
	n->ns = 0;
}

/* Someone listens: the slow path, out of line so that each finish() stays small. */
static __noinline void mon_emit(struct __ctx_buff *ctx, struct bpfnet_mon_ctl *ctl, __u32 ep_id,
				__u32 dir, int ret)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 zero = 0, live = mon_live(ctl, now);
	struct bpfnet_mon_cpu *mc = bpf_map_lookup_elem(&mon_cpu, &zero);

	if (!mc)
		return;
	mon_verdict(mc, ctl, ctx, ep_id, dir, ret, live, now);
	mon_noted(mc, ctl, ctx, ep_id, dir, ret, live, now);
}

/* Every verdict, for the monitors: one lookup and one branch when nobody listens. */
static __always_inline void mon_finish(struct __ctx_buff *ctx, __u32 ep_id, __u32 dir, int ret)
{
	__u32 zero = 0;
	struct bpfnet_mon_ctl *ctl = bpf_map_lookup_elem(&mon_ctl, &zero);

	if (ctl && ctl->mask)
		mon_emit(ctx, ctl, ep_id, dir, ret);
}

#endif
