/* SPDX-License-Identifier: MIT */
/*
 * Programs in a shared-memory segment (bpfaot/shm.h): stored with their
 * maps named by id, read back from another process, withdrawn; maps frozen
 * and withdrawn only once no program loads them. The segment is named after
 * this process and removed at the end.
 */
#define _GNU_SOURCE
#include "check.h"

#include <bpfaot/shm.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* r0 = map `id` (a 64-bit load of src `src`); r0 = 0; exit */
static void prog_with_map(struct bpf_insn insns[4], uint8_t src, int32_t id)
{
        memset(insns, 0, 4 * sizeof(*insns));
        insns[0].code = BPF_LD | BPF_IMM | BPF_DW;
        insns[0].src_reg = src;
        insns[0].imm = id;
        insns[2].code = BPF_ALU64 | BPF_MOV | BPF_K;
        insns[3].code = BPF_JMP | BPF_EXIT;
}

static uint32_t create(struct bpfaot_shm *shm, const char *name, const struct bpf_insn *insns,
                       uint32_t cnt, int expect)
{
        struct bpfaot_shm_prog_def def = {.sz = sizeof(def),
                                          .name = name,
                                          .type = BPF_PROG_TYPE_KPROBE,
                                          .insns = insns,
                                          .insn_cnt = cnt,
                                          .license = "GPL"};
        uint32_t id = 0;

        CHECK_EQ(bpfaot_shm__create_prog(shm, &def, &id), expect);
        return id;
}

static uint32_t count_progs(struct bpfaot_shm *shm)
{
        uint32_t id = 0, n = 0;

        while (bpfaot_shm__next_prog_id(shm, id, &id) == 0)
                n++;
        return n;
}

/* The permissions segment `name` was created with. */
static unsigned int mode_of(const char *name)
{
        char path[128];
        struct stat st;

        snprintf(path, sizeof(path), "/dev/shm/%s", name);
        CHECK_EQ(stat(path, &st), 0);
        return st.st_mode & 0777;
}

/* A created segment's permissions: opts.mode, else $BPFAOT_SHM_MODE, else 0600; never the umask's.
 */
static void check_modes(const char *name)
{
        struct bpfaot_error err = {0};
        struct bpfaot_shm_opts opts = {
            .sz = sizeof(opts), .create = true, .size = 1u << 20, .error = &err};
        struct bpfaot_shm *shm;
        char want[160];
        mode_t old = umask(077);

        unsetenv(BPFAOT_SHM_MODE_ENV);
        const struct {
                unsigned int mode;
                const char *env;
                unsigned int want;
        } cases[] = {{0, NULL, 0600}, {0640, NULL, 0640}, {0, "0660", 0660}, {0604, "0660", 0604}};

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                if (cases[i].env)
                        setenv(BPFAOT_SHM_MODE_ENV, cases[i].env, 1);
                else
                        unsetenv(BPFAOT_SHM_MODE_ENV);
                opts.mode = cases[i].mode;
                CHECK_EQ(bpfaot_shm__open(name, &opts, &shm), 0);
                CHECK_EQ(mode_of(name), cases[i].want);
                bpfaot_shm__close(shm);
                CHECK_EQ(bpfaot_shm__remove(name), 0);
        }
        setenv(BPFAOT_SHM_MODE_ENV, "9x", 1);
        opts.mode = 0;
        CHECK_EQ(bpfaot_shm__open(name, &opts, &shm), -EINVAL);
        snprintf(want, sizeof(want),
                 "/%s: BPFAOT_SHM_MODE=9x is not a permission mode (an octal number such as 0660)",
                 name);
        CHECK(strcmp(err.msg, want) == 0);
        unsetenv(BPFAOT_SHM_MODE_ENV);
        opts.mode = 01777;
        CHECK_EQ(bpfaot_shm__open(name, &opts, &shm), -EINVAL);
        snprintf(want, sizeof(want), "/%s: mode 01777 is not a permission mode", name);
        CHECK(strcmp(err.msg, want) == 0);
        umask(old);
}

int main(void)
{
        char name[64];
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .create = true, .size = 4u << 20};
        struct bpfaot_map_def def = {
            .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 4};
        struct bpfaot_shm_prog_info pi;
        struct bpfaot_shm_map_info mi;
        struct bpfaot_shm_info info;
        const struct bpf_insn *got;
        struct bpf_insn insns[4];
        struct bpfaot_shm *shm;
        uint32_t map, prog, other, cnt;
        int st;
        pid_t pid;

        snprintf(name, sizeof(name), "bpfaot-test-%d-progs", (int)getpid());
        bpfaot_shm__remove(name);
        CHECK_EQ(bpfaot_shm__open(name, &opts, &shm), 0);
        CHECK_EQ(bpfaot_shm__create_map(shm, &def, &map), 0);

        /* Stored as given, with its map named by id; a hash of the instructions. */
        prog_with_map(insns, BPF_PSEUDO_MAP_FD, (int32_t)map);
        prog = create(shm, "uses_map", insns, 4, 0);
        CHECK_EQ(prog, 1);
        CHECK_EQ(bpfaot_shm__prog_info(shm, prog, &pi), 0);
        CHECK(strcmp(pi.name, "uses_map") == 0 && strcmp(pi.license, "GPL") == 0);
        CHECK_EQ(pi.type, BPF_PROG_TYPE_KPROBE);
        CHECK_EQ(pi.insn_cnt, 4);
        CHECK_EQ(bpfaot_shm__prog_insns(shm, prog, &got, &cnt), 0);
        CHECK(cnt == 4 && memcmp(got, insns, sizeof(insns)) == 0);

        /* The same bytes give the same hash, other bytes another. */
        other = create(shm, "same", insns, 4, 0);
        {
                struct bpfaot_shm_prog_info a, b;

                CHECK_EQ(bpfaot_shm__prog_info(shm, prog, &a), 0);
                CHECK_EQ(bpfaot_shm__prog_info(shm, other, &b), 0);
                CHECK(a.bytecode_hash == b.bytecode_hash);
                insns[2].imm = 1;
                other = create(shm, "differs", insns, 4, 0);
                CHECK_EQ(bpfaot_shm__prog_info(shm, other, &b), 0);
                CHECK(a.bytecode_hash != b.bytecode_hash);
                insns[2].imm = 0;
        }
        CHECK_EQ(count_progs(shm), 3);

        /* Native code: only with the program's own fingerprint; replaced by a later call. */
        {
                static const char code1[] = "first native code", code2[] = "second, longer code";
                struct bpfaot_shm_prog_info a;
                const void *obj;
                size_t size;

                CHECK_EQ(bpfaot_shm__prog_info(shm, prog, &a), 0);
                CHECK_EQ(a.code_size, 0);
                CHECK_EQ(bpfaot_shm__prog_code(shm, prog, &obj, &size), -ENOENT);
                CHECK_EQ(
                    bpfaot_shm__set_prog_code(shm, prog, code1, sizeof(code1), a.bytecode_hash + 1),
                    -EINVAL);
                CHECK_EQ(
                    bpfaot_shm__set_prog_code(shm, prog, code1, sizeof(code1), a.bytecode_hash), 0);
                CHECK_EQ(bpfaot_shm__prog_code(shm, prog, &obj, &size), 0);
                CHECK(size == sizeof(code1) && memcmp(obj, code1, size) == 0);
                CHECK_EQ(
                    bpfaot_shm__set_prog_code(shm, prog, code2, sizeof(code2), a.bytecode_hash), 0);
                CHECK_EQ(bpfaot_shm__prog_code(shm, prog, &obj, &size), 0);
                CHECK(size == sizeof(code2) && memcmp(obj, code2, size) == 0);
                CHECK_EQ(bpfaot_shm__prog_info(shm, prog, &a), 0);
                CHECK_EQ(a.code_size, sizeof(code2));
                CHECK_EQ(bpfaot_shm__set_prog_code(shm, 99, code1, sizeof(code1), 0), -ENOENT);
        }

        /* Another process reads the program where the segment holds it. */
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct bpfaot_shm *s2;

                CHECK_EQ(bpfaot_shm__open(name, NULL, &s2), 0);
                CHECK_EQ(bpfaot_shm__prog_insns(s2, prog, &got, &cnt), 0);
                CHECK(cnt == 4 && got[0].imm == (int32_t)map);
                bpfaot_shm__close(s2);
                _exit(0);
        }
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);

        /* Attach requests: of a program the segment has; it then stays until they go. */
        {
                char longpath[BPFAOT_SHM_TARGET_LEN + 1];
                struct bpfaot_shm_attach_def ad = {.sz = sizeof(ad),
                                                   .prog_id = prog,
                                                   .kind = BPFAOT_SHM_URETPROBE,
                                                   .target = "/usr/bin/true",
                                                   .offset = 0x1234,
                                                   .pid = 42};
                struct bpfaot_shm_attach_info ai;
                uint32_t aid, next;

                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &aid), 0);
                CHECK_EQ(bpfaot_shm__attach_info(shm, aid, &ai), 0);
                CHECK(ai.prog_id == prog && ai.kind == BPFAOT_SHM_URETPROBE &&
                      ai.offset == 0x1234 && ai.pid == 42 &&
                      strcmp(ai.target, "/usr/bin/true") == 0);
                CHECK_EQ(bpfaot_shm__release_prog(shm, prog), -EBUSY);
                memset(longpath, 'a', sizeof(longpath) - 1);
                longpath[sizeof(longpath) - 1] = '\0';
                ad.target = longpath;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -ENAMETOOLONG);
                ad.target = "/bin/x";
                ad.prog_id = 77;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -ENOENT);
                ad.prog_id = prog;
                ad.kind = 99;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -EINVAL);
                CHECK_EQ(bpfaot_shm__release_attach(shm, aid), 0);
                CHECK_EQ(bpfaot_shm__next_attach_id(shm, 0, &next), -ENOENT);
                CHECK_EQ(bpfaot_shm__attach_info(shm, aid, &ai), -ENOENT);
        }

        /* Tracepoints: "category/name", no offset; PROG_ATTACH's fields refused for them. */
        {
                char longname[BPFAOT_SHM_TARGET_LEN + 1];
                struct bpfaot_shm_attach_def ad = {.sz = sizeof(ad),
                                                   .prog_id = prog,
                                                   .kind = BPFAOT_SHM_TRACEPOINT,
                                                   .target = "syscalls/sys_enter_openat",
                                                   .pid = -1};
                struct bpfaot_shm_attach_info ai;
                uint32_t aid, next;

                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &aid), 0);
                CHECK_EQ(bpfaot_shm__attach_info(shm, aid, &ai), 0);
                CHECK(ai.id == aid && ai.prog_id == prog && ai.kind == BPFAOT_SHM_TRACEPOINT &&
                      ai.offset == 0 && ai.pid == -1 && ai.attach_type == 0 &&
                      ai.target_map_id == 0 && strcmp(ai.target, "syscalls/sys_enter_openat") == 0);
                CHECK_EQ(bpfaot_shm__release_prog(shm, prog), -EBUSY);
                memset(longname, 'a', sizeof(longname) - 1);
                longname[sizeof(longname) - 1] = '\0';
                longname[5] = '/';
                ad.target = longname;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -ENAMETOOLONG);
                static const char *const bad[] = {"sched", "/sched_switch", "sched/", "a/b/c", ""};
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        ad.target = bad[i];
                        CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -EINVAL);
                }
                ad.target = "sched/sched_switch";
                ad.offset = 8;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -EINVAL);
                ad.offset = 0;
                ad.attach_type = BPF_CGROUP_INET_EGRESS;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -EINVAL);
                ad.attach_type = 0;
                ad.target_map_id = map;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -EINVAL);
                CHECK_EQ(bpfaot_shm__release_attach(shm, aid), 0);
                CHECK_EQ(bpfaot_shm__release_attach(shm, aid), -ENOENT);
                CHECK_EQ(bpfaot_shm__attach_info(shm, aid, &ai), -ENOENT);
        }

        /*
         * PROG_ATTACH: at a map of the segment (named once, by id: the
         * target reads "map <id>") or at a file; attach type and flags kept;
         * a map stays while a request targets it.
         */
        {
                char longpath[BPFAOT_SHM_TARGET_LEN + 1], want[32];
                struct bpfaot_shm_attach_def ad = {.sz = sizeof(ad),
                                                   .prog_id = prog,
                                                   .kind = BPFAOT_SHM_PROG_ATTACH,
                                                   .pid = -1,
                                                   .attach_type = BPF_SK_SKB_STREAM_VERDICT,
                                                   .target_map_id = map};
                struct bpfaot_shm_attach_info ai;
                uint32_t at_map, at_cg, next, tmap;

                /* A map no program loads, as a sockmap a verdict program is attached to. */
                CHECK_EQ(bpfaot_shm__create_map(shm, &def, &tmap), 0);
                ad.target_map_id = tmap;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &at_map), 0);
                CHECK_EQ(bpfaot_shm__attach_info(shm, at_map, &ai), 0);
                snprintf(want, sizeof(want), "map %u", tmap);
                CHECK(ai.kind == BPFAOT_SHM_PROG_ATTACH && ai.prog_id == prog &&
                      ai.attach_type == BPF_SK_SKB_STREAM_VERDICT && ai.attach_flags == 0 &&
                      ai.target_map_id == tmap && ai.offset == 0 && strcmp(ai.target, want) == 0);
                ad.target_map_id = 0;
                ad.target = "/sys/fs/cgroup/app";
                ad.attach_type = BPF_CGROUP_INET_INGRESS;
                ad.attach_flags = BPF_F_ALLOW_MULTI;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &at_cg), 0);
                CHECK_EQ(bpfaot_shm__attach_info(shm, at_cg, &ai), 0);
                CHECK(ai.attach_type == BPF_CGROUP_INET_INGRESS &&
                      ai.attach_flags == BPF_F_ALLOW_MULTI && ai.target_map_id == 0 &&
                      strcmp(ai.target, "/sys/fs/cgroup/app") == 0);
                /* Bad: the map named twice, a map that is not there, no target, an offset. */
                ad.target_map_id = tmap;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -EINVAL);
                ad.target = NULL;
                ad.target_map_id = 99;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -ENOENT);
                ad.target_map_id = 0;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -EINVAL);
                ad.target = "/sys/fs/cgroup/app";
                ad.offset = 1;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -EINVAL);
                ad.offset = 0;
                memset(longpath, 'p', sizeof(longpath) - 1);
                longpath[sizeof(longpath) - 1] = '\0';
                ad.target = longpath;
                CHECK_EQ(bpfaot_shm__create_attach(shm, &ad, &next), -ENAMETOOLONG);
                /*
                 * A def of the fields before PROG_ATTACH's (an older caller's, whose sizeof
                 * reaches into attach_type): they read as 0.
                 */
                {
                        struct bpfaot_shm_attach_def old = {
                            .sz = offsetof(struct bpfaot_shm_attach_def, attach_type) + 4,
                            .prog_id = prog,
                            .kind = BPFAOT_SHM_UPROBE,
                            .target = "/bin/app",
                            .offset = 0x40,
                            .pid = -1,
                            .attach_type = 7, /* the old struct's padding: not read */
                            .target_map_id = 99};

                        CHECK_EQ(bpfaot_shm__create_attach(shm, &old, &next), 0);
                        CHECK_EQ(bpfaot_shm__attach_info(shm, next, &ai), 0);
                        CHECK(ai.kind == BPFAOT_SHM_UPROBE && ai.offset == 0x40 &&
                              ai.attach_type == 0 && ai.target_map_id == 0);
                        CHECK_EQ(bpfaot_shm__release_attach(shm, next), 0);
                        old.sz = offsetof(struct bpfaot_shm_attach_def, pid);
                        CHECK_EQ(bpfaot_shm__create_attach(shm, &old, &next), -EINVAL);
                }
                CHECK_EQ(bpfaot_shm__release_map(shm, tmap), -EBUSY);
                CHECK_EQ(bpfaot_shm__release_attach(shm, at_map), 0);
                CHECK_EQ(bpfaot_shm__release_map(shm, tmap), 0);
                CHECK_EQ(bpfaot_shm__release_attach(shm, at_cg), 0);
                CHECK_EQ(bpfaot_shm__next_attach_id(shm, 0, &next), -ENOENT);
        }

        /* A map id the segment does not have, by either form of load; bad definitions. */
        prog_with_map(insns, BPF_PSEUDO_MAP_VALUE, 99);
        create(shm, "bad", insns, 4, -EINVAL);
        prog_with_map(insns, BPF_PSEUDO_MAP_FD, 0);
        create(shm, "bad", insns, 4, -EINVAL);
        create(shm, "empty", insns, 0, -EINVAL);
        CHECK_EQ(bpfaot_shm__create_prog(shm, NULL, &cnt), -EINVAL);

        /* A map is withdrawn only once no program loads it. */
        CHECK_EQ(bpfaot_shm__release_map(shm, map), -EBUSY);
        CHECK_EQ(bpfaot_shm__release_prog(shm, 2), 0);
        CHECK_EQ(bpfaot_shm__release_prog(shm, 2), -ENOENT);
        CHECK_EQ(bpfaot_shm__release_map(shm, map), -EBUSY);
        CHECK_EQ(bpfaot_shm__release_prog(shm, prog), 0);
        CHECK_EQ(bpfaot_shm__release_prog(shm, 3), 0);
        CHECK_EQ(count_progs(shm), 0);
        CHECK_EQ(bpfaot_shm__prog_info(shm, prog, &pi), -ENOENT);

        /* Frozen: a fact every process sees. */
        CHECK_EQ(bpfaot_shm__map_info(shm, map, &mi), 0);
        CHECK(!mi.frozen);
        CHECK_EQ(bpfaot_shm__freeze_map(shm, map), 0);
        CHECK_EQ(bpfaot_shm__map_info(shm, map, &mi), 0);
        CHECK(mi.frozen);
        CHECK_EQ(bpfaot_shm__freeze_map(shm, 77), -ENOENT);

        CHECK_EQ(bpfaot_shm__release_map(shm, map), 0);
        CHECK_EQ(bpfaot_shm__map_info(shm, map, &mi), -ENOENT);
        CHECK_EQ(bpfaot_shm__next_map_id(shm, 0, &cnt), -ENOENT);
        CHECK_EQ(bpfaot_shm__info(shm, &info), 0);
        CHECK(info.map_cnt == 0 && info.prog_cnt == 0);

        /* The table holds BPFAOT_SHM_MAX_PROGS programs; the next is -ENOSPC. */
        memset(insns, 0, sizeof(insns));
        insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
        insns[1].code = BPF_JMP | BPF_EXIT;
        for (uint32_t i = 3; i < BPFAOT_SHM_MAX_PROGS; i++)
                create(shm, "fill", insns, 2, 0);
        create(shm, "one_too_many", insns, 2, -ENOSPC);

        bpfaot_shm__close(shm);
        CHECK_EQ(bpfaot_shm__remove(name), 0);
        check_modes(name);
        printf("shm_progs: ok\n");
        return 0;
}
