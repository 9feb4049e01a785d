/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the parsers' fuzz targets share (tests/fuzz/fuzz_*.c). Each target is
 * a LLVMFuzzerTestOneInput() built twice (Makefile, fuzz-parsers): under
 * libFuzzer for `make fuzz-parsers`, and with replay.c's main() as the unit
 * test build/tests/unit/test_fuzz_<target>, which feeds it every file of
 * tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/<target>/.
 *
 * A target parses what it is given as the product does, then checks what
 * must hold of any input (a value parsed, formatted and parsed again is the
 * same); FUZZ_ASSERT() aborts when it does not, which both builds report
 * as a crash with the input kept.
 */
#ifndef BPFNET_FUZZ_H
#define BPFNET_FUZZ_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfnet/bpfnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                          \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, \
				__LINE__, #cond);                                  \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* The input as a C string (a NUL appended: the parsers take strings), malloc()ed. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * The next line of @text (cut at '\n', which is replaced by NUL) or NULL at
 * the end: targets that take several strings take them a line each.
 */
static inline char *fuzz_line(char **text)
{
	char *line = *text, *nl;

	if (!line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*text = nl + 1;
	} else {
		*text = NULL;
	}
	return line;
}

/* The library's messages would be most of the time spent: kept quiet. */
static inline int fuzz_print_nothing(enum bpfnet_log_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static inline void fuzz_quiet(void)
{
	static int done;

	if (!done) {
		bpfnet_set_print(fuzz_print_nothing, 0);
		done = 1;
	}
}

#endif
