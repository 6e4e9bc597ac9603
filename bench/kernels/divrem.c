/* SPDX-License-Identifier: MIT */
/*
 * Quotient and remainder of the same operands, u64 and u32, with divisors
 * the compiler cannot prove non-zero (from the data: zero with odds of 2^-32
 * or less per step, and never in the bench's input). x86 computes both with one `div`; the eBPF
 * code computes the remainder as a - (a / b) * b, and bpf-aot must guard the division (x / 0 is 0
 * in eBPF).
 */
#include "kernel.h"

KERNEL(divrem, 1024 * 1024)
{
        u64 acc = 0;

        for (u64 i = 0; i + 16 <= size; i += 8) {
                u64 a = ld64(ctx, i), w = ld64(ctx, i + 8);
                u64 b = w >> (a & 31);
                u32 a32 = (u32)(a >> 7), b32 = (u32)(w >> 32) ^ (u32)(a >> 3);

                acc += a / b;
                acc ^= a % b;
                acc += a32 / b32;
                acc = (acc << 1) + a32 % b32;
        }
        return acc;
}
