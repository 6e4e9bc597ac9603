# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# -j: programs compiled at once (sourced by cli_test.sh).

# Many programs on several threads give the objects one thread gives, and
# the same messages in the same order.
case_build_jobs() {
        local o f
        o=$(obj sandbox_hostile)
        x "$BPF_AOT" build "$o" -o one -j 1
        expect_rc 0 "build -j 1"
        x "$BPF_AOT" build "$o" -o four -j 4
        expect_rc 0 "build -j 4"
        expect_eq "$(cd four && ls | tr '\n' ' ')" "$(cd one && ls | tr '\n' ' ')" "build -j 4: files"
        [ "$(cd one && ls | wc -l)" -ge 8 ] || bad "sandbox_hostile has fewer programs than expected"
        for f in one/*.o; do
                if cmp -s "$f" "four/${f#one/}"; then
                        ok "build -j 4: ${f#one/} is -j 1's"
                else
                        bad "build -j 4: ${f#one/} differs from -j 1's"
                fi
        done
        x "$BPF_AOT" build "$o" -o cpus --jobs 0 -e
        expect_rc 0 "build --jobs 0 -e (one per CPU)"
        expect_eq "$(cd cpus && ls | wc -l)" "$(cd one && ls | wc -l)" "build --jobs 0: as many files"

        # Every failing program is reported, in program order, and nothing is written.
        local p
        p=$(obj progs)
        x "$BPF_AOT" build "$p" --max-insns 5 -o one_fail -j 1
        expect_rc 1 "build --max-insns 5 -j 1"
        mv _err one_fail.err
        x "$BPF_AOT" build "$p" --max-insns 5 -o four_fail -j 4
        expect_rc 1 "build --max-insns 5 -j 4"
        expect_eq "$(wc -l <_err)" 2 "build -j 4: both programs reported"
        expect_eq "$(sed -n 's/^bpf-aot: .*: \([a-z_]*\): program has [0-9]* instructions, more than the limit of 5$/\1/p' _err | tr '\n' ' ')" \
                "sum_bytes mix " "build -j 4: each program's error, in program order"
        if cmp -s _err one_fail.err; then
                ok "build -j 4: the messages of -j 1, in the same order"
        else
                bad "build -j 4: messages differ from -j 1's"
        fi
        expect_no_files_in four_fail "build -j 4 with failures"

        # Bad values.
        x "$BPF_AOT" build "$p" -o bad -j x
        expect_rc 2 "build -j x"
        expect_err_line "^bpf-aot: build: -j takes a number of programs to compile at once \(0-1024; 0: one per CPU\)$" \
                "build -j x"
        x "$BPF_AOT" build "$p" -o bad -j -3
        expect_rc 2 "build -j -3"
        x "$BPF_AOT" compile "$p" --program mix -o mix.o -j 2
        expect_rc 0 "compile -j 2 (one program)"
}
