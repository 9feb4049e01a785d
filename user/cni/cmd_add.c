// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ADD: attach the container to the network. The node and the network are
 * made on the first ADD; an attachment that exists already (an ADD repeated,
 * or one that crashed half-way) is removed and made anew; the published
 * ports go in with the endpoint, all or nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cni.h"

#define NAME_CANDIDATES 3

/* The readable names to try: K8S_POD_NAME, the ID's first 12 characters, as much of it as fits. */
static size_t name_candidates(const struct cni_env *env, char out[][BPFNET_NAME_MAX])
{
	char suffix[IF_NAMESIZE + 1] = "";
	size_t n = 0, slen, idlen = strlen(env->container_id);
	const char *pod = env->args.pod_name;

	if (strcmp(env->ifname, "eth0"))
		snprintf(suffix, sizeof(suffix), "-%s", env->ifname);
	slen = strlen(suffix);
	/* a pod name is a DNS label, an endpoint name takes it as it is */
	if (*pod && cni_container_id_valid(pod) && strlen(pod) + slen < BPFNET_NAME_MAX)
		snprintf(out[n++], BPFNET_NAME_MAX, "%s%s", pod, suffix);
	snprintf(out[n++], BPFNET_NAME_MAX, "%.12s%s", env->container_id, suffix);
	if (idlen > 12)
		snprintf(out[n++], BPFNET_NAME_MAX, "%.*s%s", (int)(BPFNET_NAME_MAX - 1 - slen),
			 env->container_id, suffix);
	return n;
}

static bool endpoint_exists(struct bpfnet *bn, const char *name)
{
	struct bpfnet_endpoint_info ep = { .sz = sizeof(ep) };

	return !bpfnet_endpoint__get(bn, name, &ep);
}

static int add_endpoint(struct bpfnet *bn, struct cni_ctx *ctx, struct bpfnet_endpoint_info *ep)
{
	char names[NAME_CANDIDATES][BPFNET_NAME_MAX], why[512];
	size_t n = name_candidates(&ctx->env, names);
	struct bpfnet_endpoint_opts o = {
		.sz = sizeof(o),
		.network = ctx->cfg.name,
		.netns = ctx->env.netns,
		.ip = ctx->cfg.ip.addr,
		.ifname = ctx->env.ifname,
		.mtu = ctx->cfg.mtu,
		.container_id = ctx->env.container_id,
	};
	int err;

	if (ctx->cfg.mac_given)
		memcpy(o.mac, ctx->cfg.mac, sizeof(o.mac));
	ep->sz = sizeof(*ep);
	for (size_t i = 0; i < n; i++) {
		if (endpoint_exists(bn, names[i]))
			continue;
		o.name = names[i];
		err = bpfnet_endpoint__add(bn, &o, ep);
		if (!err)
			return 0;
		snprintf(why, sizeof(why), "%s", bpfnet__errmsg(bn));
		/* a concurrent ADD took the name between the look and the add: the next one */
		if (err == -EEXIST && endpoint_exists(bn, names[i]))
			continue;
		/* the network or the node went away under us (a concurrent rm or down) */
		if (err == -ENOENT)
			return cni_fail(&ctx->err, CNI_ERR_TRY_AGAIN, "cannot add the endpoint", "%s",
					why);
		return cni_fail(&ctx->err, cni_code_for_errno(err), "cannot add the endpoint", "%s",
				why);
	}
	return cni_fail(&ctx->err, CNI_ERR_CONFIG, "cannot add the endpoint", "every name for "
			"container %s is taken by another endpoint (%s ...)", ctx->env.container_id,
			names[0]);
}

/* An attachment (ID, ifname) that exists: ours to make again, unless of another network. */
static int remove_previous(struct bpfnet *bn, struct cni_ctx *ctx)
{
	struct bpfnet_endpoint_info ep = { .sz = sizeof(ep) };
	int err = bpfnet_endpoint__find(bn, ctx->env.container_id, ctx->env.ifname, &ep);

	if (err == -ENOENT)
		return 0;
	if (err)
		return cni_fail_lib(&ctx->err, bn, err, "cannot look up the attachment");
	if (strcmp(ep.network, ctx->cfg.name))
		return cni_fail(&ctx->err, CNI_ERR_CONFIG, "interface in use", "container %s has "
				"%s on network '%s' already (endpoint '%s')", ctx->env.container_id,
				ctx->env.ifname, ep.network, ep.name);
	err = bpfnet_endpoint__remove(bn, ep.name);
	if (err && err != -ENOENT)
		return cni_fail_lib(&ctx->err, bn, err, "cannot remove the previous attachment");
	return 0;
}

/* The published ports, or the endpoint goes again: an ADD that fails leaves nothing. */
static int publish_ports(struct bpfnet *bn, struct cni_ctx *ctx,
			 const struct bpfnet_endpoint_info *ep)
{
	char why[1024];
	int err, rm;

	if (!ctx->cfg.n_ports)
		return 0;
	err = bpfnet_port__add(bn, ep->name, ctx->cfg.ports, ctx->cfg.n_ports);
	if (!err)
		return 0;
	snprintf(why, sizeof(why), "%s", bpfnet__errmsg(bn));
	rm = bpfnet_endpoint__remove(bn, ep->name);
	if (rm && rm != -ENOENT)
		return cni_fail(&ctx->err, cni_code_for_errno(err), "cannot publish the ports",
				"%s; removing endpoint '%s' again failed too: %s", why, ep->name,
				bpfnet__errmsg(bn));
	return cni_fail(&ctx->err, cni_code_for_errno(err), "cannot publish the ports", "%s", why);
}

int cni_cmd_add(struct cni_ctx *ctx)
{
	struct bpfnet_endpoint_info ep = { .sz = sizeof(ep) };
	struct bpfnet_network_info net;
	struct bpfnet *bn = NULL;
	struct stat st;
	int ret = -1;

	if (cni_config_apply_args(&ctx->cfg, &ctx->env.args, &ctx->err))
		return -1;
	if (stat(ctx->env.netns, &st))
		return cni_fail(&ctx->err, CNI_ERR_UNKNOWN_CONTAINER, "no such network namespace",
				"CNI_NETNS %s: %s", ctx->env.netns, strerror(errno));
	if (cni_open(&ctx->cfg, &bn, &ctx->err))
		return -1;
	if (cni_ensure_node(bn, &ctx->cfg, &ctx->err) ||
	    cni_ensure_network(bn, &ctx->cfg, &net, &ctx->err) || remove_previous(bn, ctx) ||
	    add_endpoint(bn, ctx, &ep) || publish_ports(bn, ctx, &ep))
		goto out;
	ctx->result = cni_result_json(&ctx->cfg, &ep, ctx->env.netns);
	if (!ctx->result) {
		bpfnet_endpoint__remove(bn, ep.name);
		cni_fail(&ctx->err, CNI_ERR_INTERNAL, "out of memory", "rendering the result");
		goto out;
	}
	ret = 0;
out:
	bpfnet__close(bn);
	return ret;
}
