/* SPDX-License-Identifier: MIT */
/*
 * A loader written as libbpf tools are, run with libbpfaot-syscall-server.so
 * preloaded: it loads OBJECT (ringbuf.bpf.c), attaches its uprobe to
 * TARGET's ringbuf_target_function, consumes the RINGBUF with libbpf's
 * ring_buffer__new() / ring_buffer__poll() (mmap() of the map's descriptor,
 * epoll on it) while the target runs under the agent in another process,
 * and checks it receives exactly the events of N calls, in order, each
 * once. ring_buffer__poll() must sleep while the ring is empty (no busy
 * loop: the descriptor is not left readable) and wake when the target
 * submits. It prints "ready" once attached, a summary once done, then
 * waits for its standard input to end so that the segment can be dumped
 * meanwhile.
 * usage: loader_ringbuf OBJECT TARGET N
 */
#include "loader_check.h"

#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define WAIT_S 60 /* all the events, at most */

struct event {
        uint32_t pid;
        uint32_t x;
        uint64_t square;
        char tag[16];
};

struct state {
        uint32_t next_x; /* the x the next event must have */
        uint32_t events;
        uint32_t pid;
        uint32_t n;
};

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The calls whose x % 4 == 3 discard their record. */
static uint32_t after(uint32_t x)
{
        return x % 4 == 2 ? x + 2 : x + 1;
}

static int on_event(void *ctx, void *data, size_t size)
{
        struct state *st = ctx;
        const struct event *e = data;

        CHECK(size == sizeof(*e));
        if (e->x != st->next_x || e->square != (uint64_t)e->x * e->x ||
            strcmp(e->tag, "ringbuf-event") != 0) {
                fprintf(stderr, "loader_ringbuf: event x %u square %llu tag %.16s, expected x %u\n",
                        e->x, (unsigned long long)e->square, e->tag, st->next_x);
                exit(1);
        }
        CHECK(e->pid != 0 && e->pid != (uint32_t)getpid());
        CHECK(st->events == 0 || e->pid == st->pid);
        st->pid = e->pid;
        st->next_x = after(e->x);
        st->events++;
        return 0;
}

/* mmap() of the ring's descriptor is refused with `err`, as by the kernel. */
static void mmap_refused(int fd, size_t len, int prot, int flags, off_t off, int err)
{
        void *p;

        errno = 0;
        p = mmap(NULL, len, prot, flags, fd, off);
        CHECK(p == MAP_FAILED && errno == err);
}

/* An empty ring: ring_buffer__poll() sleeps its whole timeout and finds nothing. */
static void poll_empty(struct ring_buffer *rb)
{
        double t0 = now_s();

        CHECK(ring_buffer__poll(rb, 300) == 0);
        CHECK(now_s() - t0 >= 0.25);
}

int main(int argc, char **argv)
{
        LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "ringbuf_target_function");
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        struct state st = {0};
        struct bpf_object *obj;
        struct bpf_program *prog;
        struct bpf_link *link;
        struct ring_buffer *rb;
        struct bpf_map *map;
        uint32_t want = 0, last = 0, empty_polls = 0, size;
        double deadline;
        char line[16];
        void *p;
        int fd;

        CHECK(argc == 4);
        st.n = (uint32_t)atoi(argv[3]);
        CHECK(st.n % 4 != 0);
        for (uint32_t x = 0; x < st.n; x++)
                if (x % 4 != 3) {
                        want++;
                        last = x;
                }
        obj = bpf_object__open_file(argv[1], NULL);
        CHECK(obj != NULL);
        CHECK(bpf_object__load(obj) == 0);
        prog = bpf_object__find_program_by_name(obj, "on_call");
        map = bpf_object__find_map_by_name(obj, "events");
        CHECK(prog != NULL && map != NULL);
        fd = bpf_map__fd(map);
        size = bpf_map__max_entries(map);
        CHECK(fd >= 0 && size == 8192);

        /* The kernel's refusals: a writable producer page, a range past the data, a private map. */
        mmap_refused(fd, page, PROT_READ | PROT_WRITE, MAP_SHARED, (off_t)page, EPERM);
        mmap_refused(fd, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, 0, EPERM);
        mmap_refused(fd, 2 * page + 2 * size, PROT_READ, MAP_SHARED, (off_t)page, EINVAL);
        mmap_refused(fd, page, PROT_READ, MAP_PRIVATE, 0, EINVAL);
        /* A read-only mapping stays so. */
        p = mmap(NULL, page + 2 * size, PROT_READ, MAP_SHARED, fd, (off_t)page);
        CHECK(p != MAP_FAILED);
        CHECK(mprotect(p, page, PROT_READ | PROT_WRITE) != 0);
        CHECK(munmap(p, page + 2 * size) == 0);

        rb = ring_buffer__new(fd, on_event, &st, NULL);
        CHECK(rb != NULL);
        poll_empty(rb);
        link = bpf_program__attach_uprobe_opts(prog, -1, argv[2], 0, &uopts);
        CHECK(link != NULL);
        printf("ready\n");
        fflush(stdout);

        deadline = now_s() + WAIT_S;
        while (st.events < want) {
                int n = ring_buffer__poll(rb, 1000);

                CHECK(n >= 0);
                empty_polls += n == 0;
                CHECK(now_s() < deadline);
        }
        CHECK(st.events == want && st.next_x == after(last));
        /*
         * Nothing more comes (N must make the last call's record an event: a
         * later discard would wake the consumer, as the kernel's does), and
         * the descriptor is not left readable.
         */
        poll_empty(rb);
        CHECK(ring_buffer__consume(rb) == 0);
        /*
         * Polls that found nothing: the waits of 1 s before the target ran, and
         * at most one per record committed (a discarded one wakes the consumer,
         * which finds nothing to hand over). A descriptor left readable would
         * make a busy loop of them.
         */
        CHECK(empty_polls <= st.n + 30);
        printf("loader_ringbuf: %u events from process %u\n", st.events, st.pid);
        fprintf(stderr, "loader_ringbuf: %u polls found nothing\n", empty_polls);
        printf("done\n");
        fflush(stdout);
        while (fgets(line, sizeof(line), stdin))
                ;
        ring_buffer__free(rb);
        bpf_link__destroy(link);
        bpf_object__close(obj);
        return 0;
}
