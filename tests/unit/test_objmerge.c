/* SPDX-License-Identifier: MIT */
/*
 * objmerge (compiler/src/objmerge.c) on objects that cc and clang compile
 * at test time: three C files, merged with one hidden function localized,
 * must link and run as the three objects linked directly do, the merged
 * object must read cleanly, have the sections and symbols promised and the
 * relocations (and .text/.data/.bss sizes) `ld -r` gives, and with -g,
 * addresses in functions of every file must map to the same file and line.
 * Then inputs it must refuse, with their errno.
 *
 *   test_objmerge [CLANG]   CLANG: the clang to use (else clang-19 or clang on PATH)
 */
#include "test_util.h"
#include "objmerge.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* main in a.c uses functions and data of b.c and c.c; each file has a static `twice`. */
static const char a_src[] =
    "#include <stdio.h>\n"
    "__attribute__((visibility(\"hidden\"))) int helper_c(int x);\n"
    "extern int c_table[16];\n"
    "unsigned b_switch(int x);\n"
    "const char *b_name(unsigned x);\n"
    "int c_calls(void);\n"
    "static __attribute__((noinline)) unsigned twice(unsigned x)\n"
    "{\n"
    "        return 2 * x + 1;\n"
    "}\n"
    "int main(void)\n"
    "{\n"
    "        unsigned long sum = 0;\n"
    "        for (int i = 0; i < 40; i++)\n"
    "                sum = sum * 31 + b_switch(i % 13) + helper_c(i) + twice(i);\n"
    "        printf(\"a: sum %lu calls %d table %d name %s\\n\", sum, c_calls(), c_table[5],\n"
    "               b_name(sum));\n"
    "        return (int)(sum & 0x3f) + 1;\n"
    "}\n";

/* A switch that becomes a jump table in .rodata, static data, string literals. */
static const char b_src[] =
    "#include <stdio.h>\n"
    "__attribute__((visibility(\"hidden\"))) int helper_c(int x);\n"
    "static const char *const names[] = {\"zero\", \"one\", \"two\", \"three\",\n"
    "                                    \"four\", \"five\", \"six\", \"seven\"};\n"
    "static unsigned b_state = 5;\n"
    "static __attribute__((noinline)) unsigned twice(unsigned x)\n"
    "{\n"
    "        return 2 * x - b_state;\n"
    "}\n"
    "unsigned b_switch(int x)\n"
    "{\n"
    "        switch (x) {\n"
    "        case 0: b_state += helper_c(x); break;\n"
    "        case 1: b_state ^= twice(x); break;\n"
    "        case 2: b_state = b_state * 3 + 1; break;\n"
    "        case 3: puts(\"b: three\"); b_state -= 7; break;\n"
    "        case 4: b_state += twice(b_state); break;\n"
    "        case 5: b_state = helper_c(b_state & 255) - b_state; break;\n"
    "        case 6: b_state <<= 1; break;\n"
    "        case 7: b_state ^= 0x5a5a; break;\n"
    "        case 8: b_state += names[b_state & 7][0]; break;\n"
    "        case 9: printf(\"b: nine %u\\n\", b_state); break;\n"
    "        case 10: b_state = -b_state; break;\n"
    "        default: b_state += 13; break;\n"
    "        }\n"
    "        return b_state & 0xffff;\n"
    "}\n"
    "const char *b_name(unsigned x)\n"
    "{\n"
    "        return names[x & 7];\n"
    "}\n";

/* The hidden helper, a global array, a static counter. */
static const char c_src[] = "int c_table[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};\n"
                            "static int c_count;\n"
                            "__attribute__((visibility(\"hidden\"))) int helper_c(int x)\n"
                            "{\n"
                            "        c_count++;\n"
                            "        return (x & 0xff) * 7 + c_table[x & 15] + c_count;\n"
                            "}\n"
                            "int c_calls(void)\n"
                            "{\n"
                            "        return c_count;\n"
                            "}\n";

struct file {
        uint8_t *data;
        size_t len;
};

static char tmpdir[1024];

static void path_of(char *buf, size_t size, const char *name)
{
        snprintf(buf, size, "%s/%s", tmpdir, name);
}

static int write_file(const char *name, const void *data, size_t len)
{
        char path[2048];
        FILE *f;
        int ok;

        path_of(path, sizeof(path), name);
        f = fopen(path, "wb");
        if (!f)
                return -1;
        ok = fwrite(data, 1, len, f) == len;
        return fclose(f) == 0 && ok ? 0 : -1;
}

static int read_file(const char *name, struct file *out)
{
        char path[2048];
        long len;
        FILE *f;

        out->data = NULL;
        out->len = 0;
        path_of(path, sizeof(path), name);
        f = fopen(path, "rb");
        if (!f)
                return -1;
        if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
            !(out->data = malloc(len ? (size_t)len : 1)) ||
            fread(out->data, 1, (size_t)len, f) != (size_t)len) {
                fclose(f);
                free(out->data);
                out->data = NULL;
                return -1;
        }
        fclose(f);
        out->len = (size_t)len;
        return 0;
}

/* Run a shell command in the temporary directory; its output (up to size - 1 bytes) in buf. */
static int run(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int run(char *buf, size_t size, const char *fmt, ...)
{
        char cmd[4 * PATH_MAX], *p = cmd;
        size_t n = 0, got;
        va_list ap;
        FILE *f;
        int st;

        p += snprintf(cmd, sizeof(cmd), "cd '%s' && ", tmpdir);
        va_start(ap, fmt);
        vsnprintf(p, sizeof(cmd) - (size_t)(p - cmd), fmt, ap);
        va_end(ap);
        f = popen(cmd, "r");
        if (!f)
                return -1;
        if (buf && size) {
                while (n + 1 < size && (got = fread(buf + n, 1, size - 1 - n, f)) > 0)
                        n += got;
                buf[n] = '\0';
        }
        while (fgetc(f) != EOF)
                ;
        st = pclose(f);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool executable(const char *path)
{
        return path && *path && access(path, X_OK) == 0;
}

/* The clang to use: the argument, else clang-19 or clang on PATH; NULL when none. */
static const char *find_clang(int argc, char **argv, char *buf, size_t size)
{
        static const char *const names[] = {"clang-19", "clang"};

        if (argc > 1 && executable(argv[1]))
                return argv[1];
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                if (run(buf, size, "command -v %s", names[i]) == 0 && *buf) {
                        buf[strcspn(buf, "\n")] = '\0';
                        return buf;
                }
        }
        return NULL;
}

/* Relocations as "section+offset type symbol+addend" lines, a section symbol by its section. */
struct lines {
        char **v;
        size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void reloc_lines(Elf *elf, struct lines *out)
{
        size_t shstrndx;
        Elf_Scn *scn = NULL;
        GElf_Shdr sh, tsh, ssh;

        if (elf_getshdrstrndx(elf, &shstrndx))
                return;
        while ((scn = elf_nextscn(elf, scn)) != NULL) {
                Elf_Scn *symscn;
                Elf_Data *d, *syms;
                const char *target;
                GElf_Rela r;
                GElf_Sym sym;

                if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA ||
                    !gelf_getshdr(elf_getscn(elf, sh.sh_info), &tsh) ||
                    !(symscn = elf_getscn(elf, sh.sh_link)) || !gelf_getshdr(symscn, &ssh) ||
                    !(d = elf_getdata(scn, NULL)) || !(syms = elf_getdata(symscn, NULL)))
                        continue;
                target = elf_strptr(elf, shstrndx, tsh.sh_name);
                for (int j = 0; gelf_getrela(d, j, &r); j++) {
                        const char *name = "?";
                        char line[512];

                        if (gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym)) {
                                GElf_Shdr symsec;

                                if (GELF_ST_TYPE(sym.st_info) == STT_SECTION)
                                        name = gelf_getshdr(elf_getscn(elf, sym.st_shndx), &symsec)
                                                   ? elf_strptr(elf, shstrndx, symsec.sh_name)
                                                   : NULL;
                                else
                                        name = elf_strptr(elf, ssh.sh_link, sym.st_name);
                        }
                        snprintf(line, sizeof(line), "%s+%#llx type %u %s%+lld",
                                 target ? target : "?", (unsigned long long)r.r_offset,
                                 (unsigned)GELF_R_TYPE(r.r_info), name ? name : "?",
                                 (long long)r.r_addend);
                        if (out->n == out->cap) {
                                size_t cap = out->cap ? 2 * out->cap : 256;
                                char **v = realloc(out->v, cap * sizeof(*v));

                                if (!v)
                                        return;
                                out->v = v;
                                out->cap = cap;
                        }
                        if (!(out->v[out->n] = strdup(line)))
                                return;
                        out->n++;
                }
        }
        qsort(out->v, out->n, sizeof(*out->v), cmp_str);
}

/* The same relocations as ld -r makes, at the same offsets, against the same symbols. */
static void check_relocs(const char *tag, Elf *elf, Elf *ref)
{
        struct lines got = {0}, want = {0};
        size_t diffs = 0;

        reloc_lines(elf, &got);
        reloc_lines(ref, &want);
        CHECKF(got.n == want.n && got.n > 0, "%s: %zu relocations, ld -r has %zu", tag, got.n,
               want.n);
        for (size_t j = 0; j < got.n && j < want.n; j++) {
                if (strcmp(got.v[j], want.v[j]) != 0 && diffs++ < 3)
                        fprintf(stderr, "%s: relocation %s, ld -r has %s\n", tag, got.v[j],
                                want.v[j]);
        }
        CHECKF(diffs == 0, "%s: %zu relocations differ from ld -r's", tag, diffs);
        for (size_t j = 0; j < got.n; j++)
                free(got.v[j]);
        for (size_t j = 0; j < want.n; j++)
                free(want.v[j]);
        free(got.v);
        free(want.v);
}

/* What the merged object promises, read back through libelf. */
static void check_object(const char *tag, const struct file *obj, const struct file *ldr)
{
        static const char *const same_size[] = {".text", ".data", ".bss"};
        Elf *elf = elf_memory((char *)obj->data, obj->len);
        Elf *ref = elf_memory((char *)ldr->data, ldr->len);
        size_t shstrndx = 0, texts = 0, helpers = 0, twices = 0, mains = 0, sections = 0;
        size_t section_syms = 0, first_global = 0, nsyms = 0, bad_order = 0;
        Elf_Scn *scn = NULL;
        GElf_Shdr sh;

        CHECKF(elf && elf_kind(elf) == ELF_K_ELF, "%s: merged object not ELF", tag);
        CHECKF(ref && elf_kind(ref) == ELF_K_ELF, "%s: ld -r object not ELF", tag);
        if (!elf || !ref || elf_getshdrstrndx(elf, &shstrndx))
                goto out;
        while ((scn = elf_nextscn(elf, scn)) != NULL) {
                const char *name;

                if (!gelf_getshdr(scn, &sh))
                        continue;
                name = elf_strptr(elf, shstrndx, sh.sh_name);
                if (sh.sh_type != SHT_RELA && sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_STRTAB)
                        sections++;
                if (name && strcmp(name, ".text") == 0)
                        texts++;
                if (sh.sh_type == 0x6fff4c03)
                        CHECKF(0, "%s: .llvm_addrsig kept", tag);
                if (sh.sh_type != SHT_SYMTAB)
                        continue;
                Elf_Data *d = elf_getdata(scn, NULL);
                GElf_Sym sym;

                nsyms = sh.sh_size / sizeof(Elf64_Sym);
                first_global = sh.sh_info;
                for (size_t k = 1; d && k < nsyms && gelf_getsym(d, (int)k, &sym); k++) {
                        const char *sname = elf_strptr(elf, sh.sh_link, sym.st_name);
                        bool local = GELF_ST_BIND(sym.st_info) == STB_LOCAL;

                        if ((k < first_global) != local)
                                bad_order++;
                        if (GELF_ST_TYPE(sym.st_info) == STT_SECTION)
                                section_syms++;
                        if (!sname)
                                continue;
                        if (strcmp(sname, "helper_c") == 0) {
                                helpers++;
                                CHECKF(local && GELF_ST_TYPE(sym.st_info) == STT_FUNC &&
                                           GELF_ST_VISIBILITY(sym.st_other) == STV_DEFAULT &&
                                           sym.st_shndx != SHN_UNDEF,
                                       "%s: helper_c is not a defined local default function", tag);
                        }
                        if (strcmp(sname, "twice") == 0)
                                twices += local;
                        if (strcmp(sname, "main") == 0)
                                mains += !local && sym.st_shndx != SHN_UNDEF;
                }
        }
        CHECKF(texts == 1, "%s: %zu sections named .text", tag, texts);
        CHECKF(helpers == 1, "%s: %zu symbols named helper_c", tag, helpers);
        CHECKF(twices == 2, "%s: %zu local symbols named twice (one per file)", tag, twices);
        CHECKF(mains == 1, "%s: %zu global definitions of main", tag, mains);
        CHECKF(first_global > 0 && first_global < nsyms && bad_order == 0,
               "%s: .symtab sh_info %zu does not split locals from globals (%zu misplaced)", tag,
               first_global, bad_order);
        CHECKF(section_syms == sections, "%s: %zu section symbols for %zu sections", tag,
               section_syms, sections);

        /* ld -r pads these as objmerge must: the same sizes. */
        for (size_t n = 0; n < sizeof(same_size) / sizeof(same_size[0]); n++) {
                uint64_t size[2] = {UINT64_MAX, UINT64_MAX};
                Elf *e[2] = {elf, ref};

                for (int w = 0; w < 2; w++) {
                        size_t strndx;

                        if (elf_getshdrstrndx(e[w], &strndx))
                                continue;
                        for (scn = NULL; (scn = elf_nextscn(e[w], scn)) != NULL;) {
                                const char *name;

                                if (gelf_getshdr(scn, &sh) &&
                                    (name = elf_strptr(e[w], strndx, sh.sh_name)) &&
                                    strcmp(name, same_size[n]) == 0)
                                        size[w] = sh.sh_size;
                        }
                }
                CHECKF(size[0] == size[1], "%s: %s: %llu bytes, ld -r has %llu", tag, same_size[n],
                       (unsigned long long)size[0], (unsigned long long)size[1]);
        }
        check_relocs(tag, elf, ref);
out:
        if (elf)
                elf_end(elf);
        if (ref)
                elf_end(ref);
}

/* nm's address and type letter of `name` in `file`; 0 when found. */
static int nm_symbol(const char *file, const char *name, unsigned long long *addr, char *type)
{
        char out[1 << 16], *line, *save = NULL;

        if (run(out, sizeof(out), "nm '%s'", file))
                return -1;
        for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char t, n[256];

                if (sscanf(line, "%llx %c %255s", addr, &t, n) == 3 && strcmp(n, name) == 0) {
                        *type = t;
                        return 0;
                }
        }
        return -1;
}

/* The file:line addr2line gives for the start of `fn` in `prog`. */
static int line_of(const char *prog, const char *fn, char *buf, size_t size)
{
        unsigned long long addr;
        char type;

        if (nm_symbol(prog, fn, &addr, &type))
                return -1;
        if (run(buf, size, "addr2line -e '%s' %#llx", prog, addr))
                return -1;
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

/* One set of objects: a.o b.o c.o from `cc`, merged, linked and run against the reference. */
static void merge_set(const char *tag, const char *cc, const char *flags, const char *clang,
                      bool debug)
{
        static const char *const localize[] = {"helper_c"};
        static const char *const srcs[] = {"a", "b", "c"};
        struct objmerge_input in[3];
        struct file obj[3] = {{0}}, merged = {0}, ldr = {0};
        struct bpfaot_buf out = {0};
        char why[256], ref_out[4096], prog_out[4096], buf[512], name[64];
        int ref_st, prog_st, ret;

        for (int i = 0; i < 3; i++) {
                snprintf(name, sizeof(name), "%s_%s.o", tag, srcs[i]);
                ret = run(buf, sizeof(buf), "%s %s -c %s.c -o %s 2>&1", cc, flags, srcs[i], name);
                CHECKF(ret == 0, "%s: %s %s.c failed: %s", tag, cc, srcs[i], buf);
                if (ret || read_file(name, &obj[i])) {
                        CHECKF(0, "%s: cannot read %s", tag, name);
                        goto out;
                }
                in[i] = (struct objmerge_input){obj[i].data, obj[i].len};
        }
        ret = objmerge(in, 3, localize, 1, &out, why, sizeof(why));
        CHECKF(ret == 0, "%s: objmerge: %d (%s)", tag, ret, why);
        if (ret)
                goto out;
        snprintf(name, sizeof(name), "%s_merged.o", tag);
        CHECK(write_file(name, out.data, out.len) == 0);
        merged = (struct file){out.data, out.len};

        /* Reads cleanly. */
        CHECKF(run(buf, sizeof(buf), "readelf -aW %s 2>&1 >/dev/null", name) == 0 && !*buf,
               "%s: readelf: %s", tag, buf);
        if (clang && strchr(clang, '/')) {
                char readelf[PATH_MAX];

                /* The llvm-readelf of the same LLVM, when it is there. */
                snprintf(readelf, sizeof(readelf), "%s", clang);
                *strrchr(readelf, '/') = '\0';
                if (run(NULL, 0, "test -x %s/llvm-readelf", readelf) == 0)
                        CHECKF(run(buf, sizeof(buf), "%s/llvm-readelf -aW %s 2>&1 >/dev/null",
                                   readelf, name) == 0 &&
                                   !*buf,
                               "%s: llvm-readelf: %s", tag, buf);
        }
        CHECKF(run(buf, sizeof(buf), "nm %s | grep -x '[0-9a-f]* t helper_c'", name) == 0,
               "%s: nm does not list helper_c as a local function", tag);
        CHECKF(run(buf, sizeof(buf), "ld -r %s_a.o %s_b.o %s_c.o -o %s_ldr.o 2>&1", tag, tag, tag,
                   tag) == 0,
               "%s: ld -r: %s", tag, buf);
        snprintf(name, sizeof(name), "%s_ldr.o", tag);
        if (read_file(name, &ldr) == 0)
                check_object(tag, &merged, &ldr);

        /* Links and runs as the objects linked directly do. */
        CHECKF(run(buf, sizeof(buf), "cc %s_a.o %s_b.o %s_c.o -o %s_ref 2>&1", tag, tag, tag,
                   tag) == 0,
               "%s: linking the reference: %s", tag, buf);
        CHECKF(run(buf, sizeof(buf), "cc %s_merged.o -o %s_prog 2>&1", tag, tag) == 0,
               "%s: linking the merged object: %s", tag, buf);
        ref_st = run(ref_out, sizeof(ref_out), "./%s_ref", tag);
        prog_st = run(prog_out, sizeof(prog_out), "./%s_prog", tag);
        CHECKF(ref_st > 0 && strstr(ref_out, "a: sum"), "%s: reference run: %d", tag, ref_st);
        CHECKF(prog_st == ref_st, "%s: exit status %d, reference %d", tag, prog_st, ref_st);
        CHECKF(strcmp(prog_out, ref_out) == 0, "%s: output\n%s\nreference\n%s", tag, prog_out,
               ref_out);

        /* Debug information: functions of each file at the reference's file and line. */
        if (debug) {
                static const struct {
                        const char *fn, *file;
                } fns[] = {{"main", "a.c:"},
                           {"b_switch", "b.c:"},
                           {"b_name", "b.c:"},
                           {"helper_c", "c.c:"},
                           {"c_calls", "c.c:"}};

                for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
                        char got[512], want[512], prog[64], refp[64];

                        snprintf(prog, sizeof(prog), "%s_prog", tag);
                        snprintf(refp, sizeof(refp), "%s_ref", tag);
                        if (line_of(prog, fns[f].fn, got, sizeof(got)) ||
                            line_of(refp, fns[f].fn, want, sizeof(want))) {
                                CHECKF(0, "%s: no address or line for %s", tag, fns[f].fn);
                                continue;
                        }
                        CHECKF(strstr(got, fns[f].file) && !strstr(got, "?") &&
                                   strcmp(got, want) == 0,
                               "%s: %s at %s, reference %s", tag, fns[f].fn, got, want);
                }
        }
out:
        for (int i = 0; i < 3; i++)
                free(obj[i].data);
        free(ldr.data);
        bpfaot_buf_free(&out);
}

/* objmerge must refuse `in` with -code; `what` should be in its reason. */
static void expect_error(const char *tag, const struct objmerge_input *in, size_t cnt,
                         const char *const *localize, size_t localize_cnt, int code,
                         const char *what)
{
        struct bpfaot_buf out = {(uint8_t *)"x", 1};
        char why[256] = "unchanged";
        int ret = objmerge(in, cnt, localize, localize_cnt, &out, why, sizeof(why));

        CHECKF(ret == -code, "%s: %d, want %d (%s)", tag, ret, -code, why);
        CHECKF(strstr(why, what) != NULL, "%s: reason \"%s\" does not mention \"%s\"", tag, why,
               what);
        CHECKF(!out.data && !out.len, "%s: output set on failure", tag);
        if (ret == 0)
                bpfaot_buf_free(&out);
        /* Without a reason buffer too. */
        out = (struct bpfaot_buf){0};
        CHECK_EQ(objmerge(in, cnt, localize, localize_cnt, &out, NULL, 0), -code);
        if (out.data)
                bpfaot_buf_free(&out);
}

/* A copy of obj with section `secname`'s header field at `field_off` set to `value` (4 bytes). */
static struct file patch_section(const struct file *obj, const char *secname, size_t field_off,
                                 uint32_t value, bool or_in)
{
        struct file copy = {malloc(obj->len), obj->len};
        Elf *elf = elf_memory((char *)obj->data, obj->len);
        size_t shstrndx, idx = 0;
        Elf_Scn *scn = NULL;
        GElf_Ehdr eh;
        GElf_Shdr sh;

        if (!copy.data || !elf || !gelf_getehdr(elf, &eh) || elf_getshdrstrndx(elf, &shstrndx)) {
                if (elf)
                        elf_end(elf);
                free(copy.data);
                return (struct file){0};
        }
        memcpy(copy.data, obj->data, obj->len);
        while ((scn = elf_nextscn(elf, scn)) != NULL) {
                const char *name;

                if (gelf_getshdr(scn, &sh) && (name = elf_strptr(elf, shstrndx, sh.sh_name)) &&
                    strcmp(name, secname) == 0)
                        idx = elf_ndxscn(scn);
        }
        if (idx) {
                uint8_t *p = copy.data + eh.e_shoff + idx * sizeof(Elf64_Shdr) + field_off;
                uint32_t v = p[0] | p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

                v = or_in ? v | value : value;
                for (int b = 0; b < 4; b++)
                        p[b] = (uint8_t)(v >> (8 * b));
        } else {
                free(copy.data);
                copy = (struct file){0};
        }
        elf_end(elf);
        return copy;
}

static void error_cases(const char *clang)
{
        static const char *const helper[] = {"helper_c"};
        static const char *const nowhere[] = {"no_such_symbol"};
        static const char *const undefined[] = {"printf"};
        struct file a = {0}, b = {0}, c = {0}, badmach = {0}, rel = {0}, flags = {0}, i386 = {0};
        struct objmerge_input in[2];
        struct bpfaot_buf out = {0};
        char why[256], buf[512];
        uint16_t mach;

        if (read_file("gcc_a.o", &a) || read_file("gcc_b.o", &b) || read_file("gcc_c.o", &c)) {
                CHECKF(0, "errors: cannot read gcc_[abc].o");
                goto out;
        }
        expect_error("no inputs", NULL, 0, NULL, 0, EINVAL, "no inputs");
        in[0] = (struct objmerge_input){a.data, a.len};
        expect_error("count 0", in, 0, NULL, 0, EINVAL, "no inputs");

        /* Machines differ: b.o claims another. */
        badmach = (struct file){malloc(b.len), b.len};
        if (badmach.data) {
                memcpy(badmach.data, b.data, b.len);
                mach = (uint16_t)(badmach.data[18] | badmach.data[19] << 8);
                mach = mach == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
                badmach.data[18] = (uint8_t)mach;
                badmach.data[19] = (uint8_t)(mach >> 8);
                in[1] = (struct objmerge_input){badmach.data, badmach.len};
                expect_error("machine", in, 2, NULL, 0, ENOTSUP, "machine");
        }

        in[1] = (struct objmerge_input){"not an object, just some text", 30};
        expect_error("not ELF", in, 2, NULL, 0, EINVAL, "not an ELF");
        in[1] = (struct objmerge_input){b.data, 100};
        expect_error("truncated", in, 2, NULL, 0, EINVAL, "input 1");

        /* REL relocations: b.o's .rela.text claiming SHT_REL. */
        rel = patch_section(&b, ".rela.text", offsetof(Elf64_Shdr, sh_type), SHT_REL, false);
        CHECKF(rel.data, "cannot patch .rela.text");
        if (rel.data) {
                in[0] = (struct objmerge_input){a.data, a.len};
                in[1] = (struct objmerge_input){rel.data, rel.len};
                expect_error("REL", in, 2, NULL, 0, ENOTSUP, "REL");
        }
        /* A real REL object, of a 32-bit target. */
        if (clang &&
            run(buf, sizeof(buf), "%s -target i386-linux-gnu -O2 -c c.c -o i386_c.o 2>&1", clang) ==
                0 &&
            read_file("i386_c.o", &i386) == 0) {
                in[0] = (struct objmerge_input){i386.data, i386.len};
                expect_error("i386", in, 1, NULL, 0, ENOTSUP, "64-bit");
        } else {
                CHECKF(0, "clang -target i386-linux-gnu: %s", buf);
        }

        /* The same section name with other flags. */
        flags = patch_section(&c, ".data", offsetof(Elf64_Shdr, sh_flags), SHF_EXECINSTR, true);
        CHECKF(flags.data, "cannot patch .data");
        if (flags.data) {
                in[0] = (struct objmerge_input){b.data, b.len};
                in[1] = (struct objmerge_input){flags.data, flags.len};
                expect_error("flags", in, 2, NULL, 0, ENOTSUP, ".data");
        }

        /* main twice. */
        in[0] = (struct objmerge_input){a.data, a.len};
        in[1] = (struct objmerge_input){a.data, a.len};
        expect_error("defined twice", in, 2, NULL, 0, EINVAL, "main");

        /* Names to localize that nothing defines. */
        in[1] = (struct objmerge_input){c.data, c.len};
        expect_error("localize undefined", in, 2, nowhere, 1, EINVAL, "no_such_symbol");
        expect_error("localize reference", in, 2, undefined, 1, EINVAL, "printf");

        /* One input: still merged, and its helper localized. */
        in[0] = (struct objmerge_input){c.data, c.len};
        CHECK_EQ(objmerge(in, 1, helper, 1, &out, why, sizeof(why)), 0);
        if (out.data && write_file("single.o", out.data, out.len) == 0) {
                CHECKF(run(buf, sizeof(buf), "nm single.o | grep -x '[0-9a-f]* t helper_c'") == 0,
                       "single input: helper_c not local");
                CHECKF(run(buf, sizeof(buf), "nm single.o | grep -x '[0-9a-f]* D c_table'") == 0,
                       "single input: c_table not a global");
        }
        bpfaot_buf_free(&out);
out:
        free(a.data);
        free(b.data);
        free(c.data);
        free(badmach.data);
        free(rel.data);
        free(flags.data);
        free(i386.data);
}

int main(int argc, char **argv)
{
        static const struct {
                const char *tag, *flags;
                bool clang, debug;
        } sets[] = {
            {"gcc", "-O2", false, false},
            {"clang", "-O2", true, false},
            {"gcc_g", "-O2 -g", false, true},
            {"clang_g", "-O2 -g", true, true},
        };
        const char *tmp = getenv("TMPDIR");
        char clang_buf[PATH_MAX];
        const char *clang;

        if (elf_version(EV_CURRENT) == EV_NONE) {
                fprintf(stderr, "libelf initialisation failed\n");
                return 1;
        }
        snprintf(tmpdir, sizeof(tmpdir), "%s/test_objmerge.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        clang = find_clang(argc, argv, clang_buf, sizeof(clang_buf));
        CHECKF(clang, "no clang (give it as the argument)");
        CHECK(write_file("a.c", a_src, strlen(a_src)) == 0);
        CHECK(write_file("b.c", b_src, strlen(b_src)) == 0);
        CHECK(write_file("c.c", c_src, strlen(c_src)) == 0);
        for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
                if (sets[s].clang && !clang)
                        continue;
                merge_set(sets[s].tag, sets[s].clang ? clang : "cc", sets[s].flags, clang,
                          sets[s].debug);
        }
        error_cases(clang);
        if (run(NULL, 0, "cd / && rm -rf '%s'", tmpdir) != 0)
                fprintf(stderr, "could not remove %s\n", tmpdir);
        return TEST_EXIT("test_objmerge");
}
