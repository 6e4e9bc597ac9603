/* SPDX-License-Identifier: MIT */
/* Decoding, encoding and opcode names. */
#include "internal.h"
#include "insn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const alu_names[16] = {
    [BPFAOT_ALU_ADD >> 4] = "add",   [BPFAOT_ALU_SUB >> 4] = "sub", [BPFAOT_ALU_MUL >> 4] = "mul",
    [BPFAOT_ALU_DIV >> 4] = "div",   [BPFAOT_ALU_OR >> 4] = "or",   [BPFAOT_ALU_AND >> 4] = "and",
    [BPFAOT_ALU_LSH >> 4] = "lsh",   [BPFAOT_ALU_RSH >> 4] = "rsh", [BPFAOT_ALU_NEG >> 4] = "neg",
    [BPFAOT_ALU_MOD >> 4] = "mod",   [BPFAOT_ALU_XOR >> 4] = "xor", [BPFAOT_ALU_MOV >> 4] = "mov",
    [BPFAOT_ALU_ARSH >> 4] = "arsh", [BPFAOT_ALU_END >> 4] = "end",
};

static const char *const jmp_names[16] = {
    [BPFAOT_JMP_JA >> 4] = "ja",     [BPFAOT_JMP_JEQ >> 4] = "jeq",
    [BPFAOT_JMP_JGT >> 4] = "jgt",   [BPFAOT_JMP_JGE >> 4] = "jge",
    [BPFAOT_JMP_JSET >> 4] = "jset", [BPFAOT_JMP_JNE >> 4] = "jne",
    [BPFAOT_JMP_JSGT >> 4] = "jsgt", [BPFAOT_JMP_JSGE >> 4] = "jsge",
    [BPFAOT_JMP_CALL >> 4] = "call", [BPFAOT_JMP_EXIT >> 4] = "exit",
    [BPFAOT_JMP_JLT >> 4] = "jlt",   [BPFAOT_JMP_JLE >> 4] = "jle",
    [BPFAOT_JMP_JSLT >> 4] = "jslt", [BPFAOT_JMP_JSLE >> 4] = "jsle",
};

const char *insn_alu_name(uint8_t op)
{
        return alu_names[op >> 4];
}

const char *insn_jmp_name(uint8_t op)
{
        return jmp_names[op >> 4];
}

const char *insn_atomic_name(int32_t imm)
{
        switch (imm) {
        case BPFAOT_ATOMIC_ADD:
                return "add";
        case BPFAOT_ATOMIC_OR:
                return "or";
        case BPFAOT_ATOMIC_AND:
                return "and";
        case BPFAOT_ATOMIC_XOR:
                return "xor";
        case BPFAOT_ATOMIC_ADD | BPFAOT_ATOMIC_FETCH:
                return "fetch add";
        case BPFAOT_ATOMIC_OR | BPFAOT_ATOMIC_FETCH:
                return "fetch or";
        case BPFAOT_ATOMIC_AND | BPFAOT_ATOMIC_FETCH:
                return "fetch and";
        case BPFAOT_ATOMIC_XOR | BPFAOT_ATOMIC_FETCH:
                return "fetch xor";
        case BPFAOT_ATOMIC_XCHG:
                return "xchg";
        case BPFAOT_ATOMIC_CMPXCHG:
                return "cmpxchg";
        default:
                return NULL;
        }
}

const char *insn_size_name(uint8_t size_field)
{
        switch (size_field) {
        case BPFAOT_SIZE_B:
                return "b";
        case BPFAOT_SIZE_H:
                return "h";
        case BPFAOT_SIZE_W:
                return "w";
        default:
                return "dw";
        }
}

bool *insn_lddw_tails(const struct bpfaot_insn *insns, size_t cnt)
{
        bool *tails = calloc(cnt ? cnt : 1, sizeof(*tails));
        if (!tails)
                return NULL;
        for (size_t i = 0; i < cnt; i++) {
                if (insn_is_lddw(&insns[i]) && i + 1 < cnt) {
                        tails[i + 1] = true;
                        i++;
                }
        }
        return tails;
}

int bpfaot_decode(const void *bytes, size_t len, struct bpfaot_insn **insns, size_t *insn_cnt,
                  struct bpfaot_error *err)
{
        const uint8_t *p = bytes;
        struct bpfaot_insn *out;
        size_t cnt = len / 8;

        *insns = NULL;
        *insn_cnt = 0;
        if (len % 8)
                return bpfaot_error_set(err, EINVAL,
                                        "program size %zu is not a multiple of 8 bytes", len);
        out = calloc(cnt ? cnt : 1, sizeof(*out));
        if (!out)
                return bpfaot_error_set(err, ENOMEM, "out of memory decoding %zu instructions",
                                        cnt);
        for (size_t i = 0; i < cnt; i++, p += 8) {
                out[i].opcode = p[0];
                out[i].dst = p[1] & 0x0f;
                out[i].src = p[1] >> 4;
                out[i].off = (int16_t)(uint16_t)(p[2] | (p[3] << 8));
                out[i].imm = (int32_t)((uint32_t)p[4] | ((uint32_t)p[5] << 8) |
                                       ((uint32_t)p[6] << 16) | ((uint32_t)p[7] << 24));
        }
        *insns = out;
        *insn_cnt = cnt;
        return 0;
}

void bpfaot_encode(const struct bpfaot_insn *insns, size_t insn_cnt, void *out)
{
        uint8_t *p = out;
        for (size_t i = 0; i < insn_cnt; i++, p += 8) {
                uint16_t off = (uint16_t)insns[i].off;
                uint32_t imm = (uint32_t)insns[i].imm;
                p[0] = insns[i].opcode;
                p[1] = (uint8_t)((insns[i].dst & 0x0f) | (insns[i].src << 4));
                p[2] = (uint8_t)off;
                p[3] = (uint8_t)(off >> 8);
                p[4] = (uint8_t)imm;
                p[5] = (uint8_t)(imm >> 8);
                p[6] = (uint8_t)(imm >> 16);
                p[7] = (uint8_t)(imm >> 24);
        }
}
