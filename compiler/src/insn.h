/* SPDX-License-Identifier: MIT */
/* Instruction tables shared by the decoder, validator, disassembler, interpreter and translator. */
#ifndef BPFAOT_INSN_H
#define BPFAOT_INSN_H

#include "bpfaot/bpfaot.h"

#include <stdbool.h>

static inline uint8_t insn_op(const struct bpfaot_insn *insn)
{
        return insn->opcode & 0xf0;
}
static inline bool insn_is_reg_src(const struct bpfaot_insn *insn)
{
        return (insn->opcode & BPFAOT_SRC_X) != 0;
}
static inline uint8_t insn_mode(const struct bpfaot_insn *insn)
{
        return insn->opcode & 0xe0;
}
static inline uint8_t insn_size_field(const struct bpfaot_insn *insn)
{
        return insn->opcode & 0x18;
}
static inline bool insn_is_lddw(const struct bpfaot_insn *insn)
{
        return insn->opcode == BPFAOT_OP_LDDW;
}
/* Legacy packet load: LD_ABS or LD_IND (r0 = bytes of the context, big-endian). */
static inline bool insn_is_packet_load(const struct bpfaot_insn *insn)
{
        return bpfaot_insn_class(insn) == BPFAOT_CLASS_LD &&
               (insn_mode(insn) == BPFAOT_MODE_ABS || insn_mode(insn) == BPFAOT_MODE_IND);
}
static inline bool insn_is_alu(const struct bpfaot_insn *insn)
{
        uint8_t c = bpfaot_insn_class(insn);
        return c == BPFAOT_CLASS_ALU || c == BPFAOT_CLASS_ALU64;
}
static inline bool insn_is_jmp(const struct bpfaot_insn *insn)
{
        uint8_t c = bpfaot_insn_class(insn);
        return c == BPFAOT_CLASS_JMP || c == BPFAOT_CLASS_JMP32;
}
static inline bool insn_is_exit(const struct bpfaot_insn *insn)
{
        return insn->opcode == (BPFAOT_CLASS_JMP | BPFAOT_JMP_EXIT);
}
static inline bool insn_is_call(const struct bpfaot_insn *insn)
{
        return bpfaot_insn_class(insn) == BPFAOT_CLASS_JMP && insn_op(insn) == BPFAOT_JMP_CALL;
}
static inline bool insn_is_local_call(const struct bpfaot_insn *insn)
{
        return insn->opcode == (BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL) &&
               insn->src == BPFAOT_CALL_LOCAL;
}
/* Unconditional jump: ja (JMP, offset in off) or gotol (JMP32, offset in imm). */
static inline bool insn_is_ja(const struct bpfaot_insn *insn)
{
        return insn_is_jmp(insn) && insn_op(insn) == BPFAOT_JMP_JA;
}
/* Conditional jump (any condition, either class). */
static inline bool insn_is_cond_jmp(const struct bpfaot_insn *insn)
{
        uint8_t op = insn_op(insn);
        return insn_is_jmp(insn) && op != BPFAOT_JMP_JA && op != BPFAOT_JMP_CALL &&
               op != BPFAOT_JMP_EXIT;
}
/* Target of a jump at `idx` (ja, gotol or conditional). */
static inline long insn_jump_target(const struct bpfaot_insn *insn, size_t idx)
{
        if (bpfaot_insn_class(insn) == BPFAOT_CLASS_JMP32 && insn_op(insn) == BPFAOT_JMP_JA)
                return (long)idx + 1 + insn->imm;
        return (long)idx + 1 + insn->off;
}
/* Target of a local call at `idx`. */
static inline long insn_call_target(const struct bpfaot_insn *insn, size_t idx)
{
        return (long)idx + 1 + insn->imm;
}
/*
 * lddw src 4 (code_addr) whose relative offset names an instruction of the
 * program: the address of that sub-program (a callback, as for bpf_loop).
 */
static inline long insn_code_addr_target(const struct bpfaot_insn *insn, size_t idx,
                                         size_t insn_cnt)
{
        long t = (long)idx + 1 + insn->imm;
        if (!insn_is_lddw(insn) || insn->src != BPFAOT_LDDW_CODE_ADDR || t < 0 ||
            (size_t)t >= insn_cnt)
                return -1;
        return t;
}

/* Access width in bytes of a load/store size field. */
static inline unsigned insn_size_bytes(uint8_t size_field)
{
        switch (size_field) {
        case BPFAOT_SIZE_B:
                return 1;
        case BPFAOT_SIZE_H:
                return 2;
        case BPFAOT_SIZE_W:
                return 4;
        default:
                return 8;
        }
}

/* Mnemonic of an ALU operation (without the 32 suffix), NULL when invalid. */
const char *insn_alu_name(uint8_t op);
/* Mnemonic of a jump operation (without the 32 suffix), NULL when invalid. */
const char *insn_jmp_name(uint8_t op);
/* Mnemonic of an atomic operation ("add", "fetch add", "xchg", ...), NULL when invalid. */
const char *insn_atomic_name(int32_t imm);
/* Suffix letter of a size field: "b", "h", "w", "dw". */
const char *insn_size_name(uint8_t size_field);

/* Index bitmap of instruction slots that are the second half of an lddw. */
bool *insn_lddw_tails(const struct bpfaot_insn *insns, size_t cnt);

#endif
