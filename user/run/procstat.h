/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /proc/PID/stat (procstat.c), read the one safe way: field 2, the command,
 * may hold anything (spaces, ')' too), so the fields are counted from after
 * its last ')'. init reads its own argument area from it, the records the
 * start time that tells a reused PID apart.
 */
#ifndef BPFNET_RUN_PROCSTAT_H
#define BPFNET_RUN_PROCSTAT_H

#include <stddef.h>
#include <sys/types.h>

/*
 * /proc/@pid/stat (@pid 0: the caller's) into @buf; *fields points at field
 * 3 (the state) in it. 0, or -ESRCH when there is no such process to read.
 */
int proc_stat_read(pid_t pid, char *buf, size_t len, const char **fields);
/* The same of a stat line already read into @buf (NUL-terminated): -ESRCH when it is not one. */
int proc_stat_parse(const char *buf, const char **fields);

/* Field @n (3 or more, as proc(5) counts them) of @fields from proc_stat_read(); NULL: none. */
const char *proc_stat_field(const char *fields, int n);

#endif
