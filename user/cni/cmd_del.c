// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * DEL: detach the container, its published ports with it. Best effort and
 * idempotent, as the spec wants: success when the attachment, its netns or
 * all of bpfnet's state is gone already, and after an ADD that failed.
 * Nothing is created: a DEL on a node that never ran bpfnet leaves it so.
 */
#include <errno.h>
#include <string.h>

#include "cni.h"

/* bpfnet__open() refusing a bpffs that is gone: nothing of bpfnet is left to remove */
static bool state_gone(int err)
{
	return err == -ENOENT || err == -ENOTDIR || err == -EMEDIUMTYPE;
}

int cni_cmd_del(struct cni_ctx *ctx)
{
	struct bpfnet_endpoint_info ep = { .sz = sizeof(ep) };
	struct bpfnet *bn = NULL;
	int err;

	err = cni_open(&ctx->cfg, &bn, &ctx->err);
	if (err)
		return state_gone(err) ? 0 : -1;
	err = bpfnet_endpoint__find(bn, ctx->env.container_id, ctx->env.ifname, &ep);
	/* another network's attachment of the same (ID, ifname) is not this DEL's */
	if (err == -ENOENT || (!err && strcmp(ep.network, ctx->cfg.name))) {
		err = 0;
		goto out;
	}
	if (err) {
		cni_fail_lib(&ctx->err, bn, err, "cannot look up the attachment");
		goto out;
	}
	err = bpfnet_endpoint__remove(bn, ep.name);
	if (err == -ENOENT)
		err = 0;
	if (err)
		cni_fail_lib(&ctx->err, bn, err, "cannot remove the endpoint");
out:
	bpfnet__close(bn);
	return err ? -1 : 0;
}
