/* SPDX-License-Identifier: MIT */
/*
 * `bpf-aot verify`: the register analysis' view of a validated program, one
 * line per instruction in the style of the kernel verifier's level-2 log,
 * and the verdict.
 */
#define _GNU_SOURCE /* open_memstream */
#include "internal.h"
#include "absint.h"
#include "program.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each reachable instruction with the state before it; a run of unreachable ones in one line. */
static size_t print_insns(FILE *out, const struct program *p, const struct absint *a)
{
        const struct bpfaot_prog *prog = p->prog;
        size_t unreachable = 0, run_start = 0, run = 0;
        char text[128], state[2048];

        for (size_t i = 0; i < prog->insn_cnt; i++) {
                if (p->tails[i])
                        continue;
                absint_print_insn(a, i, state, sizeof(state));
                if (strcmp(state, "unreachable") == 0) {
                        if (!run++)
                                run_start = i;
                        unreachable++;
                        continue;
                }
                if (run)
                        fprintf(out, "%zu-%zu: unreachable\n", run_start, i - 1);
                run = 0;
                bpfaot_disasm_insn(prog->insns, prog->insn_cnt, i, text, sizeof(text));
                fprintf(out, "%zu: %s\n%zu: %s\n", i, state, i, text);
        }
        if (run)
                fprintf(out, "%zu-%zu: unreachable\n", run_start, prog->insn_cnt - 1);
        return unreachable;
}

/*
 * How each sub-program's frame is compiled (provenance.h): private frames in
 * parts that may live in registers, or one block of memory at a real address.
 */
static void print_frames(FILE *out, const struct program *p)
{
        for (size_t s = 0; p->frames && s < p->sp.cnt; s++) {
                const struct frame_layout *f = &p->frames[s];

                fprintf(out, "frame of the sub-program at insn %zu: ", p->sp.start[s]);
                if (!f->private) {
                        fprintf(out, "its address is used at insn %zu, so it stays in memory\n",
                                f->escape_insn);
                        continue;
                }
                fprintf(out, "private, %zu part%s", f->part_cnt, f->part_cnt == 1 ? "" : "s");
                for (size_t k = 0; k < f->part_cnt; k++)
                        fprintf(out, "%s fp%d..fp%d", k ? "," : ":", f->parts[k].lo,
                                f->parts[k].hi);
                fprintf(out, "\n");
        }
}

int bpfaot_verify_log(const struct bpfaot_prog *prog, const struct bpfaot_verify_opts *opts,
                      struct bpfaot_buf *log, struct bpfaot_error *err)
{
        struct bpfaot_verify_opts o;
        struct program p;
        size_t size = 0, unreachable;
        char *text = NULL;
        FILE *out;
        int ret, verdict;

        log->data = NULL;
        log->len = 0;
        ret = OPTS_COPY(bpfaot_verify_opts, o, opts, err);
        if (ret)
                return ret;
        BPFAOT_OPTS_INIT(bpfaot_validate_opts, vopts, .stack_size = o.stack_size,
                         .max_insns = o.max_insns);
        ret = program_check_structure(prog, &vopts, &p, err);
        if (ret)
                return ret;
        /* The analysis' checks give the verdict; the log shows what led to it either way. */
        verdict = program_analyze(&p, err);
        ret = p.absint ? 0 : verdict;
        out = ret ? NULL : open_memstream(&text, &size);
        if (!ret && !out)
                ret = bpfaot_error_nomem(err);
        if (!ret) {
                unreachable = print_insns(out, &p, p.absint);
                if (!verdict)
                        print_frames(out, &p);
                if (verdict)
                        fprintf(out, "verdict: refused (see the message)\n");
                else
                        fprintf(out, "verdict: accepted (%zu instructions, %zu unreachable)\n",
                                prog->insn_cnt, unreachable);
                if (fclose(out) != 0 || !text)
                        ret = bpfaot_error_nomem(err);
        }
        if (!ret) {
                log->data = (uint8_t *)text;
                log->len = size;
                ret = verdict;
        } else {
                free(text);
        }
        program_free(&p);
        return ret;
}
