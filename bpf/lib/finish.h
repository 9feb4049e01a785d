/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one exit of every entry program: each verdict passes through finish(),
 * which counts it (node-wide per drop reason, and against the endpoint the
 * packet concerns, in its direction), shows it to the event monitor
 * (lib/monitor.h: a new drop reason shows there with no more code) and
 * turns the helpers' result into the program type's return code.
 */
#ifndef BPFNET_BPF_FINISH_H
#define BPFNET_BPF_FINISH_H

#include "lib/drop.h"
#include "lib/stats.h"
#include "lib/monitor.h"

/* Which way a packet goes for the endpoint it concerns. */
enum ep_dir {
	DIR_FROM_EP,	/* sent by it (its host veth's ingress): tx, or its drop */
	DIR_TO_EP,	/* for it, from outside: its drop (its rx is counted on delivery) */
};
_Static_assert(DIR_FROM_EP == 0 && DIR_TO_EP == 1, "struct bpfnet_mon_event.dir's values");

/*
 * The verdict of @ret, the result of the packet's handling, for endpoint
 * @ep (NULL: none known) in direction @dir. A delivery into a container is
 * counted (rx) by the helper that delivers, since a flood delivers many.
 */
static __always_inline int finish(struct __ctx_buff *ctx, const struct bpfnet_ep *ep,
				  enum ep_dir dir, int ret)
{
	mon_finish(ctx, ep ? ep->id : 0, dir, ret);
	if (is_drop(ret)) {
		count_drop((__u32)-ret);
		if (ep)
			ep_count_drop(ep->id);
		return CTX_ACT_DROP;
	}
	if (ep && dir == DIR_FROM_EP)
		ep_count_tx(ep->id, ctx_len(ctx));
	return ctx_act(ret);
}

#endif
