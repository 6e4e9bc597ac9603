/* SPDX-License-Identifier: MIT */
/* Popcount loop: Kernighan's bit-clearing loop over every 64-bit word. */
#include "kernel.h"

KERNEL(popcount, 1024 * 1024)
{
        u64 acc = 0;

        for (u64 i = 0; i + 8 <= size; i += 8) {
                u64 x = ld64(ctx, i), c = 0;
                while (x) {
                        x &= x - 1;
                        c++;
                }
                acc = acc * 7 + c;
        }
        return acc;
}
