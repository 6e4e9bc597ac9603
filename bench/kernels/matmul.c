/* SPDX-License-Identifier: MIT */
/*
 * Matrix multiply: every 256-byte step of the input starts an 8x8 matrix of
 * u32 (A); it is multiplied by the matrix that follows it (B), with u32
 * wrap-around, and the product is folded into a checksum.
 */
#include "kernel.h"

#define N 8

KERNEL(matmul, 4 * 1024 * 1024)
{
        const u64 msize = N * N * 4;
        u64 acc = 0;

        for (u64 off = 0; off + 2 * msize <= size; off += msize) {
                u32 c[N * N];

                for (int i = 0; i < N; i++) {
                        for (int j = 0; j < N; j++) {
                                u32 s = 0;
                                for (int k = 0; k < N; k++)
                                        s += ld32(ctx, off + (u64)(i * N + k) * 4) *
                                             ld32(ctx, off + msize + (u64)(k * N + j) * 4);
                                c[i * N + j] = s;
                        }
                }
                for (int i = 0; i < N * N; i++)
                        acc += (u64)c[i] * (u64)(i + 1);
                acc = rotl64(acc, 3);
        }
        return acc;
}
