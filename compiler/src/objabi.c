/* SPDX-License-Identifier: MIT */
/*
 * The object ABI on the compiler's side. The LLVM types of the descriptors
 * are made from the field tables of bpfaot/objabi.h, and their constants from
 * C structs of the same types, so the compiler writes what the runtime reads
 * by construction; tests/unit/test_objabi.c compares the two layouts.
 *
 * The maps' definitions are made here once, as C structs: the interpreter's
 * maps are created from them, and the compiler's <obj>__map_defs is their
 * image in the object.
 */
#include "internal.h"
#include "objabi.h"
#include "llvm_compat.h"

#include <ctype.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD(s, f, cls, off) {#f, BPFAOT_ABI_##cls, offsetof(struct s, f)},
#define FIELDS(s, NAME)                                                                            \
        static const struct objabi_field s##_fields[] = {BPFAOT_ABI_##NAME##_FIELDS(FIELD)};
BPFAOT_ABI_STRUCTS(FIELDS)

#define LAYOUT(s, NAME)                                                                            \
        [OBJABI_##NAME] = {#s, s##_fields, sizeof(s##_fields) / sizeof(s##_fields[0]),             \
                           BPFAOT_ABI_##NAME##_SIZE},
static const struct objabi_layout layouts[OBJABI_STRUCT_CNT] = {BPFAOT_ABI_STRUCTS(LAYOUT)};

/* objabi_const() builds its fields in an array of this size. */
#define MAX_FIELDS 16
#define FIELD_CNT_OK(s, NAME)                                                                      \
        _Static_assert(sizeof(s##_fields) / sizeof(s##_fields[0]) <= MAX_FIELDS, #s);
BPFAOT_ABI_STRUCTS(FIELD_CNT_OK)

const struct objabi_layout *objabi_layout(enum objabi_struct s)
{
        return &layouts[s];
}

static LLVMTypeRef class_type(LLVMContextRef ctx, enum bpfaot_abi_class cls)
{
        if (cls == BPFAOT_ABI_U32)
                return LLVMInt32TypeInContext(ctx);
        if (cls == BPFAOT_ABI_U64)
                return LLVMInt64TypeInContext(ctx);
        return compat_ptr_type(ctx, LLVMInt8TypeInContext(ctx));
}

LLVMTypeRef objabi_type(LLVMContextRef ctx, enum objabi_struct s)
{
        const struct objabi_layout *l = &layouts[s];
        LLVMTypeRef fields[MAX_FIELDS], ty;
        char name[64];

        snprintf(name, sizeof(name), "struct.%s", l->name);
        ty = LLVMGetTypeByName2(ctx, name);
        if (ty)
                return ty;
        for (unsigned i = 0; i < l->field_cnt; i++)
                fields[i] = class_type(ctx, l->fields[i].cls);
        ty = LLVMStructCreateNamed(ctx, name);
        LLVMStructSetBody(ty, fields, l->field_cnt, false);
        return ty;
}

LLVMValueRef objabi_const(LLVMContextRef ctx, enum objabi_struct s, const void *c,
                          const LLVMValueRef *ptrs)
{
        const struct objabi_layout *l = &layouts[s];
        LLVMTypeRef ty = objabi_type(ctx, s);
        LLVMValueRef vals[MAX_FIELDS];

        for (unsigned i = 0; i < l->field_cnt; i++) {
                const struct objabi_field *f = &l->fields[i];
                const char *at = (const char *)c + f->offset;
                LLVMTypeRef fty = LLVMStructGetTypeAtIndex(ty, i);
                uint32_t u32;
                uint64_t u64;

                if (f->cls == BPFAOT_ABI_PTR) {
                        vals[i] = ptrs && ptrs[i] ? LLVMConstPointerCast(ptrs[i], fty)
                                                  : LLVMConstNull(fty);
                } else if (f->cls == BPFAOT_ABI_U32) {
                        memcpy(&u32, at, sizeof(u32));
                        vals[i] = LLVMConstInt(fty, u32, false);
                } else {
                        memcpy(&u64, at, sizeof(u64));
                        vals[i] = LLVMConstInt(fty, u64, false);
                }
        }
        return LLVMConstNamedStruct(ty, vals, l->field_cnt);
}

static char *concat(const char *a, const char *b, const char *c)
{
        size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
        char *s = malloc(n);

        if (s)
                snprintf(s, n, "%s%s%s", a, b, c);
        return s;
}

bool objabi_is_identifier(const char *s)
{
        if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '_')
                        return false;
        return true;
}

bool objabi_data_settable(const struct bpfaot_data_sec *d)
{
        /* .kconfig holds the build's kernel config, fixed like the kernel's. */
        if (strcmp(d->name, ".kconfig") == 0)
                return false;
        for (size_t i = 0; d->readonly && i < d->var_cnt; i++)
                if (objabi_is_identifier(d->vars[i].name))
                        return true;
        return false;
}

uint64_t objabi_data_span(const struct bpfaot_data_sec *d, bool whole_object)
{
        if (!whole_object || !objabi_data_settable(d))
                return d->size;
        return (d->size + OBJABI_FREEZE_ALIGN - 1) / OBJABI_FREEZE_ALIGN * OBJABI_FREEZE_ALIGN;
}

/*
 * Each section's alignment in an instance: a cache line, and whole pages
 * for the sections __load() freezes, which then also span whole pages.
 */
static uint64_t instance_align(const struct bpfaot_data_sec *d)
{
        return objabi_data_settable(d) ? OBJABI_FREEZE_ALIGN : 64;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
        return (v + a - 1) / a * a;
}

/*
 * Lay out an instance: the map slots, the writable sections next to them
 * (what programs write sits close to what they read, and not a page
 * multiple away, where it would alias it in the CPU's store buffer), then
 * the frozen ones. Returns the offset of section `k` (data_cnt: the end).
 */
static uint64_t instance_layout(const struct bpfaot_data_sec *data, size_t data_cnt, size_t k,
                                size_t map_cnt)
{
        uint64_t at = map_cnt * sizeof(void *);

        for (int frozen = 0; frozen < 2; frozen++)
                for (size_t i = 0; i < data_cnt; i++) {
                        if (objabi_data_settable(&data[i]) != frozen)
                                continue;
                        at = align_up(at, instance_align(&data[i]));
                        if (i == k)
                                return at;
                        at += objabi_data_span(&data[i], true);
                }
        return at;
}

uint64_t objabi_instance_offset(const struct bpfaot_data_sec *data, size_t data_cnt, size_t k,
                                size_t map_cnt)
{
        return instance_layout(data, data_cnt, k, map_cnt);
}

uint64_t objabi_instance_size(const struct bpfaot_data_sec *data, size_t data_cnt, size_t map_cnt,
                              uint64_t *align)
{
        uint64_t at = instance_layout(data, data_cnt, data_cnt, map_cnt);

        *align = 64;
        for (size_t i = 0; i < data_cnt; i++)
                if (instance_align(&data[i]) > *align)
                        *align = instance_align(&data[i]);
        /* aligned_alloc() takes a multiple of the alignment; never 0. */
        return align_up(at ? at : 1, *align);
}

char *objabi_symbol(const char *prefix, const char *suffix)
{
        return concat(prefix, suffix, "");
}

char *objabi_prog_entry(const char *prefix, const char *prog)
{
        return concat(prefix, BPFAOT_SYM_SEP, prog);
}

/* Slots of a map's initial contents: the last one filled + 1. */
static size_t init_slots(const struct bpfaot_map_desc *m)
{
        return m->init_cnt ? m->inits[m->init_cnt - 1].slot + 1 : 0;
}

/* The map's scalar fields, what its definition is without initial contents. */
static void map_shape(struct bpfaot_map_def *d, const struct bpfaot_map_desc *m)
{
        d->type = m->type;
        d->key_size = m->key_size;
        d->value_size = m->value_size;
        d->max_entries = m->max_entries;
        d->map_flags = m->map_flags;
        d->map_extra = m->map_extra;
}

/*
 * A map of maps: the slots filled with inner maps, as the index + 1 of each
 * in the object's map table (0: empty). A PROG_ARRAY's contents are
 * programs, which only a compiled object can name.
 */
static void map_refs(struct bpfaot_map_def *d, const struct bpfaot_map_desc *m, uint32_t *refs)
{
        size_t n = init_slots(m);

        if (!n || m->type == BPF_MAP_TYPE_PROG_ARRAY)
                return;
        for (size_t k = 0; k < m->init_cnt; k++)
                refs[m->inits[k].slot] = m->inits[k].map + 1;
        d->init_value = refs;
        d->init_size = n * sizeof(*refs);
}

int bpfaot_prog__map_defs(const struct bpfaot_prog *prog, struct bpfaot_map_def **defs,
                          struct bpfaot_error *err)
{
        size_t n = prog->map_cnt, words = 0;
        struct bpfaot_map_def *d, *templates;
        uint32_t *refs;

        *defs = NULL;
        if (!n)
                return 0;
        for (size_t i = 0; i < n; i++)
                words += init_slots(&prog->maps[i]);
        /* One block: the definitions, their inner-map templates, their contents. */
        d = calloc(1, 2 * n * sizeof(*d) + words * sizeof(*refs));
        if (!d)
                return bpfaot_error_nomem(err);
        templates = d + n;
        refs = (uint32_t *)(templates + n);
        for (size_t i = 0; i < n; i++) {
                const struct bpfaot_map_desc *m = &prog->maps[i];

                d[i].name = m->name;
                map_shape(&d[i], m);
                if (m->inner) {
                        map_shape(&templates[i], m->inner);
                        d[i].inner = &templates[i];
                }
                map_refs(&d[i], m, refs);
                refs += init_slots(m);
        }
        *defs = d;
        return 0;
}

/*
 * const struct bpfaot_prog_def <prefix>__progs[cnt] and const uint32_t
 * <prefix>__prog_cnt (bpfaot/objabi.h): the programs of a module that holds
 * them together.
 */
int objabi_program_table(LLVMModuleRef mod, const char *prefix, LLVMValueRef *defs, size_t cnt,
                         struct bpfaot_error *err)
{
        LLVMContextRef ctx = LLVMGetModuleContext(mod);
        LLVMTypeRef ty = objabi_type(ctx, OBJABI_PROG_DEF), i32 = LLVMInt32TypeInContext(ctx);
        char *progs = objabi_symbol(prefix, BPFAOT_SYM_PROGS);
        char *cnt_name = objabi_symbol(prefix, BPFAOT_SYM_PROG_CNT);
        LLVMValueRef g;

        if (!progs || !cnt_name) {
                free(progs);
                free(cnt_name);
                return bpfaot_error_nomem(err);
        }
        g = LLVMAddGlobal(mod, LLVMArrayType(ty, (unsigned)cnt), progs);
        LLVMSetInitializer(g, LLVMConstArray(ty, defs, (unsigned)cnt));
        LLVMSetGlobalConstant(g, true);
        LLVMSetAlignment(g, 8);
        g = LLVMAddGlobal(mod, i32, cnt_name);
        LLVMSetInitializer(g, LLVMConstInt(i32, cnt, false));
        LLVMSetGlobalConstant(g, true);
        free(progs);
        free(cnt_name);
        return 0;
}

/* `name` ends in `suffix` after a non-empty stem of *stem bytes. */
static bool has_suffix(const char *name, const char *suffix, size_t *stem)
{
        size_t n = strlen(name), sl = strlen(suffix);

        *stem = n - sl;
        return n > sl && strcmp(name + n - sl, suffix) == 0;
}

static int scan_symbol(void *ctx, const char *name)
{
        struct bpfaot_object_abi *abi = ctx;
        size_t stem;
        char **e;

        if (!abi->prefix && (has_suffix(name, BPFAOT_SYM_ABI_VERSION, &stem) ||
                             has_suffix(name, BPFAOT_SYM_MAP_DEFS, &stem)))
                return (abi->prefix = strndup(name, stem)) ? 0 : -ENOMEM;
        if (!has_suffix(name, BPFAOT_SYM_PROG, &stem))
                return 0;
        e = ARRAY_ADD(abi->entries, abi->entry_cnt);
        if (!e)
                return -ENOMEM;
        *e = strndup(name, stem);
        return *e ? 0 : -ENOMEM;
}

/*
 * The entry of a program named "prog" in an object of all programs is
 * <obj>__prog, whose own descriptor is <obj>__prog__prog: an entry that is
 * another entry's descriptor is not an entry.
 */
static int drop_descriptors(struct bpfaot_object_abi *abi)
{
        bool *descriptor = calloc(abi->entry_cnt ? abi->entry_cnt : 1, sizeof(*descriptor));
        size_t kept = 0;

        if (!descriptor)
                return -ENOMEM;
        /* Decide for all first: entries are freed only once nothing compares against them. */
        for (size_t i = 0; i < abi->entry_cnt; i++)
                for (size_t k = 0; k < abi->entry_cnt && !descriptor[i]; k++) {
                        size_t stem;

                        descriptor[i] = has_suffix(abi->entries[k], BPFAOT_SYM_PROG, &stem) &&
                                        stem == strlen(abi->entries[i]) &&
                                        strncmp(abi->entries[k], abi->entries[i], stem) == 0;
                }
        for (size_t i = 0; i < abi->entry_cnt; i++) {
                if (descriptor[i])
                        free(abi->entries[i]);
                else
                        abi->entries[kept++] = abi->entries[i];
        }
        abi->entry_cnt = kept;
        free(descriptor);
        return 0;
}

int bpfaot_object_read_abi(const void *obj, size_t obj_len, const char *input_name,
                           struct bpfaot_object_abi *abi, struct bpfaot_error *err)
{
        int ret;

        memset(abi, 0, sizeof(*abi));
        ret = bpfaot_object_defined_symbols(obj, obj_len, input_name, scan_symbol, abi, err);
        ret = ret ?: drop_descriptors(abi);
        if (ret == -ENOMEM)
                ret = bpfaot_error_nomem(err);
        if (ret) {
                bpfaot_object_abi__free(abi);
                return ret;
        }
        return 0;
}

void bpfaot_object_abi__free(struct bpfaot_object_abi *abi)
{
        for (size_t i = 0; abi && i < abi->entry_cnt; i++)
                free(abi->entries[i]);
        if (abi) {
                free(abi->entries);
                free(abi->prefix);
                memset(abi, 0, sizeof(*abi));
        }
}
