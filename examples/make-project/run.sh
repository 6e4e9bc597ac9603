#!/usr/bin/env bash
# Install the quick start's build into a scratch prefix, then build and run a
# copy of this project with make against it.
# BPF_AOT_BUILD: the bpf-aot build directory (default: <repo>/build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${BPF_AOT_BUILD:-$here/../../build}
out=${OUT:-$build/examples/make-project}
rm -rf "$out/src" && mkdir -p "$out"
set -x
cmake --install "$build" --prefix "$out/prefix" >/dev/null
cp -a "$here" "$out/src"
make -C "$out/src" -j "$(nproc 2>/dev/null || echo 2)" BPF_AOT_PREFIX="$out/prefix" run
