/* SPDX-License-Identifier: MIT */
/* eBPF inputs of the CLI: ELF objects, raw bytecode or hex text. */
#ifndef BPFAOT_CLI_INPUT_H
#define BPFAOT_CLI_INPUT_H

#include "bpfaot/bpfaot.h"

struct input {
        struct bpfaot_prog *progs;
        size_t cnt;
        struct bpfaot_elf *elf;    /* for ELF inputs */
        struct bpfaot_insn *insns; /* for raw and hex inputs */
        char *name;
        const char *kconfig; /* set before reading: --kconfig FILE, or NULL */
        bool maps_only_ok;   /* set before reading: an object of maps and data only is taken */
};

/* Hex text: one program named after the input. */
int input_from_hex(struct input *in, const char *text, size_t len, const char *input_name,
                   struct bpfaot_error *err);
/* eBPF ELF; `program` selects one program by name (NULL: all). */
int input_from_elf_bytes(struct input *in, const uint8_t *data, size_t len, const char *input_name,
                         const char *program, struct bpfaot_error *err);
/* Any of the three, told apart by content. */
int input_from_bytes(struct input *in, const uint8_t *data, size_t len, const char *input_name,
                     const char *program, struct bpfaot_error *err);
void input_free(struct input *in);

#endif
