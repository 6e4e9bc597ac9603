/* SPDX-License-Identifier: MIT */
/*
 * Binary search: a sorted table of 64 u32 keys on the stack, searched for
 * every u32 of the input (lower bound by halving, six data-dependent steps
 * per key). The time is in a short loop whose branches are unpredictable,
 * so it depends on how the loop is laid out as much as on its instructions.
 */
#include "kernel.h"

KERNEL(bsearch, 512 * 1024)
{
        u32 tab[64];
        u64 acc = 0;

        /* Increasing: i << 26 plus something below 1 << 26. */
        for (u32 i = 0; i < 64; i++)
                tab[i] = (i << 26) | ((i * 2654435761u) >> 6);
        for (u64 i = 0; i + 4 <= size; i += 4) {
                u32 key = ld32(ctx, i);
                u32 lo = 0, hi = 64;

                while (lo < hi) {
                        u32 mid = (lo + hi) / 2;
                        if (tab[mid] <= key)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                acc = acc * 65 + lo;
        }
        return acc;
}
