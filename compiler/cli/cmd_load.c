/* SPDX-License-Identifier: MIT */
/*
 * bpf-aot load OBJECT ID: a native object becomes the code of program ID of
 * a shared-memory segment (bpftime-aot's load), once it is known to be
 * that program's: the object's <entry>__bytecode_hash (bpfaot/objabi.h)
 * must be the program's.
 */
#define _GNU_SOURCE
#include "cli.h"

#include "bpfaot/objabi.h"
#include "bpfaot/shm.h"

#include <errno.h>
#include <gelf.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
        fprintf(out, "Usage: bpf-aot load <OBJECT> <ID> [--shm NAME] [--entry NAME]\n\n"
                     "Put a native object into a shared-memory segment as the code of its\n"
                     "program ID. The object must be compiled from that program ('bpf-aot\n"
                     "compile' without an input): its <entry>__bytecode_hash is checked\n"
                     "against the program's instructions.\n\n"
                     "Options:\n"
                     "  --shm NAME           the segment (default: $BPFAOT_SHM, else bpfaot)\n"
                     "  --entry NAME         the object's entry function (default bpf_main)\n"
                     "  -h, --help           this help\n");
}

/* The 8 bytes of symbol `name` in ELF object `data`: 0, or -ENOENT when it has none. */
static int symbol_u64(const uint8_t *data, size_t len, const char *name, uint64_t *value)
{
        Elf *elf;
        Elf_Scn *scn = NULL;
        int ret = -ENOENT;

        if (elf_version(EV_CURRENT) == EV_NONE)
                return -EINVAL;
        elf = elf_memory((char *)data, len);
        if (!elf)
                return -ENOENT;
        while (ret == -ENOENT && (scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                Elf_Data *syms;

                if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
                        continue;
                syms = elf_getdata(scn, NULL);
                for (size_t i = 0; syms && i < sh.sh_size / sh.sh_entsize; i++) {
                        GElf_Sym sym;
                        GElf_Shdr dsh;
                        Elf_Data *d;
                        const char *n;

                        if (!gelf_getsym(syms, (int)i, &sym) ||
                            !(n = elf_strptr(elf, sh.sh_link, sym.st_name)) || strcmp(n, name))
                                continue;
                        d = elf_getdata(elf_getscn(elf, sym.st_shndx), NULL);
                        if (!d || !gelf_getshdr(elf_getscn(elf, sym.st_shndx), &dsh) ||
                            dsh.sh_type != SHT_PROGBITS || sym.st_size != 8 ||
                            sym.st_value > d->d_size || d->d_size - sym.st_value < 8)
                                break;
                        memcpy(value, (const char *)d->d_buf + sym.st_value, 8);
                        ret = 0;
                        break;
                }
        }
        elf_end(elf);
        return ret;
}

static int parse_id(const char *s, uint32_t *id)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v == 0 || v > UINT32_MAX) {
                cli_error("load: ID is a program's id in the segment (1, 2, ...), not '%s'", s);
                return EXIT_USAGE;
        }
        *id = (uint32_t)v;
        return EXIT_OK;
}

int cmd_load(int argc, char **argv)
{
        enum { O_SHM = 256, O_ENTRY };
        static const struct option lopts[] = {
            {"shm", required_argument, NULL, O_SHM},
            {"entry", required_argument, NULL, O_ENTRY},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *shm_name = NULL, *entry = BPFAOT_DEFAULT_ENTRY, *path;
        struct bpfaot_error err = {0};
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .error = &err};
        struct bpfaot_shm_prog_info pi;
        struct bpfaot_shm *shm;
        uint64_t hash;
        uint8_t *data;
        size_t len;
        uint32_t id;
        char *sym;
        int c, ret;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
                switch (c) {
                case O_SHM:
                        shm_name = optarg;
                        break;
                case O_ENTRY:
                        entry = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        return cli_bad_option(argv[0], c, argv);
                }
        }
        if (argc - optind != 2) {
                cli_error("load: takes an object and a program's id (see 'bpf-aot load --help')");
                return EXIT_USAGE;
        }
        path = argv[optind];
        ret = parse_id(argv[optind + 1], &id);
        if (ret)
                return ret;
        if (cli_read_file(path, &data, &len))
                return EXIT_FAIL;
        if (asprintf(&sym, "%s%s", entry, BPFAOT_SYM_BYTECODE_HASH) < 0) {
                free(data);
                cli_nomem(NULL);
                return EXIT_FAIL;
        }
        ret = EXIT_FAIL;
        if (symbol_u64(data, len, sym, &hash)) {
                cli_error("load: %s: no %s (compile the program with 'bpf-aot compile')",
                          cli_display_name(path), sym);
        } else if (bpfaot_shm__open(shm_name, &opts, &shm)) {
                cli_error("load: %s", err.msg);
        } else {
                int e = bpfaot_shm__prog_info(shm, id, &pi);

                if (e == -ENOENT)
                        cli_error("load: %s: no program %" PRIu32, bpfaot_shm__name(shm), id);
                else if (!e && pi.bytecode_hash != hash)
                        cli_error("load: %s: compiled from other instructions than program "
                                  "%" PRIu32 " of %s (bytecode %016" PRIx64
                                  ", the program's %016" PRIx64 ")",
                                  cli_display_name(path), id, bpfaot_shm__name(shm), hash,
                                  pi.bytecode_hash);
                else if (!e && (e = bpfaot_shm__set_prog_code(shm, id, data, len, hash)))
                        cli_error("load: %s: %s", bpfaot_shm__name(shm),
                                  e == -ENOSPC ? "the segment is full" : strerror(-e));
                else if (e)
                        cli_error("load: %s: program %" PRIu32 ": %s", bpfaot_shm__name(shm), id,
                                  strerror(-e));
                else
                        ret = EXIT_OK;
                bpfaot_shm__close(shm);
        }
        free(sym);
        free(data);
        return ret;
}
