/* SPDX-License-Identifier: MIT */
/*
 * A loader written as libbpf tools are, run with libbpfaot-syscall-server.so
 * preloaded: it loads OBJECT (tailcall.bpf.c), whose PROG_ARRAY and maps of
 * maps libbpf fills from their declared contents (map updates with map and
 * program descriptors), and attaches on_call to TARGET's
 * ringbuf_target_function. Before that, the kernel's answers to updates of
 * those maps from here: lookups give ids, descriptors that are not the
 * right object, inner maps unlike the template, programs of another type.
 * It puts a map it made in slot 1 of by_index and closes it (the slot
 * keeps it). It prints "ready", then for each line "check ROUND" on its standard input
 * (the target under the agent made N calls ROUND times by then) checks the
 * counts exactly and prints "checked ROUND"; it ends with its input.
 * usage: loader_tailcall OBJECT TARGET N
 */
#include "loader_check.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int map_fd(struct bpf_object *obj, const char *name)
{
        struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

        CHECK(m != NULL);
        CHECK(bpf_map__fd(m) >= 0);
        return bpf_map__fd(m);
}

static uint32_t map_id(int fd)
{
        struct bpf_map_info info = {0};
        uint32_t len = sizeof(info);

        CHECK(bpf_obj_get_info_by_fd(fd, &info, &len) == 0);
        return info.id;
}

static uint32_t prog_id(int fd)
{
        struct bpf_prog_info info = {0};
        uint32_t len = sizeof(info);

        CHECK(bpf_obj_get_info_by_fd(fd, &info, &len) == 0);
        return info.id;
}

/* An update of map fd's `key` with descriptor `val` fails with `err`, as the kernel's. */
static void update_refused(int fd, uint32_t key, int val, uint64_t flags, int err)
{
        errno = 0;
        CHECK(bpf_map_update_elem(fd, &key, &val, flags) != 0);
        if (errno != err) {
                fprintf(stderr, "loader_tailcall: update of key %u with %d: errno %d, not %d\n",
                        key, val, errno, err);
                exit(1);
        }
}

/* What a lookup from here gives: the id in the slot, or 0 (ENOENT). */
static uint32_t slot(int fd, uint32_t key)
{
        uint32_t id = 0;

        if (bpf_map_lookup_elem(fd, &key, &id) != 0) {
                CHECK(errno == ENOENT);
                return 0;
        }
        return id;
}

/* The ids libbpf stored, and updates refused with the kernel's errnos. */
static void check_slots(struct bpf_object *obj)
{
        int by_index = map_fd(obj, "by_index"), by_key = map_fd(obj, "by_key");
        int jmp = map_fd(obj, "jmp"), calls_a = map_fd(obj, "calls_a");
        int calls_b = map_fd(obj, "calls_b"), misses = map_fd(obj, "misses");
        int more = bpf_program__fd(bpf_object__find_program_by_name(obj, "count_more"));
        int on_call = bpf_program__fd(bpf_object__find_program_by_name(obj, "on_call"));
        struct bpf_insn ret0[] = {
            {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
            {.code = BPF_JMP | BPF_EXIT},
        };
        LIBBPF_OPTS(bpf_map_create_opts, iopts, .inner_map_fd = calls_a);
        int pipefd[2], wide, hash, sock, aom, late, closed = 999999; /* no such descriptor */
        uint32_t key;

        CHECK(more >= 0 && on_call >= 0);
        CHECK(slot(by_index, 0) == map_id(calls_a));
        CHECK(slot(by_index, 1) == 0);
        CHECK(slot(by_key, 5) == map_id(calls_b));
        CHECK(slot(by_key, 0) == 0);
        CHECK(slot(jmp, 0) == prog_id(more));
        CHECK(slot(jmp, 1) == 0);

        /* Not a map (or not a program): a descriptor not open, another file. */
        CHECK(pipe(pipefd) == 0);
        CHECK(fcntl(closed, F_GETFD) < 0);
        update_refused(by_index, 1, closed, BPF_ANY, EBADF);
        update_refused(by_index, 1, pipefd[0], BPF_ANY, EINVAL);
        update_refused(by_index, 1, more, BPF_ANY, EINVAL);
        update_refused(by_key, 1, closed, BPF_ANY, EBADF);
        update_refused(by_key, 1, more, BPF_ANY, EINVAL);
        update_refused(jmp, 1, closed, BPF_ANY, EBADF);
        update_refused(jmp, 1, calls_a, BPF_ANY, EINVAL);
        /* Inner maps unlike the template: more entries, another type. */
        wide = bpf_map_create(BPF_MAP_TYPE_ARRAY, "wide", 4, 8, 8, NULL);
        hash = bpf_map_create(BPF_MAP_TYPE_HASH, "hash", 4, 8, 4, NULL);
        CHECK(wide >= 0 && hash >= 0);
        update_refused(by_index, 1, wide, BPF_ANY, EINVAL);
        update_refused(by_index, 1, hash, BPF_ANY, EINVAL);
        update_refused(by_key, 1, wide, BPF_ANY, EINVAL);
        update_refused(by_index, 1, misses, BPF_ANY, EINVAL); /* 2 entries */
        /* An array's slots take BPF_ANY only; a hash's keys BPF_NOEXIST and BPF_EXIST too. */
        update_refused(by_index, 1, calls_b, BPF_NOEXIST, EINVAL);
        update_refused(by_index, 2, calls_b, BPF_ANY, E2BIG);
        update_refused(by_key, 5, calls_a, BPF_NOEXIST, EEXIST);
        update_refused(by_key, 6, calls_a, BPF_EXIST, ENOENT);
        /* A program of another type than the array's. */
        sock = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "sock", "GPL", ret0, 2, NULL);
        CHECK(sock >= 0);
        update_refused(jmp, 1, sock, BPF_ANY, EINVAL);
        /* A map of maps whose template is not a map, or is itself a map of maps. */
        errno = 0;
        iopts.inner_map_fd = (uint32_t)closed;
        CHECK(bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "bad", 4, 4, 1, &iopts) < 0 &&
              errno == EBADF);
        iopts.inner_map_fd = (uint32_t)by_key;
        CHECK(bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "bad", 4, 4, 1, &iopts) < 0 &&
              errno == EINVAL);
        iopts.inner_map_fd = (uint32_t)calls_a;
        aom = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "aom", 4, 4, 1, &iopts);
        CHECK(aom >= 0);

        /* Updates that succeed: the ids, then deleted. */
        key = 1;
        CHECK(bpf_map_update_elem(by_index, &key, &calls_b, BPF_ANY) == 0);
        CHECK(slot(by_index, 1) == map_id(calls_b));
        CHECK(bpf_map_delete_elem(by_index, &key) == 0);
        CHECK(slot(by_index, 1) == 0);
        CHECK(bpf_map_delete_elem(by_index, &key) != 0 && errno == ENOENT);
        CHECK(bpf_map_update_elem(jmp, &key, &on_call, BPF_ANY) == 0);
        CHECK(slot(jmp, 1) == prog_id(on_call));
        CHECK(bpf_map_delete_elem(jmp, &key) == 0);
        CHECK(slot(jmp, 1) == 0);
        key = 6;
        CHECK(bpf_map_update_elem(by_key, &key, &calls_a, BPF_NOEXIST) == 0);
        CHECK(slot(by_key, 6) == map_id(calls_a));
        CHECK(bpf_map_delete_elem(by_key, &key) == 0);
        CHECK(slot(by_key, 6) == 0);
        key = 0;
        CHECK(bpf_map_update_elem(aom, &key, &wide, BPF_ANY) != 0 && errno == EINVAL);
        CHECK(bpf_map_update_elem(aom, &key, &calls_b, BPF_ANY) == 0);
        /*
         * A map made now, in slot 1, then closed: the slot keeps it (the
         * program counts in it; the segment's dump shows it).
         */
        late = bpf_map_create(BPF_MAP_TYPE_ARRAY, "late", 4, 8, 4, NULL);
        CHECK(late >= 0);
        key = 1;
        CHECK(bpf_map_update_elem(by_index, &key, &late, BPF_ANY) == 0);
        CHECK(slot(by_index, 1) == map_id(late));
        close(late);
        close(aom);
        close(sock);
        close(wide);
        close(hash);
        close(pipefd[0]);
        close(pipefd[1]);
}

/* Each inner map's counts after `rounds` runs of n calls: x % 4 == k for key k. */
static void check_counts(struct bpf_object *obj, uint32_t n, uint32_t rounds)
{
        const char *names[] = {"calls_a", "calls_b"};
        uint64_t v;

        for (int m = 0; m < 2; m++) {
                int fd = map_fd(obj, names[m]);

                for (uint32_t k = 0; k < 4; k++) {
                        uint64_t want = (uint64_t)rounds * ((n + 3 - k) / 4);

                        CHECK(bpf_map_lookup_elem(fd, &k, &v) == 0);
                        if (v != want) {
                                fprintf(stderr, "loader_tailcall: %s[%u] = %llu, expected %llu\n",
                                        names[m], k, (unsigned long long)v,
                                        (unsigned long long)want);
                                exit(1);
                        }
                }
        }
        for (uint32_t k = 0; k < 2; k++) {
                uint64_t want = k == 0 ? (uint64_t)rounds * n : 0;

                CHECK(bpf_map_lookup_elem(map_fd(obj, "misses"), &k, &v) == 0);
                if (v != want) {
                        fprintf(stderr, "loader_tailcall: misses[%u] = %llu, expected %llu\n", k,
                                (unsigned long long)v, (unsigned long long)want);
                        exit(1);
                }
        }
}

int main(int argc, char **argv)
{
        LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "ringbuf_target_function");
        struct bpf_object *obj;
        struct bpf_program *prog;
        struct bpf_link *link;
        uint32_t n, round;
        char line[64];

        CHECK(argc == 4);
        n = (uint32_t)atoi(argv[3]);
        obj = bpf_object__open_file(argv[1], NULL);
        CHECK(obj != NULL);
        CHECK(bpf_object__load(obj) == 0);
        check_slots(obj);
        check_counts(obj, n, 0);
        prog = bpf_object__find_program_by_name(obj, "on_call");
        CHECK(prog != NULL);
        link = bpf_program__attach_uprobe_opts(prog, -1, argv[2], 0, &uopts);
        CHECK(link != NULL);
        printf("ready\n");
        fflush(stdout);
        while (fgets(line, sizeof(line), stdin)) {
                if (sscanf(line, "check %u", &round) != 1)
                        continue;
                check_counts(obj, n, round);
                printf("checked %u\n", round);
                fflush(stdout);
        }
        bpf_link__destroy(link);
        bpf_object__close(obj);
        return 0;
}
