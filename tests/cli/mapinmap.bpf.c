/* SPDX-License-Identifier: MIT */
/*
 * Maps of maps: an ARRAY_OF_MAPS the object fills (`.values = { ... }`) and a
 * HASH_OF_MAPS the host fills. A program looks up the inner map, then a value
 * in it.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define SEC(s) __attribute__((section(s), used))

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

struct inner {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 4);
        __type(key, u32);
        __type(value, u64);
};
struct inner inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
        __uint(type, 12); /* BPF_MAP_TYPE_ARRAY_OF_MAPS */
        __uint(max_entries, 3);
        __type(key, u32);
        __array(values, struct inner);
} outer SEC(".maps") = {
    .values = {[0] = &inner_a, [2] = &inner_b},
};

struct {
        __uint(type, 13); /* BPF_MAP_TYPE_HASH_OF_MAPS */
        __uint(max_entries, 8);
        __type(key, u64);
        __array(values, struct inner);
} by_id SEC(".maps");

struct req {
        u32 which; /* slot of outer */
        u32 index; /* index in the inner array */
        u64 add;
};

/* Adds req->add to inner[req->index] of outer[req->which]; returns the new value, or 1000 + why not. */
SEC("xdp") int bump(struct req *r)
{
        u32 which = r->which, index = r->index;
        void *m = bpf_map_lookup_elem(&outer, &which);
        u64 *v;

        if (!m)
                return 1001;
        v = bpf_map_lookup_elem(m, &index);
        if (!v)
                return 1002;
        *v += r->add;
        return (int)*v;
}

/* The same through the host-filled hash: key is the u64 at ctx[0], index 0. */
SEC("xdp") int bump_by_id(u64 *ctx)
{
        u64 id = ctx[0];
        u32 zero = 0;
        void *m = bpf_map_lookup_elem(&by_id, &id);
        u64 *v;

        if (!m)
                return 1001;
        v = bpf_map_lookup_elem(m, &zero);
        if (!v)
                return 1002;
        *v += 10;
        return (int)*v;
}
