// SPDX-License-Identifier: MIT
/*
 * An ordinary libbpf loader: opens malloc.bpf.o, loads it, attaches
 * count_malloc to libc's malloc for every process and prints the map every
 * second until interrupted (or for SECONDS seconds). Nothing in it knows
 * about bpf-aot: run under libbpfaot-syscall-server.so, its maps and
 * program go to a shared-memory segment, and a target process running
 * libbpfaot-agent.so counts its calls there.
 *
 * usage: shm_malloc_loader OBJECT [SECONDS]
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

static void print_counts(int map_fd)
{
        __u32 pid, next, *prev = NULL;
        __u64 calls;

        while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
                pid = next;
                if (bpf_map_lookup_elem(map_fd, &pid, &calls) == 0)
                        printf("pid %u: %llu malloc calls\n", pid, (unsigned long long)calls);
                prev = &pid;
        }
        fflush(stdout);
}

int main(int argc, char **argv)
{
        LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "malloc");
        struct bpf_object *obj;
        struct bpf_program *prog;
        struct bpf_link *link;
        long seconds = argc > 2 ? strtol(argv[2], NULL, 10) : -1;
        Dl_info libc;
        int map_fd, err;

        if (argc < 2) {
                fprintf(stderr, "usage: %s OBJECT [SECONDS]\n", argv[0]);
                return 2;
        }
        /* The libc this loader uses: the one targets use too. */
        if (!dladdr((void *)malloc, &libc) || !libc.dli_fname) {
                fprintf(stderr, "cannot find libc's path\n");
                return 1;
        }
        obj = bpf_object__open_file(argv[1], NULL);
        if (!obj) {
                fprintf(stderr, "cannot open %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        err = bpf_object__load(obj);
        if (err) {
                fprintf(stderr, "cannot load %s: %s\n", argv[1], strerror(-err));
                return 1;
        }
        prog = bpf_object__find_program_by_name(obj, "count_malloc");
        link = prog ? bpf_program__attach_uprobe_opts(prog, -1, libc.dli_fname, 0, &uopts) : NULL;
        if (!link) {
                fprintf(stderr, "cannot attach count_malloc to malloc in %s: %s\n", libc.dli_fname,
                        strerror(errno));
                return 1;
        }
        map_fd = bpf_object__find_map_fd_by_name(obj, "calls");
        printf("count_malloc attached to malloc in %s\n", libc.dli_fname);
        fflush(stdout);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        for (long s = 0; !stop && (seconds < 0 || s < seconds); s++) {
                sleep(1);
                printf("--- %lds\n", s + 1);
                print_counts(map_fd);
        }
        bpf_link__destroy(link);
        bpf_object__close(obj);
        return 0;
}
