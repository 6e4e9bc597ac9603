/* SPDX-License-Identifier: MIT */
/* BTF (.BTF, through libbpf's btf API) and the CO-RE records of .BTF.ext. */
#include "elf_internal.h"

#include <bpf/btf.h>
#include <stdlib.h>
#include <string.h>

int elf_read_btf(struct elf_reader *r)
{
        Elf_Data *data = elf_section_bytes(r, ".BTF");

        /* A broken .BTF only loses names and types: not fatal (libbpf 1.x returns NULL). */
        if (data)
                r->out->btf = btf__new(data->d_buf, data->d_size);
        return 0;
}

uint32_t elf_btf_var_type(const struct btf *btf, const char *sec, const char *name)
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

const struct btf_type *elf_btf_skip_mods(const struct btf *btf, uint32_t id)
{
        const struct btf_type *t = btf__type_by_id(btf, id);

        while (t && (btf_is_mod(t) || btf_is_typedef(t)))
                t = btf__type_by_id(btf, t->type);
        return t;
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

/* One record: {insn_off, type_id, access_str_off, kind}, kept by name. */
static int add_core_relo(struct elf_reader *r, const char *sec, const uint32_t f[4])
{
        const struct btf *btf = r->out->btf;
        const struct btf_type *t = btf__type_by_id(btf, f[1]);
        struct bpfaot_core_relo *c = ARRAY_ADD(r->out->core_relos, r->out->core_relo_cnt);

        if (!c)
                return elf_nomem(r);
        c->section = elf_keep(r, sec ? sec : "?");
        c->insn = f[0] / 8;
        c->kind = f[3];
        c->type_name = elf_keep(r, t ? btf__name_by_offset(btf, t->name_off) ?: "" : "?");
        c->access = elf_keep(r, btf__name_by_offset(btf, f[2]) ?: "?");
        return c->section && c->type_name && c->access ? 0 : elf_nomem(r);
}

/*
 * A subsection of .BTF.ext: its header names it by the offset and length
 * fields at `field` (func_info 8, line_info 16, core_relo 24). Sets [*at,
 * *end) to the subsection after its record size, and *rec_size; false when
 * the header has no such fields or they point outside the section. Every
 * offset is checked: a malformed .BTF.ext only loses what it would give.
 */
static bool ext_subsection(const uint8_t *p, size_t len, size_t field, size_t *at, size_t *end,
                           uint32_t *rec_size)
{
        uint32_t hdr_len, off, size;

        if (len < field + 8 || p[0] != 0x9f || p[1] != 0xeb)
                return false;
        memcpy(&hdr_len, p + 4, 4);
        if (hdr_len < field + 8 || hdr_len > len)
                return false;
        memcpy(&off, p + field, 4);
        memcpy(&size, p + field + 4, 4);
        *at = (size_t)hdr_len + off;
        if (size < 4 || *at > len || size > len - *at)
                return false;
        *end = *at + size;
        memcpy(rec_size, p + *at, 4);
        *at += 4;
        return true;
}

/*
 * Each 16-byte record of the .BTF.ext subsection whose header fields are at
 * `field`: the subsection is a record size and, per section, {name offset,
 * count, records}; add(r, section name or NULL, record) for each record.
 * The walk stops at a count that overruns the subsection.
 */
static int each_ext_record(struct elf_reader *r, const uint8_t *p, size_t len, size_t field,
                           int (*add)(struct elf_reader *r, const char *sec, const uint32_t f[4]))
{
        uint32_t rec_size;
        size_t at, end;

        if (!r->out->btf || !ext_subsection(p, len, field, &at, &end, &rec_size) || rec_size < 16)
                return 0;
        while (end - at >= 8) {
                uint32_t sec_off, cnt;
                const char *sec;

                memcpy(&sec_off, p + at, 4);
                memcpy(&cnt, p + at + 4, 4);
                at += 8;
                if ((uint64_t)cnt * rec_size > end - at)
                        break;
                sec = btf__name_by_offset(r->out->btf, sec_off);
                for (uint32_t i = 0; i < cnt; i++, at += rec_size) {
                        uint32_t f[4];
                        int ret;

                        memcpy(f, p + at, sizeof(f));
                        ret = add(r, sec, f);
                        if (ret)
                                return ret;
                }
        }
        return 0;
}

/* The CO-RE records: the core_relo subsection (header fields at 24). */
static int read_core_relos(struct elf_reader *r, const uint8_t *p, size_t len)
{
        return each_ext_record(r, p, len, 24, add_core_relo);
}

int elf_read_core_relos(struct elf_reader *r)
{
        Elf_Data *data = elf_section_bytes(r, ".BTF.ext");

        return data ? read_core_relos(r, data->d_buf, data->d_size) : 0;
}

/* One record: {insn_off (bytes), file_name_off, line_off, line_col (line << 10 | col)}. */
static int add_line(struct elf_reader *r, const char *sec, const uint32_t f[4])
{
        const struct btf *btf = r->out->btf;
        const char *file = btf__name_by_offset(btf, f[1]);
        struct elf_line *l;

        if (!sec || !file || !*file || f[0] % 8)
                return 0; /* names nothing a debugger could show */
        l = ARRAY_ADD(r->lines, r->line_cnt);
        if (!l)
                return elf_nomem(r);
        /* The strings live in the object's BTF, as long as the object. */
        *l = (struct elf_line){.section = sec,
                               .insn = f[0] / 8,
                               .file = file,
                               .text = btf__name_by_offset(btf, f[2]) ?: "",
                               .line = f[3] >> 10,
                               .col = f[3] & 0x3ff};
        return 0;
}

static int cmp_line(const void *a, const void *b)
{
        const struct elf_line *x = a, *y = b;
        int c = strcmp(x->section, y->section);

        return c ? c : x->insn < y->insn ? -1 : x->insn > y->insn;
}

/* The line_info subsection (header fields at 16), sorted by section and instruction. */
static int read_line_info(struct elf_reader *r, const uint8_t *p, size_t len)
{
        int ret = each_ext_record(r, p, len, 16, add_line);

        if (!ret && r->line_cnt > 1)
                qsort(r->lines, r->line_cnt, sizeof(*r->lines), cmp_line);
        return ret;
}

int elf_read_line_info(struct elf_reader *r)
{
        Elf_Data *data = elf_section_bytes(r, ".BTF.ext");

        return data ? read_line_info(r, data->d_buf, data->d_size) : 0;
}
