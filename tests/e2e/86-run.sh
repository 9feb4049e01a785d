#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `bpfnet run` and the container's life over the CLI, real processes: exit statuses of a
# foreground run (0, 7, 128+N), --rm leaving no record, -d with ps, logs (-f), exec (in
# the same namespaces), stop (-t: SIGTERM, then SIGKILL), rm (a running one refused
# without -f), ps -a and --json; bad input refused before anything is made (records, netns,
# cgroups, endpoints as they were); kill -9 of a foreground run leaves the container
# running and rm removes all of it; the container outlives a SIGKILLed monitor of run -d.
# bpfnet runs through bnr (nsenter --net: the node's netns, the host's mount namespace) so
# that the netns bind mounts under /var/run/netns are the host's.
source "$(dirname "$0")/lib.sh"
sandbox_setup

# the sandbox gives the containers' cgroups a parent of this run's own
# ($BPFNET_CGROUP_PARENT) and its teardown removes every container left, then that parent
RUN_DIR=$BPFNET_RUN_DIR/containers
NET=n86
SUBNET=10.86.0.0/24
[ -n "${BPFNET_CGROUP_PARENT:-}" ] || bail "the sandbox set no BPFNET_CGROUP_PARENT"

# what a refused command must leave as it was
snapshot() {
	echo "records: $(ls "$RUN_DIR" 2>/dev/null | tr '\n' ' ')"
	echo "netns: $(ip netns list | awk -v p="$PFX" 'index($1, p) == 1 { print $1 }' | sort |
		tr '\n' ' ')"
	echo "cgroups: $(find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d \
		-path "*/$BPFNET_CGROUP_PARENT/*" 2>/dev/null | sort | tr '\n' ' ')"
	echo "endpoints: $(bn endpoint ls -q | tr '\n' ' ')"
	echo "userns: $(ls "$BPFNET_RUN_DIR/userns" 2>/dev/null | tr '\n' ' ')"
}

# psj NAME EXPR: EXPR of container NAME's entry c in ps -a --json, "gone" if it has none
psj() {
	bnr --json ps -a | json "next(($2 for c in d if c['name'] == '$1'), 'gone')"
}

# running NAME: ps says container NAME is running
running() { [ "$(psj "$1" 'c["state"]')" = running ]; }

# parts_gone NAME: its netns and endpoint are gone (its record may stay)
parts_gone() {
	[ ! -e "/var/run/netns/$1" ] || { echo "netns $1 is there"; return 1; }
	! bn endpoint ls -q | grep -qx "$1" || { echo "endpoint $1 is there"; return 1; }
}

# waiter NAME: the PID of the process that waits for the container's init (its record's)
waiter() { json 'd["waiter"]["pid"] if d["waiter"] else 0' <"$RUN_DIR/$1/container.json"; }

# nothing_of NAME: no record, netns, endpoint, cgroup or process of container NAME
nothing_of() {
	local bad=""
	[ -e "$RUN_DIR/$1" ] && bad+="record; "
	[ -e "/var/run/netns/$1" ] && bad+="netns; "
	grep -q " /run/netns/$1 " /proc/self/mountinfo && bad+="netns mount; "
	bn endpoint ls -q | grep -qx "$1" && bad+="endpoint; "
	[ -n "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -name "$1" \
		-path "*/$BPFNET_CGROUP_PARENT/*" 2>/dev/null)" ] && bad+="cgroup; "
	# a zombie is no process left: this machine's PID 1 may be slow to reap orphans
	grep -qsx "$1" "$BPFNET_RUN_DIR"/userns/* && bad+="userns range; "
	[ -n "${2:-}" ] && [ -e "/proc/$2" ] && ! grep -q '^State:.*Z' "/proc/$2/status" &&
		bad+="process $2; "
	[ -z "$bad" ] || { echo "left of $1: $bad"; return 1; }
}

# status_is WANT CMD...: CMD exits with WANT
status_is() {
	local want=$1 rc
	shift
	"$@" >"$TMP/st.out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] || { echo "exit $rc, want $want"; cat "$TMP/st.out"; return 1; }
}

bn init --uplink "$UPLINK" >/dev/null || bail "bpfnet init"
bn network create $NET --subnet $SUBNET >/dev/null || bail "network create"

# ---- foreground: exit statuses, --rm, the command's words ---------------------------------

check "run -- /bin/true: exit 0" status_is 0 bnr run --rm --name "${PFX}f0" -- /bin/true
check "run: the command's exit 7 is run's" status_is 7 bnr run --rm --name "${PFX}f7" \
	-- sh -c 'exit 7'
check "run: killed by SIGKILL is 137 (128+9)" status_is 137 bnr run --rm --name "${PFX}fk" \
	-- sh -c 'kill -KILL $$'
check "run: killed by SIGTERM is 143 (128+15)" status_is 143 bnr run --rm --name "${PFX}ft" \
	-- sh -c 'kill -TERM $$'
check "--rm leaves no record of them" test -z "$(ls "$RUN_DIR" 2>/dev/null)"
is "$(bnr run --rm --network none -- echo --json -q)" "--json -q" \
	"the words after -- are the command's (no global option taken from them)"
is "$(bnr run --rm -e FOO=bar -e PATH=/usr/bin:/bin -w /tmp -- \
	sh -c 'echo $FOO $PATH $HOME; pwd')" \
	"bar /usr/bin:/bin /root
/tmp" "-e sets the environment over docker's defaults, -w the working directory"
check "run without --rm: exit 3" status_is 3 bnr run --name "${PFX}kept" -- sh -c 'exit 3'
is "$(psj "${PFX}kept" '[c["state"], c["exit_status"]]')" '["exited", 3]' \
	"ps -a --json: the container that ended, with its status"
check "ps (without -a) leaves it out" test -z "$(bnr ps -q | grep -x "${PFX}kept")"
check "ps -a lists it as Exited (3)" grep_out "${PFX}kept .*Exited (3)" bnr ps -a
check "its parts are gone, the record stays for ps -a" test ! -e "/var/run/netns/${PFX}kept"
refused_with 1 "logs of a foreground container: it has none" "foreground" \
	bnr logs "${PFX}kept"
refused_with 1 "exec in a container that has ended" "not running" \
	bnr exec "${PFX}kept" -- true
check "stop of one that has ended: nothing to do" bnr stop "${PFX}kept"
check "rm removes the record" bnr rm "${PFX}kept"
check "nothing left of it" nothing_of "${PFX}kept"

# the foreground's signals reach the container: SIGTERM, and SIGINT (Ctrl-C) as a terminal
# sends it (a background job of a script ignores SIGINT: python gives it back its default)
bnr run --rm --name "${PFX}sg" -- sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done' &
runner=$!
wait_until 10 running "${PFX}sg"
kill -TERM "$(waiter "${PFX}sg")"
wait "$runner"
is "$?" 9 "SIGTERM to a foreground run reaches the command (its trap's exit 9)"
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' nsenter --net=/var/run/netns/"$NODE" "$BPFNET" \
	--instance "$INST" run --rm --name "${PFX}si" -- sh -c \
	'trap "echo got INT; exit 8" INT; while :; do sleep 0.1; done' >"$TMP/int" 2>&1 &
runner=$!
wait_until 10 running "${PFX}si"
kill -INT "$runner"
wait "$runner"
is "$?" 8 "Ctrl-C (SIGINT) of a foreground run reaches the command (its trap's exit 8)"
check "nothing left of them" nothing_of "${PFX}sg" && nothing_of "${PFX}si"

# --network host: the node's namespace, no netns of its own
is "$(bnr run --rm --network host -- readlink /proc/self/ns/net)" \
	"$(ip netns exec "$NODE" readlink /proc/self/ns/net)" "--network host: the node's netns"
is "$(bnr run --rm --network none -- ip -o link | awk '{ print $2 }')" "lo:" \
	"--network none: only lo"

# default name and hostname: the ID's first 12 characters, as docker does
id=$(bnr run -d -- sleep 30)
check "run -d prints a 64-hex ID" grep -qxE '[0-9a-f]{64}' <<<"$id"
short=${id:0:12}
is "$(psj "$short" 'c["id"]')" "$id" "the default name is the short ID"
is "$(bnr exec "$short" -- hostname)" "$short" "the default hostname is the short ID"
is "$(bnr exec "${id:0:20}" -- hostname)" "$short" "exec takes a prefix of the ID too"
check "rm -f of the default-named one" bnr rm -f "$short"
check "nothing left of it" nothing_of "$short"

# ---- -d, ps, logs, exec, stop, rm -------------------------------------------------------------

D=${PFX}d1
out=$(bnr run -d --name "$D" --network $NET -- sh -c \
	'echo hello; echo oops >&2; trap "echo got TERM; exit 3" TERM; while :; do sleep 0.1; done')
check "run -d --network: started" test -n "$out"
is "$(psj "$D" 'c["state"]')" "running" "ps --json: running"
check "ps lists it (Up, its network and address)" grep_out "$D .*Up .*$NET:10\.86\.0\." bnr ps
ip=$(psj "$D" 'c["networks"][0]["ip"]')
check "its netns is /var/run/netns/$D, seen by ip netns exec: eth0 has $ip" \
	grep_out "inet $ip" ip netns exec "$D" ip -o addr show eth0
check "its endpoint is the network's" grep_out "^$D\$" bn endpoint ls -q
check "logs: stdout and stderr" expect "hello
oops" bnr logs "$D"
init=$(psj "$D" 'c["pid"]')
same_ns=""
for n in net pid mnt uts ipc; do
	inside=$(bnr exec "$D" -- readlink "/proc/self/ns/$n")
	[ "$inside" = "$(readlink "/proc/$init/ns/$n")" ] || same_ns+=" $n: $inside"
done
is "$same_ns" "" "exec lands in init's net, pid, mnt, uts and ipc namespaces"
check "exec: the command's status is exec's (5)" status_is 5 bnr exec "$D" -- sh -c 'exit 5'
check "exec -e over the container's environment" expect "x /root" \
	bnr exec -e V=x "$D" -- sh -c 'echo $V $HOME'
refused_with 1 "rm of a running container is refused without -f" "is running" bnr rm "$D"
bnr logs -f "$D" >"$TMP/follow" 2>&1 &
follow=$!
check "stop -t 5: SIGTERM reaches the command" bnr stop -t 5 "$D"
is "$(psj "$D" '[c["state"], c["exit_status"]]')" '["exited", 3]' \
	"after stop: exited with the trap's status"
if wait_until 5 sh -c "! kill -0 $follow"; then
	ok "logs -f ends when the container has ended"
else
	not_ok "logs -f ends when the container has ended"
	kill "$follow" 2>/dev/null
fi
wait "$follow" 2>/dev/null
check "logs -f had all of it" grep -qx "got TERM" "$TMP/follow"
check "stopped: no netns or endpoint left" parts_gone "$D"
check "the record stays for ps -a" test -e "$RUN_DIR/$D/container.json"
check "rm" bnr rm "$D"
check "nothing left of $D" nothing_of "$D" "$init"

# stop -t 1 of a command that ignores SIGTERM: SIGKILL of its cgroup after a second
D=${PFX}d2
bnr run -d --name "$D" -- sh -c 'trap "" TERM; while :; do sleep 0.1; done' >/dev/null
start=$(date +%s%N)
check "stop -t 1 of a command that ignores SIGTERM" bnr stop -t 1 "$D"
took=$((($(date +%s%N) - start) / 1000000))
check "it took the second, not much more (${took} ms)" test "$took" -ge 900 -a "$took" -lt 5000
is "$(psj "$D" 'c["exit_status"]')" 137 "killed: 137"
check "rm -f" bnr rm -f "$D"

# -d --rm: gone once it has ended, by its monitor
bnr run -d --rm --name "${PFX}dr" --network $NET -- sleep 0.5 >/dev/null
check "-d --rm: the record goes when it ends" wait_until 10 test ! -e "$RUN_DIR/${PFX}dr"
check "nothing left of it" nothing_of "${PFX}dr"

# ---- ps --json ---------------------------------------------------------------------------------

bnr run -d --name "${PFX}j1" --network $NET -p 8086:80 -- sleep 30 >/dev/null
jq_ok=$(bnr --json ps | json '[c for c in d if c["name"] == "'"${PFX}j1"'"][0]' | json '(
d["state"] == "running" and len(d["id"]) == 64 and d["command"] == ["sleep", "30"] and
d["network_mode"] == "networks" and d["networks"][0]["network"] == "'$NET'" and
d["networks"][0]["ifname"] == "eth0" and d["ports"] == ["8086:80/tcp"] and
d["netns"] == "/var/run/netns/'"${PFX}j1"'" and isinstance(d["pid"], int) and
d["exit_status"] is None and d["detached"] is True)')
is "$jq_ok" true "ps --json: id, state, command, networks, ports, netns, pid"
check "the published port is the endpoint's" grep_out "8086" bn port ls "${PFX}j1"
check "rm -f of a running one" bnr rm -f "${PFX}j1"
check "nothing left of it (its port went with the endpoint)" nothing_of "${PFX}j1"

# ---- bad input: refused, nothing made ----------------------------------------------------------

bnr run -d --name "${PFX}busy" -- sleep 30 >/dev/null
refused_with 1 "an unknown network" "nope" bnr run --name "${PFX}b1" --network nope -- true
refused_with 2 "a bad --memory" "--memory" bnr run --name "${PFX}b2" --memory 12q -- true
refused_with 2 "a bad --cpus" "--cpus" bnr run --name "${PFX}b3" --cpus abc -- true
refused_with 2 "a bad --pids" "--pids" bnr run --name "${PFX}b4" --pids -5 -- true
refused_with 1 "a missing rootfs" "/nonexistent-rootfs" bnr run --name "${PFX}b5" \
	--rootfs /nonexistent-rootfs -- /bin/sh
refused_with 1 "a rootfs without the command" "not found" bnr run --name "${PFX}b6" \
	--rootfs "$TMP" -- /bin/sh
refused_with 1 "a name in use" "in use" bnr run --name "${PFX}busy" -- true
refused_with 2 "an unknown option" "--bogus" bnr run --name "${PFX}b7" --bogus -- true
refused_with 2 "none with another network" "none" bnr run --name "${PFX}b8" \
	--network none --network $NET -- true
refused_with 2 "-p without a network" "-p" bnr run --name "${PFX}b9" -p 8080:80 -- true
refused_with 2 "a bad -p" "-p" bnr run --name "${PFX}ba" --network $NET -p 80x -- true
refused_with 2 "an invalid name" "invalid container name" bnr run --name "-x" -- true
refused_with 2 "an invalid hostname" "hostname" bnr run --hostname "a_b" -- true
refused_with 1 "a command not found" "not found" bnr run --name "${PFX}bb" -- no-such-cmd-86
refused_with 2 "a relative -w" "absolute" bnr run --name "${PFX}bc" -w tmp -- true
refused_with 2 "no command" "needs a command" bnr run --name "${PFX}bd"
out=$(bnr --json run --name "${PFX}b1" --network nope -- true)
is "$(json 'sorted(d["error"]) == ["code", "errno", "message"] and d["error"]["code"]' \
	<<<"$out")" "not_found" "--json: the error as the CLI's JSON (code not_found)"
refused_with 1 "exec in a container that does not exist" "no container" \
	bnr exec "${PFX}nope" -- true
refused_with 1 "stop of one that does not exist" "no container" bnr stop "${PFX}nope"
refused_with 2 "stop -t of no number" "-t" bnr stop -t x "${PFX}busy"
check "rm -f" bnr rm -f "${PFX}busy"

# ---- kill -9 of a foreground run: the container lives on, rm removes everything -----------------

K=${PFX}k1
bnr run --name "$K" --network $NET -- sleep 60 >/dev/null 2>&1 &
runner=$!
check "the foreground run is up" wait_until 10 running "$K"
init=$(psj "$K" 'c["pid"]')
w=$(waiter "$K")
kill -9 "$w"
wait "$runner" 2>/dev/null
check "kill -9 of run: its container still runs" kill -0 "$init"
is "$(psj "$K" 'c["state"]')" "running" "ps: running, with no run left"
refused_with 1 "rm without -f is refused" "is running" bnr rm "$K"
check "rm -f after the kill -9" bnr rm -f "$K"
check "nothing left of it: record, netns, endpoint, cgroup, process" nothing_of "$K" "$init"

# killed at any instant of its start: rm -f (or nothing, if it had made nothing) leaves
# nothing, and the same name runs again
bad=""
for delay in 0 0.002 0.005 0.008 0.01 0.015 0.02 0.03 0.04 0.05 0.065 0.08 0.1 0.12; do
	K=${PFX}ki
	nsenter --net=/var/run/netns/"$NODE" "$BPFNET" --instance "$INST" run --name "$K" \
		--network $NET -p 8087:80 --userns --memory 64m -- sleep 30 >/dev/null 2>&1 &
	runner=$!
	sleep "$delay"
	kill -9 "$runner" 2>/dev/null
	wait "$runner" 2>/dev/null
	[ -e "$RUN_DIR/$K" ] && { bnr rm -f "$K" >/dev/null 2>&1 || bad+="[$delay: rm -f failed] "; }
	out=$(nothing_of "$K") || bad+="[$delay: $out] "
	bnr run -d --name "$K" --network $NET -p 8087:80 -- true >/dev/null 2>&1 ||
		bad+="[$delay: the name did not run again] "
	bnr rm -f "$K" >/dev/null 2>&1
	out=$(nothing_of "$K") || bad+="[$delay, again: $out] "
done
is "$bad" "" "run killed 0 to 120 ms into its start: rm -f leaves nothing, the name runs again"

# the same with a command that ends by itself: the next ps tears it down
K=${PFX}k2
bnr run --name "$K" --network $NET -- sleep 1 >/dev/null 2>&1 &
runner=$!
wait_until 10 running "$K"
kill -9 "$(waiter "$K")"
wait "$runner" 2>/dev/null
sleep 1.5
is "$(psj "$K" '[c["state"], c["exit_status"]]')" '["exited", 0]' \
	"it ended after its run was killed: ps finds it and says so"
check "and that ps tore it down: no netns, endpoint" parts_gone "$K"
check "rm" bnr rm "$K"
check "nothing left of it" nothing_of "$K"

# ---- the container outlives a SIGKILLed monitor ----------------------------------------------

M=${PFX}m1
bnr run -d --name "$M" --network $NET -- sleep 60 >/dev/null
init=$(psj "$M" 'c["pid"]')
mon=$(waiter "$M")
check "run -d has a monitor (not run itself, which has returned)" kill -0 "$mon"
kill -9 "$mon"
sleep 0.2
check "kill -9 of the monitor: the container still runs" kill -0 "$init"
is "$(psj "$M" 'c["state"]')" "running" "ps: running"
check "exec still works" expect "ok" bnr exec "$M" -- echo ok
check "stop without its monitor" bnr stop -t 1 "$M"
is "$(psj "$M" '[c["state"], c["exit_status"]]')" '["exited", 143]' "stopped: SIGTERM's 143"
check "stop tore it down: no netns, endpoint" parts_gone "$M"
check "rm" bnr rm "$M"
check "nothing left of it" nothing_of "$M" "$init"

# ---- the bash completion knows the containers and the networks --------------------------------

mkdir -p "$TMP/bin"
printf '#!/bin/sh\nexec nsenter --net=/var/run/netns/%s %s "$@"\n' "$NODE" "$BPFNET" \
	>"$TMP/bin/bpfnet"
chmod +x "$TMP/bin/bpfnet"
complete_words() {
	PATH="$TMP/bin:$PATH" bash --norc --noprofile -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _bpfnet
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ \
		"$REPO_DIR/contrib/bash-completion/bpfnet" "$@"
}
bnr run -d --name "${PFX}c1" -- sleep 30 >/dev/null
is "$(complete_words bpfnet rm "")" "${PFX}c1 " "completion: rm offers the containers"
is "$(complete_words bpfnet --instance "$INST" run --network "")" "host $NET none " \
	"completion: --network offers none, host and the instance's networks"
check "completion: run's options" grep_out -- "--rootfs" complete_words bpfnet run --
is "$(complete_words bpfnet run -- "" | tr -d ' ')" "" "completion: nothing of ours after --"
bnr rm -f "${PFX}c1" >/dev/null

# ---- a record that is not one ---------------------------------------------------------------

mkdir -p "$RUN_DIR/${PFX}bad"
echo '{"version": 1, "id": "x", "name": "../../etc"}' >"$RUN_DIR/${PFX}bad/container.json"
check "a forged record: ps says it cannot read it and lists the rest" \
	grep_out "cannot be read" bnr ps -a
refused_with 1 "rm of it names the field" "'id'" bnr rm "${PFX}bad"
check "rm -f removes what cannot be read" bnr rm -f "${PFX}bad"

check "no record left" test -z "$(ls "$RUN_DIR")"
done_testing
