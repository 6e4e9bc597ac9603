/* SPDX-License-Identifier: MIT */
/*
 * A map value used before it is compared with NULL: the kernel verifier
 * refuses it ("invalid mem access 'map_value_or_null'") and so must
 * bpf-aot build, naming the load; the checked variant builds.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 4);
        __type(key, u32);
        __type(value, u64);
} counts __attribute__((section(".maps"), used));

__attribute__((section("socket/unchecked"), used)) int unchecked(void *ctx)
{
        u32 key = 0;
        u64 *v;

        (void)ctx;
        v = bpf_map_lookup_elem(&counts, &key);
        return (int)*(volatile u64 *)v;
}

__attribute__((section("socket/checked"), used)) int checked(void *ctx)
{
        u32 key = 0;
        u64 *v;

        (void)ctx;
        v = bpf_map_lookup_elem(&counts, &key);
        if (!v)
                return 0;
        return (int)*(volatile u64 *)v;
}
