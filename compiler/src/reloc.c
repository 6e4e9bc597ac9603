/* SPDX-License-Identifier: MIT */
/* Relocations the compiler cannot resolve: one wording for the validator and for reports of all. */
#include "internal.h"

int reloc_unresolved_error(struct bpfaot_error *err, const struct bpfaot_prog *prog,
                           const struct bpfaot_reloc *r)
{
        return bpfaot_error_at(err, prog, (long)r->insn, ENOTSUP,
                               "unresolved relocation against %s '%s' (%s)",
                               r->what ? r->what : "symbol", r->name ? r->name : "?",
                               r->why ? r->why : "not supported yet");
}

size_t bpfaot_prog__report_unresolved(const struct bpfaot_prog *prog, bpfaot_error_report report,
                                      void *ctx)
{
        size_t n = 0;

        for (size_t i = 0; i < prog->reloc_cnt; i++) {
                struct bpfaot_error err = {0};

                if (prog->relocs[i].kind != BPFAOT_RELOC_UNRESOLVED)
                        continue;
                reloc_unresolved_error(&err, prog, &prog->relocs[i]);
                if (report)
                        report(ctx, &err);
                n++;
        }
        return n;
}
