// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The replay of a fuzz target without libFuzzer (fuzz.h): every file of its
 * committed corpus and of its regressions through LLVMFuzzerTestOneInput(),
 * one TAP line each, so that `make check` catches a regression in seconds.
 * The arguments are files or directories to read instead; none: the
 * target's own, tests/fuzz/{corpus,regressions}/FUZZ_TARGET under the
 * current directory (tests/run runs from the top of the tree).
 * A crash is the sanitizer's report and a non-zero exit, which tests/run
 * counts as a failure; the last "# replaying" line names the input.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET names the target (the Makefile defines it)"
#endif

#define MAX_FILES 4096

static char *files[MAX_FILES];
static size_t n_files;

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_file(const char *path)
{
	if (n_files == MAX_FILES || !(files[n_files] = strdup(path))) {
		fprintf(stderr, "replay: too many files\n");
		exit(2);
	}
	n_files++;
}

/* A directory's regular files (not its dot files: README, .gitkeep); a missing one is empty. */
static void add_path(const char *path, int must_exist)
{
	struct dirent *d;
	struct stat st;
	char buf[4096];
	DIR *dir;

	if (stat(path, &st)) {
		if (!must_exist && errno == ENOENT)
			return;
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	dir = opendir(path);
	if (!dir) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "%s/%s", path, d->d_name);
		if (!stat(buf, &st) && S_ISREG(st.st_mode))
			add_file(buf);
	}
	closedir(dir);
}

static int replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL, *exact;
	size_t size = 0, cap = 0, n;

	if (!f)
		return -1;
	do {
		if (size == cap) {
			uint8_t *bigger = realloc(data, cap = cap ? cap * 2 : 4096);

			if (!bigger)
				abort();
			data = bigger;
		}
		n = fread(data + size, 1, cap - size, f);
		size += n;
	} while (n);
	fclose(f);
	/* an exact copy: a read past the input's end is past the allocation's, as under libFuzzer */
	exact = malloc(size ? size : 1);
	if (!exact)
		abort();
	memcpy(exact, data, size);
	free(data);
	LLVMFuzzerTestOneInput(exact, size);
	free(exact);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			add_path(argv[i], 1);
	} else {
		/* the corpus must be there; regressions only once a crash was found */
		add_path("tests/fuzz/corpus/" FUZZ_TARGET, 1);
		add_path("tests/fuzz/regressions/" FUZZ_TARGET, 0);
	}
	qsort(files, n_files, sizeof(*files), by_name);
	printf("1..%zu\n", n_files ? n_files : 1);
	if (!n_files) {
		printf("not ok 1 - no input for %s\n", FUZZ_TARGET);
		return 1;
	}
	for (size_t i = 0; i < n_files; i++) {
		/* said first: a crash ends the program before its "ok" line */
		printf("# replaying %s\n", files[i]);
		fflush(stdout);
		if (replay(files[i])) {
			printf("not ok %zu - %s: %s\n", i + 1, files[i], strerror(errno));
			failed = 1;
		} else {
			printf("ok %zu - %s %s\n", i + 1, FUZZ_TARGET, files[i]);
		}
		fflush(stdout);
		free(files[i]);
	}
	return failed;
}
