// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --memory, --cpus and --pids as the user writes them (cgroup.h), checked
 * before anything is made. The forms are docker run's: memory in bytes with
 * an optional b/k/m/g/t suffix (binary multiples, any case, "64MiB" and
 * "64mb" too), at least docker's 6 MiB; cpus a decimal number of CPUs, from
 * 0.01 up to the CPUs this machine has online, turned into a CFS quota per
 * 100 ms period; pids a positive count.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

#define MEMORY_MIN (6ULL << 20)		/* docker's minimum: below it a container cannot start */
#define MEMORY_MAX ((uint64_t)INT64_MAX)	/* the kernel's limits are signed 64-bit */
#define CPU_PERIOD_US 100000ULL		/* docker's and the kernel's default CFS period */
#define CPU_QUOTA_MIN_US 1000ULL	/* the kernel refuses a smaller quota: 0.01 CPU */
#define NANO 1000000000ULL
#define FRACTION_DIGITS 9		/* of a decimal number: nanoseconds' precision */
#define PID_MAX_LIMIT 4194304ULL	/* the kernel's largest pid; pids.max takes up to it */

/* A decimal number "I[.F]" into integer and billionths; -EINVAL unless that is all of @s. */
static int parse_decimal(const char **s, uint64_t *ipart, uint64_t *nano)
{
	const char *p = *s;
	uint64_t i = 0, f = 0, scale = NANO;
	bool digits = false;

	for (; *p >= '0' && *p <= '9'; p++, digits = true) {
		if (i > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		i = i * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;	/* "1." is not a number docker takes */
		for (p++; *p >= '0' && *p <= '9'; p++, digits = true) {
			/* digits past nanoseconds do not matter; they are read and dropped */
			if (scale >= 10) {
				scale /= 10;
				f += (uint64_t)(*p - '0') * scale;
			}
		}
	}
	if (!digits)
		return -EINVAL;
	*s = p;
	*ipart = i;
	*nano = f;
	return 0;
}

/* The multiplier of a memory suffix ("", b, k, kb, kib, ... any case); 0: not one. */
static uint64_t memory_unit(const char *s)
{
	static const char units[] = "bkmgt";
	const char *u;
	uint64_t mult;
	char c;

	if (*s == ' ' && !*++s)	/* "64 m", as docker takes it, but not "64 " */
		return 0;
	if (!*s)
		return 1;
	c = (char)(*s | 0x20);
	u = strchr(units, c);
	if (!u || !c)
		return 0;
	mult = 1ULL << (10 * (u - units));
	s++;
	if (c == 'b')
		return *s ? 0 : 1;
	if ((*s | 0x20) == 'i')
		s++;
	if ((*s | 0x20) == 'b')
		s++;
	return *s ? 0 : mult;
}

int cg_limits_parse_memory(const char *s, uint64_t *bytes, struct run_err *e)
{
	const char *p = s;
	uint64_t i, nano, mult, v;
	int err;

	/* docker's form begins with a digit: ".5g" is not one */
	err = *s >= '0' && *s <= '9' ? parse_decimal(&p, &i, &nano) : -EINVAL;
	mult = err ? 0 : memory_unit(p);
	if (err == -ERANGE)
		return run_errf(e, ERANGE, "--memory \"%s\" is too large", s);
	if (err || !mult)
		return run_errf(e, EINVAL,
				"--memory \"%s\" is not a size (bytes, or a number with b, k, m, g or t: 64m, 1g)",
				s);
	if (i > MEMORY_MAX / mult)
		return run_errf(e, ERANGE, "--memory \"%s\" is too large", s);
	v = i * mult;
	/* the fraction: nano/1e9 of a unit, without overflow (mult <= 2^40, nano < 2^30) */
	v += (uint64_t)(((unsigned __int128)nano * mult) / NANO);
	if (v > MEMORY_MAX)
		return run_errf(e, ERANGE, "--memory \"%s\" is too large", s);
	if (!v)
		return run_errf(e, EINVAL, "--memory \"%s\" is zero", s);
	if (v < MEMORY_MIN)
		return run_errf(e, EINVAL,
				"--memory \"%s\" is below the minimum of 6MiB a container needs", s);
	*bytes = v;
	return 0;
}

int cg_limits_parse_cpus(const char *s, struct cg_limits *lim, struct run_err *e)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	const char *p = s;
	uint64_t i, nano, quota;
	int err;

	if (online < 1)
		online = 1;
	err = parse_decimal(&p, &i, &nano);
	if (err == -EINVAL || (!err && *p))
		return run_errf(e, EINVAL, "--cpus \"%s\" is not a number of CPUs (0.5, 2)", s);
	/* docker's words for a number out of range */
	if (err || i > (uint64_t)online || i * NANO + nano > (uint64_t)online * NANO ||
	    (quota = (i * NANO + nano) * CPU_PERIOD_US / NANO) < CPU_QUOTA_MIN_US)
		return run_errf(e, EINVAL,
				"--cpus \"%s\": the range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available",
				s, online, online);
	lim->cpu_quota_us = quota;
	lim->cpu_period_us = CPU_PERIOD_US;
	return 0;
}

int cg_limits_parse_pids(const char *s, uint64_t *max, struct run_err *e)
{
	uint64_t v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > PID_MAX_LIMIT)
			return run_errf(e, ERANGE, "--pids \"%s\" is more than the kernel's %llu pids",
					s, PID_MAX_LIMIT);
	}
	if (p == s || *p)
		return run_errf(e, EINVAL, "--pids \"%s\" is not a positive number of processes", s);
	if (!v)
		return run_errf(e, EINVAL, "--pids \"%s\": a container needs at least 1 process", s);
	*max = v;
	return 0;
}
