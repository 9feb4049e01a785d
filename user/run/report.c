// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The runtime's errors, said by the CLI's reporter (words, or JSON with --json). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "lifecycle.h"

static int say(const struct run_globals *g, bool usage, int errnum, const char *msg)
{
	if (g && g->error)
		return g->error(usage, errnum, msg);
	fprintf(stderr, "bpfnet: %s\n", msg);
	return usage || errnum == EINVAL ? 2 : 1;
}

int run_usage(const struct run_globals *g, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return say(g, true, EINVAL, msg);
}

int run_fail(const struct run_globals *g, const struct run_err *e)
{
	return say(g, false, e->errnum ? e->errnum : EIO, e->msg);
}

int run_failf(const struct run_globals *g, int errnum, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return say(g, false, errnum, msg);
}
