// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the runtime hands bpfnet-cni (user/cni): the CNI_* environment and
 * the network config on stdin. The input is the environment, a NAME=VALUE
 * line each, then an empty line, then stdin. It goes through what main.c
 * does before the dataplane is touched: cni_env_load() (CNI_ARGS too),
 * cni_config_parse() for both needs, cni_config_apply_args(), the VERSION
 * answer, the error object of a failure; and for a config that parses, the
 * result an ADD would print (with its prevResult) and CHECK's comparison
 * against the prevResult, for a fixed endpoint with the environment's
 * CNI_IFNAME in CNI_NETNS. Every answer is JSON: a plugin that prints none
 * leaves the runtime with no word of what happened.
 */
#include <arpa/inet.h>
#include <jansson.h>

#include "fuzz.h"
#include "cni/cni.h"

#define ENV_MAX 16

static struct {
	const char *name, *value;
} env_vars[ENV_MAX];
static size_t n_env;

static const char *env_get(const char *name)
{
	for (size_t i = 0; i < n_env; i++)
		if (!strcmp(env_vars[i].name, name))
			return env_vars[i].value;
	return NULL;
}

/* The environment's lines, up to the empty one; returns where stdin starts (NULL: none). */
static char *take_env(char *text)
{
	char *line;

	n_env = 0;
	while ((line = fuzz_line(&text)) && *line) {
		char *eq = strchr(line, '=');

		if (!eq || n_env == ENV_MAX)
			continue;
		*eq = '\0';
		env_vars[n_env].name = line;
		env_vars[n_env++].value = eq + 1;
	}
	return text;
}

static void check_error(const struct cni_error *e, enum cni_version v)
{
	json_t *o;

	FUZZ_ASSERT(e->code);
	FUZZ_ASSERT(strlen(e->msg) < sizeof(e->msg) && strlen(e->details) < sizeof(e->details));
	o = cni_error_json(e, v);
	FUZZ_ASSERT(o);
	json_decref(o);
}

/* An endpoint as the library reports one, for the result and CHECK. */
static void fixed_endpoint(struct bpfnet_endpoint_info *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->sz = sizeof(*ep);
	strcpy(ep->name, "c1-eth0");
	strcpy(ep->network, "n1");
	strcpy(ep->netns, "/var/run/netns/c1");
	strcpy(ep->ifname, "eth0");
	strcpy(ep->host_ifname, "bn000001-1");
	ep->id = 1;
	ep->host_ifindex = 7;
	ep->ip.addr.family = AF_INET;
	inet_pton(AF_INET, "10.1.0.2", &ep->ip.addr.v4);
	ep->ip.len = 24;
	ep->gateway.family = AF_INET;
	inet_pton(AF_INET, "10.1.0.1", &ep->gateway.v4);
	memcpy(ep->mac, "\x0a\x58\x0a\x01\x00\x02", 6);
	memcpy(ep->host_mac, "\x02\xaa\xbb\xcc\xdd\xee", 6);
	ep->mtu = 1500;
	strcpy(ep->container_id, "abc123");
}

/* ADD's result names the container side: its last address's interface is @ep's, in @netns. */
static void check_result(json_t *r, const struct bpfnet_endpoint_info *ep, const char *netns)
{
	json_t *ips = json_object_get(r, "ips"), *ip, *iface;
	const char *name, *sandbox;

	FUZZ_ASSERT(json_array_size(ips));
	ip = json_array_get(ips, json_array_size(ips) - 1);
	iface = json_array_get(json_object_get(r, "interfaces"),
			       (size_t)json_integer_value(json_object_get(ip, "interface")));
	name = json_string_value(json_object_get(iface, "name"));
	sandbox = json_string_value(json_object_get(iface, "sandbox"));
	FUZZ_ASSERT(name && !strcmp(name, ep->ifname));
	FUZZ_ASSERT(sandbox && !strcmp(sandbox, netns));
}

static void check_network_config(const char *text, size_t len, const struct cni_env *env,
				 bool env_ok)
{
	struct bpfnet_endpoint_info ep;
	const char *netns = "/var/run/netns/c1";
	struct cni_config cfg;
	struct cni_error e = {};
	char diff[1024];
	json_t *r;

	if (cni_config_parse(text, len, CNI_NEED_NETWORK, &cfg, &e)) {
		check_error(&e, cfg.version);
		cni_config_free(&cfg);
		return;
	}
	FUZZ_ASSERT(cfg.name && cfg.version != CNI_V_NONE);
	FUZZ_ASSERT(cfg.n_uplinks <= BPFNET_UPLINK_MAX);
	if (env_ok && cni_config_apply_args(&cfg, &env->args, &e))
		check_error(&e, cfg.version);
	fixed_endpoint(&ep);
	/* the container side as ADD makes it: named and placed as the environment says */
	if (env_ok && env->ifname && (env->command == CNI_CMD_ADD || env->command == CNI_CMD_CHECK)) {
		snprintf(ep.ifname, sizeof(ep.ifname), "%s", env->ifname);
		netns = env->netns;
	}
	r = cni_result_json(&cfg, &ep, netns);
	FUZZ_ASSERT(r);
	check_result(r, &ep, netns);
	json_decref(r);
	if (cfg.prev_result) {
		diff[0] = '\0';
		FUZZ_ASSERT(cni_result_compare(cfg.prev_result, &ep, netns, diff,
					       sizeof(diff)) >= 0);
		FUZZ_ASSERT(strlen(diff) < sizeof(diff));
	}
	cni_config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), *in;
	struct cni_config cfg;
	struct cni_error e = {};
	struct cni_env env;
	bool env_ok;
	size_t len;
	json_t *v;

	fuzz_quiet();
	in = take_env(text);
	len = in ? size - (size_t)(in - text) : 0;
	env_ok = cni_env_load(&env, env_get, &e) == 0;
	if (!env_ok)
		check_error(&e, CNI_V_LATEST);
	if (!in)
		in = "";
	/* VERSION answers whatever stdin holds */
	v = json_loadb(in, len, 0, NULL);
	json_decref(cni_version_result(json_string_value(json_object_get(v, "cniVersion"))));
	json_decref(v);
	memset(&e, 0, sizeof(e));
	if (cni_config_parse(in, len, CNI_NEED_NAME, &cfg, &e))
		check_error(&e, cfg.version);
	else
		FUZZ_ASSERT(cfg.name && cfg.version != CNI_V_NONE);
	cni_config_free(&cfg);
	check_network_config(in, len, &env, env_ok);
	free(text);
	return 0;
}
