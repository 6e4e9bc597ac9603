/* SPDX-License-Identifier: MIT */
/*
 * Compile latency of bpfaot_compile on generated programs of 1k, 4k, 16k and
 * 64k instructions: straight-line code with forward branches in a realistic
 * mix (ALU64/ALU32 with registers and immediates, some division, stack
 * loads/stores of all sizes, loads from the context, lddw, forward
 * conditional jumps and a few helper calls).
 *
 * For each size it times four things (best of several runs):
 *   ir-O0   translate + verify only (LLVM IR output, no optimisation)
 *   obj-O0  translate + code generation without optimisation
 *   ir-O2   translate + the -O2 optimisation pipeline
 *   obj-O2  all of it: what `bpf-aot build -O2` does
 * and prints wall-clock milliseconds (CLOCK_MONOTONIC) and milliseconds per
 * 1,000 instructions, plus the process CPU time of the best obj-O2 run (close
 * to the wall time unless other processes compete for the CPU).
 */
#define _GNU_SOURCE
#include <bpfaot/bpfaot.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rng_next(uint64_t *s)
{
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 0x2545f4914f6cdd1dull;
}

static unsigned rnd(uint64_t *s, unsigned n)
{
        return (unsigned)(rng_next(s) % n);
}

static struct bpfaot_insn mk(uint8_t opcode, unsigned dst, unsigned src, int off, int32_t imm)
{
        struct bpfaot_insn i = {.opcode = opcode,
                                .dst = (uint8_t)dst,
                                .src = (uint8_t)src,
                                .off = (int16_t)off,
                                .imm = imm};
        return i;
}

/* A register the generator may write: r0-r5 and r7-r9 (r6 keeps the context pointer). */
static unsigned any_dst(uint64_t *s)
{
        static const unsigned regs[] = {0, 1, 2, 3, 4, 5, 7, 8, 9};
        return regs[rnd(s, sizeof(regs) / sizeof(regs[0]))];
}

static unsigned any_src(uint64_t *s)
{
        return rnd(s, 10); /* r0-r9 */
}

/*
 * Generate `n` instruction slots. Jump offsets are chosen after all slots
 * exist so that no jump lands on the second slot of an lddw.
 */
static struct bpfaot_insn *generate(size_t n, uint64_t seed)
{
        static const uint8_t alu_ops[] = {BPFAOT_ALU_ADD, BPFAOT_ALU_SUB, BPFAOT_ALU_MUL,
                                          BPFAOT_ALU_OR,  BPFAOT_ALU_AND, BPFAOT_ALU_XOR,
                                          BPFAOT_ALU_LSH, BPFAOT_ALU_RSH, BPFAOT_ALU_ARSH,
                                          BPFAOT_ALU_MOV, BPFAOT_ALU_ADD, BPFAOT_ALU_MOV};
        static const uint8_t jmp_ops[] = {BPFAOT_JMP_JEQ,  BPFAOT_JMP_JNE,  BPFAOT_JMP_JGT,
                                          BPFAOT_JMP_JGE,  BPFAOT_JMP_JLT,  BPFAOT_JMP_JLE,
                                          BPFAOT_JMP_JSGT, BPFAOT_JMP_JSLT, BPFAOT_JMP_JSET};
        static const uint8_t sizes[] = {BPFAOT_SIZE_DW, BPFAOT_SIZE_DW, BPFAOT_SIZE_W,
                                        BPFAOT_SIZE_H, BPFAOT_SIZE_B};
        struct bpfaot_insn *p = calloc(n, sizeof(*p));
        bool *tail = calloc(n, sizeof(*tail));
        uint64_t s = seed;
        size_t i = 0;

        if (!p || !tail) {
                free(p);
                free(tail);
                return NULL;
        }
        /* Prologue: keep ctx in r6; every other register written before it is read. */
        p[i++] = mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_X, 6, 1, 0, 0);
        for (unsigned r = 0; r <= 9; r++)
                if (r != 1 && r != 6)
                        p[i++] = mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_K, r, 0, 0, 0);
        while (i < n - 2) {
                unsigned pick = rnd(&s, 1000);
                uint8_t sz = sizes[rnd(&s, sizeof(sizes))];
                unsigned bytes = sz == BPFAOT_SIZE_DW  ? 8
                                 : sz == BPFAOT_SIZE_W ? 4
                                 : sz == BPFAOT_SIZE_H ? 2
                                                       : 1;
                /* Stack slot aligned to its size, inside the 512-byte frame. */
                int soff = -(int)(bytes * (1 + rnd(&s, 512 / bytes - 1)));

                if (pick < 420) { /* ALU, 64-bit mostly */
                        uint8_t cls = rnd(&s, 4) ? BPFAOT_CLASS_ALU64 : BPFAOT_CLASS_ALU;
                        uint8_t op = alu_ops[rnd(&s, sizeof(alu_ops))];
                        bool shift =
                            op == BPFAOT_ALU_LSH || op == BPFAOT_ALU_RSH || op == BPFAOT_ALU_ARSH;
                        if (shift || rnd(&s, 2))
                                p[i++] = mk(cls | op | BPFAOT_SRC_K, any_dst(&s), 0, 0,
                                            shift ? (int32_t)rnd(&s, 32)
                                                  : (int32_t)rng_next(&s) >> rnd(&s, 31));
                        else
                                p[i++] =
                                    mk(cls | op | BPFAOT_SRC_X, any_dst(&s), any_src(&s), 0, 0);
                } else if (pick < 440) { /* division / modulo by a register */
                        uint8_t op = rnd(&s, 2) ? BPFAOT_ALU_DIV : BPFAOT_ALU_MOD;
                        p[i++] = mk(BPFAOT_CLASS_ALU64 | op | BPFAOT_SRC_X, any_dst(&s),
                                    any_src(&s), 0, 0);
                } else if (pick < 620) { /* store to the stack */
                        if (rnd(&s, 4))
                                p[i++] = mk(BPFAOT_CLASS_STX | BPFAOT_MODE_MEM | sz, BPFAOT_REG_FP,
                                            any_src(&s), soff, 0);
                        else
                                p[i++] = mk(BPFAOT_CLASS_ST | BPFAOT_MODE_MEM | sz, BPFAOT_REG_FP,
                                            0, soff, (int32_t)rnd(&s, 1000));
                } else if (pick < 780) { /* load from the stack */
                        p[i++] = mk(BPFAOT_CLASS_LDX | BPFAOT_MODE_MEM | sz, any_dst(&s),
                                    BPFAOT_REG_FP, soff, 0);
                } else if (pick < 820) { /* load from the context */
                        p[i++] = mk(BPFAOT_CLASS_LDX | BPFAOT_MODE_MEM | sz, any_dst(&s), 6,
                                    (int)(bytes * rnd(&s, 64)), 0);
                } else if (pick < 830 && i + 2 < n - 2) { /* lddw */
                        uint64_t v = rng_next(&s);
                        p[i++] = mk(BPFAOT_OP_LDDW, any_dst(&s), 0, 0, (int32_t)(uint32_t)v);
                        tail[i] = true;
                        p[i++] = mk(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
                } else if (pick < 995) { /* forward conditional jump; offset fixed below */
                        uint8_t cls = rnd(&s, 4) ? BPFAOT_CLASS_JMP : BPFAOT_CLASS_JMP32;
                        uint8_t op = jmp_ops[rnd(&s, sizeof(jmp_ops))];
                        if (rnd(&s, 2))
                                p[i++] = mk(cls | op | BPFAOT_SRC_K, any_src(&s), 0, 1,
                                            (int32_t)rnd(&s, 256));
                        else
                                p[i++] =
                                    mk(cls | op | BPFAOT_SRC_X, any_src(&s), any_src(&s), 1, 0);
                } else if (i + 6 < n - 2) {
                        /* Helper call (ids 1..16): an external function after compilation. It
                         * leaves r1-r5 unreadable, as in the kernel: they are written again. */
                        p[i++] = mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL, 0, BPFAOT_CALL_HELPER, 0,
                                    (int32_t)(1 + rnd(&s, 16)));
                        for (unsigned r = 1; r <= 5; r++)
                                p[i++] = mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_X, r,
                                            r == 1 ? 6 : 0, 0, 0);
                }
        }
        while (i < n - 2)
                p[i++] = mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, 0, 0, 0, 1);
        p[i++] = mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_X, 0, 7, 0, 0);
        p[i++] = mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_EXIT, 0, 0, 0, 0);

        /* Forward jumps of 1..24 slots (some longer), never onto an lddw tail or past exit. */
        for (size_t j = 0; j < n; j++) {
                uint8_t cls = p[j].opcode & 7;
                if (tail[j] || (cls != BPFAOT_CLASS_JMP && cls != BPFAOT_CLASS_JMP32) ||
                    (p[j].opcode & 0xf0) == BPFAOT_JMP_CALL ||
                    (p[j].opcode & 0xf0) == BPFAOT_JMP_EXIT)
                        continue;
                size_t dist = rnd(&s, 16) ? 1 + rnd(&s, 24) : 1 + rnd(&s, 400);
                size_t target = j + 1 + dist;
                if (target > n - 1)
                        target = n - 1;
                while (target < n - 1 && tail[target])
                        target++;
                p[j].off = (int16_t)(target - j - 1);
        }
        free(tail);
        return p;
}

struct variant {
        const char *name;
        int opt_level;
        int output;
        /* The compile-time goal of a whole compile: ms per program + us per insn (0: none). */
        double goal_ms, goal_us;
};

static const struct variant variants[] = {
    {"ir-O0", 0, BPFAOT_OUTPUT_LLVM_IR, 0, 0},
    {"obj-O0", 0, BPFAOT_OUTPUT_OBJECT, 1, 3},
    {"ir-O2", 2, BPFAOT_OUTPUT_LLVM_IR, 0, 0},
    {"obj-O2", 2, BPFAOT_OUTPUT_OBJECT, 2, 20},
};
#define VARIANT_CNT (sizeof(variants) / sizeof(variants[0]))

static size_t region_insns; /* 0: the library's default */
static unsigned threads;    /* bpfaot_compile_opts.threads */
static size_t part_insns;   /* bpfaot_compile_opts.part_insns */
/* bpfaot_compile_opts.targets: --object's compiles share one pool per object, as build's do. */
static struct bpfaot_targets *targets;
static bool no_target_pool;
/* --over: name on stderr every program that misses its variant's goal. */
static bool list_over;
/* --variants / --O2-only: the variants timed (all by default). */
static bool skip_variant[VARIANT_CNT];

static int time_compile(const struct bpfaot_prog *prog, const struct variant *v, int reps,
                        double *best_ms, double *best_cpu_ms, size_t *out_len)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, opts, .optimize = BPFAOT_O(v->opt_level),
                         .output = v->output, .region_insns = region_insns, .threads = threads,
                         .part_insns = part_insns, .targets = targets);
        *best_ms = -1;
        for (int r = 0; r < reps; r++) {
                struct bpfaot_error err = {0};
                struct bpfaot_buf out;
                double t0 = now_ms(), c0 = cpu_ms();
                int rc = bpfaot_compile(prog, &opts, &out, &err);
                double t = now_ms() - t0, c = cpu_ms() - c0;
                if (rc) {
                        fprintf(stderr, "compile_latency: %s: %s\n", v->name, err.msg);
                        return rc;
                }
                *out_len = out.len;
                bpfaot_buf_free(&out);
                if (*best_ms < 0 || t < *best_ms) {
                        *best_ms = t;
                        *best_cpu_ms = c;
                }
        }
        return 0;
}

/* Write the raw bytecode to PREFIX-N.bin (for `bpf-aot compile`). */
static int dump_prog(const char *prefix, const struct bpfaot_insn *insns, size_t n)
{
        char path[4096];
        uint8_t *bytes = malloc(n * 8);
        FILE *f;
        int ret = 0;

        snprintf(path, sizeof(path), "%s-%zu.bin", prefix, n);
        if (!bytes)
                return -1;
        bpfaot_encode(insns, n, bytes);
        f = fopen(path, "wb");
        if (!f || fwrite(bytes, 8, n, f) != n) {
                fprintf(stderr, "compile_latency: cannot write %s\n", path);
                ret = -1;
        }
        if (f && fclose(f))
                ret = -1;
        free(bytes);
        return ret;
}

static int read_file(const char *path, uint8_t **data, size_t *len)
{
        FILE *f = fopen(path, "rb");
        long n;

        *data = NULL;
        if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
            !(*data = malloc(n ? (size_t)n : 1)) || fread(*data, 1, (size_t)n, f) != (size_t)n) {
                fprintf(stderr, "compile_latency: cannot read %s\n", path);
                free(*data);
                if (f)
                        fclose(f);
                return -1;
        }
        fclose(f);
        *len = (size_t)n;
        return 0;
}

/*
 * What --object adds up over all programs: times, and the sums of a least
 * squares line through (instructions, ms) of every program: a fixed cost
 * per program plus a cost per instruction, as the goals are stated.
 */
struct totals {
        double ms[VARIANT_CNT];
        size_t insns, progs, refused;
        double sx, sxx, sy[VARIANT_CNT], sxy[VARIANT_CNT];
        /* Per variant with a goal: programs within it, and the one furthest over (or nearest). */
        size_t within[VARIANT_CNT];
        double worst[VARIANT_CNT];
        char worst_name[VARIANT_CNT][96];
};

/* A program's time against its variant's goal (time / goal), the worst kept in `tot`. */
static void count_goal(struct totals *tot, size_t v, double ms, size_t insns, const char *object,
                       const char *prog)
{
        double ratio;

        if (!variants[v].goal_ms)
                return;
        ratio = ms / (variants[v].goal_ms + variants[v].goal_us * (double)insns / 1000.0);
        tot->within[v] += ratio <= 1.0;
        if (ratio > 1.0 && list_over)
                fprintf(stderr, "over the %s goal: %s:%s, %zu insns, %.2f ms, %.2f of the goal\n",
                        variants[v].name, object, prog, insns, ms, ratio);
        if (ratio > tot->worst[v]) {
                tot->worst[v] = ratio;
                snprintf(tot->worst_name[v], sizeof(tot->worst_name[v]), "%s:%s (%zu insns)",
                         object, prog, insns);
        }
}

/*
 * Every program of the eBPF ELF object `path`, each compiled on its own as
 * `bpf-aot build` does (instructions counted with the sub-programs linked
 * into it). Programs the library refuses are counted apart.
 */
static int time_object(const char *path, int reps, struct totals *tot)
{
        struct bpfaot_error err = {0};
        struct bpfaot_elf *elf = NULL;
        double ms[VARIANT_CNT] = {0};
        size_t insns = 0, progs = 0, len;
        uint8_t *data;

        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

        if (read_file(path, &data, &len))
                return -1;
        if (bpfaot_elf__open_mem(data, len, path, &elf, &err)) {
                fprintf(stderr, "compile_latency: %s\n", err.msg);
                free(data);
                return -1;
        }
        free(data);
        if (!no_target_pool && bpfaot_targets__new(&targets, &err)) {
                fprintf(stderr, "compile_latency: %s\n", err.msg);
                bpfaot_elf__free(elf);
                return -1;
        }
        for (size_t i = 0; i < elf->prog_cnt; i++) {
                struct bpfaot_prog prog;
                double t[VARIANT_CNT] = {0}, cpu, x;
                bool ok = true;

                bpfaot_elf__prog(elf, i, &prog);
                for (size_t v = 0; v < VARIANT_CNT && ok; v++)
                        ok = skip_variant[v] ||
                             time_compile(&prog, &variants[v], reps, &t[v], &cpu, &len) == 0;
                if (!ok) {
                        tot->refused++;
                        continue;
                }
                x = (double)prog.insn_cnt;
                tot->sx += x;
                tot->sxx += x * x;
                for (size_t v = 0; v < VARIANT_CNT; v++) {
                        ms[v] += t[v];
                        tot->sy[v] += t[v];
                        tot->sxy[v] += x * t[v];
                        if (!skip_variant[v])
                                count_goal(tot, v, t[v], prog.insn_cnt, base, prog.name);
                }
                insns += prog.insn_cnt;
                progs++;
        }
        printf("%-32.32s %5zu %7zu", base, progs, insns);
        for (size_t v = 0; v < VARIANT_CNT; v++) {
                if (skip_variant[v])
                        continue;
                printf(" %9.1f %7.1f", ms[v], insns ? ms[v] * 1000.0 / (double)insns : 0.0);
                tot->ms[v] += ms[v];
        }
        printf("\n");
        tot->insns += insns;
        tot->progs += progs;
        bpfaot_targets__free(targets);
        targets = NULL;
        bpfaot_elf__free(elf);
        return 0;
}

/* The table of --object runs: per object, in all, and the line fitted through the programs. */
static int time_objects(char **paths, size_t cnt, int reps)
{
        struct totals t = {0};
        double n, d;

        printf("bpfaot_compile latency of each program of eBPF objects (host target, %u "
               "thread%s); ms in all, and us per insn\n",
               threads ? threads : 1, threads > 1 ? "s" : "");
        printf("%-32s %5s %7s", "object", "progs", "insns");
        for (size_t v = 0; v < VARIANT_CNT; v++)
                if (!skip_variant[v])
                        printf(" %9s %7s", variants[v].name, "us/insn");
        printf("\n");
        for (size_t i = 0; i < cnt; i++)
                if (time_object(paths[i], reps, &t))
                        return 1;
        printf("%-32s %5zu %7zu", "all", t.progs, t.insns);
        for (size_t v = 0; v < VARIANT_CNT; v++)
                if (!skip_variant[v])
                        printf(" %9.1f %7.1f", t.ms[v],
                               t.insns ? t.ms[v] * 1000.0 / (double)t.insns : 0.0);
        printf("\n");
        n = (double)t.progs;
        d = n * t.sxx - t.sx * t.sx;
        if (t.progs > 1 && d > 0) {
                /* Columns: ms per program, then us per instruction. */
                printf("%-32s %5s %7s", "fit: ms/prog + us/insn", "", "");
                for (size_t v = 0; v < VARIANT_CNT; v++) {
                        double slope = (n * t.sxy[v] - t.sx * t.sy[v]) / d;
                        if (skip_variant[v])
                                continue;
                        printf(" %9.2f %7.1f", (t.sy[v] - slope * t.sx) / n, slope * 1000.0);
                }
                printf("\n");
        }
        for (size_t v = 0; v < VARIANT_CNT; v++)
                if (!skip_variant[v] && variants[v].goal_ms && t.progs)
                        printf("%s: %zu of %zu program%s within the goal of %g ms + %g us per "
                               "insn; the furthest from it at %.2f of it: %s\n",
                               variants[v].name, t.within[v], t.progs, t.progs > 1 ? "s" : "",
                               variants[v].goal_ms, variants[v].goal_us, t.worst[v],
                               t.worst_name[v]);
        if (t.refused)
                printf("%zu program%s refused (the message above says why), not counted\n",
                       t.refused, t.refused > 1 ? "s" : "");
        return 0;
}

/* --variants NAME,NAME,...: time only these. */
static int select_variants(const char *list)
{
        for (size_t v = 0; v < VARIANT_CNT; v++)
                skip_variant[v] = true;
        while (*list) {
                size_t len = strcspn(list, ","), v;

                for (v = 0; v < VARIANT_CNT; v++)
                        if (strlen(variants[v].name) == len &&
                            strncmp(variants[v].name, list, len) == 0)
                                break;
                if (v == VARIANT_CNT) {
                        fprintf(stderr,
                                "compile_latency: unknown variant '%.*s' in --variants "
                                "(ir-O0, obj-O0, ir-O2, obj-O2)\n",
                                (int)len, list);
                        return -1;
                }
                skip_variant[v] = false;
                list += len + (list[len] == ',');
        }
        return 0;
}

static void usage(FILE *out)
{
        fprintf(out, "Usage: compile_latency [--quick] [--reps N] [--sizes N,N,...]\n"
                     "                       [--variants LIST | --O2-only] [--region-insns N]\n"
                     "                       [--threads N] [--part-insns N]\n"
                     "                       [--dump PREFIX]\n"
                     "                       [--object FILE... [--no-target-pool] [--over]]\n"
                     "\n"
                     "Time bpfaot_compile on generated programs (default sizes\n"
                     "1024,4096,16384,65536 instructions; best of --reps runs, default 3\n"
                     "below 16k instructions and 1 from 16k up). --variants times only\n"
                     "those named of ir-O0, obj-O0, ir-O2 and obj-O2 (comma-separated;\n"
                     "--O2-only: ir-O2,obj-O2). --dump writes each generated\n"
                     "program as raw bytecode to PREFIX-<insns>.bin. --region-insns sets\n"
                     "bpfaot_compile_opts.region_insns (sub-programs longer than this\n"
                     "are split into regions of that size; default: the library's).\n"
                     "--threads sets bpfaot_compile_opts.threads (default 1; 0: one per\n"
                     "online CPU): long programs compile in parts on that many threads;\n"
                     "--part-insns sets bpfaot_compile_opts.part_insns, their size.\n"
                     "--object FILE... times every program of each eBPF ELF object\n"
                     "instead, each on its own as `bpf-aot build` compiles it (best of\n"
                     "--reps runs, default 3; the compiles of an object share target\n"
                     "machines, bpfaot_compile_opts.targets, unless --no-target-pool),\n"
                     "and prints per object and in all the milliseconds and the\n"
                     "microseconds per instruction, then the line fitted through every\n"
                     "program's times: milliseconds per program plus microseconds per\n"
                     "instruction, and how many programs compile within the goals of\n"
                     "1 ms + 3 us per instruction (obj-O0) and 2 ms + 20 us (obj-O2);\n"
                     "--over names on stderr each program that does not.\n");
}

int main(int argc, char **argv)
{
        size_t sizes[16] = {1024, 4096, 16384, 65536};
        size_t size_cnt = 4;
        int reps = 0;
        const char *dump = NULL;
        char **objects = NULL;
        size_t object_cnt = 0;

        for (int a = 1; a < argc; a++) {
                if (strcmp(argv[a], "--quick") == 0) {
                        sizes[0] = 1024;
                        size_cnt = 1;
                        reps = 1;
                } else if (strcmp(argv[a], "--reps") == 0 && a + 1 < argc) {
                        reps = atoi(argv[++a]);
                } else if (strcmp(argv[a], "--region-insns") == 0 && a + 1 < argc) {
                        region_insns = strtoull(argv[++a], NULL, 0);
                } else if (strcmp(argv[a], "--threads") == 0 && a + 1 < argc) {
                        long t = strtol(argv[++a], NULL, 0);
                        threads = t > 0 ? (unsigned)t : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
                } else if (strcmp(argv[a], "--part-insns") == 0 && a + 1 < argc) {
                        part_insns = strtoull(argv[++a], NULL, 0);
                } else if (strcmp(argv[a], "--dump") == 0 && a + 1 < argc) {
                        dump = argv[++a];
                } else if (strcmp(argv[a], "--object") == 0 && a + 1 < argc) {
                        /* The files after it, up to the next option. */
                        objects = &argv[a + 1];
                        while (a + 1 < argc && argv[a + 1][0] != '-') {
                                object_cnt++;
                                a++;
                        }
                } else if (strcmp(argv[a], "--no-target-pool") == 0) {
                        no_target_pool = true;
                } else if (strcmp(argv[a], "--over") == 0) {
                        list_over = true;
                } else if (strcmp(argv[a], "--O2-only") == 0) {
                        for (size_t v = 0; v < VARIANT_CNT; v++)
                                skip_variant[v] = variants[v].opt_level != 2;
                } else if (strcmp(argv[a], "--variants") == 0 && a + 1 < argc) {
                        if (select_variants(argv[++a]))
                                return 2;
                } else if (strcmp(argv[a], "--sizes") == 0 && a + 1 < argc) {
                        char *p = argv[++a], *end;
                        size_cnt = 0;
                        while (*p && size_cnt < 16) {
                                sizes[size_cnt] = strtoull(p, &end, 0);
                                if (end == p || sizes[size_cnt] < 16) {
                                        fprintf(stderr, "compile_latency: bad --sizes\n");
                                        return 2;
                                }
                                size_cnt++;
                                p = *end == ',' ? end + 1 : end;
                        }
                } else if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
                        usage(stdout);
                        return 0;
                } else {
                        usage(stderr);
                        return 2;
                }
        }

        if (object_cnt)
                return time_objects(objects, object_cnt, reps > 0 ? reps : 3);
        printf("bpfaot_compile latency (host target, generic CPU, %u thread%s); ms and ms per "
               "1,000 insns\n",
               threads ? threads : 1, threads > 1 ? "s" : "");
        printf("%8s", "insns");
        for (size_t v = 0; v < VARIANT_CNT; v++) {
                if (skip_variant[v])
                        continue;
                printf(" %10s %8s", variants[v].name, "/1k");
        }
        printf(" %10s %10s\n", "O2 cpu ms", "obj bytes");

        for (size_t si = 0; si < size_cnt; si++) {
                size_t n = sizes[si];
                struct bpfaot_insn *insns = generate(n, 0x1234567 + n);
                struct bpfaot_prog prog = {
                    .input = "generated", .name = "gen", .insns = insns, .insn_cnt = n};
                int r = reps > 0 ? reps : n < 16384 ? 3 : 1;
                size_t obj_len = 0;
                double o2_cpu = -1;

                if (!insns) {
                        fprintf(stderr, "compile_latency: out of memory\n");
                        return 1;
                }
                if (dump && dump_prog(dump, insns, n)) {
                        free(insns);
                        return 1;
                }
                printf("%8zu", n);
                fflush(stdout);
                for (size_t v = 0; v < VARIANT_CNT; v++) {
                        double ms = 0, cpu = 0;
                        size_t len;
                        if (skip_variant[v])
                                continue;
                        if (time_compile(&prog, &variants[v], r, &ms, &cpu, &len)) {
                                free(insns);
                                return 1;
                        }
                        if (variants[v].output == BPFAOT_OUTPUT_OBJECT)
                                obj_len = len;
                        if (variants[v].output == BPFAOT_OUTPUT_OBJECT &&
                            variants[v].opt_level == 2)
                                o2_cpu = cpu;
                        printf(" %10.1f %8.2f", ms, ms * 1000.0 / (double)n);
                        fflush(stdout);
                }
                printf(" %10.1f %10zu\n", o2_cpu, obj_len);
                free(insns);
        }
        return 0;
}
