#!/bin/sh
# A libbpf loader (loader_perfbuf) reading a PERF_EVENT_ARRAY with
# perf_buffer__poll() under the syscall server, and a target under the agent
# whose uprobe program sends to it with bpf_perf_event_output() from another
# process: the loader gets exactly the events of the target's calls; `bpf-aot
# shm dump` then shows each CPU's ring, every record read.
# usage: run_perfbuf.sh SERVER_SO AGENT_SO LOADER OBJECT TARGET BPF_AOT
set -eu
server=$1 agent=$2 loader=$3 object=$4 target=$5 bpfaot=$6
seg="bpfaot-test-perfbuf-$$"
calls=401
script=run_perfbuf.sh
. "$(dirname "$0")/loader_lib.sh"
start_loader "$loader" "$object" "$target" "$calls"
wait_line ready 30
"$bpfaot" shm list "$seg" | grep -q '^[0-9]*: perf_event_array  name events  key 4B  value 4B  max_entries [1-9][0-9]*  flags 0x0$' ||
        fail "no perf event array in the segment"
# Calls 2 ms apart, each on the next CPU: the loader reads while the target sends, round the rings.
BPFAOT_SHM=$seg BPFAOT_AGENT_VERBOSE=1 LD_PRELOAD="$san$agent" "$target" "$calls" 2000 2>"$out.agent" ||
        { cat "$out.agent" >&2; fail "the target failed"; }
grep -q "^bpfaot-agent: /$seg attach 1: uprobe prog [0-9]* (on_call, compiled here) at perfbuf_target_function in $target\$" \
        "$out.agent" || { cat "$out.agent" >&2; fail "the agent did not attach on_call"; }
wait_line done 60
cat "$out"
grep -q "^loader_perfbuf: $calls events from process [0-9]*, 0 lost, on [0-9]* CPUs\$" "$out" ||
        fail "not $calls events"
# The target ran its calls on each CPU it may use in turn: each of those CPUs' rings got some.
cpus=$(nproc)
grep -q " on $cpus CPUs\$" "$out" || fail "the events did not come from each of the $cpus CPUs"
# Each online CPU has its ring of 2 pages, read to its head; the records (odd calls 48 bytes, even
# ones 40: header, size, padded data) add up to what the target sent.
"$bpfaot" shm dump "$seg" >"$out.dump" || { cat "$out.dump" >&2; fail "shm dump failed"; }
cat "$out.dump"
rings=$(grep -c '^cpu [0-9]*: event [0-9]*  ring 2 pages (8192 bytes), head [0-9]*, tail [0-9]*, 0 bytes pending, 0 lost$' "$out.dump") ||
        fail "shm dump shows no ring"
online=$(awk -F, '{ n = 0; for (i = 1; i <= NF; i++) { split($i, r, "-"); n += (r[2] == "" ? 1 : r[2] - r[1] + 1) } print n }' /sys/devices/system/cpu/online)
[ "$rings" = "$online" ] || fail "shm dump shows $rings rings for $online online CPUs"
grep -qx "Found $online events" "$out.dump" || fail "shm dump does not count the events"
bytes=$(sed -n 's/^cpu [0-9]*: .* head \([0-9]*\), tail \1, .*/\1/p' "$out.dump" | awk '{ s += $1 } END { print s }')
want=$(((calls / 2) * 48 + (calls - calls / 2) * 40))
[ "$bytes" = "$want" ] || fail "the rings hold $bytes bytes of records, not $want"
exec 3>&-
st=0
wait "$lpid" || st=$?
lpid=
[ "$st" = 0 ] || fail "the loader failed (status $st)"
grep -qx freed "$out" || fail "the loader did not free its perf buffer"
