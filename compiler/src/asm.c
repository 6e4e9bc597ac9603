/* SPDX-License-Identifier: MIT */
#include "bpfaot/bpfaot.h"
#include <errno.h>

int bpfaot_assemble(const char *text, const char *input_name, struct bpfaot_insn **insns,
                    size_t *insn_cnt, struct bpfaot_error *err)
{
        (void)text, (void)insns, (void)insn_cnt;
        return bpfaot_error_set(err, ENOSYS, "%s: assembler not written yet", input_name);
}
