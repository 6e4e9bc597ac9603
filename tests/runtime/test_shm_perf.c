/* SPDX-License-Identifier: MIT */
/*
 * PERF_EVENT_ARRAY maps in a segment and the perf events their slots refer
 * to (bpfaot/shm.h): forked producers (each opening the segment by name, so
 * at another address) write samples with bpf_perf_event_output's runtime
 * entry point while this process reads the ring through a mapping laid out
 * as the kernel's, the way libbpf's perf_buffer reads it (data_head
 * acquired, data_tail released, records crossing the ring's end copied
 * out); samples that do not fit become PERF_RECORD_LOST records; a reader
 * sleeping here is woken by a producer there; a producer killed holding the
 * producers' lock wedges no one; the kernel's errnos for slots, mappings and
 * outputs. Every segment is named after this process and removed at exit;
 * every wait is bounded.
 */
#define _GNU_SOURCE
#include "check.h"
#include "maps_internal.h"
#include "perf_ring_internal.h"

#include <bpfaot/runtime.h>
#include <bpfaot/shm.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_WAIT_S 30
#define PRODUCERS    3
#define PER_PRODUCER 3000
#define DATA_PAGES   2

static char seg[64];
static pid_t test_pid;
static size_t page;

static void remove_seg(void)
{
        if (getpid() == test_pid)
                bpfaot_shm__remove(seg);
}

static struct bpfaot_shm *seg_open(bool create)
{
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .create = create, .size = 16 << 20};
        struct bpfaot_shm *shm;

        CHECK_EQ(bpfaot_shm__open(seg, &opts, &shm), 0);
        return shm;
}

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A child that dies with the test: a failed check leaves no producer behind. */
static pid_t child(void)
{
        pid_t parent = getpid(), pid = fork();

        CHECK(pid >= 0);
        if (pid == 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent))
                _exit(1);
        return pid;
}

static int wait_child(pid_t pid)
{
        struct timespec nap = {0, 5000000};
        int status;

        for (int i = 0; i < CHILD_WAIT_S * 200; i++) {
                pid_t r = waitpid(pid, &status, WNOHANG);

                CHECK(r >= 0);
                if (r == pid)
                        return status;
                nanosleep(&nap, NULL);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fprintf(stderr, "child %d did not finish within %d s\n", (int)pid, CHILD_WAIT_S);
        exit(1);
}

static void expect_child_ok(pid_t pid)
{
        int status = wait_child(pid);

        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 0);
}

static uint32_t array_create(struct bpfaot_shm *shm, uint32_t entries)
{
        struct bpfaot_map_def def = {.name = "events",
                                     .type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
                                     .key_size = 4,
                                     .value_size = 4,
                                     .max_entries = entries};
        uint32_t id;

        CHECK_EQ(bpfaot_shm__create_map(shm, &def, &id), 0);
        return id;
}

static struct bpfaot_map *handle(struct bpfaot_shm *shm, uint32_t id)
{
        struct bpfaot_map *m;

        CHECK_EQ(bpfaot_shm__map(shm, id, &m), 0);
        return m;
}

static struct bpfaot_perf_event *event_new(struct bpfaot_shm *shm, bool disabled, bool inherit,
                                           uint64_t *ref)
{
        struct bpfaot_perf_event *ev;
        uint64_t r;

        CHECK_EQ(bpfaot_shm__create_perf_event(shm, disabled, inherit, &r), 0);
        CHECK(r != 0);
        CHECK_EQ(bpfaot_shm__perf_event(shm, r, &ev), 0);
        if (ref)
                *ref = r;
        return ev;
}

/* The reader's mapping, as libbpf's perf_buffer__open_cpu_buf() makes it. */
struct reader {
        struct perf_event_mmap_page *up;
        char *data;
        uint64_t size;
};

static void reader_map(struct reader *r, struct bpfaot_perf_event *ev, uint32_t data_pages)
{
        struct bpfaot_shm_mmap req = {NULL, (1 + data_pages) * page, PROT_READ | PROT_WRITE,
                                      MAP_SHARED, 0};
        void *p;

        CHECK_EQ(bpfaot_perf_event__mmap(ev, &req, &p), 0);
        r->up = p;
        r->data = (char *)p + page;
        r->size = (uint64_t)data_pages * page;
        CHECK_EQ(r->up->data_offset, page);
        CHECK_EQ(r->up->data_size, r->size);
}

static void reader_unmap(struct reader *r)
{
        CHECK_EQ(munmap(r->up, page + r->size), 0);
}

typedef void (*record_fn)(void *ctx, const struct perf_event_header *h);

/* libbpf's perf_event_read_simple(): every record from data_tail to data_head, then the tail. */
static int reader_consume(struct reader *r, record_fn fn, void *ctx)
{
        static char copy[1 << 16];
        uint64_t head = __atomic_load_n(&r->up->data_head, __ATOMIC_ACQUIRE);
        uint64_t tail = r->up->data_tail;
        int n = 0;

        while (tail != head) {
                uint64_t at = tail & (r->size - 1);
                const struct perf_event_header *h = (const void *)(r->data + at);
                size_t sz = h->size;

                CHECK(sz >= sizeof(*h) && sz % 8 == 0 && sz <= head - tail);
                if (at + sz > r->size) { /* crosses the end: copied out */
                        size_t first = (size_t)(r->size - at);

                        memcpy(copy, r->data + at, first);
                        memcpy(copy + first, r->data, sz - first);
                        h = (const void *)copy;
                }
                fn(ctx, h);
                tail += sz;
                n++;
        }
        __atomic_store_n(&r->up->data_tail, tail, __ATOMIC_RELEASE);
        return n;
}

struct perf_sample {
        struct perf_event_header header;
        uint32_t size;
        uint8_t data[];
};

struct perf_lost {
        struct perf_event_header header;
        uint64_t id;
        uint64_t lost;
};

/* Samples of 1..60 bytes, so that records of every padding end everywhere in the ring. */
static uint32_t sample_len(uint32_t seq)
{
        return 8 + (seq * 29u) % 53u;
}

static void sample_fill(uint8_t *p, uint32_t who, uint32_t seq)
{
        memcpy(p, &who, 4);
        memcpy(p + 4, &seq, 4);
        for (uint32_t i = 8; i < sample_len(seq); i++)
                p[i] = (uint8_t)(who * 13 + seq * 5 + i);
}

/* The kernel's record of a raw sample of `len` bytes: the u32 says the padded size. */
static void check_sample_layout(const struct perf_event_header *h, uint32_t len)
{
        const struct perf_sample *s = (const void *)h;
        uint32_t raw = (uint32_t)((len + 4 + 7) / 8 * 8 - 4);

        CHECK_EQ(h->type, PERF_RECORD_SAMPLE);
        CHECK_EQ(h->misc, PERF_RECORD_MISC_USER);
        CHECK_EQ(h->size, sizeof(*h) + 4 + raw);
        CHECK_EQ(s->size, raw);
        for (uint32_t i = len; i < raw; i++)
                CHECK_EQ(s->data[i], 0); /* padding */
}

struct seen {
        uint32_t next[PRODUCERS];
        uint32_t samples;
        uint64_t lost; /* the sum of PERF_RECORD_LOST counts */
        uint32_t lost_recs;
        uint64_t event_id; /* what LOST records must name */
};

static void on_record(void *ctx, const struct perf_event_header *h)
{
        struct seen *s = ctx;

        if (h->type == PERF_RECORD_LOST) {
                const struct perf_lost *l = (const void *)h;

                CHECK_EQ(h->size, sizeof(*l));
                CHECK_EQ(l->id, s->event_id);
                CHECK(l->lost > 0);
                s->lost += l->lost;
                s->lost_recs++;
                return;
        }
        {
                const struct perf_sample *smp = (const void *)h;
                uint32_t who, seq;

                memcpy(&who, smp->data, 4);
                memcpy(&seq, smp->data + 4, 4);
                CHECK(who < PRODUCERS);
                CHECK_EQ(seq, s->next[who]);
                check_sample_layout(h, sample_len(seq));
                for (uint32_t i = 8; i < sample_len(seq); i++)
                        CHECK_EQ(smp->data[i], (uint8_t)(who * 13 + seq * 5 + i));
                s->next[who]++;
                s->samples++;
        }
}

/*
 * Producer `who`: PER_PRODUCER samples into slot `index` of map `id`
 * (opened by name here). A full ring (-ENOSPC: the sample is lost) is
 * retried; *enospc counts those.
 */
static void produce(uint32_t id, uint32_t index, uint32_t who, uint64_t *enospc)
{
        struct bpfaot_shm *shm = seg_open(false);
        struct bpfaot_map *m = handle(shm, id);
        uint8_t buf[64];

        for (uint32_t seq = 0; seq < PER_PRODUCER; seq++) {
                long rc;

                sample_fill(buf, who, seq);
                while ((rc = bpfaot_perf_event__output(m, index, buf, sample_len(seq))) ==
                       -ENOSPC) {
                        struct timespec nap = {0, 200000};

                        __atomic_add_fetch(enospc, 1, __ATOMIC_RELAXED);
                        nanosleep(&nap, NULL);
                }
                CHECK_EQ(rc, 0);
        }
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

/*
 * Producer processes at once into one slot's ring, read here as libbpf
 * reads the kernel's: every sample once, each producer's in order, the
 * kernel's record layout; the ring went round many times; the samples
 * that found it full came back as PERF_RECORD_LOST counts.
 */
static void test_producers(void)
{
        struct bpfaot_shm *shm = seg_open(false);
        uint32_t id = array_create(shm, 4);
        struct bpfaot_map *m = handle(shm, id);
        struct bpfaot_perf_event *ev = event_new(shm, false, false, NULL);
        struct bpfaot_perf_event_info info;
        uint64_t *enospc;
        struct seen s = {0};
        struct reader r;
        pid_t kids[PRODUCERS];
        uint32_t seenw;
        double deadline;

        enospc = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        CHECK(enospc != MAP_FAILED);
        reader_map(&r, ev, DATA_PAGES);
        CHECK_EQ(bpfaot_perf_event_array__set(m, 2, ev, BPF_ANY, 1), 0);
        CHECK_EQ(bpfaot_perf_event__info(ev, &info), 0);
        s.event_id = info.id;
        seenw = bpfaot_perf_event__wakeups(ev);
        for (uint32_t k = 0; k < PRODUCERS; k++) {
                kids[k] = child();
                if (kids[k] == 0) {
                        produce(id, 2, k, enospc);
                        _exit(0);
                }
        }
        deadline = now_s() + CHILD_WAIT_S;
        while (s.samples < PRODUCERS * PER_PRODUCER) {
                CHECK(now_s() < deadline);
                if (reader_consume(&r, on_record, &s) == 0)
                        bpfaot_perf_event__wait_wakeup(ev, &seenw, 100);
        }
        for (uint32_t k = 0; k < PRODUCERS; k++) {
                expect_child_ok(kids[k]);
                CHECK_EQ(s.next[k], PER_PRODUCER);
        }
        CHECK_EQ(reader_consume(&r, on_record, &s), 0);
        CHECK(!bpfaot_perf_event__ready(ev));
        /* Round the ring many times; each sample that found it full reported as lost. */
        CHECK_EQ(bpfaot_perf_event__info(ev, &info), 0);
        CHECK(info.has_ring && info.enabled);
        CHECK_EQ(info.nr_pages, DATA_PAGES);
        CHECK(info.head > 10 * r.size);
        CHECK_EQ(info.head, info.tail);
        CHECK_EQ(info.lost, 0);
        CHECK_EQ(s.lost, *enospc);
        CHECK(s.lost_recs <= s.lost);
        printf("producers: %u samples, %llu lost in %u records, head %llu\n", s.samples,
               (unsigned long long)s.lost, s.lost_recs, (unsigned long long)info.head);
        /* The dump's view of the slot: the same event. */
        CHECK_EQ(bpfaot_perf_event_array__slot(m, 2, &info), 0);
        CHECK_EQ(info.id, s.event_id);
        CHECK_EQ(bpfaot_perf_event_array__slot(m, 1, &info), -ENOENT);
        CHECK_EQ(bpfaot_perf_event_array__slot(m, 4, &info), -E2BIG);
        munmap(enospc, page);
        reader_unmap(&r);
        bpfaot_perf_event__free(ev);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

struct tally {
        uint32_t samples, lost_recs;
        uint64_t lost;
        uint32_t sizes[8];
};

static void count_record(void *ctx, const struct perf_event_header *h)
{
        struct tally *t = ctx;

        if (h->type == PERF_RECORD_LOST) {
                t->lost_recs++;
                t->lost += ((const struct perf_lost *)h)->lost;
                return;
        }
        CHECK_EQ(h->type, PERF_RECORD_SAMPLE);
        if (t->samples < 8)
                t->sizes[t->samples] = ((const struct perf_sample *)h)->size;
        t->samples++;
}

/* Skip the oldest record (as a reader that consumed one), returning its size. */
static uint64_t skip_one(struct reader *r)
{
        uint64_t tail = r->up->data_tail;
        const struct perf_event_header *h = (const void *)(r->data + (tail & (r->size - 1)));
        uint16_t sz = h->size;

        __atomic_store_n(&r->up->data_tail, tail + sz, __ATOMIC_RELEASE);
        return sz;
}

/*
 * A full ring, one process: the kernel's CIRC_SPACE (one byte always
 * free), lost samples counted and reported by one PERF_RECORD_LOST once
 * it and the next sample fit, the raw size padded, zero-length samples,
 * samples too large for a record.
 */
static void test_full_ring(void)
{
        struct bpfaot_shm *shm = seg_open(false);
        uint32_t id = array_create(shm, 2);
        struct bpfaot_map *m = handle(shm, id);
        struct bpfaot_perf_event *ev = event_new(shm, false, false, NULL);
        struct bpfaot_perf_event_info info;
        struct tally t = {0};
        struct reader r;
        uint8_t buf[100];
        uint32_t fit, rec = 8 + 4 + 100; /* a 100-byte sample: raw 100, record 112 */
        uint64_t lost = 0;

        memset(buf, 0x5a, sizeof(buf));
        reader_map(&r, ev, 2);
        CHECK_EQ(bpfaot_perf_event_array__set(m, 0, ev, BPF_ANY, 1), 0);
        fit = (uint32_t)((r.size - 1) / rec);
        for (uint32_t i = 0; i < fit; i++)
                CHECK_EQ(bpfaot_perf_event__output(m, 0, buf, sizeof(buf)), 0);
        /* Full: room for less than one record. */
        for (int i = 0; i < 3; i++, lost++)
                CHECK_EQ(bpfaot_perf_event__output(m, 0, buf, sizeof(buf)), -ENOSPC);
        CHECK_EQ(bpfaot_perf_event__info(ev, &info), 0);
        CHECK_EQ(info.lost, 3);
        CHECK_EQ(info.head, (uint64_t)fit * rec);
        /* One record's room is not enough for a LOST record and the sample. */
        CHECK_EQ(skip_one(&r), rec);
        CHECK(r.size - 1 - (info.head - rec) < rec + sizeof(struct perf_lost));
        CHECK_EQ(bpfaot_perf_event__output(m, 0, buf, sizeof(buf)), -ENOSPC);
        lost++;
        CHECK_EQ(skip_one(&r), rec);
        CHECK_EQ(bpfaot_perf_event__output(m, 0, buf, 5), 0);
        CHECK_EQ(bpfaot_perf_event__output(m, 0, buf, 0), 0);
        CHECK_EQ(bpfaot_perf_event__info(ev, &info), 0);
        CHECK_EQ(info.lost, 0);
        /* Too large for a perf_event_header's 16-bit size, whatever the ring. */
        {
                static uint8_t big[1 << 16];

                CHECK_EQ(bpfaot_perf_event__output(m, 0, big, sizeof(big)), -E2BIG);
        }
        CHECK_EQ(reader_consume(&r, count_record, &t), fit - 2 + 3);
        CHECK_EQ(t.samples, fit - 2 + 2);
        CHECK_EQ(t.lost_recs, 1);
        CHECK_EQ(t.lost, lost);
        /* The last two samples: 5 bytes (raw 12: 4 + 5 padded to 16) and none (raw 4). */
        {
                uint64_t head = r.up->data_head;
                const struct perf_sample *s5 =
                    (const void *)(r.data + ((head - 16 - 24) & (r.size - 1)));
                const struct perf_sample *s0 =
                    (const void *)(r.data + ((head - 16) & (r.size - 1)));

                check_sample_layout(&s5->header, 5);
                CHECK_EQ(s5->size, 12);
                CHECK_EQ(memcmp(s5->data, buf, 5), 0);
                check_sample_layout(&s0->header, 0);
                CHECK_EQ(s0->size, 4);
        }
        reader_unmap(&r);
        bpfaot_perf_event__free(ev);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

/*
 * A reader sleeping here is woken by a sample written in another process,
 * to the current CPU's slot (each CPU's slot holds the one event).
 */
static void test_wakeup(void)
{
        struct bpfaot_shm *shm = seg_open(false);
        uint32_t ncpus = bpfaot_rt_ncpus(), id = array_create(shm, ncpus);
        struct bpfaot_map *m = handle(shm, id);
        struct bpfaot_perf_event *ev = event_new(shm, false, false, NULL);
        struct tally t = {0};
        struct reader r;
        uint32_t seenw;
        double t0;
        pid_t kid;

        reader_map(&r, ev, 1);
        for (uint32_t c = 0; c < ncpus; c++)
                CHECK_EQ(bpfaot_perf_event_array__set(m, c, ev, BPF_ANY, 1), 0);
        seenw = bpfaot_perf_event__wakeups(ev);
        t0 = now_s();
        CHECK_EQ(bpfaot_perf_event__wait_wakeup(ev, &seenw, 100), -ETIMEDOUT);
        CHECK(now_s() - t0 >= 0.09);
        CHECK(!bpfaot_perf_event__ready(ev));
        kid = child();
        if (kid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_map *cm = handle(cs, id);
                struct timespec nap = {0, 200000000};

                nanosleep(&nap, NULL); /* the parent is asleep by now */
                _exit(bpfaot_perf_event__output(cm, BPF_F_CURRENT_CPU, "wake", 4) ? 1 : 0);
        }
        CHECK_EQ(bpfaot_perf_event__wait_wakeup(ev, &seenw, 10000), 0);
        CHECK(bpfaot_perf_event__ready(ev));
        expect_child_ok(kid);
        CHECK_EQ(reader_consume(&r, count_record, &t), 1);
        CHECK_EQ(t.sizes[0], 4);
        CHECK(!bpfaot_perf_event__ready(ev));
        reader_unmap(&r);
        bpfaot_perf_event__free(ev);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

/* A producer killed holding the producers' lock: the next producer takes it. */
static void test_killed_holder(void)
{
        struct bpfaot_shm *shm = seg_open(false);
        uint32_t id = array_create(shm, 1);
        struct bpfaot_map *m = handle(shm, id);
        uint64_t ref;
        struct bpfaot_perf_event *ev = event_new(shm, false, false, &ref);
        struct tally t = {0};
        struct reader r;
        int status;
        pid_t kid;

        reader_map(&r, ev, 1);
        CHECK_EQ(bpfaot_perf_event_array__set(m, 0, ev, BPF_ANY, 1), 0);
        kid = child();
        if (kid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_perf_event *cev;
                const void *base;
                size_t len;

                CHECK_EQ(bpfaot_shm__perf_event(cs, ref, &cev), 0);
                bpfaot__map_lock(&bpfaot__perf_event_ctl(cev, &base, &len)->lock);
                kill(getpid(), SIGKILL);
                _exit(1);
        }
        status = wait_child(kid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        kid = child();
        if (kid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_map *cm = handle(cs, id);

                _exit(bpfaot_perf_event__output(cm, 0, "after", 5) ||
                              bpfaot_perf_event__output(cm, 0, "again", 5)
                          ? 1
                          : 0);
        }
        expect_child_ok(kid);
        CHECK_EQ(bpfaot_perf_event__output(m, 0, "here", 4), 0);
        CHECK_EQ(reader_consume(&r, count_record, &t), 3);
        CHECK_EQ(t.samples, 3);
        reader_unmap(&r);
        bpfaot_perf_event__free(ev);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

static void on_callback(void *ctx, uint32_t cpu, const void *data, uint32_t size)
{
        (void)cpu, (void)data;
        CHECK_EQ(size, 2);
        (*(uint32_t *)ctx)++;
}

static void expect_mmap(struct bpfaot_perf_event *ev, size_t len, int flags, off_t off, int err)
{
        struct bpfaot_shm_mmap req = {NULL, len, PROT_READ | PROT_WRITE, flags, off};
        void *p;

        CHECK_EQ(bpfaot_perf_event__mmap(ev, &req, &p), err);
        if (!err)
                CHECK_EQ(munmap(p, len), 0);
}

/*
 * The kernel's answers: outputs to empty, ringless and disabled events,
 * bad flags and indexes; slots that refuse; mappings perf_mmap() refuses;
 * slots emptied by delete and by their owner's release; a callback on a
 * shared map's handle taking precedence over the slots.
 */
static void test_refusals(void)
{
        struct bpfaot_shm *shm = seg_open(false);
        uint32_t id = array_create(shm, 4);
        struct bpfaot_map *m = handle(shm, id), *priv;
        struct bpfaot_perf_event *ev = event_new(shm, false, false, NULL);
        struct bpfaot_perf_event *ringless = event_new(shm, false, false, NULL);
        struct bpfaot_perf_event *inherit = event_new(shm, false, true, NULL);
        struct bpfaot_perf_event *off = event_new(shm, true, false, NULL);
        struct bpfaot_map_def pdef = {.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
                                      .key_size = 4,
                                      .value_size = 4,
                                      .max_entries = 4};
        struct bpfaot_perf_event_info info;
        struct tally t = {0};
        struct reader r;
        uint32_t k;

        /* Mappings: shared, at offset 0, of 1 + 2^n pages; then of the ring's size only. */
        expect_mmap(ev, 2 * page, MAP_PRIVATE, 0, -EINVAL);
        expect_mmap(ev, 2 * page, MAP_SHARED, (off_t)page, -EINVAL);
        expect_mmap(ev, 4 * page, MAP_SHARED, 0, -EINVAL);
        CHECK_EQ(bpfaot_perf_event__info(ev, &info), 0);
        CHECK(!info.has_ring); /* nothing made by a refused mapping */
        reader_map(&r, ev, 2);
        expect_mmap(ev, 5 * page, MAP_SHARED, 0, -EINVAL);
        expect_mmap(ev, page, MAP_SHARED, 0, -EINVAL);
        expect_mmap(ev, 3 * page - 100, MAP_SHARED, 0, 0); /* rounded up to pages */

        CHECK_EQ(bpfaot_perf_event__output(m, 0, "x", 1), -ENOENT);
        CHECK_EQ(bpfaot_perf_event__output(m, 4, "x", 1), -E2BIG);
        CHECK_EQ(bpfaot_perf_event__output(m, 1ull << 32, "x", 1), -EINVAL);
        CHECK_EQ(bpfaot_perf_event_array__set(m, 0, ev, BPF_EXIST, 1), -EINVAL);
        CHECK_EQ(bpfaot_perf_event_array__set(m, 4, ev, BPF_ANY, 1), -E2BIG);
        CHECK_EQ(bpfaot_perf_event_array__set(m, 0, inherit, BPF_ANY, 1), -EOPNOTSUPP);
        CHECK_EQ(bpfaot_perf_event_array__set(m, 0, ev, BPF_ANY, 0), -EINVAL);
        CHECK_EQ(bpfaot_map__create(&pdef, &priv), 0);
        CHECK_EQ(bpfaot_perf_event_array__set(priv, 0, ev, BPF_ANY, 1), -EINVAL);
        CHECK_EQ(bpfaot_perf_event__output(priv, 0, "x", 1), -ENOENT);
        bpfaot_map__free(priv);

        CHECK_EQ(bpfaot_perf_event_array__set(m, 0, ev, BPF_ANY, 7), 0);
        CHECK_EQ(bpfaot_perf_event_array__set(m, 1, ringless, BPF_ANY, 7), 0);
        CHECK_EQ(bpfaot_perf_event_array__set(m, 2, off, BPF_ANY, 8), 0);
        CHECK_EQ(bpfaot_perf_event__output(m, 0, "x", 1), 0);
        CHECK_EQ(bpfaot_perf_event__output(m, 1, "x", 1), -ENOSPC);
        CHECK_EQ(bpfaot_perf_event__output(m, 2, "x", 1), -EOPNOTSUPP);
        bpfaot_perf_event__enable(off, true);
        CHECK_EQ(bpfaot_perf_event__output(m, 2, "x", 1), -ENOSPC);
        bpfaot_perf_event__enable(ev, false);
        CHECK_EQ(bpfaot_perf_event__output(m, 0, "x", 1), -EOPNOTSUPP);
        bpfaot_perf_event__enable(ev, true);
        CHECK_EQ(bpfaot_perf_event__info(ringless, &info), 0);
        CHECK(!info.has_ring && info.lost == 0);

        /* A callback on another handle takes that handle's records; this one still writes the ring.
         */
        {
                struct bpfaot_map *other = handle(shm, id);
                uint32_t calls = 0;

                CHECK_EQ(bpfaot_perf_event_array__set_callback(other, on_callback, &calls), 0);
                CHECK_EQ(bpfaot_perf_event__output(other, 0, "yy", 2), 0);
                CHECK_EQ(bpfaot_perf_event__output(other, 3, "yy", 2), 0); /* an empty slot */
                CHECK_EQ(calls, 2);
                CHECK_EQ(bpfaot_perf_event__output(m, 0, "zz", 2), 0);
                CHECK_EQ(bpfaot_perf_event_array__set_callback(other, NULL, NULL), 0);
                CHECK_EQ(bpfaot_perf_event__output(other, 0, "yy", 2), 0);
                bpfaot_map__free(other);
        }
        CHECK_EQ(reader_consume(&r, count_record, &t), 3);

        /* Delete, as the kernel's: -E2BIG past max_entries, -ENOENT when empty. */
        k = 9;
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), -E2BIG);
        k = 3;
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), -ENOENT);
        k = 2;
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), 0);
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), -ENOENT);
        CHECK_EQ(bpfaot_perf_event__output(m, 2, "x", 1), -ENOENT);
        /* Release: only the owner's slots go. */
        CHECK_EQ(bpfaot_perf_event_array__set(m, 3, ev, BPF_ANY, 8), 0);
        CHECK_EQ(bpfaot_perf_event_array__release(m, 7), 2);
        CHECK_EQ(bpfaot_perf_event_array__slot(m, 0, &info), -ENOENT);
        CHECK_EQ(bpfaot_perf_event_array__slot(m, 1, &info), -ENOENT);
        CHECK_EQ(bpfaot_perf_event_array__slot(m, 3, &info), 0);
        CHECK_EQ(bpfaot_perf_event_array__release(m, 7), 0);
        CHECK_EQ(bpfaot_perf_event__output(m, 3, "z", 1), 0);
        CHECK_EQ(reader_consume(&r, count_record, &t), 1);

        /* Handles and mappings of events that are not there. */
        {
                struct bpfaot_perf_event *none;

                CHECK_EQ(bpfaot_shm__perf_event(shm, 64, &none), -ENOENT);
                CHECK_EQ(bpfaot_shm__perf_event(shm, 0, &none), -ENOENT);
        }
        reader_unmap(&r);
        bpfaot_perf_event__free(ev);
        bpfaot_perf_event__free(ringless);
        bpfaot_perf_event__free(inherit);
        bpfaot_perf_event__free(off);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

int main(void)
{
        struct bpfaot_shm *shm;

        test_pid = getpid();
        page = (size_t)sysconf(_SC_PAGESIZE);
        snprintf(seg, sizeof(seg), "bpfaot-test-%d-perf", (int)test_pid);
        atexit(remove_seg);
        shm = seg_open(true);
        test_refusals();
        test_full_ring();
        test_wakeup();
        test_killed_holder();
        test_producers();
        bpfaot_shm__close(shm);
        printf("ok\n");
        return 0;
}
