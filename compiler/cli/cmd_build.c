/* SPDX-License-Identifier: MIT */
/* `build` (eBPF ELF → one native object per program) and `compile` (raw bytecode → object). */
#define _GNU_SOURCE
#include "cli.h"
#include "input.h"

#include "bpfaot/maps.h"
#include "bpfaot/runtime.h"
#include "bpfaot/shm.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct build_args {
        struct bpfaot_compile_opts copts;
        const char *input;
        const char *output; /* DIR for build, FILE for compile */
        const char *program;
        const char *kconfig;
        bool verbose;
        bool skeleton;
        /* compile without an input: the programs of a shared-memory segment */
        const char *shm;     /* its name (NULL: the default) */
        uint32_t id;         /* only this program (0: all) */
        unsigned jobs;       /* programs compiled at once (0: one per online CPU) */
        unsigned time_limit; /* seconds (0: none) */
        bool time_limit_set; /* else the default for the input's size */
};

static const char *const out_ext[] = {".o", ".ll", ".s"};

/* Which of build and compile take an option: --help lists it only there. */
enum { FOR_BOTH, FOR_BUILD, FOR_COMPILE };

/* The options of build and compile, as --help lists them. */
static const struct {
        const char *spelling, *meaning;
        int only;
} option_help[] = {
    {"-o, --output DIR", "the output directory (made if missing)", FOR_BUILD},
    {"-o, --output FILE",
     "the output file ('-': standard output); without\n"
     "an input, the output directory",
     FOR_COMPILE},
    {"-e, --emit-llvm",
     "write LLVM IR (.ll) instead of an object\n"
     "(bpftime-aot's spelling, --emit_llvm, too)",
     FOR_BOTH},
    {"-S, --asm", "write assembly (.s) instead of an object", FOR_BOTH},
    {"-O N", "optimisation level 0-3 (default 2)", FOR_BOTH},
    {"-g",
     "source-level debug info: DWARF line tables from the\n"
     "object's .BTF.ext line info (clang -g), so that gdb,\n"
     "perf and addr2line show .bpf.c file:line and function\n"
     "names; code is the same without it. Input without\n"
     "line info (raw bytecode) builds without, with a warning",
     FOR_BOTH},
    {"--target TRIPLE",
     "target triple (default: the host), e.g.\n"
     "x86_64-linux-gnu, aarch64-linux-gnu",
     FOR_BOTH},
    {"--cpu NAME",
     "target CPU (default generic: the target's\n"
     "baseline, x86-64, armv8-a or rv64gc;\n"
     "'native' = this host)",
     FOR_BOTH},
    {"--features LIST", "target features, e.g. +avx2", FOR_BOTH},
    {"--align-loops N",
     "align hot loop headers to N bytes, a power of two\n"
     "up to 256 (1: not at all); default 64 on x86-64 at\n"
     "-O2 and -O3, else the target's own",
     FOR_BOTH},
    {"--entry NAME", "name of the entry function (default bpf_main)", FOR_BOTH},
    {"--stack-size N", "bytes of stack per call frame (default 512)", FOR_BOTH},
    {"--max-insns N", "reject programs longer than N (default 1000000)", FOR_BOTH},
    {"--program NAME", "only this program of an ELF object", FOR_BOTH},
    {"--inline-maps",
     "look up ARRAY maps by address arithmetic, not a\n"
     "helper call (the maps must be the runtime's)",
     FOR_BOTH},
    {"--maps-by-fd",
     "load each map as __lddw_helper_map_by_fd(index in the\n"
     "object), for hosts that own the maps (as bpftime's)",
     FOR_BOTH},
    {"--sandbox",
     "check at run time every access and helper argument\n"
     "the compiler cannot prove to be the program's own: a\n"
     "failed check ends the run (the entry returns 0,\n"
     "bpfaot_sandbox_fault() says why); refuses programs\n"
     "calling what the checks do not cover",
     FOR_BOTH},
    {"--max-loops N",
     "with --sandbox: loop iterations one run may make\n"
     "(default 100000000); past them the run fails",
     FOR_BOTH},
    {"--kconfig FILE",
     "kernel config (plain or gzip) for CONFIG_* .kconfig\n"
     "externs (default: this host's /proc/config.gz or\n"
     "/boot/config-<release>)",
     FOR_BOTH},
    {"--skeleton",
     "one object DIR/<name>.aot.o with every program as\n"
     "<name>__<program>(ctx, size), and the header\n"
     "DIR/<name>.aot.h (maps, typed global data, open/\n"
     "load/destroy); <name>: the file name without .bpf.o",
     FOR_BUILD},
    {"--instances",
     "with --skeleton: each open of the skeleton is an\n"
     "instance with its own maps and data, programs run\n"
     "on one with <name>_aot__run()",
     FOR_BUILD},
    {"--shm NAME",
     "without an input: the segment whose programs to compile\n"
     "(default: $BPFAOT_SHM, else bpfaot)",
     FOR_COMPILE},
    {"--id N", "without an input: only the segment's program N", FOR_COMPILE},
    {"-j, --jobs N",
     "compile on up to N threads (default 1; 0: one per CPU):\n"
     "programs at once, and a long program in parts; messages\n"
     "and outputs stay in program order, objects the same",
     FOR_BOTH},
    {"--time-limit SEC",
     "give up compiling after SEC seconds (0: never;\n"
     "default 120 + 1 per 1,000 instructions)",
     FOR_BOTH},
    {"-v, --verbose", "say what is compiled", FOR_BOTH},
    {"-h, --help", "this help", FOR_BOTH},
};

static void usage(FILE *out, bool build)
{
        if (build)
                fprintf(out, "Usage: bpf-aot build <EBPF_ELF> [-o DIR] [options]\n\n"
                             "Compile every program of an eBPF ELF object into DIR/<program>.o\n"
                             "(default DIR: the current directory).\n\nOptions:\n");
        else
                fprintf(out,
                        "Usage: bpf-aot compile <BYTECODE> [-o FILE] [options]\n"
                        "       bpf-aot compile [-o DIR] [--shm NAME] [--id N] [options]\n\n"
                        "Compile one program given as raw eBPF bytecode, hex text (\"b7 00 ...\")\n"
                        "or an eBPF ELF object with one program into a native object (default\n"
                        "FILE: the input's name with .o). Without an input, compile every\n"
                        "program of a shared-memory segment into DIR/<program>.o (default DIR:\n"
                        "the current directory), its maps loaded as __lddw_helper_map_by_fd(the\n"
                        "map's id in the segment).\n\nOptions:\n");
        for (size_t i = 0; i < sizeof(option_help) / sizeof(option_help[0]); i++) {
                const char *spelling = option_help[i].spelling, *m = option_help[i].meaning;

                if (option_help[i].only == (build ? FOR_COMPILE : FOR_BUILD))
                        continue;
                fprintf(out, "  %-20s ", spelling);
                /* Continuation lines of a meaning line up under its first. */
                for (; *m; m++) {
                        fputc(*m, out);
                        if (*m == '\n')
                                fprintf(out, "%23s", "");
                }
                fputc('\n', out);
        }
}

static int parse_args(int argc, char **argv, bool build, struct build_args *a)
{
        enum {
                O_TARGET = 256,
                O_CPU,
                O_FEATURES,
                O_ENTRY,
                O_STACK,
                O_MAXINSNS,
                O_PROGRAM,
                O_SKELETON,
                O_KCONFIG,
                O_INLINE_MAPS,
                O_MAPS_BY_FD,
                O_INSTANCES,
                O_SHM,
                O_ID,
                O_SANDBOX,
                O_MAX_LOOPS,
                O_TIME_LIMIT,
                O_ALIGN_LOOPS
        };
        static const struct option lopts[] = {
            {"output", required_argument, NULL, 'o'},
            {"emit-llvm", no_argument, NULL, 'e'},
            {"emit_llvm", no_argument, NULL, 'e'}, /* bpftime-aot's spelling */
            {"asm", no_argument, NULL, 'S'},
            {"target", required_argument, NULL, O_TARGET},
            {"cpu", required_argument, NULL, O_CPU},
            {"features", required_argument, NULL, O_FEATURES},
            {"align-loops", required_argument, NULL, O_ALIGN_LOOPS},
            {"entry", required_argument, NULL, O_ENTRY},
            {"stack-size", required_argument, NULL, O_STACK},
            {"max-insns", required_argument, NULL, O_MAXINSNS},
            {"program", required_argument, NULL, O_PROGRAM},
            {"verbose", no_argument, NULL, 'v'},
            {"skeleton", no_argument, NULL, O_SKELETON},
            {"kconfig", required_argument, NULL, O_KCONFIG},
            {"inline-maps", no_argument, NULL, O_INLINE_MAPS},
            {"maps-by-fd", no_argument, NULL, O_MAPS_BY_FD},
            {"instances", no_argument, NULL, O_INSTANCES},
            {"sandbox", no_argument, NULL, O_SANDBOX},
            {"max-loops", required_argument, NULL, O_MAX_LOOPS},
            {"shm", required_argument, NULL, O_SHM},
            {"id", required_argument, NULL, O_ID},
            {"jobs", required_argument, NULL, 'j'},
            {"time-limit", required_argument, NULL, O_TIME_LIMIT},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        char *end;
        int c;

        optind = 1;
        opterr = 0;
        a->jobs = 1;
        while ((c = getopt_long(argc, argv, ":o:eSO:gj:vh", lopts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        a->output = optarg;
                        break;
                case 'e':
                        a->copts.output = BPFAOT_OUTPUT_LLVM_IR;
                        break;
                case 'S':
                        a->copts.output = BPFAOT_OUTPUT_ASM;
                        break;
                case 'O': {
                        int level = cli_parse_opt_level(optarg);

                        if (level < 0) {
                                cli_error("%s: -O takes 0, 1, 2 or 3", argv[0]);
                                return EXIT_USAGE;
                        }
                        a->copts.optimize = BPFAOT_O(level);
                        break;
                }
                case 'g':
                        a->copts.debug_info = true;
                        break;
                case O_TARGET:
                        a->copts.triple = optarg;
                        break;
                case O_CPU:
                        a->copts.cpu = optarg;
                        break;
                case O_FEATURES:
                        a->copts.features = optarg;
                        break;
                case O_ALIGN_LOOPS: {
                        unsigned long n = strtoul(optarg, &end, 10);

                        if (*end || !*optarg || *optarg == '-' || n == 0 ||
                            n > BPFAOT_MAX_LOOP_ALIGN || (n & (n - 1))) {
                                cli_error("%s: --align-loops takes a power of two from 1 to %u",
                                          argv[0], BPFAOT_MAX_LOOP_ALIGN);
                                return EXIT_USAGE;
                        }
                        a->copts.loop_align = (uint32_t)n;
                        break;
                }
                case O_ENTRY:
                        a->copts.entry_name = optarg;
                        break;
                case O_STACK:
                        a->copts.stack_size = (uint32_t)strtoul(optarg, &end, 0);
                        if (*end || a->copts.stack_size == 0) {
                                cli_error("%s: --stack-size takes a positive number", argv[0]);
                                return EXIT_USAGE;
                        }
                        break;
                case O_MAXINSNS:
                        a->copts.max_insns = strtoull(optarg, &end, 0);
                        if (*end || a->copts.max_insns == 0) {
                                cli_error("%s: --max-insns takes a positive number", argv[0]);
                                return EXIT_USAGE;
                        }
                        break;
                case O_PROGRAM:
                        a->program = optarg;
                        break;
                case 'v':
                        a->verbose = true;
                        break;
                case 'j': {
                        unsigned long n = strtoul(optarg, &end, 10);

                        if (*end || !*optarg || *optarg == '-' || n > 1024) {
                                cli_error("%s: -j takes a number of threads to compile on "
                                          "(0-1024; 0: one per CPU)",
                                          argv[0]);
                                return EXIT_USAGE;
                        }
                        a->jobs = (unsigned)n;
                        break;
                }
                case O_TIME_LIMIT: {
                        unsigned long n = strtoul(optarg, &end, 10);

                        if (*end || !*optarg || *optarg == '-' || n > 86400) {
                                cli_error("%s: --time-limit takes seconds (0-86400; 0: no limit)",
                                          argv[0]);
                                return EXIT_USAGE;
                        }
                        a->time_limit = (unsigned)n;
                        a->time_limit_set = true;
                        break;
                }
                case O_KCONFIG:
                        a->kconfig = optarg;
                        break;
                case O_SANDBOX:
                        a->copts.sandbox = true;
                        break;
                case O_MAX_LOOPS:
                        a->copts.sandbox_max_loops = strtoull(optarg, &end, 0);
                        if (*end || !a->copts.sandbox_max_loops || optarg[0] == '-') {
                                cli_error("%s: --max-loops takes a positive number", argv[0]);
                                return EXIT_USAGE;
                        }
                        break;
                case O_INLINE_MAPS:
                        a->copts.inline_maps = true;
                        break;
                case O_MAPS_BY_FD:
                        a->copts.maps_by_fd = true;
                        break;
                case O_SKELETON:
                        if (!build) {
                                cli_error("compile: --skeleton is an option of 'build'");
                                return EXIT_USAGE;
                        }
                        a->skeleton = true;
                        break;
                case O_INSTANCES:
                        if (!build) {
                                cli_error(
                                    "compile: --instances is an option of 'build --skeleton'");
                                return EXIT_USAGE;
                        }
                        a->copts.instances = true;
                        break;
                case O_SHM:
                case O_ID:
                        if (build) {
                                cli_error("build: --%s is an option of 'compile'",
                                          c == O_SHM ? "shm" : "id");
                                return EXIT_USAGE;
                        }
                        if (c == O_SHM) {
                                a->shm = optarg;
                                break;
                        }
                        a->id = (uint32_t)strtoul(optarg, &end, 0);
                        if (*end || a->id == 0 || *optarg == '-') {
                                cli_error("compile: --id takes a program's id (1, 2, ...)");
                                return EXIT_USAGE;
                        }
                        break;
                case 'h':
                        usage(stdout, build);
                        return -1;
                default:
                        return cli_bad_option(argv[0], c, argv);
                }
        }
        if (argc == optind && !build) {
                /* bpftime-aot's compile, without an input, reads the shared memory. */
                if (a->skeleton || a->program) {
                        cli_error("compile: --%s needs an input file",
                                  a->program ? "program" : "skeleton");
                        return EXIT_USAGE;
                }
                a->copts.maps_by_fd = true;
                return 0;
        }
        if (a->shm || a->id) {
                cli_error("compile: --%s is for compiling a segment's programs, without an input "
                          "file",
                          a->shm ? "shm" : "id");
                return EXIT_USAGE;
        }
        if (argc - optind != 1) {
                cli_error("%s: %s (see 'bpf-aot %s --help')", argv[0],
                          argc == optind ? "no input file" : "more than one input file", argv[0]);
                return EXIT_USAGE;
        }
        if (a->copts.maps_by_fd && (a->copts.inline_maps || a->skeleton)) {
                cli_error("%s: --maps-by-fd leaves the maps to the host: not with %s", argv[0],
                          a->skeleton ? "--skeleton" : "--inline-maps");
                return EXIT_USAGE;
        }
        if (a->copts.sandbox_max_loops && !a->copts.sandbox) {
                cli_error("%s: --max-loops is the budget of --sandbox: give both", argv[0]);
                return EXIT_USAGE;
        }
        if (a->copts.maps_by_fd && a->copts.sandbox) {
                cli_error("%s: --sandbox checks map values against the runtime's maps: not with "
                          "--maps-by-fd",
                          argv[0]);
                return EXIT_USAGE;
        }
        a->input = argv[optind];
        return 0;
}

static void report_one(void *ctx, const struct bpfaot_error *err)
{
        (void)ctx;
        cli_report(err);
}

/* Report every unresolved relocation of a program; returns how many there were. */
static size_t report_unresolved(const struct bpfaot_prog *prog)
{
        return bpfaot_prog__report_unresolved(prog, report_one, NULL);
}

/* -v: what a program refers to, by kind. */
static void describe_prog(const struct bpfaot_prog *prog, const char *path)
{
        size_t calls = 0, data = 0, maps = 0, kfuncs = 0;

        for (size_t i = 0; i < prog->insn_cnt; i++)
                if (prog->insns[i].opcode == (BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL) &&
                    prog->insns[i].src == BPFAOT_CALL_LOCAL)
                        calls++;
        for (size_t i = 0; i < prog->reloc_cnt; i++) {
                data += prog->relocs[i].kind == BPFAOT_RELOC_DATA;
                maps += prog->relocs[i].kind == BPFAOT_RELOC_MAP;
                kfuncs += prog->relocs[i].kind == BPFAOT_RELOC_KFUNC;
        }
        fprintf(stderr,
                "bpf-aot: %s: %s (section %s, %zu insns with sub-programs; %zu local calls, %zu "
                "global data, %zu map, %zu kfunc references) -> %s\n",
                prog->input, prog->name, prog->section ? prog->section : "-", prog->insn_cnt, calls,
                data, maps, kfuncs, path);
}

/* -v: the object's maps and global data. */
static void describe_object(const struct bpfaot_elf *elf)
{
        for (size_t i = 0; i < elf->map_cnt; i++) {
                const struct bpfaot_map_desc *m = &elf->maps[i];
                fprintf(stderr,
                        "bpf-aot: %s: map %s: %s, key %u, value %u, max_entries %u, flags 0x%x%s",
                        elf->input, m->name, bpfaot_map_type__name(m->type), m->key_size,
                        m->value_size, m->max_entries, m->map_flags,
                        m->legacy ? " (legacy bpf_map_def)" : "");
                if (m->inner)
                        fprintf(stderr, "; inner maps: %s, key %u, value %u, max_entries %u",
                                bpfaot_map_type__name(m->inner->type), m->inner->key_size,
                                m->inner->value_size, m->inner->max_entries);
                for (size_t k = 0; k < m->init_cnt; k++)
                        fprintf(stderr, "%s[%u] = %s", k ? ", " : "; initially ", m->inits[k].slot,
                                m->inits[k].prog ? m->inits[k].prog
                                                 : elf->maps[m->inits[k].map].name);
                fputc('\n', stderr);
        }
        for (size_t i = 0; i < elf->core_relo_cnt; i++) {
                const struct bpfaot_core_relo *c = &elf->core_relos[i];
                fprintf(stderr,
                        "bpf-aot: %s: CO-RE %s insn %u: %s of %s (access %s): compiled "
                        "value kept\n",
                        elf->input, c->section, c->insn, bpfaot_core_relo_kind_name(c->kind),
                        c->type_name[0] ? c->type_name : "an anonymous type", c->access);
        }
        for (size_t i = 0; i < elf->data_cnt; i++) {
                const struct bpfaot_data_sec *d = &elf->data[i];
                fprintf(stderr, "bpf-aot: %s: data %s: %zu bytes%s -> native global %s\n",
                        elf->input, d->name, d->size, d->readonly ? ", read-only" : "", d->symbol);
        }
}

/*
 * Name each helper a program calls that the runtime lacks: the object still
 * builds (a host may define _bpf_helper_ext_NNNN itself), but linking it
 * with the runtime alone would fail on that symbol.
 */
static void warn_missing_helpers(const struct bpfaot_prog *prog)
{
        uint64_t seen[64] = {0}; /* ids below 4096 already named */

        for (size_t i = 0; i < prog->insn_cnt; i++) {
                const struct bpfaot_insn *in = &prog->insns[i];
                uint32_t id = (uint32_t)in->imm;
                const char *name;
                bool again = false;

                /* tail_call is compiled to the runtime's BPFAOT_TAIL_CALL_SYMBOL, not a helper */
                if (in->opcode != (BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL) ||
                    in->src != BPFAOT_CALL_HELPER || id == BPF_FUNC_tail_call ||
                    bpfaot_rt_helper_find(id))
                        continue;
                if (id < 4096) {
                        again = seen[id / 64] & (1ull << (id % 64));
                        seen[id / 64] |= 1ull << (id % 64);
                } else {
                        for (size_t j = 0; j < i && !again; j++)
                                again = prog->insns[j].opcode == in->opcode &&
                                        prog->insns[j].src == in->src &&
                                        prog->insns[j].imm == in->imm;
                }
                if (again)
                        continue;
                name = bpfaot_helper_name(id);
                fprintf(stderr,
                        "bpf-aot: %s: warning: program %s: helper %u%s%s%s is not provided by the "
                        "runtime\n",
                        prog->input, prog->name, id, name ? " (" : "", name ? name : "",
                        name ? ")" : "");
        }
}

/* -g on a program without line info: it builds, without debug info. */
static void warn_no_line_info(const struct bpfaot_prog *prog, const struct build_args *a)
{
        if (!a->copts.debug_info || prog->line_cnt)
                return;
        fprintf(stderr,
                "bpf-aot: %s: warning: program %s has no line info (%s): -g adds no debug info "
                "to it\n",
                prog->input, prog->name ? prog->name : "-",
                prog->section ? "no .BTF.ext line info; build the .bpf.c with clang -g"
                              : "raw bytecode carries none");
}

/* A map the runtime cannot create still compiles; opening the object will fail on it. */
static void warn_unsupported_maps(const struct bpfaot_elf *elf)
{
        char why[BPFAOT_ERROR_MAX];

        for (size_t i = 0; i < elf->map_cnt; i++) {
                const struct bpfaot_map_def def = {.name = elf->maps[i].name,
                                                   .type = elf->maps[i].type};

                if (bpfaot_map_type__supported(def.type))
                        continue;
                bpfaot_map_def__describe_error(&def, -ENOTSUP, why, sizeof(why));
                fprintf(stderr, "bpf-aot: %s: warning: %s\n", elf->input, why);
        }
}

/*
 * One program to compile into `path`. The checks and warnings before it and
 * the reports after it run in program order; bpfaot_compile runs on up to
 * --jobs threads (it shares nothing between calls).
 */
struct build_task {
        struct bpfaot_prog prog;
        char *path;
        bool ready;          /* passed the checks: compile it */
        atomic_bool running; /* on a thread now (what the time limit names) */
        int ret;             /* of bpfaot_compile */
        struct bpfaot_buf buf;
        struct bpfaot_error err;
        /* A segment's program owns its strings and instructions. */
        char *own_input, *own_name;
        struct bpfaot_insn *own_insns;
};

struct build_queue {
        struct build_task *tasks;
        size_t cnt;
        const struct bpfaot_compile_opts *copts;
        atomic_size_t next; /* the first task no thread has taken */
};

static void build_task_free(struct build_task *t)
{
        bpfaot_buf_free(&t->buf);
        free(t->path);
        free(t->own_input);
        free(t->own_name);
        free(t->own_insns);
}

static void *build_worker(void *arg)
{
        struct build_queue *q = arg;

        for (size_t i; (i = atomic_fetch_add(&q->next, 1)) < q->cnt;) {
                struct build_task *t = &q->tasks[i];

                if (!t->ready)
                        continue;
                atomic_store(&t->running, true);
                t->ret = bpfaot_compile(&t->prog, q->copts, &t->buf, &t->err);
                atomic_store(&t->running, false);
        }
        return NULL;
}

/* What a compile that passed its time limit says; the process ends after it. */
struct overdue {
        const char *input;              /* the object, or NULL: the tasks' own */
        const struct build_task *tasks; /* or NULL */
        size_t cnt;
        const struct cli_outputs *out;
};

static void report_overdue(void *arg, unsigned seconds)
{
        const struct overdue *o = arg;
        const struct bpfaot_prog *prog = NULL;

        for (size_t i = 0; i < o->cnt && !prog; i++)
                if (atomic_load(&o->tasks[i].running))
                        prog = &o->tasks[i].prog;
        if (prog)
                cli_error("%s: %s: compiling did not finish within %u s (LLVM's optimiser can loop "
                          "on rare inputs): try a lower -O, or --time-limit SEC",
                          prog->input, prog->name, seconds);
        else
                cli_error("%s: compiling did not finish within %u s (LLVM's optimiser can loop on "
                          "rare inputs): try a lower -O, or --time-limit SEC",
                          o->input ? o->input : "bpf-aot", seconds);
        if (o->out && o->out->made_dir)
                rmdir(o->out->made_dir); /* nothing is in it yet */
}

static unsigned time_limit(const struct build_args *a, const struct bpfaot_prog *progs,
                           size_t stride, size_t cnt)
{
        size_t insns = 0;

        if (a->time_limit_set)
                return a->time_limit;
        for (size_t i = 0; i < cnt; i++)
                insns += ((const struct bpfaot_prog *)((const char *)progs + i * stride))->insn_cnt;
        return cli_default_time_limit(insns);
}

/* Threads -j allows in all: N, or one per online CPU. */
static unsigned thread_count(unsigned jobs)
{
        long cpus = jobs ? (long)jobs : sysconf(_SC_NPROCESSORS_ONLN);

        return cpus < 1 ? 1 : (unsigned)cpus;
}

static unsigned worker_count(unsigned jobs, size_t tasks)
{
        unsigned cpus = thread_count(jobs);

        return (unsigned)((size_t)cpus < tasks ? (size_t)cpus : tasks);
}

/*
 * Compile every task and add its output to `out` (nothing is published yet).
 * Every program is compiled, so that every error is reported.
 */
static int build_tasks(struct build_task *tasks, size_t cnt, const struct build_args *a,
                       struct cli_outputs *out)
{
        struct overdue overdue = {.tasks = tasks, .cnt = cnt, .out = out};
        unsigned workers = worker_count(a->jobs, cnt);
        /* Threads no program takes go to the parts of long programs (bpfaot_compile_opts). */
        struct bpfaot_compile_opts copts = a->copts;
        struct build_queue q = {.tasks = tasks, .cnt = cnt, .copts = &copts};
        pthread_t *threads = calloc(workers ? workers : 1, sizeof(*threads));
        struct cli_deadline deadline;
        struct bpfaot_targets *targets = NULL;
        struct bpfaot_error err = {0};
        copts.threads = workers ? thread_count(a->jobs) / workers : 1;
        unsigned started = 0;
        int status = EXIT_OK;

        /* The programs share target machines: for small ones, most of a compile's cost. */
        if (!threads || (cnt > 1 && bpfaot_targets__new(&targets, &err))) {
                free(threads);
                cli_nomem(NULL);
                return EXIT_FAIL;
        }
        copts.targets = targets;
        for (size_t i = 0; i < cnt; i++) {
                struct build_task *t = &tasks[i];

                if (report_unresolved(&t->prog)) {
                        status = EXIT_FAIL;
                        continue;
                }
                warn_missing_helpers(&t->prog);
                warn_no_line_info(&t->prog, a);
                if (a->verbose)
                        describe_prog(&t->prog, t->path);
                t->ready = true;
        }
        atomic_init(&q.next, 0);
        if (cli_deadline_start(&deadline, time_limit(a, &tasks[0].prog, sizeof(*tasks), cnt),
                               report_overdue, &overdue)) {
                free(threads);
                bpfaot_targets__free(targets);
                cli_error("cannot start the compile time limit's thread");
                return EXIT_FAIL;
        }
        /* The calling thread is a worker too: -j 1 starts no thread. */
        while (started + 1 < workers &&
               pthread_create(&threads[started], NULL, build_worker, &q) == 0)
                started++;
        build_worker(&q);
        for (unsigned i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
        cli_deadline_stop(&deadline);
        free(threads);
        bpfaot_targets__free(targets);
        for (size_t i = 0; i < cnt; i++) {
                struct build_task *t = &tasks[i];

                if (!t->ready)
                        continue;
                if (t->ret)
                        status = cli_report(&t->err);
                else if (cli_outputs_add(out, t->path, t->buf.data, t->buf.len))
                        status = EXIT_FAIL;
        }
        return status;
}

static int load_input(const struct build_args *a, struct input *in, bool elf_only)
{
        struct bpfaot_error err = {0};
        uint8_t *data;
        size_t len;
        int ret;

        if (cli_read_file(a->input, &data, &len))
                return EXIT_FAIL;
        if (elf_only && bpfaot_elf_kind(data, len) == BPFAOT_ELF_NONE) {
                cli_error("%s: not an ELF file; 'build' takes an eBPF ELF object (use 'compile' "
                          "for raw bytecode)",
                          cli_display_name(a->input));
                free(data);
                return EXIT_FAIL;
        }
        in->kconfig = a->kconfig;
        in->maps_only_ok = a->skeleton;
        ret = input_from_bytes(in, data, len, cli_display_name(a->input), a->program, &err);
        free(data);
        if (ret) {
                input_free(in);
                return cli_report(&err);
        }
        return EXIT_OK;
}

/*
 * --skeleton: every program into DIR/<name>.aot.o, and DIR/<name>.aot.h.
 * <name> is the input's file name without .bpf.o (my-prog.bpf.o gives
 * my-prog.aot.o, as build rules expect); the symbols use it as a C
 * identifier (my_prog__<prog>, struct my_prog_aot).
 */
static int build_skeleton(const struct input *in, const struct build_args *a, const char *dir,
                          struct cli_outputs *out)
{
        static const char *const suffixes[] = {".bpf.o", ".o", NULL};
        BPFAOT_OPTS_INIT(bpfaot_skeleton_opts, sopts, .instances = a->copts.instances);
        struct bpfaot_compile_opts copts = a->copts;
        /* Standard input has no file name: the symbols' prefix names the files. */
        char *stem = strcmp(a->input, "-") == 0 ? strdup(in->elf->symbol_prefix)
                                                : cli_basename_without(a->input, suffixes);
        const char **names = calloc(in->cnt ? in->cnt : 1, sizeof(*names));
        char *obj_path = NULL, *hdr_path = NULL;
        struct bpfaot_buf obj = {0}, hdr = {0};
        struct bpfaot_error err = {0};
        struct overdue overdue = {0};
        struct cli_deadline deadline;
        int status = EXIT_FAIL, ret;
        size_t bad = 0;

        if (!stem || !names || asprintf(&obj_path, "%s/%s.aot.o", dir, stem) < 0 ||
            asprintf(&hdr_path, "%s/%s.aot.h", dir, stem) < 0) {
                cli_nomem(NULL);
                goto out;
        }
        for (size_t i = 0; i < in->cnt; i++) {
                bad += report_unresolved(&in->progs[i]);
                warn_missing_helpers(&in->progs[i]);
                warn_no_line_info(&in->progs[i], a);
                names[i] = in->progs[i].name;
                if (a->verbose) {
                        char *entry = bpfaot_elf__entry_name(in->elf, names[i]);

                        describe_prog(&in->progs[i], entry ? entry : names[i]);
                        free(entry);
                }
        }
        if (bad)
                goto out;
        overdue.input = in->elf->input;
        if (cli_deadline_start(&deadline, time_limit(a, in->progs, sizeof(*in->progs), in->cnt),
                               report_overdue, &overdue)) {
                cli_error("cannot start the compile time limit's thread");
                goto out;
        }
        copts.threads = thread_count(a->jobs);
        ret = bpfaot_compile_elf(in->elf, names, in->cnt, &copts, &obj, &err);
        cli_deadline_stop(&deadline);
        if (ret || bpfaot_skeleton_header_opts(in->elf, names, in->cnt, &sopts, &hdr, &err)) {
                cli_report(&err);
                goto out;
        }
        if (cli_outputs_dir(out, dir) == 0 &&
            cli_outputs_add(out, obj_path, obj.data, obj.len) == 0 &&
            cli_outputs_add(out, hdr_path, hdr.data, hdr.len) == 0)
                status = EXIT_OK;
out:
        free(stem);
        free(names);
        free(obj_path);
        free(hdr_path);
        bpfaot_buf_free(&obj);
        bpfaot_buf_free(&hdr);
        return status;
}

/* Every program into DIR/<program>.<ext>; all of them, or none when one fails. */
static int build_each(const struct input *in, const struct build_args *a, const char *dir,
                      struct cli_outputs *out)
{
        const struct bpfaot_map_desc *prog_array = bpfaot_elf__prog_array_map(in->elf);
        struct build_task *tasks;
        int status = EXIT_OK;

        if (prog_array)
                fprintf(stderr,
                        "bpf-aot: %s: warning: map %s: each program gets its own object, so the "
                        "programs the object puts in this PROG_ARRAY are left out; use "
                        "--skeleton to keep them\n",
                        in->elf->input, prog_array->name);
        /* Made now, removed again by the discard if nothing is published. */
        if (cli_outputs_dir(out, dir))
                return EXIT_FAIL;
        tasks = calloc(in->cnt ? in->cnt : 1, sizeof(*tasks));
        if (!tasks) {
                cli_nomem(NULL);
                return EXIT_FAIL;
        }
        for (size_t i = 0; i < in->cnt && status == EXIT_OK; i++) {
                tasks[i].prog = in->progs[i];
                if (asprintf(&tasks[i].path, "%s/%s%s", dir, in->progs[i].name,
                             out_ext[a->copts.output]) < 0) {
                        tasks[i].path = NULL;
                        cli_nomem(NULL);
                        status = EXIT_FAIL;
                }
        }
        if (status == EXIT_OK)
                status = build_tasks(tasks, in->cnt, a, out);
        for (size_t i = 0; i < in->cnt; i++)
                build_task_free(&tasks[i]);
        free(tasks);
        return status;
}

int cmd_build(int argc, char **argv)
{
        struct build_args a = {0};
        struct cli_outputs out = {0};
        struct input in = {0};
        const char *dir;
        int ret = parse_args(argc, argv, true, &a);
        int status;

        a.copts.sz = sizeof(a.copts);
        if (ret)
                return ret < 0 ? EXIT_OK : ret;
        dir = a.output ? a.output : ".";
        if (a.skeleton && (a.copts.output != BPFAOT_OUTPUT_OBJECT || a.copts.entry_name)) {
                cli_error("build: --skeleton writes an object: not with -e, -S or --entry");
                return EXIT_USAGE;
        }
        if (a.copts.instances && !a.skeleton) {
                cli_error("build: --instances needs --skeleton");
                return EXIT_USAGE;
        }
        ret = load_input(&a, &in, true);
        if (ret)
                return ret;
        if (!in.elf) {
                cli_error("%s: 'build' takes an eBPF ELF object; use 'compile' for raw bytecode",
                          cli_display_name(a.input));
                input_free(&in);
                return EXIT_FAIL;
        }
        warn_unsupported_maps(in.elf);
        if (a.verbose)
                describe_object(in.elf);
        status = a.skeleton ? build_skeleton(&in, &a, dir, &out) : build_each(&in, &a, dir, &out);
        if (status == EXIT_OK && cli_outputs_publish(&out))
                status = EXIT_FAIL;
        cli_outputs_discard(&out);
        input_free(&in);
        return status;
}

/* Has one of the first `cnt` tasks this path already? (two programs of one name) */
static bool path_taken(const struct build_task *tasks, size_t cnt, const char *path)
{
        for (size_t i = 0; i < cnt; i++)
                if (tasks[i].path && strcmp(tasks[i].path, path) == 0)
                        return true;
        return false;
}

/*
 * Program `id` of the segment as task `cnt` of `tasks`: its own copy of the
 * instructions, into DIR/<name>.o (<name>-<id> when a program had the name).
 */
static int shm_prog_task(struct bpfaot_shm *shm, uint32_t id, const struct build_args *a,
                         const char *dir, struct build_task *tasks, size_t cnt)
{
        struct build_task *t = &tasks[cnt];
        struct bpfaot_shm_prog_info pi;
        struct bpfaot_error err = {0};
        const struct bpf_insn *raw;
        size_t insn_cnt;
        uint32_t n;

        if (bpfaot_shm__prog_info(shm, id, &pi) || bpfaot_shm__prog_insns(shm, id, &raw, &n)) {
                cli_error("compile: %s: program %" PRIu32 " is gone", bpfaot_shm__name(shm), id);
                return EXIT_FAIL;
        }
        if (asprintf(&t->own_input, "%s program %" PRIu32, bpfaot_shm__name(shm), id) < 0)
                t->own_input = NULL;
        if (asprintf(&t->own_name, "%s", pi.name[0] ? pi.name : "prog") < 0)
                t->own_name = NULL;
        if (!t->own_input || !t->own_name)
                goto nomem;
        if (asprintf(&t->path, "%s/%s%s", dir, t->own_name, out_ext[a->copts.output]) < 0)
                t->path = NULL;
        if (t->path && (path_taken(tasks, cnt, t->path) || !pi.name[0])) {
                free(t->path);
                if (asprintf(&t->path, "%s/%s-%" PRIu32 "%s", dir, t->own_name, id,
                             out_ext[a->copts.output]) < 0)
                        t->path = NULL;
        }
        if (!t->path)
                goto nomem;
        if (bpfaot_decode(raw, (size_t)n * sizeof(*raw), &t->own_insns, &insn_cnt, &err))
                return cli_report(&err);
        t->prog.input = t->own_input;
        t->prog.name = t->own_name;
        t->prog.insns = t->own_insns;
        t->prog.insn_cnt = insn_cnt;
        return EXIT_OK;
nomem:
        cli_nomem(NULL);
        return EXIT_FAIL;
}

/*
 * compile without an input (bpftime-aot's compile): every program of the
 * segment, or --id N, into DIR/<program>.o, its maps loaded by their ids
 * in the segment (the host's __lddw_helper_map_by_fd finds them there).
 */
static int compile_segment(const struct build_args *a)
{
        struct bpfaot_error err = {0};
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .error = &err};
        const char *dir = a->output ? a->output : ".";
        struct cli_outputs out = {0};
        struct build_task *tasks = NULL;
        size_t cnt = 0, cap = 0;
        struct bpfaot_shm *shm;
        uint32_t id = 0;
        int status = EXIT_OK;

        if (bpfaot_shm__open(a->shm, &opts, &shm)) {
                cli_error("compile: %s", err.msg);
                return EXIT_FAIL;
        }
        if (cli_outputs_dir(&out, dir)) {
                bpfaot_shm__close(shm);
                return EXIT_FAIL;
        }
        while (bpfaot_shm__next_prog_id(shm, id, &id) == 0) {
                if (a->id && id != a->id)
                        continue;
                if (cnt == cap) {
                        size_t ncap = cap ? 2 * cap : 16;
                        struct build_task *grown = realloc(tasks, ncap * sizeof(*tasks));

                        if (!grown) {
                                cli_nomem(NULL);
                                status = EXIT_FAIL;
                                break;
                        }
                        memset(grown + cap, 0, (ncap - cap) * sizeof(*tasks));
                        tasks = grown;
                        cap = ncap;
                }
                /* A program that cannot be read is reported; the others are still compiled. */
                if (shm_prog_task(shm, id, a, dir, tasks, cnt) != EXIT_OK)
                        status = EXIT_FAIL;
                cnt++;
        }
        if (!cnt && status == EXIT_OK) {
                if (a->id)
                        cli_error("compile: %s: no program %" PRIu32, bpfaot_shm__name(shm), a->id);
                else
                        cli_error("compile: %s: no programs to compile", bpfaot_shm__name(shm));
                status = EXIT_FAIL;
        }
        bpfaot_shm__close(shm);
        if (cnt) {
                /* Tasks that could not be read are left out (their error is said). */
                size_t kept = 0;

                for (size_t i = 0; i < cnt; i++) {
                        if (tasks[i].prog.insns)
                                tasks[kept++] = tasks[i];
                        else
                                build_task_free(&tasks[i]);
                }
                cnt = kept;
                if (build_tasks(tasks, cnt, a, &out) != EXIT_OK)
                        status = EXIT_FAIL;
        }
        if (status == EXIT_OK && cli_outputs_publish(&out))
                status = EXIT_FAIL;
        cli_outputs_discard(&out);
        for (size_t i = 0; i < cnt; i++)
                build_task_free(&tasks[i]);
        free(tasks);
        return status;
}

int cmd_compile(int argc, char **argv)
{
        static const char *const suffixes[] = {".bin", ".hex", ".bpf.o", ".o", NULL};
        struct build_args a = {0};
        struct cli_outputs out = {0};
        struct input in = {0};
        const char *out_path;
        char *path = NULL;
        int ret = parse_args(argc, argv, false, &a);

        a.copts.sz = sizeof(a.copts);
        if (ret)
                return ret < 0 ? EXIT_OK : ret;
        if (!a.input)
                return compile_segment(&a);
        ret = load_input(&a, &in, false);
        if (ret)
                return ret;
        if (in.cnt != 1) {
                cli_error("%s: has %zu programs; choose one with --program or use 'build'", a.input,
                          in.cnt);
                input_free(&in);
                return EXIT_FAIL;
        }
        if (!a.output && strcmp(a.input, "-") == 0) {
                cli_error("compile: the program comes from standard input; name the output "
                          "with -o FILE (or -o - for standard output)");
                input_free(&in);
                return EXIT_USAGE;
        }
        if (!a.output) {
                char *base = cli_basename_without(a.input, suffixes);
                if (!base || asprintf(&path, "%s%s", base, out_ext[a.copts.output]) < 0)
                        path = NULL;
                free(base);
                if (!path) {
                        input_free(&in);
                        cli_nomem(NULL);
                        return EXIT_FAIL;
                }
        }
        out_path = a.output ? a.output : path;
        if (strcmp(out_path, "-") == 0) {
                struct bpfaot_error err = {0};
                struct bpfaot_buf buf;

                ret = report_unresolved(&in.progs[0]) ? EXIT_FAIL : EXIT_OK;
                warn_missing_helpers(&in.progs[0]);
                warn_no_line_info(&in.progs[0], &a);
                a.copts.threads = thread_count(a.jobs);
                if (ret == EXIT_OK && bpfaot_compile(&in.progs[0], &a.copts, &buf, &err))
                        ret = cli_report(&err);
                else if (ret == EXIT_OK) {
                        ret = cli_write_file("-", buf.data, buf.len) ? EXIT_FAIL : EXIT_OK;
                        bpfaot_buf_free(&buf);
                }
        } else {
                struct build_task t = {.prog = in.progs[0], .path = strdup(out_path)};

                ret = t.path ? build_tasks(&t, 1, &a, &out) : (cli_nomem(NULL), EXIT_FAIL);
                build_task_free(&t);
                if (ret == EXIT_OK && cli_outputs_publish(&out))
                        ret = EXIT_FAIL;
                cli_outputs_discard(&out);
        }
        free(path);
        input_free(&in);
        return ret;
}
