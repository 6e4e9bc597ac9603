#!/usr/bin/env bash
# Installs the Debian 12 packages bpf-aot needs to build and test, if missing.
# Usage: cmake/install-deps.sh            (uses sudo when not root)
set -euo pipefail

packages=(
  cmake ninja-build pkg-config gcc g++ make binutils perl
  gdb                                 # the debug-info tests break on a .bpf.c line
  llvm-dev clang llvm                 # LLVM/clang 14, Debian 12's default
  llvm-19-dev clang-19 libzstd-dev    # a newer LLVM, tested too
  libclang-rt-19-dev                  # clang-19's sanitizer and libFuzzer runtimes (fuzz target)
  libbpf-dev libelf-dev zlib1g-dev
  bpftool                             # skeletons for the syscall server's tests
  libzydis-dev                        # x86-64 decoder: the agent relocates patched function entries
  gcc-bpf                             # GCC's eBPF backend, for GCC-compiled test objects
  libbpf-tools xdp-tools              # real eBPF objects the tests compile
  qemu-user                           # cross tests: aarch64 and riscv64 programs run here
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross     # the runtime and hosts for aarch64
  gcc-riscv64-linux-gnu libc6-dev-riscv64-cross   # ... and for riscv64
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
