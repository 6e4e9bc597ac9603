/* SPDX-License-Identifier: MIT */
/*
 * Maps: BTF-defined (.maps, described by their struct types), legacy
 * (struct bpf_map_def in "maps" sections), and the initial contents of
 * PROG_ARRAYs and maps of maps (`.values = { [1] = &prog }`).
 */
#include "elf_internal.h"

#include <bpf/btf.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

long elf_map_index(const struct elf_reader *r, const char *name)
{
        for (size_t i = 0; name && i < r->out->map_cnt; i++)
                if (strcmp(r->out->maps[i].name, name) == 0)
                        return (long)i;
        return -1;
}

/* Append `desc` to out->maps, which then owns desc->inner. */
static int add_map(struct elf_reader *r, const struct bpfaot_map_desc *desc)
{
        struct bpfaot_map_desc *m = ARRAY_ADD(r->out->maps, r->out->map_cnt);

        if (!m) {
                free(desc->inner);
                return elf_nomem(r);
        }
        *m = *desc;
        m->name = elf_keep(r, desc->name);
        return m->name ? 0 : elf_nomem(r);
}

/* ------------------------------------------------------------------ */
/* BTF-defined maps                                                    */
/* ------------------------------------------------------------------ */

/* __uint(name, N) is `int (*name)[N]`: the number is the array's length. */
static bool btf_map_uint(const struct btf *btf, const struct btf_member *m, uint32_t *out)
{
        const struct btf_type *t = elf_btf_skip_mods(btf, m->type), *arr;

        if (!t || !btf_is_ptr(t))
                return false;
        arr = elf_btf_skip_mods(btf, t->type);
        if (!arr || !btf_is_array(arr))
                return false;
        *out = btf_array(arr)->nelems;
        return true;
}

/* __type(name, T) is `T *name`: the size of T. */
static bool btf_map_size(const struct btf *btf, const struct btf_member *m, uint32_t *out)
{
        const struct btf_type *t = elf_btf_skip_mods(btf, m->type);
        __s64 size;

        if (!t || !btf_is_ptr(t))
                return false;
        size = btf__resolve_size(btf, t->type);
        if (size < 0 || size > UINT32_MAX)
                return false;
        *out = (uint32_t)size;
        return true;
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
        const struct btf_type *arr = elf_btf_skip_mods(btf, m->type), *ptr, *elem;
        struct bpfaot_map_desc inner = {0};
        int ret;

        ptr = arr && btf_is_array(arr) ? elf_btf_skip_mods(btf, btf_array(arr)->type) : NULL;
        elem = ptr && btf_is_ptr(ptr) ? elf_btf_skip_mods(btf, ptr->type) : NULL;
        if (!elem || !(btf_is_func_proto(elem) || btf_is_struct(elem)))
                return elf_fail(r, EINVAL, "map '%s': malformed field 'values'", name);
        desc->value_size = 4;
        if (!desc->key_size)
                desc->key_size = 4;
        if (btf_is_func_proto(elem))
                return 0;
        if (depth > 0)
                return elf_fail(r, EINVAL, "map '%s': maps of maps nest only one level", name);
        ret = parse_map_struct(r, elem, name, depth + 1, &inner, NULL);
        if (ret)
                return ret;
        desc->inner = malloc(sizeof(*desc->inner));
        if (!desc->inner)
                return elf_nomem(r);
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
    {"map_extra", false, offsetof(struct bpfaot_map_desc, map_extra)},
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
                if (!ok)
                        return elf_fail(r, EINVAL, "map '%s': malformed field '%s'", name, field);
        }
        if (values_off)
                *values_off =
                    values ? btf_member_bit_offset(def, (__u32)(values - btf_members(def))) / 8
                           : UINT64_MAX;
        if (!values)
                return 0;
        if (desc->type != BPF_MAP_TYPE_PROG_ARRAY && !is_map_of_maps(desc->type))
                return elf_fail(r, EINVAL,
                                "map '%s': 'values' needs a PROG_ARRAY or a map of maps, not map "
                                "type %u",
                                name, desc->type);
        return parse_values(r, values, name, depth, desc);
}

/*
 * The symbol `name` of a .maps section: compilers leave the BTF DATASEC
 * offsets 0 (libbpf fixes them up from the symbols), so the symbol table is
 * the truth.
 */
static const struct elf_sym *maps_symbol(const struct elf_reader *r, const char *name)
{
        elf_for_each_sym(s, r)
        {
                if (s->type != STT_SECTION && s->name && strcmp(s->name, name) == 0 &&
                    elf_section_kind(s->section) == ELF_SEC_BTF_MAPS)
                        return s;
        }
        return NULL;
}

/* Where the map about to be added lies in .maps, for the relocations that fill `values`. */
static int add_btf_map_pos(struct elf_reader *r, const char *name, uint64_t values_off)
{
        const struct elf_sym *s = maps_symbol(r, name);
        struct elf_btf_map *pos;

        if (!s)
                return elf_fail(r, EINVAL, "map '%s': no symbol in .maps", name);
        pos = ARRAY_ADD(r->btf_maps, r->btf_map_cnt);
        if (!pos)
                return elf_nomem(r);
        pos->map = r->out->map_cnt;
        pos->off = s->value;
        pos->size = s->size;
        pos->values_off = values_off;
        return 0;
}

/* One variable of .maps, described by its struct type. */
static int read_btf_map(struct elf_reader *r, const struct btf_type *var)
{
        const struct btf *btf = r->out->btf;
        const struct btf_type *def = elf_btf_skip_mods(btf, var->type);
        struct bpfaot_map_desc desc = {.name = btf__name_by_offset(btf, var->name_off)};
        uint64_t values_off;
        int ret;

        if (!desc.name || !def || !btf_is_struct(def))
                return elf_fail(r, EINVAL, "map '%s': its BTF type is not a struct",
                                desc.name ? desc.name : "?");
        ret = parse_map_struct(r, def, desc.name, 0, &desc, &values_off);
        if (!ret && values_off != UINT64_MAX)
                ret = add_btf_map_pos(r, desc.name, values_off);
        if (ret) {
                free(desc.inner);
                return ret;
        }
        return add_map(r, &desc);
}

static __s32 btf_maps_datasec(const struct btf *btf)
{
        return btf ? btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC) : -1;
}

bool elf_btf_describes_maps(const struct elf_reader *r)
{
        return btf_maps_datasec(r->out->btf) >= 0;
}

int elf_read_btf_maps(struct elf_reader *r)
{
        const struct btf *btf = r->out->btf;
        const struct btf_var_secinfo *vsi;
        const struct btf_type *sec;
        __s32 id = btf_maps_datasec(btf);

        if (id < 0)
                return 0;
        sec = btf__type_by_id(btf, (__u32)id);
        vsi = btf_var_secinfos(sec);
        for (unsigned i = 0; i < btf_vlen(sec); i++, vsi++) {
                const struct btf_type *var = btf__type_by_id(btf, vsi->type);
                int ret;

                if (!var || !btf_is_var(var))
                        continue;
                ret = read_btf_map(r, var);
                if (ret)
                        return ret;
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* Legacy maps                                                         */
/* ------------------------------------------------------------------ */

/* Each symbol of a "maps" section is a struct bpf_map_def (5 u32s, or more). */
int elf_read_legacy_maps(struct elf_reader *r)
{
        elf_for_each_sym(s, r)
        {
                struct bpfaot_map_desc desc = {.legacy = true, .name = s->name};
                uint32_t f[5] = {0};
                Elf_Data *data;
                int ret;

                if (s->type == STT_SECTION || elf_section_kind(s->section) != ELF_SEC_LEGACY_MAPS)
                        continue;
                data = elf_getdata(r->secs[s->shndx].scn, NULL);
                if (!s->name || !*s->name || !data || !data->d_buf || s->value > data->d_size ||
                    data->d_size - s->value < sizeof(f))
                        return elf_fail(
                            r, EINVAL,
                            "legacy map '%s' in section %s: definition outside the section",
                            s->name ? s->name : "?", s->section);
                memcpy(f, (const uint8_t *)data->d_buf + s->value, sizeof(f));
                desc.type = f[0];
                desc.key_size = f[1];
                desc.value_size = f[2];
                desc.max_entries = f[3];
                desc.map_flags = f[4];
                ret = add_map(r, &desc);
                if (ret)
                        return ret;
        }
        return 0;
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

static const struct elf_btf_map *btf_map_at(const struct elf_reader *r, uint64_t off)
{
        for (size_t i = 0; i < r->btf_map_cnt; i++)
                if (off >= r->btf_maps[i].off && off - r->btf_maps[i].off < r->btf_maps[i].size)
                        return &r->btf_maps[i];
        return NULL;
}

/* Slot `init->slot` of `m` holds `name`: a program, or another map. */
static int fill_slot(struct elf_reader *r, const struct elf_btf_map *pos, const char *name,
                     struct bpfaot_map_init *init)
{
        const struct bpfaot_map_desc *m = &r->out->maps[pos->map];
        long inner;

        if (m->type == BPF_MAP_TYPE_PROG_ARRAY) {
                if (!is_program(r, name))
                        return elf_fail(r, EINVAL,
                                        "map '%s': slot %u names '%s', which is not a program",
                                        m->name, init->slot, name);
                init->prog = elf_keep(r, name);
                return init->prog ? 0 : elf_nomem(r);
        }
        inner = elf_map_index(r, name);
        if (inner < 0 || (size_t)inner == pos->map)
                return elf_fail(r, EINVAL, "map '%s': slot %u names '%s', which is not another map",
                                m->name, init->slot, name);
        init->map = (uint32_t)inner;
        return 0;
}

/* One relocation of .maps: `.values = { [slot] = &sym }` of the map whose bytes hold it. */
static int add_map_init(struct elf_reader *r, const GElf_Rel *rel)
{
        const struct elf_btf_map *pos = btf_map_at(r, rel->r_offset);
        const struct elf_sym *sym = elf_sym_at(r, GELF_R_SYM(rel->r_info));
        struct bpfaot_map_desc *m;
        struct bpfaot_map_init init, *slot;
        int ret;

        if (!sym || !sym->name)
                return elf_fail(r, EINVAL, ".maps relocation names a symbol that does not exist");
        if (!pos)
                return elf_fail(r, EINVAL, ".maps relocation outside every map definition");
        m = &r->out->maps[pos->map];
        if (rel->r_offset - pos->off < pos->values_off ||
            (rel->r_offset - pos->off - pos->values_off) % 8)
                return elf_fail(r, EINVAL, "map '%s': relocation against '%s' is not in 'values'",
                                m->name, sym->name);
        init = (struct bpfaot_map_init){
            .slot = (uint32_t)((rel->r_offset - pos->off - pos->values_off) / 8)};
        if (init.slot >= m->max_entries)
                return elf_fail(r, EINVAL, "map '%s': slot %u of 'values' is past max_entries %u",
                                m->name, init.slot, m->max_entries);
        ret = fill_slot(r, pos, sym->name, &init);
        if (ret)
                return ret;
        slot = ARRAY_ADD(m->inits, m->init_cnt);
        if (!slot)
                return elf_nomem(r);
        *slot = init;
        return 0;
}

static int read_map_rels(struct elf_reader *r, const struct elf_section *s)
{
        Elf_Data *data = elf_getdata(s->scn, NULL);

        if (!data || s->sh.sh_entsize == 0 || s->sh.sh_size > data->d_size)
                return elf_fail(r, EINVAL, "malformed relocation section for .maps");
        for (size_t i = 0; i < s->sh.sh_size / s->sh.sh_entsize; i++) {
                GElf_Rel rel;
                int ret;

                if (!gelf_getrel(data, (int)i, &rel))
                        return elf_fail(r, EINVAL, "malformed relocation entry");
                ret = add_map_init(r, &rel);
                if (ret)
                        return ret;
        }
        return 0;
}

/* Sorted by slot, each slot once. */
static int sort_inits(struct elf_reader *r, struct bpfaot_map_desc *m)
{
        if (m->init_cnt > 1)
                qsort(m->inits, m->init_cnt, sizeof(*m->inits), cmp_init);
        for (size_t k = 1; k < m->init_cnt; k++)
                if (m->inits[k].slot == m->inits[k - 1].slot)
                        return elf_fail(r, EINVAL, "map '%s': slot %u is set twice", m->name,
                                        m->inits[k].slot);
        return 0;
}

int elf_read_map_inits(struct elf_reader *r)
{
        int ret = 0;

        for (size_t i = 1; i < r->sec_cnt && !ret; i++)
                if (r->secs[i].sh.sh_type == SHT_REL &&
                    elf_section_kind(elf_section_name(r, r->secs[i].sh.sh_info)) ==
                        ELF_SEC_BTF_MAPS)
                        ret = read_map_rels(r, &r->secs[i]);
        for (size_t i = 0; i < r->out->map_cnt && !ret; i++)
                ret = sort_inits(r, &r->out->maps[i]);
        return ret;
}
