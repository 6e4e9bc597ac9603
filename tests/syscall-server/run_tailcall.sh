#!/bin/sh
# A libbpf loader (loader_tailcall) under the syscall server loads an object
# whose PROG_ARRAY and maps of maps it fills from their declared contents
# (and checks the kernel's answers to updates of them); a target under the
# agent then makes N calls whose uprobe program counts through the maps of
# maps and tail-calls through the PROG_ARRAY: first compiled in the target,
# then with the code `bpf-aot compile` and `bpf-aot load` put in the
# segment. The loader checks the counts exactly after each round;
# `bpf-aot shm dump` shows the slots' ids, and the counts of the map the
# loader closed while a slot held it.
# usage: run_tailcall.sh SERVER_SO AGENT_SO LOADER OBJECT TARGET BPF_AOT
set -eu
server=$1 agent=$2 loader=$3 object=$4 target=$5 bpfaot=$6
seg="bpfaot-test-tailcall-$$"
calls=103
script=run_tailcall.sh
. "$(dirname "$0")/loader_lib.sh"
dir=$(mktemp -d)
cleanup=$dir
start_loader "$loader" "$object" "$target" "$calls"
wait_line ready 30
"$bpfaot" shm list "$seg" >"$out.list"
cat "$out.list"
for m in 'prog_array  name jmp  key 4B  value 4B  max_entries 2' \
        'array_of_maps  name by_index  key 4B  value 4B  max_entries 2' \
        'hash_of_maps  name by_key  key 4B  value 4B  max_entries 8'; do
        grep -q "^[0-9]*: $m  flags 0x0\$" "$out.list" || fail "no map '$m' in the segment"
done
id_of() { # NAME: the id of program NAME
        sed -n "s/^prog \([0-9]*\): kprobe  name $1 .*/\1/p" "$out.list"
}
on_call=$(id_of on_call) count_more=$(id_of count_more)
[ -n "$on_call" ] && [ -n "$count_more" ] || fail "no programs on_call and count_more"

# Round 1: both programs compiled in the target.
round() { # N HOW
        BPFAOT_SHM=$seg BPFAOT_AGENT_VERBOSE=1 LD_PRELOAD="$san$agent" "$target" "$calls" 2>"$out.agent" ||
                { cat "$out.agent" >&2; fail "the target failed (round $1)"; }
        grep -q "^bpfaot-agent: /$seg attach 1: uprobe prog $on_call (on_call, $2) at ringbuf_target_function in $target\$" \
                "$out.agent" || { cat "$out.agent" >&2; fail "the agent did not attach on_call ($2)"; }
        echo "check $1" >&3
        wait_line "checked $1" 30
}
round 1 "compiled here"

# Round 2: the code bpf-aot compile made from the segment, loaded into it.
"$bpfaot" compile --shm "$seg" -o "$dir"
"$bpfaot" load "$dir/on_call.o" "$on_call" --shm "$seg"
"$bpfaot" load "$dir/count_more.o" "$count_more" --shm "$seg"
round 2 "native code"

"$bpfaot" shm dump "$seg" >"$out.dump" || { cat "$out.dump" >&2; fail "shm dump failed"; }
cat "$out.dump"
for l in "key: 0  value: prog id $count_more (count_more)" 'key: 0  value: map id [0-9]* (calls_a)' \
        'key: 5  value: map id [0-9]* (calls_b)'; do
        grep -qx "$l" "$out.dump" || fail "shm dump has no line '$l'"
done
# The map the loader closed in slot 1 of by_index: kept, counted in.
late=$(sed -n 's/^\([0-9]*\): array  name late .*/\1/p' "$out.list")
[ -n "$late" ] || fail "no map late in the segment"
grep -qx "key: 1  value: map id $late (late)" "$out.dump" || fail "shm dump has no slot 1 of by_index"
"$bpfaot" shm dump "$seg" --id "$late" >"$out.dump"
for k in 0 1 2 3; do # two rounds' calls with x % 4 == k (below 256: one byte of the u64)
        n=$((2 * ((calls + 3 - k) / 4)))
        [ "$n" -lt 256 ] || fail "too many calls for this check"
        v=$(printf '%02x 00 00 00 00 00 00 00' "$n")
        grep -qx "key: 0$k 00 00 00  value: $v" "$out.dump" || { cat "$out.dump" >&2; fail "late[$k] is not $v"; }
done
exec 3>&-
st=0
wait "$lpid" || st=$?
lpid=
[ "$st" = 0 ] || fail "the loader failed (status $st)"
