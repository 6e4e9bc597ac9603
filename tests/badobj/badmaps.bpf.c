// SPDX-License-Identifier: MIT
/*
 * BTF-defined maps with impossible sizes: the ELF front end may accept them
 * (the runtime checks sizes when it creates maps); creating them must fail.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

struct {
        __uint(type, 1); /* HASH with key_size 0 */
        __uint(max_entries, 16);
        __uint(key_size, 0);
        __type(value, u64);
} zero_key __attribute__((section(".maps"), used));

struct {
        __uint(type, 2); /* ARRAY with a huge value_size: 32 GiB in all */
        __uint(max_entries, 8);
        __type(key, u32);
        __uint(value_size, 0xfffffff0);
} huge_value __attribute__((section(".maps"), used));

struct {
        __uint(type, 1); /* HASH with max_entries 0 */
        __uint(max_entries, 0);
        __type(key, u32);
        __type(value, u64);
} no_entries __attribute__((section(".maps"), used));

struct {
        __uint(type, 2); /* ARRAY with value_size 0 */
        __uint(max_entries, 4);
        __type(key, u32);
        __uint(value_size, 0);
} zero_value __attribute__((section(".maps"), used));

__attribute__((section("socket/badmaps"), used)) int badmaps(void *ctx)
{
        u32 key = 0;
        long n = 0;

        (void)ctx;
        n += bpf_map_lookup_elem(&zero_key, &key) != 0;
        n += bpf_map_lookup_elem(&huge_value, &key) != 0;
        n += bpf_map_lookup_elem(&no_entries, &key) != 0;
        n += bpf_map_lookup_elem(&zero_value, &key) != 0;
        return (int)n;
}
