/* SPDX-License-Identifier: MIT */
/*
 * memcpy shape: the first half of the input is copied byte by byte into the
 * second half, in blocks of 960 to 1024 bytes (the length varies so that the
 * copy is a loop, not a fixed-size move), and a few words of each copied
 * block are folded into a checksum. The source half is never written, so
 * every run computes the same result.
 */
#include "kernel.h"

#define BLOCK 1024

KERNEL(memcopy, 4 * 1024 * 1024)
{
        u8 *p = ctx;
        u64 half = size / 2, acc = 0;

        for (u64 off = 0; off + BLOCK <= half; off += BLOCK) {
                u64 n = BLOCK - ((off / BLOCK) & 63);
                u8 *dst = p + half + off;
                const u8 *src = p + off;

                for (u64 i = 0; i < n; i++)
                        dst[i] = src[i];
                acc = rotl64(acc, 5) ^ ld64(dst, 0) ^ ld64(dst, 512) ^ dst[n - 1];
        }
        return acc;
}
