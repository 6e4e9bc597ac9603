/* SPDX-License-Identifier: MIT */
/*
 * Skeleton header generation: <name>.aot.h for an object compiled with
 * `bpf-aot build --skeleton`, in the spirit of bpftool's .skel.h. The header
 * declares each program as <name>__<prog>(ctx, size), the global data
 * sections as structs typed from the object's BTF (through libbpf's
 * btf_dump), and a struct <name>_aot with the maps and typed pointers to the
 * data, plus <name>_aot__open() / __destroy() that create and free the maps
 * with the runtime. Nothing in it looks anything up by string.
 */
#define _GNU_SOURCE /* open_memstream */
#include "internal.h"
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

/* clang names a function's static variables "func.var": not a C field name. */
static bool is_identifier(const char *s)
{
        if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '_')
                        return false;
        return true;
}

static int emit_data_types(struct gen *g)
{
        const struct bpfaot_elf *elf = g->elf;
        char field[128];

        for (size_t i = 0; i < elf->data_cnt; i++) {
                const struct bpfaot_data_sec *d = &elf->data[i];
                uint64_t at = 0;

                if (!section_typed(g, d))
                        continue;
                for (size_t k = 0; k < d->var_cnt; k++) {
                        int ret = btf_dump__dump_type(g->dump, d->vars[k].btf_type);
                        if (ret)
                                return ret;
                }
                section_field(d->name, field, sizeof(field));
                fprintf(g->out, "\nstruct %s__%s {\n", g->p, field);
                for (size_t k = 0; k < d->var_cnt; k++) {
                        const struct bpfaot_data_var *v = &d->vars[k];
                        LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = v->name,
                                    .indent_level = 1, .strip_mods = false);
                        /* Overlapping, or a function's static: left out (padding). */
                        if (v->offset < at || !is_identifier(v->name))
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
                        fprintf(g->out, "\tchar __pad_end[%llu];\n",
                                (unsigned long long)(d->size - at));
                fputs("};\n", g->out);
        }
        return 0;
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
                        fprintf(g->out, "extern %sstruct %s__%s %s;\n", d->readonly ? "const " : "",
                                g->p, field, d->symbol);
                else
                        fprintf(g->out, "extern %sunsigned char %s[%zu];\n",
                                d->readonly ? "const " : "", d->symbol, d->size ? d->size : 1);
        }
        if (elf->map_cnt)
                fprintf(g->out,
                        "extern const struct bpfaot_map_def %s" BPFAOT_SYM_MAP_DEFS "[%zu];\n"
                        "extern const uint32_t %s" BPFAOT_SYM_MAP_CNT ";\n"
                        "extern void *%s" BPFAOT_SYM_MAPS "[%zu];\n",
                        g->p, elf->map_cnt, g->p, g->p, elf->map_cnt);
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
                        fprintf(g->out, "\t%sstruct %s__%s *%s;\n", d->readonly ? "const " : "",
                                g->p, field, field);
                else
                        fprintf(g->out, "\t%sunsigned char *%s;\n", d->readonly ? "const " : "",
                                field);
        }
        fputs("};\n", g->out);

        fprintf(g->out,
                "\n/*\n * Create the object's maps with the runtime and return the skeleton. The\n"
                " * maps live in the object's globals: one open skeleton per object at a time.\n"
                " * Returns 0, or a negative errno (from bpfaot_map__create), said on one line\n"
                " * on stderr.\n */\n"
                "static inline int %s_aot__open(struct %s_aot **out)\n{\n"
                "\tstruct %s_aot *obj = (struct %s_aot *)calloc(1, sizeof(*obj));\n\n"
                "\t*out = NULL;\n\tif (!obj)\n\t\treturn -12; /* ENOMEM */\n",
                g->p, g->p, g->p, g->p);
        if (elf->map_cnt) {
                fprintf(g->out,
                        "\tuint32_t failed = 0;\n"
                        "\tint err = bpfaot_maps__create_all(%s" BPFAOT_SYM_MAP_DEFS
                        ", %s" BPFAOT_SYM_MAP_CNT ", %s" BPFAOT_SYM_MAPS
                        ", &failed);\n\tif (err) {\n\t\tchar why[256];\n\n"
                        "\t\tbpfaot_map_def__describe_error(&%s" BPFAOT_SYM_MAP_DEFS
                        "[failed], err, why, sizeof(why));\n"
                        "\t\tfprintf(stderr, \"%s: %%s\\n\", why);\n"
                        "\t\tfree(obj);\n\t\treturn err;\n\t}\n",
                        g->p, g->p, g->p, g->p, g->p);
                for (size_t i = 0; i < elf->map_cnt; i++)
                        fprintf(g->out,
                                "\tobj->maps.%s = (struct bpfaot_map *)%s" BPFAOT_SYM_MAPS
                                "[%zu];\n",
                                elf->maps[i].name, g->p, i);
        }
        for (size_t i = 0; i < elf->data_cnt; i++) {
                const struct bpfaot_data_sec *d = &elf->data[i];
                section_field(d->name, field, sizeof(field));
                if (section_typed(g, d))
                        fprintf(g->out, "\tobj->%s = &%s;\n", field, d->symbol);
                else
                        fprintf(g->out, "\tobj->%s = %s;\n", field, d->symbol);
        }
        fprintf(g->out, "\t*out = obj;\n\treturn 0;\n}\n");
        fprintf(g->out,
                "\n/* Free the maps and the skeleton. */\n"
                "static inline void %s_aot__destroy(struct %s_aot *obj)\n{\n"
                "\tif (!obj)\n\t\treturn;\n",
                g->p, g->p);
        if (elf->map_cnt)
                fprintf(g->out,
                        "\tbpfaot_maps__free_all(%s" BPFAOT_SYM_MAPS ", %s" BPFAOT_SYM_MAP_CNT
                        ");\n",
                        g->p, g->p);
        fputs("\tfree(obj);\n}\n", g->out);
}

int bpfaot_skeleton_header(const struct bpfaot_elf *elf, const char *const *progs, size_t nprogs,
                           struct bpfaot_buf *out, struct bpfaot_error *err)
{
        struct gen g = {.elf = elf, .p = elf->symbol_prefix};
        char *text = NULL, guard[160];
        size_t len = 0, n = 0;
        int ret;

        out->data = NULL;
        out->len = 0;
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
                "#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n\n#include "
                "<bpfaot/maps.h>\n\n"
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
