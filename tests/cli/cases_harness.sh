# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The harness itself (sourced by cli_test.sh): a case that bash stops before its
# end, or in which bash reports an error, fails with one line saying so, whatever
# its checks said. Each broken case runs in a harness of its own, whose CLI_SRC
# holds only cases_broken.sh; a sound case there, with commands that fail through
# x, passes.

case_harness_errors() {
        mkdir broken
        # "unreachable" is checked only after what must stop the case.
        cat >broken/cases_broken.sh <<'EOF'
readonly BROKEN_RO=1
set_ro() { BROKEN_RO=2; }
clobber_n() { n='1 2'; }
quit() { exit 0; }
case_broken_arith() { ok before; echo $((1 / 0)); ok unreachable; }
case_broken_substitution() { ok before; echo "${1abc}"; ok unreachable; }
case_broken_readonly() { ok before; set_ro; ok unreachable; }
case_broken_clobber() { local n=3; ok before; clobber_n; ok "unreachable $((n + 1))"; }
case_broken_unbound() { ok before; echo "$broken_nosuch"; ok unreachable; }
case_broken_exit() { ok before; quit; ok unreachable; }
case_broken_silent() { ok before; set_ro 2>/dev/null; ok unreachable; }
case_broken_in_subshell() { ok before; expect_eq "$(echo "$broken_nosuch")" "" "empty"; ok after; }
case_broken_arith_command() { ok before; ((1 / 0)); ok after; }
case_broken_none() {
        x false
        expect_rc 1 "false"
        x broken_no_such_command
        expect_rc 127 "a command that does not exist"
        x cd /nonexistent
        expect_rc 1 "cd to nowhere"
        echo "a line on stderr" >&2
        ok "an early return"
        return
        bad "after the return"
}
EOF
        local c want files="cases_broken\\.sh: line [0-9]+:"
        for want in \
                "arith| stopped early: .*/$files 1 / 0: division by 0" \
                "substitution| stopped early: .*/$files \\$\\{1abc\\}: bad substitution$" \
                "readonly| stopped early: .*/$files BROKEN_RO: readonly variable$" \
                "clobber| stopped early: .*/$files 1 2: syntax error in expression" \
                "unbound| stopped early: .*/$files broken_nosuch: unbound variable$" \
                "exit| stopped early: the shell exited, status 0$" \
                "silent| stopped early: it did not reach its end$" \
                "in_subshell|: bash reported an error: .*/$files broken_nosuch: unbound variable$" \
                "arith_command|: bash reported an error: .*/$files \\(\\(: 1 / 0 ?: division by 0"; do
                c=${want%%|*}
                x env CLI_SRC="$PWD/broken" CLI_WORK="$PWD/work_$c" "$BASH" "$CLI_SRC/cli_test.sh" \
                        "broken_$c"
                expect_rc 1 "broken_$c"
                expect_eq "$(grep -c '^FAIL' _out)" 1 "broken_$c: one FAIL line"
                expect_grep "^FAIL - case 'broken_$c'${want#*|}" _out "broken_$c says why"
                expect_no_grep unreachable _out "broken_$c stopped"
                expect_grep "^broken_$c: [1-9] passed, 1 failed$" _out "broken_$c: counted as failed"
        done
        x env CLI_SRC="$PWD/broken" CLI_WORK="$PWD/work_none" "$BASH" "$CLI_SRC/cli_test.sh" broken_none
        expect_rc 0 "broken_none: commands failing through x are not bash's errors"
        expect_stdout "ok   - false: exit status 1
ok   - a command that does not exist: exit status 127
ok   - cd to nowhere: exit status 1
ok   - an early return
broken_none: 4 passed, 0 failed" "broken_none"
        expect_eq "$(cat _err)" "a line on stderr" "broken_none: the case's stderr is still shown"
}
