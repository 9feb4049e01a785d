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

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/include/%.skel.h,$(BPF_SRCS))
LIB_SRCS := $(wildcard user/lib/*/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
CLI_SRCS := $(wildcard user/cli/*.c)
CLI_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRCS))
TEST_SRCS := $(wildcard tests/unit/*.c tests/pkt/*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

LIB := $(BUILD)/libbpfnet.a
SOLIB := $(BUILD)/libbpfnet.so
CLI := $(BUILD)/bpfnet

.PHONY: all deps check demo install clean help bench
all: $(CLI) $(SOLIB) $(TEST_BINS)

help:
	@echo 'make            build the datapath, library, CLI and tests'
	@echo 'make deps       install missing Debian packages (idempotent)'
	@echo 'make check      run every test (as root; builds and installs deps first)'
	@echo 'make demo       containers talking through bpfnet in a sandbox netns'
	@echo 'make bench      bpfnet against iptables, nftables, a bare veth pair (tools/bench)'
	@echo 'make install    install bpfnet, libbpfnet and headers (PREFIX, DESTDIR)'
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

$(LIB_OBJS) $(CLI_OBJS) $(patsubst %,$(BUILD)/%.o,$(basename $(TEST_SRCS))): $(SKELS)

$(BUILD)/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(SOLIB): $(LIB_OBJS) user/lib/libbpfnet.map
	$(call msg,LD,$@)
	$(Q)$(CC) -shared -Wl,--version-script=user/lib/libbpfnet.map -Wl,-soname,libbpfnet.so.0 \
		-o $@ $(LIB_OBJS) $(LDLIBS)

$(CLI): $(CLI_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

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

# tools/svcmap: published ports written and read through the library's encoder, for e2e tests
all: $(BUILD)/tools/svcmap
$(BUILD)/tools/svcmap: tools/svcmap.c $(LIB)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(filter-out -fPIC -MD -MP,$(CFLAGS)) -o $@ $< $(LIB) $(LDLIBS)

# deps first, then the build: a fresh machine has neither packages nor objects
check: deps
	$(MAKE) all
	tests/run

demo: deps
	$(MAKE) all
	tools/demo

bench: deps
	$(MAKE) all
	tools/bench $(BENCH_ARGS)

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/bpfnet
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/sbin/bpfnet
	install -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(SOLIB) $(DESTDIR)$(PREFIX)/lib/libbpfnet.so.0
	ln -sf libbpfnet.so.0 $(DESTDIR)$(PREFIX)/lib/libbpfnet.so
	install -m 0644 include/bpfnet/*.h $(DESTDIR)$(PREFIX)/include/bpfnet/

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
