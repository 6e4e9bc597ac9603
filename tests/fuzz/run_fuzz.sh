#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The libFuzzer target of the ELF front end (fuzz_elf.c), for ctest:
#   run_fuzz.sh build   configure project/ with clang under $FUZZ_WORK/build and build it
#   run_fuzz.sh run     run it on a seed corpus of eBPF objects for a bounded time
#
# Environment (set by tests/fuzz/CMakeLists.txt):
#   FUZZ_SRC       this directory
#   FUZZ_WORK      scratch directory (build/, corpus/, artifacts/)
#   FUZZ_CC        clang
#   FUZZ_CXX       clang++ (the one C++ file of compiler/src)
#   FUZZ_LLVM      BPF_AOT_LLVM_VERSION of the main build (may be empty)
#   FUZZ_SEEDS     ';'-separated eBPF objects and directories of them for the seed corpus
#   FUZZ_TIME      seconds to fuzz (default 60)
#
# "run" fails when libFuzzer exits non-zero or leaves a crash-, leak-,
# timeout- or oom- file; those files are kept under $FUZZ_WORK/artifacts.
set -u -o pipefail

MODE=${1:?usage: run_fuzz.sh build|run}
for v in FUZZ_SRC FUZZ_WORK FUZZ_CC FUZZ_CXX; do
        if [[ -z ${!v:-} ]]; then
                echo "FAIL - $v is not set (run this through ctest)"
                exit 1
        fi
done
BUILD=$FUZZ_WORK/build
FUZZER=$BUILD/fuzz_elf

case $MODE in
build)
        mkdir -p "$BUILD" || exit 1
        if ! CC=$FUZZ_CC CXX=$FUZZ_CXX cmake -S "$FUZZ_SRC/project" -B "$BUILD" -G Ninja \
                -DBPF_AOT_LLVM_VERSION="${FUZZ_LLVM:-}" >"$BUILD/configure.log" 2>&1; then
                cat "$BUILD/configure.log"
                echo "FAIL - configuring the fuzzer with $FUZZ_CC"
                exit 1
        fi
        if ! cmake --build "$BUILD" >"$BUILD/build.log" 2>&1; then
                cat "$BUILD/build.log"
                echo "FAIL - building the fuzzer with $FUZZ_CC"
                exit 1
        fi
        echo "ok   - built $FUZZER"
        ;;
run)
        if [[ ! -x $FUZZER ]]; then
                echo "FAIL - $FUZZER is missing (the fuzz.build test builds it)"
                exit 1
        fi
        SEEDS=$FUZZ_WORK/seeds CORPUS=$FUZZ_WORK/corpus ART=$FUZZ_WORK/artifacts
        rm -rf "$SEEDS" "$ART"
        mkdir -p "$SEEDS" "$CORPUS" "$ART" || exit 1
        IFS=';' read -r -a seeds <<<"${FUZZ_SEEDS:-}"
        for s in "${seeds[@]}"; do
                if [[ -d $s ]]; then
                        find "$s" -maxdepth 1 -name '*.o' -exec cp {} "$SEEDS/" \;
                elif [[ -f $s ]]; then
                        cp "$s" "$SEEDS/"
                fi
        done
        n=$(find "$SEEDS" -type f | wc -l)
        if ((n == 0)); then
                echo "FAIL - no seed objects (FUZZ_SEEDS=${FUZZ_SEEDS:-})"
                exit 1
        fi
        echo "seed corpus: $n eBPF objects; fuzzing for ${FUZZ_TIME:-60} s"
        # New inputs go to the first directory (kept between runs), seeds are read only.
        "$FUZZER" -max_total_time="${FUZZ_TIME:-60}" -timeout=10 -rss_limit_mb=4096 \
                -print_final_stats=1 -artifact_prefix="$ART/" "$CORPUS" "$SEEDS" \
                >"$FUZZ_WORK/fuzz.log" 2>&1
        rc=$?
        grep -E '^#[0-9]+.*(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
                "$FUZZ_WORK/fuzz.log"
        mapfile -t found < <(find "$ART" -type f \( -name 'crash-*' -o -name 'leak-*' \
                -o -name 'timeout-*' -o -name 'oom-*' \))
        if ((rc != 0 || ${#found[@]} > 0)); then
                grep -E -B2 -A40 '^==[0-9]+==|ERROR: libFuzzer|malformed message|runtime error' \
                        "$FUZZ_WORK/fuzz.log" | head -120
                for f in "${found[@]}"; do
                        echo "reproducer: $f ($(stat -c %s "$f") bytes); rerun: $FUZZER $f"
                done
                echo "FAIL - the fuzzer exited with $rc; log: $FUZZ_WORK/fuzz.log"
                exit 1
        fi
        echo "ok   - no crash, leak or hang"
        ;;
*)
        echo "usage: run_fuzz.sh build|run"
        exit 2
        ;;
esac
