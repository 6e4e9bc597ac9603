/* SPDX-License-Identifier: MIT */
/*
 * RINGBUF maps in a shared-memory segment: records produced by forked
 * processes are consumed, in order and across the ring's end, through
 * another process's handle and through a mapping laid out as the kernel's
 * (consumer page, producer page, data area twice the ring's size) read the
 * way libbpf reads it; a consumer sleeping in one process is woken by a
 * producer in another; a producer killed holding the producers' lock does
 * not wedge the ring.
 */
#define _GNU_SOURCE
#include "check.h"
#include "maps_internal.h"

#include <bpfaot/shm.h>
#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RING         4096u
#define CHILD_WAIT_S 20
#define PRODUCERS    4
#define PER_PRODUCER 400

static pid_t test_pid;
static char seg[64];

static void cleanup(void)
{
        if (getpid() == test_pid)
                bpfaot_shm__remove(seg);
}

static struct bpfaot_shm *seg_open(bool create)
{
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .create = create, .size = 8 << 20};
        struct bpfaot_shm *shm;

        CHECK_EQ(bpfaot_shm__open(seg, &opts, &shm), 0);
        return shm;
}

static struct bpfaot_map *ring_handle(struct bpfaot_shm *shm, uint32_t id)
{
        struct bpfaot_map *m;

        CHECK_EQ(bpfaot_shm__map(shm, id, &m), 0);
        return m;
}

static uint32_t ring_create(struct bpfaot_shm *shm, const char *name)
{
        struct bpfaot_map_def def = {
            .name = name, .type = BPF_MAP_TYPE_RINGBUF, .max_entries = RING};
        uint32_t id;

        CHECK_EQ(bpfaot_shm__create_map(shm, &def, &id), 0);
        return id;
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

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void nap_ms(int ms)
{
        struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};

        nanosleep(&t, NULL);
}

/*
 * A record: producer, sequence number, then `len - 8` bytes derived from
 * both, so that a torn or misplaced record shows. Sizes vary (8..130) so
 * that records end everywhere in the ring and some cross its end.
 */
static uint32_t rec_len(uint32_t seq)
{
        return 8 + (seq * 37u) % 123u;
}

static void rec_fill(uint8_t *p, uint32_t who, uint32_t seq)
{
        uint32_t len = rec_len(seq);

        memcpy(p, &who, 4);
        memcpy(p + 4, &seq, 4);
        for (uint32_t i = 8; i < len; i++)
                p[i] = (uint8_t)(who * 31 + seq * 7 + i);
}

static bool rec_ok(const uint8_t *p, size_t len, uint32_t *who, uint32_t *seq)
{
        memcpy(who, p, 4);
        memcpy(seq, p + 4, 4);
        if (len != rec_len(*seq))
                return false;
        for (uint32_t i = 8; i < len; i++)
                if (p[i] != (uint8_t)(*who * 31 + *seq * 7 + i))
                        return false;
        return true;
}

/*
 * Produce `n` records as producer `who` into ring `id`: each odd-numbered
 * sequence is first reserved and discarded (when the ring has room), then
 * the record itself is reserved, filled and submitted. A full ring is
 * waited out.
 */
static void produce(uint32_t id, uint32_t who, uint32_t n)
{
        struct bpfaot_shm *shm = seg_open(false);
        struct bpfaot_map *m = ring_handle(shm, id);

        for (uint32_t seq = 0; seq < n; seq++) {
                uint8_t *p;

                if (seq % 2) {
                        p = bpfaot_ringbuf__reserve(m, 24, 0);
                        if (p) {
                                memset(p, 0xee, 24);
                                bpfaot_ringbuf__discard(p, 0);
                        }
                }
                while (!(p = bpfaot_ringbuf__reserve(m, rec_len(seq), 0)))
                        nap_ms(1);
                rec_fill(p, who, seq);
                bpfaot_ringbuf__submit(p, 0);
        }
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

struct seen {
        uint32_t next[PRODUCERS];
        uint32_t total;
        bool bad;
};

static int on_record(void *ctx, void *data, size_t len)
{
        struct seen *s = ctx;
        uint32_t who, seq;

        if (!rec_ok(data, len, &who, &seq) || who >= PRODUCERS || seq != s->next[who]) {
                s->bad = true;
                return -1;
        }
        s->next[who]++;
        s->total++;
        return 0;
}

/* Records of several producer processes at once, consumed in another process's handle in order. */
static void test_producers(void)
{
        struct bpfaot_shm *shm = seg_open(false);
        uint32_t id = ring_create(shm, "producers");
        struct bpfaot_map *m = ring_handle(shm, id);
        struct seen s = {0};
        pid_t kids[PRODUCERS];
        double deadline;

        for (uint32_t k = 0; k < PRODUCERS; k++) {
                kids[k] = fork();
                CHECK(kids[k] >= 0);
                if (kids[k] == 0) {
                        produce(id, k, PER_PRODUCER);
                        _exit(0);
                }
        }
        deadline = now_s() + CHILD_WAIT_S;
        while (s.total < PRODUCERS * PER_PRODUCER && !s.bad && now_s() < deadline)
                CHECK(bpfaot_ringbuf__poll(m, on_record, &s, 1000) >= 0);
        CHECK(!s.bad);
        CHECK_EQ(s.total, PRODUCERS * PER_PRODUCER);
        for (uint32_t k = 0; k < PRODUCERS; k++) {
                CHECK_EQ(s.next[k], PER_PRODUCER);
                expect_child_ok(kids[k]);
        }
        /* It went round the ring many times, and everything produced was consumed. */
        CHECK(bpfaot_ringbuf__query(m, BPF_RB_PROD_POS) > 20 * RING);
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_AVAIL_DATA), 0);
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_RING_SIZE), RING);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

/* A consumer that reads the mapping as libbpf's ringbuf_process_ring() reads the kernel's. */
struct view {
        uint64_t *cons;       /* the consumer page, mapped writable */
        const uint64_t *prod; /* the producer page, then the data area, read-only */
        const uint8_t *data;
        uint64_t mask;
        uint32_t crossed; /* records that ran over the ring's end */
};

static int view_consume(struct view *v, struct seen *s)
{
        uint64_t cons = __atomic_load_n(v->cons, __ATOMIC_ACQUIRE), prod;
        int cnt = 0;
        bool more;

        do {
                more = false;
                prod = __atomic_load_n(v->prod, __ATOMIC_ACQUIRE);
                while (cons < prod) {
                        const uint8_t *hdr = v->data + (cons & v->mask);
                        uint32_t len = __atomic_load_n((const uint32_t *)hdr, __ATOMIC_ACQUIRE);
                        uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

                        if (len & BPF_RINGBUF_BUSY_BIT)
                                return cnt;
                        more = true;
                        if ((cons & v->mask) + 8 + size > v->mask + 1)
                                v->crossed++;
                        cons += (8 + size + 7) & ~7ull;
                        if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
                                CHECK_EQ(on_record(s, (void *)(hdr + 8), size), 0);
                                cnt++;
                        }
                        __atomic_store_n(v->cons, cons, __ATOMIC_RELEASE);
                }
        } while (more);
        return cnt;
}

static void expect_mmap_refused(struct bpfaot_shm *shm, uint32_t id, size_t len, int prot,
                                int flags, off_t off, int err)
{
        struct bpfaot_shm_mmap req = {NULL, len, prot, flags, off};
        void *p;

        CHECK_EQ(bpfaot_shm__mmap_map(shm, id, &req, &p), -err);
        CHECK(p == MAP_FAILED);
}

/* The kernel's mapping: records of a forked producer read through it, across the ring's end. */
static void test_mapping(void)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE), ro_len = page + 2 * RING;
        struct bpfaot_shm *shm = seg_open(false);
        uint32_t id = ring_create(shm, "mapped");
        struct bpfaot_shm_mmap rw = {NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, 0};
        struct bpfaot_shm_mmap ro = {NULL, ro_len, PROT_READ, MAP_SHARED, (off_t)page};
        struct bpfaot_map *m = ring_handle(shm, id);
        void *cons_page, *prod_page;
        struct seen s = {0};
        struct view v;
        uint32_t wake;
        double deadline;
        pid_t kid;

        /* The kernel's refusals. */
        expect_mmap_refused(shm, id, page, PROT_READ | PROT_WRITE, MAP_SHARED, (off_t)page, EPERM);
        expect_mmap_refused(shm, id, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, 0, EPERM);
        expect_mmap_refused(shm, id, page, PROT_READ, MAP_PRIVATE, 0, EINVAL);
        expect_mmap_refused(shm, id, ro_len + page, PROT_READ, MAP_SHARED, (off_t)page, EINVAL);
        expect_mmap_refused(shm, id, page, PROT_READ, MAP_SHARED, (off_t)(3 * page + 2 * RING),
                            EINVAL);
        expect_mmap_refused(shm, id, page, PROT_READ, MAP_SHARED, 100, EINVAL);

        CHECK_EQ(bpfaot_shm__mmap_map(shm, id, &rw, &cons_page), 0);
        CHECK_EQ(bpfaot_shm__mmap_map(shm, id, &ro, &prod_page), 0);
        /* Read-only stays read-only. */
        CHECK(mprotect(prod_page, page, PROT_READ | PROT_WRITE) != 0);
        v = (struct view){cons_page, prod_page, (const uint8_t *)prod_page + page, RING - 1, 0};

        kid = fork();
        CHECK(kid >= 0);
        if (kid == 0) {
                produce(id, 0, PER_PRODUCER);
                _exit(0);
        }
        wake = bpfaot_ringbuf__wakeups(m);
        deadline = now_s() + CHILD_WAIT_S;
        while (s.total < PER_PRODUCER && now_s() < deadline) {
                if (view_consume(&v, &s) == 0)
                        bpfaot_ringbuf__wait_wakeup(m, &wake, 100);
        }
        CHECK_EQ(s.total, PER_PRODUCER);
        CHECK(v.crossed > 0);
        expect_child_ok(kid);
        /* The handle sees what the mapping consumed. */
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_CONS_POS), *v.cons);
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_AVAIL_DATA), 0);
        munmap(cons_page, page);
        munmap(prod_page, ro_len);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

static int count_record(void *ctx, void *data, size_t len)
{
        (void)data;
        *(size_t *)ctx += len;
        return 0;
}

/*
 * A consumer asleep in this process is woken by a submit in another (and
 * not by one with BPF_RB_NO_WAKEUP); bpfaot_ringbuf__wait_wakeup too.
 */
static void test_wakeup(void)
{
        struct bpfaot_shm *shm = seg_open(false);
        uint32_t id = ring_create(shm, "wakeup");
        struct bpfaot_map *m = ring_handle(shm, id);
        size_t got = 0;
        uint32_t wake;
        double t0, took;
        pid_t kid;

        for (uint64_t flags = 0; flags <= BPF_RB_NO_WAKEUP; flags += BPF_RB_NO_WAKEUP) {
                kid = fork();
                CHECK(kid >= 0);
                if (kid == 0) {
                        struct bpfaot_shm *cs = seg_open(false);
                        struct bpfaot_map *cm = ring_handle(cs, id);
                        char rec[16] = "wake up";

                        nap_ms(300);
                        _exit(bpfaot_ringbuf__output(cm, rec, sizeof(rec), flags) ? 1 : 0);
                }
                got = 0;
                t0 = now_s();
                CHECK_EQ(bpfaot_ringbuf__poll(m, count_record, &got,
                                              flags == BPF_RB_NO_WAKEUP ? 1500 : 10000),
                         1);
                took = now_s() - t0;
                CHECK_EQ(got, 16);
                expect_child_ok(kid);
                if (flags == BPF_RB_NO_WAKEUP)
                        CHECK(took >= 1.4); /* found only when the wait ran out */
                else
                        CHECK(took >= 0.25 && took < 5);
        }

        /* The watcher's wait: woken by a forced wakeup, timed out with none. */
        wake = bpfaot_ringbuf__wakeups(m);
        CHECK_EQ(bpfaot_ringbuf__wait_wakeup(m, &wake, 50), -ETIMEDOUT);
        kid = fork();
        CHECK(kid >= 0);
        if (kid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_map *cm = ring_handle(cs, id);

                nap_ms(200);
                _exit(bpfaot_ringbuf__output(cm, "x", 1, BPF_RB_FORCE_WAKEUP) ? 1 : 0);
        }
        t0 = now_s();
        CHECK(!bpfaot_ringbuf__ready(m));
        CHECK_EQ(bpfaot_ringbuf__wait_wakeup(m, &wake, 10000), 0);
        CHECK(now_s() - t0 < 5);
        CHECK(bpfaot_ringbuf__ready(m));
        CHECK_EQ(wake, bpfaot_ringbuf__wakeups(m));
        expect_child_ok(kid);
        CHECK_EQ(bpfaot_ringbuf__consume(m, count_record, &got), 1);
        CHECK(!bpfaot_ringbuf__ready(m));
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

/* A producer killed holding the producers' lock: the next producer takes it. */
static void test_killed_holder(void)
{
        struct bpfaot_shm *shm = seg_open(false);
        uint32_t id = ring_create(shm, "killed");
        struct bpfaot_map *m = ring_handle(shm, id);
        size_t got = 0;
        int status;
        pid_t kid;

        kid = fork();
        CHECK(kid >= 0);
        if (kid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_map *cm = ring_handle(cs, id);

                /* The producers' lock opens the block (map_ringbuf.c). */
                bpfaot__map_lock((pthread_mutex_t *)cm->block);
                kill(getpid(), SIGKILL);
                _exit(1);
        }
        status = wait_child(kid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        kid = fork();
        CHECK(kid >= 0);
        if (kid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_map *cm = ring_handle(cs, id);

                _exit(bpfaot_ringbuf__output(cm, "after", 5, 0) ||
                              bpfaot_ringbuf__output(cm, "again", 5, 0)
                          ? 1
                          : 0);
        }
        expect_child_ok(kid);
        CHECK_EQ(bpfaot_ringbuf__consume(m, count_record, &got), 2);
        CHECK_EQ(got, 10);
        /* And this process still produces. */
        CHECK_EQ(bpfaot_ringbuf__output(m, "here", 4, 0), 0);
        CHECK_EQ(bpfaot_ringbuf__consume(m, count_record, &got), 1);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

int main(void)
{
        struct bpfaot_shm *shm;

        test_pid = getpid();
        snprintf(seg, sizeof(seg), "bpfaot-test-%d-ringbuf", (int)test_pid);
        atexit(cleanup);
        shm = seg_open(true);
        test_producers();
        test_mapping();
        test_wakeup();
        test_killed_holder();
        bpfaot_shm__close(shm);
        printf("ringbuf_shared: ok\n");
        return 0;
}
