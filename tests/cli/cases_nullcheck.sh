# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Dereferences of possibly-NULL map values (sourced by cli_test.sh):
# nullcheck.bpf.c reads a map value before comparing it with NULL, which
# the kernel refuses and bpf-aot refuses in one located line (build, and
# verify after its log); the checked program of the same object is accepted.

case_nullcheck_unchecked() {
        local p=$CLI_OBJS/nullcheck.bpf.o
        local msg="unchecked: insn [0-9]+: ldxdw %r0, \\[%r0\\+0\\]: r0 may be NULL \\(map_lookup_elem at insn [0-9]+\\) when dereferenced$"
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build "$p" -o out
        expect_rc 1 "build nullcheck.bpf.o"
        expect_err_line "^bpf-aot: $p: $msg" "build names the load through the unchecked map value"
        expect_no_file out/checked.o "a failed build publishes nothing"
        x "$BPF_AOT" build --program checked "$p" -o out
        expect_rc 0 "build --program checked"
        expect_file out/checked.o "checked (compared with NULL first) built"
        x "$BPF_AOT" verify --program unchecked "$p"
        expect_rc 1 "verify --program unchecked nullcheck.bpf.o"
        expect_err_line "^bpf-aot: $p: $msg" "verify names the load through the unchecked map value"
        expect_grep '^verdict: refused \(see the message\)$' _out "the log ends in the refusal"
        expect_grep 'R0=map_value_or_null\(map=0,off=0\)' _out "the log shows the maybe-NULL value"
        x "$BPF_AOT" verify --program checked "$p"
        expect_rc 0 "verify --program checked (compared with NULL first)"
        expect_grep '^verdict: accepted ' _out "checked: accepted"
}
