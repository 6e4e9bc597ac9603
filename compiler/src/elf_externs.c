/* SPDX-License-Identifier: MIT */
/*
 * Extern variables: .kconfig values, which the caller's extern provider
 * gives as kernel config text and this file encodes as the extern's BTF type
 * says (libbpf's rules), laid out in a synthesized read-only .kconfig data
 * section; and .ksyms kernel symbols, which do not exist outside a kernel.
 */
#include "elf_internal.h"

#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A .kconfig extern without a value: a relocation left unresolved, with the reason. */
#define UNRESOLVED 1

/* ------------------------------------------------------------------ */
/* Encoding a kernel config value as the extern's type                 */
/* ------------------------------------------------------------------ */

static bool is_tristate_letter(const char *v)
{
        return (v[0] == 'y' || v[0] == 'n' || v[0] == 'm') && v[1] == '\0';
}

static const char *encode_int(const struct btf_type *t, const char *v, uint8_t *out, size_t size)
{
        bool is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
        unsigned bits = (unsigned)size * 8;
        char *end;
        uint64_t u;

        if (is_tristate_letter(v)) {
                if (size != 1)
                        return "a y/m/n value needs a bool, char or libbpf_tristate extern";
                out[0] = (uint8_t)v[0];
                return NULL;
        }
        errno = 0;
        if (is_signed) {
                long long s = strtoll(v, &end, 0);
                if (errno || *end || !*v)
                        return "the value is not a number";
                if (bits < 64 && (s < -(1ll << (bits - 1)) || s >= (1ll << (bits - 1))))
                        return "the value does not fit the extern's type";
                u = (uint64_t)s;
        } else {
                if (*v == '-')
                        return "a negative value for an unsigned extern";
                u = strtoull(v, &end, 0);
                if (errno || *end || !*v)
                        return "the value is not a number";
                if (bits < 64 && u >> bits)
                        return "the value does not fit the extern's type";
        }
        memcpy(out, &u, size); /* little-endian targets only: the low bytes */
        return NULL;
}

static const char *encode_string(const char *v, uint8_t *out, size_t size)
{
        size_t n = strlen(v);

        if (n < 2 || v[0] != '"' || v[n - 1] != '"')
                return "a char array extern needs a quoted string value";
        n -= 2;
        if (n > size - 1)
                n = size - 1; /* truncated, as libbpf does */
        memcpy(out, v + 1, n);
        return NULL;
}

/*
 * Encode `value` (NULL: none, zeroes) for an extern of BTF type `type_id`
 * into out[0..size): libbpf_tristate enum (y 1, m 2, n 0), bool (y 1, n 0),
 * char (the letter), integers (range-checked), char arrays (a quoted string,
 * truncated to size - 1). Returns NULL, or why it cannot.
 */
static const char *encode(const struct btf *btf, uint32_t type_id, const char *value, uint8_t *out,
                          size_t size)
{
        const struct btf_type *t = elf_btf_skip_mods(btf, type_id), *elem;
        const char *name;

        if (!t || size == 0)
                return "its BTF type is unknown";
        memset(out, 0, size);
        if (!value)
                return NULL;
        name = btf__name_by_offset(btf, t->name_off);
        if (btf_is_enum(t) && name && strcmp(name, "libbpf_tristate") == 0) {
                int32_t v = value[0] == 'y' ? 1 : value[0] == 'm' ? 2 : 0;
                if (!is_tristate_letter(value) || size != 4)
                        return "a libbpf_tristate extern needs a y/m/n value";
                memcpy(out, &v, 4);
                return NULL;
        }
        if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL)) {
                if (strcmp(value, "y") && strcmp(value, "n"))
                        return "a bool extern needs a y/n value";
                out[0] = value[0] == 'y';
                return NULL;
        }
        if (btf_is_int(t) && size <= 8 && (size & (size - 1)) == 0)
                return encode_int(t, value, out, size);
        if (btf_is_array(t)) {
                elem = elf_btf_skip_mods(btf, btf_array(t)->type);
                if (elem && btf_is_int(elem) && elem->size == 1)
                        return encode_string(value, out, size);
        }
        return "its type is not a bool, tristate, integer or char array";
}

/* Without BTF, LINUX_KERNEL_VERSION is the u64 libbpf documents. */
static const char *encode_u64(const char *value, uint8_t *out, size_t size)
{
        uint64_t u = 0;
        char *end;

        memset(out, 0, size);
        if (!value)
                return NULL;
        errno = 0;
        u = strtoull(value, &end, 0);
        if (errno || *end || !*value || *value == '-')
                return "the value is not a number";
        memcpy(out, &u, size < sizeof(u) ? size : sizeof(u));
        return NULL;
}

/* ------------------------------------------------------------------ */
/* .kconfig                                                            */
/* ------------------------------------------------------------------ */

/* A reason kept with the object (relocations point at it). */
static const char *keep_reason(struct elf_reader *r, const char *fmt, const char *a, const char *b)
{
        char buf[512];

        snprintf(buf, sizeof(buf), fmt, a, b);
        return elf_keep(r, buf);
}

/*
 * The provider's text for `name`: 0 and *value, -ENOENT and *why when it has
 * none, or a negative error (the values cannot be read at all).
 */
static int provided_value(struct elf_reader *r, const char *name, const char **value,
                          const char **why)
{
        char msg[BPFAOT_ERROR_MAX] = "";
        int ret;

        *value = NULL;
        if (!r->externs.resolve) {
                *why = "no kernel config given; set bpfaot_elf_opts.externs (see "
                       "bpfaot_kconfig__new)";
                return -ENOENT;
        }
        ret = r->externs.resolve(r->externs.ctx, name, value, msg, sizeof(msg));
        if (ret == -ENOENT || (ret == 0 && !*value)) {
                *why = elf_keep(r, msg[0] ? msg : "the extern provider has no value");
                return *why ? -ENOENT : elf_nomem(r);
        }
        if (ret)
                return elf_fail(r, ret < 0 ? -ret : EIO, "%s",
                                msg[0] ? msg : "the extern provider failed");
        return 0;
}

/*
 * The value of .kconfig extern `name` in out[size] (weak: a missing value
 * is 0, as in libbpf). Returns 0, UNRESOLVED with *why, or a negative error.
 */
static int kconfig_value(struct elf_reader *r, const char *name, uint32_t type, bool weak,
                         uint8_t *out, size_t size, const char **why)
{
        const char *v, *bad;
        int ret = provided_value(r, name, &v, why);

        if (ret == -ENOENT && !weak)
                return UNRESOLVED;
        if (ret && ret != -ENOENT)
                return ret;
        bad = type ? encode(r->out->btf, type, v, out, size) : encode_u64(v, out, size);
        if (bad) {
                *why = keep_reason(r, "%s: %s", v ? v : "", bad);
                return *why ? UNRESOLVED : elf_nomem(r);
        }
        return 0;
}

/* The synthesized .kconfig data section, added when the first value is laid out. */
static int kconfig_section(struct elf_reader *r)
{
        struct bpfaot_data_sec *d;

        if (r->kconfig_sec >= 0)
                return 0;
        d = elf_add_data_section(r, ".kconfig", SHN_UNDEF, 0, true);
        if (!d)
                return -ENOMEM;
        r->kconfig_sec = (long)(d - r->out->data);
        return 0;
}

/*
 * .kconfig externs live in a synthesized read-only data section (native
 * global "<prefix>__kconfig"), laid out as they are first referenced.
 * Returns 0 and the offset, UNRESOLVED (with *why) for a .kconfig extern
 * without a value, -ENOENT when `name` is not one, or a negative error.
 */
static int kconfig_offset(struct elf_reader *r, const char *name, bool weak, uint64_t *off,
                          const char **why)
{
        uint32_t type = elf_btf_var_type(r->out->btf, ".kconfig", name);
        __s64 size = type ? btf__resolve_size(r->out->btf, type) : 8;
        uint64_t at = (r->kconfig_size + 7) & ~(uint64_t)7;
        struct elf_kconfig_var *var;
        uint8_t *bytes;
        int ret;

        for (size_t i = 0; i < r->kconfig_var_cnt; i++)
                if (strcmp(r->kconfig_vars[i].name, name) == 0) {
                        *off = r->kconfig_vars[i].off;
                        return 0;
                }
        if (!type && strcmp(name, "LINUX_KERNEL_VERSION") != 0)
                return -ENOENT;
        if (size <= 0 || size > 4096) {
                *why = "its type has no usable size";
                return UNRESOLVED;
        }
        bytes = realloc(r->kconfig_bytes, at + (size_t)size);
        if (!bytes)
                return elf_nomem(r);
        r->kconfig_bytes = bytes;
        ret = kconfig_value(r, name, type, weak, bytes + at, (size_t)size, why);
        if (ret)
                return ret;
        var = ARRAY_ADD(r->kconfig_vars, r->kconfig_var_cnt);
        if (!var)
                return elf_nomem(r);
        var->name = name; /* a symbol's name: it outlives the passes */
        var->off = at;
        memset(bytes + r->kconfig_size, 0, at - r->kconfig_size);
        r->kconfig_size = at + (size_t)size;
        *off = at;
        return kconfig_section(r);
}

/* The synthesized .kconfig gets its final bytes once every program is linked. */
int elf_finish_kconfig(struct elf_reader *r)
{
        struct bpfaot_data_sec *d;

        if (r->kconfig_sec < 0)
                return 0;
        d = &r->out->data[r->kconfig_sec];
        d->bytes = r->kconfig_bytes;
        d->size = r->kconfig_size;
        r->kconfig_bytes = NULL;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Linking an lddw of an extern                                        */
/* ------------------------------------------------------------------ */

static int unresolved(struct elf_linker *l, size_t o, const struct elf_sym *sym, const char *what,
                      const char *why)
{
        struct bpfaot_reloc *rel = elf_add_reloc(l, o, sym, what, BPFAOT_RELOC_UNRESOLVED);

        if (!rel)
                return -ENOMEM;
        rel->why = why;
        return 0;
}

/* No kernel symbol exists outside a kernel: a weak one is NULL, any other is refused. */
static int link_ksym(struct elf_linker *l, size_t o, const struct elf_sym *sym)
{
        struct bpfaot_insn *insns = l->p->insns;

        if (sym->bind == STB_WEAK && o + 1 < l->p->insn_cnt) {
                insns[o].src = BPFAOT_LDDW_IMM64;
                insns[o].imm = 0;
                insns[o + 1].imm = 0;
                return 0;
        }
        return unresolved(l, o, sym, "kernel symbol",
                          ".ksyms: there are no kernel symbols outside a kernel; declare it "
                          "__weak to get NULL");
}

int elf_link_extern_var(struct elf_linker *l, size_t o, const struct elf_sym *sym)
{
        struct elf_reader *r = l->r;
        const char *why = NULL;
        struct bpfaot_reloc *rel;
        uint64_t off = 0;
        int ret;

        if (!sym->name)
                return -ENOENT;
        ret = kconfig_offset(r, sym->name, sym->bind == STB_WEAK, &off, &why);
        if (ret == UNRESOLVED)
                return unresolved(l, o, sym, "kconfig value", why);
        if (ret == -ENOENT && elf_btf_var_type(r->out->btf, ".ksyms", sym->name))
                return link_ksym(l, o, sym);
        if (ret)
                return ret;
        rel = elf_add_reloc(l, o, sym, "kconfig value", BPFAOT_RELOC_DATA);
        if (!rel)
                return -ENOMEM;
        rel->data_sec = (size_t)r->kconfig_sec;
        rel->offset = off;
        return 0;
}
