/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sys/netlink.c's reading of replies, fed through nl_open_replay(): what the
 * parsers' fuzzer (tests/fuzz/fuzz_netlink.c) found in them, each as the
 * datagram that showed it. No socket, no root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "sys/netlink.h"

/* A replay input being built: chunks of a 16-bit length and a datagram each. */
struct replies {
	unsigned char bytes[4096];
	size_t len;
};

/* Append @n bytes of @dgram as one datagram. */
static void add_datagram(struct replies *r, const void *dgram, size_t n)
{
	uint16_t len = (uint16_t)n;

	assert_true(r->len + sizeof(len) + n <= sizeof(r->bytes));
	memcpy(r->bytes + r->len, &len, sizeof(len));
	memcpy(r->bytes + r->len + sizeof(len), dgram, n);
	r->len += sizeof(len) + n;
}

/* A link message of ifindex @index named @name into @buf; returns its length. */
static size_t put_link(char *buf, int index, const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_MULTI;
	ifi->ifi_index = index;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh->nlmsg_len;
}

static size_t put_done(char *buf)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int *error = mnl_nlmsg_put_extra_header(nlh, sizeof(*error));

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	*error = 0;
	return nlh->nlmsg_len;
}

static int count_link(const struct nl_link *link, void *arg)
{
	assert_string_equal(link->name, "eth0");
	assert_int_equal(link->ifindex, 2);
	(*(int *)arg)++;
	return 0;
}

/* A link dump as the kernel sends it, replayed: the link is seen, the dump ends. */
static void test_replay_link_dump(void **state)
{
	char dgram[512] __attribute__((aligned(4)));
	struct replies r = {};
	struct nl *nl;
	size_t n;
	int seen = 0;

	(void)state;
	n = put_link(dgram, 2, "eth0");
	n += put_done(dgram + n);
	add_datagram(&r, dgram, n);
	assert_int_equal(nl_open_replay(&nl, r.bytes, r.len), 0);
	assert_int_equal(nl_link_foreach(nl, count_link, &seen), 0);
	assert_int_equal(seen, 1);
	/* nothing is left to read: the next request's reply is missing, not made up */
	assert_int_equal(nl_link_foreach(nl, count_link, &seen), -ENODATA);
	nl_close(nl);
}

/*
 * Found by fuzz_netlink: a message whose nlmsg_len is 2^31 or more passed
 * libmnl's signed length check and its walk stepped 4 GiB past the datagram
 * (SEGV in mnl_nlmsg_ok). Such a datagram is refused whole.
 */
static void test_nlmsg_len_huge(void **state)
{
	char dgram[512] __attribute__((aligned(4)));
	struct replies r = {};
	struct nl *nl;
	size_t n;
	int seen = 0;

	(void)state;
	n = put_link(dgram, 2, "eth0");
	n += put_link(dgram + n, 3, "eth1");
	((struct nlmsghdr *)dgram)->nlmsg_len = 0xfffffff0;
	add_datagram(&r, dgram, n);
	assert_int_equal(nl_open_replay(&nl, r.bytes, r.len), 0);
	assert_int_equal(nl_link_foreach(nl, count_link, &seen), -EBADMSG);
	assert_int_equal(seen, 0);
	nl_close(nl);
}

/* A message longer than what is left of its datagram: the same refusal. */
static void test_nlmsg_len_past_datagram(void **state)
{
	char dgram[512] __attribute__((aligned(4)));
	struct replies r = {};
	struct nl *nl;
	size_t n;
	int seen = 0;

	(void)state;
	n = put_link(dgram, 2, "eth0");
	((struct nlmsghdr *)dgram)->nlmsg_len = (uint32_t)n + 4;
	add_datagram(&r, dgram, n);
	assert_int_equal(nl_open_replay(&nl, r.bytes, r.len), 0);
	assert_int_equal(nl_link_foreach(nl, count_link, &seen), -EBADMSG);
	nl_close(nl);
}

/* An IPv4 address message of @local/@prefix_len on ifindex 2 into @buf; returns its length. */
static size_t put_addr(char *buf, const char *local, unsigned int prefix_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, local, &a), 1);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_MULTI;
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (uint8_t)prefix_len;
	ifa->ifa_index = 2;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(a), &a);
	return nlh->nlmsg_len;
}

static int addr_seen(const struct nl_addr4 *a, void *arg)
{
	assert_true(a->prefix_len <= 32);
	(*(int *)arg)++;
	return 0;
}

/*
 * Found by fuzz_netlink's bound on what it reports: an address with a prefix
 * length past 32 was passed on, and nodecheck's prefix_mask() of it shifts by
 * more than 31 (undefined). It is skipped as a route with one is.
 */
static void test_addr_prefix_len(void **state)
{
	char dgram[512] __attribute__((aligned(4)));
	struct replies r = {};
	struct nl *nl;
	size_t n;
	int seen = 0;

	(void)state;
	n = put_addr(dgram, "10.1.0.2", 24);
	n += put_addr(dgram + n, "10.2.0.2", 40);
	n += put_addr(dgram + n, "10.3.0.2", 32);
	n += put_done(dgram + n);
	add_datagram(&r, dgram, n);
	assert_int_equal(nl_open_replay(&nl, r.bytes, r.len), 0);
	assert_int_equal(nl_addr_foreach4(nl, addr_seen, &seen), 0);
	assert_int_equal(seen, 2);
	nl_close(nl);
}

/* An error reply to a request, with @text as its extended ACK message (NULL: none). */
static size_t put_error(char *buf, int error, const char *text)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	err->error = error;
	err->msg.nlmsg_len = sizeof(err->msg);
	if (text) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
	}
	return nlh->nlmsg_len;
}

static int set_up_answered(int error, const char *text, char *msg, size_t len)
{
	char dgram[512] __attribute__((aligned(4)));
	struct replies r = {};
	struct nl *nl;
	int ret;

	add_datagram(&r, dgram, put_error(dgram, error, text));
	assert_int_equal(nl_open_replay(&nl, r.bytes, r.len), 0);
	ret = nl_link_set_up(nl, 2);
	snprintf(msg, len, "%s", nl_errmsg(nl));
	nl_close(nl);
	return ret;
}

/*
 * An error as the kernel sends it (-errno, with its extended ACK text) is the
 * request's; found by fuzz_netlink: an error field of INT_MIN was negated
 * (undefined behaviour, and the call returned INT_MIN), a positive one taken
 * as an errno. What no errno can be is EPROTO.
 */
static void test_error_codes(void **state)
{
	char msg[256];

	(void)state;
	assert_int_equal(set_up_answered(-ENODEV, "Unknown device", msg, sizeof(msg)), -ENODEV);
	assert_string_equal(msg, "Unknown device");
	assert_int_equal(set_up_answered(0, NULL, msg, sizeof(msg)), 0);
	assert_int_equal(set_up_answered(INT32_MIN, NULL, msg, sizeof(msg)), -EPROTO);
	assert_int_equal(set_up_answered(-4096, NULL, msg, sizeof(msg)), -EPROTO);
	assert_int_equal(set_up_answered(5, NULL, msg, sizeof(msg)), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_link_dump),
		cmocka_unit_test(test_nlmsg_len_huge),
		cmocka_unit_test(test_nlmsg_len_past_datagram),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_addr_prefix_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
