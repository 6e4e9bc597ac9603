#!/bin/sh
# Run LOADER with the syscall server preloaded on a segment of its own, then
# check that the segment outlives it and remove the segment.
# usage: run_loader.sh SERVER_SO LOADER
set -eu
server=$1 loader=$2
seg="bpfaot-test-$$"
err=$(mktemp)
trap 'rm -f "$err" "/dev/shm/$seg"' EXIT
# A sanitizer's runtime must come first in the process: preload it before the server.
san=$(ldd "$server" | awk '/lib(a|ub)san/ { printf "%s ", $3 }')
BPFAOT_SHM=$seg LD_PRELOAD="$san$server" "$loader" 2>"$err" || { cat "$err" >&2; exit 1; }
cat "$err" >&2
# The command the server does not answer is named on one line.
grep -q '^bpfaot-syscall-server: bpf command PROG_GET_FD_BY_ID (13) is not supported$' "$err" ||
        { echo "run_loader.sh: no log line for PROG_GET_FD_BY_ID" >&2; exit 1; }
[ -e "/dev/shm/$seg" ] || { echo "run_loader.sh: segment $seg is gone" >&2; exit 1; }
# Maps without keys in the segment: a queue's and a stack's next value, and a bloom filter; an
# LPM_TRIE's prefixes as addresses.
if [ -n "${BPF_AOT:-}" ]; then
        out=$("$BPF_AOT" shm dump "$seg")
        printf '%s\n' "$out"
        for want in '^[0-9]*: queue  name queue  key 0B  value 8B  max_entries 4  flags 0x0$' \
                '^[0-9]*: stack  name stack  key 0B  value 8B  max_entries 4  flags 0x0$' \
                '^next value: 2a 00 00 00 00 00 00 00$' \
                '^[0-9]*: bloom_filter  name seen  key 0B  value 8B  max_entries 100  flags 0x40$' \
                "^(a bloom filter's values cannot be listed)\$" \
                '^[0-9]*: lpm_trie  name routes  key 8B  value 8B  max_entries 3  flags 0x1$' \
                '^prefix: 10.1.2.0/24  value: 03 00 00 00 00 00 00 00$' \
                '^prefix: 10.0.0.0/8  value: 01 00 00 00 00 00 00 00$'; do
                printf '%s\n' "$out" | grep -q -- "$want" ||
                        { echo "run_loader.sh: shm dump: no line $want" >&2; exit 1; }
        done
        [ "$(printf '%s\n' "$out" | grep -c '^next value: 2a ')" = 2 ] ||
                { echo "run_loader.sh: shm dump: not two next values" >&2; exit 1; }
fi
