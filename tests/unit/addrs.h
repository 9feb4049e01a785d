/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Public address values from text, for unit tests: a parse failure fails the test. */
#ifndef BPFNET_TESTS_ADDRS_H
#define BPFNET_TESTS_ADDRS_H

#include "bpfnet/bpfnet.h"
#include "asserts.h"

static inline struct bpfnet_prefix P(const char *s)
{
	struct bpfnet_prefix p;

	assert_int_equal(bpfnet_prefix_parse(s, &p), 0);
	return p;
}

static inline struct bpfnet_addr A(const char *s)
{
	struct bpfnet_addr a;

	assert_int_equal(bpfnet_addr_parse(s, &a), 0);
	return a;
}

#endif
