/* SPDX-License-Identifier: MIT */
/*
 * A byte histogram in an ARRAY map: one bpf_map_lookup_elem per input byte.
 * map_lookup.c times it built with and without --inline-maps, and the same
 * loop in C over a plain array (histo_native in this file, built for the host).
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define HISTO_MAX 4096

struct histo_input {
        u64 len;
        unsigned char data[HISTO_MAX];
};

#ifdef __bpf__
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 256);
        __type(key, u32);
        __type(value, u64);
} counts __attribute__((section(".maps"), used));

__attribute__((section("bench"), used)) int histo(struct histo_input *in)
{
        u64 n = in->len < HISTO_MAX ? in->len : HISTO_MAX;

        for (u64 i = 0; i < n; i++) {
                u32 key = in->data[i];
                u64 *v = bpf_map_lookup_elem(&counts, &key);
                if (v)
                        *v += 1;
        }
        return 0;
}
#else
void histo_native(u64 counts[256], const struct histo_input *in);
void histo_native(u64 counts[256], const struct histo_input *in)
{
        u64 n = in->len < HISTO_MAX ? in->len : HISTO_MAX;

        for (u64 i = 0; i < n; i++)
                counts[in->data[i]] += 1;
}
#endif
