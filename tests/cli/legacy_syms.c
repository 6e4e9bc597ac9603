/* SPDX-License-Identifier: MIT */
/*
 * legacy_syms IN OUT: OUT is IN as old compilers wrote it:
 * the functions of executable sections other than .text are global symbols
 * without a type or size (STT_NOTYPE, size 0), as in the objects of old
 * kernel samples. Everything else, the layout included, is unchanged.
 */
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int copy(const char *in, const char *out)
{
        char buf[65536];
        size_t n;
        FILE *i = fopen(in, "rb"), *o = fopen(out, "wb");
        int ret = i && o ? 0 : -1;

        while (!ret && (n = fread(buf, 1, sizeof(buf), i)) > 0)
                ret = fwrite(buf, 1, n, o) == n ? 0 : -1;
        if (i)
                fclose(i);
        if (o && fclose(o))
                ret = -1;
        return ret;
}

static int rewrite(Elf *elf)
{
        size_t shstrndx;
        Elf_Scn *scn = NULL;
        int changed = 0;

        if (elf_getshdrstrndx(elf, &shstrndx))
                return -1;
        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                Elf_Data *data;

                if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
                    !(data = elf_getdata(scn, NULL)))
                        continue;
                for (size_t k = 0; k < sh.sh_size / sh.sh_entsize; k++) {
                        GElf_Sym sym;
                        GElf_Shdr target;
                        const char *name;

                        if (!gelf_getsym(data, (int)k, &sym) ||
                            GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
                            GELF_ST_BIND(sym.st_info) == STB_LOCAL ||
                            !gelf_getshdr(elf_getscn(elf, sym.st_shndx), &target) ||
                            !(target.sh_flags & SHF_EXECINSTR) ||
                            !(name = elf_strptr(elf, shstrndx, target.sh_name)) ||
                            strcmp(name, ".text") == 0)
                                continue;
                        sym.st_info = GELF_ST_INFO(GELF_ST_BIND(sym.st_info), STT_NOTYPE);
                        sym.st_size = 0;
                        if (!gelf_update_sym(data, (int)k, &sym))
                                return -1;
                        changed++;
                }
                elf_flagdata(data, ELF_C_SET, ELF_F_DIRTY);
        }
        return changed;
}

int main(int argc, char **argv)
{
        Elf *elf;
        int fd, changed;

        if (argc != 3) {
                fprintf(stderr, "usage: legacy_syms IN OUT\n");
                return 2;
        }
        if (elf_version(EV_CURRENT) == EV_NONE || copy(argv[1], argv[2]) ||
            (fd = open(argv[2], O_RDWR)) < 0) {
                fprintf(stderr, "legacy_syms: cannot copy %s to %s\n", argv[1], argv[2]);
                return 1;
        }
        elf = elf_begin(fd, ELF_C_RDWR, NULL);
        changed = elf ? rewrite(elf) : -1;
        if (changed > 0) {
                elf_flagelf(elf, ELF_C_SET, ELF_F_LAYOUT);
                if (elf_update(elf, ELF_C_WRITE) < 0)
                        changed = -1;
        }
        if (elf)
                elf_end(elf);
        close(fd);
        if (changed <= 0) {
                fprintf(stderr, "legacy_syms: %s: %s\n", argv[1],
                        changed ? elf_errmsg(-1) : "no program function symbol to rewrite");
                return 1;
        }
        return 0;
}
