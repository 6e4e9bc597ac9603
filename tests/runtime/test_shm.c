/* SPDX-License-Identifier: MIT */
/*
 * Shared-memory segments: maps one process creates, other processes (forked
 * children that open the segment by name, so at another address) see and
 * update; concurrent creators and adders; a process that dies holding the
 * segment's lock; files that are not segments; full segments; RINGBUF maps
 * whose records forked producers submit and another process consumes (its
 * handle, the kernel's mapping), with wakeups across processes. Every
 * segment is named after this process and removed at exit; every wait is
 * bounded.
 */
#define _GNU_SOURCE
#include "check.h"
#include "maps_internal.h"
#include "shm_internal.h"

#include <bpfaot/runtime.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_WAIT_S 30

/* The segments this run made, removed at exit (by the test process only). */
static char made[16][64];
static int made_cnt;
static pid_t test_pid;

static void remove_made(void)
{
        if (getpid() != test_pid)
                return;
        for (int i = 0; i < made_cnt; i++)
                bpfaot_shm__remove(made[i]);
}

/* A name of this run's own: bpfaot-test-<pid>-<tag>. */
static const char *seg_name(const char *tag)
{
        CHECK(made_cnt < (int)(sizeof(made) / sizeof(made[0])));
        snprintf(made[made_cnt], sizeof(made[0]), "bpfaot-test-%d-%s", (int)test_pid, tag);
        return made[made_cnt++];
}

static struct bpfaot_shm *seg_create(const char *name, size_t size)
{
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .create = true, .size = size};
        struct bpfaot_shm *shm;

        CHECK_EQ(bpfaot_shm__open(name, &opts, &shm), 0);
        return shm;
}

static struct bpfaot_shm *seg_open(const char *name)
{
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts)};
        struct bpfaot_shm *shm;

        CHECK_EQ(bpfaot_shm__open(name, &opts, &shm), 0);
        return shm;
}

/* Wait for child `pid` at most CHILD_WAIT_S seconds (then kill it); its wait status. */
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

static const struct bpfaot_map_def array_def = {.name = "a_rather_long_map_name",
                                                .type = BPF_MAP_TYPE_ARRAY,
                                                .key_size = 4,
                                                .value_size = 8,
                                                .max_entries = 16};
static const struct bpfaot_map_def percpu_def = {.name = "per_cpu",
                                                 .type = BPF_MAP_TYPE_PERCPU_ARRAY,
                                                 .key_size = 4,
                                                 .value_size = 4,
                                                 .max_entries = 3};

/* Open, info, ids, map infos, the default name, names refused. */
static void test_open_info(void)
{
        const char *name = seg_name("info");
        struct bpfaot_error error = {0};
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .error = &error};
        struct bpfaot_shm *shm, *again;
        struct bpfaot_shm_info info;
        struct bpfaot_shm_map_info mi;
        struct bpfaot_map *m;
        char full[80], want[128];
        uint32_t id, next;
        uint64_t used0;

        snprintf(full, sizeof(full), "/%s", name);
        CHECK_EQ(bpfaot_shm__open(name, &opts, &shm), -ENOENT);
        CHECK(shm == NULL);
        CHECK_EQ(error.code, -ENOENT);
        snprintf(want, sizeof(want), "%s: no such segment", full);
        CHECK_EQ(strcmp(error.msg, want), 0);

        shm = seg_create(name, 1 << 20);
        CHECK_EQ(strcmp(bpfaot_shm__name(shm), full), 0);
        CHECK_EQ(bpfaot_shm__info(shm, &info), 0);
        CHECK_EQ(info.version, BPFAOT_SHM_VERSION);
        CHECK_EQ(info.size, 1 << 20);
        CHECK(info.used > sizeof(struct bpfaot_shm_prefix) && info.used < info.size);
        CHECK_EQ(info.used % 64, 0);
        CHECK_EQ(info.map_cnt, 0);
        used0 = info.used;
        CHECK_EQ(bpfaot_shm__next_map_id(shm, 0, &next), -ENOENT);

        CHECK_EQ(bpfaot_shm__create_map(shm, &array_def, &id), 0);
        CHECK_EQ(id, 1);
        CHECK_EQ(bpfaot_shm__create_map(shm, &percpu_def, &id), 0);
        CHECK_EQ(id, 2);
        CHECK_EQ(bpfaot_shm__info(shm, &info), 0);
        CHECK_EQ(info.map_cnt, 2);
        /* 16 * 8 bytes, then (64-aligned) 3 values of 8 bytes per CPU. */
        CHECK_EQ(info.used, used0 + 128 + 3 * 8 * bpfaot_rt_ncpus());

        CHECK_EQ(bpfaot_shm__next_map_id(shm, 0, &next), 0);
        CHECK_EQ(next, 1);
        CHECK_EQ(bpfaot_shm__next_map_id(shm, 1, &next), 0);
        CHECK_EQ(next, 2);
        CHECK_EQ(bpfaot_shm__next_map_id(shm, 2, &next), -ENOENT);

        CHECK_EQ(bpfaot_shm__map_info(shm, 1, &mi), 0);
        CHECK_EQ(mi.id, 1);
        CHECK_EQ(mi.type, BPF_MAP_TYPE_ARRAY);
        CHECK_EQ(mi.key_size, 4);
        CHECK_EQ(mi.value_size, 8);
        CHECK_EQ(mi.max_entries, 16);
        CHECK_EQ(mi.map_flags, 0);
        CHECK_EQ(mi.ncpus, 1);
        CHECK_EQ(strcmp(mi.name, "a_rather_long_m"), 0); /* BPFAOT_SHM_NAME_LEN - 1 bytes */
        CHECK_EQ(bpfaot_shm__map_info(shm, 2, &mi), 0);
        CHECK_EQ(mi.type, BPF_MAP_TYPE_PERCPU_ARRAY);
        CHECK_EQ(mi.ncpus, bpfaot_rt_ncpus());
        CHECK_EQ(strcmp(mi.name, "per_cpu"), 0);
        CHECK_EQ(bpfaot_shm__map_info(shm, 0, &mi), -ENOENT);
        CHECK_EQ(bpfaot_shm__map_info(shm, 3, &mi), -ENOENT);
        CHECK_EQ(bpfaot_shm__map(shm, 3, &m), -ENOENT);
        CHECK(m == NULL);

        /* A handle is a map like any other, named as recorded. */
        CHECK_EQ(bpfaot_shm__map(shm, 2, &m), 0);
        CHECK_EQ(strcmp(bpfaot_map__def(m)->name, "per_cpu"), 0);
        CHECK_EQ(bpfaot_map__ncpus(m), bpfaot_rt_ncpus());
        bpfaot_map__free(m);

        /* Opening it again (create set: it exists) and by the default name. */
        again = seg_create(name, 0);
        CHECK_EQ(bpfaot_shm__info(again, &info), 0);
        CHECK_EQ(info.map_cnt, 2);
        CHECK_EQ(info.size, 1 << 20);
        bpfaot_shm__close(again);
        CHECK_EQ(setenv(BPFAOT_SHM_ENV, name, 1), 0);
        CHECK_EQ(strcmp(bpfaot_shm__default_name(), name), 0);
        CHECK_EQ(bpfaot_shm__open(NULL, NULL, &again), 0);
        CHECK_EQ(strcmp(bpfaot_shm__name(again), full), 0);
        bpfaot_shm__close(again);
        CHECK_EQ(setenv(BPFAOT_SHM_ENV, "", 1), 0);
        CHECK_EQ(strcmp(bpfaot_shm__default_name(), BPFAOT_SHM_DEFAULT_NAME), 0);
        CHECK_EQ(unsetenv(BPFAOT_SHM_ENV), 0);
        CHECK_EQ(strcmp(bpfaot_shm__default_name(), "bpfaot"), 0);

        CHECK_EQ(bpfaot_shm__open("", &opts, &again), -EINVAL);
        CHECK_EQ(strcmp(error.msg, ": not a segment name (one path component)"), 0);
        CHECK_EQ(bpfaot_shm__open("/", &opts, &again), -EINVAL);
        CHECK_EQ(bpfaot_shm__open("a/b", &opts, &again), -EINVAL);
        CHECK_EQ(strcmp(error.msg, "a/b: not a segment name (one path component)"), 0);
        CHECK_EQ(bpfaot_shm__remove("a/b"), -EINVAL);
        bpfaot_shm__close(shm);
}

/* A child opens the segment by name and writes; the parent's handles see it, and back. */
static void test_child_updates(void)
{
        const char *name = seg_name("child");
        struct bpfaot_shm *shm = seg_create(name, 1 << 20);
        uint32_t ncpus = bpfaot_rt_ncpus(), aid, pid_map, k;
        size_t pcsize = 8 * ncpus;
        struct bpfaot_map *arr, *pc;
        uint64_t v, *pcval = calloc(ncpus, 8);
        pid_t pid;

        CHECK(pcval);
        CHECK_EQ(bpfaot_shm__create_map(shm, &array_def, &aid), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &percpu_def, &pid_map), 0);
        CHECK_EQ(bpfaot_shm__map(shm, aid, &arr), 0);
        CHECK_EQ(bpfaot_shm__map(shm, pid_map, &pc), 0);
        k = 3;
        v = 42;
        CHECK_EQ(bpfaot_map__update_elem(arr, &k, &v, BPF_ANY), 0);

        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct bpfaot_shm *cs = seg_open(name);
                struct bpfaot_map *ca, *cp;
                uint64_t *vals = calloc(ncpus, 8);

                CHECK(vals);
                CHECK_EQ(bpfaot_shm__map(cs, aid, &ca), 0);
                CHECK_EQ(bpfaot_shm__map(cs, pid_map, &cp), 0);
                CHECK_EQ(bpfaot_map__value_copy_size(cp), pcsize);
                k = 3;
                CHECK_EQ(bpfaot_map__lookup_copy(ca, &k, &v), 0);
                CHECK_EQ(v, 42); /* the parent's value */
                for (k = 0; k < 16; k++) {
                        v = 1000 + k * 7;
                        CHECK_EQ(bpfaot_map__update_elem(ca, &k, &v, BPF_ANY), 0);
                }
                for (uint32_t c = 0; c < ncpus; c++)
                        vals[c] = 0x100 + c; /* the low 4 bytes are the value */
                k = 2;
                CHECK_EQ(bpfaot_map__update_copy(cp, &k, vals, BPF_ANY), 0);
                free(vals);
                bpfaot_map__free(ca);
                bpfaot_map__free(cp);
                bpfaot_shm__close(cs);
                _exit(0);
        }
        expect_child_ok(pid);
        for (k = 0; k < 16; k++) {
                CHECK_EQ(bpfaot_map__lookup_copy(arr, &k, &v), 0);
                CHECK_EQ(v, 1000 + k * 7);
        }
        k = 2;
        CHECK_EQ(bpfaot_map__lookup_copy(pc, &k, pcval), 0);
        for (uint32_t c = 0; c < ncpus; c++) {
                CHECK_EQ(pcval[c] & 0xffffffff, 0x100 + c);
                CHECK_EQ(*(uint32_t *)bpfaot_map__lookup_percpu_elem(pc, &k, c), 0x100 + c);
        }
        k = 1;
        CHECK_EQ(bpfaot_map__lookup_copy(pc, &k, pcval), 0);
        for (uint32_t c = 0; c < ncpus; c++)
                CHECK_EQ(pcval[c], 0);
        free(pcval);
        bpfaot_map__free(arr);
        bpfaot_map__free(pc);
        bpfaot_shm__close(shm);
}

/*
 * Several processes at once: atomic adds through their lookup pointers sum
 * exactly, and the maps each creates get distinct ids and entries.
 */
#define ADDERS     4
#define ADDS       100000
#define CHILD_MAPS 8
static void test_concurrent(void)
{
        const char *name = seg_name("conc");
        struct bpfaot_shm *shm = seg_create(name, 4 << 20);
        struct bpfaot_shm_map_info mi;
        struct bpfaot_shm_info info;
        uint32_t id, k = 5, seen[ADDERS] = {0};
        struct bpfaot_map *arr;
        pid_t pids[ADDERS];
        uint64_t v;

        CHECK_EQ(bpfaot_shm__create_map(shm, &array_def, &id), 0);
        for (int i = 0; i < ADDERS; i++) {
                pids[i] = fork();
                CHECK(pids[i] >= 0);
                if (pids[i] == 0) {
                        struct bpfaot_shm *cs = seg_open(name);
                        struct bpfaot_map_def def = array_def;
                        struct bpfaot_map *ca;
                        uint64_t *p;
                        char mname[16];
                        uint32_t cid;

                        CHECK_EQ(bpfaot_shm__map(cs, id, &ca), 0);
                        p = bpfaot_map__lookup_elem(ca, &k);
                        CHECK(p);
                        for (int n = 0; n < ADDS; n++) {
                                __atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
                                if (n % (ADDS / CHILD_MAPS) == 0) {
                                        snprintf(mname, sizeof(mname), "c%d_%d", i, n);
                                        def.name = mname;
                                        def.max_entries = 1 + (uint32_t)i;
                                        CHECK_EQ(bpfaot_shm__create_map(cs, &def, &cid), 0);
                                }
                        }
                        bpfaot_map__free(ca);
                        bpfaot_shm__close(cs);
                        _exit(0);
                }
        }
        for (int i = 0; i < ADDERS; i++)
                expect_child_ok(pids[i]);
        CHECK_EQ(bpfaot_shm__map(shm, id, &arr), 0);
        CHECK_EQ(bpfaot_map__lookup_copy(arr, &k, &v), 0);
        CHECK_EQ(v, (uint64_t)ADDERS * ADDS);
        bpfaot_map__free(arr);

        CHECK_EQ(bpfaot_shm__info(shm, &info), 0);
        CHECK_EQ(info.map_cnt, 1 + ADDERS * CHILD_MAPS);
        for (id = 2; id <= info.map_cnt; id++) {
                int child = -1;

                CHECK_EQ(bpfaot_shm__map_info(shm, id, &mi), 0);
                CHECK_EQ(mi.id, id);
                CHECK_EQ(sscanf(mi.name, "c%d_", &child), 1);
                CHECK(child >= 0 && child < ADDERS);
                CHECK_EQ(mi.max_entries, 1 + child); /* the entry is the creator's own */
                seen[child]++;
                CHECK_EQ(bpfaot_shm__map(shm, id, &arr), 0);
                bpfaot_map__free(arr);
        }
        for (int i = 0; i < ADDERS; i++)
                CHECK_EQ(seen[i], CHILD_MAPS);
        bpfaot_shm__close(shm);
}

/* Processes creating one segment at once: one makes it, all use it. */
#define CREATORS 6
static void test_create_race(void)
{
        const char *name = seg_name("race");
        struct bpfaot_shm_map_info mi;
        struct bpfaot_shm_info info;
        struct bpfaot_shm *shm;
        uint32_t seen = 0;
        pid_t pids[CREATORS];
        int go[2];
        char c;

        CHECK_EQ(pipe(go), 0);
        for (int i = 0; i < CREATORS; i++) {
                pids[i] = fork();
                CHECK(pids[i] >= 0);
                if (pids[i] == 0) {
                        struct bpfaot_map_def def = array_def;
                        struct bpfaot_shm *cs;
                        uint32_t id;

                        close(go[1]);
                        CHECK_EQ(read(go[0], &c, 1), 0); /* all start when the parent closes it */
                        cs = seg_create(name, 1 << 20);
                        def.max_entries = 1 + (uint32_t)i;
                        CHECK_EQ(bpfaot_shm__create_map(cs, &def, &id), 0);
                        bpfaot_shm__close(cs);
                        _exit(0);
                }
        }
        close(go[0]);
        close(go[1]);
        for (int i = 0; i < CREATORS; i++)
                expect_child_ok(pids[i]);
        shm = seg_open(name);
        CHECK_EQ(bpfaot_shm__info(shm, &info), 0);
        CHECK_EQ(info.map_cnt, CREATORS);
        for (uint32_t id = 1; id <= CREATORS; id++) {
                CHECK_EQ(bpfaot_shm__map_info(shm, id, &mi), 0);
                CHECK(mi.max_entries >= 1 && mi.max_entries <= CREATORS);
                seen |= 1u << (mi.max_entries - 1);
        }
        CHECK_EQ(seen, (1u << CREATORS) - 1);
        bpfaot_shm__close(shm);
}

/* A child that maps the segment elsewhere reads and writes the same values. */
static void test_other_address(void)
{
        const char *name = seg_name("addr");
        struct bpfaot_shm *shm = seg_create(name, 1 << 20);
        uintptr_t child_ptr = 0;
        struct bpfaot_map *arr;
        uint32_t id, k = 7;
        uint64_t *p;
        int fds[2];
        pid_t pid;

        CHECK_EQ(bpfaot_shm__create_map(shm, &array_def, &id), 0);
        CHECK_EQ(bpfaot_shm__map(shm, id, &arr), 0);
        p = bpfaot_map__lookup_elem(arr, &k);
        CHECK(p);
        *p = 0x1234;
        CHECK_EQ(pipe(fds), 0);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                /* Take the address space's next free room first, so the segment goes elsewhere. */
                void *extra = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                struct bpfaot_shm *cs;
                struct bpfaot_map *ca;
                uint64_t *cp;

                CHECK(extra != MAP_FAILED);
                cs = seg_open(name);
                CHECK_EQ(bpfaot_shm__map(cs, id, &ca), 0);
                cp = bpfaot_map__lookup_elem(ca, &k);
                CHECK(cp);
                CHECK_EQ(*cp, 0x1234);
                *cp = 0x5678;
                child_ptr = (uintptr_t)cp;
                CHECK_EQ(write(fds[1], &child_ptr, sizeof(child_ptr)), sizeof(child_ptr));
                bpfaot_map__free(ca);
                bpfaot_shm__close(cs);
                _exit(0);
        }
        close(fds[1]);
        expect_child_ok(pid);
        CHECK_EQ(read(fds[0], &child_ptr, sizeof(child_ptr)), sizeof(child_ptr));
        close(fds[0]);
        CHECK(child_ptr != 0 && child_ptr != (uintptr_t)p);
        CHECK_EQ(*p, 0x5678);
        bpfaot_map__free(arr);
        bpfaot_shm__close(shm);
}

/*
 * mmap() of an mmapable array (a skeleton's global data): the values at the
 * start of whole pages of their own, shared with the map's handles and with
 * other processes; the kernel's refusals.
 */
static void test_mmap_map(void)
{
        const char *name = seg_name("mmap");
        struct bpfaot_shm *shm = seg_create(name, 1 << 20);
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        struct bpfaot_map_def small = {
            .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 12, .max_entries = 3};
        struct bpfaot_map_def data = small, ro = small, hash = {.type = BPF_MAP_TYPE_HASH};
        struct bpfaot_shm_mmap req = {NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, 0};
        uint32_t small_id, data_id, after_id, ro_id, hash_id, k = 2;
        struct bpfaot_map *m, *after;
        uint32_t *vals, *v;
        void *p;
        pid_t pid;

        data.map_flags = BPF_F_MMAPABLE;
        ro.map_flags = BPF_F_MMAPABLE | BPF_F_RDONLY_PROG;
        hash.key_size = 4;
        hash.value_size = 4;
        hash.max_entries = 4;
        /* A block before and after, so that the mmapable one is not where the allocator is. */
        CHECK_EQ(bpfaot_shm__create_map(shm, &small, &small_id), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &data, &data_id), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &small, &after_id), 0);
        CHECK_EQ(bpfaot_shm__mmap_map(shm, data_id, &req, &p), 0);
        vals = p;
        /* Element 2 at round_up(12, 8) * 2 bytes, as the kernel lays out an mmapable array. */
        vals[8] = 0xabcd;
        CHECK_EQ(bpfaot_shm__map(shm, data_id, &m), 0);
        v = bpfaot_map__lookup_elem(m, &k);
        CHECK(v && *v == 0xabcd);
        *v = 0x1234;
        CHECK_EQ(vals[8], 0x1234);
        /* The rest of the page is the map's: writing it touches no other map. */
        memset((char *)p + 3 * 16, 0x5a, page - 3 * 16);
        CHECK_EQ(bpfaot_shm__map(shm, after_id, &after), 0);
        for (uint32_t i = 0; i < 3; i++)
                CHECK_EQ(((uint32_t *)bpfaot_map__lookup_elem(after, &i))[0], 0);
        bpfaot_map__free(after);
        /* Another process maps the segment elsewhere and sees the same values. */
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct bpfaot_shm *cs = seg_open(name);
                void *cp;

                CHECK_EQ(bpfaot_shm__mmap_map(cs, data_id, &req, &cp), 0);
                CHECK_EQ(((uint32_t *)cp)[8], 0x1234);
                ((uint32_t *)cp)[0] = 77;
                munmap(cp, page);
                bpfaot_shm__close(cs);
                _exit(0);
        }
        expect_child_ok(pid);
        k = 0;
        CHECK_EQ(*(uint32_t *)bpfaot_map__lookup_elem(m, &k), 77);
        bpfaot_map__free(m);
        munmap(p, page);

        /* The kernel's refusals, each with its errno; nothing is mapped. */
        CHECK_EQ(bpfaot_shm__create_map(shm, &ro, &ro_id), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &hash, &hash_id), 0);
        CHECK_EQ(bpfaot_shm__mmap_map(shm, hash_id, &req, &p), -524);
        CHECK(p == MAP_FAILED);
        CHECK_EQ(bpfaot_shm__mmap_map(shm, small_id, &req, &p), -EINVAL);
        CHECK_EQ(bpfaot_shm__mmap_map(shm, 999, &req, &p), -ENOENT);
        CHECK_EQ(bpfaot_shm__mmap_map(shm, ro_id, &req, &p), -EACCES);
        req.flags = MAP_PRIVATE;
        CHECK_EQ(bpfaot_shm__mmap_map(shm, data_id, &req, &p), -EINVAL);
        req.flags = MAP_SHARED;
        req.len = 2 * page;
        CHECK_EQ(bpfaot_shm__mmap_map(shm, data_id, &req, &p), -EINVAL);
        req.len = page;
        req.offset = 8;
        CHECK_EQ(bpfaot_shm__mmap_map(shm, data_id, &req, &p), -EINVAL);
        req.offset = (off_t)page;
        CHECK_EQ(bpfaot_shm__mmap_map(shm, data_id, &req, &p), -EINVAL);
        req.offset = 0;
        req.prot = PROT_READ;
        CHECK_EQ(bpfaot_shm__mmap_map(shm, ro_id, &req, &p), 0);
        munmap(p, page);
        CHECK_EQ(bpfaot_shm__freeze_map(shm, data_id), 0);
        CHECK_EQ(bpfaot_shm__mmap_map(shm, data_id, &req, &p), 0);
        munmap(p, page);
        req.prot = PROT_READ | PROT_WRITE;
        CHECK_EQ(bpfaot_shm__mmap_map(shm, data_id, &req, &p), -EPERM);
        bpfaot_shm__close(shm);
}

/* A child that dies holding the segment's lock (killed, or exiting) wedges nobody. */
static void test_dead_holder(void)
{
        const char *name = seg_name("dead");
        struct bpfaot_shm *shm = seg_create(name, 1 << 20);
        struct bpfaot_shm_info info;
        uint32_t id;

        for (int how = 0; how < 2; how++) {
                pid_t pid = fork();
                int status;

                CHECK(pid >= 0);
                if (pid == 0) {
                        struct bpfaot_shm *cs = seg_open(name);

                        CHECK_EQ(bpfaot__shm_lock(cs), 0);
                        if (how == 0)
                                kill(getpid(), SIGKILL);
                        _exit(0);
                }
                status = wait_child(pid);
                CHECK(how == 0 ? WIFSIGNALED(status) : WIFEXITED(status));
                alarm(20); /* a wedged lock ends the test instead of hanging it */
                CHECK_EQ(bpfaot_shm__create_map(shm, &array_def, &id), 0);
                CHECK_EQ(id, 1 + 2 * (uint32_t)how);
                CHECK_EQ(bpfaot_shm__create_map(shm, &array_def, &id), 0);
                CHECK_EQ(id, 2 + 2 * (uint32_t)how);
                alarm(0);
        }
        CHECK_EQ(bpfaot_shm__info(shm, &info), 0);
        CHECK_EQ(info.map_cnt, 4);
        bpfaot_shm__close(shm);
}

/* A file of the segment's name holding `data` (NULL: nothing, as a creator that died early). */
static void plant_file(const char *name, const void *data, size_t len)
{
        char full[80];
        int fd;

        snprintf(full, sizeof(full), "/%s", name);
        fd = shm_open(full, O_RDWR | O_CREAT | O_EXCL, 0600);
        CHECK(fd >= 0);
        if (data)
                CHECK_EQ(write(fd, data, len), (long long)len);
        close(fd);
}

static void expect_open_error(const char *name, bool create, int code, const char *reason)
{
        struct bpfaot_error error = {0};
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .create = create, .error = &error};
        struct bpfaot_shm *shm = (void *)1;
        char want[BPFAOT_ERROR_MAX];

        CHECK_EQ(bpfaot_shm__open(name, &opts, &shm), code);
        CHECK(shm == NULL);
        CHECK_EQ(error.code, code);
        snprintf(want, sizeof(want), "/%s: %s", name, reason);
        if (strcmp(error.msg, want) != 0) {
                fprintf(stderr, "message '%s', expected '%s'\n", error.msg, want);
                exit(1);
        }
}

/* Files that are not segments of this version, and removal. */
static void test_not_segments(void)
{
        const char *garbage = seg_name("garbage"), *empty = seg_name("empty");
        const char *old = seg_name("version"), *gone = seg_name("gone");
        static const char text[] = "this is not a bpf-aot segment";
        uint32_t other_version = BPFAOT_SHM_VERSION + 1;
        char full[80], why[128];
        struct bpfaot_shm *shm;
        int fd;

        plant_file(garbage, text, sizeof(text));
        expect_open_error(garbage, false, -EPROTO, "not a bpf-aot shared-memory segment");
        expect_open_error(garbage, true, -EPROTO, "not a bpf-aot shared-memory segment");

        plant_file(empty, NULL, 0);
        expect_open_error(empty, false, -EPROTO,
                          "not initialised after 2 s (its creator may have died; remove it)");

        shm = seg_create(old, 1 << 20);
        bpfaot_shm__close(shm);
        snprintf(full, sizeof(full), "/%s", old);
        fd = shm_open(full, O_RDWR, 0);
        CHECK(fd >= 0);
        CHECK_EQ(pwrite(fd, &other_version, sizeof(other_version),
                        offsetof(struct bpfaot_shm_prefix, version)),
                 sizeof(other_version));
        close(fd);
        snprintf(why, sizeof(why), "layout version %u; this bpf-aot reads version %u",
                 other_version, BPFAOT_SHM_VERSION);
        expect_open_error(old, false, -EPROTO, why);
        /* Another version can still be removed. */
        CHECK_EQ(bpfaot_shm__remove(old), 0);
        expect_open_error(old, false, -ENOENT, "no such segment");

        /* A segment whose file was resized: its header no longer describes it. */
        shm = seg_create(old, 1 << 20);
        bpfaot_shm__close(shm);
        fd = shm_open(full, O_RDWR, 0);
        CHECK(fd >= 0);
        CHECK_EQ(ftruncate(fd, 2 << 20), 0);
        expect_open_error(old, false, -EPROTO, "its header does not describe it");
        CHECK_EQ(ftruncate(fd, 4096), 0);
        expect_open_error(old, false, -EPROTO, "4096 bytes, too small for its header");
        close(fd);
        CHECK_EQ(bpfaot_shm__remove(old), 0);

        shm = seg_create(gone, 1 << 20);
        CHECK_EQ(bpfaot_shm__remove(gone), 0);
        CHECK_EQ(bpfaot_shm__remove(gone), -ENOENT);
        expect_open_error(gone, false, -ENOENT, "no such segment");
        bpfaot_shm__close(shm); /* still mapped here after the removal */
}

/* Definitions refused, and full segments: neither takes any room. */
static void test_refused_and_full(void)
{
        const char *name = seg_name("full"), *table = seg_name("table");
        /* Every family of the runtime lives in a segment: a type it lacks is refused. */
        struct bpfaot_map_def unshared = {
            .type = BPF_MAP_TYPE_SOCKMAP, .key_size = 4, .value_size = 4, .max_entries = 8};
        struct bpfaot_map_def bad = array_def, big = array_def, small = array_def;
        static const char init[200] = {1};
        struct bpfaot_shm_info before, after;
        struct bpfaot_shm *shm;
        struct bpfaot_map *m;
        uint32_t id, k = 0;
        uint64_t v;

        /* Too small for the header itself. */
        {
                struct bpfaot_error error = {0};
                struct bpfaot_shm_opts opts = {
                    .sz = sizeof(opts), .create = true, .size = 4096, .error = &error};

                CHECK_EQ(bpfaot_shm__open(name, &opts, &shm), -EINVAL);
                CHECK(strstr(error.msg, "size 4096 cannot hold the segment's header ("));
        }
        /* Room for the header and 8 KiB: two 4 KiB arrays. */
        shm = seg_create(name, 1 << 20);
        CHECK_EQ(bpfaot_shm__info(shm, &before), 0);
        bpfaot_shm__close(shm);
        CHECK_EQ(bpfaot_shm__remove(name), 0);
        shm = seg_create(name, before.used + 8192);

        CHECK_EQ(bpfaot_shm__create_map(shm, &unshared, &id), -EOPNOTSUPP);
        bad.key_size = 8;
        CHECK_EQ(bpfaot_shm__create_map(shm, &bad, &id), -EINVAL);
        bad = array_def;
        bad.init_value = init; /* more than 16 values of 8 bytes: refused after the block */
        bad.init_size = sizeof(init);
        CHECK_EQ(bpfaot_shm__create_map(shm, &bad, &id), -EINVAL);
        big.max_entries = 2048; /* 16 KiB */
        CHECK_EQ(bpfaot_shm__create_map(shm, &big, &id), -ENOSPC);
        CHECK_EQ(bpfaot_shm__info(shm, &after), 0);
        CHECK_EQ(after.used, before.used);
        CHECK_EQ(after.map_cnt, 0);

        small.max_entries = 512; /* 4 KiB */
        small.init_value = init;
        small.init_size = 16;
        CHECK_EQ(bpfaot_shm__create_map(shm, &small, &id), 0);
        CHECK_EQ(id, 1);
        small.init_value = NULL;
        CHECK_EQ(bpfaot_shm__create_map(shm, &small, &id), 0);
        CHECK_EQ(id, 2);
        CHECK_EQ(bpfaot_shm__create_map(shm, &small, &id), -ENOSPC);
        CHECK_EQ(bpfaot_shm__info(shm, &after), 0);
        CHECK_EQ(after.used, after.size);
        CHECK_EQ(after.map_cnt, 2);
        /* The init data went in; the refused init's bytes were given back zeroed. */
        CHECK_EQ(bpfaot_shm__map(shm, 1, &m), 0);
        CHECK_EQ(bpfaot_map__lookup_copy(m, &k, &v), 0);
        CHECK_EQ(v, 1);
        k = 1;
        CHECK_EQ(bpfaot_map__lookup_copy(m, &k, &v), 0);
        CHECK_EQ(v, 0);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);

        /* A full table. */
        shm = seg_create(table, 1 << 20);
        small.max_entries = 1;
        for (uint32_t i = 1; i <= BPFAOT_SHM_MAX_MAPS; i++) {
                CHECK_EQ(bpfaot_shm__create_map(shm, &small, &id), 0);
                CHECK_EQ(id, i);
        }
        CHECK_EQ(bpfaot_shm__info(shm, &before), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &small, &id), -ENOSPC);
        CHECK_EQ(bpfaot_shm__info(shm, &after), 0);
        CHECK_EQ(after.used, before.used);
        CHECK_EQ(after.map_cnt, BPFAOT_SHM_MAX_MAPS);
        CHECK_EQ(bpfaot_shm__map(shm, BPFAOT_SHM_MAX_MAPS, &m), 0);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

#define RING         4096u
#define PRODUCERS    4
#define PER_PRODUCER 400

static struct bpfaot_map *ring_handle(struct bpfaot_shm *shm, uint32_t id)
{
        struct bpfaot_map *m;

        CHECK_EQ(bpfaot_shm__map(shm, id, &m), 0);
        return m;
}

/* The segment of the RINGBUF tests (made by test_ringbuf_segment). */
static const char *ring_seg;

static struct bpfaot_shm *ring_seg_open(void)
{
        return seg_open(ring_seg);
}

/* A child that dies with the test: a failed check leaves no producer behind. */
static pid_t ring_fork(void)
{
        pid_t parent = getpid(), pid = fork();

        CHECK(pid >= 0);
        if (pid == 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent))
                _exit(1);
        return pid;
}

static uint32_t ring_create(struct bpfaot_shm *shm, const char *name)
{
        struct bpfaot_map_def def = {
            .name = name, .type = BPF_MAP_TYPE_RINGBUF, .max_entries = RING};
        uint32_t id;

        CHECK_EQ(bpfaot_shm__create_map(shm, &def, &id), 0);
        return id;
}

static double ring_now_s(void)
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
        struct bpfaot_shm *shm = ring_seg_open();
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
static void test_ring_producers(void)
{
        struct bpfaot_shm *shm = ring_seg_open();
        uint32_t id = ring_create(shm, "producers");
        struct bpfaot_map *m = ring_handle(shm, id);
        struct seen s = {0};
        pid_t kids[PRODUCERS];
        double deadline;

        for (uint32_t k = 0; k < PRODUCERS; k++) {
                kids[k] = ring_fork();
                if (kids[k] == 0) {
                        produce(id, k, PER_PRODUCER);
                        _exit(0);
                }
        }
        deadline = ring_now_s() + CHILD_WAIT_S;
        while (s.total < PRODUCERS * PER_PRODUCER && !s.bad && ring_now_s() < deadline)
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
static void test_ring_mapping(void)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE), ro_len = page + 2 * RING;
        struct bpfaot_shm *shm = ring_seg_open();
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

        kid = ring_fork();
        if (kid == 0) {
                produce(id, 0, PER_PRODUCER);
                _exit(0);
        }
        wake = bpfaot_ringbuf__wakeups(m);
        deadline = ring_now_s() + CHILD_WAIT_S;
        while (s.total < PER_PRODUCER && ring_now_s() < deadline) {
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
static void test_ring_wakeup(void)
{
        struct bpfaot_shm *shm = ring_seg_open();
        uint32_t id = ring_create(shm, "wakeup");
        struct bpfaot_map *m = ring_handle(shm, id);
        size_t got = 0;
        uint32_t wake;
        double t0, took;
        pid_t kid;

        for (uint64_t flags = 0; flags <= BPF_RB_NO_WAKEUP; flags += BPF_RB_NO_WAKEUP) {
                kid = ring_fork();
                if (kid == 0) {
                        struct bpfaot_shm *cs = ring_seg_open();
                        struct bpfaot_map *cm = ring_handle(cs, id);
                        char rec[16] = "wake up";

                        nap_ms(300);
                        _exit(bpfaot_ringbuf__output(cm, rec, sizeof(rec), flags) ? 1 : 0);
                }
                got = 0;
                t0 = ring_now_s();
                CHECK_EQ(bpfaot_ringbuf__poll(m, count_record, &got,
                                              flags == BPF_RB_NO_WAKEUP ? 1500 : 10000),
                         1);
                took = ring_now_s() - t0;
                CHECK_EQ(got, 16);
                expect_child_ok(kid);
                if (flags == BPF_RB_NO_WAKEUP)
                        CHECK(took >= 1.4); /* found only when the wait ran out */
                else
                        CHECK(took < 5); /* woken, not at the end of the wait */
        }

        /* The watcher's wait: woken by a forced wakeup, timed out with none. */
        wake = bpfaot_ringbuf__wakeups(m);
        CHECK_EQ(bpfaot_ringbuf__wait_wakeup(m, &wake, 50), -ETIMEDOUT);
        kid = ring_fork();
        if (kid == 0) {
                struct bpfaot_shm *cs = ring_seg_open();
                struct bpfaot_map *cm = ring_handle(cs, id);

                nap_ms(200);
                _exit(bpfaot_ringbuf__output(cm, "x", 1, BPF_RB_FORCE_WAKEUP) ? 1 : 0);
        }
        t0 = ring_now_s();
        CHECK(!bpfaot_ringbuf__ready(m));
        CHECK_EQ(bpfaot_ringbuf__wait_wakeup(m, &wake, 10000), 0);
        CHECK(ring_now_s() - t0 < 5);
        CHECK(bpfaot_ringbuf__ready(m));
        CHECK_EQ(wake, bpfaot_ringbuf__wakeups(m));
        expect_child_ok(kid);
        CHECK_EQ(bpfaot_ringbuf__consume(m, count_record, &got), 1);
        CHECK(!bpfaot_ringbuf__ready(m));
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
}

/* A producer killed holding the producers' lock: the next producer takes it. */
static void test_ring_killed_holder(void)
{
        struct bpfaot_shm *shm = ring_seg_open();
        uint32_t id = ring_create(shm, "killed");
        struct bpfaot_map *m = ring_handle(shm, id);
        size_t got = 0;
        int status;
        pid_t kid;

        kid = ring_fork();
        if (kid == 0) {
                struct bpfaot_shm *cs = ring_seg_open();
                struct bpfaot_map *cm = ring_handle(cs, id);

                /* The producers' lock opens the block (map_ringbuf.c). */
                bpfaot__map_lock((pthread_mutex_t *)cm->block);
                kill(getpid(), SIGKILL);
                _exit(1);
        }
        status = wait_child(kid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        kid = ring_fork();
        if (kid == 0) {
                struct bpfaot_shm *cs = ring_seg_open();
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

/*
 * RINGBUF maps in a segment: records produced by forked processes are
 * consumed, in order and across the ring's end, through another process's
 * handle and through a mapping laid out as the kernel's (consumer page,
 * producer page, data area twice the ring's size) read the way libbpf reads
 * it; a consumer sleeping in one process is woken by a producer in another;
 * a producer killed holding the producers' lock does not wedge the ring.
 */
static void test_ringbuf_segment(void)
{
        struct bpfaot_shm *shm;

        ring_seg = seg_name("ringbuf");
        shm = seg_create(ring_seg, 8 << 20);
        test_ring_producers();
        test_ring_mapping();
        test_ring_wakeup();
        test_ring_killed_holder();
        bpfaot_shm__close(shm);
}

/* An LPM_TRIE key with an IPv6 address. */
struct lpm6_key {
        uint32_t plen;
        uint8_t a[16];
};

/* The value of the longest prefix covering 2001:db8:X::Y (0 if none), through `m`. */
static uint64_t lpm6_match(struct bpfaot_map *m, uint8_t x, uint8_t y)
{
        struct lpm6_key k = {128, {0x20, 0x01, 0x0d, 0xb8, 0, x, [15] = y}};
        uint64_t v = 0;

        return bpfaot_map__lookup_copy(m, &k, &v) == 0 ? v : 0;
}

/*
 * An LPM_TRIE in a named segment: a child opens it by name and adds
 * prefixes, the parent's handle matches them longest first and deletes one,
 * which a second child no longer finds. A segment without room for the
 * trie's nodes refuses it (-ENOSPC) and keeps its room.
 */
static void test_lpm_trie(void)
{
        const char *name = seg_name("lpm"), *small = seg_name("lpm_small");
        struct bpfaot_map_def def = {.name = "routes6",
                                     .type = BPF_MAP_TYPE_LPM_TRIE,
                                     .key_size = sizeof(struct lpm6_key),
                                     .value_size = 8,
                                     .max_entries = 8,
                                     .map_flags = BPF_F_NO_PREALLOC};
        struct bpfaot_shm *shm = seg_create(name, 1 << 20);
        struct lpm6_key k48 = {48, {0x20, 0x01, 0x0d, 0xb8, 0, 1}};
        struct bpfaot_shm_map_info mi;
        struct bpfaot_shm_info before, after;
        struct bpfaot_map *m;
        uint32_t id;
        pid_t pid;

        CHECK_EQ(bpfaot_shm__create_map(shm, &def, &id), 0);
        CHECK_EQ(bpfaot_shm__map_info(shm, id, &mi), 0);
        CHECK_EQ(mi.type, BPF_MAP_TYPE_LPM_TRIE);
        CHECK_EQ(bpfaot_shm__map(shm, id, &m), 0);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct bpfaot_shm *cs = seg_open(name);
                struct lpm6_key add[] = {{32, {0x20, 0x01, 0x0d, 0xb8}}, k48, {0, {0}}};
                struct bpfaot_map *cm;

                CHECK_EQ(bpfaot_shm__map(cs, id, &cm), 0);
                for (uint64_t i = 0; i < 3; i++)
                        CHECK_EQ(
                            bpfaot_map__update_elem(cm, &add[i], &(uint64_t){i + 1}, BPF_NOEXIST),
                            0);
                bpfaot_map__free(cm);
                bpfaot_shm__close(cs);
                _exit(0);
        }
        expect_child_ok(pid);
        CHECK_EQ(lpm6_match(m, 1, 5), 2);
        CHECK_EQ(lpm6_match(m, 2, 5), 1);
        {
                struct lpm6_key other = {128, {0x20, 0x02}};
                uint64_t v = 0;

                CHECK_EQ(bpfaot_map__lookup_copy(m, &other, &v), 0);
                CHECK_EQ(v, 3);
        }
        CHECK_EQ(bpfaot_map__delete_elem(m, &k48), 0);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct bpfaot_shm *cs = seg_open(name);
                struct bpfaot_map *cm;

                CHECK_EQ(bpfaot_shm__map(cs, id, &cm), 0);
                CHECK_EQ(lpm6_match(cm, 1, 5), 1);
                CHECK_EQ(bpfaot_map__delete_elem(cm, &k48), -ENOENT);
                bpfaot_map__free(cm);
                bpfaot_shm__close(cs);
                _exit(0);
        }
        expect_child_ok(pid);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);

        /* 15 nodes of 16 + 16 + 8 bytes do not fit in 512 bytes. */
        shm = seg_create(small, 1 << 20);
        CHECK_EQ(bpfaot_shm__info(shm, &before), 0);
        bpfaot_shm__close(shm);
        CHECK_EQ(bpfaot_shm__remove(small), 0);
        shm = seg_create(small, before.used + 512);
        CHECK_EQ(bpfaot_shm__create_map(shm, &def, &id), -ENOSPC);
        CHECK_EQ(bpfaot_shm__info(shm, &after), 0);
        CHECK_EQ(after.used, before.used);
        CHECK_EQ(after.map_cnt, 0);
        bpfaot_shm__close(shm);
}

int main(void)
{
        test_pid = getpid();
        atexit(remove_made);
        test_open_info();
        test_child_updates();
        test_concurrent();
        test_create_race();
        test_other_address();
        test_mmap_map();
        test_dead_holder();
        test_not_segments();
        test_refused_and_full();
        test_lpm_trie();
        test_ringbuf_segment();
        printf("ok\n");
        return 0;
}
