/* SPDX-License-Identifier: MIT */
/*
 * The assembler against the bpf_conformance suite (directory in argv[1]):
 *  - the asm section of every .data file in tests/ assembles to the bytes in vectors.tsv;
 *  - disassembling each program and assembling the text again gives the
 *    same bytes, and the programs pass the validator;
 *  - negative/: bad asm is rejected by the assembler with a line-numbered
 *    message, raw programs with reserved fields set are rejected by the
 *    validator, files without a program are rejected.
 */
#define _GNU_SOURCE
#include "data_file.h"
#include "test_util.h"

#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>

static const char *conf_dir;

static char *join(const char *a, const char *b)
{
        char *p;

        if (asprintf(&p, "%s/%s", a, b) < 0) {
                perror("asprintf");
                exit(2);
        }
        return p;
}

static int assemble_bytes(const char *text, const char *input, uint8_t **out, size_t *len,
                          struct bpfaot_error *err)
{
        struct bpfaot_insn *insns;
        size_t cnt;
        int ret = bpfaot_assemble(text, input, &insns, &cnt, err);

        *out = NULL;
        *len = 0;
        if (ret)
                return ret;
        *out = malloc(cnt * 8);
        if (!*out) {
                free(insns);
                return -1;
        }
        bpfaot_encode(insns, cnt, *out);
        *len = cnt * 8;
        free(insns);
        return 0;
}

/* Disassemble bytecode into assembler input; NULL when an instruction has no text form. */
static char *disassemble(const uint8_t *bytes, size_t len)
{
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns;
        size_t cnt;
        char *text = NULL;
        size_t text_len = 0;
        FILE *f;
        bool ok = true;

        if (bpfaot_decode(bytes, len, &insns, &cnt, &err)) {
                fprintf(stderr, "decode: %s\n", err.msg);
                return NULL;
        }
        f = open_memstream(&text, &text_len);
        if (!f) {
                free(insns);
                return NULL;
        }
        for (size_t i = 0; i < cnt;) {
                char line[256];
                int n = bpfaot_disasm_insn(insns, cnt, i, line, sizeof(line));

                fprintf(f, "%s\n", line);
                if (n <= 0) {
                        fprintf(stderr, "disasm: insn %zu has no text form: %s\n", i, line);
                        ok = false;
                        n = 1;
                }
                i += (size_t)n;
        }
        fclose(f);
        free(insns);
        if (!ok) {
                free(text);
                return NULL;
        }
        return text;
}

static void report_diff(const char *what, const char *name, const uint8_t *got, size_t got_len,
                        const uint8_t *want, size_t want_len)
{
        size_t n = got_len < want_len ? got_len : want_len;
        size_t i = 0;

        while (i < n && got[i] == want[i])
                i++;
        fprintf(stderr, "%s: %s: %zu bytes, expected %zu; first difference in insn %zu\n", what,
                name, got_len, want_len, i / 8);
        if (i / 8 * 8 + 8 <= got_len && i / 8 * 8 + 8 <= want_len) {
                const uint8_t *g = got + i / 8 * 8, *w = want + i / 8 * 8;
                fprintf(stderr,
                        "  got  %02x %02x %02x %02x %02x %02x %02x %02x\n"
                        "  want %02x %02x %02x %02x %02x %02x %02x %02x\n",
                        g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], w[0], w[1], w[2], w[3],
                        w[4], w[5], w[6], w[7]);
        }
}

static bool same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
        return alen == blen && memcmp(a, b, alen) == 0;
}

static bool round_trips(const char *name, const uint8_t *prog, size_t len)
{
        struct bpfaot_error err = {0};
        char *text = disassemble(prog, len);
        uint8_t *again;
        size_t again_len;
        bool ok;

        if (!text) {
                fprintf(stderr, "round trip: %s: cannot disassemble\n", name);
                return false;
        }
        if (assemble_bytes(text, name, &again, &again_len, &err)) {
                fprintf(stderr, "round trip: %s: %s\n--- disassembly:\n%s---\n", name, err.msg,
                        text);
                free(text);
                return false;
        }
        ok = same_bytes(again, again_len, prog, len);
        if (!ok)
                report_diff("round trip", name, again, again_len, prog, len);
        free(again);
        free(text);
        return ok;
}

static bool validates(const char *name, const uint8_t *prog, size_t len)
{
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns;
        size_t cnt;
        int ret = bpfaot_decode(prog, len, &insns, &cnt, &err);

        if (!ret) {
                struct bpfaot_prog p = {
                    .input = name, .name = "prog", .insns = insns, .insn_cnt = cnt};
                ret = bpfaot_validate(&p, NULL, &err);
                free(insns);
        }
        if (ret)
                fprintf(stderr, "validate: %s\n", err.msg);
        return ret == 0;
}

struct positive_counts {
        long files, match, round_trip, valid;
};

static void check_one_positive(const char *file, const struct td_vector *vecs, long nvec,
                               struct positive_counts *c)
{
        char *rel = join("tests", file);
        char *path = join(conf_dir, rel);
        char *text = td_read_file(path, NULL);
        char *name = strndup(file, strlen(file) - strlen(".data"));
        const struct td_vector *v = td_find_vector(vecs, nvec, name);
        struct bpfaot_error err = {0};
        struct td_data d;
        uint8_t *bytes;
        size_t len;

        c->files++;
        CHECKF(text != NULL, "%s: cannot read", path);
        CHECKF(v != NULL, "%s: no entry in vectors.tsv", name);
        if (!text || !v || td_parse_data(text, &d) != 0) {
                CHECKF(false, "%s: cannot parse", rel);
                goto out;
        }
        CHECKF(d.has_asm, "%s: no asm section", rel);
        if (assemble_bytes(d.asm_text, rel, &bytes, &len, &err) == 0) {
                bool match = same_bytes(bytes, len, v->prog, v->prog_len);
                if (!match)
                        report_diff("asm", rel, bytes, len, v->prog, v->prog_len);
                CHECKF(match, "%s: assembled bytes differ from vectors.tsv", rel);
                c->match += match;
                free(bytes);
        } else {
                CHECKF(false, "%s: rejected: %s", rel, err.msg);
        }
        td_data_free(&d);
        if (round_trips(rel, v->prog, v->prog_len))
                c->round_trip++;
        else
                CHECKF(false, "%s: disassembly does not assemble back to the same bytes", rel);
        if (validates(rel, v->prog, v->prog_len))
                c->valid++;
        else
                CHECKF(false, "%s: conformance program rejected by the validator", rel);
out:
        free(name);
        free(text);
        free(path);
        free(rel);
}

static void check_positive(void)
{
        char *vec_path = join(conf_dir, "vectors.tsv");
        char *tests_dir = join(conf_dir, "tests");
        struct positive_counts c = {0};
        struct td_vector *vecs;
        char **files;
        long nvec = td_load_vectors(vec_path, &vecs);
        long nfiles = td_list_dir(tests_dir, ".data", &files);

        CHECKF(nvec > 0, "%s: cannot load vectors", vec_path);
        CHECKF(nfiles > 0, "%s: no .data files", tests_dir);
        for (long i = 0; i < nfiles; i++)
                check_one_positive(files[i], vecs, nvec, &c);
        printf("asm: %ld/%ld match\n", c.match, c.files);
        printf("round trip: %ld/%ld\n", c.round_trip, nvec);
        printf("validate: %ld/%ld accepted\n", c.valid, nvec);
        CHECK_EQ(nfiles, nvec);
        CHECK_EQ(c.match, nvec);
        CHECK_EQ(c.round_trip, nvec);
        CHECK_EQ(c.valid, nvec);
        td_free_names(files, nfiles);
        td_free_vectors(vecs, nvec);
        free(tests_dir);
        free(vec_path);
}

/* ------------------------------------------------------------------ */
/* Negative cases                                                      */
/* ------------------------------------------------------------------ */

/* Reason each bad-asm file must be rejected with. */
struct asm_reason {
        const char *file;
        const char *reason;
};

static const struct asm_reason asm_reasons[] = {
    {"invalid_imm32_dec_range.data", "immediate 2147483648 is out of range"},
    {"invalid_imm32_hex_range.data", "immediate 0x100000000 is out of range"},
    {"invalid_label.data", "unknown label 'NOT_A_LABEL'"},
    {"invalid_lock.data", "lock or takes 2 operands, got 1"},
    {"invalid_lock2.data", "lock needs an atomic operation"},
    {"invalid_mnemonic.data", "unknown mnemonic 'ldxq'"},
    {"invalid_offset.data", "expected a memory operand"},
    {"invalid_offset_range.data", "offset +0x10000 is out of range"},
    {"invalid_operand_count.data", "'lddw' takes 2 operands, got 1"},
    {"invalid_register.data", "invalid register %r50"},
    {"invalid_unknown_directive.data", "unknown directive '-- Unknown directive'"},
};

/* Files whose asm is valid: the expected failure is at run time (harness level). */
static const char *const harness_negatives[] = {"error.data",
                                                "incorrect_return_value_high_bits.data"};

struct negative_counts {
        long files, asm_rejected, raw_rejected, empty_rejected, harness_ok;
};

/* Line `n` (1-based) of text, trimmed of comments and space, is an instruction line. */
static bool line_has_code(const char *text, unsigned long n)
{
        const char *p = text;

        for (unsigned long i = 1; i < n && p; i++) {
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        if (!p || n == 0)
                return false;
        while (*p == ' ' || *p == '\t')
                p++;
        return *p && *p != '\n' && *p != '#';
}

/* The message reads "<input>:<line>: <reason>" with <line> naming a code line. */
static void check_located(const char *input, const char *text, const char *msg)
{
        size_t n = strlen(input);
        char *end;
        unsigned long line;

        CHECKF(strncmp(msg, input, n) == 0 && msg[n] == ':', "'%s' does not start with '%s:'", msg,
               input);
        if (strncmp(msg, input, n) != 0 || msg[n] != ':')
                return;
        line = strtoul(msg + n + 1, &end, 10);
        CHECKF(end != msg + n + 1 && strncmp(end, ": ", 2) == 0, "'%s' has no line number", msg);
        CHECKF(line_has_code(text, line), "'%s': line %lu is not an instruction line", msg, line);
}

static const char *expected_reason(const char *file)
{
        for (size_t i = 0; i < sizeof(asm_reasons) / sizeof(asm_reasons[0]); i++)
                if (strcmp(asm_reasons[i].file, file) == 0)
                        return asm_reasons[i].reason;
        return NULL;
}

static bool is_harness_negative(const char *file)
{
        for (size_t i = 0; i < sizeof(harness_negatives) / sizeof(harness_negatives[0]); i++)
                if (strcmp(harness_negatives[i], file) == 0)
                        return true;
        return false;
}

static bool asm_has_code(const char *text)
{
        for (const char *p = text; *p; p++) {
                if (*p == '#')
                        p += strcspn(p, "\n");
                if (*p && !isspace((unsigned char)*p))
                        return true;
                if (!*p)
                        break;
        }
        return false;
}

static void check_raw_rejected(const char *rel, const struct td_data *d, struct negative_counts *c)
{
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns;
        size_t cnt;
        int ret = bpfaot_decode(d->raw, d->raw_len, &insns, &cnt, &err);

        CHECKF(ret == 0, "%s: raw section does not decode: %s", rel, err.msg);
        if (ret)
                return;
        struct bpfaot_prog p = {.input = rel, .name = "prog", .insns = insns, .insn_cnt = cnt};
        ret = bpfaot_validate(&p, NULL, &err);
        CHECKF(ret < 0, "%s: the validator accepted a program with a reserved field set", rel);
        if (ret < 0) {
                /* Every unused-* program has the bad field in insn 0. */
                CHECK_EQ(err.insn, 0);
                CHECK_CONTAINS(err.msg, "insn 0: ");
                CHECK_CONTAINS(err.msg, rel);
                c->raw_rejected++;
        }
        free(insns);
}

static void check_asm_rejected(const char *file, const char *rel, const struct td_data *d,
                               struct negative_counts *c)
{
        struct bpfaot_error err = {0};
        const char *reason = expected_reason(file);
        uint8_t *bytes;
        size_t len;
        int ret = assemble_bytes(d->asm_text, rel, &bytes, &len, &err);

        CHECKF(ret < 0, "%s: bad assembly was accepted", rel);
        if (ret == 0) {
                free(bytes);
                return;
        }
        CHECK_EQ(err.code, ret);
        check_located(rel, d->asm_text, err.msg);
        if (reason)
                CHECK_CONTAINS(err.msg, reason);
        CHECKF(strchr(err.msg, '\n') == NULL, "message is not one line: %s", err.msg);
        c->asm_rejected++;
}

static void check_empty_rejected(const char *rel, const struct td_data *d,
                                 struct negative_counts *c)
{
        struct bpfaot_error err = {0};
        struct bpfaot_prog p = {.input = rel, .name = "prog"};
        uint8_t *bytes;
        size_t len;
        int ret = assemble_bytes(d->asm_text, rel, &bytes, &len, &err);

        CHECKF(ret < 0, "%s: an input without instructions was accepted", rel);
        if (ret == 0) {
                free(bytes);
                return;
        }
        CHECK_CONTAINS(err.msg, "no instructions");
        CHECK_CONTAINS(err.msg, rel);
        CHECK(bpfaot_validate(&p, NULL, &err) < 0);
        CHECK_CONTAINS(err.msg, "empty program");
        c->empty_rejected++;
}

static void check_harness_negative(const char *rel, const struct td_data *d,
                                   struct negative_counts *c)
{
        struct bpfaot_error err = {0};
        uint8_t *bytes;
        size_t len;
        int ret = assemble_bytes(d->asm_text, rel, &bytes, &len, &err);

        CHECKF(ret == 0, "%s: valid assembly rejected: %s", rel, err.msg);
        if (ret == 0) {
                c->harness_ok++;
                free(bytes);
        }
}

static void check_one_negative(const char *file, struct negative_counts *c)
{
        char *rel = join("negative", file);
        char *path = join(conf_dir, rel);
        char *text = td_read_file(path, NULL);
        struct td_data d;

        c->files++;
        CHECKF(text != NULL, "%s: cannot read", path);
        if (!text || td_parse_data(text, &d) != 0) {
                CHECKF(false, "%s: cannot parse", rel);
                goto out;
        }
        if (d.has_raw)
                check_raw_rejected(rel, &d, c);
        else if (is_harness_negative(file))
                check_harness_negative(rel, &d, c);
        else if (!asm_has_code(d.asm_text))
                check_empty_rejected(rel, &d, c);
        else if (strncmp(file, "invalid_", 8) == 0)
                check_asm_rejected(file, rel, &d, c);
        else
                CHECKF(false, "%s: unclassified negative case", rel);
        td_data_free(&d);
out:
        free(text);
        free(path);
        free(rel);
}

static void check_negative(void)
{
        char *dir = join(conf_dir, "negative");
        struct negative_counts c = {0};
        char **files;
        long n = td_list_dir(dir, ".data", &files);

        CHECKF(n > 0, "%s: no .data files", dir);
        for (long i = 0; i < n; i++)
                check_one_negative(files[i], &c);
        printf("negative: %ld files: asm rejected %ld, raw rejected by the validator %ld, "
               "empty rejected %ld, harness-level cases assembled %ld\n",
               c.files, c.asm_rejected, c.raw_rejected, c.empty_rejected, c.harness_ok);
        CHECK_EQ(c.asm_rejected + c.raw_rejected + c.empty_rejected + c.harness_ok, c.files);
        CHECK_EQ(c.asm_rejected, sizeof(asm_reasons) / sizeof(asm_reasons[0]));
        CHECK_EQ(c.empty_rejected, 2);
        CHECK_EQ(c.harness_ok, 2);
        CHECK(c.raw_rejected > 0);
        td_free_names(files, n);
        free(dir);
}

int main(int argc, char **argv)
{
        char *vectors;

        conf_dir = argc > 1 ? argv[1] : "";
        if (!conf_dir[0]) {
                fprintf(stderr,
                        "test_asm: FAIL: no conformance suite directory given "
                        "(configure with -DBPF_AOT_CONFORMANCE_DIR=/path/to/conformance)\n");
                return 1;
        }
        vectors = join(conf_dir, "vectors.tsv");
        if (access(vectors, R_OK) != 0) {
                fprintf(stderr,
                        "test_asm: FAIL: %s not found: BPF_AOT_CONFORMANCE_DIR must "
                        "point at the bpf_conformance suite\n",
                        vectors);
                free(vectors);
                return 1;
        }
        free(vectors);
        check_positive();
        check_negative();
        return TEST_EXIT("test_asm");
}
