/* SPDX-License-Identifier: MIT */
/*
 * Map contents set by the object (`.values`) that bpf-aot must refuse, one
 * per variant (compiled with -D<VARIANT>): each build fails with a message
 * naming the map and the reason.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define SEC(s) __attribute__((section(s), used))

static long (*const bpf_tail_call)(void *ctx, void *map, u32 index) = (void *)12;

int prog(void *ctx);
__attribute__((noinline)) int helper_fn(void *ctx)
{
        return ctx != 0;
}

struct inner {
#ifdef NESTED
        __uint(type, 12); /* ARRAY_OF_MAPS, itself with inner maps */
#else
        __uint(type, 2); /* ARRAY */
#endif
        __uint(max_entries, 1);
        __type(key, u32);
        __type(value, u64);
#ifdef NESTED
        __array(values, struct inner2 { __uint(type, 2); } );
#endif
};
struct inner one SEC(".maps");

#if defined(PAST_END) || defined(NOT_A_PROGRAM)
struct {
        __uint(type, 3); /* PROG_ARRAY */
        __uint(max_entries, 2);
        __uint(key_size, sizeof(u32));
        __array(values, int(void *));
} jmp SEC(".maps") = {
#ifdef PAST_END
    .values = {[2] = (void *)&prog},
#else
    .values = {[0] = (void *)&helper_fn},
#endif
};
#define THE_MAP jmp
#elif defined(HASH_VALUES)
struct {
        __uint(type, 1); /* HASH */
        __uint(max_entries, 2);
        __type(key, u32);
        __array(values, struct inner);
} jmp SEC(".maps") = {.values = {[0] = &one}};
#define THE_MAP jmp
#elif defined(SELF)
struct outer {
        __uint(type, 12); /* ARRAY_OF_MAPS */
        __uint(max_entries, 2);
        __type(key, u32);
        __array(values, struct inner);
} outer SEC(".maps") = {.values = {[0] = (void *)&outer}};
#define THE_MAP outer
#else /* NESTED */
struct {
        __uint(type, 12); /* ARRAY_OF_MAPS */
        __uint(max_entries, 2);
        __type(key, u32);
        __array(values, struct inner);
} outer SEC(".maps");
#define THE_MAP outer
#endif

SEC("xdp") int prog(void *ctx)
{
        bpf_tail_call(ctx, &THE_MAP, 0);
        return helper_fn(ctx);
}
