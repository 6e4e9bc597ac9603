# Cross-compiling for riscv64 Linux with Debian's cross gcc (package gcc-riscv64-linux-gnu,
# its libc in /usr/riscv64-linux-gnu). Programs built with it run under qemu-user:
#   qemu-riscv64 -L /usr/riscv64-linux-gnu PROGRAM
# For the runtime library alone: cmake -S . -B build-riscv64 -G Ninja -DBPF_AOT_RUNTIME_ONLY=ON \
#   -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/riscv64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Programs CMake itself runs (try_run) and ctest's tests go through qemu.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-riscv64 -L /usr/riscv64-linux-gnu)
