/* SPDX-License-Identifier: MIT */
/* Decoding and encoding instructions, field extraction and the shared instruction helpers. */
#include "internal.h"
#include "insn.h"
#include "test_util.h"

#include <errno.h>
#include <stdlib.h>

static void check_fields(void)
{
        /* opcode b7, dst nibble 2, src nibble 1, off 0xff34, imm 0x92345678 */
        const uint8_t bytes[] = {0xb7, 0x12, 0x34, 0xff, 0x78, 0x56, 0x34, 0x92,
                                 0x18, 0xfa, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x7f};
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns = NULL;
        uint8_t again[sizeof(bytes)];
        size_t cnt = 0;

        CHECK(bpfaot_decode(bytes, sizeof(bytes), &insns, &cnt, &err) == 0);
        if (!insns)
                return;
        CHECK_EQ(cnt, 3);
        CHECK_EQ(insns[0].opcode, 0xb7);
        CHECK_EQ(insns[0].dst, 2);
        CHECK_EQ(insns[0].src, 1);
        CHECK_EQ(insns[0].off, -204);
        CHECK_EQ(insns[0].imm, (int32_t)0x92345678u);
        CHECK(insns[0].imm < 0);
        CHECK_EQ(bpfaot_insn_class(&insns[0]), BPFAOT_CLASS_ALU64);
        CHECK_EQ(insn_op(&insns[0]), BPFAOT_ALU_MOV);
        CHECK(!insn_is_reg_src(&insns[0]));
        /* dst and src are the low and high nibbles, each 0..15 as encoded */
        CHECK_EQ(insns[1].dst, 0xa);
        CHECK_EQ(insns[1].src, 0xf);
        CHECK_EQ(insns[1].off, 1);
        CHECK_EQ(insns[1].imm, 1);
        CHECK(insn_is_lddw(&insns[1]));
        CHECK_EQ(insns[2].opcode, 0);
        CHECK_EQ(insns[2].imm, INT32_MAX);
        bpfaot_encode(insns, cnt, again);
        CHECK(memcmp(again, bytes, sizeof(bytes)) == 0);
        free(insns);
}

static void check_bad_lengths(void)
{
        const uint8_t bytes[16] = {0x95};
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns = (struct bpfaot_insn *)&err; /* must be reset */
        size_t cnt = 99;

        CHECK(bpfaot_decode(bytes, 13, &insns, &cnt, &err) == -EINVAL);
        CHECK(insns == NULL);
        CHECK_EQ(cnt, 0);
        CHECK_EQ(err.code, -EINVAL);
        CHECK_CONTAINS(err.msg, "program size 13 is not a multiple of 8 bytes");

        CHECK(bpfaot_decode(bytes, 0, &insns, &cnt, &err) == 0);
        CHECK_EQ(cnt, 0);
        free(insns);
}

/* Every bit pattern survives decode + encode. */
static void check_random_round_trip(void)
{
        enum { N = 100000 };
        uint8_t *bytes = malloc(N * 8), *again = malloc(N * 8);
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns = NULL;
        uint64_t x = 0x9e3779b97f4a7c15ull;
        size_t cnt = 0;

        if (!bytes || !again) {
                CHECK(!"out of memory");
                free(bytes);
                free(again);
                return;
        }
        for (size_t i = 0; i < N * 8; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                bytes[i] = (uint8_t)x;
        }
        CHECK(bpfaot_decode(bytes, N * 8, &insns, &cnt, &err) == 0);
        CHECK_EQ(cnt, N);
        if (insns) {
                bpfaot_encode(insns, cnt, again);
                CHECK(memcmp(bytes, again, N * 8) == 0);
                for (size_t i = 0; i < cnt; i++) {
                        const uint8_t *b = bytes + i * 8;
                        if (insns[i].dst != (b[1] & 0xf) || insns[i].src != b[1] >> 4 ||
                            insns[i].off != (int16_t)(b[2] | b[3] << 8)) {
                                CHECKF(false, "insn %zu decoded wrongly", i);
                                break;
                        }
                }
        }
        free(insns);
        free(bytes);
        free(again);
}

static void check_encode_fields(void)
{
        struct bpfaot_insn insn = {.opcode = 0x15, .dst = 3, .src = 9, .off = -3, .imm = -2};
        const uint8_t want[8] = {0x15, 0x93, 0xfd, 0xff, 0xfe, 0xff, 0xff, 0xff};
        uint8_t got[8];

        bpfaot_encode(&insn, 1, got);
        CHECK(memcmp(got, want, 8) == 0);
}

static void check_helpers(void)
{
        struct bpfaot_insn ja32 = {
            .opcode = BPFAOT_CLASS_JMP32 | BPFAOT_JMP_JA, .off = 7, .imm = -5};
        struct bpfaot_insn ja = {.opcode = BPFAOT_CLASS_JMP | BPFAOT_JMP_JA, .off = 7, .imm = -5};
        struct bpfaot_insn call = {.opcode = 0x85, .src = BPFAOT_CALL_LOCAL, .imm = 4};
        struct bpfaot_insn ldxsh = {.opcode = 0x89};
        struct bpfaot_insn prog[] = {{.opcode = BPFAOT_OP_LDDW}, {0}, {.opcode = 0x95},
                                     {.opcode = BPFAOT_OP_LDDW}, {0}, {.opcode = BPFAOT_OP_LDDW}};
        bool *tails;

        CHECK_EQ(insn_jump_target(&ja32, 10), 6);
        CHECK_EQ(insn_jump_target(&ja, 10), 18);
        CHECK_EQ(insn_call_target(&call, 10), 15);
        CHECK(insn_is_ja(&ja32) && insn_is_ja(&ja));
        CHECK(!insn_is_cond_jmp(&ja32));
        CHECK(insn_is_local_call(&call) && insn_is_call(&call));
        CHECK_EQ(insn_mode(&ldxsh), BPFAOT_MODE_MEMSX);
        CHECK_EQ(insn_size_field(&ldxsh), BPFAOT_SIZE_H);
        CHECK_EQ(insn_size_bytes(BPFAOT_SIZE_B), 1);
        CHECK_EQ(insn_size_bytes(BPFAOT_SIZE_H), 2);
        CHECK_EQ(insn_size_bytes(BPFAOT_SIZE_W), 4);
        CHECK_EQ(insn_size_bytes(BPFAOT_SIZE_DW), 8);
        CHECK_STR_EQ(insn_alu_name(BPFAOT_ALU_END), "end");
        CHECK(insn_alu_name(0xe0) == NULL);
        CHECK_STR_EQ(insn_jmp_name(BPFAOT_JMP_JSLE), "jsle");
        CHECK(insn_jmp_name(0xe0) == NULL);
        CHECK_STR_EQ(insn_atomic_name(BPFAOT_ATOMIC_XCHG), "xchg");
        CHECK_STR_EQ(insn_atomic_name(BPFAOT_ATOMIC_OR | BPFAOT_ATOMIC_FETCH), "fetch or");
        CHECK(insn_atomic_name(0x02) == NULL);
        CHECK(insn_atomic_name(BPFAOT_ATOMIC_ADD | 0x100) == NULL);

        tails = insn_lddw_tails(prog, sizeof(prog) / sizeof(prog[0]));
        CHECK(tails != NULL);
        if (tails) {
                const bool want[] = {false, true, false, false, true, false};
                for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                        CHECKF(tails[i] == want[i], "tails[%zu]", i);
                free(tails);
        }
}

static void check_error_format(void)
{
        struct bpfaot_insn insns[] = {{.opcode = 0xb7, .dst = 1, .imm = 5}, {.opcode = 0x95}};
        struct bpfaot_prog prog = {
            .input = "in.o", .name = "xdp_prog", .insns = insns, .insn_cnt = 2};
        struct bpfaot_error err = {0};

        CHECK(bpfaot_error_at(&err, &prog, 0, EINVAL, "bad %s", "thing") == -EINVAL);
        CHECK_STR_EQ(err.msg, "in.o: xdp_prog: insn 0: mov %r1, 5: bad thing");
        CHECK_EQ(err.insn, 0);
        CHECK_EQ(err.code, -EINVAL);
        bpfaot_error_at(&err, &prog, -1, E2BIG, "too big");
        CHECK_STR_EQ(err.msg, "in.o: xdp_prog: too big");
        CHECK_EQ(err.code, -E2BIG);
        CHECK(bpfaot_error_set(&err, -ENOMEM, "oom %d", 1) == -ENOMEM);
        CHECK_STR_EQ(err.msg, "oom 1");
        CHECK_EQ(err.insn, -1);
        CHECK(bpfaot_error_set(NULL, EINVAL, "ignored") == -EINVAL);
}

int main(void)
{
        check_fields();
        check_bad_lengths();
        check_random_round_trip();
        check_encode_fields();
        check_helpers();
        check_error_format();
        return TEST_EXIT("test_decode");
}
