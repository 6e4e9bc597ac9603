/* SPDX-License-Identifier: MIT */
/*
 * Skeleton header generation: <name>.aot.h for an object compiled with
 * `bpf-aot build --skeleton`, in the spirit of bpftool's .skel.h. The header
 * declares each program as <name>__<prog>(ctx, size), the global data
 * sections as structs typed from the object's BTF (through libbpf's
 * btf_dump), and a struct <name>_aot with the maps and typed pointers to the
 * data, plus <name>_aot__open() / __load() / __destroy(): open creates the
 * maps with the runtime, load freezes the read-only data the host may set
 * in between (objabi_data_settable). Nothing in it looks anything up by
 * string.
 */
#define _GNU_SOURCE /* open_memstream */
#include "internal.h"
#include "objabi.h"
#include "bpfaot/bpfaot.h"

#include <bpf/btf.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gen {
        FILE *out;
        const struct bpfaot_elf *elf;
        const char *p; /* symbol prefix */
        struct btf_dump *dump;
        bool *visited;      /* by BTF type id: emit_type() has been there */
        bool instances;     /* bpfaot_skeleton_opts.instances */
        char maps_sym[160]; /* <prefix>__maps */
};

static void dump_printf(void *ctx, const char *fmt, va_list args)
{
        vfprintf(ctx, fmt, args);
}

/* Field name of a data section: ".bss" -> "bss", ".data.foo" -> "data_foo". */
static void section_field(const char *sec, char *buf, size_t sz)
{
        size_t n = 0;

        for (sec += sec[0] == '.'; *sec && n + 1 < sz; sec++)
                buf[n++] = isalnum((unsigned char)*sec) ? *sec : '_';
        buf[n] = 0;
}

/* A data section gets a typed struct when all of its variables have BTF types. */
static bool section_typed(const struct gen *g, const struct bpfaot_data_sec *d)
{
        if (!g->dump || d->var_cnt == 0)
                return false;
        for (size_t i = 0; i < d->var_cnt; i++)
                if (!d->vars[i].btf_type)
                        return false;
        return true;
}

/*
 * The guard of a named type the header defines: BPFAOT_DEFINED_struct_<tag>
 * (union_, enum_), BPFAOT_DEFINED_<name> for a typedef. A host whose own
 * header defines the type first defines the guard too; two skeletons of
 * objects that share a header define the type once.
 */
static const char *const guard_kinds[NR_BTF_KINDS] = {
    [BTF_KIND_STRUCT] = "struct_", [BTF_KIND_UNION] = "union_", [BTF_KIND_ENUM] = "enum_",
    [BTF_KIND_ENUM64] = "enum_",   [BTF_KIND_TYPEDEF] = "",
};

/* Type `id` after the types its definition needs, each named one in its guard. */
static int emit_type(struct gen *g, uint32_t id)
{
        const struct btf *btf = g->elf->btf;
        const struct btf_type *t = btf__type_by_id(btf, id);
        const char *kind;
        int ret = 0;

        if (!id || !t || g->visited[id])
                return 0;
        g->visited[id] = true;
        if (btf_is_composite(t)) {
                for (unsigned i = 0; i < btf_vlen(t) && !ret; i++)
                        ret = emit_type(g, btf_members(t)[i].type);
        } else if (btf_is_array(t)) {
                ret = emit_type(g, btf_array(t)->type);
        } else if (btf_is_func_proto(t)) {
                ret = emit_type(g, t->type);
                for (unsigned i = 0; i < btf_vlen(t) && !ret; i++)
                        ret = emit_type(g, btf_params(t)[i].type);
        } else if (btf_is_typedef(t) || btf_is_mod(t) || btf_is_var(t)) {
                ret = emit_type(g, t->type);
        }
        /*
         * Not through pointers: a pointee needs no definition (btf_dump
         * declares it), and following them could pull in a whole kernel's
         * types from a vmlinux.h program.
         */
        kind = btf_kind(t) < NR_BTF_KINDS ? guard_kinds[btf_kind(t)] : NULL;
        if (ret || !kind || !t->name_off)
                return ret;
        fprintf(g->out, "#ifndef BPFAOT_DEFINED_%s%s\n#define BPFAOT_DEFINED_%s%s\n", kind,
                btf__name_by_offset(btf, t->name_off), kind, btf__name_by_offset(btf, t->name_off));
        fflush(g->out);
        ret = btf_dump__dump_type(g->dump, id);
        fprintf(g->out, "#endif\n");
        return ret;
}

/* One data section's struct, <prefix>__<section>, spanning the whole section. */
static int emit_section_struct(struct gen *g, const struct bpfaot_data_sec *d)
{
        char field[128];
        uint64_t at = 0;

        section_field(d->name, field, sizeof(field));
        fprintf(g->out, "\nstruct %s__%s {\n", g->p, field);
        for (size_t k = 0; k < d->var_cnt; k++) {
                const struct bpfaot_data_var *v = &d->vars[k];
                /* The host sets read-only data before __load(), as bpftool's skeletons allow. */
                LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = v->name,
                            .indent_level = 1, .strip_mods = objabi_data_settable(d));
                /* Overlapping, or a function's static: left out (padding). */
                if (v->offset < at || !objabi_is_identifier(v->name))
                        continue;
                if (v->offset > at)
                        fprintf(g->out, "\tchar __pad%zu[%llu];\n", k,
                                (unsigned long long)(v->offset - at));
                fputc('\t', g->out);
                if (btf_dump__emit_type_decl(g->dump, v->btf_type, &o))
                        return -EINVAL;
                fputs(";\n", g->out);
                at = v->offset + v->size;
        }
        /* The struct spans the whole section, so its size is the global's. */
        if (at < d->size)
                fprintf(g->out, "\tchar __pad_end[%llu];\n", (unsigned long long)(d->size - at));
        fputs("};\n", g->out);
        return 0;
}

static int emit_data_types(struct gen *g)
{
        const struct bpfaot_elf *elf = g->elf;
        int ret = 0;

        if (g->dump) {
                g->visited = calloc(btf__type_cnt(elf->btf), sizeof(*g->visited));
                if (!g->visited)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < elf->data_cnt && !ret; i++) {
                const struct bpfaot_data_sec *d = &elf->data[i];

                if (!section_typed(g, d))
                        continue;
                for (size_t k = 0; k < d->var_cnt && !ret; k++)
                        ret = emit_type(g, d->vars[k].btf_type);
                ret = ret ?: emit_section_struct(g, d);
        }
        free(g->visited);
        g->visited = NULL;
        return ret;
}

/* "const " for read-only data no host sets: string literals and the like. */
static const char *data_const(const struct bpfaot_data_sec *d)
{
        return d->readonly && !objabi_data_settable(d) ? "const " : "";
}

static void emit_decls(struct gen *g, const char *const *progs, size_t n)
{
        const struct bpfaot_elf *elf = g->elf;
        char field[128];

        fprintf(g->out, "\n/* The programs: call each with a context and its size in bytes. */\n");
        for (size_t i = 0; i < n; i++)
                fprintf(g->out, "uint64_t %s" BPFAOT_SYM_SEP "%s(void *ctx, uint64_t ctx_size);\n",
                        g->p, progs[i]);
        fprintf(g->out,
                "/* The same, described (name, section, entry), e.g. to pick one by name. */\n"
                "extern const struct bpfaot_prog_def %s" BPFAOT_SYM_PROGS "[%zu];\n"
                "extern const uint32_t %s" BPFAOT_SYM_PROG_CNT ";\n",
                g->p, n, g->p);
        fprintf(g->out, "\n/* The object's global data and map tables (defined in %s.aot.o). */\n",
                g->p);
        for (size_t i = 0; i < elf->data_cnt; i++) {
                const struct bpfaot_data_sec *d = &elf->data[i];
                section_field(d->name, field, sizeof(field));
                if (section_typed(g, d))
                        fprintf(g->out, "extern %sstruct %s__%s %s;\n", data_const(d), g->p, field,
                                d->symbol);
                else
                        fprintf(g->out, "extern %sunsigned char %s[%zu];\n", data_const(d),
                                d->symbol, d->size ? d->size : 1);
        }
        if (elf->map_cnt)
                fprintf(g->out,
                        "extern const struct bpfaot_map_def %s" BPFAOT_SYM_MAP_DEFS "[%zu];\n"
                        "extern const uint32_t %s" BPFAOT_SYM_MAP_CNT ";\n"
                        "extern void *%s" BPFAOT_SYM_MAPS "[%zu];\n",
                        g->p, elf->map_cnt, g->p, g->p, elf->map_cnt);
        if (g->instances)
                fprintf(
                    g->out,
                    "/* The thread's running instance (%s_aot__run); NULL: the object's own. */\n"
                    "extern __thread void *%s" OBJABI_SYM_INSTANCE ";\n",
                    g->p, g->p);
}

/* Where data section `k` is: the object's global, or the instance's copy. */
static void data_addr(const struct gen *g, size_t k, char *buf, size_t sz)
{
        if (g->instances)
                snprintf(buf, sz, "(void *)((char *)obj->__instance + %llu)",
                         (unsigned long long)objabi_instance_offset(g->elf->data, g->elf->data_cnt,
                                                                    k, g->elf->map_cnt));
        else
                snprintf(buf, sz, "(void *)&%s", g->elf->data[k].symbol);
}

/*
 * mprotect(prot) of every section a host sets before __load(): whole pages
 * (objabi_data_span). With `check`, a failure returns -errno.
 */
static void emit_protect(struct gen *g, const char *prot, bool check)
{
        char at[160];

        for (size_t i = 0; i < g->elf->data_cnt; i++) {
                const struct bpfaot_data_sec *d = &g->elf->data[i];

                if (!objabi_data_settable(d))
                        continue;
                data_addr(g, i, at, sizeof(at));
                fprintf(g->out, "\t%smprotect(%s, %llu, %s)%s\n", check ? "if (" : "", at,
                        (unsigned long long)objabi_data_span(d, true), prot,
                        check ? ")\n\t\treturn -errno;" : ";");
        }
}

static void emit_load(struct gen *g)
{
        fprintf(g->out,
                "\n/*\n * Freeze the read-only data the host set after __open(): the programs\n"
                " * read those values, and a write to them faults, as after libbpf's\n"
                " * __load(). Returns 0 or a negative errno.\n */\n"
                "static inline int %s_aot__load(struct %s_aot *obj)\n{\n"
                "\tlong page = sysconf(_SC_PAGESIZE);\n\n"
                "\t(void)obj;\n"
                "\t/* The sections fill whole pages of %u bytes. */\n"
                "\tif (page <= 0 || %u %% page)\n\t\treturn -EOPNOTSUPP;\n",
                g->p, g->p, OBJABI_FREEZE_ALIGN, OBJABI_FREEZE_ALIGN);
        emit_protect(g, "PROT_READ", true);
        fputs("\treturn 0;\n}\n", g->out);
}

/* obj->maps.<map> and obj-><section> from the skeleton's maps and data. */
static void emit_views(struct gen *g)
{
        const struct bpfaot_elf *elf = g->elf;
        char field[128], at[160];

        for (size_t i = 0; i < elf->map_cnt; i++)
                fprintf(g->out, "\tobj->maps.%s = (struct bpfaot_map *)%s[%zu];\n",
                        elf->maps[i].name,
                        g->instances ? "((void **)obj->__instance)" : g->maps_sym, i);
        for (size_t i = 0; i < elf->data_cnt; i++) {
                const struct bpfaot_data_sec *d = &elf->data[i];

                section_field(d->name, field, sizeof(field));
                data_addr(g, i, at, sizeof(at));
                if (section_typed(g, d))
                        fprintf(g->out, "\tobj->%s = (%sstruct %s__%s *)%s;\n", field,
                                data_const(d), g->p, field, at);
                else
                        fprintf(g->out, "\tobj->%s = (%sunsigned char *)%s;\n", field,
                                data_const(d), at);
        }
}

/*
 * `int err` = the maps created into `slots`; a map the runtime cannot create
 * is named on one line on stderr (`<object>: map 'routes': type ... is not
 * supported by the runtime`).
 */
static void emit_create_maps(struct gen *g, const char *slots)
{
        fprintf(g->out,
                "\tuint32_t failed = 0;\n"
                "\tint err = bpfaot_maps__create_all(%s" BPFAOT_SYM_MAP_DEFS
                ", %s" BPFAOT_SYM_MAP_CNT ", %s, &failed);\n"
                "\tif (err) {\n\t\tchar why[256];\n\n"
                "\t\tbpfaot_map_def__describe_error(&%s" BPFAOT_SYM_MAP_DEFS
                "[failed], err, why, sizeof(why));\n"
                "\t\tfprintf(stderr, \"%s: %%s\\n\", why);\n\t}\n",
                g->p, g->p, slots, g->p, g->p);
}

/* One skeleton at a time, on the object's own maps and data. */
static void emit_single(struct gen *g)
{
        const struct bpfaot_elf *elf = g->elf;

        fprintf(g->out,
                "\n/* Set while a skeleton of the object is open (its maps and data are the "
                "object's). */\n"
                "__attribute__((weak)) int %s_aot__opened;\n",
                g->p);
        fprintf(g->out,
                "\n/*\n * Create the object's maps with the runtime and return the skeleton. The\n"
                " * maps and data are the object's globals, so one skeleton of the object is\n"
                " * open at a time: -EBUSY until it is destroyed. The host may set .rodata\n"
                " * (skel->rodata->x = v) until __load(). Returns 0 or a negative errno\n"
                " * (from bpfaot_map__create).\n */\n"
                "static inline int %s_aot__open(struct %s_aot **out)\n{\n"
                "\tstruct %s_aot *obj;\n\n"
                "\t*out = NULL;\n"
                "\tif (__atomic_exchange_n(&%s_aot__opened, 1, __ATOMIC_ACQUIRE))\n"
                "\t\treturn -EBUSY;\n"
                "\tobj = (struct %s_aot *)calloc(1, sizeof(*obj));\n"
                "\tif (!obj) {\n\t\t__atomic_store_n(&%s_aot__opened, 0, __ATOMIC_RELEASE);\n"
                "\t\treturn -ENOMEM;\n\t}\n",
                g->p, g->p, g->p, g->p, g->p, g->p);
        if (elf->map_cnt) {
                emit_create_maps(g, g->maps_sym);
                fprintf(g->out,
                        "\tif (err) {\n\t\tfree(obj);\n"
                        "\t\t__atomic_store_n(&%s_aot__opened, 0, __ATOMIC_RELEASE);\n"
                        "\t\treturn err;\n\t}\n",
                        g->p);
        }
        emit_views(g);
        fprintf(g->out, "\t*out = obj;\n\treturn 0;\n}\n");
        emit_load(g);
        fprintf(g->out,
                "\n/* Free the maps and the skeleton; the object can be opened again. */\n"
                "static inline void %s_aot__destroy(struct %s_aot *obj)\n{\n"
                "\tif (!obj)\n\t\treturn;\n",
                g->p, g->p);
        emit_protect(g, "PROT_READ | PROT_WRITE", false);
        if (elf->map_cnt)
                fprintf(g->out, "\tbpfaot_maps__free_all(%s, %s" BPFAOT_SYM_MAP_CNT ");\n",
                        g->maps_sym, g->p);
        fprintf(g->out,
                "\tfree(obj);\n\t__atomic_store_n(&%s_aot__opened, 0, __ATOMIC_RELEASE);\n}\n",
                g->p);
}

/* Any number of instances, each with its own maps and a copy of the data (objabi.h). */
static void emit_instances(struct gen *g)
{
        const struct bpfaot_elf *elf = g->elf;
        uint64_t align, size = objabi_instance_size(elf->data, elf->data_cnt, elf->map_cnt, &align);
        char at[160];

        fprintf(g->out,
                "\n/*\n * Create an instance: its own maps, made with the runtime, and its own\n"
                " * copy of the global data, initialised from the object's, in one block.\n"
                " * Any number may be open at once; run programs on one with\n"
                " * <name>_aot__run(). The host may set .rodata (skel->rodata->x = v) until\n"
                " * __load(). Returns 0 or a negative errno (from bpfaot_map__create).\n */\n"
                "static inline int %s_aot__open(struct %s_aot **out)\n{\n"
                "\tstruct %s_aot *obj = (struct %s_aot *)calloc(1, sizeof(*obj));\n\n"
                "\t*out = NULL;\n"
                "\tif (obj)\n\t\tobj->__instance = aligned_alloc(%llu, %llu);\n"
                "\tif (!obj || !obj->__instance) {\n\t\tfree(obj);\n\t\treturn -ENOMEM;\n\t}\n"
                "\tmemset(obj->__instance, 0, %llu);\n",
                g->p, g->p, g->p, g->p, (unsigned long long)align, (unsigned long long)size,
                (unsigned long long)size);
        for (size_t k = 0; k < elf->data_cnt; k++) {
                data_addr(g, k, at, sizeof(at));
                fprintf(g->out, "\tmemcpy(%s, (const void *)&%s, %zu);\n", at, elf->data[k].symbol,
                        elf->data[k].size);
        }
        if (elf->map_cnt) {
                emit_create_maps(g, "(void **)obj->__instance");
                fputs("\tif (err) {\n\t\tfree(obj->__instance);\n\t\tfree(obj);\n"
                      "\t\treturn err;\n\t}\n",
                      g->out);
        }
        emit_views(g);
        fprintf(g->out, "\t*out = obj;\n\treturn 0;\n}\n");
        emit_load(g);
        fprintf(g->out,
                "\n/* Free the instance's maps and data, and the skeleton. */\n"
                "static inline void %s_aot__destroy(struct %s_aot *obj)\n{\n"
                "\tif (!obj)\n\t\treturn;\n",
                g->p, g->p);
        if (elf->map_cnt)
                fprintf(g->out,
                        "\tbpfaot_maps__free_all((void **)obj->__instance, %s" BPFAOT_SYM_MAP_CNT
                        ");\n",
                        g->p);
        emit_protect(g, "PROT_READ | PROT_WRITE", false);
        fputs("\tfree(obj->__instance);\n\tfree(obj);\n}\n", g->out);
        fprintf(g->out,
                "\n/*\n * Run a program of the object (%s__<program>) on instance `obj`: its maps\n"
                " * and data, also for the programs it tail-calls and its callbacks. Each\n"
                " * thread runs on the instance it names here; a program called directly\n"
                " * runs on the object's own maps and data.\n */\n"
                "static inline uint64_t %s_aot__run(struct %s_aot *obj,\n"
                "\t\t\t\t\tuint64_t (*prog)(void *ctx, uint64_t ctx_size), void *ctx,\n"
                "\t\t\t\t\tuint64_t ctx_size)\n{\n"
                "\tvoid *outer = %s" OBJABI_SYM_INSTANCE ";\n\tuint64_t ret;\n\n"
                "\t%s" OBJABI_SYM_INSTANCE " = obj->__instance;\n"
                "\tret = prog(ctx, ctx_size);\n"
                "\t%s" OBJABI_SYM_INSTANCE " = outer;\n\treturn ret;\n}\n",
                g->p, g->p, g->p, g->p, g->p, g->p);
}

static void emit_skeleton(struct gen *g)
{
        const struct bpfaot_elf *elf = g->elf;
        char field[128];

        fprintf(g->out, "\nstruct %s_aot {\n\tstruct {\n", g->p);
        for (size_t i = 0; i < elf->map_cnt; i++)
                fprintf(g->out, "\t\tstruct bpfaot_map *%s;\n", elf->maps[i].name);
        if (!elf->map_cnt)
                fputs("\t\tchar __none;\n", g->out);
        fputs("\t} maps;\n", g->out);
        for (size_t i = 0; i < elf->data_cnt; i++) {
                const struct bpfaot_data_sec *d = &elf->data[i];
                section_field(d->name, field, sizeof(field));
                if (section_typed(g, d))
                        fprintf(g->out, "\t%sstruct %s__%s *%s;\n", data_const(d), g->p, field,
                                field);
                else
                        fprintf(g->out, "\t%sunsigned char *%s;\n", data_const(d), field);
        }
        if (g->instances)
                fputs("\t/* The instance: its map slots, then its data sections. */\n"
                      "\tvoid *__instance;\n",
                      g->out);
        fputs("};\n", g->out);
        if (g->instances)
                emit_instances(g);
        else
                emit_single(g);
        fprintf(g->out,
                "\n/* __open() and __load() in one. */\n"
                "static inline int %s_aot__open_and_load(struct %s_aot **out)\n{\n"
                "\tint err = %s_aot__open(out);\n\n"
                "\tif (!err && (err = %s_aot__load(*out)) != 0) {\n"
                "\t\t%s_aot__destroy(*out);\n\t\t*out = NULL;\n\t}\n\treturn err;\n}\n",
                g->p, g->p, g->p, g->p, g->p);
}

int bpfaot_skeleton_header(const struct bpfaot_elf *elf, const char *const *progs, size_t nprogs,
                           struct bpfaot_buf *out, struct bpfaot_error *err)
{
        return bpfaot_skeleton_header_opts(elf, progs, nprogs, NULL, out, err);
}

int bpfaot_skeleton_header_opts(const struct bpfaot_elf *elf, const char *const *progs,
                                size_t nprogs, const struct bpfaot_skeleton_opts *opts,
                                struct bpfaot_buf *out, struct bpfaot_error *err)
{
        struct gen g = {.elf = elf, .p = elf->symbol_prefix};
        struct bpfaot_skeleton_opts o;
        char *text = NULL, guard[160];
        size_t len = 0, n = 0;
        int ret;

        out->data = NULL;
        out->len = 0;
        ret = OPTS_COPY(bpfaot_skeleton_opts, o, opts, err);
        if (ret)
                return ret;
        g.instances = o.instances;
        snprintf(g.maps_sym, sizeof(g.maps_sym), "%s" BPFAOT_SYM_MAPS, g.p);
        g.out = open_memstream(&text, &len);
        if (!g.out)
                return bpfaot_error_nomem(err);
        if (elf->btf) {
                g.dump = btf_dump__new(elf->btf, dump_printf, g.out, NULL);
                if (!g.dump)
                        g.dump = NULL; /* without BTF the data stays untyped */
        }
        for (const char *c = g.p; *c && n + 8 < sizeof(guard); c++)
                guard[n++] = (char)toupper((unsigned char)*c);
        memcpy(guard + n, "_AOT_H", 7);
        fprintf(g.out,
                "/* Generated by bpf-aot from %s: do not edit. */\n"
                "#ifndef %s\n#define %s\n\n"
                "#include <errno.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
                "#include <string.h>\n"
                "#include <sys/mman.h>\n#include <unistd.h>\n\n#include <bpfaot/maps.h>\n\n"
                "#ifdef __cplusplus\nextern \"C\" {\n#endif\n",
                elf->input, guard, guard);
        ret = emit_data_types(&g);
        if (!ret) {
                emit_decls(&g, progs, nprogs);
                emit_skeleton(&g);
                fprintf(g.out, "\n#ifdef __cplusplus\n}\n#endif\n#endif /* %s */\n", guard);
        }
        btf_dump__free(g.dump);
        if (fclose(g.out) || ret) {
                free(text);
                return bpfaot_error_set(err, ret ? -ret : EIO,
                                        "%s: cannot write the skeleton header", elf->input);
        }
        out->data = (uint8_t *)text;
        out->len = len;
        return 0;
}
