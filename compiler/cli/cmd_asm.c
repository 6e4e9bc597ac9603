/* SPDX-License-Identifier: MIT */
/* bpf-aot asm / disasm: assembly text <-> eBPF bytecode. */
#define _GNU_SOURCE
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct io_args {
        const char *cmd;
        const char *input;
        const char *output;
        bool hex;
};

static const char asm_usage[] =
    "Usage: bpf-aot asm [INPUT|-] [-o OUTPUT] [--hex]\n"
    "\n"
    "Assemble eBPF assembly text (the bpf_conformance dialect, as printed by\n"
    "'bpf-aot disasm') into bytecode. INPUT defaults to standard input.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE  write to FILE (replaced atomically); default: stdout\n"
    "      --hex          the bytecode is hex text: write it as hex bytes, one\n"
    "                     instruction (8 bytes) per line, not raw binary\n"
    "  -h, --help         show this help\n";

static const char disasm_usage[] =
    "Usage: bpf-aot disasm [INPUT|-] [-o OUTPUT] [--hex]\n"
    "\n"
    "Disassemble eBPF bytecode into assembly text, one instruction per line,\n"
    "that 'bpf-aot asm' accepts back. INPUT (default: standard input) is raw\n"
    "binary bytecode, or hex text (\"b7 00 00 00 ...\"), which is recognised\n"
    "automatically.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE  write to FILE (replaced atomically); default: stdout\n"
    "      --hex          the bytecode is hex text: read it as hex bytes (without\n"
    "                     --hex, hex text is recognised by its content)\n"
    "  -h, --help         show this help\n";

/* Returns 0 to go on, 1 when --help was printed, -1 on a usage error (reported). */
static int parse_args(int argc, char **argv, const char *usage, struct io_args *a)
{
        bool opts_done = false;

        a->cmd = argv[0];
        a->input = NULL;
        a->output = "-";
        a->hex = false;
        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i];

                if (opts_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
                        if (a->input) {
                                cli_error("%s: more than one input ('%s' and '%s')", a->cmd,
                                          a->input, arg);
                                return -1;
                        }
                        a->input = arg;
                } else if (strcmp(arg, "--") == 0) {
                        opts_done = true;
                } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
                        fputs(usage, stdout);
                        return 1;
                } else if (strcmp(arg, "--hex") == 0) {
                        a->hex = true;
                } else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
                        if (++i == argc) {
                                cli_error("%s: %s needs a file name", a->cmd, arg);
                                return -1;
                        }
                        a->output = argv[i];
                } else if (strncmp(arg, "--output=", 9) == 0) {
                        a->output = arg + 9;
                } else if (strncmp(arg, "-o", 2) == 0) {
                        a->output = arg + 2;
                } else {
                        cli_error("%s: unknown option '%s' (see 'bpf-aot %s --help')", a->cmd, arg,
                                  a->cmd);
                        return -1;
                }
        }
        if (!a->input)
                a->input = "-";
        if (!a->output[0]) {
                cli_error("%s: empty output file name", a->cmd);
                return -1;
        }
        return 0;
}

static const char *display_name(const char *path)
{
        return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

/* Hex bytes, 8 per line (one instruction). */
static char *hex_lines(const uint8_t *bytes, size_t len, size_t *out_len)
{
        char *text = malloc(len * 3 + 1);
        size_t n = 0;

        if (!text)
                return NULL;
        for (size_t i = 0; i < len; i++)
                n += (size_t)sprintf(text + n, "%02x%c", bytes[i], i % 8 == 7 ? '\n' : ' ');
        if (n && text[n - 1] == ' ')
                text[n - 1] = '\n';
        *out_len = n;
        return text;
}

static int write_bytecode(const struct io_args *a, const struct bpfaot_insn *insns, size_t cnt)
{
        size_t len = cnt * 8, text_len = 0;
        uint8_t *bytes = malloc(len);
        char *text = NULL;
        int ret;

        if (!bytes) {
                cli_nomem(a->cmd);
                return EXIT_FAIL;
        }
        bpfaot_encode(insns, cnt, bytes);
        if (a->hex) {
                text = hex_lines(bytes, len, &text_len);
                if (!text) {
                        free(bytes);
                        cli_nomem(a->cmd);
                        return EXIT_FAIL;
                }
                ret = cli_write_file(a->output, text, text_len);
        } else {
                ret = cli_write_file(a->output, bytes, len);
        }
        free(text);
        free(bytes);
        return ret ? EXIT_FAIL : EXIT_OK;
}

int cmd_asm(int argc, char **argv)
{
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns;
        struct io_args a;
        uint8_t *data;
        size_t len, cnt;
        int ret = parse_args(argc, argv, asm_usage, &a);

        if (ret)
                return ret > 0 ? EXIT_OK : EXIT_USAGE;
        if (!a.hex && strcmp(a.output, "-") == 0 && isatty(STDOUT_FILENO)) {
                cli_error("asm: not writing binary bytecode to a terminal (use -o FILE or --hex)");
                return EXIT_USAGE;
        }
        if (cli_read_file(a.input, &data, &len))
                return EXIT_FAIL;
        if (memchr(data, 0, len)) {
                cli_error("%s: the input contains NUL bytes: it is not assembly text "
                          "(bytecode? try 'bpf-aot disasm')",
                          display_name(a.input));
                free(data);
                return EXIT_FAIL;
        }
        ret = bpfaot_assemble((const char *)data, display_name(a.input), &insns, &cnt, &err);
        free(data);
        if (ret)
                return cli_report(&err);
        ret = write_bytecode(&a, insns, cnt);
        free(insns);
        return ret;
}

/* Read the input as bytecode: raw binary, or hex text. */
static int read_bytecode(const struct io_args *a, struct bpfaot_insn **insns, size_t *cnt)
{
        struct bpfaot_error err = {0};
        const char *name = display_name(a->input);
        uint8_t *data, *bytes;
        size_t len, blen;
        int ret;

        if (cli_read_file(a->input, &data, &len))
                return -1;
        if (a->hex || cli_looks_like_hex(data, len)) {
                ret = cli_parse_hex((const char *)data, len, &bytes, &blen, &err);
                free(data);
                if (ret) {
                        cli_error("%s: %s%s", name, err.msg,
                                  a->hex ? " (--hex: the input must be hex text)" : "");
                        return -1;
                }
                data = bytes;
                len = blen;
        }
        ret = bpfaot_decode(data, len, insns, cnt, &err);
        free(data);
        if (ret) {
                cli_error("%s: %s", name, err.msg);
                return -1;
        }
        if (*cnt == 0) {
                free(*insns);
                cli_error("%s: no instructions", name);
                return -1;
        }
        return 0;
}

struct disasm_result {
        char *text;
        size_t len;
        size_t bad_cnt;   /* instructions without an exact textual form */
        size_t first_bad; /* index of the first one */
        char first_bad_text[128];
};

/*
 * The text of insns[idx] (n slots) must assemble back to exactly these
 * slots; otherwise it would not round-trip (an invalid opcode, a truncated
 * lddw, or a field the text does not show).
 */
static bool exact_text(const struct bpfaot_insn *insns, size_t cnt, size_t idx, int n,
                       const char *line)
{
        struct bpfaot_insn *again;
        size_t again_cnt;
        bool ok;

        if (n <= 0 || idx + (size_t)n > cnt || (insns[idx].opcode == BPFAOT_OP_LDDW && n < 2))
                return false;
        if (bpfaot_assemble(line, "disasm", &again, &again_cnt, NULL))
                return false;
        ok = again_cnt == (size_t)n;
        /* Compare encodings: the struct has padding bytes. */
        for (size_t i = 0; ok && i < again_cnt; i++) {
                uint8_t a[8], b[8];
                bpfaot_encode(&again[i], 1, a);
                bpfaot_encode(&insns[idx + i], 1, b);
                ok = memcmp(a, b, 8) == 0;
        }
        free(again);
        return ok;
}

static int disassemble(const struct bpfaot_insn *insns, size_t cnt, struct disasm_result *r)
{
        FILE *f = open_memstream(&r->text, &r->len);

        r->bad_cnt = 0;
        if (!f)
                return -1;
        for (size_t i = 0; i < cnt;) {
                char line[128];
                int n = bpfaot_disasm_insn(insns, cnt, i, line, sizeof(line));

                fprintf(f, "%s\n", line);
                if (!exact_text(insns, cnt, i, n, line) && r->bad_cnt++ == 0) {
                        r->first_bad = i;
                        snprintf(r->first_bad_text, sizeof(r->first_bad_text), "%s", line);
                }
                i += n > 0 ? (size_t)n : 1;
        }
        return fclose(f) ? -1 : 0;
}

int cmd_disasm(int argc, char **argv)
{
        struct disasm_result r = {0};
        struct bpfaot_insn *insns;
        struct io_args a;
        size_t cnt;
        int ret = parse_args(argc, argv, disasm_usage, &a);

        if (ret)
                return ret > 0 ? EXIT_OK : EXIT_USAGE;
        if (read_bytecode(&a, &insns, &cnt))
                return EXIT_FAIL;
        ret = disassemble(insns, cnt, &r);
        free(insns);
        if (ret) {
                free(r.text);
                cli_nomem("disasm");
                return EXIT_FAIL;
        }
        ret = cli_write_file(a.output, r.text, r.len);
        free(r.text);
        if (ret)
                return EXIT_FAIL;
        if (r.bad_cnt) {
                cli_error("%s: insn %zu: %s: not a valid instruction, the text does not "
                          "assemble back to it (%zu such instruction%s)",
                          display_name(a.input), r.first_bad, r.first_bad_text, r.bad_cnt,
                          r.bad_cnt == 1 ? "" : "s");
                return EXIT_FAIL;
        }
        return EXIT_OK;
}
