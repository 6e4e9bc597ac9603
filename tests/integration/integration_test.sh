#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What a user of bpf-aot does in their own build, in scratch directories:
# install, find_package / add_subdirectory / FetchContent / bpf-aot.mk, build
# and run the examples, check what rebuilds, check failing builds.
# Usage: integration_test.sh CASE
# Environment: SRC (bpf-aot's sources), BUILD (its build), WORK (scratch),
# PREFIX (the install of the `install` case), LLVM_VERSION, CMAKE, READELF.
set -euo pipefail
case_=${1:?case}
here=$(cd "$(dirname "$0")" && pwd)
out=$WORK/$case_
rm -rf "$out" && mkdir -p "$out"
jobs=2

fail() { echo "FAIL - $case_: $*"; exit 1; }
step() { echo "--- $*"; }

# Runs a build, keeps its output in $out/log, fails the test if it fails.
build() {
	if ! "$@" >"$out/log" 2>&1; then
		cat "$out/log"
		fail "build failed: $*"
	fi
	cat "$out/log"
}

# The programs' expected output (examples/*/main.c on their fixed lines).
check_textstats() {
	local got want
	got=$("$1")
	want='line 1: 16 letters, 4 words
line 2: 19 letters, 5 words
line 3: 15 letters, 4 words
letters 50, words 13, longest word 5, most common '"'e'"' x6'
	[[ $got == "$want" ]] || fail "$1 printed:
$got
expected:
$want"
	echo "ok: $1"
}

# What a build did, one tag per step, from the build tool's output: a
# CMake build's step descriptions or the commands bpf-aot.mk and the
# example's Makefile run. Unknown steps are kept whole, so they fail checks.
tags() {
	sed -nE \
		-e 's/.*Compiling eBPF ([A-Za-z0-9_]+)\.bpf\.c.*/clang \1/p; t' \
		-e 's/.*Compiling ([A-Za-z0-9_]+)\.bpf\.o ahead of time.*/aot \1/p; t' \
		-e 's/.*Building C object .*main\.c\.o.*/cc main/p; t' \
		-e 's/.*Linking C static library.*/ar/p; t' \
		-e 's/.*Linking C executable textstats.*/link/p; t' \
		-e 's/.* -c ([^ ]*\/)?([A-Za-z0-9_]+)\.bpf\.c -o .*/clang \2/p; t' \
		-e 's/.*bpf-aot build --skeleton .*[ /]([A-Za-z0-9_]+)\.bpf\.o -o .*/aot \1/p; t' \
		-e 's/.* -c -o main\.o main\.c$/cc main/p; t' \
		-e 's/.* -o textstats .*/link/p; t' \
		-e 's/.*(Building|Linking|Compiling|Generating).*/other: &/p' \
		"$1" | sort -u
}

# expect_steps REQUIRED... -- ALLOWED...: every required step happened and
# nothing but the required and the allowed ones did.
expect_steps() {
	local -a required=() allowed=()
	while (($#)) && [[ $1 != -- ]]; do
		required+=("$1")
		shift
	done
	(($#)) && shift
	allowed=("${required[@]}" "$@")
	local got t a ok
	got=$(tags "$out/log")
	for t in "${required[@]}"; do
		grep -qxF "$t" <<<"$got" || fail "expected step '$t'; the build did: $(paste -sd, <<<"$got")"
	done
	while IFS= read -r t; do
		ok=0
		for a in "${allowed[@]}"; do [[ $t == "$a" ]] && ok=1; done
		((ok)) || fail "unexpected step '$t'; the build did: $(paste -sd, <<<"$got")"
	done <<<"$got"
	echo "ok: steps: $(paste -sd, <<<"$got")"
}

# After a full build: a no-op build does nothing; touching tally.bpf.c, then
# tally.h (included by tally.bpf.c only), rebuilds tally's chain and what
# depends on it, never words'. $1: the source dir, the rest: the build command.
check_rebuilds() {
	local srcdir=$1
	shift
	step "no-op build"
	build "$@"
	[[ -z $(tags "$out/log") ]] || fail "a no-op build did: $(tags "$out/log")"
	if grep -q '^ninja:' "$out/log"; then
		grep -q 'ninja: no work to do' "$out/log" || fail "ninja had work to do"
	fi
	local f
	for f in tally.bpf.c tally.h; do
		step "touch $f"
		sleep 1 # coarse timestamps must not hide the change
		touch "$srcdir/$f"
		build "$@"
		expect_steps "clang tally" "aot tally" link -- "cc main" ar
	done
	step "no-op build"
	build "$@"
	[[ -z $(tags "$out/log") ]] || fail "a no-op build did: $(tags "$out/log")"
}

# A copy of an example, as a user's own project.
copy_example() {
	cp -a "$SRC/examples/$1" "$out/src"
}

case $case_ in
install)
	# The fixture of the other cases: one install of this build.
	rm -rf "$PREFIX"
	build "$CMAKE" --install "$BUILD" --prefix "$PREFIX"
	for f in bin/bpf-aot bin/bpf-aot-plugin lib/libbpfaot_runtime.a lib/libbpfaot.a include/bpfaot/maps.h \
		include/bpfaot/runtime.h include/bpfaot/bpfaot.h lib/cmake/BpfAot/BpfAotConfig.cmake \
		lib/cmake/BpfAot/BpfAotConfigVersion.cmake lib/cmake/BpfAot/BpfAotTargets.cmake \
		lib/cmake/BpfAot/BpfAot.cmake share/bpf-aot/bpf-aot.mk lib/pkgconfig/bpf-aot.pc; do
		[[ -f $PREFIX/$f ]] || fail "not installed: $f"
	done
	! ldd "$PREFIX/bin/bpf-aot" | grep 'not found' || fail "the installed bpf-aot misses libraries"
	"$PREFIX/bin/bpf-aot" --version | grep -Eq '^bpf-aot [0-9]+\.[0-9]+\.[0-9]+' ||
		fail "bpf-aot --version"
	[[ $(echo 'b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00' | "$PREFIX/bin/bpf-aot-plugin" -O0) == 2a ]] ||
		fail "the installed bpf-aot-plugin runs a program"
	libs=$(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --libs bpf-aot)
	[[ $libs == *-lbpfaot_runtime* ]] || fail "pkg-config --libs bpf-aot: $libs"
	echo "ok: installed into $PREFIX"
	;;
package)
	step "find_package(BpfAot 0.1), link BpfAot::bpfaot"
	build "$CMAKE" -S "$here/package" -B "$out/b" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" \
		-DWANT_VERSION=0.1 -DWANT_LLVM="$LLVM_VERSION"
	build "$CMAKE" --build "$out/b"
	"$out/b/compiler_user" | tee "$out/run"
	grep -q '^junk object rejected$' "$out/run" || fail "compiler_user"
	step "find_package(BpfAot 99) must fail"
	if "$CMAKE" -S "$here/package" -B "$out/b99" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" \
		-DWANT_VERSION=99 -DWANT_LLVM="$LLVM_VERSION" >"$out/log" 2>&1; then
		fail "version 99 accepted"
	fi
	grep -q 'requested version "99"' "$out/log" || { cat "$out/log"; fail "no version message"; }
	echo "ok: version 99 refused"
	;;
find_package)
	copy_example cmake-project
	step "configure (Ninja) against $PREFIX"
	build "$CMAKE" -S "$out/src" -B "$out/b" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX"
	build "$CMAKE" --build "$out/b" -j $jobs
	check_textstats "$out/b/textstats"
	check_rebuilds "$out/src" "$CMAKE" --build "$out/b" -j $jobs
	;;
add_subdirectory)
	copy_example cmake-project
	step "configure (Unix Makefiles) with add_subdirectory($SRC)"
	build "$CMAKE" -S "$out/src" -B "$out/b" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release \
		-DBPF_AOT_SOURCE_DIR="$SRC" -DBPF_AOT_LLVM_VERSION="$LLVM_VERSION"
	build "$CMAKE" --build "$out/b" -j $jobs
	check_textstats "$out/b/textstats"
	check_rebuilds "$out/src" "$CMAKE" --build "$out/b" -j $jobs
	;;
fetchcontent)
	copy_example cmake-project
	step "configure (Ninja) with FetchContent (FETCHCONTENT_SOURCE_DIR_BPF_AOT=$SRC)"
	build "$CMAKE" -S "$out/src" -B "$out/b" -G Ninja -DCMAKE_BUILD_TYPE=Release \
		-DFETCHCONTENT_SOURCE_DIR_BPF_AOT="$SRC" -DBPF_AOT_LLVM_VERSION="$LLVM_VERSION"
	build "$CMAKE" --build "$out/b" -j $jobs
	check_textstats "$out/b/textstats"
	;;
make)
	copy_example make-project
	step "make -j$jobs BPF_AOT_PREFIX=$PREFIX"
	build make -C "$out/src" --no-print-directory -j $jobs BPF_AOT_PREFIX="$PREFIX"
	check_textstats "$out/src/textstats"
	make -C "$out/src" -q BPF_AOT_PREFIX="$PREFIX" || fail "make -q: not up to date after a build"
	check_rebuilds "$out/src" make -C "$out/src" --no-print-directory -j $jobs BPF_AOT_PREFIX="$PREFIX"
	;;
errors)
	cp -a "$here/errors" "$out/src"
	build "$CMAKE" -S "$out/src" -B "$out/b" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX"
	for tool in cmake make; do
		step "$tool: a syntax error"
		if [[ $tool == cmake ]]; then
			cmd=("$CMAKE" --build "$out/b" --target broken)
		else
			cmd=(make -C "$out/src" --no-print-directory BPF_AOT_PREFIX="$PREFIX" broken.aot.o)
		fi
		if "${cmd[@]}" >"$out/log" 2>&1; then fail "the broken source built"; fi
		cat "$out/log"
		grep -Eq '(^|/)broken\.bpf\.c:7:[0-9]+: error:' "$out/log" || fail "no clang file:line message"
		step "$tool: a program bpf-aot rejects"
		if [[ $tool == cmake ]]; then
			cmd=("$CMAKE" --build "$out/b" --target rejected)
		else
			cmd=(make -C "$out/src" --no-print-directory BPF_AOT_PREFIX="$PREFIX" reject.aot.o)
		fi
		if "${cmd[@]}" >"$out/log" 2>&1; then fail "the rejected program built"; fi
		cat "$out/log"
		grep -Eq '^bpf-aot: .*reject\.bpf\.o: bad: insn 1: ja \+100: jump target 102 is outside' \
			"$out/log" || fail "no bpf-aot message naming the program and instruction"
		[[ ! -e $out/src/reject.aot.o && ! -e $out/b/rejected.bpf-aot/reject.aot.o ]] ||
			fail "a rejected program left an object"
	done
	echo "ok: both failures reported"
	;;
options)
	build "$CMAKE" -S "$here/options" -B "$out/b" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX"
	build "$CMAKE" --build "$out/b" -v
	grep -Eq 'bpf-aot build --skeleton -O 0 --cpu native .*/prebuilt\.bpf\.o -o [^ ]*/b/gen$' "$out/log" ||
		fail "OPT_LEVEL/CPU/OUTPUT_DIRECTORY not passed on"
	grep -Eq -- '-I[^ ]*/options/inc .*-DANSWER=40 -DBONUS=2 .*-Wall -Werror' "$out/log" ||
		fail "INCLUDE_DIRECTORIES/COMPILE_DEFINITIONS/CLANG_FLAGS not passed on"
	"$out/b/options_host" | tee "$out/run"
	grep -qx 'answer 42, twice 42' "$out/run" || fail "options_host"
	step "my-prog.bpf.c: files keep the name, symbols are my_prog; __TARGET_ARCH_<arch>"
	grep -Eq -- '-D__TARGET_ARCH_[a-z0-9]+ .*my-prog\.bpf\.c' "$out/log" ||
		fail "clang not given -D__TARGET_ARCH_<arch>"
	[[ -f $out/b/dash_bpf.bpf-aot/my-prog.aot.o && -f $out/b/dash_bpf.bpf-aot/my-prog.aot.h ]] ||
		fail "no my-prog.aot.o/.h"
	"$out/b/arch_host" | tee "$out/run" || fail "arch_host (CMake)"
	grep -qx 'arch matches, calls 1' "$out/run" || fail "arch_host (CMake)"
	grep -Eq -- 'bpf-aot build --skeleton -O 2 --instances .*/my-prog\.bpf\.o -o [^ ]*/b/tenants$' "$out/log" ||
		fail "INSTANCES not passed on"
	"$out/b/tenants_host" | tee "$out/run" || fail "tenants_host"
	grep -qx 'arch matches, calls 1' "$out/run" || fail "tenants_host: the instance's calls"
	step "SANDBOX: a read past the context ends the run with a fault the host reads"
	grep -Eq -- 'bpf-aot build --skeleton -O 2 --sandbox .*/guarded\.bpf\.o' "$out/log" ||
		fail "SANDBOX not passed on"
	guarded_ok() {
		grep -qx 'read 42, fault 0' "$1" &&
			grep -Eqx 'returned 0; guarded: insn [0-9]+: out-of-bounds load of 8 bytes at 0x[0-9a-f]+' "$1"
	}
	"$out/b/guarded_host" | tee "$out/run" || fail "guarded_host (CMake)"
	guarded_ok "$out/run" || fail "guarded_host (CMake): no fault, or not the expected one"
	cp -a "$here/options" "$out/make"
	build make -C "$out/make" --no-print-directory BPF_AOT_PREFIX="$PREFIX" arch_host
	grep -Eq -- '^clang -target bpf -D__TARGET_ARCH_[a-z0-9]+ ' "$out/log" ||
		fail "bpf-aot.mk: clang not given -D__TARGET_ARCH_<arch>"
	"$out/make/arch_host" | tee "$out/run" || fail "arch_host (Make)"
	grep -qx 'arch matches, calls 1' "$out/run" || fail "arch_host (Make)"
	build make -C "$out/make" --no-print-directory BPF_AOT_PREFIX="$PREFIX" BPF_AOT_SANDBOX=1 \
		guarded_host
	grep -Eq -- 'bpf-aot build --skeleton --sandbox ' "$out/log" ||
		fail "bpf-aot.mk: BPF_AOT_SANDBOX not passed on"
	"$out/make/guarded_host" | tee "$out/run" || fail "guarded_host (Make)"
	guarded_ok "$out/run" || fail "guarded_host (Make): no fault, or not the expected one"
	;;
cross)
	step "aarch64 toolchain, host bpf-aot"
	build "$CMAKE" -S "$here/cross" -B "$out/b" -G Ninja \
		-DCMAKE_TOOLCHAIN_FILE="$here/cross/aarch64-toolchain.cmake" \
		-DCMAKE_PREFIX_PATH="$PREFIX" -DBPF_AOT_EXECUTABLE="$PREFIX/bin/bpf-aot" \
		-DEXAMPLE_DIR="$SRC/examples/cmake-project"
	build "$CMAKE" --build "$out/b" -v --target tally_bpf
	grep -q -- '--target aarch64-linux-gnu' "$out/log" || fail "bpf-aot not given the toolchain's triple"
	grep -q -- '-D__TARGET_ARCH_arm64 ' "$out/log" || fail "clang not given the target's __TARGET_ARCH_arm64"
	"$READELF" -h "$out/b/tally_bpf.bpf-aot/tally.aot.o" | tee "$out/elf"
	grep -Eq 'Machine: +AArch64' "$out/elf" || fail "tally.aot.o is not an AArch64 object"
	;;
*)
	fail "unknown case"
	;;
esac
echo "ok   - $case_"
