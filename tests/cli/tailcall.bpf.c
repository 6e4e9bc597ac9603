/* SPDX-License-Identifier: MIT */
/*
 * Tail calls through a PROG_ARRAY filled by the object itself
 * (`.values = { [i] = &prog }`): a hop to another program, a self-chain that
 * runs into the limit of 33 tail calls, and a call on an empty slot.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define __array(name, val) typeof(val) *name[]
#define SEC(s) __attribute__((section(s), used))

/* The kernel reads the index as a u32; a u64 here lets the test pass a wider one. */
static long (*const bpf_tail_call)(void *ctx, void *map, u64 index) = (void *)12;

int second(u64 *ctx);
int chain(u64 *ctx);

struct {
        __uint(type, 3); /* BPF_MAP_TYPE_PROG_ARRAY */
        __uint(max_entries, 4);
        __uint(key_size, sizeof(u32));
        __array(values, int(void *));
} jmp SEC(".maps") = {
    .values = {[1] = (void *)&second, [2] = (void *)&chain},
};

u64 hops, second_runs, missed, after_sub;

/* ctx[0] is added to the result, so the tail-called program sees the caller's context. */
SEC("xdp") int second(u64 *ctx)
{
        second_runs++;
        return 20 + (int)ctx[0];
}

SEC("xdp") int first(u64 *ctx)
{
        bpf_tail_call(ctx, &jmp, 1);
        return -1; /* not reached: the tail call replaces this program */
}

SEC("xdp") int chain(u64 *ctx)
{
        (void)ctx;
        hops++;
        bpf_tail_call(ctx, &jmp, 2);
        return 1000 + (int)hops; /* reached once the chain is 33 tail calls long */
}

SEC("xdp") int miss(u64 *ctx)
{
        long r = bpf_tail_call(ctx, &jmp, 3); /* empty slot: goes on */

        missed = r < 0 ? 1 : 2;
        bpf_tail_call(ctx, &jmp, 0x100000001ull); /* index is a u32: slot 1 */
        return 77;                                /* not reached */
}

/* A tail call from a sub-program replaces the sub-program's frame only. */
static __attribute__((noinline)) int hop_from_sub(u64 *ctx)
{
        bpf_tail_call(ctx, &jmp, 1);
        return 5;
}

SEC("xdp") int from_sub(u64 *ctx)
{
        int r = hop_from_sub(ctx);

        after_sub = 1; /* the caller goes on after its sub-program's tail call */
        return r + 300;
}
