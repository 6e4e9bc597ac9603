/* SPDX-License-Identifier: MIT */
/*
 * HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH.
 *
 * All max_entries elements are allocated at create time (like the kernel's
 * default preallocated maps) and kept on a free list when unused; nothing is
 * freed before the map is. A pointer returned by a lookup therefore stays
 * readable and writable even if another thread deletes the element; it may
 * then be reused for another key (the kernel's preallocated maps behave the
 * same under RCU).
 *
 * Locking: buckets are singly linked lists (of element refs: the state is
 * one block, see struct htab_elem) guarded by a striped array of
 * mutexes (bucket i uses lock i % nlocks). Lookups, updates, deletes and
 * get_next_key take the bucket's lock. The free list has its own lock. LRU
 * maps keep every element in the map on one list under lru_lock; lookups
 * only set an atomic reference bit, and eviction gives referenced elements a
 * second chance (moves them to the head, clears the bit) before taking the
 * tail, an approximation of LRU like the kernel's. Lock order: bucket lock,
 * then lru_lock or free_lock; the evictor releases lru_lock before taking a
 * bucket lock, and re-checks under it that the victim is still in the map.
 */
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define HASH_FLAGS                                                                                 \
        (BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | \
         BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG | BPF_F_ZERO_SEED)
#define MAX_LOCKS 1024u

/*
 * Elements are named by ref = index + 1 (0: none, or the LRU list's head),
 * never by address: the whole state is the map's block (maps_internal.h),
 * which a shared segment maps at a different address in each process.
 */
struct htab_elem {
        uint32_t next;               /* bucket chain, or free list */
        uint32_t lru_prev, lru_next; /* ref 0: the list's head */
        uint32_t hash;
        uint8_t on_lru;  /* under lru_lock */
        uint8_t ref;     /* atomic: looked up since the last eviction scan */
        uint64_t data[]; /* key (round_up 8), then value_stride * ncpus bytes */
};

/* The block's header; then n_locks mutexes, n_buckets bucket heads (refs), the elements. */
struct htab_shared {
        uint64_t n_buckets; /* power of two */
        uint64_t n_locks;   /* power of two */
        uint64_t elem_size, key_stride;
        uint64_t locks_off, buckets_off, elems_off; /* from the block's start */
        bool lru;
        pthread_mutex_t free_lock;
        uint32_t free_list;
        pthread_mutex_t lru_lock;
        uint32_t lru_first, lru_last; /* the head's lru_next, lru_prev: most, least recent */
};

/* This process's view of the block. */
struct htab {
        struct htab_shared *sh;
        pthread_mutex_t *locks;
        uint32_t *buckets;
        char *elems;
        size_t n_buckets, n_locks, elem_size, key_stride;
        bool lru;
};

static uint32_t hash_key(const void *key, uint32_t size)
{
        const unsigned char *p = key;
        uint32_t h = 2166136261u;
        uint32_t i;

        for (i = 0; i < size; i++)
                h = (h ^ p[i]) * 16777619u;
        /* murmur3 finaliser: spread the low bits used for the bucket index */
        h ^= h >> 16;
        h *= 0x85ebca6bu;
        h ^= h >> 13;
        h *= 0xc2b2ae35u;
        h ^= h >> 16;
        return h;
}

static inline struct htab_elem *elem_at(const struct htab *h, uint32_t ref)
{
        return ref ? (struct htab_elem *)(h->elems + (size_t)(ref - 1) * h->elem_size) : NULL;
}

static inline uint32_t elem_ref(const struct htab *h, const struct htab_elem *e)
{
        return (uint32_t)(((const char *)e - h->elems) / h->elem_size) + 1;
}

static inline void *elem_key(struct htab_elem *e)
{
        return e->data;
}

static inline char *elem_value(const struct htab *h, struct htab_elem *e)
{
        return (char *)e->data + h->key_stride;
}

static inline pthread_mutex_t *bucket_lock(struct htab *h, size_t b)
{
        return &h->locks[b & (h->n_locks - 1)];
}

static bool is_lru(const struct bpfaot_map_def *def)
{
        return def->type == BPF_MAP_TYPE_LRU_HASH || def->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* The definition checks and the block's layout (offsets in sh; *size its bytes). */
static int htab_layout(const struct bpfaot_map *map, struct htab_shared *sh, size_t *size)
{
        const struct bpfaot_map_def *def = &map->def;
        bool lru = is_lru(def);
        size_t vals, elem, total, nb = 1, nl, off;

        if (def->key_size == 0 || def->value_size == 0 || def->max_entries == 0 ||
            (def->map_flags & ~HASH_FLAGS))
                return -EINVAL;
        if (!lru && (def->map_flags & BPF_F_NO_COMMON_LRU))
                return -EINVAL;
        if (lru && (def->map_flags & BPF_F_NO_PREALLOC))
                return -EINVAL;
        while (nb < def->max_entries)
                nb <<= 1;
        nl = nb < MAX_LOCKS ? nb : MAX_LOCKS;
        off = BPFAOT_ROUND_UP(sizeof(struct htab_shared), 64);
        sh->locks_off = off;
        off += BPFAOT_ROUND_UP(nl * sizeof(pthread_mutex_t), 64);
        sh->buckets_off = off;
        off += BPFAOT_ROUND_UP(nb * sizeof(uint32_t), 64);
        sh->elems_off = off;
        if (__builtin_mul_overflow(map->value_stride, (size_t)map->ncpus, &vals) ||
            __builtin_add_overflow(vals, sizeof(struct htab_elem), &elem) ||
            __builtin_add_overflow(elem, BPFAOT_ROUND_UP((size_t)def->key_size, 8), &elem) ||
            __builtin_mul_overflow(elem, (size_t)def->max_entries, &total) ||
            __builtin_add_overflow(total, off, &total) || total > BPFAOT_MAP_MAX_BYTES)
                return -EINVAL;
        sh->n_buckets = nb;
        sh->n_locks = nl;
        sh->elem_size = elem;
        sh->key_stride = BPFAOT_ROUND_UP((size_t)def->key_size, 8);
        sh->lru = lru;
        *size = total;
        return 0;
}

static int htab_block_size(const struct bpfaot_map *map, size_t *size)
{
        struct htab_shared sh;

        return htab_layout(map, &sh, size);
}

/* This process's view of a laid-out block (map->block). */
static int htab_attach(struct bpfaot_map *map)
{
        struct htab_shared *sh = map->block;
        struct htab *h = calloc(1, sizeof(*h));

        if (!h)
                return -ENOMEM;
        h->sh = sh;
        h->locks = (pthread_mutex_t *)((char *)map->block + sh->locks_off);
        h->buckets = (uint32_t *)((char *)map->block + sh->buckets_off);
        h->elems = (char *)map->block + sh->elems_off;
        h->n_buckets = sh->n_buckets;
        h->n_locks = sh->n_locks;
        h->elem_size = sh->elem_size;
        h->key_stride = sh->key_stride;
        h->lru = sh->lru;
        map->priv = h;
        return 0;
}

static int htab_alloc(struct bpfaot_map *map)
{
        struct htab_shared *sh = map->block;
        size_t size, i;
        int err = htab_layout(map, sh, &size);
        struct htab *h;

        if (err)
                return err;
        err = bpfaot__map_lock_init(&sh->free_lock, map->shared)
                  ?: bpfaot__map_lock_init(&sh->lru_lock, map->shared);
        for (i = 0; !err && i < sh->n_locks; i++)
                err = bpfaot__map_lock_init(
                    (pthread_mutex_t *)((char *)map->block + sh->locks_off) + i, map->shared);
        err = err ?: htab_attach(map);
        if (err)
                return err;
        h = map->priv;
        /* Free list in index order, so a fresh map hands out elements 0, 1, ... */
        for (i = map->def.max_entries; i-- > 0;) {
                struct htab_elem *e = elem_at(h, (uint32_t)i + 1);

                e->next = sh->free_list;
                sh->free_list = (uint32_t)i + 1;
        }
        return 0;
}

/*
 * The locks of a block in process memory go with it; a shared block's
 * belong to its segment, which other processes may still use.
 */
static void htab_free(struct bpfaot_map *map)
{
        struct htab *h = map->priv;

        if (!map->shared) {
                for (size_t i = 0; i < h->n_locks; i++)
                        pthread_mutex_destroy(&h->locks[i]);
                pthread_mutex_destroy(&h->sh->free_lock);
                pthread_mutex_destroy(&h->sh->lru_lock);
        }
        free(h);
}

/*
 * Under the bucket's lock. *plink (if asked) receives the link holding the
 * element's ref. A chain longer than the map has elements is one a process
 * that died halfway through a change left looping: the walk stops there
 * instead of going round for ever.
 */
static inline struct htab_elem *find(struct bpfaot_map *map, struct htab *h, uint32_t hash,
                                     const void *key, uint32_t **plink)
{
        uint32_t *link = &h->buckets[hash & (h->n_buckets - 1)];
        uint64_t left = map->def.max_entries;
        struct htab_elem *e;

        for (e = elem_at(h, *link); e && left--; link = &e->next, e = elem_at(h, e->next)) {
                if (e->hash == hash && !memcmp(elem_key(e), key, map->def.key_size)) {
                        if (plink)
                                *plink = link;
                        return e;
                }
        }
        return NULL;
}

/* The LRU links of ref (0: the list's head, kept in the header). */
static uint32_t *lru_next_of(struct htab *h, uint32_t ref)
{
        return ref ? &elem_at(h, ref)->lru_next : &h->sh->lru_first;
}

static uint32_t *lru_prev_of(struct htab *h, uint32_t ref)
{
        return ref ? &elem_at(h, ref)->lru_prev : &h->sh->lru_last;
}

static void lru_unlink(struct htab *h, struct htab_elem *e)
{
        *lru_next_of(h, e->lru_prev) = e->lru_next;
        *lru_prev_of(h, e->lru_next) = e->lru_prev;
        e->on_lru = 0;
}

static void lru_push_head(struct htab *h, struct htab_elem *e)
{
        uint32_t ref = elem_ref(h, e);

        e->lru_next = h->sh->lru_first;
        e->lru_prev = 0;
        *lru_prev_of(h, h->sh->lru_first) = ref;
        h->sh->lru_first = ref;
        e->on_lru = 1;
}

static void free_push(struct htab *h, struct htab_elem *e)
{
        bpfaot__map_lock(&h->sh->free_lock);
        e->next = h->sh->free_list;
        h->sh->free_list = elem_ref(h, e);
        bpfaot__map_unlock(&h->sh->free_lock);
}

static struct htab_elem *free_pop(struct htab *h)
{
        struct htab_elem *e;

        bpfaot__map_lock(&h->sh->free_lock);
        e = elem_at(h, h->sh->free_list);
        if (e)
                h->sh->free_list = e->next;
        bpfaot__map_unlock(&h->sh->free_lock);
        return e;
}

/* LRU: take the least recently used element out of the map, or NULL if none is. */
static struct htab_elem *lru_evict(struct bpfaot_map *map, struct htab *h)
{
        /*
         * Each round takes an element off the LRU list: more rounds than the
         * map has elements means a list a dead process left looping. Then
         * nothing is evicted (the update fails as on a full map) rather than
         * the caller spinning for ever.
         */
        for (uint64_t round = 0; round <= map->def.max_entries; round++) {
                struct htab_elem *v;
                uint32_t *link, ref;
                size_t budget = 2 * (size_t)map->def.max_entries + 1, b;
                uint32_t hash;
                bool found = false;

                bpfaot__map_lock(&h->sh->lru_lock);
                v = elem_at(h, h->sh->lru_last);
                while (v && budget-- > 0 && __atomic_exchange_n(&v->ref, 0, __ATOMIC_RELAXED)) {
                        lru_unlink(h, v); /* second chance */
                        lru_push_head(h, v);
                        v = elem_at(h, h->sh->lru_last);
                }
                if (!v) {
                        bpfaot__map_unlock(&h->sh->lru_lock);
                        return NULL;
                }
                lru_unlink(h, v);
                hash = v->hash; /* stable while v was on the list */
                bpfaot__map_unlock(&h->sh->lru_lock);

                /* v may have been deleted (and reused) meanwhile: check it is still linked. */
                ref = elem_ref(h, v);
                b = hash & (h->n_buckets - 1);
                bpfaot__map_lock(bucket_lock(h, b));
                link = &h->buckets[b];
                for (uint64_t left = map->def.max_entries; *link && left--;
                     link = &elem_at(h, *link)->next) {
                        if (*link == ref) {
                                *link = v->next;
                                found = true;
                                break;
                        }
                }
                if (found) {
                        bpfaot__map_lock(&h->sh->lru_lock);
                        if (v->on_lru) /* deleted and re-inserted in between */
                                lru_unlink(h, v);
                        bpfaot__map_unlock(&h->sh->lru_lock);
                }
                bpfaot__map_unlock(bucket_lock(h, b));
                if (found)
                        return v;
        }
        return NULL;
}

/* The element's value (all CPUs' copies for PERCPU), or NULL. LRU: marks it used. */
static char *htab_lookup_value(struct bpfaot_map *map, const void *key)
{
        struct htab *h = map->priv;
        uint32_t hash = hash_key(key, map->def.key_size);
        pthread_mutex_t *lock = bucket_lock(h, hash & (h->n_buckets - 1));
        struct htab_elem *e;
        char *v = NULL;

        bpfaot__map_lock(lock);
        e = find(map, h, hash, key, NULL);
        if (e) {
                if (h->lru)
                        __atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
                v = elem_value(h, e);
        }
        bpfaot__map_unlock(lock);
        return v;
}

static void *htab_lookup_percpu(struct bpfaot_map *map, const void *key, uint32_t cpu)
{
        char *v = htab_lookup_value(map, key);

        return v ? v + (size_t)cpu * map->value_stride : NULL;
}

static void *htab_lookup(struct bpfaot_map *map, const void *key)
{
        if (map->percpu)
                return htab_lookup_percpu(map, key, bpfaot_map_cpu(map));
        return htab_lookup_value(map, key);
}

static void fill_value(struct bpfaot_map *map, struct htab *h, struct htab_elem *e,
                       const void *value, bool allcpus)
{
        char *dst = elem_value(h, e);
        uint32_t cpu;

        if (!map->percpu) {
                memcpy(dst, value, map->def.value_size);
        } else if (allcpus) {
                for (cpu = 0; cpu < map->ncpus; cpu++)
                        memcpy(dst + cpu * map->value_stride,
                               (const char *)value + cpu * map->value_stride, map->def.value_size);
        } else {
                memcpy(dst + (size_t)bpfaot_map_cpu(map) * map->value_stride, value,
                       map->def.value_size);
        }
}

static long htab_update(struct bpfaot_map *map, const void *key, const void *value, uint64_t flags,
                        bool allcpus)
{
        struct htab *h = map->priv;
        uint32_t hash = hash_key(key, map->def.key_size);
        size_t b = hash & (h->n_buckets - 1);
        pthread_mutex_t *lock = bucket_lock(h, b);
        struct htab_elem *e, *n;

        if (flags > BPF_EXIST)
                return -EINVAL;

        bpfaot__map_lock(lock);
        e = find(map, h, hash, key, NULL);
        if (e) {
                if (flags == BPF_NOEXIST) {
                        bpfaot__map_unlock(lock);
                        return -EEXIST;
                }
                fill_value(map, h, e, value, allcpus);
                if (h->lru)
                        __atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
                bpfaot__map_unlock(lock);
                return 0;
        }
        bpfaot__map_unlock(lock);
        if (flags == BPF_EXIST)
                return -ENOENT;

        /* A new element, taken without holding a bucket lock (eviction takes one). */
        n = free_pop(h);
        if (!n && h->lru)
                n = lru_evict(map, h);
        if (!n)
                return h->lru ? -ENOMEM : -E2BIG;
        n->hash = hash;
        n->ref = 0;
        memcpy(elem_key(n), key, map->def.key_size);
        memset(elem_value(h, n), 0, map->value_stride * map->ncpus);
        fill_value(map, h, n, value, allcpus);

        bpfaot__map_lock(lock);
        e = find(map, h, hash, key, NULL);
        if (e) { /* inserted by another thread meanwhile */
                long ret = 0;

                if (flags == BPF_NOEXIST)
                        ret = -EEXIST;
                else
                        fill_value(map, h, e, value, allcpus);
                bpfaot__map_unlock(lock);
                free_push(h, n);
                return ret;
        }
        n->next = h->buckets[b];
        h->buckets[b] = elem_ref(h, n);
        if (h->lru) {
                bpfaot__map_lock(&h->sh->lru_lock);
                lru_push_head(h, n);
                bpfaot__map_unlock(&h->sh->lru_lock);
        }
        bpfaot__map_unlock(lock);
        return 0;
}

/* Under the bucket's lock: take e (reached through link) out of the map. */
static void unlink_elem(struct htab *h, struct htab_elem *e, uint32_t *link)
{
        *link = e->next;
        if (h->lru) {
                bpfaot__map_lock(&h->sh->lru_lock);
                if (e->on_lru) /* else an evictor holds it and will not find it linked */
                        lru_unlink(h, e);
                bpfaot__map_unlock(&h->sh->lru_lock);
        }
}

static long htab_delete(struct bpfaot_map *map, const void *key)
{
        struct htab *h = map->priv;
        uint32_t hash = hash_key(key, map->def.key_size);
        pthread_mutex_t *lock = bucket_lock(h, hash & (h->n_buckets - 1));
        struct htab_elem *e;
        uint32_t *link;

        bpfaot__map_lock(lock);
        e = find(map, h, hash, key, &link);
        if (!e) {
                bpfaot__map_unlock(lock);
                return -ENOENT;
        }
        unlink_elem(h, e, link);
        bpfaot__map_unlock(lock);
        free_push(h, e);
        return 0;
}

/* lookup_copy then delete under the bucket's lock: no update slips in between. */
static int htab_lookup_and_delete(struct bpfaot_map *map, const void *key, void *value)
{
        struct htab *h = map->priv;
        uint32_t hash = hash_key(key, map->def.key_size);
        pthread_mutex_t *lock = bucket_lock(h, hash & (h->n_buckets - 1));
        struct htab_elem *e;
        uint32_t *link;

        bpfaot__map_lock(lock);
        e = find(map, h, hash, key, &link);
        if (!e) {
                bpfaot__map_unlock(lock);
                return -ENOENT;
        }
        memcpy(value, elem_value(h, e), bpfaot_map__value_copy_size(map));
        unlink_elem(h, e, link);
        bpfaot__map_unlock(lock);
        free_push(h, e);
        return 0;
}

static int htab_lookup_copy(struct bpfaot_map *map, const void *key, void *value)
{
        struct htab *h = map->priv;
        uint32_t hash = hash_key(key, map->def.key_size);
        pthread_mutex_t *lock = bucket_lock(h, hash & (h->n_buckets - 1));
        struct htab_elem *e;

        bpfaot__map_lock(lock);
        e = find(map, h, hash, key, NULL);
        if (e)
                memcpy(value, elem_value(h, e), bpfaot_map__value_copy_size(map));
        bpfaot__map_unlock(lock);
        return e ? 0 : -ENOENT;
}

static int htab_get_next_key(struct bpfaot_map *map, const void *key, void *next_key)
{
        struct htab *h = map->priv;
        size_t b = 0;

        if (key) {
                uint32_t hash = hash_key(key, map->def.key_size);
                pthread_mutex_t *lock;
                struct htab_elem *e;

                b = hash & (h->n_buckets - 1);
                lock = bucket_lock(h, b);
                bpfaot__map_lock(lock);
                e = find(map, h, hash, key, NULL);
                if (e && e->next) {
                        memcpy(next_key, elem_key(elem_at(h, e->next)), map->def.key_size);
                        bpfaot__map_unlock(lock);
                        return 0;
                }
                bpfaot__map_unlock(lock);
                /* found: continue with the next bucket; missing: restart from the first */
                b = e ? b + 1 : 0;
        }
        for (; b < h->n_buckets; b++) {
                pthread_mutex_t *lock = bucket_lock(h, b);

                bpfaot__map_lock(lock);
                if (h->buckets[b]) {
                        memcpy(next_key, elem_key(elem_at(h, h->buckets[b])), map->def.key_size);
                        bpfaot__map_unlock(lock);
                        return 0;
                }
                bpfaot__map_unlock(lock);
        }
        return -ENOENT;
}

/* Lookups hand out values inside the preallocated elements. */
static bool htab_owns(const struct bpfaot_map *map, uintptr_t p, size_t size)
{
        const struct htab *h = map->priv;
        return bpfaot_range_inside(p, size, h->elems, h->elem_size * map->def.max_entries);
}

/*
 * Each bucket's elements are collected under its lock, a few at a time, and
 * visited without it, so that fn may update or delete. An element added or
 * deleted meanwhile may or may not be visited (as in the kernel's walk).
 */
static long htab_for_each(struct bpfaot_map *map, bpfaot_map_elem_fn fn, void *ctx)
{
        struct htab *h = map->priv;
        size_t cpu_off = map->percpu ? (size_t)bpfaot_map_cpu(map) * map->value_stride : 0;
        long n = 0;

        for (size_t b = 0; b < h->n_buckets; b++) {
                size_t skip = 0, got;

                do {
                        struct htab_elem *batch[16], *e;
                        size_t i = 0;

                        bpfaot__map_lock(bucket_lock(h, b));
                        for (e = elem_at(h, h->buckets[b]); e && i < skip; e = elem_at(h, e->next))
                                i++;
                        for (got = 0; e && got < 16; e = elem_at(h, e->next))
                                batch[got++] = e;
                        bpfaot__map_unlock(bucket_lock(h, b));
                        for (i = 0; i < got; i++) {
                                n++;
                                if (fn(map, elem_key(batch[i]), elem_value(h, batch[i]) + cpu_off,
                                       ctx))
                                        return n;
                        }
                        skip += got;
                } while (got == 16);
        }
        return n;
}

static void *htab_elem_of(struct bpfaot_map *map, const void *p, uint32_t *index, const void **key)
{
        struct htab *h = map->priv;
        struct htab_elem *e;

        if (map->percpu || !htab_owns(map, (uintptr_t)p, 1))
                return NULL;
        *index = (uint32_t)(((uintptr_t)p - (uintptr_t)h->elems) / h->elem_size);
        e = (struct htab_elem *)(h->elems + (size_t)*index * h->elem_size);
        *key = elem_key(e);
        return elem_value(h, e);
}

const struct bpfaot_map_ops bpfaot_hash_ops = {
    .owns = htab_owns,
    .block_size = htab_block_size,
    .attach = htab_attach,
    .alloc = htab_alloc,
    .free = htab_free,
    .lookup = htab_lookup,
    .lookup_percpu = htab_lookup_percpu,
    .update = htab_update,
    .delete = htab_delete,
    .lookup_and_delete = htab_lookup_and_delete,
    .lookup_copy = htab_lookup_copy,
    .get_next_key = htab_get_next_key,
    .for_each = htab_for_each,
    .elem_of = htab_elem_of,
};
