/* SPDX-License-Identifier: MIT */
/*
 * A bpf_loop callback that writes its context, a struct on the caller's
 * stack which also holds the address of a .rodata table. The read-only data
 * check used to refuse the program ("passes stack memory holding the address
 * of read-only data") because bpf_loop could copy that address anywhere;
 * the callback only reads the table.
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

static long (*const bpf_loop)(u32 nr_loops, void *callback_fn, void *callback_ctx,
                              u64 flags) = (void *)181;

static const u8 primes[16] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53};

struct walk {
        const u8 *table;
        u64 sum;
        u64 limit;
        u32 steps;
};

static long add_prime(u32 i, void *ctx)
{
        struct walk *w = ctx;

        w->sum += w->table[i % 16];
        w->steps++;
        return w->sum >= w->limit; /* 1 stops the loop */
}

/* Sums primes[i % 16] for i < 40, stopping once the sum reaches the context's first byte. */
__attribute__((section("socket/stack_ctx"), used)) u64 prime_walk(const u8 *data, u64 size)
{
        struct walk w = {primes, 0, size ? data[0] : ~0ull, 0};

        bpf_loop(40, add_prime, &w, 0);
        return w.sum * 1000 + w.steps;
}
