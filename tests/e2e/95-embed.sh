#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Packaging and embedding: `make install DESTDIR=... PREFIX=/usr` gives the tree a Debian
# package would hold (multiarch libdir, SONAME links, a valid libbpfnet.pc, only bpfnet_*
# exported under the version node); examples/embed.c, built from that tree through
# pkg-config alone (libbpfnet.so and libbpfnet.a), runs bpfnet in the node netns: a real
# client from outside reaches the port it published, and it lists that flow. A program
# linked against build/ starts too.
source "$(dirname "$0")/lib.sh"
sandbox_setup

ROOT="$TMP/root"
MULTIARCH=$(${CC:-cc} -print-multiarch)
LIBDIR="$ROOT/usr/lib${MULTIARCH:+/$MULTIARCH}"
MAP="$REPO_DIR/user/lib/libbpfnet.map"

# linked against build/ (no rpath): starts and prints its usage (the loader would exit 127)
${CC:-cc} -I"$REPO_DIR/include" -o "$TMP/embed-build" "$REPO_DIR/examples/embed.c" \
	-L"$REPO_DIR/build" -lbpfnet 2>"$TMP/cc.err" || diag_file "$TMP/cc.err"
out=$(LD_LIBRARY_PATH="$REPO_DIR/build" "$TMP/embed-build" 2>&1)
rc=$?
is "$rc:$(grep -c '^usage: embed' <<<"$out")" "2:1" "a program linked against build/ starts"
[ "$rc" = 2 ] || diag "$out"

# ---- the install tree -------------------------------------------------------------------

# the defaults under test: nothing of a calling make (make check) or of the environment
check "make install DESTDIR=\$TMP/root PREFIX=/usr" \
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DEB_HOST_MULTIARCH -u MULTIARCH -u LIBDIR \
	-u SBINDIR -u INCLUDEDIR -u MANDIR -u BASHCOMPDIR -u PKGCONFIGDIR \
	make -s -C "$REPO_DIR" install DESTDIR="$ROOT" PREFIX=/usr ||
	bail "nothing installed"

export PKG_CONFIG_SYSROOT_DIR="$ROOT" PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
check "libbpfnet.pc is valid (pkg-config --validate)" pkg-config --validate libbpfnet
VERSION=$(pkg-config --modversion libbpfnet) || bail "no libbpfnet.pc in $LIBDIR/pkgconfig"
MAJOR=${VERSION%%.*}
SOREAL="libbpfnet.so.$VERSION"
SONAME="libbpfnet.so.$MAJOR"
diag "installed libbpfnet $VERSION into $ROOT (libdir $LIBDIR)"

# header_version: MAJOR.MINOR.PATCH of the installed header's version macros
header_version() {
	local h="$ROOT/usr/include/bpfnet/bpfnet.h" v="" part n
	for part in MAJOR MINOR PATCH; do
		n=$(sed -n "s/^#define BPFNET_${part}_VERSION[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p" "$h")
		v+="${v:+.}${n:-?}"
	done
	echo "$v"
}
is "$(header_version)" "$VERSION" "the header's version is the library's (libbpfnet.pc, file name)"

# tree_has: every file and link where a Debian package puts it
tree_has() {
	local f problems=""
	for f in usr/sbin/bpfnet; do [ -x "$ROOT/$f" ] || problems+="no executable /$f; "; done
	for f in usr/include/bpfnet/bpfnet.h usr/include/bpfnet/abi.h; do
		[ -f "$ROOT/$f" ] || problems+="no /$f; "
	done
	for f in "$SOREAL" libbpfnet.a pkgconfig/libbpfnet.pc; do
		[ -f "$LIBDIR/$f" ] && [ ! -L "$LIBDIR/$f" ] || problems+="no file $LIBDIR/$f; "
	done
	[ "$(readlink "$LIBDIR/$SONAME")" = "$SOREAL" ] || problems+="$SONAME is no link to $SOREAL; "
	[ "$(readlink "$LIBDIR/libbpfnet.so")" = "$SONAME" ] ||
		problems+="libbpfnet.so is no link to $SONAME; "
	[ -z "$(find "$ROOT" -path "$ROOT/usr/lib/libbpfnet*")" ] || [ -z "$MULTIARCH" ] ||
		problems+="a library outside the multiarch libdir; "
	[ -z "$problems" ] || { echo "$problems"; find "$ROOT" | sed "s|^$ROOT||"; return 1; }
}
check "the tree: CLI, headers, $SOREAL with its two links, libbpfnet.a, .pc in $LIBDIR" tree_has
check "the build's $SOREAL is the one installed" cmp "$REPO_DIR/build/$SOREAL" "$LIBDIR/$SOREAL"

# the CLI's man page and completion, when the tree has them
if [ -f "$REPO_DIR/build/bpfnet.8" ]; then
	check "the man page installed as bpfnet(8)" \
		cmp "$REPO_DIR/build/bpfnet.8" "$ROOT/usr/share/man/man8/bpfnet.8"
else
	skip_test "the man page installed as bpfnet(8)" "the build makes no build/bpfnet.8"
fi
if [ -f "$REPO_DIR/contrib/bash-completion/bpfnet" ]; then
	check "the bash completion installed where bash-completion loads it" \
		cmp "$REPO_DIR/contrib/bash-completion/bpfnet" \
		"$ROOT/usr/share/bash-completion/completions/bpfnet"
else
	skip_test "the bash completion installed" "no contrib/bash-completion/bpfnet"
fi

# pc_flags: the flags point into the tree; static linking brings every dependency
pc_flags() {
	local cflags libs static l
	cflags=$(pkg-config --cflags libbpfnet) && libs=$(pkg-config --libs libbpfnet) &&
		static=$(pkg-config --static --libs libbpfnet) || return 1
	echo "cflags: $cflags"$'\n'"libs: $libs"$'\n'"static: $static"
	[[ " $cflags " == *" -I$ROOT/usr/include "* ]] || return 1
	[[ " $libs " == *" -L$LIBDIR "* && " $libs " == *" -lbpfnet "* ]] || return 1
	for l in -lbpfnet -lbpf -lelf -lz -lmnl -ljansson; do
		[[ " $static " == *" $l "* ]] || { echo "no $l in --static --libs"; return 1; }
	done
}
check "pkg-config flags point into the tree, --static adds libbpf libelf zlib libmnl jansson" \
	pc_flags

check "SONAME is $SONAME" grep_out "Library soname: \[$SONAME\]" readelf -d "$LIBDIR/$SOREAL"

# exports_only_api: defined dynamic symbols (less the version nodes' own) are bpfnet_*
exports_only_api() {
	local syms
	syms=$(nm -D --defined-only "$LIBDIR/$SOREAL" | awk '$2 != "A" { print $3 }')
	[ -n "$syms" ] || { echo "no symbol exported"; return 1; }
	if grep -v '^bpfnet_' <<<"$syms"; then
		echo "(exported, not bpfnet_*)"
		return 1
	fi
}
check "the shared library exports bpfnet_* only" exports_only_api

# versioned: the .so defines each version node of the map, every export has one of them
versioned() {
	local node bad defs
	defs=$(readelf -V "$LIBDIR/$SOREAL" | sed -n "/'.gnu.version_d'/,/'.gnu.version_r'/p")
	for node in $(grep -oE '^LIBBPFNET_[0-9.]+' "$MAP"); do
		grep -q "Name: $node\$" <<<"$defs" ||
			{ echo "no version node $node"; echo "$defs"; return 1; }
	done
	[ -n "${node:-}" ] || { echo "no LIBBPFNET_ node in $MAP"; return 1; }
	bad=$(readelf -W --dyn-syms "$LIBDIR/$SOREAL" |
		awk '$5 == "GLOBAL" && $7 != "UND" && $7 != "ABS" && $8 !~ /@LIBBPFNET_/ { print $8 }')
	[ -z "$bad" ] || { echo "unversioned exports: $bad"; return 1; }
}
check "the version nodes of libbpfnet.map are there and version every export" versioned

# exported_at SYM@[@]NODE...: the .so defines each symbol at that version (@@: the default)
exported_at() {
	local syms want
	syms=$(readelf -W --dyn-syms "$LIBDIR/$SOREAL" | awk '$7 != "UND" { print $8 }')
	for want in "$@"; do
		grep -qxF "$want" <<<"$syms" || { echo "no $want in:"; grep bpfnet_endpoint <<<"$syms"; return 1; }
	done
}
check "0.3's endpoint calls are exported at LIBBPFNET_0.3" exported_at \
	bpfnet_endpoint__find@@LIBBPFNET_0.3 bpfnet_endpoint__check@@LIBBPFNET_0.3
check "bpfnet_endpoint__list: 0.3's the default, 0.2's kept" exported_at \
	bpfnet_endpoint__list@@LIBBPFNET_0.3 bpfnet_endpoint__list@LIBBPFNET_0.2
# 0.3 kept bpfnet_network__list at LIBBPFNET_0.2 (the node's wildcard): programs of the 0.2
# and 0.3 headers alike bind that one, and it keeps their element (no parent)
check "bpfnet_network__list: 0.4's the default (with parent), 0.2's kept" exported_at \
	bpfnet_network__list@@LIBBPFNET_0.4 bpfnet_network__list@LIBBPFNET_0.2

# ---- the example, built from the tree alone ---------------------------------------------

cp -r "$REPO_DIR/examples" "$TMP/examples"
check "examples/ builds with pkg-config from the tree (shared and static)" \
	make -C "$TMP/examples" CC="${CC:-cc}" || bail "the example does not build"
EMBED="$TMP/examples/embed"
EMBED_STATIC="$TMP/examples/embed-static"
check "embed needs $SONAME" grep_out "Shared library: \[$SONAME\]" readelf -d "$EMBED"
# needs_no_libbpfnet BIN: BIN's dynamic section names no libbpfnet
needs_no_libbpfnet() {
	local d
	d=$(readelf -d "$1") || return 1
	! grep -q libbpfnet <<<"$d" || { echo "$d"; return 1; }
}
check "embed-static needs no libbpfnet.so" needs_no_libbpfnet "$EMBED_STATIC"
check "embed finds libbpfnet in the tree" \
	grep_out "$SONAME => $LIBDIR/$SONAME" env LD_LIBRARY_PATH="$LIBDIR" ldd "$EMBED"

# ---- the example at work in the node netns ----------------------------------------------

new_ns c1
bg timeout 300 ip netns exec "$(nsname c1)" socat TCP-LISTEN:80,fork,reuseaddr \
	SYSTEM:'echo from-c1 $SOCAT_PEERADDR'

# ep_network EP: the network of endpoint EP, as the CLI shows it
ep_network() {
	bn --json endpoint show "$1" | json 'd["network"]'
}

# published: every published port as the CLI lists it, "ENDPOINT PROTO HOST->CONTAINER"
published() {
	bn --json port ls |
		json '", ".join("%s %s %d->%d" % (p["endpoint"], p["proto"], p["host_port"],
			p["container_port"]) for p in d)'
}

# run_embed DESC BIN [ENV...]: BIN in the node netns publishes 8080:80 of c1; a client in ext
# gets c1's answer (with its own address seen); the flow BIN then lists is that client's
run_embed() {
	local desc=$1 bin=$2 pid got
	shift 2
	# no output file from a run before: "ready" must be this run's
	rm -f "$TMP/ctl" "$TMP/embed.out" && mkfifo "$TMP/ctl"
	ip netns exec "$NODE" env BPFNET_INSTANCE="$INST" "$@" timeout -k 5 120 "$bin" \
		"$UPLINK" "$(nsname c1)" 8080:80 <"$TMP/ctl" >"$TMP/embed.out" 2>&1 &
	pid=$!
	exec 7>"$TMP/ctl"
	if ! wait_until 60 grep -q '^ready$' "$TMP/embed.out"; then
		exec 7>&-
		wait "$pid"
		not_ok "$desc: sets up"
		diag_file "$TMP/embed.out"
		return 1
	fi
	ok "$desc: init, network, endpoint, port"
	check "$desc: bpfnet_version() is the installed $VERSION, as its header" \
		grep -qx "libbpfnet $VERSION (header $VERSION)" "$TMP/embed.out"
	check "$desc: the CLI sees its endpoint on network embed" \
		expect "embed" ep_network "$(nsname c1)"
	check "$desc: the CLI sees the published port" \
		expect "$(nsname c1) tcp 8080->80" published
	got=$(tcp_get ext "$NODE_IP" 8080)
	is "$got" "from-c1 $EXT_IP" "$desc: a client outside reaches the published port"
	echo >&7
	wait_until 30 grep -q '^flows: ' "$TMP/embed.out"
	exec 7>&-
	wait "$pid"
	is "$?" 0 "$desc: lists the flows and ends at EOF"
	check "$desc: lists the client's flow to the published port" \
		grep -qE "^flow tcp [a-z_]+ $EXT_IP:[0-9]+ -> $NODE_IP:8080 reply [0-9.]+:80 -> $EXT_IP:[0-9]+ portmap\$" \
		"$TMP/embed.out"
	diag_file "$TMP/embed.out"
}

run_embed "embed (libbpfnet.so)" "$EMBED" LD_LIBRARY_PATH="$LIBDIR"
check "bpfnet down after the shared run" bn down
run_embed "embed-static (libbpfnet.a)" "$EMBED_STATIC"

# ---- a program of LIBBPFNET_0.2 ------------------------------------------------------------

# bpfnet_endpoint__list@LIBBPFNET_0.2, as a program linked against 0.2 binds it: its elements
# have 0.2's layout (no container_id), the stride it was built with; the default one 0.3's
cat >"$TMP/list02.c" <<'EOF2'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpfnet/bpfnet.h>

struct info_0_2 {	/* struct bpfnet_endpoint_info of the 0.2 header */
	size_t sz;
	char name[BPFNET_NAME_MAX], network[BPFNET_NAME_MAX], netns[BPFNET_PATH_MAX];
	char ifname[IF_NAMESIZE], host_ifname[IF_NAMESIZE];
	unsigned int id, host_ifindex;
	struct bpfnet_prefix ip;
	struct bpfnet_addr gateway;
	uint8_t mac[6], host_mac[6];
	unsigned int mtu, gen;
};
int list_0_2(struct bpfnet *bn, struct info_0_2 **out, size_t *count);
__asm__(".symver list_0_2, bpfnet_endpoint__list@LIBBPFNET_0.2");

int main(void)
{
	struct bpfnet_opts o = { .sz = sizeof(o), .instance = getenv("BPFNET_INSTANCE") };
	struct bpfnet_endpoint_info *now;
	struct info_0_2 *old;
	size_t n_old, n_now;
	struct bpfnet *bn;

	if (bpfnet__open(&o, &bn) || list_0_2(bn, &old, &n_old) ||
	    bpfnet_endpoint__list(bn, &now, &n_now)) {
		fprintf(stderr, "list02: %s\n", bpfnet__errmsg(bn));
		return 1;
	}
	printf("0.2: %zu of %zu bytes:", n_old, sizeof(*old));
	for (size_t i = 0; i < n_old; i++)
		printf(" %s sz=%zu ip-len=%u mtu=%u", old[i].name, old[i].sz, old[i].ip.len,
		       old[i].mtu);
	printf("\n0.3: %zu of %zu bytes:", n_now, sizeof(*now));
	for (size_t i = 0; i < n_now; i++)
		printf(" %s sz=%zu ip-len=%u mtu=%u id=%s", now[i].name, now[i].sz, now[i].ip.len,
		       now[i].mtu, now[i].container_id[0] ? now[i].container_id : "-");
	printf("\n");
	free(old);
	free(now);
	bpfnet__close(bn);
	return 0;
}
EOF2
new_ns c2 c3
bn endpoint add embed --netns "$(nsname c2)" --name c2 --mtu 1400 --container-id abc >/dev/null &&
	bn endpoint add embed --netns "$(nsname c3)" --name c3 --mtu 1300 >/dev/null ||
	diag "endpoint add c2, c3 failed"
check "a program bound to bpfnet_endpoint__list@LIBBPFNET_0.2 builds against the tree" \
	${CC:-cc} $(pkg-config --cflags libbpfnet) -o "$TMP/list02" "$TMP/list02.c" \
	$(pkg-config --libs libbpfnet)
check "... and needs bpfnet_endpoint__list at LIBBPFNET_0.2" \
	grep_out "bpfnet_endpoint__list@LIBBPFNET_0.2" readelf -W --dyn-syms "$TMP/list02"
out=$(ip netns exec "$NODE" env BPFNET_INSTANCE="$INST" LD_LIBRARY_PATH="$LIBDIR" \
	"$TMP/list02" 2>&1)
diag "$out"
C1=$(nsname c1)
is "$(sed -n 's/^0.2: //p' <<<"$out")" \
	"3 of 496 bytes: $C1 sz=496 ip-len=24 mtu=1500 c2 sz=496 ip-len=24 mtu=1400 c3 sz=496 ip-len=24 mtu=1300" \
	"0.2's elements: the old stride, every field where 0.2 has it"
is "$(sed -n 's/^0.3: //p' <<<"$out")" \
	"3 of 624 bytes: $C1 sz=624 ip-len=24 mtu=1500 id=- c2 sz=624 ip-len=24 mtu=1400 id=abc c3 sz=624 ip-len=24 mtu=1300 id=-" \
	"0.3's (the default): with container_id"

# ---- bpfnet_network__list of a program built before 0.4 ----------------------------------------

# its elements are struct bpfnet_network_info of the 0.2/0.3 header (no parent: 144 bytes on
# LP64), the default one 0.4's with the macvlan network's parent
cat >"$TMP/netlist03.c" <<'EOF2'
#include <stdio.h>
#include <stdlib.h>
#include <bpfnet/bpfnet.h>

struct info_0_3 {	/* struct bpfnet_network_info of the 0.2 and 0.3 headers */
	size_t sz;
	char name[BPFNET_NAME_MAX];
	unsigned int id;
	enum bpfnet_network_mode mode;
	struct bpfnet_prefix subnet;
	struct bpfnet_addr gateway;
	unsigned int endpoints;
	bool masquerade, internal;
	uint8_t gateway_mac[6];
	enum bpfnet_gateway_mode gateway_mode;
};
int list_0_3(struct bpfnet *bn, struct info_0_3 **out, size_t *count);
__asm__(".symver list_0_3, bpfnet_network__list@LIBBPFNET_0.2");

int main(void)
{
	struct bpfnet_opts o = { .sz = sizeof(o), .instance = getenv("BPFNET_INSTANCE") };
	struct bpfnet_network_info *now;
	struct info_0_3 *old;
	size_t n_old, n_now;
	struct bpfnet *bn;

	if (bpfnet__open(&o, &bn) || list_0_3(bn, &old, &n_old) ||
	    bpfnet_network__list(bn, &now, &n_now)) {
		fprintf(stderr, "netlist03: %s\n", bpfnet__errmsg(bn));
		return 1;
	}
	printf("0.3: %zu of %zu bytes:", n_old, sizeof(*old));
	for (size_t i = 0; i < n_old; i++)
		printf(" %s sz=%zu mode=%s len=%u eps=%u gw-mode=%s", old[i].name, old[i].sz,
		       bpfnet_network_mode_str(old[i].mode), old[i].subnet.len, old[i].endpoints,
		       bpfnet_gateway_mode_str(old[i].gateway_mode));
	printf("\n0.4: %zu of %zu bytes:", n_now, sizeof(*now));
	for (size_t i = 0; i < n_now; i++)
		printf(" %s sz=%zu mode=%s parent=%s", now[i].name, now[i].sz,
		       bpfnet_network_mode_str(now[i].mode), now[i].parent[0] ? now[i].parent : "-");
	printf("\n");
	free(old);
	free(now);
	bpfnet__close(bn);
	return 0;
}
EOF2
check "network create mv (macvlan on $UPLINK)" bn network create mv --mode macvlan \
	--parent "$UPLINK" --subnet 192.168.77.0/24 --gateway "$EXT_IP"
check "a program bound to bpfnet_network__list@LIBBPFNET_0.2 builds against the tree" \
	${CC:-cc} $(pkg-config --cflags libbpfnet) -o "$TMP/netlist03" "$TMP/netlist03.c" \
	$(pkg-config --libs libbpfnet)
check "... and needs bpfnet_network__list at LIBBPFNET_0.2" \
	grep_out "bpfnet_network__list@LIBBPFNET_0.2" readelf -W --dyn-syms "$TMP/netlist03"
out=$(ip netns exec "$NODE" env BPFNET_INSTANCE="$INST" LD_LIBRARY_PATH="$LIBDIR" \
	"$TMP/netlist03" 2>&1)
diag "$out"
is "$(sed -n 's/^0.3: //p' <<<"$out")" \
	"2 of 144 bytes: embed sz=144 mode=l3 len=24 eps=3 gw-mode=nat mv sz=144 mode=macvlan len=24 eps=0 gw-mode=nat" \
	"the old elements: the old stride, every field where the old header has it"
is "$(sed -n 's/^0.4: //p' <<<"$out")" \
	"2 of 160 bytes: embed sz=160 mode=l3 parent=- mv sz=160 mode=macvlan parent=$UPLINK" \
	"0.4's (the default): with parent"

done_testing
