/* SPDX-License-Identifier: MIT */
/* What every subcommand shares: messages, files, all-or-nothing outputs, option errors, hex. */
#define _GNU_SOURCE
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

void cli_llvm_fatal(const char *reason)
{
        cli_error("LLVM error: %s", reason);
        fflush(stderr);
        _exit(EXIT_FAIL); /* LLVM would abort() after a handler that returns */
}

int cli_fail(struct bpfaot_error *err, int code, const char *fmt, ...)
{
        va_list ap;

        code = code < 0 ? -code : code;
        err->code = -code;
        err->insn = -1;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        /* Names in messages come from the command line and input files: keep them one line. */
        for (char *c = err->msg; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        *c = '?';
        return -code;
}

int cli_fail_nomem(struct bpfaot_error *err)
{
        return cli_fail(err, ENOMEM, "out of memory");
}

int cli_nomem(const char *what)
{
        if (what)
                cli_error("%s: out of memory", what);
        else
                cli_error("out of memory");
        return EXIT_FAIL;
}

int cli_fail_in(struct bpfaot_error *err, const char *input)
{
        char msg[sizeof(err->msg)];

        memcpy(msg, err->msg, sizeof(msg));
        return cli_fail(err, err->code, "%s: %s", input, msg);
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
                cli_error("%s: %s", cli_display_name(path), strerror(e));
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
                                cli_nomem(cli_display_name(path));
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
                cli_error("%s: read error: %s", cli_display_name(path), strerror(e));
                return -e;
        }
        if (f != stdin)
                fclose(f);
        buf[n] = 0; /* convenient for text inputs */
        *data = buf;
        *len = n;
        return 0;
}

const char *cli_display_name(const char *path)
{
        return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
        const char *arg = argv[optind - 1];

        if (c == ':')
                cli_error("%s: option '%s' needs a value (see 'bpf-aot %s --help')", cmd, arg, cmd);
        else if (optopt && arg[0] == '-' && arg[1] != '-')
                cli_error("%s: unknown option '-%c' (see 'bpf-aot %s --help')", cmd, optopt, cmd);
        else
                cli_error("%s: unknown option '%s' (see 'bpf-aot %s --help')", cmd, arg, cmd);
        return EXIT_USAGE;
}

/*
 * A new temporary file beside `path`: created exclusively (O_EXCL, and
 * O_NOFOLLOW for good measure), so a file or symlink planted under its name
 * is never opened, let alone overwritten.
 */
static int create_temp(const char *path, char **tmp)
{
        static unsigned serial;

        for (int tries = 0; tries < 100; tries++) {
                int fd;

                if (asprintf(tmp, "%s.tmp.%d.%u", path, (int)getpid(), serial++) < 0) {
                        *tmp = NULL;
                        return -ENOMEM;
                }
                fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
                if (fd >= 0)
                        return fd;
                free(*tmp);
                *tmp = NULL;
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

static int write_all(int fd, const void *data, size_t len)
{
        const uint8_t *p = data;

        while (len) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int write_stdout(const void *data, size_t len)
{
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout)) {
                cli_error("<stdout>: write error: %s", strerror(errno));
                return -EIO;
        }
        return 0;
}

/* Write `data` to a new temporary file beside `path`; its name in *tmp. */
static int write_temp(const char *path, const void *data, size_t len, char **tmp)
{
        int fd = create_temp(path, tmp), e;

        if (fd < 0) {
                cli_error("%s: %s", path, strerror(-fd));
                return fd;
        }
        e = write_all(fd, data, len);
        if (close(fd) && !e)
                e = -errno;
        if (e) {
                unlink(*tmp);
                free(*tmp);
                *tmp = NULL;
                cli_error("%s: write error: %s", path, strerror(-e));
        }
        return e;
}

int cli_write_file(const char *path, const void *data, size_t len)
{
        struct cli_outputs out = {0};
        int e;

        if (strcmp(path, "-") == 0)
                return write_stdout(data, len);
        e = cli_outputs_add(&out, path, data, len);
        if (!e)
                e = cli_outputs_publish(&out);
        cli_outputs_discard(&out);
        return e;
}

/*
 * Create `dir` if it does not exist, remembering that we did (to remove it on failure).
 * mkdir comes first, not after a stat: parallel make jobs build into one directory, and
 * whichever loses the race must see it as existing, not fail.
 */
int cli_outputs_dir(struct cli_outputs *o, const char *dir)
{
        struct stat st;

        if (mkdir(dir, 0777)) {
                int e = errno;

                if (e == EEXIST) {
                        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
                                return 0;
                        cli_error("%s: not a directory", dir);
                        return -ENOTDIR;
                }
                cli_error("%s: cannot create output directory: %s", dir, strerror(e));
                return -e;
        }
        o->made_dir = strdup(dir);
        if (!o->made_dir) {
                rmdir(dir);
                cli_nomem(NULL);
                return -ENOMEM;
        }
        return 0;
}

int cli_outputs_add(struct cli_outputs *o, const char *path, const void *data, size_t len)
{
        struct cli_output *v = realloc(o->v, (o->cnt + 1) * sizeof(*v));
        struct stat st;
        int e;

        if (!v) {
                cli_nomem(NULL);
                return -ENOMEM;
        }
        o->v = v;
        if ((stat(path, &st) == 0 && S_ISDIR(st.st_mode)) || path[strlen(path) - 1] == '/') {
                cli_error("%s: is a directory; the output must be a file", path);
                return -EISDIR;
        }
        v[o->cnt].path = strdup(path);
        if (!v[o->cnt].path) {
                cli_nomem(NULL);
                return -ENOMEM;
        }
        e = write_temp(path, data, len, &v[o->cnt].tmp);
        if (e) {
                free(v[o->cnt].path);
                return e;
        }
        v[o->cnt].published = false;
        o->cnt++;
        return 0;
}

int cli_outputs_publish(struct cli_outputs *o)
{
        for (size_t i = 0; i < o->cnt; i++) {
                if (rename(o->v[i].tmp, o->v[i].path)) {
                        int e = errno;
                        cli_error("%s: write error: %s", o->v[i].path, strerror(e));
                        /* All or nothing: take back what this run already put in place. */
                        for (size_t k = 0; k < i; k++)
                                unlink(o->v[k].path);
                        return -e;
                }
                o->v[i].published = true;
        }
        if (o->made_dir) {
                free(o->made_dir);
                o->made_dir = NULL; /* kept */
        }
        return 0;
}

void cli_outputs_discard(struct cli_outputs *o)
{
        for (size_t i = 0; i < o->cnt; i++) {
                if (!o->v[i].published)
                        unlink(o->v[i].tmp);
                free(o->v[i].tmp);
                free(o->v[i].path);
        }
        free(o->v);
        if (o->made_dir) {
                rmdir(o->made_dir); /* fails, as it should, if it is not empty */
                free(o->made_dir);
        }
        memset(o, 0, sizeof(*o));
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
                return cli_fail_nomem(err);
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
                        return cli_fail(err, EINVAL, "invalid hex character '%c' at offset %zu",
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
                return cli_fail(err, EINVAL, "odd number of hex digits");
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
