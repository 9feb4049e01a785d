/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The fixture of the unit tests that read and write state: an instance
 * "unit" whose run dir is a fresh temp dir, removed again afterwards.
 */
#ifndef BPFNET_TESTS_RUN_DIR_FIXTURE_H
#define BPFNET_TESTS_RUN_DIR_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfnet/bpfnet.h"
#include "sys/fsutil.h"

struct fixture {
	char dir[64];
	struct bpfnet *bn;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct bpfnet_opts o = { .sz = sizeof(o), .instance = "unit" };

	assert_non_null(f);
	strcpy(f->dir, "/tmp/bpfnet-unit.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	o.run_dir = f->dir;
	assert_int_equal(bpfnet__open(&o, &f->bn), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/unit", f->dir);
	remove_flat_dir(path);
	rmdir(f->dir);
	bpfnet__close(f->bn);
	free(f);
	return 0;
}

/* Write @text as the instance's state.json, and its path into @path. */
static inline void write_state(const struct fixture *f, const char *text, char path[128])
{
	snprintf(path, 128, "%s/unit", f->dir);
	assert_int_equal(mkdir_p(path, 0755), 0);
	strcat(path, "/state.json");
	assert_int_equal(write_file_atomic(path, text, strlen(text)), 0);
}

#endif
