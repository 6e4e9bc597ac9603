// SPDX-License-Identifier: MIT
/*
 * Source-level debug info (cases_debuginfo.sh): a program with
 * sub-programs, one long enough to be split into regions. The tests find
 * lines by their markers: FUNC:<name> opens a function, END:<name> closes
 * it, LINE:<name> is a statement they break on or look up. The last
 * function's lines are those of another file, debuginfo_inc.h.
 */
typedef unsigned long long u64;

#define NOINLINE __attribute__((noinline))
#define SEC(s)   __attribute__((section(s), used))

static NOINLINE u64 dbg_mix(u64 x, u64 y) /* FUNC:dbg_mix */
{
        u64 r = x * 31 + y; /* LINE:mix */
        return r ^ (r >> 7);
} /* END:dbg_mix */

static NOINLINE u64 dbg_sum(const unsigned char *p, u64 n) /* FUNC:dbg_sum */
{
        u64 s = 0;

        for (u64 i = 0; i < n; i++)
                s = dbg_mix(s, p[i]); /* LINE:sum */
        return s;
} /* END:dbg_sum */

/* Unrolled into more instructions than a region holds (1024). */
static NOINLINE u64 dbg_big(const unsigned char *p, u64 n) /* FUNC:dbg_big */
{
        u64 acc = n;

#pragma clang loop unroll(full)
        for (int i = 0; i < 300; i++)
                acc = acc * 33 + p[(acc + i) & 63]; /* LINE:big */
        return acc;
} /* END:dbg_big */

static inline __attribute__((always_inline)) u64 dbg_inc(u64 v); /* at the end: another file */

SEC("socket/dbg") u64 dbg_main(const unsigned char *data, u64 size) /* FUNC:dbg_main */
{
        u64 r = dbg_sum(data, size); /* LINE:main */

        if (size >= 64)
                r ^= dbg_big(data, size);
        return dbg_inc(r);
} /* END:dbg_main */

/* Lines of another file, as an inline function of a header has them. */
#line 1 "debuginfo_inc.h"
static inline __attribute__((always_inline)) u64 dbg_inc(u64 v)
{
        return v * 5 + 3;
}
