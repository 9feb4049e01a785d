// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The public API's contract (include/bpfnet/bpfnet.h): options and results
 * sized by sz the libbpf way, IPv6 taken and refused in words, enum names
 * that parse back, addresses, the version, the print callbacks left alone,
 * and why bpfnet__open() failed, per thread.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "asserts.h"
#include "addrs.h"
#include "run_dir_fixture.h"

#define offsetofend(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* An options struct of a newer header: ours, and fields this library does not know. */
struct newer_opts {
	struct bpfnet_opts o;
	unsigned long future[2];
};

static void test_open_sz(void **state)
{
	struct newer_opts big = { .o = { .sz = sizeof(big), .instance = "newer" } };
	struct bpfnet_opts o = { .instance = "older", .bpffs = "/nonexistent" };
	struct bpfnet *bn;

	(void)state;
	unsetenv("BPFNET_BPFFS");
	/* older: up to instance; bpffs lies past its sz and is not read (else -ENOENT) */
	o.sz = offsetofend(struct bpfnet_opts, instance);
	assert_int_equal(bpfnet__open(&o, &bn), 0);
	assert_string_equal(bpfnet__instance(bn), "older");
	bpfnet__close(bn);
	/* the oldest: nothing but sz, every default */
	o.sz = sizeof(size_t);
	assert_int_equal(bpfnet__open(&o, &bn), 0);
	assert_string_equal(bpfnet__instance(bn), "default");
	bpfnet__close(bn);
	/* the whole struct: bpffs is read */
	o.sz = sizeof(o);
	assert_int_equal(bpfnet__open(&o, &bn), -ENOENT);
	assert_has(bpfnet__errmsg(NULL), "/nonexistent");
	/* garbage: smaller than sz itself */
	o.sz = 3;
	assert_int_equal(bpfnet__open(&o, &bn), -EINVAL);
	assert_has(bpfnet__errmsg(NULL), "bad sz 3");
	o.sz = 0;
	assert_int_equal(bpfnet__open(&o, &bn), -EINVAL);
	/* newer, its unknown tail zero: fine */
	assert_int_equal(bpfnet__open(&big.o, &bn), 0);
	assert_string_equal(bpfnet__instance(bn), "newer");
	bpfnet__close(bn);
	/* newer, asking for something this library cannot do */
	big.future[1] = 1;
	assert_int_equal(bpfnet__open(&big.o, &bn), -EINVAL);
	assert_has(bpfnet__errmsg(NULL), "must be zero");
	assert_int_equal(bpfnet__open(NULL, NULL), -EINVAL);
}

/* bpfnet__open() says why it failed, to the thread that called it. */
static void *open_bad_instance(void *arg)
{
	struct bpfnet_opts o = { .sz = sizeof(o), .instance = "b a d" };
	struct bpfnet *bn;

	*(int *)arg = bpfnet__open(&o, &bn);
	return strstr(bpfnet__errmsg(NULL), "'b a d'") ? arg : NULL;
}

static void test_open_errmsg(void **state)
{
	struct bpfnet_opts o = { .sz = sizeof(o), .instance = "" };
	struct bpfnet *bn;
	pthread_t t;
	void *seen;
	int err;

	(void)state;
	assert_int_equal(bpfnet__open(&o, &bn), -EINVAL);
	assert_has(bpfnet__errmsg(NULL), "invalid instance name ''");
	assert_int_equal(pthread_create(&t, NULL, open_bad_instance, &err), 0);
	assert_int_equal(pthread_join(t, &seen), 0);
	assert_int_equal(err, -EINVAL);
	assert_ptr_equal(seen, &err);
	/* the other thread's failure left this one's words alone */
	assert_has(bpfnet__errmsg(NULL), "invalid instance name ''");
}

static int our_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

/* libbpf's print callback is the process's: the library takes it only when asked. */
static void test_libbpf_print_left_alone(void **state)
{
	struct bpfnet_opts o = { .sz = sizeof(o), .instance = "p", .run_dir = "/nonexistent" };
	bpfnet_print_fn ours = bpfnet_set_print(NULL, 0);
	libbpf_print_fn_t routed;
	struct bpfnet *bn;

	(void)state;
	libbpf_set_print(our_libbpf_print);
	assert_int_equal(bpfnet__open(&o, &bn), 0);
	bpfnet__close(bn);
	assert_ptr_equal(libbpf_set_print(our_libbpf_print), our_libbpf_print);
	/* asked: libbpf's messages come to the library's callback */
	bpfnet_set_print(ours, BPFNET_PRINT_LIBBPF);
	routed = libbpf_set_print(our_libbpf_print);
	assert_ptr_not_equal(routed, our_libbpf_print);
	libbpf_set_print(routed);
	/* asked no more: the callback from before is back */
	assert_ptr_equal(bpfnet_set_print(ours, 0), ours);
	assert_ptr_equal(libbpf_set_print(NULL), our_libbpf_print);
}

static void test_version(void **state)
{
	(void)state;
	assert_string_equal(bpfnet_version(), BPFNET_VERSION_STRING);
	assert_string_equal(BPFNET_VERSION_STRING, "0.6.0");
	assert_cmp(BPFNET_VERSION_CODE, >=, BPFNET_VERSION(0, 6, 0));
	assert_cmp(BPFNET_VERSION_CODE, <, BPFNET_VERSION(0, 7, 0));
}

/* Every name parses back to its value; unknown values and names are told apart. */
#define ROUND_TRIP(type, prefix, first, last)						\
	do {										\
		for (int v = (first); v <= (last); v++) {				\
			enum type got;							\
			const char *name = prefix##_str((enum type)v);			\
											\
			if (!strcmp(name, "?"))						\
				continue;						\
			assert_int_equal(prefix##_parse(name, &got), 0);		\
			assert_int_equal(got, v);					\
			seen++;								\
		}									\
	} while (0)

static void test_enum_names(void **state)
{
	enum bpfnet_network_mode mode;
	enum bpfnet_gateway_mode gw;
	enum bpfnet_proto proto;
	enum bpfnet_flow_state fs;
	enum bpfnet_flow_kind kind;
	int seen = 0;

	(void)state;
	ROUND_TRIP(bpfnet_network_mode, bpfnet_network_mode, 0, 7);
	assert_int_equal(seen, 3);
	ROUND_TRIP(bpfnet_gateway_mode, bpfnet_gateway_mode, 0, 7);
	assert_int_equal(seen, 6);
	ROUND_TRIP(bpfnet_proto, bpfnet_proto, 0, 255);
	assert_int_equal(seen, 9);
	ROUND_TRIP(bpfnet_flow_state, bpfnet_flow_state, 0, 15);
	assert_int_equal(seen, 15);
	ROUND_TRIP(bpfnet_flow_kind, bpfnet_flow_kind, 0, 15);
	assert_int_equal(seen, 19);
	/* the names the CLI and its JSON have always shown */
	assert_string_equal(bpfnet_network_mode_str(BPFNET_NETWORK_BRIDGE), "bridge");
	assert_string_equal(bpfnet_gateway_mode_str(BPFNET_GATEWAY_NAT_UNPROTECTED),
			    "nat-unprotected");
	assert_string_equal(bpfnet_proto_str(BPFNET_PROTO_UDP), "udp");
	assert_int_equal(BPFNET_PROTO_TCP, IPPROTO_TCP);
	assert_string_equal(bpfnet_flow_state_str(BPFNET_FLOW_SYN_SENT), "syn_sent");
	assert_string_equal(bpfnet_flow_kind_str(BPFNET_FLOW_KIND_MASQUERADE), "masquerade");
	assert_string_equal(bpfnet_network_mode_str((enum bpfnet_network_mode)42), "?");
	/* refused names, with the allowed ones */
	assert_int_equal(bpfnet_network_mode_parse("l2", &mode), -EINVAL);
	assert_string_equal(bpfnet__errmsg(NULL),
			    "unknown mode 'l2': allowed: l3, bridge, macvlan");
	assert_int_equal(bpfnet_gateway_mode_parse("NAT", &gw), -EINVAL);
	assert_int_equal(bpfnet_proto_parse("sctp", &proto), -EINVAL);
	assert_has(bpfnet__errmsg(NULL), "allowed: tcp, udp, icmp");
	assert_int_equal(bpfnet_flow_state_parse("?", &fs), -EINVAL);
	assert_int_equal(bpfnet_flow_kind_parse("", &kind), -EINVAL);
	assert_int_equal(bpfnet_flow_kind_parse(NULL, &kind), -EINVAL);
}

static void test_addresses(void **state)
{
	struct bpfnet_addr a = {};
	struct bpfnet_prefix p;
	char buf[BPFNET_PREFIXSTRLEN];

	(void)state;
	a = A("10.1.0.5");
	assert_int_equal(a.family, AF_INET);
	assert_ip4_equal(a.v4.s_addr, inet_addr("10.1.0.5"));
	assert_string_equal(bpfnet_addr_str(&a, buf, sizeof(buf)), "10.1.0.5");
	a = A("fd00::5");
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(bpfnet_addr_str(&a, buf, sizeof(buf)), "fd00::5");
	memset(&a, 0, sizeof(a));
	assert_string_equal(bpfnet_addr_str(&a, buf, sizeof(buf)), "");
	p = P("10.1.0.0/24");
	assert_int_equal(p.len, 24);
	assert_string_equal(bpfnet_prefix_str(&p, buf, sizeof(buf)), "10.1.0.0/24");
	p = P("fd00::/64");
	assert_string_equal(bpfnet_prefix_str(&p, buf, sizeof(buf)), "fd00::/64");
	assert_int_equal(bpfnet_addr_parse("10.1.0", &a), -EINVAL);
	assert_has(bpfnet__errmsg(NULL), "'10.1.0'");
	assert_int_equal(bpfnet_addr_parse("10.1.0.5/24", &a), -EINVAL);
	assert_int_equal(bpfnet_prefix_parse("10.1.0.0", &p), -EINVAL);
	assert_int_equal(bpfnet_prefix_parse("10.1.0.0/33", &p), -EINVAL);
	assert_int_equal(bpfnet_prefix_parse("10.1.0.0/-1", &p), -EINVAL);
	assert_int_equal(bpfnet_prefix_parse("fd00::/129", &p), -EINVAL);
	assert_int_equal(bpfnet_prefix_parse("10.1.0.0/24x", &p), -EINVAL);
	assert_has(bpfnet__errmsg(NULL), "'10.1.0.0/24x'");
}

/* IPv6 values are taken by the API and refused, in words, before anything changes. */
static void test_ipv6_refused(void **state)
{
	struct fixture *f = *state;
	struct bpfnet_network_opts o = { .sz = sizeof(o), .name = "n6", .subnet = P("fd00::/64") };
	struct bpfnet_endpoint_opts e = { .sz = sizeof(e), .network = "n4", .netns = "x",
					  .ip = A("fd00::5") };
	struct bpfnet_port_mapping m;
	struct bpfnet_network_info *list;
	size_t n;

	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EAFNOSUPPORT);
	assert_has(bpfnet__errmsg(f->bn), "subnet fd00::: IPv6 is not supported yet");
	o.subnet = P("10.4.0.0/24");
	o.gateway = A("fd00::1");
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EAFNOSUPPORT);
	assert_has(bpfnet__errmsg(f->bn), "gateway fd00::1: IPv6 is not supported");
	assert_int_equal(bpfnet_network__list(f->bn, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);
	assert_int_equal(bpfnet_endpoint__add(f->bn, &e, NULL), -EAFNOSUPPORT);
	assert_has(bpfnet__errmsg(f->bn), "fd00::5: IPv6 is not supported yet");
	assert_int_equal(bpfnet_port_spec_parse("[::1]:8080:80", &m), 0);
	assert_int_equal(bpfnet_port__add(f->bn, "c1", &m, 1), -EAFNOSUPPORT);
	assert_has(bpfnet__errmsg(f->bn), "::1: IPv6 is not supported yet");
	assert_int_equal(bpfnet_port__remove(f->bn, "c1", &m, 1), -EAFNOSUPPORT);
}

/* Network options and results sized by sz: older, newer, garbage. */
static void test_network_sz(void **state)
{
	struct fixture *f = *state;
	struct {
		struct bpfnet_network_opts o;
		unsigned long future;
	} big = { .o = { .sz = sizeof(big), .name = "n1", .subnet = P("10.1.0.0/24") } };
	struct bpfnet_network_info info, *old = calloc(1, sizeof(*old) + 8);
	size_t old_sz = offsetofend(struct bpfnet_network_info, id);

	assert_non_null(old);
	big.future = 1;
	assert_int_equal(bpfnet_network__create(f->bn, &big.o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "bad sz");
	big.o.sz = 2;
	assert_int_equal(bpfnet_network__create(f->bn, &big.o, NULL), -EINVAL);
	/* a result struct with no sz set is refused before anything is done */
	memset(&info, 0, sizeof(info));
	big.o.sz = sizeof(big.o);
	assert_int_equal(bpfnet_network__create(f->bn, &big.o, &info), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "sizeof(struct bpfnet_network_info)");
	assert_int_equal(bpfnet_network__get(f->bn, "n1", &info), -EINVAL);
	/* newer, its tail zero */
	big.future = 0;
	big.o.sz = sizeof(big);
	info.sz = sizeof(info);
	assert_int_equal(bpfnet_network__create(f->bn, &big.o, &info), 0);
	assert_int_equal(info.subnet.len, 24);
	/* an older result struct: filled as far as its sz, not a byte further */
	memset(old, 0xaa, sizeof(*old) + 8);
	old->sz = old_sz;
	assert_int_equal(bpfnet_network__get(f->bn, "n1", old), 0);
	assert_string_equal(old->name, "n1");
	assert_int_equal(old->id, 1);
	for (size_t i = old_sz; i < sizeof(*old) + 8; i++)
		assert_int_equal(((unsigned char *)old)[i], 0xaa);
	assert_int_equal(old->sz, old_sz);
	free(old);
	/* an older options struct: masquerade and what follows default */
	big.o.sz = offsetof(struct bpfnet_network_opts, masquerade);
	big.o.name = "n2";
	big.o.subnet = P("10.2.0.0/24");
	big.o.masquerade = BPFNET_NO;
	assert_int_equal(bpfnet_network__create(f->bn, &big.o, &info), 0);
	assert_true(info.masquerade);
}

/* masquerade: zero is on; off asked for; routed and internal networks cannot have it. */
static void test_masquerade(void **state)
{
	struct fixture *f = *state;
	struct bpfnet_network_opts o = { .sz = sizeof(o), .name = "m1", .subnet = P("10.1.0.0/24") };
	struct bpfnet_network_info info = { .sz = sizeof(info) };

	assert_int_equal(bpfnet_network__create(f->bn, &o, &info), 0);
	assert_true(info.masquerade);
	o.name = "m2";
	o.subnet = P("10.2.0.0/24");
	o.masquerade = BPFNET_NO;
	assert_int_equal(bpfnet_network__create(f->bn, &o, &info), 0);
	assert_false(info.masquerade);
	o.name = "m3";
	o.subnet = P("10.3.0.0/24");
	o.masquerade = BPFNET_YES;
	o.gateway_mode = BPFNET_GATEWAY_ROUTED;
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "a routed network has none");
	o.masquerade = BPFNET_DEFAULT;
	assert_int_equal(bpfnet_network__create(f->bn, &o, &info), 0);
	assert_false(info.masquerade);
	o.name = "m4";
	o.subnet = P("10.4.0.0/24");
	o.gateway_mode = BPFNET_GATEWAY_NAT;
	o.mode = BPFNET_NETWORK_BRIDGE;
	o.internal = true;
	o.masquerade = BPFNET_YES;
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
	assert_has(bpfnet__errmsg(f->bn), "an internal network has none");
	o.masquerade = (enum bpfnet_tristate)3;
	o.internal = false;
	assert_int_equal(bpfnet_network__create(f->bn, &o, NULL), -EINVAL);
}

/* The other options structs: garbage sz refused, a NULL check opts means the defaults. */
static void test_other_opts(void **state)
{
	struct fixture *f = *state;
	struct bpfnet_endpoint_opts e = { .sz = 1, .network = "n1", .netns = "x" };
	struct bpfnet_check_opts c = { .sz = 5 };
	struct bpfnet_check_issue *issues;
	struct bpfnet_node_info node = { .sz = 0 };
	size_t n;

	assert_int_equal(bpfnet_endpoint__add(f->bn, &e, NULL), -EINVAL);
	/* an endpoint opts from before netns existed cannot name one */
	e.sz = offsetofend(struct bpfnet_endpoint_opts, network);
	assert_int_equal(bpfnet_endpoint__add(f->bn, &e, NULL), -EINVAL);
	assert_int_equal(bpfnet_node__check(f->bn, &c, &issues, &n), -EINVAL);
	assert_int_equal(bpfnet_node__info(f->bn, &node), -EINVAL);
	node.sz = sizeof(node);
	assert_int_equal(bpfnet_node__info(f->bn, &node), 0);
	assert_false(node.initialized);
}

/* A stats struct never filled (zeroed, sz 0) or refused by get is freed without a fault. */
static void test_stats_free_unfilled(void **state)
{
	struct fixture *f = *state;
	struct bpfnet_stats zeroed = { 0 }, s = { .sz = 3 };

	bpfnet_stats__free(NULL);
	bpfnet_stats__free(&zeroed);
	assert_int_equal(bpfnet_stats__get(f->bn, &s), -EINVAL);
	bpfnet_stats__free(&s);
	assert_null(s.endpoints);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_sz),
		cmocka_unit_test(test_open_errmsg),
		cmocka_unit_test(test_libbpf_print_left_alone),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_enum_names),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test_setup_teardown(test_ipv6_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_network_sz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masquerade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_opts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_free_unfilled, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
