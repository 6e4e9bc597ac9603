# bpf-aot.mk: eBPF C sources → native objects in a GNU Make build.
#
#   include $(BPF_AOT_PREFIX)/share/bpf-aot/bpf-aot.mk
#
#   app: main.o tally.aot.o
#           $(CC) $(LDFLAGS) -o $@ $^ $(BPF_AOT_RUNTIME_LIBS)
#   main.o: CPPFLAGS += $(BPF_AOT_RUNTIME_CFLAGS)
#   main.o: tally.aot.h
#
# Rules:     %.bpf.o: %.bpf.c             clang -target bpf, with a dependency file
#            %.aot.o %.aot.h: %.bpf.o     bpf-aot build --skeleton
# With BPF_AOT_OUTPUT=dir the targets are dir/%.bpf.o and dir/%.aot.o/.h
# (sources still %.bpf.c). Variables (override on the command line or before
# the include; the recipes read them when they run):
#   BPF_CLANG        clang for -target bpf                      (clang)
#   BPF_CFLAGS       its flags                                  (-O2 -g)
#   BPF_CPPFLAGS     its -I/-D flags
#   BPF_AOT          the bpf-aot tool                           (this prefix's bin/bpf-aot)
#   BPF_AOT_FLAGS    extra flags for bpf-aot build, e.g. -O3, --cpu native,
#                    --target aarch64-linux-gnu
#   BPF_AOT_SANDBOX  non-empty: build with --sandbox (run-time checks; see README)
#   BPF_AOT_DEBUG_INFO  1: build with -g (DWARF line tables from the object's
#                    line info, for gdb, perf, addr2line); 0: without; empty: with
#                    it when BPF_CFLAGS builds the .bpf.c with -g (as by default)
#   BPF_AOT_OUTPUT   where generated files go (before the include; empty: next to the sources)
#   BPF_AOT_DEPDIR   where clang's dependency files go          ($(BPF_AOT_OUTPUT)/.bpf-aot-deps)
#   BPF_TARGET_ARCH  the native code's architecture as libbpf names it, for
#                    -D__TARGET_ARCH_<arch> (x86, arm64, ...; from $(CC) -dumpmachine)
# Results, for the host program:
#   BPF_AOT_RUNTIME_CFLAGS / BPF_AOT_RUNTIME_LIBS   compile and link flags of the
#                    runtime (pkg-config bpf-aot), the libs after the .aot.o objects
#   BPF_AOT_CLEAN    the generated files' patterns and the dependency directory, for `clean`

BPF_AOT_MK_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
# Installed as <prefix>/share/bpf-aot/bpf-aot.mk.
BPF_AOT_PREFIX ?= $(abspath $(BPF_AOT_MK_DIR)/../..)

BPF_CLANG ?= clang
BPF_CFLAGS ?= -O2 -g
BPF_CPPFLAGS ?=
BPF_AOT ?= $(BPF_AOT_PREFIX)/bin/bpf-aot
BPF_AOT_FLAGS ?=
BPF_AOT_SANDBOX ?=
BPF_AOT_DEBUG_INFO ?=
# -g for bpf-aot: as asked, else when the last -g flag of BPF_CFLAGS is not -g0.
bpf_aot_debug_flag = $(if $(filter 1,$(BPF_AOT_DEBUG_INFO)),-g,$(if $(filter 0,$(BPF_AOT_DEBUG_INFO)),,$(if $(filter-out -g0,$(lastword $(filter -g%,$(BPF_CFLAGS)))),-g)))
BPF_AOT_OUTPUT ?=
bpf_aot_out := $(if $(BPF_AOT_OUTPUT),$(patsubst %/,%,$(BPF_AOT_OUTPUT))/)
BPF_AOT_DEPDIR ?= $(bpf_aot_out).bpf-aot-deps

# Computed once, on first use, so that settings made after the include count.
# clang's own system directories, which -target bpf leaves out (the host's
# multiarch asm/ headers that linux/bpf.h includes), passed on with -idirafter.
BPF_AOT_SYS_INCLUDES = $(eval BPF_AOT_SYS_INCLUDES := $(shell $(BPF_CLANG) -v -E -x c - \
	</dev/null 2>&1 | sed -n '/<\.\.\.> search starts here/,/End of search list/s/^ \(\/.*\)/-idirafter \1/p'))$(BPF_AOT_SYS_INCLUDES)
# libbpf-bootstrap's mapping of `uname -m`, applied to the machine $(CC) builds for.
BPF_TARGET_ARCH ?= $(eval BPF_TARGET_ARCH := $(shell ($(CC) -dumpmachine 2>/dev/null || uname -m) | \
	sed -e 's/-.*//' -e 's/^\(x86_64\|amd64\|i[3-6]86\)$$/x86/' -e 's/^aarch64$$/arm64/' \
	-e 's/^arm.*/arm/' -e 's/^\(ppc64le\|ppc64\|powerpc.*\)$$/powerpc/' -e 's/^mips.*/mips/' \
	-e 's/^riscv.*/riscv/' -e 's/^loongarch.*/loongarch/' -e 's/^s390x$$/s390/'))$(BPF_TARGET_ARCH)
bpf_aot_pkg_config = PKG_CONFIG_PATH="$(BPF_AOT_PREFIX)/lib/pkgconfig:$(BPF_AOT_PREFIX)/lib64/pkgconfig$${PKG_CONFIG_PATH:+:$$PKG_CONFIG_PATH}" pkg-config
BPF_AOT_RUNTIME_CFLAGS = $(eval BPF_AOT_RUNTIME_CFLAGS := $(shell $(bpf_aot_pkg_config) --cflags bpf-aot 2>/dev/null || \
	echo "-I$(BPF_AOT_PREFIX)/include"))$(BPF_AOT_RUNTIME_CFLAGS)
BPF_AOT_RUNTIME_LIBS = $(eval BPF_AOT_RUNTIME_LIBS := $(shell $(bpf_aot_pkg_config) --libs bpf-aot 2>/dev/null || \
	echo "$(BPF_AOT_PREFIX)/lib/libbpfaot_runtime.a -lpthread -ldl"))$(BPF_AOT_RUNTIME_LIBS)

BPF_AOT_CLEAN = $(bpf_aot_out)*.bpf.o $(bpf_aot_out)*.aot.o $(bpf_aot_out)*.aot.h $(BPF_AOT_DEPDIR)

# A dependency file per object, flat in BPF_AOT_DEPDIR ('/' → '_' in its name).
bpf_aot_depfile = $(BPF_AOT_DEPDIR)/$(subst /,_,$(1)).d

$(bpf_aot_out)%.bpf.o: %.bpf.c
	@mkdir -p $(@D) $(BPF_AOT_DEPDIR)
	$(BPF_CLANG) -target bpf -D__TARGET_ARCH_$(BPF_TARGET_ARCH) $(BPF_CPPFLAGS) $(BPF_CFLAGS) $(BPF_AOT_SYS_INCLUDES) \
		-MD -MP -MF $(call bpf_aot_depfile,$@) -MT $@ -c $< -o $@

# One run writes both files (a pattern rule with two targets), so -j is safe.
# The tool is a prerequisite when it is a file: a new bpf-aot recompiles.
$(bpf_aot_out)%.aot.o $(bpf_aot_out)%.aot.h: $(bpf_aot_out)%.bpf.o $(wildcard $(BPF_AOT))
	$(BPF_AOT) build --skeleton $(if $(BPF_AOT_SANDBOX),--sandbox) $(bpf_aot_debug_flag) $(BPF_AOT_FLAGS) $< -o $(@D)

# Kept: intermediate files deleted after each build would be rebuilt later.
.PRECIOUS: $(bpf_aot_out)%.bpf.o $(bpf_aot_out)%.aot.o $(bpf_aot_out)%.aot.h

# The dependency files name targets; the includer's first target stays the default goal.
bpf_aot_goal := $(.DEFAULT_GOAL)
-include $(wildcard $(BPF_AOT_DEPDIR)/*.d)
.DEFAULT_GOAL := $(bpf_aot_goal)
