#!/usr/bin/env bash
# The userspace-eBPF workflow end to end: an unmodified libbpf loader puts a malloc-counting
# uprobe into a shared-memory segment (under libbpfaot-syscall-server.so); a target process
# runs it (under libbpfaot-agent.so), first compiled in the target, then from the native code
# `bpf-aot compile` and `bpf-aot load` put in the segment; the loader prints the counts.
# usage: run.sh [N]   (the target's malloc calls per run, default 1000)
# BPF_AOT_BUILD: the bpf-aot build directory (default: <repo>/build, made by examples/quickstart/run.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BPF_AOT_BUILD:-$here/../../build}" && pwd)
out=${OUT:-$build/examples/shm-malloc}
n=${1:-1000}
mkdir -p "$out"
bpfaot=$build/compiler/bpf-aot
server=$build/syscall-server/libbpfaot-syscall-server.so
agent=$build/agent/libbpfaot-agent.so
arch=$(gcc -print-multiarch)
# Under a sanitizer build, the preloaded libraries need the sanitizer's runtime loaded first.
san=$(ldd "$agent" | awk '/lib(a|ub)san/ { printf "%s ", $3 }')

set -x
clang -target bpf -O2 -g -D__TARGET_ARCH_x86 -I"/usr/include/$arch" \
        -c "$here/malloc.bpf.c" -o "$out/malloc.bpf.o"
cc -O2 "$here/loader.c" -lbpf -o "$out/shm_malloc_loader"
cc -O2 "$here/target.c" -o "$out/shm_malloc_target"
set +x

export BPFAOT_SHM=shm-malloc-$$
trap '[ -n "${loader:-}" ] && kill "$loader" 2>/dev/null; "$bpfaot" shm remove "$BPFAOT_SHM" 2>/dev/null || true' EXIT

# 1. The loader, under the syscall server: its program, map and uprobe go to the segment.
LD_PRELOAD="$san$server" "$out/shm_malloc_loader" "$out/malloc.bpf.o" 60 >"$out/loader.log" &
loader=$!
for _ in $(seq 100); do
        "$bpfaot" shm list 2>/dev/null | grep -q '^attach .*: uprobe ' && break
        kill -0 "$loader" 2>/dev/null || { cat "$out/loader.log"; exit 1; }
        sleep 0.1
done
echo "+ bpf-aot shm list"
"$bpfaot" shm list

# 2. A target under the agent: the program is compiled in the target on first use.
echo "+ target, program compiled in the target"
LD_PRELOAD="$san$agent" BPFAOT_AGENT_VERBOSE=1 "$out/shm_malloc_target" "$n"

# 3. Native code for it: compile the segment's programs, load the code back as program <id>.
id=$("$bpfaot" shm list | sed -n 's/^prog \([0-9]*\): .* name count_malloc .*/\1/p')
echo "+ bpf-aot compile -o $out/native && bpf-aot load $out/native/count_malloc.o $id"
"$bpfaot" compile -o "$out/native"
"$bpfaot" load "$out/native/count_malloc.o" "$id"
echo "+ target, program run from the native code"
LD_PRELOAD="$san$agent" BPFAOT_AGENT_VERBOSE=1 "$out/shm_malloc_target" "$n"

# 4. The loader's next print shows both targets' counts.
sleep 1.2
kill -INT "$loader"
wait "$loader" || true
loader=
echo "+ the loader's last print"
awk '/^---/ { last = "" } { last = last $0 "\n" } END { printf "%s", last }' "$out/loader.log"
