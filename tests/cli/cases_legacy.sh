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
