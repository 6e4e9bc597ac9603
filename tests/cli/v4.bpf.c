// SPDX-License-Identifier: MIT
/*
 * Exercises ISA v4 when built with clang -mcpu=v4: sign-extending loads and
 * moves, signed division and modulo, byte swaps. Plain C, so the test also
 * compiles it natively (v4_check.c) to get the expected result.
 */
typedef unsigned long long u64;
typedef long long s64;

__attribute__((section("socket/v4"), used)) u64 v4ops(const signed char *data, u64 size)
{
        s64 acc = 0;

        for (u64 i = 0; i < size; i++) {
                s64 v = data[i];                                   /* ldxsb */
                int w = (short)(acc ^ (s64)((u64)v << 9));         /* movsx 16 */
                acc += v * 31 + w;
                acc = acc / ((s64)(i & 7) - 9) + acc % 1000003;    /* sdiv, smod */
                acc ^= (s64)__builtin_bswap64((u64)acc) >> 40;     /* bswap */
        }
        return (u64)acc;
}
