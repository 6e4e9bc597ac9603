/* SPDX-License-Identifier: MIT */
/* FNV-1a, 64-bit, over every byte of the input (one dependent multiply per byte). */
#include "kernel.h"

KERNEL(fnv1a, 1024 * 1024)
{
        const u8 *p = ctx;
        u64 h = 0xcbf29ce484222325ull;

        for (u64 i = 0; i < size; i++)
                h = (h ^ p[i]) * 0x100000001b3ull;
        return h;
}
