/* SPDX-License-Identifier: MIT */
/* `verify`: what the register analysis knows before each instruction, and the verdict. */
#include "cli.h"
#include "input.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void usage(FILE *out)
{
        fprintf(out, "Usage: bpf-aot verify [options] <FILE>\n\n"
                     "Validate the programs of an eBPF program file (ELF object, raw bytecode or\n"
                     "hex text) as 'build' does and print, for each program, what the register\n"
                     "analysis knows before every reachable instruction, in the style of the\n"
                     "kernel verifier's log at level 2: the instruction, then each register and\n"
                     "stack slot that holds something (R1=ctx(off=0), R0=scalar(...), fp-8=...).\n"
                     "The last line of each program is its verdict. Exit status 0 when every\n"
                     "program is accepted, 1 when one is refused (its message says where and\n"
                     "why), 2 for a bad command line.\n\n"
                     "Options:\n"
                     "  --program NAME   only the program of that name (ELF objects)\n"
                     "  --kconfig FILE   kernel config for CONFIG_* externs (default: this\n"
                     "                   host's, as for build)\n"
                     "  -h, --help       this help\n");
}

/* One program's log on stdout; its refusal, if any, on stderr. */
static int verify_one(const struct bpfaot_prog *prog)
{
        struct bpfaot_error err = {0};
        struct bpfaot_buf log = {0};
        int ret = bpfaot_verify_log(prog, NULL, &log, &err);

        printf("program %s%s%s:\n", prog->name, prog->section ? " in section " : "",
               prog->section ? prog->section : "");
        if (log.len)
                fwrite(log.data, 1, log.len, stdout);
        bpfaot_buf_free(&log);
        if (ret)
                return cli_report(&err);
        return EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
        enum { O_PROGRAM = 256, O_KCONFIG };
        static const struct option lopts[] = {
            {"program", required_argument, NULL, O_PROGRAM},
            {"kconfig", required_argument, NULL, O_KCONFIG},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *program = NULL;
        struct bpfaot_error err = {0};
        struct input in = {0};
        uint8_t *data = NULL;
        size_t len = 0;
        int c, rc = EXIT_FAIL;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
                switch (c) {
                case O_PROGRAM:
                        program = optarg;
                        break;
                case O_KCONFIG:
                        in.kconfig = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        return cli_bad_option("verify", c, argv);
                }
        }
        if (argc - optind != 1) {
                cli_error("verify: %s (see 'bpf-aot verify --help')",
                          argc == optind ? "no input file" : "more than one input file");
                return EXIT_USAGE;
        }
        if (cli_read_file(argv[optind], &data, &len))
                return EXIT_FAIL;
        if (bpfaot_elf_kind(data, len) == BPFAOT_ELF_NATIVE) {
                cli_error("%s: is a native object; verify takes an eBPF program", argv[optind]);
                goto out;
        }
        if (input_from_bytes(&in, data, len, cli_display_name(argv[optind]), program, &err)) {
                rc = cli_report(&err);
                goto out;
        }
        rc = EXIT_OK;
        /* Every program is verified, so that every refusal is reported. */
        for (size_t i = 0; i < in.cnt; i++) {
                if (i)
                        putchar('\n');
                if (verify_one(&in.progs[i]) != EXIT_OK)
                        rc = EXIT_FAIL;
        }
out:
        input_free(&in);
        free(data);
        return rc;
}
