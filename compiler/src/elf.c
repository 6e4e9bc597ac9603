/* SPDX-License-Identifier: MIT */
/*
 * eBPF ELF front end, on libelf directly: libbpf's bpf_object__open refuses
 * objects that real projects ship (legacy map sections, static programs in
 * named sections), so programs are found the way the kernel loaders agree on
 * — functions in executable sections other than .text — and BTF is read with
 * libbpf's btf API, which works on any object.
 */
#define _GNU_SOURCE /* asprintf, strndup */
#include "internal.h"
#include "insn.h"
#include "kconfig.h"
#include "object.h"
#include "subprog.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stddef.h>
#include <gelf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

struct elf_reader {
        const char *input;
        struct bpfaot_error *err;
        Elf *elf;
        size_t shstrndx;
        Elf_Scn *symtab;
        GElf_Shdr symtab_sh;
        Elf_Data *syms;
        size_t sym_cnt;
        struct code_sec *secs; /* executable sections */
        size_t nsecs;
        size_t *data_shndx;       /* section index of each out->data[] entry */
        long kconfig_sec;         /* out->data index of the synthesized .kconfig, or -1 */
        const char *kconfig_file; /* the kernel config asked for, NULL: the host's */
        bool kconfig_loaded;
        struct kconfig *kconfig; /* NULL: no config */
        char **kc_names;         /* .kconfig values laid out so far, at kc_offs */
        uint64_t *kc_offs;
        size_t kc_cnt;
        uint8_t *kc_bytes;
        size_t kc_size;
        struct btf_map_pos *btf_maps; /* where each BTF-defined map lies in .maps */
        size_t n_btf_maps;
        struct bpfaot_elf *out;
};

/* A BTF-defined map's variable in .maps, for the relocations that fill its `values`. */
struct btf_map_pos {
        size_t map;          /* index in out->maps */
        uint64_t off, size;  /* the variable's bytes in .maps */
        uint64_t values_off; /* byte offset of its `values` member; UINT64_MAX: none */
};

static int fail(struct elf_reader *r, int code, const char *what)
{
        return bpfaot_error_set(r->err, code, "%s: %s", r->input, what);
}

static const char *section_name(struct elf_reader *r, size_t shndx)
{
        GElf_Shdr sh;
        Elf_Scn *scn = elf_getscn(r->elf, shndx);
        if (!scn || !gelf_getshdr(scn, &sh))
                return NULL;
        return elf_strptr(r->elf, r->shstrndx, sh.sh_name);
}

static char *keep_name(struct elf_reader *r, const char *name)
{
        struct bpfaot_elf *e = r->out;
        char **n = realloc(e->names, (e->name_cnt + 1) * sizeof(*n));
        if (!n)
                return NULL;
        e->names = n;
        n[e->name_cnt] = strdup(name);
        return n[e->name_cnt] ? n[e->name_cnt++] : NULL;
}

static int cmp_reloc(const void *a, const void *b)
{
        const struct bpfaot_reloc *x = a, *y = b;
        return x->insn < y->insn ? -1 : x->insn > y->insn;
}

/* ------------------------------------------------------------------ */
/* Executable sections: instructions, functions, relocations           */
/* ------------------------------------------------------------------ */

struct func {
        size_t start, len; /* in instructions */
        const char *name;
        bool global;
};

struct sec_rel {
        size_t insn; /* instruction index in the section */
        size_t sym;
};

struct code_sec {
        size_t shndx;
        const char *name;
        struct bpfaot_insn *insns;
        size_t cnt;
        struct func *funcs; /* sorted by start */
        size_t nfuncs;
        struct sec_rel *rels; /* sorted by insn */
        size_t nrels;
};

static struct code_sec *code_sec_of(struct elf_reader *r, size_t shndx)
{
        for (size_t i = 0; i < r->nsecs; i++)
                if (r->secs[i].shndx == shndx)
                        return &r->secs[i];
        return NULL;
}

static int read_code_sections(struct elf_reader *r)
{
        Elf_Scn *scn = NULL;
        GElf_Shdr sh;

        while ((scn = elf_nextscn(r->elf, scn)) != NULL) {
                struct code_sec *cs;
                Elf_Data *data;
                const char *name;
                char msg[256];
                int ret;

                if (!gelf_getshdr(scn, &sh))
                        return fail(r, EINVAL, "malformed section header");
                if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR) || !sh.sh_size)
                        continue;
                name = elf_strptr(r->elf, r->shstrndx, sh.sh_name);
                data = elf_getdata(scn, NULL);
                if (!name || !data || data->d_size != sh.sh_size || sh.sh_size % 8) {
                        snprintf(msg, sizeof(msg), "section %s: cannot read its instructions (%s)",
                                 name ? name : "?",
                                 sh.sh_size % 8 ? "size is not a multiple of 8" : elf_errmsg(-1));
                        return fail(r, EINVAL, msg);
                }
                cs = realloc(r->secs, (r->nsecs + 1) * sizeof(*cs));
                if (!cs)
                        return fail(r, ENOMEM, "out of memory");
                r->secs = cs;
                cs = &r->secs[r->nsecs++];
                memset(cs, 0, sizeof(*cs));
                cs->shndx = elf_ndxscn(scn);
                cs->name = name;
                ret = bpfaot_decode(data->d_buf, data->d_size, &cs->insns, &cs->cnt, r->err);
                if (ret)
                        return ret;
        }
        return 0;
}

static bool is_data_section(const char *name)
{
        return strncmp(name, ".data", 5) == 0 || strncmp(name, ".rodata", 7) == 0 ||
               strncmp(name, ".bss", 4) == 0;
}

static void sanitize(char *p)
{
        for (; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '_'))
                        *p = '_';
}

/* The object's symbol prefix: its file name without .bpf.o / .o, C-identifier safe. */
static char *symbol_prefix(const char *input)
{
        static const char *const suffixes[] = {".bpf.o", ".o"};
        const char *base = strrchr(input, '/');
        size_t blen;
        char *out;

        base = base ? base + 1 : input;
        blen = strlen(base);
        for (size_t i = 0; i < 2; i++) {
                size_t l = strlen(suffixes[i]);
                if (blen > l && strcmp(base + blen - l, suffixes[i]) == 0) {
                        blen -= l;
                        break;
                }
        }
        out = strndup(base, blen);
        if (out)
                sanitize(out);
        return out;
}

/* Name of the native global for a data section: <prefix>__<section>. */
static char *data_symbol(const char *prefix, const char *sec)
{
        char *out;

        if (asprintf(&out, "%s__%s", prefix, sec[0] == '.' ? sec + 1 : sec) < 0)
                return NULL;
        sanitize(out);
        return out;
}

/* A new, zero-filled entry of out->data for section `shndx` (SHN_UNDEF: synthesized). */
static struct bpfaot_data_sec *add_data_section(struct elf_reader *r, const char *name,
                                                size_t shndx, size_t size, bool readonly)
{
        struct bpfaot_elf *e = r->out;
        struct bpfaot_data_sec *d = realloc(e->data, (e->data_cnt + 1) * sizeof(*d));
        size_t *idx = realloc(r->data_shndx, (e->data_cnt + 1) * sizeof(*idx));

        if (d)
                e->data = d;
        if (idx)
                r->data_shndx = idx;
        if (!d || !idx) {
                fail(r, ENOMEM, "out of memory");
                return NULL;
        }
        d = &e->data[e->data_cnt];
        memset(d, 0, sizeof(*d));
        r->data_shndx[e->data_cnt++] = shndx;
        d->size = size;
        d->readonly = readonly;
        d->name = keep_name(r, name);
        d->symbol = data_symbol(e->symbol_prefix, name);
        if (!d->name || !d->symbol) {
                fail(r, ENOMEM, "out of memory");
                return NULL;
        }
        return d;
}

/* Global data: .data, .rodata, .bss and their .<name>.* variants. */
static int read_data_sections(struct elf_reader *r)
{
        Elf_Scn *scn = NULL;
        GElf_Shdr sh;

        while ((scn = elf_nextscn(r->elf, scn)) != NULL) {
                struct bpfaot_data_sec *d;
                const char *name;
                Elf_Data *data;

                if (!gelf_getshdr(scn, &sh))
                        return fail(r, EINVAL, "malformed section header");
                name = elf_strptr(r->elf, r->shstrndx, sh.sh_name);
                if ((sh.sh_type != SHT_PROGBITS && sh.sh_type != SHT_NOBITS) ||
                    !(sh.sh_flags & SHF_ALLOC) || (sh.sh_flags & SHF_EXECINSTR) || !name ||
                    !is_data_section(name))
                        continue;
                d = add_data_section(r, name, elf_ndxscn(scn), sh.sh_size,
                                     !(sh.sh_flags & SHF_WRITE));
                if (!d)
                        return -ENOMEM;
                if (sh.sh_type == SHT_NOBITS || sh.sh_size == 0)
                        continue;
                data = elf_getdata(scn, NULL);
                if (!data || data->d_size != sh.sh_size)
                        return fail(r, EINVAL, "cannot read a data section");
                d->bytes = malloc(sh.sh_size);
                if (!d->bytes)
                        return fail(r, ENOMEM, "out of memory");
                memcpy((uint8_t *)d->bytes, data->d_buf, sh.sh_size);
        }
        return 0;
}

static long data_index(const struct elf_reader *r, size_t shndx);

static int cmp_var(const void *a, const void *b)
{
        const struct bpfaot_data_var *x = a, *y = b;
        return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* BTF type of variable `name` in the DATASEC of section `sec` (also .kconfig, .ksyms), or 0. */
static uint32_t var_btf_type(const struct btf *btf, const char *sec, const char *name)
{
        const struct btf_var_secinfo *vsi;
        const struct btf_type *ds;
        __s32 id;

        if (!btf || (id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC)) < 0)
                return 0;
        ds = btf__type_by_id(btf, (__u32)id);
        vsi = btf_var_secinfos(ds);
        for (unsigned i = 0; i < btf_vlen(ds); i++, vsi++) {
                const struct btf_type *var = btf__type_by_id(btf, vsi->type);
                const char *vname = var ? btf__name_by_offset(btf, var->name_off) : NULL;
                if (var && btf_is_var(var) && vname && strcmp(vname, name) == 0)
                        return var->type;
        }
        return 0;
}

/* The variables (STT_OBJECT symbols) of each data section. */
static int read_data_vars(struct elf_reader *r)
{
        struct bpfaot_elf *e = r->out;

        for (size_t i = 1; i < r->sym_cnt; i++) {
                struct bpfaot_data_sec *d;
                struct bpfaot_data_var *v;
                const char *name;
                GElf_Sym sym;
                long di;

                if (!gelf_getsym(r->syms, (int)i, &sym))
                        return fail(r, EINVAL, "malformed symbol table");
                if (GELF_ST_TYPE(sym.st_info) != STT_OBJECT || sym.st_shndx == SHN_UNDEF ||
                    sym.st_shndx >= SHN_LORESERVE || (di = data_index(r, sym.st_shndx)) < 0)
                        continue;
                d = &e->data[di];
                name = elf_strptr(r->elf, r->symtab_sh.sh_link, sym.st_name);
                if (!name || !*name || sym.st_value > d->size ||
                    sym.st_size > d->size - sym.st_value)
                        continue; /* not describable: the skeleton leaves it out */
                v = realloc(d->vars, (d->var_cnt + 1) * sizeof(*v));
                if (!v)
                        return fail(r, ENOMEM, "out of memory");
                d->vars = v;
                v = &d->vars[d->var_cnt++];
                v->name = keep_name(r, name);
                v->offset = sym.st_value;
                v->size = sym.st_size;
                v->btf_type = var_btf_type(e->btf, d->name, name);
                if (!v->name)
                        return fail(r, ENOMEM, "out of memory");
        }
        for (size_t k = 0; k < e->data_cnt; k++)
                if (e->data[k].var_cnt > 1)
                        qsort(e->data[k].vars, e->data[k].var_cnt, sizeof(*e->data[k].vars),
                              cmp_var);
        return 0;
}

/* KERNEL_VERSION(a, b, c) of the running kernel, as libbpf computes it; 0 if unknown. */
static uint64_t host_kernel_version(void)
{
        struct utsname u;
        unsigned a = 0, b = 0, c = 0;

        if (uname(&u) || sscanf(u.release, "%u.%u.%u", &a, &b, &c) < 2)
                return 0;
        return ((uint64_t)a << 16) + ((uint64_t)b << 8) + (c > 255 ? 255 : c);
}

/* A .kconfig extern without a value: a relocation left unresolved, with the reason. */
#define KCONFIG_UNRESOLVED 1

/* A reason kept with the object (relocations point at it). */
static const char *keep_reason(struct elf_reader *r, const char *fmt, const char *a, const char *b)
{
        char buf[512];

        snprintf(buf, sizeof(buf), fmt, a, b);
        return keep_name(r, buf);
}

/*
 * The value of .kconfig extern `name` (weak: a missing value is 0, as in
 * libbpf): LINUX_KERNEL_VERSION is the build host's kernel version; CONFIG_*
 * come from the kernel config (--kconfig FILE, else the build host's).
 * Returns 0 and the bytes in out[size], KCONFIG_UNRESOLVED with *why, or a
 * negative error (the kernel config cannot be read).
 */
static int kconfig_value(struct elf_reader *r, const char *name, uint32_t type, bool weak,
                         uint8_t *out, size_t size, const char **why)
{
        const struct btf *btf = r->out->btf;
        const char *v = NULL, *bad;
        char num[32];
        int ret;

        if (strcmp(name, "LINUX_KERNEL_VERSION") == 0) {
                uint64_t version = host_kernel_version();
                if (!type) { /* no BTF: the u64 libbpf documents */
                        memcpy(out, &version, size < 8 ? size : 8);
                        return 0;
                }
                snprintf(num, sizeof(num), "%llu", (unsigned long long)version);
                v = num;
        } else if (strncmp(name, "CONFIG_", 7) == 0) {
                if (!r->kconfig_loaded) {
                        /* Its error is reported as is; -ENOENT would mean "not .kconfig". */
                        ret = kconfig_load(r->kconfig_file, &r->kconfig, r->err);
                        if (ret) {
                                bpfaot_error_prefix(r->err, r->input);
                                return -EIO;
                        }
                        r->kconfig_loaded = true;
                }
                v = kconfig_get(r->kconfig, name);
                if (!v && !weak) {
                        *why = r->kconfig ? keep_reason(r, "%s is not in the kernel config %s",
                                                        name, kconfig_path(r->kconfig))
                                          : "this host has no kernel config; give one with "
                                            "--kconfig FILE";
                        return KCONFIG_UNRESOLVED;
                }
        } else if (!weak) {
                *why = "no such value outside a kernel";
                return KCONFIG_UNRESOLVED;
        }
        if (!type) {
                *why = "no BTF type for it (compile with -g)";
                return KCONFIG_UNRESOLVED;
        }
        bad = kconfig_encode(btf, type, v, out, size);
        if (bad) {
                *why = keep_reason(r, "%s: %s", v ? v : "", bad);
                return KCONFIG_UNRESOLVED;
        }
        return 0;
}

/*
 * .kconfig externs live in a synthesized read-only data section (native
 * global "<prefix>__kconfig"), laid out as they are first referenced.
 * Returns 0 and the offset, KCONFIG_UNRESOLVED (with *why) for a .kconfig
 * extern without a value, -ENOENT when `name` is not one, or a negative error.
 */
static int kconfig_offset(struct elf_reader *r, const char *name, bool weak, uint64_t *off,
                          const char **why)
{
        uint32_t type = var_btf_type(r->out->btf, ".kconfig", name);
        __s64 size = type ? btf__resolve_size(r->out->btf, type) : 8;
        uint64_t at = (r->kc_size + 7) & ~(uint64_t)7;
        struct bpfaot_data_sec *d;
        uint8_t *bytes;
        char **names;
        uint64_t *offs;
        int ret;

        *why = NULL;
        for (size_t i = 0; i < r->kc_cnt; i++)
                if (strcmp(r->kc_names[i], name) == 0) {
                        *off = r->kc_offs[i];
                        return 0;
                }
        if (!type && strcmp(name, "LINUX_KERNEL_VERSION") != 0)
                return -ENOENT;
        if (size <= 0 || size > 4096) {
                *why = "its type has no usable size";
                return KCONFIG_UNRESOLVED;
        }
        bytes = realloc(r->kc_bytes, at + (size_t)size);
        if (!bytes)
                return fail(r, ENOMEM, "out of memory");
        r->kc_bytes = bytes;
        ret = kconfig_value(r, name, type, weak, bytes + at, (size_t)size, why);
        if (ret)
                return ret;
        names = realloc(r->kc_names, (r->kc_cnt + 1) * sizeof(*names));
        if (names)
                r->kc_names = names;
        offs = realloc(r->kc_offs, (r->kc_cnt + 1) * sizeof(*offs));
        if (offs)
                r->kc_offs = offs;
        if (!names || !offs || !(names[r->kc_cnt] = keep_name(r, name)))
                return fail(r, ENOMEM, "out of memory");
        offs[r->kc_cnt++] = at;
        memset(bytes + r->kc_size, 0, at - r->kc_size);
        r->kc_size = at + (size_t)size;
        if (r->kconfig_sec < 0) {
                d = add_data_section(r, ".kconfig", SHN_UNDEF, 0, true);
                if (!d)
                        return -ENOMEM;
                r->kconfig_sec = (long)(d - r->out->data);
        }
        *off = at;
        return 0;
}

/* The synthesized .kconfig gets its final bytes once every program is linked. */
static int finish_kconfig(struct elf_reader *r)
{
        struct bpfaot_data_sec *d;

        if (r->kconfig_sec < 0)
                return 0;
        d = &r->out->data[r->kconfig_sec];
        d->bytes = r->kc_bytes;
        d->size = r->kc_size;
        r->kc_bytes = NULL;
        return 0;
}

static long data_index(const struct elf_reader *r, size_t shndx)
{
        if (shndx == SHN_UNDEF) /* the synthesized .kconfig has no section */
                return -1;
        for (size_t i = 0; i < r->out->data_cnt; i++)
                if (r->data_shndx[i] == shndx)
                        return (long)i;
        return -1;
}

/* ------------------------------------------------------------------ */
/* Maps                                                                */
/* ------------------------------------------------------------------ */

static bool is_btf_maps_section(const char *name)
{
        return strcmp(name, ".maps") == 0;
}

static bool is_legacy_maps_section(const char *name)
{
        return strcmp(name, "maps") == 0 || strncmp(name, "maps/", 5) == 0;
}

static const struct btf_type *skip_mods(const struct btf *btf, __u32 id, __u32 *res)
{
        const struct btf_type *t = btf__type_by_id(btf, id);

        while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
                id = t->type;
                t = btf__type_by_id(btf, id);
        }
        if (res)
                *res = id;
        return t;
}

/* __uint(name, N) is `int (*name)[N]`: the number is the array's length. */
static bool btf_map_uint(const struct btf *btf, const struct btf_member *m, uint32_t *out)
{
        const struct btf_type *t = skip_mods(btf, m->type, NULL), *arr;

        if (!t || !btf_is_ptr(t))
                return false;
        arr = skip_mods(btf, t->type, NULL);
        if (!arr || !btf_is_array(arr))
                return false;
        *out = btf_array(arr)->nelems;
        return true;
}

/* __type(name, T) is `T *name`: the size of T. */
static bool btf_map_size(const struct btf *btf, const struct btf_member *m, uint32_t *out)
{
        const struct btf_type *t = skip_mods(btf, m->type, NULL);
        __s64 size;

        if (!t || !btf_is_ptr(t))
                return false;
        size = btf__resolve_size(btf, t->type);
        if (size < 0 || size > UINT32_MAX)
                return false;
        *out = (uint32_t)size;
        return true;
}

static int add_map(struct elf_reader *r, const struct bpfaot_map_desc *desc)
{
        struct bpfaot_elf *e = r->out;
        struct bpfaot_map_desc *m = realloc(e->maps, (e->map_cnt + 1) * sizeof(*m));

        if (!m) {
                free(desc->inner);
                return fail(r, ENOMEM, "out of memory");
        }
        e->maps = m;
        e->maps[e->map_cnt] = *desc;
        e->map_cnt++;
        e->maps[e->map_cnt - 1].name = keep_name(r, desc->name);
        if (!e->maps[e->map_cnt - 1].name)
                return fail(r, ENOMEM, "out of memory");
        return 0;
}

static bool is_map_of_maps(uint32_t type)
{
        return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

static int parse_map_struct(struct elf_reader *r, const struct btf_type *def, const char *name,
                            int depth, struct bpfaot_map_desc *desc, uint64_t *values_off);

/*
 * `__array(values, T)` is a flexible array of pointers: to a function (a
 * PROG_ARRAY's programs) or to a struct, the inner map of a map of maps.
 * Either way the kernel's value is a 4-byte file descriptor.
 */
static int parse_values(struct elf_reader *r, const struct btf_member *m, const char *name,
                        int depth, struct bpfaot_map_desc *desc)
{
        const struct btf *btf = r->out->btf;
        const struct btf_type *arr = skip_mods(btf, m->type, NULL), *ptr, *elem;
        struct bpfaot_map_desc inner = {0};
        char msg[256];
        int ret;

        ptr = arr && btf_is_array(arr) ? skip_mods(btf, btf_array(arr)->type, NULL) : NULL;
        elem = ptr && btf_is_ptr(ptr) ? skip_mods(btf, ptr->type, NULL) : NULL;
        if (!elem || !(btf_is_func_proto(elem) || btf_is_struct(elem))) {
                snprintf(msg, sizeof(msg), "map '%s': malformed field 'values'", name);
                return fail(r, EINVAL, msg);
        }
        desc->value_size = 4;
        if (!desc->key_size)
                desc->key_size = 4;
        if (btf_is_func_proto(elem))
                return 0;
        if (depth > 0) {
                snprintf(msg, sizeof(msg), "map '%s': maps of maps nest only one level", name);
                return fail(r, EINVAL, msg);
        }
        ret = parse_map_struct(r, elem, name, depth + 1, &inner, NULL);
        if (ret)
                return ret;
        desc->inner = malloc(sizeof(*desc->inner));
        if (!desc->inner)
                return fail(r, ENOMEM, "out of memory");
        *desc->inner = inner;
        desc->inner->name = name;
        return 0;
}

/* BTF map definition fields: __uint(name, N) or __type(name, T) (the size of T). */
static const struct {
        const char *name;
        bool size_of;
        size_t offset; /* of the uint32_t in struct bpfaot_map_desc */
} map_fields[] = {
    {"type", false, offsetof(struct bpfaot_map_desc, type)},
    {"max_entries", false, offsetof(struct bpfaot_map_desc, max_entries)},
    {"map_flags", false, offsetof(struct bpfaot_map_desc, map_flags)},
    {"key_size", false, offsetof(struct bpfaot_map_desc, key_size)},
    {"value_size", false, offsetof(struct bpfaot_map_desc, value_size)},
    {"key", true, offsetof(struct bpfaot_map_desc, key_size)},
    {"value", true, offsetof(struct bpfaot_map_desc, value_size)},
};

/* The fields of a BTF map definition; `values_off` (if not NULL) receives where `values` is. */
static int parse_map_struct(struct elf_reader *r, const struct btf_type *def, const char *name,
                            int depth, struct bpfaot_map_desc *desc, uint64_t *values_off)
{
        const struct btf *btf = r->out->btf;
        const struct btf_member *m = btf_members(def);
        const struct btf_member *values = NULL;
        char msg[256];

        for (unsigned k = 0; k < btf_vlen(def); k++, m++) {
                const char *field = btf__name_by_offset(btf, m->name_off);
                bool ok = true;

                if (!field)
                        continue;
                if (strcmp(field, "values") == 0)
                        values = m;
                for (size_t f = 0; f < sizeof(map_fields) / sizeof(map_fields[0]); f++) {
                        uint32_t *dst = (uint32_t *)((char *)desc + map_fields[f].offset);
                        if (strcmp(field, map_fields[f].name) == 0)
                                ok = map_fields[f].size_of ? btf_map_size(btf, m, dst)
                                                           : btf_map_uint(btf, m, dst);
                }
                if (!ok) {
                        snprintf(msg, sizeof(msg), "map '%s': malformed field '%s'", name, field);
                        return fail(r, EINVAL, msg);
                }
        }
        if (values_off)
                *values_off =
                    values ? btf_member_bit_offset(def, (__u32)(values - btf_members(def))) / 8
                           : UINT64_MAX;
        if (!values)
                return 0;
        if (desc->type != BPF_MAP_TYPE_PROG_ARRAY && !is_map_of_maps(desc->type)) {
                snprintf(msg, sizeof(msg),
                         "map '%s': 'values' needs a PROG_ARRAY or a map of maps, not map type %u",
                         name, desc->type);
                return fail(r, EINVAL, msg);
        }
        return parse_values(r, values, name, depth, desc);
}

/*
 * Where the symbol `name` of a .maps section lies: compilers leave the BTF
 * DATASEC offsets 0 (libbpf fixes them up from the symbols), so the symbol
 * table is the truth. Returns false when there is no such symbol.
 */
static bool maps_symbol(struct elf_reader *r, const char *name, uint64_t *off, uint64_t *size)
{
        for (size_t i = 1; i < r->sym_cnt; i++) {
                GElf_Sym sym;
                const char *n, *sec;

                if (!gelf_getsym(r->syms, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
                    sym.st_shndx >= SHN_LORESERVE || GELF_ST_TYPE(sym.st_info) == STT_SECTION)
                        continue;
                n = elf_strptr(r->elf, r->symtab_sh.sh_link, sym.st_name);
                sec = section_name(r, sym.st_shndx);
                if (n && sec && strcmp(n, name) == 0 && is_btf_maps_section(sec)) {
                        *off = sym.st_value;
                        *size = sym.st_size;
                        return true;
                }
        }
        return false;
}

/* BTF-defined maps: the variables of the .maps data section, described by their struct types. */
static int read_btf_maps(struct elf_reader *r)
{
        const struct btf *btf = r->out->btf;
        const struct btf_type *sec;
        const struct btf_var_secinfo *vsi;
        __s32 id;

        if (!btf || (id = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC)) < 0)
                return 0;
        sec = btf__type_by_id(btf, (__u32)id);
        vsi = btf_var_secinfos(sec);
        r->btf_maps = calloc(btf_vlen(sec) ? btf_vlen(sec) : 1, sizeof(*r->btf_maps));
        if (!r->btf_maps)
                return fail(r, ENOMEM, "out of memory");
        for (unsigned i = 0; i < btf_vlen(sec); i++, vsi++) {
                const struct btf_type *var = btf__type_by_id(btf, vsi->type), *def;
                struct bpfaot_map_desc desc = {0};
                uint64_t values_off;
                char msg[256];
                int ret;

                if (!var || !btf_is_var(var))
                        continue;
                desc.name = btf__name_by_offset(btf, var->name_off);
                def = skip_mods(btf, var->type, NULL);
                if (!desc.name || !def || !btf_is_struct(def)) {
                        snprintf(msg, sizeof(msg), "map '%s': its BTF type is not a struct",
                                 desc.name ? desc.name : "?");
                        return fail(r, EINVAL, msg);
                }
                ret = parse_map_struct(r, def, desc.name, 0, &desc, &values_off);
                if (ret) {
                        free(desc.inner);
                        return ret;
                }
                if (values_off != UINT64_MAX) {
                        struct btf_map_pos *pos = &r->btf_maps[r->n_btf_maps];
                        if (!maps_symbol(r, desc.name, &pos->off, &pos->size)) {
                                free(desc.inner);
                                snprintf(msg, sizeof(msg), "map '%s': no symbol in .maps",
                                         desc.name);
                                return fail(r, EINVAL, msg);
                        }
                        pos->map = r->out->map_cnt;
                        pos->values_off = values_off;
                        r->n_btf_maps++;
                }
                if (add_map(r, &desc))
                        return -ENOMEM;
        }
        return 0;
}

/* Legacy maps: each symbol of a "maps" section is a struct bpf_map_def (5 u32s, or more). */
static int read_legacy_maps(struct elf_reader *r)
{
        for (size_t i = 1; i < r->sym_cnt; i++) {
                struct bpfaot_map_desc desc = {.legacy = true};
                const char *sec, *name;
                uint32_t f[5] = {0};
                Elf_Data *data;
                Elf_Scn *scn;
                GElf_Sym sym;
                char msg[256];

                if (!gelf_getsym(r->syms, (int)i, &sym))
                        return fail(r, EINVAL, "malformed symbol table");
                if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE ||
                    GELF_ST_TYPE(sym.st_info) == STT_SECTION)
                        continue;
                sec = section_name(r, sym.st_shndx);
                if (!sec || !is_legacy_maps_section(sec))
                        continue;
                name = elf_strptr(r->elf, r->symtab_sh.sh_link, sym.st_name);
                scn = elf_getscn(r->elf, sym.st_shndx);
                data = scn ? elf_getdata(scn, NULL) : NULL;
                if (!name || !*name || !data || !data->d_buf || sym.st_value > data->d_size ||
                    data->d_size - sym.st_value < sizeof(f)) {
                        snprintf(msg, sizeof(msg),
                                 "legacy map '%s' in section %s: definition outside the section",
                                 name ? name : "?", sec);
                        return fail(r, EINVAL, msg);
                }
                memcpy(f, (const uint8_t *)data->d_buf + sym.st_value, sizeof(f));
                desc.name = name;
                desc.type = f[0];
                desc.key_size = f[1];
                desc.value_size = f[2];
                desc.max_entries = f[3];
                desc.map_flags = f[4];
                if (add_map(r, &desc))
                        return -ENOMEM;
        }
        return 0;
}

static long map_index(const struct elf_reader *r, const char *name)
{
        for (size_t i = 0; name && i < r->out->map_cnt; i++)
                if (strcmp(r->out->maps[i].name, name) == 0)
                        return (long)i;
        return -1;
}

static int cmp_func(const void *a, const void *b)
{
        const struct func *x = a, *y = b;
        return x->start < y->start ? -1 : x->start > y->start;
}

/* Functions (STT_FUNC symbols) of each executable section. */
static int read_funcs(struct elf_reader *r)
{
        for (size_t i = 1; i < r->sym_cnt; i++) {
                struct code_sec *cs;
                struct func *f;
                const char *name;
                GElf_Sym sym;
                char msg[256];

                if (!gelf_getsym(r->syms, (int)i, &sym))
                        return fail(r, EINVAL, "malformed symbol table");
                if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
                    sym.st_shndx >= SHN_LORESERVE || !(cs = code_sec_of(r, sym.st_shndx)))
                        continue;
                name = elf_strptr(r->elf, r->symtab_sh.sh_link, sym.st_name);
                if (!name || !*name)
                        return fail(r, EINVAL, "function symbol without a name");
                if (sym.st_value % 8 || sym.st_size % 8 || sym.st_value / 8 >= cs->cnt ||
                    sym.st_size / 8 > cs->cnt - sym.st_value / 8) {
                        snprintf(msg, sizeof(msg),
                                 "function '%s' in section %s: bad offset %llu or size %llu "
                                 "(section has %zu bytes)",
                                 name, cs->name, (unsigned long long)sym.st_value,
                                 (unsigned long long)sym.st_size, cs->cnt * 8);
                        return fail(r, EINVAL, msg);
                }
                f = realloc(cs->funcs, (cs->nfuncs + 1) * sizeof(*f));
                if (!f)
                        return fail(r, ENOMEM, "out of memory");
                cs->funcs = f;
                cs->funcs[cs->nfuncs++] = (struct func){sym.st_value / 8, sym.st_size / 8, name,
                                                        GELF_ST_BIND(sym.st_info) != STB_LOCAL};
        }
        for (size_t s = 0; s < r->nsecs; s++) {
                struct code_sec *cs = &r->secs[s];
                if (cs->nfuncs > 1)
                        qsort(cs->funcs, cs->nfuncs, sizeof(*cs->funcs), cmp_func);
                /* A function without a size runs to the next one (or the section's end). */
                for (size_t k = 0; k < cs->nfuncs; k++)
                        if (cs->funcs[k].len == 0)
                                cs->funcs[k].len =
                                    (k + 1 < cs->nfuncs ? cs->funcs[k + 1].start : cs->cnt) -
                                    cs->funcs[k].start;
        }
        return 0;
}

static int cmp_rel(const void *a, const void *b)
{
        const struct sec_rel *x = a, *y = b;
        return x->insn < y->insn ? -1 : x->insn > y->insn;
}

static int read_rels(struct elf_reader *r)
{
        Elf_Scn *scn = NULL;
        GElf_Shdr sh;

        while ((scn = elf_nextscn(r->elf, scn)) != NULL) {
                struct code_sec *cs;
                Elf_Data *data;

                if (!gelf_getshdr(scn, &sh))
                        return fail(r, EINVAL, "malformed section header");
                if (sh.sh_type == SHT_RELA)
                        return fail(r, EINVAL, "RELA relocations are not used by eBPF objects");
                if (sh.sh_type != SHT_REL || !(cs = code_sec_of(r, sh.sh_info)))
                        continue;
                if (sh.sh_link != elf_ndxscn(r->symtab))
                        return fail(r, EINVAL, "relocation section does not use the symbol table");
                data = elf_getdata(scn, NULL);
                if (!data || sh.sh_entsize == 0)
                        return fail(r, EINVAL, "malformed relocation section");
                for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
                        struct sec_rel *nr;
                        GElf_Rel rel;

                        if (!gelf_getrel(data, (int)i, &rel))
                                return fail(r, EINVAL, "malformed relocation entry");
                        if (rel.r_offset % 8 || rel.r_offset / 8 >= cs->cnt)
                                return fail(r, EINVAL,
                                            "relocation offset is not on an instruction");
                        if (GELF_R_SYM(rel.r_info) == 0 || GELF_R_SYM(rel.r_info) >= r->sym_cnt)
                                return fail(r, EINVAL,
                                            "relocation names a symbol that does not "
                                            "exist");
                        nr = realloc(cs->rels, (cs->nrels + 1) * sizeof(*nr));
                        if (!nr)
                                return fail(r, ENOMEM, "out of memory");
                        cs->rels = nr;
                        cs->rels[cs->nrels++] =
                            (struct sec_rel){rel.r_offset / 8, GELF_R_SYM(rel.r_info)};
                }
        }
        for (size_t s = 0; s < r->nsecs; s++)
                if (r->secs[s].nrels > 1)
                        qsort(r->secs[s].rels, r->secs[s].nrels, sizeof(struct sec_rel), cmp_rel);
        return 0;
}

static const struct sec_rel *rel_at(const struct code_sec *cs, size_t insn)
{
        size_t lo = 0, hi = cs->nrels;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cs->rels[mid].insn == insn)
                        return &cs->rels[mid];
                if (cs->rels[mid].insn < insn)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static const struct func *func_at(const struct code_sec *cs, size_t insn)
{
        size_t lo = 0, hi = cs->nfuncs;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const struct func *f = &cs->funcs[mid];
                if (insn < f->start)
                        hi = mid;
                else if (insn >= f->start + f->len)
                        lo = mid + 1;
                else
                        return f;
        }
        return NULL;
}

/* What a relocated instruction refers to, for messages. */
static const char *reloc_what(struct elf_reader *r, const struct bpfaot_insn *insn,
                              const GElf_Sym *sym)
{
        const char *sec;

        if (insn_is_call(insn))
                return sym->st_shndx == SHN_UNDEF ? "extern function" : "sub-program";
        if (sym->st_shndx == SHN_UNDEF)
                return "extern variable";
        if (sym->st_shndx >= SHN_LORESERVE)
                return "symbol";
        sec = section_name(r, sym->st_shndx);
        if (!sec)
                return "symbol";
        if (strcmp(sec, ".maps") == 0 || strcmp(sec, "maps") == 0 || strncmp(sec, "maps/", 5) == 0)
                return "map";
        if (strncmp(sec, ".data", 5) == 0 || strncmp(sec, ".rodata", 7) == 0 ||
            strncmp(sec, ".bss", 4) == 0)
                return "global data";
        return "function address";
}

/* ------------------------------------------------------------------ */
/* Linking a program: its function plus every function it calls        */
/* ------------------------------------------------------------------ */

struct chunk {
        const struct code_sec *cs;
        size_t start, len, out;
};

struct linker {
        struct elf_reader *r;
        struct bpfaot_elf_prog *p;
        struct chunk *chunks;
        size_t nchunks, out_len;
};

/* Output index of section instruction `t` of `cs`, appending its function if needed. */
static long chunk_target(struct linker *l, const struct code_sec *cs, size_t t)
{
        const struct func *f = t < cs->cnt ? func_at(cs, t) : NULL;
        struct chunk *c;

        if (!f)
                return -1;
        for (size_t i = 0; i < l->nchunks; i++)
                if (l->chunks[i].cs == cs && l->chunks[i].start == f->start)
                        return (long)(l->chunks[i].out + (t - f->start));
        c = realloc(l->chunks, (l->nchunks + 1) * sizeof(*c));
        if (!c)
                return -2;
        l->chunks = c;
        l->chunks[l->nchunks++] = (struct chunk){cs, f->start, f->len, l->out_len};
        l->out_len += f->len;
        return (long)(l->out_len - f->len + (t - f->start));
}

static int add_reloc(struct linker *l, size_t out_idx, const GElf_Sym *sym, const char *what,
                     int kind)
{
        struct elf_reader *r = l->r;
        struct bpfaot_elf_prog *p = l->p;
        struct bpfaot_reloc *rel;
        const char *name = elf_strptr(r->elf, r->symtab_sh.sh_link, sym->st_name);

        if (GELF_ST_TYPE(sym->st_info) == STT_SECTION || !name || !*name)
                name = section_name(r, sym->st_shndx);
        rel = realloc(p->relocs, (p->reloc_cnt + 1) * sizeof(*rel));
        if (!rel)
                return fail(r, ENOMEM, "out of memory");
        p->relocs = rel;
        rel = &rel[p->reloc_cnt++];
        memset(rel, 0, sizeof(*rel));
        rel->insn = out_idx;
        rel->kind = kind;
        rel->what = what;
        rel->name = keep_name(r, name ? name : "?");
        return rel->name ? 0 : fail(r, ENOMEM, "out of memory");
}

static int link_error(struct linker *l, size_t out_idx, const char *why)
{
        struct bpfaot_prog view = {
            .input = l->r->input, .name = l->p->name, .insns = l->p->insns, .insn_cnt = l->out_len};
        return bpfaot_error_at(l->r->err, &view, (long)out_idx, EINVAL, "%s", why);
}

/* Resolve the relocation or local call at output index `o` (section insn `gi` of chunk `c`). */
static int link_insn(struct linker *l, const struct chunk *c, size_t gi, size_t o)
{
        struct bpfaot_insn *insn = &l->p->insns[o];
        const struct sec_rel *sr = rel_at(c->cs, gi);
        bool call = insn->opcode == (BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL);
        const struct code_sec *target_sec;
        long target;
        GElf_Sym sym;

        if (!sr) {
                /* A call of a function elsewhere in the same section, resolved by the assembler. */
                if (!call || insn->src != BPFAOT_CALL_LOCAL)
                        return 0;
                long t = (long)gi + 1 + insn->imm;
                if (t >= (long)c->start && t < (long)(c->start + c->len))
                        return 0;
                target = t < 0 ? -1 : chunk_target(l, c->cs, (size_t)t);
                if (target == -2)
                        return fail(l->r, ENOMEM, "out of memory");
                if (target < 0)
                        return link_error(l, o, "local call target is outside every function");
                l->p->insns[o].imm = (int32_t)(target - (long)o - 1);
                return 0;
        }
        if (!gelf_getsym(l->r->syms, (int)sr->sym, &sym))
                return fail(l->r, EINVAL, "malformed symbol table");
        if (call && sym.st_shndx == SHN_UNDEF) {
                /*
                 * A call of an extern function is a kfunc call by name. clang
                 * encodes it as a pseudo call (src 1, imm -1); rewrite it as
                 * libbpf does, so that it is not mistaken for a local call.
                 */
                insn->src = BPFAOT_CALL_KFUNC;
                insn->imm = 0;
                return add_reloc(l, o, &sym, "extern function", BPFAOT_RELOC_KFUNC);
        }
        if (insn_is_lddw(insn) && sym.st_shndx == SHN_UNDEF) {
                const char *name = elf_strptr(l->r->elf, l->r->symtab_sh.sh_link, sym.st_name);
                bool weak = GELF_ST_BIND(sym.st_info) == STB_WEAK;
                const char *why = NULL;
                uint64_t off = 0;
                int ret = name ? kconfig_offset(l->r, name, weak, &off, &why) : -ENOENT;
                if (ret == KCONFIG_UNRESOLVED) {
                        ret = add_reloc(l, o, &sym, "kconfig value", BPFAOT_RELOC_UNRESOLVED);
                        if (!ret)
                                l->p->relocs[l->p->reloc_cnt - 1].why = why;
                        return ret;
                }
                if (ret == -ENOENT && name && var_btf_type(l->r->out->btf, ".ksyms", name)) {
                        /* No kernel symbol exists outside a kernel: a weak one is NULL. */
                        if (weak && o + 1 < l->out_len) {
                                l->p->insns[o].src = BPFAOT_LDDW_IMM64;
                                l->p->insns[o].imm = 0;
                                l->p->insns[o + 1].imm = 0;
                                return 0;
                        }
                        ret = add_reloc(l, o, &sym, "kernel symbol", BPFAOT_RELOC_UNRESOLVED);
                        if (!ret)
                                l->p->relocs[l->p->reloc_cnt - 1].why =
                                    ".ksyms: there are no kernel symbols outside a kernel; "
                                    "declare it __weak to get NULL";
                        return ret;
                }
                if (ret == 0) {
                        ret = add_reloc(l, o, &sym, "kconfig value", BPFAOT_RELOC_DATA);
                        if (!ret) {
                                l->p->relocs[l->p->reloc_cnt - 1].data_sec =
                                    (size_t)l->r->kconfig_sec;
                                l->p->relocs[l->p->reloc_cnt - 1].offset = off;
                        }
                        return ret;
                }
                if (ret != -ENOENT)
                        return ret;
        }
        target_sec = sym.st_shndx < SHN_LORESERVE ? code_sec_of(l->r, sym.st_shndx) : NULL;
        if (insn_is_lddw(insn) && target_sec) {
                /*
                 * The address of a function (a callback, as for bpf_loop): like
                 * libbpf, a code_addr (src 4) relative to this instruction. The
                 * relocation's addend in imm is in bytes.
                 */
                int64_t t = ((int64_t)sym.st_value + insn->imm) / 8;
                target = t < 0 ? -1 : chunk_target(l, target_sec, (size_t)t);
                if (target == -2)
                        return fail(l->r, ENOMEM, "out of memory");
                if (target < 0 || o + 1 >= l->out_len)
                        return link_error(l, o, "function address outside every function");
                insn = &l->p->insns[o];
                insn->src = BPFAOT_LDDW_CODE_ADDR;
                insn->imm = (int32_t)(target - (long)o - 1);
                l->p->insns[o + 1].imm = 0;
                return 0;
        }
        if (call && target_sec) {
                /* A bpf-to-bpf call into another section: the target is sym + imm + 1 slots. */
                long t = (long)(sym.st_value / 8) + insn->imm + 1;
                target = t < 0 ? -1 : chunk_target(l, target_sec, (size_t)t);
                if (target == -2)
                        return fail(l->r, ENOMEM, "out of memory");
                if (target < 0)
                        return link_error(l, o, "call target is outside every function");
                insn = &l->p->insns[o];
                insn->src = BPFAOT_CALL_LOCAL;
                insn->imm = (int32_t)(target - (long)o - 1);
                return 0;
        }
        if (insn_is_lddw(insn) && sym.st_shndx < SHN_LORESERVE) {
                long d = data_index(l->r, sym.st_shndx);
                if (d >= 0) {
                        /* Global data: section + symbol value + the addend clang puts in imm. */
                        int64_t off = (int64_t)sym.st_value + insn->imm;
                        int ret;
                        if (off < 0 || (uint64_t)off > l->r->out->data[d].size)
                                return link_error(l, o, "global data offset outside its section");
                        ret = add_reloc(l, o, &sym, "global data", BPFAOT_RELOC_DATA);
                        if (!ret) {
                                l->p->relocs[l->p->reloc_cnt - 1].data_sec = (size_t)d;
                                l->p->relocs[l->p->reloc_cnt - 1].offset = (uint64_t)off;
                        }
                        return ret;
                }
        }
        if (insn_is_lddw(insn) && sym.st_shndx < SHN_LORESERVE) {
                const char *sec = section_name(l->r, sym.st_shndx);
                if (sec && (is_btf_maps_section(sec) || is_legacy_maps_section(sec))) {
                        long m = map_index(
                            l->r, elf_strptr(l->r->elf, l->r->symtab_sh.sh_link, sym.st_name));
                        int ret;
                        if (m < 0)
                                return add_reloc(l, o, &sym, "map", BPFAOT_RELOC_UNRESOLVED);
                        ret = add_reloc(l, o, &sym, "map", BPFAOT_RELOC_MAP);
                        if (!ret)
                                l->p->relocs[l->p->reloc_cnt - 1].data_sec = (size_t)m;
                        return ret;
                }
        }
        return add_reloc(l, o, &sym, reloc_what(l->r, insn, &sym), BPFAOT_RELOC_UNRESOLVED);
}

/* Where each linked function starts, for messages. */
static int keep_funcs(struct linker *l)
{
        struct bpfaot_elf_prog *p = l->p;

        p->funcs = calloc(l->nchunks, sizeof(*p->funcs));
        if (!p->funcs)
                return fail(l->r, ENOMEM, "out of memory");
        p->func_cnt = l->nchunks;
        for (size_t k = 0; k < l->nchunks; k++) {
                const struct func *f = func_at(l->chunks[k].cs, l->chunks[k].start);

                p->funcs[k].start = l->chunks[k].out;
                p->funcs[k].name = strdup(f && f->name ? f->name : "?");
                if (!p->funcs[k].name)
                        return fail(l->r, ENOMEM, "out of memory");
        }
        return 0;
}

static int link_prog(struct elf_reader *r, const struct code_sec *cs, const struct func *f)
{
        struct bpfaot_elf *e = r->out;
        struct bpfaot_elf_prog *p = realloc(e->progs, (e->prog_cnt + 1) * sizeof(*p));
        struct linker l = {.r = r};
        size_t cap = 0;
        int ret = 0;

        if (!p)
                return fail(r, ENOMEM, "out of memory");
        e->progs = p;
        p = &e->progs[e->prog_cnt++];
        memset(p, 0, sizeof(*p));
        l.p = p;
        /* Its name becomes a native symbol and an output file name. */
        if (!subprog_symbol_name_ok(f->name))
                return bpfaot_error_set(r->err, EINVAL,
                                        "%s: program in section %s: name '%.64s' is not a valid "
                                        "symbol name",
                                        r->input, cs->name, f->name);
        p->name = strdup(f->name);
        p->section = strdup(cs->name);
        if (!p->name || !p->section || chunk_target(&l, cs, f->start) < 0)
                return fail(r, ENOMEM, "out of memory");
        for (size_t k = 0; k < l.nchunks && !ret; k++) {
                struct chunk c = l.chunks[k];
                if (l.out_len > cap) {
                        size_t ncap = l.out_len * 2;
                        struct bpfaot_insn *n = realloc(p->insns, ncap * sizeof(*n));
                        if (!n) {
                                ret = fail(r, ENOMEM, "out of memory");
                                break;
                        }
                        p->insns = n;
                        cap = ncap;
                }
                memcpy(&p->insns[c.out], &c.cs->insns[c.start], c.len * sizeof(*p->insns));
                p->insn_cnt = c.out + c.len;
                for (size_t i = 0; i < c.len && !ret; i++) {
                        ret = link_insn(&l, &c, c.start + i, c.out + i);
                        if (insn_is_lddw(&c.cs->insns[c.start + i]))
                                i++;
                }
        }
        p->insn_cnt = l.out_len;
        if (!ret)
                ret = keep_funcs(&l);
        if (!ret && p->reloc_cnt > 1)
                qsort(p->relocs, p->reloc_cnt, sizeof(*p->relocs), cmp_reloc);
        free(l.chunks);
        return ret;
}

/* Mark the functions of `cs` that calls inside `cs` target. */
static int mark_called(struct elf_reader *r, const struct code_sec *cs, bool *called)
{
        for (size_t i = 0; i < cs->cnt; i++) {
                const struct bpfaot_insn *insn = &cs->insns[i];
                const struct sec_rel *sr;
                const struct func *f;
                long t;

                if (insn_is_lddw(insn)) {
                        i++;
                        continue;
                }
                if (insn->opcode != (BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL) ||
                    insn->src != BPFAOT_CALL_LOCAL)
                        continue;
                sr = rel_at(cs, i);
                t = (long)i + 1 + insn->imm;
                if (sr) {
                        GElf_Sym sym;
                        if (!gelf_getsym(r->syms, (int)sr->sym, &sym))
                                return fail(r, EINVAL, "malformed symbol table");
                        if (sym.st_shndx != cs->shndx)
                                continue;
                        t = (long)(sym.st_value / 8) + insn->imm + 1;
                }
                f = t >= 0 ? func_at(cs, (size_t)t) : NULL;
                if (f)
                        called[f - cs->funcs] = true;
        }
        return 0;
}

/*
 * Programs: the functions of executable sections other than .text (whose
 * functions are sub-programs). A static function that other code of its
 * section calls is a sub-program too; one nothing calls is a program, as in
 * objects that declare their programs static.
 */
static int link_progs(struct elf_reader *r)
{
        for (size_t s = 0; s < r->nsecs; s++) {
                const struct code_sec *cs = &r->secs[s];
                bool *called;
                int ret;

                if (strcmp(cs->name, ".text") == 0)
                        continue;
                called = calloc(cs->nfuncs ? cs->nfuncs : 1, sizeof(*called));
                if (!called)
                        return fail(r, ENOMEM, "out of memory");
                ret = mark_called(r, cs, called);
                for (size_t k = 0; k < cs->nfuncs && !ret; k++)
                        if (cs->funcs[k].global || !called[k])
                                ret = link_prog(r, cs, &cs->funcs[k]);
                free(called);
                if (ret)
                        return ret;
        }
        return 0;
}

static void free_code_sections(struct elf_reader *r)
{
        for (size_t s = 0; s < r->nsecs; s++) {
                free(r->secs[s].insns);
                free(r->secs[s].funcs);
                free(r->secs[s].rels);
        }
        free(r->secs);
}

const char *bpfaot_core_relo_kind_name(uint32_t kind)
{
        static const char *const names[] = {
            "field_byte_offset", "field_byte_size",  "field_exists",   "field_signed",
            "field_lshift_u64",  "field_rshift_u64", "type_id_local",  "type_id_target",
            "type_exists",       "type_size",        "enumval_exists", "enumval_value",
            "type_matches",
        };
        return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

/*
 * The CO-RE records of .BTF.ext: header, then a core_relo subsection made
 * of a record size and, per section, {name offset, count, records}. Every
 * offset is checked: a malformed .BTF.ext only loses the listing.
 */
static int read_core_relos(struct elf_reader *r, const uint8_t *p, size_t len)
{
        struct bpfaot_elf *e = r->out;
        const struct btf *btf = e->btf;
        uint32_t hdr_len, off, size, rec_size;
        size_t at, end;

        if (!btf || len < 32 || p[0] != 0x9f || p[1] != 0xeb)
                return 0;
        memcpy(&hdr_len, p + 4, 4);
        if (hdr_len < 32 || hdr_len > len)
                return 0; /* no core_relo fields in this header */
        memcpy(&off, p + 24, 4);
        memcpy(&size, p + 28, 4);
        at = (size_t)hdr_len + off;
        if (size < 4 || at > len || size > len - at)
                return 0;
        end = at + size;
        memcpy(&rec_size, p + at, 4);
        at += 4;
        if (rec_size < 16)
                return 0;
        while (end - at >= 8) {
                uint32_t sec_off, cnt;
                const char *sec;

                memcpy(&sec_off, p + at, 4);
                memcpy(&cnt, p + at + 4, 4);
                at += 8;
                if ((uint64_t)cnt * rec_size > end - at)
                        return 0;
                sec = btf__name_by_offset(btf, sec_off);
                for (uint32_t i = 0; i < cnt; i++, at += rec_size) {
                        uint32_t f[4]; /* insn_off, type_id, access_str_off, kind */
                        const struct btf_type *t;
                        struct bpfaot_core_relo *c;

                        memcpy(f, p + at, sizeof(f));
                        t = btf__type_by_id(btf, f[1]);
                        c = realloc(e->core_relos, (e->core_relo_cnt + 1) * sizeof(*c));
                        if (!c)
                                return fail(r, ENOMEM, "out of memory");
                        e->core_relos = c;
                        c = &c[e->core_relo_cnt++];
                        c->section = keep_name(r, sec ? sec : "?");
                        c->insn = f[0] / 8;
                        c->kind = f[3];
                        c->type_name =
                            keep_name(r, t ? btf__name_by_offset(btf, t->name_off) ?: "" : "?");
                        c->access = keep_name(r, btf__name_by_offset(btf, f[2]) ?: "?");
                        if (!c->section || !c->type_name || !c->access)
                                return fail(r, ENOMEM, "out of memory");
                }
        }
        return 0;
}

/* The bytes of the section called `name`, or NULL (missing, or NOBITS: no bytes). */
static Elf_Data *section_bytes(struct elf_reader *r, const char *name)
{
        Elf_Scn *scn = NULL;
        GElf_Shdr sh;

        while ((scn = elf_nextscn(r->elf, scn)) != NULL) {
                const char *n;
                Elf_Data *data;

                if (!gelf_getshdr(scn, &sh))
                        return NULL;
                n = elf_strptr(r->elf, r->shstrndx, sh.sh_name);
                if (!n || strcmp(n, name) != 0)
                        continue;
                data = elf_getdata(scn, NULL);
                return data && data->d_buf && data->d_size ? data : NULL;
        }
        return NULL;
}

static void read_btf(struct elf_reader *r)
{
        Elf_Data *data = section_bytes(r, ".BTF");

        /* A broken .BTF only loses names and types: not fatal (libbpf 1.x returns NULL). */
        if (data)
                r->out->btf = btf__new(data->d_buf, data->d_size);
}

static int read_btf_ext(struct elf_reader *r)
{
        Elf_Data *data = section_bytes(r, ".BTF.ext");

        return data ? read_core_relos(r, data->d_buf, data->d_size) : 0;
}

/* ------------------------------------------------------------------ */
/* Initial contents of PROG_ARRAYs and maps of maps                     */
/* ------------------------------------------------------------------ */

static int cmp_init(const void *a, const void *b)
{
        const struct bpfaot_map_init *x = a, *y = b;
        return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static bool is_program(const struct elf_reader *r, const char *name)
{
        for (size_t i = 0; i < r->out->prog_cnt; i++)
                if (strcmp(r->out->progs[i].name, name) == 0)
                        return true;
        return false;
}

/* One relocation of .maps: `.values = { [slot] = &sym }` of the map whose bytes hold it. */
static int add_map_init(struct elf_reader *r, const GElf_Rel *rel)
{
        const struct btf_map_pos *pos = NULL;
        struct bpfaot_map_desc *m;
        struct bpfaot_map_init init, *grown;
        const char *name;
        GElf_Sym sym;
        char msg[320];
        long inner;

        for (size_t i = 0; i < r->n_btf_maps && !pos; i++)
                if (rel->r_offset >= r->btf_maps[i].off &&
                    rel->r_offset - r->btf_maps[i].off < r->btf_maps[i].size)
                        pos = &r->btf_maps[i];
        if (GELF_R_SYM(rel->r_info) == 0 || GELF_R_SYM(rel->r_info) >= r->sym_cnt ||
            !gelf_getsym(r->syms, (int)GELF_R_SYM(rel->r_info), &sym) ||
            !(name = elf_strptr(r->elf, r->symtab_sh.sh_link, sym.st_name)))
                return fail(r, EINVAL, ".maps relocation names a symbol that does not exist");
        if (!pos)
                return fail(r, EINVAL, ".maps relocation outside every map definition");
        m = &r->out->maps[pos->map];
        if (pos->values_off == UINT64_MAX || rel->r_offset - pos->off < pos->values_off ||
            (rel->r_offset - pos->off - pos->values_off) % 8) {
                snprintf(msg, sizeof(msg), "map '%s': relocation against '%s' is not in 'values'",
                         m->name, name);
                return fail(r, EINVAL, msg);
        }
        init = (struct bpfaot_map_init){
            .slot = (uint32_t)((rel->r_offset - pos->off - pos->values_off) / 8)};
        if (init.slot >= m->max_entries) {
                snprintf(msg, sizeof(msg), "map '%s': slot %u of 'values' is past max_entries %u",
                         m->name, init.slot, m->max_entries);
                return fail(r, EINVAL, msg);
        }
        if (m->type == BPF_MAP_TYPE_PROG_ARRAY) {
                if (!is_program(r, name)) {
                        snprintf(msg, sizeof(msg),
                                 "map '%s': slot %u names '%s', which is not a program", m->name,
                                 init.slot, name);
                        return fail(r, EINVAL, msg);
                }
                if (!(init.prog = keep_name(r, name)))
                        return fail(r, ENOMEM, "out of memory");
        } else {
                inner = map_index(r, name);
                if (inner < 0 || (size_t)inner == pos->map) {
                        snprintf(msg, sizeof(msg),
                                 "map '%s': slot %u names '%s', which is not another map", m->name,
                                 init.slot, name);
                        return fail(r, EINVAL, msg);
                }
                init.map = (uint32_t)inner;
        }
        grown = realloc(m->inits, (m->init_cnt + 1) * sizeof(*grown));
        if (!grown)
                return fail(r, ENOMEM, "out of memory");
        m->inits = grown;
        m->inits[m->init_cnt++] = init;
        return 0;
}

static int read_map_inits(struct elf_reader *r)
{
        Elf_Scn *scn = NULL;
        GElf_Shdr sh;
        const char *target;

        while ((scn = elf_nextscn(r->elf, scn)) != NULL) {
                Elf_Data *data;

                if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL)
                        continue;
                target = section_name(r, sh.sh_info);
                if (!target || !is_btf_maps_section(target))
                        continue;
                data = elf_getdata(scn, NULL);
                if (!data || sh.sh_entsize == 0 || sh.sh_size > data->d_size)
                        return fail(r, EINVAL, "malformed relocation section for .maps");
                for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
                        GElf_Rel rel;
                        int ret;

                        if (!gelf_getrel(data, (int)i, &rel))
                                return fail(r, EINVAL, "malformed relocation entry");
                        ret = add_map_init(r, &rel);
                        if (ret)
                                return ret;
                }
        }
        for (size_t i = 0; i < r->out->map_cnt; i++) {
                struct bpfaot_map_desc *m = &r->out->maps[i];
                if (m->init_cnt > 1)
                        qsort(m->inits, m->init_cnt, sizeof(*m->inits), cmp_init);
                for (size_t k = 1; k < m->init_cnt; k++)
                        if (m->inits[k].slot == m->inits[k - 1].slot) {
                                char msg[256];
                                snprintf(msg, sizeof(msg), "map '%s': slot %u is set twice",
                                         m->name, m->inits[k].slot);
                                return fail(r, EINVAL, msg);
                        }
        }
        return 0;
}

/* The front end's passes, in order; each may use what the earlier ones read. */
static int (*const passes[])(struct elf_reader *r) = {
    read_btf_ext,  read_code_sections, read_data_sections, read_data_vars,
    read_btf_maps, read_legacy_maps,   read_funcs,         read_rels,
    link_progs,    finish_kconfig,     read_map_inits,
};

int bpfaot_elf__open_mem(const void *data, size_t len, const char *input_name,
                         struct bpfaot_elf **out, struct bpfaot_error *err)
{
        return bpfaot_elf__open_mem_opts(data, len, input_name, NULL, out, err);
}

int bpfaot_elf__open_mem_opts(const void *data, size_t len, const char *input_name,
                              const struct bpfaot_elf_opts *opts, struct bpfaot_elf **out,
                              struct bpfaot_error *err)
{
        struct elf_reader r = {
            .input = input_name ? input_name : "<input>", .err = err, .kconfig_sec = -1};
        struct bpfaot_elf_opts o = {0};
        GElf_Ehdr eh;
        int ret;

        if (opts)
                memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
        r.kconfig_file = o.kconfig;
        *out = NULL;
        ret = object_open(data, len, r.input, &r.elf, err);
        if (ret)
                return ret;
        gelf_getehdr(r.elf, &eh);
        if (eh.e_machine != EM_BPF) {
                ret = bpfaot_error_set(err, EINVAL,
                                       "%s: not an eBPF object (ELF machine %u, expected %u)",
                                       r.input, eh.e_machine, EM_BPF);
                goto out;
        }
        if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
                ret = fail(&r, EINVAL, "only 64-bit little-endian eBPF objects are supported");
                goto out;
        }
        if (elf_getshdrstrndx(r.elf, &r.shstrndx)) {
                ret = fail(&r, EINVAL, "malformed section header string table");
                goto out;
        }
        r.out = calloc(1, sizeof(*r.out));
        if (!r.out || !(r.out->input = strdup(r.input)) ||
            !(r.out->symbol_prefix = symbol_prefix(r.input))) {
                ret = fail(&r, ENOMEM, "out of memory");
                goto out;
        }
        while ((r.symtab = elf_nextscn(r.elf, r.symtab)) != NULL)
                if (gelf_getshdr(r.symtab, &r.symtab_sh) && r.symtab_sh.sh_type == SHT_SYMTAB)
                        break;
        if (!r.symtab) {
                ret = fail(&r, EINVAL, "no symbol table");
                goto out;
        }
        r.syms = elf_getdata(r.symtab, NULL);
        if (!r.syms || r.symtab_sh.sh_entsize == 0 ||
            r.symtab_sh.sh_size / r.symtab_sh.sh_entsize * r.symtab_sh.sh_entsize >
                r.syms->d_size) {
                ret = fail(&r, EINVAL, "malformed symbol table");
                goto out;
        }
        r.sym_cnt = r.symtab_sh.sh_size / r.symtab_sh.sh_entsize;
        read_btf(&r);
        for (size_t i = 0; i < sizeof(passes) / sizeof(passes[0]) && !ret; i++)
                ret = passes[i](&r);
        if (!ret && r.out->prog_cnt == 0)
                ret = fail(&r, ENOENT, "no programs (no functions in executable sections)");
out:
        free_code_sections(&r);
        free(r.data_shndx);
        free(r.btf_maps);
        free(r.kc_names);
        free(r.kc_offs);
        free(r.kc_bytes);
        kconfig_free(r.kconfig);
        elf_end(r.elf);
        if (ret) {
                bpfaot_elf__free(r.out);
                return ret;
        }
        *out = r.out;
        return 0;
}

void bpfaot_elf__free(struct bpfaot_elf *elf)
{
        if (!elf)
                return;
        for (size_t i = 0; i < elf->prog_cnt; i++) {
                free(elf->progs[i].name);
                free(elf->progs[i].section);
                free(elf->progs[i].insns);
                free(elf->progs[i].relocs);
                for (size_t k = 0; k < elf->progs[i].func_cnt; k++)
                        free(elf->progs[i].funcs[k].name);
                free(elf->progs[i].funcs);
        }
        for (size_t i = 0; i < elf->data_cnt; i++) {
                free(elf->data[i].vars);
                free((uint8_t *)elf->data[i].bytes);
                free((char *)elf->data[i].symbol);
        }
        free(elf->data);
        for (size_t i = 0; i < elf->map_cnt; i++) {
                free(elf->maps[i].inner);
                free(elf->maps[i].inits);
        }
        free(elf->maps);
        free(elf->core_relos);
        free(elf->symbol_prefix);
        for (size_t i = 0; i < elf->name_cnt; i++)
                free(elf->names[i]);
        free(elf->names);
        free(elf->progs);
        btf__free(elf->btf);
        free(elf->input);
        free(elf);
}

void bpfaot_elf__prog(const struct bpfaot_elf *elf, size_t idx, struct bpfaot_prog *prog)
{
        const struct bpfaot_elf_prog *p = &elf->progs[idx];

        memset(prog, 0, sizeof(*prog));
        prog->input = elf->input;
        prog->name = p->name;
        prog->section = p->section;
        prog->insns = p->insns;
        prog->insn_cnt = p->insn_cnt;
        prog->relocs = p->relocs;
        prog->reloc_cnt = p->reloc_cnt;
        prog->btf = elf->btf;
        prog->data = elf->data;
        prog->data_cnt = elf->data_cnt;
        prog->maps = elf->maps;
        prog->map_cnt = elf->map_cnt;
        prog->symbol_prefix = elf->symbol_prefix;
        prog->funcs = p->funcs;
        prog->func_cnt = p->func_cnt;
}
