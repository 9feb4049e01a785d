/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the helpers tell the event monitor on a packet's way: a flow made or
 * ended, noted in the CPU's slot of mon_cpu for finish() to write
 * (lib/monitor.h), which alone has the verdict and the endpoint. Needs no
 * packet context, so conntrack (lib/ct.h) can note from anywhere. Nobody
 * listening costs a note one lookup of mon_ctl and one branch.
 */
#ifndef BPFNET_BPF_MONITOR_NOTE_H
#define BPFNET_BPF_MONITOR_NOTE_H

#include "lib/maps.h"

/* The CPU's monitor part if some listener takes events of @accept (BPFNET_MON_F()); else NULL. */
static __always_inline struct bpfnet_mon_cpu *mon_cpu_if_listening(__u32 accept)
{
	__u32 zero = 0;
	const struct bpfnet_mon_ctl *ctl = bpf_map_lookup_elem(&mon_ctl, &zero);

	if (!ctl || !(ctl->mask & accept))
		return NULL;
	return bpf_map_lookup_elem(&mon_cpu, &zero);
}

/* What made a flow whose original entry has @flags: the first kind of BPFNET_FOREACH_CT_KIND. */
static __always_inline __u8 mon_ct_kind(__u8 flags)
{
#define MON_KIND_OF(name, pub, str, flag)                                     \
	if (!(flag) || (flags & (flag)))                                      \
		return BPFNET_##name;
	BPFNET_FOREACH_CT_KIND(MON_KIND_OF)
#undef MON_KIND_OF
	return BPFNET_CT_KIND_ROUTED;
}

/* @key, a flow's original tuple, as its entry @orig translates it. */
static __always_inline void mon_translated(struct bpfnet_ct_key *after,
					   const struct bpfnet_ct_key *key,
					   const struct bpfnet_ct_entry *orig)
{
	*after = *key;
	if (orig->flags & BPFNET_CT_F_SNAT) {
		after->saddr = orig->nat_saddr;
		after->sport = orig->nat_sport;
	}
	if (orig->flags & BPFNET_CT_F_DNAT) {
		after->daddr = orig->nat_daddr;
		after->dport = orig->nat_dport;
	}
}

/*
 * Flow event @event (BPFNET_MON_EV_FLOW_NEW or _END) of the flow whose
 * original direction is @key, entry @orig. A new translated flow is a NAT
 * listener's too.
 */
static __always_inline void mon_note_flow(__u8 event, const struct bpfnet_ct_key *key,
					  const struct bpfnet_ct_entry *orig)
{
	int translated = orig->flags & (BPFNET_CT_F_SNAT | BPFNET_CT_F_DNAT);
	__u32 accept = event == BPFNET_MON_EV_FLOW_NEW && translated ?
		       BPFNET_MON_F(BPFNET_MON_NAT) | BPFNET_MON_F(BPFNET_MON_FLOW) :
		       BPFNET_MON_F(BPFNET_MON_FLOW);
	struct bpfnet_mon_cpu *mc = mon_cpu_if_listening(accept);

	if (!mc)
		return;
	mc->note.ns = bpf_ktime_get_ns();
	mc->note.event = event;
	mc->note.ct_kind = mon_ct_kind(orig->flags);
	mc->note.ct_state = orig->state;
	mc->note.accept = (__u8)accept;
	mc->note.before = *key;
	mon_translated(&mc->note.after, key, orig);
}

#endif
