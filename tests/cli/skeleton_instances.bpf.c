/* SPDX-License-Identifier: MIT */
/*
 * One object, many instances: a map, .bss, .data and a `const volatile`
 * setting, reached from the program, from a bpf_loop callback and from a
 * program it tail-calls, so each must find the running instance's.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val)  int(*name)[val]
#define __type(name, val)  typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define SEC(s)             __attribute__((section(s), used))

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*const bpf_tail_call)(void *ctx, void *map, u32 index) = (void *)12;
static long (*const bpf_loop)(unsigned int nr, void *cb, void *ctx, u64 flags) = (void *)181;

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 1);
        __type(key, u32);
        __type(value, u64);
} hits SEC(".maps");

int tally(void *ctx);

struct {
        __uint(type, 3); /* BPF_MAP_TYPE_PROG_ARRAY */
        __uint(max_entries, 1);
        __uint(key_size, sizeof(u32));
        __array(values, int(void *));
} next SEC(".maps") = {
    .values = {[0] = (void *)&tally},
};

u64 calls;                     /* .bss */
u64 step = 1;                  /* .data */
const volatile u64 tenant = 0; /* .rodata: set per instance before load */

static long add_step(u32 i, void *ctx)
{
        (void)i;
        (void)ctx;
        calls += step;
        return 0;
}

/* The tail-called program: tenant * 1000000 + calls. */
SEC("socket/tally") int tally(void *ctx)
{
        (void)ctx;
        return (int)(tenant * 1000000 + calls);
}

/* One hit in the map, `step` added to calls by a callback, then tally. */
SEC("socket/count") int count(void *ctx)
{
        u32 key = 0;
        u64 *v = bpf_map_lookup_elem(&hits, &key);

        if (v)
                *v += 1;
        bpf_loop(1, add_step, 0, 0);
        bpf_tail_call(ctx, &next, 0);
        return -1;
}
