/* SPDX-License-Identifier: MIT */
/*
 * Validator: the structural checks. With the analyses program_check runs
 * after them (program.c), everything the translator relies on is checked,
 * so that translation never meets an instruction it cannot give exact
 * semantics to.
 */
#include "internal.h"
#include "validate.h"
#include "insn.h"
#include "program.h"

#include <errno.h>

struct vctx {
        const struct program *p;
        const struct bpfaot_prog *prog;
        struct bpfaot_error *err;
};

#define FAIL(v, idx, ...) bpfaot_error_at((v)->err, (v)->prog, (long)(idx), EINVAL, __VA_ARGS__)

/* Fields an instruction form must leave zero. */
enum { Z_DST = 1, Z_SRC = 2, Z_OFF = 4, Z_IMM = 8 };

static int check_zero(struct vctx *v, size_t idx, unsigned fields)
{
        const struct bpfaot_insn *insn = &v->prog->insns[idx];

        if ((fields & Z_DST) && insn->dst)
                return FAIL(v, idx, "reserved dst register field is %u, must be 0", insn->dst);
        if ((fields & Z_SRC) && insn->src)
                return FAIL(v, idx, "reserved src register field is %u, must be 0", insn->src);
        if ((fields & Z_OFF) && insn->off)
                return FAIL(v, idx, "reserved offset field is %d, must be 0", insn->off);
        if ((fields & Z_IMM) && insn->imm)
                return FAIL(v, idx, "reserved immediate field is %d, must be 0", insn->imm);
        return 0;
}

static int check_regs(struct vctx *v, size_t idx, bool uses_src, bool writes_dst)
{
        const struct bpfaot_insn *insn = &v->prog->insns[idx];

        if (insn->dst > BPFAOT_REG_FP)
                return FAIL(v, idx, "invalid destination register r%u", insn->dst);
        if (uses_src && insn->src > BPFAOT_REG_FP)
                return FAIL(v, idx, "invalid source register r%u", insn->src);
        if (writes_dst && insn->dst == BPFAOT_REG_FP)
                return FAIL(v, idx, "r10 (frame pointer) is read-only");
        return 0;
}

static int check_alu(struct vctx *v, size_t idx)
{
        const struct bpfaot_insn *insn = &v->prog->insns[idx];
        uint8_t op = insn_op(insn);
        bool is64 = bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64;
        bool x = insn_is_reg_src(insn);
        int ret;

        if (!insn_alu_name(op))
                return FAIL(v, idx, "unknown ALU operation 0x%02x", op);
        switch (op) {
        case BPFAOT_ALU_NEG:
                if (x)
                        return FAIL(v, idx, "neg takes no source operand");
                ret = check_zero(v, idx, Z_SRC | Z_OFF | Z_IMM);
                break;
        case BPFAOT_ALU_END:
                if (is64 && x)
                        return FAIL(v, idx, "unknown byte swap (ALU64 with source bit set)");
                if (insn->imm != 16 && insn->imm != 32 && insn->imm != 64)
                        return FAIL(v, idx, "byte swap width %d is not 16, 32 or 64", insn->imm);
                ret = check_zero(v, idx, Z_SRC | Z_OFF);
                break;
        case BPFAOT_ALU_DIV:
        case BPFAOT_ALU_MOD:
                if (insn->off != 0 && insn->off != 1)
                        return FAIL(v, idx, "offset %d is neither 0 (unsigned) nor 1 (signed)",
                                    insn->off);
                ret = check_zero(v, idx, x ? Z_IMM : Z_SRC);
                break;
        case BPFAOT_ALU_MOV:
                if (x && insn->off != 0) {
                        bool ok = insn->off == 8 || insn->off == 16 || (is64 && insn->off == 32);
                        if (!ok)
                                return FAIL(v, idx, "invalid sign-extension width %d for movsx",
                                            insn->off);
                        ret = check_zero(v, idx, Z_IMM);
                        break;
                }
                ret = check_zero(v, idx, Z_OFF | (x ? Z_IMM : Z_SRC));
                break;
        default:
                ret = check_zero(v, idx, Z_OFF | (x ? Z_IMM : Z_SRC));
                break;
        }
        return ret ? ret : check_regs(v, idx, x, true);
}

static int check_jump_target(struct vctx *v, size_t idx, long target)
{
        const struct bpfaot_prog *prog = v->prog;

        if (target < 0 || (size_t)target >= prog->insn_cnt)
                return FAIL(v, idx, "jump target %ld is outside the program (0..%zu)", target,
                            prog->insn_cnt - 1);
        if (v->p->tails[target])
                return FAIL(v, idx, "jump target %ld is the second slot of an lddw", target);
        return 0;
}

/* A call by name: the name becomes a native symbol, so it must be one. */
static int check_callee_name(struct vctx *v, size_t idx)
{
        const char *name = subprog_callee_name(v->p, idx);

        if (subprog_symbol_name_ok(name))
                return 0;
        return FAIL(v, idx, "called function name '%.64s' is not a valid symbol name", name);
}

static int check_call(struct vctx *v, size_t idx)
{
        const struct bpfaot_prog *prog = v->prog;
        const struct bpfaot_insn *insn = &prog->insns[idx];
        const struct bpfaot_reloc *rel;

        if (insn_is_reg_src(insn)) { /* callx: register number in dst */
                int ret = check_zero(v, idx, Z_SRC | Z_OFF | Z_IMM);
                return ret ? ret : check_regs(v, idx, false, false);
        }
        int ret = check_zero(v, idx, Z_DST | Z_OFF);
        if (ret)
                return ret;
        switch (insn->src) {
        case BPFAOT_CALL_HELPER:
                rel = program_reloc(v->p, idx);
                if (rel)
                        return check_callee_name(v, idx); /* an extern the front end named */
                if (insn->imm < 0)
                        return FAIL(v, idx, "invalid helper id %d", insn->imm);
                return 0;
        case BPFAOT_CALL_LOCAL: {
                long target = insn_call_target(insn, idx);
                if (target < 0 || (size_t)target >= prog->insn_cnt)
                        return FAIL(v, idx, "local call target %ld is outside the program (0..%zu)",
                                    target, prog->insn_cnt - 1);
                if (v->p->tails[target])
                        return FAIL(v, idx, "local call target %ld is the second slot of an lddw",
                                    target);
                return 0;
        }
        case BPFAOT_CALL_KFUNC:
                rel = program_reloc(v->p, idx);
                if ((rel && rel->kind == BPFAOT_RELOC_KFUNC) ||
                    (prog->btf && subprog_kfunc_name(prog, insn->imm)))
                        return check_callee_name(v, idx);
                return FAIL(v, idx, "kfunc call with BTF id %d cannot be named: %s", insn->imm,
                            prog->btf ? "no such function in BTF" : "the program has no BTF");
        default:
                return FAIL(v, idx, "unknown call kind (src %u)", insn->src);
        }
}

static int check_jmp(struct vctx *v, size_t idx)
{
        const struct bpfaot_insn *insn = &v->prog->insns[idx];
        uint8_t op = insn_op(insn);
        bool is32 = bpfaot_insn_class(insn) == BPFAOT_CLASS_JMP32;
        bool x = insn_is_reg_src(insn);
        int ret;

        if (!insn_jmp_name(op))
                return FAIL(v, idx, "unknown jump operation 0x%02x", op);
        switch (op) {
        case BPFAOT_JMP_JA:
                if (x)
                        return FAIL(v, idx, "unconditional jump with source bit set");
                ret = check_zero(v, idx, Z_DST | Z_SRC | (is32 ? Z_OFF : Z_IMM));
                return ret ? ret : check_jump_target(v, idx, insn_jump_target(insn, idx));
        case BPFAOT_JMP_EXIT:
                if (is32 || x)
                        return FAIL(v, idx, "unknown opcode 0x%02x (exit exists only as 0x95)",
                                    insn->opcode);
                return check_zero(v, idx, Z_DST | Z_SRC | Z_OFF | Z_IMM);
        case BPFAOT_JMP_CALL:
                if (is32)
                        return FAIL(v, idx, "unknown opcode 0x%02x (call is a JMP instruction)",
                                    insn->opcode);
                return check_call(v, idx);
        default:
                ret = check_zero(v, idx, x ? Z_IMM : Z_SRC);
                if (!ret)
                        ret = check_regs(v, idx, x, false);
                return ret ? ret : check_jump_target(v, idx, insn_jump_target(insn, idx));
        }
}

/* Constant-offset stack accesses must stay inside the frame. */
static int check_stack_access(struct vctx *v, size_t idx, uint8_t base, unsigned size)
{
        const struct bpfaot_insn *insn = &v->prog->insns[idx];
        long lo = insn->off, hi = (long)insn->off + (long)size;

        if (base != BPFAOT_REG_FP)
                return 0;
        if (lo < -(long)v->p->stack_size || hi > 0)
                return FAIL(v, idx,
                            "stack access [r10%+d] of %u bytes is outside the %u-byte frame",
                            insn->off, size, v->p->stack_size);
        return 0;
}

static int check_lddw(struct vctx *v, size_t idx)
{
        const struct bpfaot_prog *prog = v->prog;
        const struct bpfaot_insn *insn = &prog->insns[idx];
        const struct bpfaot_insn *next;
        int ret;

        if (idx + 1 >= prog->insn_cnt)
                return FAIL(v, idx, "lddw is truncated: its second slot is missing");
        next = &prog->insns[idx + 1];
        if (next->opcode || next->dst || next->src || next->off)
                return FAIL(v, idx, "second slot of lddw must have only an immediate set");
        if (insn->src > BPFAOT_LDDW_MAP_IDX_VAL)
                return FAIL(v, idx, "unknown lddw pseudo source %u", insn->src);
        /* As in the kernel: map and function references have no use for a second immediate. */
        if (next->imm && (insn->src == BPFAOT_LDDW_MAP_FD || insn->src == BPFAOT_LDDW_MAP_IDX ||
                          insn->src == BPFAOT_LDDW_CODE_ADDR))
                return FAIL(v, idx, "second slot of this lddw must be 0");
        if (insn_code_addr_target(insn, idx, prog->insn_cnt) >= 0 &&
            v->p->tails[insn_code_addr_target(insn, idx, prog->insn_cnt)])
                return FAIL(v, idx, "code address target is the second slot of an lddw");
        ret = check_zero(v, idx, Z_OFF);
        return ret ? ret : check_regs(v, idx, false, true);
}

/*
 * Legacy packet loads (LD_ABS, LD_IND): r0 = bytes of the context, as the
 * kernel's check_ld_abs admits them: 1, 2 or 4 bytes, result in r0, no
 * offset field, and for ABS no source register.
 */
static int check_packet_load(struct vctx *v, size_t idx)
{
        const struct bpfaot_insn *insn = &v->prog->insns[idx];
        bool ind = insn_mode(insn) == BPFAOT_MODE_IND;
        int ret;

        if (insn_size_field(insn) == BPFAOT_SIZE_DW)
                return FAIL(v, idx, "unknown opcode 0x%02x (no 64-bit LD_ABS/LD_IND)",
                            insn->opcode);
        ret = check_zero(v, idx, Z_DST | Z_OFF | (ind ? 0 : Z_SRC));
        return ret ? ret : check_regs(v, idx, ind, false);
}

static int check_mem(struct vctx *v, size_t idx)
{
        const struct bpfaot_insn *insn = &v->prog->insns[idx];
        uint8_t cls = bpfaot_insn_class(insn), mode = insn_mode(insn);
        uint8_t size = insn_size_field(insn);
        unsigned bytes = insn_size_bytes(size);
        int ret;

        switch (cls) {
        case BPFAOT_CLASS_LD:
                if (insn->opcode == BPFAOT_OP_LDDW)
                        return check_lddw(v, idx);
                if (insn_is_packet_load(insn))
                        return check_packet_load(v, idx);
                return FAIL(v, idx, "unknown opcode 0x%02x", insn->opcode);
        case BPFAOT_CLASS_LDX:
                if (mode == BPFAOT_MODE_MEMSX && size == BPFAOT_SIZE_DW)
                        return FAIL(v, idx, "unknown opcode 0x%02x (no sign-extending 64-bit load)",
                                    insn->opcode);
                if (mode != BPFAOT_MODE_MEM && mode != BPFAOT_MODE_MEMSX)
                        return FAIL(v, idx, "unknown opcode 0x%02x", insn->opcode);
                ret = check_zero(v, idx, Z_IMM);
                if (!ret)
                        ret = check_regs(v, idx, true, true);
                return ret ? ret : check_stack_access(v, idx, insn->src, bytes);
        case BPFAOT_CLASS_ST:
                if (mode != BPFAOT_MODE_MEM)
                        return FAIL(v, idx, "unknown opcode 0x%02x", insn->opcode);
                ret = check_zero(v, idx, Z_SRC);
                if (!ret)
                        ret = check_regs(v, idx, false, false);
                return ret ? ret : check_stack_access(v, idx, insn->dst, bytes);
        default: /* STX */
                if (mode == BPFAOT_MODE_MEM) {
                        ret = check_zero(v, idx, Z_IMM);
                } else if (mode == BPFAOT_MODE_ATOMIC) {
                        if (size != BPFAOT_SIZE_W && size != BPFAOT_SIZE_DW)
                                return FAIL(v, idx, "atomic operations are 32 or 64 bits wide");
                        if (!insn_atomic_name(insn->imm))
                                return FAIL(v, idx, "unknown atomic operation 0x%x",
                                            (unsigned)insn->imm);
                        if ((insn->imm & BPFAOT_ATOMIC_FETCH) && insn->src == BPFAOT_REG_FP &&
                            insn->imm != BPFAOT_ATOMIC_CMPXCHG)
                                return FAIL(v, idx, "r10 (frame pointer) is read-only");
                        if (insn->dst == BPFAOT_REG_FP && (insn->off % (int)bytes) != 0)
                                return FAIL(v, idx, "misaligned atomic access on the stack");
                        ret = 0;
                } else {
                        return FAIL(v, idx, "unknown opcode 0x%02x", insn->opcode);
                }
                if (!ret)
                        ret = check_regs(v, idx, true, false);
                return ret ? ret : check_stack_access(v, idx, insn->dst, bytes);
        }
}

static int check_insn(struct vctx *v, size_t idx)
{
        const struct bpfaot_insn *insn = &v->prog->insns[idx];

        if (insn_is_alu(insn))
                return check_alu(v, idx);
        if (insn_is_jmp(insn))
                return check_jmp(v, idx);
        return check_mem(v, idx);
}

int validate_insns(const struct program *p, struct bpfaot_error *err)
{
        struct vctx v = {.p = p, .prog = p->prog, .err = err};
        int ret = 0;

        for (size_t i = 0; i < p->prog->insn_cnt && !ret; i++)
                if (!p->tails[i])
                        ret = check_insn(&v, i);
        return ret;
}

int validate_flow(const struct program *p, struct bpfaot_error *err)
{
        const struct bpfaot_prog *prog = p->prog;
        const struct subprogs *sp = &p->sp;
        struct vctx v = {.p = p, .prog = prog, .err = err};

        for (size_t s = 0; s < sp->cnt; s++) {
                size_t start = sp->start[s], end = subprogs_end(sp, s);
                size_t last = end - 1;

                if (last > start && p->tails[last])
                        last--;
                if (!insn_is_exit(&prog->insns[last]) && !insn_is_ja(&prog->insns[last]))
                        return FAIL(&v, last, "control can fall through past the end of %s",
                                    s == 0 && sp->cnt == 1 ? "the program" : "a sub-program");
                for (size_t i = start; i < end; i++) {
                        const struct bpfaot_insn *insn = &prog->insns[i];
                        long target;

                        /*
                         * As in the kernel: a callback's caller is a helper, which
                         * cannot pass it the packet (and the kernel gives it none).
                         */
                        if (sp->callback[s] && !p->tails[i] &&
                            (insn_is_packet_load(insn) ||
                             (insn_is_local_call(insn) &&
                              sp->packet[subprogs_index_of(sp,
                                                           (size_t)insn_call_target(insn, i))])))
                                return FAIL(&v, i,
                                            "LD_ABS/LD_IND cannot be used within a callback");
                        if (p->tails[i] || !insn_is_jmp(insn) ||
                            (!insn_is_ja(insn) && !insn_is_cond_jmp(insn)))
                                continue;
                        target = insn_jump_target(insn, i);
                        if ((size_t)target < start || (size_t)target >= end)
                                return FAIL(&v, i,
                                            "jump to insn %ld leaves the sub-program at %zu..%zu",
                                            target, start, end - 1);
                }
        }
        return 0;
}

int validate_limits(const struct bpfaot_prog *prog, size_t max_insns, uint32_t stack_size,
                    struct bpfaot_error *err)
{
        if (!prog || !prog->insns || prog->insn_cnt == 0)
                return bpfaot_error_at(err, prog, -1, EINVAL, "empty program");
        if (prog->insn_cnt > max_insns)
                return bpfaot_error_at(err, prog, -1, E2BIG,
                                       "program has %zu instructions, more than the limit of %zu",
                                       prog->insn_cnt, max_insns);
        if (stack_size % 8 || stack_size > (1u << 20))
                return bpfaot_error_at(err, prog, -1, EINVAL,
                                       "stack size %u must be a multiple of 8 up to 1 MiB",
                                       stack_size);
        return 0;
}

int validate_relocs(const struct bpfaot_prog *prog, struct bpfaot_error *err)
{
        for (size_t i = 0; i < prog->reloc_cnt; i++) {
                const struct bpfaot_reloc *r = &prog->relocs[i];
                if (r->kind == BPFAOT_RELOC_DATA &&
                    (r->insn >= prog->insn_cnt || !insn_is_lddw(&prog->insns[r->insn]) ||
                     prog->insns[r->insn].src != BPFAOT_LDDW_IMM64 ||
                     r->data_sec >= prog->data_cnt || r->offset > prog->data[r->data_sec].size))
                        return bpfaot_error_at(err, prog, (long)r->insn, EINVAL,
                                               "bad global data relocation against '%s'",
                                               r->name ? r->name : "?");
                if (r->kind == BPFAOT_RELOC_MAP &&
                    (r->insn >= prog->insn_cnt || !insn_is_lddw(&prog->insns[r->insn]) ||
                     prog->insns[r->insn].src != BPFAOT_LDDW_IMM64 ||
                     r->data_sec >= prog->map_cnt || !prog->symbol_prefix))
                        return bpfaot_error_at(err, prog, (long)r->insn, EINVAL,
                                               "bad map relocation against '%s'",
                                               r->name ? r->name : "?");
                if (r->kind == BPFAOT_RELOC_UNRESOLVED)
                        return reloc_unresolved_error(err, prog, r);
        }
        return 0;
}
