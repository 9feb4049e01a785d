#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The CLI as Docker, ip and bpftool users expect it: one JSON error shape with stable codes,
# exit 2 for a wrong command line or value and 1 for a failed operation, hints for what to
# run, --version, aliases, "did you mean", per-object --help, -q, port rm EP HOSTPORT, ct ls
# filters/expiry/UNREPLIED on real flows, status counts and attachment health, stats units,
# and the man page and bash completion made from the same command table.
source "$(dirname "$0")/lib.sh"
sandbox_setup

PINS="$BPFNET_BPFFS/bpfnet"
MAN="$REPO_DIR/build/bpfnet.8"
COMPLETION="$REPO_DIR/contrib/bash-completion/bpfnet"

# ---- helpers ------------------------------------------------------------------------

snapshot() {
	bn --json network ls
	bn --json endpoint ls
	bn --json port ls 2>/dev/null
}

# fails_with RC CODE NEEDLE DESC CMD...: CMD exits RC; with --json its stdout is exactly
# {"error": {"code": CODE, "message": ..NEEDLE.., "errno": N}}; without, stderr has NEEDLE;
# and nothing changed
fails_with() {
	local rc=$1 code=$2 needle=$3 desc=$4 got out
	shift 4
	refused_with "$rc" "$desc" "$needle" "$@" || return 1
	out=$("$@" --json 2>/dev/null)
	got=$?
	if [ "$got" = "$rc" ] && printf '%s' "$out" | json '(
list(d) == ["error"] and sorted(d["error"]) == ["code", "errno", "message"] and
isinstance(d["error"]["errno"], int) and d["error"]["errno"] > 0)' | grep -qx true &&
		[ "$(printf '%s' "$out" | json 'd["error"]["code"]')" = "$code" ] &&
		printf '%s' "$out" | json 'd["error"]["message"]' | grep -qF -- "$needle"; then
		ok "$desc: --json: exit $rc, code $code"
	else
		not_ok "$desc: --json: exit $rc, code $code"
		diag "command: $* --json (exit $got)"
		diag "$out"
	fi
}

jq_is() { # jq_is DESC EXPR CMD...: python EXPR on CMD's JSON output is True
	local desc=$1 expr=$2 out
	shift 2
	out=$("$@" 2>&1)
	is "$(printf '%s' "$out" | json "bool($expr)" 2>&1)" true "$desc" || diag "$out"
}

ABI=$(awk '$1 == "#define" && $2 == "BPFNET_ABI_VERSION" { print $3 }' \
	"$REPO_DIR/include/bpfnet/abi.h")

# ---- version, help ---------------------------------------------------------------------

check "abi.h defines BPFNET_ABI_VERSION" test -n "$ABI"
is "$(bn --version)" "$(bn version)" "--version is 'version'"
check "version names bpfnet and the datapath ABI $ABI" \
	grep_out "^bpfnet [0-9.]* (datapath ABI $ABI)\$" bn version
jq_is "version --json: version and abi_version" \
	'd["abi_version"] == '"$ABI"' and d["version"].count(".") == 2' bn version --json
jq_is "--json help: every object's commands with synopsis and summary" \
	'{c["object"] for c in d["commands"]} >= {"init", "network", "endpoint", "port", "ct",
	 "fdb", "stats", "status", "check", "down", "version", "help"} and
	 all(c["synopsis"].startswith("bpfnet " + c["command"]) and c["summary"]
	     for c in d["commands"]) and d["error_codes"]' bn --json help
jq_is "--json help lists the aliases (network show: inspect)" \
	'[c["aliases"] for c in d["commands"] if c["command"] == "network show"] == [["inspect"]]' \
	bn --json help
fails_with 2 usage "'network' needs a command: create, ls, show, rm" \
	"an object without a verb" bn network
check "network --help: the object's commands, exit 0" grep_out "bpfnet network create NAME" \
	bn network --help
check "ep --help: the endpoint commands" grep_out "bpfnet endpoint add NETWORK" bn ep --help
check "port add --help: its usage, exit 0" grep_out "^usage: bpfnet port add EP SPEC" \
	bn port add --help
check "network help (the verb 'help')" grep_out "bpfnet network rm NAME" bn network help
jq_is "--json port add --help: the command as JSON" \
	'd["command"] == "port add" and "SPEC" in d["synopsis"]' bn --json port add --help

# ---- typos, unknown commands and options: exit 2 -----------------------------------------

fails_with 2 unknown_command "did you mean 'network'?" "an object typo" bn netwrok ls
fails_with 2 unknown_command "did you mean 'endpoint'?" "another object typo" bn endpiont ls
fails_with 2 unknown_command "did you mean 'network ls'?" "a verb typo" bn network lss
fails_with 2 unknown_command "unknown object 'zzzzzz'" "no guess when nothing is close" bn zzzzzz
fails_with 2 usage "unknown option '--bogus'" "an unknown option" bn network ls --bogus
fails_with 1 no_device "no uplink detected: the node has no IPv4 default route" \
	"init without --uplink detects, and says there is nothing to detect" bn init

# ---- the node not initialized: exit 1 with the hint -----------------------------------------

check "network create before init" bn network create n1 --subnet 10.40.0.0/24
new_ns c1 c2
fails_with 1 not_initialized "run 'bpfnet init --uplink DEV' first" \
	"endpoint add before init" bn endpoint add n1 --netns "$(nsname c1)"
fails_with 1 not_initialized "run 'bpfnet init --uplink DEV' first" "ct ls before init" bn ct ls
check "the library's message has the words, the CLI the command" \
	grep_out "error: the node is not initialized: run 'bpfnet init" \
	bn endpoint add n1 --netns "$(nsname c1)"
check "no message of user/lib carries CLI syntax ('bpfnet ...', run '...')" \
	sh -c "! grep -rnE \"'bpfnet |run '\" '$REPO_DIR/user/lib' --include=*.c"

check "init" bn init --uplink "$UPLINK"
check "network create n2" bn network create n2 --subnet 10.41.0.0/24
check "endpoint add c1 (n1)" bn endpoint add n1 --netns "$(nsname c1)" --name c1
check "endpoint add c2 (n2)" bn endpoint add n2 --netns "$(nsname c2)" --name c2

# ---- exit codes and codes of every class ------------------------------------------------

fails_with 2 invalid_value "invalid port mapping" "a bad port spec (was exit 1)" \
	bn port add c1 80:abc
fails_with 2 usage "--subnet" "a missing --subnet (was exit 1)" bn network create x
fails_with 2 invalid_value "invalid MTU 'abc'" "a bad MTU" \
	bn endpoint add n1 --netns "$(nsname c1)" --name x --mtu abc
fails_with 2 invalid_value "10.1.0.0/33" "a bad CIDR" bn network create x --subnet 10.1.0.0/33
fails_with 1 not_found "no network 'nope' ('bpfnet network ls' lists them)" \
	"a missing network, with the hint" bn network show nope
fails_with 1 not_found "no endpoint 'nope' ('bpfnet endpoint ls' lists them)" \
	"a missing endpoint, with the hint" bn endpoint rm nope
fails_with 1 not_found "no network 'nope' ('bpfnet network ls' lists them)" \
	"endpoint add to a missing network names the network" \
	bn endpoint add nope --netns "$(nsname c1)" --name x
fails_with 1 exists "network 'n1' already exists" "a taken name" \
	bn network create n1 --subnet 10.42.0.0/24
fails_with 1 busy "('bpfnet endpoint ls' lists them)" "network rm with endpoints" bn network rm n1
fails_with 2 invalid_value "lo is the loopback device" "init on loopback" bn init --uplink lo
fails_with 2 invalid_value "uplink $UPLINK is given twice" "an uplink twice" \
	bn init --uplink "$UPLINK,$UPLINK"
fails_with 2 invalid_value "9 uplinks: at most 8" "too many uplinks" bn init --uplink a,b,c,d,e,f,g,h,i
fails_with 2 usage "an empty device name" "an empty name in the list" bn init --uplink "$UPLINK,"
check "port add c1 127.0.0.1:8080:80 $NODE_IP:8080:80 5353:53/udp" \
	bn port add c1 127.0.0.1:8080:80 "$NODE_IP:8080:80" 5353:53/udp
fails_with 1 port_in_use "conflicts with a port published" "a port taken" \
	bn port add c2 "$NODE_IP:8080:80"
fails_with 1 address_not_available "is not an address of this node" "a foreign host address" \
	bn port add c2 198.51.100.7:8081:80
codes=$(bn --json help | json '" ".join(c["code"] for c in d["error_codes"])')
missing=""
for c in $codes; do grep -q "\`$c\`" "$REPO_DIR/README.md" || missing+=" $c"; done
is "$missing" "" "README documents every error code ($codes)"

# ---- aliases ----------------------------------------------------------------------------------

is "$(bn network inspect n1)" "$(bn network show n1)" "network inspect = network show"
is "$(bn network list)" "$(bn network ls)" "network list = network ls"
is "$(bn ep ls)" "$(bn endpoint ls)" "ep ls = endpoint ls"
is "$(bn ep inspect c1)" "$(bn endpoint show c1)" "ep inspect = endpoint show"
check "network create n9" bn network create n9 --subnet 10.49.0.0/24
check "network del n9" bn network del n9
check "network create n9 again" bn network create n9 --subnet 10.49.0.0/24
check "network delete n9" bn network delete n9
is "$(bn network ls -q | tr '\n' ,)" "n1,n2," "... n9 is gone"

# ---- -q ------------------------------------------------------------------------------------

is "$(bn network ls -q | tr '\n' ,)" "n1,n2," "network ls -q: names, one a line"
is "$(bn endpoint ls --quiet | tr '\n' ,)" "c1,c2," "endpoint ls --quiet: names"
is "$(bn port ls c1 -q | sort | tr '\n' ,)" \
	"127.0.0.1:8080:80/tcp,192.168.77.1:8080:80/tcp,5353:53/udp," "port ls -q: the specs"

# ---- port rm EP HOSTPORT[/proto] ----------------------------------------------------------------

fails_with 1 not_found "port 9999 is not published by endpoint 'c1' ('bpfnet port ls c1'" \
	"port rm of a port not published" bn port rm c1 9999
fails_with 2 invalid_value "invalid port 'abc'" "port rm of a bad port" bn port rm c1 abc
fails_with 1 not_found "('bpfnet port ls c1' lists them)" \
	"port rm of a whole spec not published, with the hint" bn port rm c1 7000:70
check "port rm c1 5353/udp" bn port rm c1 5353/udp
is "$(bn port ls c1 -q | sort | tr '\n' ,)" "127.0.0.1:8080:80/tcp,192.168.77.1:8080:80/tcp," \
	"... removed the udp port only"
check "port rm c1 8080 (tcp, on both host addresses)" bn port rm c1 8080
is "$(bn port ls c1 -q)" "" "... removed both"
check "port add c1 9000-9002:9000-9002 (for a range's port)" bn port add c1 9000-9002:9000-9002
check "port rm c1 9001/tcp: one port of a range" bn port rm c1 9001/tcp
is "$(bn port ls c1 -q | sort | tr '\n' ,)" "9000:9000/tcp,9002:9002/tcp," \
	"... leaves the range's other ports"
check "port rm c1 0.0.0.0:9000:9000 (the whole spec still works)" bn port rm c1 0.0.0.0:9000:9000

# ---- ct ls on real flows: UNREPLIED, filters, expiry, count --------------------------------------

# ext: 7000 receives and never answers (no ICMP either), 7001 echoes
bg ip netns exec "$EXT" socat -u UDP-RECV:7000 /dev/null
bg ip netns exec "$EXT" socat UDP-RECVFROM:7001,fork EXEC:cat
wait_until 5 udp_listening ext 7000 && wait_until 5 udp_listening ext 7001 ||
	bail "udp servers in ext"
C1=$(bn --json endpoint show c1 | json 'd["ip"]')
check "c1 sends a datagram to ext:7000 (never answered)" \
	sh -c "echo one-way | timeout 5 ip netns exec $(nsname c1) socat -u - UDP:$EXT_IP:7000"
check "c1 -> ext:7001 is answered" \
	grep_out pong sh -c "echo pong | timeout 5 ip netns exec $(nsname c1) socat -t 2 -T 3 - UDP:$EXT_IP:7001"
check "c2 pings ext (another endpoint's flow)" ns c2 ping -c1 -W2 "$EXT_IP"
jq_is "ct ls --json: the one-way UDP flow is unreplied, the answered one not" \
	'sorted((f["original"]["dport"], f["unreplied"]) for f in d if f["proto"] == "udp") ==
	 [(7000, True), (7001, False)]' bn --json ct ls
out=$(bn ct ls --port 7000)
check "ct ls --port 7000: the flow shows UNREPLIED" \
	grep -qE "^udp +masquerade +established +UNREPLIED +$C1:[0-9]+>$EXT_IP:7000 " <<<"$out" ||
	diag "$out"
out=$(bn ct ls --port 7001)
check "ct ls --port 7001: the answered flow does not" \
	grep -qE "^udp +masquerade +established +- +$C1:[0-9]+>$EXT_IP:7001 " <<<"$out" ||
	diag "$out"
check "... and an EXPIRES column in seconds" grep -qE "^PROTO .* AGE +EXPIRES +PACKETS" <<<"$out"
exp=$(bn --json ct ls --port 7001 | json 'd[0]["expires_in_ms"]')
check "expires_in_ms of the answered flow is in the future ($exp ms)" test "$exp" -gt 0
total=$(bn --json ct ls | json 'len(d)')
check "ct ls ends in a count line ($total flows, 1 unreplied)" \
	grep_out "^$total flows (1 unreplied)\$" bn ct ls
check "ct ls --proto udp --endpoint c1: a count line of the filter" \
	grep_out "^2 of $total flows (1 unreplied)\$" bn ct ls --proto udp --endpoint c1
jq_is "ct ls --endpoint c2: only c2's flow (icmp)" \
	'len(d) == 1 and d[0]["proto"] == "icmp"' bn --json ct ls --endpoint c2
jq_is "ct ls --proto icmp --endpoint c1: none" 'd == []' bn --json ct ls --proto icmp --endpoint c1
fails_with 2 invalid_value "invalid --proto 'sctp'" "ct ls --proto sctp" bn ct ls --proto sctp
fails_with 2 invalid_value "invalid --port '0'" "ct ls --port 0" bn ct ls --port 0
fails_with 1 not_found "no endpoint 'nope'" "ct ls --endpoint nope" bn ct ls --endpoint nope

# ---- status: counts, datapath version, attachment ----------------------------------------------

check "port add c2 8082:80 (two published ports with c1 9002)" bn port add c2 8082:80
jq_is "status --json: counts of networks, endpoints, ports, flows" \
	'd["counts"] == {"networks": 2, "endpoints": 2, "ports": 2, "flows": '"$total"'}' \
	bn --json status
jq_is "status --json: the datapath ABI version" 'd["datapath"]["abi_version"] == '"$ABI" \
	bn --json status
jq_is "status --json: everything attached" \
	'd["attached"] == {"known": True, "uplink": True, "detached_uplinks": [], "sock_hooks": True,
	 "endpoints": 2, "endpoints_total": 2, "detached_endpoints": []}' bn --json status
check "status: in words" grep_out "^attached: uplink $UPLINK yes; endpoints 2 of 2; socket hooks yes" \
	bn status
check "status: the objects line" \
	grep_out "^objects: 2 networks, 2 endpoints, 2 published ports, $total flows" bn status
tc -n "$NODE" filter del dev "$UPLINK" ingress
C2_HOST=$(bn --json endpoint show c2 | json 'd["host_ifname"]')
tc -n "$NODE" filter del dev "$C2_HOST" ingress
hook=$(find "$PINS/$INST" -maxdepth 1 -name '*connect4*' -printf '%f\n' | head -1)
check "a socket hook's link pin to remove ($hook)" test -n "$hook"
rm -f "$PINS/$INST/$hook"
jq_is "status --json: the uplink, c2 and the socket hooks detached" \
	'd["attached"]["uplink"] is False and d["attached"]["sock_hooks"] is False and
	 d["attached"]["detached_uplinks"] == ["'"$UPLINK"'"] and d["attached"]["endpoints"] == 1 and d["attached"]["detached_endpoints"] == ["c2"]' \
	bn --json status
out=$(bn status)
check "status says so in words" grep -q "^attached: uplink $UPLINK NO; endpoints 1 of 2; socket hooks NO" <<<"$out" ||
	diag "$out"
check "... and names the way back" grep -q "endpoint c2's program.*'bpfnet check --repair'" \
	<<<"$out"
check "check --repair re-attaches" bn check --repair
jq_is "status --json: everything attached again" \
	'd["attached"]["uplink"] and d["attached"]["sock_hooks"] and d["attached"]["endpoints"] == 2' \
	bn --json status

# ---- stats: zero drop reasons hidden, human units on a terminal -------------------------------------

check "c1 pings ext with 1400-byte payloads (kilobytes of counters)" \
	ns c1 ping -c3 -i 0.2 -s 1400 -W2 "$EXT_IP"
out=$(bn stats)
n_drops=$(bn --json stats | json 'len(d["drops"])')
n_zero=$(bn --json stats | json 'sum(1 for v in d["drops"].values() if v == 0)')
shown=$(sed -n '/^DROP-REASON/,/^$/p' <<<"$out" | grep -cvE '^(DROP-REASON|\(|$)')
is "$shown" "$((n_drops - n_zero))" "stats: only the drop reasons that happened ($shown of $n_drops)"
check "... and says how many it hides" grep -q "^($n_zero drop reasons at zero not shown: --all" <<<"$out"
out=$(bn stats --all)
shown=$(sed -n '/^DROP-REASON/,/^$/p' <<<"$out" | grep -cvE '^(DROP-REASON|\(|$)')
is "$shown" "$n_drops" "stats --all: every drop reason"
c1_tx=$(stat_of c1 tx_bytes)
check "stats piped: exact bytes ($c1_tx)" grep -qE "^c1 +[0-9]+ +$c1_tx " <<<"$(bn stats)"
tty_out=$(script -qec "ip netns exec $NODE $BPFNET --instance $INST stats" /dev/null | tr -d '\r')
check "stats on a terminal: bytes in human units (c1's ${c1_tx} B as KiB)" \
	grep -qE "^c1 +[0-9]+ +[0-9.]+Ki " <<<"$tty_out" || diag "$tty_out"

# ---- the man page and bpfnet help: one source ------------------------------------------------------

check "make built the man page build/bpfnet.8" test -s "$MAN"
check "build/bpfnet.8 is what 'bpfnet help --man' prints" cmp -s "$MAN" <(bn help --man)
warn=$(groff -man -ww -z "$MAN" 2>&1)
is "$warn" "" "groff -man -ww renders it without a warning"
rendered=$(MANWIDTH=200 man -l "$MAN" 2>"$TMP/man.err" | col -b)
is "$(cat "$TMP/man.err")" "" "man -l renders it without a warning"
missing=""
while read -r cmd; do
	grep -qF "bpfnet $cmd" <<<"$rendered" || missing+=" [$cmd: not in the man page]"
	grep -qF "bpfnet $cmd" <<<"$(bn help)" || missing+=" [$cmd: not in bpfnet help]"
	# the dispatch finds it: its --help runs (help and version take none)
	case $cmd in help | version) continue ;; esac
	# shellcheck disable=SC2086
	bn $cmd --help >/dev/null 2>&1 || missing+=" [$cmd: not dispatched]"
done < <(bn --json help | json '"\n".join(c["command"] for c in d["commands"])')
is "$missing" "" "every command of the table is dispatched, in bpfnet help and in the man page"
for s in "EXIT STATUS" ERRORS ENVIRONMENT "GLOBAL OPTIONS"; do
	check "the man page has $s" grep -q "^$s" <<<"$rendered"
done

# ---- bash completion ---------------------------------------------------------------------------

mkdir -p "$TMP/bin"
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NODE" "$BPFNET" >"$TMP/bin/bpfnet"
chmod +x "$TMP/bin/bpfnet"
# complete WORDS...: what the completion offers for the last word, space separated
complete_words() {
	PATH="$TMP/bin:$PATH" bash --norc --noprofile -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _bpfnet
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$COMPLETION" "$@"
}
objs=$(bn help --words | sort | tr '\n' ' ')
is "$(complete_words bpfnet "")" "$objs" "completion: every object"
is "$(complete_words bpfnet ne)" "network " "completion: 'ne' -> network"
is "$(complete_words bpfnet network "")" "create ls rm show " "completion: network's verbs"
is "$(complete_words bpfnet ep "")" "add check ls rm show " "completion: ep's verbs (the alias)"
is "$(complete_words bpfnet ct l)" "ls " "completion: ct l -> ls"
check "completion: network create's options" grep_out "--gateway-mode" \
	complete_words bpfnet network create x --
is "$(complete_words bpfnet network create x --mode "")" "bridge l3 " "completion: --mode's values"
is "$(complete_words bpfnet --instance "$INST" network show "")" "n1 n2 " \
	"completion: network names of the instance on the line"
is "$(complete_words bpfnet --instance "$INST" port rm "")" "c1 c2 " \
	"completion: endpoint names after port rm"
check "completion: stats --all" grep_out -- "--all" complete_words bpfnet stats --
check "completion: monitor's options" grep_out -- "--pcap" complete_words bpfnet monitor --
is "$(complete_words bpfnet monitor --type "")" "all drop flow nat trace " \
	"completion: monitor --type's values"
check "the completion is bash without errors (bash -n)" bash -n "$COMPLETION"

done_testing
