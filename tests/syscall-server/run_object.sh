#!/bin/sh
# Load OBJECT with LOADER under the syscall server on a segment of its own,
# then check with `bpf-aot shm list` that the segment holds the object's
# maps and its one program (the programs and maps of libbpf's feature probes
# withdrawn); run it through the agent (compiled in process); compile the
# program from the segment and load the code back (and the errors of both);
# run it through the agent again (that code); remove the segment.
# usage: run_object.sh SERVER_SO LOADER OBJECT BPF_AOT AGENT_RUN
set -eu
server=$1 loader=$2 object=$3 bpfaot=$4 agent_run=$5
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
grep -q '^prog [0-9]*: kprobe  name count_calls  insns [0-9]*  license GPL  bytecode [0-9a-f]*$' \
        "$out" || fail "no program count_calls"
id=$(sed -n 's/^prog \([0-9]*\): kprobe  name count_calls .*/\1/p' "$out")
grep -q "^attach 1: uprobe  prog $id  $loader+0x[0-9a-f]*  pid -1\$" "$out" ||
        fail "no uprobe attach request of count_calls on $loader"

# An application runs it through the agent: compiled in process, as nothing gave it code yet.
BPFAOT_SHM=$seg "$agent_run"

# bpf-aot compile builds it from the segment, bpf-aot load gives it the code.
dir=$(mktemp -d)
trap 'rm -f "$out"; rm -rf "$dir"; "$bpfaot" shm remove "$seg" 2>/dev/null || true' EXIT
"$bpfaot" compile --shm "$seg" -o "$dir"
[ -f "$dir/count_calls.o" ] || fail "compile wrote no count_calls.o"
"$bpfaot" load "$dir/count_calls.o" "$id" --shm "$seg"
size=$(stat -c %s "$dir/count_calls.o")
"$bpfaot" shm list "$seg" | grep -q "^prog $id: kprobe  name count_calls .*  native ${size}B\$" ||
        fail "no native code after load"
# The agent runs that code now.
BPFAOT_SHM=$seg "$agent_run"
# Code compiled from other instructions, an object without the hash, a program that is not there.
printf 'b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00' >"$dir/one.hex"
"$bpfaot" compile "$dir/one.hex" -o "$dir/one.o"
expect_fail() { # STATUS LINE-PATTERN COMMAND...
        st=$1 pat=$2
        shift 2
        rc=0
        "$@" 2>"$dir/err" || rc=$?
        [ "$rc" = "$st" ] || fail "$*: exit status $rc, expected $st"
        grep -qx -- "$pat" "$dir/err" || { cat "$dir/err" >&2; fail "$*: no line $pat"; }
}
expect_fail 1 "bpf-aot: load: $dir/one.o: compiled from other instructions than program $id of /$seg (bytecode [0-9a-f]*, the program's [0-9a-f]*)" \
        "$bpfaot" load "$dir/one.o" "$id" --shm "$seg"
expect_fail 1 "bpf-aot: load: $object: no bpf_main__bytecode_hash (compile the program with 'bpf-aot compile')" \
        "$bpfaot" load "$object" "$id" --shm "$seg"
expect_fail 1 "bpf-aot: load: /$seg: no program 999" "$bpfaot" load "$dir/count_calls.o" 999 --shm "$seg"
expect_fail 1 "bpf-aot: compile: /$seg: no program 999" "$bpfaot" compile --shm "$seg" --id 999 -o "$dir/x"
[ ! -e "$dir/x" ] || fail "a failed compile left $dir/x"
expect_fail 1 "bpf-aot: compile: /$seg-none: no such segment" "$bpfaot" compile --shm "$seg-none" -o "$dir/x"
