/* SPDX-License-Identifier: MIT */
/*
 * MurmurHash64A over 8-byte words: every 4 KiB block of the input is hashed
 * with four seeds (as a Bloom filter would), and the hashes are combined.
 */
#include "kernel.h"

INLINE u64 murmur64a(const void *p, u64 off, u64 len, u64 seed)
{
        const u64 m = 0xc6a4a7935bd1e995ull;
        const unsigned r = 47;
        u64 h = seed ^ (len * m);

        for (u64 i = 0; i + 8 <= len; i += 8) {
                u64 k = ld64(p, off + i);
                k *= m;
                k ^= k >> r;
                k *= m;
                h ^= k;
                h *= m;
        }
        h ^= h >> r;
        h *= m;
        h ^= h >> r;
        return h;
}

KERNEL(murmur, 1024 * 1024)
{
        const u64 block = 4096;
        u64 acc = 0;

        for (u64 off = 0; off + block <= size; off += block)
                for (u64 seed = 0; seed < 4; seed++)
                        acc = rotl64(acc, 5) ^ murmur64a(ctx, off, block, off + seed);
        return acc;
}
