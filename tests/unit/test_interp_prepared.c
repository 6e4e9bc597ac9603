/* SPDX-License-Identifier: MIT */
/*
 * The interpreter validated once, run many times (bpfaot_interp__open/run),
 * and its 64-bit loads of maps by the host's id (map_by_fd, map_value), as
 * the agent runs a segment's programs: results, the value offset, what the
 * program may reach (mem_ok), an unknown map's message, a program refused
 * at open, and runs from several threads at once. Callbacks (a function's
 * address handed to a helper, as bpf_loop's): run in the run's frames, a
 * recursion through them ends in a located error.
 */
#include "test_util.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* A "map": its id and a value of 4 u64 that map_value hands out. */
struct fake_map {
        uint32_t id;
        uint64_t value[4];
};
static struct fake_map maps[2] = {{.id = 7, .value = {0, 5, 6, 0}}, {.id = 9}};

static uint64_t map_by_fd(void *ctx, uint32_t imm)
{
        for (int i = 0; i < 2; i++)
                if (ctx == (void *)maps && maps[i].id == imm) /* another ctx: no map */
                        return (uint64_t)(uintptr_t)&maps[i];
        return 0;
}

static uint64_t map_value(void *ctx, uint64_t map)
{
        (void)ctx;
        return (uint64_t)(uintptr_t)((struct fake_map *)(uintptr_t)map)->value;
}

static bool mem_ok(void *ctx, uintptr_t addr, size_t size)
{
        (void)ctx;
        for (int i = 0; i < 2; i++)
                if (addr >= (uintptr_t)maps[i].value &&
                    addr + size <= (uintptr_t)maps[i].value + sizeof(maps[i].value))
                        return true;
        return false;
}

static struct bpfaot_interp *open_text(const char *name, const char *text, bool with_maps,
                                       struct bpfaot_insn **insns, struct bpfaot_prog *prog,
                                       struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, o, .map_by_fd = with_maps ? map_by_fd : NULL,
                         .map_value = with_maps ? map_value : NULL, .map_ctx = maps,
                         .mem_ok = mem_ok);
        struct bpfaot_interp *ip = NULL;
        size_t cnt;

        if (bpfaot_assemble(text, name, insns, &cnt, err)) {
                CHECKF(false, "%s: %s", name, err->msg);
                return NULL;
        }
        *prog = (struct bpfaot_prog){.input = name, .name = name, .insns = *insns, .insn_cnt = cnt};
        if (bpfaot_interp__open(prog, &o, &ip, err))
                return NULL;
        return ip;
}

/* r0 = ctx[0] + value[1] + value[2] of map 7 (through map_val at offset 8 and the map itself). */
static const char *sum_text = "ldxdw %r6, [%r1]\n"
                              "lddw %r2, map_val 7, 8\n"
                              "ldxdw %r3, [%r2]\n"
                              "add %r6, %r3\n"
                              "lddw %r2, map_fd 7\n"
                              "ldxdw %r3, [%r2+8]\n" /* struct fake_map: value at offset 8 */
                              "add %r6, %r3\n"
                              "ldxdw %r3, [%r2+24]\n"
                              "add %r6, %r3\n"
                              "mov %r0, %r6\n"
                              "exit\n";

struct thread_arg {
        struct bpfaot_interp *ip;
        int bad;
};

static void *runner(void *p)
{
        struct thread_arg *a = p;

        for (uint64_t i = 0; i < 20000; i++) {
                uint64_t ctx = i, r0 = 0;

                if (bpfaot_interp__run(a->ip, &ctx, sizeof(ctx), &r0, NULL) || r0 != i + 5 + 6 + 6)
                        a->bad++;
        }
        return NULL;
}

/* bpf_loop as the runtime has it: cb(i, ctx) for i < n, a nonzero result stops. */
static uint64_t loop_helper(uint64_t n, uint64_t fn, uint64_t ctx, uint64_t flags, uint64_t e)
{
        uint64_t (*cb)(uint64_t, uint64_t) = (uint64_t(*)(uint64_t, uint64_t))(uintptr_t)fn;
        uint64_t i;

        (void)flags, (void)e;
        for (i = 0; i < n; i++)
                if (cb(i, ctx))
                        return i + 1;
        return n;
}

/* probe_read(dst, size, src) as a stand-in: the interpreter checks dst before it runs. */
static uint64_t probe_read_helper(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e)
{
        (void)src, (void)d, (void)e;
        memset((void *)(uintptr_t)dst, 0x5a, size);
        return 0;
}

static bpfaot_helper_fn loop_lookup(void *ctx, uint32_t id)
{
        (void)ctx;
        return id == 181 ? loop_helper : id == 4 ? probe_read_helper : NULL;
}

/* sum of i < 5 through a bpf_loop callback adding to a u64 on the caller's stack; r0 = sum * 10 +
 * calls. */
static const char *loop_text = "stdw [%r10-8], 0\n"      /* 0 */
                               "mov %r1, 5\n"            /* 1 */
                               "lddw %r2, code_addr 9\n" /* 2: the callback at 12 */
                               "mov %r3, %r10\n"         /* 4 */
                               "add %r3, -8\n"           /* 5 */
                               "mov %r4, 0\n"            /* 6 */
                               "call 181\n"              /* 7 */
                               "ldxdw %r1, [%r10-8]\n"   /* 8 */
                               "mul %r1, 10\n"           /* 9 */
                               "add %r0, %r1\n"          /* 10 */
                               "exit\n"                  /* 11 */
                               "ldxdw %r3, [%r2]\n"      /* 12: cb(i, ctx) */
                               "add %r3, %r1\n"          /* 13 */
                               "stxdw [%r2], %r3\n"      /* 14 */
                               "mov %r0, 0\n"            /* 15 */
                               "exit\n";                 /* 16 */

/* The callback hands itself to bpf_loop again: deeper than the frames allow. */
static const char *recurse_text = "lddw %r2, code_addr 6\n"  /* 0: the callback at 7 */
                                  "mov %r1, 1\n"             /* 2 */
                                  "mov %r3, 0\n"             /* 3 */
                                  "mov %r4, 0\n"             /* 4 */
                                  "call 181\n"               /* 5 */
                                  "exit\n"                   /* 6 */
                                  "lddw %r2, code_addr -1\n" /* 7: itself */
                                  "mov %r1, 1\n"             /* 9 */
                                  "mov %r3, 0\n"             /* 10 */
                                  "mov %r4, 0\n"             /* 11 */
                                  "call 181\n"               /* 12 */
                                  "mov %r0, 0\n"             /* 13 */
                                  "exit\n";                  /* 14 */

/* Helpers' arguments checked against their signatures before they run. */
static void test_helper_args(void)
{
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, o, .helper = loop_lookup);
        static const struct {
                const char *name, *text, *error; /* NULL: runs, r0 = 0 */
        } cases[] = {
            {"read_8",
             "mov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, 0\ncall 4\n"
             "ldxdw %r0, [%r10-8]\nexit\n",
             NULL},
            /* The destination comes from the context: the analysis cannot refuse it; the run does.
             */
            {"forged_dst", "ldxdw %r1, [%r1]\nmov %r2, 8\nmov %r3, 0\ncall 4\nexit\n",
             "forged_dst: insn 3: call 4: out-of-bounds write by helper probe_read (arg 1) of 8 "
             "bytes "
             "at 0x10000"},
            {"forged_callback",
             "mov %r1, 1\nmov %r2, 4660\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit\n",
             "forged_callback: insn 4: call 181: helper loop (arg 2): 0x1234 is not one of the "
             "program's "
             "functions"},
        };

        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                struct bpfaot_error err = {0};
                struct bpfaot_insn *insns = NULL;
                struct bpfaot_interp *ip = NULL;
                struct bpfaot_prog prog;
                uint64_t r0 = 1, ctx = 65536;
                size_t cnt;
                int rc;

                if (bpfaot_assemble(cases[c].text, cases[c].name, &insns, &cnt, &err)) {
                        CHECKF(false, "%s", err.msg);
                        continue;
                }
                prog = (struct bpfaot_prog){
                    .input = cases[c].name, .name = cases[c].name, .insns = insns, .insn_cnt = cnt};
                rc = bpfaot_interp__open(&prog, &o, &ip, &err);
                CHECKF(rc == 0, "%s", err.msg);
                if (!rc) {
                        rc = bpfaot_interp__run(ip, &ctx, sizeof(ctx), &r0, &err);
                        if (!cases[c].error) {
                                CHECKF(rc == 0, "%s", err.msg);
                                CHECK_EQ(r0, 0x5a5a5a5a5a5a5a5aull);
                        } else {
                                CHECK_EQ(rc, -EFAULT);
                                CHECKF(strncmp(err.msg, cases[c].error, strlen(cases[c].error)) ==
                                           0,
                                       "%s", err.msg);
                        }
                        bpfaot_interp__free(ip);
                }
                free(insns);
        }
}

static void test_callbacks(void)
{
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, o, .helper = loop_lookup);
        struct bpfaot_error err = {0};
        const char *texts[] = {loop_text, recurse_text};
        uint64_t r0 = 0;

        for (int t = 0; t < 2; t++) {
                struct bpfaot_insn *insns = NULL;
                struct bpfaot_prog prog;
                struct bpfaot_interp *ip = NULL;
                size_t cnt;
                int rc;

                if (bpfaot_assemble(texts[t], t ? "recurse" : "loop", &insns, &cnt, &err)) {
                        CHECKF(false, "%s", err.msg);
                        continue;
                }
                prog = (struct bpfaot_prog){.input = t ? "recurse" : "loop",
                                            .name = t ? "recurse" : "loop",
                                            .insns = insns,
                                            .insn_cnt = cnt};
                rc = bpfaot_interp__open(&prog, &o, &ip, &err);
                CHECKF(rc == 0, "%s", err.msg);
                if (!rc) {
                        rc = bpfaot_interp__run(ip, NULL, 0, &r0, &err);
                        if (t == 0) {
                                CHECKF(rc == 0, "%s", err.msg);
                                CHECK_EQ(r0, (0 + 1 + 2 + 3 + 4) * 10 + 5);
                        } else {
                                CHECK_EQ(rc, -E2BIG);
                                CHECK_STR_EQ(
                                    err.msg,
                                    "recurse: insn 12: call 181: call chain deeper than 8 frames");
                        }
                        bpfaot_interp__free(ip);
                }
                free(insns);
        }
}

int main(void)
{
        test_callbacks();
        test_helper_args();
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns = NULL;
        struct bpfaot_prog prog;
        struct bpfaot_interp *ip;
        uint64_t ctx = 100, r0 = 0;

        /* value[1] (map_val 7 + 8) + the map's bytes at +8 (value[0]) and +24 (value[2]). */
        ip = open_text("sum", sum_text, true, &insns, &prog, &err);
        CHECKF(ip != NULL, "%s", err.msg);
        if (ip) {
                CHECK_EQ(bpfaot_interp__run(ip, &ctx, sizeof(ctx), &r0, &err), 0);
                CHECK_EQ(r0, 100 + 5 + 0 + 6);
                maps[0].value[0] = 6;
                CHECK_EQ(bpfaot_interp__run(ip, &ctx, sizeof(ctx), &r0, &err), 0);
                CHECK_EQ(r0, 100 + 5 + 6 + 6);
                /* Several threads at once on one prepared program. */
                struct thread_arg args[4];
                pthread_t th[4];

                for (int i = 0; i < 4; i++) {
                        args[i] = (struct thread_arg){.ip = ip};
                        CHECK_EQ(pthread_create(&th[i], NULL, runner, &args[i]), 0);
                }
                for (int i = 0; i < 4; i++) {
                        pthread_join(th[i], NULL);
                        CHECK_EQ(args[i].bad, 0);
                }
                bpfaot_interp__free(ip);
        }
        free(insns);

        /* The same load without the callbacks: an error naming the pseudo source. */
        ip = open_text("no_maps", sum_text, false, &insns, &prog, &err);
        CHECK(ip != NULL);
        if (ip) {
                CHECK(bpfaot_interp__run(ip, &ctx, sizeof(ctx), &r0, &err) < 0);
                CHECK_CONTAINS(err.msg, "lddw pseudo source 2 is not supported by the interpreter");
                bpfaot_interp__free(ip);
        }
        free(insns);

        /* A map the host does not have. */
        ip = open_text("unknown", "lddw %r1, map_fd 8\nmov %r0, 0\nexit\n", true, &insns, &prog,
                       &err);
        CHECK(ip != NULL);
        if (ip) {
                CHECK(bpfaot_interp__run(ip, &ctx, sizeof(ctx), &r0, &err) < 0);
                CHECK_CONTAINS(err.msg, "unknown: insn 0: ");
                CHECK_CONTAINS(err.msg, "no map 8");
                bpfaot_interp__free(ip);
        }
        free(insns);

        /* Past the map's value: outside what the program may reach. */
        ip = open_text("oob", "lddw %r2, map_val 9, 0\nldxdw %r0, [%r2+32]\nexit\n", true, &insns,
                       &prog, &err);
        CHECK(ip != NULL);
        if (ip) {
                CHECK(bpfaot_interp__run(ip, &ctx, sizeof(ctx), &r0, &err) < 0);
                CHECK_CONTAINS(err.msg, "oob: insn 2: ");
                bpfaot_interp__free(ip);
        }
        free(insns);

        /* Refused when opened: a jump out of the program. */
        ip = open_text("bad", "ja +5\nexit\n", true, &insns, &prog, &err);
        CHECK(ip == NULL);
        CHECK(err.code < 0);
        CHECK_CONTAINS(err.msg, "bad: insn 0: ");
        free(insns);
        return TEST_EXIT("interp_prepared");
}
