#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The CNI harness (tests/cni) checked against the reference plugins (Debian's
# containernetworking-plugins: bridge + host-local + portmap) and against a
# plugin that records its calls: that it execs plugins as libcni does
# (environment, request configuration with name/cniVersion/runtimeConfig
# filtered by capability/prevResult chained, DEL in reverse order with the
# cached result, CHECK, GC with cni.dev/valid-attachments, STATUS, VERSION as
# podman sends it, the result cache, exit status and error object passed back,
# a plugin SIGKILLed mid-call), and that what the reference chain builds works
# (a published port answering from outside). 80-cni.sh uses it on bpfnet-cni.
source "$(dirname "$0")/lib.sh"
# shellcheck source=../cni/lib.sh
source "$REPO_DIR/tests/cni/lib.sh"
REF=${CNI_REF_DIR:-/usr/lib/cni}
if [ ! -x "$REF/bridge" ] || [ ! -x "$REF/host-local" ] || [ ! -x "$REF/portmap" ]; then
	echo "1..0 # SKIP no reference plugins in $REF (containernetworking-plugins)"
	exit 0
fi
sandbox_setup
# the recorder first: it answers as "recorder" only, the reference plugins keep their names
mkdir -p "$TMP/bin"
cp "$CNI_DIR/recorder" "$TMP/bin/recorder"
cni_setup "$TMP/bin" "$REF"
new_ns c1 c2 c3
sandbox_ipv6_off c1 c2 c3
C1NS=/run/netns/$(nsname c1)
C2NS=/run/netns/$(nsname c2)
C3NS=/run/netns/$(nsname c3)
CID1=$(printf 'c1%.0s' {1..32})	# 64 characters, as runtimes make them
CID2=$(printf 'c2%.0s' {1..32})
CID3=$(printf 'c3%.0s' {1..32})
PM='{"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}], "ips": ["10.88.0.77"]}'

# ref_conf VERSION FILE [EXTRA_BRIDGE_KEYS]: the bridge + portmap list of podman's CNI backend
ref_conf() {
	cat >"$2" <<EOF
{ "cniVersion": "$1", "name": "refnet", "plugins": [
  { "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true
    ${3:+, $3},
    "ipam": { "type": "host-local", "dataDir": "$TMP/ipam", "routes": [{"dst": "0.0.0.0/0"}],
              "ranges": [[{"subnet": "10.88.0.0/24", "gateway": "10.88.0.1"}]] } },
  { "type": "portmap", "capabilities": {"portMappings": true} } ] }
EOF
}
ref_conf 1.0.0 "$TMP/ref.conflist"
ref_conf 1.0.0 "$TMP/ref-caps.conflist" '"capabilities": {"ips": true, "mac": true}'

# ---- VERSION, as podman sends it ----------------------------------------------------------------

N=$(trace_count)
check "VERSION of bridge" cni VERSION bridge 1.0.0
is "$(trace "T[$N]['env']")" \
	'{"CNI_COMMAND": "VERSION", "CNI_CONTAINERID": "", "CNI_NETNS": "dummy", "CNI_ARGS": "", "CNI_IFNAME": "dummy", "CNI_PATH": "dummy"}' \
	"VERSION gets podman's environment: CNI_NETNS=dummy, CNI_IFNAME=dummy, CNI_CONTAINERID=\"\""
is "$(trace "T[$N]['stdin']")" '{"cniVersion":"1.0.0"}' "VERSION gets {\"cniVersion\": V} on stdin"
is "$(cni VERSION portmap | json '"1.0.0" in d["supportedVersions"]')" true "portmap says it speaks 1.0.0"

# ---- ADD through the chain ---------------------------------------------------------------------

N=$(trace_count)
cni --netns "$C1NS" --args "IgnoreUnknown=1;K8S_POD_NAME=web" --cap "$PM" ADD "$TMP/ref.conflist" "$CID1" \
	>"$TMP/r1" 2>"$TMP/e1"
check "ADD bridge+portmap (1.0.0) succeeds" test $? = 0 || { diag_file "$TMP/e1"; bail "ADD"; }
check "its result is a valid 1.0.0 result" cni_result_ok "$TMP/r1" 1.0.0 "$C1NS"
C1_IP=$(jf "$TMP/r1" 'd["ips"][0]["address"].split("/")[0]')
is "$(trace "[t['plugin'].split('/')[-1] + ' ' + t['command'] for t in T[$N:]]")" \
	'["bridge ADD", "portmap ADD"]' "the plugins ran in list order"
is "$(trace "T[$N]['env']['CNI_CONTAINERID'] + ' ' + T[$N]['env']['CNI_NETNS'] + ' ' + T[$N]['env']['CNI_IFNAME'] + ' ' + T[$N]['env']['CNI_ARGS'] + ' ' + T[$N]['env']['CNI_PATH']")" \
	"$CID1 $C1NS eth0 IgnoreUnknown=1;K8S_POD_NAME=web $TMP/bin:$REF" \
	"the attachment's environment: CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH"
is "$(trace "[req(i)['name'] + ' ' + req(i)['cniVersion'] for i in ($N, $N + 1)]")" \
	'["refnet 1.0.0", "refnet 1.0.0"]' "the list's name and cniVersion injected into each plugin"
is "$(trace "['runtimeConfig' in req($N), req($N + 1).get('runtimeConfig')]")" \
	'[false, {"portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}]}]' \
	"runtimeConfig: portMappings to portmap (its capability), nothing to bridge (none declared), ips to no one"
is "$(trace "['prevResult' in req($N), req($N + 1)['prevResult'] == json.loads(T[$N]['stdout'])]")" \
	'[false, true]' "prevResult: none to the first plugin, the first's result to the second"
is "$(trace "T[$N]['stdin'] == json.dumps(json.loads(T[$N]['stdin']), sort_keys=True, separators=(',', ':'))")" \
	true "the request is marshalled as Go does (compact, keys sorted)"
check "the result is cached as libcni caches it" cni_py '
info = json.load(open(sys.argv[1]))
import base64
assert info["kind"] == "cniCacheV1", info["kind"]
assert info["containerId"] == sys.argv[2] and info["ifName"] == "eth0" and info["networkName"] == "refnet"
assert json.loads(base64.b64decode(info["config"]))["name"] == "refnet"
assert info["result"] == json.load(open(sys.argv[3])), "cached result differs"
assert info["cniArgs"] == [["IgnoreUnknown", "1"], ["K8S_POD_NAME", "web"]], info["cniArgs"]
' "$CNI_CACHE/results/refnet-$CID1-eth0" "$CID1" "$TMP/r1"

# what the chain built works: a published port from outside, the client's address seen
bg timeout 120 ip netns exec "$(nsname c1)" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'
wait_until 5 tcp_listening c1 80 || diag "no server in c1"
is "$(tcp_get ext "$NODE_IP" 8080)" "$EXT_IP" "the portmap'd port answers from ext and sees ext's address"
check "c1 has the result's address $C1_IP" grep_out "inet $C1_IP/24" ns c1 ip -4 addr show eth0

# ---- capabilities, chaining in an ADD the runtime asks an address and a MAC of ------------------

cni --netns "$C2NS" --cap '{"ips": ["10.88.0.77/24"], "mac": "02:11:22:33:44:55"}' \
	ADD "$TMP/ref-caps.conflist" "$CID2" >"$TMP/r2" 2>"$TMP/e2"
check "ADD with the ips and mac capabilities succeeds" test $? = 0 || diag_file "$TMP/e2"
is "$(jf "$TMP/r2" 'd["ips"][0]["address"]')" "10.88.0.77/24" "host-local gave the address asked in runtimeConfig.ips"
is "$(jf "$TMP/r2" '[i["mac"] for i in d["interfaces"] if i.get("sandbox")][0]')" "02:11:22:33:44:55" \
	"bridge gave the MAC asked in runtimeConfig.mac"

# ---- CHECK -----------------------------------------------------------------------------------

# portmap 1.1.1 fails every CHECK of an IPv4-only container (containernetworking/plugins#819):
# CHECK is shown on the bridge alone, with the cache of an ADD of that list
jq_list() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["plugins"]=d["plugins"][:1]; print(json.dumps(d))' "$1"; }
jq_list "$TMP/ref.conflist" >"$TMP/bridge.conflist"
sed 's/"refnet"/"brnet"/; s/10\.88\.0\./10.87.0./g; s/cni0/cni1/; s#/ipam"#/ipam2"#' "$TMP/bridge.conflist" >"$TMP/br2.conflist"
check "ADD of a bridge-only list" cni --netns "$C3NS" ADD "$TMP/br2.conflist" "$CID3"
N=$(trace_count)
check "CHECK right after ADD succeeds" cni --netns "$C3NS" CHECK "$TMP/br2.conflist" "$CID3"
is "$(trace "req($N)['prevResult'] == json.load(open('$CNI_CACHE/results/brnet-$CID3-eth0'))['result']")" true \
	"CHECK hands the plugin the cached ADD result as prevResult"
C3_IP=$(cni_py 'print(json.load(open(sys.argv[1]))["result"]["ips"][0]["address"])' "$CNI_CACHE/results/brnet-$CID3-eth0")
ip -n "$(nsname c3)" addr del "$C3_IP" dev eth0
cni --netns "$C3NS" CHECK "$TMP/br2.conflist" "$CID3" >"$TMP/out" 2>"$TMP/err"
rc=$?
is "$rc" 1 "CHECK after 'ip addr del' fails: the plugin's exit status comes back"
grep_out '"code"' cat "$TMP/out" >/dev/null && grep -q "$C3_IP" "$TMP/out"
result $? "... with the plugin's error object (naming $C3_IP) on stdout"
ref_conf 0.3.1 "$TMP/ref031.conflist"
N=$(trace_count)
cni --netns "$C3NS" CHECK "$TMP/ref031.conflist" "$CID3" >/dev/null 2>"$TMP/err"
is "$?/$(trace_count)" "125/$N" "CHECK of a 0.3.1 list is refused by the runtime, as libcni does, no plugin run"

# ---- errors come back as they are ---------------------------------------------------------------

sed 's/"1.0.0"/"9.9.9"/' "$TMP/ref.conflist" >"$TMP/bad-version.conflist"
cni_fails_with 1 "a cniVersion the plugin lacks: bridge's code 1 (incompatible version) comes back" \
	--netns "$C3NS" ADD "$TMP/bad-version.conflist" "$CID3"
cni --netns "$C3NS" ADD "$TMP/ref.conflist" "bad/id" >/dev/null 2>"$TMP/err"
is "$?" 125 "a container ID libcni refuses is refused before any plugin runs"
cni --force --netns "$C3NS" --ifname "eth0" ADD "$TMP/ref.conflist" "bad/id" >"$TMP/out" 2>&1
is "$?" 1 "--force hands it to the plugin anyway (which fails)"

# ---- DEL ---------------------------------------------------------------------------------------

N=$(trace_count)
check "DEL of c1" cni --netns "$C1NS" --cap "$PM" DEL "$TMP/ref.conflist" "$CID1"
is "$(trace "[t['plugin'].split('/')[-1] + ' ' + t['command'] for t in T[$N:]]")" \
	'["portmap DEL", "bridge DEL"]' "DEL runs the list in reverse order"
is "$(trace "[req(i)['prevResult'] == json.load(open('$TMP/r1')) for i in ($N, $N + 1)]")" '[true, true]' \
	"each plugin's DEL gets the cached ADD result as prevResult"
check_fails "the cache entry is gone" test -e "$CNI_CACHE/results/refnet-$CID1-eth0"
check_fails "host-local released $C1_IP" test -e "$TMP/ipam/refnet/$C1_IP"
check_fails "the published port is gone" tcp_get ext "$NODE_IP" 8080
N=$(trace_count)
check "DEL again succeeds (the plugins' idempotent DEL)" cni --netns "$C1NS" DEL "$TMP/ref.conflist" "$CID1"
is "$(trace "'prevResult' in req($N)")" false "... with no cached result, no prevResult"
ref_conf 0.3.1 "$TMP/v031.conflist"
cni --netns "$C1NS" ADD "$TMP/v031.conflist" "$CID1" >"$TMP/r031" 2>"$TMP/err" || diag_file "$TMP/err"
check "a 0.3.1 ADD result is a valid 0.3.1 result (ips carry version)" cni_result_ok "$TMP/r031" 0.3.1 "$C1NS"
N=$(trace_count)
check "DEL of the 0.3.1 list" cni --netns "$C1NS" DEL "$TMP/v031.conflist" "$CID1"
is "$(trace "'prevResult' in req($N)")" false "below 0.4.0 DEL gets no prevResult (libcni)"

# ---- GC -----------------------------------------------------------------------------------------

# the reference chain: GC DELs the cached attachments not listed; c2 (refnet-caps) stays
cni --netns "$C1NS" ADD "$TMP/ref-caps.conflist" "$CID1" >/dev/null 2>&1
N=$(trace_count)
check "GC with only c2 valid" cni GC "$TMP/ref-caps.conflist" "$CID2/eth0"
is "$(trace "[(t['plugin'].split('/')[-1], t['command'], t['env']['CNI_CONTAINERID']) for t in T[$N:]]")" \
	"[[\"portmap\", \"DEL\", \"$CID1\"], [\"bridge\", \"DEL\", \"$CID1\"]]" \
	"GC of a 1.0.0 list: DEL of the unlisted cached attachment only, no plugin GC"
check_fails "c1's cache entry is gone" test -e "$CNI_CACHE/results/refnet-$CID1-eth0"
check "c2's is kept" test -e "$CNI_CACHE/results/refnet-$CID2-eth0"
check "c2 keeps its address" grep_out "10.88.0.77/24" ns c2 ip -4 addr show eth0

# 1.1.0 (the recorder: the reference plugins end at 1.0.0)
cat >"$TMP/rec.conflist" <<EOF
{ "cniVersion": "1.1.0", "name": "recnet", "plugins": [
  { "type": "recorder", "log": "$TMP/rec.log", "capabilities": {"portMappings": true, "ips": false},
    "result": {"interfaces": [{"name": "eth0", "mac": "02:00:00:00:00:01", "sandbox": "$C1NS"}],
               "ips": [{"address": "10.1.0.2/24", "interface": 0}]} },
  { "type": "recorder", "log": "$TMP/rec.log", "capabilities": {"ips": true} } ] }
EOF
cni --netns "$C1NS" --cap "$PM" ADD "$TMP/rec.conflist" rec1 >"$TMP/rr" 2>"$TMP/err" || diag_file "$TMP/err"
check "a 1.1.0 ADD through two recorders" cni_result_ok "$TMP/rr" 1.1.0 "$C1NS"
is "$(trace "[req(i).get('runtimeConfig') for i in (-2, -1)]")" \
	'[{"portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}]}, {"ips": ["10.88.0.77"]}]' \
	"runtimeConfig: each plugin gets its true capabilities only (\"ips\": false is not one)"
cni --netns "$C1NS" ADD "$TMP/rec.conflist" rec2 >/dev/null 2>&1
N=$(trace_count)
check "GC of the 1.1.0 list with rec2 valid" cni --no-cache-del GC "$TMP/rec.conflist" "rec2/eth0"
is "$(trace "[[t['command'], t['env']] for t in T[$N:]][0]")" \
	"[\"GC\", {\"CNI_COMMAND\": \"GC\", \"CNI_CONTAINERID\": \"\", \"CNI_NETNS\": \"\", \"CNI_ARGS\": \"\", \"CNI_IFNAME\": \"\", \"CNI_PATH\": \"$TMP/bin:$REF\"}]" \
	"GC runs with no attachment in the environment"
is "$(trace "[req(i)['cni.dev/valid-attachments'] for i in range($N, len(T))]")" \
	'[[{"containerID": "rec2", "ifname": "eth0"}], [{"containerID": "rec2", "ifname": "eth0"}]]' \
	"every plugin gets cni.dev/valid-attachments [{containerID, ifname}]"
is "$(trace "[('runtimeConfig' in req(i), 'prevResult' in req(i)) for i in range($N, len(T))]")" \
	'[[false, false], [false, false]]' "GC gets neither runtimeConfig nor prevResult"
check "rec1's cache entry stays (--no-cache-del: the plugins' GC only)" test -e "$CNI_CACHE/results/recnet-rec1-eth0"
N=$(trace_count)
check "GC without --no-cache-del" cni GC "$TMP/rec.conflist" "rec2/eth0"
is "$(trace "[t['command'] + ' ' + t['env']['CNI_CONTAINERID'] for t in T[$N:]]")" \
	'["DEL rec1", "DEL rec1", "GC ", "GC "]' "... DELs rec1 (reverse order) before the plugins' GC"

# ---- STATUS -------------------------------------------------------------------------------------

N=$(trace_count)
check "STATUS of the 1.1.0 list" cni STATUS "$TMP/rec.conflist"
is "$(trace "[(t['command'], t['env']['CNI_CONTAINERID'], 'runtimeConfig' in req(i)) for i, t in enumerate(T) if i >= $N]")" \
	'[["STATUS", "", false], ["STATUS", "", false]]' "STATUS to each plugin, no attachment"
N=$(trace_count)
check "STATUS of a 1.0.0 list does nothing (libcni)" cni STATUS "$TMP/ref.conflist"
is "$(trace_count)" "$N" "... no plugin run"
sed 's/"type": "recorder", "log"/"type": "recorder", "fail": {"code": 50, "msg": "not ready"}, "log"/' \
	"$TMP/rec.conflist" >"$TMP/rec-fail.conflist"
cni_fails_with 50 "a STATUS error (code 50) comes back with the exit status" STATUS "$TMP/rec-fail.conflist"

# ---- a plugin killed mid-call ----------------------------------------------------------------

sed 's/"type": "recorder", "log"/"type": "recorder", "sleep": 5, "log"/' "$TMP/rec.conflist" >"$TMP/rec-slow.conflist"
t0=$SECONDS
cni --kill-after 0.3 --netns "$C1NS" ADD "$TMP/rec-slow.conflist" rec3 >/dev/null 2>&1
is "$?" 137 "--kill-after: the plugin SIGKILLed mid-ADD, exit 137"
check "... at once, not after its sleep" test $((SECONDS - t0)) -lt 4
check_fails "... and nothing cached" test -e "$CNI_CACHE/results/recnet-rec3-eth0"

done_testing
