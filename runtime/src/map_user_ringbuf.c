/* SPDX-License-Identifier: MIT */
/*
 * USER_RINGBUF: a ring buffer the host produces into and programs drain,
 * with the kernel's record format and rules (kernel/bpf/ringbuf.c, libbpf's
 * user_ring_buffer__*): the same 8-byte headers as RINGBUF, the host reserves
 * a record (BUSY set), fills it, then submits (clears BUSY) or discards it.
 * Host producers are serialised by a mutex while they reserve; records are
 * published with release stores. bpf_user_ringbuf_drain() consumes the
 * committed records in order, one drain at a time per map (-EBUSY
 * otherwise), handing each to the program's callback as a read-only dynptr.
 *
 * As in map_ringbuf.c, the data area is allocated twice as large so that a
 * record crossing the end of the ring stays contiguous.
 */
#include "dynptr_internal.h"
#include "sandbox_internal.h"
#include "helpers_internal.h"
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define URB_FLAGS        (BPF_F_NUMA_NODE)
#define URB_WAKEUP_FLAGS ((uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
/* The kernel bounds one drain call, so that a producer cannot keep a program running. */
#define URB_MAX_SAMPLES (128u * 1024)

struct user_rb {
        pthread_mutex_t lock; /* host producers */
        uint64_t mask;
        uint64_t consumer_pos; /* atomic: drain publishes, producers read */
        uint64_t producer_pos; /* atomic: producers publish, drain reads */
        int busy;              /* atomic: a drain runs */
        char *data;            /* 2 * (mask + 1) bytes */
};

static int urb_alloc(struct bpfaot_map *map)
{
        const struct bpfaot_map_def *def = &map->def;
        uint32_t size = def->max_entries;
        struct user_rb *rb;

        if (bpfaot__ringbuf_check_def(def, URB_FLAGS))
                return -EINVAL;
        rb = calloc(1, sizeof(*rb));
        if (!rb)
                return -ENOMEM;
        rb->data = aligned_alloc(8, 2 * (size_t)size);
        if (!rb->data) {
                free(rb);
                return -ENOMEM;
        }
        memset(rb->data, 0, 2 * (size_t)size);
        pthread_mutex_init(&rb->lock, NULL);
        rb->mask = size - 1;
        map->priv = rb;
        return 0;
}

static void urb_free(struct bpfaot_map *map)
{
        struct user_rb *rb = map->priv;

        pthread_mutex_destroy(&rb->lock);
        free(rb->data);
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
        pthread_mutex_lock(&rb->lock);
        cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
        prod = __atomic_load_n(&rb->producer_pos, __ATOMIC_RELAXED);
        if (prod + len - cons > rb->mask + 1) {
                pthread_mutex_unlock(&rb->lock);
                errno = ENOSPC;
                return NULL;
        }
        hdr = (struct bpfaot_rb_hdr *)(rb->data + (prod & rb->mask));
        hdr->pg_off = 0;
        __atomic_store_n(&hdr->len, size | BPF_RINGBUF_BUSY_BIT, __ATOMIC_RELAXED);
        /* The drain sees BUSY before it sees the new producer position. */
        __atomic_store_n(&rb->producer_pos, prod + len, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&rb->lock);
        return hdr + 1;
}

static void urb_commit(void *sample, uint32_t bit)
{
        struct bpfaot_rb_hdr *hdr = (struct bpfaot_rb_hdr *)sample - 1;
        uint32_t len = __atomic_load_n(&hdr->len, __ATOMIC_RELAXED) & ~BPF_RINGBUF_BUSY_BIT;

        __atomic_store_n(&hdr->len, len | bit, __ATOMIC_RELEASE);
}

void bpfaot_user_ring_buffer__submit(struct bpfaot_map *map, void *sample)
{
        (void)map; /* the record's header is all there is to change */
        if (sample)
                urb_commit(sample, 0);
}

void bpfaot_user_ring_buffer__discard(struct bpfaot_map *map, void *sample)
{
        (void)map;
        if (sample)
                urb_commit(sample, BPF_RINGBUF_DISCARD_BIT);
}

/*
 * The next committed sample: 0 and *sample, *size; -ENODATA when there is
 * none (or the next is still reserved); -EAGAIN when the next was discarded
 * (it is consumed); -EINVAL or -E2BIG for a header that does not fit.
 */
static int urb_peek(struct user_rb *rb, void **sample, uint32_t *size)
{
        uint64_t prod = __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE);
        uint64_t cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_RELAXED);
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
                __atomic_store_n(&rb->consumer_pos, cons + total, __ATOMIC_RELEASE);
                return -EAGAIN;
        }
        if (flags & BPF_RINGBUF_BUSY_BIT)
                return -ENODATA;
        *sample = hdr + 1;
        *size = len;
        return 0;
}

/*
 * user_ringbuf_drain(map, callback, ctx, flags): call the native callback
 * long cb(struct bpf_dynptr *sample, void *ctx) on each committed sample in
 * order, until there is none left, the callback returns nonzero or
 * URB_MAX_SAMPLES were seen. Returns the number of samples handed to the
 * callback; -EINVAL for flags other than the wakeup flags (no wakeup exists
 * here) or a map that is no USER_RINGBUF, -EBUSY while another drain runs,
 * -EINVAL/-E2BIG for a malformed record.
 */
BPFAOT_HELPER(user_ringbuf_drain)
(uint64_t map, uint64_t callback, uint64_t ctx, uint64_t flags, uint64_t e)
{
        long (*cb)(uint64_t, uint64_t) = (long (*)(uint64_t, uint64_t))(uintptr_t)callback;
        struct user_rb *rb = user_rb_of((struct bpfaot_map *)(uintptr_t)map);
        long samples, discarded = 0, stop = 0, ret;
        int idle = 0;

        (void)e;
        if ((flags & ~URB_WAKEUP_FLAGS) || !rb || !cb)
                return (uint64_t)-EINVAL;
        if (!__atomic_compare_exchange_n(&rb->busy, &idle, 1, false, __ATOMIC_ACQUIRE,
                                         __ATOMIC_RELAXED))
                return (uint64_t)-EBUSY;
        if (!bpfaot__callback_enter()) {
                __atomic_store_n(&rb->busy, 0, __ATOMIC_RELEASE);
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
                        bpfaot__callback_exit();
                        __atomic_store_n(&rb->busy, 0, __ATOMIC_RELEASE);
                        return (uint64_t)(long)err;
                }
                bpfaot_dynptr_init(&dynptr, sample, BPFAOT_DYNPTR_LOCAL, 0, size);
                bpfaot_dynptr_set_rdonly(&dynptr);
                {
                        const void *outer = bpfaot__sandbox_runtime_dynptr(&dynptr);

                        stop = cb((uint64_t)(uintptr_t)&dynptr, ctx);
                        bpfaot__sandbox_runtime_dynptr(outer);
                }
                __atomic_store_n(&rb->consumer_pos,
                                 __atomic_load_n(&rb->consumer_pos, __ATOMIC_RELAXED) +
                                     BPFAOT_RB_RECORD_LEN(size),
                                 __ATOMIC_RELEASE);
        }
        ret = samples - discarded;
        bpfaot__callback_exit();
        __atomic_store_n(&rb->busy, 0, __ATOMIC_RELEASE);
        return (uint64_t)ret;
}

/* Records live in the (doubly allocated) data area. */
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
};
