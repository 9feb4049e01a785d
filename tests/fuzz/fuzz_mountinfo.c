// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/self/mountinfo as `bpfnet run` reads it to find the cgroup
 * hierarchies (user/run/mountinfo.c). The input is the file: read whole by
 * cg_mounts_read() (from a memory stream, as from the file), and each line
 * by mountinfo_parse_line(). Whatever the lines, the hierarchies found are
 * at most CG_MOUNTS_MAX, one per device, with paths that are absolute.
 */
#include "fuzz.h"
#include "run/mountinfo.h"

static void check_mounts(const struct cg_mounts *ms)
{
	FUZZ_ASSERT(ms->n <= CG_MOUNTS_MAX);
	for (size_t i = 0; i < ms->n; i++) {
		const struct cg_mount *m = &ms->m[i];

		FUZZ_ASSERT(strnlen(m->path, sizeof(m->path)) < sizeof(m->path));
		FUZZ_ASSERT(m->path[0] == '/');
		FUZZ_ASSERT(strnlen(m->opts, sizeof(m->opts)) < sizeof(m->opts));
		for (size_t j = 0; j < i; j++)
			FUZZ_ASSERT(ms->m[j].major != m->major || ms->m[j].minor != m->minor);
	}
	(void)cg_mounts_v2(ms);
	(void)cg_mounts_v1(ms, "memory");
	(void)cg_mounts_v1(ms, "name=systemd");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), *rest = text, *line;
	struct mountinfo_entry me;
	struct cg_mounts *ms = malloc(sizeof(*ms));
	char unescaped[64];
	FILE *f;

	FUZZ_ASSERT(ms);
	if (size) {
		f = fmemopen((void *)data, size, "r");
		FUZZ_ASSERT(f);
		FUZZ_ASSERT(cg_mounts_read(f, ms) == 0);
		fclose(f);
		check_mounts(ms);
	}
	while ((line = fuzz_line(&rest))) {
		if (!mountinfo_parse_line(line, &me)) {
			FUZZ_ASSERT(me.mount_point[0] == '/');
			FUZZ_ASSERT(strnlen(me.root, sizeof(me.root)) < sizeof(me.root));
			FUZZ_ASSERT(strnlen(me.fstype, sizeof(me.fstype)) < sizeof(me.fstype));
			FUZZ_ASSERT(strnlen(me.super_opts, sizeof(me.super_opts)) <
				    sizeof(me.super_opts));
		}
		/* a short destination: too long is refused, never overrun */
		if (!mountinfo_unescape(line, unescaped, sizeof(unescaped)))
			FUZZ_ASSERT(strlen(unescaped) < sizeof(unescaped));
	}
	free(ms);
	free(text);
	return 0;
}
