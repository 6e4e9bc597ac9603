/* SPDX-License-Identifier: MIT */
/*
 * A long program as clang makes them: 2,048 steps over a packet-like
 * context, about 68,600 eBPF instructions with clang -O2 (the size of the
 * longest program the compile-time goals name). Each step checks its bounds
 * against `end`, reads 8 bytes and does one of four kinds of work, picked by
 * its number at compile time:
 *   0: hash, and on a hash bit a map lookup whose value is added atomically;
 *   1: a switch on a byte of the packet;
 *   2: a 64-bit division and a 32-bit remainder by a value of the packet;
 *   3: a 16-byte copy into a stack buffer, mixed and compared.
 * Nothing is looped: clang's eBPF backend has no wide jumps below ISA v4, so
 * every branch stays within its step, as in programs built from many inlined
 * functions.
 *
 * The context is raw memory (bpf-aot run's MEMORY): the bytes from p to end,
 * end = p + 8 + (p[0] & 63), so MEMORY needs 72 bytes. The result is the
 * low 32 bits of the two accumulators mixed.
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

struct {
        __uint(type, 1); /* BPF_MAP_TYPE_HASH */
        __uint(max_entries, 1024);
        __type(key, u32);
        __type(value, u64);
} counts __attribute__((section(".maps"), used));

#define STEP(k)                                                                                    \
        if (p + (k) % 40 + 16 <= end) {                                                            \
                u64 v = *(const u64 *)(p + (k) % 40);                                              \
                if ((k) % 4 == 0) {                                                                \
                        h = (h ^ v) * 0x100000001b3ULL + (k);                                      \
                        if ((h >> (k) % 50) & 1) {                                                 \
                                u32 key = (u32)(h ^ (k)) & 1023;                                   \
                                u64 *c = bpf_map_lookup_elem(&counts, &key);                       \
                                if (c)                                                             \
                                        __sync_fetch_and_add(c, (k));                              \
                                else                                                               \
                                        acc ^= h;                                                  \
                        }                                                                          \
                } else if ((k) % 4 == 1) {                                                         \
                        switch (p[(k) % 40 + 8] & 15) {                                            \
                        case 0:                                                                    \
                                acc += 3 * (k);                                                    \
                                break;                                                             \
                        case 1:                                                                    \
                                acc ^= v;                                                          \
                                break;                                                             \
                        case 3:                                                                    \
                                acc -= h >> 7;                                                     \
                                break;                                                             \
                        case 6:                                                                    \
                                h ^= acc << 1;                                                     \
                                break;                                                             \
                        case 9:                                                                    \
                                acc |= (u64)(k) << 4;                                              \
                                break;                                                             \
                        default:                                                                   \
                                h += v >> (k) % 13;                                                \
                                break;                                                             \
                        }                                                                          \
                } else if ((k) % 4 == 2) {                                                         \
                        u32 d = (u32)v | 1;                                                        \
                        acc += (h / d) ^ ((u32)acc % d);                                           \
                        h = (h << 5) | (h >> 59);                                                  \
                } else {                                                                           \
                        u64 buf[2];                                                                \
                        __builtin_memcpy(buf, p + (k) % 40, 16);                                   \
                        buf[(k) % 2] ^= h;                                                         \
                        h += buf[0] * 31 + buf[1];                                                 \
                        if (buf[1] > (k)*1000003ULL)                                               \
                                acc = (acc + buf[0]) * 7;                                          \
                }                                                                                  \
        }
#define S4(k)    STEP(4 * (k)) STEP(4 * (k) + 1) STEP(4 * (k) + 2) STEP(4 * (k) + 3)
#define S16(k)   S4(4 * (k)) S4(4 * (k) + 1) S4(4 * (k) + 2) S4(4 * (k) + 3)
#define S64(k)   S16(4 * (k)) S16(4 * (k) + 1) S16(4 * (k) + 2) S16(4 * (k) + 3)
#define S256(k)  S64(4 * (k)) S64(4 * (k) + 1) S64(4 * (k) + 2) S64(4 * (k) + 3)
#define S1024(k) S256(4 * (k)) S256(4 * (k) + 1) S256(4 * (k) + 2) S256(4 * (k) + 3)

__attribute__((section("xdp"), used)) int long_prog(void *ctx)
{
        const u8 *p = ctx;
        const u8 *end = p + 8 + (p[0] & 63);
        u64 h = 0xcbf29ce484222325ULL, acc = 0;

        /* Opaque to clang, as a packet's end is: else it folds the steps' checks together. */
        __asm__ volatile("" : "+r"(end));

        S1024(0)
        S1024(1)
        return (int)((acc ^ h) ^ ((acc ^ h) >> 32));
}

char LICENSE[] __attribute__((section("license"), used)) = "GPL";
