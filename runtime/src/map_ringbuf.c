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
 * The state is one block (maps_internal.h) of offsets, laid out as the
 * kernel's mapping of a ring buffer, one page after the block's start:
 *
 *   page 0     control: the producers' lock, the wakeup word (not mapped out)
 *   page 1     consumer position   (the kernel's mmap offset 0, writable)
 *   page 2     producer position   (offset page_size, read-only)
 *   page 3...  data area, 2 * ring size bytes (read-only)
 *
 * so that a ring in a shared segment is mapped by a consumer in another
 * process (bpfaot_shm__mmap_map) exactly as libbpf maps the kernel's. The
 * kernel maps the data pages twice so a record that crosses the end of the
 * ring is contiguous; here the data area is twice as large and such a
 * record simply runs into the second half. Headers always start in the
 * first half, and the bytes of the second half are only ever used by the
 * one record that crosses the end, so no copying is needed and a consumer
 * reading data + (pos & mask) onwards, as libbpf's does, reads the record.
 * A record finds its ring from its header alone: the header's offset leads
 * back to the data area, which is at a fixed place in the block.
 *
 * Waiting for records (bpfaot_ringbuf__poll, bpfaot_ringbuf__wait_wakeup):
 * a consumer registers in `waiters` and sleeps on the futex word `wakeups`;
 * a producer that commits a record without BPF_RB_NO_WAKEUP bumps `wakeups`
 * and, when someone waits, wakes them all. Both sides use sequentially
 * consistent operations on the two words, so either the waiter sees the new
 * value (and the futex does not sleep) or the producer sees the waiter. A
 * shared ring's futex is process-shared: a consumer in one process is woken
 * by a producer in another. Nothing is held while sleeping, so a process
 * killed anywhere wedges no one; the producers' lock is robust in a shared
 * block.
 */
#define _GNU_SOURCE
#include "maps_internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RB_FLAGS        (BPF_F_NUMA_NODE)
#define RB_WAKEUP_FLAGS ((uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
#define RB_MAX_RECORD   BPFAOT_RB_MAX_RECORD
#define RB_CTL_PAGES    1 /* pages before the consumer position's */
#define RB_DATA_PAGES   3 /* pages before the data area */

/* Page 0 of the block. */
struct rb_ctl {
        pthread_mutex_t lock; /* producers */
        uint64_t mask;
        uint32_t shared;  /* the block is in a segment: the futex is process-shared */
        uint32_t wakeups; /* atomic, futex word: commits with a wakeup */
        uint32_t waiters; /* atomic: consumers sleeping (or about to) on wakeups */
};

/* This process's view of the block. */
struct ringbuf {
        struct rb_ctl *ctl;
        uint64_t *consumer_pos; /* atomic */
        uint64_t *producer_pos; /* atomic */
        char *data;             /* 2 * (mask + 1) bytes */
        uint64_t mask;
};

int bpfaot__ringbuf_check_def(const struct bpfaot_map_def *def, uint32_t flags)
{
        uint64_t page = bpfaot__page_size();
        uint32_t size = def->max_entries;

        if (def->key_size != 0 || def->value_size != 0 || size == 0 || (size & (size - 1)) ||
            size % page || (def->map_flags & ~flags))
                return -EINVAL;
        return 0;
}

static int rb_block_size(const struct bpfaot_map *map, size_t *size)
{
        if (bpfaot__ringbuf_check_def(&map->def, RB_FLAGS))
                return -EINVAL;
        *size = RB_DATA_PAGES * bpfaot__page_size() + 2 * (size_t)map->def.max_entries;
        return 0;
}

size_t bpfaot__ringbuf_user_offset(void)
{
        return RB_CTL_PAGES * bpfaot__page_size();
}

static int rb_attach(struct bpfaot_map *map)
{
        struct ringbuf *rb = calloc(1, sizeof(*rb));
        char *block = map->block;
        size_t page = bpfaot__page_size();

        if (!rb)
                return -ENOMEM;
        rb->ctl = map->block;
        rb->consumer_pos = (uint64_t *)(block + RB_CTL_PAGES * page);
        rb->producer_pos = (uint64_t *)(block + (RB_CTL_PAGES + 1) * page);
        rb->data = block + RB_DATA_PAGES * page;
        rb->mask = map->def.max_entries - 1;
        map->priv = rb;
        return 0;
}

static int rb_alloc(struct bpfaot_map *map)
{
        struct rb_ctl *ctl = map->block;
        int err = bpfaot__map_lock_init(&ctl->lock, map->shared);

        if (err)
                return err;
        ctl->mask = map->def.max_entries - 1;
        ctl->shared = map->shared;
        return rb_attach(map);
}

/* A shared block's lock belongs to its segment, which other processes may still use. */
static void rb_free(struct bpfaot_map *map)
{
        struct ringbuf *rb = map->priv;

        if (!map->shared)
                pthread_mutex_destroy(&rb->ctl->lock);
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

        bpfaot__map_lock(&rb->ctl->lock);
        cons = __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE);
        prod = __atomic_load_n(rb->producer_pos, __ATOMIC_RELAXED);
        /* cons past prod: a consumer wrote nonsense into its (writable) page; refuse. */
        if (cons > prod || prod + len - cons > rb->mask + 1) {
                bpfaot__map_unlock(&rb->ctl->lock);
                return NULL;
        }
        hdr = (struct bpfaot_rb_hdr *)(rb->data + (prod & rb->mask));
        hdr->pg_off = (uint32_t)(prod & rb->mask);
        __atomic_store_n(&hdr->len, (uint32_t)size | BPF_RINGBUF_BUSY_BIT, __ATOMIC_RELAXED);
        /* The consumer sees BUSY before it sees the new producer position. */
        __atomic_store_n(rb->producer_pos, prod + len, __ATOMIC_RELEASE);
        bpfaot__map_unlock(&rb->ctl->lock);
        return hdr + 1;
}

/* The block a record belongs to: its header's offset leads to the data area, at a fixed place. */
static struct rb_ctl *rb_of_record(struct bpfaot_rb_hdr *hdr)
{
        return (struct rb_ctl *)((char *)hdr - hdr->pg_off - RB_DATA_PAGES * bpfaot__page_size());
}

/* Wake whoever sleeps on ctl's wakeup word (counting it as a wakeup). */
static void rb_wake(struct rb_ctl *ctl)
{
        bpfaot__wakeup_bump(&ctl->wakeups, &ctl->waiters, ctl->shared);
}

static void rb_commit(void *data, bool discard, uint64_t flags)
{
        struct bpfaot_rb_hdr *hdr = (struct bpfaot_rb_hdr *)data - 1;
        uint32_t len = __atomic_load_n(&hdr->len, __ATOMIC_RELAXED) & ~BPF_RINGBUF_BUSY_BIT;
        struct rb_ctl *ctl = rb_of_record(hdr);

        if (discard)
                len |= BPF_RINGBUF_DISCARD_BIT;
        __atomic_exchange_n(&hdr->len, len, __ATOMIC_ACQ_REL);
        if (!(flags & BPF_RB_NO_WAKEUP))
                rb_wake(ctl);
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
                cons = __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE);
                prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
                return prod - cons;
        case BPF_RB_RING_SIZE:
                return rb->mask + 1;
        case BPF_RB_CONS_POS:
                return __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE);
        case BPF_RB_PROD_POS:
                return __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
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
        cons = __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE);
        for (;;) {
                bool progress = false;

                prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
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
                                        __atomic_store_n(rb->consumer_pos, cons, __ATOMIC_RELEASE);
                                        return err;
                                }
                                cnt++;
                        }
                        __atomic_store_n(rb->consumer_pos, cons, __ATOMIC_RELEASE);
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
        uint64_t cons = __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE);
        uint64_t prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
        struct bpfaot_rb_hdr *hdr = (struct bpfaot_rb_hdr *)(rb->data + (cons & rb->mask));

        return cons < prod &&
               !(__atomic_load_n(&hdr->len, __ATOMIC_ACQUIRE) & BPF_RINGBUF_BUSY_BIT);
}

/*
 * Sleep while the wakeup word is `seen` and the oldest record is not
 * committed, until the deadline (CLOCK_MONOTONIC; NULL: none). 0 (woken, or
 * nothing to wait for; spurious returns are possible) or -ETIMEDOUT.
 */
static int rb_wait(struct ringbuf *rb, uint32_t seen, const struct timespec *deadline)
{
        struct rb_ctl *ctl = rb->ctl;
        long rc = 0;

        __atomic_add_fetch(&ctl->waiters, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&ctl->wakeups, __ATOMIC_SEQ_CST) == seen && !rb_ready(rb))
                rc = bpfaot__futex(&ctl->wakeups, FUTEX_WAIT_BITSET, ctl->shared, seen, deadline);
        __atomic_sub_fetch(&ctl->waiters, 1, __ATOMIC_SEQ_CST);
        return rc < 0 && errno == ETIMEDOUT ? -ETIMEDOUT : 0;
}

int bpfaot_ringbuf__poll(struct bpfaot_map *map, int (*cb)(void *ctx, void *data, size_t size),
                         void *ctx, int timeout_ms)
{
        struct timespec deadline;
        struct ringbuf *rb;
        uint32_t seen;
        int n;

        if (!map || map->def.type != BPF_MAP_TYPE_RINGBUF || !cb)
                return -EINVAL;
        rb = map->priv;
        if (timeout_ms > 0)
                bpfaot__deadline_in(&deadline, timeout_ms);
        for (;;) {
                seen = __atomic_load_n(&rb->ctl->wakeups, __ATOMIC_SEQ_CST);
                n = bpfaot_ringbuf__consume(map, cb, ctx);
                if (n || timeout_ms == 0)
                        return n;
                if (rb_wait(rb, seen, timeout_ms > 0 ? &deadline : NULL))
                        /* timed out: what a record without wakeup may have brought meanwhile */
                        return bpfaot_ringbuf__consume(map, cb, ctx);
        }
}

uint32_t bpfaot_ringbuf__wakeups(struct bpfaot_map *map)
{
        struct ringbuf *rb;

        if (!map || map->def.type != BPF_MAP_TYPE_RINGBUF)
                return 0;
        rb = map->priv;
        return __atomic_load_n(&rb->ctl->wakeups, __ATOMIC_SEQ_CST);
}

int bpfaot_ringbuf__wait_wakeup(struct bpfaot_map *map, uint32_t *seen, int timeout_ms)
{
        struct ringbuf *rb;

        if (!map || map->def.type != BPF_MAP_TYPE_RINGBUF || !seen)
                return -EINVAL;
        rb = map->priv;
        /* Only the word counts here: a record ready does not end the wait. */
        return bpfaot__wakeup_wait(&rb->ctl->wakeups, &rb->ctl->waiters, rb->ctl->shared, seen,
                                   timeout_ms);
}

void bpfaot_ringbuf__wake(struct bpfaot_map *map)
{
        if (map && map->def.type == BPF_MAP_TYPE_RINGBUF)
                rb_wake(((struct ringbuf *)map->priv)->ctl);
}

bool bpfaot_ringbuf__ready(struct bpfaot_map *map)
{
        return map && map->def.type == BPF_MAP_TYPE_RINGBUF && rb_ready(map->priv);
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

/* Reservations hand out records inside the (doubly sized) data area. */
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
    .block_size = rb_block_size,
    .attach = rb_attach,
};
