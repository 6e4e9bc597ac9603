#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# cli tests: run the built bpf-aot the way a user does and check exit codes,
# outputs and messages exactly. Usage: cli_test.sh CASE
#
# ctest sets the environment (tests/cli/CMakeLists.txt):
#   BPF_AOT      the bpf-aot binary
#   CLI_SRC      this directory (driver.c, *.bpf.c)
#   CLI_OBJS     eBPF objects built from *.bpf.c: NAME.bpf.o (clang) and
#                NAME.gcc.bpf.o (bpf-gcc, where installed)
#   CLI_WORK     scratch directory for this case (emptied first)
#   CLI_EXTRACT  extract_bpf (eBPF objects embedded in executables)
#   CLI_READELF, CLI_NM, CLI_CC, CLI_VERSION
#
# Each check prints "ok" or "FAIL"; the case fails if any check failed, or if
# bash reported an error of its own or stopped the case before its end.

set -u -o pipefail
export LC_ALL=C

CASE=${1:?usage: cli_test.sh CASE}
for v in BPF_AOT CLI_SRC CLI_OBJS CLI_WORK CLI_EXTRACT CLI_READELF CLI_NM CLI_CC CLI_VERSION; do
        if [[ -z ${!v:-} ]]; then
                echo "FAIL - $v is not set (run this through ctest)"
                exit 1
        fi
done
# Empty the scratch directory, but only one this script made (it holds a
# marker): a mistyped CLI_WORK must never delete somebody's files.
if [[ -e $CLI_WORK && ! -e $CLI_WORK/.cli_test_work ]] &&
        [[ -n $(find "$CLI_WORK" -mindepth 1 -maxdepth 1 2>/dev/null | head -1) ]]; then
        echo "FAIL - $CLI_WORK exists and was not made by cli_test.sh; not touching it"
        exit 1
fi
rm -rf "$CLI_WORK"
mkdir -p "$CLI_WORK" && touch "$CLI_WORK/.cli_test_work"
cd "$CLI_WORK" || exit 1

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

# ---------------------------------------------------------------- running

# x CMD...: run with stdout in _out and stderr in _err; exit status in RC.
x() {
        LAST="$*"
        "$@" >_out 2>_err
        RC=$?
}
# Same with stdin from a file: xin FILE CMD...
xin() {
        local in=$1
        shift
        LAST="$* < $in"
        "$@" <"$in" >_out 2>_err
        RC=$?
}

show() {
        echo "       command: $LAST"
        echo "       exit status: $RC"
        head -n 5 _out | awk '{ print "       stdout: " $0 }'
        head -n 5 _err | awk '{ print "       stderr: " $0 }'
}

expect_rc() { # expect_rc N WHAT
        if [[ $RC -eq $1 ]]; then
                ok "$2: exit status $1"
        else
                if [[ $RC -gt 128 ]]; then
                        bad "$2: killed by signal $((RC - 128)) (expected exit status $1)"
                else
                        bad "$2: exit status $RC, expected $1"
                fi
                show
        fi
}

expect_stdout() { # expect_stdout TEXT WHAT: stdout is exactly TEXT plus a newline
        if [[ "$(cat _out; echo x)" == "$1"$'\n'x ]]; then
                ok "$2: stdout is '${1//$'\n'/\\n}'"
        else
                bad "$2: stdout is not '${1//$'\n'/\\n}'"
                show
        fi
}

expect_stdout_empty() {
        if [[ ! -s _out ]]; then
                ok "$1: nothing on stdout"
        else
                bad "$1: unexpected stdout"
                show
        fi
}

expect_stderr_empty() {
        if [[ ! -s _err ]]; then
                ok "$1: nothing on stderr"
        else
                bad "$1: unexpected stderr"
                show
        fi
}

# expect_err_line REGEX WHAT: stderr is exactly one line, matching REGEX (ERE).
expect_err_line() {
        local n
        n=$(wc -l <_err)
        if [[ $n -eq 1 ]] && grep -Eq -- "$1" _err; then
                ok "$2: one line on stderr matching /$1/"
        else
                bad "$2: expected one line on stderr matching /$1/, got $n line(s)"
                show
        fi
}

# expect_err_first REGEX WHAT: the first line of stderr matches REGEX.
expect_err_first() {
        if [[ -s _err ]] && head -n 1 _err | grep -Eq -- "$1"; then
                ok "$2: first line on stderr matches /$1/"
        else
                bad "$2: first line on stderr does not match /$1/"
                show
        fi
}

# expect_err_not REGEX WHAT: no line of stderr matches REGEX.
expect_err_not() {
        if ! grep -Eq -- "$1" _err; then
                ok "$2: stderr does not match /$1/"
        else
                bad "$2: stderr matches /$1/"
                show
        fi
}

expect_eq() { # expect_eq ACTUAL EXPECTED WHAT
        if [[ "$1" == "$2" ]]; then
                ok "$3: '$2'"
        else
                bad "$3: got '$1', expected '$2'"
        fi
}

expect_file() { # expect_file PATH WHAT: a non-empty file
        if [[ -f $1 && -s $1 ]]; then
                ok "$2: $1 written"
        else
                bad "$2: $1 missing or empty"
        fi
}

expect_no_file() { # expect_no_file PATH WHAT
        if [[ ! -e $1 ]]; then
                ok "$2: no $1"
        else
                bad "$2: $1 exists"
        fi
        leftovers "$(dirname "$1")" "$2"
}

# expect_no_files_in DIR WHAT: DIR is absent or has no files at all.
expect_no_files_in() {
        local files
        files=$(find "$1" -mindepth 1 2>/dev/null | head -5 | tr '\n' ' ')
        if [[ -z $files ]]; then
                ok "$2: nothing written in $1/"
        else
                bad "$2: files left in $1/: $files"
        fi
}

# No temporary file of an atomic write may be left behind.
leftovers() {
        local t
        t=$(find "$1" -maxdepth 1 -name '*.tmp.*' | head -3 | tr '\n' ' ')
        if [[ -n $t ]]; then
                bad "$2: temporary files left in $1/: $t"
        fi
}

expect_grep() { # expect_grep REGEX FILE WHAT
        if grep -Eq -- "$1" "$2"; then
                ok "$3: $2 matches /$1/"
        else
                bad "$3: $2 does not match /$1/"
                sed -n '1,10s/^/       | /p' "$2"
        fi
}

expect_no_grep() { # expect_no_grep REGEX FILE WHAT
        if ! grep -Eq -- "$1" "$2"; then
                ok "$3: $2 does not match /$1/"
        else
                bad "$3: $2 matches /$1/"
        fi
}

# ---------------------------------------------------------------- inputs

# obj NAME [gcc]: path of an eBPF object built from NAME.bpf.c (see require_objs).
obj() {
        if [[ ${2:-} == gcc ]]; then
                echo "$CLI_OBJS/$1.gcc.bpf.o"
        else
                echo "$CLI_OBJS/$1.bpf.o"
        fi
}

# The inputs the case uses must have been built.
require_objs() {
        local f missing=0 kind=""
        [[ $CASE == gcc_* ]] && kind=gcc
        for f in progs hello badhelper global maps; do
                if [[ ! -s $(obj $f $kind) ]]; then
                        echo "FAIL - test input $(obj $f $kind) is missing (clang or bpf-gcc not" \
                                "found at configure time, or the cli_test_inputs target was not built)"
                        missing=1
                fi
        done
        [[ $missing -eq 0 ]] || exit 1
}

# mkmem FILE N SEED: N deterministic pseudo-random bytes.
mkmem() {
        local f=$1 n=$2 s=$3 i v o out=""
        for ((i = 0; i < n; i++)); do
                s=$(((s * 1103515245 + 12345) & 0x7fffffff))
                v=$(((s >> 16) & 255))
                printf -v o '\\%03o' "$v"
                out+=$o
        done
        printf "$out" >"$f"
}

# Write raw bytes given as hex text ("b7 00 ...") to FILE.
hex2bin() { # hex2bin FILE HEX...
        local f=$1 b out=""
        shift
        for b in "$@"; do
                out+="\\x$b"
        done
        printf "$out" >"$f"
}

bytes_sum() { od -An -v -tu1 "$1" | awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s + 0 }'; }
first_byte() { od -An -N1 -tu1 "$1" | tr -d ' '; }
file_size() { wc -c <"$1" | tr -d ' '; }

# What `mix` (progs.bpf.c) returns for a context of SIZE bytes starting with FIRST.
mix_expect() { echo $((((($1 * 3) + $2) ^ 0x5a) + 1000)); }

# Overwrite COUNT bytes at OFFSET of FILE with the little-endian VALUE.
poke() { # poke FILE OFFSET COUNT VALUE
        local f=$1 off=$2 n=$3 v=$4 i out="" b
        for ((i = 0; i < n; i++)); do
                printf -v b '\\%03o' $(((v >> (8 * i)) & 255))
                out+=$b
        done
        printf "$out" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
# Read COUNT little-endian bytes at OFFSET of FILE.
peek() { # peek FILE OFFSET COUNT
        local v=0 i b
        local -a a
        read -r -a a < <(od -An -v -tu1 -j "$2" -N "$3" "$1")
        for ((i = ${#a[@]} - 1; i >= 0; i--)); do
                v=$(((v << 8) | a[i]))
        done
        echo "$v"
}

machine_of() { "$CLI_READELF" -h "$1" 2>/dev/null | sed -n 's/^ *Machine: *//p'; }

case $(uname -m) in
x86_64)
        HOST_MACHINE="Advanced Micro Devices X86-64"
        FOREIGN_TRIPLE=aarch64-linux-gnu
        FOREIGN_MACHINE=AArch64
        ;;
aarch64)
        HOST_MACHINE=AArch64
        FOREIGN_TRIPLE=x86_64-linux-gnu
        FOREIGN_MACHINE="Advanced Micro Devices X86-64"
        ;;
*)
        echo "FAIL - the cli tests know x86_64 and aarch64 hosts only, not $(uname -m)"
        exit 1
        ;;
esac

# The program r0 = 7 + r2 (7 plus the context's size), as raw bytecode and hex.
SEVEN_HEX='b7 00 00 00 07 00 00 00
0f 20 00 00 00 00 00 00
95 00 00 00 00 00 00 00'

# ---------------------------------------------------------------- bash's own errors

# Bash does not stop at its own errors, and counting checks does not see them. A
# bad expansion (arithmetic, a substitution, a readonly variable) abandons the rest
# of the case and goes on at the next top-level command, finish; set -u in the case
# exits the shell; other errors (set -u in $(...) or a pipeline, ((...)) arithmetic,
# a builtin misused) are printed and the case goes on, its later checks no longer
# checking what they say. So run_case marks the case ended after its last command
# (an explicit return ends it too), an EXIT trap takes an exit in mid-case to finish,
# and finish looks for bash's messages ("FILE: line N: ...", naming this file or a
# cases_*.sh; warnings aside) in the stderr of the case and of sourcing the cases
# (a broken cases_*.sh fails every case), kept in a file and shown at the end. A
# file, not a pipe through tee: a process substitution is one more child, which a
# bare `wait` in a case would wait for forever. Commands run through x have their
# stderr in _err: their failures, even "command not found", are not bash's.
CLI_TEST_FILES=("$0")
CLI_CASE_STATE=loading

stderr_begin() {
        CLI_STDERR_LOG=$PWD/.cli_test_stderr
        exec {CLI_STDERR}>&2 2>"$CLI_STDERR_LOG"
        trap on_exit EXIT
}

# Back to the real stderr, with what the case wrote there.
stderr_end() {
        [[ -n ${CLI_STDERR:-} ]] || return 0
        exec 2>&"$CLI_STDERR" {CLI_STDERR}>&-
        CLI_STDERR=
        cat "$CLI_STDERR_LOG" >&2
}

# bash_errors: bash's own error messages in the case's stderr, one a line.
bash_errors() {
        local line f rest
        while IFS= read -r line; do
                for f in "${CLI_TEST_FILES[@]}"; do
                        [[ $line == "$f: line "* ]] || continue
                        rest=${line#"$f: line "}
                        if [[ $rest =~ ^[0-9]+:\  && ! $rest =~ ^[0-9]+:\ warning: ]]; then
                                echo "$line"
                                break
                        fi
                done
        done <"$CLI_STDERR_LOG"
}

run_case() {
        CLI_CASE_STATE=running
        "case_$CASE"
        CLI_CASE_STATE=ended
}

on_exit() {
        local rc=$?
        [[ $CLI_CASE_STATE == running ]] && finish "the shell exited, status $rc"
        stderr_end
        exit "$rc"
}

finish() { # finish [WHY]: why the case stopped, when bash said nothing
        local errors n more=""
        trap - EXIT
        stderr_end
        errors=$(bash_errors)
        n=$(grep -c . <<<"$errors")
        ((n > 1)) && more=" (and $((n - 1)) more)"
        if [[ $CLI_CASE_STATE != ended ]]; then
                # The last message is the one that stopped it.
                bad "case '$CASE' stopped early: $(tail -n 1 <<<"$errors" | grep . ||
                        echo "${1:-it did not reach its end}")"
        elif ((n > 0)); then
                bad "case '$CASE': bash reported an error: $(head -n 1 <<<"$errors")$more"
        fi
        echo "$CASE: $((CHECKS - FAILS)) passed, $FAILS failed"
        [[ $FAILS -eq 0 && $CHECKS -gt 0 ]]
        exit $?
}

# ================================================================ cases

# `build`: one native object per program, for the host.
case_build() {
        local p
        p=$(obj progs)
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build"
        expect_stdout_empty "build"
        expect_stderr_empty "build"
        expect_eq "$(cd out && ls | tr '\n' ' ')" "mix.o sum_bytes.o " "build: files in out/"
        for f in out/mix.o out/sum_bytes.o; do
                expect_eq "$(machine_of $f)" "$HOST_MACHINE" "readelf -h $f: Machine"
                expect_eq "$("$CLI_READELF" -h $f | sed -n 's/^ *Type: *//p')" \
                        "REL (Relocatable file)" "readelf -h $f: Type"
        done
        "$CLI_NM" out/mix.o >nm_mix
        expect_grep '^[0-9a-f]+ T bpf_main$' nm_mix "nm mix.o"
        expect_grep '^ +U _bpf_helper_ext_0005$' nm_mix "nm mix.o (bpf_ktime_get_ns)"
        "$CLI_NM" out/sum_bytes.o >nm_sum
        expect_grep '^[0-9a-f]+ T bpf_main$' nm_sum "nm sum_bytes.o"
        expect_no_grep '_bpf_helper_ext_' nm_sum "nm sum_bytes.o (no helper)"

        # Default output directory: the current one. Existing outputs are replaced.
        mkdir cwd && echo stale >cwd/mix.o
        LAST="cd cwd && bpf-aot build $p"
        (cd cwd && "$BPF_AOT" build "$p") >_out 2>_err
        RC=$?
        expect_rc 0 "build without -o"
        expect_eq "$(cd cwd && ls | tr '\n' ' ')" "mix.o sum_bytes.o " "build without -o: files in ."
        expect_eq "$(machine_of cwd/mix.o)" "$HOST_MACHINE" "build without -o: stale mix.o replaced"

        # -o creates a missing directory; --program picks one program.
        x "$BPF_AOT" build "$p" -o newdir --program sum_bytes
        expect_rc 0 "build --program sum_bytes -o newdir"
        expect_eq "$(cd newdir && ls | tr '\n' ' ')" "sum_bytes.o " "build --program: files"
        x "$BPF_AOT" build "$p" -o none --program nosuch
        expect_rc 1 "build --program nosuch"
        expect_err_line "^bpf-aot: $p: no program named 'nosuch'$" "build --program nosuch"
        expect_no_files_in none "build --program nosuch"

        # -v says what is compiled, on stderr.
        x "$BPF_AOT" build -v "$p" -o verbose
        expect_rc 0 "build -v"
        expect_grep "^bpf-aot: $p: mix \(section socket/mix, [0-9]+ insns with sub-programs; 0 local calls, 0 global data, 0 map, 0 kfunc references\) -> verbose/mix\.o$" \
                _err "build -v"
}

# --target: objects for another machine.
case_build_target() {
        local p
        p=$(obj progs)
        x "$BPF_AOT" build --target "$FOREIGN_TRIPLE" "$p" -o foreign
        expect_rc 0 "build --target $FOREIGN_TRIPLE"
        for f in foreign/mix.o foreign/sum_bytes.o; do
                expect_eq "$(machine_of $f)" "$FOREIGN_MACHINE" "readelf -h $f: Machine"
        done
        x "$BPF_AOT" build --target x86_64-linux-gnu "$p" -o x86
        expect_rc 0 "build --target x86_64-linux-gnu"
        expect_eq "$(machine_of x86/mix.o)" "Advanced Micro Devices X86-64" "readelf -h x86/mix.o"
        x "$BPF_AOT" build --target aarch64-linux-gnu "$p" -o a64
        expect_rc 0 "build --target aarch64-linux-gnu"
        expect_eq "$(machine_of a64/mix.o)" "AArch64" "readelf -h a64/mix.o"
        x "$BPF_AOT" build --target no-such-triple "$p" -o badtriple
        expect_rc 1 "build --target no-such-triple"
        expect_err_first "no-such-triple" "build --target no-such-triple"
        expect_no_files_in badtriple "build --target no-such-triple"
}

# -e (LLVM IR) and -S (assembly).
case_build_emit() {
        local p
        p=$(obj progs)
        x "$BPF_AOT" build -e "$p" -o ir
        expect_rc 0 "build -e"
        expect_eq "$(cd ir && ls | tr '\n' ' ')" "mix.ll sum_bytes.ll " "build -e: files"
        expect_grep '^define .*@bpf_main\(' ir/mix.ll "mix.ll defines the entry"
        expect_grep '_bpf_helper_ext_0005' ir/mix.ll "mix.ll calls helper 5"
        expect_grep '^define .*@bpf_main\(' ir/sum_bytes.ll "sum_bytes.ll defines the entry"
        x "$BPF_AOT" build -e --entry my_entry "$p" -o ir2 --program mix
        expect_rc 0 "build -e --entry my_entry"
        expect_grep '^define .*@my_entry\(' ir2/mix.ll "mix.ll defines my_entry"
        expect_no_grep '@bpf_main' ir2/mix.ll "mix.ll has no bpf_main"

        x "$BPF_AOT" build -S "$p" -o asm
        expect_rc 0 "build -S"
        expect_eq "$(cd asm && ls | tr '\n' ' ')" "mix.s sum_bytes.s " "build -S: files"
        for f in asm/mix.s asm/sum_bytes.s; do
                expect_grep '^[[:space:]]*\.globl[[:space:]]+bpf_main$' $f "$f exports bpf_main"
                expect_grep '^bpf_main:' $f "$f labels bpf_main"
                expect_grep '^[[:space:]]+(retq|ret)$' $f "$f returns"
        done
        x "$BPF_AOT" build -S --target aarch64-linux-gnu "$p" -o asm64 --program sum_bytes
        expect_rc 0 "build -S --target aarch64-linux-gnu"
        expect_grep '^[[:space:]]+ldrb[[:space:]]' asm64/sum_bytes.s "aarch64 sum_bytes.s loads bytes"
}

# --entry renames the entry point.
case_build_entry() {
        local p exp
        p=$(obj progs)
        mkmem mem.bin 100 7
        x "$BPF_AOT" build --entry myname "$p" -o out
        expect_rc 0 "build --entry myname"
        "$CLI_NM" out/mix.o >nm_mix
        expect_grep '^[0-9a-f]+ T myname$' nm_mix "nm mix.o"
        expect_no_grep 'bpf_main' nm_mix "nm mix.o"
        exp=$(mix_expect 100 "$(first_byte mem.bin)")
        x "$BPF_AOT" run --entry myname out/mix.o mem.bin
        expect_rc 0 "run --entry myname"
        expect_stdout "$exp" "run --entry myname"
}

# `run` of native objects and of eBPF objects (compiled in memory).
case_run() {
        local p sum exp
        p=$(obj progs)
        mkmem mem.bin 1000 1
        sum=$(bytes_sum mem.bin)
        exp=$(mix_expect 1000 "$(first_byte mem.bin)")
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build"

        x "$BPF_AOT" run out/sum_bytes.o mem.bin
        expect_rc 0 "run sum_bytes.o"
        expect_stdout "$sum" "run sum_bytes.o (sum of the 1000 bytes)"
        expect_stderr_empty "run sum_bytes.o"
        x "$BPF_AOT" run out/mix.o mem.bin
        expect_rc 0 "run mix.o"
        expect_stdout "$exp" "run mix.o"
        x "$BPF_AOT" run out/sum_bytes.o
        expect_rc 0 "run sum_bytes.o without memory"
        expect_stdout 0 "run sum_bytes.o without memory"
        x "$BPF_AOT" run out/mix.o
        expect_stdout "$(mix_expect 0 0)" "run mix.o without memory"
        x "$BPF_AOT" run --hex out/sum_bytes.o mem.bin
        expect_stdout "$(printf '0x%x' "$sum")" "run --hex"
        x "$BPF_AOT" run --repeat 5 out/sum_bytes.o mem.bin
        expect_stdout "$sum" "run --repeat 5"

        # An eBPF ELF object runs its first program, or the one --program names.
        x "$BPF_AOT" run "$p" mem.bin
        expect_rc 0 "run progs.bpf.o"
        expect_stdout "$sum" "run progs.bpf.o (first program: sum_bytes)"
        x "$BPF_AOT" run --program mix "$p" mem.bin
        expect_stdout "$exp" "run --program mix progs.bpf.o"
        for o in 0 1 3; do
                x "$BPF_AOT" run -O $o --program sum_bytes "$p" mem.bin
                expect_stdout "$sum" "run -O $o progs.bpf.o"
        done
        x "$BPF_AOT" run --program nosuch "$p" mem.bin
        expect_rc 1 "run --program nosuch"
        expect_err_line "^bpf-aot: $p: no program named 'nosuch'$" "run --program nosuch"
}

# `run --interp`: the reference interpreter agrees with the compiled code.
case_run_interp() {
        local p sum
        p=$(obj progs)
        mkmem mem.bin 777 3
        sum=$(bytes_sum mem.bin)
        x "$BPF_AOT" run --interp "$p" mem.bin
        expect_rc 0 "run --interp progs.bpf.o"
        expect_stdout "$sum" "run --interp progs.bpf.o"
        x "$BPF_AOT" run --interp --program mix "$p" mem.bin
        expect_stdout "$(mix_expect 777 "$(first_byte mem.bin)")" "run --interp --program mix"
        x "$BPF_AOT" build "$p" -o out
        x "$BPF_AOT" run --interp out/mix.o mem.bin
        expect_rc 1 "run --interp of a native object"
        expect_err_line "^bpf-aot: out/mix\.o: is a native object; --interp needs an eBPF input$" \
                "run --interp of a native object"
        expect_stdout_empty "run --interp of a native object"
}

# `compile`: raw bytecode and hex text, one program.
case_compile() {
        local p len
        p=$(obj progs)
        mkmem mem.bin 50 5
        len=$(file_size mem.bin)
        hex2bin seven.bin $SEVEN_HEX
        echo "$SEVEN_HEX" >seven.hex
        printf '0x%s\n' $SEVEN_HEX | tr '\n' ',' >seven_0x.hex

        x "$BPF_AOT" compile seven.bin -o seven_bin.o
        expect_rc 0 "compile seven.bin"
        expect_eq "$(machine_of seven_bin.o)" "$HOST_MACHINE" "compile seven.bin: Machine"
        x "$BPF_AOT" run seven_bin.o mem.bin
        expect_stdout $((7 + len)) "run seven_bin.o"

        x "$BPF_AOT" compile seven.hex # default output: seven.o
        expect_rc 0 "compile seven.hex"
        expect_file seven.o "compile seven.hex"
        "$CLI_NM" seven.o >nm_seven
        expect_grep '^[0-9a-f]+ T bpf_main$' nm_seven "nm seven.o"
        x "$BPF_AOT" run seven.o mem.bin
        expect_stdout $((7 + len)) "run seven.o"
        x "$BPF_AOT" run seven.hex mem.bin
        expect_stdout $((7 + len)) "run seven.hex"
        x "$BPF_AOT" run --interp seven.bin mem.bin
        expect_stdout $((7 + len)) "run --interp seven.bin"

        x "$BPF_AOT" compile seven_0x.hex -o seven_0x.o
        expect_rc 0 "compile of '0x..,' hex"
        x "$BPF_AOT" run seven_0x.o
        expect_stdout 7 "run seven_0x.o"

        x "$BPF_AOT" compile -e seven.hex
        expect_rc 0 "compile -e"
        expect_grep '^define .*@bpf_main\(' seven.ll "seven.ll"
        x "$BPF_AOT" compile -S seven.hex -o -
        expect_rc 0 "compile -S -o -"
        expect_grep '^bpf_main:' _out "compile -S -o - writes to stdout"

        # An ELF object with more than one program needs --program.
        x "$BPF_AOT" compile "$p" -o two.o
        expect_rc 1 "compile of an object with two programs"
        expect_err_line "^bpf-aot: $p: has 2 programs; choose one with --program or use 'build'$" \
                "compile of an object with two programs"
        expect_no_file two.o "compile of an object with two programs"
        x "$BPF_AOT" compile --program mix "$p" -o mix.o
        expect_rc 0 "compile --program mix"
        x "$BPF_AOT" run mix.o mem.bin
        expect_stdout "$(mix_expect "$len" "$(first_byte mem.bin)")" "run mix.o"
}

# Hex text may carry '#' comments (cli_parse_hex accepts them).
case_compile_hex_comments() {
        printf '# r0 = 7 + size of the context\n%s\n' \
                "$(echo "$SEVEN_HEX" | sed 's/$/   # an instruction/')" >commented.hex
        x "$BPF_AOT" compile commented.hex -o commented.o
        expect_rc 0 "compile of hex text with comments"
        x "$BPF_AOT" run commented.hex
        expect_rc 0 "run of hex text with comments"
        expect_stdout 7 "run of hex text with comments"
}

# `plugin`: the bpf_conformance protocol.
case_plugin() {
        local p
        p=$(obj progs)
        echo "$SEVEN_HEX" >seven.hex
        xin seven.hex "$BPF_AOT" plugin "01 02 03"
        expect_rc 0 "plugin (hex on stdin)"
        expect_stdout a "plugin: 7 + 3 in hex"
        expect_stderr_empty "plugin"
        xin seven.hex "$BPF_AOT" plugin
        expect_stdout 7 "plugin without memory"
        xin seven.hex "$BPF_AOT" plugin --interp "01 02 03 04"
        expect_stdout b "plugin --interp"
        xin "$p" "$BPF_AOT" plugin --elf "10 20 30 40"
        expect_rc 0 "plugin --elf"
        expect_stdout a0 "plugin --elf (sum_bytes: 0x10+0x20+0x30+0x40)"
        xin "$p" "$BPF_AOT" plugin --elf --program mix "10 20 30 40"
        expect_stdout "$(printf %x "$(mix_expect 4 16)")" "plugin --elf --program mix"
        xin "$p" "$BPF_AOT" plugin --elf --interp -O 0 "ff ff"
        expect_stdout 1fe "plugin --elf --interp"
        xin "$p" "$BPF_AOT" plugin "01"
        expect_rc 1 "plugin with an ELF on stdin but no --elf"
        expect_err_first '^bpf-aot: <stdin>: ' "plugin with an ELF on stdin but no --elf"
        expect_stdout_empty "plugin with an ELF on stdin but no --elf"
}

# driver_check OBJ: build, link with driver.c, run (the issue's scenario).
driver_check() {
        local p=$1
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build $(basename "$p")"
        "$CLI_NM" out/hello.o >nm_hello
        expect_grep '^ +U _bpf_helper_ext_0006$' nm_hello "hello.o calls bpf_trace_printk"
        x "$CLI_CC" -o driver "$CLI_SRC/driver.c" out/hello.o
        expect_rc 0 "cc driver.c hello.o"
        x ./driver
        expect_rc 0 "./driver"
        expect_stdout "hello 42 beef"$'\n'"bpf_main returned 14" "./driver"
        expect_stderr_empty "./driver"
        # The runtime's own bpf_trace_printk gives the same through `run`.
        x "$BPF_AOT" run out/hello.o
        expect_rc 0 "run hello.o"
        expect_stdout "hello 42 beef"$'\n'"14" "run hello.o"
        x "$BPF_AOT" run --interp "$p"
        expect_stdout "hello 42 beef"$'\n'"14" "run --interp $(basename "$p")"
}

case_driver() { driver_check "$(obj hello)"; }
case_gcc_driver() { driver_check "$(obj hello gcc)"; }

# GCC-compiled programs build and run like clang's.
case_gcc_run() {
        local p sum exp
        p=$(obj progs gcc)
        mkmem mem.bin 999 11
        sum=$(bytes_sum mem.bin)
        exp=$(mix_expect 999 "$(first_byte mem.bin)")
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build progs.gcc.bpf.o"
        expect_eq "$(cd out && ls | tr '\n' ' ')" "mix.o sum_bytes.o " "build: files"
        x "$BPF_AOT" run out/sum_bytes.o mem.bin
        expect_stdout "$sum" "run sum_bytes.o (gcc)"
        x "$BPF_AOT" run out/mix.o mem.bin
        expect_stdout "$exp" "run mix.o (gcc)"
        for n in 0 1 7 8 9; do # the unrolled loop's edge cases
                head -c $n mem.bin >m$n
                x "$BPF_AOT" run out/sum_bytes.o m$n
                expect_stdout "$(bytes_sum m$n)" "run sum_bytes.o (gcc) on $n bytes"
        done
        x "$BPF_AOT" run --interp --program sum_bytes "$p" mem.bin
        expect_stdout "$sum" "run --interp progs.gcc.bpf.o"
}

# ---------------------------------------------------------------- bad input

case_missing_file() {
        x "$BPF_AOT" build nope.bpf.o -o out
        expect_rc 1 "build of a missing file"
        expect_err_line '^bpf-aot: nope\.bpf\.o: No such file or directory$' "build of a missing file"
        expect_stdout_empty "build of a missing file"
        expect_no_files_in out "build of a missing file"
        x "$BPF_AOT" compile nope.bin -o nope.o
        expect_rc 1 "compile of a missing file"
        expect_err_line '^bpf-aot: nope\.bin: No such file or directory$' "compile of a missing file"
        expect_no_file nope.o "compile of a missing file"
        x "$BPF_AOT" compile nope.hex
        expect_rc 1 "compile of a missing file (default output)"
        expect_no_file nope.o "compile of a missing file (default output)"
        x "$BPF_AOT" run nope.o
        expect_rc 1 "run of a missing file"
        expect_err_line '^bpf-aot: nope\.o: No such file or directory$' "run of a missing file"
        expect_stdout_empty "run of a missing file"
        echo "$SEVEN_HEX" >seven.hex
        x "$BPF_AOT" run seven.hex nomem.bin
        expect_rc 1 "run with a missing memory file"
        expect_err_line '^bpf-aot: nomem\.bin: No such file or directory$' \
                "run with a missing memory file"
        expect_stdout_empty "run with a missing memory file"
        mkdir adir
        x "$BPF_AOT" build adir -o out
        expect_rc 1 "build of a directory"
        expect_err_line '^bpf-aot: adir: ' "build of a directory"

        # Outputs that cannot be written.
        x "$BPF_AOT" compile seven.hex -o nodir/seven.o
        expect_rc 1 "compile -o into a missing directory"
        expect_err_line '^bpf-aot: nodir/seven\.o: No such file or directory$' \
                "compile -o into a missing directory"
        echo "not a directory" >afile
        x "$BPF_AOT" build "$(obj progs)" -o afile
        expect_rc 1 "build -o a regular file"
        expect_err_first '^bpf-aot: afile(/[a-z_]+\.o)?: ' "build -o a regular file"
        expect_eq "$(cat afile)" "not a directory" "build -o a regular file leaves it alone"
}

case_not_elf() {
        mkmem junk301.bin 301 42
        mkmem junk304.bin 304 42
        x "$BPF_AOT" build junk304.bin -o out
        expect_rc 1 "build of 304 random bytes"
        expect_err_line '^bpf-aot: junk304\.bin: .*ELF' "build of 304 random bytes"
        expect_no_files_in out "build of 304 random bytes"
        x "$BPF_AOT" build junk301.bin -o out
        expect_rc 1 "build of 301 random bytes"
        expect_err_line '^bpf-aot: junk301\.bin: .*ELF' "build of 301 random bytes"
        expect_no_files_in out "build of 301 random bytes"
        x "$BPF_AOT" compile junk301.bin -o junk.o
        expect_rc 1 "compile of 301 random bytes"
        expect_err_line '^bpf-aot: junk301\.bin: program size 301 is not a multiple of 8 bytes$' \
                "compile of 301 random bytes"
        expect_no_file junk.o "compile of 301 random bytes"
        x "$BPF_AOT" run junk301.bin
        expect_rc 1 "run of 301 random bytes"
        expect_err_line '^bpf-aot: junk301\.bin: program size 301 is not a multiple of 8 bytes$' \
                "run of 301 random bytes"
        expect_stdout_empty "run of 301 random bytes"
        printf 'b7 00 00 00 07 00 00\n' >odd.hex
        x "$BPF_AOT" compile odd.hex -o odd.o
        expect_rc 1 "compile of 7 bytes of hex"
        expect_err_line '^bpf-aot: odd\.hex: program size 7 is not a multiple of 8 bytes$' \
                "compile of 7 bytes of hex"
        expect_no_file odd.o "compile of 7 bytes of hex"
        : >empty.bin
        x "$BPF_AOT" compile empty.bin -o empty.o
        expect_rc 1 "compile of an empty file"
        expect_err_line '^bpf-aot: empty\.bin: ' "compile of an empty file"
        expect_no_file empty.o "compile of an empty file"
}

case_wrong_machine() {
        local p
        p=$(obj progs)
        echo 'int f(int x) { return x + 1; }' >native.c
        "$CLI_CC" -c native.c -o native.o || bad "cc -c native.c"
        x "$BPF_AOT" build native.o -o out
        expect_rc 1 "build of a native object"
        expect_err_line '^bpf-aot: native\.o: not an eBPF object \(ELF machine [0-9]+, expected 247\)$' \
                "build of a native object"
        expect_no_files_in out "build of a native object"
        x "$BPF_AOT" compile native.o -o native2.o
        expect_rc 1 "compile of a native object"
        expect_err_line '^bpf-aot: native\.o: .*machine' "compile of a native object"
        expect_no_file native2.o "compile of a native object"

        x "$BPF_AOT" build --target "$FOREIGN_TRIPLE" "$p" -o foreign
        expect_rc 0 "build --target $FOREIGN_TRIPLE"
        x "$BPF_AOT" run foreign/sum_bytes.o
        expect_rc 1 "run of a $FOREIGN_TRIPLE object"
        expect_err_line '^bpf-aot: foreign/sum_bytes\.o: object is for ELF machine [0-9]+, this host is [0-9]+$' \
                "run of a $FOREIGN_TRIPLE object"
        expect_stdout_empty "run of a $FOREIGN_TRIPLE object"

        x "$BPF_AOT" run "$CLI_EXTRACT"
        expect_rc 1 "run of an executable"
        expect_err_line "^bpf-aot: $CLI_EXTRACT: not a relocatable object \\(ELF type [0-9]+\\)$" \
                "run of an executable"
}

# Every cut of a valid object must be refused with a message that says so.
case_truncated() {
        local p size n
        p=$(obj progs)
        size=$(file_size "$p")
        for n in 10 63 64 200 $((size / 2)) $((size - 100)) $((size - 1)); do
                head -c $n "$p" >cut$n.bpf.o
                x "$BPF_AOT" build cut$n.bpf.o -o out
                expect_rc 1 "build of the first $n of $size bytes"
                expect_err_line "^bpf-aot: cut$n\\.bpf\\.o: .*(truncated|malformed)" \
                        "build of the first $n of $size bytes"
                expect_err_not 'no error' "build of the first $n of $size bytes"
                expect_no_files_in out "build of the first $n of $size bytes"
        done
        head -c $((size / 2)) "$p" >cut.bpf.o
        x "$BPF_AOT" run cut.bpf.o
        expect_rc 1 "run of a truncated object"
        expect_err_line '^bpf-aot: cut\.bpf\.o: .*(truncated|malformed)' "run of a truncated object"
        expect_stdout_empty "run of a truncated object"
}

case_corrupt_shdr() {
        local p shoff shnum idx sh
        p=$(obj progs)
        shoff=$(peek "$p" 40 8)
        shnum=$(peek "$p" 60 2)

        # The whole section header table overwritten.
        cp "$p" allff.bpf.o
        head -c $((shnum * 64)) /dev/zero | tr '\0' '\377' |
                dd of=allff.bpf.o bs=1 seek="$shoff" conv=notrunc status=none
        x "$BPF_AOT" build allff.bpf.o -o out
        expect_rc 1 "build with a section header table of 0xff bytes"
        expect_err_line '^bpf-aot: allff\.bpf\.o: .*(malformed|corrupt|invalid|truncated)' \
                "build with a section header table of 0xff bytes"
        expect_no_files_in out "build with a section header table of 0xff bytes"

        # e_shoff beyond the end of the file.
        cp "$p" shoff.bpf.o
        poke shoff.bpf.o 40 8 $((1 << 20))
        x "$BPF_AOT" build shoff.bpf.o -o out
        expect_rc 1 "build with e_shoff past the end"
        expect_err_line '^bpf-aot: shoff\.bpf\.o: .*(malformed|corrupt|invalid|truncated)' \
                "build with e_shoff past the end"
        expect_no_files_in out "build with e_shoff past the end"

        # e_shstrndx out of range.
        cp "$p" strndx.bpf.o
        poke strndx.bpf.o 62 2 $((shnum + 5))
        x "$BPF_AOT" build strndx.bpf.o -o out
        expect_rc 1 "build with e_shstrndx out of range"
        expect_err_line '^bpf-aot: strndx\.bpf\.o: .*(malformed|corrupt|invalid|string table)' \
                "build with e_shstrndx out of range"
        expect_no_files_in out "build with e_shstrndx out of range"

        # A program section whose data lies past the end of the file: the
        # program cannot be read, so the build must not pretend it has none.
        idx=$("$CLI_READELF" -S "$p" | sed -n 's/^ *\[ *\([0-9]*\)\] socket\/sum .*/\1/p')
        if [[ -z $idx ]]; then
                bad "no section socket/sum in $p"
        else
                sh=$((shoff + idx * 64))
                cp "$p" secoff.bpf.o
                poke secoff.bpf.o $((sh + 24)) 8 $((1 << 20)) # sh_offset
                x "$BPF_AOT" build secoff.bpf.o -o out
                expect_rc 1 "build with section socket/sum's data past the end"
                expect_err_first '^bpf-aot: secoff\.bpf\.o: .*socket/sum' \
                        "build with section socket/sum's data past the end"
                cp "$p" secsize.bpf.o
                poke secsize.bpf.o $((sh + 32)) 8 $((1 << 20)) # sh_size
                x "$BPF_AOT" build secsize.bpf.o -o out2
                expect_rc 1 "build with section socket/sum's size past the end"
                expect_err_first '^bpf-aot: secsize\.bpf\.o: .*socket/sum' \
                        "build with section socket/sum's size past the end"
        fi
}

# A helper no runtime has: refused by name before anything runs.
case_unknown_helper() {
        local p
        p=$(obj badhelper)
        x "$BPF_AOT" run "$p"
        expect_rc 1 "run badhelper.bpf.o"
        expect_err_line "^bpf-aot: $p: undefined symbol '_bpf_helper_ext_9999': no such helper$" \
                "run badhelper.bpf.o"
        expect_stdout_empty "run badhelper.bpf.o (the program did not run)"

        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build badhelper.bpf.o (helpers bind at load time)"
        "$CLI_NM" out/bad_helper.o >nm_bad
        expect_grep '^ +U _bpf_helper_ext_9999$' nm_bad "bad_helper.o needs helper 9999"
        x "$BPF_AOT" run out/bad_helper.o
        expect_rc 1 "run bad_helper.o"
        expect_err_line "^bpf-aot: out/bad_helper\\.o: undefined symbol '_bpf_helper_ext_9999': no such helper$" \
                "run bad_helper.o"
        expect_stdout_empty "run bad_helper.o (the program did not run)"

        xin "$p" "$BPF_AOT" plugin --elf
        expect_rc 1 "plugin --elf < badhelper.bpf.o"
        expect_err_line "_bpf_helper_ext_9999" "plugin --elf < badhelper.bpf.o"
        expect_stdout_empty "plugin --elf < badhelper.bpf.o (the program did not run)"
}

# The same through the interpreter: `run --help` promises "an unknown helper
# is an error before anything runs".
case_unknown_helper_interp() {
        local p
        p=$(obj badhelper)
        x "$BPF_AOT" run --interp "$p"
        expect_rc 1 "run --interp badhelper.bpf.o"
        expect_err_line "^bpf-aot: $p: .*9999" "run --interp badhelper.bpf.o"
        expect_stdout_empty "run --interp badhelper.bpf.o (the program did not run)"
        xin "$p" "$BPF_AOT" plugin --elf --interp
        expect_rc 1 "plugin --elf --interp < badhelper.bpf.o"
        expect_stdout_empty "plugin --elf --interp < badhelper.bpf.o (the program did not run)"
}

# An entry symbol that is not in the object: the message names the file.
case_bad_entry() {
        local p
        p=$(obj progs)
        x "$BPF_AOT" build "$p" -o out --program mix
        x "$BPF_AOT" run --entry nosuch out/mix.o
        expect_rc 1 "run --entry nosuch"
        expect_err_line "^bpf-aot: out/mix\\.o: .*nosuch" "run --entry nosuch"
        expect_stdout_empty "run --entry nosuch"
        x "$BPF_AOT" build "$p" -o renamed --program mix --entry other
        x "$BPF_AOT" run renamed/mix.o
        expect_stdout 1090 "an object whose entry is not bpf_main: its only program (other__prog)"
        x "$BPF_AOT" run --program mix renamed/mix.o
        expect_stdout 1090 "run --program picks it by name"
        x "$BPF_AOT" run --program nosuch renamed/mix.o
        expect_rc 1 "run --program nosuch"
        expect_err_line "^bpf-aot: renamed/mix\\.o: no program 'nosuch' in the object \\(it has: mix\\)$" \
                "run --program nosuch names what there is"
        x "$BPF_AOT" run --program mix --entry other renamed/mix.o
        expect_rc 2 "--program and --entry together"
        # A skeleton object describes all its programs: run picks one by name.
        x "$BPF_AOT" build --skeleton "$p" -o sk
        x "$BPF_AOT" run sk/progs.aot.o
        expect_rc 1 "a skeleton object has several programs"
        expect_err_line "^bpf-aot: sk/progs\\.aot\\.o: the object has [0-9]+ programs \\(.*mix.*\\): choose one with --program$" \
                "run of a skeleton object lists its programs"
        x "$BPF_AOT" run --program mix sk/progs.aot.o
        expect_stdout 1090 "run --program mix of the skeleton object"
        x "$CLI_NM" sk/progs.aot.o
        expect_grep ' progs__progs$' _out "the program table progs__progs"
        expect_grep ' progs__mix__prog$' _out "the descriptor progs__mix__prog"
}

# Maps: described from BTF, created by the runtime, updated through helpers.
maps_check() { # maps_check MAPS_OBJ
        local m=$1
        x "$BPF_AOT" build -v "$m" -o out
        expect_rc 0 "build $(basename "$m")"
        expect_grep "^bpf-aot: $m: map hits: array, key 4, value 8, max_entries 4, flags 0x0" _err \
                "build -v describes the map"
        x "$BPF_AOT" run --repeat 5 --dump-maps out/count_hits.o
        expect_rc 0 "run --repeat 5 --dump-maps count_hits.o"
        expect_eq "$(head -n 2 _out | tr '\n' '|')" "1|map hits (array):|" "return value, then the map"
        expect_grep '^  key: 00 00 00 00  value: 05 00 00 00 00 00 00 00$' _out "the counter counted 5 runs"
        expect_grep '^  key: 03 00 00 00  value: 00 00 00 00 00 00 00 00$' _out "other slots stay zero"
        x "$BPF_AOT" run --repeat 2 --dump-maps "$m"
        expect_grep '^  key: 00 00 00 00  value: 02 00 00 00 00 00 00 00$' _out "run of the eBPF object"
        x "$BPF_AOT" run --interp --repeat 5 --dump-maps "$m"
        expect_rc 0 "run --interp of a map program"
        expect_grep '^  key: 00 00 00 00  value: 05 00 00 00 00 00 00 00$' _out \
                "the interpreter uses the runtime's maps too"
}

unresolved_check() { # unresolved_check KCONFIG_OBJ
        local k=$1
        : >empty.config
        x "$BPF_AOT" build --kconfig empty.config "$k" -o out
        expect_rc 1 "build $(basename "$k")"
        expect_grep "^bpf-aot: $k: hz: insn [0-9]+: lddw %r1, 0x0: unresolved relocation against kconfig value 'CONFIG_HZ' \\(CONFIG_HZ is not in the kernel config empty.config\\)$" \
                _err "build $(basename "$k") names the .kconfig extern it cannot resolve, and why"
        expect_grep "^bpf-aot: $k: ksym: insn 0: lddw %r0, 0x0: unresolved relocation against kernel symbol 'init_task' \\(\\.ksyms: there are no kernel symbols outside a kernel; declare it __weak to get NULL\\)$" \
                _err "build $(basename "$k") refuses a strong .ksyms extern by name"
        expect_no_file out/hz.o "build $(basename "$k")"
        # A failed build publishes nothing, not even the programs that compiled.
        expect_no_file out/kernel_version.o "build $(basename "$k") (all or nothing)"
        x "$BPF_AOT" build --kconfig empty.config --program kernel_version "$k" -o out
        expect_rc 0 "build --program kernel_version"
        x "$BPF_AOT" build --kconfig empty.config --program use_stacks "$k" -o out
        expect_rc 0 "build --program use_stacks"
        # LINUX_KERNEL_VERSION: this host's, as KERNEL_VERSION(a, b, c).
        local a b c
        IFS=.- read -r a b c _ <<<"$(uname -r)"
        c=${c%%[!0-9]*}
        x "$BPF_AOT" run out/kernel_version.o
        expect_stdout $(((a << 16) + (b << 8) + (${c:-0} > 255 ? 255 : ${c:-0}))) \
                "LINUX_KERNEL_VERSION is the host's kernel version"
        # A kernel-only map type compiles; the runtime refuses it when it creates the maps.
        expect_file out/use_stacks.o "build $(basename "$k"): use_stacks"
        x "$BPF_AOT" run out/use_stacks.o
        expect_rc 1 "run use_stacks.o"
        expect_err_line "^bpf-aot: out/use_stacks\.o: map 'stacks': type stack_trace is not supported by the runtime$" \
                "run use_stacks.o"
        expect_stdout_empty "run use_stacks.o"
}

# Global data (.bss, .data, .rodata) becomes native globals that programs share.
globals_check() { # globals_check GLOBAL_OBJ
        local g=$1
        x "$BPF_AOT" run --repeat 3 --program count_calls "$g"
        expect_rc 0 "run --repeat 3 count_calls of $(basename "$g")"
        expect_stdout 1004 "count_calls after 3 runs: counter 3 + bias 1000 + table[3] 1"
        x "$BPF_AOT" build --program count_calls --entry count_calls "$g" -o c
        expect_rc 0 "build count_calls"
        x "$BPF_AOT" build --program read_counter --entry read_counter "$g" -o r
        expect_rc 0 "build read_counter"
        x "$CLI_CC" -o gdrv "$CLI_SRC/globals_driver.c" c/count_calls.o r/read_counter.o
        expect_rc 0 "link both programs into one driver"
        x ./gdrv
        expect_stdout "1002 1006 20" "two programs share one counter (1+1000+table[1], 2+1000+table[2], 2*10)"
        x "$BPF_AOT" run --interp --repeat 3 --program count_calls "$g"
        expect_rc 0 "run --interp --repeat 3 count_calls"
        expect_stdout 1004 "run --interp: global data persists across runs as when compiled"
}

case_unresolved_reloc() {
        unresolved_check "$CLI_OBJS/kconfig.bpf.o"
        maps_check "$(obj maps)"
        globals_check "$(obj global)"
}
case_gcc_unresolved_reloc() {
        maps_check "$(obj maps gcc)"
        globals_check "$(obj global gcc)"
}

# The validator's messages through the CLI: "<input>: <program>: insn N: <insn>: <reason>".
case_validator() {
        echo '05 00 05 00 00 00 00 00 95 00 00 00 00 00 00 00' >jump.hex
        x "$BPF_AOT" compile jump.hex -o jump.o
        expect_rc 1 "compile of a jump out of range"
        expect_err_line '^bpf-aot: jump\.hex: jump: insn 0: ja \+5: jump target 6 is outside the program \(0\.\.1\)$' \
                "compile of a jump out of range"
        expect_no_file jump.o "compile of a jump out of range"

        echo 'b7 00 00 00 00 00 00 00' >fall.hex
        x "$BPF_AOT" compile fall.hex -o fall.o
        expect_rc 1 "compile of a program that falls through"
        expect_err_line '^bpf-aot: fall\.hex: fall: insn 0: mov %r0, 0: control can fall through past the end of the program$' \
                "compile of a program that falls through"
        expect_no_file fall.o "compile of a program that falls through"
        for how in "" --interp; do
                x "$BPF_AOT" run $how fall.hex
                expect_rc 1 "run $how of a program that falls through"
                expect_err_line '^bpf-aot: fall\.hex: fall: insn 0: .*fall through' \
                        "run $how of a program that falls through"
                expect_stdout_empty "run $how of a program that falls through"
        done
        xin fall.hex "$BPF_AOT" plugin
        expect_rc 1 "plugin of a program that falls through"
        expect_err_line '^bpf-aot: <stdin>: .*insn 0: .*fall through' "plugin of a program that falls through"

        echo 'b7 0a 00 00 01 00 00 00 95 00 00 00 00 00 00 00' >r10.hex
        x "$BPF_AOT" compile r10.hex -o r10.o
        expect_rc 1 "compile of a write to r10"
        expect_err_line '^bpf-aot: r10\.hex: r10: insn 0: mov %r10, 1: r10 \(frame pointer\) is read-only$' \
                "compile of a write to r10"
        expect_no_file r10.o "compile of a write to r10"

        hex2bin two.bin b7 00 00 00 00 00 00 00 ff 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00
        x "$BPF_AOT" compile two.bin -o two.o
        expect_rc 1 "compile of an unknown opcode"
        expect_err_line '^bpf-aot: two\.bin: two: insn 1: .*0xff' "compile of an unknown opcode"
        expect_no_file two.o "compile of an unknown opcode"

        echo "$SEVEN_HEX" >seven.hex
        x "$BPF_AOT" compile --max-insns 2 seven.hex -o seven.o
        expect_rc 1 "compile --max-insns 2 of 3 instructions"
        expect_err_line '^bpf-aot: seven\.hex: seven: program has 3 instructions, more than the limit of 2$' \
                "compile --max-insns 2 of 3 instructions"
        expect_no_file seven.o "compile --max-insns 2"
}

case_usage() {
        local sub
        x "$BPF_AOT"
        expect_rc 2 "no arguments"
        expect_err_first '^Usage: bpf-aot ' "no arguments"
        expect_stdout_empty "no arguments"
        x "$BPF_AOT" frobnicate
        expect_rc 2 "unknown command"
        expect_err_line "^bpf-aot: unknown command 'frobnicate'" "unknown command"
        for sub in build compile run plugin asm disasm; do
                x "$BPF_AOT" $sub --no-such-option
                expect_rc 2 "$sub --no-such-option"
                expect_stdout_empty "$sub --no-such-option"
                expect_grep 'no-such-option' _err "$sub --no-such-option names the option"
        done
        x "$BPF_AOT" build
        expect_rc 2 "build without input"
        x "$BPF_AOT" build a.o b.o
        expect_rc 2 "build with two inputs"
        BPFAOT_SHM=bpfaot-cli-none-$$ x "$BPF_AOT" compile
        expect_rc 1 "compile without input: the default segment, which does not exist"
        x "$BPF_AOT" compile --program p
        expect_rc 2 "compile --program without input"
        x "$BPF_AOT" load
        expect_rc 2 "load without arguments"
        x "$BPF_AOT" run
        expect_rc 2 "run without input"
        x "$BPF_AOT" run a b c
        expect_rc 2 "run with three arguments"
        x "$BPF_AOT" compile -O 9 x.hex
        expect_rc 2 "compile -O 9"
        expect_err_line '^bpf-aot: compile: -O takes 0, 1, 2 or 3$' "compile -O 9"
        x "$BPF_AOT" build --stack-size 0 x.o
        expect_rc 2 "build --stack-size 0"
        x "$BPF_AOT" build --max-insns lots x.o
        expect_rc 2 "build --max-insns lots"
        x "$BPF_AOT" run --repeat 0 x.o
        expect_rc 2 "run --repeat 0"
        x "$BPF_AOT" run -O 4 x.o
        expect_rc 2 "run -O 4"
        x "$BPF_AOT" plugin zz </dev/null
        expect_rc 2 "plugin with bad memory hex"
        expect_err_line "^bpf-aot: plugin: memory argument: invalid hex character 'z'" \
                "plugin with bad memory hex"
        x "$BPF_AOT" plugin 00 11
        expect_rc 2 "plugin with two arguments"

        for sub in build compile run plugin asm disasm; do
                for h in --help -h; do
                        x "$BPF_AOT" $sub $h
                        expect_rc 0 "$sub $h"
                        expect_grep "^Usage: bpf-aot $sub " _out "$sub $h"
                        expect_stderr_empty "$sub $h"
                done
        done
        for h in --help -h help; do
                x "$BPF_AOT" $h
                expect_rc 0 "bpf-aot $h"
                expect_grep '^Usage: bpf-aot <command>' _out "bpf-aot $h"
                for sub in build compile run plugin asm disasm; do
                        expect_grep "^  $sub " _out "bpf-aot $h lists $sub"
                done
        done
        for v in --version -V; do
                x "$BPF_AOT" $v
                expect_rc 0 "bpf-aot $v"
                expect_stdout "bpf-aot $CLI_VERSION" "bpf-aot $v (the project's version)"
        done
}

# `build` on eBPF objects nobody here wrote: it succeeds, or refuses the
# relocations it does not support yet, naming them; it never crashes.
case_real_objects() {
        local f n=0 okc=0 rej=0 inputs=() base prog bad_lines sbx=0 sbx_ref=0
        mkdir -p real out
        # Installed objects (xdp-tools, libxdp, ...).
        for f in $( (dpkg -L libbpf-tools xdp-tools libxdp1 2>/dev/null; \
                find /usr/lib/bpf /usr/share/xdp-tools /usr/lib/x86_64-linux-gnu/bpf \
                        /usr/lib/aarch64-linux-gnu/bpf -name '*.o' 2>/dev/null) | grep '\.o$' | sort -u); do
                [[ -f $f ]] && [[ $(peek "$f" 18 2 2>/dev/null) == 247 ]] && inputs+=("$f")
        done
        # Objects embedded in libbpf-tools / xdp-tools executables (skeletons).
        for f in $(dpkg -L libbpf-tools xdp-tools 2>/dev/null | grep -E '/s?bin/[^/]+$' | sort -u); do
                [[ -f $f && -x $f ]] || continue
                "$CLI_EXTRACT" "$f" real "$(basename "$f")" >/dev/null ||
                        bad "extract_bpf $f"
        done
        for f in real/*.bpf.o; do
                [[ -f $f ]] && inputs+=("$f")
        done
        echo "# ${#inputs[@]} installed eBPF objects found"
        # Always also objects with maps and global data from here.
        for f in maps global progs; do
                inputs+=("$(obj $f)")
                [[ -s $CLI_OBJS/$f.gcc.bpf.o ]] && inputs+=("$CLI_OBJS/$f.gcc.bpf.o")
        done

        for f in "${inputs[@]}"; do
                n=$((n + 1))
                base=out/$n
                "$BPF_AOT" build "$f" -o $base >_out 2>_err
                RC=$?
                LAST="bpf-aot build $f -o $base"
                if [[ $RC -gt 128 ]]; then
                        bad "$f: killed by signal $((RC - 128))"
                        show
                        continue
                fi
                if [[ $RC -eq 0 ]]; then
                        okc=$((okc + 1))
                        # Only names of helpers and map types the runtime lacks may be said.
                        [[ -n $(grep -Ev -e "^bpf-aot: $f: warning: program [^:]+: helper [0-9]+( \([a-z0-9_]+\))? is not provided by the runtime$" \
                                -e "^bpf-aot: $f: warning: map '[^']+': type [a-z_]+ is not supported by the runtime$" _err) ]] &&
                                { bad "$f: built, but said something on stderr"; show; }
                        [[ -n $(ls $base) ]] || bad "$f: built, but wrote nothing"
                        # --sandbox: built too, or refused naming the calls it cannot check.
                        "$BPF_AOT" build --sandbox "$f" -o $base.sbx >/dev/null 2>_err
                        RC=$?
                        LAST="bpf-aot build --sandbox $f -o $base.sbx"
                        if [[ $RC -eq 0 ]]; then
                                sbx=$((sbx + 1))
                        elif [[ $RC -eq 1 ]]; then
                                sbx_ref=$((sbx_ref + 1))
                                bad_lines=$(grep -Ev -e "^bpf-aot: $f: warning: " \
                                        -e "^bpf-aot: $f: [^:]+: insn [0-9]+( \([^)]*\))?: [^:]+: (helper [a-z0-9_]+|a kfunc or extern function) is not allowed in a sandbox: " \
                                        _err | head -3)
                                [[ -z $bad_lines ]] ||
                                        bad "$f: build --sandbox: unexpected message(s): $bad_lines"
                                [[ -n $(ls $base.sbx 2>/dev/null) ]] &&
                                        bad "$f: build --sandbox refused, but wrote files"
                        else
                                bad "$f: build --sandbox: exit status $RC"
                                show
                        fi
                elif [[ $RC -eq 1 ]]; then
                        rej=$((rej + 1))
                        if [[ ! -s _err ]]; then
                                bad "$f: exit status 1 without a message"
                                continue
                        fi
                        # Every line: <file>: <prog>: insn N: <insn>: unresolved relocation against <what> '<symbol>'
                        bad_lines=$(grep -Ev "^bpf-aot: $f: [^:]+: insn [0-9]+: .+: unresolved relocation against (map|global data|sub-program|extern variable|extern function|function address|symbol) '[^']+' \\(not supported yet\\)$" _err | head -3)
                        if [[ -n $bad_lines ]]; then
                                bad "$f: unexpected message(s): $bad_lines"
                        fi
                        # No output for a program that was refused.
                        for prog in $(sed -n "s|^bpf-aot: $f: \\([^:]*\\): insn .*|\\1|p" _err | sort -u); do
                                [[ -e $base/$prog.o ]] && bad "$f: $prog refused but $base/$prog.o written"
                        done
                else
                        bad "$f: exit status $RC"
                        show
                        continue
                fi
                leftovers $base "$f"
                for o in "$base"/*.o; do
                        [[ -e $o ]] || continue
                        [[ $(machine_of "$o") == "$HOST_MACHINE" ]] || bad "$f: $o is not a host object"
                done
        done
        echo "# $n objects: $okc built, $rej refused for unsupported relocations"
        echo "# --sandbox: $sbx of the $okc built, $sbx_ref refused for calls it cannot check"
        [[ $((sbx + sbx_ref)) -eq $okc ]] || bad "build --sandbox on $okc objects: some misbehaved"
        if [[ $n -gt 0 && $((okc + rej)) -eq $n ]]; then
                ok "build on $n eBPF objects: each built or refused with named relocations"
        else
                bad "build on $n eBPF objects: $((n - okc - rej)) misbehaved"
        fi
}

# A kfunc (extern function) call compiles to a call of that function by name.
case_kfunc() {
        local p
        p=$(obj kfunc)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build kfunc.bpf.o"
        x "$CLI_NM" out/call_kfunc.o
        expect_grep '^ +U bpf_test_kfunc$' _out "call_kfunc.o references bpf_test_kfunc"
        x "$BPF_AOT" run out/call_kfunc.o
        expect_rc 1 "run without the kfunc"
        expect_err_line "^bpf-aot: out/call_kfunc\.o: undefined symbol 'bpf_test_kfunc'$" \
                "run names the missing kfunc"
        x "$CLI_CC" -o kdrv "$CLI_SRC/kfunc_driver.c" out/call_kfunc.o
        expect_rc 0 "link with a driver that provides the kfunc"
        x ./kdrv
        expect_stdout 508 "driver: kfunc(5, 7) + 1"
}

# ISA v4 code (clang -mcpu=v4: sign-extending loads and moves, gotol, bswap, sdiv/smod).
case_isa_v4() {
        local p sum
        p="$CLI_OBJS/progs.v4.bpf.o"
        [[ -s $p ]] || { bad "test input $p is missing (clang-19 not found)"; return; }
        mkmem mem.bin 500 9
        sum=$(bytes_sum mem.bin)
        x "$BPF_AOT" run "$p" mem.bin
        expect_rc 0 "run progs.v4.bpf.o"
        expect_stdout "$sum" "run progs.v4.bpf.o (sum_bytes)"
        x "$BPF_AOT" run --interp "$p" mem.bin
        expect_stdout "$sum" "run --interp progs.v4.bpf.o"
        x "$BPF_AOT" run --program mix "$p" mem.bin
        expect_stdout "$(mix_expect 500 "$(first_byte mem.bin)")" "run --program mix progs.v4.bpf.o"

        # v4.bpf.c uses v4 instructions; its native build gives the expected value.
        p="$CLI_OBJS/v4.bpf.o"
        "$CLI_OBJCOPY" -O binary --only-section=socket/v4 "$p" v4.bin
        x "$BPF_AOT" disasm v4.bin
        expect_grep '^(ldxsb|movsx1664|sdiv|smod|bswap64) ' _out "v4.bpf.o holds v4 instructions"
        x "$CLI_V4_CHECK" mem.bin
        expect_rc 0 "native v4_check"
        local want
        want=$(cat _out)
        for o in 0 2; do
                x "$BPF_AOT" run -O $o "$p" mem.bin
                expect_stdout "$want" "run -O $o v4.bpf.o equals the native build"
        done
        x "$BPF_AOT" run --interp "$p" mem.bin
        expect_stdout "$want" "run --interp v4.bpf.o equals the native build"
}

# Switches (compare trees in eBPF, rebuilt into LLVM switches at -O2) agree with
# the native build, for clang's default CPU, -mcpu=v4 and bpf-gcc.
case_switch() {
        local p want o
        mkmem mem.bin 4000 11
        x "$CLI_SWITCH_CHECK" mem.bin
        expect_rc 0 "native switch_check"
        want=$(cat _out)
        for p in "$(obj switch)" "$CLI_OBJS/switch.v4.bpf.o" "$(obj switch gcc)"; do
                [[ -s $p ]] || continue
                for o in 0 2 3; do
                        x "$BPF_AOT" run -O $o "$p" mem.bin
                        expect_stdout "$want" "run -O $o $(basename "$p") equals the native build"
                done
                x "$BPF_AOT" run --interp "$p" mem.bin
                expect_stdout "$want" "run --interp $(basename "$p") equals the native build"
        done
        # The dense switch became one LLVM switch.
        x "$BPF_AOT" build -e -O2 "$(obj switch)" -o ll
        expect_grep '^  switch i[0-9]+ ' ll/switches.ll "an LLVM switch was rebuilt"
        # dense(): cases 0..11 in the table, the default (12..15) takes what lies above,
        # so one range check guards the jump table, as in native code.
        expect_grep '^    i64 0, label ' ll/switches.ll "dense: case 0 is a case, not the default"
        expect_grep '^    i64 11, label ' ll/switches.ll "dense: case 11 is a case"
        # Cases yielding constants (paired by clang's backend into compares and selects)
        # become one lookup table each, as in native code: consts() has 40 values 0..39,
        # consts_signed() 24 values -12..11 (its switch on the int's 32 bits).
        expect_grep '^@switch\.table\.[^ ]* = .* constant \[40 x i64\]' ll/switches.ll \
                "consts: one table of its 40 values"
        expect_grep '^@switch\.table\.[^ ]* = .* constant \[24 x i64\]' ll/switches.ll \
                "consts_signed: one table of its 24 values"
        x "$BPF_AOT" build -S -O2 "$(obj switch)" -o asm
        local n tab
        for n in 320 192; do
                tab=$(sed -n "s/^[[:space:]]*\.size[[:space:]]*\(\.Lswitch\.table[^,]*\), $n\$/\1/p" asm/switches.s | head -1)
                expect_eq "${tab:+found}" found "-S: a table of $((n / 8)) entries"
                if [[ -n $tab ]]; then
                        expect_grep "^[[:space:]]*leaq[[:space:]]*${tab//./\\.}\\(%rip\\)" asm/switches.s \
                                "-S: the code loads from $tab"
                fi
        done
}

# bpf-to-bpf calls into .text and within a section are linked into each program.
case_subprogs() {
        local p prog want o
        mkmem mem.bin 3000 5
        for p in "$(obj subprogs)" "$(obj subprogs gcc)"; do
                [[ -s $p ]] || continue
                x "$BPF_AOT" build -v "$p" -o "out-$(basename "$p")"
                expect_rc 0 "build $(basename "$p")"
                expect_eq "$(cd "out-$(basename "$p")" && echo *.o)" "subprogs_main.o subprogs_second.o" \
                        "$(basename "$p"): programs only (the static function called in its section is a sub-program)"
                for prog in subprogs_main subprogs_second; do
                        x "$CLI_CHECKS/cli_${prog}_check" mem.bin
                        want=$(cat _out)
                        for o in 0 2; do
                                x "$BPF_AOT" run -O $o "out-$(basename "$p")/$prog.o" mem.bin
                                expect_stdout "$want" "$(basename "$p") $prog -O $o equals the native build"
                        done
                        x "$BPF_AOT" run --interp --program $prog "$p" mem.bin
                        expect_stdout "$want" "$(basename "$p") $prog --interp equals the native build"
                done
        done
}

# build --skeleton: one object per eBPF object, a header, and a host that uses both.
case_skeleton() {
        local g m
        g=$(obj global)
        m=$(obj maps)
        x "$BPF_AOT" build --skeleton "$g" -o sk
        expect_rc 0 "build --skeleton global.bpf.o"
        expect_file sk/global.aot.o "skeleton object"
        expect_file sk/global.aot.h "skeleton header"
        x "$CLI_NM" sk/global.aot.o
        expect_grep '^[0-9a-f]+ T global__count_calls$' _out "program entry global__count_calls"
        expect_grep '^[0-9a-f]+ T global__read_counter$' _out "program entry global__read_counter"
        expect_no_grep ' T bpf_main$' _out "no bpf_main in a skeleton object"
        expect_grep '^struct global__bss \{$' sk/global.aot.h "typed .bss from BTF"
        expect_grep '^	int counter;$' sk/global.aot.h ".bss variable"
        x "$BPF_AOT" build --skeleton "$m" -o sk
        expect_rc 0 "build --skeleton maps.bpf.o"
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o host -I sk -I "$CLI_RUNTIME_INC" \
                "$CLI_SRC/skeleton_host.c" sk/global.aot.o sk/maps.aot.o "$CLI_RUNTIME_LIB" -lpthread
        expect_rc 0 "a host includes both headers and links both objects with the runtime"
        x ./host
        expect_rc 0 "run the host"
        expect_eq "$(tr '\n' '|' <_out)" "counter 2 bias 1000 read 20|count_calls 49|hits 3|" \
                "programs, globals and maps through the skeletons (41 + 7 + table[41 & 7] = 1)"
        x "$BPF_AOT" build --skeleton -e "$g" -o sk
        expect_rc 2 "--skeleton with -e"
}

# CO-RE records: listed by build -v, compiled offsets kept (right for userspace types).
case_core() {
        local p="$CLI_OBJS/core.bpf.o"
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build -v "$p" -o out
        expect_rc 0 "build core.bpf.o"
        expect_grep "^bpf-aot: $p: CO-RE socket/core insn [0-9]+: field_byte_offset of task \\(access 0:1\\): compiled value kept$" \
                _err "build -v lists the CO-RE record of t->start"
        expect_grep "^bpf-aot: $p: CO-RE socket/core insn [0-9]+: field_byte_offset of task \\(access 0:0\\)" \
                _err "build -v lists the CO-RE record of t->pid"
        # struct task { int pid = 7; u64 start = 1000; } in little-endian memory.
        hex2bin task.bin 07 00 00 00 00 00 00 00 e8 03 00 00 00 00 00 00
        x "$BPF_AOT" run out/core_read.o task.bin
        expect_stdout 1007 "run with the compiled offsets"
}

# bpf_loop with a callback: the lddw of a function becomes the native function's address.
case_loop() {
        local p="$CLI_OBJS/loop.bpf.o" o
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        for o in 0 2; do
                x "$BPF_AOT" run -O $o "$p"
                expect_stdout $((328350 * 1000 + 100)) "-O $o: 100 iterations, sum of squares below 100"
        done
        # Stop once the sum passes 1000: 0+1+4+...+196 = 1015 after i = 14, so 15 iterations.
        hex2bin limit.bin e8 03 00 00 00 00 00 00
        x "$BPF_AOT" run "$p" limit.bin
        expect_stdout $((1015 * 1000 + 15)) "the callback's 1 stops the loop"
}

# Tail calls through a PROG_ARRAY the object fills: run compiles the whole object.
case_tail_calls() {
        local p="$CLI_OBJS/tailcall.bpf.o" prog want
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        hex2bin ctx.bin 05 00 00 00 00 00 00 00
        for want in first:25 chain:1034 miss:25 from_sub:305 second:25; do
                prog=${want%%:*}
                x "$BPF_AOT" run --program "$prog" "$p" ctx.bin
                expect_stdout "${want#*:}" "run --program $prog"
        done
        x "$BPF_AOT" run --program first --dump-maps "$p" ctx.bin
        expect_grep '^  key: 1  program$' _out "--dump-maps shows the filled slot 1"
        expect_no_grep '^  key: 3' _out "--dump-maps: slot 3 is empty"
        x "$BPF_AOT" build -v "$p" -o out
        expect_rc 0 "build (one object per program)"
        expect_grep "map jmp: prog_array, key 4, value 4, max_entries 4, flags 0x0; initially \[1\] = second, \[2\] = chain$" \
                _err "-v lists the PROG_ARRAY's initial slots"
        expect_grep "warning: map jmp: each program gets its own object" _err \
                "per-program objects: a warning that the slots start empty"
        x "$BPF_AOT" run out/first.o ctx.bin
        expect_stdout 4294967295 "per-program object: the tail call finds an empty slot and goes on"
        x "$CLI_NM" out/first.o
        expect_grep ' U bpfaot_rt_tail_call$' _out "a tail call compiles to bpfaot_rt_tail_call"
}

# Maps of maps: the ARRAY_OF_MAPS slots the object fills; a HASH_OF_MAPS nobody filled.
case_maps_of_maps() {
        local p="$CLI_OBJS/mapinmap.bpf.o"
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        hex2bin req.bin 02 00 00 00 01 00 00 00 05 00 00 00 00 00 00 00
        x "$BPF_AOT" run --repeat 3 --program bump --dump-maps "$p" req.bin
        expect_eq "$(head -1 _out)" 15 "three runs add 5 to inner_b[1] through outer[2]"
        expect_grep '^  key: 01 00 00 00  value: 0f 00 00 00 00 00 00 00$' _out "inner_b[1] is 15"
        expect_grep '^  key: 02 00 00 00  map: inner_b$' _out "--dump-maps: outer[2] is inner_b"
        hex2bin req1.bin 01 00 00 00 01 00 00 00 05 00 00 00 00 00 00 00
        x "$BPF_AOT" run --program bump "$p" req1.bin
        expect_stdout 1001 "outer[1] is empty: the lookup gives NULL"
        x "$BPF_AOT" run --interp --repeat 3 --program bump --dump-maps "$p" req.bin
        expect_eq "$(head -1 _out)" 15 "--interp: the same through the interpreter"
        expect_grep '^  key: 02 00 00 00  map: inner_b$' _out "--interp: outer[2] is inner_b"
        x "$BPF_AOT" build -v "$p" -o out
        expect_grep "map outer: array_of_maps, key 4, value 4, max_entries 3, flags 0x0; inner maps: array, key 4, value 8, max_entries 4; initially \[0\] = inner_a, \[2\] = inner_b$" \
                _err "-v lists the template and the initial slots"
}

# bpf_perf_event_output: run collects the records and --dump-maps prints them.
case_perf_events() {
        local p="$CLI_OBJS/perf.bpf.o"
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        hex2bin ctx.bin 2a 00 00 00 00 00 00 00
        x "$BPF_AOT" run --repeat 2 --dump-maps "$p" ctx.bin
        expect_eq "$(head -1 _out)" 18446744073709551609 "output succeeds (0 * 1000), index 1 << 20 gives -E2BIG: r0 = (u64)-7"
        expect_eq "$(grep -c 'record:' _out)" 2 "two records"
        expect_grep '^  cpu [0-9]+  record: 02 00 00 00 ed fe 00 00 2a 00 00 00 00 00 00 00$' _out \
                "the second record: seq 2, tag 0xfeed, ctx[0]"
        x "$BPF_AOT" run --interp --repeat 2 --dump-maps "$p" ctx.bin
        expect_eq "$(grep -c 'record:' _out)" 2 "--interp: two records too"
}

# A host links three skeletons: tail calls, maps of maps and perf events from C.
case_map_kinds_host() {
        local f
        for f in tailcall mapinmap perf; do
                x "$BPF_AOT" build --skeleton "$CLI_OBJS/$f.bpf.o" -o sk
                expect_rc 0 "build --skeleton $f.bpf.o"
        done
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o host -I sk -I "$CLI_RUNTIME_INC" \
                "$CLI_SRC/mapkinds_host.c" sk/tailcall.aot.o sk/mapinmap.aot.o sk/perf.aot.o \
                "$CLI_RUNTIME_LIB" -lpthread
        expect_rc 0 "build the host"
        x ./host
        expect_rc 0 "run the host"
        expect_eq "$(tr '\n' '|' <_out)" "first 25|chain 1034 hops 34|miss 25 missed 1|from_sub 305 after_sub 1|second ran 3 times|update 0|first 4005|clear 0|first -1|past the end -7|bump 5 10 inner_b[1] 10|empty slot 1001|no such id 1001|wrong inner -22|add inner 0|bump_by_id 10 20|lookup is the inner map 1|delete 0 -2|no consumer -2007|event seq 2 tag 0xfeed value 9|emit -7|event seq 3 tag 0xfeed value 10|emit -7|events 2|" \
                "tail calls (33 at most: 34 runs), host-set programs, maps of maps, perf events"
}

# A store into .rodata (a constant native global) is refused by build and by
# the interpreter, with the store named; the object's other program builds.
case_rodata_store() {
        local p=$CLI_OBJS/rodata_store.bpf.o
        local msg="store_rodata: insn [0-9]+: stx?w \\[%r[0-9]+\\+0\\], (%r[0-9]+|1): store into read-only data \\(\\.rodata\\)$"
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build "$p" -o out
        expect_rc 1 "build rodata_store.bpf.o"
        expect_err_line "^bpf-aot: $p: $msg" "build names the store into .rodata"
        [[ -e out/store_rodata.o ]] && bad "store_rodata refused but out/store_rodata.o written"
        expect_no_file out/read_rodata.o "a failed build publishes nothing"
        x "$BPF_AOT" build --program read_rodata "$p" -o out
        if [[ -s out/read_rodata.o ]]; then
                ok "read_rodata (loads only) built"
        else
                bad "read_rodata (loads only) was not built"
        fi
        mkmem mem.bin 16 1
        x "$BPF_AOT" run --interp --program store_rodata "$p" mem.bin
        expect_rc 1 "run --interp --program store_rodata"
        expect_err_line "$msg" "the interpreter refuses the same program"
}

# .kconfig values from a kernel config file (plain or gzip), typed as libbpf types them.
case_kconfig() {
        local k="$CLI_OBJS/kconfig.bpf.o"
        [[ -s $k ]] || { bad "test input $k is missing"; return; }
        printf '%s\n' 'CONFIG_HZ=300' 'CONFIG_BPF_SYSCALL=y' 'CONFIG_XFS_FS=m' \
                'CONFIG_DEFAULT_HOSTNAME="(none)"' '# CONFIG_FOO is not set' >k.config
        x "$BPF_AOT" run --kconfig k.config --program hz "$k"
        expect_stdout 300 "int CONFIG_HZ from the config"
        x "$BPF_AOT" run --kconfig k.config --program features "$k"
        expect_stdout 10121 "bool y 1, tristate m 2, string \"(none)\", weak missing 0, weak .ksyms NULL"
        gzip -c k.config >k.config.gz
        x "$BPF_AOT" run --kconfig k.config.gz --program hz "$k"
        expect_stdout 300 "a gzip config (as /proc/config.gz)"
        x "$BPF_AOT" build --kconfig k.config --program features "$k" -o out
        expect_rc 0 "build features with the config"
        x "$BPF_AOT" run out/features.o
        expect_stdout 10121 "the values are compiled in"
        printf '%s\n' 'CONFIG_HZ=abc' 'CONFIG_XFS_FS=7' 'CONFIG_BPF_SYSCALL=y' \
                'CONFIG_DEFAULT_HOSTNAME="x"' >bad.config
        x "$BPF_AOT" run --kconfig bad.config --program hz "$k"
        expect_rc 1 "a value that is not a number"
        expect_err_line "unresolved relocation against kconfig value 'CONFIG_HZ' \\(abc: the value is not a number\\)$" \
                "the value and why it does not fit"
        x "$BPF_AOT" run --kconfig bad.config --program features "$k"
        expect_rc 1 "a tristate that is not y/m/n"
        expect_grep "unresolved relocation against kconfig value 'CONFIG_XFS_FS' \\(7: a libbpf_tristate extern needs a y/m/n value\\)$" \
                _err "tristate with a number"
        printf '%s\n' 'CONFIG_HZ=99999999999' 'CONFIG_XFS_FS=y' 'CONFIG_BPF_SYSCALL=m' \
                'CONFIG_DEFAULT_HOSTNAME=unquoted' >worse.config
        x "$BPF_AOT" build --kconfig worse.config "$k" -o worse
        expect_rc 1 "build with values that do not fit their types"
        expect_grep "'CONFIG_HZ' \(99999999999: the value does not fit the extern's type\)$" _err \
                "an int out of range"
        expect_grep "'CONFIG_BPF_SYSCALL' \(m: a bool extern needs a y/n value\)$" _err "bool m"
        expect_grep "'CONFIG_DEFAULT_HOSTNAME' \(unquoted: a char array extern needs a quoted string value\)$" \
                _err "a string without quotes"
        x "$BPF_AOT" run --kconfig no-such.config --program hz "$k"
        expect_rc 1 "a config file that does not exist"
        expect_err_line "^bpf-aot: $k: cannot read kernel config no-such.config: No such file or directory$" \
                "names the input and the config"
}

# --inline-maps: ARRAY lookups become address arithmetic, with the helper's results.
case_inline_maps() {
        local m
        m=$(obj maps)
        x "$BPF_AOT" build --inline-maps -O0 -e --program count_hits "$m" -o ir
        expect_rc 0 "build --inline-maps -e"
        expect_grep '%values = load (i8\*|ptr)' ir/count_hits.ll "the lookup is inlined: the values base is read"
        expect_no_grep '@_bpf_helper_ext_0001\(' ir/count_hits.ll "the lookup is inlined: no helper call"
        x "$BPF_AOT" build -O0 -e --program count_hits "$m" -o ir0
        expect_grep 'call i64 @_bpf_helper_ext_0001\(' ir0/count_hits.ll "a helper call without --inline-maps"
        expect_no_grep '%values = load' ir0/count_hits.ll "not inlined without --inline-maps"
        x "$BPF_AOT" build --inline-maps "$m" -o out
        expect_rc 0 "build --inline-maps"
        x "$BPF_AOT" run --repeat 5 --dump-maps out/count_hits.o
        expect_grep '^  key: 00 00 00 00  value: 05 00 00 00 00 00 00 00$' _out "the counter counted 5 runs"
        local key want
        for want in 00000000:1 03000000:1 04000000:0 ffffffff:0; do
                key=${want%%:*}
                hex2bin key.bin ${key:0:2} ${key:2:2} ${key:4:2} ${key:6:2}
                x "$BPF_AOT" run out/probe_key.o key.bin
                expect_stdout "${want#*:}" "--inline-maps: key 0x$key inside the map or not"
                x "$BPF_AOT" run --program probe_key "$m" key.bin
                expect_stdout "${want#*:}" "helper call: key 0x$key"
        done
}

# Every other map type and helper, from eBPF C, checked by a host through the skeleton;
# the interpreter gives the compiled code's results for the map programs.
case_all_kinds_host() {
        local p="$CLI_OBJS/allkinds.bpf.o" prog want
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build --skeleton "$p" -o sk
        expect_rc 0 "build --skeleton allkinds.bpf.o"
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o host -I sk -I "$CLI_RUNTIME_INC" \
                "$CLI_SRC/allkinds_host.c" sk/allkinds.aot.o "$CLI_RUNTIME_LIB" -lpthread
        expect_rc 0 "build the host"
        x ./host
        expect_rc 0 "run the host"
        expect_eq "$(grep -c '^ok ' _out)" 8 "8 groups of checks pass"
        for want in lru_fill:43 queue_stack:1133 ringbuf:56 format:7; do
                prog=${want%%:*}
                x "$BPF_AOT" run --program "$prog" "$p"
                expect_stdout "${want#*:}" "run --program $prog"
                x "$BPF_AOT" run --interp --program "$prog" "$p"
                expect_stdout "${want#*:}" "run --interp --program $prog"
        done
}

# Map contents (`.values`) that cannot be: one clear error naming the map, nothing written.
case_bad_values() {
        local v want o
        for v in \
                "PAST_END|map 'jmp': slot 2 of 'values' is past max_entries 2" \
                "NOT_A_PROGRAM|map 'jmp': slot 0 names 'helper_fn', which is not a program" \
                "HASH_VALUES|map 'jmp': 'values' needs a PROG_ARRAY or a map of maps, not map type 1" \
                "SELF|map 'outer': slot 0 names 'outer', which is not another map" \
                "NESTED|map 'outer': maps of maps nest only one level"; do
                o="$CLI_OBJS/badvalues_${v%%|*}.bpf.o"
                want=${v#*|}
                [[ -s $o ]] || { bad "test input $o is missing"; continue; }
                x "$BPF_AOT" build "$o" -o "out_${v%%|*}"
                expect_rc 1 "build ${v%%|*}"
                expect_err_line "^bpf-aot: $o: $want$" "${v%%|*}"
                expect_no_file "out_${v%%|*}/prog.o" "${v%%|*}"
        done
}

stderr_begin
# More cases, one file per concern.
for f in "$CLI_SRC"/cases_*.sh; do
        [[ -e $f ]] || continue
        CLI_TEST_FILES+=("$f")
        # shellcheck source=/dev/null
        source "$f"
done

if ! declare -F "case_$CASE" >/dev/null; then
        echo "FAIL - no test case '$CASE'"
        exit 1
fi
require_objs
run_case
finish
