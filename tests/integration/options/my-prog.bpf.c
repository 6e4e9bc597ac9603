/* SPDX-License-Identifier: MIT */
/*
 * A file name that is no C identifier (files keep it, symbols get my_prog),
 * compiled with the __TARGET_ARCH_<arch> macro libbpf-bootstrap defines.
 */
#if defined(__TARGET_ARCH_x86)
#define ARCH 1
#elif defined(__TARGET_ARCH_arm64)
#define ARCH 2
#elif defined(__TARGET_ARCH_riscv)
#define ARCH 3
#elif defined(__TARGET_ARCH_powerpc)
#define ARCH 4
#elif defined(__TARGET_ARCH_s390)
#define ARCH 5
#else
#error "no __TARGET_ARCH_<arch> for the native code"
#endif

int calls; /* .bss: the skeleton is typed as my_prog__bss */

__attribute__((section("socket/arch"), used)) int arch(void *ctx)
{
        (void)ctx;
        calls++;
        return ARCH;
}
