/* SPDX-License-Identifier: MIT */
/*
 * bpf_conformance plugin protocol: the program arrives on stdin as hex
 * bytes (or an eBPF ELF object with --elf), the memory as hex bytes in the
 * first argument; r0 is printed in hex on stdout. The runner starts
 * PLUGIN [MEMORY_HEX] [plugin options...] [--elf], its plugin options split
 * at every space, and in --elf mode writes the object as hex text.
 */
#include "cli.h"
#include "host.h"
#include "input.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: bpf-aot plugin [MEMORY_HEX] [--elf] [--program NAME] [-O N] [--interp]\n"
                "                      [--max-steps N] [--sandbox]\n\n"
                "bpf_conformance plugin: reads a program as space-separated hex bytes from\n"
                "stdin (an eBPF ELF object with --elf), compiles it in memory, runs it with\n"
                "MEMORY_HEX as its context, prints r0 in hex and exits 0. Errors go to\n"
                "stderr with exit status 1. Also installed as bpf-aot-plugin, which takes\n"
                "the same arguments, for the bpf_conformance runner's --plugin_path.\n\n"
                "  --elf          stdin is an eBPF ELF object, as bytes or as hex text\n"
                "                 (its first program runs)\n"
                "  -O N           optimisation level 0-3 (default 2)\n"
                "  --interp       use the reference interpreter instead of compiling\n"
                "  --max-steps N  with --interp: instructions the run may execute\n"
                "                 (default 100000000); past them it fails\n"
                "  --program NAME with --elf: run this program instead of the first\n"
                "  --sandbox      compile with run-time checks (see bpf-aot build --help)\n"
                "  -h, --help     this help\n");
}

/* --elf: the object's bytes, or hex text of them (what the bpf_conformance runner sends). */
static int read_elf(struct input *in, const uint8_t *data, size_t len, const char *program,
                    struct bpfaot_error *err)
{
        uint8_t *bytes;
        size_t n;
        int ret;

        if (bpfaot_elf_kind(data, len) != BPFAOT_ELF_NONE)
                return input_from_elf_bytes(in, data, len, "<stdin>", program, err);
        if (!cli_looks_like_hex(data, len) ||
            cli_parse_hex((const char *)data, len, &bytes, &n, err))
                return cli_fail(err, EINVAL,
                                "<stdin>: --elf: neither an ELF object nor hex text of one");
        if (bpfaot_elf_kind(bytes, n) == BPFAOT_ELF_NONE)
                ret = cli_fail(err, EINVAL, "<stdin>: --elf: the hex text is not an ELF object");
        else
                ret = input_from_elf_bytes(in, bytes, n, "<stdin>", program, err);
        free(bytes);
        return ret;
}

/* The runner splits its plugin options at every space: "-O0  --interp" has an empty argument. */
static int drop_empty_args(int argc, char **argv)
{
        int n = 1;

        for (int i = 1; i < argc; i++)
                if (argv[i][0])
                        argv[n++] = argv[i];
        argv[n] = NULL;
        return n;
}

int cmd_plugin(int argc, char **argv)
{
        static const struct option lopts[] = {
            {"elf", no_argument, NULL, 'e'},
            {"interp", no_argument, NULL, 'i'},
            {"program", required_argument, NULL, 'p'},
            {"max-steps", required_argument, NULL, 's'},
            {"sandbox", no_argument, NULL, 'b'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct host_exec_opts xo = {.opt_level = 2};
        struct bpfaot_error err = {0};
        struct input in = {0};
        const char *program = NULL;
        uint8_t *stdin_data = NULL, *mem = NULL;
        size_t stdin_len = 0, mem_len = 0;
        bool elf = false;
        uint64_t r0;
        char *end;
        int c, rc = EXIT_FAIL;

        argc = drop_empty_args(argc, argv);
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":O:h", lopts, NULL)) != -1) {
                switch (c) {
                case 'e':
                        elf = true;
                        break;
                case 'i':
                        xo.interp = true;
                        break;
                case 'b':
                        xo.sandbox = true;
                        break;
                case 'p':
                        program = optarg;
                        break;
                case 'O':
                        xo.opt_level = cli_parse_opt_level(optarg);
                        if (xo.opt_level < 0) {
                                cli_error("plugin: -O takes 0, 1, 2 or 3");
                                return EXIT_USAGE;
                        }
                        break;
                case 's':
                        xo.max_steps = strtoull(optarg, &end, 0);
                        if (*end || xo.max_steps == 0 || optarg[0] == '-') {
                                cli_error("plugin: --max-steps takes a positive number");
                                return EXIT_USAGE;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        return cli_bad_option("plugin", c, argv);
                }
        }
        if (argc - optind > 1) {
                cli_error("plugin: more than one memory argument (see 'bpf-aot plugin --help')");
                return EXIT_USAGE;
        }
        if (optind < argc &&
            cli_parse_hex(argv[optind], strlen(argv[optind]), &mem, &mem_len, &err)) {
                cli_error("plugin: memory argument: %s", err.msg);
                return EXIT_USAGE;
        }
        if (cli_read_file("-", &stdin_data, &stdin_len))
                goto out;
        if (elf)
                rc = read_elf(&in, stdin_data, stdin_len, program, &err);
        else
                rc = input_from_hex(&in, (const char *)stdin_data, stdin_len, "<stdin>", &err);
        if (rc) {
                rc = cli_report(&err);
                goto out;
        }
        if (host_exec_prog(&in.progs[0], &xo, mem_len ? mem : NULL, mem_len, &r0, &err)) {
                rc = cli_report(&err);
                goto out;
        }
        printf("%" PRIx64 "\n", r0);
        rc = EXIT_OK;
out:
        input_free(&in);
        free(stdin_data);
        free(mem);
        return rc;
}
