#!/bin/sh
# Run LOADER (loader_attach.c) on OBJECT under the syscall server on a segment
# of its own, at the first cgroup v2 mount if there is one; check the
# server's line for each bad input the loader fed, then with `bpf-aot shm
# list` the attach requests it left: a tracepoint, a program at a map and
# (with a cgroup) one at the cgroup.
# usage: run_attach.sh SERVER_SO LOADER OBJECT BPF_AOT
set -eu
server=$1 loader=$2 object=$3 bpfaot=$4
seg="bpfaot-test-attach-$$"
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"; "$bpfaot" shm remove "$seg" 2>/dev/null || true' EXIT
fail() { echo "run_attach.sh: $*" >&2; exit 1; }
san=$(ldd "$server" | awk '/lib(a|ub)san/ { printf "%s ", $3 }')
cg=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$cg" ] || echo "run_attach.sh: no cgroup v2 mount: attaching at a cgroup is not tested" >&2
rc=0
BPFAOT_SHM=$seg LD_PRELOAD="$san$server" "$loader" "$object" ${cg:+"$cg"} 2>"$err" || rc=$?
[ "$rc" = 0 ] || { cat "$err" >&2; fail "loader_attach failed ($rc)"; }

# One line per bad input, and no other line of the server's.
n=0
expect_n() { # COUNT LINE-PATTERN (after the server's prefix)
        n=$((n + $1))
        [ "$(grep -cx -- "bpfaot-syscall-server: $2" "$err")" = "$1" ] ||
                { cat "$err" >&2; fail "not $1 line(s): $2"; }
}
expect() { expect_n 1 "$1"; }
expect 'perf_event_open: tracepoint id 12345 was not handed out by the server (read from tracefs events/<category>/<name>/id)'
expect 'perf_event_open: tracepoint id [0-9]\{6,\} was not handed out by the server (read from tracefs events/<category>/<name>/id)'
expect 'tracepoint /sys/kernel/tracing/events/xxxxxxxxxx/x*/id: the name is longer than 255 bytes'
expect 'PROG_DETACH: nothing is attached to map [0-9]*'
expect 'PROG_ATTACH: attach_flags 0x2 with replace_bpf_fd 0 are not valid for this target'
expect 'PROG_ATTACH: target_fd [0-9]* is not a map'
expect 'PROG_ATTACH: attach_bpf_fd [0-9]* is not a program'
expect 'PROG_ATTACH: attach_bpf_fd [0-9]* is not an open descriptor'
expect 'PROG_DETACH: attach_bpf_fd [0-9]* is not a program'
expect 'bpf command PROG_QUERY (16) is not supported'
expect 'PROG_ATTACH: target_fd [0-9]* given for the network namespace'
expect_n 2 'PROG_ATTACH: target_fd [0-9]* is not a device'
expect 'PROG_ATTACH: attributes past its own fields are set'
if [ -n "$cg" ]; then
        expect "PROG_DETACH: 2 programs are attached to $cg: attach_bpf_fd must name one"
        expect "PROG_ATTACH: $cg has programs attached with flags 0x2, not 0x0"
        expect_n 2 "PROG_ATTACH: program [0-9]* is attached to $cg already"
        expect "PROG_ATTACH: program [0-9]* (replace_bpf_fd) is not attached to $cg"
        expect "PROG_DETACH: nothing is attached to $cg"
        expect 'PROG_ATTACH: program [0-9]* (type 5, expected attach type 0) cannot be attached as attach type 0'
        expect 'PROG_ATTACH: target_fd [0-9]* is not a cgroup v2 directory'
        expect 'PROG_ATTACH: attach type 200 is not one PROG_ATTACH takes'
fi
[ "$(grep -c '^bpfaot-syscall-server: ' "$err")" = "$n" ] || { cat "$err" >&2; fail "not $n lines of the server"; }

"$bpfaot" shm list "$seg" >"$out"
cat "$out"
prog() { sed -n "s/^prog \\([0-9]*\\): $1  name $2 .*/\\1/p" "$out"; }
sw=$(prog tracepoint on_switch) verdict=$(prog sk_skb verdict) ingress=$(prog cgroup_skb ingress)
socks=$(sed -n 's/^\([0-9]*\): hash  name socks .*/\1/p' "$out")
[ -n "$sw" ] && [ -n "$verdict" ] && [ -n "$ingress" ] && [ -n "$socks" ] || fail "programs or map missing"
grep -q "^attach [0-9]*: tracepoint  prog $sw  sched/sched_switch  pid -1\$" "$out" ||
        fail "no tracepoint request of on_switch"
grep -q "^attach [0-9]*: prog_attach  prog $verdict  sk_skb_stream_verdict  map $socks\$" "$out" ||
        fail "no prog_attach request of verdict at map $socks"
want=2
if [ -n "$cg" ]; then
        grep -q "^attach [0-9]*: prog_attach  prog $ingress  cgroup_inet_ingress  $cg  flags 0x2\$" "$out" ||
                fail "no prog_attach request of ingress at $cg"
        want=3
fi
# The tracepoint detached, the requests replaced and detached: withdrawn.
[ "$(grep -c '^attach ' "$out")" = "$want" ] || fail "not $want attach requests"
