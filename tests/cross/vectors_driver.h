/* SPDX-License-Identifier: MIT */
/* The table cross_vectors writes (table.c) and vectors_driver.c runs. */
#ifndef BPFAOT_CROSS_VECTORS_DRIVER_H
#define BPFAOT_CROSS_VECTORS_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#define CROSS_MAX_VARIANTS 4

typedef uint64_t (*cross_entry_fn)(void *ctx, uint64_t ctx_size);

struct cross_vector {
        const char *name;
        long line; /* in vectors.tsv */
        const uint8_t *mem;
        size_t mem_len;
        uint64_t expected_r0;
        const char *expected_error; /* NULL when the program must succeed */
        /* Per variant: the compiled program, NULL when bpf-aot refused it. */
        cross_entry_fn entry[CROSS_MAX_VARIANTS];
};

extern const char *const cross_variants[];
extern const size_t cross_variant_cnt;
extern const struct cross_vector cross_vectors[];
extern const size_t cross_vector_cnt;

#endif
