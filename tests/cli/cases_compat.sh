# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# What users of bpftime-aot arrive with (sourced by cli_test.sh): its
# command lines, its drivers' ABI, and hosts that resolve maps through
# __lddw_helper_map_by_fd.

# The programs of an eBPF object, in the order `build -v` compiles them.
programs_of() {
        "$BPF_AOT" build -v "$1" -o programs_of.out 2>&1 >/dev/null |
                sed -n 's/^bpf-aot: [^:]*: \([A-Za-z_][A-Za-z0-9_]*\) (section .*/\1/p'
        rm -rf programs_of.out
}

# The maps of an eBPF object, in the order `build -v` lists them (their indexes).
maps_of() {
        "$BPF_AOT" build -v "$1" -o maps_of.out 2>&1 >/dev/null |
                sed -n 's/^bpf-aot: [^:]*: map \([^:]*\): .*/\1/p'
        rm -rf maps_of.out
}

# A host linked with objects, as its own executable: host_link OUT SOURCE OBJECT...
host_link() {
        local out=$1 src=$2
        shift 2
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -I"$CLI_SRC" -o "$out" "$src" "$@"
        expect_rc 0 "cc $(basename "$src") $*"
}

# bpftime-aot's command lines, unchanged: build [-o DIR] [-e|--emit_llvm], run PATH [MEMORY],
# compile (of the shared memory) and load.
case_bpftime_cli() {
        local c p names want_o want_ll sum
        c=$(obj compat)
        p=$(obj progs)
        names=$(programs_of "$c" | sort)
        want_o=$(sed 's/$/.o/' <<<"$names" | tr '\n' ' ')
        want_ll=$(sed 's/$/.ll/' <<<"$names" | tr '\n' ' ')
        expect_eq "$(wc -w <<<"$names")" 2 "compat.bpf.o has two programs"

        mkdir here && (cd here && "$BPF_AOT" build "$c" >../_out 2>../_err)
        RC=$?
        LAST="(in here/) bpf-aot build $c"
        expect_rc 0 "build without -o"
        expect_eq "$(cd here && ls | tr '\n' ' ')" "$want_o" "build without -o: <program>.o here"
        x "$BPF_AOT" build "$c" -o out
        expect_rc 0 "build -o out"
        expect_eq "$(cd out && ls | tr '\n' ' ')" "$want_o" "build -o out: out/<program>.o"
        x "$BPF_AOT" build -o out2 "$c" --output=out3
        expect_eq "$(cd out3 && ls | tr '\n' ' ')" "$want_o" "the last -o/--output counts"
        expect_no_files_in out2 "the last -o/--output counts"

        for spelling in --emit_llvm --emit-llvm -e; do
                x "$BPF_AOT" build "$c" -o "ir$spelling" "$spelling"
                expect_rc 0 "build $spelling"
                expect_eq "$(cd "ir$spelling" && ls | tr '\n' ' ')" "$want_ll" \
                        "build $spelling: <program>.ll"
        done
        if diff -r ir--emit_llvm ir--emit-llvm >/dev/null && diff -r ir-e ir--emit-llvm >/dev/null
        then
                ok "--emit_llvm, --emit-llvm and -e write the same IR"
        else
                bad "--emit_llvm, --emit-llvm and -e write different IR"
        fi

        mkmem mem.bin 300 9
        sum=$(bytes_sum mem.bin)
        x "$BPF_AOT" build "$p" -o progs
        x "$BPF_AOT" run progs/sum_bytes.o mem.bin
        expect_rc 0 "run PATH MEMORY"
        expect_stdout "$sum" "run PATH MEMORY: r0 in decimal"
        x "$BPF_AOT" run progs/sum_bytes.o
        expect_stdout 0 "run PATH: no memory"

        # compile and load of bpftime's workflow read the segment $BPFAOT_SHM (tests/syscall-server
        # runs them end to end); here, on a segment that does not exist.
        for args in "compile" "compile -o out4" "compile -e" "compile --emit_llvm -o out4"; do
                # shellcheck disable=SC2086
                BPFAOT_SHM=bpfaot-cli-none-$$ x "$BPF_AOT" $args
                expect_rc 1 "bpftime-aot's $args"
                expect_err_line "^bpf-aot: compile: /bpfaot-cli-none-$$: no such segment$" \
                        "bpftime-aot's $args"
                expect_stdout_empty "bpftime-aot's $args"
        done
        expect_no_file out4 "bpftime-aot's compile"
        BPFAOT_SHM=bpfaot-cli-none-$$ x "$BPF_AOT" load progs/sum_bytes.o 4
        expect_rc 1 "bpftime-aot's load"
        expect_err_line "^bpf-aot: load: /bpfaot-cli-none-$$: no such segment$" "bpftime-aot's load"
        BPFAOT_SHM=bpfaot-cli-none-$$ x "$BPF_AOT" load "$p" 4
        expect_rc 1 "bpftime-aot's load of an eBPF object"
        expect_err_line "^bpf-aot: load: .*progs.bpf.o: no bpf_main__bytecode_hash \(compile \
the program with 'bpf-aot compile'\)$" "bpftime-aot's load of an eBPF object"
        x "$BPF_AOT" load out/count_call.o
        expect_rc 2 "bpftime-aot's load without an id"
        expect_err_line "^bpf-aot: load: takes an object and a program's id \(see 'bpf-aot load \
--help'\)$" "bpftime-aot's load without an id"
}

# A driver written for bpftime-aot's objects links with ours and runs: bpf_main,
# _bpf_helper_ext_NNNN, and an __lddw_helper_map_by_fd that a plain build never calls.
case_bpftime_driver() {
        local c
        c=$(obj compat)
        x "$BPF_AOT" build "$c" --program count_call -o out
        expect_rc 0 "build --program count_call"
        "$CLI_NM" out/count_call.o >nm_count
        expect_grep '^[0-9a-f]+ T bpf_main$' nm_count "count_call.o defines bpf_main"
        for h in 0001 0002 0006 0014; do
                expect_grep "^ +U _bpf_helper_ext_$h\$" nm_count "count_call.o calls helper $h"
        done
        expect_grep '^[0-9a-f]+ [A-Za-z] compat__maps$' nm_count "the maps are the object's slots"
        expect_no_grep '__lddw_helper' nm_count "no __lddw_helper_* without --maps-by-fd"
        host_link driver "$CLI_SRC/bpftime_driver.c" out/count_call.o
        x ./driver
        expect_rc 0 "./driver"
        expect_stdout "call 1 by thread 7
bpf_main returned 1
call 2 by thread 7
bpf_main returned 2
call 3 by thread 7
bpf_main returned 3" "./driver: the driver's helpers and map value"
        expect_stderr_empty "./driver"
}

# The index of map $1 in MAPS (set from maps_of).
index_of() { awk -v m="$1" '$0 == m { print NR - 1 }' <<<"$MAPS"; }

# --maps-by-fd: every map load asks the host's __lddw_helper_map_by_fd for the map's
# index in the object, and the helpers get what it returns.
case_maps_by_fd() {
        local c calls per_thread want
        c=$(obj compat)
        MAPS=$(maps_of "$c")
        calls=$(index_of calls)
        per_thread=$(index_of per_thread)
        expect_eq "$(sort <<<"$MAPS" | tr '\n' ' ')" "calls per_thread " "compat.bpf.o's maps"
        x "$BPF_AOT" build --maps-by-fd "$c" -o fd
        expect_rc 0 "build --maps-by-fd"
        expect_stderr_empty "build --maps-by-fd"
        "$CLI_NM" fd/tally.o >nm_tally
        expect_grep '^ +U __lddw_helper_map_by_fd$' nm_tally "tally.o asks the host for its maps"
        expect_no_grep '__map(s|_defs|_cnt)$' nm_tally "tally.o has no map tables"
        # The host prints the fds and the maps in fd order.
        want="bpf_main returned 1010
bpf_main returned 2020
bpf_main returned 3030
fds asked: $(printf '%s\n' "$calls" "$per_thread" | sort -n | xargs)
$(printf '%s\n' "$calls 0=3" "$per_thread 7=30" | sort -n | sed 's/^\([0-9]*\) /map \1: /')"
        host_link host "$CLI_SRC/maps_by_fd_host.c" fd/tally.o
        x ./host 3
        expect_rc 0 "./host 3 (tally built with --maps-by-fd)"
        expect_stdout "$want" "./host 3: the host's maps, by the fds it was asked"

        x "$BPF_AOT" compile --maps-by-fd --program tally "$c" -o tally_compiled.o
        expect_rc 0 "compile --maps-by-fd --program tally"
        host_link host2 "$CLI_SRC/maps_by_fd_host.c" tally_compiled.o
        x ./host2 3
        expect_stdout "$want" "compile --maps-by-fd: the same"

        # Such an object is the host's to run: `run` names what it lacks.
        x "$BPF_AOT" run fd/tally.o
        expect_rc 1 "run of a --maps-by-fd object"
        expect_err_line "^bpf-aot: fd/tally\.o: undefined symbol '__lddw_helper_map_by_fd'$" \
                "run of a --maps-by-fd object"

        for other in --inline-maps --skeleton; do
                x "$BPF_AOT" build --maps-by-fd "$other" "$c" -o bad
                expect_rc 2 "build --maps-by-fd $other"
                expect_err_line "^bpf-aot: build: --maps-by-fd leaves the maps to the host: not \
with $other$" "build --maps-by-fd $other"
                expect_no_file bad "build --maps-by-fd $other"
        done
        x "$BPF_AOT" compile --maps-by-fd --inline-maps --program tally "$c" -o bad.o
        expect_rc 2 "compile --maps-by-fd --inline-maps"
        expect_err_line "^bpf-aot: compile: --maps-by-fd leaves the maps to the host: not with \
--inline-maps$" "compile --maps-by-fd --inline-maps"
}

# Per-CPU maps of a --maps-by-fd host are the host's: no runtime CPU is held around a run.
case_maps_by_fd_percpu() {
        local pc
        pc=$(obj percpu)
        x "$BPF_AOT" build "$pc" --program count -o rt
        expect_rc 0 "build --program count"
        "$CLI_NM" rt/count.o >nm_rt
        expect_grep '^ +U bpfaot_rt_cpu_enter$' nm_rt "the runtime's maps: a CPU is held"
        x "$BPF_AOT" build --maps-by-fd "$pc" --program count -o fd
        expect_rc 0 "build --maps-by-fd --program count"
        "$CLI_NM" fd/count.o >nm_fd
        expect_no_grep 'bpfaot_rt_cpu_' nm_fd "the host's maps: no runtime CPU"
        expect_grep '^ +U __lddw_helper_map_by_fd$' nm_fd "the host's maps: by fd"
}

# Raw bytecode carries the map fd in its lddw (src 1), and a map value as fd and offset
# (src 2): the host is asked for that fd, and for the map's values.
case_maps_by_fd_raw() {
        cat >byfd.s <<'ASM'
stw [%r10-4], 5
stdw [%r10-16], 99
lddw %r1, map_fd 3
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
stw [%r10-4], 6
stdw [%r10-16], 123
lddw %r1, map_fd 3
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
lddw %r0, map_val 3, 8
ldxdw %r0, [%r0+0]
exit
ASM
        x "$BPF_AOT" asm byfd.s -o byfd.bin
        expect_rc 0 "asm byfd.s"
        for opt in "" --maps-by-fd; do
                # shellcheck disable=SC2086
                x "$BPF_AOT" compile $opt byfd.bin -o "byfd$opt.o"
                expect_rc 0 "compile $opt byfd.bin"
                host_link "host$opt" "$CLI_SRC/maps_by_fd_host.c" "byfd$opt.o"
                x "./host$opt" 1
                expect_rc 0 "./host 1 (raw bytecode, compile $opt)"
                expect_stdout "bpf_main returned 123
fds asked: 3
map 3: 5=99 6=123" "raw bytecode: fd 3 from the lddw, the value at offset 8 of its values"
        done
}

# --hex means one thing in asm and disasm: the bytecode is hex text.
case_hex_option() {
        printf '%s\n' 'mov %r0, 7' 'add %r0, %r2' 'exit' >seven.s
        x "$BPF_AOT" asm --hex seven.s -o seven.hex
        expect_rc 0 "asm --hex"
        expect_eq "$(cat seven.hex)" "$SEVEN_HEX" "asm --hex: 8 hex bytes per line"
        x "$BPF_AOT" asm seven.s -o seven.bin
        expect_eq "$(od -An -v -tx1 seven.bin | xargs)" "$(xargs <<<"$SEVEN_HEX")" \
                "asm without --hex: the same bytes, raw"
        for in in "--hex seven.hex" "seven.hex" "seven.bin"; do
                # shellcheck disable=SC2086
                x "$BPF_AOT" disasm $in
                expect_rc 0 "disasm $in"
                expect_stdout "$(cat seven.s)" "disasm $in"
        done
        x "$BPF_AOT" disasm --hex seven.bin
        expect_rc 1 "disasm --hex of raw bytecode"
        expect_err_line "^bpf-aot: seven\.bin: invalid hex character '.' at offset 0 \(--hex: \
the input must be hex text\)$" "disasm --hex of raw bytecode"
        expect_stdout_empty "disasm --hex of raw bytecode"
}
