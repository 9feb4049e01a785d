# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# tools/soak: the account of what must come back to where it was, one file each in DIR:
#   links     the node netns' devices          netns   the run's netns (prefix $P-)
#   pins      every file of the private bpffs  state   every file of the run dir, and
#   objects   networks, endpoints, ports as bpfnet lists them
#   maps      each pinned map's entries (soak.d/maps.py), after a walk of the conntrack
#             table collected the flows that are over (those of removed endpoints)
#   ct        bpfnet ct ls: the flows left (informational: the maps count them)
#   check     bpfnet check: the instance as it should be (informational)
#   kmem      kernel memory, machine-wide (see kmem_sample), once it has settled
#   slab      /proc/slabinfo: name, active objects, object size
# report.py compares them.

# kmem_header, kmem_sample: kB of unreclaimable slab, vmalloc, per-CPU (/proc/meminfo), the
# BPF maps of the whole machine (bpftool: bytes_memlock of every map, other users' too, so
# that their maps can be told apart from a leak of ours) and the netns alive on the machine
# (objects of the net_namespace slab cache)
kmem_header() { echo "sunreclaim_kb,vmalloc_kb,percpu_kb,bpf_maps_kb,netns_alive"; }
bpf_maps_kb() {
	bpftool -j map show 2>/dev/null | python3 -c '
import json, sys
print(sum(m.get("bytes_memlock", 0) for m in json.load(sys.stdin)) // 1024)' 2>/dev/null
}
# meminfo read between two sums of the BPF maps that agree (at most 5 tries): another
# user's map made or freed between the two reads would count as ours
kmem_sample() {
	local mem bpf bpf2 ns i
	for i in 1 2 3 4 5; do
		bpf=$(bpf_maps_kb)
		mem=$(awk '/^SUnreclaim:/ {s = $2} /^VmallocUsed:/ {v = $2} /^Percpu:/ {p = $2}
			END {printf "%d,%d,%d", s, v, p}' /proc/meminfo)
		bpf2=$(bpf_maps_kb)
		[ "$bpf" = "$bpf2" ] && break
	done
	ns=$(awk '$1 == "net_namespace" {print $2}' /proc/slabinfo)
	echo "$mem,${bpf:-0},${ns:-0}"
}

# kmem_settle [SECS]: wait (at most SECS, default 20) until deleted netns are freed (the
# kernel does it in a workqueue, after RCU grace periods) and unreclaimable slab stops
# moving: a sample taken right after a cycle holds megabytes the kernel has yet to free
# shellcheck disable=SC2120 # callers give SECS or take the default
kmem_settle() {
	local prev=-1 cur _
	for _ in $(seq "${1:-20}"); do
		cur=$(awk '/^SUnreclaim:/ {print $2}' /proc/meminfo)
		[ $prev -ge 0 ] && [ $((cur > prev ? cur - prev : prev - cur)) -lt 256 ] && return 0
		prev=$cur
		sleep 1
	done
	return 0 # not settled: the sample is taken anyway (the report's floor copes)
}

# account DIR
account() {
	local d=$1
	mkdir -p "$d" || return 1
	ip -n "$P-node" -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort >"$d/links"
	sandbox_netns | sort >"$d/netns"
	(cd "$BPFNET_BPFFS" && find . -mindepth 1 | sort) >"$d/pins"
	(cd "$BPFNET_RUN_DIR" && find . -mindepth 1 | sort) >"$d/state"
	{
		bn --json network ls | python3 -c 'import json,sys; [print("network", n["name"]) for n in json.load(sys.stdin)]'
		bn --json endpoint ls | python3 -c 'import json,sys; [print("endpoint", e["name"], e["id"]) for e in json.load(sys.stdin)]'
		bn port ls | sed 's/^/port /'
	} >"$d/objects" 2>>"$LOG" || return 1
	# a walk leaves a dead flow younger than a second (its other half may be being
	# written: CT_GC_MIN_AGE_NS): the last cycle's are older after this
	sleep 1.2
	bn ct gc >>"$LOG" 2>&1
	bn ct ls >"$d/ct" 2>&1
	# what is in the table whatever ct ls calls a flow (the first 100 kB of it)
	bpftool -j map dump pinned "$BPFNET_BPFFS/bpfnet/$INSTANCE/ct4" 2>&1 | head -c 100000 >"$d/ct4.json"
	python3 "$SOAK_D/maps.py" "$BPFNET_BPFFS/bpfnet/$INSTANCE" >"$d/maps" 2>>"$LOG" || return 1
	bn check >"$d/check" 2>&1
	echo "exit $?" >>"$d/check"
	kmem_settle
	{ kmem_header; kmem_sample; } >"$d/kmem"
	awk 'NR > 2 {print $1, $2, $4}' /proc/slabinfo >"$d/slab"
}
