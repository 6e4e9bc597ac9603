/* SPDX-License-Identifier: MIT */
/*
 * bpf_loop with a static callback: the callback's address is an lddw of a
 * function (code_addr), which bpf-aot compiles to the native function.
 */
typedef unsigned long long u64;

static long (*const bpf_loop)(unsigned int nr, void *cb, void *ctx, u64 flags) = (void *)181;

struct acc {
        u64 sum;
        u64 limit;
};

static long add_square(unsigned int i, void *ctx)
{
        struct acc *a = ctx;

        a->sum += (u64)i * i;
        return a->sum > a->limit; /* 1 stops the loop */
}

/* sum of i*i below 100, stopping once it passes the limit given in ctx (8 bytes) */
__attribute__((section("socket/loop"), used)) u64 squares(const u64 *limit, u64 size)
{
        struct acc a = {0, size >= 8 ? *limit : ~0ull};
        long n = bpf_loop(100, add_square, &a, 0);

        return a.sum * 1000 + (u64)n;
}
