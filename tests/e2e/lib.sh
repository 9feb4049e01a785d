# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Shared code of the end-to-end tests: a sandbox of network namespaces, a
# private bpffs and state dir, TAP output, and helpers that never hang.
#
#   source "$(dirname "$0")/lib.sh"
#   sandbox_setup            # node + ext netns, uplink veth, bpffs, traps (tools/lib/sandbox.sh)
#   bn init --uplink "$UPLINK"
#   check "ping works" ns c1 ping -c1 -W2 10.10.0.3
#   done_testing             # plan line, exit status
#
# Layout (every name starts with $PFX = "bnt<pid>-", unique per run):
#   $NODE  node netns: $UPLINK = 192.168.77.1/24, where bpfnet runs
#   $EXT   ext netns:  $EXT_IF = 192.168.77.2/24, the "outside" host
#   $(nsname c1) ...  container netns made with new_ns
#   $TMP   /run/bpfnet-test.XXXXXX: bpffs/ (mounted), run/ (BPFNET_RUN_DIR), scratch
#
# Everything is removed by the EXIT trap, also on failure or Ctrl-C.

set -u
set -o pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
BPFNET=${BPFNET:-$REPO_DIR/build/bpfnet}

PFX="bnt$$-"
# a unique instance per script (and per run): e.g. "e2e-10-cli-12345"; $E2E_INSTANCE overrides
INST=${E2E_INSTANCE:-"e2e-$(basename "$0" .sh | tr -c 'A-Za-z0-9_.\n-' '_')-$$"}
INST=${INST:0:32}
SB_PREFIX=$PFX SB_INSTANCE=$INST SB_HOOK=bg_kill_all SB_NOTE=_e2e_note
# shellcheck source=../../tools/lib/sandbox.sh
source "$REPO_DIR/tools/lib/sandbox.sh"
NODE=$SB_NODE
EXT=$SB_EXT
UPLINK=$SB_UPLINK
EXT_IF=$SB_EXT_IF
NODE_IP=$SB_NODE_IP
EXT_IP=$SB_EXT_IP
TMP=""
BG_PIDS=()
T_NUM=0
T_FAILED=0

# ---- TAP --------------------------------------------------------------------

# diag TEXT...: every line of TEXT as a "# " comment
diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do printf '# %s\n' "$line"; done
}

# diag_file FILE: a file's lines as comments (at most 40)
diag_file() {
	[ -s "$1" ] || return 0
	head -n 40 "$1" | while IFS= read -r line; do printf '#   %s\n' "$line"; done
}

ok() {
	T_NUM=$((T_NUM + 1))
	printf 'ok %d - %s\n' "$T_NUM" "$*"
}

not_ok() {
	T_NUM=$((T_NUM + 1))
	T_FAILED=$((T_FAILED + 1))
	printf 'not ok %d - %s\n' "$T_NUM" "$*"
}

# result RC DESC: ok when RC is 0
result() {
	local rc=$1
	shift
	if [ "$rc" = 0 ]; then ok "$@"; else not_ok "$@"; fi
}

# check DESC CMD...: ok when CMD exits 0; its output is shown when it does not
check() {
	local desc=$1 out rc
	shift
	out=$(mktemp "${TMP:-/tmp}/check.XXXXXX")
	"$@" >"$out" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "command: $* (exit $rc)"
		diag_file "$out"
	fi
	rm -f "$out"
	return $rc
}

# check_fails DESC CMD...: ok when CMD exits non-zero (and does not time out)
check_fails() {
	local desc=$1 out rc
	shift
	out=$(mktemp "${TMP:-/tmp}/check.XXXXXX")
	"$@" >"$out" 2>&1
	rc=$?
	if [ $rc != 0 ] && [ $rc != 124 ]; then
		ok "$desc"
		rm -f "$out"
		return 0
	fi
	not_ok "$desc"
	diag "command: $* (exit $rc, expected a failure)"
	diag_file "$out"
	rm -f "$out"
	return 1
}

# is GOT WANT DESC
is() {
	if [ "$1" == "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "got:  '$1'"
		diag "want: '$2'"
		return 1
	fi
}

# skip_test DESC REASON
skip_test() {
	T_NUM=$((T_NUM + 1))
	printf 'ok %d - %s # SKIP %s\n' "$T_NUM" "$1" "$2"
}

# bail DESC: a failure after which the script cannot go on
bail() {
	not_ok "$*"
	diag "cannot go on"
	done_testing
}

done_testing() {
	printf '1..%d\n' "$T_NUM"
	if [ "$T_FAILED" != 0 ]; then
		diag "$T_FAILED of $T_NUM failed"
		exit 1
	fi
	exit 0
}

# refused_with RCS DESC NEEDLE CMD...: CMD exits with one of RCS ("1", "2" or "1 2"), its
# stderr names NEEDLE, and the script's own `snapshot` prints the same before and after
refused_with() {
	local want=$1 desc=$2 needle=$3 rc problems=""
	shift 3
	snapshot >"$TMP/before" 2>&1
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	snapshot >"$TMP/after" 2>&1
	[[ " $want " == *" $rc "* ]] || problems+="exit status $rc (want $want); "
	grep -qF -- "$needle" "$TMP/err" || problems+="stderr does not name '$needle'; "
	cmp -s "$TMP/before" "$TMP/after" || problems+="state changed; "
	if [ -z "$problems" ]; then
		ok "$desc"
		return 0
	fi
	not_ok "$desc"
	diag "command: $*"
	diag "problems: $problems"
	diag "stderr:"
	diag_file "$TMP/err"
	if ! cmp -s "$TMP/before" "$TMP/after"; then
		diag "state diff:"
		diff "$TMP/before" "$TMP/after" | head -30 | sed 's/^/#   /'
	fi
	return 1
}

# ---- running things -----------------------------------------------------------

# bn ARGS...: bpfnet of this script's instance, in the node netns
bn() {
	timeout -k 5 60 ip netns exec "$NODE" "$BPFNET" --instance "$INST" "$@"
}

# bnr ARGS...: bpfnet of this script's instance in the node netns but the host's mount
# namespace (nsenter, not ip netns exec, whose mount namespace dies with the command): the
# runtime's containers keep their netns bind mount under /var/run/netns beyond one command
bnr() {
	timeout -k 5 "${BNR_TIMEOUT:-60}" nsenter --net=/var/run/netns/"$NODE" "$BPFNET" \
		--instance "$INST" "$@"
}

# ep_ip EP: endpoint EP's address with its length ("10.0.0.2/24")
ep_ip() { bn --json endpoint show "$1" | json 'd["ip"]'; }

# route_is NS WHAT WANT: `ip route show WHAT` in container NS is exactly WANT
route_is() {
	local got
	got=$(ip -n "$PFX$1" route show $2 | sed 's/ *$//')
	[ "$got" = "$3" ] && return 0
	echo "ip route show $2 in $1:"
	echo "$got"
	echo "want: $3"
	return 1
}

# nsname SHORT: the full netns name of a container ("c1" -> "bnt123-c1")
nsname() { sandbox_ns "$1"; }

# ns SHORT CMD...: run CMD in netns SHORT (c1, node, ext, ...), 10 s at most
ns() {
	local n=$1
	shift
	timeout -k 2 "${NS_TIMEOUT:-10}" ip netns exec "$PFX$n" "$@"
}

# new_ns SHORT...: create container netns (with lo up)
new_ns() { sandbox_netns_add "$@"; }

# wait_until SECONDS CMD...: retry CMD every 0.2 s until it succeeds
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while true; do
		"$@" >/dev/null 2>&1 && return 0
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.2
	done
}

# run_limited SECONDS LOG CMD...: CMD with its output in LOG, sent TERM (then KILL 10 s on)
# should it run past SECONDS; returns its exit status. LIMITED_PID keeps CMD's pid, for the
# names it gave what it made (the bench's netns prefix).
run_limited() {
	local limit=$1 log=$2 watchdog rc
	shift 2
	"$@" >"$log" 2>&1 &
	LIMITED_PID=$!
	(
		sleep "$limit"
		kill -TERM "$LIMITED_PID" 2>/dev/null && sleep 10 && kill -KILL "$LIMITED_PID" 2>/dev/null
	) >/dev/null 2>&1 &
	watchdog=$!
	wait "$LIMITED_PID"
	rc=$?
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	return $rc
}

# bg CMD...: start a server in the background (killed by the trap)
bg() {
	"$@" >/dev/null 2>&1 9>&- &
	BG_PIDS+=($!)
}

# bg_kill_all: stop every background server started with bg
bg_kill_all() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	BG_PIDS=()
}

# json EXPR: evaluate python EXPR with d = the JSON on stdin, print the result
json() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(json.dumps(r) if isinstance(r, (dict, list, bool)) or r is None else r)
' "$1"
}

# tcp_listening SHORT PORT: something listens on TCP PORT in netns SHORT
tcp_listening() {
	[ -n "$(ns "$1" ss -Hltn "sport = :$2")" ]
}

udp_listening() {
	[ -n "$(ns "$1" ss -Hlun "sport = :$2")" ]
}

# udp_server NS NAME PORT [LOG]: answer every datagram with NAME (noting its sender in LOG)
udp_server() {
	bg timeout 300 ip netns exec "$PFX$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[2])))
while True:
    data, peer = s.recvfrom(2048)
    if len(sys.argv) > 3:
        with open(sys.argv[3], "a") as f:
            f.write("%s:%d %s\n" % (peer[0], peer[1], data.decode(errors="replace")))
    s.sendto(sys.argv[1].encode(), peer)
' "${@:2}"
}

# udp_ask NS SRC_PORT DST PORT: one datagram from SRC_PORT, print the answer ("timeout": none)
udp_ask() {
	ns "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(1.5)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.sendto(b"q", (sys.argv[2], int(sys.argv[3])))
try:
    print(s.recv(100).decode())
except (socket.timeout, ConnectionRefusedError):
    print("timeout")
' "$2" "$3" "$4"
}

# tcp_echo FROM DST [PORT]: a line through the TCP echo server at DST ($TCP_PORT) comes back
tcp_echo() {
	local token="tcp $1->$2 $RANDOM" got
	got=$(echo "$token" | ns "$1" socat -T 3 - "TCP:$2:${3:-$TCP_PORT},connect-timeout=3")
	[ "$got" = "$token" ] || { echo "sent '$token', got '$got'"; return 1; }
}

# udp_echo FROM DST: a datagram through the UDP echo server at DST ($UDP_PORT) comes back
udp_echo() {
	local token="udp $1->$2 $RANDOM" got
	got=$(echo "$token" | ns "$1" socat -t 1 -T 3 - "UDP:$2:$UDP_PORT")
	[ "$got" = "$token" ] || { echo "sent '$token', got '$got'"; return 1; }
}

# ping_ttl FROM DST TTL: one ping answered, the reply seen with TTL
ping_ttl() {
	local out
	out=$(ns "$1" ping -c1 -W2 "$2") || { echo "$out"; return 1; }
	grep -q "ttl=$3 " <<<"$out" || { echo "$out"; echo "want ttl=$3"; return 1; }
}

# tcp_get FROM ADDR PORT: the line a TCP server at ADDR:PORT answers with
tcp_get() {
	ns "$1" socat -T 3 - "TCP:$2:$3,connect-timeout=3" </dev/null
}

# udp_get FROM ADDR PORT: the datagram a UDP server at ADDR:PORT answers a "q" with
udp_get() {
	echo q | ns "$1" socat -t 2 -T 3 - "UDP:$2:$3"
}

# grep_out PATTERN CMD...: CMD's output has PATTERN
grep_out() {
	local pat=$1 out
	shift
	out=$("$@" 2>&1)
	grep -q -- "$pat" <<<"$out" || { echo "$out"; echo "(no '$pat' in that)"; return 1; }
}

# expect WANT CMD...: CMD prints exactly WANT
expect() {
	local want=$1 got
	shift
	got=$("$@" 2>&1)
	[ "$got" = "$want" ] || { echo "got '$got', want '$want'"; return 1; }
}

# stat_of EP FIELD: one per-endpoint counter from bpfnet stats
stat_of() {
	bn --json stats | json "[e['$2'] for e in d['endpoints'] if e['name'] == '$1'][0]"
}

# drop_count REASON: one drop-reason counter from bpfnet stats
drop_count() {
	bn --json stats | json "d['drops']['$1']"
}

# ---- the sandbox (tools/lib/sandbox.sh) -------------------------------------------------

# sandbox_teardown (the library's): bg_kill_all, the instance down, every netns of $PFX,
# the bpffs, $TMP and the cgroup; run by the EXIT trap, also on failure or a signal

# _e2e_note TEXT: a comment on the script's stdout (fd 9: a signal may come while a check
# redirects stdout)
_e2e_note() { diag "$*" >&9; }

# cgroup_setup, cgroup_teardown: the cgroup alone (sandbox_setup makes it already): one of
# the test's own for bpfnet's socket hooks, with this script (so every client it starts)
# in it, rather than the host's root, so that no process of the host runs them
CG=""
cgroup_setup() {
	sandbox_cgroup test --join-cgroup
	_cgroup_said
}

cgroup_teardown() {
	_sb_cgroup_remove
	CG=""
}

_cgroup_said() {
	CG=$SB_CGROUP
	[ -n "$CG" ] || diag "no cgroup v2 of our own: the socket hooks go to bpfnet's default"
}

# sandbox_setup: temp dir with a private bpffs, node and ext netns joined by the uplink veth
sandbox_setup() {
	exec 9>&1
	sandbox_traps
	if [ "$(id -u)" != 0 ]; then
		diag "the end-to-end tests need root"
		exit 1
	fi
	if [ ! -x "$BPFNET" ]; then
		diag "$BPFNET is missing: run make first"
		exit 1
	fi
	sandbox_open test --join-cgroup || { diag "cannot make the sandbox's temp dir and bpffs"; exit 1; }
	TMP=$SB_TMP
	_cgroup_said
	# a private copy: a rebuild of build/ while the test runs cannot swap it midway
	cp "$BPFNET" "$TMP/bpfnet" || { diag "cannot copy $BPFNET"; exit 1; }
	BPFNET_BUILT=$BPFNET
	BPFNET="$TMP/bpfnet"
	SB_BPFNET=$BPFNET
	diag "sandbox: prefix $PFX, instance $INST, tmp $TMP, bpfnet $BPFNET_BUILT"
	sandbox_uplink || { diag "cannot build the sandbox network"; exit 1; }
	return 0
}

# rootfs_setup: $ROOTFS, a busybox-static root file system in $TMP (sandbox_rootfs);
# 1 with the reason in $ROOTFS_WHY when there is no static busybox
ROOTFS="" ROOTFS_WHY=""
rootfs_setup() {
	ROOTFS=$TMP/rootfs
	ROOTFS_WHY=$(sandbox_rootfs "$ROOTFS" 2>&1 >/dev/null) && return 0
	ROOTFS_WHY=${ROOTFS_WHY:-cannot build a busybox rootfs in $ROOTFS}
	ROOTFS=""
	return 1
}

# cgroup_dirs_of NAME: every directory of container NAME's cgroup that exists now, on
# every hierarchy (<mount>/$BPFNET_CGROUP_PARENT/NAME, cgroup.h), one a line
cgroup_dirs_of() {
	local mnt
	for mnt in $(sandbox_cgroup_mounts); do
		[ -d "$mnt/$BPFNET_CGROUP_PARENT/$1" ] && echo "$mnt/$BPFNET_CGROUP_PARENT/$1"
	done
	return 0
}

# ---- containers of `bpfnet run` ----------------------------------------------------------

# ctr_json NAME EXPR: EXPR of container NAME's entry c in `ps -a --json`, "gone" without one
ctr_json() {
	bnr --json ps -a | json "next(($2 for c in d if c['name'] == '$1'), 'gone')"
}

# ctr_pid NAME: the host PID of container NAME's init (ps), "None" when it does not run
ctr_pid() { ctr_json "$1" 'c["pid"]'; }

# ctr_running NAME: ps says container NAME runs
ctr_running() { [ "$(ctr_json "$1" 'c["state"]')" = running ]; }

# ctr_ip NAME [I]: the address (no prefix length) of container NAME's attachment I (0)
ctr_ip() { ctr_json "$1" "c['networks'][${2:-0}]['ip'].split('/')[0]"; }

# ctr_cmd_pid NAME: the host PID of the command of container NAME (init's child, spawn.h)
ctr_cmd_pid() {
	local init
	init=$(ctr_pid "$1")
	[ "$init" != None ] && [ "$init" != gone ] || return 1
	awk '{ print $1 }' "/proc/$init/task/$init/children"
}

# alive PID...: those of PID... that still run (a zombie does not: this machine's PID 1
# may be slow to reap orphans)
alive() {
	local p
	for p in "$@"; do
		[ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && echo "$p"
	done
	return 0
}

# ---- scripts that must leave nothing behind ------------------------------------------

# left_nothing OUT: what a script said it made is gone: its sandbox (a line "SUB_WHERE=" or
# "sandbox: " with sandbox_where's text) and its processes (a line "SUB_PIDS=")
left_nothing() {
	local where pfx tmp cg cgparent mnt pids p left bad=""
	where=$(sed -n 's/^SUB_WHERE=//p; s/^sandbox: //p' "$1" | head -n1)
	cgparent=$(sed -n 's/.*container cgroups under \*\/\([^ ,]*\).*/\1/p' <<<"$where")
	pids=$(sed -n 's/^SUB_PIDS=//p' "$1")
	pfx=$(sed -n 's/^netns \([^*]*\)\*.*/\1/p' <<<"$where")
	tmp=$(sed -n 's/.*temp dir \([^ ,]*\).*/\1/p' <<<"$where")
	cg=$(sed -n 's/.*cgroup \([^ ,]*\).*/\1/p' <<<"$where")
	if [ -z "$pfx" ] || [ -z "$tmp" ]; then
		echo "the script did not say its prefix and temp dir: '$where'"
		return 1
	fi
	left=$(ip netns list | awk -v p="$pfx" 'index($1, p) == 1 { printf "%s ", $1 }')
	[ -n "$left" ] && bad+="netns: $left; "
	grep -qF "$tmp" /proc/mounts && bad+="mount: $(grep -F "$tmp" /proc/mounts); "
	[ -e "$tmp" ] && bad+="directory $tmp; "
	[ -n "$cg" ] && [ -e "$cg" ] && bad+="cgroup $cg; "
	if [ -n "$cgparent" ]; then
		for mnt in $(sandbox_cgroup_mounts); do
			[ -e "$mnt/$cgparent" ] && bad+="cgroup $mnt/$cgparent; "
		done
	fi
	for p in /run/netns/"$pfx"*; do
		[ -e "$p" ] && bad+="netns file $p; "
	done
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && bad+="process $p ($(tr '\0' ' ' </proc/"$p"/cmdline)); "
	done
	[ -z "$bad" ] || { echo "left behind: $bad"; return 1; }
}

# signal_when_ready DESC SIG OUT CMD...: start CMD ("timeout ... SCRIPT ...") with its
# output in OUT, and once OUT has a line SUB_READY send SIG to the script itself, as
# Ctrl-C or kill would; CMD's exit status
signal_when_ready() {
	local desc=$1 sig=$2 out=$3 pid script
	shift 3
	# background jobs of a script ignore SIGINT: give the script default handling
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@" >"$out" 2>&1 9>&- &
	pid=$!
	if ! wait_until 30 grep -q SUB_READY "$out"; then
		not_ok "$desc got ready for SIG$sig"
		diag_file "$out"
	fi
	# the script is timeout's child
	script=$(ps -o pid= --ppid "$pid" | head -n1 | tr -d ' ')
	kill -"$sig" "${script:-$pid}"
	wait "$pid"
}

# ---- packet capture -------------------------------------------------------------

# capture_start SHORT FILE [FILTER...]: tcpdump -v on eth0 (or $CAP_IF) of netns SHORT into
# FILE, returns once tcpdump listens (30 s at most, then it stops by itself)
CAP_PID=""
capture_start() {
	local n=$1 f=$2
	shift 2
	timeout -k 2 30 ip netns exec "$PFX$n" tcpdump -l -n -v -i "${CAP_IF:-eth0}" "$@" \
		>"$f" 2>"$f.err" 9>&- &
	CAP_PID=$!
	BG_PIDS+=("$CAP_PID")
	wait_until 5 grep -q "listening on" "$f.err"
}

# capture_stop: stop the last capture_start (its file is complete afterwards)
capture_stop() {
	[ -n "$CAP_PID" ] || return 0
	sleep 0.3 # let the last packets reach the file
	kill -TERM "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	CAP_PID=""
	return 0
}

# ext2_setup: a second outside netns "ext2" on a second uplink veth of the node, with a
# subnet of its own (tools/lib/sandbox.sh's sandbox_uplink2): $EXT2, $UPLINK2 =
# $UPLINK2_IP/24 in the node, $EXT2_IF = $EXT2_IP/24 in ext2. Removed with the sandbox.
ext2_setup() {
	sandbox_uplink2 || return 1
	EXT2=$SB_EXT2 UPLINK2=$SB_UPLINK2 EXT2_IF=$SB_EXT2_IF
	UPLINK2_IP=$SB_UPLINK2_IP EXT2_IP=$SB_EXT2_IP
}
