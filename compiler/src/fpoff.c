/* SPDX-License-Identifier: MIT */
/* Frame-pointer offsets, one forward pass per sub-program (see fpoff.h). */
#include "internal.h"
#include "fpoff.h"
#include "insn.h"
#include "program.h"

#include <errno.h>
#include <stdlib.h>

/* Offsets beyond this are not frame addresses anyone will use: stop tracking. */
#define FPOFF_LIMIT (1 << 20)

static void forget(struct fp_state *s, unsigned reg)
{
        if (reg < BPFAOT_REG_FP)
                s->known &= (uint16_t) ~(1u << reg);
}

static void set_off(struct fp_state *s, unsigned reg, int64_t off)
{
        if (reg >= BPFAOT_REG_FP)
                return;
        if (off < -FPOFF_LIMIT || off > FPOFF_LIMIT) {
                forget(s, reg);
                return;
        }
        s->known |= (uint16_t)(1u << reg);
        s->off[reg] = (int32_t)off;
}

/* The state after `insn`, given the state before it. */
static void transfer(const struct bpfaot_insn *insn, struct fp_state *s)
{
        uint8_t cls = bpfaot_insn_class(insn), op = insn_op(insn);
        int32_t off;

        switch (cls) {
        case BPFAOT_CLASS_ALU64:
                if (op == BPFAOT_ALU_MOV && insn_is_reg_src(insn) && insn->off == 0) {
                        if (fpoff_get(s, insn->src, &off))
                                set_off(s, insn->dst, off);
                        else
                                forget(s, insn->dst);
                        return;
                }
                if ((op == BPFAOT_ALU_ADD || op == BPFAOT_ALU_SUB) && !insn_is_reg_src(insn) &&
                    fpoff_get(s, insn->dst, &off)) {
                        set_off(s, insn->dst,
                                op == BPFAOT_ALU_ADD ? (int64_t)off + insn->imm
                                                     : (int64_t)off - insn->imm);
                        return;
                }
                forget(s, insn->dst);
                return;
        case BPFAOT_CLASS_LD:
                /* LD_ABS/LD_IND write r0 and leave r1-r5 unwritten, as a call does. */
                for (unsigned r = 0; r <= (insn_is_packet_load(insn) ? 5u : 0u); r++)
                        forget(s, r);
                forget(s, insn->dst);
                return;
        case BPFAOT_CLASS_ALU:
        case BPFAOT_CLASS_LDX:
                forget(s, insn->dst);
                return;
        case BPFAOT_CLASS_STX:
                if (insn_mode(insn) == BPFAOT_MODE_ATOMIC) {
                        if (insn->imm == BPFAOT_ATOMIC_CMPXCHG)
                                forget(s, 0);
                        else if (insn->imm & BPFAOT_ATOMIC_FETCH)
                                forget(s, insn->src);
                }
                return;
        case BPFAOT_CLASS_JMP:
                if (op == BPFAOT_JMP_CALL)
                        for (unsigned r = 0; r <= 5; r++)
                                forget(s, r);
                return;
        default:
                return;
        }
}

/* Merge `in` into the state of `target`; true when it changed. */
static bool merge(struct fp_state *target, const struct fp_state *in)
{
        uint16_t known;

        if (!target->visited) {
                *target = *in;
                target->visited = 1;
                return true;
        }
        known = target->known & in->known;
        for (unsigned r = 0; r < BPFAOT_NUM_REGS - 1; r++)
                if ((known & (1u << r)) && target->off[r] != in->off[r])
                        known &= (uint16_t) ~(1u << r);
        if (known == target->known)
                return false;
        target->known = known;
        return true;
}

/* Fill states[start, end): one sub-program, by a worklist over its instructions. */
static int analyze_sub(const struct program *p, size_t start, size_t end, struct fp_state *states,
                       struct bpfaot_error *err)
{
        const struct bpfaot_prog *prog = p->prog;
        size_t *work = malloc((end - start) * sizeof(*work));
        bool *queued = calloc(end - start, sizeof(*queued));
        size_t n = 0;

        if (!work || !queued) {
                free(work);
                free(queued);
                return bpfaot_error_nomem(err);
        }
        states[start].visited = 1; /* entry: nothing is known but r10 itself */
        work[n++] = start;
        queued[0] = true;
        /*
         * Each register of each instruction can only go from unvisited to
         * known to unknown, so every instruction is queued a bounded number
         * of times.
         */
        while (n) {
                size_t i = work[--n];
                const struct bpfaot_insn *insn = &prog->insns[i];
                struct fp_state out = states[i];
                size_t succ[2];
                unsigned nsucc = 0;

                queued[i - start] = false;
                transfer(insn, &out);
                if (insn_is_exit(insn)) {
                        nsucc = 0;
                } else if (insn_is_ja(insn)) {
                        succ[nsucc++] = (size_t)insn_jump_target(insn, i);
                } else {
                        size_t next = i + (insn_is_lddw(insn) ? 2 : 1);
                        if (insn_is_cond_jmp(insn))
                                succ[nsucc++] = (size_t)insn_jump_target(insn, i);
                        if (next < end)
                                succ[nsucc++] = next;
                }
                for (unsigned k = 0; k < nsucc; k++) {
                        size_t j = succ[k];
                        if (j < start || j >= end || p->tails[j])
                                continue; /* the validator rejects these; stay safe */
                        if (merge(&states[j], &out) && !queued[j - start]) {
                                queued[j - start] = true;
                                work[n++] = j;
                        }
                }
        }
        free(work);
        free(queued);
        return 0;
}

int fpoff_analyze(const struct program *p, struct fp_state **states, struct bpfaot_error *err)
{
        int ret = 0;

        *states = calloc(p->prog->insn_cnt, sizeof(**states));
        if (!*states)
                return bpfaot_error_nomem(err);
        for (size_t s = 0; s < p->sp.cnt && !ret; s++)
                ret = analyze_sub(p, p->sp.start[s], subprogs_end(&p->sp, s), *states, err);
        if (ret) {
                free(*states);
                *states = NULL;
        }
        return ret;
}
