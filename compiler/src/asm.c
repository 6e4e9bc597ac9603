/* SPDX-License-Identifier: MIT */
/*
 * Assembler for the bpf_conformance assembly dialect, which is also what the
 * disassembler prints: one instruction per line, `name:` labels, `#`
 * comments, registers %r0..%r10, memory operands [%rN+off], jump targets
 * given as labels or signed offsets (+3, -2).
 *
 * Lines are parsed in one pass into instructions; label references are
 * recorded as fixups and resolved once every label is known.
 */
#include "internal.h"
#include "insn.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_OPERANDS 4

struct label {
        const char *name; /* points into the assembler's copy of the text */
        size_t idx;       /* instruction index the label names */
        size_t line;
};

/* Which field of an instruction a label reference fills. */
enum fixup_field {
        FIX_OFF, /* conditional jumps and ja: 16-bit offset */
        FIX_IMM, /* ja32 (gotol) and local calls: 32-bit immediate */
};

struct fixup {
        const char *label;
        size_t idx;
        size_t line;
        enum fixup_field field;
};

struct asm_ctx {
        const char *input;
        struct bpfaot_error *err;
        size_t line;
        struct bpfaot_insn *insns;
        size_t cnt;
        struct label *labels;
        size_t label_cnt;
        struct fixup *fixups;
        size_t fixup_cnt;
        long first_exit; /* index of the first exit: the implicit `exit` label */
};

struct operands {
        char *op[MAX_OPERANDS];
        size_t cnt;
};

struct mnemonic;
typedef int (*encode_fn)(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops);

struct mnemonic {
        const char *name;
        encode_fn encode;
        uint8_t opcode;
        int8_t nops; /* operand count, -1 when the encoder checks it */
        int16_t off; /* sdiv/smod: 1; movsx: source width */
        int32_t imm; /* byte swaps: width */
};

/* ------------------------------------------------------------------ */
/* Errors and storage                                                  */
/* ------------------------------------------------------------------ */

static int __attribute__((format(printf, 3, 4)))
err_at(struct asm_ctx *a, size_t line, const char *fmt, ...)
{
        char reason[BPFAOT_ERROR_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        return bpfaot_error_set(a->err, EINVAL, "%s:%zu: %s", a->input, line, reason);
}

#define ERR(a, ...) err_at((a), (a)->line, __VA_ARGS__)

/* The one out-of-memory message, located at the line being assembled. */
static int nomem(struct asm_ctx *a)
{
        char where[320];

        snprintf(where, sizeof(where), "%s:%zu", a->input, a->line);
        bpfaot_error_nomem(a->err);
        return bpfaot_error_prefix(a->err, where);
}

static int push_insn(struct asm_ctx *a, const struct bpfaot_insn *insn)
{
        struct bpfaot_insn *p = ARRAY_ADD(a->insns, a->cnt);

        if (!p)
                return nomem(a);
        *p = *insn;
        return 0;
}

static int add_label(struct asm_ctx *a, const char *name)
{
        struct label *p = ARRAY_ADD(a->labels, a->label_cnt);

        if (!p)
                return nomem(a);
        *p = (struct label){.name = name, .idx = a->cnt, .line = a->line};
        return 0;
}

/* Record a reference to `label` from the instruction about to be emitted. */
static int add_fixup(struct asm_ctx *a, const char *label, enum fixup_field field)
{
        struct fixup *p = ARRAY_ADD(a->fixups, a->fixup_cnt);

        if (!p)
                return nomem(a);
        *p = (struct fixup){.label = label, .idx = a->cnt, .line = a->line, .field = field};
        return 0;
}

/* ------------------------------------------------------------------ */
/* Lexical helpers                                                     */
/* ------------------------------------------------------------------ */

static char *trim(char *s)
{
        char *end;

        while (isspace((unsigned char)*s))
                s++;
        end = s + strlen(s);
        while (end > s && isspace((unsigned char)end[-1]))
                *--end = 0;
        return s;
}

/* Cut the first white-space separated word off *s; *s then points at the rest. */
static char *next_word(char **s)
{
        char *w = *s, *p;

        while (isspace((unsigned char)*w))
                w++;
        p = w;
        while (*p && !isspace((unsigned char)*p))
                p++;
        if (*p)
                *p++ = 0;
        while (isspace((unsigned char)*p))
                p++;
        *s = p;
        return w;
}

static bool is_ident(const char *s)
{
        if (!isalpha((unsigned char)*s) && *s != '_' && *s != '.')
                return false;
        for (s++; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
                        return false;
        return true;
}

static int split_operands(struct asm_ctx *a, char *s, struct operands *ops)
{
        ops->cnt = 0;
        if (!*s)
                return 0;
        for (;;) {
                char *comma = strchr(s, ',');

                if (comma)
                        *comma = 0;
                if (ops->cnt == MAX_OPERANDS)
                        return ERR(a, "too many operands");
                ops->op[ops->cnt] = trim(s);
                if (!*ops->op[ops->cnt])
                        return ERR(a, "empty operand %zu", ops->cnt + 1);
                ops->cnt++;
                if (!comma)
                        return 0;
                s = comma + 1;
        }
}

/* ------------------------------------------------------------------ */
/* Operands                                                            */
/* ------------------------------------------------------------------ */

struct number {
        bool neg;
        bool hex;
        uint64_t mag;
};

/* Decimal or 0x hex with an optional sign. Returns 0, -EINVAL or -ERANGE. */
static int parse_number(const char *s, struct number *n)
{
        unsigned base = 10;
        const char *p = s;

        n->neg = *p == '-';
        if (*p == '-' || *p == '+')
                p++;
        n->hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
        if (n->hex) {
                base = 16;
                p += 2;
        }
        if (!*p)
                return -EINVAL;
        n->mag = 0;
        for (; *p; p++) {
                int c = tolower((unsigned char)*p);
                unsigned d;

                if (c >= '0' && c <= '9')
                        d = (unsigned)(c - '0');
                else if (base == 16 && c >= 'a' && c <= 'f')
                        d = (unsigned)(c - 'a' + 10);
                else
                        return -EINVAL;
                if (n->mag > (UINT64_MAX - d) / base)
                        return -ERANGE;
                n->mag = n->mag * base + d;
        }
        return 0;
}

static int number_or_err(struct asm_ctx *a, const char *s, const char *what, struct number *n)
{
        int ret = parse_number(s, n);

        if (ret == -ERANGE)
                return ERR(a, "%s %s does not fit in 64 bits", what, s);
        if (ret)
                return ERR(a, "invalid %s '%s' (expected a decimal or 0x hex number)", what, s);
        return 0;
}

/*
 * A 32-bit immediate: decimal numbers must fit int32; hex numbers may also
 * use the uint32 range (0x80000000..0xffffffff), stored as the same bits.
 */
static int parse_imm32(struct asm_ctx *a, const char *s, int32_t *imm)
{
        struct number n = {0};
        uint64_t max;
        int ret = number_or_err(a, s, "immediate", &n);

        if (ret)
                return ret;
        max = n.neg ? 0x80000000u : (n.hex ? 0xffffffffu : 0x7fffffffu);
        if (n.mag > max)
                return ERR(a,
                           "immediate %s is out of range for 32 bits "
                           "(decimal -2147483648..2147483647, or hex up to 0xffffffff)",
                           s);
        *imm = (int32_t)(uint32_t)(n.neg ? 0u - n.mag : n.mag);
        return 0;
}

/* An unsigned 32-bit value (the high half of map_val/map_idx_val). */
static int parse_u32(struct asm_ctx *a, const char *s, int32_t *imm)
{
        struct number n = {0};
        int ret = number_or_err(a, s, "immediate", &n);

        if (ret)
                return ret;
        if (n.neg || n.mag > 0xffffffffu)
                return ERR(a, "value %s is out of range (0..4294967295)", s);
        *imm = (int32_t)(uint32_t)n.mag;
        return 0;
}

static int parse_imm64(struct asm_ctx *a, const char *s, uint64_t *imm)
{
        struct number n = {0};
        int ret = number_or_err(a, s, "immediate", &n);

        if (ret)
                return ret;
        if (n.neg && n.mag > (1ull << 63))
                return ERR(a, "immediate %s is out of range for 64 bits", s);
        *imm = n.neg ? 0 - n.mag : n.mag;
        return 0;
}

/* A signed value in [-limit, limit - 1]. */
static int parse_signed(struct asm_ctx *a, const char *s, const char *what, uint64_t limit,
                        long long *val)
{
        struct number n = {0};
        int ret = number_or_err(a, s, what, &n);

        if (ret)
                return ret;
        if (n.mag > (n.neg ? limit : limit - 1))
                return ERR(a, "%s %s is out of range (%lld..%lld)", what, s, -(long long)limit,
                           (long long)limit - 1);
        *val = n.neg ? -(long long)n.mag : (long long)n.mag;
        return 0;
}

static int parse_off16(struct asm_ctx *a, const char *s, int16_t *off)
{
        long long v = 0;
        int ret = parse_signed(a, s, "offset", 1u << 15, &v);

        if (!ret)
                *off = (int16_t)v;
        return ret;
}

static bool is_reg_syntax(const char *s)
{
        return s[0] == '%';
}

static int parse_reg(struct asm_ctx *a, const char *s, uint8_t *reg)
{
        const char *p = s + 2;
        unsigned n = 0;

        if (s[0] != '%' || s[1] != 'r' || !isdigit((unsigned char)*p))
                return ERR(a, "expected a register %%r0..%%r10, got '%s'", s);
        for (; isdigit((unsigned char)*p) && n <= BPFAOT_REG_FP; p++)
                n = n * 10 + (unsigned)(*p - '0');
        if (*p && !isdigit((unsigned char)*p))
                return ERR(a, "expected a register %%r0..%%r10, got '%s'", s);
        if (*p || n > BPFAOT_REG_FP)
                return ERR(a, "invalid register %s (registers are %%r0..%%r10)", s);
        *reg = (uint8_t)n;
        return 0;
}

/* [%rN], [%rN+off] or [%rN-off], spaces allowed inside the brackets. */
static int parse_mem(struct asm_ctx *a, char *s, uint8_t *reg, int16_t *off)
{
        size_t len = strlen(s);
        char *body, *sign;
        char save;
        int ret;

        if (len < 2 || s[0] != '[' || s[len - 1] != ']')
                return ERR(a, "expected a memory operand like [%%r1+4], got '%s'", s);
        s[len - 1] = 0;
        body = trim(s + 1);
        sign = body + strcspn(body, "+-");
        save = *sign;
        *sign = 0;
        ret = parse_reg(a, trim(body), reg);
        *sign = save;
        *off = 0;
        if (!ret && save) {
                char *num = trim(sign + 1);
                /* Put the sign back right in front of the digits. */
                *--num = save;
                ret = parse_off16(a, num, off);
        }
        s[len - 1] = ']';
        return ret;
}

/*
 * A jump or local-call target: a label (resolved later) or a signed offset
 * relative to the next instruction (+3, -2).
 */
static int parse_target(struct asm_ctx *a, const char *s, enum fixup_field field, int32_t *val)
{
        long long v = 0;
        int ret;

        if (s[0] == '+' || s[0] == '-') {
                ret = field == FIX_OFF ? parse_signed(a, s, "jump offset", 1u << 15, &v)
                                       : parse_signed(a, s, "jump offset", 1ull << 31, &v);
                if (!ret)
                        *val = (int32_t)v;
                return ret;
        }
        if (isdigit((unsigned char)s[0]))
                return ERR(a, "jump target '%s' must be a label or a signed offset such as +%s", s,
                           s);
        if (!is_ident(s))
                return ERR(a, "invalid jump target '%s'", s);
        *val = 0;
        return add_fixup(a, s, field);
}

/* ------------------------------------------------------------------ */
/* Encoders                                                            */
/* ------------------------------------------------------------------ */

static struct bpfaot_insn insn_of(const struct mnemonic *m)
{
        return (struct bpfaot_insn){.opcode = m->opcode, .off = m->off, .imm = m->imm};
}

/* Register or immediate second operand of ALU and jump instructions. */
static int parse_src(struct asm_ctx *a, const char *s, struct bpfaot_insn *insn)
{
        if (!is_reg_syntax(s))
                return parse_imm32(a, s, &insn->imm);
        insn->opcode |= BPFAOT_SRC_X;
        return parse_reg(a, s, &insn->src);
}

static int enc_alu(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        int ret = parse_reg(a, ops->op[0], &insn.dst);

        if (!ret)
                ret = parse_src(a, ops->op[1], &insn);
        return ret ? ret : push_insn(a, &insn);
}

/* neg and byte swaps: one register operand. */
static int enc_unary(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        int ret = parse_reg(a, ops->op[0], &insn.dst);

        return ret ? ret : push_insn(a, &insn);
}

static int enc_movsx(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        int ret = parse_reg(a, ops->op[0], &insn.dst);

        if (!ret)
                ret = parse_reg(a, ops->op[1], &insn.src);
        return ret ? ret : push_insn(a, &insn);
}

static int enc_jcond(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        int32_t off = 0;
        int ret = parse_reg(a, ops->op[0], &insn.dst);

        if (!ret)
                ret = parse_src(a, ops->op[1], &insn);
        if (!ret)
                ret = parse_target(a, ops->op[2], FIX_OFF, &off);
        insn.off = (int16_t)off;
        return ret ? ret : push_insn(a, &insn);
}

static int enc_ja(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        bool gotol = bpfaot_insn_class(&insn) == BPFAOT_CLASS_JMP32;
        int32_t target = 0;
        int ret = parse_target(a, ops->op[0], gotol ? FIX_IMM : FIX_OFF, &target);

        if (gotol)
                insn.imm = target;
        else
                insn.off = (int16_t)target;
        return ret ? ret : push_insn(a, &insn);
}

static int enc_exit(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);

        (void)ops;
        if (a->first_exit < 0)
                a->first_exit = (long)a->cnt;
        return push_insn(a, &insn);
}

struct call_kind {
        const char *name;
        uint8_t src;
};

/* clang-format off */
static const struct call_kind call_kinds[] = {
        {"helper", BPFAOT_CALL_HELPER},
        {"local", BPFAOT_CALL_LOCAL},
        {"kfunc", BPFAOT_CALL_KFUNC},
};
/* clang-format on */

static const struct call_kind *find_call_kind(const char *name)
{
        for (size_t i = 0; i < sizeof(call_kinds) / sizeof(call_kinds[0]); i++)
                if (strcmp(call_kinds[i].name, name) == 0)
                        return &call_kinds[i];
        return NULL;
}

/* call N (helper), call %rN (callx), call local <target>, call kfunc N, call helper N. */
static int enc_call(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        char *rest = ops->op[0];
        char *word = next_word(&rest);
        const struct call_kind *kind = find_call_kind(word);
        int ret;

        if (kind && !*rest)
                return ERR(a, "'call %s' needs a %s", word,
                           kind->src == BPFAOT_CALL_LOCAL ? "target" : "number");
        if (!kind && *rest)
                return ERR(a,
                           "unknown call form 'call %s %s' (expected call N, call %%rN, "
                           "call local <label|+off> or call kfunc N)",
                           word, rest);
        if (kind) {
                insn.src = kind->src;
                if (kind->src == BPFAOT_CALL_LOCAL)
                        ret = parse_target(a, rest, FIX_IMM, &insn.imm);
                else
                        ret = parse_imm32(a, rest, &insn.imm);
        } else if (is_reg_syntax(word)) {
                insn.opcode |= BPFAOT_SRC_X;
                ret = parse_reg(a, word, &insn.dst);
        } else {
                ret = parse_imm32(a, word, &insn.imm);
        }
        return ret ? ret : push_insn(a, &insn);
}

static int enc_ldx(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        int ret = parse_reg(a, ops->op[0], &insn.dst);

        if (!ret)
                ret = parse_mem(a, ops->op[1], &insn.src, &insn.off);
        return ret ? ret : push_insn(a, &insn);
}

static int enc_st(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        int ret = parse_mem(a, ops->op[0], &insn.dst, &insn.off);

        if (!ret)
                ret = parse_imm32(a, ops->op[1], &insn.imm);
        return ret ? ret : push_insn(a, &insn);
}

static int enc_stx(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        int ret = parse_mem(a, ops->op[0], &insn.dst, &insn.off);

        if (!ret)
                ret = parse_reg(a, ops->op[1], &insn.src);
        return ret ? ret : push_insn(a, &insn);
}

/* Legacy packet loads: ldabsw IMM, ldindw %rN, IMM. */
static int enc_ldabs(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        int ret = parse_imm32(a, ops->op[0], &insn.imm);

        return ret ? ret : push_insn(a, &insn);
}

static int enc_ldind(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        int ret = parse_reg(a, ops->op[0], &insn.src);

        if (!ret)
                ret = parse_imm32(a, ops->op[1], &insn.imm);
        return ret ? ret : push_insn(a, &insn);
}

struct atomic_op {
        const char *name;
        int32_t imm;
};

/* clang-format off */
static const struct atomic_op atomic_ops[] = {
        {"add", BPFAOT_ATOMIC_ADD},
        {"or", BPFAOT_ATOMIC_OR},
        {"and", BPFAOT_ATOMIC_AND},
        {"xor", BPFAOT_ATOMIC_XOR},
        {"xchg", BPFAOT_ATOMIC_XCHG},
        {"cmpxchg", BPFAOT_ATOMIC_CMPXCHG},
};
/* clang-format on */

static const struct atomic_op *find_atomic(const char *name, size_t len)
{
        for (size_t i = 0; i < sizeof(atomic_ops) / sizeof(atomic_ops[0]); i++)
                if (strlen(atomic_ops[i].name) == len &&
                    strncmp(atomic_ops[i].name, name, len) == 0)
                        return &atomic_ops[i];
        return NULL;
}

/* lock [fetch] add|or|and|xor|xchg|cmpxchg[32] [%rN+off], %rM */
static int enc_lock(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn insn = insn_of(m);
        const struct atomic_op *op;
        char *rest, *name;
        bool fetch = false;
        size_t len, nops;
        int ret;

        if (ops->cnt == 0)
                return ERR(a, "lock needs an atomic operation and 2 operands, "
                              "as in 'lock fetch add [%%r10-8], %%r1'");
        rest = ops->op[0];
        name = next_word(&rest);
        if (strcmp(name, "fetch") == 0) {
                fetch = true;
                name = next_word(&rest);
        }
        if (!*name)
                return ERR(a, "lock needs an atomic operation (add, or, and, xor, xchg, cmpxchg)");
        len = strlen(name);
        if (len > 2 && strcmp(name + len - 2, "32") == 0) {
                insn.opcode |= BPFAOT_SIZE_W;
                len -= 2;
        } else {
                insn.opcode |= BPFAOT_SIZE_DW;
        }
        op = find_atomic(name, len);
        if (!op)
                return ERR(a, "unknown atomic operation '%s%s'", fetch ? "fetch " : "", name);
        insn.imm = op->imm | (fetch ? BPFAOT_ATOMIC_FETCH : 0);
        nops = ops->cnt - 1 + (*rest ? 1 : 0);
        if (nops != 2)
                return ERR(a, "lock %s%s takes 2 operands, got %zu", fetch ? "fetch " : "", name,
                           nops);
        ret = parse_mem(a, rest, &insn.dst, &insn.off);
        if (!ret)
                ret = parse_reg(a, ops->op[1], &insn.src);
        return ret ? ret : push_insn(a, &insn);
}

struct lddw_pseudo {
        const char *name;
        uint8_t src;
        bool has_hi; /* requires a second value, for the second slot's immediate */
};

/* clang-format off */
static const struct lddw_pseudo lddw_pseudos[] = {
        {"map_fd", BPFAOT_LDDW_MAP_FD, false},
        {"map_val", BPFAOT_LDDW_MAP_VAL, true},
        {"var_addr", BPFAOT_LDDW_VAR_ADDR, false},
        {"code_addr", BPFAOT_LDDW_CODE_ADDR, false},
        {"map_idx", BPFAOT_LDDW_MAP_IDX, false},
        {"map_idx_val", BPFAOT_LDDW_MAP_IDX_VAL, true},
};
/* clang-format on */

static const struct lddw_pseudo *find_pseudo(const char *name)
{
        for (size_t i = 0; i < sizeof(lddw_pseudos) / sizeof(lddw_pseudos[0]); i++)
                if (strcmp(lddw_pseudos[i].name, name) == 0)
                        return &lddw_pseudos[i];
        return NULL;
}

/*
 * Second operand of a pseudo lddw ("map_fd 3") and the optional value of
 * the second slot's immediate, which map_val and map_idx_val require.
 */
static int lddw_pseudo(struct asm_ctx *a, const struct lddw_pseudo *ps, char *value,
                       struct operands *ops, struct bpfaot_insn *lo, struct bpfaot_insn *hi)
{
        int ret;

        if (!*value)
                return ERR(a, "'lddw ... %s' needs a value", ps->name);
        if (ops->cnt > 3 || ops->cnt < (ps->has_hi ? 3u : 2u))
                return ERR(a, "'lddw ... %s' takes %s operands, got %zu", ps->name,
                           ps->has_hi ? "3" : "2 or 3", ops->cnt);
        lo->src = ps->src;
        ret = parse_imm32(a, value, &lo->imm);
        if (!ret && ops->cnt == 3)
                ret = parse_u32(a, ops->op[2], &hi->imm);
        return ret;
}

/*
 * lddw %rN, IMM64 | map_fd N | map_val N, M | var_addr N | code_addr N |
 * map_idx N | map_idx_val N, M
 */
static int enc_lddw(struct asm_ctx *a, const struct mnemonic *m, struct operands *ops)
{
        struct bpfaot_insn lo = insn_of(m), hi = {0};
        const struct lddw_pseudo *ps = NULL;
        char *rest = NULL, *word = NULL;
        uint64_t imm64 = 0;
        int ret;

        if (ops->cnt >= 2) {
                rest = ops->op[1];
                word = next_word(&rest);
                ps = find_pseudo(word);
        }
        if (!ps && ops->cnt != 2)
                return ERR(a, "'lddw' takes 2 operands, got %zu", ops->cnt);
        if (!ps && *rest)
                return ERR(a, "unknown lddw operand '%s %s'", word, rest);
        ret = parse_reg(a, ops->op[0], &lo.dst);
        if (ret)
                return ret;
        if (ps) {
                ret = lddw_pseudo(a, ps, rest, ops, &lo, &hi);
        } else {
                ret = parse_imm64(a, word, &imm64);
                lo.imm = (int32_t)(uint32_t)imm64;
                hi.imm = (int32_t)(uint32_t)(imm64 >> 32);
        }
        if (!ret)
                ret = push_insn(a, &lo);
        return ret ? ret : push_insn(a, &hi);
}

/* ------------------------------------------------------------------ */
/* Mnemonic table                                                      */
/* ------------------------------------------------------------------ */

/* clang-format off */
#define C_LD    BPFAOT_CLASS_LD
#define C_LDX   BPFAOT_CLASS_LDX
#define C_ST    BPFAOT_CLASS_ST
#define C_STX   BPFAOT_CLASS_STX
#define C_ALU   BPFAOT_CLASS_ALU
#define C_JMP   BPFAOT_CLASS_JMP
#define C_JMP32 BPFAOT_CLASS_JMP32
#define C_ALU64 BPFAOT_CLASS_ALU64

/* 64-bit and 32-bit forms of a two-operand ALU operation. */
#define ALU(n, op, o)                                                                              \
        {n, enc_alu, C_ALU64 | (op), 2, o, 0}, { n "32", enc_alu, C_ALU | (op), 2, o, 0 }
#define NEG(n, cls)         {n, enc_unary, (cls) | BPFAOT_ALU_NEG, 1, 0, 0}
#define END(n, cls, x, w)   {n, enc_unary, (cls) | BPFAOT_ALU_END | (x), 1, 0, w}
#define MOVSX(n, cls, from) {n, enc_movsx, (cls) | BPFAOT_ALU_MOV | BPFAOT_SRC_X, 2, from, 0}
#define JCOND(n, op)                                                                               \
        {n, enc_jcond, C_JMP | (op), 3, 0, 0}, { n "32", enc_jcond, C_JMP32 | (op), 3, 0, 0 }
#define MEM(n, fn, cls, mode, size, nops) {n, fn, (cls) | (mode) | (size), nops, 0, 0}
#define MEM4(pre, fn, cls, mode, nops)                                                             \
        MEM(pre "b", fn, cls, mode, BPFAOT_SIZE_B, nops),                                          \
                MEM(pre "h", fn, cls, mode, BPFAOT_SIZE_H, nops),                                  \
                MEM(pre "w", fn, cls, mode, BPFAOT_SIZE_W, nops),                                  \
                MEM(pre "dw", fn, cls, mode, BPFAOT_SIZE_DW, nops)

static const struct mnemonic mnemonics[] = {
        ALU("add", BPFAOT_ALU_ADD, 0),
        ALU("sub", BPFAOT_ALU_SUB, 0),
        ALU("mul", BPFAOT_ALU_MUL, 0),
        ALU("div", BPFAOT_ALU_DIV, 0),
        ALU("sdiv", BPFAOT_ALU_DIV, 1),
        ALU("or", BPFAOT_ALU_OR, 0),
        ALU("and", BPFAOT_ALU_AND, 0),
        ALU("lsh", BPFAOT_ALU_LSH, 0),
        ALU("rsh", BPFAOT_ALU_RSH, 0),
        ALU("mod", BPFAOT_ALU_MOD, 0),
        ALU("smod", BPFAOT_ALU_MOD, 1),
        ALU("xor", BPFAOT_ALU_XOR, 0),
        ALU("mov", BPFAOT_ALU_MOV, 0),
        ALU("arsh", BPFAOT_ALU_ARSH, 0),
        NEG("neg", C_ALU64),
        NEG("neg32", C_ALU),
        END("le16", C_ALU, BPFAOT_SRC_K, 16),
        END("le32", C_ALU, BPFAOT_SRC_K, 32),
        END("le64", C_ALU, BPFAOT_SRC_K, 64),
        END("be16", C_ALU, BPFAOT_SRC_X, 16),
        END("be32", C_ALU, BPFAOT_SRC_X, 32),
        END("be64", C_ALU, BPFAOT_SRC_X, 64),
        END("bswap16", C_ALU64, BPFAOT_SRC_K, 16),
        END("bswap32", C_ALU64, BPFAOT_SRC_K, 32),
        END("bswap64", C_ALU64, BPFAOT_SRC_K, 64),
        END("swap16", C_ALU64, BPFAOT_SRC_K, 16),
        END("swap32", C_ALU64, BPFAOT_SRC_K, 32),
        END("swap64", C_ALU64, BPFAOT_SRC_K, 64),
        MOVSX("movsx832", C_ALU, 8),
        MOVSX("movsx1632", C_ALU, 16),
        MOVSX("movsx864", C_ALU64, 8),
        MOVSX("movsx1664", C_ALU64, 16),
        MOVSX("movsx3264", C_ALU64, 32),
        JCOND("jeq", BPFAOT_JMP_JEQ),
        JCOND("jgt", BPFAOT_JMP_JGT),
        JCOND("jge", BPFAOT_JMP_JGE),
        JCOND("jset", BPFAOT_JMP_JSET),
        JCOND("jne", BPFAOT_JMP_JNE),
        JCOND("jsgt", BPFAOT_JMP_JSGT),
        JCOND("jsge", BPFAOT_JMP_JSGE),
        JCOND("jlt", BPFAOT_JMP_JLT),
        JCOND("jle", BPFAOT_JMP_JLE),
        JCOND("jslt", BPFAOT_JMP_JSLT),
        JCOND("jsle", BPFAOT_JMP_JSLE),
        {"ja", enc_ja, C_JMP | BPFAOT_JMP_JA, 1, 0, 0},
        {"ja32", enc_ja, C_JMP32 | BPFAOT_JMP_JA, 1, 0, 0},
        {"gotol", enc_ja, C_JMP32 | BPFAOT_JMP_JA, 1, 0, 0},
        {"exit", enc_exit, C_JMP | BPFAOT_JMP_EXIT, 0, 0, 0},
        {"call", enc_call, C_JMP | BPFAOT_JMP_CALL, 1, 0, 0},
        MEM4("ldx", enc_ldx, C_LDX, BPFAOT_MODE_MEM, 2),
        MEM("ldxsb", enc_ldx, C_LDX, BPFAOT_MODE_MEMSX, BPFAOT_SIZE_B, 2),
        MEM("ldxsh", enc_ldx, C_LDX, BPFAOT_MODE_MEMSX, BPFAOT_SIZE_H, 2),
        MEM("ldxsw", enc_ldx, C_LDX, BPFAOT_MODE_MEMSX, BPFAOT_SIZE_W, 2),
        MEM4("st", enc_st, C_ST, BPFAOT_MODE_MEM, 2),
        MEM4("stx", enc_stx, C_STX, BPFAOT_MODE_MEM, 2),
        MEM4("ldabs", enc_ldabs, C_LD, BPFAOT_MODE_ABS, 1),
        MEM4("ldind", enc_ldind, C_LD, BPFAOT_MODE_IND, 2),
        {"lddw", enc_lddw, BPFAOT_OP_LDDW, -1, 0, 0},
        {"lock", enc_lock, C_STX | BPFAOT_MODE_ATOMIC, -1, 0, 0},
};

/* clang-format on */

static const struct mnemonic *find_mnemonic(const char *name)
{
        for (size_t i = 0; i < sizeof(mnemonics) / sizeof(mnemonics[0]); i++)
                if (strcasecmp(mnemonics[i].name, name) == 0)
                        return &mnemonics[i];
        return NULL;
}

/* ------------------------------------------------------------------ */
/* Lines and labels                                                    */
/* ------------------------------------------------------------------ */

/* Define the labels at the start of a line ("name:"); returns the rest. */
static int take_labels(struct asm_ctx *a, char **line)
{
        for (;;) {
                char *s = *line;
                size_t len = strcspn(s, " \t:");
                int ret;

                if (s[len] != ':')
                        return 0;
                s[len] = 0;
                if (!is_ident(s))
                        return ERR(a, "invalid label name '%s'", s);
                ret = add_label(a, s);
                if (ret)
                        return ret;
                *line = trim(s + len + 1);
        }
}

static int parse_line(struct asm_ctx *a, char *line)
{
        const struct mnemonic *m;
        struct operands ops;
        char *name;
        int ret;

        line[strcspn(line, "#")] = 0;
        line = trim(line);
        ret = take_labels(a, &line);
        if (ret || !*line)
                return ret;
        if (strncmp(line, "--", 2) == 0 || line[0] == '.')
                return ERR(a, "unknown directive '%s'", line);
        name = next_word(&line);
        m = find_mnemonic(name);
        if (!m)
                return ERR(a, "unknown mnemonic '%s'", name);
        ret = split_operands(a, line, &ops);
        if (ret)
                return ret;
        if (m->nops >= 0 && ops.cnt != (size_t)m->nops)
                return ERR(a, "'%s' takes %d operand%s, got %zu", m->name, m->nops,
                           m->nops == 1 ? "" : "s", ops.cnt);
        return m->encode(a, m, &ops);
}

static int cmp_label(const void *x, const void *y)
{
        const struct label *l = x, *r = y;
        int c = strcmp(l->name, r->name);

        if (c)
                return c;
        return l->line < r->line ? -1 : l->line > r->line;
}

/* Sort labels by name (then line); report the earliest redefinition. */
static int sort_labels(struct asm_ctx *a)
{
        const struct label *dup = NULL, *first = NULL;
        size_t head = 0;

        if (a->label_cnt == 0)
                return 0;
        qsort(a->labels, a->label_cnt, sizeof(*a->labels), cmp_label);
        for (size_t i = 1; i < a->label_cnt; i++) {
                if (strcmp(a->labels[i].name, a->labels[head].name) != 0) {
                        head = i;
                        continue;
                }
                if (!dup || a->labels[i].line < dup->line) {
                        dup = &a->labels[i];
                        first = &a->labels[head];
                }
        }
        if (!dup)
                return 0;
        return err_at(a, dup->line, "duplicate label '%s' (first defined on line %zu)", dup->name,
                      first->line);
}

static long label_target(struct asm_ctx *a, const char *name)
{
        size_t lo = 0, hi = a->label_cnt;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(a->labels[mid].name, name);

                if (c == 0)
                        return (long)a->labels[mid].idx;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        /* Without an explicit "exit:" label, "exit" names the first exit. */
        if (strcmp(name, "exit") == 0)
                return a->first_exit;
        return -1;
}

static int resolve_fixups(struct asm_ctx *a)
{
        int ret = sort_labels(a);

        for (size_t i = 0; i < a->fixup_cnt && !ret; i++) {
                const struct fixup *f = &a->fixups[i];
                struct bpfaot_insn *insn = &a->insns[f->idx];
                long target = label_target(a, f->label);
                long long delta;

                if (target < 0)
                        return err_at(a, f->line, "unknown label '%s'", f->label);
                delta = (long long)target - (long long)f->idx - 1;
                if (f->field == FIX_OFF && (delta < INT16_MIN || delta > INT16_MAX))
                        return err_at(a, f->line,
                                      "label '%s' is %lld instructions away, beyond a 16-bit "
                                      "jump offset (use ja32 for long jumps)",
                                      f->label, delta);
                if (f->field == FIX_OFF)
                        insn->off = (int16_t)delta;
                else if (delta < INT32_MIN || delta > INT32_MAX)
                        return err_at(a, f->line, "label '%s' is out of range", f->label);
                else
                        insn->imm = (int32_t)delta;
        }
        return ret;
}

static int assemble_text(struct asm_ctx *a, char *text)
{
        char *line = text;
        int ret = 0;

        while (line && !ret) {
                char *nl = strchr(line, '\n');

                if (nl)
                        *nl = 0;
                a->line++;
                ret = parse_line(a, line);
                line = nl ? nl + 1 : NULL;
        }
        if (ret)
                return ret;
        if (a->cnt == 0)
                return bpfaot_error_set(a->err, EINVAL, "%s: no instructions", a->input);
        return resolve_fixups(a);
}

int bpfaot_assemble(const char *text, const char *input_name, struct bpfaot_insn **insns,
                    size_t *insn_cnt, struct bpfaot_error *err)
{
        struct asm_ctx a = {
            .input = input_name ? input_name : "<input>",
            .err = err,
            .first_exit = -1,
        };
        char *copy;
        int ret;

        *insns = NULL;
        *insn_cnt = 0;
        if (!text)
                return bpfaot_error_set(err, EINVAL, "%s: no input text", a.input);
        copy = strdup(text);
        if (!copy)
                return nomem(&a);
        ret = assemble_text(&a, copy);
        free(copy);
        free(a.labels);
        free(a.fixups);
        if (ret) {
                free(a.insns);
                return ret;
        }
        *insns = a.insns;
        *insn_cnt = a.cnt;
        return 0;
}
