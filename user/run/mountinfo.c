// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/self/mountinfo read for the cgroup hierarchies (mountinfo.h). The
 * kernel writes it, but a line is still parsed as if anyone had: fields are
 * counted, numbers checked, escapes decoded with bounds, and a line that does
 * not fit is skipped whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

#define MOUNTINFO_FIELDS_MAX 64	/* 6 fixed, the optional ones, '-', 3 after it */

/* An unsigned decimal that is the whole of @s. */
static int parse_uint(const char *s, unsigned int *v)
{
	unsigned long n;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || n > 0xffffffffUL)
		return -EINVAL;
	*v = (unsigned int)n;
	return 0;
}

static int parse_dev(const char *s, unsigned int *major, unsigned int *minor)
{
	char buf[32];
	char *colon;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (parse_uint(buf, major) || parse_uint(colon + 1, minor))
		return -EINVAL;
	return 0;
}

int mountinfo_unescape(const char *src, char *dst, size_t len)
{
	size_t n = 0;
	int c;

	for (; *src; src++) {
		c = (unsigned char)*src;
		if (c == '\\') {
			/* exactly three octal digits, as the kernel's mangle() writes them */
			if (src[1] < '0' || src[1] > '3' || src[2] < '0' || src[2] > '7' ||
			    src[3] < '0' || src[3] > '7')
				return -EINVAL;
			c = (src[1] - '0') * 64 + (src[2] - '0') * 8 + (src[3] - '0');
			if (!c)
				return -EINVAL;	/* a NUL inside a path: nothing a kernel writes */
			src += 3;
		}
		if (n + 1 >= len)
			return -ENAMETOOLONG;
		dst[n++] = (char)c;
	}
	if (!len)
		return -ENAMETOOLONG;
	dst[n] = '\0';
	return 0;
}

/* Split @buf at single spaces into @f (at most @max); the count, or -EINVAL. */
static int split_fields(char *buf, char **f, int max)
{
	int n = 0;
	char *p = buf;

	while (*p) {
		if (n == max)
			return -EINVAL;
		f[n++] = p;
		p = strchr(p, ' ');
		if (!p)
			break;
		*p++ = '\0';
		if (!*p || *p == ' ')
			return -EINVAL;	/* an empty field: not what the kernel writes */
	}
	return n;
}

static int copy_field(char *dst, size_t len, const char *src)
{
	if (strlen(src) >= len)
		return -ENAMETOOLONG;
	strcpy(dst, src);
	return 0;
}

int mountinfo_parse_line(const char *line, struct mountinfo_entry *out)
{
	char buf[MOUNTINFO_LINE_MAX];
	char *f[MOUNTINFO_FIELDS_MAX];
	unsigned int id, parent;
	size_t len = strlen(line);
	int n, sep;

	if (len && line[len - 1] == '\n')
		len--;
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (memchr(buf, '\n', len) || memchr(buf, '\t', len))
		return -EINVAL;
	n = split_fields(buf, f, MOUNTINFO_FIELDS_MAX);
	if (n < 10)	/* 6 fixed fields, '-', fstype, source, super options */
		return -EINVAL;
	for (sep = 6; sep < n && strcmp(f[sep], "-"); sep++)
		;
	if (n - sep != 4)
		return -EINVAL;
	if (parse_uint(f[0], &id) || parse_uint(f[1], &parent) ||
	    parse_dev(f[2], &out->major, &out->minor))
		return -EINVAL;
	if (mountinfo_unescape(f[3], out->root, sizeof(out->root)) ||
	    mountinfo_unescape(f[4], out->mount_point, sizeof(out->mount_point)) ||
	    out->mount_point[0] != '/' ||
	    mountinfo_unescape(f[sep + 1], out->fstype, sizeof(out->fstype)) ||
	    copy_field(out->super_opts, sizeof(out->super_opts), f[sep + 3]))
		return -EINVAL;
	return 0;
}

/* Does the comma-separated @opts have @word as one of its items? */
static bool opts_have(const char *opts, const char *word)
{
	size_t wl = strlen(word);
	const char *p = opts;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);

		if (l == wl && !strncmp(p, word, wl))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* @opts without the read-write flag: what is left names controllers and options of v1. */
static void controllers_of(char *dst, const char *opts)
{
	const char *p = opts;
	size_t n = 0;

	while (*p) {
		const char *end = strchrnul(p, ',');
		size_t l = (size_t)(end - p);

		if (!(l == 2 && (!strncmp(p, "rw", 2) || !strncmp(p, "ro", 2)))) {
			if (n)
				dst[n++] = ',';
			memcpy(dst + n, p, l);	/* fits: no longer than @opts */
			n += l;
		}
		p = *end ? end + 1 : end;
	}
	dst[n] = '\0';
}

/* Keep @me as a hierarchy: one entry per hierarchy, the mount of its top preferred. */
static void add_mount(struct cg_mounts *ms, const struct mountinfo_entry *me, bool v2)
{
	struct cg_mount *m = NULL;
	bool top = !strcmp(me->root, "/");
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (ms->m[i].major == me->major && ms->m[i].minor == me->minor)
			m = &ms->m[i];
	if (m && (m->root_is_top || !top))
		return;		/* a bind mount of one we have */
	if (!m) {
		if (ms->n == CG_MOUNTS_MAX)
			return;
		m = &ms->m[ms->n++];
	}
	memset(m, 0, sizeof(*m));
	strcpy(m->path, me->mount_point);
	m->major = me->major;
	m->minor = me->minor;
	m->v2 = v2;
	m->root_is_top = top;
	if (!v2)
		controllers_of(m->opts, me->super_opts);
}

int cg_mounts_read(FILE *f, struct cg_mounts *out)
{
	struct mountinfo_entry me;
	char line[MOUNTINFO_LINE_MAX];
	bool skipping = false;

	memset(out, 0, sizeof(*out));
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		bool whole = len && line[len - 1] == '\n';

		/* an over-long line is skipped whole: its rest is not a line of its own */
		if (skipping) {
			skipping = !whole;
			continue;
		}
		if (!whole && !feof(f)) {
			skipping = true;
			continue;
		}
		if (mountinfo_parse_line(line, &me))
			continue;
		if (!strcmp(me.fstype, "cgroup2"))
			add_mount(out, &me, true);
		else if (!strcmp(me.fstype, "cgroup"))
			add_mount(out, &me, false);
	}
	return ferror(f) ? -EIO : 0;
}

int cg_mounts_load(struct cg_mounts *out, struct run_err *e)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err;

	if (!f)
		return run_errf(e, errno, "cannot read /proc/self/mountinfo: %s", strerror(errno));
	err = cg_mounts_read(f, out);
	fclose(f);
	if (err)
		return run_errf(e, -err, "cannot read /proc/self/mountinfo: %s", strerror(-err));
	return 0;
}

const struct cg_mount *cg_mounts_v1(const struct cg_mounts *ms, const char *controller)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (!ms->m[i].v2 && opts_have(ms->m[i].opts, controller))
			return &ms->m[i];
	return NULL;
}

const struct cg_mount *cg_mounts_v2(const struct cg_mounts *ms)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (ms->m[i].v2)
			return &ms->m[i];
	return NULL;
}
