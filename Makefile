# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bpfnet: BPF objects -> skeletons -> library -> CLI and tests.

.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

PREFIX ?= /usr/local
DESTDIR ?=
BUILD := build
ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
CFLAGS += $(WARN) -std=gnu11 -fPIC -D_GNU_SOURCE -Iinclude -Iuser/lib -I$(BUILD)/include -MD -MP
BPF_CFLAGS := -g -O2 -target bpf $(WARN) -Wno-unused-parameter -Iinclude -Ibpf -I$(ARCH_INC) -MD -MP
LDLIBS := -lbpf -lelf -lz -lmnl -ljansson

# Debian packages the build, tests, demo and bench need (make deps).
DEB_PACKAGES := clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool libmnl-dev libjansson-dev \
	libcmocka-dev pkg-config iproute2 iputils-ping iperf3 sockperf netcat-openbsd socat \
	python3 iptables nftables tcpdump procps ethtool
# the fragment tests' DNS server and client (dnsmasq-base: the binary, no service started)
DEB_PACKAGES += dnsmasq-base bind9-dnsutils
# tests/e2e/85-podman.sh: podman with its CNI backend (--no-install-recommends keeps netavark
# out), the reference plugins, runc (crun refuses a hybrid cgroup layout), a static busybox
DEB_PACKAGES += podman containernetworking-plugins golang-github-containers-common conmon runc \
	catatonit uidmap busybox-static

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/include/%.skel.h,$(BPF_SRCS))
LIB_SRCS := $(wildcard user/lib/*/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
CLI_SRCS := $(wildcard user/cli/*.c)
CLI_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRCS))
TEST_SRCS := $(wildcard tests/unit/*.c tests/pkt/*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

LIB := $(BUILD)/libbpfnet.a
CLI := $(BUILD)/bpfnet

# ---- packaging: versions, names and where things install ----------------------------

# The library's version is the public header's, the one place to bump it:
# BPFNET_{MAJOR,MINOR,PATCH}_VERSION in include/bpfnet/bpfnet.h. A new node in
# user/lib/libbpfnet.map bumps MINOR; an incompatible change bumps MAJOR, the SONAME's.
hdr_version = $(or $(shell sed -n \
	's/^.define BPFNET_$(1)_VERSION[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p' \
	include/bpfnet/bpfnet.h),$(error no BPFNET_$(1)_VERSION in include/bpfnet/bpfnet.h))
LIBBPFNET_MAJOR := $(call hdr_version,MAJOR)
LIBBPFNET_MINOR := $(call hdr_version,MINOR)
LIBBPFNET_PATCH := $(call hdr_version,PATCH)
LIBBPFNET_VERSION := $(LIBBPFNET_MAJOR).$(LIBBPFNET_MINOR).$(LIBBPFNET_PATCH)
SONAME := libbpfnet.so.$(LIBBPFNET_MAJOR)
SOLIB_REAL := $(BUILD)/libbpfnet.so.$(LIBBPFNET_VERSION)
SOLIB := $(BUILD)/libbpfnet.so
PC := $(BUILD)/libbpfnet.pc
# the CLI's man page (built from its command table) and bash completion: installed when there
MAN := $(BUILD)/bpfnet.8
BASH_COMPLETION := contrib/bash-completion/bpfnet

SBINDIR ?= $(PREFIX)/sbin
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Debian multiarch under /usr (/usr/lib/x86_64-linux-gnu), as dpkg-architecture says in a
# package build, else as the compiler says; $(PREFIX)/lib anywhere else.
MULTIARCH ?= $(or $(DEB_HOST_MULTIARCH),$(shell $(CC) -print-multiarch 2>/dev/null))
ifeq ($(PREFIX):$(if $(MULTIARCH),multiarch),/usr:multiarch)
LIBDIR ?= $(PREFIX)/lib/$(MULTIARCH)
else
LIBDIR ?= $(PREFIX)/lib
endif
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# readelf and nm: tests/e2e/95-embed.sh looks into the installed library
DEB_PACKAGES += binutils
.PHONY: uninstall FORCE
# named here, not only as prerequisites: .SECONDARY would let a missing link stay missing
all: $(SOLIB_REAL) $(BUILD)/$(SONAME)

.PHONY: all deps check demo install clean help bench bench-deps
all: $(CLI) $(SOLIB) $(TEST_BINS)

help:
	@echo 'make            build the datapath, library, CLI and tests'
	@echo 'make deps       install missing Debian packages (idempotent)'
	@echo 'make check      run every test (as root; builds and installs deps first)'
	@echo 'make demo       containers talking through bpfnet in a sandbox netns'
	@echo 'make bench      bpfnet against iptables, nftables, a bare veth pair (tools/bench)'
	@echo 'make install    install bpfnet, libbpfnet, headers, libbpfnet.pc, man page, completion'
	@echo '                and bpfnet-cni into CNI_BIN_DIR (/usr/lib/cni)'
	@echo '                (PREFIX=/usr/local, DESTDIR, LIBDIR: Debian multiarch under /usr)'
	@echo 'make uninstall  remove what make install put there (same variables)'
	@echo 'make clean      remove build/'
	@echo 'V=1             show the commands'

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.linked.o: $(BUILD)/bpf/%.bpf.o
	$(call msg,GENOBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(BUILD)/include/%.skel.h: $(BUILD)/bpf/%.linked.o
	$(call msg,SKEL,$@)
	@mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(LIB_OBJS) $(CLI_OBJS) $(RUN_OBJS) $(patsubst %,$(BUILD)/%.o,$(basename $(TEST_SRCS))): $(SKELS)

$(BUILD)/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(SOLIB_REAL): $(LIB_OBJS) user/lib/libbpfnet.map
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,--version-script=user/lib/libbpfnet.map \
		-Wl,-soname,$(SONAME) -Wl,--no-undefined -o $@ $(LIB_OBJS) $(LDLIBS)

# the links ldconfig and a -dev package make: the SONAME for programs (also those linked
# against build/), the bare name for the linker
$(BUILD)/$(SONAME): $(SOLIB_REAL)
	$(call msg,LN,$@)
	$(Q)ln -sfn $(notdir $<) $@
$(SOLIB): $(BUILD)/$(SONAME)
	$(call msg,LN,$@)
	$(Q)ln -sfn $(notdir $<) $@

# the container runtime (user/run): a program part over the public API, linked into the CLI,
# which reaches it through run/cmd_run.h alone. Its unit tests (tests/unit/test_run_*) link
# its objects.
RUN_SRCS := $(wildcard user/run/*.c)
RUN_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(RUN_SRCS))
RUN_TEST_BINS := $(filter $(BUILD)/tests/unit/test_run_%,$(TEST_BINS))
$(CLI_OBJS): CFLAGS += -Iuser
$(patsubst %,$(BUILD)/%.o,$(basename $(filter tests/unit/test_run_%,$(TEST_SRCS)))): \
	CFLAGS += -Iuser/run

$(CLI): $(CLI_OBJS) $(RUN_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(RUN_OBJS) $(LIB) $(LDLIBS)
$(RUN_TEST_BINS): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(RUN_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) -o $@ $< $(RUN_OBJS) $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

# tools/connrate: the bench's connections-per-second client and server; gnuplot: its plots
DEB_PACKAGES += gnuplot-nox
all: $(BUILD)/tools/connrate
$(BUILD)/tools/connrate: tools/connrate.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(filter-out -fPIC,$(CFLAGS)) -o $@ $<

# tools/ctfill: synthetic conntrack flows through the pinned map, for the bench and e2e tests
all: $(BUILD)/tools/ctfill
$(BUILD)/tools/ctfill: tools/ctfill.c include/bpfnet/abi.h
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(filter-out -fPIC -MD -MP,$(CFLAGS)) -o $@ $< -lbpf -lelf -lz

# tools/pps: the bench's UDP generator (XDP live frames, no pktgen) and sink, for its pps stage
all: $(BUILD)/tools/pps
$(BUILD)/tools/pps: tools/pps.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(filter-out -fPIC -MD -MP,$(CFLAGS)) -o $@ $< -lbpf -lelf -lz

# tools/svcmap: published ports written and read through the library's encoder, for e2e tests
all: $(BUILD)/tools/svcmap
$(BUILD)/tools/svcmap: tools/svcmap.c $(LIB)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(filter-out -fPIC -MD -MP,$(CFLAGS)) -o $@ $< $(LIB) $(LDLIBS)

# tools/verdict-cost: per-packet ns of each verdict class of each datapath program by
# BPF_PROG_TEST_RUN (the bench's verdicts stage), built on the packet tests' harness
# (tests/pkt: topology, seeding through the library's encoders, frame builders and checks)
all: $(BUILD)/tools/verdict-cost
$(BUILD)/tools/verdict-cost.o: CFLAGS += -Itests/pkt
$(BUILD)/tools/verdict-cost.o: $(SKELS)
$(BUILD)/tools/verdict-cost: $(BUILD)/tools/verdict-cost.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

# bpfnet-cni: the CNI plugin, a separate main over the public API (user/cni), linked
# statically against libbpfnet like the CLI so that the plugin directory's copy stands
# alone. Its unit tests (tests/unit/test_cni_*) link its objects but main.o.
CNI_BIN_DIR ?= /usr/lib/cni
CNI := $(BUILD)/bpfnet-cni
CNI_SRCS := $(wildcard user/cni/*.c)
CNI_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CNI_SRCS))
CNI_CORE_OBJS := $(filter-out $(BUILD)/user/cni/main.o,$(CNI_OBJS))
CNI_TEST_BINS := $(filter $(BUILD)/tests/unit/test_cni_%,$(TEST_BINS))
all: $(CNI)
$(CNI): $(CNI_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CNI_OBJS) $(LIB) $(LDLIBS)
$(CNI_TEST_BINS): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(CNI_CORE_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) -o $@ $< $(CNI_CORE_OBJS) $(LIB) $(LDLIBS) -lcmocka
$(patsubst %,$(BUILD)/%.o,$(basename $(filter tests/unit/test_cni_%,$(TEST_SRCS)))): \
	CFLAGS += -Iuser/cni
install: install-cni
uninstall: uninstall-cni
.PHONY: install-cni uninstall-cni
install-cni: $(CNI)
	install -d $(DESTDIR)$(CNI_BIN_DIR)
	install -m 0755 $(CNI) $(DESTDIR)$(CNI_BIN_DIR)/bpfnet-cni
uninstall-cni:
	rm -f $(DESTDIR)$(CNI_BIN_DIR)/bpfnet-cni

# bpfnet(8) ($(MAN)): made by the CLI from its command table, the source of `bpfnet help` too
all: $(MAN)
$(MAN): $(CLI)
	$(call msg,MAN,$@)
	$(Q)$< help --man > $@
# the CLI tests render it (groff, man -l) and run the bash completion (contrib/bash-completion)
DEB_PACKAGES += groff-base man-db
# tests/e2e/79-cni-harness.sh checks the CNI harness against the reference plugins
# (bridge, host-local, portmap; tuning in 80-cni.sh), tools/cni-bench measures them
DEB_PACKAGES += containernetworking-plugins

# deps first, then the build: a fresh machine has neither packages nor objects
check: deps
	$(MAKE) all
	tests/run

demo: deps
	$(MAKE) all
	tools/demo

# the bench's docker and docker-noproxy variants: Debian's dockerd, for make bench alone (make
# check's quick bench reports them unsupported without it). A policy-rc.d that exits 101 (the
# host's own put back after) keeps the install from starting a dockerd on the host.
BENCH_DEB_PACKAGES := docker.io
bench-deps: deps
	@missing=$$(for p in $(BENCH_DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	[ -z "$$missing" ] && exit 0; \
	echo "installing:" $$missing; \
	policy=/usr/sbin/policy-rc.d; saved=$$policy.bpfnet-saved; \
	[ -e $$policy ] && mv $$policy $$saved; \
	printf '#!/bin/sh\nexit 101\n' >$$policy && chmod 755 $$policy; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; rc=$$?; \
	rm -f $$policy; [ -e $$saved ] && mv $$saved $$policy; \
	exit $$rc

bench: bench-deps
	$(MAKE) all
	tools/bench $(BENCH_ARGS)

# make fuzz: every fuzzer for a bounded time, FUZZ_SECONDS per target (issue 12):
# fuzz-parsers, the control plane's parsers of outside input under libFuzzer (tests/fuzz/);
# fuzz-packets, mutated packets through every BPF program with BPF_PROG_TEST_RUN.
FUZZ_SECONDS ?= 60
.PHONY: fuzz fuzz-parsers fuzz-packets
fuzz: fuzz-parsers fuzz-packets

# fuzz-packets: tests/pkt/test_fuzz with FUZZ_PACKETS frames per BPF program (a count, not
# FUZZ_SECONDS: the run does not depend on the clock), seeded with FUZZ_SEED or, when it is
# empty, a random seed, printed to run it again. make check runs its short run (20,000).
FUZZ_PACKETS ?= 1000000
FUZZ_SEED ?=
fuzz-packets: $(BUILD)/tests/pkt/test_fuzz
	@seed='$(FUZZ_SEED)'; [ -n "$$seed" ] || seed=0x$$(od -An -N8 -tx8 /dev/urandom | tr -d ' '); \
	echo "fuzz-packets: FUZZ_PACKETS=$(FUZZ_PACKETS) FUZZ_SEED=$$seed"; \
	FUZZ_PACKETS='$(FUZZ_PACKETS)' FUZZ_SEED=$$seed CMOCKA_MESSAGE_OUTPUT=TAP $<

# make next (issue 12): the whole tree again in build-next/ with the "next" map layout of
# include/bpfnet/abi.h (BPFNET_LAYOUT_NEXT: a conntrack and an endpoint field more, their
# maps at layout 2), the binary the migration tests upgrade to and downgrade from.
# make next NEXT_GOAL=all, then BUILD=build-next tests/run ..., runs the tests against it.
# Only the CLI by default, all make check needs of it; NEXT_GOAL=all builds its tests too.
NEXT_GOAL ?= build-next/bpfnet
.PHONY: next
next:
	$(MAKE) BUILD=build-next LAYOUT_CFLAGS=-DBPFNET_LAYOUT_NEXT $(NEXT_GOAL)
# the migration tests (75-migrate, 76-upgrade) need both builds: make check makes it too
# (after deps, listed first in check's own rule)
check: next
LAYOUT_CFLAGS ?=
CFLAGS += $(LAYOUT_CFLAGS)
BPF_CFLAGS += $(LAYOUT_CFLAGS)

# ---- upgrade tests (issue 12): a CLI whose BPF programs differ from build/'s ----------
# make prog-variant: build-prog/bpfnet, its programs compiled with BPFNET_PROG_VARIANT
# (bpf/lib/variant.h: one instruction without effect at each tc entry, the same maps and
# layouts), the "binary with a changed program" that tests/e2e/76-upgrade.sh and
# tools/upgrade-bench install over build/'s under live traffic
PROG_VARIANT_BUILD := build-prog
BPF_CFLAGS += $(BPF_VARIANT_CFLAGS)
.PHONY: prog-variant
prog-variant:
	$(Q)$(MAKE) --no-print-directory BUILD=$(PROG_VARIANT_BUILD) \
		BPF_VARIANT_CFLAGS=-DBPFNET_PROG_VARIANT=1 $(PROG_VARIANT_BUILD)/bpfnet
# the test needs it: make check builds it before running the tests (after deps)
check: prog-variant
clean: clean-prog-variant
.PHONY: clean-prog-variant
clean-prog-variant:
	rm -rf $(PROG_VARIANT_BUILD)

# ---- fuzz-parsers: libFuzzer on every parser of outside input (tests/fuzz/README.md) -------
# Each tests/fuzz/fuzz_T.c is built twice, against the library's, the runtime's and the
# CNI plugin's sources compiled again with ASan, UBSan and libFuzzer's coverage (not the
# -O2 objects): the fuzzer $(BUILD)/fuzz/fuzz_T, and with tests/fuzz/replay.c's main() the
# unit test $(BUILD)/tests/unit/test_fuzz_T, which replays T's committed corpus and its
# regressions in make check. libFuzzer's runtime is libclang-rt-dev's: clang only
# recommends it, and make deps installs no recommends.
DEB_PACKAGES += libclang-rt-dev
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJ := $(BUILD)/fuzz/obj
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude \
	-Iuser/lib -Iuser -Itests/fuzz -I$(BUILD)/include -MD -MP $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link -Wno-unknown-attributes
# clang 14 has no symver attribute: the default versions of what the library defines twice
# (api/endpoint.c, api/network.c) are bound by hand, as gcc's "@@" binds them in a static link
# (-u: their objects are taken from the archive even when nothing else of them is used)
FUZZ_LDFLAGS := -Wl,-u,ep_list_v0_3 -Wl,--defsym=bpfnet_endpoint__list=ep_list_v0_3 \
	-Wl,-u,net_list_v0_4 -Wl,--defsym=bpfnet_network__list=net_list_v0_4
FUZZ_SRCS := $(LIB_SRCS) $(RUN_SRCS) $(filter-out user/cni/main.c,$(CNI_SRCS))
FUZZ_SRC_OBJS := $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(FUZZ_SRCS))
FUZZ_LIB := $(FUZZ_OBJ)/libbpfnet-fuzz.a
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_TARGETS))
FUZZ_REPLAYS := $(addprefix $(BUILD)/tests/unit/test_fuzz_,$(FUZZ_TARGETS))
all: $(FUZZ_REPLAYS)

$(FUZZ_SRC_OBJS): $(SKELS)
$(FUZZ_OBJ)/%.o: %.c
	$(call msg,FUZZCC,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@
$(FUZZ_OBJ)/tests/fuzz/replay_%.o: tests/fuzz/replay.c
	$(call msg,FUZZCC,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -DFUZZ_TARGET='"$*"' -c $< -o $@
$(FUZZ_LIB): $(FUZZ_SRC_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/fuzz/fuzz_%: $(FUZZ_OBJ)/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/unit/test_fuzz_%: $(FUZZ_OBJ)/tests/fuzz/fuzz_%.o \
		$(FUZZ_OBJ)/tests/fuzz/replay_%.o $(FUZZ_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(FUZZ_SAN) $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

# each target FUZZ_SECONDS over a fresh copy of its corpus; a crash fails make, its input kept
fuzz-parsers: $(FUZZ_BINS)
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_TARGETS)

# libbpfnet.pc names the directories of this install: made again by every make install
$(PC): user/lib/libbpfnet.pc.in FORCE
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' \
		-e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
		-e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
		-e 's|@VERSION@|$(LIBBPFNET_VERSION)|' $< >$@

install: all $(PC)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/bpfnet
	install -m 0755 $(CLI) $(DESTDIR)$(SBINDIR)/bpfnet
	install -m 0644 $(LIB) $(SOLIB_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sfn $(notdir $(SOLIB_REAL)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sfn $(SONAME) $(DESTDIR)$(LIBDIR)/libbpfnet.so
	install -m 0644 $(PC) $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 0644 include/bpfnet/*.h $(DESTDIR)$(INCLUDEDIR)/bpfnet/
	@if [ -f $(MAN) ]; then \
		install -d $(DESTDIR)$(MANDIR)/man8 && \
		install -m 0644 $(MAN) $(DESTDIR)$(MANDIR)/man8/bpfnet.8; \
	else echo "install: no $(MAN), the man page is left out"; fi
	@if [ -f $(BASH_COMPLETION) ]; then \
		install -d $(DESTDIR)$(BASHCOMPDIR) && \
		install -m 0644 $(BASH_COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/bpfnet; \
	else echo "install: no $(BASH_COMPLETION), the bash completion is left out"; fi

FORCE:

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/bpfnet $(DESTDIR)$(LIBDIR)/libbpfnet.a \
		$(DESTDIR)$(LIBDIR)/libbpfnet.so $(DESTDIR)$(LIBDIR)/$(SONAME) \
		$(DESTDIR)$(LIBDIR)/$(notdir $(SOLIB_REAL)) $(DESTDIR)$(PKGCONFIGDIR)/libbpfnet.pc \
		$(DESTDIR)$(MANDIR)/man8/bpfnet.8 $(DESTDIR)$(BASHCOMPDIR)/bpfnet
	rm -rf $(DESTDIR)$(INCLUDEDIR)/bpfnet

clean:
	rm -rf $(BUILD) build-next

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
