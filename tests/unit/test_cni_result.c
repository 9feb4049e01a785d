// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet-cni's output: the ADD result in each version (0.3.x and 0.4.0 with
 * the addresses' "version", 1.x without, 1.1.0 with the interfaces' MTU), a
 * prevResult appended to, the error object, VERSION's answer, which errno is
 * which code, and CHECK's comparison of a prevResult with the endpoint.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "asserts.h"
#include "cni.h"

#define NETNS "/run/netns/c1"

static struct bpfnet_endpoint_info endpoint(void)
{
	struct bpfnet_endpoint_info ep = { .sz = sizeof(ep), .mtu = 1500 };
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x50 };
	static const uint8_t host_mac[6] = { 0x62, 0xa0, 0x5a, 0x0b, 0xab, 0xb3 };

	snprintf(ep.name, sizeof(ep.name), "web1");
	snprintf(ep.network, sizeof(ep.network), "n");
	snprintf(ep.ifname, sizeof(ep.ifname), "eth0");
	snprintf(ep.host_ifname, sizeof(ep.host_ifname), "bn1234-1");
	ep.ip.addr.family = AF_INET;
	inet_pton(AF_INET, "10.89.0.5", &ep.ip.addr.v4);
	ep.ip.len = 24;
	ep.gateway.family = AF_INET;
	inet_pton(AF_INET, "10.89.0.1", &ep.gateway.v4);
	memcpy(ep.mac, mac, 6);
	memcpy(ep.host_mac, host_mac, 6);
	return ep;
}

static json_t *result_for(const char *config, const struct bpfnet_endpoint_info *ep)
{
	struct cni_config cfg;
	struct cni_error e;
	json_t *r;

	assert_int_equal(cni_config_parse(config, strlen(config), CNI_NEED_NETWORK, &cfg, &e), 0);
	r = cni_result_json(&cfg, ep, NETNS);
	assert_non_null(r);
	cni_config_free(&cfg);
	return r;
}

static const char *str_at(json_t *r, const char *path)
{
	json_t *v = r;
	char buf[128], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); v && tok; tok = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, strtoul(tok, NULL, 10)) :
				       json_object_get(v, tok);
	return v ? (json_is_string(v) ? json_string_value(v) : "<not a string>") : "<missing>";
}

static json_int_t int_at(json_t *r, const char *path1, size_t i, const char *key)
{
	json_t *v = json_object_get(json_array_get(json_object_get(r, path1), i), key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static void test_result_per_version(void **state)
{
	static const struct {
		const char *version;
		bool ip_version, mtu;
	} versions[] = {
		{ "0.3.0", true, false }, { "0.3.1", true, false }, { "0.4.0", true, false },
		{ "1.0.0", false, false }, { "1.1.0", false, true },
	};
	struct bpfnet_endpoint_info ep = endpoint();

	(void)state;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		char config[512];
		json_t *r, *ip;

		snprintf(config, sizeof(config), "{\"cniVersion\":\"%s\",\"name\":\"n\","
			 "\"subnet\":\"10.89.0.0/24\",\"dns\":{\"nameservers\":[\"10.89.0.1\"],"
			 "\"search\":[\"example.org\"],\"options\":[\"ndots:1\"]}}",
			 versions[i].version);
		unit_case("cniVersion %s", versions[i].version);
		r = result_for(config, &ep);
		assert_string_equal(str_at(r, "cniVersion"), versions[i].version);
		assert_int_equal(json_array_size(json_object_get(r, "interfaces")), 2);
		assert_string_equal(str_at(r, "interfaces.0.name"), "bn1234-1");
		assert_string_equal(str_at(r, "interfaces.0.mac"), "62:a0:5a:0b:ab:b3");
		assert_string_equal(str_at(r, "interfaces.0.sandbox"), "<missing>");
		assert_string_equal(str_at(r, "interfaces.1.name"), "eth0");
		assert_string_equal(str_at(r, "interfaces.1.mac"), "02:00:00:00:00:50");
		assert_string_equal(str_at(r, "interfaces.1.sandbox"), NETNS);
		assert_int_equal(int_at(r, "interfaces", 1, "mtu"), versions[i].mtu ? 1500 : -1);
		assert_int_equal(json_array_size(json_object_get(r, "ips")), 1);
		assert_string_equal(str_at(r, "ips.0.address"), "10.89.0.5/24");
		assert_string_equal(str_at(r, "ips.0.gateway"), "10.89.0.1");
		assert_int_equal(int_at(r, "ips", 0, "interface"), 1);
		ip = json_array_get(json_object_get(r, "ips"), 0);
		if (versions[i].ip_version)
			assert_string_equal(str_at(ip, "version"), "4");
		else
			assert_null(json_object_get(ip, "version"));
		assert_string_equal(str_at(r, "routes.0.dst"), "0.0.0.0/0");
		assert_string_equal(str_at(r, "routes.0.gw"), "10.89.0.1");
		assert_string_equal(str_at(r, "dns.nameservers.0"), "10.89.0.1");
		assert_string_equal(str_at(r, "dns.search.0"), "example.org");
		assert_string_equal(str_at(r, "dns.options.0"), "ndots:1");
		json_decref(r);
	}
	unit_case_end();
}

/* an internal network has no gateway: no route, no "gateway", and no dns without one given */
static void test_result_internal(void **state)
{
	struct bpfnet_endpoint_info ep = endpoint();
	json_t *r;

	(void)state;
	ep.gateway.family = AF_UNSPEC;
	r = result_for("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"subnet\":\"10.89.0.0/24\"}", &ep);
	assert_string_equal(str_at(r, "ips.0.gateway"), "<missing>");
	assert_int_equal(json_array_size(json_object_get(r, "routes")), 0);
	assert_null(json_object_get(r, "dns"));
	json_decref(r);
}

/* a prevResult (a plugin before this one): kept, ours appended, in the config's version */
static void test_result_appends_prev(void **state)
{
	struct bpfnet_endpoint_info ep = endpoint();
	json_t *r;

	(void)state;
	r = result_for("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"subnet\":\"10.89.0.0/24\","
		       "\"prevResult\":{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"x0\"}],"
		       "\"ips\":[{\"version\":\"4\",\"address\":\"192.0.2.5/24\",\"interface\":0}],"
		       "\"dns\":{\"nameservers\":[\"192.0.2.53\"]}}}", &ep);
	assert_int_equal(json_array_size(json_object_get(r, "interfaces")), 3);
	assert_string_equal(str_at(r, "interfaces.0.name"), "x0");
	assert_string_equal(str_at(r, "interfaces.2.name"), "eth0");
	assert_string_equal(str_at(r, "ips.0.address"), "192.0.2.5/24");
	assert_null(json_object_get(json_array_get(json_object_get(r, "ips"), 0), "version"));
	assert_string_equal(str_at(r, "ips.1.address"), "10.89.0.5/24");
	assert_int_equal(int_at(r, "ips", 1, "interface"), 2);
	assert_string_equal(str_at(r, "dns.nameservers.0"), "192.0.2.53");
	json_decref(r);
}

static void test_error_object(void **state)
{
	struct cni_error e = { 0 };
	json_t *j;

	(void)state;
	assert_int_equal(cni_fail(&e, CNI_ERR_CONFIG, "invalid network config", "subnet '%s'",
				  "x"), -1);
	j = cni_error_json(&e, CNI_V_0_4_0);
	assert_string_equal(str_at(j, "cniVersion"), "0.4.0");
	assert_int_equal(json_integer_value(json_object_get(j, "code")), 7);
	assert_string_equal(str_at(j, "msg"), "invalid network config");
	assert_string_equal(str_at(j, "details"), "subnet 'x'");
	assert_int_equal(json_object_size(j), 4);
	json_decref(j);
	/* before a version is known: the latest */
	j = cni_error_json(&e, CNI_V_NONE);
	assert_string_equal(str_at(j, "cniVersion"), "1.1.0");
	json_decref(j);
}

/*
 * Found by fuzz_cni: CNI_COMMAND "\xabVERSION" is quoted in the details, which
 * are then no UTF-8, json_pack() refused them and the plugin printed no error
 * object at all. Such bytes are '?' now, as is a sequence vsnprintf() cut.
 */
static void test_error_object_not_utf8(void **state)
{
	struct cni_command_case {
		const char *command, *details;
	} cases[] = {
		{ "\xabVERSION", "CNI_COMMAND '?VERSION' is not one of" },
		{ "\xc3\xa9", "CNI_COMMAND '\xc3\xa9' is not" },		/* UTF-8 stays */
		{ "\xc0\xaf", "CNI_COMMAND '?" "?' is not" },		/* an overlong '/' */
	};
	struct cni_error e = { 0 };
	enum cni_command cmd;
	char long_text[sizeof(e.details) + 8];
	json_t *j;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cni_command_parse(cases[i].command, &cmd, &e), -1);
		j = cni_error_json(&e, CNI_V_1_0_0);
		assert_non_null(j);
		assert_has(str_at(j, "details"), cases[i].details);
		json_decref(j);
	}
	/* details cut in the middle of a two-byte sequence: the half left is a '?' */
	memset(long_text, 'a', sizeof(long_text));
	memcpy(long_text + sizeof(e.details) - 2, "\xc3\xa9", 2);
	long_text[sizeof(long_text) - 1] = '\0';
	cni_fail(&e, CNI_ERR_CONFIG, "m", "%s", long_text);
	j = cni_error_json(&e, CNI_V_1_0_0);
	assert_non_null(j);
	assert_int_equal(strlen(str_at(j, "details")), sizeof(e.details) - 1);
	assert_int_equal(str_at(j, "details")[sizeof(e.details) - 2], '?');
	json_decref(j);
}

static void test_errno_codes(void **state)
{
	(void)state;
	assert_int_equal(cni_code_for_errno(-EAGAIN), CNI_ERR_TRY_AGAIN);
	assert_int_equal(cni_code_for_errno(-EBUSY), CNI_ERR_TRY_AGAIN);
	assert_int_equal(cni_code_for_errno(-EINTR), CNI_ERR_TRY_AGAIN);
	assert_int_equal(cni_code_for_errno(-EINVAL), CNI_ERR_CONFIG);
	assert_int_equal(cni_code_for_errno(-EADDRINUSE), CNI_ERR_CONFIG);
	assert_int_equal(cni_code_for_errno(-EEXIST), CNI_ERR_CONFIG);
	assert_int_equal(cni_code_for_errno(-ENOSPC), CNI_ERR_CONFIG);
	assert_int_equal(cni_code_for_errno(-EIO), CNI_ERR_IO);
	assert_int_equal(cni_code_for_errno(-EPERM), CNI_ERR_INTERNAL);
	assert_int_equal(cni_code_for_errno(-EUCLEAN), CNI_ERR_INTERNAL);
}

static void test_version_result(void **state)
{
	json_t *r = cni_version_result("1.0.0"), *v;
	const char *want[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

	(void)state;
	assert_string_equal(str_at(r, "cniVersion"), "1.0.0");
	v = json_object_get(r, "supportedVersions");
	assert_int_equal(json_array_size(v), 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(json_string_value(json_array_get(v, i)), want[i]);
	json_decref(r);
	r = cni_version_result(NULL);
	assert_string_equal(str_at(r, "cniVersion"), "1.1.0");
	json_decref(r);
	assert_int_equal(cni_version_parse("0.3.1"), CNI_V_0_3_1);
	assert_int_equal(cni_version_parse("0.2.0"), CNI_V_NONE);
	assert_int_equal(cni_version_parse("1.0"), CNI_V_NONE);
	assert_int_equal(cni_version_parse(NULL), CNI_V_NONE);
}

/* CHECK: a prevResult as ADD gave it matches; each change to it is named */
static void test_compare(void **state)
{
	struct bpfnet_endpoint_info ep = endpoint(), other;
	char diff[1024];
	json_t *r;

	(void)state;
	r = result_for("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"subnet\":\"10.89.0.0/24\"}", &ep);
	diff[0] = '\0';
	assert_int_equal(cni_result_compare(r, &ep, NETNS, diff, sizeof(diff)), 0);
	assert_string_equal(diff, "");

	other = ep;
	inet_pton(AF_INET, "10.89.0.6", &other.ip.addr.v4);
	assert_int_equal(cni_result_compare(r, &other, NETNS, diff, sizeof(diff)), 1);
	assert_has(diff, "address 10.89.0.5/24, it has 10.89.0.6/24");

	other = ep;
	other.mac[5] = 0x51;
	diff[0] = '\0';
	assert_int_equal(cni_result_compare(r, &other, NETNS, diff, sizeof(diff)), 1);
	assert_has(diff, "eth0 in the container has MAC 02:00:00:00:00:51");

	other = ep;
	snprintf(other.host_ifname, sizeof(other.host_ifname), "bn9999-1");
	diff[0] = '\0';
	assert_int_equal(cni_result_compare(r, &other, NETNS, diff, sizeof(diff)), 1);
	assert_has(diff, "no host interface bn9999-1");

	diff[0] = '\0';
	assert_int_equal(cni_result_compare(r, &ep, "/run/netns/c2", diff, sizeof(diff)), 1);
	assert_has(diff, "no interface eth0 in /run/netns/c2");
	json_decref(r);
}

static void test_append(void **state)
{
	char buf[16] = "";

	(void)state;
	cni_append(buf, sizeof(buf), "a%d", 1);
	cni_append(buf, sizeof(buf), "b");
	assert_string_equal(buf, "a1; b");
	cni_append(buf, sizeof(buf), "0123456789");
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	cni_append(buf, sizeof(buf), "more");
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_per_version),
		cmocka_unit_test(test_result_internal),
		cmocka_unit_test(test_result_appends_prev),
		cmocka_unit_test(test_error_object),
		cmocka_unit_test(test_error_object_not_utf8),
		cmocka_unit_test(test_errno_codes),
		cmocka_unit_test(test_version_result),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_append),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
