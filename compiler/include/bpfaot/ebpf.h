/* SPDX-License-Identifier: MIT */
/*
 * The eBPF instruction set (RFC 9669) in one header: encodings of classes,
 * operations, modes and sizes, the instruction slot, and the limits the
 * Linux kernel sets. Definitions only; the compiler library's functions are
 * in bpfaot/bpfaot.h.
 */
#ifndef BPFAOT_EBPF_H
#define BPFAOT_EBPF_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Instruction classes (low 3 bits of the opcode). */
enum bpfaot_class {
        BPFAOT_CLASS_LD = 0x00,
        BPFAOT_CLASS_LDX = 0x01,
        BPFAOT_CLASS_ST = 0x02,
        BPFAOT_CLASS_STX = 0x03,
        BPFAOT_CLASS_ALU = 0x04,
        BPFAOT_CLASS_JMP = 0x05,
        BPFAOT_CLASS_JMP32 = 0x06,
        BPFAOT_CLASS_ALU64 = 0x07,
};

/* Arithmetic operations (opcode & 0xf0 for ALU/ALU64). */
enum bpfaot_alu_op {
        BPFAOT_ALU_ADD = 0x00,
        BPFAOT_ALU_SUB = 0x10,
        BPFAOT_ALU_MUL = 0x20,
        BPFAOT_ALU_DIV = 0x30,
        BPFAOT_ALU_OR = 0x40,
        BPFAOT_ALU_AND = 0x50,
        BPFAOT_ALU_LSH = 0x60,
        BPFAOT_ALU_RSH = 0x70,
        BPFAOT_ALU_NEG = 0x80,
        BPFAOT_ALU_MOD = 0x90,
        BPFAOT_ALU_XOR = 0xa0,
        BPFAOT_ALU_MOV = 0xb0,
        BPFAOT_ALU_ARSH = 0xc0,
        BPFAOT_ALU_END = 0xd0,
};

/* Jump operations (opcode & 0xf0 for JMP/JMP32). */
enum bpfaot_jmp_op {
        BPFAOT_JMP_JA = 0x00,
        BPFAOT_JMP_JEQ = 0x10,
        BPFAOT_JMP_JGT = 0x20,
        BPFAOT_JMP_JGE = 0x30,
        BPFAOT_JMP_JSET = 0x40,
        BPFAOT_JMP_JNE = 0x50,
        BPFAOT_JMP_JSGT = 0x60,
        BPFAOT_JMP_JSGE = 0x70,
        BPFAOT_JMP_CALL = 0x80,
        BPFAOT_JMP_EXIT = 0x90,
        BPFAOT_JMP_JLT = 0xa0,
        BPFAOT_JMP_JLE = 0xb0,
        BPFAOT_JMP_JSLT = 0xc0,
        BPFAOT_JMP_JSLE = 0xd0,
};

/* Source operand (opcode & 0x08 for ALU/JMP classes). */
#define BPFAOT_SRC_K 0x00
#define BPFAOT_SRC_X 0x08

/* Memory access modes (opcode & 0xe0) and sizes (opcode & 0x18). */
enum bpfaot_mode {
        BPFAOT_MODE_IMM = 0x00,
        BPFAOT_MODE_ABS = 0x20,
        BPFAOT_MODE_IND = 0x40,
        BPFAOT_MODE_MEM = 0x60,
        BPFAOT_MODE_MEMSX = 0x80,
        BPFAOT_MODE_ATOMIC = 0xc0,
};
enum bpfaot_size {
        BPFAOT_SIZE_W = 0x00,
        BPFAOT_SIZE_H = 0x08,
        BPFAOT_SIZE_B = 0x10,
        BPFAOT_SIZE_DW = 0x18,
};

/* Atomic operations (imm of STX|ATOMIC). */
#define BPFAOT_ATOMIC_FETCH 0x01
enum bpfaot_atomic_op {
        BPFAOT_ATOMIC_ADD = 0x00,
        BPFAOT_ATOMIC_OR = 0x40,
        BPFAOT_ATOMIC_AND = 0x50,
        BPFAOT_ATOMIC_XOR = 0xa0,
        BPFAOT_ATOMIC_XCHG = 0xe0 | BPFAOT_ATOMIC_FETCH,
        BPFAOT_ATOMIC_CMPXCHG = 0xf0 | BPFAOT_ATOMIC_FETCH,
};

/* src field of a CALL instruction. */
enum bpfaot_call_kind {
        BPFAOT_CALL_HELPER = 0,
        BPFAOT_CALL_LOCAL = 1,
        BPFAOT_CALL_KFUNC = 2,
};

/* src field of an lddw (LD|IMM|DW) instruction. */
enum bpfaot_lddw_kind {
        BPFAOT_LDDW_IMM64 = 0,
        BPFAOT_LDDW_MAP_FD = 1,
        BPFAOT_LDDW_MAP_VAL = 2,
        BPFAOT_LDDW_VAR_ADDR = 3,
        BPFAOT_LDDW_CODE_ADDR = 4,
        BPFAOT_LDDW_MAP_IDX = 5,
        BPFAOT_LDDW_MAP_IDX_VAL = 6,
};

#define BPFAOT_OP_LDDW            0x18 /* LD | IMM | DW */
#define BPFAOT_NUM_REGS           11
#define BPFAOT_REG_FP             10
#define BPFAOT_DEFAULT_STACK_SIZE 512
#define BPFAOT_MAX_CALL_DEPTH     8

/* One decoded 8-byte instruction slot (little-endian encoding). */
struct bpfaot_insn {
        uint8_t opcode;
        uint8_t dst; /* 0..15 as encoded; the validator checks the range */
        uint8_t src;
        int16_t off;
        int32_t imm;
};

static inline uint8_t bpfaot_insn_class(const struct bpfaot_insn *insn)
{
        return insn->opcode & 0x07;
}

#ifdef __cplusplus
}
#endif
#endif /* BPFAOT_EBPF_H */
