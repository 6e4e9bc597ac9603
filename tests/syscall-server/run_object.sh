#!/bin/sh
# Load OBJECT with LOADER under the syscall server on a segment of its own,
# then check with `bpf-aot shm list` that the segment holds the object's
# maps and its one program (the programs and maps of libbpf's feature probes
# withdrawn), and remove it.
# usage: run_object.sh SERVER_SO LOADER OBJECT BPF_AOT
set -eu
server=$1 loader=$2 object=$3 bpfaot=$4
seg="bpfaot-test-$$"
out=$(mktemp)
trap 'rm -f "$out"; "$bpfaot" shm remove "$seg" 2>/dev/null || true' EXIT
san=$(ldd "$server" | awk '/lib(a|ub)san/ { printf "%s ", $3 }')
BPFAOT_SHM=$seg LD_PRELOAD="$san$server" "$loader" "$object"
"$bpfaot" shm list "$seg" >"$out"
cat "$out"
fail() { echo "run_object.sh: $*" >&2; exit 1; }
grep -q '^[0-9]*: hash  name counts  key 4B  value 8B  max_entries 64 ' "$out" || fail "no map counts"
# The object's three maps, and nothing else (the probes' maps withdrawn).
grep -q '^segment /[^:]*: version 1, size [0-9]*, used [0-9]*, 3 maps$' "$out" || fail "not 3 maps"
[ "$(grep -c '^prog ' "$out")" = 1 ] || fail "not exactly one program"
grep -q '^prog [0-9]*: kprobe  name count_calls  insns [0-9]*  license GPL  bytecode ' "$out" ||
        fail "no program count_calls"
