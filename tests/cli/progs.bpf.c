/* SPDX-License-Identifier: MIT */
/*
 * Two relocation-free programs for the cli tests: no maps, no global data,
 * helpers called by id only. The entry gets r1 = context, r2 = its size.
 */
typedef unsigned long long u64;
typedef unsigned char u8;

static long (*const bpf_ktime_get_ns)(void) = (void *)5;

/* Sum of the context's bytes (the test computes it independently). */
__attribute__((section("socket/sum"), used)) u64 sum_bytes(const u8 *data, u64 size)
{
        u64 sum = 0;

        for (u64 i = 0; i < size; i++)
                sum += data[i];
        return sum;
}

/*
 * (size * 3 + first byte) ^ 0x5a, plus 1000 when the clock has started
 * (always): checks a helper call and the r2 argument.
 */
__attribute__((section("socket/mix"), used)) u64 mix(const u8 *data, u64 size)
{
        u64 r = (size * 3 + (size ? data[0] : 0)) ^ 0x5a;

        if (bpf_ktime_get_ns() != 0)
                r += 1000;
        return r;
}
