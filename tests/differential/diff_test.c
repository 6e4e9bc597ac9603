/* SPDX-License-Identifier: MIT */
/*
 * Differential test: random programs (gen.c) run by the reference
 * interpreter and by the compiler (object -> in-process loader), comparing
 * r0 and the final context memory.
 *
 *   diff_test [--interp-only] [-v] [--regions N] [--parts N] [--sandbox] [--unsafe]
 *             COUNT FIRST_SEED OPT_LEVEL
 *
 * --parts N compiles each program's module in parts of at least N LLVM
 * instructions (bpfaot_compile_opts.part_insns) on two threads, as long
 * programs are: calls, constants and data then cross from part to part.
 *
 * --interp-only checks only the generator and the interpreter: every
 * program must validate and run without error (with --unsafe: run the same
 * way with the context and the frames elsewhere).
 *
 * --sandbox compiles with bpfaot_compile_opts.sandbox, programs of gen.c's
 * GEN_SANDBOX mode: the results must be the interpreter's, and no run may
 * fault. --unsafe (implies --sandbox) generates programs with accesses the
 * analysis cannot prove (GEN_UNSAFE): either both engines finish with the
 * same r0 and memory, or both fail at the same instruction (the
 * interpreter's error, the sandbox's fault, after which the entry returns
 * 0); the memory is not compared then, as the sandbox may skip stores of
 * the faulting block that come before the fault. Compiled code must never
 * crash (the crash handler names the seed).
 *
 * A failure prints the command that reproduces it, e.g.
 * diff_test -v --unsafe 1 <seed> <opt>.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "gen.h"
#include "test_native.h"
#include "test_common.h"

#include "bpfaot/runtime.h"
#include "bpfaot/sandbox.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_STEPS    10000000ull
#define MAX_REPORTED 5
/* Bytes around the interpreter's context that belong to no region (more than gen.h's 64). */
#define CTX_SLACK 256

struct options {
        uint64_t count, first_seed;
        int opt_level;
        uint64_t region_insns; /* --regions N: split sub-programs into regions of N insns */
        uint64_t part_insns;   /* --parts N: compile modules in parts of N LLVM insns */
        bool interp_only, verbose;
        bool sandbox, unsafe; /* --sandbox, --unsafe (implies sandbox) */
        char flags[64];       /* the options above that change programs or code, as given */
};

struct stats {
        uint64_t passed, failed;
        uint64_t faulted; /* passed seeds whose runs failed, in each engine at one instruction */
        double t_interp, t_compile, t_native;
};

/* The seed being run, for the crash handler (a test program, not the library). */
static volatile sig_atomic_t crash_armed;
static uint64_t crash_seed;
static int crash_opt;
static const char *crash_flags = ""; /* options.flags */

static void crash_handler(int sig)
{
        char buf[160], digits[24];
        size_t n = 0, d = 0;
        uint64_t v = crash_seed;
        const char *pre = "\ndiff_test: compiled code crashed on seed ";

        if (crash_armed) {
                memcpy(buf, pre, strlen(pre));
                n = strlen(pre);
                do
                        digits[d++] = (char)('0' + v % 10);
                while ((v /= 10) && d < sizeof(digits));
                while (d)
                        buf[n++] = digits[--d];
                buf[n++] = ' ';
                buf[n++] = '-';
                buf[n++] = 'O';
                buf[n++] = (char)('0' + crash_opt);
                for (const char *f = crash_flags; *f && n < sizeof(buf) - 1; f++)
                        buf[n++] = *f;
                buf[n++] = '\n';
                if (write(STDERR_FILENO, buf, n) < 0)
                        n = 0;
        }
        signal(sig, SIG_DFL);
        raise(sig);
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Symbols of compiled generated programs: the generated helpers, callx, libc, the sandbox. */
static uint64_t resolve(void *ctx, const char *name)
{
        bpfaot_helper_fn fn;
        uint32_t id;

        (void)ctx;
        if (strcmp(name, BPFAOT_CALLX_SYMBOL) == 0)
                return (uint64_t)(uintptr_t)&gen_callx;
        if (bpfaot_rt_parse_helper_symbol(name, &id) == 0) {
                fn = gen_helper_lookup(NULL, id);
                return fn ? (uint64_t)(uintptr_t)fn : 0;
        }
        return test_rt_resolve(NULL, name); /* memset, memcpy, bpfaot_rt_sandbox_*, ... */
}

/* How a run ended: r0, or (failed) the instruction and why. */
struct outcome {
        bool failed;
        long insn;
        uint64_t r0;
        char why[BPFAOT_ERROR_MAX];
};

static void print_outcome(FILE *f, const char *who, const struct outcome *oc)
{
        if (oc->failed)
                fprintf(f, "  %s: failed at insn %ld: %s\n", who, oc->insn, oc->why);
        else
                fprintf(f, "  %s: r0 0x%016" PRIx64 "\n", who, oc->r0);
}

static void report_header(uint64_t seed, const struct options *o, const struct gen_prog *gp,
                          const char *what)
{
        fprintf(stderr, "FAIL seed %" PRIu64 " (-O%d%s): %s\n", seed, o->opt_level, o->flags, what);
        fprintf(stderr, "  reproduce: diff_test -v%s 1 %" PRIu64 " %d\n", o->flags, seed,
                o->opt_level);
        fprintf(stderr, "  program (%zu slots, %zu bytes of context):\n", gp->insn_cnt,
                gp->mem_len);
        test_print_disasm(stderr, gp->insns, gp->insn_cnt);
}

static void report_mismatch(uint64_t seed, const struct options *o, const struct gen_prog *gp,
                            const struct outcome *oc_i, const uint8_t *mem_i,
                            const struct outcome *oc_n, const uint8_t *mem_n)
{
        report_header(seed, o, gp, "interpreter and compiled code disagree");
        if (oc_i->failed || oc_n->failed) {
                print_outcome(stderr, "interpreter", oc_i);
                print_outcome(stderr, "compiled", oc_n);
                return;
        }
        fprintf(stderr, "  r0: interpreter 0x%016" PRIx64 ", compiled 0x%016" PRIx64 "%s\n",
                oc_i->r0, oc_n->r0, oc_i->r0 == oc_n->r0 ? "" : "  <-- differs");
        if (memcmp(mem_i, mem_n, gp->mem_len)) {
                fprintf(stderr, "  memory after the interpreter (* = differs):\n");
                test_print_mem(stderr, mem_i, mem_n, gp->mem_len);
                fprintf(stderr, "  memory after the compiled code:\n");
                test_print_mem(stderr, mem_n, mem_i, gp->mem_len);
        }
}

static int run_interp(const struct bpfaot_prog *prog, uint8_t *mem, size_t len, uint64_t *r0,
                      struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, opts, .helper = gen_helper_lookup,
                         .stack_size = GEN_STACK_SIZE, .max_steps = MAX_STEPS);
        return bpfaot_interp_run(prog, mem, len, &opts, r0, err);
}

/*
 * The interpreter's contexts live in a mapping of their own, among the
 * process's mappings, while the interpreter's stack frames (a few KiB)
 * come from malloc's heap: on Linux the two areas lie about 2^45 bytes
 * apart, so an unsafe access GEN_FAR_REACH away from the context never lands
 * in a frame (as one did once, 1.2 MiB past a heap-allocated context). A
 * reservation of 2^39 bytes around the context did it too, but moved the
 * JIT's later allocations so far from earlier ones that LLVM 14's loader
 * linked code out of its 32-bit reach.
 */
#define CTX_MAP_SIZE ((size_t)64 * 1024)

struct ctx_arena {
        uint8_t *base; /* CTX_MAP_SIZE bytes, mapped on first use */
};

static uint8_t *ctx_arena_get(struct ctx_arena *a, size_t size)
{
        if (size > CTX_MAP_SIZE) {
                errno = E2BIG;
                return NULL;
        }
        if (!a->base) {
                void *p = mmap(NULL, CTX_MAP_SIZE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                        return NULL;
                a->base = p;
        }
        memset(a->base, 0, size);
        return a->base;
}

static void ctx_arena_free(struct ctx_arena *a)
{
        if (a->base)
                munmap(a->base, CTX_MAP_SIZE);
}

/*
 * Interpret on a copy of `init` placed `shift` bytes into the arena's
 * buffer, with CTX_SLACK bytes on either side, so that an access just past
 * either end of the context never reaches other memory the interpreter
 * accepts; result memory in `out`.
 */
static int interp_at(struct ctx_arena *arena, const struct bpfaot_prog *prog, const uint8_t *init,
                     size_t len, size_t shift, uint8_t *out, uint64_t *r0, struct bpfaot_error *err)
{
        uint8_t *buf = ctx_arena_get(arena, len + shift + 2 * CTX_SLACK),
                *mem = buf + CTX_SLACK + shift;
        int ret;

        if (!buf)
                return bpfaot_error_set(err, errno, "cannot map the context: %s", strerror(errno));
        memcpy(mem, init, len);
        ret = run_interp(prog, mem, len, r0, err);
        memcpy(out, mem, len);
        return ret;
}

/* test_native_build with the sandbox when `o` asks for it. */
static int build_native(const struct bpfaot_prog *prog, const struct options *o,
                        struct test_native *out, struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .optimize = BPFAOT_O(o->opt_level),
                         .stack_size = GEN_STACK_SIZE, .region_insns = (size_t)o->region_insns,
                         .output = BPFAOT_OUTPUT_OBJECT, .sandbox = o->sandbox,
                         .part_insns = (size_t)o->part_insns, .threads = o->part_insns ? 2 : 1);
        BPFAOT_OPTS_INIT(bpfaot_jit_opts, jopts, .resolve = resolve);
        struct bpfaot_buf obj = {0};
        void *sym;
        int ret;

        if (!o->sandbox && !o->part_insns)
                return test_native_build(prog, o->opt_level, GEN_STACK_SIZE,
                                         (size_t)o->region_insns, resolve, NULL, out, err);
        out->jit = NULL;
        out->entry = NULL;
        ret = bpfaot_compile(prog, &copts, &obj, err);
        if (ret)
                return ret;
        ret = bpfaot_jit__load(obj.data, obj.len, prog->input, &jopts, &out->jit, err);
        bpfaot_buf_free(&obj);
        if (ret)
                return ret;
        sym = bpfaot_jit__lookup(out->jit, BPFAOT_DEFAULT_ENTRY, err);
        if (!sym) {
                test_native_free(out);
                return err && err->code ? err->code : -ENOENT;
        }
        out->entry = (test_entry_fn)sym;
        return 0;
}

/* Compile, load and run; a sandbox fault goes into `oc`. */
static int run_native(const struct bpfaot_prog *prog, const struct options *o, uint8_t *mem,
                      size_t len, struct outcome *oc, struct bpfaot_error *err, struct stats *st)
{
        struct test_native native;
        struct bpfaot_sandbox_fault f;
        double t0 = now();
        int ret = build_native(prog, o, &native, err);

        st->t_compile += now() - t0;
        if (ret)
                return ret;
        t0 = now();
        crash_armed = 1;
        oc->r0 = native.entry(mem, len);
        crash_armed = 0;
        st->t_native += now() - t0;
        if (o->sandbox && bpfaot_sandbox_fault(&f)) {
                oc->failed = true;
                oc->insn = (long)f.insn;
                bpfaot_sandbox_fault_str(&f, oc->why, sizeof(oc->why));
        }
        test_native_free(&native);
        return 0;
}

/* One seed's program, its initial memory and the results of each engine. */
struct trial {
        uint64_t seed;
        struct gen_prog gp;
        struct bpfaot_prog prog;
        uint8_t *init, *mem_i, *mem_i2, *mem_n;
        struct outcome oc_i, oc_i2, oc_n;
        struct ctx_arena *arena; /* where the interpreter's contexts go */
        bool report;             /* print details of a failure */
};

/* An interpreter's run: 0 when it finished or (unsafe programs) failed an access, else its code. */
static int interp_outcome(const struct options *o, int ret, const struct bpfaot_error *err,
                          struct outcome *oc)
{
        if (!ret)
                return 0;
        oc->failed = true;
        oc->insn = err->insn;
        snprintf(oc->why, sizeof(oc->why), "%s", err->msg);
        return o->unsafe && ret == -EFAULT && err->insn >= 0 ? 0 : ret;
}

/* Same end: the same r0 and memory, or failed at the same instruction. */
static bool same_outcome(const struct outcome *a, const uint8_t *mem_a, const struct outcome *b,
                         const uint8_t *mem_b, size_t len)
{
        if (a->failed || b->failed)
                return a->failed && b->failed && a->insn == b->insn;
        return a->r0 == b->r0 && memcmp(mem_a, mem_b, len) == 0;
}

/*
 * The generator's promises: the program validates, runs without error
 * (unsafe programs: or fails an access), and is deterministic. Run twice
 * with the context (and the stack frames) at other addresses: a pointer
 * that leaked into data, or an access whose failing depends on where the
 * regions are, would change the results.
 */
static bool check_interp(struct trial *t, const struct options *o, struct stats *st)
{
        struct bpfaot_error err = {0}, err2 = {0};
        size_t len = t->gp.mem_len;
        double t0 = now();
        void *hold;
        int ret, ret2 = 0;

        ret = interp_at(t->arena, &t->prog, t->init, len, 0, t->mem_i, &t->oc_i.r0, &err);
        ret = interp_outcome(o, ret, &err, &t->oc_i);
        hold = malloc(BPFAOT_MAX_CALL_DEPTH * GEN_STACK_SIZE); /* moves the next run's frames */
        if (!ret) {
                ret2 =
                    interp_at(t->arena, &t->prog, t->init, len, 40, t->mem_i2, &t->oc_i2.r0, &err2);
                ret2 = interp_outcome(o, ret2, &err2, &t->oc_i2);
        }
        free(hold);
        st->t_interp += now() - t0;
        if (ret || ret2) {
                if (t->report) {
                        report_header(t->seed, o, &t->gp,
                                      "the interpreter rejected a generated program");
                        fprintf(stderr, "  %s\n", ret ? err.msg : err2.msg);
                }
                return false;
        }
        if (!same_outcome(&t->oc_i, t->mem_i, &t->oc_i2, t->mem_i2, len)) {
                if (t->report) {
                        report_header(t->seed, o, &t->gp,
                                      "generated program depends on addresses (a pointer leaked)");
                        print_outcome(stderr, "first run", &t->oc_i);
                        print_outcome(stderr, "second run", &t->oc_i2);
                        if (!t->oc_i.failed && !t->oc_i2.failed &&
                            memcmp(t->mem_i, t->mem_i2, len)) {
                                fprintf(stderr, "  memory after the first run (* = differs):\n");
                                test_print_mem(stderr, t->mem_i, t->mem_i2, len);
                                fprintf(stderr, "  memory after the second run:\n");
                                test_print_mem(stderr, t->mem_i2, t->mem_i, len);
                        }
                }
                return false;
        }
        return true;
}

/* The compiled program must end as the interpreter did. */
static bool check_native(struct trial *t, const struct options *o, struct stats *st)
{
        struct bpfaot_error err = {0};
        size_t len = t->gp.mem_len;

        memcpy(t->mem_n, t->init, len);
        crash_seed = t->seed;
        if (run_native(&t->prog, o, t->mem_n, len, &t->oc_n, &err, st)) {
                if (t->report) {
                        report_header(t->seed, o, &t->gp, "compiling or loading failed");
                        fprintf(stderr, "  %s\n", err.msg);
                }
                return false;
        }
        if (o->verbose) {
                printf("seed %" PRIu64 ":\n", t->seed);
                print_outcome(stdout, "interpreter", &t->oc_i);
                print_outcome(stdout, "compiled", &t->oc_n);
        }
        /* A sandbox fault ends the run with r0 = 0 (the entry's result). */
        if (same_outcome(&t->oc_i, t->mem_i, &t->oc_n, t->mem_n, len) &&
            (!t->oc_n.failed || t->oc_n.r0 == 0)) {
                st->faulted += t->oc_n.failed;
                return true;
        }
        if (t->report)
                report_mismatch(t->seed, o, &t->gp, &t->oc_i, t->mem_i, &t->oc_n, t->mem_n);
        if (t->report && t->oc_n.failed && t->oc_n.r0)
                fprintf(stderr, "  the faulting compiled run returned 0x%" PRIx64 ", not 0\n",
                        t->oc_n.r0);
        return false;
}

/* One seed: returns true when it passes. */
static bool check_seed(uint64_t seed, const struct options *o, struct ctx_arena *arena,
                       struct stats *st)
{
        struct trial t = {.seed = seed, .arena = arena, .report = st->failed < MAX_REPORTED};
        unsigned mode = o->unsafe ? GEN_UNSAFE : o->sandbox ? GEN_SANDBOX : 0;
        bool ok = false;
        size_t len;

        if (gen_program_mode(seed, mode, &t.gp)) {
                fprintf(stderr, "FAIL seed %" PRIu64 ": out of memory generating\n", seed);
                return false;
        }
        len = t.gp.mem_len;
        t.prog = (struct bpfaot_prog){.input = "diff_test",
                                      .name = "generated",
                                      .insns = t.gp.insns,
                                      .insn_cnt = t.gp.insn_cnt};
        if (o->verbose)
                test_print_disasm(stdout, t.gp.insns, t.gp.insn_cnt);
        t.init = malloc(len);
        t.mem_i = malloc(len);
        t.mem_i2 = malloc(len);
        t.mem_n = malloc(len);
        if (t.init && t.mem_i && t.mem_i2 && t.mem_n) {
                gen_fill_memory(seed, t.init, len);
                ok = check_interp(&t, o, st) && (o->interp_only || check_native(&t, o, st));
                if (ok && o->interp_only)
                        st->faulted += t.oc_i.failed;
        } else {
                fprintf(stderr, "FAIL seed %" PRIu64 ": out of memory\n", seed);
        }
        free(t.init);
        free(t.mem_i);
        free(t.mem_i2);
        free(t.mem_n);
        gen_prog_free(&t.gp);
        return ok;
}

static int usage(void)
{
        fprintf(stderr, "usage: diff_test [--interp-only] [-v] [--regions N] [--parts N] "
                        "[--sandbox] [--unsafe] COUNT FIRST_SEED OPT_LEVEL\n");
        return 2;
}

static bool parse_u64(const char *s, uint64_t *v)
{
        char *end;

        errno = 0;
        *v = strtoull(s, &end, 0);
        return *s && !*end && !errno;
}

static int parse_args(int argc, char **argv, struct options *o)
{
        const char *pos[3];
        int n = 0;
        uint64_t opt;
        bool ok = true;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--interp-only") == 0)
                        o->interp_only = true;
                else if (strcmp(argv[i], "-v") == 0)
                        o->verbose = true;
                else if (strcmp(argv[i], "--regions") == 0 && i + 1 < argc)
                        ok = parse_u64(argv[++i], &o->region_insns) && ok;
                else if (strcmp(argv[i], "--parts") == 0 && i + 1 < argc)
                        ok = parse_u64(argv[++i], &o->part_insns) && ok && o->part_insns;
                else if (strcmp(argv[i], "--sandbox") == 0)
                        o->sandbox = true;
                else if (strcmp(argv[i], "--unsafe") == 0)
                        o->unsafe = o->sandbox = true;
                else if (n < 3)
                        pos[n++] = argv[i];
                else
                        return -1;
        }
        if (!ok || n != 3 || !parse_u64(pos[0], &o->count) || !parse_u64(pos[1], &o->first_seed) ||
            !parse_u64(pos[2], &opt) || opt > 3)
                return -1;
        o->opt_level = (int)opt;
        snprintf(o->flags, sizeof(o->flags), "%s%s%s%.0" PRIu64 "%s%.0" PRIu64,
                 o->interp_only ? " --interp-only" : "",
                 o->unsafe    ? " --unsafe"
                 : o->sandbox ? " --sandbox"
                              : "",
                 o->region_insns ? " --regions " : "", o->region_insns,
                 o->part_insns ? " --parts " : "", o->part_insns);
        return 0;
}

int main(int argc, char **argv)
{
        struct options o = {0};
        struct stats st = {0};
        struct ctx_arena arena = {0};
        double t0 = now();
        char mode[64];

        if (parse_args(argc, argv, &o))
                return usage();
        crash_opt = o.opt_level;
        crash_flags = o.flags;
        signal(SIGSEGV, crash_handler);
        signal(SIGFPE, crash_handler);
        signal(SIGILL, crash_handler);
        signal(SIGBUS, crash_handler);
        for (uint64_t i = 0; i < o.count; i++) {
                if (check_seed(o.first_seed + i, &o, &arena, &st))
                        st.passed++;
                else
                        st.failed++;
        }
        ctx_arena_free(&arena);
        if (o.interp_only)
                snprintf(mode, sizeof(mode), "interpreter only%s", o.unsafe ? ", unsafe" : "");
        else
                snprintf(mode, sizeof(mode), "-O%d%s", o.opt_level,
                         o.unsafe    ? ", unsafe, sandbox"
                         : o.sandbox ? ", sandbox"
                                     : "");
        printf("diff_test: %" PRIu64 " programs, seeds %" PRIu64 "..%" PRIu64 ", %s: %" PRIu64
               " passed, %" PRIu64 " failed (%.2fs: interpreter %.2fs, compile+load %.2fs, "
               "native %.3fs)\n",
               o.count, o.first_seed, o.first_seed + o.count - 1, mode, st.passed, st.failed,
               now() - t0, st.t_interp, st.t_compile, st.t_native);
        if (o.unsafe)
                printf("diff_test: of the %" PRIu64 " passed, %" PRIu64
                       " ended in a fault (each engine at the same instruction), %" PRIu64
                       " ran to their exit\n",
                       st.passed, st.faulted, st.passed - st.faulted);
        if (st.failed > MAX_REPORTED)
                printf("diff_test: only the first %d failures were printed\n", MAX_REPORTED);
        return st.failed ? 1 : 0;
}
