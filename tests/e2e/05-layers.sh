#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The layer rules of user/lib (core/core.h, README "Layout"), checked on the
# sources: the programs over the library (the CLI user/cli, the CNI plugin user/cni, the
# container runtime user/run) include only its public headers (include/bpfnet/) and their
# own (the CLI also run/cmd_run.h, the runtime's entry);
# each folder of user/lib includes only its own and lower layers' headers
#   api -> dp -> sys -> model -> core
# the transaction and the recovery never call a verb (so no verb calls
# itself through them in a circle), and the maps are read and written with
# bpf_map_*() in the map-access layer alone: dp/maps.c, and dp/svc.c for the
# two maps of published ports (on the fds of the same handle), dp/layout.c for
# the layout record (a map of no layout but its own), dp/migrate_copy.c for
# the copies of a migration (maps of layouts other than this build's, which
# struct dp refuses by design) and dp/node_ports.c for the uplink's summary of
# published ports, recomputed whole from portmap4. Each rule is also run on a copy with one violation planted, to
# show that it would catch it. Static: no sandbox, nothing to clean up.
source "$(dirname "$0")/lib.sh"

LIB=user/lib

# the layers a folder may include, itself first
allowed() {
	case $1 in
	api) echo "api dp sys model core" ;;
	dp) echo "dp sys model core" ;;
	sys) echo "sys model core" ;;
	model) echo "model core" ;;
	core) echo "core" ;;
	esac
}

# upward_includes DIR ROOT: "file: include" for every include of a layer DIR may not use
upward_includes() {
	local dir=$1 root=$2 f inc layer
	for f in "$root"/$LIB/"$dir"/*.[ch]; do
		while IFS= read -r inc; do
			layer=${inc%%/*}
			# the public headers (include/bpfnet/) and the skeletons are every layer's
			[ "$layer" = "$inc" ] || [ "$layer" = bpfnet ] && continue
			case " $(allowed "$dir") " in
			*" $layer "*) ;;
			*) echo "${f#"$root"/}: $inc" ;;
			esac
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
}

# stray_files ROOT: C files of user/lib outside the layer folders (build inputs may sit on top)
stray_files() {
	find "$1/$LIB" -type f -name '*.[ch]' | while IFS= read -r f; do
		dir=$(basename "$(dirname "$f")")
		[ -n "$(allowed "$dir")" ] || echo "${f#"$1"/}"
	done
}

# verbs_below ROOT: the transaction or the recovery including an api header of a verb
verbs_below() {
	local root=$1 f inc
	for f in "$root"/$LIB/api/txn.c "$root"/$LIB/api/recover.c; do
		while IFS= read -r inc; do
			case $inc in
			api/internal.h | api/txn.h | api/recover.h) ;;
			api/*) echo "${f#"$root"/}: $inc" ;;
			esac
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
}

# raw_map_calls ROOT: bpf_map_*() calls (libbpf's syscall wrappers) outside the files above
raw_map_calls() {
	grep -rnE '\bbpf_map_[a-z][a-z_]*\(' "$1/$LIB" --include='*.[ch]' |
		grep -vE "^$1/$LIB/dp/(maps|svc|layout|migrate_copy|node_ports)\.c:" | sed "s|^$1/||"
}

# beyond_public_api ROOT: includes of user/cli, user/cni and user/run that are neither a public
# header (bpfnet/...) nor one of the program's own folder
beyond_public_api() {
	local root=$1 prog f inc
	for prog in cli cni run; do
		for f in "$root"/user/"$prog"/*.[ch]; do
			[ -e "$f" ] || continue
			while IFS= read -r inc; do
				case $inc in
				bpfnet/*) continue ;;
				# the CLI reaches the runtime through its one entry header
				run/cmd_run.h) [ "$prog" = cli ] && continue ;;
				*/*) ;;
				*) [ -e "$root/user/$prog/$inc" ] && continue ;;
				esac
				echo "${f#"$root"/}: $inc"
			done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
		done
	done
}

# rule DESC FN PLANT: FN finds nothing in the tree, and finds the violation PLANT makes in a copy
rule() {
	local desc=$1 fn=$2 plant=$3 found copy
	found=$("$fn" "$REPO_DIR")
	if [ -z "$found" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "$found"
	fi
	copy=$(mktemp -d)
	cp -r "$REPO_DIR/user" "$copy/"
	"$plant" "$copy"
	found=$(comm -13 <("$fn" "$REPO_DIR" | sort) <("$fn" "$copy" | sort))
	if [ -n "$found" ]; then
		ok "$desc: a planted violation is caught ($found)"
	else
		not_ok "$desc: a planted violation is caught"
	fi
	rm -rf "$copy"
}

plant_model_up() { echo '#include "sys/store.h"' >>"$1/$LIB/model/ipam.c"; }
plant_sys_up() { echo '#include "dp/datapath.h"' >>"$1/$LIB/sys/netns.c"; }
plant_dp_up() { echo '#include "api/txn.h"' >>"$1/$LIB/dp/ct.c"; }
plant_core_up() { echo '#include "model/state.h"' >>"$1/$LIB/core/core.c"; }
plant_stray() { echo '/* */' >"$1/$LIB/flat.c"; }
plant_raw() { echo 'static int x(void) { return bpf_map_delete_elem(0, 0); }' >>"$1/$LIB/dp/ct.c"; }
plant_cni_internal() { echo '#include "api/internal.h"' >>"$1/user/cni/config.c"; }
plant_cli_internal() { echo '#include "model/state.h"' >>"$1/user/cli/common.c"; }
plant_run_internal() { echo '#include "model/state.h"' >>"$1/user/run/run.h"; }
plant_verb() { echo '#include "api/endpoint.h"' >>"$1/$LIB/api/recover.c"; }

cd "$REPO_DIR" || bail "no repository at $REPO_DIR"

upward_core() { upward_includes core "$1"; }
upward_model() { upward_includes model "$1"; }
upward_sys() { upward_includes sys "$1"; }
upward_dp() { upward_includes dp "$1"; }

rule "user/cni includes only the public API and its own headers" beyond_public_api \
	plant_cni_internal
rule "user/cli includes only the public API and its own headers" beyond_public_api \
	plant_cli_internal
rule "user/run includes only the public API and its own headers" beyond_public_api \
	plant_run_internal
rule "core/ includes no other layer" upward_core plant_core_up
rule "model/ includes core/ and model/ only" upward_model plant_model_up
rule "sys/ includes nothing of dp/ or api/" upward_sys plant_sys_up
rule "dp/ includes nothing of api/" upward_dp plant_dp_up
rule "every C file of user/lib is in a layer folder" stray_files plant_stray
rule "the transaction and the recovery call no verb" verbs_below plant_verb
rule "no bpf_map_*() call outside dp/maps.c, svc.c, layout.c, migrate_copy.c, node_ports.c" raw_map_calls \
	plant_raw

done_testing
