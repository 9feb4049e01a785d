// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The runtime's errors: an errno and the sentence the user reads. */
#include <stdio.h>

#include "run.h"

int run_errf(struct run_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		e->errnum = errnum;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}
