// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet cni config: a CNI network config list (conflist) for bpfnet-cni,
 * ready for /etc/cni/net.d. Every value is checked here as the plugin would
 * check it, so that a config this prints is one the plugin takes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* podman 4.3's libcni (1.1.2) refuses configs newer than 1.0.0: the default */
#define CNI_DEFAULT_VERSION "1.0.0"
#define DNS_SERVERS_MAX 8
#define MTU_MIN 68
#define MTU_MAX 65535

static const char *const cni_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

struct cni_values {
	const char *name, *subnet, *gateway, *mode, *uplink, *gateway_mode, *mtu, *version;
	const char *dns[DNS_SERVERS_MAX];
	size_t n_dns;
	int no_masquerade, internal;
};

/* --dns-server may come more than once: take every one out before the other options. */
static int take_dns(int *argc, char **argv, struct cni_values *v)
{
	int out = 0;

	for (int i = 0; i < *argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (!strncmp(a, "--dns-server=", 13))
			val = a + 13;
		else if (!strcmp(a, "--dns-server") && i + 1 < *argc)
			val = argv[++i];
		else if (!strcmp(a, "--dns-server"))
			return usage_error("option '--dns-server' needs a value");
		if (!val) {
			argv[out++] = argv[i];
			continue;
		}
		if (v->n_dns == DNS_SERVERS_MAX)
			return usage_error("at most %d --dns-server", DNS_SERVERS_MAX);
		v->dns[v->n_dns++] = val;
	}
	*argc = out;
	return 0;
}

static bool name_ok(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= BPFNET_NAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

static int check_addressing(const struct cni_values *v)
{
	struct bpfnet_prefix p;
	struct bpfnet_addr g;
	uint32_t mask;

	if (!v->subnet)
		return usage_error("a subnet is required (--subnet CIDR, e.g. 10.89.0.0/24)");
	if (bpfnet_prefix_parse(v->subnet, &p) || p.addr.family != AF_INET)
		return value_errorf(EINVAL, "invalid subnet '%s': expected an IPv4 CIDR such as "
				    "10.89.0.0/24", v->subnet);
	mask = p.len ? htonl(~0U << (32 - p.len)) : 0;
	if (p.addr.v4.s_addr & ~mask)
		return value_errorf(EINVAL, "subnet '%s' has host bits set", v->subnet);
	if (!v->gateway)
		return 0;
	if (bpfnet_addr_parse(v->gateway, &g) || g.family != AF_INET)
		return value_errorf(EINVAL, "invalid gateway '%s': expected an IPv4 address",
				    v->gateway);
	if ((g.v4.s_addr & mask) != p.addr.v4.s_addr || g.v4.s_addr == p.addr.v4.s_addr)
		return value_errorf(EINVAL, "gateway %s is not a host address of subnet %s",
				    v->gateway, v->subnet);
	return 0;
}

static int check_values(const struct cni_values *v)
{
	enum bpfnet_network_mode mode;
	enum bpfnet_gateway_mode gw_mode;
	struct bpfnet_addr a;
	bool known = false;
	char *end;
	long mtu;

	if (!name_ok(v->name))
		return value_errorf(EINVAL, "invalid network name '%s': 1 to %d letters, digits, "
				    "'_', '.', '-', starting with a letter or digit", v->name,
				    BPFNET_NAME_MAX - 1);
	if (check_addressing(v))
		return EXIT_USAGE;
	if ((v->mode && bpfnet_network_mode_parse(v->mode, &mode)) ||
	    (v->gateway_mode && bpfnet_gateway_mode_parse(v->gateway_mode, &gw_mode)))
		return value_error();
	if (v->internal && (!v->mode || mode != BPFNET_NETWORK_BRIDGE))
		return value_errorf(EINVAL, "--internal is for bridge networks (--mode bridge)");
	if (v->mtu) {
		errno = 0;
		mtu = strtol(v->mtu, &end, 10);
		if (errno || *end || end == v->mtu || mtu < MTU_MIN || mtu > MTU_MAX)
			return value_errorf(EINVAL, "invalid MTU '%s': %d to %d", v->mtu, MTU_MIN,
					    MTU_MAX);
	}
	for (size_t i = 0; i < sizeof(cni_versions) / sizeof(cni_versions[0]); i++)
		known |= !strcmp(v->version, cni_versions[i]);
	if (!known)
		return value_errorf(EINVAL, "unsupported --cni-version '%s': 0.3.0, 0.3.1, 0.4.0, "
				    "1.0.0 or 1.1.0", v->version);
	for (size_t i = 0; i < v->n_dns; i++)
		if (bpfnet_addr_parse(v->dns[i], &a))
			return value_errorf(EINVAL, "invalid --dns-server '%s': expected an "
					    "address", v->dns[i]);
	return 0;
}

/* --uplink auto, or DEV[,DEV...]: the plugin's "uplinks" */
static json_t *uplinks_json(const char *s)
{
	json_t *arr;
	char buf[BPFNET_UPLINK_MAX * IF_NAMESIZE + BPFNET_UPLINK_MAX], *save, *tok;

	if (!strcmp(s, "auto"))
		return json_string("auto");
	if (strlen(s) >= sizeof(buf)) {
		value_errorf(EINVAL, "--uplink '%s': at most %d devices", s, BPFNET_UPLINK_MAX);
		return NULL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	arr = json_array();
	for (tok = strtok_r(buf, ",", &save); arr && tok; tok = strtok_r(NULL, ",", &save)) {
		if (strlen(tok) >= IF_NAMESIZE || strchr(tok, '/') ||
		    json_array_size(arr) == BPFNET_UPLINK_MAX) {
			value_errorf(EINVAL, "--uplink '%s': up to %d device names, or auto", s,
				     BPFNET_UPLINK_MAX);
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, json_string(tok));
	}
	if (arr && !json_array_size(arr)) {
		value_errorf(EINVAL, "--uplink '%s': name a device, or auto", s);
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static json_t *plugin_json(struct cli *cli, const struct cni_values *v)
{
	const char *inst = bpfnet__instance(cli->bn);
	json_t *p = json_pack("{s:s, s:s, s:s}", "type", "bpfnet-cni", "mode",
			      v->mode ? v->mode : "l3", "subnet", v->subnet);

	if (v->gateway)
		json_object_set_new(p, "gateway", json_string(v->gateway));
	if (v->no_masquerade)
		json_object_set_new(p, "masquerade", json_false());
	if (v->internal)
		json_object_set_new(p, "internal", json_true());
	if (v->gateway_mode)
		json_object_set_new(p, "gatewayMode", json_string(v->gateway_mode));
	if (v->mtu)
		json_object_set_new(p, "mtu", json_integer(strtol(v->mtu, NULL, 10)));
	if (v->uplink) {
		json_t *u = uplinks_json(v->uplink);

		if (!u) {
			json_decref(p);
			return NULL;
		}
		json_object_set_new(p, "uplinks", u);
	}
	if (strcmp(inst, "default"))
		json_object_set_new(p, "instance", json_string(inst));
	if (v->n_dns) {
		json_t *ns = json_array();

		for (size_t i = 0; i < v->n_dns; i++)
			json_array_append_new(ns, json_string(v->dns[i]));
		json_object_set_new(p, "dns", json_pack("{s:o}", "nameservers", ns));
	}
	json_object_set_new(p, "capabilities", json_pack("{s:b, s:b, s:b}", "portMappings", 1,
							 "ips", 1, "mac", 1));
	return p;
}

static int do_config(struct cli *cli, int argc, char **argv)
{
	struct cni_values v = { .version = CNI_DEFAULT_VERSION };
	const struct opt opts[] = {
		OPT("subnet", &v.subnet), OPT("gateway", &v.gateway), OPT("mode", &v.mode),
		OPT("uplink", &v.uplink), FLAG("no-masquerade", &v.no_masquerade),
		FLAG("internal", &v.internal), OPT("gateway-mode", &v.gateway_mode),
		OPT("mtu", &v.mtu), OPT("cni-version", &v.version), {}
	};
	json_t *plugin;

	if (take_dns(&argc, argv, &v) ||
	    parse_args(&cni_cmds[0], argc, argv, opts, &v.name, 1, 1))
		return EXIT_USAGE;
	if (check_values(&v))
		return EXIT_USAGE;
	plugin = plugin_json(cli, &v);
	if (!plugin)
		return EXIT_USAGE;
	print_json(json_pack("{s:s, s:s, s:[o]}", "cniVersion", v.version, "name", v.name,
			     "plugins", plugin));
	return EXIT_OK;
}

const struct cmd cni_cmds[] = {
	{ "cni config", do_config, "NAME --subnet CIDR [--gateway IP] [--mode l3|bridge] "
	  "[--uplink DEV[,DEV...]|auto] [--no-masquerade] [--internal] "
	  "[--gateway-mode nat|routed|nat-unprotected] [--mtu N] [--cni-version V] "
	  "[--dns-server IP]...",
	  "Print a CNI network config list (for /etc/cni/net.d/NAME.conflist) of network NAME "
	  "for the plugin bpfnet-cni, with the capabilities portMappings, ips and mac. The "
	  "plugin makes the network on its first ADD, and initialises the node if no 'bpfnet "
	  "init' ran (on the --uplink devices; none given: detected from the default route). "
	  "--cni-version: 0.3.0, 0.3.1, 0.4.0, 1.0.0 (default: podman 4.3 refuses newer) or "
	  "1.1.0 (GC and STATUS). --dns-server: the containers' nameservers in the result, "
	  "as often as needed. The other options are network create's.", 0 },
	{}
};
