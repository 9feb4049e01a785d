// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The handle's error messages, the log callback, and the leaf helpers every layer uses. */
#include <ctype.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "core/core.h"

static int default_print(enum bpfnet_log_level level, const char *fmt, va_list ap)
{
	if (level == BPFNET_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bpfnet_print_fn print_fn = default_print;

bpfnet_print_fn bn_set_print_fn(bpfnet_print_fn fn)
{
	bpfnet_print_fn old = print_fn;

	print_fn = fn;
	return old;
}

int bn_vprint(enum bpfnet_log_level level, const char *fmt, va_list ap)
{
	return print_fn ? print_fn(level, fmt, ap) : 0;
}

void bn_print(enum bpfnet_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bn_vprint(level, fmt, ap);
	va_end(ap);
}

int bn_fail(struct bpfnet *bn, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(bn->errmsg, sizeof(bn->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

int id_valid(const char *name, size_t max)
{
	size_t len = strnlen(name, max);

	if (!len || len >= max || !isalnum((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return 0;
	return 1;
}

int name_valid(const char *name)
{
	return id_valid(name, BPFNET_NAME_MAX);
}

unsigned int fnv1a32(const char *s)
{
	unsigned int h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

unsigned long long bn_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

int bn_random_mac(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6)
		return -EIO;
	mac[0] = (mac[0] & 0xfe) | 0x02;	/* unicast, locally administered */
	return 0;
}
