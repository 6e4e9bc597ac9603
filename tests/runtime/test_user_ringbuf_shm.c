/* SPDX-License-Identifier: MIT */
/*
 * USER_RINGBUF maps in a shared-memory segment: samples forked producers
 * reserve, submit and discard through their own handles are drained in
 * order, round the ring many times, by another process's handle with the
 * helper user_ringbuf_drain (209) as a compiled program calls it; a producer
 * writing through the kernel's mapping (bpfaot_shm__mmap_map) as libbpf's
 * user_ring_buffer__* writes the kernel's, samples at the data area's start
 * and across the ring's end included; the kernel's refusals of such
 * mappings and its checks of what a producer wrote; one drain at a time
 * across processes (-EBUSY), a drain killed in its callback and a producer
 * killed holding the producers' lock wedge no one; a drain wakes a producer
 * waiting for room in another process. Every segment is named after this
 * process and removed at exit; every wait is bounded.
 */
#define _GNU_SOURCE
#include "check.h"
#include "maps_internal.h"

#include <bpfaot/runtime.h>
#include <bpfaot/shm.h>
#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RING         4096u
#define PRODUCERS    3
#define PER_PRODUCER 500
#define CHILD_WAIT_S 30

static char seg[64];
static pid_t test_pid;

static void remove_seg(void)
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

static struct bpfaot_map *handle(struct bpfaot_shm *shm, uint32_t id)
{
        struct bpfaot_map *m;

        CHECK_EQ(bpfaot_shm__map(shm, id, &m), 0);
        return m;
}

static uint32_t ring_create(struct bpfaot_shm *shm, const char *name)
{
        struct bpfaot_map_def def = {
            .name = name, .type = BPF_MAP_TYPE_USER_RINGBUF, .max_entries = RING};
        uint32_t id;

        CHECK_EQ(bpfaot_shm__create_map(shm, &def, &id), 0);
        return id;
}

/* A child that dies with the test: a failed check leaves no process behind. */
static pid_t child(void)
{
        pid_t parent = getpid(), pid = fork();

        CHECK(pid >= 0);
        if (pid == 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent))
                _exit(1);
        return pid;
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

/* Child `pid`'s wait status, waiting CHILD_WAIT_S seconds at most (then it is killed). */
static int wait_child(pid_t pid)
{
        int status;

        for (int i = 0; i < CHILD_WAIT_S * 200; i++) {
                pid_t r = waitpid(pid, &status, WNOHANG);

                CHECK(r >= 0);
                if (r == pid)
                        return status;
                nap_ms(5);
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

/* ---- The helper, as a compiled program calls it ---- */

struct kdynptr {
        void *data;
        uint32_t size; /* bits 0-23 size, 28-30 type, 31 read-only */
        uint32_t offset;
};

static uint64_t (*drain_helper)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

static long drain(struct bpfaot_map *m, long (*cb)(uint64_t, uint64_t), void *ctx, uint64_t flags)
{
        return (long)drain_helper((uint64_t)(uintptr_t)m, (uint64_t)(uintptr_t)cb,
                                  (uint64_t)(uintptr_t)ctx, flags, 0);
}

/*
 * A sample: producer, sequence number, then `len - 8` bytes derived from
 * both, so that a torn or misplaced sample shows. Sizes vary (8..130) so
 * that records end everywhere in the ring, some cross its end and some
 * have their header in its last 8 bytes.
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

struct seen {
        uint32_t next[PRODUCERS + 1];
        uint32_t total;
        bool bad;
};

static long on_sample(uint64_t dynptr, uint64_t ctx)
{
        const struct kdynptr *d = (const struct kdynptr *)(uintptr_t)dynptr;
        struct seen *s = (struct seen *)(uintptr_t)ctx;
        const uint8_t *p = d->data;
        uint32_t len = d->size & 0xffffff, who, seq;

        if (d->size >> 31 != 1 || ((d->size >> 28) & 7) != 1 || d->offset || (uintptr_t)p % 8 ||
            len < 8) {
                s->bad = true;
                return 1;
        }
        memcpy(&who, p, 4);
        memcpy(&seq, p + 4, 4);
        if (who > PRODUCERS || seq != s->next[who] || len != rec_len(seq)) {
                fprintf(stderr, "sample of %u: producer %u seq %u, expected seq %u\n", len, who,
                        seq, who <= PRODUCERS ? s->next[who] : 0);
                s->bad = true;
                return 1;
        }
        for (uint32_t i = 8; i < len; i++)
                if (p[i] != (uint8_t)(who * 31 + seq * 7 + i)) {
                        s->bad = true;
                        return 1;
                }
        s->next[who]++;
        s->total++;
        return 0;
}

/* Drain into `s` until `want` samples came (bounded); every drain's result counts exactly. */
static void drain_all(struct bpfaot_map *m, struct seen *s, uint32_t want)
{
        double deadline = now_s() + CHILD_WAIT_S;
        uint32_t returned = 0;

        while (s->total < want && !s->bad && now_s() < deadline) {
                long n = drain(m, on_sample, s, 0);

                CHECK(n >= 0);
                returned += (uint32_t)n;
                if (n == 0)
                        nap_ms(1);
        }
        CHECK(!s->bad);
        CHECK_EQ(s->total, want);
        CHECK_EQ(returned, want);
}

/*
 * Produce `n` samples as `who` through this process's handle: each odd
 * sequence number first reserves a 24-byte record of 0xee and discards it
 * (when there is room). A full ring is waited out.
 */
static void produce(uint32_t id, uint32_t who, uint32_t n)
{
        struct bpfaot_shm *shm = seg_open(false);
        struct bpfaot_map *m = handle(shm, id);

        for (uint32_t seq = 0; seq < n; seq++) {
                uint8_t *p;

                if (seq % 2 && (p = bpfaot_user_ring_buffer__reserve(m, 24))) {
                        memset(p, 0xee, 24);
                        bpfaot_user_ring_buffer__discard(m, p);
                }
                while (!(p = bpfaot_user_ring_buffer__reserve(m, rec_len(seq)))) {
                        CHECK_EQ(errno, ENOSPC);
                        nap_ms(1);
                }
                rec_fill(p, who, seq);
                bpfaot_user_ring_buffer__submit(m, p);
        }
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

/* Several producer processes at once, drained in order through another process's handle. */
static void test_producers(struct bpfaot_shm *shm)
{
        uint32_t id = ring_create(shm, "producers");
        struct bpfaot_map *m = handle(shm, id);
        struct seen s = {0};
        pid_t kids[PRODUCERS];

        for (uint32_t k = 0; k < PRODUCERS; k++) {
                kids[k] = child();
                if (kids[k] == 0) {
                        produce(id, k, PER_PRODUCER);
                        _exit(0);
                }
        }
        drain_all(m, &s, PRODUCERS * PER_PRODUCER);
        for (uint32_t k = 0; k < PRODUCERS; k++) {
                CHECK_EQ(s.next[k], PER_PRODUCER);
                expect_child_ok(kids[k]);
        }
        /* Round the ring many times; all produced was drained; nothing more comes. */
        CHECK(bpfaot_user_ringbuf__query(m, BPF_RB_PROD_POS) > 20 * RING);
        CHECK_EQ(bpfaot_user_ringbuf__query(m, BPF_RB_AVAIL_DATA), 0);
        CHECK_EQ(bpfaot_user_ringbuf__query(m, BPF_RB_RING_SIZE), RING);
        CHECK_EQ(drain(m, on_sample, &s, 0), 0);
        bpfaot_map__free(m);
}

/*
 * A producer as libbpf's user_ring_buffer on the kernel's mapping: the
 * consumer page read-only, the producer page and the data area writable, no
 * lock (one producer), a record's header at data + (pos & mask) and its
 * sample at data + ((pos + 8) & mask).
 */
struct uview {
        const uint64_t *cons;
        uint64_t *prod;
        uint8_t *data;
        uint64_t mask;
        uint32_t
            at_start;     /* samples at the data area's start (header in the ring's last 8 bytes) */
        uint32_t crossed; /* samples that ran over the ring's end */
};

static void *uview_reserve(struct uview *v, uint32_t size)
{
        uint64_t cons = __atomic_load_n(v->cons, __ATOMIC_ACQUIRE);
        uint64_t prod = __atomic_load_n(v->prod, __ATOMIC_ACQUIRE);
        uint64_t total = (size + 8 + 7) / 8 * 8;
        uint32_t *hdr;

        if (total > v->mask + 1 - (prod - cons))
                return NULL;
        hdr = (uint32_t *)(v->data + (prod & v->mask));
        hdr[0] = size | BPF_RINGBUF_BUSY_BIT;
        hdr[1] = 0;
        __atomic_store_n(v->prod, prod + total, __ATOMIC_RELEASE);
        if ((prod & v->mask) == v->mask + 1 - 8)
                v->at_start++;
        else if ((prod & v->mask) + 8 + size > v->mask + 1)
                v->crossed++;
        return v->data + ((prod + 8) & v->mask);
}

static void uview_commit(struct uview *v, void *sample, bool discard)
{
        uint64_t off = v->mask + 1 + (uint64_t)((uint8_t *)sample - v->data) - 8;
        uint32_t *hdr = (uint32_t *)(v->data + (off & v->mask));
        uint32_t len = *hdr & ~BPF_RINGBUF_BUSY_BIT;

        __atomic_exchange_n(hdr, len | (discard ? BPF_RINGBUF_DISCARD_BIT : 0), __ATOMIC_ACQ_REL);
}

static void uview_map(struct bpfaot_shm *shm, uint32_t id, struct uview *v)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        struct bpfaot_shm_mmap ro = {NULL, page, PROT_READ, MAP_SHARED, 0};
        struct bpfaot_shm_mmap rw = {NULL, page + 2 * RING, PROT_READ | PROT_WRITE, MAP_SHARED,
                                     (off_t)page};
        void *cons, *prod;

        CHECK_EQ(bpfaot_shm__mmap_map(shm, id, &ro, &cons), 0);
        CHECK_EQ(bpfaot_shm__mmap_map(shm, id, &rw, &prod), 0);
        *v = (struct uview){cons, prod, (uint8_t *)prod + page, RING - 1, 0, 0};
}

static void expect_mmap_refused(struct bpfaot_shm *shm, uint32_t id, size_t len, int prot,
                                int flags, off_t off, int err)
{
        struct bpfaot_shm_mmap req = {NULL, len, prot, flags, off};
        void *p;

        CHECK_EQ(bpfaot_shm__mmap_map(shm, id, &req, &p), -err);
        CHECK(p == MAP_FAILED);
}

/* What a producer's mapping wrote is checked as the kernel checks it. */
static void check_malformed(struct bpfaot_map *m, struct uview *v)
{
        uint64_t cons = *v->cons;
        uint32_t *hdr = (uint32_t *)(v->data + (cons & v->mask));
        struct seen s = {0};

        __atomic_store_n(v->prod, cons + 12, __ATOMIC_RELEASE); /* not 8-byte aligned */
        CHECK_EQ(drain(m, on_sample, &s, 0), -EINVAL);
        hdr[0] = 100; /* longer than what the producer position covers */
        __atomic_store_n(v->prod, cons + 16, __ATOMIC_RELEASE);
        CHECK_EQ(drain(m, on_sample, &s, 0), -EINVAL);
        hdr[0] = RING; /* longer than the ring */
        __atomic_store_n(v->prod, cons + RING + 8, __ATOMIC_RELEASE);
        CHECK_EQ(drain(m, on_sample, &s, 0), -E2BIG);
        CHECK_EQ(s.total, 0);
        CHECK_EQ(*v->cons, cons); /* nothing consumed */
        __atomic_store_n(v->prod, cons, __ATOMIC_RELEASE);
        CHECK_EQ(drain(m, on_sample, &s, 0), 0);
}

/* The kernel's mapping: a forked producer writes as libbpf does, this process's handle drains. */
static void test_mapping(struct bpfaot_shm *shm)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        uint32_t id = ring_create(shm, "mapped");
        struct bpfaot_map *m = handle(shm, id);
        struct seen s = {0};
        struct uview v;
        pid_t kid;

        /* The kernel's refusals: a writable consumer page, a private or too long mapping. */
        expect_mmap_refused(shm, id, page, PROT_READ | PROT_WRITE, MAP_SHARED, 0, EPERM);
        expect_mmap_refused(shm, id, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, 0, EPERM);
        expect_mmap_refused(shm, id, page, PROT_READ, MAP_PRIVATE, 0, EINVAL);
        expect_mmap_refused(shm, id, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, (off_t)page,
                            EINVAL);
        expect_mmap_refused(shm, id, 2 * page + 2 * RING + page, PROT_READ, MAP_SHARED, 0, EINVAL);
        expect_mmap_refused(shm, id, page + 2 * RING + page, PROT_READ | PROT_WRITE, MAP_SHARED,
                            (off_t)page, EINVAL);
        expect_mmap_refused(shm, id, page, PROT_READ, MAP_SHARED, 100, EINVAL);
        uview_map(shm, id, &v);
        /* The consumer page stays read-only. */
        CHECK(mprotect((void *)v.cons, page, PROT_READ | PROT_WRITE) != 0);
        check_malformed(m, &v);

        kid = child();
        if (kid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct uview cv;

                uview_map(cs, id, &cv); /* at other addresses than the parent's */
                for (uint32_t seq = 0; seq < 4 * PER_PRODUCER; seq++) {
                        uint8_t *p;

                        if (seq % 3 == 1 && (p = uview_reserve(&cv, 40))) {
                                memset(p, 0xee, 40);
                                uview_commit(&cv, p, true);
                        }
                        while (!(p = uview_reserve(&cv, rec_len(seq))))
                                nap_ms(1);
                        rec_fill(p, PRODUCERS, seq);
                        uview_commit(&cv, p, false);
                }
                _exit(cv.at_start > 0 && cv.crossed > 0 ? 0 : 2);
        }
        drain_all(m, &s, 4 * PER_PRODUCER);
        expect_child_ok(kid);
        /* The mapping sees what the drain consumed. */
        CHECK_EQ(*v.cons, bpfaot_user_ringbuf__query(m, BPF_RB_CONS_POS));
        CHECK_EQ(*v.prod, *v.cons);
        munmap((void *)v.cons, page);
        munmap(v.prod, page + 2 * RING);
        bpfaot_map__free(m);
}

static long count_sample(uint64_t dynptr, uint64_t ctx)
{
        (void)dynptr;
        (*(uint32_t *)(uintptr_t)ctx)++;
        return 0;
}

static int block_fd = -1;

/* A callback that says it runs, then never returns (its process is killed). */
static long block_sample(uint64_t dynptr, uint64_t ctx)
{
        (void)dynptr, (void)ctx;
        CHECK_EQ(write(block_fd, "x", 1), 1);
        for (;;)
                pause();
        return 0;
}

struct nested {
        struct bpfaot_map *m;
        long inner;
};

static long nested_drain(uint64_t dynptr, uint64_t ctx)
{
        struct nested *n = (struct nested *)(uintptr_t)ctx;
        uint32_t cnt = 0;

        (void)dynptr;
        n->inner = drain(n->m, count_sample, &cnt, 0);
        return 0;
}

static void put(struct bpfaot_map *m, uint32_t size)
{
        void *p = bpfaot_user_ring_buffer__reserve(m, size);

        CHECK(p);
        memset(p, 0x5a, size);
        bpfaot_user_ring_buffer__submit(m, p);
}

/*
 * One drain at a time, across processes: a drain running in another process
 * makes this one's -EBUSY, a drain nested in a callback too; a process
 * killed in a drain's callback leaves its sample to the next drain.
 */
static void test_busy(struct bpfaot_shm *shm)
{
        uint32_t id = ring_create(shm, "busy");
        struct bpfaot_map *m = handle(shm, id);
        struct nested n = {m, 0};
        uint32_t cnt = 0;
        int pipefd[2], status;
        char c;
        pid_t kid;

        put(m, 16);
        put(m, 16);
        CHECK_EQ(pipe(pipefd), 0);
        kid = child();
        if (kid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_map *cm = handle(cs, id);

                block_fd = pipefd[1];
                drain(cm, block_sample, NULL, 0);
                _exit(1);
        }
        close(pipefd[1]);                    /* a child that fails first ends the read */
        CHECK_EQ(read(pipefd[0], &c, 1), 1); /* the child is in its callback */
        CHECK_EQ(drain(m, count_sample, &cnt, 0), -EBUSY);
        CHECK_EQ(drain(m, count_sample, &cnt, BPF_RB_FORCE_WAKEUP), -EBUSY);
        CHECK_EQ(cnt, 0);
        kill(kid, SIGKILL);
        status = wait_child(kid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        /* Its sample was not consumed: both come now. */
        CHECK_EQ(drain(m, count_sample, &cnt, 0), 2);
        CHECK_EQ(cnt, 2);
        put(m, 8);
        CHECK_EQ(drain(m, nested_drain, &n, 0), 1);
        CHECK_EQ(n.inner, -EBUSY);
        close(pipefd[0]);
        bpfaot_map__free(m);
}

/* A producer killed holding the producers' lock (in a reservation): the next producer takes it. */
static void test_killed_producer(struct bpfaot_shm *shm)
{
        uint32_t id = ring_create(shm, "killed");
        struct bpfaot_map *m = handle(shm, id);
        uint32_t cnt = 0;
        int status;
        pid_t kid;

        kid = child();
        if (kid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_map *cm = handle(cs, id);

                /* The producers' lock opens the block (map_user_ringbuf.c). */
                bpfaot__map_lock((pthread_mutex_t *)cm->block);
                kill(getpid(), SIGKILL);
                _exit(1);
        }
        status = wait_child(kid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        kid = child();
        if (kid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_map *cm = handle(cs, id);

                put(cm, 5);
                put(cm, 7);
                _exit(0);
        }
        expect_child_ok(kid);
        CHECK_EQ(drain(m, count_sample, &cnt, 0), 2);
        put(m, 3); /* and this process still produces */
        CHECK_EQ(drain(m, count_sample, &cnt, 0), 1);
        CHECK_EQ(cnt, 3);
        bpfaot_map__free(m);
}

/* Samples of 24 bytes (32 with their header) fill the ring exactly. */
#define FILL_SIZE 24
#define FILL_CNT  (RING / 32)

/*
 * The wakeups a producer waiting for room gets: a drain that consumed
 * without BPF_RB_NO_WAKEUP, any drain with BPF_RB_FORCE_WAKEUP; a producer
 * asleep in another process is woken by a drain here.
 */
static void test_wakeup(struct bpfaot_shm *shm)
{
        uint32_t id = ring_create(shm, "wakeup");
        struct bpfaot_map *m = handle(shm, id);
        uint32_t cnt = 0, wake;
        int pipefd[2];
        double t0;
        char c;
        pid_t kid;

        CHECK(bpfaot_user_ringbuf__writable(m));
        wake = bpfaot_user_ringbuf__wakeups(m);
        CHECK_EQ(drain(m, count_sample, &cnt, 0), 0); /* nothing consumed: no wakeup */
        CHECK_EQ(bpfaot_user_ringbuf__wakeups(m), wake);
        CHECK_EQ(drain(m, count_sample, &cnt, BPF_RB_FORCE_WAKEUP), 0);
        CHECK_EQ(bpfaot_user_ringbuf__wakeups(m), wake + 1);
        put(m, 8);
        CHECK_EQ(drain(m, count_sample, &cnt, BPF_RB_NO_WAKEUP), 1);
        CHECK_EQ(bpfaot_user_ringbuf__wakeups(m), wake + 1);
        wake++;
        CHECK_EQ(bpfaot_user_ringbuf__wait_wakeup(m, &wake, 50), -ETIMEDOUT);

        CHECK_EQ(pipe(pipefd), 0);
        kid = child();
        if (kid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_map *cm = handle(cs, id);
                uint32_t seen;

                for (uint32_t i = 0; i < FILL_CNT; i++)
                        put(cm, FILL_SIZE);
                CHECK(!bpfaot_user_ring_buffer__reserve(cm, 0) && errno == ENOSPC);
                seen = bpfaot_user_ringbuf__wakeups(cm);
                CHECK(!bpfaot_user_ringbuf__writable(cm));
                CHECK_EQ(write(pipefd[1], "f", 1), 1);
                CHECK_EQ(bpfaot_user_ringbuf__wait_wakeup(cm, &seen, CHILD_WAIT_S * 1000), 0);
                CHECK(bpfaot_user_ringbuf__writable(cm));
                put(cm, FILL_SIZE);
                _exit(0);
        }
        close(pipefd[1]);                    /* a child that fails first ends the read */
        CHECK_EQ(read(pipefd[0], &c, 1), 1); /* full, and about to sleep */
        nap_ms(200);
        CHECK(!bpfaot_user_ringbuf__writable(m));
        t0 = now_s();
        cnt = 0;
        CHECK_EQ(drain(m, count_sample, &cnt, 0), FILL_CNT);
        expect_child_ok(kid);
        CHECK(now_s() - t0 < CHILD_WAIT_S / 2); /* woken, not timed out */
        CHECK_EQ(drain(m, count_sample, &cnt, 0), 1);
        CHECK_EQ(cnt, FILL_CNT + 1);
        close(pipefd[0]);
        bpfaot_map__free(m);
}

int main(void)
{
        const struct bpfaot_rt_helper *h = bpfaot_rt_helper_find(BPF_FUNC_user_ringbuf_drain);
        struct bpfaot_shm *shm;

        CHECK(h);
        drain_helper = h->fn;
        test_pid = getpid();
        snprintf(seg, sizeof(seg), "bpfaot-test-%d-userring", (int)test_pid);
        atexit(remove_seg);
        shm = seg_open(true);
        test_producers(shm);
        test_mapping(shm);
        test_busy(shm);
        test_killed_producer(shm);
        test_wakeup(shm);
        bpfaot_shm__close(shm);
        printf("ok\n");
        return 0;
}
