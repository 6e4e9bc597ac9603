#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs an example's run.sh against this build and checks its output.
# Usage: examples_test.sh EXAMPLE   (environment: BPF_AOT_BUILD, EXAMPLES, WORK)
set -u -o pipefail
ex=${1:?example}
out=$WORK/$ex
rm -rf "$out" && mkdir -p "$out"
export OUT=$out
fail() { echo "FAIL - $ex: $*"; cat "$out/log"; exit 1; }

case $ex in
malloc-counter)
        "$EXAMPLES/malloc-counter/run.sh" 2500 >"$out/log" 2>&1 || fail "run.sh exited $?"
        grep -Eq '^pid [0-9]+: 2500 malloc calls \(this process\)$' "$out/log" ||
                fail "expected 2500 calls counted for this process"
        ;;
packet-filter)
        "$EXAMPLES/packet-filter/run.sh" >"$out/log" 2>&1 || fail "run.sh exited $?"
        # The generated stream, counted independently: every 7th packet is ARP; the
        # others go to ports 22, 23, 80, 443 (TCP) and 53 (UDP) in turn.
        want=$(awk 'BEGIN { split("22 23 80 443 53", p, " ");
                for (i = 0; i < 100000; i++) {
                        if (i % 7 == 0) continue;
                        ip++; port = p[i % 5 + 1];
                        if (port == 53) udp++; else { tcp++; if (port == 23) drop++ } }
                printf "packets 100000|ipv4 %d|tcp %d|udp %d|dropped %d", ip, tcp, udp, drop }')
        got=$(sed -n 's/^  \([a-z0-9]*\) *\([0-9]*\)$/\1 \2/p' "$out/log" | paste -sd'|')
        [[ $got == "$want" ]] || fail "counters '$got', expected '$want'"
        grep -q "^blocked port 23: " "$out/log" || fail "verdict line missing"
        # The host changes the rule through the skeleton's .data.
        "$EXAMPLES/packet-filter/run.sh" - 80 >"$out/log" 2>&1 || fail "run.sh - 80 exited $?"
        grep -q "^blocked port 80: " "$out/log" || fail "blocked port 80 not applied"
        ;;
shm-malloc)
        "$EXAMPLES/shm-malloc/run.sh" 2500 >"$out/log" 2>&1 || fail "run.sh exited $?"
        grep -q '^attach 1: uprobe  prog [0-9]*  /.*libc\.so\.6+0x[0-9a-f]*  pid -1$' "$out/log" ||
                fail "no attach request on libc in the segment"
        grep -q '^bpfaot-agent: .* attach 1: uprobe prog [0-9]* (count_malloc, compiled here) at malloc in /.*libc\.so\.6$' \
                "$out/log" || fail "the first target did not compile the program"
        grep -q '^bpfaot-agent: .* attach 1: uprobe prog [0-9]* (count_malloc, native code) at malloc in ' \
                "$out/log" || fail "the second target did not run the native code"
        pids=$(sed -n 's/^pid \([0-9]*\): 2500 mallocs$/\1/p' "$out/log")
        [ "$(echo "$pids" | wc -w)" = 2 ] || fail "expected two targets' lines"
        # The loader's last print: each target's calls, its 2500 and the few of its stdio.
        for p in $pids; do
                n=$(sed -n "s/^pid $p: \([0-9]*\) malloc calls$/\1/p" "$out/log" | tail -1)
                [ -n "$n" ] && [ "$n" -ge 2500 ] && [ "$n" -le 2516 ] ||
                        fail "pid $p: the loader counted '${n:-nothing}', expected 2500 and a few"
        done
        # The preloaded agent's lines: no segment, an unknown engine; the target runs on.
        agent=$BPF_AOT_BUILD/agent/libbpfaot-agent.so
        BPFAOT_SHM=shm-malloc-none-$$ BPFAOT_AGENT_ENGINE=fast LD_PRELOAD=$agent \
                "$out/shm_malloc_target" 3 >"$out/plain" 2>"$out/err" || fail "target under the agent failed"
        grep -qx 'pid [0-9]*: 3 mallocs' "$out/plain" || fail "the target did not run"
        printf '%s\n' "bpfaot-agent: BPFAOT_AGENT_ENGINE=fast is not auto, compile or interpret" \
                "bpfaot-agent: /shm-malloc-none-$$: no such segment" | cmp -s - "$out/err" ||
                { cat "$out/err"; fail "not the agent's two lines"; }
        ;;
seed-driver)
        "$EXAMPLES/seed-driver/run.sh" >"$out/log" 2>&1 || fail "run.sh exited $?"
        grep -qx 'hello from eBPF, 40 + 2 = 42' "$out/log" || fail "expected the program's output"
        ;;
*)
        fail "unknown example"
        ;;
esac
echo "ok   - $ex"
