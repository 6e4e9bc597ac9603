/* SPDX-License-Identifier: MIT */
/* Disassembler: one instruction to the bpf_conformance assembly dialect. */
#include "insn.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

static const char *suffix32(const struct bpfaot_insn *insn)
{
        uint8_t c = bpfaot_insn_class(insn);
        return (c == BPFAOT_CLASS_ALU || c == BPFAOT_CLASS_JMP32) ? "32" : "";
}

static int raw(const struct bpfaot_insn *insn, char *buf, size_t sz)
{
        snprintf(buf, sz, "<invalid opcode 0x%02x>", insn->opcode);
        return -EINVAL;
}

static void mem_operand(char *buf, size_t sz, uint8_t reg, int16_t off)
{
        snprintf(buf, sz, "[%%r%u%c%d]", reg, off < 0 ? '-' : '+', off < 0 ? -(int)off : off);
}

static int disasm_alu(const struct bpfaot_insn *insn, char *buf, size_t sz)
{
        uint8_t op = insn_op(insn);
        bool is64 = bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64;
        const char *name = insn_alu_name(op);

        if (!name)
                return raw(insn, buf, sz);
        if (op == BPFAOT_ALU_END) {
                if (is64 && insn_is_reg_src(insn))
                        return raw(insn, buf, sz);
                const char *kind = is64 ? "bswap" : (insn_is_reg_src(insn) ? "be" : "le");
                snprintf(buf, sz, "%s%d %%r%u", kind, insn->imm, insn->dst);
                return 1;
        }
        if (op == BPFAOT_ALU_NEG) {
                snprintf(buf, sz, "neg%s %%r%u", suffix32(insn), insn->dst);
                return 1;
        }
        if ((op == BPFAOT_ALU_DIV || op == BPFAOT_ALU_MOD) && insn->off == 1)
                name = op == BPFAOT_ALU_DIV ? "sdiv" : "smod";
        else if ((op == BPFAOT_ALU_DIV || op == BPFAOT_ALU_MOD) && insn->off != 0)
                return raw(insn, buf, sz);
        if (op == BPFAOT_ALU_MOV && insn_is_reg_src(insn) && insn->off != 0) {
                if (insn->off != 8 && insn->off != 16 && !(is64 && insn->off == 32))
                        return raw(insn, buf, sz);
                snprintf(buf, sz, "movsx%d%d %%r%u, %%r%u", insn->off, is64 ? 64 : 32, insn->dst,
                         insn->src);
                return 1;
        }
        if (insn_is_reg_src(insn))
                snprintf(buf, sz, "%s%s %%r%u, %%r%u", name, suffix32(insn), insn->dst, insn->src);
        else
                snprintf(buf, sz, "%s%s %%r%u, %" PRId32, name, suffix32(insn), insn->dst,
                         insn->imm);
        return 1;
}

static int disasm_jmp(const struct bpfaot_insn *insn, char *buf, size_t sz)
{
        uint8_t op = insn_op(insn);
        bool is32 = bpfaot_insn_class(insn) == BPFAOT_CLASS_JMP32;
        const char *name = insn_jmp_name(op);

        if (!name)
                return raw(insn, buf, sz);
        switch (op) {
        case BPFAOT_JMP_JA:
                if (is32)
                        snprintf(buf, sz, "ja32 %+" PRId32, insn->imm);
                else
                        snprintf(buf, sz, "ja %+d", insn->off);
                return 1;
        case BPFAOT_JMP_EXIT:
                if (is32 || insn_is_reg_src(insn))
                        return raw(insn, buf, sz);
                snprintf(buf, sz, "exit");
                return 1;
        case BPFAOT_JMP_CALL:
                if (is32)
                        return raw(insn, buf, sz);
                if (insn_is_reg_src(insn))
                        snprintf(buf, sz, "call %%r%u", insn->dst);
                else if (insn->src == BPFAOT_CALL_LOCAL)
                        snprintf(buf, sz, "call local %+" PRId32, insn->imm);
                else if (insn->src == BPFAOT_CALL_KFUNC)
                        snprintf(buf, sz, "call kfunc %" PRId32, insn->imm);
                else
                        snprintf(buf, sz, "call %" PRId32, insn->imm);
                return 1;
        default:
                if (insn_is_reg_src(insn))
                        snprintf(buf, sz, "%s%s %%r%u, %%r%u, %+d", name, is32 ? "32" : "",
                                 insn->dst, insn->src, insn->off);
                else
                        snprintf(buf, sz, "%s%s %%r%u, %" PRId32 ", %+d", name, is32 ? "32" : "",
                                 insn->dst, insn->imm, insn->off);
                return 1;
        }
}

static int disasm_lddw(const struct bpfaot_insn *insns, size_t cnt, size_t idx, char *buf,
                       size_t sz)
{
        const struct bpfaot_insn *insn = &insns[idx];
        uint32_t hi = idx + 1 < cnt ? (uint32_t)insns[idx + 1].imm : 0;
        uint64_t imm64 = (uint64_t)(uint32_t)insn->imm | ((uint64_t)hi << 32);

        if (idx + 1 >= cnt) {
                snprintf(buf, sz, "lddw %%r%u, <truncated>", insn->dst);
                return -EINVAL;
        }
        switch (insn->src) {
        case BPFAOT_LDDW_IMM64:
                snprintf(buf, sz, "lddw %%r%u, 0x%" PRIx64, insn->dst, imm64);
                break;
        case BPFAOT_LDDW_MAP_FD:
                snprintf(buf, sz,
                         hi ? "lddw %%r%u, map_fd %" PRId32 ", %" PRIu32
                            : "lddw %%r%u, map_fd %" PRId32,
                         insn->dst, insn->imm, hi);
                break;
        case BPFAOT_LDDW_MAP_VAL:
                snprintf(buf, sz, "lddw %%r%u, map_val %" PRId32 ", %" PRIu32, insn->dst, insn->imm,
                         hi);
                break;
        case BPFAOT_LDDW_VAR_ADDR:
                snprintf(buf, sz,
                         hi ? "lddw %%r%u, var_addr %" PRId32 ", %" PRIu32
                            : "lddw %%r%u, var_addr %" PRId32,
                         insn->dst, insn->imm, hi);
                break;
        case BPFAOT_LDDW_CODE_ADDR:
                snprintf(buf, sz,
                         hi ? "lddw %%r%u, code_addr %" PRId32 ", %" PRIu32
                            : "lddw %%r%u, code_addr %" PRId32,
                         insn->dst, insn->imm, hi);
                break;
        case BPFAOT_LDDW_MAP_IDX:
                snprintf(buf, sz,
                         hi ? "lddw %%r%u, map_idx %" PRId32 ", %" PRIu32
                            : "lddw %%r%u, map_idx %" PRId32,
                         insn->dst, insn->imm, hi);
                break;
        case BPFAOT_LDDW_MAP_IDX_VAL:
                snprintf(buf, sz, "lddw %%r%u, map_idx_val %" PRId32 ", %" PRIu32, insn->dst,
                         insn->imm, hi);
                break;
        default:
                snprintf(buf, sz, "lddw %%r%u, <src %u> 0x%" PRIx64, insn->dst, insn->src, imm64);
                break;
        }
        return 2;
}

static int disasm_mem(const struct bpfaot_insn *insn, char *buf, size_t sz)
{
        uint8_t cls = bpfaot_insn_class(insn);
        uint8_t mode = insn_mode(insn);
        const char *size = insn_size_name(insn_size_field(insn));
        char mem[48];

        switch (cls) {
        case BPFAOT_CLASS_LD:
                if (mode == BPFAOT_MODE_ABS) {
                        snprintf(buf, sz, "ldabs%s %" PRId32, size, insn->imm);
                        return 1;
                }
                if (mode == BPFAOT_MODE_IND) {
                        snprintf(buf, sz, "ldind%s %%r%u, %" PRId32, size, insn->src, insn->imm);
                        return 1;
                }
                return raw(insn, buf, sz);
        case BPFAOT_CLASS_LDX:
                if ((mode != BPFAOT_MODE_MEM && mode != BPFAOT_MODE_MEMSX) ||
                    (mode == BPFAOT_MODE_MEMSX && insn_size_field(insn) == BPFAOT_SIZE_DW))
                        return raw(insn, buf, sz);
                mem_operand(mem, sizeof(mem), insn->src, insn->off);
                snprintf(buf, sz, "ldx%s%s %%r%u, %s", mode == BPFAOT_MODE_MEMSX ? "s" : "", size,
                         insn->dst, mem);
                return 1;
        case BPFAOT_CLASS_ST:
                if (mode != BPFAOT_MODE_MEM)
                        return raw(insn, buf, sz);
                mem_operand(mem, sizeof(mem), insn->dst, insn->off);
                snprintf(buf, sz, "st%s %s, %" PRId32, size, mem, insn->imm);
                return 1;
        default: /* STX */
                mem_operand(mem, sizeof(mem), insn->dst, insn->off);
                if (mode == BPFAOT_MODE_MEM) {
                        snprintf(buf, sz, "stx%s %s, %%r%u", size, mem, insn->src);
                        return 1;
                }
                if (mode == BPFAOT_MODE_ATOMIC) {
                        const char *name = insn_atomic_name(insn->imm);
                        uint8_t size_field = insn_size_field(insn);
                        if (size_field != BPFAOT_SIZE_W && size_field != BPFAOT_SIZE_DW)
                                return raw(insn, buf, sz);
                        if (!name) {
                                snprintf(buf, sz, "lock <op 0x%" PRIx32 ">%s %s, %%r%u",
                                         (uint32_t)insn->imm,
                                         insn_size_field(insn) == BPFAOT_SIZE_W ? "32" : "", mem,
                                         insn->src);
                                return -EINVAL;
                        }
                        snprintf(buf, sz, "lock %s%s %s, %%r%u", name,
                                 insn_size_field(insn) == BPFAOT_SIZE_W ? "32" : "", mem,
                                 insn->src);
                        return 1;
                }
                return raw(insn, buf, sz);
        }
}

int bpfaot_disasm_insn(const struct bpfaot_insn *insns, size_t insn_cnt, size_t idx, char *buf,
                       size_t buf_sz)
{
        const struct bpfaot_insn *insn;

        if (!buf || buf_sz == 0)
                return -EINVAL;
        if (idx >= insn_cnt) {
                snprintf(buf, buf_sz, "<out of range>");
                return -ERANGE;
        }
        insn = &insns[idx];
        if (insn_is_lddw(insn))
                return disasm_lddw(insns, insn_cnt, idx, buf, buf_sz);
        if (insn_is_alu(insn))
                return disasm_alu(insn, buf, buf_sz);
        if (insn_is_jmp(insn))
                return disasm_jmp(insn, buf, buf_sz);
        return disasm_mem(insn, buf, buf_sz);
}
