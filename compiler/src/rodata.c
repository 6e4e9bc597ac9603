/* SPDX-License-Identifier: MIT */
/*
 * Stores into read-only data. An lddw relocated against a read-only section
 * (.rodata*, .kconfig) yields the address of a constant LLVM global, and a
 * store through it would be undefined behaviour in the emitted IR. The
 * kernel refuses such stores too (the maps are frozen and read-only to
 * programs).
 *
 * It reads the register analysis (absint.h) and refuses only what that
 * proves: a store (st, stx, every atomic) whose address register is, on
 * every path reaching it, a pointer into global data that is read-only
 * (absint_value.readonly: of every section it may point into, also when the
 * analysis joined two sections and lost which one). Everything else is
 * accepted: read-only addresses stored elsewhere or given to
 * helpers (which are trusted not to write them, as with any pointer), and
 * addresses the analysis cannot pin on read-only data (read-only on some
 * paths only, truncated, half of a spill, loaded from other memory).
 * Branches the analysis proves never taken do not reach a store.
 */
#include "internal.h"
#include "rodata.h"
#include "absint.h"
#include "insn.h"
#include "program.h"

#include <stdio.h>
#include <stdlib.h>

struct rodata {
        const struct program *p;
        struct bpfaot_error *err;
        char secs[256]; /* the read-only sections the program refers to, for messages */
};

/*
 * Name the read-only sections the program refers to (in the order it first
 * does), `named` marking those done; false when there are none.
 */
static bool scan_sections(struct rodata *c, bool *named)
{
        const struct bpfaot_prog *prog = c->p->prog;
        size_t len = 0;
        bool any = false;

        for (size_t i = 0; i < prog->reloc_cnt; i++) {
                const struct bpfaot_reloc *r = &prog->relocs[i];
                const struct bpfaot_data_sec *sec;

                if (r->kind != BPFAOT_RELOC_DATA || r->data_sec >= prog->data_cnt)
                        continue;
                sec = &prog->data[r->data_sec];
                if (!sec->readonly || named[r->data_sec])
                        continue;
                any = named[r->data_sec] = true;
                if (len < sizeof(c->secs))
                        len += (size_t)snprintf(c->secs + len, sizeof(c->secs) - len, "%s%s",
                                                len ? ", " : "", sec->name ? sec->name : "?");
        }
        return any;
}

static bool is_readonly_data(const struct absint_value *v)
{
        return v->kind == ABSINT_PTR && v->region == ABSINT_DATA && !v->maybe_uninit && v->readonly;
}

static int check_insn(void *ctx, size_t idx, const struct absint_state *st)
{
        const struct rodata *c = ctx;
        const struct bpfaot_insn *insn = &c->p->prog->insns[idx];
        uint8_t cls = bpfaot_insn_class(insn);

        if ((cls != BPFAOT_CLASS_ST && cls != BPFAOT_CLASS_STX) ||
            !is_readonly_data(absint_reg(st, insn->dst)))
                return 0;
        return bpfaot_error_at(c->err, c->p->prog, (long)idx, EINVAL,
                               "store into read-only data (%s)", c->secs);
}

static int finish(void *ctx, int ret)
{
        free(ctx);
        return ret;
}

int rodata_pass(const struct program *p, struct bpfaot_error *err, struct absint_pass *out)
{
        struct rodata *c;
        bool *named;

        *out = (struct absint_pass){0};
        if (!p->prog->data_cnt)
                return 0;
        c = malloc(sizeof(*c));
        named = calloc(p->prog->data_cnt, sizeof(*named));
        if (!c || !named) {
                free(c);
                free(named);
                return bpfaot_error_nomem(err);
        }
        *c = (struct rodata){.p = p, .err = err};
        /* A program that refers to no read-only data needs no walk. */
        if (scan_sections(c, named))
                *out = (struct absint_pass){.visit = check_insn, .finish = finish, .ctx = c};
        else
                free(c);
        free(named);
        return 0;
}
