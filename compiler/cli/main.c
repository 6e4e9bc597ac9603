/* SPDX-License-Identifier: MIT */
/* bpf-aot: command dispatch. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

struct command {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *summary;
};

static const struct command commands[] = {
    {"build", cmd_build, "compile every program of an eBPF ELF object to native objects"},
    {"compile", cmd_compile, "compile raw eBPF bytecode (binary or hex) to a native object"},
    {"run", cmd_run, "load a native object in-process and run its program on a memory file"},
    {"plugin", cmd_plugin, "bpf_conformance plugin: program on stdin, memory as argument"},
    {"asm", cmd_asm, "assemble eBPF assembly text into bytecode"},
    {"disasm", cmd_disasm, "disassemble eBPF bytecode into assembly text"},
    {"verify", cmd_verify,
     "print what the analysis knows before each instruction, and the verdict"},
    {"shm", cmd_shm, "list, dump or remove a shared-memory segment of maps and programs"},
    {"load", cmd_load, "put a native object into a shared-memory segment as a program's code"},
};

static void usage(FILE *out)
{
        fprintf(out, "Usage: bpf-aot <command> [options]\n"
                     "       bpf-aot <command> --help\n"
                     "       bpf-aot --version\n\n"
                     "Ahead-of-time compiler for eBPF programs.\n\nCommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
        fprintf(out, "\nExit status: 0 success, 1 the input was rejected or the work failed,\n"
                     "2 bad command line.\n");
}

int main(int argc, char **argv)
{
        bpfaot_set_fatal_error_handler(cli_llvm_fatal);
        if (argc < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return EXIT_OK;
        }
        if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
                printf("bpf-aot %s\n", BPFAOT_VERSION_STRING);
                return EXIT_OK;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].fn(argc - 1, argv + 1);
        cli_error("unknown command '%s' (see 'bpf-aot --help')", argv[1]);
        return EXIT_USAGE;
}
