/* SPDX-License-Identifier: MIT */
/*
 * Helpers given memory too small for what they read or write: the kernel
 * verifier refuses them ("invalid access to map value", "invalid indirect
 * read from stack") and so must bpf-aot build, naming the call; the
 * variants that fit build.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*const bpf_probe_read_kernel)(void *dst, u32 size, const void *src) = (void *)113;

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 4);
        __type(key, u32);
        __type(value, u64);
} counts __attribute__((section(".maps"), used));

/* 16 bytes into an 8-byte map value. */
__attribute__((section("socket/value_too_small"), used)) int value_too_small(void *ctx)
{
        u32 key = 0;
        u64 *v = bpf_map_lookup_elem(&counts, &key);

        if (!v)
                return 0;
        bpf_probe_read_kernel(v, 16, ctx);
        return (int)*v;
}

__attribute__((section("socket/value_fits"), used)) int value_fits(void *ctx)
{
        u32 key = 0;
        u64 *v = bpf_map_lookup_elem(&counts, &key);

        if (!v)
                return 0;
        bpf_probe_read_kernel(v, 8, ctx);
        return (int)*v;
}
