# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Objects as old compilers wrote them (sourced by cli_test.sh): programs whose
# entry symbols have no type and no size (legacy_syms.c rewrites progs.bpf.o
# that way) build and run as the same object with typed symbols does.

case_legacy_symbols() {
        local p prog want
        p=$(obj progs)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$CLI_CHECKS/cli_legacy_syms" "$p" legacy.bpf.o
        expect_rc 0 "legacy_syms progs.bpf.o"
        x "$BPF_AOT" build legacy.bpf.o -o out
        expect_rc 0 "build of an object whose programs are untyped global symbols"
        expect_eq "$(cd out && echo *.o)" "mix.o sum_bytes.o" "one program per entry symbol"
        mkmem mem.bin 300 11
        for prog in sum_bytes mix; do
                x "$BPF_AOT" run --program $prog "$p" mem.bin
                want=$(cat _out)
                x "$BPF_AOT" run out/$prog.o mem.bin
                expect_stdout "$want" "legacy $prog compiled runs as the typed object's"
                x "$BPF_AOT" run --interp --program $prog legacy.bpf.o mem.bin
                expect_stdout "$want" "legacy $prog interpreted runs as the typed object's"
        done
}

# oldsample.bpf.c (SEC("maps") maps, no BTF), as built and with untyped
# program symbols: the same programs, the same results.
case_legacy_sample() {
        local p o prog
        p=$(obj oldsample)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$CLI_CHECKS/cli_legacy_syms" "$p" untyped.bpf.o
        expect_rc 0 "legacy_syms oldsample.bpf.o"
        printf '\x15\x00' >mem.bin
        for o in "$p" untyped.bpf.o; do
                x "$BPF_AOT" build "$o" -o "out-$(basename "$o")"
                expect_rc 0 "build $(basename "$o")"
                expect_eq "$(cd "out-$(basename "$o")" && echo *.o)" "count_runs.o first_byte.o" \
                        "$(basename "$o"): one program per section"
                x "$BPF_AOT" run --repeat 3 "out-$(basename "$o")/count_runs.o"
                expect_stdout "3" "$(basename "$o"): count_runs counts in its SEC(\"maps\") map"
                for prog in "-O 0 --program first_byte" "--interp --program first_byte"; do
                        # shellcheck disable=SC2086
                        x "$BPF_AOT" run $prog "$o" mem.bin
                        expect_stdout "42" "$(basename "$o"): run $prog"
                done
        done
}

# Every shape of object the ebpf-samples corpus holds builds: programs in
# named sections, in .text only, with untyped entry symbols, with SEC("maps")
# maps and no BTF, maps and data only (a skeleton).
case_corpus_shapes() {
        local shape name flags want
        x "$CLI_CHECKS/cli_legacy_syms" "$(obj oldsample)" oldsample_untyped.bpf.o
        expect_rc 0 "legacy_syms oldsample.bpf.o"
        for shape in "progs||mix.o sum_bytes.o" "subprogs||subprogs_main.o subprogs_second.o" \
                "textprogs||text_first.o text_second.o" "oldsample||count_runs.o first_byte.o" \
                "./oldsample_untyped||count_runs.o first_byte.o" \
                "mapsonly|--skeleton|mapsonly.aot.h mapsonly.aot.o"; do
                IFS='|' read -r name flags want <<<"$shape"
                if [[ $name == ./* ]]; then name=$name.bpf.o; else name=$(obj "$name"); fi
                [[ -s $name ]] || { bad "test input $name is missing"; continue; }
                # shellcheck disable=SC2086
                x "$BPF_AOT" build $flags "$name" -o "out-$(basename "$name")"
                expect_rc 0 "build $flags $(basename "$name")"
                expect_stderr_empty "build $flags $(basename "$name")"
                expect_eq "$(cd "out-$(basename "$name")" && echo *)" "$want" \
                        "$(basename "$name"): what it builds"
        done
}

# maps.bpf.c built without -g: its map is BTF-defined, and no BTF describes it. The build is
# refused with the reason, and how to fix it, in one line; nothing is written.
case_maps_without_btf() {
        local p
        p=$(obj maps_nobtf)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        for how in "build --program count_hits $p -o out" "run $p"; do
                # shellcheck disable=SC2086 # the command's words
                x "$BPF_AOT" $how
                expect_rc 1 "$how"
                expect_err_line "^bpf-aot: $p: count_hits: insn [0-9]+: lddw %r1, 0x0: unresolved relocation against map 'hits' \\(no BTF describes the \\.maps section: build the object with -g\\)$" \
                        "$how names the map, and why it cannot read it"
        done
        expect_no_files_in out "build of a BTF map without BTF"
}
