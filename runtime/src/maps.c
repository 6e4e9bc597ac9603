/* SPDX-License-Identifier: MIT */
/* eBPF maps: creation, the type table and dispatch to the map families. */
#define _GNU_SOURCE
#include "maps_internal.h"
#include "bpfaot/runtime.h"
#include "cpu_internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *const type_names[] = {
    [BPF_MAP_TYPE_UNSPEC] = "unspec",
    [BPF_MAP_TYPE_HASH] = "hash",
    [BPF_MAP_TYPE_ARRAY] = "array",
    [BPF_MAP_TYPE_PROG_ARRAY] = "prog_array",
    [BPF_MAP_TYPE_PERF_EVENT_ARRAY] = "perf_event_array",
    [BPF_MAP_TYPE_PERCPU_HASH] = "percpu_hash",
    [BPF_MAP_TYPE_PERCPU_ARRAY] = "percpu_array",
    [BPF_MAP_TYPE_STACK_TRACE] = "stack_trace",
    [BPF_MAP_TYPE_CGROUP_ARRAY] = "cgroup_array",
    [BPF_MAP_TYPE_LRU_HASH] = "lru_hash",
    [BPF_MAP_TYPE_LRU_PERCPU_HASH] = "lru_percpu_hash",
    [BPF_MAP_TYPE_LPM_TRIE] = "lpm_trie",
    [BPF_MAP_TYPE_ARRAY_OF_MAPS] = "array_of_maps",
    [BPF_MAP_TYPE_HASH_OF_MAPS] = "hash_of_maps",
    [BPF_MAP_TYPE_DEVMAP] = "devmap",
    [BPF_MAP_TYPE_SOCKMAP] = "sockmap",
    [BPF_MAP_TYPE_CPUMAP] = "cpumap",
    [BPF_MAP_TYPE_XSKMAP] = "xskmap",
    [BPF_MAP_TYPE_SOCKHASH] = "sockhash",
    [BPF_MAP_TYPE_CGROUP_STORAGE] = "cgroup_storage",
    [BPF_MAP_TYPE_REUSEPORT_SOCKARRAY] = "reuseport_sockarray",
    [BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE] = "percpu_cgroup_storage",
    [BPF_MAP_TYPE_QUEUE] = "queue",
    [BPF_MAP_TYPE_STACK] = "stack",
    [BPF_MAP_TYPE_SK_STORAGE] = "sk_storage",
    [BPF_MAP_TYPE_DEVMAP_HASH] = "devmap_hash",
    [BPF_MAP_TYPE_STRUCT_OPS] = "struct_ops",
    [BPF_MAP_TYPE_RINGBUF] = "ringbuf",
    [BPF_MAP_TYPE_INODE_STORAGE] = "inode_storage",
    [BPF_MAP_TYPE_TASK_STORAGE] = "task_storage",
    [BPF_MAP_TYPE_BLOOM_FILTER] = "bloom_filter",
    [BPF_MAP_TYPE_USER_RINGBUF] = "user_ringbuf",
};

const char *bpfaot_map_type__name(uint32_t type)
{
        if (type < sizeof(type_names) / sizeof(type_names[0]) && type_names[type])
                return type_names[type];
        return "unknown";
}

/* The map types the runtime creates: their operations, and whether values are per CPU. */
static const struct map_kind {
        const struct bpfaot_map_ops *ops;
        bool percpu;
} map_kinds[] = {
    [BPF_MAP_TYPE_ARRAY] = {&bpfaot_array_ops, false},
    [BPF_MAP_TYPE_PERCPU_ARRAY] = {&bpfaot_array_ops, true},
    [BPF_MAP_TYPE_HASH] = {&bpfaot_hash_ops, false},
    [BPF_MAP_TYPE_LRU_HASH] = {&bpfaot_hash_ops, false},
    [BPF_MAP_TYPE_PERCPU_HASH] = {&bpfaot_hash_ops, true},
    [BPF_MAP_TYPE_LRU_PERCPU_HASH] = {&bpfaot_hash_ops, true},
    [BPF_MAP_TYPE_QUEUE] = {&bpfaot_queue_ops, false},
    [BPF_MAP_TYPE_STACK] = {&bpfaot_queue_ops, false},
    [BPF_MAP_TYPE_RINGBUF] = {&bpfaot_ringbuf_ops, false},
    [BPF_MAP_TYPE_PROG_ARRAY] = {&bpfaot_ptr_array_ops, false},
    [BPF_MAP_TYPE_ARRAY_OF_MAPS] = {&bpfaot_ptr_array_ops, false},
    [BPF_MAP_TYPE_HASH_OF_MAPS] = {&bpfaot_hash_of_maps_ops, false},
    [BPF_MAP_TYPE_PERF_EVENT_ARRAY] = {&bpfaot_perf_event_ops, false},
    [BPF_MAP_TYPE_LPM_TRIE] = {&bpfaot_lpm_trie_ops, false},
    [BPF_MAP_TYPE_BLOOM_FILTER] = {&bpfaot_bloom_filter_ops, false},
    [BPF_MAP_TYPE_USER_RINGBUF] = {&bpfaot_user_ringbuf_ops, false},
};

static const struct bpfaot_map_ops *ops_for(uint32_t type, bool *percpu)
{
        const struct map_kind *k =
            type < sizeof(map_kinds) / sizeof(map_kinds[0]) ? &map_kinds[type] : NULL;

        *percpu = k && k->percpu;
        return k ? k->ops : NULL;
}

bool bpfaot_map_type__supported(uint32_t type)
{
        bool percpu;

        return ops_for(type, &percpu) != NULL;
}

int bpfaot_map_def__describe_error(const struct bpfaot_map_def *def, int err, char *buf,
                                   size_t size)
{
        const char *name = def->name ? def->name : "?";

        if (err == -ENOTSUP && !bpfaot_map_type__supported(def->type))
                return snprintf(buf, size, "map '%s': type %s is not supported by the runtime",
                                name, bpfaot_map_type__name(def->type));
        return snprintf(buf, size,
                        "map '%s': cannot create it (%s): key %u, value %u, max_entries %u, "
                        "flags 0x%x",
                        name, strerror(-err), def->key_size, def->value_size, def->max_entries,
                        def->map_flags);
}

static bool is_map_of_maps(uint32_t type)
{
        return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

static bool has_init(uint32_t type)
{
        return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PROG_ARRAY ||
               is_map_of_maps(type);
}

uint32_t bpfaot_map_cpu(const struct bpfaot_map *map)
{
        /*
         * A map made here has bpfaot_rt_ncpus() copies, so the current CPU is
         * one of them; a shared map has its creator's count of copies.
         */
        uint32_t cpu = bpfaot__cpu_current();

        return cpu < map->ncpus ? cpu : cpu % map->ncpus;
}

int bpfaot_index_next_key(struct bpfaot_map *map, const void *key, void *next_key)
{
        uint32_t idx = 0, next;

        if (key)
                memcpy(&idx, key, sizeof(idx));
        if (!key || idx >= map->def.max_entries)
                next = 0;
        else if (idx == map->def.max_entries - 1)
                return -ENOENT;
        else
                next = idx + 1;
        memcpy(next_key, &next, sizeof(next));
        return 0;
}

/* A map's handle for `def`, before its family allocates or attaches its state. */
static int map_new(const struct bpfaot_map_def *def, struct bpfaot_map **mapp)
{
        const struct bpfaot_map_ops *ops;
        struct bpfaot_map *map;
        bool percpu;

        if (!def)
                return -EINVAL;
        ops = ops_for(def->type, &percpu);
        if (!ops)
                return -ENOTSUP;
        if (def->init_value && !has_init(def->type))
                return -EINVAL;
        if (def->inner && !is_map_of_maps(def->type))
                return -EINVAL;
        /* As the kernel: map_extra means something to a Bloom filter only (here). */
        if (def->map_extra && def->type != BPF_MAP_TYPE_BLOOM_FILTER)
                return -EINVAL;

        map = calloc(1, sizeof(*map));
        if (!map)
                return -ENOMEM;
        map->def = *def;
        map->def.init_value = NULL;
        map->def.init_size = 0;
        map->def.name = NULL;
        map->def.inner = NULL;
        if (def->inner) {
                map->inner = *def->inner;
                map->inner.name = NULL;
                map->inner.init_value = NULL;
                map->inner.init_size = 0;
                map->inner.inner = NULL;
                map->def.inner = &map->inner;
        }
        if (def->name) {
                map->name = strdup(def->name);
                if (!map->name) {
                        free(map);
                        return -ENOMEM;
                }
                map->def.name = map->name;
        }
        map->head.type = def->type;
        map->head.max_entries = def->max_entries;
        map->ops = ops;
        map->percpu = percpu;
        map->ncpus = percpu ? bpfaot_rt_ncpus() : 1;
        map->value_stride = BPFAOT_ROUND_UP((size_t)def->value_size, 8);
        *mapp = map;
        return 0;
}

static void map_delete(struct bpfaot_map *map)
{
        free(map->name);
        free(map);
}

/* Process memory for a block: 64-byte aligned and zeroed, as a segment's. */
/*
 * Large blocks are anonymous mappings, zero and committed page by page as
 * they are touched: a big preallocated map (an LPM_TRIE's nodes, an ARRAY)
 * costs memory only for what it uses, as the kernel's on-demand maps do.
 */
#define PROCESS_MMAP_MIN ((size_t)1 << 20)

static void *process_alloc(void *ctx, size_t size)
{
        void *p = NULL;

        (void)ctx;
        if (size >= PROCESS_MMAP_MIN) {
                p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                return p == MAP_FAILED ? NULL : p;
        }
        if (posix_memalign(&p, 64, size ? size : 1))
                return NULL;
        return memset(p, 0, size);
}

static void process_free(void *block, size_t size)
{
        if (size >= PROCESS_MMAP_MIN)
                munmap(block, size);
        else
                free(block);
}

static const struct bpfaot_map_place process_place = {.alloc = process_alloc};

size_t bpfaot__page_size(void)
{
        static size_t cached;
        size_t p = __atomic_load_n(&cached, __ATOMIC_RELAXED);
        long v;

        if (p)
                return p;
        v = sysconf(_SC_PAGESIZE);
        p = v > 0 ? (size_t)v : 4096;
        __atomic_store_n(&cached, p, __ATOMIC_RELAXED);
        return p;
}

long bpfaot__futex(uint32_t *word, int op, bool shared, uint32_t val, const struct timespec *ts)
{
        return syscall(SYS_futex, word, op | (shared ? 0 : FUTEX_PRIVATE_FLAG), val, ts, NULL,
                       FUTEX_BITSET_MATCH_ANY);
}

void bpfaot__deadline_in(struct timespec *deadline, int timeout_ms)
{
        clock_gettime(CLOCK_MONOTONIC, deadline);
        deadline->tv_sec += timeout_ms / 1000;
        deadline->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
        if (deadline->tv_nsec >= 1000000000) {
                deadline->tv_sec++;
                deadline->tv_nsec -= 1000000000;
        }
}

void bpfaot__wakeup_bump(uint32_t *word, uint32_t *waiters, bool shared)
{
        __atomic_add_fetch(word, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(waiters, __ATOMIC_SEQ_CST))
                bpfaot__futex(word, FUTEX_WAKE, shared, INT_MAX, NULL);
}

int bpfaot__wakeup_wait(uint32_t *word, uint32_t *waiters, bool shared, uint32_t *seen,
                        int timeout_ms)
{
        struct timespec deadline;
        uint32_t now;
        int err = 0;

        if (timeout_ms >= 0)
                bpfaot__deadline_in(&deadline, timeout_ms);
        while ((now = __atomic_load_n(word, __ATOMIC_SEQ_CST)) == *seen && !err) {
                if (timeout_ms == 0)
                        return -ETIMEDOUT;
                /* Registered first: a waker that bumps the word after this sees the waiter. */
                __atomic_add_fetch(waiters, 1, __ATOMIC_SEQ_CST);
                if (__atomic_load_n(word, __ATOMIC_SEQ_CST) == *seen &&
                    bpfaot__futex(word, FUTEX_WAIT_BITSET, shared, *seen,
                                  timeout_ms >= 0 ? &deadline : NULL) < 0 &&
                    errno == ETIMEDOUT)
                        err = -ETIMEDOUT;
                __atomic_sub_fetch(waiters, 1, __ATOMIC_SEQ_CST);
        }
        if (now != *seen) {
                *seen = now;
                return 0;
        }
        return err;
}

int bpfaot__map_lock_init(pthread_mutex_t *m, bool shared)
{
        pthread_mutexattr_t a;
        int err = pthread_mutexattr_init(&a);

        if (!err && shared)
                err = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)
                          ?: pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
        err = err ?: pthread_mutex_init(m, &a);
        pthread_mutexattr_destroy(&a);
        return -err;
}

void bpfaot__map_lock(pthread_mutex_t *m)
{
        if (pthread_mutex_lock(m) == EOWNERDEAD)
                pthread_mutex_consistent(m);
}

void bpfaot__map_unlock(pthread_mutex_t *m)
{
        pthread_mutex_unlock(m);
}

int bpfaot__map_create_at(const struct bpfaot_map_def *def, const struct bpfaot_map_place *place,
                          struct bpfaot_map **mapp)
{
        struct bpfaot_map *map;
        int err;

        if (!mapp)
                return -EINVAL;
        *mapp = NULL;
        err = map_new(def, &map);
        if (err)
                return err;
        if (!place)
                place = &process_place;
        if (place->shared && !map->ops->attach)
                err = -EOPNOTSUPP;
        if (!err && map->ops->block_size) {
                err = map->ops->block_size(map, &map->block_size);
                if (!err && !(map->block = place->alloc(place->ctx, map->block_size)))
                        err = place->shared ? -ENOSPC : -ENOMEM;
                map->shared = place->shared;
        }
        if (!err) {
                map->init_value = def->init_value;
                map->init_size = def->init_size;
                err = map->ops->alloc(map);
                map->init_value = NULL;
                map->init_size = 0;
        }
        if (err) {
                if (map->block && place == &process_place)
                        process_free(map->block, map->block_size);
                map_delete(map);
                return err;
        }
        *mapp = map;
        return 0;
}

int bpfaot_map__create(const struct bpfaot_map_def *def, struct bpfaot_map **mapp)
{
        return bpfaot__map_create_at(def, NULL, mapp);
}

int bpfaot__map_attach(const struct bpfaot_map_def *def, uint32_t ncpus, void *block, size_t size,
                       struct bpfaot_map **mapp)
{
        struct bpfaot_map *map;
        size_t need = 0;
        int err;

        if (!mapp)
                return -EINVAL;
        *mapp = NULL;
        if (!block || (def && def->init_value))
                return -EINVAL;
        err = map_new(def, &map);
        if (err)
                return err;
        if (map->percpu)
                map->ncpus = ncpus;
        if (!map->ops->attach || (map->percpu && !ncpus))
                err = map->ops->attach ? -EINVAL : -EOPNOTSUPP;
        err = err ?: map->ops->block_size(map, &need);
        if (!err && need != size)
                err = -EINVAL; /* not the block this definition makes */
        if (!err) {
                map->block = block;
                map->block_size = size;
                map->shared = true;
                map->attached = true;
                err = map->ops->attach(map);
        }
        if (err) {
                map_delete(map);
                return err;
        }
        *mapp = map;
        return 0;
}

void bpfaot_map__free(struct bpfaot_map *map)
{
        if (!map)
                return;
        bpfaot__timers_free(map);
        map->ops->free(map);
        /* A shared block belongs to its segment; process memory to the map. */
        if (map->block && !map->shared)
                process_free(map->block, map->block_size);
        map_delete(map);
}

const struct bpfaot_map_def *bpfaot_map__def(const struct bpfaot_map *map)
{
        return &map->def;
}

uint32_t bpfaot_map__ncpus(const struct bpfaot_map *map)
{
        return map->ncpus;
}

size_t bpfaot_map__value_copy_size(const struct bpfaot_map *map)
{
        if (map->percpu)
                return map->value_stride * map->ncpus;
        return map->def.value_size;
}

void *bpfaot_map__lookup_elem(struct bpfaot_map *map, const void *key)
{
        if (!map->ops->lookup)
                return NULL;
        return map->ops->lookup(map, key);
}

void *bpfaot_map__lookup_percpu_elem(struct bpfaot_map *map, const void *key, uint32_t cpu)
{
        if (!map->percpu || cpu >= map->ncpus)
                return NULL;
        return map->ops->lookup_percpu(map, key, cpu);
}

/* The value of `key` when the map has timers, which a successful update or delete releases. */
static void *timer_elem(struct bpfaot_map *map, const void *key)
{
        return __atomic_load_n(&map->timers, __ATOMIC_ACQUIRE) ? map->ops->lookup(map, key) : NULL;
}

long bpfaot_map__update_elem(struct bpfaot_map *map, const void *key, const void *value,
                             uint64_t flags)
{
        void *old;
        long rc;

        if (!map->ops->update)
                return -ENOTSUP;
        old = timer_elem(map, key);
        rc = map->ops->update(map, key, value, flags, false);
        if (!rc && old)
                bpfaot__timers_release(map, old);
        return rc;
}

long bpfaot_map__delete_elem(struct bpfaot_map *map, const void *key)
{
        void *old;
        long rc;

        if (!map->ops->delete)
                return -EINVAL;
        old = timer_elem(map, key);
        rc = map->ops->delete (map, key);
        if (!rc && old)
                bpfaot__timers_release(map, old);
        return rc;
}

long bpfaot_map__push_elem(struct bpfaot_map *map, const void *value, uint64_t flags)
{
        if (!map->ops->push)
                return -EINVAL;
        return map->ops->push(map, value, flags);
}

long bpfaot_map__pop_elem(struct bpfaot_map *map, void *value)
{
        if (!map->ops->pop)
                return -EINVAL;
        return map->ops->pop(map, value, true);
}

long bpfaot_map__peek_elem(struct bpfaot_map *map, void *value)
{
        if (!map->ops->pop)
                return -EINVAL;
        return map->ops->pop(map, value, false);
}

bool bpfaot_map__owns(const struct bpfaot_map *map, const void *p, size_t size)
{
        return map && map->ops->owns && map->ops->owns(map, (uintptr_t)p, size);
}

int bpfaot_map__lookup_copy(struct bpfaot_map *map, const void *key, void *value)
{
        if (!map->ops->lookup_copy)
                return -EINVAL;
        return map->ops->lookup_copy(map, key, value);
}

int bpfaot_map__update_copy(struct bpfaot_map *map, const void *key, const void *value,
                            uint64_t flags)
{
        void *old;
        long rc;

        if (!map->ops->update)
                return -ENOTSUP;
        old = timer_elem(map, key);
        rc = map->ops->update(map, key, value, flags, true);
        if (!rc && old)
                bpfaot__timers_release(map, old);
        return (int)rc;
}

int bpfaot_map__get_next_key(struct bpfaot_map *map, const void *key, void *next_key)
{
        if (!map->ops->get_next_key)
                return -EINVAL;
        return map->ops->get_next_key(map, key, next_key);
}

int bpfaot_map__lookup_and_delete_elem(struct bpfaot_map *map, const void *key, void *value,
                                       uint64_t flags)
{
        void *old;
        int rc;

        if (flags)
                return -EINVAL;
        if (map->def.type == BPF_MAP_TYPE_QUEUE || map->def.type == BPF_MAP_TYPE_STACK)
                return key ? -EINVAL : (int)map->ops->pop(map, value, true);
        if (!map->ops->lookup_and_delete)
                return -ENOTSUP;
        old = timer_elem(map, key);
        rc = map->ops->lookup_and_delete(map, key, value);
        if (!rc && old)
                bpfaot__timers_release(map, old);
        return rc;
}

int bpfaot_map__lookup_batch(struct bpfaot_map *map, const void *in_batch, void *out_batch,
                             void *keys, void *values, uint32_t *count)
{
        size_t key_size = map->def.key_size, value_size = bpfaot_map__value_copy_size(map);
        const void *prev = in_batch;
        uint32_t want = *count, n = 0;
        int rc = 0;

        *count = 0;
        if (!map->ops->get_next_key || !map->ops->lookup_copy || !key_size) /* keyless maps */
                return -ENOTSUP;
        if (!out_batch || (want && (!keys || !values)))
                return -EINVAL;
        while (n < want) {
                char *key = (char *)keys + n * key_size;

                rc = map->ops->get_next_key(map, prev, key);
                if (rc)
                        break;
                prev = key;
                /* A key deleted since get_next_key found it is skipped. */
                rc = map->ops->lookup_copy(map, key, (char *)values + n * value_size);
                if (rc == -ENOENT) {
                        memcpy(out_batch, key, key_size);
                        prev = out_batch;
                        rc = 0;
                        continue;
                }
                if (rc)
                        break;
                n++;
        }
        if (prev != in_batch && prev != out_batch) /* the batch ends at the last key copied */
                memcpy(out_batch, prev, key_size);
        *count = n;
        return rc;
}

static bool inner_matches(const struct bpfaot_map_def *t, const struct bpfaot_map_def *d)
{
        return t->type == d->type && t->key_size == d->key_size && t->value_size == d->value_size &&
               t->map_flags == d->map_flags &&
               ((t->map_flags & BPF_F_INNER_MAP) || t->max_entries == d->max_entries);
}

int bpfaot_map__update_inner(struct bpfaot_map *outer, const void *key, struct bpfaot_map *inner,
                             uint64_t flags)
{
        if (!is_map_of_maps(outer->def.type) || !inner)
                return -EINVAL;
        if (outer->def.inner && !inner_matches(outer->def.inner, &inner->def))
                return -EINVAL;
        return (int)outer->ops->update_ptr(outer, key, inner, flags);
}

int bpfaot_prog_array__update(struct bpfaot_map *map, uint32_t index, bpfaot_prog_fn prog)
{
        if (map->def.type != BPF_MAP_TYPE_PROG_ARRAY)
                return -EINVAL;
        if (!prog) {
                long rc = map->ops->delete (map, &index);
                return rc == -ENOENT ? 0 : (int)rc;
        }
        return (int)map->ops->update_ptr(map, &index, (void *)prog, BPF_ANY);
}

/* Map-in-map initial contents: slot i holds map k-1 of the same table when the u32 is k. */
static int fill_inner_maps(const struct bpfaot_map_def *d, uint32_t cnt, void **slots,
                           struct bpfaot_map *outer)
{
        const uint32_t *init = d->init_value;

        if (d->key_size != 4)
                return -EINVAL;
        for (uint32_t i = 0; i < d->init_size / sizeof(uint32_t); i++) {
                uint32_t k;
                int rc;

                memcpy(&k, &init[i], sizeof(k));
                if (k == 0)
                        continue;
                if (k > cnt || slots[k - 1] == outer)
                        return -EINVAL;
                rc = bpfaot_map__update_inner(outer, &i, slots[k - 1], BPF_ANY);
                if (rc)
                        return rc;
        }
        return 0;
}

int bpfaot_maps__create_all(const struct bpfaot_map_def *defs, uint32_t cnt, void **slots,
                            uint32_t *failed)
{
        uint32_t i, made;
        int rc = 0;

        for (made = 0; made < cnt; made++) {
                struct bpfaot_map *m = NULL;

                rc = bpfaot_map__create(&defs[made], &m);
                if (rc)
                        break;
                slots[made] = m;
        }
        /* Maps of maps refer to maps anywhere in the table: fill them once all exist. */
        for (i = 0; !rc && i < cnt; i++)
                if (is_map_of_maps(defs[i].type) && defs[i].init_value)
                        rc = fill_inner_maps(&defs[i], cnt, slots, slots[i]);
        if (rc) {
                bpfaot_maps__free_all(slots, made);
                if (failed)
                        *failed = made < cnt ? made : i - 1;
        }
        return rc;
}

void bpfaot_maps__free_all(void **slots, uint32_t cnt)
{
        for (uint32_t i = cnt; slots && i-- > 0;) {
                bpfaot_map__free(slots[i]);
                slots[i] = NULL;
        }
}
