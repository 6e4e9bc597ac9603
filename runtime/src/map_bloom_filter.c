/* SPDX-License-Identifier: MIT */
/*
 * BLOOM_FILTER with the kernel's rules (kernel/bpf/bloom_filter.c): no key,
 * values are pushed (added) and peeked (tested: -ENOENT means definitely
 * absent, 0 probably present); nothing is ever removed. The number of hash
 * functions is the low 4 bits of map_extra (0: 5); the bit array has
 * max_entries * hashes / ln 2 bits, rounded up to a power of two (at least
 * 64, at most 2^32), as the kernel sizes it. Bits are set and tested with
 * atomic operations, so no lock is needed. The state is one block
 * (maps_internal.h) without pointers, so a filter can live in a shared
 * segment.
 */
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define BLOOM_FLAGS                                                                                \
        (BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG |     \
         BPF_F_WRONLY_PROG)
#define BLOOM_DEFAULT_HASHES 5
#define BLOOM_MAX_VALUE      (4u << 20) /* the kernel's KMALLOC_MAX_SIZE on x86-64 */

struct bloom {
        uint32_t mask; /* bits - 1 */
        uint32_t seed;
        uint32_t hashes;
        uint64_t bits[];
};

/* The kernel's sizing: k hashes, n entries -> n * k * 7 / 5 bits (1/ln 2 ~ 7/5). */
static uint64_t bloom_bits(uint32_t entries, uint32_t hashes)
{
        uint32_t n;

        if (__builtin_mul_overflow(entries, hashes, &n) || __builtin_mul_overflow(n / 5, 7u, &n) ||
            n > (1u << 31))
                return 1ull << 32;
        if (n <= 64)
                return 64;
        return 1ull << (32 - __builtin_clz(n - 1));
}

/* The definition checks, and the block: the filter's header and its bits. */
static int bloom_block_size(const struct bpfaot_map *map, size_t *size)
{
        const struct bpfaot_map_def *def = &map->def;
        uint32_t ro_wo = BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;

        if (def->value_size > BLOOM_MAX_VALUE)
                return -E2BIG;
        if (def->key_size != 0 || def->value_size == 0 || def->max_entries == 0 ||
            (def->map_flags & ~BLOOM_FLAGS) || (def->map_flags & ro_wo) == ro_wo ||
            (def->map_extra & ~0xfu))
                return -EINVAL;
        *size = sizeof(struct bloom) +
                (size_t)(bloom_bits(def->max_entries,
                                    def->map_extra ? def->map_extra : BLOOM_DEFAULT_HASHES) /
                         8);
        return 0;
}

/* The block holds no pointers: every process reads it where it maps it. */
static int bloom_attach(struct bpfaot_map *map)
{
        map->priv = map->block;
        return 0;
}

static int bloom_alloc(struct bpfaot_map *map)
{
        const struct bpfaot_map_def *def = &map->def;
        struct bloom *b = map->block;

        b->hashes = def->map_extra ? def->map_extra : BLOOM_DEFAULT_HASHES;
        b->mask = (uint32_t)(bloom_bits(def->max_entries, b->hashes) - 1);
        if (!(def->map_flags & BPF_F_ZERO_SEED) &&
            getrandom(&b->seed, sizeof(b->seed), 0) != (ssize_t)sizeof(b->seed))
                b->seed = (uint32_t)(uintptr_t)b * 2654435761u;
        return bloom_attach(map);
}

/* The block is the map's place's to free. */
static void bloom_free(struct bpfaot_map *map)
{
        (void)map;
}

/* Hash function `i` of the value: FNV-1a seeded per function, then a murmur3 finaliser. */
static uint32_t bloom_hash(const struct bloom *b, const void *value, uint32_t size, uint32_t i)
{
        const unsigned char *p = value;
        uint32_t h = (2166136261u ^ (b->seed + i)) * 16777619u;

        for (uint32_t k = 0; k < size; k++)
                h = (h ^ p[k]) * 16777619u;
        h ^= h >> 16;
        h *= 0x85ebca6bu;
        h ^= h >> 13;
        h *= 0xc2b2ae35u;
        h ^= h >> 16;
        return h & b->mask;
}

static long bloom_push(struct bpfaot_map *map, const void *value, uint64_t flags)
{
        struct bloom *b = map->priv;

        if (flags != BPF_ANY)
                return -EINVAL;
        for (uint32_t i = 0; i < b->hashes; i++) {
                uint32_t h = bloom_hash(b, value, map->def.value_size, i);

                __atomic_fetch_or(&b->bits[h / 64], 1ull << (h % 64), __ATOMIC_RELAXED);
        }
        return 0;
}

/* remove: pop, which a Bloom filter cannot do. */
static long bloom_peek(struct bpfaot_map *map, void *value, bool remove)
{
        struct bloom *b = map->priv;

        if (remove)
                return -EOPNOTSUPP;
        for (uint32_t i = 0; i < b->hashes; i++) {
                uint32_t h = bloom_hash(b, value, map->def.value_size, i);

                if (!(__atomic_load_n(&b->bits[h / 64], __ATOMIC_RELAXED) & (1ull << (h % 64))))
                        return -ENOENT;
        }
        return 0;
}

/* Programs: map_lookup_elem has no meaning (the kernel's verifier refuses it). */
static void *bloom_lookup(struct bpfaot_map *map, const void *key)
{
        (void)map, (void)key;
        return NULL;
}

/* Programs: -EINVAL. Host, like BPF_MAP_UPDATE_ELEM with a NULL key: push. */
static long bloom_update(struct bpfaot_map *map, const void *key, const void *value, uint64_t flags,
                         bool host)
{
        if (!host || key)
                return -EINVAL;
        return bloom_push(map, value, flags);
}

static long bloom_delete(struct bpfaot_map *map, const void *key)
{
        (void)map, (void)key;
        return -EOPNOTSUPP;
}

/* Host, like BPF_MAP_LOOKUP_ELEM with a NULL key: `value` is the one tested. */
static int bloom_lookup_copy(struct bpfaot_map *map, const void *key, void *value)
{
        if (key)
                return -EINVAL;
        return (int)bloom_peek(map, value, false);
}

static int bloom_get_next_key(struct bpfaot_map *map, const void *key, void *next_key)
{
        (void)map, (void)key, (void)next_key;
        return -EOPNOTSUPP;
}

const struct bpfaot_map_ops bpfaot_bloom_filter_ops = {
    .alloc = bloom_alloc,
    .free = bloom_free,
    .lookup = bloom_lookup,
    .update = bloom_update,
    .delete = bloom_delete,
    .lookup_copy = bloom_lookup_copy,
    .get_next_key = bloom_get_next_key,
    .push = bloom_push,
    .pop = bloom_peek,
    .block_size = bloom_block_size,
    .attach = bloom_attach,
};
