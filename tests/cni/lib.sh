# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The CNI harness for the end-to-end tests, after tests/e2e/lib.sh and
# sandbox_setup: cni-run in the node netns (plugins run where a runtime runs
# them), with a result cache and a trace of every plugin call in $TMP.
#
#   source "$REPO_DIR/tests/cni/lib.sh"
#   cni_setup [PLUGIN_DIR...]        # CNI_PATH: these dirs (the first ones win)
#   cni --netns "$(nsname c1)" --cap '{"portMappings": [...]}' ADD "$CONF" "$CID" >"$TMP/r"
#   cni_result_ok "$TMP/r" 1.0.0 "$(nsname c1)"     # the result format of that version
#   trace 'T[-1]["command"]'          # T: every invocation so far, oldest first

CNI_DIR=$REPO_DIR/tests/cni
CNI_RUN=$CNI_DIR/cni-run
CNI_CACHE=""
CNI_TRACE=""
CNI_PATH_DIRS=""

# cni_setup DIR...: the cache and trace in $TMP, CNI_PATH from the dirs given
cni_setup() {
	CNI_CACHE=$TMP/cni-cache
	CNI_TRACE=$TMP/cni-trace.jsonl
	mkdir -p "$CNI_CACHE"
	: >"$CNI_TRACE"
	CNI_PATH_DIRS=$(IFS=:; echo "$*")
}

# cni ARGS...: cni-run ARGS in the node netns (60 s at most)
cni() {
	timeout -k 5 "${CNI_TIMEOUT:-60}" ip netns exec "$NODE" "$CNI_RUN" --cache-dir "$CNI_CACHE" \
		--trace "$CNI_TRACE" --path "$CNI_PATH_DIRS" "$@"
}

# cni_py CODE [ARGS...]: python3 CODE with cnirt (tools/lib) and cniresult importable
cni_py() {
	local code=$1
	shift
	PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$CNI_DIR:$REPO_DIR/tools/lib python3 -c "import json, sys, cnirt, cniresult
$code" "$@"
}

# trace EXPR: EXPR over T, the invocations traced so far (dicts of cnirt.Invocation.as_dict())
trace() {
	cni_py '
T = [json.loads(l) for l in open(sys.argv[2])]
def req(i): return json.loads(T[i]["stdin"])
r = eval(sys.argv[1])
print(json.dumps(r) if isinstance(r, (dict, list, bool)) or r is None else r)' "$1" "$CNI_TRACE"
}

# trace_count: how many invocations so far (to look at the ones after a point)
trace_count() { wc -l <"$CNI_TRACE"; }

# cni_result_ok FILE VERSION [NETNS]: FILE holds a valid ADD result of VERSION
cni_result_ok() {
	cni_py '
p = cniresult.problems(json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
print("\n".join(p))
sys.exit(1 if p else 0)' "$@"
}

# cni_error_is FILE CODE: FILE holds an error object per the spec with code CODE
cni_error_is() {
	cni_py '
try:
    e = json.load(open(sys.argv[1]))
except ValueError as x:
    print("no error object on stdout:", x); sys.exit(1)
p = cniresult.error_problems(e)
if e.get("code") != int(sys.argv[2]):
    p.append("code %r, want %s" % (e.get("code"), sys.argv[2]))
print("\n".join(p) or "")
print(json.dumps(e))
sys.exit(1 if p else 0)' "$@"
}

# jf FILE EXPR: EXPR over d, the JSON in FILE
jf() { json "$2" <"$1"; }

# cni_fails_with CODE DESC ARGS...: cni ARGS exits 1 with the spec's error object of CODE
# on stdout (what a runtime gets back)
cni_fails_with() {
	local code=$1 desc=$2 rc
	shift 2
	cni "$@" >"$TMP/cni-out" 2>"$TMP/cni-err"
	rc=$?
	if [ $rc = 1 ] && cni_error_is "$TMP/cni-out" "$code" >"$TMP/cni-why"; then
		ok "$desc"
		return 0
	fi
	not_ok "$desc"
	diag "cni-run $* (exit $rc, want 1 with code $code)"
	diag_file "$TMP/cni-why"
	diag_file "$TMP/cni-err"
	return 1
}
