/* SPDX-License-Identifier: MIT */
/* The library's diagnostics: one printable line, located at an instruction when there is one. */
#include "internal.h"

#include "insn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int error_vset(struct bpfaot_error *err, int code, long insn, const char *prefix,
                      const char *fmt, va_list ap)
{
        if (code < 0)
                code = -code;
        if (err) {
                size_t n = 0;
                err->code = -code;
                err->insn = insn;
                if (prefix)
                        n = (size_t)snprintf(err->msg, sizeof(err->msg), "%s", prefix);
                if (n < sizeof(err->msg))
                        vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
                /* Names come from input files: keep the message one printable line. */
                for (char *c = err->msg; *c; c++)
                        if ((unsigned char)*c < 0x20 || *c == 0x7f)
                                *c = '?';
        }
        return -code;
}

int bpfaot_error_set(struct bpfaot_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        int ret;

        va_start(ap, fmt);
        ret = error_vset(err, code, -1, NULL, fmt, ap);
        va_end(ap);
        return ret;
}

/*
 * " (<function>+<offset>)" when instruction `idx` belongs to a function
 * linked into the program (a sub-program or callback), else "".
 */
static const char *func_of(const struct bpfaot_prog *prog, long idx, char *buf, size_t len)
{
        size_t k;

        buf[0] = '\0';
        if (!prog || !prog->funcs || prog->func_cnt < 2 || idx < 0)
                return buf;
        for (k = prog->func_cnt; k > 0 && prog->funcs[k - 1].start > (size_t)idx; k--)
                ;
        if (k > 1) /* funcs[0] is the program itself */
                snprintf(buf, len, " (%.64s+%zu)", prog->funcs[k - 1].name,
                         (size_t)idx - prog->funcs[k - 1].start);
        return buf;
}

int bpfaot_error_at(struct bpfaot_error *err, const struct bpfaot_prog *prog, long idx, int code,
                    const char *fmt, ...)
{
        char prefix[512];
        char text[128];
        va_list ap;
        int ret;
        const char *input = prog && prog->input ? prog->input : "<input>";
        char where[160], func[128];
        size_t n;

        /* A program read from raw bytecode is named after its input: say it once. */
        if (prog && prog->name && strcmp(prog->name, input) != 0)
                n = (size_t)snprintf(where, sizeof(where), "%s: %.64s: ", input, prog->name);
        else
                n = (size_t)snprintf(where, sizeof(where), "%s: ", input);
        if (idx >= 0 && n < sizeof(where))
                snprintf(where + n, sizeof(where) - n, "insn %ld%s: ", idx,
                         func_of(prog, idx, func, sizeof(func)));
        if (prog && idx >= 0 && (size_t)idx < prog->insn_cnt) {
                bpfaot_disasm_insn(prog->insns, prog->insn_cnt, (size_t)idx, text, sizeof(text));
                snprintf(prefix, sizeof(prefix), "%s%s: ", where, text);
        } else {
                snprintf(prefix, sizeof(prefix), "%s", where);
        }
        va_start(ap, fmt);
        ret = error_vset(err, code, idx, prefix, fmt, ap);
        va_end(ap);
        return ret;
}

int bpfaot_error_prefix(struct bpfaot_error *err, const char *prefix)
{
        size_t plen = strlen(prefix) + 2, mlen = strlen(err->msg);

        if (plen >= sizeof(err->msg))
                return err->code;
        if (plen + mlen >= sizeof(err->msg))
                mlen = sizeof(err->msg) - plen - 1;
        memmove(err->msg + plen, err->msg, mlen);
        err->msg[plen + mlen] = 0;
        memcpy(err->msg, prefix, plen - 2);
        memcpy(err->msg + plen - 2, ": ", 2);
        return err->code;
}

int bpfaot_error_nomem(struct bpfaot_error *err)
{
        return bpfaot_error_set(err, ENOMEM, "out of memory");
}

int bpfaot_prog__error(const struct bpfaot_prog *prog, long idx, int code, const char *msg,
                       struct bpfaot_error *err)
{
        if (prog && idx >= (long)prog->insn_cnt)
                idx = -1;
        return bpfaot_error_at(err, prog, idx, code, "%s", msg);
}
