/* SPDX-License-Identifier: MIT */
/* What bench and ubpf_compare share: the clock, and the input every engine runs on. */
#ifndef BENCH_INPUT_H
#define BENCH_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static inline double now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* xorshift64*: deterministic input independent of libc. */
static inline uint64_t rng_next(uint64_t *s)
{
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 0x2545f4914f6cdd1dull;
}

/*
 * The same input for every engine: random first half, the second half a copy
 * of it with one byte changed every 4099 bytes (for the memcmp-like kernel).
 */
static inline void fill_input(uint8_t *buf, size_t n)
{
        uint64_t s = 0x9e3779b97f4a7c15ull;
        size_t half = n / 2;

        for (size_t i = 0; i < half; i += 8) {
                uint64_t v = rng_next(&s);
                size_t m = half - i < 8 ? half - i : 8;
                memcpy(buf + i, &v, m);
        }
        memcpy(buf + half, buf, n - half < half ? n - half : half);
        for (size_t i = half + 4099; i < n; i += 4099)
                buf[i] ^= 0x5a;
        if (n - half > half)
                buf[n - 1] = 0xa5;
}

#endif
