/* SPDX-License-Identifier: MIT */
/*
 * Plumbing shared by the test programs: conformance vectors, hex, helper
 * lookup for the interpreter, symbol resolution, printing. Running compiled
 * code is in test_native.h (it needs the compiler, this file does not).
 */
#ifndef BPFAOT_TEST_COMMON_H
#define BPFAOT_TEST_COMMON_H

#include "bpfaot/bpfaot.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One line of vectors.tsv: name, mem hex, program hex, expected r0 hex, expected error. */
struct test_vector {
        char *name;
        uint8_t *mem;
        size_t mem_len;
        struct bpfaot_insn *insns;
        size_t insn_cnt;
        uint64_t expected_r0;
        char *expected_error; /* NULL when the program must succeed */
        long line;
};

/*
 * Load <dir>/vectors.tsv. Returns 0, or -1 with a message (naming the file
 * and line) in msg.
 */
int test_vectors_load(const char *dir, struct test_vector **vectors, size_t *cnt, char *msg,
                      size_t msg_sz);
void test_vectors_free(struct test_vector *vectors, size_t cnt);

/* Parse hex bytes separated by optional white space. Returns 0 or -1. */
int test_parse_hex(const char *text, uint8_t **out, size_t *out_len);

/* Interpreter helper lookup over the runtime's built-in helpers (ctx unused). */
bpfaot_helper_fn test_rt_helper_lookup(void *ctx, uint32_t id);

/* Resolver for compiled objects (ctx unused): the runtime's bpfaot_rt_resolve(). */
uint64_t test_rt_resolve(void *ctx, const char *name);


/* Print a disassembly listing, one "  <index>: <insn>" per line. */
void test_print_disasm(FILE *f, const struct bpfaot_insn *insns, size_t cnt);

/* Print memory as hex, 16 bytes per line, marking bytes that differ from `other` (may be NULL). */
void test_print_mem(FILE *f, const uint8_t *mem, const uint8_t *other, size_t len);

#endif
