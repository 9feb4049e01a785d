// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A /proc/PID/stat line as user/run/procstat.c reads it: its field 2, the
 * command, may hold anything a process names itself (spaces, ')', digits),
 * so the fields are counted from after the last ')'. The input is the line.
 * Every field found lies inside the line and starts after a space.
 */
#include "fuzz.h"
#include "run/procstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_str(data, size);
	const char *fields, *p;
	size_t len = strlen(line);

	if (!proc_stat_parse(line, &fields)) {
		FUZZ_ASSERT(fields > line && fields <= line + len);
		FUZZ_ASSERT(fields[-1] == ' ' && fields[-2] == ')');
		/* init's argument area is 48..51, the start time 22 */
		for (int n = 3; n <= 64; n++) {
			p = proc_stat_field(fields, n);
			if (!p)
				break;
			FUZZ_ASSERT(p >= fields && p <= line + len);
			FUZZ_ASSERT(n == 3 || p[-1] == ' ');
		}
	}
	free(line);
	return 0;
}
