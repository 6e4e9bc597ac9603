/* SPDX-License-Identifier: MIT */
/*
 * A loader written as libbpf tools are, run with libbpfaot-syscall-server.so
 * preloaded: it loads OBJECT (perfbuf.bpf.c), attaches its uprobe to
 * TARGET's perfbuf_target_function, reads the PERF_EVENT_ARRAY with
 * libbpf's perf_buffer__new() / perf_buffer__poll() (perf_event_open of a
 * BPF output event per CPU, mmap() of each, PERF_EVENT_IOC_ENABLE, the
 * events stored in the map, epoll on them) while the target runs under the
 * agent in another process, and checks it receives exactly the events of N
 * calls: each once, each CPU's in call order, on the CPU the program ran
 * on, with the kernel's padded sizes, none lost. perf_buffer__poll() must
 * sleep while nothing comes (no busy loop). Before that, the kernel's
 * answers to what libbpf does not ask: bad mappings and map updates, an
 * event that stays in the map after its descriptor is closed. It prints
 * "ready" once attached, a summary once done, then waits for its standard
 * input to end so that the segment can be dumped meanwhile; then frees the
 * perf buffer, which empties the map's slots.
 * usage: loader_perfbuf OBJECT TARGET N
 */
#define _GNU_SOURCE
#include "loader_check.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WAIT_S   60 /* all the events, at most */
#define MAX_CPUS 256
#define PAGES    2 /* data pages per CPU: the events go round each ring */

struct event {
        uint32_t pid;
        uint32_t x;
        uint64_t square;
        uint32_t cpu;
        char tag[12];
};

struct state {
        uint32_t n;
        uint32_t events;
        uint64_t lost;
        uint32_t pid;
        uint8_t *seen;              /* per x */
        int64_t last_x[MAX_CPUS];   /* per CPU: the last x (-1: none) */
        uint32_t per_cpu[MAX_CPUS]; /* events */
};

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
        struct state *st = ctx;
        struct event ev = {0}, *e = &ev;
        const uint8_t *b = data;

        CHECK(cpu >= 0 && cpu < MAX_CPUS);
        CHECK(size >= 28);
        /* As the kernel's: the data follows the u32 size, 4 bytes past an 8-byte boundary. */
        memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
        /* The kernel's raw size: the u32 before the data and the data, padded to 8 bytes. */
        CHECK(size == (e->x % 2 ? 36u : 28u));
        if (e->x >= st->n || st->seen[e->x] || e->square != (uint64_t)e->x * e->x ||
            (int64_t)e->x <= st->last_x[cpu] || e->cpu != (uint32_t)cpu ||
            memcmp(e->tag, "perf-event", e->x % 2 ? 11 : 8) != 0) {
                fprintf(stderr,
                        "loader_perfbuf: event x %u square %llu cpu %u (buffer %d, last x %lld) "
                        "tag %.12s\n",
                        e->x, (unsigned long long)e->square, e->cpu, cpu,
                        (long long)st->last_x[cpu], e->tag);
                exit(1);
        }
        for (uint32_t i = 32; i < size; i++)
                CHECK(b[i] == 0); /* padding */
        CHECK(e->pid != 0 && e->pid != (uint32_t)getpid());
        CHECK(st->events == 0 || e->pid == st->pid);
        st->pid = e->pid;
        st->seen[e->x] = 1;
        st->last_x[cpu] = e->x;
        st->per_cpu[cpu]++;
        st->events++;
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
        struct state *st = ctx;

        fprintf(stderr, "loader_perfbuf: %llu events lost on CPU %d\n", (unsigned long long)cnt,
                cpu);
        st->lost += cnt;
}

static int bpf_output_event(int cpu)
{
        struct perf_event_attr attr = {.size = sizeof(attr),
                                       .type = PERF_TYPE_SOFTWARE,
                                       .config = PERF_COUNT_SW_BPF_OUTPUT,
                                       .sample_type = PERF_SAMPLE_RAW,
                                       .sample_period = 1,
                                       .wakeup_events = 1};

        return (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* mmap() of a perf event is refused with `err`, as by the kernel's perf_mmap(). */
static void mmap_refused(int fd, size_t len, int flags, off_t off, int err)
{
        void *p;

        errno = 0;
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);
        CHECK(p == MAP_FAILED && errno == err);
}

/* What libbpf does not ask, answered as the kernel answers it. */
static void kernel_answers(int map_fd)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        uint32_t key = 0, big = 1u << 20;
        int pfd = bpf_output_event(0), other = open("/dev/null", O_RDONLY | O_CLOEXEC);
        void *p;

        CHECK(pfd >= 0 && other >= 0);
        mmap_refused(pfd, 2 * page, MAP_PRIVATE, 0, EINVAL);
        mmap_refused(pfd, 4 * page, MAP_SHARED, 0, EINVAL); /* 3 data pages */
        mmap_refused(pfd, 2 * page, MAP_SHARED, (off_t)page, EINVAL);
        p = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED, pfd, 0);
        CHECK(p != MAP_FAILED);
        CHECK(((struct perf_event_mmap_page *)p)->data_offset == page);
        CHECK(((struct perf_event_mmap_page *)p)->data_size == 2 * page);
        mmap_refused(pfd, 5 * page, MAP_SHARED, 0, EINVAL); /* not the ring's size */
        CHECK(munmap(p, 3 * page) == 0);
        CHECK(ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) == 0);

        CHECK(bpf_map_update_elem(map_fd, &key, &other, BPF_ANY) < 0 && errno == EBADF);
        CHECK(bpf_map_update_elem(map_fd, &key, &pfd, BPF_NOEXIST) < 0 && errno == EINVAL);
        CHECK(bpf_map_update_elem(map_fd, &big, &pfd, BPF_ANY) < 0 && errno == E2BIG);
        CHECK(bpf_map_delete_elem(map_fd, &key) < 0 && errno == ENOENT);
        CHECK(bpf_map_delete_elem(map_fd, &big) < 0 && errno == E2BIG);
        /* As the kernel's: the map keeps the event after its descriptor is closed. */
        CHECK(bpf_map_update_elem(map_fd, &key, &pfd, BPF_ANY) == 0);
        CHECK(close(pfd) == 0);
        CHECK(bpf_map_delete_elem(map_fd, &key) == 0);
        CHECK(bpf_map_delete_elem(map_fd, &key) < 0 && errno == ENOENT);
        close(other);
}

/* Nothing comes: perf_buffer__poll() sleeps its whole timeout and finds nothing. */
static void poll_empty(struct perf_buffer *pb)
{
        double t0 = now_s();

        CHECK(perf_buffer__poll(pb, 300) == 0);
        CHECK(now_s() - t0 >= 0.25);
}

int main(int argc, char **argv)
{
        LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "perfbuf_target_function");
        struct state st = {0};
        struct bpf_object *obj;
        struct bpf_program *prog;
        struct bpf_map *map, *stats;
        struct bpf_link *link;
        struct perf_buffer *pb;
        uint32_t empty_polls = 0, cpus = 0, key;
        int64_t failures = -1, e2big = 0;
        double deadline;
        char line[16];
        int fd;

        CHECK(argc == 4);
        st.n = (uint32_t)atoi(argv[3]);
        st.seen = calloc(st.n, 1);
        CHECK(st.seen != NULL);
        for (int c = 0; c < MAX_CPUS; c++)
                st.last_x[c] = -1;
        obj = bpf_object__open_file(argv[1], NULL);
        CHECK(obj != NULL);
        CHECK(bpf_object__load(obj) == 0);
        prog = bpf_object__find_program_by_name(obj, "on_call");
        map = bpf_object__find_map_by_name(obj, "events");
        stats = bpf_object__find_map_by_name(obj, "stats");
        CHECK(prog != NULL && map != NULL && stats != NULL);
        fd = bpf_map__fd(map);
        CHECK(fd >= 0 && bpf_map__max_entries(map) == (uint32_t)libbpf_num_possible_cpus());
        kernel_answers(fd);

        pb = perf_buffer__new(fd, PAGES, on_sample, on_lost, &st, NULL);
        CHECK(pb != NULL);
        CHECK(perf_buffer__buffer_cnt(pb) >= 1);
        poll_empty(pb);
        link = bpf_program__attach_uprobe_opts(prog, -1, argv[2], 0, &uopts);
        CHECK(link != NULL);
        printf("ready\n");
        fflush(stdout);

        deadline = now_s() + WAIT_S;
        while (st.events + st.lost < st.n) {
                int n = perf_buffer__poll(pb, 1000);

                CHECK(n >= 0);
                empty_polls += n == 0;
                CHECK(now_s() < deadline);
        }
        CHECK(st.lost == 0);
        CHECK(st.events == st.n);
        for (uint32_t x = 0; x < st.n; x++)
                CHECK(st.seen[x]);
        /* Nothing more comes, and no descriptor is left readable. */
        poll_empty(pb);
        CHECK(perf_buffer__consume(pb) == 0);
        /*
         * Polls that found nothing: the waits of 1 s before the target ran,
         * and few others (a wakeup whose record an earlier poll took). A
         * descriptor left readable would make a busy loop of them.
         */
        CHECK(empty_polls <= st.n + 30);
        key = 0;
        CHECK(bpf_map_lookup_elem(bpf_map__fd(stats), &key, &failures) == 0);
        key = 1;
        CHECK(bpf_map_lookup_elem(bpf_map__fd(stats), &key, &e2big) == 0);
        CHECK(failures == 0);
        CHECK(e2big == -E2BIG);
        for (int c = 0; c < MAX_CPUS; c++)
                cpus += st.per_cpu[c] != 0;
        printf("loader_perfbuf: %u events from process %u, %llu lost, on %u CPUs\n", st.events,
               st.pid, (unsigned long long)st.lost, cpus);
        fprintf(stderr, "loader_perfbuf: %u polls found nothing\n", empty_polls);
        printf("done\n");
        fflush(stdout);
        while (fgets(line, sizeof(line), stdin))
                ;
        /* perf_buffer__free() deletes the events from the map. */
        perf_buffer__free(pb);
        for (key = 0; key < bpf_map__max_entries(map); key++)
                CHECK(bpf_map_delete_elem(fd, &key) < 0 && errno == ENOENT);
        bpf_link__destroy(link);
        bpf_object__close(obj);
        free(st.seen);
        printf("freed\n");
        return 0;
}
