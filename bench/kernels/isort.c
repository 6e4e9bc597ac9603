/* SPDX-License-Identifier: MIT */
/*
 * Insertion sort: the input is cut into runs of 64 u32; each run is copied
 * to the stack, sorted, and folded into a checksum that depends on the order.
 */
#include "kernel.h"

#define RUN 64

KERNEL(isort, 256 * 1024)
{
        u64 sum = 0;

        for (u64 base = 0; base + RUN * 4 <= size; base += RUN * 4) {
                u32 a[RUN];

                for (int i = 0; i < RUN; i++)
                        a[i] = ld32(ctx, base + (u64)i * 4);
                for (int i = 1; i < RUN; i++) {
                        u32 v = a[i];
                        int j = i - 1;
                        while (j >= 0 && a[j] > v) {
                                a[j + 1] = a[j];
                                j--;
                        }
                        a[j + 1] = v;
                }
                for (int i = 0; i < RUN; i++)
                        sum = sum * 31 + a[i];
        }
        return sum;
}
