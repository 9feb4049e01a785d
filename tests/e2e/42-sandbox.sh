#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The sandbox library (tools/lib/sandbox.sh) leaves nothing behind: a script built on it
# alone (uplink, a container netns, bpfnet's pins and socket hooks, a process in a netns
# and one only in its cgroup, neither known to any hook, and what a `bpfnet run`
# container killed midway leaves: a broken record, its netns, a process in its cgroups
# under the run's BPFNET_CGROUP_PARENT on a v1 hierarchy and cgroup2) that fails, fails under
# "set -e", is interrupted by SIGINT, SIGTERM or SIGHUP, or passes, leaves no netns of
# its prefix, mount, temp dir, cgroup or process. And tools/demo (make demo) runs to its
# end on it and leaves nothing either.
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	diag "the sandbox needs root"
	exit 1
fi
[ -x "$BPFNET" ] || { diag "$BPFNET is missing: run make first"; exit 1; }
WORK=$(mktemp -d /tmp/bpfnet-sandbox-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

SUB="$WORK/sub.sh"
cat >"$SUB" <<'EOF'
#!/usr/bin/env bash
# sub.sh REPO BPFNET MODE: the sandbox with everything in it, then MODE: fail (exit 1),
# sete (a failing command under set -e), wait (until a signal comes), ok (exit 0)
set -u
mode=$3
SB_PREFIX="bnsbt$$-" SB_BPFNET=$2 SB_INSTANCE=sbt
source "$1/tools/lib/sandbox.sh"
[ "$mode" = sete ] && set -e
sandbox_open sbtest --join-cgroup || exit 3
echo "SUB_WHERE=$(sandbox_where)"
sandbox_uplink || exit 3
sandbox_netns_add c1 || exit 3
ip netns exec "$SB_NODE" "$SB_BPFNET" --instance sbt init --uplink "$SB_UPLINK" >/dev/null || exit 3
[ -n "$(ls "$BPFNET_BPFFS/bpfnet/sbt")" ] || exit 3
ip netns exec "$(sandbox_ns c1)" sleep 120 9>&- &
in_netns=$!
sleep 120 9>&- &
in_cgroup=$!
[ -z "$SB_CGROUP" ] || grep -qx "$in_cgroup" "$SB_CGROUP/cgroup.procs" || exit 3
# what a container of `bpfnet run` killed midway leaves: a record rm -f cannot make sense
# of, its netns bind mount, a process in its cgroups on a v1 hierarchy and on cgroup2
[ "$BPFNET_CGROUP_PARENT" = "$SB_CGROUP_PARENT" ] && [ -n "$SB_CGROUP_PARENT" ] || exit 3
mkdir -p "$BPFNET_RUN_DIR/containers/${SB_PREFIX}ct" || exit 3
echo '{' >"$BPFNET_RUN_DIR/containers/${SB_PREFIX}ct/container.json"
sandbox_netns_add ct || exit 3
sleep 120 9>&- &
in_ct=$!
for mnt in $(sandbox_cgroup_mounts); do
	case $mnt in */pids | */unified) ;; *) continue ;; esac
	mkdir -p "$mnt/$SB_CGROUP_PARENT/${SB_PREFIX}ct/sub" || exit 3
	echo "$in_ct" >"$mnt/$SB_CGROUP_PARENT/${SB_PREFIX}ct/sub/cgroup.procs" || exit 3
done
echo "SUB_PIDS=$in_netns $in_cgroup $in_ct"
echo "SUB_READY"
case $mode in
fail) exit 1 ;;
sete) false ;;
wait) wait ;;
esac
exit 0
EOF
chmod +x "$SUB"

# sub MODE WANT_RC: run sub.sh to its end
sub() {
	local out="$WORK/sub-$1.out" rc
	timeout -k 5 120 "$SUB" "$REPO_DIR" "$BPFNET" "$1" >"$out" 2>&1
	rc=$?
	is "$rc" "$2" "a sandbox script that ends with '$1' exits $2" || diag_file "$out"
	check "... it got as far as its processes" grep -q SUB_READY "$out"
	check "... and left no netns, mount, temp dir, cgroup or process" left_nothing "$out"
}

# sub_signal SIG WANT_RC: start sub.sh, send it SIG once it is ready
sub_signal() {
	local out="$WORK/sub-$1.out" rc
	signal_when_ready "a sandbox script" "$1" "$out" \
		timeout -k 5 120 "$SUB" "$REPO_DIR" "$BPFNET" wait
	rc=$?
	is "$rc" "$2" "a sandbox script interrupted by SIG$1 exits $2" || diag_file "$out"
	check "... and left no netns, mount, temp dir, cgroup or process" left_nothing "$out"
}

sub fail 1
sub sete 1
sub ok 0
sub_signal INT 130
sub_signal TERM 143
sub_signal HUP 129

# ---- tools/demo (make demo) ------------------------------------------------------------

out="$WORK/demo.out"
timeout -k 5 180 "$REPO_DIR/tools/demo" >"$out" 2>&1 9>&-
rc=$?
is "$rc" 0 "tools/demo exits 0" || diag_file "$out"
check "tools/demo got to its end" grep -q '^demo done' "$out"
check "tools/demo's published port answered the outside and the node" \
	test "$(grep -c '^hello from web1' "$out")" -ge 3
check "tools/demo left no netns, mount, temp dir, cgroup or process" left_nothing "$out"

done_testing
