/* SPDX-License-Identifier: MIT */
/*
 * Run every bpf_conformance vector (vectors.tsv) through the reference
 * interpreter and check r0 (or the expected error), then a few built-in
 * cases for error paths and call-frame rules the vectors do not reach. Usage:
 *   interp_vectors <conformance-dir> [name-substring]
 * A missing suite is a failure, never a skip.
 */
#include "test_common.h"

#include "bpfaot/runtime.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 10000000ull

/* Returns true when the vector passes; prints a line when it does not. */
static bool run_vector(const struct test_vector *v)
{
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, opts, .helper = test_rt_helper_lookup,
                         .max_steps = MAX_STEPS);
        struct bpfaot_prog prog = {
            .input = "vectors.tsv", .name = v->name, .insns = v->insns, .insn_cnt = v->insn_cnt};
        struct bpfaot_error err = {0};
        uint8_t *mem = malloc(v->mem_len ? v->mem_len : 1);
        uint64_t r0 = 0;
        bool ok;
        int ret;

        if (!mem) {
                fprintf(stderr, "FAIL %s: out of memory\n", v->name);
                return false;
        }
        if (v->mem_len)
                memcpy(mem, v->mem, v->mem_len);
        ret = bpfaot_interp_run(&prog, mem, v->mem_len, &opts, &r0, &err);
        free(mem);
        if (v->expected_error) {
                ok = ret != 0;
                if (!ok)
                        fprintf(stderr,
                                "FAIL %s (line %ld): expected error '%s', got r0 0x%" PRIx64 "\n",
                                v->name, v->line, v->expected_error, r0);
                return ok;
        }
        if (ret) {
                fprintf(stderr, "FAIL %s (line %ld): %s\n", v->name, v->line, err.msg);
                return false;
        }
        ok = r0 == v->expected_r0;
        if (!ok)
                fprintf(stderr, "FAIL %s (line %ld): r0 = 0x%" PRIx64 ", expected 0x%" PRIx64 "\n",
                        v->name, v->line, r0, v->expected_r0);
        return ok;
}

/* ------------------------------------------------------------------ */
/* Error paths and frame rules the vectors do not cover                */
/* ------------------------------------------------------------------ */

/* clang-format off */
#define I(op, d, s, o, i) {.opcode = (op), .dst = (d), .src = (s), .off = (o), .imm = (i)}
/* clang-format on */
#define EXIT I(0x95, 0, 0, 0, 0)

struct interp_case {
        const char *name;
        struct bpfaot_insn insns[16];
        size_t insn_cnt;
        int code;           /* expected error (negative errno), 0 for success */
        long insn;          /* expected error location */
        const char *needle; /* expected in the message */
        uint64_t r0;        /* expected r0 on success */
        bool kfunc_reloc;   /* insn 0 is a kfunc call named by a relocation */
};

static const struct interp_case interp_cases[] = {
    {"load past the end of memory",
     {I(0x79, 0, 1, 8, 0), EXIT},
     2,
     -EFAULT,
     0,
     "out-of-bounds load",
     0,
     false},
    /* Below the frame on every path: refused before it runs (memcheck.c). */
    {"store below the stack frame",
     {I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -520), I(0x72, 2, 0, 0, 1), I(0xb7, 0, 0, 0, 0), EXIT},
     5,
     -EINVAL,
     2,
     "outside the 512-byte frame",
     0,
     false},
    /* An offset the analysis cannot bound (a sign-extended u32 it cannot see): found running. */
    {"store below the stack frame at run time",
     {I(0x62, 10, 0, -8, -520), I(0x61, 3, 10, -8, 0), I(0x67, 3, 0, 0, 32), I(0xc7, 3, 0, 0, 32),
      I(0xbf, 2, 10, 0, 0), I(0x0f, 2, 3, 0, 0), I(0x72, 2, 0, 0, 1), I(0xb7, 0, 0, 0, 0), EXIT},
     9,
     -EFAULT,
     6,
     "out-of-bounds store",
     0,
     false},
    {"load from a returned (dead) frame",
     {I(0x85, 0, 1, 0, 2), I(0x79, 0, 0, -8, 0), EXIT, I(0xbf, 0, 10, 0, 0), EXIT},
     5,
     -EFAULT,
     1,
     "out-of-bounds",
     0,
     false},
    {"callee writes its caller's frame",
     {I(0xbf, 1, 10, 0, 0), I(0x07, 1, 0, 0, -8), I(0x85, 0, 1, 0, 2), I(0x79, 0, 10, -8, 0), EXIT,
      I(0x7a, 1, 0, 0, 42), I(0xb7, 0, 0, 0, 7), EXIT},
     8,
     0,
     -1,
     NULL,
     42,
     false},
    {"callee: own zeroed stack, r1-r5 passed, r6-r9 restored",
     {I(0x7a, 10, 0, -8, 7), I(0xb7, 6, 0, 0, 100), I(0xb7, 5, 0, 0, 5), I(0x85, 0, 1, 0, 4),
      I(0x0f, 0, 6, 0, 0), I(0x79, 3, 10, -8, 0), I(0x0f, 0, 3, 0, 0), EXIT,
      /* callee: r0 = [r10-8] (0) + r5 = 5; its r6 and [r10-8] do not reach the caller */
      I(0x79, 0, 10, -8, 0), I(0x0f, 0, 5, 0, 0), I(0xb7, 6, 0, 0, 1), I(0x7a, 10, 0, -8, 99),
      EXIT},
     13,
     0,
     -1,
     NULL,
     112,
     false},
    {"unknown helper id", {I(0x85, 0, 0, 0, 9999), EXIT}, 2, -ENOENT, 0, "9999", 0, false},
    {"callx to an unknown helper",
     {I(0xb7, 3, 0, 0, 12345), I(0x8d, 3, 0, 0, 0), EXIT},
     3,
     -ENOENT,
     1,
     "12345",
     0,
     false},
    {"step limit", {I(0x05, 0, 0, -1, 0), EXIT}, 2, -ETIMEDOUT, 0, "steps", 0, false},
    {"lddw map pseudo source",
     {I(0x18, 1, 1, 0, 3), I(0, 0, 0, 0, 0), I(0xb7, 0, 0, 0, 0), EXIT},
     4,
     -ENOTSUP,
     0,
     "not supported by the interpreter",
     0,
     false},
    {"kfunc call", {I(0x85, 0, 2, 0, 77), EXIT}, 2, -ENOTSUP, 0, "kfunc", 0, true},
    {"invalid program (write to r10)",
     {I(0xb7, 10, 0, 0, 1), EXIT},
     2,
     -EINVAL,
     0,
     "r10",
     0,
     false},
};

static bool run_case(const struct interp_case *c)
{
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, opts, .helper = test_rt_helper_lookup,
                         .max_steps = 1000);
        struct bpfaot_reloc rel = {.insn = 0, .kind = BPFAOT_RELOC_KFUNC, .name = "some_kfunc"};
        struct bpfaot_prog prog = {.input = "interp_cases",
                                   .name = c->name,
                                   .insns = c->insns,
                                   .insn_cnt = c->insn_cnt,
                                   .relocs = c->kfunc_reloc ? &rel : NULL,
                                   .reloc_cnt = c->kfunc_reloc ? 1 : 0};
        struct bpfaot_error err = {0};
        uint64_t mem = 0, r0 = 0;
        int ret = bpfaot_interp_run(&prog, &mem, sizeof(mem), &opts, &r0, &err);

        if (ret != c->code || (ret == 0 && r0 != c->r0) || (ret && err.insn != c->insn) ||
            (ret && c->needle && !strstr(err.msg, c->needle))) {
                fprintf(stderr,
                        "FAIL case '%s': returned %d (want %d), r0 0x%" PRIx64 " (want 0x%" PRIx64
                        "), insn %ld (want %ld): %s\n",
                        c->name, ret, c->code, r0, c->r0, err.insn, c->insn,
                        ret ? err.msg : "no error");
                return false;
        }
        return true;
}

int main(int argc, char **argv)
{
        struct test_vector *vectors;
        size_t cnt, passed = 0, run = 0;
        char msg[1024];

        if (argc < 2 || !argv[1][0]) {
                fprintf(stderr,
                        "interp_vectors: no conformance directory given "
                        "(configure with -DBPF_AOT_CONFORMANCE_DIR=<dir with vectors.tsv>)\n");
                return 1;
        }
        if (!bpfaot_rt_helper_find(5)) {
                fprintf(stderr, "interp_vectors: the runtime has no helper 5 (ktime_get_ns)\n");
                return 1;
        }
        if (test_vectors_load(argv[1], &vectors, &cnt, msg, sizeof(msg))) {
                fprintf(stderr, "interp_vectors: %s\n", msg);
                return 1;
        }
        if (cnt == 0) {
                fprintf(stderr, "interp_vectors: %s/vectors.tsv has no vectors\n", argv[1]);
                return 1;
        }
        for (size_t i = 0; i < cnt; i++) {
                if (argc > 2 && !strstr(vectors[i].name, argv[2]))
                        continue;
                run++;
                passed += run_vector(&vectors[i]);
        }
        printf("interp: %zu/%zu passed\n", passed, run);
        test_vectors_free(vectors, cnt);
        if (argc > 2) /* a name filter selects vectors only */
                return passed == run ? 0 : 1;
        size_t cases = sizeof(interp_cases) / sizeof(interp_cases[0]), cases_ok = 0;
        for (size_t i = 0; i < cases; i++)
                cases_ok += run_case(&interp_cases[i]);
        printf("interp: %zu/%zu error-path and frame cases passed\n", cases_ok, cases);
        return passed == run && cases_ok == cases ? 0 : 1;
}
