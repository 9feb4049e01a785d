/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Small filesystem helpers. All return 0 or -errno. */
#ifndef BPFNET_FSUTIL_H
#define BPFNET_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

int mkdir_p(const char *path, mode_t mode);
/* Replace @path's content atomically: write a temp file, fsync, rename. */
int write_file_atomic(const char *path, const char *data, size_t len);
/* Whole file, NUL-terminated, malloc()ed into *out; -ENOENT when missing. */
int read_file(const char *path, char **out, size_t max_len);
/* Write @value to a /proc/sys-like knob. */
int write_knob(const char *path, const char *value);
int is_bpffs(const char *path);
/* Remove @dir's files (not recursive) and then @dir; a missing dir is fine. */
int remove_flat_dir(const char *dir);

/* Remove @dir's parent if it is empty (a state root whose last instance is gone). */
void rmdir_parent(const char *dir);

#endif
