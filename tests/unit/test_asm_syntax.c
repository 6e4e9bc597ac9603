/* SPDX-License-Identifier: MIT */
/*
 * Assembler syntax without the conformance suite: the encoding of every
 * instruction form, what the disassembler prints for it (which must
 * assemble back to the same bytes), labels, comments, and the exact error
 * messages.
 */
#define _GNU_SOURCE
#include "test_util.h"

#include <ctype.h>
#include <stdlib.h>

struct form {
        const char *text;
        const char *hex;    /* 8 or 16 bytes */
        const char *disasm; /* NULL: same as text */
};

/* Field by field: the struct has padding, which memcmp would compare too. */
static bool same_insns(const struct bpfaot_insn *a, const struct bpfaot_insn *b, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (a[i].opcode != b[i].opcode || a[i].dst != b[i].dst || a[i].src != b[i].src ||
                    a[i].off != b[i].off || a[i].imm != b[i].imm)
                        return false;
        return true;
}

static const struct form forms[] = {
    {"mov %r0, 1", "b7 00 00 00 01 00 00 00", NULL},
    {"MOV %r0, 1", "b7 00 00 00 01 00 00 00", "mov %r0, 1"},
    {"mov32 %r0, 0x87654321", "b4 00 00 00 21 43 65 87", "mov32 %r0, -2023406815"},
    {"mov %r0, -2147483648", "b7 00 00 00 00 00 00 80", NULL},
    {"add32 %r1, %r2", "0c 21 00 00 00 00 00 00", NULL},
    {"sub %r1, -3", "17 01 00 00 fd ff ff ff", NULL},
    {"sdiv %r1, 3", "37 01 01 00 03 00 00 00", NULL},
    {"smod32 %r1, %r2", "9c 21 01 00 00 00 00 00", NULL},
    {"arsh32 %r9, 31", "c4 09 00 00 1f 00 00 00", NULL},
    {"neg %r3", "87 03 00 00 00 00 00 00", NULL},
    {"neg32 %r3", "84 03 00 00 00 00 00 00", NULL},
    {"le16 %r1", "d4 01 00 00 10 00 00 00", NULL},
    {"be64 %r1", "dc 01 00 00 40 00 00 00", NULL},
    {"bswap32 %r1", "d7 01 00 00 20 00 00 00", NULL},
    {"swap16 %r1", "d7 01 00 00 10 00 00 00", "bswap16 %r1"},
    {"movsx832 %r1, %r2", "bc 21 08 00 00 00 00 00", NULL},
    {"movsx1664 %r1, %r2", "bf 21 10 00 00 00 00 00", NULL},
    {"movsx3264 %r1, %r2", "bf 21 20 00 00 00 00 00", NULL},
    {"ja +2", "05 00 02 00 00 00 00 00", NULL},
    {"ja -1", "05 00 ff ff 00 00 00 00", NULL},
    {"ja32 +2", "06 00 00 00 02 00 00 00", NULL},
    {"gotol -3", "06 00 00 00 fd ff ff ff", "ja32 -3"},
    {"jeq %r1, 5, -3", "15 01 fd ff 05 00 00 00", NULL},
    {"jsle32 %r1, %r2, +7", "de 21 07 00 00 00 00 00", NULL},
    {"jset %r1, 0x80000000, +1", "45 01 01 00 00 00 00 80", "jset %r1, -2147483648, +1"},
    {"jne %r1, 0, +0x10", "55 01 10 00 00 00 00 00", "jne %r1, 0, +16"},
    {"call 5", "85 00 00 00 05 00 00 00", NULL},
    {"call helper 7", "85 00 00 00 07 00 00 00", "call 7"},
    {"call %r2", "8d 02 00 00 00 00 00 00", NULL},
    {"call local +4", "85 10 00 00 04 00 00 00", NULL},
    {"call local -6", "85 10 00 00 fa ff ff ff", NULL},
    {"call kfunc 123", "85 20 00 00 7b 00 00 00", NULL},
    {"exit", "95 00 00 00 00 00 00 00", NULL},
    {"ldxb %r0, [%r1]", "71 10 00 00 00 00 00 00", "ldxb %r0, [%r1+0]"},
    {"ldxdw %r0, [%r10-8]", "79 a0 f8 ff 00 00 00 00", NULL},
    {"ldxsw %r0, [%r1+0x10]", "81 10 10 00 00 00 00 00", "ldxsw %r0, [%r1+16]"},
    {"ldxsb %r2, [ %r3 - 2 ]", "91 32 fe ff 00 00 00 00", "ldxsb %r2, [%r3-2]"},
    {"ldxh %r2, [%r3-32768]", "69 32 00 80 00 00 00 00", NULL},
    {"stw [%r1+2], -1", "62 01 02 00 ff ff ff ff", NULL},
    {"stdw [%r1+32767], 0x7fffffff", "7a 01 ff 7f ff ff ff 7f", "stdw [%r1+32767], 2147483647"},
    {"stxh [%r10-2], %r3", "6b 3a fe ff 00 00 00 00", NULL},
    {"lock add [%r10-8], %r1", "db 1a f8 ff 00 00 00 00", NULL},
    {"lock fetch or32 [%r1+4], %r2", "c3 21 04 00 41 00 00 00", NULL},
    {"lock fetch xor [%r1+4], %r2", "db 21 04 00 a1 00 00 00", NULL},
    {"lock and32 [%r1+4], %r2", "c3 21 04 00 50 00 00 00", NULL},
    {"lock xchg [%r1], %r2", "db 21 00 00 e1 00 00 00", "lock xchg [%r1+0], %r2"},
    {"lock cmpxchg32 [%r1], %r2", "c3 21 00 00 f1 00 00 00", "lock cmpxchg32 [%r1+0], %r2"},
    {"ldabsw 4", "20 00 00 00 04 00 00 00", NULL},
    {"ldindh %r1, 8", "48 10 00 00 08 00 00 00", NULL},
    {"lddw %r1, 0x1122334455667788", "18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11", NULL},
    {"lddw %r1, -1", "18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff",
     "lddw %r1, 0xffffffffffffffff"},
    {"lddw %r1, 2147483648", "18 01 00 00 00 00 00 80 00 00 00 00 00 00 00 00",
     "lddw %r1, 0x80000000"},
    {"lddw %r2, map_fd 3", "18 12 00 00 03 00 00 00 00 00 00 00 00 00 00 00", NULL},
    {"lddw %r2, map_val 3, 16", "18 22 00 00 03 00 00 00 00 00 00 00 10 00 00 00", NULL},
    {"lddw %r2, var_addr -4", "18 32 00 00 fc ff ff ff 00 00 00 00 00 00 00 00", NULL},
    {"lddw %r2, code_addr 9", "18 42 00 00 09 00 00 00 00 00 00 00 00 00 00 00", NULL},
    {"lddw %r2, map_idx 1", "18 52 00 00 01 00 00 00 00 00 00 00 00 00 00 00", NULL},
    {"lddw %r2, map_idx_val 1, 4294967295", "18 62 00 00 01 00 00 00 00 00 00 00 ff ff ff ff",
     NULL},
};

static size_t parse_hex(const char *hex, uint8_t *out, size_t max)
{
        size_t n = 0;

        while (*hex && n < max) {
                while (*hex == ' ')
                        hex++;
                out[n++] = (uint8_t)strtoul(hex, NULL, 16);
                hex += 2;
        }
        return n;
}

static void check_form(const struct form *f)
{
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns, *again;
        uint8_t want[16], got[16];
        size_t want_len = parse_hex(f->hex, want, sizeof(want)), cnt, cnt2;
        char text[128];
        int ret = bpfaot_assemble(f->text, "t.s", &insns, &cnt, &err);

        CHECKF(ret == 0, "'%s' rejected: %s", f->text, err.msg);
        if (ret)
                return;
        CHECKF(cnt * 8 == want_len, "'%s': %zu instructions", f->text, cnt);
        if (cnt * 8 == want_len) {
                bpfaot_encode(insns, cnt, got);
                CHECKF(memcmp(got, want, want_len) == 0, "'%s': wrong encoding", f->text);
        }
        CHECKF(bpfaot_disasm_insn(insns, cnt, 0, text, sizeof(text)) == (int)cnt,
               "'%s': disassembler consumed the wrong number of slots", f->text);
        CHECK_STR_EQ(text, f->disasm ? f->disasm : f->text);
        ret = bpfaot_assemble(text, "disasm", &again, &cnt2, &err);
        CHECKF(ret == 0, "disassembly '%s' rejected: %s", text, err.msg);
        if (!ret) {
                CHECKF(cnt2 == cnt && same_insns(again, insns, cnt),
                       "'%s' does not assemble back to the same instruction", text);
                free(again);
        }
        free(insns);
}

/* Exact error messages. */
struct bad {
        const char *text;
        const char *msg;
};

static const struct bad bads[] = {
    {"mov %r0, %r11", "t.s:1: invalid register %r11 (registers are %r0..%r10)"},
    {"or %r0, %r50", "t.s:1: invalid register %r50 (registers are %r0..%r10)"},
    {"mov r0, 1", "t.s:1: expected a register %r0..%r10, got 'r0'"},
    {"mov %r1x, 1", "t.s:1: expected a register %r0..%r10, got '%r1x'"},
    {"exit\n\n  foo %r0\n", "t.s:3: unknown mnemonic 'foo'"},
    {"ldxq %r0, %r1", "t.s:1: unknown mnemonic 'ldxq'"},
    {"mov32 %r0, 2147483648", "t.s:1: immediate 2147483648 is out of range for 32 bits (decimal "
                              "-2147483648..2147483647, or hex up to 0xffffffff)"},
    {"mov32 %r0, 4294967295", "t.s:1: immediate 4294967295 is out of range for 32 bits"},
    {"mov %r0, 0x100000000", "t.s:1: immediate 0x100000000 is out of range for 32 bits"},
    {"mov %r0, -0x80000001", "t.s:1: immediate -0x80000001 is out of range for 32 bits"},
    {"stw [%r1], -2147483649", "t.s:1: immediate -2147483649 is out of range for 32 bits"},
    {"mov %r0, 12abc", "t.s:1: invalid immediate '12abc' (expected a decimal or 0x hex number)"},
    {"mov %r0, 0x", "t.s:1: invalid immediate '0x' (expected a decimal or 0x hex number)"},
    {"ldxw %r0, [%r1+32768]", "t.s:1: offset +32768 is out of range (-32768..32767)"},
    {"ldxw %r0, [%r1-32769]", "t.s:1: offset -32769 is out of range (-32768..32767)"},
    {"ldxb %r0, [%r1+0x10000]", "t.s:1: offset +0x10000 is out of range (-32768..32767)"},
    {"ldxb %r0, %r1", "t.s:1: expected a memory operand like [%r1+4], got '%r1'"},
    {"stxw [%r1+4, %r2", "t.s:1: expected a memory operand like [%r1+4], got '[%r1+4'"},
    {"jeq %r0, 0, +32768", "t.s:1: jump offset +32768 is out of range (-32768..32767)"},
    {"ja 3", "t.s:1: jump target '3' must be a label or a signed offset such as +3"},
    {"ja nowhere\nexit", "t.s:1: unknown label 'nowhere'"},
    {"exit\ncall local nowhere\nexit", "t.s:2: unknown label 'nowhere'"},
    {"ja a-b", "t.s:1: invalid jump target 'a-b'"},
    {"a:\nexit\nb: a:\nexit", "t.s:3: duplicate label 'a' (first defined on line 1)"},
    {"1a:\nexit", "t.s:1: invalid label name '1a'"},
    {"mov %r0", "t.s:1: 'mov' takes 2 operands, got 1"},
    {"neg %r0, 1", "t.s:1: 'neg' takes 1 operand, got 2"},
    {"exit %r0", "t.s:1: 'exit' takes 0 operands, got 1"},
    {"jeq %r0, 1", "t.s:1: 'jeq' takes 3 operands, got 2"},
    {"mov %r0, 1,", "t.s:1: empty operand 3"},
    {"lock", "t.s:1: lock needs an atomic operation and 2 operands, as in "
             "'lock fetch add [%r10-8], %r1'"},
    {"lock or [%r10-8]", "t.s:1: lock or takes 2 operands, got 1"},
    {"lock fetch", "t.s:1: lock needs an atomic operation (add, or, and, xor, xchg, cmpxchg)"},
    {"lock nand [%r1], %r2", "t.s:1: unknown atomic operation 'nand'"},
    {"lddw %r0", "t.s:1: 'lddw' takes 2 operands, got 1"},
    {"lddw %r0, 18446744073709551616",
     "t.s:1: immediate 18446744073709551616 does not fit in 64 bits"},
    {"lddw %r0, -9223372036854775809",
     "t.s:1: immediate -9223372036854775809 is out of range for 64 bits"},
    {"lddw %r0, map_val 1", "t.s:1: 'lddw ... map_val' takes 3 operands, got 2"},
    {"lddw %r0, map_fd", "t.s:1: 'lddw ... map_fd' needs a value"},
    {"lddw %r0, map_fd 1, 2, 3", "t.s:1: 'lddw ... map_fd' takes 2 or 3 operands, got 4"},
    {"lddw %r0, map_idx_val 1, -1", "t.s:1: value -1 is out of range (0..4294967295)"},
    {"lddw %r0, foo 1", "t.s:1: unknown lddw operand 'foo 1'"},
    {"call local", "t.s:1: 'call local' needs a target"},
    {"call far 1", "t.s:1: unknown call form 'call far 1' (expected call N, call %rN, "
                   "call local <label|+off> or call kfunc N)"},
    {".text\nexit", "t.s:1: unknown directive '.text'"},
    {"exit\n-- Unknown directive", "t.s:2: unknown directive '-- Unknown directive'"},
    {"", "t.s: no instructions"},
    {"# only a comment\nlabel:\n\n", "t.s: no instructions"},
};

static void check_bad(const struct bad *b)
{
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns = (struct bpfaot_insn *)&err;
        size_t cnt = 42;
        int ret = bpfaot_assemble(b->text, "t.s", &insns, &cnt, &err);

        CHECKF(ret < 0, "'%s' accepted", b->text);
        if (ret >= 0) {
                free(insns);
                return;
        }
        CHECK(insns == NULL);
        CHECK_EQ(cnt, 0);
        CHECK_EQ(err.code, ret);
        CHECKF(strncmp(err.msg, b->msg, strlen(b->msg)) == 0, "got \"%s\", want \"%s\"", err.msg,
               b->msg);
}

/* Assemble `text` and compare with the hex bytes. */
static void check_program(const char *text, const char *hex)
{
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns;
        uint8_t want[128], got[128];
        size_t want_len = parse_hex(hex, want, sizeof(want)), cnt;
        int ret = bpfaot_assemble(text, "p.s", &insns, &cnt, &err);

        CHECKF(ret == 0, "rejected: %s\n%s", err.msg, text);
        if (ret)
                return;
        CHECKF(cnt * 8 == want_len, "%zu instructions, expected %zu:\n%s", cnt, want_len / 8, text);
        if (cnt * 8 == want_len) {
                bpfaot_encode(insns, cnt, got);
                CHECKF(memcmp(got, want, want_len) == 0, "wrong encoding:\n%s", text);
        }
        free(insns);
}

static void check_labels_and_layout(void)
{
        /* `exit` names the first exit unless a label of that name exists. */
        check_program("ja exit\nmov %r0, 1\nexit\nexit\n",
                      "05 00 01 00 00 00 00 00 b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00 "
                      "95 00 00 00 00 00 00 00");
        check_program("ja exit\nexit\nmov %r0, 1\nexit:\nexit\n",
                      "05 00 02 00 00 00 00 00 95 00 00 00 00 00 00 00 b7 00 00 00 01 00 00 00 "
                      "95 00 00 00 00 00 00 00");
        /* A label on the same line as its instruction; backward jump. */
        check_program("L: ja L", "05 00 ff ff 00 00 00 00");
        /* lddw takes two slots when counting offsets. */
        check_program("jeq %r1, 0, end\nlddw %r0, 1\nend: exit\n",
                      "15 01 02 00 00 00 00 00 18 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 "
                      "95 00 00 00 00 00 00 00");
        /* Local calls and ja32 resolve labels into the immediate. */
        check_program("call local f\nja32 out\nf: exit\nout: exit\n",
                      "85 10 00 00 01 00 00 00 06 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00 "
                      "95 00 00 00 00 00 00 00");
        /* Comments, blank lines, tabs and CRLF line ends. */
        check_program("# header\r\n\r\n\tmov\t%r0,\t1   # set r0\r\nexit#done\r\n",
                      "b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00");
        /* A label at the very end names the slot after the last instruction. */
        check_program("ja end\nexit\nend:", "05 00 01 00 00 00 00 00 95 00 00 00 00 00 00 00");
}

/* Jumps beyond a 16-bit offset need ja32. */
static void check_far_jumps(void)
{
        enum { FILL = 40000 };
        char *text = malloc(FILL * 11 + 64), *p;
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns = NULL;
        size_t cnt;

        if (!text) {
                CHECK(!"out of memory");
                return;
        }
        p = text + sprintf(text, "ja far\n");
        for (int i = 0; i < FILL; i++)
                p += sprintf(p, "mov %%r0, 1\n");
        sprintf(p, "far: exit\n");
        CHECK(bpfaot_assemble(text, "far.s", &insns, &cnt, &err) < 0);
        CHECK_STR_EQ(err.msg, "far.s:1: label 'far' is 40000 instructions away, beyond a 16-bit "
                              "jump offset (use ja32 for long jumps)");
        /* "ja far" -> "ja32 far" (the buffer has room for 2 more bytes) */
        memmove(text + 5, text + 3, strlen(text + 3) + 1);
        memcpy(text, "ja32 ", 5);
        CHECK(bpfaot_assemble(text, "far.s", &insns, &cnt, &err) == 0);
        if (insns) {
                CHECK_EQ(cnt, FILL + 2);
                CHECK_EQ(insns[0].imm, FILL);
                CHECK_EQ(insns[0].off, 0);
                free(insns);
        }
        free(text);
}

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
        rnd_state ^= rnd_state << 13;
        rnd_state ^= rnd_state >> 7;
        rnd_state ^= rnd_state << 17;
        return rnd_state;
}

/* Mostly small values, so that jumps land inside the 3-slot test program. */
static int64_t rnd_field(void)
{
        switch (rnd() % 4) {
        case 0:
                return 0;
        case 1:
                return (int64_t)(rnd() % 3) - 1;
        case 2:
                return (int64_t)(rnd() % 70);
        default:
                return (int64_t)rnd();
        }
}

static bool round_trips(const struct bpfaot_insn *p, size_t cnt)
{
        struct bpfaot_error err = {0};
        struct bpfaot_insn *q;
        char text[128];
        size_t qcnt;
        int n = bpfaot_disasm_insn(p, cnt, 0, text, sizeof(text));
        bool ok;

        if (n <= 0 || bpfaot_assemble(text, "rt", &q, &qcnt, &err)) {
                fprintf(stderr, "round trip: '%s' %s\n", text,
                        n <= 0 ? "has no text form" : err.msg);
                return false;
        }
        ok = qcnt == (size_t)n && same_insns(q, p, qcnt);
        if (!ok)
                fprintf(stderr, "round trip: '%s' assembles to different bytes\n", text);
        free(q);
        return ok;
}

/* Every instruction the validator accepts survives disassembly and assembly unchanged. */
static void check_random_round_trip(void)
{
        long valid = 0, bad = 0;

        for (int it = 0; it < 300000; it++) {
                /* r0-r9 written first, so that the validator judges the instruction alone. */
                struct bpfaot_insn v[13], *p = v + 10;
                struct bpfaot_prog prog = {.input = "r", .name = "r", .insns = v, .insn_cnt = 13};
                struct bpfaot_error err;

                for (uint8_t r = 0; r < 10; r++)
                        v[r] = (struct bpfaot_insn){.opcode = 0xb7, .dst = r};
                p[0] = (struct bpfaot_insn){0};
                p[1] = p[2] = (struct bpfaot_insn){.opcode = 0x95};

                p[0].opcode = (uint8_t)rnd();
                p[0].dst = (uint8_t)(rnd() % 12);
                p[0].src = (uint8_t)(rnd() % 12);
                p[0].off = (int16_t)rnd_field();
                p[0].imm = (int32_t)rnd_field();
                if (rnd() % 3 == 0)
                        p[0].src = 0;
                if (rnd() % 3 == 0)
                        p[0].off = 0;
                if (p[0].opcode == BPFAOT_OP_LDDW)
                        p[1] = (struct bpfaot_insn){.imm = (int32_t)rnd()};
                if (bpfaot_validate(&prog, NULL, &err))
                        continue;
                valid++;
                if (!round_trips(p, 3) && ++bad >= 10)
                        break;
        }
        printf("asm syntax: %ld random valid instructions round-trip\n", valid);
        CHECK(valid > 20000);
        CHECK_EQ(bad, 0);
}

static void check_null_input(void)
{
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns;
        size_t cnt;

        CHECK(bpfaot_assemble(NULL, NULL, &insns, &cnt, &err) < 0);
        CHECK_STR_EQ(err.msg, "<input>: no input text");
        CHECK(bpfaot_assemble("bad", NULL, &insns, &cnt, &err) < 0);
        CHECK_STR_EQ(err.msg, "<input>:1: unknown mnemonic 'bad'");
        CHECK(bpfaot_assemble("bad", NULL, &insns, &cnt, NULL) < 0);
}

int main(void)
{
        for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
                check_form(&forms[i]);
        for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
                check_bad(&bads[i]);
        printf("asm syntax: %zu forms, %zu error cases\n", sizeof(forms) / sizeof(forms[0]),
               sizeof(bads) / sizeof(bads[0]));
        check_labels_and_layout();
        check_far_jumps();
        check_random_round_trip();
        check_null_input();
        return TEST_EXIT("test_asm_syntax");
}
