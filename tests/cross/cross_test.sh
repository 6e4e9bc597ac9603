#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# cross tests: code for another machine, run under qemu-user. This build's
# bpf-aot compiles with --target TRIPLE; the runtime is built for TRIPLE by
# Debian's cross gcc (cmake/toolchains/TRIPLE.cmake, BPF_AOT_RUNTIME_ONLY);
# the programs run as qemu-ARCH -L /usr/TRIPLE. Usage: cross_test.sh TRIPLE
#
#   vectors   every conformance vector, compiled at -O0, -O2 and -O2 --sandbox
#             (CROSS_VARIANTS: some of O0 O2 sandbox) into one driver (vectors_driver.c, table from cross_vectors):
#             every one must give its expected r0, as natively;
#   runtime   tests/runtime's programs (most of them) built for TRIPLE;
#   examples  packet-filter, malloc-counter and quickstart built for TRIPLE
#             and for this machine: the same output from both.
#
# ctest sets the environment (tests/cross/CMakeLists.txt): BPF_AOT_BUILD (this
# build), SRC (the sources), CONFORMANCE (the suite, vectors.tsv),
# CROSS_VECTORS (the table generator), WORK (scratch), CROSS_NATIVE_LDFLAGS (native links; not LDFLAGS, which
# CMake would take into the cross sub-build).
# A missing cross compiler, C library or qemu fails the test, naming the package.

set -u -o pipefail
export LC_ALL=C

TRIPLE=${1:?usage: cross_test.sh TRIPLE}
for v in BPF_AOT_BUILD SRC CROSS_VECTORS WORK; do
        if [[ -z ${!v:-} ]]; then
                echo "FAIL - $v is not set (run this through ctest)"
                exit 1
        fi
done
ARCH=${TRIPLE%%-*}
case $ARCH in
aarch64) DEBARCH=arm64 ;;
riscv64) DEBARCH=riscv64 ;;
*)
        echo "FAIL - no cross setup for $TRIPLE (aarch64-linux-gnu, riscv64-linux-gnu)"
        exit 1
        ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
BPF_AOT=$BPF_AOT_BUILD/compiler/bpf-aot
NATIVE_RT=$BPF_AOT_BUILD/runtime/libbpfaot_runtime.a
CROSS_CC=$TRIPLE-gcc
QEMU=(qemu-"$ARCH" -L /usr/"$TRIPLE")
EXAMPLES=$SRC/examples

FAILS=0
CHECKS=0
ok() {
        CHECKS=$((CHECKS + 1))
        echo "ok   - $*"
}
bad() {
        CHECKS=$((CHECKS + 1))
        FAILS=$((FAILS + 1))
        echo "FAIL - $*"
}
die() {
        echo "FAIL - $*"
        exit 1
}
# show FILE: its first lines, indented.
show() { head -n "${2:-15}" "$1" | awk '{ print "       " $0 }'; }
# run LOG CMD...: run with stdout and stderr in LOG; exit status in RC.
run() {
        local log=$1
        shift
        "$@" >"$log" 2>&1
        RC=$?
}
# must LOG WHAT CMD...: run; on failure report, show the log and stop.
must() {
        local log=$1 what=$2
        shift 2
        run "$log" "$@"
        [[ $RC -eq 0 ]] || {
                bad "$what: exit status $RC: $1 ${2:-} ${3:-} ..."
                show "$log" 30
                finish
        }
}
finish() {
        echo "$ARCH: $((CHECKS - FAILS))/$CHECKS checks passed ($SECONDS s)"
        [[ $FAILS -eq 0 && $CHECKS -gt 0 ]]
        exit $?
}

# ---------------------------------------------------------------- tools

command -v "$CROSS_CC" >/dev/null ||
        die "$CROSS_CC not found: install the package gcc-$TRIPLE (cmake/install-deps.sh)"
[[ -e /usr/$TRIPLE/lib/crt1.o ]] ||
        die "/usr/$TRIPLE/lib/crt1.o not found: install the package libc6-dev-$DEBARCH-cross (cmake/install-deps.sh)"
command -v "${QEMU[0]}" >/dev/null ||
        die "${QEMU[0]} not found: install the package qemu-user (cmake/install-deps.sh)"
for t in cmake ninja clang cc; do
        command -v $t >/dev/null || die "$t not found (cmake/install-deps.sh)"
done
[[ -x $BPF_AOT ]] || die "$BPF_AOT not built"
[[ -n ${CONFORMANCE:-} && -f ${CONFORMANCE:-}/vectors.tsv ]] ||
        die "conformance suite not found ('${CONFORMANCE:-}' has no vectors.tsv): configure with -DBPF_AOT_CONFORMANCE_DIR=<dir>"

# The scratch directory: the runtime's cross build is kept (ninja rebuilds what changed).
mkdir -p "$WORK"
cd "$WORK" || exit 1
rm -rf vec examples

# ---------------------------------------------------------------- runtime

rt_build=$WORK/runtime
if [[ ! -f $rt_build/build.ninja ]]; then
        must runtime.log "runtime for $TRIPLE: configure" cmake -S "$SRC" -B "$rt_build" -G Ninja \
                -DBPF_AOT_RUNTIME_ONLY=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
                -DCMAKE_TOOLCHAIN_FILE="$SRC/cmake/toolchains/$TRIPLE.cmake"
fi
must runtime.log "runtime for $TRIPLE: build" cmake --build "$rt_build" -j2 --target bpfaot_runtime
CROSS_RT=$rt_build/runtime/libbpfaot_runtime.a
# libatomic: one-byte atomics are calls on riscv64 (runtime/CMakeLists.txt).
CROSS_LIBS=(-lpthread "-Wl,--push-state,--as-needed" -latomic "-Wl,--pop-state")
ok "runtime built for $TRIPLE"
# The archive's objects are for the target machine.
machine=$("$TRIPLE"-readelf -h "$CROSS_RT" | sed -n 's/^ *Machine: *//p' | sort -u)
case $ARCH:$machine in
aarch64:AArch64 | riscv64:RISC-V) ok "runtime objects are $machine" ;;
*) bad "runtime objects are '$machine', not $ARCH" ;;
esac

# ---------------------------------------------------------------- vectors

# Variants: entry prefix, and bpf-aot's options in VOPTS_<prefix>; CROSS_VARIANTS picks
# some (sanitizer builds, whose bpf-aot is slower, take fewer).
export VOPTS_O0="-O0" VOPTS_O2="-O2" VOPTS_sandbox="-O2 --sandbox"
read -r -a variants <<<"${CROSS_VARIANTS:-O0 O2 sandbox}"
for v in "${variants[@]}"; do
        opts=VOPTS_$v
        [[ -n ${!opts:-} ]] || die "CROSS_VARIANTS: unknown variant '$v' (O0, O2, sandbox)"
done
mkdir vec
must vec/gen.log "cross_vectors" "$CROSS_VECTORS" "$CONFORMANCE" vec "${variants[@]}"
count=$(cat vec/gen.log)
# The suite's own count, independently of the parser: its non-comment lines.
want=$(grep -cv '^\(#\|[[:space:]]*$\)' "$CONFORMANCE/vectors.tsv")
[[ $count == "$want" ]] && ok "cross_vectors read $count vectors" ||
        bad "cross_vectors read '$count' vectors, vectors.tsv has $want"

# compile_one VARIANT INDEX: vec/VARIANT_INDEX.o, or its messages in .err.
compile_one() {
        local v=$1 i=$2 opts=VOPTS_$1
        # shellcheck disable=SC2086 # the options are words
        "$BPF_AOT" compile --target "$TRIPLE" ${!opts} --entry "${v}_$i" "vec/$i.hex" \
                -o "vec/${v}_$i.o" 2>"vec/${v}_$i.err"
        local rc=$?
        # 1: the program was refused (expected-error vectors); more: bpf-aot broke.
        [[ $rc -le 1 ]] || echo "bpf-aot exit status $rc" >>"vec/${v}_$i.err"
        return 0
}
start=$SECONDS
for v in "${variants[@]}"; do
        for ((i = 0; i < count; i++)); do
                printf '%s %03d\n' "$v" "$i"
        done
done >vec/jobs
export -f compile_one
export BPF_AOT TRIPLE
xargs -P 2 -n 2 bash -c 'compile_one "$1" "$2"' _ <vec/jobs
objs=(vec/*.o)
echo "       compiled ${#objs[@]} of $((count * ${#variants[@]})) programs for $TRIPLE in $((SECONDS - start)) s"
if grep -l "exit status" vec/*.err >/dev/null 2>&1; then
        bad "bpf-aot crashed or failed to run on some vectors:"
        for f in $(grep -l "exit status" vec/*.err | head -5); do show "$f" 5; done
fi
# Every object is for the target, and riscv64's use the lp64d ABI as gcc's do.
flags=$("$TRIPLE"-readelf -h "${objs[0]}" | sed -n 's/^ *Flags: *//p')
if [[ $ARCH == riscv64 ]]; then
        [[ $flags == *"double-float ABI"* ]] && ok "riscv64 objects: $flags" ||
                bad "riscv64 objects' flags '$flags', not the double-float ABI"
fi

must vec/link.log "link the vectors driver" "$CROSS_CC" -O2 -I "$SRC/runtime/include" -I "$HERE" \
        "$HERE/vectors_driver.c" vec/table.c "${objs[@]}" "$CROSS_RT" "${CROSS_LIBS[@]}" \
        -o vec/vectors
start=$SECONDS
run vec/run.log "${QEMU[@]}" vec/vectors "$ARCH"
echo "       ran under ${QEMU[0]} in $((SECONDS - start)) s"
[[ $RC -eq 0 ]] && ok "vectors driver under ${QEMU[0]}: exit status 0" ||
        bad "vectors driver under ${QEMU[0]}: exit status $RC"
grep '^FAIL' vec/run.log | head -20 | awk '{ print "       " $0 }'
for v in "${variants[@]}"; do
        line=$(grep "^$ARCH $v: " vec/run.log)
        [[ $line == "$ARCH $v: $count/$count passed" ]] && ok "$line" ||
                bad "vectors $v: '${line:-no summary line}', expected $count/$count passed"
done
# A program bpf-aot did not compile: its messages.
for f in vec/*.err; do
        [[ -s $f ]] || continue
        echo "       bpf-aot on ${f%.err}:"
        show "$f" 3
done | head -30

# ---------------------------------------------------------------- examples

mkdir examples
# example NAME ARGS...: build for both machines (build_NAME MACHINE DIR), run each
# with ARGS and compare their outputs after normalise_NAME.
example() {
        local name=$1
        shift
        local d=examples/$name
        mkdir -p "$d/native" "$d/$ARCH"
        "build_$name" native "$d/native" || return
        "build_$name" "$ARCH" "$d/$ARCH" || return
        local args_label=${*:-no arguments}
        run "$d/native.out" "$d/native/prog" "$@"
        [[ $RC -eq 0 ]] || {
                bad "$name ($args_label): native run exit status $RC"
                show "$d/native.out"
                return
        }
        run "$d/$ARCH.out" "${QEMU[@]}" "$d/$ARCH/prog" "$@"
        [[ $RC -eq 0 ]] || {
                bad "$name ($args_label): $ARCH run under ${QEMU[0]} exit status $RC"
                show "$d/$ARCH.out"
                return
        }
        "normalise_$name" <"$d/native.out" >"$d/native.norm"
        "normalise_$name" <"$d/$ARCH.out" >"$d/$ARCH.norm"
        if ! "check_$name" "$d/native.norm" "$@"; then
                bad "$name ($args_label): the native output is not the example's:"
                show "$d/native.out"
        elif cmp -s "$d/native.norm" "$d/$ARCH.norm"; then
                ok "$name ($args_label): $ARCH output = native output ($(wc -l <"$d/native.norm") lines)"
        else
                bad "$name ($args_label): $ARCH output differs from the native output:"
                diff "$d/native.norm" "$d/$ARCH.norm" | head -20 | awk '{ print "       " $0 }'
        fi
}
# link MACHINE OUT OBJS...: the host program linked for MACHINE.
link() {
        local m=$1 out=$2
        shift 2
        if [[ $m == native ]]; then
                # shellcheck disable=SC2086 # CROSS_NATIVE_LDFLAGS: words
                run "$out.log" cc -O2 -I "$SRC/runtime/include" "$@" "$NATIVE_RT" -lpthread \
                        ${CROSS_NATIVE_LDFLAGS:-} -o "$out"
        else
                run "$out.log" "$CROSS_CC" -O2 -I "$SRC/runtime/include" "$@" "$CROSS_RT" \
                        "${CROSS_LIBS[@]}" -o "$out"
        fi
        [[ $RC -eq 0 ]] || {
                bad "link $out for $m: exit status $RC"
                show "$out.log"
                return 1
        }
}
# aot MACHINE ARGS...: bpf-aot build for MACHINE.
aot() {
        local m=$1 log=examples/aot.log
        shift
        if [[ $m == native ]]; then
                run "$log" "$BPF_AOT" build "$@"
        else
                run "$log" "$BPF_AOT" build --target "$TRIPLE" "$@"
        fi
        [[ $RC -eq 0 ]] || {
                bad "bpf-aot build for $m: exit status $RC: $*"
                show "$log"
                return 1
        }
}
# bpf SRC OUT: clang's eBPF object, as the examples' run.sh make it.
bpf() {
        run "$2.log" clang -target bpf -O2 -g -c "$1" -o "$2"
        [[ $RC -eq 0 ]] || {
                bad "clang -target bpf $1: exit status $RC"
                show "$2.log"
                return 1
        }
}

# A program long enough to compile in parts (tests/cli/debuginfo_parts.bpf.c), with -g, on two
# threads: the joined object (its relocations, its DWARF's) links and computes native's result.
build_parts() {
        [[ -f examples/parts.bpf.o ]] ||
                bpf "$SRC/tests/cli/debuginfo_parts.bpf.c" examples/parts.bpf.o || return 1
        aot "$1" -g -j 2 examples/parts.bpf.o -o "$2" &&
                link "$1" "$2/prog" "$SRC/tests/cli/dbg_host.c" "$2/parts_main.o"
}
normalise_parts() { cat; }
check_parts() { grep -qx '[0-9][0-9]*' "$1"; }

build_packet-filter() {
        [[ -f examples/filter.bpf.o ]] || bpf "$EXAMPLES/packet-filter/filter.bpf.c" examples/filter.bpf.o ||
                return 1
        aot "$1" --skeleton examples/filter.bpf.o -o "$2" &&
                link "$1" "$2/prog" -I "$2" "$EXAMPLES/packet-filter/main.c" "$2/filter.aot.o"
}
normalise_packet-filter() { cat; }
check_packet-filter() { # the verdict line and the counters (tests/examples checks the numbers)
        grep -q "^blocked port ${3:-23}: [0-9]* passed, [0-9]* dropped$" "$1" &&
                grep -q '^  packets  *100000$' "$1"
}

build_malloc-counter() {
        [[ -f examples/malloc_counter.bpf.o ]] ||
                bpf "$EXAMPLES/malloc-counter/malloc_counter.bpf.c" examples/malloc_counter.bpf.o ||
                return 1
        aot "$1" --skeleton examples/malloc_counter.bpf.o -o "$2" &&
                link "$1" "$2/prog" -I "$2" "$EXAMPLES/malloc-counter/main.c" "$2/malloc_counter.aot.o"
}
normalise_malloc-counter() { sed -E 's/^pid [0-9]+:/pid PID:/'; }
check_malloc-counter() { grep -qx "pid PID: $2 malloc calls (this process)" "$1"; }

build_quickstart() {
        [[ -f examples/adler32.bpf.o ]] || bpf "$EXAMPLES/quickstart/adler32.bpf.c" examples/adler32.bpf.o ||
                return 1
        aot "$1" examples/adler32.bpf.o -o "$2" --entry adler32 &&
                link "$1" "$2/prog" "$EXAMPLES/quickstart/main.c" "$2/adler32.o"
}
normalise_quickstart() { cat; }
check_quickstart() { grep -qx 'adler32 = 0x[0-9a-f]\{8\} (9 bytes)' "$1"; }

# ---------------------------------------------------------------- runtime tests

# tests/runtime's programs (they link the runtime only), built for TRIPLE and run under qemu.
# Left out, for qemu-user's sake: it implements no set_robust_list, so glibc makes no
# robust process-shared locks (shared maps, segments and their ring buffers: test_map_shared, test_shm,
# test_shm_progs, test_shm_ptrmaps, test_shm_perf, test_user_ringbuf_shm); and test_percpu's many
# threads trip an assertion in qemu 7.2.
# With unwind tables: get_stack (test_helper_strings) walks the test's own frames.
declare -A rt_skip=([test_map_shared]=1 [test_shm]=1 [test_shm_progs]=1 [test_shm_ptrmaps]=1
        [test_shm_perf]=1 [test_user_ringbuf_shm]=1 [test_percpu]=1)
mkdir rtests
start=$SECONDS
rt_run=0
for src in "$SRC"/tests/runtime/test_*.c; do
        t=$(basename "$src" .c)
        [[ -z ${rt_skip[$t]:-} ]] || continue
        variants=("$t")
        [[ $t == test_helper_override ]] && variants=("${t}_default" "${t}_host")
        for b in "${variants[@]}"; do
                extra=()
                [[ $b == *_host ]] && extra=(-DHOST_OVERRIDE "$SRC/tests/runtime/helper_override.c")
                run "rtests/$b.log" "$CROSS_CC" -O1 -fasynchronous-unwind-tables \
                        -I "$SRC/tests/runtime" -I "$SRC/runtime/include" -I "$SRC/runtime/src" \
                        "$src" "${extra[@]}" \
                        "$CROSS_RT" "${CROSS_LIBS[@]}" -o "rtests/$b"
                if [[ $RC -ne 0 ]]; then
                        bad "runtime test $b: cross build failed"
                        show "rtests/$b.log"
                        continue
                fi
                run "rtests/$b.log" timeout 120 "${QEMU[@]}" "rtests/$b"
                rt_run=$((rt_run + 1))
                if [[ $RC -eq 0 ]]; then
                        ok "runtime test $b under ${QEMU[0]}"
                else
                        bad "runtime test $b under ${QEMU[0]}: exit status $RC"
                        show "rtests/$b.log"
                fi
        done
done
echo "       $rt_run runtime tests built and run in $((SECONDS - start)) s"

start=$SECONDS
example packet-filter
example packet-filter - 80
example malloc-counter 2500
printf 'Wikipedia' >examples/input.txt
example quickstart "$WORK/examples/input.txt"
example parts
echo "       examples built and run in $((SECONDS - start)) s"

finish
