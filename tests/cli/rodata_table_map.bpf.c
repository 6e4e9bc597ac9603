/* SPDX-License-Identifier: MIT */
/*
 * A const table indexed in a loop next to loads and stores through map-value
 * pointers: the table's address reaches the loop through a struct on the
 * caller's stack. The read-only data check used to believe that anything
 * loaded through the map-value pointer might be that address, and refused
 * the store back into the map value ("stores the address of read-only
 * data").
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 8);
        __type(key, u32);
        __type(value, u64);
} acc __attribute__((section(".maps"), used));

static const u32 weights[8] = {3, 1, 4, 1, 5, 9, 2, 6};
static const u32 bias[8] = {10, 20, 30, 40, 50, 60, 70, 80};

struct scorer {
        const u32 *table;
        const u8 *data;
        u64 size;
};

/* acc[i] += table[i] * (data[i], or 1 past the data); returns the sum of acc. */
static __attribute__((noinline)) u64 score(const struct scorer *s)
{
        u64 total = 0;

#pragma clang loop unroll(disable)
        for (u32 i = 0; i < 8; i++) {
                u32 key = i;
                u64 *v = bpf_map_lookup_elem(&acc, &key);

                if (!v)
                        continue;
                *v += s->table[i] * (i < s->size ? s->data[i] : 1);
                total += *v;
        }
        return total;
}

/* weights for more than 4 bytes of context, else bias. */
__attribute__((section("socket/table"), used)) u64 weigh(const u8 *data, u64 size)
{
        struct scorer s = {size > 4 ? weights : bias, data, size};

        return score(&s);
}
