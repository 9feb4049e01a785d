/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Assertions of the unit tests that say what was expected and what came.
 * Include after <cmocka.h>.
 *
 * cmocka's assert_true() names only the expression, and its assert_int_equal()
 * prints both sides in hex ("0xffffffffffffffea != 0" for -EINVAL), without
 * saying which side was wanted. Here assert_int_equal() and assert_int_not_equal()
 * keep cmocka's comparison (both sides as its largest integral type) but report
 *   nl_open(&bad, fd): got -22 (Invalid argument), want 0
 *   ipam_check(&pool, A("10.1.0.2")): got 0, want -EADDRINUSE = -98 (Address already in use)
 * and assert_true()/assert_false() report the truth wanted and the one found.
 * Added: assert_cmp() for orderings, assert_ip4_equal() for addresses (dotted),
 * assert_has() for a message that must name something, and unit_case() to say
 * which row of a table a failure inside a loop belongs to.
 */
#ifndef BPFNET_TESTS_UNIT_ASSERTS_H
#define BPFNET_TESTS_UNIT_ASSERTS_H

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* the row a failure belongs to, set by unit_case(); reported (and cleared) with it */
static char unit_case_text[160];

#define unit_case(...) snprintf(unit_case_text, sizeof(unit_case_text), __VA_ARGS__)
#define unit_case_end() (unit_case_text[0] = '\0')

/* a hint after a value: an errno's text where it looks like -errno, hex where it is large */
static inline const char *unit_errno_hint(long long v, char *buf, size_t len)
{
	if (v < 0 && v >= -4095)
		snprintf(buf, len, " (%s)", strerror((int)-v));
	else if (v > 0xffff || v < -0xffff)
		snprintf(buf, len, " (%#llx)", (unsigned long long)v);
	else
		buf[0] = '\0';
	return buf;
}

static inline void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void unit_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[512], line_text[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line_text, sizeof(line_text), "%s%s%s", unit_case_text,
		 unit_case_text[0] ? ": " : "", msg);
	unit_case_end();
	/* cmocka's own failure path: the text goes where its messages go (a TAP comment) */
	_assert_true(0, line_text, file, line);
}

static inline void unit_int(LargestIntegralType got, LargestIntegralType want, bool equal,
			    const char *got_expr, const char *want_expr, const char *file,
			    int line)
{
	char gh[48], wh[48], wnum[24] = "";

	if ((got == want) == equal)
		return;
	/* the wanted value after its expression, unless that is the number itself */
	snprintf(wnum, sizeof(wnum), "%lld", (long long)want);
	if (strcmp(want_expr, wnum))
		snprintf(wnum, sizeof(wnum), " = %lld", (long long)want);
	else
		wnum[0] = '\0';
	unit_fail(file, line, "%s: got %lld%s, want %s%s%s%s", got_expr, (long long)got,
		  unit_errno_hint((long long)got, gh, sizeof(gh)), equal ? "" : "anything but ",
		  want_expr, wnum, wnum[0] ? unit_errno_hint((long long)want, wh, sizeof(wh)) : "");
}

#undef assert_int_equal
#define assert_int_equal(a, b)                                                      \
	unit_int(cast_to_largest_integral_type(a), cast_to_largest_integral_type(b), true, \
		 #a, #b, __FILE__, __LINE__)

#undef assert_int_not_equal
#define assert_int_not_equal(a, b)                                                  \
	unit_int(cast_to_largest_integral_type(a), cast_to_largest_integral_type(b), false, \
		 #a, #b, __FILE__, __LINE__)

static inline void unit_bool(bool got, bool want, const char *expr, const char *file, int line)
{
	if (got != want)
		unit_fail(file, line, "%s: got %s, want %s", expr, got ? "true" : "false",
			  want ? "true" : "false");
}

#undef assert_true
#define assert_true(c) unit_bool(!!(c), true, #c, __FILE__, __LINE__)
#undef assert_false
#define assert_false(c) unit_bool(!!(c), false, #c, __FILE__, __LINE__)

/* assert_cmp(a, op, b): a signed comparison, e.g. assert_cmp(fd, >=, 0) */
#define assert_cmp(a, op, b)                                                        \
	do {                                                                        \
		long long a_ = (long long)(a), b_ = (long long)(b);                 \
		if (!(a_ op b_))                                                    \
			unit_fail(__FILE__, __LINE__, "want %s %s %s, got %lld %s %lld", \
				  #a, #op, #b, a_, #op, b_);                        \
	} while (0)

static inline void unit_ip4(uint32_t got, uint32_t want, const char *got_expr, const char *file,
			    int line)
{
	char g[INET_ADDRSTRLEN], w[INET_ADDRSTRLEN];

	if (got == want)
		return;
	inet_ntop(AF_INET, &got, g, sizeof(g));
	inet_ntop(AF_INET, &want, w, sizeof(w));
	unit_fail(file, line, "%s: got %s, want %s", got_expr, g, w);
}

/* assert_ip4_equal(got, want): two IPv4 addresses in network order (s_addr, __be32) */
#define assert_ip4_equal(got, want) unit_ip4((got), (want), #got, __FILE__, __LINE__)

static inline void unit_has(const char *text, const char *needle, const char *text_expr,
			    const char *file, int line)
{
	if (!text)
		unit_fail(file, line, "%s: got NULL, want a text with \"%s\"", text_expr, needle);
	else if (!strstr(text, needle))
		unit_fail(file, line, "%s: got \"%s\", want a text with \"%s\"", text_expr, text,
			  needle);
}

/* assert_has(text, needle): text (a message, a description) contains needle */
#define assert_has(text, needle) unit_has((text), (needle), #text, __FILE__, __LINE__)

#endif /* BPFNET_TESTS_UNIT_ASSERTS_H */
