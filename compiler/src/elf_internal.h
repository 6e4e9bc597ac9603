/* SPDX-License-Identifier: MIT */
/*
 * The eBPF ELF reader: its state and what its passes share. elf.c runs the
 * passes in order; each elf_*.c file is one concern and reads only what the
 * passes before it stored here.
 */
#ifndef BPFAOT_ELF_INTERNAL_H
#define BPFAOT_ELF_INTERNAL_H

#include "internal.h"

#include <gelf.h>
#include <stdint.h>

struct btf_type;

/* What bpfaot_elf__open_mem allocates: the object and the storage its strings point into. */
struct elf_object {
        struct bpfaot_elf pub;
        char **names;
        size_t name_cnt;
};

/* A section header, read once (elf_sections.c). */
struct elf_section {
        Elf_Scn *scn;
        GElf_Shdr sh;
        const char *name; /* NULL: unreadable */
};

/* What a section holds, by its name. */
enum elf_section_kind {
        ELF_SEC_OTHER,
        ELF_SEC_DATA,        /* .data*, .rodata*, .bss* */
        ELF_SEC_BTF_MAPS,    /* .maps */
        ELF_SEC_LEGACY_MAPS, /* maps, maps/<name> */
};

/* A symbol, read once (elf_symbols.c). */
struct elf_sym {
        const char *name;    /* NULL: unreadable */
        const char *section; /* its section's name; NULL: undefined, special or unreadable */
        size_t shndx;
        uint64_t value, size;
        unsigned char type, bind; /* STT_*, STB_* */
};

/* A function (STT_FUNC symbol) of an executable section. */
struct elf_func {
        size_t start, len; /* in instructions */
        const char *name;
        bool global;
};

/* A relocation of an executable section. */
struct elf_rel {
        size_t insn; /* instruction index in the section */
        size_t sym;  /* index in the symbol table */
};

/* An executable section: its instructions, functions and relocations. */
struct elf_code_sec {
        size_t shndx;
        const char *name;
        struct bpfaot_insn *insns;
        size_t cnt;
        struct elf_func *funcs; /* sorted by start */
        size_t func_cnt;
        struct elf_rel *rels; /* sorted by insn */
        size_t rel_cnt;
};

/* A .BTF.ext line info record of an executable section (elf_btf.c). */
struct elf_line {
        const char *section;
        size_t insn; /* in the section */
        const char *file, *text;
        uint32_t line, col;
};

/* A BTF-defined map's variable in .maps, for the relocations that fill its `values`. */
struct elf_btf_map {
        size_t map;          /* index in out->maps */
        uint64_t off, size;  /* the variable's bytes in .maps */
        uint64_t values_off; /* byte offset of its `values` member */
};

/* A .kconfig extern laid out in the synthesized .kconfig section. */
struct elf_kconfig_var {
        const char *name;
        uint64_t off;
};

struct elf_reader {
        const char *input;
        struct bpfaot_error *err;
        struct bpfaot_extern_provider externs;
        Elf *elf;
        size_t shstrndx;
        struct elf_section *secs; /* by section index; secs[0] is the null section */
        size_t sec_cnt;
        size_t symtab_shndx;
        struct elf_sym *syms; /* by symbol index; syms[0] is the null symbol */
        size_t sym_cnt;
        struct elf_code_sec *code_secs;
        size_t code_sec_cnt;
        size_t *data_shndx; /* section index of each out->data[] entry (SHN_UNDEF: synthesized) */
        size_t data_shndx_cnt;
        struct elf_line *lines; /* sorted by section, then insn */
        size_t line_cnt;
        struct elf_btf_map *btf_maps;
        size_t btf_map_cnt;
        long kconfig_sec; /* out->data index of the synthesized .kconfig, or -1 */
        struct elf_kconfig_var *kconfig_vars;
        size_t kconfig_var_cnt;
        uint8_t *kconfig_bytes;
        size_t kconfig_size;
        struct elf_object *obj;
        struct bpfaot_elf *out; /* &obj->pub */
};

/* Linking one program: its function, then each function it reaches, appended. */
struct elf_chunk {
        const struct elf_code_sec *cs;
        size_t start, len, out; /* section instructions [start, start + len) at out */
};

struct elf_linker {
        struct elf_reader *r;
        struct bpfaot_elf_prog *p;
        struct elf_chunk *chunks;
        size_t chunk_cnt;
};

/* elf.c: messages and the object's string storage */
/* "<input>: <message>"; returns -code. */
int elf_fail(struct elf_reader *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "<input>: out of memory"; returns -ENOMEM. */
int elf_nomem(struct elf_reader *r);
/* A copy of `s` that lives as long as the object; NULL when out of memory. */
const char *elf_keep(struct elf_reader *r, const char *s);

/* elf_sections.c */
int elf_read_sections(struct elf_reader *r);
int elf_read_code_sections(struct elf_reader *r);
void elf_free_code_sections(struct elf_reader *r);
const char *elf_section_name(const struct elf_reader *r, size_t shndx);
enum elf_section_kind elf_section_kind(const char *name);
/* The bytes of the section called `name`, or NULL (missing, or NOBITS: no bytes). */
Elf_Data *elf_section_bytes(const struct elf_reader *r, const char *name);
struct elf_code_sec *elf_code_sec(const struct elf_reader *r, size_t shndx);

/* elf_symbols.c */
int elf_read_symbols(struct elf_reader *r);
/* Symbol `idx`, NULL for the null symbol or one past the table. */
const struct elf_sym *elf_sym_at(const struct elf_reader *r, size_t idx);
/* Every symbol but the null one: `elf_for_each_sym(s, r) { ... }`. */
#define elf_for_each_sym(s, r)                                                                     \
        for (const struct elf_sym *s = (r)->syms + 1; s < (r)->syms + (r)->sym_cnt; s++)
/* Defined in a section of the object (not undefined, absolute or common). */
static inline bool elf_sym_in_section(const struct elf_sym *s)
{
        return s->shndx != SHN_UNDEF && s->shndx < SHN_LORESERVE;
}

/* elf_btf.c */
int elf_read_btf(struct elf_reader *r);
int elf_read_core_relos(struct elf_reader *r);
/* The line info of .BTF.ext (r->lines); a malformed one only loses it. */
int elf_read_line_info(struct elf_reader *r);
/* BTF type of variable `name` in the DATASEC `sec` (also .kconfig, .ksyms), or 0. */
uint32_t elf_btf_var_type(const struct btf *btf, const char *sec, const char *name);
/* Type `id` without modifiers and typedefs; NULL when it does not exist. */
const struct btf_type *elf_btf_skip_mods(const struct btf *btf, uint32_t id);

/* elf_data.c */
char *elf_symbol_prefix(const char *input);
int elf_read_data_sections(struct elf_reader *r);
int elf_read_data_vars(struct elf_reader *r);
/* A new, zero-filled entry of out->data for section `shndx` (SHN_UNDEF: synthesized). */
struct bpfaot_data_sec *elf_add_data_section(struct elf_reader *r, const char *name, size_t shndx,
                                             size_t size, bool readonly);
/* Index in out->data of section `shndx`, or -1. */
long elf_data_index(const struct elf_reader *r, size_t shndx);

/* elf_maps.c */
int elf_read_btf_maps(struct elf_reader *r);
/* The object's BTF describes its .maps section (without it, its maps cannot be read). */
bool elf_btf_describes_maps(const struct elf_reader *r);
int elf_read_legacy_maps(struct elf_reader *r);
int elf_read_map_inits(struct elf_reader *r);
/* Index in out->maps of the map called `name`, or -1. */
long elf_map_index(const struct elf_reader *r, const char *name);

/* elf_progs.c */
int elf_read_funcs(struct elf_reader *r);
int elf_link_progs(struct elf_reader *r);
int elf_check_progs(struct elf_reader *r);
/* The function of `cs` holding instruction `insn`, or NULL. */
const struct elf_func *elf_func_at(const struct elf_code_sec *cs, size_t insn);
/*
 * Output index of instruction `t` of `cs`, appending its function to the
 * program first if needed: -1 when `t` is in no function, -2 when out of
 * memory. Appending moves l->p->insns.
 */
long elf_link_target(struct elf_linker *l, const struct elf_code_sec *cs, size_t t);

/* elf_relocs.c */
int elf_read_relocs(struct elf_reader *r);
/* The relocation of instruction `insn` of `cs`, or NULL. */
const struct elf_rel *elf_rel_at(const struct elf_code_sec *cs, size_t insn);
/* Resolve the relocation or local call at output index `o` (section insn `gi` of `c`). */
int elf_link_insn(struct elf_linker *l, const struct elf_chunk *c, size_t gi, size_t o);
/* A new relocation of output instruction `o` against `sym`; NULL when out of memory. */
struct bpfaot_reloc *elf_add_reloc(struct elf_linker *l, size_t o, const struct elf_sym *sym,
                                   const char *what, int kind);

/*
 * elf_externs.c: an lddw of an undefined symbol that is a .kconfig or .ksyms
 * extern. Returns -ENOENT when `sym` is neither.
 */
int elf_link_extern_var(struct elf_linker *l, size_t o, const struct elf_sym *sym);
int elf_finish_kconfig(struct elf_reader *r);

#endif /* BPFAOT_ELF_INTERNAL_H */
