/* SPDX-License-Identifier: MIT */
/*
 * USER_RINGBUF: a ring buffer the host produces into and programs drain,
 * with the kernel's record format and rules (kernel/bpf/ringbuf.c, libbpf's
 * user_ring_buffer__*): the same 8-byte headers as RINGBUF, the host reserves
 * a record (BUSY set), fills it, then submits (clears BUSY) or discards it
 * (DISCARD set). bpf_user_ringbuf_drain() consumes the committed records in
 * order, one drain at a time per map (-EBUSY otherwise), handing each to the
 * program's callback as a read-only dynptr; a record still reserved stops it
 * there, a discarded one is skipped.
 *
 * The state is one block (maps_internal.h) of offsets, laid out as the
 * kernel's mapping of a user ring buffer, one page after the block's start:
 *
 *   page 0     control: the locks, the wakeup word (not mapped out)
 *   page 1     consumer position   (the kernel's mmap offset 0, read-only)
 *   page 2     producer position   (offset page_size, writable)
 *   page 3...  data area, 2 * ring size bytes (writable)
 *
 * so that a ring in a shared segment is mapped by a producer in another
 * process (bpfaot_shm__mmap_map) exactly as libbpf maps the kernel's, and
 * libbpf's user_ring_buffer__reserve() / __submit() work on it unchanged.
 * The kernel maps the data pages twice so that a record crossing the end of
 * the ring is contiguous; here the data area is twice as large and such a
 * record runs into the second half, whose bytes only that record ever uses
 * (as in map_ringbuf.c). Positions are found as libbpf and the kernel find
 * them: a record's header at data + (pos & mask), its sample at data + ((pos
 * + 8) & mask), so a header in the ring's last 8 bytes has its sample at the
 * data area's start.
 *
 * The producer position and the data are the producers' to write (a libbpf
 * producer takes no lock; the host's bpfaot_user_ring_buffer__reserve()
 * callers are serialised by the producers' lock), so the drain checks every
 * header and position as the kernel's does before it trusts it. The drain
 * alone writes the consumer position. One drain at a time: the drain lock,
 * taken with trylock (-EBUSY when held, by another process or by a drain
 * further up this thread's stack), is the kernel's busy bit. Both locks are
 * process-shared and robust in a shared block: a process killed in a drain
 * or in a reservation wedges no one (a producer killed between reserving a
 * record and committing it leaves that record busy, and drains stop there,
 * as the kernel's).
 *
 * Waiting for room (bpfaot_user_ringbuf__wait_wakeup, the syscall server's
 * EPOLLOUT): a drain that consumed something, without BPF_RB_NO_WAKEUP, or
 * any drain with BPF_RB_FORCE_WAKEUP, bumps the futex word `wakeups` and
 * wakes whoever sleeps on it, as map_ringbuf.c's producers wake consumers.
 */
#define _GNU_SOURCE
#include "dynptr_internal.h"
#include "sandbox_internal.h"
#include "helpers_internal.h"
#include "maps_internal.h"

#include <bpfaot/shm.h>
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

#define URB_FLAGS        (BPF_F_NUMA_NODE)
#define URB_WAKEUP_FLAGS ((uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
/* The kernel bounds one drain call, so that a producer cannot keep a program running. */
#define URB_MAX_SAMPLES (128u * 1024)
#define URB_CTL_PAGES   1 /* pages before the consumer position's */
#define URB_DATA_PAGES  3 /* pages before the data area */

/* Page 0 of the block. */
struct urb_ctl {
        pthread_mutex_t lock;  /* the host's producers */
        pthread_mutex_t drain; /* held by the drain that runs: the kernel's busy bit */
        uint64_t mask;
        uint32_t shared;  /* the block is in a segment: the futex is process-shared */
        uint32_t wakeups; /* atomic, futex word: drains that made room */
        uint32_t waiters; /* atomic: producers sleeping (or about to) on wakeups */
};

/* This process's view of the block. */
struct user_rb {
        struct urb_ctl *ctl;
        uint64_t *consumer_pos; /* atomic: the drain publishes, producers read */
        uint64_t *producer_pos; /* atomic: producers publish, the drain reads */
        char *data;             /* 2 * (mask + 1) bytes */
        uint64_t mask;
};

size_t bpfaot__user_ringbuf_user_offset(void)
{
        return URB_CTL_PAGES * bpfaot__page_size();
}

static int urb_block_size(const struct bpfaot_map *map, size_t *size)
{
        if (bpfaot__ringbuf_check_def(&map->def, URB_FLAGS))
                return -EINVAL;
        *size = URB_DATA_PAGES * bpfaot__page_size() + 2 * (size_t)map->def.max_entries;
        return 0;
}

static int urb_attach(struct bpfaot_map *map)
{
        struct user_rb *rb = calloc(1, sizeof(*rb));
        char *block = map->block;
        size_t page = bpfaot__page_size();

        if (!rb)
                return -ENOMEM;
        rb->ctl = map->block;
        rb->consumer_pos = (uint64_t *)(block + URB_CTL_PAGES * page);
        rb->producer_pos = (uint64_t *)(block + (URB_CTL_PAGES + 1) * page);
        rb->data = block + URB_DATA_PAGES * page;
        rb->mask = map->def.max_entries - 1;
        map->priv = rb;
        return 0;
}

static int urb_alloc(struct bpfaot_map *map)
{
        struct urb_ctl *ctl = map->block;
        int err = bpfaot__map_lock_init(&ctl->lock, map->shared);

        if (err)
                return err;
        err = bpfaot__map_lock_init(&ctl->drain, map->shared);
        if (err) {
                pthread_mutex_destroy(&ctl->lock);
                return err;
        }
        ctl->mask = map->def.max_entries - 1;
        ctl->shared = map->shared;
        err = urb_attach(map);
        if (err) {
                pthread_mutex_destroy(&ctl->drain);
                pthread_mutex_destroy(&ctl->lock);
        }
        return err;
}

/* A shared block's locks belong to its segment, which other processes may still use. */
static void urb_free(struct bpfaot_map *map)
{
        struct user_rb *rb = map->priv;

        if (!map->shared) {
                pthread_mutex_destroy(&rb->ctl->drain);
                pthread_mutex_destroy(&rb->ctl->lock);
        }
        free(rb);
}

static void *urb_lookup(struct bpfaot_map *map, const void *key)
{
        (void)map, (void)key;
        return NULL;
}

static long urb_update(struct bpfaot_map *map, const void *key, const void *value, uint64_t flags,
                       bool host)
{
        (void)map, (void)key, (void)value, (void)flags, (void)host;
        return -ENOTSUP;
}

static struct user_rb *user_rb_of(struct bpfaot_map *map)
{
        return map && map->def.type == BPF_MAP_TYPE_USER_RINGBUF ? map->priv : NULL;
}

void *bpfaot_user_ring_buffer__reserve(struct bpfaot_map *map, uint32_t size)
{
        struct user_rb *rb = user_rb_of(map);
        uint64_t cons, prod, len = BPFAOT_RB_RECORD_LEN(size);
        struct bpfaot_rb_hdr *hdr;

        if (!rb) {
                errno = EINVAL;
                return NULL;
        }
        if (size & (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT) || len > rb->mask + 1) {
                errno = E2BIG;
                return NULL;
        }
        bpfaot__map_lock(&rb->ctl->lock);
        cons = __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE);
        prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
        /* cons past prod: a producer's mapping wrote nonsense into the producer page; refuse. */
        if (cons > prod || prod + len - cons > rb->mask + 1) {
                bpfaot__map_unlock(&rb->ctl->lock);
                errno = ENOSPC;
                return NULL;
        }
        hdr = (struct bpfaot_rb_hdr *)(rb->data + (prod & rb->mask));
        hdr->pg_off = 0;
        __atomic_store_n(&hdr->len, size | BPF_RINGBUF_BUSY_BIT, __ATOMIC_RELAXED);
        /* The drain sees BUSY before it sees the new producer position. */
        __atomic_store_n(rb->producer_pos, prod + len, __ATOMIC_RELEASE);
        bpfaot__map_unlock(&rb->ctl->lock);
        return rb->data + ((prod + sizeof(*hdr)) & rb->mask);
}

/* The header of `sample` (as libbpf's user_ringbuf_commit finds it), NULL if not a sample here. */
static struct bpfaot_rb_hdr *urb_hdr_of(struct user_rb *rb, void *sample)
{
        uintptr_t off = (uintptr_t)sample - (uintptr_t)rb->data;

        if (!sample || (uintptr_t)sample < (uintptr_t)rb->data || off > rb->mask || off % 8)
                return NULL;
        return (struct bpfaot_rb_hdr *)(rb->data + ((rb->mask + 1 + off - 8) & rb->mask));
}

static void urb_commit(struct bpfaot_map *map, void *sample, uint32_t bit)
{
        struct user_rb *rb = user_rb_of(map);
        struct bpfaot_rb_hdr *hdr = rb ? urb_hdr_of(rb, sample) : NULL;
        uint32_t len;

        if (!hdr)
                return;
        len = __atomic_load_n(&hdr->len, __ATOMIC_RELAXED) & ~BPF_RINGBUF_BUSY_BIT;
        __atomic_exchange_n(&hdr->len, len | bit, __ATOMIC_ACQ_REL);
}

void bpfaot_user_ring_buffer__submit(struct bpfaot_map *map, void *sample)
{
        urb_commit(map, sample, 0);
}

void bpfaot_user_ring_buffer__discard(struct bpfaot_map *map, void *sample)
{
        urb_commit(map, sample, BPF_RINGBUF_DISCARD_BIT);
}

/*
 * The next committed sample, checked as the kernel's __bpf_user_ringbuf_peek
 * checks it: 0 and *sample, *size; -ENODATA when there is none (or the next
 * is still reserved); -EAGAIN when the next was discarded (it is consumed);
 * -EINVAL for a producer position that is not 8-byte aligned or a record
 * longer than what the producer position covers, -E2BIG for a record longer
 * than the ring or a dynptr.
 */
static int urb_peek(struct user_rb *rb, void **sample, uint32_t *size)
{
        uint64_t prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
        uint64_t cons = __atomic_load_n(rb->consumer_pos, __ATOMIC_RELAXED);
        struct bpfaot_rb_hdr *hdr;
        uint32_t len, flags;
        uint64_t total;

        if (prod % 8)
                return -EINVAL;
        if (cons >= prod)
                return -ENODATA;
        hdr = (struct bpfaot_rb_hdr *)(rb->data + (cons & rb->mask));
        len = __atomic_load_n(&hdr->len, __ATOMIC_ACQUIRE);
        flags = len & (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
        len &= ~flags;
        total = BPFAOT_RB_RECORD_LEN(len);
        if (total > prod - cons)
                return -EINVAL;
        if (total > rb->mask + 1 || bpfaot_dynptr_check_size(len))
                return -E2BIG;
        if (flags & BPF_RINGBUF_DISCARD_BIT) {
                __atomic_store_n(rb->consumer_pos, cons + total, __ATOMIC_RELEASE);
                return -EAGAIN;
        }
        if (flags & BPF_RINGBUF_BUSY_BIT)
                return -ENODATA;
        *sample = rb->data + ((cons + sizeof(*hdr)) & rb->mask);
        *size = len;
        return 0;
}

/* Wake whoever waits for room (counting it as a wakeup). */
static void urb_wake(struct urb_ctl *ctl)
{
        bpfaot__wakeup_bump(&ctl->wakeups, &ctl->waiters, ctl->shared);
}

/* The drain lock, as the kernel's busy bit: false when another drain holds it. */
static bool urb_drain_begin(struct urb_ctl *ctl)
{
        int rc = pthread_mutex_trylock(&ctl->drain);

        /* Its holder died in a drain: the consumer position is whole (single stores). */
        if (rc == EOWNERDEAD)
                rc = pthread_mutex_consistent(&ctl->drain);
        return rc == 0;
}

/*
 * user_ringbuf_drain(map, callback, ctx, flags): call the native callback
 * long cb(struct bpf_dynptr *sample, void *ctx) on each committed sample in
 * order, until there is none left, the callback returns nonzero or
 * URB_MAX_SAMPLES were seen. Returns the number of samples handed to the
 * callback; -EINVAL for flags other than the wakeup flags or a map that is
 * no USER_RINGBUF, -EBUSY while another drain runs, -EINVAL/-E2BIG for a
 * malformed record. As the kernel's, wakes the producers waiting for room
 * when it consumed something (not with BPF_RB_NO_WAKEUP), or always with
 * BPF_RB_FORCE_WAKEUP.
 */
BPFAOT_HELPER(user_ringbuf_drain)
(uint64_t map, uint64_t callback, uint64_t ctx, uint64_t flags, uint64_t e)
{
        long (*cb)(uint64_t, uint64_t) = (long (*)(uint64_t, uint64_t))(uintptr_t)callback;
        struct user_rb *rb = user_rb_of((struct bpfaot_map *)(uintptr_t)map);
        long samples, discarded = 0, stop = 0, ret = 0;

        (void)e;
        if ((flags & ~URB_WAKEUP_FLAGS) || !rb || !cb)
                return (uint64_t)-EINVAL;
        if (!urb_drain_begin(rb->ctl))
                return (uint64_t)-EBUSY;
        if (!bpfaot__callback_enter()) {
                pthread_mutex_unlock(&rb->ctl->drain);
                return (uint64_t)-ELOOP;
        }
        for (samples = 0; samples < URB_MAX_SAMPLES && !stop; samples++) {
                struct bpfaot_dynptr dynptr;
                void *sample;
                uint32_t size;
                int err = urb_peek(rb, &sample, &size);

                if (err == -ENODATA)
                        break;
                if (err == -EAGAIN) {
                        discarded++;
                        continue;
                }
                if (err) {
                        ret = err;
                        break;
                }
                bpfaot_dynptr_init(&dynptr, sample, BPFAOT_DYNPTR_LOCAL, 0, size);
                bpfaot_dynptr_set_rdonly(&dynptr);
                {
                        const void *outer = bpfaot__sandbox_runtime_dynptr(&dynptr);

                        stop = cb((uint64_t)(uintptr_t)&dynptr, ctx);
                        bpfaot__sandbox_runtime_dynptr(outer);
                }
                __atomic_store_n(rb->consumer_pos,
                                 __atomic_load_n(rb->consumer_pos, __ATOMIC_RELAXED) +
                                     BPFAOT_RB_RECORD_LEN(size),
                                 __ATOMIC_RELEASE);
        }
        if (!ret)
                ret = samples - discarded;
        bpfaot__callback_exit();
        pthread_mutex_unlock(&rb->ctl->drain);
        if ((flags & BPF_RB_FORCE_WAKEUP) || (!(flags & BPF_RB_NO_WAKEUP) && samples > 0))
                urb_wake(rb->ctl);
        return (uint64_t)ret;
}

uint64_t bpfaot_user_ringbuf__query(struct bpfaot_map *map, uint64_t flags)
{
        struct user_rb *rb = user_rb_of(map);
        uint64_t cons, prod;

        if (!rb)
                return 0;
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

bool bpfaot_user_ringbuf__writable(struct bpfaot_map *map)
{
        return user_rb_of(map) && bpfaot_user_ringbuf__query(map, BPF_RB_AVAIL_DATA) <
                                      bpfaot_user_ringbuf__query(map, BPF_RB_RING_SIZE);
}

uint32_t bpfaot_user_ringbuf__wakeups(struct bpfaot_map *map)
{
        struct user_rb *rb = user_rb_of(map);

        return rb ? __atomic_load_n(&rb->ctl->wakeups, __ATOMIC_SEQ_CST) : 0;
}

int bpfaot_user_ringbuf__wait_wakeup(struct bpfaot_map *map, uint32_t *seen, int timeout_ms)
{
        struct user_rb *rb = user_rb_of(map);

        if (!rb || !seen)
                return -EINVAL;
        return bpfaot__wakeup_wait(&rb->ctl->wakeups, &rb->ctl->waiters, rb->ctl->shared, seen,
                                   timeout_ms);
}

void bpfaot_user_ringbuf__wake(struct bpfaot_map *map)
{
        struct user_rb *rb = user_rb_of(map);

        if (rb)
                urb_wake(rb->ctl);
}

/* Records live in the (doubly sized) data area. */
static bool urb_owns(const struct bpfaot_map *map, uintptr_t p, size_t size)
{
        const struct user_rb *rb = map->priv;
        return bpfaot_range_inside(p, size, rb->data, 2 * (rb->mask + 1));
}

const struct bpfaot_map_ops bpfaot_user_ringbuf_ops = {
    .alloc = urb_alloc,
    .free = urb_free,
    .lookup = urb_lookup,
    .update = urb_update,
    .owns = urb_owns,
    .block_size = urb_block_size,
    .attach = urb_attach,
};
