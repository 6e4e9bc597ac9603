/* SPDX-License-Identifier: MIT */
/*
 * A loader written against libbpf's public API only, run with
 * libbpfaot-syscall-server.so preloaded: its maps live in the segment
 * $BPFAOT_SHM. It checks what it reads back through bpf(2), what a
 * process using the segment directly (bpfaot/shm.h) sees and writes, and
 * that a command the server does not answer fails with EINVAL.
 */
#define _GNU_SOURCE
#include "loader_check.h"

#include <bpf/bpf.h>
#include <bpfaot/shm.h>

#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The other process: adds 1000 to every value through the segment itself. */
static void add_through_segment(uint32_t id, uint32_t keys)
{
        struct bpfaot_shm *shm;
        struct bpfaot_map *m;

        CHECK(bpfaot_shm__open(NULL, NULL, &shm) == 0);
        CHECK(bpfaot_shm__map(shm, id, &m) == 0);
        for (uint32_t k = 0; k < keys; k++) {
                uint64_t *v = bpfaot_map__lookup_elem(m, &k);

                CHECK(v != NULL);
                *v += 1000;
        }
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

/* QUEUE or STACK through bpf(2): pushed with a NULL key, peeked, popped in their order. */
static void keyless(enum bpf_map_type type)
{
        bool stack = type == BPF_MAP_TYPE_STACK;
        uint64_t v;
        int fd = bpf_map_create(type, stack ? "stack" : "queue", 0, 8, 4, NULL);

        CHECK(fd > 2);
        for (v = 1; v <= 4; v++)
                CHECK(bpf_map_update_elem(fd, NULL, &v, BPF_ANY) == 0);
        CHECK(bpf_map_update_elem(fd, NULL, &v, BPF_ANY) < 0 && errno == E2BIG);
        CHECK(bpf_map_lookup_elem(fd, NULL, &v) == 0 && v == (stack ? 4 : 1));
        for (uint64_t i = 1; i <= 4; i++)
                CHECK(bpf_map_lookup_and_delete_elem(fd, NULL, &v) == 0 &&
                      v == (stack ? 5 - i : i));
        CHECK(bpf_map_lookup_and_delete_elem(fd, NULL, &v) < 0 && errno == ENOENT);
        v = 42; /* left for `bpf-aot shm dump` */
        CHECK(bpf_map_update_elem(fd, NULL, &v, BPF_ANY) == 0);
}

/* A BLOOM_FILTER (fixed seed, 3 hashes): what was added is found, one value never added is not. */
static void bloom(void)
{
        LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_ZERO_SEED, .map_extra = 3);
        uint64_t v;
        int fd = bpf_map_create(BPF_MAP_TYPE_BLOOM_FILTER, "seen", 0, 8, 100, &opts);

        CHECK(fd > 2);
        for (v = 10; v < 20; v++)
                CHECK(bpf_map_update_elem(fd, NULL, &v, BPF_ANY) == 0);
        for (v = 10; v < 20; v++)
                CHECK(bpf_map_lookup_elem(fd, NULL, &v) == 0);
        v = 1000;
        CHECK(bpf_map_lookup_elem(fd, NULL, &v) < 0 && errno == ENOENT);
}

/*
 * An LPM_TRIE of IPv4 prefixes: lookups take the longest prefix, deletes
 * name one exactly, the (max_entries + 1)th prefix is ENOSPC. Two prefixes
 * are left for `bpf-aot shm dump`: 10.0.0.0/8 = 1, 10.1.2.0/24 = 3.
 */
static void lpm(void)
{
        LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
        struct {
                uint32_t plen;
                uint8_t a[4];
        } add[] = {{8, {10, 0, 0, 0}}, {16, {10, 1, 0, 0}}, {24, {10, 1, 2, 0}}},
          k = {32, {10, 1, 2, 3}}, next;
        uint64_t v;
        uint32_t n = 0;
        int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "routes", sizeof(k), 8, 3, &opts);

        CHECK(fd > 2);
        for (v = 0; v < 3; v++)
                CHECK(bpf_map_update_elem(fd, &add[v], &(uint64_t){v + 1}, BPF_NOEXIST) == 0);
        CHECK(bpf_map_update_elem(fd, &k, &v, BPF_ANY) < 0 && errno == ENOSPC);
        CHECK(bpf_map_lookup_elem(fd, &k, &v) == 0 && v == 3);
        k.a[2] = 9; /* 10.1.9.3 */
        CHECK(bpf_map_lookup_elem(fd, &k, &v) == 0 && v == 2);
        CHECK(bpf_map_delete_elem(fd, &add[1]) == 0);
        CHECK(bpf_map_delete_elem(fd, &add[1]) < 0 && errno == ENOENT);
        CHECK(bpf_map_lookup_elem(fd, &k, &v) == 0 && v == 1);
        k.a[0] = 11;
        CHECK(bpf_map_lookup_elem(fd, &k, &v) < 0 && errno == ENOENT);
        for (const void *prev = NULL; bpf_map_get_next_key(fd, prev, &next) == 0; prev = &k) {
                k = next;
                n++;
        }
        CHECK(n == 2);
}

int main(void)
{
        enum { KEYS = 10 };
        struct bpf_map_info info = {0};
        uint32_t info_len = sizeof(info), k, next, n = 0;
        uint64_t v;
        int fd, st;
        pid_t pid;

        fd = bpf_map_create(BPF_MAP_TYPE_HASH, "counts", 4, 8, 64, NULL);
        CHECK(fd > 2);
        for (k = 0; k < KEYS; k++) {
                v = k * 3;
                CHECK(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST) == 0);
        }
        k = 0;
        CHECK(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST) < 0 && errno == EEXIST);
        CHECK(bpf_obj_get_info_by_fd(fd, &info, &info_len) == 0);
        CHECK(info.type == BPF_MAP_TYPE_HASH && info.key_size == 4 && info.value_size == 8 &&
              info.max_entries == 64 && info.id > 0);

        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                add_through_segment(info.id, KEYS);
                _exit(0);
        }
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        for (k = 0; k < KEYS; k++) {
                CHECK(bpf_map_lookup_elem(fd, &k, &v) == 0);
                CHECK(v == k * 3 + 1000);
        }
        for (const uint32_t *prev = NULL; bpf_map_get_next_key(fd, prev, &next) == 0; prev = &k) {
                k = next;
                n++;
        }
        CHECK(n == KEYS);
        k = 3;
        CHECK(bpf_map_delete_elem(fd, &k) == 0);
        CHECK(bpf_map_lookup_elem(fd, &k, &v) < 0 && errno == ENOENT);
        k = 4;
        CHECK(bpf_map_lookup_and_delete_elem(fd, &k, &v) == 0 && v == 4 * 3 + 1000);
        /* Frozen: the syscall side may read, not write. */
        CHECK(bpf_map_freeze(fd) == 0);
        k = 5;
        CHECK(bpf_map_lookup_elem(fd, &k, &v) == 0 && v == 5 * 3 + 1000);
        CHECK(bpf_map_update_elem(fd, &k, &v, BPF_ANY) < 0 && errno == EPERM);
        CHECK(bpf_map_delete_elem(fd, &k) < 0 && errno == EPERM);
        /* Maps without keys, left in the segment for the script. */
        keyless(BPF_MAP_TYPE_QUEUE);
        keyless(BPF_MAP_TYPE_STACK);
        bloom();
        lpm();
        /* Descriptors that are not the server's, and a command it does not answer. */
        CHECK(bpf_map_lookup_elem(0, &k, &v) < 0 && errno == EBADF);
        CHECK(bpf_prog_get_fd_by_id(1) < 0 && errno == EINVAL);
        CHECK(close(fd) == 0);
        CHECK(bpf_map_lookup_elem(fd, &k, &v) < 0 && errno == EBADF);
        printf("loader_maps: map id %u ok\n", info.id);
        return 0;
}
