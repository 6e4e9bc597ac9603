# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Runtime helpers used from compiled eBPF (sourced by cli_test.sh):
# helpers.bpf.c run through `bpf-aot run` at -O0 and -O2 (callbacks the
# runtime calls natively, a timer firing on the runtime's thread), and the
# build-time warning for helpers the runtime lacks (helpers_missing.bpf.c).

# run --program NAME helpers.bpf.o at -O0 and -O2: stdout is exactly WANT.
helpers_run() { # helpers_run NAME WANT WHAT
        local p o
        p=$(obj helpers)
        for o in 0 2; do
                x timeout 30 "$BPF_AOT" run -O $o --program "$1" "$p"
                expect_rc 0 "-O $o run --program $1"
                expect_stdout "$2" "-O $o $3"
                expect_stderr_empty "-O $o run --program $1"
        done
}

# for_each_map_elem over squares[k] = k * k, k = 1..10: 10 elements summing
# to 385, a walk the callback stops at the third element (3 visited), and
# flags 1 refused with -EINVAL.
case_helpers_for_each() {
        helpers_run each $((10 * 1000000 + 385 * 100 + 3 * 10 + 3)) \
                "for_each_map_elem: count, sum, stopped walk, flags"
}

# bpf_printk with five arguments becomes trace_vprintk: the line, then r0 (its length).
case_helpers_vprintk() {
        helpers_run vprintk $'1 2 3 4 five\n13' "trace_vprintk prints five arguments"
}

# strtoul("0x1fz", base 0) = 31 in 4 characters; strtol(" -12,", 10) = -12 in 4.
case_helpers_strtol() {
        helpers_run parse $((31 * 10000 + 4 * 1000 + 12 * 10 + 4)) "strtoul and strtol"
}

# Six dynptr checks on a stack buffer and a ring-buffer record (16 bytes queued).
case_helpers_dynptr() {
        helpers_run dynptr $((6 * 100 + 16)) "dynptr over the stack and a ring buffer"
}

# A 1 ms timer's callback runs (map, key 1, value) while the program waits for it.
case_helpers_timer() {
        helpers_run timer $((7 * 10 + 1)) "the timer callback ran with its element's key"
        # A timer due in an hour: the exit frees its map, which cancels it at once.
        SECONDS=0
        helpers_run timer_pending 42 "a pending timer at exit"
        if ((SECONDS < 20)); then ok "pending timers do not hold up the exit"; else bad "exit waited for a pending timer (${SECONDS} s)"; fi
}

# get_stack from compiled code: whole return addresses, the first not 0.
case_helpers_get_stack() {
        helpers_run stack 1 "get_stack of the running program"
}

# A helper the runtime lacks is named once per program at build time; the
# object still builds (a host may define _bpf_helper_ext_NNNN itself).
case_helpers_missing() {
        local p want
        p=$(obj helpers_missing)
        want="bpf-aot: $p: warning: program uses_missing: helper 35 (get_current_task) is not provided by the runtime
bpf-aot: $p: warning: program uses_missing: helper 9999 is not provided by the runtime"
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build helpers_missing.bpf.o"
        expect_eq "$(cat _err)" "$want" "build names the missing helpers"
        [[ -s out/uses_missing.o ]] && ok "the object is built" || bad "out/uses_missing.o is missing"
        x "$BPF_AOT" build --skeleton "$p" -o sk
        expect_rc 0 "build --skeleton helpers_missing.bpf.o"
        expect_eq "$(cat _err)" "$want" "build --skeleton names the missing helpers"
        x "$BPF_AOT" compile "$p" -o one.o
        expect_rc 0 "compile helpers_missing.bpf.o"
        expect_eq "$(cat _err)" "$want" "compile names the missing helpers"
        # Helpers the runtime has: no warning.
        x "$BPF_AOT" build "$(obj helpers)" -o all
        expect_rc 0 "build helpers.bpf.o"
        expect_stderr_empty "build helpers.bpf.o (every helper is the runtime's)"
        # tail_call is compiled to the runtime's own entry, not a helper symbol.
        x "$BPF_AOT" build --skeleton "$(obj tailcall)" -o tc
        expect_rc 0 "build --skeleton tailcall.bpf.o"
        expect_stderr_empty "build --skeleton tailcall.bpf.o (no warning for tail_call)"
}
