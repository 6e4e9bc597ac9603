/* SPDX-License-Identifier: MIT */
/*
 * Runs every vector of the bpf_conformance suite (vectors.tsv) through a
 * plugin executable exactly as the bpf_conformance runner drives it, and
 * checks r0. Usage:
 *
 *   plugin_vectors PLUGIN CONFORMANCE_DIR raw|elf ["PLUGIN OPTIONS"]
 *
 * The runner's protocol, emulated here: the plugin is started as
 * PLUGIN [MEMORY_HEX] [plugin options...] [--elf], the options being its
 * --plugin_options string split at every space; MEMORY_HEX is passed only
 * when the test has memory. Every byte, of the memory argument and of stdin,
 * is written as two hex digits and two spaces; stdin ends with a newline.
 * In raw mode stdin is the program's bytecode; in elf mode it is an ELF
 * object laid out as the runner's writer (ELFIO) lays it out: the program as
 * the global function `main` in .text, the symbol names in .shstrtab. The
 * plugin must exit 0 with r0 in hex on stdout. Every vector must pass: one
 * that cannot be run counts as a failure.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef EM_BPF
#define EM_BPF 247
#endif

struct bytes {
        uint8_t *v;
        size_t len;
};

static int parse_hex(const char *text, struct bytes *out)
{
        size_t cap = strlen(text) / 2 + 1;
        char *end;

        out->v = malloc(cap);
        out->len = 0;
        if (!out->v)
                return -1;
        for (const char *s = text; *s;) {
                unsigned long b;

                if (*s == ' ') {
                        s++;
                        continue;
                }
                b = strtoul(s, &end, 16);
                if (end == s || b > 0xff || out->len == cap)
                        return -1;
                out->v[out->len++] = (uint8_t)b;
                s = end;
        }
        return 0;
}

/* The runner's _base_16_encode: "xx  " per byte. */
static char *runner_hex(const struct bytes *b)
{
        char *s = malloc(b->len * 4 + 1);

        if (!s)
                return NULL;
        for (size_t i = 0; i < b->len; i++)
                sprintf(s + 4 * i, "%02x  ", b->v[i]);
        s[b->len * 4] = 0;
        return s;
}

/*
 * The runner's ELF of a program (bpf_writer_classic, no maps), laid out as
 * ELFIO saves it: header; .shstrtab, .symtab (null symbol, then `main`, its
 * names in .shstrtab) and .text, each at its alignment; the section header
 * table at the next multiple of 16 past the end (always past it, as ELFIO
 * rounds).
 */
static int runner_elf(const struct bytes *code, struct bytes *out)
{
        static const char shstrtab[] = "\0.shstrtab\0.symtab\0.text\0main";
        enum { SHSTRTAB = 1, SYMTAB, TEXT, SEC_CNT };
        enum {
                NAME_SHSTRTAB = 1,
                NAME_SYMTAB = NAME_SHSTRTAB + sizeof(".shstrtab"),
                NAME_TEXT = NAME_SYMTAB + sizeof(".symtab"),
                NAME_MAIN = NAME_TEXT + sizeof(".text"),
        };
        const size_t strtab_off = sizeof(Elf64_Ehdr), strtab_size = sizeof(shstrtab);
        const size_t symtab_off = (strtab_off + strtab_size + 3) & ~(size_t)3;
        const size_t symtab_size = 2 * sizeof(Elf64_Sym);
        const size_t text_off = (symtab_off + symtab_size + 3) & ~(size_t)3;
        const size_t end = text_off + code->len, shoff = end + 16 - end % 16;
        Elf64_Ehdr eh = {
            .e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT},
            .e_type = ET_REL,
            .e_machine = EM_BPF,
            .e_version = EV_CURRENT,
            .e_shoff = shoff,
            .e_ehsize = sizeof(Elf64_Ehdr),
            .e_phentsize = sizeof(Elf64_Phdr),
            .e_shentsize = sizeof(Elf64_Shdr),
            .e_shnum = SEC_CNT,
            .e_shstrndx = SHSTRTAB,
        };
        const Elf64_Sym syms[2] = {
            {0},
            {.st_name = NAME_MAIN,
             .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
             .st_shndx = TEXT,
             .st_size = code->len},
        };
        const Elf64_Shdr sh[SEC_CNT] = {
            [SHSTRTAB] = {.sh_name = NAME_SHSTRTAB,
                          .sh_type = SHT_STRTAB,
                          .sh_offset = strtab_off,
                          .sh_size = strtab_size,
                          .sh_addralign = 1},
            [SYMTAB] = {.sh_name = NAME_SYMTAB,
                        .sh_type = SHT_SYMTAB,
                        .sh_offset = symtab_off,
                        .sh_size = symtab_size,
                        .sh_link = SHSTRTAB,
                        .sh_info = 1,
                        .sh_addralign = 4,
                        .sh_entsize = sizeof(Elf64_Sym)},
            [TEXT] = {.sh_name = NAME_TEXT,
                      .sh_type = SHT_PROGBITS,
                      .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
                      .sh_offset = text_off,
                      .sh_size = code->len,
                      .sh_addralign = 4},
        };

        out->len = shoff + sizeof(sh);
        out->v = calloc(1, out->len);
        if (!out->v)
                return -1;
        memcpy(out->v, &eh, sizeof(eh));
        memcpy(out->v + strtab_off, shstrtab, strtab_size);
        memcpy(out->v + symtab_off, syms, symtab_size);
        memcpy(out->v + text_off, code->v, code->len);
        memcpy(out->v + shoff, sh, sizeof(sh));
        return 0;
}

/* Read a whole file (at most cap - 1 bytes) as a string. */
static void slurp(int fd, char *buf, size_t cap)
{
        ssize_t n = pread(fd, buf, cap - 1, 0);

        buf[n > 0 ? n : 0] = 0;
}

/* Start `argv` with `in` on stdin; its stdout and stderr into the buffers. Returns the status. */
static int run_plugin(char **argv, const char *in, char *out, size_t out_cap, char *err,
                      size_t err_cap)
{
        FILE *fin = tmpfile(), *fout = tmpfile(), *ferr = tmpfile();
        int status = -1;
        pid_t pid;

        if (!fin || !fout || !ferr || fputs(in, fin) < 0 || fflush(fin) || fseek(fin, 0, SEEK_SET))
                goto out;
        pid = fork();
        if (pid == 0) {
                dup2(fileno(fin), 0);
                dup2(fileno(fout), 1);
                dup2(fileno(ferr), 2);
                execv(argv[0], argv);
                perror(argv[0]);
                _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0)
                goto out;
        slurp(fileno(fout), out, out_cap);
        slurp(fileno(ferr), err, err_cap);
out:
        if (fin)
                fclose(fin);
        if (fout)
                fclose(fout);
        if (ferr)
                fclose(ferr);
        return status;
}

struct run {
        char *plugin;
        bool elf;
        char *opt_text; /* the plugin options string, split in place */
        char **opts;    /* as the runner splits it */
        size_t opt_cnt;
};

/* The runner's split: std::getline(stream, option, ' ') over the whole string. */
static int split_options(const char *s, struct run *r)
{
        char *p = r->opt_text = strdup(s);

        r->opts = calloc(strlen(s) + 1, sizeof(*r->opts));
        if (!p || !r->opts)
                return -1;
        while (*p) {
                char *sp = strchr(p, ' ');

                if (sp)
                        *sp = 0;
                r->opts[r->opt_cnt++] = p;
                if (!sp)
                        break;
                p = sp + 1;
        }
        return 0;
}

static int run_vector(const struct run *r, const char *name, const char *mem_hex,
                      const char *prog_hex, const char *expect)
{
        struct bytes mem = {0}, prog = {0}, elf = {0};
        char *argv[64], *mem_arg = NULL, *in = NULL, *stdin_text = NULL, out[4096], err[4096];
        unsigned long long want = strtoull(expect, NULL, 16), got;
        size_t argc = 0;
        int status, ret = -1;
        char *end;

        if (parse_hex(mem_hex, &mem) || parse_hex(prog_hex, &prog) ||
            (r->elf && runner_elf(&prog, &elf)) || r->opt_cnt + 4 > sizeof(argv) / sizeof(*argv)) {
                printf("FAIL %s: cannot encode the vector\n", name);
                goto out;
        }
        argv[argc++] = r->plugin;
        if (mem.len && (argv[argc++] = mem_arg = runner_hex(&mem)) == NULL)
                goto out;
        for (size_t i = 0; i < r->opt_cnt; i++)
                argv[argc++] = r->opts[i];
        if (r->elf)
                argv[argc++] = "--elf";
        argv[argc] = NULL;
        in = runner_hex(r->elf ? &elf : &prog);
        if (!in || asprintf(&stdin_text, "%s\n", in) < 0)
                goto out;
        status = run_plugin(argv, stdin_text, out, sizeof(out), err, sizeof(err));
        got = strtoull(out, &end, 16);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || end == out ||
            (*end != '\n' && *end != 0) || got != want)
                printf("FAIL %s: expected %llx, plugin said (status %d): %s%s", name, want, status,
                       out[0] ? out : err, strchr(out[0] ? out : err, '\n') ? "" : "\n");
        else
                ret = 0;
out:
        free(mem.v);
        free(prog.v);
        free(elf.v);
        free(mem_arg);
        free(in);
        free(stdin_text);
        return ret;
}

int main(int argc, char **argv)
{
        struct run r = {0};
        char *line = NULL, *path = NULL;
        size_t cap = 0;
        int total = 0, passed = 0;
        FILE *f;

        if (argc < 4 || argc > 5 || (strcmp(argv[3], "raw") != 0 && strcmp(argv[3], "elf") != 0)) {
                fprintf(stderr, "usage: %s PLUGIN CONFORMANCE_DIR raw|elf [\"PLUGIN OPTIONS\"]\n",
                        argv[0]);
                return 2;
        }
        r.plugin = argv[1];
        r.elf = strcmp(argv[3], "elf") == 0;
        if (split_options(argc == 5 ? argv[4] : "", &r)) {
                perror("plugin options");
                return 2;
        }
        if (!argv[2][0] || asprintf(&path, "%s/vectors.tsv", argv[2]) < 0 ||
            !(f = fopen(path, "r"))) {
                printf("FAIL: conformance suite not found at '%s' (configure with "
                       "-DBPF_AOT_CONFORMANCE_DIR=...); not skipping\n",
                       argv[2]);
                free(path);
                return 1;
        }
        while (getline(&line, &cap, f) > 0) {
                char *fields[5] = {0}, *s = line;
                int nf = 0;

                if (line[0] == '#' || line[0] == '\n')
                        continue;
                line[strcspn(line, "\r\n")] = 0;
                while (nf < 5) {
                        fields[nf++] = s;
                        s = strchr(s, '\t');
                        if (!s)
                                break;
                        *s++ = 0;
                }
                total++;
                if (nf < 4) {
                        printf("FAIL line %d: malformed\n", total);
                        continue;
                }
                if (fields[4] && fields[4][0]) {
                        /* The suite's vectors all expect r0; an expected error is not handled. */
                        printf("FAIL %s: expected-error vectors are not handled\n", fields[0]);
                        continue;
                }
                if (run_vector(&r, fields[0], fields[1], fields[2], fields[3]) == 0)
                        passed++;
        }
        fclose(f);
        free(line);
        free(path);
        free(r.opt_text);
        free(r.opts);
        printf("plugin %s %s '%s': %d passed, %d failed\n", argv[3], argv[1],
               argc == 5 ? argv[4] : "", passed, total - passed);
        return passed == total && total > 0 ? 0 : 1;
}
