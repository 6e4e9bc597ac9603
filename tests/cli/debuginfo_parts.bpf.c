// SPDX-License-Identifier: MIT
/*
 * Source-level debug info of a program long enough to compile in parts
 * (cases_debuginfo.sh, case_debuginfo_parts): its unrolled loop, a call in
 * a branch each time round, gives some 9,000 instructions in regions.
 * Markers as in debuginfo.bpf.c.
 */
typedef unsigned long long u64;

#define NOINLINE __attribute__((noinline))
#define SEC(s)   __attribute__((section(s), used))

static NOINLINE u64 parts_mix(u64 x, u64 y) /* FUNC:parts_mix */
{
        u64 r = x * 31 + y; /* LINE:mix */
        return r ^ (r >> 7);
} /* END:parts_mix */

static NOINLINE u64 parts_long(const unsigned char *p, u64 n) /* FUNC:parts_long */
{
        u64 acc = n;

#pragma clang loop unroll(full)
        for (int i = 0; i < 600; i++) {
                acc = acc * 33 + p[(acc + i) & 63]; /* LINE:long */
                if (acc & (1ull << (i & 31)))
                        acc = parts_mix(acc, i); /* LINE:flip */
        }
        return acc;
} /* END:parts_long */

SEC("socket/parts") u64 parts_main(const unsigned char *data, u64 size) /* FUNC:parts_main */
{
        u64 r = parts_mix(size, data[0]); /* LINE:main */

        if (size >= 64)
                r ^= parts_long(data, size);
        return r;
} /* END:parts_main */
