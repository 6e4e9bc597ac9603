/* SPDX-License-Identifier: MIT */
/*
 * A program for the unit tests: assembled from text and validated, with the
 * facts validation leaves (struct program). Include after test_util.h: a
 * failure is a failed check of the including test.
 */
#ifndef BPFAOT_UNIT_TEST_PROG_H
#define BPFAOT_UNIT_TEST_PROG_H

#include "program.h"
#include "test_util.h"

#include <stdlib.h>

struct case_prog {
        const char *name;
        struct bpfaot_insn *insns;
        struct bpfaot_prog prog;
        struct program p;
};

/* Assemble `text` and validate it as program `name`; false (a failed check) on an error. */
static inline bool build(struct case_prog *t, const char *name, const char *text)
{
        struct bpfaot_error err = {0};
        size_t cnt;

        memset(t, 0, sizeof(*t));
        t->name = name;
        if (bpfaot_assemble(text, name, &t->insns, &cnt, &err)) {
                CHECKF(false, "%s: assemble: %s", name, err.msg);
                return false;
        }
        t->prog =
            (struct bpfaot_prog){.input = name, .name = name, .insns = t->insns, .insn_cnt = cnt};
        if (program_check(&t->prog, NULL, &t->p, &err)) {
                CHECKF(false, "%s: validate: %s", name, err.msg);
                free(t->insns);
                return false;
        }
        return true;
}

static inline void done(struct case_prog *t)
{
        program_free(&t->p);
        free(t->insns);
}

#endif
