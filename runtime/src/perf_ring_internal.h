/* SPDX-License-Identifier: MIT */
/*
 * Private to the runtime: a perf event of a segment and its ring (perf_ring.c),
 * which a PERF_EVENT_ARRAY's slots refer to (map_perf_event.c).
 */
#ifndef BPFAOT_PERF_RING_INTERNAL_H
#define BPFAOT_PERF_RING_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define BPFAOT_PERF_MAGIC 0x46524550u /* "PERF" */

/*
 * A PERF_COUNT_SW_BPF_OUTPUT event, in a segment (64 bytes aligned, never
 * freed). Its ring, made by the first mmap(), is pages of their own: the
 * kernel's struct perf_event_mmap_page, then nr_pages data pages; `ring`
 * is the ring's offset from this struct, so that the reference holds in
 * every process. Nothing here is in the ring's pages, which the reader
 * may write.
 */
struct bpfaot_perf_ctl {
        uint32_t magic;
        uint32_t enabled;  /* atomic: PERF_EVENT_IOC_ENABLE / _DISABLE */
        uint32_t inherit;  /* attr.inherit: a PERF_EVENT_ARRAY refuses the event */
        uint32_t nr_pages; /* data pages (a power of 2, or 0), set with `ring` */
        uint64_t id;       /* the event's id in PERF_RECORD_LOST records */
        int64_t ring;      /* atomic (release once set): 0 until the first mmap() */
        uint64_t head;     /* the producers' position (under lock), published as data_head */
        uint64_t
            lost; /* atomic, written under lock: samples lost since the last PERF_RECORD_LOST */
        uint32_t wakeups;     /* atomic, futex word: records written */
        uint32_t waiters;     /* atomic: sleepers on wakeups */
        pthread_mutex_t lock; /* producers: process-shared, robust */
};

/*
 * Write a PERF_RECORD_SAMPLE of `size` bytes of raw data into ctl's ring
 * (after a PERF_RECORD_LOST when samples were lost), then wake its
 * readers. 0; -EOPNOTSUPP when the event is disabled; -ENOSPC when it has
 * no ring or the ring is full (the sample is counted as lost); -E2BIG for a
 * record a perf_event_header cannot describe.
 */
long bpfaot__perf_output(struct bpfaot_perf_ctl *ctl, const void *data, uint64_t size);

struct bpfaot_perf_event_info;
/* What the event says of itself (bpfaot_perf_event__info). */
void bpfaot__perf_ctl_info(struct bpfaot_perf_ctl *ctl, struct bpfaot_perf_event_info *info);

/* The ctl behind a handle (bpfaot/shm.h's struct bpfaot_perf_event), and its segment's bounds. */
struct bpfaot_perf_event;
struct bpfaot_perf_ctl *bpfaot__perf_event_ctl(const struct bpfaot_perf_event *ev, const void **seg,
                                               size_t *seg_len);

#endif
