// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Docker's -p syntax, parsed by portspec_parse() directly: every form bpfnet
 * accepts, what it makes of each and how it prints it back, and every form
 * refused with the words that say why. The public bpfnet_port_spec_parse()
 * is the same parser with its message for bpfnet__errmsg(NULL).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "asserts.h"
#include "model/portspec.h"

struct accepted {
	const char *spec;
	int family;			/* of the host address: AF_UNSPEC when none is given */
	const char *host;		/* its text, "" for none */
	int proto;
	unsigned int hf, hl, cf, cl;	/* host and container ranges */
	const char *printed;		/* portspec_format() of the result */
};

static const struct accepted accepted[] = {
	{ "80:8080", AF_UNSPEC, "", IPPROTO_TCP, 80, 80, 8080, 8080, "80:8080/tcp" },
	{ "8080:80/tcp", AF_UNSPEC, "", IPPROTO_TCP, 8080, 8080, 80, 80, "8080:80/tcp" },
	{ "53:53/udp", AF_UNSPEC, "", IPPROTO_UDP, 53, 53, 53, 53, "53:53/udp" },
	{ "1:65535", AF_UNSPEC, "", IPPROTO_TCP, 1, 1, 65535, 65535, "1:65535/tcp" },
	{ "65535:1/udp", AF_UNSPEC, "", IPPROTO_UDP, 65535, 65535, 1, 1, "65535:1/udp" },
	{ "127.0.0.1:8080:80", AF_INET, "127.0.0.1", IPPROTO_TCP, 8080, 8080, 80, 80,
	  "127.0.0.1:8080:80/tcp" },
	/* the any address: every node address, as with none (and printed so) */
	{ "0.0.0.0:8080:80", AF_INET, "0.0.0.0", IPPROTO_TCP, 8080, 8080, 80, 80,
	  "8080:80/tcp" },
	{ "192.168.1.10:53:5353/udp", AF_INET, "192.168.1.10", IPPROTO_UDP, 53, 53, 5353, 5353,
	  "192.168.1.10:53:5353/udp" },
	{ "8000-8010:9000-9010", AF_UNSPEC, "", IPPROTO_TCP, 8000, 8010, 9000, 9010,
	  "8000-8010:9000-9010/tcp" },
	{ "10.0.0.1:7000-7001:80-81/udp", AF_INET, "10.0.0.1", IPPROTO_UDP, 7000, 7001, 80, 81,
	  "10.0.0.1:7000-7001:80-81/udp" },
	/* a one-port range is a port */
	{ "8080-8080:80-80", AF_UNSPEC, "", IPPROTO_TCP, 8080, 8080, 80, 80, "8080:80/tcp" },
	/* IPv6 as Docker writes it, bracketed, and bare: parsed (port add refuses it for now) */
	{ "[::1]:8080:80", AF_INET6, "::1", IPPROTO_TCP, 8080, 8080, 80, 80, "[::1]:8080:80/tcp" },
	{ "[fd00::5]:53:53/udp", AF_INET6, "fd00::5", IPPROTO_UDP, 53, 53, 53, 53,
	  "[fd00::5]:53:53/udp" },
	{ "::1:8080:80", AF_INET6, "::1", IPPROTO_TCP, 8080, 8080, 80, 80, "[::1]:8080:80/tcp" },
};

static void test_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		const struct accepted *a = &accepted[i];
		struct bpfnet_port_mapping m;
		char why[160] = "", host[BPFNET_ADDRSTRLEN] = "", printed[96];

		if (portspec_parse(a->spec, &m, why, sizeof(why)))
			fail_msg("'%s' refused: %s", a->spec, why);
		if (m.host_addr.family != AF_UNSPEC)
			inet_ntop(m.host_addr.family, &m.host_addr.v4, host, sizeof(host));
		if (m.host_addr.family != a->family || strcmp(host, a->host) ||
		    (int)m.proto != a->proto || m.host_port != a->hf || m.host_port_last != a->hl ||
		    m.container_port != a->cf || m.container_port_last != a->cl)
			fail_msg("'%s': expected family %d host '%s' proto %d %u-%u:%u-%u, got "
				 "family %d host '%s' proto %d %u-%u:%u-%u", a->spec, a->family,
				 a->host, a->proto, a->hf, a->hl, a->cf, a->cl, m.host_addr.family,
				 host, m.proto, m.host_port, m.host_port_last, m.container_port,
				 m.container_port_last);
		portspec_format(&m, printed, sizeof(printed));
		if (strcmp(printed, a->printed))
			fail_msg("'%s' printed: expected '%s', got '%s'", a->spec, a->printed,
				 printed);
		/* what is printed reads back as the same mapping */
		struct bpfnet_port_mapping again;

		assert_int_equal(portspec_parse(printed, &again, why, sizeof(why)), 0);
		assert_int_equal(again.host_port, m.host_port);
		assert_int_equal(again.container_port_last, m.container_port_last);
		assert_int_equal(again.proto, m.proto);
	}
}

struct refused {
	const char *spec;
	const char *why;	/* a part of the message */
};

#define SYNTAX "expected [HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END][/tcp|/udp]"
#define PORTS "ports are 1-65535, a range is FIRST-LAST"
#define HOST "the host address is not an IP address"
#define PROTO "protocol must be tcp or udp"
#define LENGTHS "host range and container range differ in length"

static const struct refused refused[] = {
	{ "", SYNTAX },
	/* Docker's forms that leave the host port to the engine: bpfnet picks none */
	{ "80", SYNTAX },
	{ "80/udp", SYNTAX },
	{ "127.0.0.1::80", PORTS },
	{ ":80", PORTS },
	{ "8080:80/sctp", PROTO },
	{ "8080:80/", PROTO },
	{ "8080:80/TCP", PROTO },
	{ "0:80", PORTS },
	{ "80:0", PORTS },
	{ "65536:80", PORTS },
	{ "80:65536", PORTS },
	{ "99999999999999999999:80", PORTS },
	{ "8080-8079:80-79", PORTS },
	{ "8080-:80", PORTS },
	{ "8080:80-", PORTS },
	{ "-1:80", PORTS },
	{ "+80:80", PORTS },
	{ " 80:80", PORTS },
	{ "80:80 ", PORTS },
	{ "abc:80", PORTS },
	{ "80:http", PORTS },
	{ "8080-8081:80", LENGTHS },
	{ "8080:80-81", LENGTHS },
	{ "1.2.3:8080:80", HOST },
	{ "999.1.1.1:8080:80", HOST },
	{ "localhost:8080:80", HOST },
	{ "1.2.3.4:5:8080:80", HOST },
	{ "[::1:8080:80", HOST },
	{ "[1.2.3.4]:8080:80", HOST },
	{ "[]:8080:80", HOST },
	{ "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "01234567890123456789012345678:80", SYNTAX },
};

static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const struct refused *r = &refused[i];
		struct bpfnet_port_mapping m;
		char why[256] = "", quoted[160];
		int err = portspec_parse(r->spec, &m, why, sizeof(why));

		if (err != -EINVAL)
			fail_msg("'%s': expected -EINVAL (%s), got %d", r->spec, r->why, err);
		/* the message names the spec as given, and what is wrong with it */
		snprintf(quoted, sizeof(quoted), "'%s'", r->spec);
		if (!strstr(why, quoted) || !strstr(why, r->why))
			fail_msg("'%s': expected a message with %s and \"%s\", got \"%s\"", r->spec,
				 quoted, r->why, why);
	}
}

/* The public parser: the same parse, its words for bpfnet__errmsg(NULL). */
static void test_public_parser(void **state)
{
	struct bpfnet_port_mapping m;

	(void)state;
	assert_int_equal(bpfnet_port_spec_parse("127.0.0.1:8080-8081:80-81/udp", &m), 0);
	assert_int_equal(m.proto, BPFNET_PROTO_UDP);
	assert_int_equal(m.host_addr.family, AF_INET);
	assert_ip4_equal(m.host_addr.v4.s_addr, inet_addr("127.0.0.1"));
	assert_int_equal(m.container_port_last, 81);
	assert_string_equal(m.endpoint, "");
	assert_int_equal(m.container_addr.family, AF_UNSPEC);
	assert_int_equal(bpfnet_port_spec_parse("8080:80/sctp", &m), -EINVAL);
	assert_string_equal(bpfnet__errmsg(NULL),
			    "invalid port mapping '8080:80/sctp': protocol must be tcp or udp");
	assert_int_equal(bpfnet_port_spec_parse(NULL, &m), -EINVAL);
	assert_has(bpfnet__errmsg(NULL), "none given");
}

/* The journal's records: IPv4 only, the any address for none. */
static void test_record(void **state)
{
	struct port_map m;
	char why[160], text[96];

	(void)state;
	assert_int_equal(port_map_parse("8080:80/udp", &m, why, sizeof(why)), 0);
	assert_ip4_equal(m.host_ip.s_addr, INADDR_ANY);
	assert_int_equal(m.proto, IPPROTO_UDP);
	assert_string_equal(port_map_format(&m, text, sizeof(text)), "8080:80/udp");
	assert_int_equal(port_map_parse("[::1]:8080:80", &m, why, sizeof(why)), -EAFNOSUPPORT);
	assert_has(why, "IPv6 is not supported yet");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_public_parser),
		cmocka_unit_test(test_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
