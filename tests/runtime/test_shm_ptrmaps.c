/* SPDX-License-Identifier: MIT */
/*
 * PROG_ARRAY, ARRAY_OF_MAPS and HASH_OF_MAPS in a shared-memory segment:
 * their slots hold ids, written through one handle of the segment and
 * resolved through another (another bpfaot_shm__open of it in this
 * process, mapped elsewhere, and a forked process that opens it by name),
 * each to that handle's own maps and programs (bpfaot_shm__set_resolver);
 * tail calls run the program the resolver gives; an id that resolves to
 * nothing is an empty slot; the inner template, kept in the segment,
 * checks inner maps in every process; slots another process keeps
 * changing give the old or the new program or map. Segments are named after this
 * process and removed at exit.
 */
#define _GNU_SOURCE
#include "check.h"

#include <bpfaot/maps.h>
#include <bpfaot/runtime.h>
#include <bpfaot/shm.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .create = create, .size = 4 << 20};
        struct bpfaot_shm *shm;

        CHECK_EQ(bpfaot_shm__open(seg, &opts, &shm), 0);
        return shm;
}

static void expect_child_ok(pid_t pid)
{
        struct timespec nap = {0, 5000000};
        int status;

        for (int i = 0; i < CHILD_WAIT_S * 200; i++) {
                pid_t r = waitpid(pid, &status, WNOHANG);

                CHECK(r >= 0);
                if (r == pid) {
                        CHECK(WIFEXITED(status));
                        CHECK_EQ(WEXITSTATUS(status), 0);
                        return;
                }
                nanosleep(&nap, NULL);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fprintf(stderr, "child %d did not finish within %d s\n", (int)pid, CHILD_WAIT_S);
        exit(1);
}

static const struct bpfaot_map_def inner_def = {
    .name = "inner", .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 4};
static const struct bpfaot_map_def other_def = {
    .name = "other", .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 8};

/* The ids of the segment's maps and programs (made by the parent, known to the child). */
static struct ids {
        uint32_t inner_a, inner_b, other, gone, aom, hom, pa, prog1, prog2, prog3, ctl;
} ids;

/* Programs as a process runs them: entry functions the resolver gives for program ids. */
static uint64_t prog_one(void *ctx, uint64_t size)
{
        (void)size;
        return 100 + *(uint64_t *)ctx;
}

static uint64_t prog_two(void *ctx, uint64_t size)
{
        (void)size;
        return 200 + *(uint64_t *)ctx;
}

static unsigned prog_asks, map_asks;
static bool busy; /* the resolver cannot answer for now */

/* prog1 and prog2 run here; prog3 does not (an empty slot here). */
static int resolve_prog(void *ctx, uint32_t id, bpfaot_prog_fn *fn)
{
        (void)ctx;
        prog_asks++;
        if (busy)
                return -EAGAIN;
        *fn = id == ids.prog1 ? prog_one : id == ids.prog2 ? prog_two : NULL;
        return 0;
}

/* A resolver's own handles for maps (ctx: its segment handle). */
static struct bpfaot_map *own[16];

static int resolve_map(void *ctx, uint32_t id, struct bpfaot_map **map)
{
        map_asks++;
        if (busy)
                return -EAGAIN;
        if (id < 16 && id != ids.gone && !own[id] && bpfaot_shm__map(ctx, id, &own[id]))
                own[id] = NULL;
        *map = id < 16 && id != ids.gone ? own[id] : NULL;
        return 0;
}

static uint32_t slot_id(struct bpfaot_map *m, uint32_t key)
{
        uint32_t id = 0;
        int rc = bpfaot_map__lookup_copy(m, &key, &id);

        CHECK(rc == 0 || rc == -ENOENT);
        return rc ? 0 : id;
}

static uint64_t tail_call(struct bpfaot_map *pa, uint32_t index, uint64_t arg, uint64_t *ret)
{
        struct bpfaot_tail_call_result r =
            bpfaot_rt_tail_call((uint64_t)(uintptr_t)&arg, (uint64_t)(uintptr_t)pa, index);

        *ret = r.ret;
        return r.done;
}

static void make_segment(void)
{
        static const struct bpf_insn ret0[] = {
            {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
            {.code = BPF_JMP | BPF_EXIT},
        };
        struct bpfaot_map_def aom = {.name = "aom",
                                     .type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
                                     .key_size = 4,
                                     .value_size = 4,
                                     .max_entries = 4,
                                     .inner = &inner_def};
        struct bpfaot_map_def hom = aom, pa = {.name = "jmp",
                                               .type = BPF_MAP_TYPE_PROG_ARRAY,
                                               .key_size = 4,
                                               .value_size = 4,
                                               .max_entries = 4};
        struct bpfaot_shm_prog_def pd = {
            .sz = sizeof(pd), .type = BPF_PROG_TYPE_KPROBE, .insns = ret0, .insn_cnt = 2};
        struct bpfaot_shm *shm = seg_open(true);
        uint64_t fn = 1;

        hom.name = "hom";
        hom.type = BPF_MAP_TYPE_HASH_OF_MAPS;
        hom.max_entries = 8;
        CHECK_EQ(bpfaot_shm__create_map(shm, &inner_def, &ids.inner_a), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &inner_def, &ids.inner_b), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &other_def, &ids.other), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &inner_def, &ids.gone), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &aom, &ids.aom), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &hom, &ids.hom), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &pa, &ids.pa), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &other_def, &ids.ctl), 0);
        /* A PROG_ARRAY's entry functions mean nothing in a segment. */
        pa.init_value = &fn;
        pa.init_size = sizeof(fn);
        CHECK_EQ(bpfaot_shm__create_map(shm, &pa, &ids.prog1), -EINVAL);
        pd.name = "one";
        CHECK_EQ(bpfaot_shm__create_prog(shm, &pd, &ids.prog1), 0);
        pd.name = "two";
        CHECK_EQ(bpfaot_shm__create_prog(shm, &pd, &ids.prog2), 0);
        pd.name = "three";
        CHECK_EQ(bpfaot_shm__create_prog(shm, &pd, &ids.prog3), 0);
        CHECK_EQ(bpfaot_shm__release_map(shm, ids.gone), 0);
        bpfaot_shm__close(shm);
}

/* Ids written through one handle of the segment, resolved through another. */
static void test_two_handles(void)
{
        struct bpfaot_shm *s1 = seg_open(false), *s2 = seg_open(false);
        struct bpfaot_map *a1, *b1, *other1, *aom1, *hom1, *pa1, *aom2, *hom2, *in, *in2;
        uint32_t k, id, held;
        uint64_t v, r;

        CHECK_EQ(bpfaot_shm__map(s1, ids.inner_a, &a1), 0);
        CHECK_EQ(bpfaot_shm__map(s1, ids.inner_b, &b1), 0);
        CHECK_EQ(bpfaot_shm__map(s1, ids.other, &other1), 0);
        CHECK_EQ(bpfaot_shm__map(s1, ids.aom, &aom1), 0);
        CHECK_EQ(bpfaot_shm__map(s1, ids.hom, &hom1), 0);
        CHECK_EQ(bpfaot_shm__map(s1, ids.pa, &pa1), 0);
        CHECK_EQ(bpfaot_shm__map(s2, ids.aom, &aom2), 0);
        CHECK_EQ(bpfaot_shm__map(s2, ids.hom, &hom2), 0);

        /* Empty slots. */
        k = 0;
        CHECK(bpfaot_map__lookup_elem(aom2, &k) == NULL);
        CHECK_EQ(bpfaot_map__lookup_copy(aom2, &k, &id), -ENOENT);
        CHECK_EQ(bpfaot_map__delete_elem(aom1, &k), -ENOENT);

        /* A handle of the segment goes in as its id; the other handle gets its own map. */
        CHECK_EQ(bpfaot_map__update_inner(aom1, &k, a1, BPF_ANY), 0);
        CHECK_EQ(slot_id(aom2, 0), ids.inner_a);
        in = bpfaot_map__lookup_elem(aom2, &k);
        CHECK(in != NULL && in != a1);
        CHECK(bpfaot_map__lookup_elem(aom2, &k) == in); /* resolved once */
        CHECK(bpfaot_map__lookup_elem(aom1, &k) != in);
        k = 2;
        v = 77;
        CHECK_EQ(bpfaot_map__update_elem(in, &k, &v, BPF_ANY), 0);
        v = 0;
        CHECK_EQ(bpfaot_map__lookup_copy(a1, &k, &v), 0);
        CHECK_EQ(v, 77);

        /* The template, kept in the segment, checks inner maps from any handle. */
        k = 1;
        CHECK_EQ(bpfaot_map__update_inner(aom2, &k, other1, BPF_ANY), -EINVAL);
        CHECK_EQ(bpfaot_map__update_inner(hom2, &k, other1, BPF_ANY), -EINVAL);
        CHECK_EQ(bpfaot_map__def(aom2)->inner->max_entries, 4);
        CHECK_EQ(bpfaot_map__update_inner(aom1, &k, b1, BPF_NOEXIST), -EINVAL); /* an fd array */
        k = 4;
        CHECK_EQ(bpfaot_map__update_inner(aom1, &k, b1, BPF_ANY), -E2BIG);
        /* A 4-byte id, as the syscall side writes it. */
        k = 1;
        id = ids.inner_b;
        CHECK_EQ(bpfaot_map__update_elem(aom2, &k, &id, BPF_ANY), 0);
        in = bpfaot_map__lookup_elem(aom1, &k);
        CHECK(in != NULL);
        CHECK_EQ(bpfaot_shm__map_info(s1, ids.inner_b, &(struct bpfaot_shm_map_info){0}), 0);
        k = 0;
        v = 5;
        CHECK_EQ(bpfaot_map__update_elem(in, &k, &v, BPF_ANY), 0);
        CHECK_EQ(bpfaot_map__lookup_copy(b1, &k, &v), 0);
        CHECK_EQ(v, 5);
        id = 0;
        CHECK_EQ(bpfaot_map__update_elem(aom2, &k, &id, BPF_ANY), -EINVAL);

        /* HASH_OF_MAPS: the same, with the hash's flags. */
        k = 1000;
        CHECK_EQ(bpfaot_map__update_inner(hom1, &k, b1, BPF_EXIST), -ENOENT);
        CHECK_EQ(bpfaot_map__update_inner(hom1, &k, b1, BPF_NOEXIST), 0);
        CHECK_EQ(bpfaot_map__update_inner(hom1, &k, a1, BPF_NOEXIST), -EEXIST);
        CHECK_EQ(slot_id(hom2, 1000), ids.inner_b);
        in2 = bpfaot_map__lookup_elem(hom2, &k);
        CHECK(in2 != NULL);
        CHECK_EQ(bpfaot_map__lookup_copy(in2, &(uint32_t){0}, &v), 0);
        CHECK_EQ(v, 5);
        id = ids.inner_a;
        CHECK_EQ(bpfaot_map__update_elem(hom2, &k, &id, BPF_EXIST), 0);
        CHECK_EQ(slot_id(hom1, 1000), ids.inner_a);
        CHECK_EQ(bpfaot_map__delete_elem(hom2, &k), 0);
        CHECK(bpfaot_map__lookup_elem(hom1, &k) == NULL);
        CHECK_EQ(bpfaot_map__lookup_copy(hom1, &k, &id), -ENOENT);

        /* Ids that name nothing here: empty slots, never a crash. */
        k = 2;
        id = ids.gone; /* withdrawn */
        CHECK_EQ(bpfaot_map__update_elem(aom1, &k, &id, BPF_ANY), 0);
        CHECK(bpfaot_map__lookup_elem(aom2, &k) == NULL);
        k = 3;
        id = 999; /* no such map */
        CHECK_EQ(bpfaot_map__update_elem(aom1, &k, &id, BPF_ANY), 0);
        CHECK(bpfaot_map__lookup_elem(aom2, &k) == NULL);
        CHECK_EQ(slot_id(aom2, 3), 999);

        /* A map a slot holds stays in the segment, as the kernel's outer map keeps it. */
        CHECK_EQ(bpfaot_shm__create_map(s1, &inner_def, &held), 0);
        k = 2000;
        CHECK_EQ(bpfaot_map__update_elem(hom1, &k, &held, BPF_ANY), 0);
        CHECK_EQ(bpfaot_shm__release_map(s2, held), -EBUSY);
        CHECK_EQ(bpfaot_map__delete_elem(hom2, &k), 0);
        CHECK_EQ(bpfaot_shm__release_map(s2, held), 0);

        /* PROG_ARRAY: no resolver, no program runs; entry functions cannot go in. */
        CHECK_EQ(bpfaot_prog_array__update(pa1, 0, prog_one), -EINVAL);
        id = ids.prog1;
        k = 0;
        CHECK_EQ(bpfaot_map__update_elem(pa1, &k, &id, BPF_ANY), 0);
        CHECK(bpfaot_map__lookup_elem(pa1, &k) == NULL); /* programs do not get programs */
        CHECK(bpfaot_prog_array__lookup(pa1, 0) == NULL);
        CHECK_EQ(tail_call(pa1, 0, 1, &r), 0);
        CHECK_EQ(r, (uint64_t)-ENOENT);

        bpfaot_map__free(a1);
        bpfaot_map__free(b1);
        bpfaot_map__free(other1);
        bpfaot_map__free(aom1);
        bpfaot_map__free(hom1);
        bpfaot_map__free(pa1);
        bpfaot_map__free(aom2);
        bpfaot_map__free(hom2);
        bpfaot_shm__close(s2);
        bpfaot_shm__close(s1);
}

/* A resolver: tail calls run what it gives, asked once per id; maps are its own handles. */
static void test_resolver(void)
{
        struct bpfaot_shm *shm = seg_open(false);
        struct bpfaot_shm_resolver res = {
            .sz = sizeof(res), .map = resolve_map, .prog = resolve_prog, .ctx = shm};
        struct bpfaot_map *pa, *aom;
        uint32_t k = 1, id;
        uint64_t r;

        CHECK_EQ(bpfaot_shm__set_resolver(shm, &res), 0);
        CHECK_EQ(bpfaot_shm__map(shm, ids.pa, &pa), 0);
        CHECK_EQ(bpfaot_shm__map(shm, ids.aom, &aom), 0);
        /* A resolver that cannot answer now: empty slots this time, asked again next time. */
        busy = true;
        CHECK_EQ(tail_call(pa, 0, 1, &r), 0);
        CHECK(bpfaot_map__lookup_elem(aom, &k) == NULL);
        CHECK_EQ(prog_asks, 1);
        CHECK_EQ(map_asks, 1);
        busy = false;
        prog_asks = map_asks = 0;
        CHECK_EQ(tail_call(pa, 0, 1, &r), 1); /* prog1, written by the other test */
        CHECK_EQ(r, 101);
        CHECK_EQ(tail_call(pa, 0, 2, &r), 1);
        CHECK_EQ(r, 102);
        CHECK_EQ(prog_asks, 1);
        CHECK(bpfaot_prog_array__lookup(pa, 0) == prog_one);
        id = ids.prog3; /* does not run here */
        CHECK_EQ(bpfaot_map__update_elem(pa, &k, &id, BPF_ANY), 0);
        CHECK_EQ(tail_call(pa, 1, 1, &r), 0);
        CHECK_EQ(tail_call(pa, 1, 1, &r), 0);
        CHECK_EQ(prog_asks, 2);
        CHECK_EQ(tail_call(pa, 2, 1, &r), 0); /* empty */
        CHECK_EQ(tail_call(pa, 4, 1, &r), 0); /* past the end */
        CHECK_EQ(prog_asks, 2);
        CHECK_EQ(bpfaot_map__delete_elem(pa, &k), 0);
        CHECK_EQ(bpfaot_map__delete_elem(pa, &k), -ENOENT);

        /* Maps: the resolver's own handles; slot 2 holds the withdrawn map. */
        k = 1;
        CHECK(bpfaot_map__lookup_elem(aom, &k) == own[ids.inner_b]);
        CHECK(own[ids.inner_b] != NULL);
        k = 2;
        CHECK(bpfaot_map__lookup_elem(aom, &k) == NULL);
        CHECK(bpfaot_map__lookup_elem(aom, &k) == NULL);
        CHECK_EQ(map_asks, 2);
        bpfaot_map__free(pa);
        bpfaot_map__free(aom);
        for (int i = 0; i < 16; i++)
                bpfaot_map__free(own[i]);
        memset(own, 0, sizeof(own));
        bpfaot_shm__close(shm);
}

/*
 * Another process: its handles resolve the parent's ids to its own maps and
 * programs, and what it writes (a value through an inner map, new ids) the
 * parent resolves.
 */
static void test_forked(void)
{
        struct bpfaot_shm *shm = seg_open(false);
        struct bpfaot_map *aom, *hom, *pa, *a;
        uint32_t k, id;
        uint64_t v;
        pid_t pid;

        CHECK_EQ(bpfaot_shm__map(shm, ids.aom, &aom), 0);
        CHECK_EQ(bpfaot_shm__map(shm, ids.hom, &hom), 0);
        CHECK_EQ(bpfaot_shm__map(shm, ids.pa, &pa), 0);
        CHECK_EQ(bpfaot_shm__map(shm, ids.inner_a, &a), 0);
        k = 7;
        id = ids.inner_a;
        CHECK_EQ(bpfaot_map__update_elem(hom, &k, &id, BPF_ANY), 0);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_shm_resolver res = {.sz = sizeof(res), .prog = resolve_prog};
                struct bpfaot_map *caom, *chom, *cpa, *in;
                uint64_t r;

                CHECK_EQ(bpfaot_shm__set_resolver(cs, &res), 0);
                CHECK_EQ(bpfaot_shm__map(cs, ids.aom, &caom), 0);
                CHECK_EQ(bpfaot_shm__map(cs, ids.hom, &chom), 0);
                CHECK_EQ(bpfaot_shm__map(cs, ids.pa, &cpa), 0);
                k = 7;
                in = bpfaot_map__lookup_elem(chom, &k);
                CHECK(in != NULL);
                k = 3;
                v = 333;
                CHECK_EQ(bpfaot_map__update_elem(in, &k, &v, BPF_ANY), 0);
                k = 0;
                CHECK(bpfaot_map__lookup_elem(caom, &k) != NULL);
                CHECK(bpfaot_map__lookup_elem(caom, &k) == in); /* one handle per id */
                /* Program ids: this process's entry functions. */
                CHECK_EQ(tail_call(cpa, 0, 5, &r), 1);
                CHECK_EQ(r, 105);
                id = ids.prog2;
                k = 3;
                CHECK_EQ(bpfaot_map__update_elem(cpa, &k, &id, BPF_ANY), 0);
                CHECK_EQ(tail_call(cpa, 3, 5, &r), 1);
                CHECK_EQ(r, 205);
                k = 0;
                id = ids.inner_b;
                CHECK_EQ(bpfaot_map__update_elem(caom, &k, &id, BPF_ANY), 0);
                bpfaot_map__free(caom);
                bpfaot_map__free(chom);
                bpfaot_map__free(cpa);
                bpfaot_shm__close(cs);
                _exit(0);
        }
        expect_child_ok(pid);
        k = 3;
        CHECK_EQ(bpfaot_map__lookup_copy(a, &k, &v), 0);
        CHECK_EQ(v, 333);
        CHECK_EQ(slot_id(pa, 3), ids.prog2);
        CHECK_EQ(slot_id(aom, 0), ids.inner_b);
        k = 0;
        CHECK(bpfaot_map__lookup_elem(aom, &k) != NULL);
        CHECK_EQ(bpfaot_map__lookup_copy(bpfaot_map__lookup_elem(aom, &k), &k, &v), 0);
        CHECK_EQ(v, 5); /* inner_b's, written by test_two_handles */
        bpfaot_map__free(aom);
        bpfaot_map__free(hom);
        bpfaot_map__free(pa);
        bpfaot_map__free(a);
        bpfaot_shm__close(shm);
}

/*
 * Slots another process keeps changing: every tail call runs one of the two
 * programs, every lookup gives one of the two maps, never anything else,
 * and both are seen (bounded wait). The child stops when ctl[0] is set.
 */
#define SWAP_THREADS 2
#define SWAP_WAIT_S  20

struct swap_run {
        struct bpfaot_map *aom, *pa, *a, *b;
        unsigned seen[4]; /* prog1, prog2, inner_a, inner_b */
};

static void *swap_reader(void *arg)
{
        struct swap_run *sr = arg;
        time_t end = time(NULL) + SWAP_WAIT_S;
        uint32_t k = 0;
        uint64_t r;

        for (long i = 0; time(NULL) < end; i++) {
                void *in;

                CHECK_EQ(tail_call(sr->pa, 0, 1, &r), 1);
                CHECK(r == 101 || r == 201);
                __atomic_fetch_add(&sr->seen[r == 101 ? 0 : 1], 1, __ATOMIC_RELAXED);
                in = bpfaot_map__lookup_elem(sr->aom, &k);
                CHECK(in == sr->a || in == sr->b);
                __atomic_fetch_add(&sr->seen[in == sr->a ? 2 : 3], 1, __ATOMIC_RELAXED);
                if (i % 1024 == 0 && __atomic_load_n(&sr->seen[0], __ATOMIC_RELAXED) > 100 &&
                    __atomic_load_n(&sr->seen[1], __ATOMIC_RELAXED) > 100 &&
                    __atomic_load_n(&sr->seen[2], __ATOMIC_RELAXED) > 100 &&
                    __atomic_load_n(&sr->seen[3], __ATOMIC_RELAXED) > 100)
                        break;
        }
        return NULL;
}

static void test_swapping(void)
{
        struct bpfaot_shm *shm = seg_open(false);
        struct bpfaot_shm_resolver res = {.sz = sizeof(res), .prog = resolve_prog};
        struct swap_run sr = {0};
        struct bpfaot_map *ctl;
        pthread_t th[SWAP_THREADS];
        uint32_t k = 0, id;
        uint64_t one = 1;
        pid_t pid;

        CHECK_EQ(bpfaot_shm__set_resolver(shm, &res), 0);
        CHECK_EQ(bpfaot_shm__map(shm, ids.aom, &sr.aom), 0);
        CHECK_EQ(bpfaot_shm__map(shm, ids.pa, &sr.pa), 0);
        CHECK_EQ(bpfaot_shm__map(shm, ids.ctl, &ctl), 0);
        id = ids.prog1;
        CHECK_EQ(bpfaot_map__update_elem(sr.pa, &k, &id, BPF_ANY), 0);
        id = ids.inner_a;
        CHECK_EQ(bpfaot_map__update_elem(sr.aom, &k, &id, BPF_ANY), 0);
        /* This handle's maps for the two ids: what every lookup must give. */
        sr.a = bpfaot_map__lookup_elem(sr.aom, &k);
        id = ids.inner_b;
        CHECK_EQ(bpfaot_map__update_elem(sr.aom, &k, &id, BPF_ANY), 0);
        sr.b = bpfaot_map__lookup_elem(sr.aom, &k);
        CHECK(sr.a && sr.b && sr.a != sr.b);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct bpfaot_shm *cs = seg_open(false);
                struct bpfaot_map *caom, *cpa, *cctl;
                uint64_t stop = 0;

                CHECK_EQ(bpfaot_shm__map(cs, ids.aom, &caom), 0);
                CHECK_EQ(bpfaot_shm__map(cs, ids.pa, &cpa), 0);
                CHECK_EQ(bpfaot_shm__map(cs, ids.ctl, &cctl), 0);
                for (unsigned i = 0; !stop; i++) {
                        uint32_t pid_ = i % 2 ? ids.prog2 : ids.prog1;
                        uint32_t mid = i % 3 ? ids.inner_b : ids.inner_a;

                        CHECK_EQ(bpfaot_map__update_elem(cpa, &k, &pid_, BPF_ANY), 0);
                        CHECK_EQ(bpfaot_map__update_elem(caom, &k, &mid, BPF_ANY), 0);
                        if (i % 256 == 0)
                                CHECK_EQ(bpfaot_map__lookup_copy(cctl, &k, &stop), 0);
                }
                bpfaot_map__free(caom);
                bpfaot_map__free(cpa);
                bpfaot_map__free(cctl);
                bpfaot_shm__close(cs);
                _exit(0);
        }
        for (int i = 0; i < SWAP_THREADS; i++)
                CHECK_EQ(pthread_create(&th[i], NULL, swap_reader, &sr), 0);
        for (int i = 0; i < SWAP_THREADS; i++)
                pthread_join(th[i], NULL);
        CHECK_EQ(bpfaot_map__update_elem(ctl, &k, &one, BPF_ANY), 0);
        expect_child_ok(pid);
        for (int i = 0; i < 4; i++)
                CHECK(sr.seen[i] > 100);
        bpfaot_map__free(sr.aom);
        bpfaot_map__free(sr.pa);
        bpfaot_map__free(ctl);
        bpfaot_shm__close(shm);
}

int main(void)
{
        test_pid = getpid();
        snprintf(seg, sizeof(seg), "bpfaot-test-%d-ptrmaps", (int)test_pid);
        atexit(remove_seg);
        make_segment();
        test_two_handles();
        test_resolver();
        test_forked();
        test_swapping();
        printf("ok\n");
        return 0;
}
