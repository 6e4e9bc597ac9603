/* SPDX-License-Identifier: MIT */
/*
 * PERF_EVENT_ARRAY. The kernel's map holds one perf event per CPU, which a
 * reader mmaps; here the host installs one callback for the whole map and
 * every bpf_perf_event_output() calls it at once with the record, so nothing
 * is buffered and nothing is lost. Calls are serialised per map by a mutex,
 * so a host callback need not be thread-safe.
 */
#define _GNU_SOURCE
#include "maps_internal.h"
#include "bpfaot/runtime.h"
#include "cpu_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdlib.h>

#define PERF_FLAGS                                                                                 \
        (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG |   \
         BPF_F_PRESERVE_ELEMS)

struct perf_array {
        pthread_mutex_t lock;
        bpfaot_perf_event_fn fn;
        void *ctx;
};

static int perf_alloc(struct bpfaot_map *map)
{
        struct bpfaot_map_def *def = &map->def;
        struct perf_array *p;

        if (def->key_size != 4 || def->value_size != 4 || (def->map_flags & ~PERF_FLAGS))
                return -EINVAL;
        if (def->max_entries == 0) { /* libbpf's default: one event per possible CPU */
                def->max_entries = bpfaot_rt_ncpus();
                map->head.max_entries = def->max_entries;
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        if (pthread_mutex_init(&p->lock, NULL)) {
                free(p);
                return -ENOMEM;
        }
        map->priv = p;
        return 0;
}

static void perf_free(struct bpfaot_map *map)
{
        struct perf_array *p = map->priv;

        pthread_mutex_destroy(&p->lock);
        free(p);
}

const struct bpfaot_map_ops bpfaot_perf_event_ops = {
    .alloc = perf_alloc,
    .free = perf_free,
};

int bpfaot_perf_event_array__set_callback(struct bpfaot_map *map, bpfaot_perf_event_fn fn,
                                          void *ctx)
{
        struct perf_array *p;

        if (map->def.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
                return -EINVAL;
        p = map->priv;
        pthread_mutex_lock(&p->lock);
        p->fn = fn;
        p->ctx = ctx;
        pthread_mutex_unlock(&p->lock);
        return 0;
}

long bpfaot_perf_event__output(struct bpfaot_map *map, uint64_t flags, const void *data,
                               uint64_t size)
{
        uint64_t index = flags & BPF_F_INDEX_MASK;
        struct perf_array *p;
        long rc = 0;

        if (map->def.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY || (flags & ~BPF_F_INDEX_MASK))
                return -EINVAL;
        if (index == BPF_F_CURRENT_CPU)
                index = bpfaot__cpu_current();
        if (index >= map->def.max_entries || size > UINT32_MAX)
                return -E2BIG;
        p = map->priv;
        pthread_mutex_lock(&p->lock);
        if (p->fn)
                p->fn(p->ctx, (uint32_t)index, data, (uint32_t)size);
        else
                rc = -ENOENT;
        pthread_mutex_unlock(&p->lock);
        return rc;
}
