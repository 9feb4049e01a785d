#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The limits of `bpfnet run`, on real processes, read from the container's cgroup (v1
# where the controller lives on this machine, v2 where it is there): --memory makes an
# allocating process be OOM-killed and run report it (137, "OOM", ps's oom_killed) while a
# process under the limit runs; --pids 10 holds a fork bomb at 10 processes, the host
# unharmed, and rm -f ends it; --cpus 0.2 holds a busy loop near 20% of one core (the
# cgroup's own CPU time over a few seconds); stop ends the whole tree, also children that
# ignore SIGTERM or left their session. bpfnet runs through bnr (tests/e2e/lib.sh).
source "$(dirname "$0")/lib.sh"
sandbox_setup

bn init --uplink "$UPLINK" >/dev/null || bail "bpfnet init"

# cg_file NAME FILE...: the first of FILE... that a cgroup dir of container NAME has
cg_file() {
	local name=$1 f d
	shift
	for f in "$@"; do
		for d in $(cgroup_dirs_of "$name"); do
			[ -e "$d/$f" ] && { echo "$d/$f"; return 0; }
		done
	done
	return 1
}

# cg_procs NAME: the host PIDs in container NAME's cgroup (every dir of it), sorted
cg_procs() {
	local d
	for d in $(cgroup_dirs_of "$1"); do cat "$d/cgroup.procs"; done 2>/dev/null | sort -nu
}

# has_procs NAME N: container NAME's cgroup has N processes or more
has_procs() { [ "$(cg_procs "$1" | wc -l)" -ge "$2" ]; }

# bnr30 ARGS...: bnr with 30 s to do it
bnr30() { BNR_TIMEOUT=30 bnr "$@"; }

# ---- --memory -------------------------------------------------------------------------

# tail of /dev/zero keeps its one endless "line" in memory: it grows until something stops it
M=${PFX}mem
BNR_TIMEOUT=60 bnr run --name "$M" --memory 32m -- tail /dev/zero >"$TMP/mem.out" 2>"$TMP/mem.err"
rc=$?
is "$rc" 137 "--memory 32m: the allocating process is killed, run exits 137 (128+SIGKILL, as docker)" ||
	diag_file "$TMP/mem.err"
check "--memory: run says the memory limit killed it" grep -qi 'oom\|memory limit' "$TMP/mem.err"
is "$(ctr_json "$M" '[c["state"], c["oom_killed"], c["exit_status"]]')" '["exited", true, 137]' \
	"--memory: ps -a --json says exited, oom_killed, 137"
BNR_TIMEOUT=20 bnr rm -f "$M" >/dev/null
out=$(BNR_TIMEOUT=60 bnr run --rm --name "${PFX}mem2" --memory 32m -- sh -c 'head -c 8M /dev/zero | tail -c 1 | wc -c; exit 5' 2>&1)
is "$?:$out" "5:1" "--memory 32m: a process well under it runs to its own end (exit 5)"
bnr run -d --name "${PFX}mem3" --memory 48m -- sleep 600 >/dev/null
f=$(cg_file "${PFX}mem3" memory.max memory.limit_in_bytes)
is "$(cat "${f:-/dev/null}" 2>/dev/null)" $((48 << 20)) "--memory 48m: ${f:-the memory limit file} reads $((48 << 20))"
BNR_TIMEOUT=20 bnr rm -f "${PFX}mem3" >/dev/null

# ---- --pids ----------------------------------------------------------------------------

# the classic bomb, with a sleep left by each f so that the processes pile up: each f
# starts two more in the background and returns; at the limit forks fail and bash tries
# them again ("fork: retry"), so the survivors press on until rm -f ends them
P=${PFX}pids
bnr run -d --name "$P" --pids 10 -- bash -c 'f() { sleep 600 & f | f & }; f 2>/dev/null; wait' >/dev/null ||
	bail "run -d of the fork bomb"
cur=$(cg_file "$P" pids.current) max_f=$(cg_file "$P" pids.max) events=$(cg_file "$P" pids.events)
is "$(cat "${max_f:-/dev/null}" 2>/dev/null)" 10 "--pids 10: ${max_f:-pids.max} reads 10"
peak=0 samples=0
for i in $(seq 1 30); do
	n=$(cat "$cur" 2>/dev/null) || break
	samples=$((samples + 1))
	[ "$n" -gt "$peak" ] && peak=$n
	sleep 0.1
done
check "--pids 10: the bomb reached the limit and never went past it (peak $peak in $samples samples of pids.current)" \
	test "$samples" -ge 20 -a "$peak" -le 10 -a "$peak" -ge 9
refused=$(awk '$1 == "max" { print $2 }' "$events" 2>/dev/null)
check "--pids 10: the kernel refused its forks (pids.events max $refused)" test "${refused:-0}" -gt 0
check "--pids 10: the container itself still runs (init alive)" ctr_running "$P"
check "--pids 10: the host forks as ever (20 processes of this test)" \
	sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do true & done; wait'
procs=$(cg_procs "$P")
check "rm -f ends the fork bomb" bnr30 rm -f "$P"
left=$(alive $procs)
is "$left" "" "... none of its processes is left"
is "$(cgroup_dirs_of "$P")" "" "... nor its cgroup dirs"

# ---- --cpus ------------------------------------------------------------------------------

# usage_ns NAME: CPU time container NAME's processes used: cpuacct.usage (ns, v1), else
# cpu.stat's usage_usec (v2)
usage_ns() {
	local f
	if f=$(cg_file "$1" cpuacct.usage); then
		cat "$f"
	elif f=$(cg_file "$1" cpu.stat); then
		awk '$1 == "usage_usec" { print $2 * 1000 }' "$f"
	else
		return 1
	fi
}

# busy_share NAME SECS: the share of one core container NAME used over SECS, as x.xx
busy_share() {
	local u0 u1 t0 t1
	u0=$(usage_ns "$1") || return 1
	t0=$(date +%s%N)
	sleep "$2"
	u1=$(usage_ns "$1") || return 1
	t1=$(date +%s%N)
	awk -v u=$((u1 - u0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.3f\n", u / t }'
}

C=${PFX}cpu
bnr run -d --name "$C" --cpus 0.2 -- sh -c 'while :; do :; done' >/dev/null || bail "run -d of the busy loop"
f=$(cg_file "$C" cpu.max cpu.cfs_quota_us)
case $f in
*cpu.max) is "$(cat "$f")" "20000 100000" "--cpus 0.2: cpu.max reads 20000 100000" ;;
*) is "$(cat "$f" 2>/dev/null) $(cat "${f%/*}/cpu.cfs_period_us" 2>/dev/null)" "20000 100000" \
	"--cpus 0.2: ${f:-cpu.cfs_quota_us} and cpu.cfs_period_us read 20000 100000" ;;
esac
sleep 0.5 # past the first period, whose quota the loop's start may not fill
share=$(busy_share "$C" 4)
# The quota stops the loop at 20 ms of each 100 ms period: it cannot use more than 0.20
# but for a period cut by the window's edges (0.30 leaves room for that and the counter's
# lag). It may get less when the machine's two cores are busy with other work: even a
# loaded run gives a runnable loop a good part of its 20%, so 0.08 is the floor. Without
# the quota a loop takes about a whole core here, far above 0.30.
check "--cpus 0.2: a busy loop uses $share of a core over 4 s (0.08 to 0.30)" \
	awk -v s="$share" 'BEGIN { exit !(s >= 0.08 && s <= 0.30) }'
BNR_TIMEOUT=20 bnr rm -f "$C" >/dev/null
# the contrast, for the reader: the same loop with no quota
bnr run -d --name "${C}0" -- sh -c 'while :; do :; done' >/dev/null &&
	diag "the same loop without --cpus: $(busy_share "${C}0" 2) of a core" &&
	BNR_TIMEOUT=20 bnr rm -f "${C}0" >/dev/null

# ---- stop ends the whole tree --------------------------------------------------------------

# stop_tree DESC CMD: a container running CMD (a tree of sleeps), stopped; none of it left
stop_tree() {
	local desc=$1 name=$2 t0 procs n left
	shift 2
	bnr run -d --name "$name" -- sh -c "$1" >/dev/null || { not_ok "$desc: run -d"; return 1; }
	wait_until 10 has_procs "$name" "$2"
	procs=$(cg_procs "$name")
	n=$(wc -w <<<"$procs")
	check "$desc: $n processes in the container before stop (at least $2)" test "$n" -ge "$2"
	t0=$SECONDS
	check "$desc: stop -t 1 exits 0" bnr30 stop -t 1 "$name"
	left=$(alive $procs)
	is "$left" "" "$desc: none of them is left after stop ($((SECONDS - t0)) s)" ||
		diag "$(ps -o pid,stat,cmd -p "$(tr '\n' , <<<"$left" | sed 's/,$//')")"
	is "$(ctr_json "$name" 'c["state"]')" exited "$desc: ps says exited"
	BNR_TIMEOUT=20 bnr rm -f "$name" >/dev/null
}
stop_tree "stop, sleeps in the background" "${PFX}st1" \
	'sleep 600 & sleep 600 & (sleep 600 &); sleep 600 & wait' 5
# the command ignores SIGTERM, a grandchild left the session: SIGKILL of the tree must get all
stop_tree "stop, SIGTERM ignored and a child in a session of its own" "${PFX}st2" \
	'trap "" TERM; sleep 600 & setsid sleep 600 & (trap "" TERM; sleep 600) & while :; do sleep 1; done' 6

check "no record left" test -z "$(ls "$BPFNET_RUN_DIR/containers" 2>/dev/null)"
done_testing
