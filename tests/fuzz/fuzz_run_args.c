// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `bpfnet run`'s command line (user/run/run_config.c and args.c) and the
 * values in it that are parsed before anything is checked on the system:
 * the limits (--memory, --cpus, --pids: cgroup_limits.c), --ip and each -p.
 * The input is the argument vector, its words separated by NUL bytes. What
 * parses has a command, no more networks or ports than the runtime keeps.
 */
#include "fuzz.h"
#include "run/runcfg.h"

#define ARGS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), *argv[ARGS_MAX + 1];
	struct bpfnet_port_mapping m;
	struct run_config c = {};
	struct run_err e = {};
	struct bpfnet_addr a;
	uint64_t v;
	int argc = 0;

	fuzz_quiet();
	for (char *p = text; p < text + size && argc < ARGS_MAX; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	if (run_config_parse(&c, argc, argv, &e)) {
		FUZZ_ASSERT(e.errnum && strlen(e.msg) < sizeof(e.msg));
		run_config_free(&c);
		free(text);
		return 0;
	}
	FUZZ_ASSERT(c.argv && c.argv[0]);
	FUZZ_ASSERT(c.networks.n <= RUN_MAX_NETWORKS && c.ports.n <= RUN_MAX_PORTS);
	FUZZ_ASSERT(c.env.n <= RUN_MAX_ARGS);
	if (c.memory_opt && !cg_limits_parse_memory(c.memory_opt, &v, &e))
		FUZZ_ASSERT(v > 0);
	if (c.cpus_opt && !cg_limits_parse_cpus(c.cpus_opt, &c.limits, &e))
		FUZZ_ASSERT(c.limits.cpu_quota_us > 0);
	if (c.pids_opt)
		(void)cg_limits_parse_pids(c.pids_opt, &v, &e);
	if (c.ip_opt)
		(void)bpfnet_addr_parse(c.ip_opt, &a);
	for (size_t i = 0; i < c.ports.n; i++)
		(void)bpfnet_port_spec_parse(c.ports.v[i], &m);
	run_config_free(&c);
	free(text);
	return 0;
}
