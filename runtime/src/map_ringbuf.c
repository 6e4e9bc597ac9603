/* SPDX-License-Identifier: MIT */
/*
 * RINGBUF, with the kernel's layout and protocol (kernel/bpf/ringbuf.c,
 * libbpf's ringbuf.c): records are an 8-byte header (u32 len with BUSY and
 * DISCARD bits, u32 offset of the header from the data area) followed by the
 * data, 8-byte aligned, at positions that grow forever and are taken modulo
 * the ring size. Producers are serialised by a mutex; they publish the
 * producer position with a release store and finish a record by clearing
 * BUSY with a release exchange of its length. The consumer takes no lock: it
 * reads positions and lengths with acquire loads and releases the consumer
 * position, which producers read with an acquire load.
 *
 * The kernel maps the data pages twice so a record that crosses the end of
 * the ring is contiguous; here the data area is allocated twice as large and
 * such a record simply runs into the second half. Headers always start in the
 * first half, and the bytes of the second half are only ever used by the one
 * record that crosses the end, so no copying is needed.
 *
 * A consumer may wait for records (bpfaot_ringbuf__poll): it registers in
 * `waiters` and sleeps on a condition variable; a producer that commits a
 * record (without BPF_RB_NO_WAKEUP) bumps `commits` and, when someone waits,
 * broadcasts under the wait lock. Both sides use sequentially consistent
 * operations on waiters and commits, so either the waiter sees the new
 * commit or the producer sees the waiter. The word before the data area
 * points back at the ring, so that submit finds it from the record alone.
 */
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RB_FLAGS        (BPF_F_NUMA_NODE)
#define RB_WAKEUP_FLAGS ((uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
#define RB_MAX_RECORD   BPFAOT_RB_MAX_RECORD
#define RB_BACKLINK     8 /* bytes before the data area: the ring's address */

struct ringbuf {
        pthread_mutex_t lock; /* producers */
        uint64_t mask;
        uint64_t consumer_pos; /* atomic */
        uint64_t producer_pos; /* atomic */
        char *data;            /* 2 * (mask + 1) bytes, after RB_BACKLINK */
        pthread_mutex_t wait_lock;
        pthread_cond_t wait_cond; /* CLOCK_MONOTONIC */
        uint32_t waiters;         /* atomic: consumers in bpfaot_ringbuf__poll() */
        uint64_t commits;         /* atomic: records committed with a wakeup */
};

static int wait_init(struct ringbuf *rb)
{
        pthread_condattr_t attr;
        int err;

        if (pthread_condattr_init(&attr))
                return -ENOMEM;
        err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
                  ?: pthread_cond_init(&rb->wait_cond, &attr);
        pthread_condattr_destroy(&attr);
        if (err)
                return -ENOMEM;
        pthread_mutex_init(&rb->wait_lock, NULL);
        return 0;
}

int bpfaot__ringbuf_check_def(const struct bpfaot_map_def *def, uint32_t flags)
{
        long page = sysconf(_SC_PAGESIZE);
        uint32_t size = def->max_entries;

        if (page <= 0)
                page = 4096;
        if (def->key_size != 0 || def->value_size != 0 || size == 0 || (size & (size - 1)) ||
            size % (uint64_t)page || (def->map_flags & ~flags))
                return -EINVAL;
        return 0;
}

static int rb_alloc(struct bpfaot_map *map)
{
        const struct bpfaot_map_def *def = &map->def;
        uint32_t size = def->max_entries;
        struct ringbuf *rb;

        if (bpfaot__ringbuf_check_def(def, RB_FLAGS))
                return -EINVAL;
        rb = calloc(1, sizeof(*rb));
        if (!rb)
                return -ENOMEM;
        /* Header-aligned so records are 8-byte aligned. */
        rb->data = aligned_alloc(8, RB_BACKLINK + 2 * (size_t)size);
        if (!rb->data || wait_init(rb)) {
                free(rb->data);
                free(rb);
                return -ENOMEM;
        }
        memset(rb->data, 0, RB_BACKLINK + 2 * (size_t)size);
        memcpy(rb->data, &rb, sizeof(rb));
        rb->data += RB_BACKLINK;
        pthread_mutex_init(&rb->lock, NULL);
        rb->mask = size - 1;
        map->priv = rb;
        return 0;
}

static void rb_free(struct bpfaot_map *map)
{
        struct ringbuf *rb = map->priv;

        pthread_mutex_destroy(&rb->lock);
        pthread_mutex_destroy(&rb->wait_lock);
        pthread_cond_destroy(&rb->wait_cond);
        free(rb->data - RB_BACKLINK);
        free(rb);
}

void *bpfaot_ringbuf__reserve(struct bpfaot_map *map, uint64_t size, uint64_t flags)
{
        struct ringbuf *rb;
        uint64_t cons, prod, len;
        struct bpfaot_rb_hdr *hdr;

        if (!map || map->def.type != BPF_MAP_TYPE_RINGBUF || flags || size > RB_MAX_RECORD)
                return NULL;
        rb = map->priv;
        len = BPFAOT_ROUND_UP(size + sizeof(struct bpfaot_rb_hdr), 8);
        if (len > rb->mask + 1)
                return NULL;

        pthread_mutex_lock(&rb->lock);
        cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
        prod = __atomic_load_n(&rb->producer_pos, __ATOMIC_RELAXED);
        if (prod + len - cons > rb->mask + 1) {
                pthread_mutex_unlock(&rb->lock);
                return NULL;
        }
        hdr = (struct bpfaot_rb_hdr *)(rb->data + (prod & rb->mask));
        hdr->pg_off = (uint32_t)(prod & rb->mask);
        __atomic_store_n(&hdr->len, (uint32_t)size | BPF_RINGBUF_BUSY_BIT, __ATOMIC_RELAXED);
        /* The consumer sees BUSY before it sees the new producer position. */
        __atomic_store_n(&rb->producer_pos, prod + len, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&rb->lock);
        return hdr + 1;
}

/* The ring a record belongs to: its header's offset leads to the data area's backlink. */
static struct ringbuf *rb_of_record(struct bpfaot_rb_hdr *hdr)
{
        struct ringbuf *rb;

        memcpy(&rb, (char *)hdr - hdr->pg_off - RB_BACKLINK, sizeof(rb));
        return rb;
}

static void rb_commit(void *data, bool discard, uint64_t flags)
{
        struct bpfaot_rb_hdr *hdr = (struct bpfaot_rb_hdr *)data - 1;
        uint32_t len = __atomic_load_n(&hdr->len, __ATOMIC_RELAXED) & ~BPF_RINGBUF_BUSY_BIT;
        struct ringbuf *rb = rb_of_record(hdr);

        if (discard)
                len |= BPF_RINGBUF_DISCARD_BIT;
        __atomic_exchange_n(&hdr->len, len, __ATOMIC_ACQ_REL);
        if (flags & BPF_RB_NO_WAKEUP)
                return;
        __atomic_add_fetch(&rb->commits, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&rb->waiters, __ATOMIC_SEQ_CST)) {
                pthread_mutex_lock(&rb->wait_lock);
                pthread_cond_broadcast(&rb->wait_cond);
                pthread_mutex_unlock(&rb->wait_lock);
        }
}

/* flags: BPF_RB_NO_WAKEUP leaves a waiting bpfaot_ringbuf__poll() asleep, as in the kernel. */
void bpfaot_ringbuf__submit(void *data, uint64_t flags)
{
        if (data)
                rb_commit(data, false, flags);
}

void bpfaot_ringbuf__discard(void *data, uint64_t flags)
{
        if (data)
                rb_commit(data, true, flags);
}

long bpfaot_ringbuf__output(struct bpfaot_map *map, const void *data, uint64_t size, uint64_t flags)
{
        void *rec;

        if (flags & ~RB_WAKEUP_FLAGS)
                return -EINVAL;
        rec = bpfaot_ringbuf__reserve(map, size, 0);
        if (!rec)
                return -EAGAIN;
        memcpy(rec, data, size);
        bpfaot_ringbuf__submit(rec, flags);
        return 0;
}

uint64_t bpfaot_ringbuf__query(struct bpfaot_map *map, uint64_t flags)
{
        struct ringbuf *rb;
        uint64_t cons, prod;

        if (!map || map->def.type != BPF_MAP_TYPE_RINGBUF)
                return 0;
        rb = map->priv;
        switch (flags) {
        case BPF_RB_AVAIL_DATA:
                cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
                prod = __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE);
                return prod - cons;
        case BPF_RB_RING_SIZE:
                return rb->mask + 1;
        case BPF_RB_CONS_POS:
                return __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
        case BPF_RB_PROD_POS:
                return __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE);
        default:
                return 0;
        }
}

int bpfaot_ringbuf__consume(struct bpfaot_map *map, int (*cb)(void *ctx, void *data, size_t size),
                            void *ctx)
{
        struct ringbuf *rb;
        uint64_t cons, prod;
        int cnt = 0;

        if (!map || map->def.type != BPF_MAP_TYPE_RINGBUF || !cb)
                return -EINVAL;
        rb = map->priv;
        cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
        for (;;) {
                bool progress = false;

                prod = __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE);
                while (cons < prod) {
                        struct bpfaot_rb_hdr *hdr =
                            (struct bpfaot_rb_hdr *)(rb->data + (cons & rb->mask));
                        uint32_t len = __atomic_load_n(&hdr->len, __ATOMIC_ACQUIRE);
                        int err;

                        if (len & BPF_RINGBUF_BUSY_BIT)
                                goto done;
                        progress = true;
                        cons += BPFAOT_ROUND_UP(
                            (uint64_t)(len & RB_MAX_RECORD) + sizeof(struct bpfaot_rb_hdr), 8);
                        if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
                                err = cb(ctx, hdr + 1, len & RB_MAX_RECORD);
                                if (err < 0) { /* like libbpf: the record is consumed */
                                        __atomic_store_n(&rb->consumer_pos, cons, __ATOMIC_RELEASE);
                                        return err;
                                }
                                cnt++;
                        }
                        __atomic_store_n(&rb->consumer_pos, cons, __ATOMIC_RELEASE);
                }
                if (!progress)
                        break;
        }
done:
        return cnt;
}

/* Is the oldest record committed (submitted or discarded)? */
static bool rb_ready(struct ringbuf *rb)
{
        uint64_t cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
        uint64_t prod = __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE);
        struct bpfaot_rb_hdr *hdr = (struct bpfaot_rb_hdr *)(rb->data + (cons & rb->mask));

        return cons < prod &&
               !(__atomic_load_n(&hdr->len, __ATOMIC_ACQUIRE) & BPF_RINGBUF_BUSY_BIT);
}

/* Sleep until a record is committed with a wakeup or until the deadline (NULL: none). */
static int wait_commit(struct ringbuf *rb, const struct timespec *deadline)
{
        uint64_t seen;
        int rc = 0;

        pthread_mutex_lock(&rb->wait_lock);
        __atomic_add_fetch(&rb->waiters, 1, __ATOMIC_SEQ_CST);
        seen = __atomic_load_n(&rb->commits, __ATOMIC_SEQ_CST);
        while (!rc && !rb_ready(rb) && __atomic_load_n(&rb->commits, __ATOMIC_SEQ_CST) == seen)
                rc = deadline ? pthread_cond_timedwait(&rb->wait_cond, &rb->wait_lock, deadline)
                              : pthread_cond_wait(&rb->wait_cond, &rb->wait_lock);
        __atomic_sub_fetch(&rb->waiters, 1, __ATOMIC_SEQ_CST);
        pthread_mutex_unlock(&rb->wait_lock);
        return rc;
}

int bpfaot_ringbuf__poll(struct bpfaot_map *map, int (*cb)(void *ctx, void *data, size_t size),
                         void *ctx, int timeout_ms)
{
        struct timespec deadline;
        int n;

        if (!map || map->def.type != BPF_MAP_TYPE_RINGBUF || !cb)
                return -EINVAL;
        if (timeout_ms > 0) {
                clock_gettime(CLOCK_MONOTONIC, &deadline);
                deadline.tv_sec += timeout_ms / 1000;
                deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
                if (deadline.tv_nsec >= 1000000000) {
                        deadline.tv_sec++;
                        deadline.tv_nsec -= 1000000000;
                }
        }
        for (;;) {
                n = bpfaot_ringbuf__consume(map, cb, ctx);
                if (n || timeout_ms == 0)
                        return n;
                if (wait_commit(map->priv, timeout_ms > 0 ? &deadline : NULL))
                        /* timed out: what a record without wakeup may have brought meanwhile */
                        return bpfaot_ringbuf__consume(map, cb, ctx);
        }
}

static void *rb_lookup(struct bpfaot_map *map, const void *key)
{
        (void)map, (void)key;
        return NULL;
}

static long rb_update(struct bpfaot_map *map, const void *key, const void *value, uint64_t flags,
                      bool host)
{
        (void)map, (void)key, (void)value, (void)flags, (void)host;
        return -ENOTSUP;
}

/* Reservations hand out records inside the (doubly mapped) data area. */
static bool rb_owns(const struct bpfaot_map *map, uintptr_t p, size_t size)
{
        const struct ringbuf *rb = map->priv;
        return bpfaot_range_inside(p, size, rb->data, 2 * (rb->mask + 1));
}

const struct bpfaot_map_ops bpfaot_ringbuf_ops = {
    .owns = rb_owns,
    .alloc = rb_alloc,
    .free = rb_free,
    .lookup = rb_lookup,
    .update = rb_update,
};
