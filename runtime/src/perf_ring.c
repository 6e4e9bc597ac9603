/* SPDX-License-Identifier: MIT */
/*
 * Perf events of a segment and their rings (bpfaot/shm.h), with the
 * kernel's layout and protocol (kernel/events/ring_buffer.c, libbpf's
 * perf_buffer): the ring's first page is a struct perf_event_mmap_page
 * whose data_head the producers publish with a release store and whose
 * data_tail the reader writes; data_size bytes of data follow at
 * data_offset (one page in). Records are 8-byte aligned, at positions that
 * grow forever and are taken modulo data_size, and may run across the
 * ring's end (the reader copies such a record out, as libbpf's does):
 *
 *   PERF_RECORD_SAMPLE   header {type, misc USER, size}; u32 size; raw data,
 *                        zero-padded so that the u32 and the data end 8-byte
 *                        aligned (the u32 says the padded size, as the kernel's)
 *   PERF_RECORD_LOST     header; u64 id; u64 lost
 *
 * A sample that does not fit is lost and counted; the next one that fits
 * with a PERF_RECORD_LOST before it writes that record first, as the
 * kernel's perf_output_begin() does. As the kernel's, the producers never
 * fill the ring to its last byte (CIRC_SPACE).
 *
 * The event itself (struct bpfaot_perf_ctl, perf_ring_internal.h) is apart
 * from the ring's pages, which the reader maps writable: its producers'
 * lock (process-shared and robust: a producer killed holding it wedges no
 * one, and the record it was writing is simply not published), its
 * position, its lost count and its wakeup word, a process-shared futex as
 * a RINGBUF's (map_ringbuf.c): every record bumps it, so a reader sleeping
 * in one process is woken by a producer in another.
 */
#define _GNU_SOURCE
#include "perf_ring_internal.h"
#include "maps_internal.h"
#include "shm_internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The largest ring a mapping may ask for: 2^30 bytes of data. */
#define PERF_MAX_DATA ((uint64_t)1 << 30)

struct bpfaot_perf_event {
        struct bpfaot_shm *shm;
        struct bpfaot_perf_ctl *ctl;
};

struct perf_sample_hdr {
        struct perf_event_header header;
        uint32_t size;
};

struct perf_lost_rec {
        struct perf_event_header header;
        uint64_t id;
        uint64_t lost;
};

/* The ring's first page, or NULL before the first mmap(). */
static struct perf_event_mmap_page *ring_of(const struct bpfaot_perf_ctl *ctl)
{
        int64_t off = __atomic_load_n(&ctl->ring, __ATOMIC_ACQUIRE);

        return off ? (struct perf_event_mmap_page *)((char *)ctl + off) : NULL;
}

/* Copy `len` bytes to position `pos` of the data area, across its end if need be. */
static void ring_put(char *data, uint64_t mask, uint64_t pos, const void *src, size_t len)
{
        size_t at = (size_t)(pos & mask), first = len;

        if (first > mask + 1 - at)
                first = mask + 1 - at;
        memcpy(data + at, src, first);
        memcpy(data, (const char *)src + first, len - first);
}

static void ring_zero(char *data, uint64_t mask, uint64_t pos, size_t len)
{
        static const char zeros[8];

        while (len) {
                size_t n = len < sizeof(zeros) ? len : sizeof(zeros);

                ring_put(data, mask, pos, zeros, n);
                pos += n;
                len -= n;
        }
}

/* Events live in segments: their futex words are process-shared. */
static void wake(struct bpfaot_perf_ctl *ctl)
{
        bpfaot__wakeup_bump(&ctl->wakeups, &ctl->waiters, true);
}

long bpfaot__perf_output(struct bpfaot_perf_ctl *ctl, const void *data, uint64_t size)
{
        struct perf_event_mmap_page *up;
        struct perf_sample_hdr sh;
        struct perf_lost_rec lr;
        uint64_t raw, len, need, head, tail, mask, lost;
        char *ring_data;

        raw = BPFAOT_ROUND_UP(size + sizeof(uint32_t), 8) - sizeof(uint32_t);
        len = sizeof(struct perf_event_header) + sizeof(uint32_t) + raw;
        if (size > UINT16_MAX || len > UINT16_MAX)
                return -E2BIG; /* perf_event_header.size is 16 bits */
        if (!__atomic_load_n(&ctl->enabled, __ATOMIC_ACQUIRE))
                return -EOPNOTSUPP; /* the kernel's: the event is not on the CPU */
        up = ring_of(ctl);
        if (!up || !ctl->nr_pages)
                return -ENOSPC; /* no ring: perf_output_begin() finds no buffer */
        mask = (uint64_t)ctl->nr_pages * bpfaot__page_size() - 1;
        ring_data = (char *)up + bpfaot__page_size();

        bpfaot__map_lock(&ctl->lock);
        head = ctl->head;
        tail = __atomic_load_n(&up->data_tail, __ATOMIC_ACQUIRE);
        lost = __atomic_load_n(&ctl->lost, __ATOMIC_RELAXED);
        need = len + (lost ? sizeof(lr) : 0);
        /* The kernel's CIRC_SPACE: one byte always stays free; a tail past head: nonsense. */
        if (tail > head || head - tail > mask || mask - (head - tail) < need) {
                __atomic_store_n(&ctl->lost, lost + 1, __ATOMIC_RELAXED);
                bpfaot__map_unlock(&ctl->lock);
                return -ENOSPC;
        }
        if (lost) {
                lr.header.type = PERF_RECORD_LOST;
                lr.header.misc = 0;
                lr.header.size = sizeof(lr);
                lr.id = ctl->id;
                lr.lost = lost;
                ring_put(ring_data, mask, head, &lr, sizeof(lr));
                head += sizeof(lr);
                __atomic_store_n(&ctl->lost, 0, __ATOMIC_RELAXED);
        }
        sh.header.type = PERF_RECORD_SAMPLE;
        sh.header.misc = PERF_RECORD_MISC_USER;
        sh.header.size = (uint16_t)len;
        sh.size = (uint32_t)raw;
        ring_put(ring_data, mask, head, &sh, sizeof(sh));
        ring_put(ring_data, mask, head + sizeof(sh), data, size);
        ring_zero(ring_data, mask, head + sizeof(sh) + size, raw - size);
        head += len;
        /* Ours first: a producer killed between the two leaves a complete record to publish. */
        ctl->head = head;
        __atomic_store_n(&up->data_head, head, __ATOMIC_RELEASE);
        bpfaot__map_unlock(&ctl->lock);
        wake(ctl);
        return 0;
}

/* ---- Events ---- */

/* The event at `ref` of shm, checked: NULL when there is none. */
static struct bpfaot_perf_ctl *ctl_at(struct bpfaot_shm *shm, uint64_t ref)
{
        size_t len;
        char *base = bpfaot__shm_base(shm, &len, NULL);
        struct bpfaot_perf_ctl *ctl;

        if (!ref || ref % 64 || ref > len || sizeof(*ctl) > len - ref)
                return NULL;
        ctl = (struct bpfaot_perf_ctl *)(base + ref);
        return __atomic_load_n(&ctl->magic, __ATOMIC_ACQUIRE) == BPFAOT_PERF_MAGIC ? ctl : NULL;
}

int bpfaot_shm__create_perf_event(struct bpfaot_shm *shm, bool disabled, bool inherit,
                                  uint64_t *ref)
{
        struct bpfaot_perf_ctl *ctl;
        int err;

        if (!shm || !ref)
                return -EINVAL;
        err = bpfaot__shm_lock(shm);
        if (err)
                return err;
        ctl = bpfaot__shm_alloc(shm, sizeof(*ctl), false);
        if (ctl) {
                err = bpfaot__map_lock_init(&ctl->lock, true);
                if (!err) {
                        ctl->enabled = !disabled;
                        ctl->inherit = inherit;
                        ctl->id =
                            (uint64_t)((char *)ctl - (char *)bpfaot__shm_base(shm, NULL, NULL));
                        __atomic_store_n(&ctl->magic, BPFAOT_PERF_MAGIC, __ATOMIC_RELEASE);
                        *ref = ctl->id;
                }
        }
        bpfaot__shm_unlock(shm);
        return ctl ? err : -ENOSPC;
}

int bpfaot_shm__perf_event(struct bpfaot_shm *shm, uint64_t ref, struct bpfaot_perf_event **out)
{
        struct bpfaot_perf_ctl *ctl;
        struct bpfaot_perf_event *ev;

        if (!shm || !out)
                return -EINVAL;
        *out = NULL;
        ctl = ctl_at(shm, ref);
        if (!ctl)
                return -ENOENT;
        ev = calloc(1, sizeof(*ev));
        if (!ev)
                return -ENOMEM;
        ev->shm = shm;
        ev->ctl = ctl;
        *out = ev;
        return 0;
}

void bpfaot_perf_event__free(struct bpfaot_perf_event *ev)
{
        free(ev);
}

struct bpfaot_perf_ctl *bpfaot__perf_event_ctl(const struct bpfaot_perf_event *ev, const void **seg,
                                               size_t *seg_len)
{
        *seg = bpfaot__shm_base(ev->shm, seg_len, NULL);
        return ev->ctl;
}

/* The ring of 1 + nr_pages pages, made now unless it exists (under the segment's lock). */
static int ring_make(struct bpfaot_perf_event *ev, uint32_t nr_pages)
{
        struct bpfaot_perf_ctl *ctl = ev->ctl;
        size_t page = bpfaot__page_size();
        struct perf_event_mmap_page *up;
        int err = bpfaot__shm_lock(ev->shm);

        if (err)
                return err;
        if (ring_of(ctl)) {
                err = ctl->nr_pages == nr_pages ? 0 : -EINVAL;
        } else {
                up = bpfaot__shm_alloc(ev->shm, (1 + (size_t)nr_pages) * page, true);
                if (!up) {
                        err = -ENOMEM;
                } else {
                        up->version = 0;
                        up->compat_version = 0;
                        up->data_offset = page;
                        up->data_size = (uint64_t)nr_pages * page;
                        ctl->nr_pages = nr_pages;
                        ctl->head = 0;
                        __atomic_store_n(&ctl->ring, (int64_t)((char *)up - (char *)ctl),
                                         __ATOMIC_RELEASE);
                }
        }
        bpfaot__shm_unlock(ev->shm);
        return err;
}

int bpfaot_perf_event__mmap(struct bpfaot_perf_event *ev, const struct bpfaot_shm_mmap *req,
                            void **out)
{
        size_t page = bpfaot__page_size(), pages, seg_len;
        uint64_t nr;
        char *base;
        void *p;
        int fd, err;

        if (!ev || !req || !out)
                return -EINVAL;
        *out = MAP_FAILED;
        /* perf_mmap()'s checks, in its order. */
        if ((req->flags & MAP_TYPE) != MAP_SHARED || req->len == 0)
                return -EINVAL;
        if (req->offset != 0)
                return -EINVAL; /* an AUX area: not here */
        pages = BPFAOT_ROUND_UP(req->len, page) / page;
        nr = pages - 1;
        if (nr && (nr & (nr - 1)))
                return -EINVAL;
        if (nr * page > PERF_MAX_DATA)
                return -ENOMEM;
        err = ring_make(ev, (uint32_t)nr);
        if (err)
                return err;
        base = bpfaot__shm_base(ev->shm, &seg_len, &fd);
        p = mmap(req->addr, req->len, req->prot, req->flags, fd,
                 (off_t)((char *)ring_of(ev->ctl) - base));
        if (p == MAP_FAILED)
                return -errno;
        *out = p;
        return 0;
}

void bpfaot_perf_event__enable(struct bpfaot_perf_event *ev, bool enable)
{
        if (ev)
                __atomic_store_n(&ev->ctl->enabled, enable, __ATOMIC_RELEASE);
}

uint32_t bpfaot_perf_event__wakeups(struct bpfaot_perf_event *ev)
{
        return ev ? __atomic_load_n(&ev->ctl->wakeups, __ATOMIC_SEQ_CST) : 0;
}

int bpfaot_perf_event__wait_wakeup(struct bpfaot_perf_event *ev, uint32_t *seen, int timeout_ms)
{
        if (!ev || !seen)
                return -EINVAL;
        /* Events live in segments: their futex words are process-shared. */
        return bpfaot__wakeup_wait(&ev->ctl->wakeups, &ev->ctl->waiters, true, seen, timeout_ms);
}

void bpfaot_perf_event__wake(struct bpfaot_perf_event *ev)
{
        if (ev)
                wake(ev->ctl);
}

bool bpfaot_perf_event__ready(struct bpfaot_perf_event *ev)
{
        struct perf_event_mmap_page *up = ev ? ring_of(ev->ctl) : NULL;

        return up && __atomic_load_n(&up->data_head, __ATOMIC_ACQUIRE) !=
                         __atomic_load_n(&up->data_tail, __ATOMIC_ACQUIRE);
}

/* What the event says of itself (its ring's positions as the reader sees them). */
void bpfaot__perf_ctl_info(struct bpfaot_perf_ctl *ctl, struct bpfaot_perf_event_info *info)
{
        struct perf_event_mmap_page *up = ring_of(ctl);

        memset(info, 0, sizeof(*info));
        info->id = ctl->id;
        info->enabled = __atomic_load_n(&ctl->enabled, __ATOMIC_ACQUIRE) != 0;
        info->has_ring = up != NULL;
        if (!up)
                return;
        info->nr_pages = ctl->nr_pages;
        info->data_size = (uint64_t)ctl->nr_pages * bpfaot__page_size();
        info->head = __atomic_load_n(&up->data_head, __ATOMIC_ACQUIRE);
        info->tail = __atomic_load_n(&up->data_tail, __ATOMIC_ACQUIRE);
        info->lost = __atomic_load_n(&ctl->lost, __ATOMIC_RELAXED);
}

int bpfaot_perf_event__info(struct bpfaot_perf_event *ev, struct bpfaot_perf_event_info *info)
{
        if (!ev || !info)
                return -EINVAL;
        bpfaot__perf_ctl_info(ev->ctl, info);
        return 0;
}
