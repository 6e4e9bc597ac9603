/* SPDX-License-Identifier: MIT */
/*
 * A uprobe on the target's ringbuf_target_function(x) that counts each call
 * in maps found through maps of maps and goes on in another program through
 * a PROG_ARRAY, all declared with their initial contents (libbpf fills them
 * with map updates of descriptors once it made the maps and loaded the
 * programs):
 * - on_call counts x % 4 in the inner maps slots 0 and 1 of `by_index` (an
 *   ARRAY_OF_MAPS) hold (slot 1: the one the loader puts there), tries a tail call through the
 * empty slot 1 of `jmp` (falling through, counted in misses[0]), then tail-calls slot 0,
 *   count_more: what follows that call never runs (misses[1]).
 * - count_more counts x % 4 in the inner map key 5 of `by_key` (a
 *   HASH_OF_MAPS) holds.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 4);
        __type(key, __u32);
        __type(value, __u64);
};

struct inner calls_a SEC(".maps"), calls_b SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 2);
        __type(key, __u32);
        __type(value, __u64);
} misses SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
        __uint(max_entries, 2);
        __type(key, __u32);
        __array(values, struct inner);
} by_index SEC(".maps") = {
    .values = {[0] = &calls_a},
};

struct {
        __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
        __uint(max_entries, 8);
        __type(key, __u32);
        __array(values, struct inner);
} by_key SEC(".maps") = {
    .values = {[5] = &calls_b},
};

/* The kernel's struct pt_regs on x86-64, which a uprobe program gets. */
struct target_regs {
        unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di;
        unsigned long orig_ax, ip, cs, flags, sp, ss;
};

static void count(void *outer, __u32 key, __u32 x)
{
        __u32 slot = x % 4;
        void *inner = bpf_map_lookup_elem(outer, &key);
        __u64 *n;

        if (!inner)
                return;
        n = bpf_map_lookup_elem(inner, &slot);
        if (n)
                __sync_fetch_and_add(n, 1);
}

static void miss(__u32 key)
{
        __u64 *n = bpf_map_lookup_elem(&misses, &key);

        if (n)
                __sync_fetch_and_add(n, 1);
}

SEC("uprobe")
int count_more(struct target_regs *ctx)
{
        count(&by_key, 5, (__u32)ctx->di);
        return 0;
}

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __uint(max_entries, 2);
        __type(key, __u32);
        __array(values, int(void *));
} jmp SEC(".maps") = {
    .values = {[0] = (void *)&count_more},
};

SEC("uprobe")
int on_call(struct target_regs *ctx)
{
        count(&by_index, 0, (__u32)ctx->di);
        count(&by_index, 1, (__u32)ctx->di);
        bpf_tail_call(ctx, &jmp, 1);
        miss(0);
        bpf_tail_call(ctx, &jmp, 0);
        miss(1);
        return 1;
}

char LICENSE[] SEC("license") = "GPL";
