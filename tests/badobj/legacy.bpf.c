// SPDX-License-Identifier: MIT
/* Legacy struct bpf_map_def maps (SEC("maps")), global data and a .text call. */
typedef unsigned int u32;
typedef unsigned long long u64;

struct bpf_map_def {
        u32 type, key_size, value_size, max_entries, map_flags;
};

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

struct bpf_map_def __attribute__((section("maps"), used))
hist = {.type = 1, .key_size = 4, .value_size = 8, .max_entries = 128}; /* HASH */
struct bpf_map_def __attribute__((section("maps"), used))
slots = {.type = 2, .key_size = 4, .value_size = 16, .max_entries = 8}; /* ARRAY */

u64 calls;

__attribute__((noinline)) u64 bucket(u64 x)
{
        return x < 64 ? x : 63;
}

__attribute__((section("socket/legacy"), used)) int legacy(void *ctx, u64 size)
{
        u32 key = (u32)bucket(size);
        u64 *v = bpf_map_lookup_elem(&hist, &key);

        (void)ctx;
        if (v)
                (*v)++;
        v = bpf_map_lookup_elem(&slots, &key);
        calls++;
        return v ? (int)v[1] : 0;
}
