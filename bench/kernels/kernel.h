/* SPDX-License-Identifier: MIT */
/*
 * Shared header of the benchmark kernels. Every kernel is one C file that is
 * compiled twice from the same source:
 *
 *  - for eBPF (clang -target bpf): KERNEL(name, bytes) declares the program
 *    `name` in section "bench", taking r1 = ctx and r2 = ctx size; bpf-aot
 *    then turns it into the native function name_aot (and name_aot_cpu);
 *  - for the host (clang -O2): KERNEL(name, bytes) declares name_native and
 *    a constant name_input_size = bytes, the input size the harness uses.
 *
 * Kernels must not use maps, global variables, .rodata tables or helpers:
 * constant tables live on the stack or are computed. The eBPF stack is 512
 * bytes per frame, so stack arrays stay well below that.
 *
 * No libc headers: the eBPF target has none.
 */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ s32;
typedef __INT64_TYPE__ s64;

#define INLINE static inline __attribute__((always_inline))

#if defined(__bpf__)
#define KERNEL(name, input_bytes)                                                                  \
        __attribute__((section("bench"), used)) u64 name(void *ctx, u64 size)
#else
#define KERNEL(name, input_bytes)                                                                  \
        extern const u64 name##_input_size;                                                        \
        const u64 name##_input_size = (input_bytes);                                               \
        u64 name##_native(void *ctx, u64 size);                                                    \
        u64 name##_native(void *ctx, u64 size)
#endif

/* Aligned little-endian loads from the input (the harness aligns it to 64 bytes). */
INLINE u64 ld64(const void *p, u64 off)
{
        return *(const u64 *)((const u8 *)p + off);
}

INLINE u32 ld32(const void *p, u64 off)
{
        return *(const u32 *)((const u8 *)p + off);
}

INLINE u64 rotl64(u64 x, unsigned r)
{
        return (x << r) | (x >> ((64 - r) & 63));
}

#endif
