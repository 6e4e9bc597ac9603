# shellcheck shell=sh
# Sourced by the run_*.sh scripts that drive a libbpf loader under the syscall
# server while a target runs under the agent. Before sourcing, set `script`
# (the script's name, for messages), server, bpfaot and seg. It makes $out
# (the loader's standard output; the scripts keep their other files as
# $out.<what>) and a fifo, and at exit closes the loader's input, kills the
# loader ($lpid) and the processes listed in $pids, removes those files, the
# paths listed in $cleanup and the segment.
out=$(mktemp)
fifo=$(mktemp -u)
lpid=
pids=
cleanup=
fail() { echo "$script: $*" >&2; cat "$out" >&2; exit 1; }
# shellcheck disable=SC2086 # $pids and $cleanup are lists
trap 'exec 3>&- 2>/dev/null || true; kill $lpid $pids 2>/dev/null || true; rm -rf "$out" "$out".* "$fifo" $cleanup; "$bpfaot" shm remove "$seg" 2>/dev/null || true' EXIT
san=$(ldd "$server" | awk '/lib(a|ub)san/ { printf "%s ", $3 }')
mkfifo "$fifo"

# start_loader LOADER ARGS...: the loader under the server, its standard input the fifo, which
# this script holds open as fd 3: the loader ends when that closes.
start_loader() {
        BPFAOT_SHM=$seg LD_PRELOAD="$san$server" "$@" <"$fifo" >"$out" &
        lpid=$!
        exec 3>"$fifo"
}

# wait_line LINE SECONDS: until the loader prints LINE (a whole line, a regular expression).
wait_line() {
        i=0
        until grep -qx "$1" "$out"; do
                kill -0 "$lpid" 2>/dev/null || { wait "$lpid" || true; fail "the loader ended before '$1'"; }
                i=$((i + 1))
                [ "$i" -lt $(($2 * 10)) ] || fail "no '$1' from the loader in $2 s"
                sleep 0.1
        done
}
