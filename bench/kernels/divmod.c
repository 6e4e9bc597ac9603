/* SPDX-License-Identifier: MIT */
/*
 * Division-heavy: u64, u32 and s64 division and modulo with data-dependent
 * divisors, plus division by constants. eBPF before cpu v4 has no signed
 * division (clang-14 refuses it), so s64 division is written on magnitudes
 * with unsigned division, in the same source for both builds.
 */
#include "kernel.h"

INLINE u64 mag(s64 v)
{
        return v < 0 ? 0 - (u64)v : (u64)v;
}

/* s64 a / b (b != 0, no INT64_MIN / -1), truncating toward zero. */
INLINE s64 sdiv64(s64 a, s64 b)
{
        u64 q = mag(a) / mag(b);
        return (s64)(((a < 0) != (b < 0)) ? 0 - q : q);
}

/* s64 a % b, with the sign of the dividend. */
INLINE s64 smod64(s64 a, s64 b)
{
        u64 r = mag(a) % mag(b);
        return (s64)(a < 0 ? 0 - r : r);
}

KERNEL(divmod, 1024 * 1024)
{
        u64 acc = 0;

        for (u64 i = 0; i + 16 <= size; i += 8) {
                u64 a = ld64(ctx, i), w = ld64(ctx, i + 8);
                u64 b = (w >> (a & 63)) | 1;             /* 1 .. 2^64-1 */
                s64 sa = (s64)a;
                s64 sb = (s64)((w >> 1 >> (a >> 58)) | 2); /* never 0 or -1 */

                if (a & 2)
                        sb = -sb;
                acc += a / b;
                acc ^= a % b;
                acc += (u32)a / ((u32)w | 1) + (u32)w % ((u32)a | 1);
                acc += (u64)sdiv64(sa, sb);
                acc ^= (u64)smod64(sa, sb);
                acc += a / 10 + a % 1000;
        }
        return acc;
}
