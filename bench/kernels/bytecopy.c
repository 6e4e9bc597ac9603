/* SPDX-License-Identifier: MIT */
/*
 * Byte-copy loop: the input is copied in chunks of up to 256 bytes, one byte
 * at a time, into a stack buffer (at a rotating offset so the copy is not a
 * plain memcpy), and a few words of each copy are folded into a checksum.
 */
#include "kernel.h"

#define CHUNK 256

KERNEL(bytecopy, 4 * 1024 * 1024)
{
        const u8 *src = ctx;
        u8 buf[CHUNK];
        u64 acc = 0;

        for (u64 off = 0; off < size; off += CHUNK) {
                u64 n = size - off < CHUNK ? size - off : CHUNK;
                u64 rot = (off / CHUNK) & (CHUNK - 1);

                for (u64 i = 0; i < n; i++)
                        buf[(i + rot) & (CHUNK - 1)] = src[off + i];
                for (u64 i = 0; i < CHUNK; i += 64)
                        acc = rotl64(acc, 7) ^ *(u64 *)(buf + i);
                acc += buf[rot];
        }
        return acc;
}
