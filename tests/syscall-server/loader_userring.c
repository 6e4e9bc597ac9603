/* SPDX-License-Identifier: MIT */
/*
 * A loader written as libbpf tools are, run with libbpfaot-syscall-server.so
 * preloaded: it loads OBJECT (userring.bpf.c), attaches its uprobe to
 * TARGET's userring_target_function, and produces N samples into the
 * USER_RINGBUF with libbpf's user_ring_buffer__new() (mmap() of the map's
 * descriptor, epoll on it), __reserve(), __reserve_blocking(), __submit()
 * and __discard() (every eighth reservation is discarded), while the target
 * runs under the agent in another process and drains them from its uprobe.
 * The samples fill the ring exactly: once it is full, __reserve() fails and
 * __reserve_blocking() sleeps (no busy loop: the descriptor is not
 * writable) until a drain in the target makes room. The loader then checks
 * the exact counts and sums the program kept in its ARRAY. It prints
 * "ready" once the ring is full and the uprobe attached, a summary once
 * done, then waits for its standard input to end so that the segment can be
 * dumped meanwhile.
 * usage: loader_userring OBJECT TARGET N
 */
#include "loader_check.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define WAIT_S 60 /* all the samples drained, at most */
/* A wait for room once the target runs: woken by its next drain, long before the timeout. */
#define ROOM_TIMEOUT_S 10
#define ROOM_WAIT_S    5
#define RING           4096

struct sample {
        uint32_t seq;
        uint32_t pad;
        uint64_t value;
        uint64_t check;
};

enum { K_COUNT, K_SUM, K_RETURNED, K_ERRORS, K_BAD, K_NEXT, K_CALLS, K_MAX };

static double clock_s(clockid_t clock)
{
        struct timespec t;

        clock_gettime(clock, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now_s(void)
{
        return clock_s(CLOCK_MONOTONIC);
}

/* mmap() of the ring's descriptor is refused with `err`, as by the kernel. */
static void mmap_refused(int fd, size_t len, int prot, int flags, off_t off, int err)
{
        void *p;

        errno = 0;
        p = mmap(NULL, len, prot, flags, fd, off);
        CHECK(p == MAP_FAILED && errno == err);
}

static uint64_t value_of(uint32_t seq)
{
        return (uint64_t)seq * 1000003u + 17;
}

struct producer {
        struct user_ring_buffer *rb;
        uint32_t reservations; /* every eighth is discarded */
        uint32_t next_seq;     /* samples submitted */
        uint32_t discards;
        uint64_t sum;
};

/* Fill and commit reservation `p` (NULL: none). */
static void commit(struct producer *pr, struct sample *p)
{
        CHECK(p != NULL);
        if (pr->reservations++ % 8 == 7) {
                memset(p, 0xee, sizeof(*p));
                user_ring_buffer__discard(pr->rb, p);
                pr->discards++;
                return;
        }
        p->seq = pr->next_seq++;
        p->pad = 0;
        p->value = value_of(p->seq);
        p->check = p->value * 3 + p->seq;
        pr->sum += p->value;
        user_ring_buffer__submit(pr->rb, p);
}

static uint64_t stat(int fd, uint32_t key)
{
        uint64_t v = 0;

        CHECK(bpf_map_lookup_elem(fd, &key, &v) == 0);
        return v;
}

int main(int argc, char **argv)
{
        LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "userring_target_function");
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        struct producer pr = {0};
        struct bpf_object *obj;
        struct bpf_program *prog;
        struct bpf_link *link;
        struct bpf_map *map, *stats;
        uint32_t n, blocked = 0;
        int fd, sfd;
        double t0, cpu0, deadline;
        char line[16];
        void *p;

        CHECK(argc == 4);
        n = (uint32_t)atoi(argv[3]);
        CHECK(n > 2 * RING / 32);
        obj = bpf_object__open_file(argv[1], NULL);
        CHECK(obj != NULL);
        CHECK(bpf_object__load(obj) == 0);
        prog = bpf_object__find_program_by_name(obj, "on_call");
        map = bpf_object__find_map_by_name(obj, "samples");
        stats = bpf_object__find_map_by_name(obj, "stats");
        CHECK(prog != NULL && map != NULL && stats != NULL);
        fd = bpf_map__fd(map);
        sfd = bpf_map__fd(stats);
        CHECK(fd >= 0 && sfd >= 0 && bpf_map__max_entries(map) == RING);

        /* The kernel's refusals: a writable consumer page, a private mapping, past the data. */
        mmap_refused(fd, page, PROT_READ | PROT_WRITE, MAP_SHARED, 0, EPERM);
        mmap_refused(fd, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED, 0, EPERM);
        mmap_refused(fd, page, PROT_READ, MAP_PRIVATE, 0, EINVAL);
        mmap_refused(fd, 2 * page + 2 * RING, PROT_READ | PROT_WRITE, MAP_SHARED, (off_t)page,
                     EINVAL);
        /* A read-only mapping stays so. */
        p = mmap(NULL, page + 2 * RING, PROT_READ, MAP_SHARED, fd, (off_t)page);
        CHECK(p != MAP_FAILED);
        CHECK(mprotect(p, page, PROT_READ | PROT_WRITE) != 0);
        CHECK(munmap(p, page + 2 * RING) == 0);

        pr.rb = user_ring_buffer__new(fd, NULL);
        CHECK(pr.rb != NULL);
        /* Too big for the ring: E2BIG at once, blocking or not. */
        CHECK(user_ring_buffer__reserve(pr.rb, RING) == NULL && errno == E2BIG);
        CHECK(user_ring_buffer__reserve_blocking(pr.rb, RING, 1000) == NULL && errno == E2BIG);
        /* Fill the ring exactly: then there is no room for anything. */
        for (uint32_t i = 0; i < RING / 32; i++)
                commit(&pr, user_ring_buffer__reserve(pr.rb, sizeof(struct sample)));
        CHECK(user_ring_buffer__reserve(pr.rb, 0) == NULL && errno == ENOSPC);
        /*
         * Nobody drains yet: __reserve_blocking() sleeps its whole timeout
         * in epoll_wait (the descriptor is not writable) and fails; a
         * writable descriptor would make it spin on the CPU meanwhile.
         */
        t0 = now_s();
        cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        CHECK(user_ring_buffer__reserve_blocking(pr.rb, sizeof(struct sample), 1000) == NULL &&
              errno == ENOSPC);
        CHECK(now_s() - t0 >= 0.95);
        CHECK(clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0 < 0.2);
        CHECK(stat(sfd, K_CALLS) == 0);

        link = bpf_program__attach_uprobe_opts(prog, -1, argv[2], 0, &uopts);
        CHECK(link != NULL);
        printf("ready\n");
        fflush(stdout);

        /*
         * The rest as room comes: each drain in the target wakes
         * __reserve_blocking(). The first wait also waits for the target to
         * start (and the agent to compile the program there).
         */
        t0 = now_s();
        cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        while (pr.next_seq < n) {
                struct sample *s = user_ring_buffer__reserve(pr.rb, sizeof(*s));

                if (!s) {
                        double w0 = now_s();

                        CHECK(errno == ENOSPC);
                        s = user_ring_buffer__reserve_blocking(
                            pr.rb, sizeof(*s), blocked++ ? ROOM_TIMEOUT_S * 1000 : WAIT_S * 1000);
                        CHECK(s != NULL);
                        CHECK(blocked == 1 || now_s() - w0 < ROOM_WAIT_S);
                }
                commit(&pr, s);
        }
        fprintf(stderr, "loader_userring: %u waits for room, %.2f s, %.3f s of CPU\n", blocked,
                now_s() - t0, clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0);
        CHECK(blocked > 0);

        deadline = now_s() + WAIT_S;
        while (stat(sfd, K_COUNT) < n) {
                CHECK(now_s() < deadline);
                usleep(10000);
        }
        /* Exactly the samples submitted, in order, each once; the discarded ones skipped. */
        CHECK(stat(sfd, K_COUNT) == n);
        CHECK(stat(sfd, K_RETURNED) == n);
        CHECK(stat(sfd, K_SUM) == pr.sum);
        CHECK(stat(sfd, K_NEXT) == n);
        CHECK(stat(sfd, K_BAD) == 0);
        CHECK(stat(sfd, K_ERRORS) == 0);
        CHECK(stat(sfd, K_CALLS) > 0);
        printf("loader_userring: %u samples drained, %u discarded, sum %llu\n", n, pr.discards,
               (unsigned long long)stat(sfd, K_SUM));
        printf("done\n");
        fflush(stdout);
        while (fgets(line, sizeof(line), stdin))
                ;
        user_ring_buffer__free(pr.rb);
        bpf_link__destroy(link);
        bpf_object__close(obj);
        return 0;
}
