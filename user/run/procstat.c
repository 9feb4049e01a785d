// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/stat, its fields counted from after the command (procstat.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procstat.h"

int proc_stat_parse(const char *buf, const char **fields)
{
	const char *p = strrchr(buf, ')');

	if (!p || p[1] != ' ')
		return -ESRCH;
	*fields = p + 2;
	return 0;
}

int proc_stat_read(pid_t pid, char *buf, size_t len, const char **fields)
{
	char path[64];
	ssize_t n;
	int fd;

	if (pid < 0 || len < 2)
		return -ESRCH;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	return proc_stat_parse(buf, fields);
}

const char *proc_stat_field(const char *fields, int n)
{
	const char *p = fields;

	for (int i = 3; p && i < n; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p;
}
