# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Dereferences of possibly-NULL map values (sourced by cli_test.sh):
# nullcheck.bpf.c reads a map value before comparing it with NULL, which
# the kernel refuses and bpf-aot build must refuse in one located line; the
# checked program of the same object builds.

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
        if [[ -s out/checked.o ]]; then
                ok "checked (compared with NULL first) built"
        else
                bad "checked (compared with NULL first) was not built"
        fi
}
