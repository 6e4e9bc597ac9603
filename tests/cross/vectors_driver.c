/* SPDX-License-Identifier: MIT */
/*
 * Runs the conformance vectors compiled for this machine (by the build
 * host's bpf-aot --target, listed in the table.c cross_vectors wrote), each
 * variant of them, and checks r0, or the expected error: a vector that must
 * fail passes when bpf-aot refused it or its sandboxed run faulted. Prints
 * "LABEL VARIANT: P/N passed" per variant and a line per failure; exits 0
 * when every vector of every variant passed. Usage: vectors_driver LABEL
 */
#include "vectors_driver.h"

#include "bpfaot/objabi.h"
#include "bpfaot/runtime.h"
#include "bpfaot/sandbox.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `call %reg` calls _bpf_helper_ext_callx: the runtime defines it (weak). */

static bool run_vector(const char *label, const char *variant, const struct cross_vector *v,
                       cross_entry_fn fn)
{
        struct bpfaot_sandbox_fault f;
        char why[256] = "";
        uint8_t *mem;
        uint64_t r0;
        bool faulted;

        if (!fn) {
                if (v->expected_error)
                        return true;
                printf("FAIL %s %s %s (line %ld): bpf-aot did not compile it (see its log)\n",
                       label, variant, v->name, v->line);
                return false;
        }
        mem = malloc(v->mem_len ? v->mem_len : 1);
        if (!mem) {
                printf("FAIL %s %s %s: out of memory\n", label, variant, v->name);
                return false;
        }
        if (v->mem_len)
                memcpy(mem, v->mem, v->mem_len);
        bpfaot_sandbox_fault_clear();
        r0 = fn(v->mem_len ? mem : NULL, v->mem_len);
        faulted = bpfaot_sandbox_fault(&f);
        if (faulted)
                bpfaot_sandbox_fault_str(&f, why, sizeof(why));
        free(mem);
        if (v->expected_error) {
                if (!faulted)
                        printf("FAIL %s %s %s (line %ld): expected error '%s', got r0 0x%" PRIx64
                               "\n",
                               label, variant, v->name, v->line, v->expected_error, r0);
                return faulted;
        }
        if (faulted) {
                printf("FAIL %s %s %s (line %ld): %s\n", label, variant, v->name, v->line, why);
                return false;
        }
        if (r0 != v->expected_r0) {
                printf("FAIL %s %s %s (line %ld): r0 = 0x%" PRIx64 ", expected 0x%" PRIx64 "\n",
                       label, variant, v->name, v->line, r0, v->expected_r0);
                return false;
        }
        return true;
}

int main(int argc, char **argv)
{
        const char *label = argc > 1 ? argv[1] : "cross";
        bool all = cross_vector_cnt > 0;

        for (size_t k = 0; k < cross_variant_cnt; k++) {
                size_t passed = 0;

                for (size_t i = 0; i < cross_vector_cnt; i++)
                        passed += run_vector(label, cross_variants[k], &cross_vectors[i],
                                             cross_vectors[i].entry[k]);
                printf("%s %s: %zu/%zu passed\n", label, cross_variants[k], passed,
                       cross_vector_cnt);
                all = all && passed == cross_vector_cnt;
        }
        return all ? 0 : 1;
}
