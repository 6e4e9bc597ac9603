// SPDX-License-Identifier: MIT
/*
 * bpf-to-bpf calls the way compilers emit them: global and static functions
 * in .text (called through relocations), a static function in the program's
 * own section (called without one), calls from .text into .text, and two
 * programs sharing a sub-program. Plain C: native_check builds it natively.
 */
typedef unsigned long long u64;

#define NOINLINE __attribute__((noinline))

/* Global: stays in .text, called through a relocation against its symbol. */
NOINLINE u64 mix64(u64 x)
{
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdull;
        x ^= x >> 33;
        return x;
}

/* Static in .text, calling another .text function. */
static NOINLINE u64 fold(u64 acc, u64 v)
{
        return mix64(acc ^ v) + (v << 7);
}

/* Static, placed in the program's section: a call without a relocation. */
static NOINLINE __attribute__((section("socket/subprogs"))) u64 step(u64 acc, unsigned char b)
{
        return (acc << 5) + acc + b;
}

__attribute__((section("socket/subprogs"), used)) u64 subprogs_main(const unsigned char *data,
                                                                    u64 size)
{
        u64 acc = 5381;

        for (u64 i = 0; i < size; i++) {
                acc = step(acc, data[i]);
                if ((i & 63) == 63)
                        acc = fold(acc, i);
        }
        return mix64(acc);
}

/* A second program calling the same sub-program. */
__attribute__((section("socket/second"), used)) u64 subprogs_second(const unsigned char *data,
                                                                    u64 size)
{
        return fold(size, size ? data[size - 1] : 0);
}
