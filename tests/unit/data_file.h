/* SPDX-License-Identifier: MIT */
/* Reading bpf_conformance .data files and vectors.tsv for the unit tests. */
#ifndef BPFAOT_TEST_DATA_FILE_H
#define BPFAOT_TEST_DATA_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Read a whole file into a NUL-terminated buffer; NULL on error (errno set). */
char *td_read_file(const char *path, size_t *len);

/*
 * Sections of a .data file. `asm_text` keeps the file's line numbering:
 * lines outside the asm section are blank, so line N of asm_text is line N
 * of the file. A `--` line that is not a known section header stays part of
 * the current section.
 */
struct td_data {
        bool has_asm, has_raw;
        char *asm_text; /* never NULL */
        uint8_t *raw;   /* bytes of the raw section */
        size_t raw_len;
};

int td_parse_data(const char *text, struct td_data *d);
void td_data_free(struct td_data *d);

/* Parse hex bytes ("b7 00 ..."); tokens "0x" + 16 digits are 64-bit little-endian words. */
int td_parse_hex(const char *text, uint8_t **out, size_t *len);

struct td_vector {
        char *name;
        uint8_t *prog;
        size_t prog_len;
};

/* Load vectors.tsv (name, mem, program, r0, error); returns the count or -1. */
long td_load_vectors(const char *path, struct td_vector **vecs);
void td_free_vectors(struct td_vector *vecs, long cnt);
const struct td_vector *td_find_vector(const struct td_vector *vecs, long cnt, const char *name);

/* Sorted names of the files ending in `suffix` in `dir`; returns the count or -1. */
long td_list_dir(const char *dir, const char *suffix, char ***names);
void td_free_names(char **names, long cnt);

#endif
