/* SPDX-License-Identifier: MIT */
/*
 * A loader written as libbpf tools are, on a skeleton bpftool generated
 * (skel_counter.skel.h), run with libbpfaot-syscall-server.so preloaded:
 * .rodata set before load; after load, the skeleton's .data, .bss and
 * .rodata are mappings of the maps' values in the segment, so a write to
 * skel->data reaches the programs and skel->bss shows what they counted in
 * another process. It attaches skel_count to TARGET's skel_target_function,
 * prints "ready", and waits (bounded) for N calls of it to be counted.
 * usage: loader_skel TARGET N
 */
#include "loader_check.h"
#include "skel_counter.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define WAIT_S 10 /* the script starts the wait once the target has ended */

/* mmap() of a map's descriptor is refused with `err`, as by the kernel. */
static void mmap_refused(int fd, int prot, int flags, int err)
{
        void *p;

        errno = 0;
        p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), prot, flags, fd, 0);
        CHECK(p == MAP_FAILED && errno == err);
}

/*
 * A map mapped writable cannot be frozen (-EBUSY, the kernel's writecnt)
 * until the whole mapping is unmapped; once frozen, it maps read-only only.
 */
static void freeze_while_mapped(void)
{
        LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = BPF_F_MMAPABLE);
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "frz", 4, 8, 4, &mopts);
        void *rw, *ro;

        CHECK(fd >= 0);
        rw = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        CHECK(rw != MAP_FAILED);
        CHECK(bpf_map_freeze(fd) == -EBUSY);
        ro = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
        CHECK(ro != MAP_FAILED);
        CHECK(munmap(rw, page) == 0);
        CHECK(bpf_map_freeze(fd) == 0); /* a read-only mapping does not count */
        mmap_refused(fd, PROT_READ | PROT_WRITE, MAP_SHARED, EPERM);
        CHECK(munmap(ro, page) == 0);
        close(fd);
}

int main(int argc, char **argv)
{
        LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "skel_target_function");
        struct skel_counter *skel;
        unsigned long long want;
        struct timespec start, now;
        int n;

        CHECK(argc == 3);
        n = atoi(argv[2]);
        skel = skel_counter__open();
        CHECK(skel != NULL);
        skel->rodata->step = 3;
        CHECK(skel_counter__load(skel) == 0);
        /* Mapped from the segment now: the loaded values, and the ones set before load. */
        CHECK(skel->bss != NULL && skel->data != NULL && skel->rodata != NULL);
        CHECK(skel->rodata->step == 3 && skel->data->bonus == 5 && skel->bss->calls == 0);
        skel->data->bonus = 10;
        /* .rodata is frozen, and read-only to programs: mapped read-only only. */
        mmap_refused(bpf_map__fd(skel->maps.rodata), PROT_READ | PROT_WRITE, MAP_SHARED, EPERM);
        mmap_refused(bpf_map__fd(skel->maps.bss), PROT_READ | PROT_WRITE, MAP_PRIVATE, EINVAL);
        /* libbpf mapped .bss writable: it cannot be frozen now. */
        CHECK(bpf_map_freeze(bpf_map__fd(skel->maps.bss)) == -EBUSY);
        freeze_while_mapped();

        skel->links.skel_count =
            bpf_program__attach_uprobe_opts(skel->progs.skel_count, -1, argv[1], 0, &uopts);
        CHECK(skel->links.skel_count != NULL);
        printf("ready\n");
        fflush(stdout);

        want = (unsigned long long)n * (3 + 10);
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (__atomic_load_n(&skel->bss->calls, __ATOMIC_RELAXED) < want) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                CHECK(now.tv_sec - start.tv_sec < WAIT_S);
                usleep(10000);
        }
        CHECK(skel->bss->calls == want && skel->bss->last_pid != 0 &&
              skel->bss->last_pid != (uint32_t)getpid());
        printf("loader_skel: calls %llu, last from process %u\n", skel->bss->calls,
               skel->bss->last_pid);
        skel_counter__destroy(skel);
        return 0;
}
