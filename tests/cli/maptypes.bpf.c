/* SPDX-License-Identifier: MIT */
/*
 * The map types a router or a filter keeps in user space: an LPM_TRIE
 * routing table, a BLOOM_FILTER of values seen, and a USER_RINGBUF of
 * requests the host sends, drained with a callback. maptypes_host.c drives
 * the programs through the skeleton. With -DUNSUPPORTED, `routes` is a
 * DEVMAP, a type the runtime cannot create.
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val)          int(*name)[val]
#define __type(name, val)          typeof(val) *name
#define SEC(s)                     __attribute__((section(s), used))
#define HELPER(ret, name, id, ...) static ret (*const bpf_##name)(__VA_ARGS__) = (void *)id

HELPER(void *, map_lookup_elem, 1, void *map, const void *key);
HELPER(long, map_update_elem, 2, void *map, const void *key, const void *value, u64 flags);
HELPER(long, map_push_elem, 87, void *map, const void *value, u64 flags);
HELPER(long, map_peek_elem, 89, void *map, void *value);
HELPER(long, user_ringbuf_drain, 209, void *map, void *callback, void *ctx, u64 flags);

#define BPF_NOEXIST       1
#define BPF_F_NO_PREALLOC 1

struct route_key {
        u32 prefixlen; /* struct bpf_lpm_trie_key */
        u8 addr[4];    /* IPv4, network order */
};

struct {
#ifdef UNSUPPORTED
        __uint(type, 14); /* BPF_MAP_TYPE_DEVMAP */
#else
        __uint(type, 11); /* BPF_MAP_TYPE_LPM_TRIE */
#endif
        __type(key, struct route_key);
        __type(value, u32);
        __uint(map_flags, BPF_F_NO_PREALLOC);
        __uint(max_entries, 16);
} routes SEC(".maps");

struct {
        __uint(type, 30); /* BPF_MAP_TYPE_BLOOM_FILTER */
        __type(value, u64);
        __uint(max_entries, 100);
        __uint(map_extra, 3); /* hash functions */
} seen SEC(".maps");

struct {
        __uint(type, 31); /* BPF_MAP_TYPE_USER_RINGBUF */
        __uint(max_entries, 4096);
} requests SEC(".maps");

/* The route (its value) for the IPv4 address in ctx; 0xffff when none covers it. */
SEC("socket/route") u64 route(const u8 *ctx, u64 size)
{
        struct route_key k = {32, {ctx[0], ctx[1], ctx[2], ctx[3]}};
        u32 *v;

        (void)size;
        v = bpf_map_lookup_elem(&routes, &k);
        return v ? *v : 0xffff;
}

struct new_route {
        struct route_key key;
        u32 value;
};

/* Add a route that must be new: 0 or the helper's error. */
SEC("socket/add_route") u64 add_route(const struct new_route *ctx, u64 size)
{
        struct new_route r = *ctx;

        (void)size;
        return (u64)bpf_map_update_elem(&routes, &r.key, &r.value, BPF_NOEXIST);
}

SEC("socket/remember") u64 remember(const u64 *ctx, u64 size)
{
        u64 v = *ctx;

        (void)size;
        return (u64)bpf_map_push_elem(&seen, &v, 0);
}

/* 1: maybe seen, 0: certainly not, else the error. */
SEC("socket/check") u64 check(const u64 *ctx, u64 size)
{
        u64 v = *ctx;
        long rc;

        (void)size;
        rc = bpf_map_peek_elem(&seen, &v);
        return rc == 0 ? 1 : rc == -2 ? 0 : (u64)rc;
}

struct drain_state {
        u64 calls, stop_at;
};

static long count_request(void *dynptr, void *ctx)
{
        struct drain_state *s = ctx;

        (void)dynptr;
        s->calls++;
        return s->calls == s->stop_at; /* 1 stops the drain */
}

/* Drain the requests, stopping after ctx's count (0: never): returns drained * 1000 + calls. */
SEC("socket/drain") u64 drain(const u64 *ctx, u64 size)
{
        struct drain_state s = {0, *ctx};
        long n;

        (void)size;
        n = bpf_user_ringbuf_drain(&requests, count_request, &s, 0);
        return (u64)n * 1000 + s.calls;
}
