/* SPDX-License-Identifier: MIT */
/* A program using a BTF-defined map: needs a map relocation (unsupported yet). */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

#ifdef __clang__
static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
#else /* GCC 12 rejects calls through helper-id pointers that return pointers */
void *bpf_map_lookup_elem(void *map, const void *key) __attribute__((kernel_helper(1)));
#endif

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 4);
        __type(key, u32);
        __type(value, u64);
} hits __attribute__((section(".maps"), used));

__attribute__((section("socket/hits"), used)) int count_hits(void *ctx)
{
        u32 key = 0;
        u64 *v;

        (void)ctx;
        v = bpf_map_lookup_elem(&hits, &key);
        if (!v)
                return 0;
        __sync_fetch_and_add(v, 1);
        return 1;
}

/* 1 + hits[*key] when *key is inside the map, 0 when not (any u32 key). */
__attribute__((section("socket/probe"), used)) long probe_key(const u32 *key)
{
        u64 *v = bpf_map_lookup_elem(&hits, key);

        return v ? 1 + (long)*v : 0;
}
