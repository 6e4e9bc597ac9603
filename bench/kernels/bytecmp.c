/* SPDX-License-Identifier: MIT */
/*
 * memcmp-like byte comparison: the two halves of the input are compared in
 * blocks, each with an early-exit byte loop that returns the difference of
 * the first mismatching bytes, in four passes with blocks of 32, 64, 128 and
 * 256 bytes. The harness makes the halves equal except for one byte in 4099,
 * so most blocks run to their end.
 */
#include "kernel.h"

INLINE s64 cmp_bytes(const u8 *a, const u8 *b, u64 n)
{
        for (u64 i = 0; i < n; i++)
                if (a[i] != b[i])
                        return (s64)a[i] - (s64)b[i];
        return 0;
}

KERNEL(bytecmp, 2 * 1024 * 1024)
{
        const u8 *a = ctx;
        u64 half = size / 2;
        const u8 *b = a + half;
        u64 acc = 0;

        for (u64 block = 32; block <= 256; block *= 2) {
                for (u64 off = 0; off < half; off += block) {
                        u64 n = half - off < block ? half - off : block;
                        s64 r = cmp_bytes(a + off, b + off, n);
                        acc = acc * 3 + (u64)r + (r != 0 ? off : 0);
                }
        }
        return acc;
}
