#!/bin/sh
# A libbpf loader (loader_userring) producing into a USER_RINGBUF with
# user_ring_buffer__reserve(), __reserve_blocking(), __submit() and
# __discard() under the syscall server, and a target under the agent whose
# uprobe program drains it with bpf_user_ringbuf_drain from another process:
# the program gets exactly the samples submitted, in order (the loader checks
# the counts and sums it kept); `bpf-aot shm dump` then shows the ring's
# positions.
# usage: run_userring.sh SERVER_SO AGENT_SO LOADER OBJECT TARGET BPF_AOT
set -eu
server=$1 agent=$2 loader=$3 object=$4 target=$5 bpfaot=$6
seg="bpfaot-test-userring-$$"
samples=2000
script=run_userring.sh
. "$(dirname "$0")/loader_lib.sh"
stop=$(mktemp -u)
cleanup=$stop
start_loader "$loader" "$object" "$target" "$samples"
wait_line ready 30
"$bpfaot" shm list "$seg" | grep -q '^[0-9]*: user_ringbuf  name samples  key 0B  value 0B  max_entries 4096  flags 0x0$' ||
        fail "no user ring buffer in the segment"
# The ring is full (128 records of 32 bytes with their headers), nothing drained yet.
"$bpfaot" shm dump "$seg" >"$out.dump" || { cat "$out.dump" >&2; fail "shm dump failed"; }
grep -qx 'ring: 4096 bytes, producer position 4096, consumer position 0, 4096 bytes pending' "$out.dump" ||
        { cat "$out.dump" >&2; fail "shm dump does not show the full ring"; }
# Calls 2 ms apart until the loader is done; each drains what the loader produced meanwhile.
BPFAOT_SHM=$seg BPFAOT_AGENT_VERBOSE=1 LD_PRELOAD="$san$agent" "$target" "$stop" 2000 30000 \
        >"$out.target" 2>"$out.agent" &
tpid=$!
pids=$tpid
wait_line done 90
touch "$stop"
st=0
wait "$tpid" || st=$?
pids=
[ "$st" = 0 ] || { cat "$out.agent" "$out.target" >&2; fail "the target failed (status $st)"; }
grep -q "^bpfaot-agent: /$seg attach 1: uprobe prog [0-9]* (on_call, compiled here) at userring_target_function in $target\$" \
        "$out.agent" || { cat "$out.agent" >&2; fail "the agent did not attach on_call"; }
cat "$out" "$out.target"
# 2000 samples and 285 discards (every eighth of 2285 reservations), 32 bytes each with their headers.
grep -qx 'loader_userring: 2000 samples drained, 285 discarded, sum 1999006031000' "$out" ||
        fail "not the 2000 samples expected"
"$bpfaot" shm dump "$seg" >"$out.dump" || { cat "$out.dump" >&2; fail "shm dump failed"; }
cat "$out.dump"
grep -qx 'ring: 4096 bytes, producer position 73120, consumer position 73120, 0 bytes pending' "$out.dump" ||
        fail "shm dump does not show the ring's positions"
exec 3>&-
st=0
wait "$lpid" || st=$?
lpid=
[ "$st" = 0 ] || fail "the loader failed (status $st)"
