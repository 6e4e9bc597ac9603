/* SPDX-License-Identifier: MIT */
/*
 * ELF files through libelf: opening one of either kind with its layout
 * checked (the eBPF reader and the JIT start here), telling the kinds apart,
 * and listing the symbols of native objects (what the compiler emitted, or
 * a user gives to `run`).
 */
#include "internal.h"
#include "elffile.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>

/* Every section and the section header table must lie inside the file. */
static int check_layout(Elf *elf, const GElf_Ehdr *ehp, size_t len, const char *input,
                        struct bpfaot_error *err)
{
        GElf_Ehdr eh = *ehp;
        size_t shnum, shstrndx = 0;
        Elf_Scn *scn = NULL;
        shnum = eh.e_shnum;
        if ((!shnum && eh.e_shoff && elf_getshdrnum(elf, &shnum)) ||
            (shnum && (eh.e_shoff > len || (uint64_t)shnum * eh.e_shentsize > len - eh.e_shoff))) {
                return bpfaot_error_set(err, EINVAL,
                                        "%s: truncated or malformed ELF file: the section "
                                        "header table lies outside its %zu bytes",
                                        input, len);
        }
        if (shnum && (elf_getshdrstrndx(elf, &shstrndx) || shstrndx >= shnum)) {
                return bpfaot_error_set(err, EINVAL,
                                        "%s: malformed ELF file: bad section header "
                                        "string table index",
                                        input);
        }
        while ((scn = elf_nextscn(elf, scn)) != NULL) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh) ||
                    (sh.sh_type != SHT_NOBITS &&
                     (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset))) {
                        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
                        size_t idx = elf_ndxscn(scn);
                        return bpfaot_error_set(err, EINVAL,
                                                "%s: truncated or malformed ELF file: "
                                                "section %zu (%s) lies outside its %zu "
                                                "bytes",
                                                input, idx, name ? name : "?", len);
                }
        }
        return 0;
}

int elffile_open(const void *obj, size_t len, const char *input, Elf **out,
                 struct bpfaot_error *err)
{
        Elf *elf;
        GElf_Ehdr eh;

        *out = NULL;
        if (elf_version(EV_CURRENT) == EV_NONE)
                return bpfaot_error_set(err, EINVAL, "%s: libelf initialisation failed", input);
        if (len < 4 || memcmp(obj, ELFMAG, SELFMAG) != 0)
                return bpfaot_error_set(err, EINVAL, "%s: not an ELF file", input);
        if (len < EI_NIDENT ||
            len < (((const uint8_t *)obj)[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Ehdr)
                                                                  : sizeof(Elf32_Ehdr)))
                return bpfaot_error_set(err, EINVAL,
                                        "%s: truncated ELF file (%zu bytes, shorter than an ELF "
                                        "header)",
                                        input, len);
        elf = elf_memory((char *)obj, len);
        if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
                int code = elf_errno(); /* 0 when libelf merely did not see an ELF kind */

                if (elf)
                        elf_end(elf);
                if (code)
                        return bpfaot_error_set(err, EINVAL, "%s: malformed ELF file: %s", input,
                                                elf_errmsg(code));
                return bpfaot_error_set(err, EINVAL,
                                        "%s: malformed ELF file: unknown class %u or byte order %u "
                                        "in the ELF identification",
                                        input, ((const uint8_t *)obj)[EI_CLASS],
                                        ((const uint8_t *)obj)[EI_DATA]);
        }
        if (check_layout(elf, &eh, len, input, err)) {
                elf_end(elf);
                return err->code;
        }
        *out = elf;
        return 0;
}

/* Find the symbol table; returns NULL (no error) when there is none. */
static Elf_Scn *find_symtab(Elf *elf, GElf_Shdr *sh)
{
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(elf, scn)) != NULL) {
                if (gelf_getshdr(scn, sh) && sh->sh_type == SHT_SYMTAB)
                        return scn;
        }
        return NULL;
}

static int object_symbols(const void *obj, size_t obj_len, const char *input_name, bool defined,
                          int (*fn)(void *ctx, const char *name), void *ctx,
                          struct bpfaot_error *err);

int bpfaot_object_undefined_symbols(const void *obj, size_t obj_len, const char *input_name,
                                    int (*fn)(void *ctx, const char *name), void *ctx,
                                    struct bpfaot_error *err)
{
        return object_symbols(obj, obj_len, input_name, false, fn, ctx, err);
}

int bpfaot_object_defined_symbols(const void *obj, size_t obj_len, const char *input_name,
                                  int (*fn)(void *ctx, const char *name), void *ctx,
                                  struct bpfaot_error *err)
{
        return object_symbols(obj, obj_len, input_name, true, fn, ctx, err);
}

static int object_symbols(const void *obj, size_t obj_len, const char *input_name, bool defined,
                          int (*fn)(void *ctx, const char *name), void *ctx,
                          struct bpfaot_error *err)
{
        const char *input = input_name ? input_name : "<object>";
        GElf_Shdr sh;
        Elf_Data *data;
        Elf_Scn *scn;
        Elf *elf;
        int ret;

        ret = elffile_open(obj, obj_len, input, &elf, err);
        if (ret)
                return ret;
        scn = find_symtab(elf, &sh);
        if (!scn)
                goto out;
        data = elf_getdata(scn, NULL);
        if (!data || sh.sh_entsize == 0) {
                ret = bpfaot_error_set(err, EINVAL, "%s: malformed symbol table: %s", input,
                                       elf_errmsg(-1));
                goto out;
        }
        for (size_t i = 1; i < sh.sh_size / sh.sh_entsize; i++) {
                GElf_Sym sym;
                const char *name;

                if (!gelf_getsym(data, (int)i, &sym)) {
                        ret = bpfaot_error_set(err, EINVAL, "%s: malformed symbol %zu", input, i);
                        goto out;
                }
                if ((sym.st_shndx != SHN_UNDEF) != defined ||
                    GELF_ST_TYPE(sym.st_info) == STT_SECTION ||
                    (defined && GELF_ST_BIND(sym.st_info) == STB_LOCAL))
                        continue;
                name = elf_strptr(elf, sh.sh_link, sym.st_name);
                if (!name) {
                        ret = bpfaot_error_set(err, EINVAL, "%s: symbol %zu has a bad name", input,
                                               i);
                        goto out;
                }
                if (!*name)
                        continue;
                ret = fn(ctx, name);
                if (ret)
                        goto out;
        }
out:
        elf_end(elf);
        return ret;
}

enum bpfaot_elf_kind bpfaot_elf_kind(const void *data, size_t len)
{
        const uint8_t *d = data;
        unsigned machine;

        if (len < SELFMAG || memcmp(d, ELFMAG, SELFMAG) != 0)
                return BPFAOT_ELF_NONE;
        if (len < 20)
                return BPFAOT_ELF_EBPF; /* too short to tell: the eBPF reader says what is wrong */
        /* e_machine sits at offset 18 in both classes, in the file's byte order. */
        machine =
            d[EI_DATA] == ELFDATA2MSB ? (unsigned)d[18] << 8 | d[19] : (unsigned)d[19] << 8 | d[18];
        return machine == EM_BPF ? BPFAOT_ELF_EBPF : BPFAOT_ELF_NATIVE;
}
