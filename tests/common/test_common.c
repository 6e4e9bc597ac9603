/* SPDX-License-Identifier: MIT */
/* Plumbing shared by the test programs (see test_common.h). */
#include "test_common.h"

#include "bpfaot/host.h"
#include "bpfaot/runtime.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Hex and vectors.tsv                                                 */
/* ------------------------------------------------------------------ */

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = tolower(c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int test_parse_hex(const char *text, uint8_t **out, size_t *out_len)
{
        size_t len = strlen(text), n = 0;
        uint8_t *buf = malloc(len / 2 + 1);
        int pending = -1;

        *out = NULL;
        *out_len = 0;
        if (!buf)
                return -1;
        for (size_t i = 0; i < len; i++) {
                int c = (unsigned char)text[i], v;

                if (isspace(c)) {
                        if (pending >= 0)
                                buf[n++] = (uint8_t)pending;
                        pending = -1;
                        continue;
                }
                v = hexval(c);
                if (v < 0)
                        goto fail;
                if (pending < 0) {
                        pending = v;
                } else {
                        buf[n++] = (uint8_t)(pending << 4 | v);
                        pending = -1;
                }
        }
        if (pending >= 0) /* a lone digit ends the text: "3" is 0x03 */
                buf[n++] = (uint8_t)pending;
        *out = buf;
        *out_len = n;
        return 0;
fail:
        free(buf);
        return -1;
}

static int fail_msg(char *msg, size_t sz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_msg(char *msg, size_t sz, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sz, fmt, ap);
        va_end(ap);
        return -1;
}

/* Split a line at tabs into at most `max` fields (the line is modified). */
static size_t split_tabs(char *line, char **fields, size_t max)
{
        size_t n = 0;

        line[strcspn(line, "\r\n")] = 0;
        while (n < max) {
                fields[n++] = line;
                line = strchr(line, '\t');
                if (!line)
                        break;
                *line++ = 0;
        }
        return n;
}

/* Fill one vector from the fields of a line. */
static int parse_vector(char **fields, struct test_vector *v, char *msg, size_t sz,
                        const char *path, long line)
{
        struct bpfaot_error err = {0};
        uint8_t *code;
        size_t code_len;
        char *end;

        v->line = line;
        v->name = strdup(fields[0]);
        if (!v->name || test_parse_hex(fields[1], &v->mem, &v->mem_len) ||
            test_parse_hex(fields[2], &code, &code_len))
                return fail_msg(msg, sz, "%s:%ld: bad memory or program hex", path, line);
        if (bpfaot_decode(code, code_len, &v->insns, &v->insn_cnt, &err)) {
                free(code);
                return fail_msg(msg, sz, "%s:%ld: %s", path, line, err.msg);
        }
        free(code);
        if (fields[4][0]) {
                v->expected_error = strdup(fields[4]);
                return v->expected_error ? 0 : fail_msg(msg, sz, "out of memory");
        }
        errno = 0;
        v->expected_r0 = strtoull(fields[3], &end, 16);
        if (!fields[3][0] || *end || errno)
                return fail_msg(msg, sz, "%s:%ld: bad expected r0 '%s'", path, line, fields[3]);
        return 0;
}

int test_vectors_load(const char *dir, struct test_vector **vectors, size_t *cnt, char *msg,
                      size_t msg_sz)
{
        char path[4096], *line = NULL, *fields[5];
        struct test_vector *v = NULL;
        size_t n = 0, cap = 0, line_cap = 0;
        long lineno = 0;
        int ret = 0;
        FILE *f;

        *vectors = NULL;
        *cnt = 0;
        snprintf(path, sizeof(path), "%s/vectors.tsv", dir);
        f = fopen(path, "r");
        if (!f)
                return fail_msg(msg, msg_sz, "cannot open %s: %s", path, strerror(errno));
        while (getline(&line, &line_cap, f) > 0) {
                lineno++;
                if (line[0] == '#' || line[strspn(line, " \t\r\n")] == 0)
                        continue;
                if (split_tabs(line, fields, 5) != 5) {
                        ret = fail_msg(msg, msg_sz, "%s:%ld: expected 5 tab-separated fields", path,
                                       lineno);
                        break;
                }
                if (n == cap) {
                        struct test_vector *nv = realloc(v, (cap ? cap * 2 : 64) * sizeof(*v));
                        if (!nv) {
                                ret = fail_msg(msg, msg_sz, "out of memory");
                                break;
                        }
                        v = nv;
                        cap = cap ? cap * 2 : 64;
                }
                memset(&v[n], 0, sizeof(v[n]));
                ret = parse_vector(fields, &v[n++], msg, msg_sz, path, lineno);
                if (ret)
                        break;
        }
        free(line);
        fclose(f);
        if (ret) {
                test_vectors_free(v, n);
                return ret;
        }
        *vectors = v;
        *cnt = n;
        return 0;
}

void test_vectors_free(struct test_vector *vectors, size_t cnt)
{
        for (size_t i = 0; i < cnt; i++) {
                free(vectors[i].name);
                free(vectors[i].mem);
                free(vectors[i].insns);
                free(vectors[i].expected_error);
        }
        free(vectors);
}

/* ------------------------------------------------------------------ */
/* Helpers and symbols                                                 */
/* ------------------------------------------------------------------ */

bpfaot_helper_fn test_rt_helper_lookup(void *ctx, uint32_t id)
{
        const struct bpfaot_rt_helper *h = bpfaot_rt_helper_find(id);

        (void)ctx;
        return h ? h->fn : NULL;
}

uint64_t test_rt_resolve(void *ctx, const char *name)
{
        (void)ctx;
        return (uint64_t)(uintptr_t)bpfaot_rt_resolve(name);
}


/* ------------------------------------------------------------------ */
/* Printing                                                            */
/* ------------------------------------------------------------------ */

void test_print_disasm(FILE *f, const struct bpfaot_insn *insns, size_t cnt)
{
        char text[256];

        for (size_t i = 0; i < cnt; i++) {
                int n = bpfaot_disasm_insn(insns, cnt, i, text, sizeof(text));
                fprintf(f, "  %4zu: %s\n", i, text);
                if (n == 2)
                        i++;
        }
}

void test_print_mem(FILE *f, const uint8_t *mem, const uint8_t *other, size_t len)
{
        for (size_t i = 0; i < len; i += 16) {
                fprintf(f, "  %04zx:", i);
                for (size_t j = i; j < i + 16 && j < len; j++)
                        fprintf(f, "%c%02x", other && other[j] != mem[j] ? '*' : ' ', mem[j]);
                fputc('\n', f);
        }
}
