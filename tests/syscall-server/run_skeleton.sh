#!/bin/sh
# A bpftool skeleton's loader (loader_skel) under the syscall server, and a
# target under the agent: the target's calls of the probed function show up
# in the loader's skel->bss, and a value the loader wrote to skel->data
# after load reaches the program.
# usage: run_skeleton.sh SERVER_SO AGENT_SO LOADER TARGET BPF_AOT
set -eu
server=$1 agent=$2 loader=$3 target=$4 bpfaot=$5
seg="bpfaot-test-$$"
out=$(mktemp)
fail() { echo "run_skeleton.sh: $*" >&2; cat "$out" >&2; exit 1; }
trap 'kill "$lpid" 2>/dev/null || true; rm -f "$out" "$out.agent"; "$bpfaot" shm remove "$seg" 2>/dev/null || true' EXIT
san=$(ldd "$server" | awk '/lib(a|ub)san/ { printf "%s ", $3 }')
lpid=
BPFAOT_SHM=$seg LD_PRELOAD="$san$server" "$loader" "$target" 7 >"$out" &
lpid=$!
i=0
until grep -qx ready "$out"; do
        kill -0 "$lpid" 2>/dev/null || { wait "$lpid" || true; fail "the loader ended before it was ready"; }
        i=$((i + 1))
        [ "$i" -lt 300 ] || fail "the loader was not ready in 30 s"
        sleep 0.1
done
"$bpfaot" shm list "$seg"
"$bpfaot" shm list "$seg" | grep -q '^[0-9]*: array  name skel_cou.bss  key 4B  value [0-9]*B  max_entries 1  flags 0x400$' ||
        fail "no mmapable .bss map in the segment"
BPFAOT_SHM=$seg BPFAOT_AGENT_VERBOSE=1 LD_PRELOAD="$san$agent" "$target" 7 2>"$out.agent"
cat "$out.agent"
# The function is named from the executable's symbol table (it exports none).
grep -q "^bpfaot-agent: /$seg attach 1: uprobe prog [0-9]* (skel_count, compiled here) at skel_target_function in $target\$" \
        "$out.agent" || fail "the agent did not attach skel_count to skel_target_function by name"
st=0
wait "$lpid" || st=$?
lpid=
[ "$st" = 0 ] || fail "the loader failed (status $st)"
cat "$out"
grep -q '^loader_skel: calls 91, last from process [0-9]*$' "$out" || fail "no count of 7 calls"
