// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet-cni's parsing of what the runtime gives it: the network config in
 * its forms (a standalone .conf; a conflist's plugin as libcni passes it,
 * podman's sorted keys and unknown keys included; ipam sections), every
 * refusal with its spec code and the key it names, runtimeConfig, CNI_ARGS
 * and the CNI_* environment.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "asserts.h"
#include "cni.h"

static int parse(const char *text, enum cni_config_need need, struct cni_config *cfg,
		 struct cni_error *e)
{
	memset(e, 0, sizeof(*e));
	return cni_config_parse(text, strlen(text), need, cfg, e);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_standalone_conf(void **state)
{
	struct cni_config cfg;
	struct cni_error e;

	(void)state;
	assert_int_equal(parse("{\"cniVersion\": \"0.4.0\", \"name\": \"n1\", \"type\": \"bpfnet-cni\","
			       " \"subnet\": \"10.89.0.0/24\"}", CNI_NEED_NETWORK, &cfg, &e), 0);
	assert_int_equal(cfg.version, CNI_V_0_4_0);
	assert_string_equal(cfg.name, "n1");
	assert_string_equal(cfg.net.name, "n1");
	assert_ip4_equal(cfg.net.subnet.addr.v4.s_addr, ip4("10.89.0.0"));
	assert_int_equal(cfg.net.subnet.len, 24);
	assert_int_equal(cfg.net.mode, BPFNET_NETWORK_L3);
	assert_false(cfg.gateway_given);
	assert_int_equal(cfg.net.gateway.family, AF_UNSPEC);
	assert_int_equal(cfg.net.masquerade, BPFNET_DEFAULT);
	assert_int_equal(cfg.n_uplinks, 0);
	assert_null(cfg.dns);
	assert_null(cfg.prev_result);
	assert_null(cfg.instance);
	cni_config_free(&cfg);
}

/* What podman 4.3 sends: keys sorted, name/cniVersion/runtimeConfig injected, ours kept */
static const char podman_add[] =
	"{\"capabilities\":{\"ips\":true,\"mac\":true,\"portMappings\":true},"
	"\"cniVersion\":\"1.0.0\",\"dns\":{\"nameservers\":[\"10.89.0.1\"],\"search\":[\"x\"]},"
	"\"gateway\":\"10.89.0.1\",\"gatewayMode\":\"routed\",\"instance\":\"pod\","
	"\"internal\":false,\"masquerade\":false,\"mode\":\"bridge\",\"mtu\":1400,\"name\":\"podnet\","
	"\"runDir\":\"/tmp/r\",\"bpffs\":\"/tmp/b\","
	"\"runtimeConfig\":{\"portMappings\":[{\"containerPort\":80,\"hostPort\":8080,"
	"\"protocol\":\"tcp\"},{\"containerPort\":53,\"hostIP\":\"127.0.0.1\",\"hostPort\":5353,"
	"\"protocol\":\"UDP\"},{\"containerPort\":80,\"hostIP\":\"::\",\"hostPort\":8080,"
	"\"protocol\":\"tcp\"}],\"ips\":[\"fd00::5/64\",\"10.89.0.5/24\"],"
	"\"mac\":\"02:00:00:00:00:50\"},"
	"\"subnet\":\"10.89.0.0/24\",\"type\":\"bpfnet-cni\",\"unknownKey\":{\"deep\":[1,2]},"
	"\"uplinks\":[\"eth0\",\"eth1\"]}";

static void test_conflist_plugin(void **state)
{
	struct cni_config cfg;
	struct cni_error e;

	(void)state;
	assert_int_equal(parse(podman_add, CNI_NEED_NETWORK, &cfg, &e), 0);
	assert_int_equal(cfg.version, CNI_V_1_0_0);
	assert_string_equal(cfg.name, "podnet");
	assert_int_equal(cfg.net.mode, BPFNET_NETWORK_BRIDGE);
	assert_true(cfg.gateway_given);
	assert_ip4_equal(cfg.net.gateway.v4.s_addr, ip4("10.89.0.1"));
	assert_int_equal(cfg.net.gateway_mode, BPFNET_GATEWAY_ROUTED);
	assert_int_equal(cfg.net.masquerade, BPFNET_NO);
	assert_true(cfg.internal_given);
	assert_false(cfg.net.internal);
	assert_int_equal(cfg.mtu, 1400);
	assert_int_equal(cfg.n_uplinks, 2);
	assert_string_equal(cfg.uplinks[1], "eth1");
	assert_string_equal(cfg.instance, "pod");
	assert_string_equal(cfg.run_dir, "/tmp/r");
	assert_string_equal(cfg.bpffs, "/tmp/b");
	assert_non_null(cfg.dns);
	/* the mapping of the IPv6 host address is skipped, as portmap does */
	assert_int_equal(cfg.n_ports, 2);
	assert_int_equal(cfg.ports[0].proto, BPFNET_PROTO_TCP);
	assert_int_equal(cfg.ports[0].host_port, 8080);
	assert_int_equal(cfg.ports[0].host_port_last, 8080);
	assert_int_equal(cfg.ports[0].container_port, 80);
	assert_int_equal(cfg.ports[0].host_addr.family, AF_UNSPEC);
	assert_int_equal(cfg.ports[1].proto, BPFNET_PROTO_UDP);
	assert_ip4_equal(cfg.ports[1].host_addr.v4.s_addr, ip4("127.0.0.1"));
	/* the IPv4 address of a dual-stack request */
	assert_ip4_equal(cfg.ip.addr.v4.s_addr, ip4("10.89.0.5"));
	assert_int_equal(cfg.ip.len, 24);
	assert_true(cfg.mac_given);
	assert_int_equal(cfg.mac[5], 0x50);
	cni_config_free(&cfg);
}

static void test_ipam_forms(void **state)
{
	static const char *const forms[] = {
		"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"ipam\":{\"type\":\"bpfnet\","
		"\"subnet\":\"10.7.0.0/16\",\"gateway\":\"10.7.0.254\"}}",
		"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"ipam\":{\"type\":\"host-local\","
		"\"ranges\":[[{\"subnet\":\"fd00::/64\"}],[{\"subnet\":\"10.7.0.0/16\","
		"\"gateway\":\"10.7.0.254\"}]]}}",
		/* both: they agree */
		"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"subnet\":\"10.7.0.0/16\",\"ipam\":"
		"{\"subnet\":\"10.7.0.0/16\",\"gateway\":\"10.7.0.254\"}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct cni_config cfg;
		struct cni_error e;

		unit_case("%.150s", forms[i]);
		assert_int_equal(parse(forms[i], CNI_NEED_NETWORK, &cfg, &e), 0);
		assert_ip4_equal(cfg.net.subnet.addr.v4.s_addr, ip4("10.7.0.0"));
		assert_int_equal(cfg.net.subnet.len, 16);
		assert_ip4_equal(cfg.net.gateway.v4.s_addr, ip4("10.7.0.254"));
		cni_config_free(&cfg);
	}
	unit_case_end();
}

struct refused {
	const char *body;	/* after "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"," (if not raw) */
	unsigned int code;
	const char *says;
	bool raw;
};

#define NET "\"subnet\":\"10.89.0.0/24\""
#define RC(x) NET ",\"runtimeConfig\":" x

static const struct refused refused[] = {
	{ "not json", CNI_ERR_DECODE, "not JSON", true },
	{ "[1, 2]", CNI_ERR_DECODE, "not a JSON object", true },
	{ "{\"name\":\"n\",\"a\":1,\"a\":2}", CNI_ERR_DECODE, "duplicate", true },
	{ "{\"name\":\"n\"," NET "}", CNI_ERR_VERSION, "no cniVersion", true },
	{ "{\"cniVersion\":\"9.9.9\",\"name\":\"n\"}", CNI_ERR_VERSION, "9.9.9", true },
	{ "{\"cniVersion\":\"0.2.0\",\"name\":\"n\"}", CNI_ERR_VERSION, "0.2.0", true },
	{ "{\"cniVersion\":1,\"name\":\"n\"}", CNI_ERR_CONFIG, "cniVersion must be a string", true },
	{ "{\"cniVersion\":\"1.0.0\"," NET "}", CNI_ERR_CONFIG, "no name", true },
	{ "{\"cniVersion\":\"1.0.0\",\"name\":\"a/b\"," NET "}", CNI_ERR_CONFIG, "name 'a/b'", true },
	{ "\"type\":\"bpfnet-cni\"", CNI_ERR_CONFIG, "no subnet", false },
	{ "\"subnet\":\"10.89.0.0/33\"", CNI_ERR_CONFIG, "subnet '10.89.0.0/33'", false },
	{ "\"subnet\":\"10.89.0.5/24\"", CNI_ERR_CONFIG, "did you mean 10.89.0.0/24", false },
	{ "\"subnet\":\"fd00::/64\"", CNI_ERR_UNSUPPORTED_FIELD, "IPv6", false },
	{ "\"subnet\":24", CNI_ERR_CONFIG, "subnet must be a string", false },
	{ NET ",\"gateway\":\"10.90.0.1\"", CNI_ERR_CONFIG, "gateway 10.90.0.1 is not", false },
	{ NET ",\"gateway\":\"10.89.0.255\"", CNI_ERR_CONFIG, "gateway 10.89.0.255", false },
	{ NET ",\"gateway\":\"nope\"", CNI_ERR_CONFIG, "gateway 'nope'", false },
	{ NET ",\"mtu\":\"big\"", CNI_ERR_CONFIG, "mtu must be an integer", false },
	{ NET ",\"mtu\":10", CNI_ERR_CONFIG, "mtu must be an integer from 68", false },
	{ NET ",\"mode\":\"macvlan\"", CNI_ERR_UNSUPPORTED_FIELD, "mode 'macvlan'", false },
	{ NET ",\"gatewayMode\":\"open\"", CNI_ERR_CONFIG, "gatewayMode 'open'", false },
	{ NET ",\"masquerade\":\"yes\"", CNI_ERR_CONFIG, "masquerade must be true or false", false },
	{ NET ",\"uplinks\":\"eth0\"", CNI_ERR_CONFIG, "uplinks must be a list", false },
	{ NET ",\"uplinks\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]", CNI_ERR_CONFIG,
	  "at most 8", false },
	{ NET ",\"uplinks\":[\"bad/dev\"]", CNI_ERR_CONFIG, "uplinks[0]", false },
	{ NET ",\"dns\":\"8.8.8.8\"", CNI_ERR_CONFIG, "dns must be an object", false },
	{ NET ",\"ipam\":{\"type\":\"dhcp\"}", CNI_ERR_UNSUPPORTED_FIELD, "ipam.type 'dhcp'", false },
	{ NET ",\"ipam\":{\"subnet\":\"10.1.0.0/24\"}", CNI_ERR_CONFIG, "differ", false },
	{ "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"},{\"subnet\":\"10.2.0.0/24\"}]]}",
	  CNI_ERR_UNSUPPORTED_FIELD, "more than one IPv4 subnet", false },
	{ "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd00::/64\"}]]}", CNI_ERR_CONFIG, "no IPv4 subnet", false },
	{ NET ",\"prevResult\":[]", CNI_ERR_CONFIG, "prevResult must be an object", false },
	{ RC("[]"), CNI_ERR_CONFIG, "runtimeConfig must be an object", false },
	{ RC("{\"portMappings\":[{\"hostPort\":0,\"containerPort\":80}]}"), CNI_ERR_CONFIG,
	  "portMappings[0].hostPort", false },
	{ RC("{\"portMappings\":[{\"hostPort\":80}]}"), CNI_ERR_CONFIG, "needs hostPort and "
	  "containerPort", false },
	{ RC("{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,\"protocol\":\"sctp\"}]}"),
	  CNI_ERR_CONFIG, "protocol 'sctp'", false },
	{ RC("{\"portMappings\":[{\"hostPort\":80,\"containerPort\":70000}]}"), CNI_ERR_CONFIG,
	  "containerPort", false },
	{ RC("{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,\"hostIP\":\"x\"}]}"),
	  CNI_ERR_CONFIG, "hostIP 'x'", false },
	{ RC("{\"ips\":[\"fd00::5/64\"]}"), CNI_ERR_UNSUPPORTED_FIELD, "IPv6", false },
	{ RC("{\"ips\":[\"10.89.0.5\",\"10.89.0.6\"]}"), CNI_ERR_CONFIG, "more than one IPv4", false },
	{ RC("{\"ips\":[\"ten\"]}"), CNI_ERR_CONFIG, "'ten' is not an address", false },
	{ RC("{\"ips\":\"10.89.0.5\"}"), CNI_ERR_CONFIG, "ips must be a list", false },
	{ RC("{\"mac\":\"zz:zz\"}"), CNI_ERR_CONFIG, "mac 'zz:zz'", false },
	{ RC("{\"mac\":\"01:00:5e:00:00:0g\"}"), CNI_ERR_CONFIG, "not a MAC", false },
	{ NET ",\"cni.dev/valid-attachments\":{}", CNI_ERR_CONFIG, "valid-attachments must be", false },
	{ NET ",\"cni.dev/valid-attachments\":[{\"ifname\":\"eth0\"}]", CNI_ERR_CONFIG,
	  "valid-attachments[0]", false },
};

static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const struct refused *r = &refused[i];
		struct cni_config cfg;
		struct cni_error e;
		char text[1024];

		if (r->raw)
			snprintf(text, sizeof(text), "%s", r->body);
		else
			snprintf(text, sizeof(text), "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",%s}",
				 r->body);
		unit_case("%.150s", text);
		assert_int_equal(parse(text, CNI_NEED_NETWORK, &cfg, &e), -1);
		assert_int_equal(e.code, r->code);
		assert_has(e.details, r->says);
		assert_true(e.msg[0] != '\0');
		cni_config_free(&cfg);
	}
	unit_case_end();
}

/* DEL and GC read the name only: a DEL after an ADD refused for its subnet still works */
static void test_del_reads_the_name_only(void **state)
{
	struct cni_config cfg;
	struct cni_error e;

	(void)state;
	assert_int_equal(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"subnet\":\"bad\","
			       "\"cni.dev/attachments\":[{\"containerID\":\"c1\",\"ifname\":"
			       "\"eth0\"}]}", CNI_NEED_NAME, &cfg, &e), 0);
	assert_string_equal(cfg.name, "n");
	/* libcni's older key for the GC list is read too */
	assert_true(cfg.valid_given);
	assert_int_equal(cfg.n_valid, 1);
	assert_string_equal(cfg.valid[0].container_id, "c1");
	assert_string_equal(cfg.valid[0].ifname, "eth0");
	cni_config_free(&cfg);
}

/* ---- CNI_ARGS and the requests against the subnet ---------------------------------- */

static void test_cni_args(void **state)
{
	struct cni_args a;
	struct cni_error e;

	(void)state;
	assert_int_equal(cni_args_parse("IgnoreUnknown=1;K8S_POD_NAME=web1;K8S_POD_NAMESPACE=x;"
					"IP=10.89.0.5;MAC=02:00:00:00:00:50;FOO=a=b;", &a, &e), 0);
	assert_string_equal(a.pod_name, "web1");
	assert_string_equal(a.ip, "10.89.0.5");
	assert_string_equal(a.mac, "02:00:00:00:00:50");
	assert_int_equal(cni_args_parse("", &a, &e), 0);
	assert_string_equal(a.pod_name, "");
	assert_int_equal(cni_args_parse(NULL, &a, &e), 0);
	assert_int_equal(cni_args_parse("K8S_POD_NAME=;IP=", &a, &e), 0);
	assert_string_equal(a.pod_name, "");
	assert_int_equal(cni_args_parse("IgnoreUnknown=1;novalue", &a, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
	assert_has(e.details, "'novalue'");
	assert_int_equal(cni_args_parse("=x", &a, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
}

struct request {
	const char *rc_ips;	/* runtimeConfig.ips JSON, or NULL */
	const char *arg_ip;	/* CNI_ARGS IP=, or "" */
	const char *arg_mac;
	int ret;
	const char *addr;	/* the address taken, or what the error says */
};

static const struct request requests[] = {
	{ NULL, "10.89.0.5", "", 0, "10.89.0.5" },
	{ NULL, "10.89.0.5/24", "", 0, "10.89.0.5" },
	{ NULL, "fd00::5,10.89.0.6", "", 0, "10.89.0.6" },
	{ "[\"10.89.0.7\"]", "", "", 0, "10.89.0.7" },
	{ "[\"10.89.0.7/24\"]", "10.89.0.7", "02:00:00:00:00:01", 0, "10.89.0.7" },
	{ "[\"10.89.0.7\"]", "10.89.0.8", "", -1, "ask for different addresses" },
	{ NULL, "10.90.0.5", "", -1, "not in subnet 10.89.0.0/24" },
	{ NULL, "10.89.0.5/16", "", -1, "another prefix length" },
	{ NULL, "10.89.0.0", "", -1, "network or broadcast" },
	{ NULL, "10.89.0.255", "", -1, "network or broadcast" },
	{ NULL, "fd00::5", "", -1, "IPv6" },
	{ NULL, "x", "", -1, "'x' is not an address" },
	{ NULL, "", "zz", -1, "MAC=zz" },
};

static void test_requests(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		const struct request *r = &requests[i];
		struct cni_args args = { 0 };
		struct cni_config cfg;
		struct cni_error e;
		char text[512];

		snprintf(text, sizeof(text), "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"," NET
			 ",\"runtimeConfig\":{\"ips\":%s}}", r->rc_ips ? r->rc_ips : "[]");
		snprintf(args.ip, sizeof(args.ip), "%s", r->arg_ip);
		snprintf(args.mac, sizeof(args.mac), "%s", r->arg_mac);
		unit_case("ips %s, IP=%s, MAC=%s", r->rc_ips, r->arg_ip, r->arg_mac);
		assert_int_equal(parse(text, CNI_NEED_NETWORK, &cfg, &e), 0);
		assert_int_equal(cni_config_apply_args(&cfg, &args, &e), r->ret);
		if (r->ret)
			assert_has(e.details, r->addr);
		else
			assert_ip4_equal(cfg.ip.addr.v4.s_addr, ip4(r->addr));
		if (!r->ret && r->arg_mac[0])
			assert_true(cfg.mac_given);
		cni_config_free(&cfg);
	}
	unit_case_end();
}

static void test_match_network(void **state)
{
	struct bpfnet_network_info have = { .sz = sizeof(have), .mode = BPFNET_NETWORK_L3 };
	struct cni_config cfg;
	struct cni_error e;

	(void)state;
	assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"," NET ",\"mode\":\"bridge\"}",
			       CNI_NEED_NETWORK, &cfg, &e), 0);
	have.subnet = cfg.net.subnet;
	assert_int_equal(cni_config_match_network(&cfg, &have, &e), -1);
	assert_int_equal(e.code, CNI_ERR_CONFIG);
	assert_has(e.details, "mode l3, the config says bridge");
	have.mode = BPFNET_NETWORK_BRIDGE;
	assert_int_equal(cni_config_match_network(&cfg, &have, &e), 0);
	have.subnet.len = 16;
	assert_int_equal(cni_config_match_network(&cfg, &have, &e), -1);
	assert_has(e.details, "subnet 10.89.0.0/16, the config says 10.89.0.0/24");
	cni_config_free(&cfg);
}

/* ---- the environment --------------------------------------------------------- */

static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
	for (size_t i = 0; fake_env[i]; i += 2)
		if (!strcmp(fake_env[i], name))
			return fake_env[i + 1];
	return NULL;
}

struct env_case {
	const char *env[12];
	int ret;
	const char *says;
};

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct env_case env_cases[] = {
	{ { "CNI_COMMAND", "ADD", "CNI_CONTAINERID", CID, "CNI_NETNS", "/run/netns/x", "CNI_IFNAME",
	    "eth0", "CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAME=w" }, 0, NULL },
	/* podman's VERSION environment */
	{ { "CNI_COMMAND", "VERSION", "CNI_CONTAINERID", "", "CNI_NETNS", "dummy", "CNI_IFNAME",
	    "dummy" }, 0, NULL },
	{ { "CNI_COMMAND", "GC" }, 0, NULL },
	{ { "CNI_COMMAND", "STATUS" }, 0, NULL },
	{ { "CNI_COMMAND", "DEL", "CNI_CONTAINERID", CID, "CNI_IFNAME", "eth0" }, 0, NULL },
	{ { "CNI_COMMAND", "DEL", "CNI_CONTAINERID", CID, "CNI_NETNS", "", "CNI_IFNAME", "eth0" },
	  0, NULL },
	{ { NULL }, -1, "CNI_COMMAND" },
	{ { "CNI_COMMAND", "" }, -1, "CNI_COMMAND" },
	{ { "CNI_COMMAND", "FROB" }, -1, "CNI_COMMAND 'FROB'" },
	{ { "CNI_COMMAND", "add" }, -1, "CNI_COMMAND 'add'" },
	{ { "CNI_COMMAND", "ADD", "CNI_CONTAINERID", "", "CNI_NETNS", "/x", "CNI_IFNAME", "eth0" },
	  -1, "CNI_CONTAINERID" },
	{ { "CNI_COMMAND", "ADD", "CNI_CONTAINERID", "bad/id", "CNI_NETNS", "/x", "CNI_IFNAME",
	    "eth0" }, -1, "CNI_CONTAINERID 'bad/id'" },
	{ { "CNI_COMMAND", "ADD", "CNI_CONTAINERID", "-x", "CNI_NETNS", "/x", "CNI_IFNAME",
	    "eth0" }, -1, "CNI_CONTAINERID '-x'" },
	{ { "CNI_COMMAND", "ADD", "CNI_CONTAINERID", CID, "CNI_NETNS", "", "CNI_IFNAME", "eth0" },
	  -1, "CNI_NETNS" },
	{ { "CNI_COMMAND", "CHECK", "CNI_CONTAINERID", CID, "CNI_IFNAME", "eth0" }, -1, "CNI_NETNS" },
	{ { "CNI_COMMAND", "ADD", "CNI_CONTAINERID", CID, "CNI_NETNS", "/x", "CNI_IFNAME",
	    "sixteen-chars-xx" }, -1, "CNI_IFNAME 'sixteen-chars-xx'" },
	{ { "CNI_COMMAND", "DEL", "CNI_CONTAINERID", CID, "CNI_IFNAME", "a/b" }, -1, "CNI_IFNAME" },
	{ { "CNI_COMMAND", "DEL", "CNI_CONTAINERID", CID }, -1, "CNI_IFNAME" },
	{ { "CNI_COMMAND", "DEL", "CNI_CONTAINERID", CID, "CNI_IFNAME", "eth0", "CNI_ARGS", "x" },
	  -1, "CNI_ARGS" },
	/* the result names CNI_NETNS and CNI_IFNAME in JSON, which holds UTF-8 only (fuzz_cni) */
	{ { "CNI_COMMAND", "ADD", "CNI_CONTAINERID", CID, "CNI_NETNS", "/run/netns/\xff",
	    "CNI_IFNAME", "eth0" }, -1, "is not UTF-8" },
	{ { "CNI_COMMAND", "ADD", "CNI_CONTAINERID", CID, "CNI_NETNS", "/run/netns/x",
	    "CNI_IFNAME", "eth\xc3" }, -1, "CNI_IFNAME" },
	{ { "CNI_COMMAND", "ADD", "CNI_CONTAINERID", CID, "CNI_NETNS", "/run/netns/\xc3\xa9t\xc3\xa9",
	    "CNI_IFNAME", "\xc3\xa9th0" }, 0, NULL },
};

static void test_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_cases) / sizeof(env_cases[0]); i++) {
		const struct env_case *c = &env_cases[i];
		struct cni_env env;
		struct cni_error e = { 0 };

		fake_env = c->env;
		unit_case("env case %zu (%s)", i, c->env[0] ? c->env[1] : "none");
		assert_int_equal(cni_env_load(&env, fake_getenv, &e), c->ret);
		if (c->ret) {
			assert_int_equal(e.code, CNI_ERR_ENV);
			assert_has(e.details, c->says);
		}
	}
	unit_case_end();
	fake_env = env_cases[0].env;
	{
		struct cni_env env;
		struct cni_error e;

		assert_int_equal(cni_env_load(&env, fake_getenv, &e), 0);
		assert_int_equal(env.command, CNI_CMD_ADD);
		assert_string_equal(env.container_id, CID);
		assert_string_equal(env.args.pod_name, "w");
	}
}

static void test_names(void **state)
{
	char id127[128];

	(void)state;
	memset(id127, 'a', 127);
	id127[127] = '\0';
	assert_true(cni_container_id_valid(CID));
	assert_true(cni_container_id_valid("a.b_c-d"));
	assert_true(cni_container_id_valid(id127));
	id127[0] = '_';
	assert_false(cni_container_id_valid(id127));
	assert_false(cni_container_id_valid(""));
	assert_true(cni_ifname_valid("eth0"));
	assert_true(cni_ifname_valid("fifteen-chars-x"));
	assert_false(cni_ifname_valid("sixteen-chars-xx"));
	assert_false(cni_ifname_valid(".."));
	assert_false(cni_ifname_valid("a b"));
	assert_false(cni_ifname_valid("a:1"));
	/* UTF-8, as the result's JSON holds it: no stray byte, overlong form or surrogate */
	assert_true(cni_ifname_valid("\xc3\xa9th0"));
	assert_false(cni_ifname_valid("eth\xff"));
	assert_false(cni_ifname_valid("\xc0\xafx"));
	assert_false(cni_ifname_valid("\xed\xa0\x80"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standalone_conf),
		cmocka_unit_test(test_conflist_plugin),
		cmocka_unit_test(test_ipam_forms),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_del_reads_the_name_only),
		cmocka_unit_test(test_cni_args),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_match_network),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
