// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The network config on stdin: a standalone .conf, or one plugin of a
 * conflist as libcni passes it (name, cniVersion, prevResult, runtimeConfig
 * injected; podman re-marshals it with sorted keys). Keys this plugin does
 * not know are ignored; a key it knows with a wrong type or value is refused
 * with the key named.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cni.h"

#define BAD_CONFIG "invalid network config"

/* The string at @key of @obj into *out (absent: untouched). -1 when it is not a string. */
static int get_string(json_t *obj, const char *where, const char *key, const char **out,
		      struct cni_error *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%s%s must be a string", where, key);
	*out = json_string_value(v);
	return 0;
}

static int get_bool(json_t *obj, const char *key, bool *out, bool *given, struct cni_error *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%s must be true or false", key);
	*out = json_is_true(v);
	*given = true;
	return 0;
}

/* An integer @key in [min, max] (absent: untouched). */
static int get_uint(json_t *obj, const char *where, const char *key, long long min, long long max,
		    unsigned int *out, struct cni_error *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%s%s must be an integer from %lld "
				"to %lld", where, key, min, max);
	*out = (unsigned int)json_integer_value(v);
	return 0;
}

static bool net_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= BPFNET_NAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

static uint32_t prefix_mask(unsigned int len)
{
	return len ? htonl(~0U << (32 - len)) : 0;
}

/* ---- the subnet: top level, or ipam ------------------------------------------ */

static int parse_subnet(const char *where, const char *s, struct bpfnet_prefix *out,
			struct cni_error *e)
{
	char buf[BPFNET_PREFIXSTRLEN];

	if (bpfnet_prefix_parse(s, out))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%ssubnet '%s' is not a subnet "
				"(A.B.C.D/LEN, LEN 0 to 32): %s", where, s, bpfnet__errmsg(NULL));
	if (out->addr.family != AF_INET)
		return cni_fail(e, CNI_ERR_UNSUPPORTED_FIELD, "unsupported field",
				"%ssubnet '%s': IPv6 is not supported yet", where, s);
	if (out->addr.v4.s_addr & ~prefix_mask(out->len)) {
		struct bpfnet_prefix net = *out;

		net.addr.v4.s_addr &= prefix_mask(out->len);
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%ssubnet '%s' has host bits set: "
				"did you mean %s?", where, s,
				bpfnet_prefix_str(&net, buf, sizeof(buf)));
	}
	return 0;
}

static int parse_gateway(const char *where, const char *s, struct bpfnet_addr *out,
			 struct cni_error *e)
{
	if (bpfnet_addr_parse(s, out))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%sgateway '%s' is not an address: %s",
				where, s, bpfnet__errmsg(NULL));
	if (out->family != AF_INET)
		return cni_fail(e, CNI_ERR_UNSUPPORTED_FIELD, "unsupported field",
				"%sgateway '%s': IPv6 is not supported yet", where, s);
	return 0;
}

/* One {subnet, gateway} object (ipam itself, or an entry of its ranges). */
static int parse_range(json_t *r, const char *where, struct bpfnet_prefix *subnet,
		       struct bpfnet_addr *gw, struct cni_error *e)
{
	const char *s = NULL, *g = NULL;

	if (!json_is_object(r))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%s must be an object", where);
	if (get_string(r, where, "subnet", &s, e) || get_string(r, where, "gateway", &g, e))
		return -1;
	if (!s)
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%s has no subnet", where);
	if (parse_subnet(where, s, subnet, e) || (g && parse_gateway(where, g, gw, e)))
		return -1;
	return 0;
}

/* host-local's "ranges": [[{subnet, gateway}, ...], ...]: the one IPv4 range. */
static int parse_ranges(json_t *ranges, struct bpfnet_prefix *subnet, struct bpfnet_addr *gw,
			struct cni_error *e)
{
	size_t i, j, found = 0;
	json_t *set, *r;

	if (!json_is_array(ranges))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "ipam.ranges must be a list of "
				"lists of {\"subnet\", \"gateway\"}");
	json_array_foreach(ranges, i, set) {
		if (!json_is_array(set))
			return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "ipam.ranges[%zu] must be a "
					"list of {\"subnet\", \"gateway\"}", i);
		json_array_foreach(set, j, r) {
			struct bpfnet_prefix p = { 0 };
			struct bpfnet_addr g = { 0 };
			const char *s = NULL;

			/* an IPv6 range of a dual-stack config is left to others */
			if (json_is_object(r) && !get_string(r, "", "subnet", &s, e) && s &&
			    strchr(s, ':'))
				continue;
			if (parse_range(r, "ipam.ranges: ", &p, &g, e))
				return -1;
			if (found++)
				return cni_fail(e, CNI_ERR_UNSUPPORTED_FIELD, "unsupported field",
						"ipam.ranges: more than one IPv4 subnet; bpfnet "
						"networks have one");
			*subnet = p;
			*gw = g;
		}
	}
	if (!found)
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "ipam.ranges has no IPv4 subnet");
	return 0;
}

static int parse_ipam(json_t *ipam, struct bpfnet_prefix *subnet, struct bpfnet_addr *gw,
		      struct cni_error *e)
{
	const char *type = NULL;
	json_t *ranges;

	if (!json_is_object(ipam))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "ipam must be an object");
	if (get_string(ipam, "ipam.", "type", &type, e))
		return -1;
	/* host-local's shape is read, but bpfnet's own IPAM hands out the addresses */
	if (type && strcmp(type, "bpfnet") && strcmp(type, "host-local"))
		return cni_fail(e, CNI_ERR_UNSUPPORTED_FIELD, "unsupported field",
				"ipam.type '%s': bpfnet-cni allocates addresses itself (type "
				"\"bpfnet\"; \"host-local\"'s subnet and ranges are read too)", type);
	ranges = json_object_get(ipam, "ranges");
	if (ranges && !json_object_get(ipam, "subnet"))
		return parse_ranges(ranges, subnet, gw, e);
	return parse_range(ipam, "ipam.", subnet, gw, e);
}

/* subnet and gateway, at the top or in ipam (both: they must agree) */
static int parse_addressing(json_t *root, struct cni_config *cfg, struct cni_error *e)
{
	struct bpfnet_prefix top = { 0 }, ip = { 0 };
	struct bpfnet_addr top_gw = { 0 }, ip_gw = { 0 };
	const char *s = NULL, *g = NULL;
	json_t *ipam = json_object_get(root, "ipam");
	uint32_t mask, net, a;

	if (get_string(root, "", "subnet", &s, e) || get_string(root, "", "gateway", &g, e))
		return -1;
	if ((s && parse_subnet("", s, &top, e)) || (g && parse_gateway("", g, &top_gw, e)))
		return -1;
	if (ipam && parse_ipam(ipam, &ip, &ip_gw, e))
		return -1;
	if (!s && !ipam)
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "no subnet: give \"subnet\" (and "
				"\"gateway\") or an \"ipam\" section with them");
	if (s && ipam && (top.len != ip.len || top.addr.v4.s_addr != ip.addr.v4.s_addr))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "subnet '%s' and ipam's subnet "
				"differ: give one", s);
	cfg->net.subnet = s ? top : ip;
	cfg->net.gateway = top_gw.family ? top_gw : ip_gw;
	cfg->gateway_given = cfg->net.gateway.family != AF_UNSPEC;
	if (!cfg->gateway_given)
		return 0;
	mask = prefix_mask(cfg->net.subnet.len);
	net = cfg->net.subnet.addr.v4.s_addr;
	a = cfg->net.gateway.v4.s_addr;
	if ((a & mask) != net || a == net || (cfg->net.subnet.len < 31 && a == (net | ~mask))) {
		char gb[BPFNET_ADDRSTRLEN], sb[BPFNET_PREFIXSTRLEN];

		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "gateway %s is not a host address "
				"of subnet %s",
				bpfnet_addr_str(&cfg->net.gateway, gb, sizeof(gb)),
				bpfnet_prefix_str(&cfg->net.subnet, sb, sizeof(sb)));
	}
	return 0;
}

/* ---- mode, NAT, MTU, uplinks, dns ------------------------------------------- */

static int parse_uplinks(json_t *root, struct cni_config *cfg, struct cni_error *e)
{
	json_t *v = json_object_get(root, "uplinks"), *d;
	size_t i;

	if (!v || (json_is_string(v) && !strcmp(json_string_value(v), "auto")))
		return 0;
	if (!json_is_array(v))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "uplinks must be a list of device "
				"names or \"auto\"");
	if (json_array_size(v) > BPFNET_UPLINK_MAX)
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "uplinks: %zu devices, at most %d",
				json_array_size(v), BPFNET_UPLINK_MAX);
	json_array_foreach(v, i, d) {
		if (!json_is_string(d) || !cni_ifname_valid(json_string_value(d)))
			return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "uplinks[%zu] is not a "
					"device name", i);
		cfg->uplinks[cfg->n_uplinks++] = json_string_value(d);
	}
	return 0;
}

static int parse_modes(json_t *root, struct cni_config *cfg, struct cni_error *e)
{
	const char *mode = NULL, *gwmode = NULL;
	bool masq = false;

	if (get_string(root, "", "mode", &mode, e) || get_string(root, "", "gatewayMode", &gwmode, e))
		return -1;
	if (mode && bpfnet_network_mode_parse(mode, &cfg->net.mode))
		return cni_fail(e, CNI_ERR_UNSUPPORTED_FIELD, "unsupported field",
				"mode '%s': %s", mode, bpfnet__errmsg(NULL));
	/* a macvlan network needs its parent device, a key this plugin does not read */
	if (mode && cfg->net.mode == BPFNET_NETWORK_MACVLAN)
		return cni_fail(e, CNI_ERR_UNSUPPORTED_FIELD, "unsupported field",
				"mode 'macvlan' is not offered by bpfnet-cni: the reference "
				"macvlan plugin does it, bpfnet run on a network created with "
				"--mode macvlan --parent DEV too");
	cfg->mode_given = mode != NULL;
	if (gwmode && bpfnet_gateway_mode_parse(gwmode, &cfg->net.gateway_mode))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "gatewayMode '%s': %s", gwmode,
				bpfnet__errmsg(NULL));
	cfg->gateway_mode_given = gwmode != NULL;
	if (get_bool(root, "masquerade", &masq, &cfg->masquerade_given, e) ||
	    get_bool(root, "internal", &cfg->net.internal, &cfg->internal_given, e))
		return -1;
	if (cfg->masquerade_given)
		cfg->net.masquerade = masq ? BPFNET_YES : BPFNET_NO;
	return get_uint(root, "", "mtu", 68, 65535, &cfg->mtu, e);
}

static int parse_network(json_t *root, struct cni_config *cfg, struct cni_error *e)
{
	cfg->net.sz = sizeof(cfg->net);
	cfg->net.name = cfg->name;
	if (parse_addressing(root, cfg, e) || parse_modes(root, cfg, e) ||
	    parse_uplinks(root, cfg, e))
		return -1;
	cfg->dns = json_object_get(root, "dns");
	if (cfg->dns && !json_is_object(cfg->dns))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "dns must be an object "
				"{\"nameservers\", \"domain\", \"search\", \"options\"}");
	return 0;
}

/* ---- runtimeConfig ------------------------------------------------------------ */

/* "10.1.0.5" or "10.1.0.5/24" into @out (len 0: no prefix given). */
static int parse_ip_text(const char *s, struct bpfnet_prefix *out)
{
	memset(out, 0, sizeof(*out));
	if (strchr(s, '/'))
		return bpfnet_prefix_parse(s, out);
	return bpfnet_addr_parse(s, &out->addr);
}

/* A list of addresses (runtimeConfig.ips, IP=a,b): the one IPv4 one into @out. */
static int pick_ip4(const char *where, const char *const *texts, size_t n,
		    struct bpfnet_prefix *out, struct cni_error *e)
{
	bool v6 = false;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		struct bpfnet_prefix p;

		if (parse_ip_text(texts[i], &p))
			return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%s '%s' is not an address "
					"(A.B.C.D or A.B.C.D/LEN)", where, texts[i]);
		if (p.addr.family == AF_INET6) {
			v6 = true;	/* a dual-stack runtime's: the IPv4 one is ours */
			continue;
		}
		if (out->addr.family)
			return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%s: more than one IPv4 "
					"address; an attachment has one", where);
		*out = p;
	}
	if (v6 && !out->addr.family)
		return cni_fail(e, CNI_ERR_UNSUPPORTED_FIELD, "unsupported field", "%s '%s': IPv6 "
				"is not supported yet", where, texts[0]);
	return 0;
}

static int parse_rc_ips(json_t *ips, struct cni_config *cfg, struct cni_error *e)
{
	const char *texts[16];
	size_t i, n = json_array_size(ips);
	json_t *v;

	if (!json_is_array(ips) || n > sizeof(texts) / sizeof(texts[0]))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "runtimeConfig.ips must be a list "
				"of addresses (at most %zu)", sizeof(texts) / sizeof(texts[0]));
	json_array_foreach(ips, i, v) {
		if (!json_is_string(v))
			return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "runtimeConfig.ips[%zu] "
					"must be a string", i);
		texts[i] = json_string_value(v);
	}
	return n ? pick_ip4("runtimeConfig.ips", texts, n, &cfg->ip, e) : 0;
}

/* One {hostPort, containerPort, protocol, hostIP}; 1 when it is for IPv6 (skipped). */
static int parse_port(json_t *pm, size_t i, struct bpfnet_port_mapping *m, struct cni_error *e)
{
	const char *proto = "tcp", *host = NULL;
	unsigned int hp = 0, cp = 0;
	char where[64];

	snprintf(where, sizeof(where), "runtimeConfig.portMappings[%zu].", i);
	if (!json_is_object(pm))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%.*s must be an object",
				(int)strlen(where) - 1, where);
	if (get_uint(pm, where, "hostPort", 1, 65535, &hp, e) ||
	    get_uint(pm, where, "containerPort", 1, 65535, &cp, e) ||
	    get_string(pm, where, "protocol", &proto, e) ||
	    get_string(pm, where, "hostIP", &host, e))
		return -1;
	if (!hp || !cp)
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%s needs hostPort and "
				"containerPort", where);
	memset(m, 0, sizeof(*m));
	if (!strcasecmp(proto, "tcp"))
		m->proto = BPFNET_PROTO_TCP;
	else if (!strcasecmp(proto, "udp"))
		m->proto = BPFNET_PROTO_UDP;
	else
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%sprotocol '%s': tcp or udp",
				where, proto);
	if (host && *host && bpfnet_addr_parse(host, &m->host_addr))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "%shostIP '%s' is not an address",
				where, host);
	m->host_port = m->host_port_last = (uint16_t)hp;
	m->container_port = m->container_port_last = (uint16_t)cp;
	/* as portmap does: a mapping of an IPv6 host address is not for an IPv4 container */
	return m->host_addr.family == AF_INET6 ? 1 : 0;
}

static int parse_rc_ports(json_t *pms, struct cni_config *cfg, struct cni_error *e)
{
	size_t i;
	json_t *pm;

	if (!json_is_array(pms))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "runtimeConfig.portMappings must be a "
				"list of {hostPort, containerPort, protocol, hostIP}");
	if (!json_array_size(pms))
		return 0;
	cfg->ports = calloc(json_array_size(pms), sizeof(*cfg->ports));
	if (!cfg->ports)
		return cni_fail(e, CNI_ERR_INTERNAL, "out of memory", "portMappings");
	json_array_foreach(pms, i, pm) {
		int r = parse_port(pm, i, &cfg->ports[cfg->n_ports], e);

		if (r < 0)
			return -1;
		if (!r)
			cfg->n_ports++;
	}
	return 0;
}

static int parse_runtime(json_t *root, struct cni_config *cfg, struct cni_error *e)
{
	json_t *rc = json_object_get(root, "runtimeConfig"), *v;
	const char *mac = NULL;

	if (!rc)
		return 0;
	if (!json_is_object(rc))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "runtimeConfig must be an object");
	if ((v = json_object_get(rc, "portMappings")) && parse_rc_ports(v, cfg, e))
		return -1;
	if ((v = json_object_get(rc, "ips")) && parse_rc_ips(v, cfg, e))
		return -1;
	if (get_string(rc, "runtimeConfig.", "mac", &mac, e))
		return -1;
	if (mac && *mac) {
		if (cni_mac_parse(mac, cfg->mac))
			return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "runtimeConfig.mac '%s' is "
					"not a MAC address (aa:bb:cc:dd:ee:ff)", mac);
		cfg->mac_given = true;
	}
	return 0;
}

/* ---- GC's list ------------------------------------------------------------------ */

static int parse_valid(json_t *root, struct cni_config *cfg, struct cni_error *e)
{
	/* the spec's key; libcni 1.2 also sets the older "cni.dev/attachments" */
	json_t *list = json_object_get(root, "cni.dev/valid-attachments"), *a;
	size_t i;

	if (!list)
		list = json_object_get(root, "cni.dev/attachments");
	if (!list)
		return 0;
	if (!json_is_array(list))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "cni.dev/valid-attachments must be "
				"a list of {\"containerID\", \"ifname\"}");
	cfg->valid_given = true;
	cfg->valid = calloc(json_array_size(list) + 1, sizeof(*cfg->valid));
	if (!cfg->valid)
		return cni_fail(e, CNI_ERR_INTERNAL, "out of memory", "valid-attachments");
	json_array_foreach(list, i, a) {
		struct cni_attachment *at = &cfg->valid[cfg->n_valid++];

		if (!json_is_object(a) ||
		    get_string(a, "cni.dev/valid-attachments[].", "containerID", &at->container_id,
			       e) ||
		    get_string(a, "cni.dev/valid-attachments[].", "ifname", &at->ifname, e) ||
		    !at->container_id)
			return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "cni.dev/valid-attachments[%zu]"
					" must be {\"containerID\": ID, \"ifname\": IF}", i);
	}
	return 0;
}

/* ---- the whole config -------------------------------------------------------- */

static int parse_version(json_t *root, struct cni_config *cfg, struct cni_error *e)
{
	json_t *v = json_object_get(root, "cniVersion");

	if (!v)
		return cni_fail(e, CNI_ERR_VERSION, "incompatible CNI version", "the config has no "
				"cniVersion (0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0 are supported)");
	if (!json_is_string(v))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "cniVersion must be a string");
	cfg->version_str = json_string_value(v);
	cfg->version = cni_version_parse(cfg->version_str);
	if (!cfg->version)
		return cni_fail(e, CNI_ERR_VERSION, "incompatible CNI version", "cniVersion '%s' is "
				"not supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0 are",
				cfg->version_str);
	return 0;
}

static int parse_instance(json_t *root, struct cni_config *cfg, struct cni_error *e)
{
	if (get_string(root, "", "instance", &cfg->instance, e) ||
	    get_string(root, "", "bpffs", &cfg->bpffs, e) ||
	    get_string(root, "", "runDir", &cfg->run_dir, e))
		return -1;
	cfg->prev_result = json_object_get(root, "prevResult");
	if (cfg->prev_result && json_is_null(cfg->prev_result))
		cfg->prev_result = NULL;
	if (cfg->prev_result && !json_is_object(cfg->prev_result))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "prevResult must be an object");
	return 0;
}

int cni_config_parse(const char *text, size_t len, enum cni_config_need need,
		     struct cni_config *cfg, struct cni_error *e)
{
	json_error_t jerr;

	memset(cfg, 0, sizeof(*cfg));
	cfg->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!cfg->root)
		return cni_fail(e, CNI_ERR_DECODE, "failed to decode the network config",
				"stdin is not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
				jerr.column);
	if (!json_is_object(cfg->root))
		return cni_fail(e, CNI_ERR_DECODE, "failed to decode the network config",
				"stdin is not a JSON object");
	if (parse_version(cfg->root, cfg, e))
		return -1;
	if (get_string(cfg->root, "", "name", &cfg->name, e))
		return -1;
	if (!cfg->name)
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "the config has no name (the network's)");
	if (!net_name_valid(cfg->name))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "name '%s': a network name is 1 to %d "
				"letters, digits, '_', '.', '-', starting with a letter or digit",
				cfg->name, BPFNET_NAME_MAX - 1);
	if (parse_instance(cfg->root, cfg, e) || parse_valid(cfg->root, cfg, e))
		return -1;
	if (need == CNI_NEED_NAME)
		return 0;
	return parse_network(cfg->root, cfg, e) || parse_runtime(cfg->root, cfg, e) ? -1 : 0;
}

void cni_config_free(struct cni_config *cfg)
{
	free(cfg->ports);
	free(cfg->valid);
	json_decref(cfg->root);
	memset(cfg, 0, sizeof(*cfg));
}

int cni_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]) ||
		    (i < 5 && s[i * 3 + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

/* ---- the runtime's requests against the subnet ------------------------------------ */

static int check_requested_ip(const struct cni_config *cfg, struct cni_error *e)
{
	uint32_t mask = prefix_mask(cfg->net.subnet.len), net = cfg->net.subnet.addr.v4.s_addr;
	uint32_t a = cfg->ip.addr.v4.s_addr;
	char ab[BPFNET_ADDRSTRLEN], sb[BPFNET_PREFIXSTRLEN];

	bpfnet_addr_str(&cfg->ip.addr, ab, sizeof(ab));
	bpfnet_prefix_str(&cfg->net.subnet, sb, sizeof(sb));
	if ((a & mask) != net)
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "the requested address %s is not in "
				"subnet %s", ab, sb);
	if (cfg->ip.len && cfg->ip.len != cfg->net.subnet.len)
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "the requested address %s/%u has "
				"another prefix length than subnet %s", ab, cfg->ip.len, sb);
	if (a == net || (cfg->net.subnet.len < 31 && a == (net | ~mask)))
		return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "the requested address %s is the "
				"network or broadcast address of subnet %s", ab, sb);
	return 0;
}

int cni_config_apply_args(struct cni_config *cfg, const struct cni_args *args,
			  struct cni_error *e)
{
	if (args->ip[0]) {
		char buf[sizeof(args->ip)], *save, *tok;
		const char *texts[8];
		struct bpfnet_prefix p;
		size_t n = 0;

		snprintf(buf, sizeof(buf), "%s", args->ip);
		for (tok = strtok_r(buf, ",", &save); tok && n < 8; tok = strtok_r(NULL, ",", &save))
			texts[n++] = tok;
		if (!n || pick_ip4("CNI_ARGS IP", texts, n, &p, e))
			return n ? -1 : cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "CNI_ARGS IP= is empty");
		if (cfg->ip.addr.family && cfg->ip.addr.v4.s_addr != p.addr.v4.s_addr)
			return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "runtimeConfig.ips and "
					"CNI_ARGS IP=%s ask for different addresses", args->ip);
		if (!cfg->ip.addr.family)
			cfg->ip = p;
	}
	if (args->mac[0]) {
		uint8_t mac[6];

		if (cni_mac_parse(args->mac, mac))
			return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "CNI_ARGS MAC=%s is not a MAC "
					"address (aa:bb:cc:dd:ee:ff)", args->mac);
		if (cfg->mac_given && memcmp(mac, cfg->mac, 6))
			return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "runtimeConfig.mac and "
					"CNI_ARGS MAC=%s differ", args->mac);
		memcpy(cfg->mac, mac, 6);
		cfg->mac_given = true;
	}
	return cfg->ip.addr.family ? check_requested_ip(cfg, e) : 0;
}

/* ---- an existing network against the config ---------------------------------------- */

int cni_config_match_network(const struct cni_config *cfg,
			     const struct bpfnet_network_info *have, struct cni_error *e)
{
	char a[BPFNET_PREFIXSTRLEN], b[BPFNET_PREFIXSTRLEN];
	const struct bpfnet_network_opts *want = &cfg->net;
	char diff[1024] = "";

	if (have->subnet.len != want->subnet.len ||
	    have->subnet.addr.v4.s_addr != want->subnet.addr.v4.s_addr)
		cni_append(diff, sizeof(diff), "subnet %s, the config says %s",
			   bpfnet_prefix_str(&have->subnet, a, sizeof(a)),
			   bpfnet_prefix_str(&want->subnet, b, sizeof(b)));
	if (have->mode != want->mode)
		cni_append(diff, sizeof(diff), "mode %s, the config says %s",
			   bpfnet_network_mode_str(have->mode), bpfnet_network_mode_str(want->mode));
	if (cfg->gateway_given && have->gateway.v4.s_addr != want->gateway.v4.s_addr)
		cni_append(diff, sizeof(diff), "gateway %s, the config says %s",
			   bpfnet_addr_str(&have->gateway, a, sizeof(a)),
			   bpfnet_addr_str(&want->gateway, b, sizeof(b)));
	if (cfg->masquerade_given && have->masquerade != (want->masquerade == BPFNET_YES))
		cni_append(diff, sizeof(diff), "masquerade %s, the config says %s",
			   have->masquerade ? "true" : "false", have->masquerade ? "false" : "true");
	if (cfg->internal_given && have->internal != want->internal)
		cni_append(diff, sizeof(diff), "internal %s, the config says %s",
			   have->internal ? "true" : "false", have->internal ? "false" : "true");
	if (cfg->gateway_mode_given && have->gateway_mode != want->gateway_mode)
		cni_append(diff, sizeof(diff), "gatewayMode %s, the config says %s",
			   bpfnet_gateway_mode_str(have->gateway_mode),
			   bpfnet_gateway_mode_str(want->gateway_mode));
	if (!diff[0])
		return 0;
	return cni_fail(e, CNI_ERR_CONFIG, BAD_CONFIG, "network '%s' exists with %s: remove it "
			"or give its settings", cfg->name, diff);
}
