/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_error(const char *fmt, ...)
{
        va_list ap;
        fputs("bpf-aot: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int cli_report(const struct bpfaot_error *err)
{
        cli_error("%s", err->msg[0] ? err->msg : "unknown error");
        return EXIT_FAIL;
}

int cli_read_file(const char *path, uint8_t **data, size_t *len)
{
        FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
        uint8_t *buf = NULL;
        size_t cap = 0, n = 0;

        *data = NULL;
        *len = 0;
        if (!f) {
                int e = errno;
                cli_error("%s: %s", path, strerror(e));
                return -e;
        }
        for (;;) {
                size_t got;
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 65536;
                        uint8_t *nbuf = realloc(buf, ncap + 1);
                        if (!nbuf) {
                                free(buf);
                                if (f != stdin)
                                        fclose(f);
                                cli_error("%s: out of memory", path);
                                return -ENOMEM;
                        }
                        buf = nbuf;
                        cap = ncap;
                }
                got = fread(buf + n, 1, cap - n, f);
                n += got;
                if (got == 0)
                        break;
        }
        if (ferror(f)) {
                int e = errno ? errno : EIO;
                free(buf);
                if (f != stdin)
                        fclose(f);
                cli_error("%s: read error: %s", path, strerror(e));
                return -e;
        }
        if (f != stdin)
                fclose(f);
        buf[n] = 0; /* convenient for text inputs */
        *data = buf;
        *len = n;
        return 0;
}

int cli_write_file(const char *path, const void *data, size_t len)
{
        char *tmp;
        FILE *f;
        int e = 0;

        if (strcmp(path, "-") == 0) {
                if (fwrite(data, 1, len, stdout) != len || fflush(stdout)) {
                        cli_error("<stdout>: write error: %s", strerror(errno));
                        return -EIO;
                }
                return 0;
        }
        if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0) {
                cli_error("%s: out of memory", path);
                return -ENOMEM;
        }
        f = fopen(tmp, "wb");
        if (!f) {
                e = errno;
                cli_error("%s: %s", path, strerror(e));
                free(tmp);
                return -e;
        }
        if (fwrite(data, 1, len, f) != len)
                e = errno ? errno : EIO;
        if (fclose(f) && !e)
                e = errno ? errno : EIO;
        if (!e && rename(tmp, path))
                e = errno;
        if (e) {
                unlink(tmp);
                cli_error("%s: write error: %s", path, strerror(e));
        }
        free(tmp);
        return -e;
}

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = tolower(c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int cli_parse_hex(const char *text, size_t text_len, uint8_t **out, size_t *out_len,
                  struct bpfaot_error *err)
{
        uint8_t *buf = malloc(text_len / 2 + 1);
        size_t n = 0, i = 0;
        int pending = -1;

        *out = NULL;
        *out_len = 0;
        if (!buf)
                return bpfaot_error_set(err, ENOMEM, "out of memory");
        while (i < text_len) {
                int c = (unsigned char)text[i];
                if (c == '#') {
                        while (i < text_len && text[i] != '\n')
                                i++;
                        continue;
                }
                if (isspace(c) || c == ',') {
                        if (pending >= 0) {
                                buf[n++] = (uint8_t)pending;
                                pending = -1;
                        }
                        i++;
                        continue;
                }
                if (c == '0' && i + 1 < text_len && (text[i + 1] == 'x' || text[i + 1] == 'X') &&
                    pending < 0) {
                        i += 2;
                        continue;
                }
                int v = hexval(c);
                if (v < 0) {
                        free(buf);
                        return bpfaot_error_set(err, EINVAL,
                                                "invalid hex character '%c' at offset %zu",
                                                isprint(c) ? c : '?', i);
                }
                if (pending < 0) {
                        pending = v;
                } else {
                        buf[n++] = (uint8_t)(pending << 4 | v);
                        pending = -1;
                }
                i++;
        }
        if (pending >= 0) {
                free(buf);
                return bpfaot_error_set(err, EINVAL, "odd number of hex digits");
        }
        *out = buf;
        *out_len = n;
        return 0;
}

bool cli_looks_like_hex(const uint8_t *data, size_t len)
{
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++) {
                int c = data[i];
                if (c == '#') {
                        while (i + 1 < len && data[i + 1] != '\n')
                                i++;
                        continue;
                }
                if (!isxdigit(c) && !isspace(c) && c != 'x' && c != 'X' && c != ',' && c != '#')
                        return false;
        }
        return true;
}

int cli_parse_opt_level(const char *s)
{
        if (s && s[0] >= '0' && s[0] <= '3' && s[1] == 0)
                return s[0] - '0';
        return -1;
}

char *cli_basename_without(const char *path, const char *const *suffixes)
{
        const char *base = strrchr(path, '/');
        char *name = strdup(base ? base + 1 : path);
        size_t len;

        if (!name)
                return NULL;
        len = strlen(name);
        for (; suffixes && *suffixes; suffixes++) {
                size_t sl = strlen(*suffixes);
                if (len > sl && strcmp(name + len - sl, *suffixes) == 0) {
                        name[len - sl] = 0;
                        break;
                }
        }
        return name;
}
