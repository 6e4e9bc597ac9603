/* SPDX-License-Identifier: MIT */
/* `run`: execute a native object (or an eBPF program, compiled in memory) on a memory file. */
#include "cli.h"
#include "host.h"
#include "input.h"

#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
        fprintf(out, "Usage: bpf-aot run [options] <FILE> [MEMORY]\n\n"
                     "Run a program and print its return value (r0) in decimal.\n"
                     "FILE is a native object made by 'build' or 'compile' (loaded in-process\n"
                     "with LLVM ORC), or an eBPF program (ELF object, raw bytecode or hex text),\n"
                     "which is compiled in memory first. The program gets MEMORY's bytes as its\n"
                     "context: r1 = their address, r2 = their size. No MEMORY is an empty input\n"
                     "(r2 = 0) whose r1 points at 4096 zero bytes, so that a compiled program\n"
                     "reading its context as a fixed structure reads zeros.\n"
                     "Helper calls bind to the runtime's helpers; an unknown helper is an error\n"
                     "before anything runs. The object's maps are created by the runtime before\n"
                     "the first run and freed after the last.\n\n"
                     "Options:\n"
                     "  --entry NAME     entry symbol of a native object (default bpf_main, or\n"
                     "                   the object's only program)\n"
                     "  --program NAME   the program of that name: of an eBPF ELF object\n"
                     "                   (default: the first), or of a native object\n"
                     "                   (found through its <entry>__prog descriptors)\n"
                     "  --kconfig FILE   kernel config for an eBPF input's CONFIG_* externs\n"
                     "                   (default: this host's, as for build)\n"
                     "  --interp         run an eBPF program with the reference interpreter\n"
                     "  --max-steps N    with --interp: instructions one run may execute\n"
                     "                   (default 100000000); past them the run fails\n"
                     "  --sandbox        compile an eBPF program with run-time checks (as build\n"
                     "                   --sandbox): an access outside its memory ends the run\n"
                     "                   with a located error instead of touching the host's\n"
                     "  --max-loops N    with --sandbox: loop iterations one run may make\n"
                     "                   (default 100000000); past them the run fails\n"
                     "  -O N             optimisation level for eBPF inputs (default 2)\n"
                     "  --repeat N       run N times, print the last return value\n"
                     "  --hex            print the return value in hex\n"
                     "  --dump-maps      after the runs, print every map's contents in hex\n"
                     "                   (queues, stacks and ring buffers are drained)\n"
                     "  -h, --help       this help\n");
}

/*
 * No MEMORY file: an empty input (r2 = 0) at an address that has this many
 * zero bytes behind it, so that compiled code reading a fixed context
 * structure reads zeros instead of faulting on NULL.
 */
#define RUN_EMPTY_CTX_BYTES 4096

/*
 * The selected program (the first, or --program's); an object that fills a
 * PROG_ARRAY with its programs is compiled whole, so tail calls find them.
 */
static int run_input(const struct input *in, const struct host_exec_opts *xo, void *mem,
                     size_t mem_len, uint64_t *r0, struct bpfaot_error *err)
{
        if (!xo->interp && bpfaot_elf__prog_array_map(in->elf))
                return host_exec_elf(in->elf, in->progs[0].name, xo, mem, mem_len, r0, err);
        return host_exec_prog(&in->progs[0], xo, mem, mem_len, r0, err);
}

int cmd_run(int argc, char **argv)
{
        enum {
                O_ENTRY = 256,
                O_PROGRAM,
                O_INTERP,
                O_REPEAT,
                O_HEX,
                O_DUMP,
                O_KCONFIG,
                O_STEPS,
                O_SANDBOX,
                O_MAX_LOOPS
        };
        static const struct option lopts[] = {
            {"entry", required_argument, NULL, O_ENTRY},
            {"program", required_argument, NULL, O_PROGRAM},
            {"interp", no_argument, NULL, O_INTERP},
            {"repeat", required_argument, NULL, O_REPEAT},
            {"hex", no_argument, NULL, O_HEX},
            {"dump-maps", no_argument, NULL, O_DUMP},
            {"kconfig", required_argument, NULL, O_KCONFIG},
            {"max-steps", required_argument, NULL, O_STEPS},
            {"sandbox", no_argument, NULL, O_SANDBOX},
            {"max-loops", required_argument, NULL, O_MAX_LOOPS},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct host_exec_opts xo = {.opt_level = 2, .repeat = 1};
        const char *entry = NULL, *program = NULL;
        struct bpfaot_error err = {0};
        struct input in = {0};
        uint8_t *data = NULL, *mem = NULL;
        size_t len = 0, mem_len = 0;
        bool hex = false;
        char *dump = NULL;
        uint64_t r0 = 0;
        char *end;
        int c, rc = EXIT_FAIL;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":O:h", lopts, NULL)) != -1) {
                switch (c) {
                case O_ENTRY:
                        entry = optarg;
                        break;
                case O_PROGRAM:
                        program = optarg;
                        break;
                case O_INTERP:
                        xo.interp = true;
                        break;
                case O_SANDBOX:
                        xo.sandbox = true;
                        break;
                case O_MAX_LOOPS:
                        xo.max_loops = strtoull(optarg, &end, 0);
                        if (*end || xo.max_loops == 0 || optarg[0] == '-') {
                                cli_error("run: --max-loops takes a positive number");
                                return EXIT_USAGE;
                        }
                        break;
                case O_REPEAT:
                        xo.repeat = strtoull(optarg, &end, 0);
                        if (*end || xo.repeat == 0) {
                                cli_error("run: --repeat takes a positive number");
                                return EXIT_USAGE;
                        }
                        break;
                case O_HEX:
                        hex = true;
                        break;
                case O_DUMP:
                        xo.dump_maps = &dump;
                        break;
                case O_KCONFIG:
                        in.kconfig = optarg;
                        break;
                case O_STEPS:
                        xo.max_steps = strtoull(optarg, &end, 0);
                        if (*end || xo.max_steps == 0 || optarg[0] == '-') {
                                cli_error("run: --max-steps takes a positive number");
                                return EXIT_USAGE;
                        }
                        break;
                case 'O':
                        xo.opt_level = cli_parse_opt_level(optarg);
                        if (xo.opt_level < 0) {
                                cli_error("run: -O takes 0, 1, 2 or 3");
                                return EXIT_USAGE;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        return cli_bad_option("run", c, argv);
                }
        }
        if (argc - optind < 1 || argc - optind > 2) {
                cli_error("run: %s (see 'bpf-aot run --help')",
                          argc == optind ? "no program file" : "more than FILE and MEMORY");
                return EXIT_USAGE;
        }
        if (cli_read_file(argv[optind], &data, &len))
                return EXIT_FAIL;
        if (optind + 1 < argc) {
                if (cli_read_file(argv[optind + 1], &mem, &mem_len))
                        goto out;
        } else if (!(mem = calloc(1, RUN_EMPTY_CTX_BYTES))) {
                cli_nomem(NULL);
                goto out;
        }
        if (bpfaot_elf_kind(data, len) == BPFAOT_ELF_NATIVE) {
                if (xo.interp) {
                        cli_error("%s: is a native object; --interp needs an eBPF input",
                                  argv[optind]);
                        goto out;
                }
                if (xo.sandbox) {
                        cli_error("%s: is a native object; --sandbox compiles an eBPF input (a "
                                  "native object is sandboxed if it was built with --sandbox)",
                                  argv[optind]);
                        goto out;
                }
                if (entry && program) {
                        cli_error("run: --entry and --program both choose the program; give one");
                        rc = EXIT_USAGE;
                        goto out;
                }
                if (host_exec_object(data, len, argv[optind], entry, program, NULL, &xo, mem,
                                     mem_len, &r0, &err)) {
                        rc = cli_report(&err);
                        goto out;
                }
        } else {
                if (input_from_bytes(&in, data, len, cli_display_name(argv[optind]), program,
                                     &err) ||
                    run_input(&in, &xo, mem, mem_len, &r0, &err)) {
                        rc = cli_report(&err);
                        goto out;
                }
        }
        if (hex)
                printf("0x%" PRIx64 "\n", r0);
        else
                printf("%" PRIu64 "\n", r0);
        if (dump)
                fputs(dump, stdout);
        rc = EXIT_OK;
out:
        free(dump);
        input_free(&in);
        free(data);
        free(mem);
        return rc;
}
