/* SPDX-License-Identifier: MIT */
/*
 * trace_printk, trace_vprintk and snprintf: one format engine with the kernel's
 * bpf_bprintf_prepare() rules (see README.md, "Runtime helpers").
 */
#define _GNU_SOURCE
#include "helpers_internal.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_STR  512 /* bytes read from a %s argument, NUL included (MAX_BPRINTF_BUF) */
#define MAX_ARGS 12  /* MAX_BPRINTF_VARARGS */

struct out {
        char *buf;
        size_t size; /* 0: only count */
        size_t len;  /* would-be length so far */
};

static void emit(struct out *o, const char *spec, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct out *o, const char *spec, ...)
{
        va_list ap;
        int w;

        va_start(ap, spec);
        if (o->len < o->size)
                w = vsnprintf(o->buf + o->len, o->size - o->len, spec, ap);
        else
                w = vsnprintf(NULL, 0, spec, ap);
        va_end(ap);
        if (w > 0)
                o->len += (size_t)w;
}

static void emit_char(struct out *o, char c)
{
        if (o->len + 1 < o->size) {
                o->buf[o->len] = c;
                o->buf[o->len + 1] = 0;
        }
        o->len++;
}

/* A conversion may be followed only by the end, a space or punctuation (%s, %pks, %p). */
static int ends_word(char c)
{
        return c == 0 || isspace((unsigned char)c) || ispunct((unsigned char)c);
}

/* %pI4 %pi4 %pI6 %pi6: the address bytes are read with a checked copy; a fault gives zeros. */
static void emit_ip(struct out *o, const char *flags_width, char kind, char ver, uint64_t arg)
{
        unsigned char ip[16] = {0};
        char text[48], spec[48];
        size_t n = ver == '4' ? 4 : 16, t = 0;

        if (bpfaot__read_mem(ip, (const void *)(uintptr_t)arg, n))
                memset(ip, 0, sizeof(ip));
        for (size_t i = 0; i < n; i++) {
                if (ver == '4')
                        t += (size_t)snprintf(text + t, sizeof(text) - t,
                                              kind == 'I' ? "%s%u" : "%s%03u", i ? "." : "", ip[i]);
                else
                        t += (size_t)snprintf(text + t, sizeof(text) - t, "%s%02x",
                                              kind == 'I' && i && !(i & 1) ? ":" : "", ip[i]);
        }
        snprintf(spec, sizeof(spec), "%%%ss", flags_width);
        emit(o, spec, text);
}

/* %ps %pS %pB: the symbol dladdr finds ("name", "name+0xoff"), else the address in hex. */
static void emit_sym(struct out *o, const char *flags_width, char kind, uint64_t arg)
{
        char text[256], spec[48];
        Dl_info info;

        if (arg && dladdr((void *)(uintptr_t)arg, &info) && info.dli_sname) {
                uintptr_t off = (uintptr_t)arg - (uintptr_t)info.dli_saddr;

                if (kind == 's' || off == 0)
                        snprintf(text, sizeof(text), "%s", info.dli_sname);
                else
                        snprintf(text, sizeof(text), "%s+0x%lx", info.dli_sname,
                                 (unsigned long)off);
        } else {
                snprintf(text, sizeof(text), "0x%llx", (unsigned long long)arg);
        }
        snprintf(spec, sizeof(spec), "%%%ss", flags_width);
        emit(o, spec, text);
}

static void emit_str(struct out *o, const char *flags_width, uint64_t arg)
{
        char text[MAX_STR], spec[48];

        if (!arg)
                snprintf(text, sizeof(text), "(null)");
        else if (bpfaot__read_str(text, (const void *)(uintptr_t)arg, sizeof(text)) < 0)
                text[0] = 0; /* a bad pointer prints nothing, as in the kernel */
        snprintf(spec, sizeof(spec), "%%%ss", flags_width);
        emit(o, spec, text);
}

/*
 * One pass over the format. With o->size == 0 nothing is written, which is
 * how the format is validated before the real pass.
 */
static long format_pass(struct out *o, const char *fmt, size_t fmt_size, const uint64_t *args,
                        uint32_t nargs)
{
        uint32_t n = 0;

        for (size_t i = 0; i < fmt_size && fmt[i]; i++) {
                char fw[32], spec[48];
                size_t f = 0, digits = 0;
                int longs = 0;
                char c;

                if (fmt[i] != '%') {
                        emit_char(o, fmt[i]);
                        continue;
                }
                if (fmt[i + 1] == '%') {
                        emit_char(o, '%');
                        i++;
                        continue;
                }
                if (n >= nargs)
                        return -EINVAL;
                i++;
                /* flags: the kernel's "0+- " and, kept from trace_printk, '#' */
                while (fmt[i] && strchr("0+- #", fmt[i]) && f < 8)
                        fw[f++] = fmt[i++];
                if (fmt[i] == '0' || fmt[i] == '+' || fmt[i] == '-' || fmt[i] == ' ' ||
                    fmt[i] == '#')
                        return -EINVAL; /* absurdly many flags */
                while (fmt[i] >= '0' && fmt[i] <= '9' && digits++ < 6)
                        fw[f++] = fmt[i++];
                if (fmt[i] >= '0' && fmt[i] <= '9')
                        return -EINVAL; /* width above 999999 */
                fw[f] = 0;
                c = fmt[i];

                if (c == 'p') {
                        char k = fmt[i + 1];

                        if ((k == 'k' || k == 'u') && fmt[i + 2] == 's') {
                                if (!ends_word(fmt[i + 3]))
                                        return -EINVAL;
                                emit_str(o, fw, args[n++]);
                                i += 2;
                        } else if (k == 'K' || k == 'x') {
                                /* raw address, 16 hex digits, like the kernel's %px */
                                snprintf(spec, sizeof(spec), "%%%s016llx", fw);
                                emit(o, spec, (unsigned long long)args[n++]);
                                i++;
                        } else if (k == 's' || k == 'S' || k == 'B') {
                                emit_sym(o, fw, k, args[n++]);
                                i++;
                        } else if ((k == 'i' || k == 'I') &&
                                   (fmt[i + 2] == '4' || fmt[i + 2] == '6')) {
                                emit_ip(o, fw, k, fmt[i + 2], args[n++]);
                                i += 2;
                        } else if (ends_word(k)) {
                                snprintf(spec, sizeof(spec), "%%%sp", fw);
                                emit(o, spec, (void *)(uintptr_t)args[n++]);
                        } else {
                                return -EINVAL;
                        }
                        continue;
                }
                if (c == 's') {
                        if (!ends_word(fmt[i + 1]))
                                return -EINVAL;
                        emit_str(o, fw, args[n++]);
                        continue;
                }
                if (c == 'c') {
                        snprintf(spec, sizeof(spec), "%%%sc", fw);
                        emit(o, spec, (int)(unsigned char)args[n++]);
                        continue;
                }
                if (c == 'h') { /* kept from trace_printk: promoted to int anyway */
                        c = fmt[++i];
                } else {
                        while (c == 'l' && longs < 2) {
                                longs++;
                                c = fmt[++i];
                        }
                }
                if (!c || !strchr("diuxXo", c))
                        return -EINVAL;
                /* l and ll are both 64-bit: eBPF's long is 64 bits */
                snprintf(spec, sizeof(spec), "%%%s%s%c", fw, longs ? "ll" : "", c);
                if (c == 'd' || c == 'i') {
                        if (longs)
                                emit(o, spec, (long long)args[n++]);
                        else
                                emit(o, spec, (int)args[n++]);
                } else {
                        if (longs)
                                emit(o, spec, (unsigned long long)args[n++]);
                        else
                                emit(o, spec, (unsigned)args[n++]);
                }
        }
        return (long)o->len;
}

long bpfaot__format(char *out, size_t out_size, const char *fmt, size_t fmt_size,
                    const uint64_t *args, uint32_t nargs)
{
        struct out check = {NULL, 0, 0}, o = {out, out_size, 0};
        long r;

        if (!fmt || nargs > MAX_ARGS || (nargs && !args))
                return -EINVAL;
        r = format_pass(&check, fmt, fmt_size, args, nargs);
        if (r < 0 || out_size == 0)
                return r;
        out[0] = 0;
        return format_pass(&o, fmt, fmt_size, args, nargs);
}

/*
 * trace_printk and trace_vprintk: format (at most 1023 bytes) and write to
 * stdout; returns the bytes written. fmt must hold a NUL within fmt_size
 * bytes; an invalid format returns -EINVAL and prints nothing.
 */
static uint64_t print_formatted(const char *fmt, uint32_t fmt_size, const uint64_t *args,
                                uint32_t nargs)
{
        char out[1024];
        long r;

        if (!fmt || fmt_size == 0 || memchr(fmt, 0, fmt_size) == NULL)
                return (uint64_t)-EINVAL;
        r = bpfaot__format(out, sizeof(out), fmt, fmt_size, args, nargs);
        if (r < 0)
                return (uint64_t)r;
        if ((size_t)r >= sizeof(out))
                r = sizeof(out) - 1;
        fwrite(out, 1, (size_t)r, stdout);
        fflush(stdout);
        return (uint64_t)r;
}

/* bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3). */
BPFAOT_HELPER(trace_printk)
(uint64_t fmt_addr, uint64_t fmt_size, uint64_t a1, uint64_t a2, uint64_t a3)
{
        uint64_t args[3] = {a1, a2, a3};

        return print_formatted((const char *)(uintptr_t)fmt_addr, (uint32_t)fmt_size, args, 3);
}

/*
 * bpf_trace_vprintk(fmt, fmt_size, data, data_len): bpf_printk with more
 * than three arguments. data holds data_len / 8 u64 arguments (data_len a
 * multiple of 8, at most 12 arguments, data NULL only when data_len is 0).
 */
BPFAOT_HELPER(trace_vprintk)
(uint64_t fmt, uint64_t fmt_size, uint64_t data, uint64_t data_len, uint64_t e)
{
        uint32_t len = (uint32_t)data_len;
        uint64_t args[MAX_ARGS];

        (void)e;
        if (len % 8 || len > MAX_ARGS * 8 || (len && !data))
                return (uint64_t)-EINVAL;
        if (len)
                memcpy(args, (const void *)(uintptr_t)data, len);
        return print_formatted((const char *)(uintptr_t)fmt, (uint32_t)fmt_size, len ? args : NULL,
                               len / 8);
}

/*
 * bpf_snprintf(str, str_size, fmt, data, data_len): data holds data_len / 8
 * u64 arguments (data_len a multiple of 8, at most 12 arguments). Writes at
 * most str_size bytes, NUL included; returns the length the whole output
 * needs including the NUL, or -EINVAL (str untouched).
 */
BPFAOT_HELPER(snprintf)
(uint64_t str, uint64_t str_size, uint64_t fmt, uint64_t data, uint64_t data_len)
{
        uint32_t size = (uint32_t)str_size, len = (uint32_t)data_len;
        uint64_t args[MAX_ARGS];
        long r;

        if (len % 8 || len > MAX_ARGS * 8 || (len && !data) || !fmt || (size && !str))
                return (uint64_t)-EINVAL;
        if (len)
                memcpy(args, (const void *)(uintptr_t)data, len);
        r = bpfaot__format((char *)(uintptr_t)str, size, (const char *)(uintptr_t)fmt, SIZE_MAX,
                           len ? args : NULL, len / 8);
        return r < 0 ? (uint64_t)r : (uint64_t)r + 1;
}
