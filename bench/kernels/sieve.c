/* SPDX-License-Identifier: MIT */
/*
 * Prime sieve: for every 1 KiB of input, a sieve of Eratosthenes over the odd
 * numbers below a limit taken from the input (4096..6143), kept as a bit
 * array on the stack; the primes found are counted and summed.
 */
#include "kernel.h"

#define SIEVE_WORDS 48 /* 48 * 64 bits = odd numbers below 6144 */

KERNEL(sieve, 256 * 1024)
{
        const u8 *p = ctx;
        u64 acc = 0;

        for (u64 off = 0; off + 1024 <= size; off += 1024) {
                u64 bits[SIEVE_WORDS];
                u64 limit = 4096 + (((u64)p[off] << 3) | (p[off + 1] & 7)); /* < 6144 */
                u64 count = 1, sum = 2;                                       /* the prime 2 */

                for (int i = 0; i < SIEVE_WORDS; i++)
                        bits[i] = 0;
                /* bit k stands for the odd number 2k + 1 */
                for (u64 k = 1; (2 * k + 1) * (2 * k + 1) < limit; k++) {
                        if (bits[k >> 6] & (1ull << (k & 63)))
                                continue;
                        for (u64 m = (2 * k + 1) * (2 * k + 1) / 2; 2 * m + 1 < limit; m += 2 * k + 1)
                                bits[m >> 6] |= 1ull << (m & 63);
                }
                for (u64 k = 1; 2 * k + 1 < limit; k++) {
                        if (!(bits[k >> 6] & (1ull << (k & 63)))) {
                                count++;
                                sum += 2 * k + 1;
                        }
                }
                acc = acc * 1000003 + count * 65536 + sum;
        }
        return acc;
}
