// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ADD result, per version: 0.3.x and 0.4.0 mark each address with its
 * "version", 1.x do not; 1.1.0 adds the interfaces' "mtu". And CHECK's look
 * at a result ADD gave (prevResult) against the endpoint as it is.
 */
#include <stdio.h>
#include <string.h>

#include "cni.h"

char *cni_mac_str(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

/* A copy of the array @key of @prev (or a new empty one). */
static json_t *prev_array(json_t *prev, const char *key)
{
	json_t *a = prev ? json_object_get(prev, key) : NULL;

	return json_is_array(a) ? json_deep_copy(a) : json_array();
}

/* prevResult's ips in @v's form: "version" only before 1.0.0 */
static void ips_to_version(json_t *ips, enum cni_version v)
{
	size_t i;
	json_t *ip;

	json_array_foreach(ips, i, ip) {
		const char *addr = json_string_value(json_object_get(ip, "address"));

		if (!json_is_object(ip))
			continue;
		if (v >= CNI_V_1_0_0)
			json_object_del(ip, "version");
		else if (!json_object_get(ip, "version"))
			json_object_set_new(ip, "version",
					    json_string(addr && strchr(addr, ':') ? "6" : "4"));
	}
}

static json_t *iface_json(const char *name, const uint8_t mac[6], const char *sandbox,
			  unsigned int mtu, enum cni_version v)
{
	char buf[18];
	json_t *o = json_pack("{s:s, s:s}", "name", name, "mac", cni_mac_str(mac, buf));

	if (o && sandbox)
		json_object_set_new(o, "sandbox", json_string(sandbox));
	if (o && mtu && v >= CNI_V_1_1_0)
		json_object_set_new(o, "mtu", json_integer(mtu));
	return o;
}

static json_t *ip_json(const struct bpfnet_endpoint_info *ep, size_t iface, enum cni_version v)
{
	char addr[BPFNET_PREFIXSTRLEN], gw[BPFNET_ADDRSTRLEN];
	json_t *o = json_pack("{s:s, s:I}", "address",
			      bpfnet_prefix_str(&ep->ip, addr, sizeof(addr)), "interface",
			      (json_int_t)iface);

	if (o && ep->gateway.family)
		json_object_set_new(o, "gateway",
				    json_string(bpfnet_addr_str(&ep->gateway, gw, sizeof(gw))));
	if (o && v < CNI_V_1_0_0)
		json_object_set_new(o, "version", json_string("4"));
	return o;
}

json_t *cni_result_json(const struct cni_config *cfg, const struct bpfnet_endpoint_info *ep,
			const char *netns)
{
	json_t *prev = cfg->prev_result, *ifaces = prev_array(prev, "interfaces");
	json_t *ips = prev_array(prev, "ips"), *routes = prev_array(prev, "routes");
	json_t *dns = cfg->dns ? cfg->dns : (prev ? json_object_get(prev, "dns") : NULL);
	enum cni_version v = cfg->version;
	char gw[BPFNET_ADDRSTRLEN];
	size_t sandbox_index;
	json_t *r;

	if (!ifaces || !ips || !routes)
		goto fail;
	ips_to_version(ips, v);
	json_array_append_new(ifaces, iface_json(ep->host_ifname, ep->host_mac, NULL, ep->mtu, v));
	sandbox_index = json_array_size(ifaces);
	json_array_append_new(ifaces, iface_json(ep->ifname, ep->mac, netns, ep->mtu, v));
	json_array_append_new(ips, ip_json(ep, sandbox_index, v));
	/* the endpoint's default route (an internal network has no gateway, hence none) */
	if (ep->gateway.family)
		json_array_append_new(routes, json_pack("{s:s, s:s}", "dst", "0.0.0.0/0", "gw",
							bpfnet_addr_str(&ep->gateway, gw,
									sizeof(gw))));
	r = json_pack("{s:s, s:o, s:o, s:o}", "cniVersion", cni_version_str(v), "interfaces",
		      ifaces, "ips", ips, "routes", routes);
	if (r && dns)
		json_object_set(r, "dns", dns);
	return r;
fail:
	json_decref(ifaces);
	json_decref(ips);
	json_decref(routes);
	return NULL;
}

/* ---- CHECK ----------------------------------------------------------------- */

/* The index of interface @name in @ifaces with sandbox @sandbox (NULL: on the host), or -1. */
static long find_iface(json_t *ifaces, const char *name, const char *sandbox)
{
	size_t i;
	json_t *f;

	json_array_foreach(ifaces, i, f) {
		const char *n = json_string_value(json_object_get(f, "name"));
		const char *s = json_string_value(json_object_get(f, "sandbox"));

		if (!n || strcmp(n, name))
			continue;
		if (sandbox ? (s && !strcmp(s, sandbox)) : (!s || !*s))
			return (long)i;
	}
	return -1;
}

static int compare_mac(json_t *iface, const uint8_t want[6], const char *what, char *diff,
		       size_t len)
{
	const char *s = json_string_value(json_object_get(iface, "mac"));
	uint8_t mac[6];
	char buf[18];

	if (s && !cni_mac_parse(s, mac) && !memcmp(mac, want, 6))
		return 0;
	cni_append(diff, len, "%s has MAC %s, prevResult says %s", what, cni_mac_str(want, buf),
		   s ? s : "none");
	return 1;
}

static int compare_ips(json_t *prev, long sandbox_index, const struct bpfnet_endpoint_info *ep,
		       char *diff, size_t len)
{
	char have[BPFNET_PREFIXSTRLEN], gw[BPFNET_ADDRSTRLEN];
	json_t *ips = json_object_get(prev, "ips"), *ip;
	int found = 0, n = 0;
	size_t i;

	bpfnet_prefix_str(&ep->ip, have, sizeof(have));
	bpfnet_addr_str(&ep->gateway, gw, sizeof(gw));
	json_array_foreach(ips, i, ip) {
		json_t *idx = json_object_get(ip, "interface");
		const char *a = json_string_value(json_object_get(ip, "address"));
		const char *g = json_string_value(json_object_get(ip, "gateway"));

		if (!json_is_integer(idx) || json_integer_value(idx) != sandbox_index || !a)
			continue;
		found++;
		if (strcmp(a, have)) {
			cni_append(diff, len, "prevResult gives %s the address %s, it has %s",
				   ep->ifname, a, have);
			n++;
		} else if (g && strcmp(g, gw)) {
			cni_append(diff, len, "prevResult gives %s the gateway %s, it has %s",
				   ep->ifname, g, *gw ? gw : "none");
			n++;
		}
	}
	if (!found) {
		cni_append(diff, len, "prevResult has no address of %s (it has %s)", ep->ifname, have);
		n++;
	}
	return n;
}

int cni_result_compare(json_t *prev, const struct bpfnet_endpoint_info *ep, const char *netns,
		       char *diff, size_t len)
{
	json_t *ifaces = json_object_get(prev, "interfaces");
	long c = find_iface(ifaces, ep->ifname, netns), h = find_iface(ifaces, ep->host_ifname, NULL);
	char what[IF_NAMESIZE + 40];
	int n = 0;

	if (c < 0) {
		cni_append(diff, len, "prevResult has no interface %s in %s", ep->ifname, netns);
		n++;
	} else {
		snprintf(what, sizeof(what), "%s in the container", ep->ifname);
		n += compare_mac(json_array_get(ifaces, c), ep->mac, what, diff, len);
		n += compare_ips(prev, c, ep, diff, len);
	}
	if (h < 0) {
		cni_append(diff, len, "prevResult has no host interface %s", ep->host_ifname);
		n++;
	} else {
		snprintf(what, sizeof(what), "host veth %s", ep->host_ifname);
		n += compare_mac(json_array_get(ifaces, h), ep->host_mac, what, diff, len);
	}
	return n;
}
