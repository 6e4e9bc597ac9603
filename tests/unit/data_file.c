/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "data_file.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *td_read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        size_t cap = 0, n = 0;

        if (!f)
                return NULL;
        for (;;) {
                if (n + 1 >= cap) {
                        size_t ncap = cap ? cap * 2 : 4096;
                        char *nbuf = realloc(buf, ncap);
                        if (!nbuf) {
                                free(buf);
                                fclose(f);
                                errno = ENOMEM;
                                return NULL;
                        }
                        buf = nbuf;
                        cap = ncap;
                }
                size_t got = fread(buf + n, 1, cap - n - 1, f);
                n += got;
                if (got == 0)
                        break;
        }
        fclose(f);
        buf[n] = 0;
        if (len)
                *len = n;
        return buf;
}

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = tolower(c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int append(uint8_t **out, size_t *len, size_t *cap, uint8_t b)
{
        if (*len == *cap) {
                size_t ncap = *cap ? *cap * 2 : 64;
                uint8_t *p = realloc(*out, ncap);
                if (!p)
                        return -ENOMEM;
                *out = p;
                *cap = ncap;
        }
        (*out)[(*len)++] = b;
        return 0;
}

int td_parse_hex(const char *text, uint8_t **out, size_t *len)
{
        size_t cap = 0;
        const char *p = text;

        *out = NULL;
        *len = 0;
        while (*p) {
                const char *tok;
                size_t n;
                int ret = 0;

                while (isspace((unsigned char)*p))
                        p++;
                if (!*p)
                        break;
                tok = p;
                while (*p && !isspace((unsigned char)*p))
                        p++;
                n = (size_t)(p - tok);
                if (n > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
                        /* One 64-bit instruction word, stored little-endian. */
                        unsigned long long v = 0;
                        for (size_t i = 2; i < n && !ret; i++) {
                                int d = hexval((unsigned char)tok[i]);
                                if (d < 0 || i >= 18)
                                        ret = -EINVAL;
                                v = v << 4 | (unsigned)(d < 0 ? 0 : d);
                        }
                        for (int i = 0; i < 8 && !ret; i++)
                                ret = append(out, len, &cap, (uint8_t)(v >> (8 * i)));
                } else if (n == 2 && hexval((unsigned char)tok[0]) >= 0 &&
                           hexval((unsigned char)tok[1]) >= 0) {
                        ret = append(out, len, &cap,
                                     (uint8_t)(hexval((unsigned char)tok[0]) << 4 |
                                               hexval((unsigned char)tok[1])));
                } else {
                        ret = -EINVAL;
                }
                if (ret) {
                        free(*out);
                        *out = NULL;
                        *len = 0;
                        return ret;
                }
        }
        return 0;
}

enum section { SEC_NONE, SEC_ASM, SEC_RAW, SEC_OTHER };

struct section_name {
        const char *name;
        enum section sec;
};

static const struct section_name section_names[] = {
    {"asm", SEC_ASM},
    {"raw", SEC_RAW},
    {"mem", SEC_OTHER},
    {"result", SEC_OTHER},
    {"error", SEC_OTHER},
    {"c", SEC_OTHER},
    {"no register offset", SEC_OTHER},
};

/* The section a "-- name" line starts, or SEC_NONE when it is not a known header. */
static enum section section_of(const char *line, size_t len)
{
        if (len < 3 || strncmp(line, "-- ", 3) != 0)
                return SEC_NONE;
        line += 3;
        len -= 3;
        while (len && isspace((unsigned char)line[len - 1]))
                len--;
        for (size_t i = 0; i < sizeof(section_names) / sizeof(section_names[0]); i++)
                if (strlen(section_names[i].name) == len &&
                    strncmp(section_names[i].name, line, len) == 0)
                        return section_names[i].sec;
        return SEC_NONE;
}

int td_parse_data(const char *text, struct td_data *d)
{
        size_t tlen = strlen(text);
        char *asm_text = malloc(tlen + 2), *raw_text = malloc(tlen + 2);
        size_t an = 0, rn = 0;
        enum section cur = SEC_NONE;
        const char *p = text;
        int ret = 0;

        memset(d, 0, sizeof(*d));
        if (!asm_text || !raw_text) {
                free(asm_text);
                free(raw_text);
                return -ENOMEM;
        }
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                enum section s = section_of(p, len);

                if (s != SEC_NONE) {
                        cur = s;
                        d->has_asm |= s == SEC_ASM;
                        d->has_raw |= s == SEC_RAW;
                } else if (cur == SEC_ASM) {
                        memcpy(asm_text + an, p, len);
                        an += len;
                } else if (cur == SEC_RAW) {
                        memcpy(raw_text + rn, p, len);
                        rn += len;
                        raw_text[rn++] = ' ';
                }
                asm_text[an++] = '\n';
                if (!nl)
                        break;
                p = nl + 1;
        }
        asm_text[an] = 0;
        raw_text[rn] = 0;
        d->asm_text = asm_text;
        if (d->has_raw)
                ret = td_parse_hex(raw_text, &d->raw, &d->raw_len);
        free(raw_text);
        if (ret)
                td_data_free(d);
        return ret;
}

void td_data_free(struct td_data *d)
{
        free(d->asm_text);
        free(d->raw);
        memset(d, 0, sizeof(*d));
}

long td_load_vectors(const char *path, struct td_vector **vecs)
{
        char *text = td_read_file(path, NULL);
        struct td_vector *v = NULL;
        long cnt = 0, cap = 0;
        char *line, *save = NULL;

        *vecs = NULL;
        if (!text)
                return -1;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[5] = {0};
                char *q = line;

                if (line[0] == '#' || !line[0])
                        continue;
                for (int i = 0; i < 5 && q; i++) {
                        f[i] = q;
                        q = strchr(q, '\t');
                        if (q)
                                *q++ = 0;
                }
                if (!f[2])
                        goto fail;
                if (cnt == cap) {
                        long ncap = cap ? cap * 2 : 512;
                        struct td_vector *nv = realloc(v, (size_t)ncap * sizeof(*v));
                        if (!nv)
                                goto fail;
                        v = nv;
                        cap = ncap;
                }
                v[cnt].name = strdup(f[0]);
                if (!v[cnt].name)
                        goto fail;
                if (td_parse_hex(f[2], &v[cnt].prog, &v[cnt].prog_len)) {
                        free(v[cnt].name);
                        goto fail;
                }
                cnt++;
        }
        free(text);
        *vecs = v;
        return cnt;
fail:
        td_free_vectors(v, cnt);
        free(text);
        return -1;
}

void td_free_vectors(struct td_vector *vecs, long cnt)
{
        for (long i = 0; i < cnt; i++) {
                free(vecs[i].name);
                free(vecs[i].prog);
        }
        free(vecs);
}

const struct td_vector *td_find_vector(const struct td_vector *vecs, long cnt, const char *name)
{
        for (long i = 0; i < cnt; i++)
                if (strcmp(vecs[i].name, name) == 0)
                        return &vecs[i];
        return NULL;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

long td_list_dir(const char *dir, const char *suffix, char ***names)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char **v = NULL;
        long cnt = 0, cap = 0;
        size_t sl = strlen(suffix);

        *names = NULL;
        if (!d)
                return -1;
        while ((e = readdir(d))) {
                size_t n = strlen(e->d_name);
                if (n <= sl || strcmp(e->d_name + n - sl, suffix) != 0)
                        continue;
                if (cnt == cap) {
                        long ncap = cap ? cap * 2 : 128;
                        char **nv = realloc(v, (size_t)ncap * sizeof(*v));
                        if (!nv)
                                goto fail;
                        v = nv;
                        cap = ncap;
                }
                v[cnt] = strdup(e->d_name);
                if (!v[cnt])
                        goto fail;
                cnt++;
        }
        closedir(d);
        if (cnt)
                qsort(v, (size_t)cnt, sizeof(*v), cmp_str);
        *names = v;
        return cnt;
fail:
        closedir(d);
        td_free_names(v, cnt);
        return -1;
}

void td_free_names(char **names, long cnt)
{
        for (long i = 0; i < cnt; i++)
                free(names[i]);
        free(names);
}
