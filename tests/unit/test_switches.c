/* SPDX-License-Identifier: MIT */
/*
 * Switch recovery (switches.c) on IR of the shapes clang's BPF backend and
 * the optimiser leave: each function is compiled to native code twice, as it
 * is and after recovery, and both are run on the same inputs. Recovery must
 * change no result, leave no undef operand in code that runs, and pass the
 * IR verifier.
 *
 * First hand-written functions (each must rebuild a switch), then functions
 * of switch_gen.c's generator, seeds DEFAULT_SEED.. (every fourth through
 * -O2 first, as the compiler has it). A failing seed's IR is written to
 * switch_gen_<seed>.ll in the current directory.
 *
 *   test_switches [--seed N] [--count M]   other seeds of the generator
 *   test_switches --ir FILE [--O2]         one IR file (a reduced case)
 *   --dump                                 print the IR after recovery
 */
#include "test_util.h"
#include "emit.h"
#include "ir_native.h"
#include "llvm_compat.h"
#include "switch_gen.h"
#include "switches.h"

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

/* Generated functions the test runs by default: seeds DEFAULT_SEED.. (--seed, --count). */
#define DEFAULT_SEED  1
#define DEFAULT_COUNT 1000
#define NOTHERS       (sizeof(others) / sizeof(others[0]))

typedef uint64_t (*fn3)(uint64_t v, uint64_t a, uint64_t b);

struct ir_case {
        const char *name;
        const char *ir;      /* defines i64 @f(i64 %v, i64 %a, i64 %b) */
        unsigned max_blocks; /* @f's blocks after recovery, at most; 0: any number */
};

/*
 * A two-level compare tree (`v > 2`, then a switch on each side) whose
 * leaves and switch blocks all meet in one phi, in a block that tests v
 * again and whose successors use the phi outside any phi. Following a
 * value through the join block past that test must not leave the uses
 * behind: the join block's value is not defined on the new edges.
 */
static const struct ir_case joined_phi_used_after = {
    "joined_phi_used_after",
    "define i64 @f(i64 %v, i64 %a, i64 %b) {\n"
    "entry:\n"
    "  %hi = icmp sgt i64 %v, 2\n"
    "  br i1 %hi, label %upper, label %lower\n"
    "lower:\n"
    "  switch i64 %v, label %other [ i64 1, label %addr\n"
    "                                i64 2, label %join ]\n"
    "other:\n"
    "  br label %join\n"
    "upper:\n"
    "  switch i64 %v, label %other [ i64 3, label %scaled\n"
    "                                i64 4, label %join\n"
    "                                i64 5, label %addr ]\n"
    "addr:\n"
    "  %x = add i64 %a, -8\n"
    "  br label %join\n"
    "scaled:\n"
    "  %y = mul i64 %b, 7\n"
    "  br label %join\n"
    "join:\n"
    "  %r = phi i64 [ %y, %scaled ], [ 1000, %other ], [ %x, %addr ],\n"
    "              [ 2000, %lower ], [ 3000, %upper ]\n"
    "  %is5 = icmp eq i64 %v, 5\n"
    "  %den = or i64 %b, 1\n"
    "  br i1 %is5, label %five, label %rest\n"
    "five:\n"
    "  %q = udiv i64 %r, %den\n"
    "  br label %exit\n"
    "rest:\n"
    "  %s = udiv i64 %r, 3\n"
    "  %t = add i64 %s, %r\n"
    "  br label %exit\n"
    "exit:\n"
    "  %res = phi i64 [ %q, %five ], [ %t, %rest ]\n"
    "  ret i64 %res\n"
    "}\n",
    0,
};

/*
 * A dense switch lowered to a tree whose leaves yield constants into one
 * phi; recovery rebuilds it and lets SimplifyCFG make a table.
 */
static const struct ir_case constant_leaves = {
    "constant_leaves",
    "define i64 @f(i64 %v, i64 %a, i64 %b) {\n"
    "entry:\n"
    "  %lt4 = icmp ult i64 %v, 4\n"
    "  br i1 %lt4, label %low, label %high\n"
    "low:\n"
    "  %lt2 = icmp ult i64 %v, 2\n"
    "  br i1 %lt2, label %l01, label %l23\n"
    "l01:\n"
    "  %is0 = icmp eq i64 %v, 0\n"
    "  %c01 = select i1 %is0, i64 17, i64 23\n"
    "  br label %join\n"
    "l23:\n"
    "  %is2 = icmp eq i64 %v, 2\n"
    "  br i1 %is2, label %join, label %three\n"
    "three:\n"
    "  br label %join\n"
    "high:\n"
    "  %lt6 = icmp ult i64 %v, 6\n"
    "  br i1 %lt6, label %l45, label %dflt\n"
    "l45:\n"
    "  %is4 = icmp eq i64 %v, 4\n"
    "  %c45 = select i1 %is4, i64 91, i64 5\n"
    "  br label %join\n"
    "dflt:\n"
    "  %d = add i64 %a, %b\n"
    "  br label %join\n"
    "join:\n"
    "  %r = phi i64 [ %c01, %l01 ], [ 42, %l23 ], [ 77, %three ], [ %c45, %l45 ], [ %d, %dflt ]\n"
    "  ret i64 %r\n"
    "}\n",
    0,
};

/*
 * Leaves over 64 values of `v & 63` that send each range to a join whose
 * phis receive `v & 63` itself and an argument. Every value of a range
 * reaches the join with the same values (the masked value, defined before
 * the tree, and the argument), so the rebuilt switch sends a range to one
 * block; with the masked value given as a constant per case (3, 4, ...)
 * each value would get a block of its own.
 */
static const struct ir_case shared_cases = {
    "shared_cases",
    "define i64 @f(i64 %v, i64 %a, i64 %b) {\n"
    "entry:\n"
    "  %x = and i64 %v, 63\n"
    "  %c1 = icmp ult i64 %x, 32\n"
    "  br i1 %c1, label %lo, label %hi\n"
    "lo:\n"
    "  %c2 = icmp ult i64 %x, 16\n"
    "  br i1 %c2, label %lo0, label %lo1\n"
    "hi:\n"
    "  %c3 = icmp ult i64 %x, 48\n"
    "  br i1 %c3, label %hi0, label %hi1\n"
    "lo0:\n"
    "  %e0 = icmp eq i64 %x, 3\n"
    "  br i1 %e0, label %special, label %join\n"
    "lo1:\n"
    "  br label %join\n"
    "hi0:\n"
    "  br label %other\n"
    "hi1:\n"
    "  %e1 = icmp eq i64 %x, 60\n"
    "  br i1 %e1, label %special, label %other\n"
    "join:\n"
    "  %r = phi i64 [ %x, %lo0 ], [ %x, %lo1 ]\n"
    "  %s = phi i64 [ %a, %lo0 ], [ %b, %lo1 ]\n"
    "  %m = mul i64 %r, %s\n"
    "  %m1 = add i64 %m, %r\n"
    "  ret i64 %m1\n"
    "other:\n"
    "  %q = phi i64 [ %x, %hi0 ], [ %x, %hi1 ]\n"
    "  %t = phi i64 [ %a, %hi0 ], [ %b, %hi1 ]\n"
    "  %n = xor i64 %q, %t\n"
    "  ret i64 %n\n"
    "special:\n"
    "  ret i64 7\n"
    "}\n",
    16,
};

static const struct ir_case *const cases[] = {&joined_phi_used_after, &constant_leaves,
                                              &shared_cases};

#define MAX_REACH 4096

/* Is `bb` in `set`? */
static bool has_block(LLVMBasicBlockRef *set, unsigned n, LLVMBasicBlockRef bb)
{
        for (unsigned i = 0; i < n; i++)
                if (set[i] == bb)
                        return true;
        return false;
}

/*
 * Operands that are undef or poison in the code of `mod` that runs: in
 * blocks reached from the entry, and for phis on edges from such blocks.
 * The rewrite leaves none of its own: a value it left undefined on a new
 * edge becomes undef when the blocks no value reaches are deleted, and may
 * then compute anything. (A block it leaves without predecessors, which
 * SimplifyCFG may not have removed, may hold undef: it never runs.)
 */
static unsigned undef_operands(LLVMModuleRef mod)
{
        static LLVMBasicBlockRef seen[MAX_REACH];
        unsigned n = 0;

        for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
                unsigned ns = 0;
                if (!LLVMCountBasicBlocks(fn))
                        continue;
                seen[ns++] = LLVMGetEntryBasicBlock(fn);
                for (unsigned i = 0; i < ns; i++) {
                        LLVMValueRef term = LLVMGetBasicBlockTerminator(seen[i]);
                        for (unsigned k = 0; term && k < LLVMGetNumSuccessors(term); k++) {
                                LLVMBasicBlockRef s = LLVMGetSuccessor(term, k);
                                if (!has_block(seen, ns, s) && ns < MAX_REACH)
                                        seen[ns++] = s;
                        }
                }
                for (unsigned b = 0; b < ns; b++)
                        for (LLVMValueRef i = LLVMGetFirstInstruction(seen[b]); i;
                             i = LLVMGetNextInstruction(i))
                                for (int k = 0; k < LLVMGetNumOperands(i); k++) {
                                        LLVMValueRef op = LLVMGetOperand(i, k);
                                        if (LLVMIsAPHINode(i) &&
                                            !has_block(seen, ns,
                                                       LLVMGetIncomingBlock(i, (unsigned)k)))
                                                continue;
                                        n += LLVMIsUndef(op) || LLVMIsPoison(op);
                                }
        }
        return n;
}

struct native {
        struct bpfaot_jit *jit;
        fn3 f;
        int rebuilt;
        unsigned blocks; /* @f's after recovery */
};

static bool dump_recovered; /* --dump: print the IR after recovery */
static bool optimise_file;  /* --O2: an --ir file goes through -O2 before recovery */

struct build_arg {
        const char *name;
        bool optimise, recover;
        struct native *out;
};

/* As the compiler has it: recovery works on what -O2 made of the code. */
static int optimise_and_recover(LLVMModuleRef mod, LLVMTargetMachineRef tm, void *arg)
{
        const struct build_arg *a = arg;
        struct bpfaot_error err = {0};
        unsigned undefs;

        if (a->optimise && (emit_optimise(mod, tm, 2, &err) || emit_vectorise(mod, tm, 2, &err))) {
                fprintf(stderr, "%s: %s\n", a->name, err.msg);
                return -1;
        }
        if (!a->recover)
                return 0;
        undefs = undef_operands(mod);
        a->out->rebuilt = switches_recover(mod);
        a->out->blocks = LLVMCountBasicBlocks(LLVMGetNamedFunction(mod, "f"));
        CHECKF(undef_operands(mod) <= undefs, "%s: undef operands: %u before recovery, %u after",
               a->name, undefs, undef_operands(mod));
        if (dump_recovered) {
                char *text = LLVMPrintModuleToString(mod);
                fprintf(stderr, "%s after recovery:\n%s", a->name, text);
                LLVMDisposeMessage(text);
        }
        return 0;
}

/* `ir` compiled to native code, with switch recovery or without. */
static int build(const char *name, const char *ir, bool optimise, bool recover, struct native *out)
{
        struct build_arg a = {name, optimise, recover, out};
        void *f;
        int ret;

        memset(out, 0, sizeof(*out));
        ret = ir_native_build(name, ir, optimise_and_recover, &a, "f", &out->jit, &f);
        CHECKF(ret == 0, "%s does not build", name);
        out->f = (fn3)f;
        return ret;
}

/* Values of v around every case and far from them, in both signs. */
static const uint64_t vs[] = {
    0,          1,         2, 3, 4, 5, 6, 7, 8, 100, (uint64_t)-1, (uint64_t)-2, (uint64_t)-5,
    1ull << 32, 1ull << 63};
static const uint64_t others[] = {0, 1, 9, 0x1234, (uint64_t)-3};
/* %a and %b for generated functions. */
static const uint64_t ab[][2] = {{0x1234, 9}, {(uint64_t)-3, 0}, {0, 0x10001}};

/*
 * Run `ir` with and without recovery on v in `v`, (a, b) in `pairs` (or all
 * of `others` twice): the recovered code first, so that a register it leaves
 * unset cannot hold the other's result. The number of switches rebuilt, or
 * -1 when it does not build.
 */
static int compare(const char *name, const char *ir, bool optimise, const uint64_t *v, size_t nv,
                   const uint64_t (*pairs)[2], size_t npairs, unsigned *blocks)
{
        struct native plain, recovered;
        int diffs = 0, rebuilt;

        if (build(name, ir, optimise, false, &plain))
                return -1;
        if (build(name, ir, optimise, true, &recovered)) {
                bpfaot_jit__free(plain.jit);
                return -1;
        }
        for (size_t i = 0; i < nv; i++)
                for (size_t j = 0; j < (pairs ? npairs : NOTHERS * NOTHERS); j++) {
                        uint64_t a = pairs ? pairs[j][0] : others[j / NOTHERS];
                        uint64_t b = pairs ? pairs[j][1] : others[j % NOTHERS];
                        uint64_t got = recovered.f(v[i], a, b);
                        uint64_t want = plain.f(v[i], a, b);
                        if (got != want && diffs++ < 8)
                                CHECKF(false,
                                       "%s: f(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
                                       ") = 0x%" PRIx64 " after recovery, 0x%" PRIx64 " before",
                                       name, v[i], a, b, got, want);
                        test_checks++;
                }
        rebuilt = recovered.rebuilt;
        if (blocks)
                *blocks = recovered.blocks;
        bpfaot_jit__free(plain.jit);
        bpfaot_jit__free(recovered.jit);
        return rebuilt;
}

static void check_case(const struct ir_case *c)
{
        unsigned blocks = 0;
        int rebuilt =
            compare(c->name, c->ir, false, vs, sizeof(vs) / sizeof(vs[0]), NULL, 0, &blocks);

        if (rebuilt < 0)
                return;
        CHECKF(rebuilt >= 1, "%s: no switch rebuilt (%d)", c->name, rebuilt);
        CHECKF(!c->max_blocks || blocks <= c->max_blocks,
               "%s: %u blocks after recovery, at most %u expected", c->name, blocks, c->max_blocks);
}

/* ---- Generated functions (switch_gen.c) ---- */

static const char *crash_ir;
static char crash_file[64];

static void write_ir(const char *path, const char *ir)
{
        FILE *f = fopen(path, "w");

        if (!f || fputs(ir, f) == EOF || fclose(f))
                fprintf(stderr, "cannot write %s\n", path);
}

/* A function that crashes the process still leaves its IR behind. */
static void on_crash(int sig)
{
        int fd = open(crash_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        if (fd >= 0 && crash_ir) {
                ssize_t n = write(fd, crash_ir, strlen(crash_ir));
                (void)n;
                close(fd);
        }
        if (write(2, "crashed; IR in ", 15) > 0 && write(2, crash_file, strlen(crash_file)) > 0)
                (void)!write(2, "\n", 1);
        signal(sig, SIG_DFL);
        raise(sig);
}

static void run_generated(uint64_t seed, uint64_t count)
{
        uint64_t rebuilt = 0, ran = 0, opt = 0, opt_rebuilt = 0;

        signal(SIGSEGV, on_crash);
        signal(SIGFPE, on_crash);
        signal(SIGILL, on_crash);
        signal(SIGBUS, on_crash);
        for (uint64_t s = seed; s < seed + count; s++) {
                struct switch_gen g;
                char name[64];
                int before = test_failures, r;

                if (switch_gen_make(s, &g)) {
                        CHECKF(false, "seed %" PRIu64 ": out of memory", s);
                        break;
                }
                snprintf(name, sizeof(name), "seed %" PRIu64, s);
                snprintf(crash_file, sizeof(crash_file), "switch_gen_%" PRIu64 ".ll", s);
                crash_ir = g.ir;
                r = compare(name, g.ir, s % 4 == 3, g.vs, g.nvs, ab, sizeof(ab) / sizeof(ab[0]),
                            NULL);
                crash_ir = NULL;
                ran++;
                rebuilt += r > 0;
                opt += s % 4 == 3;
                opt_rebuilt += s % 4 == 3 && r > 0;
                if (test_failures != before) {
                        char cwd[PATH_MAX];
                        write_ir(crash_file, g.ir);
                        fprintf(stderr,
                                "seed %" PRIu64 " failed; IR in %s/%s (again: test_switches "
                                "--seed %" PRIu64 " --count 1)\n",
                                s, getcwd(cwd, sizeof(cwd)) ? cwd : ".", crash_file, s);
                }
                switch_gen_free(&g);
        }
        printf("generated: %" PRIu64 " functions (seeds %" PRIu64 "..%" PRIu64
               "), a switch rebuilt in %" PRIu64 " (%.1f%%); of the %" PRIu64
               " optimised first (seeds 3 mod 4), in %" PRIu64 " (%.1f%%)\n",
               ran, seed, seed + count - 1, rebuilt,
               ran ? 100.0 * (double)rebuilt / (double)ran : 0, opt, opt_rebuilt,
               opt ? 100.0 * (double)opt_rebuilt / (double)opt : 0);
}

/* An IR file (a reduced case): run on every integer in its text, +-1, and extremes. */
static void run_file(const char *path)
{
        static const uint64_t ext[] = {0,          1,          (uint64_t)-1, 0x7fffffff,
                                       0x80000000, 0xffffffff, 1ull << 32,   0x7fffffffffffffffull,
                                       1ull << 63};
        uint64_t v[1024];
        size_t nv = 0, len = 0;
        char *ir = NULL;
        FILE *f = fopen(path, "r");

        if (!f) {
                CHECKF(false, "cannot read %s", path);
                return;
        }
        for (int ch; (ch = fgetc(f)) != EOF;) {
                char *p = realloc(ir, len + 2);
                if (!p)
                        break;
                ir = p;
                ir[len++] = (char)ch;
                ir[len] = 0;
        }
        fclose(f);
        if (!ir)
                return;
        for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
                v[nv++] = ext[i];
        for (const char *p = ir; *p && nv + 9 < sizeof(v) / sizeof(v[0]); p++) {
                if (!(*p >= '0' && *p <= '9') ||
                    (p > ir && (isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '%')))
                        continue;
                uint64_t x = strtoull(p, NULL, 10);
                if (p > ir && p[-1] == '-')
                        x = -x;
                for (int d = -1; d <= 1; d++) {
                        v[nv++] = x + (uint64_t)(int64_t)d;
                        v[nv++] = ((x + (uint64_t)(int64_t)d) & 0xffffffff) | 0xabcd00000000ull;
                        v[nv++] = (x + (uint64_t)(int64_t)d) & 0xffffffff;
                }
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        printf("%s: switches rebuilt: %d\n", path,
               compare(path, ir, optimise_file, v, nv, ab, sizeof(ab) / sizeof(ab[0]), NULL));
        free(ir);
}

static void usage(void)
{
        fprintf(stderr,
                "usage: test_switches [--seed N] [--count M] [--ir FILE [--O2]] [--dump]\n");
        exit(2);
}

int main(int argc, char **argv)
{
        uint64_t seed = DEFAULT_SEED, count = DEFAULT_COUNT;
        const char *file = NULL;

        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
                if (!strcmp(arg, "--dump") || !strcmp(arg, "--O2")) {
                        dump_recovered = dump_recovered || arg[2] == 'd';
                        optimise_file = optimise_file || arg[2] == 'O';
                        continue;
                }
                if (!val)
                        usage();
                if (!strcmp(arg, "--seed"))
                        seed = strtoull(val, NULL, 0);
                else if (!strcmp(arg, "--count"))
                        count = strtoull(val, NULL, 0);
                else if (!strcmp(arg, "--ir"))
                        file = val;
                else
                        usage();
                i++;
        }
        compat_init_targets();
        if (file) {
                run_file(file);
                return TEST_EXIT("switches");
        }
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                check_case(cases[i]);
        run_generated(seed, count);
        return TEST_EXIT("switches");
}
