#!/bin/sh
# A libbpf loader (loader_ringbuf) consuming a RINGBUF with ring_buffer__poll()
# under the syscall server, and a target under the agent whose uprobe program
# produces into it from another process: the loader gets exactly the events of
# the target's calls; `bpf-aot shm dump` then shows the ring's positions.
# usage: run_ringbuf.sh SERVER_SO AGENT_SO LOADER OBJECT TARGET BPF_AOT
set -eu
server=$1 agent=$2 loader=$3 object=$4 target=$5 bpfaot=$6
seg="bpfaot-test-ringbuf-$$"
calls=601
script=run_ringbuf.sh
. "$(dirname "$0")/loader_lib.sh"
start_loader "$loader" "$object" "$target" "$calls"
wait_line ready 30
"$bpfaot" shm list "$seg" | grep -q '^[0-9]*: ringbuf  name events  key 0B  value 0B  max_entries 8192  flags 0x0$' ||
        fail "no ring buffer in the segment"
# Calls 2 ms apart: the loader consumes while the target produces, round the ring three times.
BPFAOT_SHM=$seg BPFAOT_AGENT_VERBOSE=1 LD_PRELOAD="$san$agent" "$target" "$calls" 2000 2>"$out.agent" ||
        { cat "$out.agent" >&2; fail "the target failed"; }
grep -q "^bpfaot-agent: /$seg attach 1: uprobe prog [0-9]* (on_call, compiled here) at ringbuf_target_function in $target\$" \
        "$out.agent" || { cat "$out.agent" >&2; fail "the agent did not attach on_call"; }
wait_line done 60
cat "$out"
grep -q '^loader_ringbuf: 451 events from process [0-9]*$' "$out" || fail "not 450 events"
# 601 records of 40 bytes (with their headers) produced, all consumed.
"$bpfaot" shm dump "$seg" >"$out.dump" || { cat "$out.dump" >&2; fail "shm dump failed"; }
cat "$out.dump"
grep -qx 'ring: 8192 bytes, producer position 24040, consumer position 24040, 0 bytes pending' "$out.dump" ||
        fail "shm dump does not show the ring's positions"
exec 3>&-
st=0
wait "$lpid" || st=$?
lpid=
[ "$st" = 0 ] || fail "the loader failed (status $st)"
