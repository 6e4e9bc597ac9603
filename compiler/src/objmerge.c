/* SPDX-License-Identifier: MIT */
/*
 * Relocatable ELF objects merged into one, as `ld -r` does (objmerge.h).
 * Inputs are read through libelf; the output is written by hand, since
 * libelf writes only to files.
 *
 * Output layout: ELF header, the merged sections in order of first
 * appearance (each relocation section right after the section it
 * relocates), .symtab, .strtab, .shstrtab, then the section header table.
 * Symbols: the null symbol, each input's local symbols but its section
 * symbols (in input order, so that each keeps following its STT_FILE), one
 * section symbol per merged section, the localized names, then every
 * global name once, in order of first appearance.
 */
#include "internal.h"
#include "objmerge.h"

#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE SIZE_MAX

/* Not in every elf.h this is built against. */
#define OM_SHT_LLVM_ADDRSIG 0x6fff4c03u
#define OM_SHT_ATTRIBUTES   0x70000003u /* SHT_RISCV_ATTRIBUTES, SHT_ARM_ATTRIBUTES */

/* Sections that describe a whole object: one copy is kept, and every input must have the same. */
static const char *const single_names[] = {".riscv.attributes", ".ARM.attributes",
                                           ".note.gnu.property"};

/* Section types whose contents refer to other sections or symbols in ways not rewritten here. */
static const struct {
        uint32_t type;
        const char *what;
} refused_types[] = {
    {SHT_REL, "REL relocations"},
    {SHT_GROUP, "a section group"},
    {SHT_SYMTAB_SHNDX, "extended section indices"},
    {SHT_DYNSYM, "dynamic symbols"},
    {SHT_DYNAMIC, "dynamic linking information"},
};

/* A string-keyed hash table of indices; keys point into the inputs. */
struct strmap_slot {
        const char *key;
        size_t val;
};

struct strmap {
        struct strmap_slot *slots;
        size_t cap, cnt;
};

/* A string table being built; starts with the empty name. */
struct strtab {
        char *data;
        size_t len, cap;
};

enum osec_kind {
        OSEC_CONCAT, /* the inputs' pieces one after another */
        OSEC_SINGLE, /* one copy, which every input has byte for byte */
        OSEC_RELA,   /* the relocations of another output section */
};

struct osec {
        const char *name; /* in an input's string table */
        uint32_t type;
        uint64_t flags, entsize, align, size;
        enum osec_kind kind;
        size_t pieces;
        const uint8_t *single; /* OSEC_SINGLE: the contents kept */
        size_t target;         /* OSEC_RELA: the section relocated */
        size_t rela;           /* its OSEC_RELA section, or NONE */
        size_t link;           /* SHF_LINK_ORDER: the section it describes, or NONE */
        uint64_t link_off;     /* ... and where its last piece's described piece starts */
        size_t shndx, sym;     /* its section header and section symbol in the output */
        size_t name_off;       /* in .shstrtab */
        uint64_t offset;       /* in the output file */
};

struct inobj {
        Elf *elf;
        const uint8_t *data;
        size_t len, shnum, shstrndx, symtab, strndx, nsyms;
        Elf_Data *syms;
        size_t *osec;   /* per section: its output section, or NONE (dropped) */
        uint64_t *off;  /* per section: where its piece starts in that section */
        size_t *symmap; /* per symbol: its output symbol; NONE for section symbols */
};

/* A global name: what its definitions and references combine into. */
struct gsym {
        const char *name;
        size_t in, k; /* the definition kept, else the first reference */
        unsigned ndefs;
        bool strong_def, strong_ref, common, localized;
        unsigned char vis; /* the most constraining of all, as ld keeps */
        size_t out;
};

struct merger {
        struct inobj *in;
        size_t cnt;
        struct osec *osecs;
        size_t nosecs;
        struct strmap osec_names; /* output sections but OSEC_RELA, by name */
        struct gsym *gsyms;
        size_t ngsyms;
        struct strmap gsym_names;
        GElf_Sym *syms; /* output symbols; st_name is an offset in strtab */
        size_t nsyms, first_global;
        struct strtab strtab, shstrtab;
        size_t symtab_ndx, strtab_ndx, shstrtab_ndx, shnum;
        char *why;
        size_t why_len;
};

static int fail(struct merger *m, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct merger *m, int code, const char *fmt, ...)
{
        va_list ap;

        if (m->why && m->why_len) {
                va_start(ap, fmt);
                vsnprintf(m->why, m->why_len, fmt, ap);
                va_end(ap);
        }
        return -code;
}

static int nomem(struct merger *m)
{
        return fail(m, ENOMEM, "out of memory");
}

static uint64_t str_hash(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
        return h;
}

static struct strmap_slot *strmap_slot(const struct strmap *m, const char *key)
{
        size_t i = str_hash(key) & (m->cap - 1);

        while (m->slots[i].key && strcmp(m->slots[i].key, key) != 0)
                i = (i + 1) & (m->cap - 1);
        return &m->slots[i];
}

static bool strmap_get(const struct strmap *m, const char *key, size_t *val)
{
        const struct strmap_slot *s;

        if (!m->cap)
                return false;
        s = strmap_slot(m, key);
        if (!s->key)
                return false;
        *val = s->val;
        return true;
}

/* Insert `key`, which must be absent; false when out of memory. */
static bool strmap_put(struct strmap *m, const char *key, size_t val)
{
        if (2 * (m->cnt + 1) > m->cap) {
                struct strmap grown = {.cap = m->cap ? m->cap * 2 : 64, .cnt = m->cnt};

                grown.slots = calloc(grown.cap, sizeof(*grown.slots));
                if (!grown.slots)
                        return false;
                for (size_t i = 0; i < m->cap; i++) {
                        if (m->slots[i].key)
                                *strmap_slot(&grown, m->slots[i].key) = m->slots[i];
                }
                free(m->slots);
                *m = grown;
        }
        *strmap_slot(m, key) = (struct strmap_slot){key, val};
        m->cnt++;
        return true;
}

/* Append `s`; the empty name is the table's first byte. False when out of memory. */
static bool strtab_add(struct strtab *t, const char *s, size_t *off)
{
        size_t n = strlen(s) + 1;

        if (!*s && t->len) {
                *off = 0;
                return true;
        }
        if (n > t->cap - t->len) {
                size_t cap = t->cap ? t->cap : 256;
                char *data;

                while (n > cap - t->len)
                        cap *= 2;
                data = realloc(t->data, cap);
                if (!data)
                        return false;
                t->data = data;
                t->cap = cap;
        }
        memcpy(t->data + t->len, s, n);
        *off = t->len;
        t->len += n;
        return true;
}

/* *v rounded up to `align` (a power of two), then `size` added; false on overflow. */
static bool place_at(uint64_t *v, uint64_t align, uint64_t size, uint64_t *start)
{
        uint64_t at = (*v + align - 1) & ~(align - 1);

        if (at < *v || size > UINT64_MAX - at)
                return false;
        if (start)
                *start = at;
        *v = at + size;
        return true;
}

static unsigned char stricter_vis(unsigned char a, unsigned char b)
{
        static const unsigned char rank[4] = {
            [STV_DEFAULT] = 0, [STV_PROTECTED] = 1, [STV_HIDDEN] = 2, [STV_INTERNAL] = 3};

        return rank[b & 3] > rank[a & 3] ? (b & 3) : (a & 3);
}

/* Little-endian stores of ELF structure fields, at the field's offset and of its size. */
static void put(uint8_t *p, uint64_t v, size_t n)
{
        for (size_t b = 0; b < n; b++)
                p[b] = (uint8_t)(v >> (8 * b));
}

#define PUT(p, type, field, v) put((p) + offsetof(type, field), (v), sizeof(((type *)0)->field))

/* Section header `s` of input `i` with its name; its contents must lie inside the input. */
static int get_shdr(struct merger *m, size_t i, size_t s, GElf_Shdr *sh, const char **name)
{
        struct inobj *in = &m->in[i];
        Elf_Scn *scn = elf_getscn(in->elf, s);

        if (!scn || !gelf_getshdr(scn, sh))
                return fail(m, EINVAL, "input %zu: section %zu: %s", i, s, elf_errmsg(-1));
        *name = elf_strptr(in->elf, in->shstrndx, sh->sh_name);
        if (!*name)
                return fail(m, EINVAL, "input %zu: section %zu: bad name", i, s);
        if (sh->sh_type != SHT_NOBITS &&
            (sh->sh_offset > in->len || sh->sh_size > in->len - sh->sh_offset))
                return fail(m, EINVAL, "input %zu: section %s lies outside the file", i, *name);
        return 0;
}

/* Symbol k of input i with its name; its binding and section index checked. */
static int get_sym(struct merger *m, size_t i, size_t k, GElf_Sym *sym, const char **name)
{
        struct inobj *in = &m->in[i];
        unsigned bind;

        if (!gelf_getsym(in->syms, (int)k, sym))
                return fail(m, EINVAL, "input %zu: symbol %zu: %s", i, k, elf_errmsg(-1));
        *name = elf_strptr(in->elf, in->strndx, sym->st_name);
        if (!*name)
                return fail(m, EINVAL, "input %zu: symbol %zu: bad name", i, k);
        bind = GELF_ST_BIND(sym->st_info);
        if (bind != STB_LOCAL && bind != STB_GLOBAL && bind != STB_WEAK)
                return fail(m, ENOTSUP, "input %zu: symbol %s: binding %u", i, *name, bind);
        if (sym->st_shndx >= SHN_LORESERVE && sym->st_shndx != SHN_ABS &&
            sym->st_shndx != SHN_COMMON)
                return fail(m, ENOTSUP, "input %zu: symbol %s: special section index %#x", i, *name,
                            sym->st_shndx);
        if (sym->st_shndx < SHN_LORESERVE && sym->st_shndx >= in->shnum)
                return fail(m, EINVAL, "input %zu: symbol %s: section index %u out of range", i,
                            *name, sym->st_shndx);
        return 0;
}

/* Move input i's symbol to its section's piece in the output. */
static int place_sym(struct merger *m, size_t i, GElf_Sym *sym, const char *name)
{
        struct inobj *in = &m->in[i];
        size_t s = sym->st_shndx, o;

        if (s == SHN_UNDEF || s == SHN_ABS || s == SHN_COMMON)
                return 0;
        o = in->osec[s];
        if (o == NONE || m->osecs[o].kind == OSEC_RELA)
                return fail(m, ENOTSUP, "input %zu: symbol %s lies in a section not merged", i,
                            name);
        sym->st_shndx = (GElf_Half)m->osecs[o].shndx;
        sym->st_value += in->off[s];
        return 0;
}

static int add_sym(struct merger *m, const GElf_Sym *sym, const char *name, size_t *idx)
{
        GElf_Sym *o;
        size_t off;

        if (!strtab_add(&m->strtab, name, &off))
                return nomem(m);
        if (off > UINT32_MAX)
                return fail(m, ENOTSUP, "string table too large");
        o = ARRAY_ADD(m->syms, m->nsyms);
        if (!o)
                return nomem(m);
        *o = *sym;
        o->st_name = (GElf_Word)off;
        if (idx)
                *idx = m->nsyms - 1;
        return 0;
}

static bool is_single(const GElf_Shdr *sh, const char *name)
{
        if (sh->sh_type == OM_SHT_ATTRIBUTES)
                return true;
        for (size_t n = 0; n < sizeof(single_names) / sizeof(single_names[0]); n++) {
                if (strcmp(name, single_names[n]) == 0)
                        return true;
        }
        return false;
}

static int new_osec(struct merger *m, const GElf_Shdr *sh, const char *name, enum osec_kind kind,
                    size_t *o)
{
        struct osec *os = ARRAY_ADD(m->osecs, m->nosecs);

        if (!os)
                return nomem(m);
        *os = (struct osec){.name = name,
                            .type = sh->sh_type,
                            .flags = sh->sh_flags,
                            .entsize = sh->sh_entsize,
                            .align = 1,
                            .kind = kind,
                            .target = NONE,
                            .rela = NONE,
                            .link = NONE};
        *o = m->nosecs - 1;
        return 0;
}

/* Input i's section s becomes a piece of output section o. */
static int add_piece(struct merger *m, size_t i, size_t s, const GElf_Shdr *sh, const char *name,
                     size_t o)
{
        struct inobj *in = &m->in[i];
        struct osec *os = &m->osecs[o];
        uint64_t align = sh->sh_addralign ? sh->sh_addralign : 1;
        const uint8_t *bytes = sh->sh_type == SHT_NOBITS ? NULL : in->data + sh->sh_offset;

        if (align & (align - 1))
                return fail(m, EINVAL, "input %zu: section %s: alignment %#llx", i, name,
                            (unsigned long long)align);
        if (os->type != sh->sh_type || os->flags != sh->sh_flags || os->entsize != sh->sh_entsize)
                return fail(m, ENOTSUP,
                            "input %zu: section %s: type, flags or entry size differ from an "
                            "earlier input's",
                            i, name);
        in->osec[s] = o;
        if (os->kind == OSEC_SINGLE) {
                if (!os->pieces) {
                        os->single = bytes;
                        os->size = sh->sh_size;
                        os->align = align;
                } else if (os->size != sh->sh_size ||
                           (bytes && memcmp(os->single, bytes, sh->sh_size) != 0)) {
                        return fail(m, ENOTSUP, "input %zu: section %s differs from input 0's", i,
                                    name);
                }
                in->off[s] = 0;
        } else {
                if (!place_at(&os->size, align, sh->sh_size, &in->off[s]))
                        return fail(m, EINVAL, "section %s too large", name);
                if (align > os->align)
                        os->align = align;
        }
        os->pieces++;
        return 0;
}

/* Contents that only the relocations rewritten here refer to. */
static int check_plain(struct merger *m, size_t i, const GElf_Shdr *sh, const char *name)
{
        if (sh->sh_flags & (SHF_GROUP | SHF_COMPRESSED | SHF_INFO_LINK))
                return fail(m, ENOTSUP,
                            "input %zu: section %s: group member, compressed or info link", i,
                            name);
        if ((sh->sh_link && !(sh->sh_flags & SHF_LINK_ORDER)) || sh->sh_info)
                return fail(m, ENOTSUP, "input %zu: section %s links to other sections", i, name);
        return 0;
}

/* Input i's section s goes to the output section of its name. */
static int place_section(struct merger *m, size_t i, size_t s, const GElf_Shdr *sh,
                         const char *name)
{
        int ret = check_plain(m, i, sh, name);
        size_t o = NONE;

        if (ret)
                return ret;
        if (!strmap_get(&m->osec_names, name, &o)) {
                ret = new_osec(m, sh, name, is_single(sh, name) ? OSEC_SINGLE : OSEC_CONCAT, &o);
                if (ret)
                        return ret;
                if (!strmap_put(&m->osec_names, name, o))
                        return nomem(m);
        }
        return add_piece(m, i, s, sh, name, o);
}

/*
 * A SHF_LINK_ORDER section goes to the output section of its name that
 * describes the output section of the one it describes, as ld -r keeps
 * them. Concatenating stays exact while its pieces describe pieces in
 * increasing order, which input order gives.
 */
static int place_linked(struct merger *m, size_t i, size_t s, const GElf_Shdr *sh, const char *name)
{
        struct inobj *in = &m->in[i];
        int ret = check_plain(m, i, sh, name);
        size_t l = sh->sh_link, lo, o;

        if (ret)
                return ret;
        if (!l || l >= in->shnum)
                return fail(m, EINVAL, "input %zu: section %s: bad link", i, name);
        lo = in->osec[l];
        if (lo == NONE || m->osecs[lo].kind != OSEC_CONCAT)
                return fail(m, ENOTSUP, "input %zu: section %s describes a section not merged", i,
                            name);
        for (o = 0; o < m->nosecs; o++) { /* few: a linear search */
                if (m->osecs[o].link == lo && strcmp(m->osecs[o].name, name) == 0)
                        break;
        }
        if (o == m->nosecs) {
                ret = new_osec(m, sh, name, OSEC_CONCAT, &o);
                if (ret)
                        return ret;
                m->osecs[o].link = lo;
        } else if (in->off[l] < m->osecs[o].link_off) {
                return fail(m, ENOTSUP,
                            "input %zu: section %s: pieces would not follow the sections they "
                            "describe",
                            i, name);
        }
        m->osecs[o].link_off = in->off[l];
        return add_piece(m, i, s, sh, name, o);
}

/* Input i's RELA section s goes to the relocation section of its target's output section. */
static int place_rela(struct merger *m, size_t i, size_t s, const GElf_Shdr *sh, const char *name)
{
        struct inobj *in = &m->in[i];
        struct osec *os;
        size_t t, r;

        if (sh->sh_flags & (SHF_ALLOC | SHF_GROUP))
                return fail(m, ENOTSUP, "input %zu: relocation section %s: allocated or grouped", i,
                            name);
        if (!in->symtab || sh->sh_link != in->symtab)
                return fail(m, EINVAL, "input %zu: %s does not refer to the symbol table", i, name);
        if (sh->sh_entsize != sizeof(Elf64_Rela) || sh->sh_size % sizeof(Elf64_Rela))
                return fail(m, EINVAL, "input %zu: %s: bad entry size", i, name);
        if (!sh->sh_info || sh->sh_info >= in->shnum)
                return fail(m, EINVAL, "input %zu: %s: bad target section", i, name);
        t = in->osec[sh->sh_info];
        if (t == NONE || m->osecs[t].kind != OSEC_CONCAT)
                return fail(m, ENOTSUP, "input %zu: %s relocates a section not concatenated", i,
                            name);
        r = m->osecs[t].rela;
        if (r == NONE) {
                os = ARRAY_ADD(m->osecs, m->nosecs);
                if (!os)
                        return nomem(m);
                *os = (struct osec){.name = name,
                                    .type = SHT_RELA,
                                    .entsize = sizeof(Elf64_Rela),
                                    .align = 8,
                                    .kind = OSEC_RELA,
                                    .target = t,
                                    .rela = NONE,
                                    .link = NONE};
                r = m->nosecs - 1;
                m->osecs[t].rela = r;
        }
        os = &m->osecs[r];
        os->flags |= sh->sh_flags; /* SHF_INFO_LINK, which GCC sets and LLVM does not always */
        in->osec[s] = r;
        in->off[s] = os->size;
        os->size += sh->sh_size;
        os->pieces++;
        return 0;
}

/* Sections copied as pieces; the others are rebuilt (symbols, names, relocations) or dropped. */
static bool is_copied(uint32_t type)
{
        return type != SHT_NULL && type != SHT_RELA && type != OM_SHT_LLVM_ADDRSIG &&
               type != SHT_SYMTAB && type != SHT_STRTAB;
}

static int map_sections(struct merger *m, size_t i)
{
        struct inobj *in = &m->in[i];
        GElf_Shdr sh;
        const char *name;
        int ret;

        for (size_t s = 1; s < in->shnum; s++) {
                in->osec[s] = NONE;
                ret = get_shdr(m, i, s, &sh, &name);
                if (ret)
                        return ret;
                for (size_t t = 0; t < sizeof(refused_types) / sizeof(refused_types[0]); t++) {
                        if (sh.sh_type == refused_types[t].type)
                                return fail(m, ENOTSUP, "input %zu: section %s: %s", i, name,
                                            refused_types[t].what);
                }
                switch (sh.sh_type) {
                case SHT_NULL:
                case SHT_RELA:
                case OM_SHT_LLVM_ADDRSIG: /* symbol indices, a mere hint: dropped as ld -r does */
                        break;
                case SHT_SYMTAB:
                        if (in->symtab)
                                return fail(m, EINVAL, "input %zu: two symbol tables", i);
                        in->symtab = s;
                        break;
                case SHT_STRTAB: /* rebuilt */
                        if (sh.sh_flags & SHF_ALLOC)
                                return fail(m, ENOTSUP, "input %zu: allocated string table %s", i,
                                            name);
                        break;
                default:
                        if (sh.sh_flags & SHF_LINK_ORDER)
                                break; /* once what it describes has its place */
                        ret = place_section(m, i, s, &sh, name);
                        if (ret)
                                return ret;
                }
        }
        /* Then sections describing others, then relocations, which may be of either. */
        for (int pass = 0; pass < 2; pass++) {
                for (size_t s = 1; s < in->shnum; s++) {
                        ret = get_shdr(m, i, s, &sh, &name);
                        if (ret)
                                return ret;
                        if (pass == 0 && is_copied(sh.sh_type) && (sh.sh_flags & SHF_LINK_ORDER))
                                ret = place_linked(m, i, s, &sh, name);
                        else if (pass == 1 && sh.sh_type == SHT_RELA)
                                ret = place_rela(m, i, s, &sh, name);
                        if (ret)
                                return ret;
                }
        }
        return 0;
}

static int open_input(struct merger *m, size_t i, const struct objmerge_input *src)
{
        struct inobj *in = &m->in[i];
        const uint8_t *d = src->data;
        GElf_Ehdr eh, eh0;

        if (!d || src->len < EI_NIDENT || memcmp(d, ELFMAG, SELFMAG) != 0)
                return fail(m, EINVAL, "input %zu: not an ELF file", i);
        if (d[EI_CLASS] != ELFCLASS64 || d[EI_DATA] != ELFDATA2LSB)
                return fail(m, ENOTSUP, "input %zu: not a 64-bit little-endian ELF file", i);
        if (src->len < sizeof(Elf64_Ehdr))
                return fail(m, EINVAL, "input %zu: truncated ELF header", i);
        in->data = d;
        in->len = src->len;
        in->elf = elf_memory((char *)d, src->len);
        if (!in->elf || elf_kind(in->elf) != ELF_K_ELF || !gelf_getehdr(in->elf, &eh))
                return fail(m, EINVAL, "input %zu: malformed ELF file: %s", i, elf_errmsg(-1));
        if (eh.e_type != ET_REL)
                return fail(m, EINVAL, "input %zu: not a relocatable object", i);
        if (eh.e_machine == EM_MIPS) /* whose r_info is laid out differently */
                return fail(m, ENOTSUP, "input %zu: MIPS", i);
        if (i && gelf_getehdr(m->in[0].elf, &eh0) &&
            (eh.e_machine != eh0.e_machine || eh.e_flags != eh0.e_flags))
                return fail(m, ENOTSUP,
                            "input %zu: machine %u, flags %#x differ from input 0's (%u, %#x)", i,
                            eh.e_machine, eh.e_flags, eh0.e_machine, eh0.e_flags);
        if (elf_getshdrnum(in->elf, &in->shnum) || elf_getshdrstrndx(in->elf, &in->shstrndx))
                return fail(m, EINVAL, "input %zu: malformed ELF file: %s", i, elf_errmsg(-1));
        if (in->shnum >= SHN_LORESERVE)
                return fail(m, ENOTSUP, "input %zu: %zu sections", i, in->shnum);
        if (eh.e_shoff > in->len || in->shnum * sizeof(Elf64_Shdr) > in->len - eh.e_shoff ||
            (in->shnum && in->shstrndx >= in->shnum))
                return fail(m, EINVAL, "input %zu: malformed section header table", i);
        in->osec = calloc(in->shnum ? in->shnum : 1, sizeof(*in->osec));
        in->off = calloc(in->shnum ? in->shnum : 1, sizeof(*in->off));
        if (!in->osec || !in->off)
                return nomem(m);
        if (in->shnum)
                in->osec[0] = NONE;
        return map_sections(m, i);
}

static int read_symtab(struct merger *m, size_t i)
{
        struct inobj *in = &m->in[i];
        GElf_Shdr sh, strsh;
        const char *name;
        int ret;

        if (!in->symtab)
                return 0;
        ret = get_shdr(m, i, in->symtab, &sh, &name);
        if (ret)
                return ret;
        if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_size % sizeof(Elf64_Sym) || !sh.sh_link ||
            sh.sh_link >= in->shnum)
                return fail(m, EINVAL, "input %zu: malformed symbol table", i);
        ret = get_shdr(m, i, sh.sh_link, &strsh, &name);
        if (ret)
                return ret;
        if (strsh.sh_type != SHT_STRTAB)
                return fail(m, EINVAL, "input %zu: symbol names not in a string table", i);
        in->strndx = sh.sh_link;
        in->syms = elf_getdata(elf_getscn(in->elf, in->symtab), NULL);
        if (!in->syms || in->syms->d_size < sh.sh_size)
                return fail(m, EINVAL, "input %zu: symbol table: %s", i, elf_errmsg(-1));
        in->nsyms = sh.sh_size / sizeof(Elf64_Sym);
        in->symmap = calloc(in->nsyms ? in->nsyms : 1, sizeof(*in->symmap));
        return in->symmap ? 0 : nomem(m);
}

/* Input i's local symbols but its section symbols, in their order. */
static int add_locals(struct merger *m, size_t i)
{
        struct inobj *in = &m->in[i];
        GElf_Sym sym;
        const char *name;
        int ret;

        for (size_t k = 1; k < in->nsyms; k++) {
                ret = get_sym(m, i, k, &sym, &name);
                if (ret)
                        return ret;
                if (GELF_ST_BIND(sym.st_info) != STB_LOCAL)
                        continue;
                if (GELF_ST_TYPE(sym.st_info) == STT_SECTION) {
                        in->symmap[k] = NONE; /* the output section's own, at reloc time */
                        continue;
                }
                ret = place_sym(m, i, &sym, name);
                if (!ret)
                        ret = add_sym(m, &sym, name, &in->symmap[k]);
                if (ret)
                        return ret;
        }
        return 0;
}

/* Combine input i's global and weak symbols into m->gsyms; symmap holds the gsym for now. */
static int collect_globals(struct merger *m, size_t i)
{
        struct inobj *in = &m->in[i];
        GElf_Sym sym;
        const char *name;
        struct gsym *g;
        size_t gi;
        int ret;

        for (size_t k = 1; k < in->nsyms; k++) {
                ret = get_sym(m, i, k, &sym, &name);
                if (ret)
                        return ret;
                if (GELF_ST_BIND(sym.st_info) == STB_LOCAL)
                        continue;
                if (!*name)
                        return fail(m, EINVAL, "input %zu: global symbol %zu without a name", i, k);
                if (!strmap_get(&m->gsym_names, name, &gi)) {
                        g = ARRAY_ADD(m->gsyms, m->ngsyms);
                        if (!g)
                                return nomem(m);
                        *g = (struct gsym){.name = name, .in = i, .k = k, .vis = STV_DEFAULT};
                        gi = m->ngsyms - 1;
                        if (!strmap_put(&m->gsym_names, name, gi))
                                return nomem(m);
                }
                g = &m->gsyms[gi];
                in->symmap[k] = gi;
                g->vis = stricter_vis(g->vis, GELF_ST_VISIBILITY(sym.st_other));
                if (sym.st_shndx == SHN_UNDEF) {
                        if (GELF_ST_BIND(sym.st_info) == STB_GLOBAL)
                                g->strong_ref = true;
                        continue;
                }
                /* ld merges common symbols with each other; not done here. */
                if (g->ndefs && (g->common || sym.st_shndx == SHN_COMMON))
                        return fail(m, ENOTSUP, "common symbol %s defined more than once", name);
                if (GELF_ST_BIND(sym.st_info) == STB_GLOBAL) {
                        if (g->strong_def)
                                return fail(m, EINVAL, "symbol %s defined in inputs %zu and %zu",
                                            name, g->in, i);
                        g->strong_def = true;
                        g->in = i;
                        g->k = k;
                } else if (!g->ndefs) {
                        g->in = i; /* the first weak definition, unless a strong one follows */
                        g->k = k;
                }
                g->common = sym.st_shndx == SHN_COMMON;
                g->ndefs++;
        }
        return 0;
}

static int add_localized(struct merger *m, const char *const *localize, size_t localize_cnt)
{
        GElf_Sym sym;
        const char *name;
        struct gsym *g;
        size_t gi;
        int ret;

        for (size_t l = 0; l < localize_cnt; l++) {
                if (!localize[l])
                        return fail(m, EINVAL, "localize: name %zu is NULL", l);
                if (!strmap_get(&m->gsym_names, localize[l], &gi) || !m->gsyms[gi].ndefs)
                        return fail(m, EINVAL, "localize: no input defines %s", localize[l]);
                g = &m->gsyms[gi];
                if (g->localized)
                        continue; /* named twice */
                if (g->ndefs > 1)
                        return fail(m, EINVAL, "localize: %s is defined in more than one input",
                                    g->name);
                if (g->common)
                        return fail(m, ENOTSUP, "localize: %s is a common symbol", g->name);
                ret = get_sym(m, g->in, g->k, &sym, &name);
                if (!ret)
                        ret = place_sym(m, g->in, &sym, name);
                if (ret)
                        return ret;
                sym.st_info = GELF_ST_INFO(STB_LOCAL, GELF_ST_TYPE(sym.st_info));
                sym.st_other &= ~3; /* STV_DEFAULT; the bits above are the machine's */
                ret = add_sym(m, &sym, name, &g->out);
                if (ret)
                        return ret;
                g->localized = true;
        }
        return 0;
}

static int add_globals(struct merger *m)
{
        GElf_Sym sym;
        const char *name;
        int ret;

        for (size_t gi = 0; gi < m->ngsyms; gi++) {
                struct gsym *g = &m->gsyms[gi];

                if (g->localized)
                        continue;
                ret = get_sym(m, g->in, g->k, &sym, &name);
                if (!ret)
                        ret = place_sym(m, g->in, &sym, name);
                if (ret)
                        return ret;
                if (!g->ndefs) /* weak only when every reference is */
                        sym.st_info = GELF_ST_INFO(g->strong_ref ? STB_GLOBAL : STB_WEAK,
                                                   GELF_ST_TYPE(sym.st_info));
                sym.st_other = (unsigned char)((sym.st_other & ~3) | g->vis);
                ret = add_sym(m, &sym, name, &g->out);
                if (ret)
                        return ret;
        }
        /* Input symbols now map to output symbols, not gsyms. */
        for (size_t i = 0; i < m->cnt; i++) {
                struct inobj *in = &m->in[i];

                for (size_t k = 1; k < in->nsyms; k++) {
                        if (!gelf_getsym(in->syms, (int)k, &sym))
                                return fail(m, EINVAL, "input %zu: symbol %zu", i, k);
                        if (GELF_ST_BIND(sym.st_info) != STB_LOCAL)
                                in->symmap[k] = m->gsyms[in->symmap[k]].out;
                }
        }
        return 0;
}

static int build_symbols(struct merger *m, const char *const *localize, size_t localize_cnt)
{
        GElf_Sym null = {0};
        size_t off;
        int ret;

        if (!strtab_add(&m->strtab, "", &off))
                return nomem(m);
        ret = add_sym(m, &null, "", NULL);
        for (size_t i = 0; i < m->cnt && !ret; i++)
                ret = read_symtab(m, i);
        for (size_t i = 0; i < m->cnt && !ret; i++)
                ret = add_locals(m, i);
        for (size_t o = 0; o < m->nosecs && !ret; o++) {
                GElf_Sym sec = {.st_info = GELF_ST_INFO(STB_LOCAL, STT_SECTION),
                                .st_shndx = (GElf_Half)m->osecs[o].shndx};

                if (m->osecs[o].kind != OSEC_RELA)
                        ret = add_sym(m, &sec, "", &m->osecs[o].sym);
        }
        for (size_t i = 0; i < m->cnt && !ret; i++)
                ret = collect_globals(m, i);
        if (!ret)
                ret = add_localized(m, localize, localize_cnt);
        m->first_global = m->nsyms;
        if (!ret)
                ret = add_globals(m);
        if (!ret && (m->nsyms > UINT32_MAX || m->first_global > UINT32_MAX))
                return fail(m, ENOTSUP, "too many symbols");
        return ret;
}

/* Section header indices and names: each relocation section right after its target. */
static int number_sections(struct merger *m)
{
        size_t n = 1, off;

        if (!strtab_add(&m->shstrtab, "", &off))
                return nomem(m);
        for (size_t o = 0; o < m->nosecs; o++) {
                struct osec *os = &m->osecs[o];

                if (os->kind == OSEC_RELA)
                        continue;
                os->shndx = n++;
                if (os->rela != NONE)
                        m->osecs[os->rela].shndx = n++;
        }
        m->symtab_ndx = n++;
        m->strtab_ndx = n++;
        m->shstrtab_ndx = n++;
        m->shnum = n;
        if (n >= SHN_LORESERVE)
                return fail(m, ENOTSUP, "%zu output sections", n);
        for (size_t o = 0; o < m->nosecs; o++) {
                if (!strtab_add(&m->shstrtab, m->osecs[o].name, &m->osecs[o].name_off))
                        return nomem(m);
        }
        return 0;
}

/* Input i's RELA section s, rewritten into the output at its piece. */
static int write_relas(struct merger *m, size_t i, size_t s, uint8_t *buf)
{
        struct inobj *in = &m->in[i];
        const struct osec *os = &m->osecs[in->osec[s]];
        uint8_t *p = buf + os->offset + in->off[s];
        GElf_Shdr sh, tsh;
        const char *name, *tname;
        Elf_Data *d;
        int ret;

        ret = get_shdr(m, i, s, &sh, &name);
        if (!ret)
                ret = get_shdr(m, i, sh.sh_info, &tsh, &tname);
        if (ret)
                return ret;
        d = elf_getdata(elf_getscn(in->elf, s), NULL);
        if (!d || d->d_size < sh.sh_size)
                return fail(m, EINVAL, "input %zu: %s: %s", i, name, elf_errmsg(-1));
        for (size_t j = 0; j < sh.sh_size / sizeof(Elf64_Rela); j++, p += sizeof(Elf64_Rela)) {
                GElf_Rela r;
                size_t k, osym = 0;

                if (!gelf_getrela(d, (int)j, &r))
                        return fail(m, EINVAL, "input %zu: %s: %s", i, name, elf_errmsg(-1));
                k = GELF_R_SYM(r.r_info);
                if ((k && k >= in->nsyms) || r.r_offset > tsh.sh_size)
                        return fail(m, EINVAL, "input %zu: %s: relocation %zu out of range", i,
                                    name, j);
                if (k && in->symmap[k] != NONE) {
                        osym = in->symmap[k];
                } else if (k) {
                        /* A section symbol: the output section's, moved to the piece. */
                        GElf_Sym sym;
                        const char *sname;
                        size_t y;

                        ret = get_sym(m, i, k, &sym, &sname);
                        if (ret)
                                return ret;
                        y = sym.st_shndx;
                        if (y == SHN_UNDEF || y >= in->shnum || in->osec[y] == NONE ||
                            m->osecs[in->osec[y]].kind == OSEC_RELA)
                                return fail(m, ENOTSUP,
                                            "input %zu: %s: relocation against a section not "
                                            "merged",
                                            i, name);
                        osym = m->osecs[in->osec[y]].sym;
                        r.r_addend += (int64_t)(in->off[y] + sym.st_value);
                }
                PUT(p, Elf64_Rela, r_offset, r.r_offset + in->off[sh.sh_info]);
                PUT(p, Elf64_Rela, r_info, GELF_R_INFO(osym, GELF_R_TYPE(r.r_info)));
                PUT(p, Elf64_Rela, r_addend, (uint64_t)r.r_addend);
        }
        return 0;
}

static void write_shdr(uint8_t *p, size_t name, uint32_t type, uint64_t flags, uint64_t offset,
                       uint64_t size, size_t link, size_t info, uint64_t align, uint64_t entsize)
{
        PUT(p, Elf64_Shdr, sh_name, name);
        PUT(p, Elf64_Shdr, sh_type, type);
        PUT(p, Elf64_Shdr, sh_flags, flags);
        PUT(p, Elf64_Shdr, sh_offset, offset);
        PUT(p, Elf64_Shdr, sh_size, size);
        PUT(p, Elf64_Shdr, sh_link, link);
        PUT(p, Elf64_Shdr, sh_info, info);
        PUT(p, Elf64_Shdr, sh_addralign, align);
        PUT(p, Elf64_Shdr, sh_entsize, entsize);
}

static int write_output(struct merger *m, struct bpfaot_buf *out)
{
        uint64_t at = sizeof(Elf64_Ehdr), symtab_off, strtab_off, shstrtab_off, shoff;
        size_t symtab_name, strtab_name, shstrtab_name;
        const uint8_t *ident = m->in[0].data;
        GElf_Ehdr eh0;
        uint8_t *buf, *p;
        int ret = 0;

        if (!strtab_add(&m->shstrtab, ".symtab", &symtab_name) ||
            !strtab_add(&m->shstrtab, ".strtab", &strtab_name) ||
            !strtab_add(&m->shstrtab, ".shstrtab", &shstrtab_name))
                return nomem(m);
        /* Contents in section header order (number_sections'). */
        for (size_t o = 0; o < m->nosecs; o++) {
                struct osec *os = &m->osecs[o];
                struct osec *rela = os->rela != NONE ? &m->osecs[os->rela] : NULL;

                if (os->kind == OSEC_RELA)
                        continue;
                if (!place_at(&at, os->align, os->type == SHT_NOBITS ? 0 : os->size, &os->offset) ||
                    (rela && !place_at(&at, rela->align, rela->size, &rela->offset)))
                        return fail(m, EINVAL, "output too large");
        }
        if (!place_at(&at, 8, m->nsyms * sizeof(Elf64_Sym), &symtab_off) ||
            !place_at(&at, 1, m->strtab.len, &strtab_off) ||
            !place_at(&at, 1, m->shstrtab.len, &shstrtab_off) ||
            !place_at(&at, 8, m->shnum * sizeof(Elf64_Shdr), &shoff) || at > SIZE_MAX)
                return fail(m, EINVAL, "output too large");
        buf = calloc(1, (size_t)at);
        if (!buf)
                return nomem(m);
        if (!gelf_getehdr(m->in[0].elf, &eh0)) {
                free(buf);
                return fail(m, EINVAL, "input 0: %s", elf_errmsg(-1));
        }

        for (size_t o = 0; o < m->nosecs; o++) {
                const struct osec *os = &m->osecs[o];

                /* Padding between x86 code pieces as NOPs, so that disassembly reads well. */
                if (eh0.e_machine == EM_X86_64 && (os->flags & SHF_EXECINSTR) &&
                    os->type != SHT_NOBITS)
                        memset(buf + os->offset, 0x90, os->size);
                if (os->kind == OSEC_SINGLE && os->single)
                        memcpy(buf + os->offset, os->single, os->size);
        }
        for (size_t i = 0; i < m->cnt && !ret; i++) {
                struct inobj *in = &m->in[i];

                for (size_t s = 1; s < in->shnum && !ret; s++) {
                        const struct osec *os;
                        const char *name;
                        GElf_Shdr sh;

                        if (in->osec[s] == NONE)
                                continue;
                        os = &m->osecs[in->osec[s]];
                        if (os->kind == OSEC_RELA) {
                                ret = write_relas(m, i, s, buf);
                        } else if (os->kind == OSEC_CONCAT && os->type != SHT_NOBITS) {
                                ret = get_shdr(m, i, s, &sh, &name);
                                if (!ret)
                                        memcpy(buf + os->offset + in->off[s],
                                               in->data + sh.sh_offset, sh.sh_size);
                        }
                }
        }
        if (ret) {
                free(buf);
                return ret;
        }

        p = buf + symtab_off;
        for (size_t k = 0; k < m->nsyms; k++, p += sizeof(Elf64_Sym)) {
                const GElf_Sym *s = &m->syms[k];

                PUT(p, Elf64_Sym, st_name, s->st_name);
                PUT(p, Elf64_Sym, st_info, s->st_info);
                PUT(p, Elf64_Sym, st_other, s->st_other);
                PUT(p, Elf64_Sym, st_shndx, s->st_shndx);
                PUT(p, Elf64_Sym, st_value, s->st_value);
                PUT(p, Elf64_Sym, st_size, s->st_size);
        }
        memcpy(buf + strtab_off, m->strtab.data, m->strtab.len);
        memcpy(buf + shstrtab_off, m->shstrtab.data, m->shstrtab.len);

        p = buf + shoff; /* header 0 stays zero */
        for (size_t o = 0; o < m->nosecs; o++) {
                const struct osec *os = &m->osecs[o];
                size_t link = 0, info = 0;

                if (os->kind == OSEC_RELA) {
                        link = m->symtab_ndx;
                        info = m->osecs[os->target].shndx;
                } else if (os->link != NONE) {
                        link = m->osecs[os->link].shndx;
                }
                write_shdr(p + os->shndx * sizeof(Elf64_Shdr), os->name_off, os->type, os->flags,
                           os->offset, os->size, link, info, os->align, os->entsize);
        }
        write_shdr(p + m->symtab_ndx * sizeof(Elf64_Shdr), symtab_name, SHT_SYMTAB, 0, symtab_off,
                   m->nsyms * sizeof(Elf64_Sym), m->strtab_ndx, m->first_global, 8,
                   sizeof(Elf64_Sym));
        write_shdr(p + m->strtab_ndx * sizeof(Elf64_Shdr), strtab_name, SHT_STRTAB, 0, strtab_off,
                   m->strtab.len, 0, 0, 1, 0);
        write_shdr(p + m->shstrtab_ndx * sizeof(Elf64_Shdr), shstrtab_name, SHT_STRTAB, 0,
                   shstrtab_off, m->shstrtab.len, 0, 0, 1, 0);

        memcpy(buf, ident, EI_NIDENT);
        PUT(buf, Elf64_Ehdr, e_type, ET_REL);
        PUT(buf, Elf64_Ehdr, e_machine, eh0.e_machine);
        PUT(buf, Elf64_Ehdr, e_version, eh0.e_version);
        PUT(buf, Elf64_Ehdr, e_shoff, shoff);
        PUT(buf, Elf64_Ehdr, e_flags, eh0.e_flags);
        PUT(buf, Elf64_Ehdr, e_ehsize, sizeof(Elf64_Ehdr));
        PUT(buf, Elf64_Ehdr, e_shentsize, sizeof(Elf64_Shdr));
        PUT(buf, Elf64_Ehdr, e_shnum, m->shnum);
        PUT(buf, Elf64_Ehdr, e_shstrndx, m->shstrtab_ndx);
        out->data = buf;
        out->len = (size_t)at;
        return 0;
}

static void merger_free(struct merger *m)
{
        for (size_t i = 0; m->in && i < m->cnt; i++) {
                if (m->in[i].elf)
                        elf_end(m->in[i].elf);
                free(m->in[i].osec);
                free(m->in[i].off);
                free(m->in[i].symmap);
        }
        free(m->in);
        free(m->osecs);
        free(m->osec_names.slots);
        free(m->gsyms);
        free(m->gsym_names.slots);
        free(m->syms);
        free(m->strtab.data);
        free(m->shstrtab.data);
}

int objmerge(const struct objmerge_input *in, size_t cnt, const char *const *localize,
             size_t localize_cnt, struct bpfaot_buf *out, char *why, size_t why_len)
{
        struct merger m = {.cnt = cnt, .why = why, .why_len = why_len};
        int ret = 0;

        if (why && why_len)
                why[0] = '\0';
        if (out) {
                out->data = NULL;
                out->len = 0;
        }
        if (!out || !cnt || !in || (localize_cnt && !localize))
                return fail(&m, EINVAL, "no inputs or no output");
        if (elf_version(EV_CURRENT) == EV_NONE)
                return fail(&m, EINVAL, "libelf initialisation failed");
        m.in = calloc(cnt, sizeof(*m.in));
        if (!m.in)
                return nomem(&m);
        for (size_t i = 0; i < cnt && !ret; i++)
                ret = open_input(&m, i, &in[i]);
        if (!ret)
                ret = number_sections(&m);
        if (!ret)
                ret = build_symbols(&m, localize, localize_cnt);
        if (!ret)
                ret = write_output(&m, out);
        merger_free(&m);
        return ret;
}
