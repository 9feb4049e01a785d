/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A second build of the same programs for the upgrade tests (tests/e2e/76-upgrade.sh,
 * tools/upgrade-bench): `make prog-variant` compiles with BPFNET_PROG_VARIANT=N, which
 * puts one instruction without effect at the start of each tc entry program. Its
 * bytecode (so its tag) differs from the normal build's while its maps, layouts and
 * verdicts are the same: installing it over a running node is "a binary with a changed
 * program", and nothing else.
 */
#ifndef BPFNET_BPF_VARIANT_H
#define BPFNET_BPF_VARIANT_H

#ifdef BPFNET_PROG_VARIANT
/* r0 is written again before any read: the verifier and the verdict do not see it */
#define PROG_VARIANT_MARK() asm volatile("r0 = %[v]" : : [v] "i"(BPFNET_PROG_VARIANT) : "r0")
#else
#define PROG_VARIANT_MARK() do { } while (0)
#endif

#endif
