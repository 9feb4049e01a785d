// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GC (1.1.0): remove this network's attachments that the runtime no longer
 * knows: endpoints with a container ID not in cni.dev/valid-attachments.
 * Endpoints without a container ID (made with the CLI) are not the
 * runtime's and stay. Goes on past a failure and reports them all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"

static bool attachment_valid(const struct cni_config *cfg, const struct bpfnet_endpoint_info *ep)
{
	for (size_t i = 0; i < cfg->n_valid; i++) {
		const struct cni_attachment *a = &cfg->valid[i];

		/* no ifname given: every interface of the container is still valid */
		if (!strcmp(a->container_id, ep->container_id) &&
		    (!a->ifname || !strcmp(a->ifname, ep->ifname)))
			return true;
	}
	return false;
}

int cni_cmd_gc(struct cni_ctx *ctx)
{
	struct bpfnet_endpoint_info *eps = NULL;
	char failed[sizeof(ctx->err.details)] = "";
	unsigned int code = 0;
	struct bpfnet *bn = NULL;
	size_t n = 0;
	int err;

	if (ctx->cfg.version < CNI_V_1_1_0)
		return cni_fail(&ctx->err, CNI_ERR_VERSION, "incompatible CNI version", "GC needs "
				"cniVersion 1.1.0, the config has %s", ctx->cfg.version_str);
	if (!ctx->cfg.valid_given)
		return cni_fail(&ctx->err, CNI_ERR_CONFIG, "invalid network config", "GC needs "
				"cni.dev/valid-attachments, the list of attachments to keep");
	err = cni_open(&ctx->cfg, &bn, &ctx->err);
	if (err)
		return err == -ENOENT || err == -ENOTDIR || err == -EMEDIUMTYPE ? 0 : -1;
	err = bpfnet_endpoint__list(bn, &eps, &n);
	if (err) {
		cni_fail_lib(&ctx->err, bn, err, "cannot list the endpoints");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bpfnet_endpoint_info *ep = &eps[i];

		if (strcmp(ep->network, ctx->cfg.name) || !ep->container_id[0] ||
		    attachment_valid(&ctx->cfg, ep))
			continue;
		err = bpfnet_endpoint__remove(bn, ep->name);
		if (!err || err == -ENOENT)
			continue;
		code = code ? code : cni_code_for_errno(err);
		cni_append(failed, sizeof(failed), "endpoint '%s' (container %s): %s", ep->name,
			   ep->container_id, bpfnet__errmsg(bn));
	}
	err = code ? cni_fail(&ctx->err, code, "cannot remove every stale attachment", "%s",
			      failed) : 0;
out:
	free(eps);
	bpfnet__close(bn);
	return err ? -1 : 0;
}
