// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CHECK (0.4.0 and later): is the attachment as ADD made it? The library
 * looks at the endpoint itself (veth pair, address and routes in the
 * container, every map entry, the published ports' entries); this compares
 * what the runtime was told (prevResult) and asked for (runtimeConfig's
 * portMappings) with the endpoint. Anything different: code 100, each
 * difference in the details.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cni.h"

static bool mapping_covers(const struct bpfnet_port_mapping *have,
			   const struct bpfnet_port_mapping *want)
{
	bool any_have = !have->host_addr.family || !have->host_addr.v4.s_addr;
	bool any_want = !want->host_addr.family || !want->host_addr.v4.s_addr;
	unsigned int off = want->host_port - have->host_port;

	if (have->proto != want->proto || any_have != any_want ||
	    (!any_want && have->host_addr.v4.s_addr != want->host_addr.v4.s_addr))
		return false;
	return want->host_port >= have->host_port && want->host_port <= have->host_port_last &&
	       have->container_port + off == want->container_port;
}

/* Every mapping of runtimeConfig.portMappings still published by the endpoint? */
static void compare_ports(struct bpfnet *bn, struct cni_ctx *ctx, const char *ep, char *diff,
			  size_t len)
{
	struct bpfnet_port_mapping *have = NULL;
	size_t n = 0;
	int err = bpfnet_port__list(bn, ep, &have, &n);

	if (err) {
		cni_append(diff, len, "cannot list the published ports: %s", bpfnet__errmsg(bn));
		return;
	}
	for (size_t i = 0; i < ctx->cfg.n_ports; i++) {
		const struct bpfnet_port_mapping *w = &ctx->cfg.ports[i];
		bool found = false;
		char spec[64];

		for (size_t j = 0; j < n && !found; j++)
			found = mapping_covers(&have[j], w);
		if (!found)
			cni_append(diff, len, "port %s is not published",
				   bpfnet_port_spec(w, spec, sizeof(spec)));
	}
	free(have);
}

/* The library's own look at the endpoint. */
static int compare_endpoint(struct bpfnet *bn, struct cni_ctx *ctx, const char *ep, char *diff,
			    size_t len)
{
	struct bpfnet_check_issue *issues = NULL;
	size_t n = 0;
	int err = bpfnet_endpoint__check(bn, ep, &issues, &n);

	if (err)
		return cni_fail_lib(&ctx->err, bn, err, "cannot check the endpoint");
	for (size_t i = 0; i < n; i++)
		cni_append(diff, len, "%s: %s", issues[i].object, issues[i].message);
	free(issues);
	return 0;
}

static int find_attachment(struct bpfnet *bn, struct cni_ctx *ctx,
			   struct bpfnet_endpoint_info *ep)
{
	int err = bpfnet_endpoint__find(bn, ctx->env.container_id, ctx->env.ifname, ep);

	if (!err && strcmp(ep->network, ctx->cfg.name))
		err = -ENOENT;
	if (err == -ENOENT)
		return cni_fail(&ctx->err, CNI_ERR_UNKNOWN_CONTAINER, "no such attachment",
				"container %s has no interface %s on network '%s'",
				ctx->env.container_id, ctx->env.ifname, ctx->cfg.name);
	if (err)
		return cni_fail_lib(&ctx->err, bn, err, "cannot look up the attachment");
	return 0;
}

int cni_cmd_check(struct cni_ctx *ctx)
{
	struct bpfnet_endpoint_info ep = { .sz = sizeof(ep) };
	struct bpfnet *bn = NULL;
	char diff[sizeof(ctx->err.details)] = "";
	struct stat st;
	int ret = -1;

	if (ctx->cfg.version < CNI_V_0_4_0)
		return cni_fail(&ctx->err, CNI_ERR_VERSION, "incompatible CNI version", "CHECK needs "
				"cniVersion 0.4.0 or later, the config has %s", ctx->cfg.version_str);
	if (!ctx->cfg.prev_result)
		return cni_fail(&ctx->err, CNI_ERR_CONFIG, "invalid network config", "CHECK needs "
				"prevResult, the result of the ADD");
	if (stat(ctx->env.netns, &st))
		return cni_fail(&ctx->err, CNI_ERR_UNKNOWN_CONTAINER, "no such network namespace",
				"CNI_NETNS %s: %s", ctx->env.netns, strerror(errno));
	if (cni_open(&ctx->cfg, &bn, &ctx->err))
		return -1;
	if (find_attachment(bn, ctx, &ep) || compare_endpoint(bn, ctx, ep.name, diff, sizeof(diff)))
		goto out;
	if (strcmp(ep.netns, ctx->env.netns))
		cni_append(diff, sizeof(diff), "endpoint '%s' is in %s, CNI_NETNS is %s", ep.name,
			   ep.netns, ctx->env.netns);
	cni_result_compare(ctx->cfg.prev_result, &ep, ctx->env.netns, diff, sizeof(diff));
	compare_ports(bn, ctx, ep.name, diff, sizeof(diff));
	if (diff[0]) {
		cni_fail(&ctx->err, CNI_ERR_CHECK_DIFFERS, "the attachment differs from what ADD made",
			 "endpoint '%s': %s", ep.name, diff);
		goto out;
	}
	ret = 0;
out:
	bpfnet__close(bn);
	return ret;
}
