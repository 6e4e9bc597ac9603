/* SPDX-License-Identifier: MIT */
/*
 * badobj: the ELF front end on broken eBPF objects.
 *
 * Starts from valid objects (built from the .bpf.c files here) and derives
 * broken variants in memory: truncations, corrupted ELF and section headers,
 * symbols, relocations, map definitions and BTF, plus seeded random byte
 * flips. Each variant is an exact-size heap copy (ASan sees any read past its
 * end). bpfaot_elf__open_mem, and when it succeeds bpfaot_validate and
 * bpfaot_compile (-O0, object) of every program, must succeed or fail with a
 * one-line message that starts with the input name; maps that open must be
 * refused by bpfaot_map__create with -EINVAL when their sizes are impossible.
 * Where the outcome is clear the test also checks it (and a word of the
 * message). Usage: test_badobj FULL.bpf.o LEGACY.bpf.o BADMAPS.bpf.o
 */
#define _GNU_SOURCE
#include "bpfaot/bpfaot.h"
#include "bpfaot/maps.h"

#include <bpf/libbpf.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum expect {
        ANY,    /* any outcome, but a clean one */
        FAIL,   /* bpfaot_elf__open_mem must fail */
        BROKEN, /* open, validate or compile must fail */
};

static char current[256]; /* the variant being tried, for the alarm handler */

/* BADOBJ_SKIP: variants whose description contains one of these ','-separated words are skipped. */
static char *skip_list;

static bool skipped(void)
{
        char *list, *save = NULL;
        bool found = false;

        if (!skip_list || !(list = strdup(skip_list)))
                return false;
        for (char *w = strtok_r(list, ",", &save); w && !found; w = strtok_r(NULL, ",", &save))
                found = *w && strstr(current, w);
        free(list);
        return found;
}

static bool trace; /* BADOBJ_TRACE: print what each variant that opens looks like */
static unsigned long validate_failed, skips, variants, opened, failed_open, compiled,
    compile_failed, validate_failed, maps_created, maps_refused;
static int failures;

static void on_alarm(int sig)
{
        static const char msg[] = "FAIL - variant hangs (10 s): ";
        (void)sig;
        (void)!write(2, msg, sizeof(msg) - 1);
        (void)!write(2, current, strlen(current));
        (void)!write(2, "\n", 1);
        _exit(1);
}

/* A crash: name the variant, then die as the signal would have. */
static void print_current(void)
{
        static const char msg[] = "FAIL - crash while trying: ";
        (void)!write(2, msg, sizeof(msg) - 1);
        (void)!write(2, current, strlen(current));
        (void)!write(2, "\n", 1);
}

#if !defined(__SANITIZE_ADDRESS__)
static void on_crash(int sig)
{
        print_current();
        signal(sig, SIG_DFL);
        raise(sig);
}
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

static void catch_crashes(void)
{
#if defined(__SANITIZE_ADDRESS__)
        /* AddressSanitizer reports SEGVs itself; add the variant to its report. */
        __sanitizer_set_death_callback(print_current);
#else
        static const int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                signal(sigs[i], on_crash);
#endif
}

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...)
{
        va_list ap;

        failures++;
        fprintf(stderr, "FAIL - %s: ", current);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* A failure's message: one line, "<input>: ...". */
static void check_msg(const char *input, int ret, const struct bpfaot_error *err, const char *stage)
{
        size_t n = strlen(input);

        if (ret >= 0)
                bad("%s failed with %d, not a negative errno", stage, ret);
        if (strncmp(err->msg, input, n) != 0 || err->msg[n] != ':' || err->msg[n + 1] != ' ' ||
            !err->msg[n + 2])
                bad("%s message does not start with \"%s: \": \"%s\"", stage, input, err->msg);
        if (strchr(err->msg, '\n'))
                bad("%s message is not one line: \"%s\"", stage, err->msg);
}

/* ---------------------------------------------------------------- compile dedup */

/*
 * Compiling a program identical to one already compiled exercises nothing new:
 * the outcome (NULL, or the failure message) is remembered by a hash.
 */
struct seen {
        uint64_t hash;
        char *msg;
};
static struct seen seen[8192];
static size_t seen_cnt;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
        const uint8_t *b = p;
        for (size_t i = 0; i < n; i++)
                h = (h ^ b[i]) * 0x100000001b3ull;
        return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
        return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "\xff", 1);
}

static uint64_t prog_hash(const struct bpfaot_prog *p)
{
        uint64_t h = 0xcbf29ce484222325ull;

        h = fnv_str(h, p->name);
        h = fnv_str(h, p->symbol_prefix);
        for (size_t i = 0; i < p->insn_cnt; i++) {
                const struct bpfaot_insn *x = &p->insns[i];
                uint8_t b[8] = {x->opcode, x->dst, x->src, (uint8_t)x->off, (uint8_t)(x->off >> 8)};
                h = fnv(h, b, 5);
                h = fnv(h, &x->imm, sizeof(x->imm));
        }
        for (size_t i = 0; i < p->reloc_cnt; i++) {
                const struct bpfaot_reloc *r = &p->relocs[i];
                h = fnv(h, &r->insn, sizeof(r->insn));
                h = fnv(h, &r->kind, sizeof(r->kind));
                h = fnv_str(h, r->name);
                h = fnv_str(h, r->what);
                /* Only DATA relocations set both (MAP: data_sec); the rest are not set. */
                if (r->kind == BPFAOT_RELOC_DATA || r->kind == BPFAOT_RELOC_MAP)
                        h = fnv(h, &r->data_sec, sizeof(r->data_sec));
                if (r->kind == BPFAOT_RELOC_DATA)
                        h = fnv(h, &r->offset, sizeof(r->offset));
        }
        for (size_t i = 0; i < p->data_cnt; i++) {
                const struct bpfaot_data_sec *d = &p->data[i];
                h = fnv_str(h, d->name);
                h = fnv_str(h, d->symbol);
                h = fnv(h, &d->size, sizeof(d->size));
                h = fnv(h, &d->readonly, sizeof(d->readonly));
                if (d->bytes)
                        h = fnv(h, d->bytes, d->size);
        }
        for (size_t i = 0; i < p->map_cnt; i++) {
                const struct bpfaot_map_desc *m = &p->maps[i];
                h = fnv_str(h, m->name);
                h = fnv(h, &m->type, sizeof(m->type) * 5);
                h = fnv(h, &m->legacy, sizeof(m->legacy));
        }
        return h;
}

static struct seen *lookup(uint64_t h)
{
        for (size_t i = 0; i < seen_cnt; i++)
                if (seen[i].hash == h)
                        return &seen[i];
        return NULL;
}

static void remember(uint64_t h, const char *msg)
{
        if (seen_cnt < sizeof(seen) / sizeof(seen[0])) {
                seen[seen_cnt].hash = h;
                seen[seen_cnt++].msg = msg ? strdup(msg) : NULL;
        }
}

/* ---------------------------------------------------------------- one variant */

/* Maps whose storage stays small are created; so are impossible ones (they must fail fast). */
static void try_maps(const struct bpfaot_elf *elf, const char *want_einval)
{
        for (size_t i = 0; i < elf->map_cnt; i++) {
                const struct bpfaot_map_desc *m = &elf->maps[i];
                struct bpfaot_map_def def = {.name = m->name,
                                             .type = m->type,
                                             .key_size = m->key_size,
                                             .value_size = m->value_size,
                                             .max_entries = m->max_entries,
                                             .map_flags = m->map_flags};
                bool expect_einval = want_einval && strcmp(m->name, want_einval) == 0;
                uint64_t bytes = ((uint64_t)m->key_size + m->value_size + 64) * m->max_entries;
                struct bpfaot_map *map = NULL;
                int ret;

                if (!expect_einval && bytes > (16u << 20) && m->key_size && m->value_size &&
                    m->max_entries)
                        continue;
                ret = bpfaot_map__create(&def, &map);
                if (ret == 0) {
                        maps_created++;
                        bpfaot_map__free(map);
                } else {
                        maps_refused++;
                }
                if (expect_einval && ret != -EINVAL)
                        bad("map '%s' (type %u key %u value %u max_entries %u flags %#x): "
                            "bpfaot_map__create returned %d, expected -EINVAL",
                            m->name, m->type, m->key_size, m->value_size, m->max_entries,
                            m->map_flags, ret);
                if (ret && ret != -EINVAL && ret != -ENOTSUP && ret != -E2BIG)
                        bad("map '%s': bpfaot_map__create returned %d", m->name, ret);
        }
        if (want_einval) {
                bool found = false;
                for (size_t i = 0; i < elf->map_cnt; i++)
                        found |= strcmp(elf->maps[i].name, want_einval) == 0;
                if (!found)
                        bad("map '%s' is missing from the object", want_einval);
        }
}

/*
 * Run the front end (and validate + compile) on `len` bytes of `src`.
 * `needle`: a word the failure message must contain (NULL: any).
 */
static void run(const uint8_t *src, size_t len, const char *input, enum expect expect,
                const char *needle, const char *bad_map)
{
        uint8_t *copy = malloc(len ? len : 1);
        struct bpfaot_error err = {0};
        struct bpfaot_elf *elf = NULL;
        const char *fail_msg = NULL;
        char fail_buf[BPFAOT_ERROR_MAX];
        int ret;

        if (!copy) {
                perror("malloc");
                exit(2);
        }
        memcpy(copy, src, len);
        if (skipped()) {
                skips++;
                free(copy);
                return;
        }
        variants++;
        alarm(10);
        ret = bpfaot_elf__open_mem(copy, len, input, &elf, &err);
        free(copy); /* the data need not outlive the call */
        if (ret) {
                failed_open++;
                check_msg(input, ret, &err, "open");
                if (elf)
                        bad("open failed but returned an object");
                fail_msg = err.msg;
        } else if (!elf) {
                bad("open succeeded without an object");
        } else {
                opened++;
                if (expect == FAIL)
                        bad("open succeeded, expected a failure%s%s", needle ? " mentioning " : "",
                            needle ? needle : "");
                for (size_t i = 0; i < elf->prog_cnt; i++) {
                        BPFAOT_OPTS_INIT(bpfaot_validate_opts, vopts);
                        BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .optimize = BPFAOT_O0,
                                         .output = BPFAOT_OUTPUT_OBJECT);
                        struct bpfaot_buf out = {0};
                        struct bpfaot_prog prog;

                        bpfaot_elf__prog(elf, i, &prog);
                        memset(&err, 0, sizeof(err));
                        ret = bpfaot_validate(&prog, &vopts, &err);
                        if (ret) {
                                validate_failed++;
                                check_msg(input, ret, &err, "validate");
                        } else {
                                uint64_t h = prog_hash(&prog);
                                struct seen *known = lookup(h);
                                if (known) {
                                        /* Same program as before: same (clean) outcome. */
                                        ret = known->msg ? -EINVAL : 0;
                                        if (known->msg)
                                                snprintf(err.msg, sizeof(err.msg), "%s",
                                                         known->msg);
                                } else {
                                        ret = bpfaot_compile(&prog, &copts, &out, &err);
                                        compiled++;
                                        if (ret) {
                                                compile_failed++;
                                                check_msg(input, ret, &err, "compile");
                                        } else if (!out.data || !out.len) {
                                                bad("compile of %s returned no object", prog.name);
                                        }
                                        bpfaot_buf_free(&out);
                                        remember(h, ret ? err.msg : NULL);
                                }
                        }
                        if (ret && !fail_msg) {
                                snprintf(fail_buf, sizeof(fail_buf), "%s", err.msg);
                                fail_msg = fail_buf;
                        }
                }
                if (trace) {
                        printf("TRACE %s:", current);
                        for (size_t i = 0; i < elf->prog_cnt; i++) {
                                struct bpfaot_prog prog;
                                bpfaot_elf__prog(elf, i, &prog);
                                printf(" %s=%016llx", prog.name,
                                       (unsigned long long)prog_hash(&prog));
                        }
                        for (size_t i = 0; i < elf->map_cnt; i++)
                                printf(" map %s %u/%u/%u/%u/%#x", elf->maps[i].name,
                                       elf->maps[i].type, elf->maps[i].key_size,
                                       elf->maps[i].value_size, elf->maps[i].max_entries,
                                       elf->maps[i].map_flags);
                        printf("\n");
                }
                try_maps(elf, bad_map);
                bpfaot_elf__free(elf);
        }
        alarm(0);
        if (expect == BROKEN && !fail_msg)
                bad("open, validate and compile all succeeded, expected a failure%s%s",
                    needle ? " mentioning " : "", needle ? needle : "");
        if (fail_msg && needle && !strstr(fail_msg, needle))
                bad("message does not mention \"%s\": \"%s\"", needle, fail_msg);
}

/* ---------------------------------------------------------------- ELF helpers */

struct obj {
        const char *input; /* name given to the front end */
        uint8_t *buf;
        size_t len;
        Elf64_Ehdr *eh;
        size_t symtab, strtab, btf; /* section indexes, 0: none */
        size_t sym_cnt;
};

static Elf64_Shdr *shdr(const struct obj *o, uint8_t *buf, size_t i)
{
        return (Elf64_Shdr *)(buf + o->eh->e_shoff + i * sizeof(Elf64_Shdr));
}

static const char *sec_name(const struct obj *o, size_t i)
{
        Elf64_Shdr *str = shdr(o, o->buf, o->eh->e_shstrndx);
        return (const char *)o->buf + str->sh_offset + shdr(o, o->buf, i)->sh_name;
}

static size_t find_sec(const struct obj *o, const char *name)
{
        for (size_t i = 1; i < o->eh->e_shnum; i++)
                if (strcmp(sec_name(o, i), name) == 0)
                        return i;
        return 0;
}

static Elf64_Sym *sym(const struct obj *o, uint8_t *buf, size_t i)
{
        return (Elf64_Sym *)(buf + shdr(o, buf, o->symtab)->sh_offset + i * sizeof(Elf64_Sym));
}

static const char *sym_name(const struct obj *o, size_t i)
{
        return (const char *)o->buf + shdr(o, o->buf, o->strtab)->sh_offset +
               sym(o, o->buf, i)->st_name;
}

static size_t find_sym(const struct obj *o, const char *name)
{
        for (size_t i = 1; i < o->sym_cnt; i++)
                if (strcmp(sym_name(o, i), name) == 0)
                        return i;
        return 0;
}

static void load(struct obj *o, const char *path, const char *input)
{
        FILE *f = fopen(path, "rb");
        long n;

        if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) {
                fprintf(stderr, "FAIL - cannot read %s\n", path);
                exit(1);
        }
        memset(o, 0, sizeof(*o));
        o->input = input;
        o->len = (size_t)n;
        o->buf = malloc(o->len);
        if (!o->buf || fread(o->buf, 1, o->len, f) != o->len) {
                fprintf(stderr, "FAIL - cannot read %s\n", path);
                exit(1);
        }
        fclose(f);
        o->eh = (Elf64_Ehdr *)o->buf;
        if (memcmp(o->buf, ELFMAG, SELFMAG) || o->eh->e_machine != EM_BPF ||
            o->eh->e_shentsize != sizeof(Elf64_Shdr)) {
                fprintf(stderr, "FAIL - %s is not a 64-bit eBPF object\n", path);
                exit(1);
        }
        for (size_t i = 1; i < o->eh->e_shnum; i++)
                if (shdr(o, o->buf, i)->sh_type == SHT_SYMTAB)
                        o->symtab = i;
        if (!o->symtab) {
                fprintf(stderr, "FAIL - %s has no symbol table\n", path);
                exit(1);
        }
        o->strtab = shdr(o, o->buf, o->symtab)->sh_link;
        o->sym_cnt = shdr(o, o->buf, o->symtab)->sh_size / sizeof(Elf64_Sym);
        o->btf = find_sec(o, ".BTF");
}

/* A fresh writable copy of the object, for one mutation. */
static uint8_t *dup_obj(const struct obj *o)
{
        uint8_t *b = malloc(o->len);
        if (!b) {
                perror("malloc");
                exit(2);
        }
        memcpy(b, o->buf, o->len);
        return b;
}

#define VARIANT(o, ...) snprintf(current, sizeof(current), "%s: " __VA_ARGS__)

/* ---------------------------------------------------------------- variant classes */

static void baseline(const struct obj *o)
{
        struct bpfaot_error err = {0};
        struct bpfaot_elf *elf = NULL;

        VARIANT(o, "%s", o->input, "unmodified");
        run(o->buf, o->len, o->input, ANY, NULL, NULL);
        if (bpfaot_elf__open_mem(o->buf, o->len, o->input, &elf, &err))
                bad("the unmodified object does not open: %s", err.msg);
        else if (elf->prog_cnt == 0)
                bad("the unmodified object has no programs");
        bpfaot_elf__free(elf);
}

static void truncations(const struct obj *o)
{
        /* clang puts the section header table last: every truncation loses part of it. */
        bool shdrs_last = o->eh->e_shoff + (size_t)o->eh->e_shnum * sizeof(Elf64_Shdr) == o->len;
        size_t cuts[2048], n = 0;

        for (size_t l = 0; l <= 128 && l < o->len; l++)
                cuts[n++] = l;
        for (size_t l = 129; l < o->len && n < 1900; l += 1 + o->len / 700)
                cuts[n++] = l;
        for (size_t i = 1; i < o->eh->e_shnum && n + 3 < 2048; i++) {
                Elf64_Shdr *s = shdr(o, o->buf, i);
                size_t end = s->sh_offset + (s->sh_type == SHT_NOBITS ? 0 : s->sh_size);
                if (s->sh_offset < o->len)
                        cuts[n++] = s->sh_offset;
                if (end - 1 < o->len)
                        cuts[n++] = end - 1;
                if (end + 1 < o->len)
                        cuts[n++] = end + 1;
        }
        for (size_t k = 0; k < n && n < 2048; k++) {
                size_t l = cuts[k];
                VARIANT(o, "truncated to %zu of %zu bytes", o->input, l, o->len);
                run(o->buf, l, o->input, shdrs_last ? FAIL : ANY,
                    l < 4                    ? "not an ELF"
                    : l < sizeof(Elf64_Ehdr) ? "truncated"
                                             : NULL,
                    NULL);
        }
        /* The header table may also be cut off in the middle of an entry. */
        for (size_t l = o->eh->e_shoff; l < o->len; l += 8) {
                VARIANT(o, "truncated inside the section header table, at %zu bytes", o->input, l);
                run(o->buf, l, o->input, FAIL, NULL, NULL);
        }
}

static void ehdr_corruptions(const struct obj *o)
{
        static const struct {
                const char *what;
                size_t off, size;
                uint64_t value;
                enum expect expect;
                const char *needle;
        } cases[] = {
            {"e_machine x86-64", offsetof(Elf64_Ehdr, e_machine), 2, EM_X86_64, FAIL,
             "not an eBPF"},
            {"ELFCLASS32", EI_CLASS, 1, ELFCLASS32, FAIL, NULL},
            {"ELFCLASSNONE", EI_CLASS, 1, ELFCLASSNONE, FAIL, NULL},
            {"big-endian", EI_DATA, 1, ELFDATA2MSB, FAIL, NULL},
            {"bad EI_DATA", EI_DATA, 1, 7, FAIL, NULL},
            {"EI_VERSION 0", EI_VERSION, 1, 0, ANY, NULL},
            {"e_type EXEC", offsetof(Elf64_Ehdr, e_type), 2, ET_EXEC, ANY, NULL},
            {"e_shoff 0", offsetof(Elf64_Ehdr, e_shoff), 8, 0, FAIL, NULL},
            {"e_shoff past EOF", offsetof(Elf64_Ehdr, e_shoff), 8, 1u << 30, FAIL, "outside"},
            {"e_shoff huge", offsetof(Elf64_Ehdr, e_shoff), 8, UINT64_MAX - 7, FAIL, NULL},
            {"e_shoff misaligned", offsetof(Elf64_Ehdr, e_shoff), 8, 1, ANY, NULL},
            {"e_shnum 0", offsetof(Elf64_Ehdr, e_shnum), 2, 0, FAIL, NULL},
            {"e_shnum 1", offsetof(Elf64_Ehdr, e_shnum), 2, 1, FAIL, NULL},
            {"e_shnum 0xffff", offsetof(Elf64_Ehdr, e_shnum), 2, 0xffff, FAIL, "outside"},
            {"e_shentsize 0", offsetof(Elf64_Ehdr, e_shentsize), 2, 0, ANY, NULL},
            {"e_shentsize 32", offsetof(Elf64_Ehdr, e_shentsize), 2, 32, ANY, NULL},
            {"e_shentsize 0xffff", offsetof(Elf64_Ehdr, e_shentsize), 2, 0xffff, ANY, NULL},
            {"e_shstrndx 0", offsetof(Elf64_Ehdr, e_shstrndx), 2, 0, ANY, NULL},
            {"e_shstrndx past the table", offsetof(Elf64_Ehdr, e_shstrndx), 2, 0x7fff, FAIL, NULL},
            {"e_shstrndx SHN_XINDEX", offsetof(Elf64_Ehdr, e_shstrndx), 2, SHN_XINDEX, FAIL, NULL},
            {"e_phoff past EOF", offsetof(Elf64_Ehdr, e_phoff), 8, 1u << 30, ANY, NULL},
            {"e_phnum 0xffff", offsetof(Elf64_Ehdr, e_phnum), 2, 0xffff, ANY, NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t *b = dup_obj(o);
                memcpy(b + cases[i].off, &cases[i].value, cases[i].size); /* little-endian */
                VARIANT(o, "ELF header: %s", o->input, cases[i].what);
                run(b, o->len, o->input, cases[i].expect, cases[i].needle, NULL);
                free(b);
        }
        /* e_shstrndx pointing at every other section. */
        for (size_t i = 1; i < o->eh->e_shnum; i++) {
                uint8_t *b = dup_obj(o);
                ((Elf64_Ehdr *)b)->e_shstrndx = (uint16_t)i;
                VARIANT(o, "ELF header: e_shstrndx %zu", o->input, i);
                run(b, o->len, o->input, ANY, NULL, NULL);
                free(b);
        }
}

static void shdr_corruptions(const struct obj *o)
{
        size_t shnum = o->eh->e_shnum;

        for (size_t i = 0; i < shnum; i++) {
                const Elf64_Shdr *orig = shdr(o, o->buf, i);
                bool nobits = orig->sh_type == SHT_NOBITS;
                bool is_rel = orig->sh_type == SHT_REL && orig->sh_info < shnum &&
                              (shdr(o, o->buf, orig->sh_info)->sh_flags & SHF_EXECINSTR);
                bool is_symtab = i == o->symtab;
                bool has_data = !nobits && orig->sh_size > 0 && i != 0;
                struct {
                        const char *what;
                        size_t off, size;
                        uint64_t value;
                        enum expect expect;
                        const char *needle;
                } cases[] = {
                    {"sh_offset at EOF", offsetof(Elf64_Shdr, sh_offset), 8, o->len,
                     has_data ? FAIL : ANY, has_data ? "outside" : NULL},
                    {"sh_offset past EOF", offsetof(Elf64_Shdr, sh_offset), 8, o->len + 4096,
                     has_data ? FAIL : ANY, has_data ? "outside" : NULL},
                    {"sh_offset huge", offsetof(Elf64_Shdr, sh_offset), 8, UINT64_MAX - 3,
                     has_data ? FAIL : ANY, has_data ? "outside" : NULL},
                    {"sh_offset misaligned", offsetof(Elf64_Shdr, sh_offset), 8,
                     orig->sh_offset + 1, ANY, NULL},
                    {"sh_size past EOF", offsetof(Elf64_Shdr, sh_size), 8, o->len + 1,
                     nobits || i == 0 ? ANY : FAIL, nobits || i == 0 ? NULL : "outside"},
                    {"sh_size huge", offsetof(Elf64_Shdr, sh_size), 8, UINT64_MAX - 7,
                     nobits || i == 0 ? ANY : FAIL, nobits || i == 0 ? NULL : "outside"},
                    {"sh_size 0", offsetof(Elf64_Shdr, sh_size), 8, 0, ANY, NULL},
                    {"sh_size - 1", offsetof(Elf64_Shdr, sh_size), 8,
                     orig->sh_size ? orig->sh_size - 1 : 0, ANY, NULL},
                    {"sh_size - 8", offsetof(Elf64_Shdr, sh_size), 8,
                     orig->sh_size >= 8 ? orig->sh_size - 8 : 0, ANY, NULL},
                    {"sh_size + 8", offsetof(Elf64_Shdr, sh_size), 8, orig->sh_size + 8, ANY, NULL},
                    {"sh_link past the table", offsetof(Elf64_Shdr, sh_link), 4, shnum,
                     is_rel ? FAIL : ANY, is_rel ? "symbol table" : NULL},
                    {"sh_link 0xffffffff", offsetof(Elf64_Shdr, sh_link), 4, 0xffffffffu, ANY,
                     NULL},
                    {"sh_link 0", offsetof(Elf64_Shdr, sh_link), 4, 0, ANY, NULL},
                    {"sh_link itself", offsetof(Elf64_Shdr, sh_link), 4, i, ANY, NULL},
                    {"sh_info past the table", offsetof(Elf64_Shdr, sh_info), 4, shnum, ANY, NULL},
                    {"sh_info 0xffffffff", offsetof(Elf64_Shdr, sh_info), 4, 0xffffffffu, ANY,
                     NULL},
                    {"sh_info 0", offsetof(Elf64_Shdr, sh_info), 4, 0, ANY, NULL},
                    {"sh_entsize 0", offsetof(Elf64_Shdr, sh_entsize), 8, 0,
                     is_symtab || is_rel ? FAIL : ANY, is_symtab || is_rel ? "malformed" : NULL},
                    {"sh_entsize 1", offsetof(Elf64_Shdr, sh_entsize), 8, 1, ANY, NULL},
                    {"sh_entsize 7", offsetof(Elf64_Shdr, sh_entsize), 8, 7, ANY, NULL},
                    {"sh_entsize huge", offsetof(Elf64_Shdr, sh_entsize), 8, UINT64_MAX, ANY, NULL},
                    {"sh_name past the strings", offsetof(Elf64_Shdr, sh_name), 4, 0x7ffffff0, ANY,
                     NULL},
                    {"sh_name 0", offsetof(Elf64_Shdr, sh_name), 4, 0, ANY, NULL},
                    {"sh_type NOBITS", offsetof(Elf64_Shdr, sh_type), 4, SHT_NOBITS, ANY, NULL},
                    {"sh_type PROGBITS", offsetof(Elf64_Shdr, sh_type), 4, SHT_PROGBITS, ANY, NULL},
                    {"sh_type RELA", offsetof(Elf64_Shdr, sh_type), 4, SHT_RELA,
                     has_data ? FAIL : ANY, NULL},
                    {"sh_type REL", offsetof(Elf64_Shdr, sh_type), 4, SHT_REL, ANY, NULL},
                    {"sh_type SYMTAB", offsetof(Elf64_Shdr, sh_type), 4, SHT_SYMTAB, ANY, NULL},
                    {"sh_type STRTAB", offsetof(Elf64_Shdr, sh_type), 4, SHT_STRTAB, ANY, NULL},
                    {"sh_type GROUP", offsetof(Elf64_Shdr, sh_type), 4, SHT_GROUP, ANY, NULL},
                    {"sh_type SYMTAB_SHNDX", offsetof(Elf64_Shdr, sh_type), 4, SHT_SYMTAB_SHNDX,
                     ANY, NULL},
                    {"sh_type 0xdeadbeef", offsetof(Elf64_Shdr, sh_type), 4, 0xdeadbeef, ANY, NULL},
                    {"sh_flags EXECINSTR|ALLOC", offsetof(Elf64_Shdr, sh_flags), 8,
                     SHF_EXECINSTR | SHF_ALLOC, ANY, NULL},
                    {"sh_flags WRITE|ALLOC", offsetof(Elf64_Shdr, sh_flags), 8,
                     SHF_WRITE | SHF_ALLOC, ANY, NULL},
                    {"sh_flags COMPRESSED", offsetof(Elf64_Shdr, sh_flags), 8,
                     orig->sh_flags | SHF_COMPRESSED, ANY, NULL},
                    {"sh_flags all", offsetof(Elf64_Shdr, sh_flags), 8, UINT64_MAX, ANY, NULL},
                    {"sh_addralign huge", offsetof(Elf64_Shdr, sh_addralign), 8, 1ull << 62, ANY,
                     NULL},
                };
                for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                        uint8_t *b = dup_obj(o);
                        memcpy((uint8_t *)shdr(o, b, i) + cases[k].off, &cases[k].value,
                               cases[k].size);
                        VARIANT(o, "section %zu (%s): %s", o->input, i, sec_name(o, i),
                                cases[k].what);
                        run(b, o->len, o->input, cases[k].expect, cases[k].needle, NULL);
                        free(b);
                }
        }
}

static void symtab_corruptions(const struct obj *o)
{
        size_t shnum = o->eh->e_shnum;
        size_t strsz = shdr(o, o->buf, o->strtab)->sh_size;

        for (size_t i = 0; i < o->sym_cnt; i++) {
                const Elf64_Sym *s = sym(o, o->buf, i);
                bool func = ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_shndx &&
                            s->st_shndx < shnum &&
                            (shdr(o, o->buf, s->st_shndx)->sh_flags & SHF_EXECINSTR);
                uint64_t secsz =
                    s->st_shndx && s->st_shndx < shnum ? shdr(o, o->buf, s->st_shndx)->sh_size : 0;
                struct {
                        const char *what;
                        size_t off, size;
                        uint64_t value;
                        enum expect expect;
                        const char *needle;
                } cases[] = {
                    {"st_shndx past the table", offsetof(Elf64_Sym, st_shndx), 2, shnum, ANY, NULL},
                    {"st_shndx SHN_LORESERVE-1", offsetof(Elf64_Sym, st_shndx), 2,
                     SHN_LORESERVE - 1, ANY, NULL},
                    {"st_shndx SHN_ABS", offsetof(Elf64_Sym, st_shndx), 2, SHN_ABS, ANY, NULL},
                    {"st_shndx SHN_COMMON", offsetof(Elf64_Sym, st_shndx), 2, SHN_COMMON, ANY,
                     NULL},
                    {"st_shndx SHN_XINDEX", offsetof(Elf64_Sym, st_shndx), 2, SHN_XINDEX, ANY,
                     NULL},
                    {"st_shndx UNDEF", offsetof(Elf64_Sym, st_shndx), 2, SHN_UNDEF, ANY, NULL},
                    {"st_shndx the symbol table", offsetof(Elf64_Sym, st_shndx), 2, o->symtab, ANY,
                     NULL},
                    {"st_value at the section end", offsetof(Elf64_Sym, st_value), 8, secsz,
                     func ? FAIL : ANY, func ? "function" : NULL},
                    {"st_value past the section", offsetof(Elf64_Sym, st_value), 8, secsz + 8,
                     func ? FAIL : ANY, func ? "function" : NULL},
                    {"st_value huge", offsetof(Elf64_Sym, st_value), 8, UINT64_MAX - 7,
                     func ? FAIL : ANY, func ? "function" : NULL},
                    {"st_value not 8-aligned", offsetof(Elf64_Sym, st_value), 8, s->st_value + 4,
                     func ? FAIL : ANY, func ? "function" : NULL},
                    {"st_value - 8", offsetof(Elf64_Sym, st_value), 8, s->st_value - 8, ANY, NULL},
                    {"st_size past the section", offsetof(Elf64_Sym, st_size), 8, secsz + 8,
                     func ? FAIL : ANY, func ? "function" : NULL},
                    {"st_size huge", offsetof(Elf64_Sym, st_size), 8, UINT64_MAX - 7,
                     func ? FAIL : ANY, func ? "function" : NULL},
                    {"st_size not a multiple of 8", offsetof(Elf64_Sym, st_size), 8, s->st_size + 3,
                     func ? FAIL : ANY, func ? "function" : NULL},
                    {"st_size 0", offsetof(Elf64_Sym, st_size), 8, 0, ANY, NULL},
                    {"st_size 8", offsetof(Elf64_Sym, st_size), 8, 8, ANY, NULL},
                    {"st_name at the end of the strings", offsetof(Elf64_Sym, st_name), 4, strsz,
                     func ? FAIL : ANY, func ? "without a name" : NULL},
                    {"st_name past the strings", offsetof(Elf64_Sym, st_name), 4, 0xfffffff0u,
                     func ? FAIL : ANY, func ? "without a name" : NULL},
                    {"st_name empty", offsetof(Elf64_Sym, st_name), 4, 0, func ? FAIL : ANY,
                     func ? "without a name" : NULL},
                    {"st_name last byte", offsetof(Elf64_Sym, st_name), 4, strsz - 1, ANY, NULL},
                    {"st_info FUNC", offsetof(Elf64_Sym, st_info), 1,
                     ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), ANY, NULL},
                    {"st_info OBJECT", offsetof(Elf64_Sym, st_info), 1,
                     ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT), ANY, NULL},
                    {"st_info SECTION", offsetof(Elf64_Sym, st_info), 1,
                     ELF64_ST_INFO(STB_LOCAL, STT_SECTION), ANY, NULL},
                    {"st_info local", offsetof(Elf64_Sym, st_info), 1,
                     ELF64_ST_INFO(STB_LOCAL, ELF64_ST_TYPE(s->st_info)), ANY, NULL},
                    {"st_info 0xff", offsetof(Elf64_Sym, st_info), 1, 0xff, ANY, NULL},
                };
                for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                        uint8_t *b = dup_obj(o);
                        memcpy((uint8_t *)sym(o, b, i) + cases[k].off, &cases[k].value,
                               cases[k].size);
                        VARIANT(o, "symbol %zu (%s): %s", o->input, i, sym_name(o, i),
                                cases[k].what);
                        run(b, o->len, o->input, cases[k].expect, cases[k].needle, NULL);
                        free(b);
                }
        }
        /* The symbol table's size not a multiple of its entry size, or cut short. */
        for (size_t d = 1; d <= 24; d += 23) {
                uint8_t *b = dup_obj(o);
                shdr(o, b, o->symtab)->sh_size -= d;
                VARIANT(o, "symbol table %zu bytes short", o->input, d);
                run(b, o->len, o->input, ANY, NULL, NULL);
                free(b);
        }
}

static bool is_call(const uint8_t *insn)
{
        return insn[0] == (BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL);
}

static void reloc_corruptions(const struct obj *o)
{
        for (size_t i = 1; i < o->eh->e_shnum; i++) {
                const Elf64_Shdr *rs = shdr(o, o->buf, i);
                const Elf64_Shdr *target;

                if (rs->sh_type != SHT_REL || rs->sh_info >= o->eh->e_shnum)
                        continue;
                target = shdr(o, o->buf, rs->sh_info);
                if (!(target->sh_flags & SHF_EXECINSTR))
                        continue; /* .rel.BTF and friends */
                for (size_t k = 0; k < rs->sh_size / sizeof(Elf64_Rel); k++) {
                        const Elf64_Rel *rel = (const Elf64_Rel *)(o->buf + rs->sh_offset) + k;
                        size_t symi = ELF64_R_SYM(rel->r_info);
                        uint32_t type = (uint32_t)ELF64_R_TYPE(rel->r_info);
                        const uint8_t *insn = o->buf + target->sh_offset + rel->r_offset;
                        struct {
                                const char *what;
                                uint64_t offset;
                                uint64_t sym;
                                enum expect expect;
                                const char *needle;
                        } cases[] = {
                            {"symbol index past the table", rel->r_offset, o->sym_cnt, FAIL,
                             "symbol"},
                            {"symbol index 0x7fffffff", rel->r_offset, 0x7fffffff, FAIL, "symbol"},
                            {"symbol index 0xffffffff", rel->r_offset, 0xffffffffu, FAIL, "symbol"},
                            {"symbol index 0", rel->r_offset, 0, FAIL, "symbol"},
                            {"offset at the section end", target->sh_size, symi, FAIL,
                             "relocation offset"},
                            {"offset past the section", target->sh_size + 64, symi, FAIL,
                             "relocation offset"},
                            {"offset huge", UINT64_MAX - 7, symi, FAIL, "relocation offset"},
                            {"offset not 8-aligned", rel->r_offset + 4, symi, FAIL,
                             "relocation offset"},
                            {"offset on the next insn", rel->r_offset + 8, symi, ANY, NULL},
                            {"offset 0", 0, symi, ANY, NULL},
                        };
                        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                                uint8_t *b = dup_obj(o);
                                Elf64_Rel *r = (Elf64_Rel *)(b + rs->sh_offset) + k;
                                r->r_offset = cases[c].offset;
                                r->r_info = ELF64_R_INFO(cases[c].sym, type);
                                VARIANT(o, "%s entry %zu (against %s): %s", o->input,
                                        sec_name(o, i), k, sym_name(o, symi), cases[c].what);
                                run(b, o->len, o->input, cases[c].expect, cases[c].needle, NULL);
                                free(b);
                        }
                        /* Retarget the relocation to every other symbol. */
                        for (size_t s = 1; s < o->sym_cnt; s++) {
                                const Elf64_Sym *ts = sym(o, o->buf, s);
                                bool to_non_func = is_call(insn) &&
                                                   ELF64_ST_TYPE(ts->st_info) == STT_OBJECT &&
                                                   ts->st_shndx != SHN_UNDEF;
                                uint8_t *b;
                                Elf64_Rel *r;

                                if (s == symi)
                                        continue;
                                b = dup_obj(o);
                                r = (Elf64_Rel *)(b + rs->sh_offset) + k;
                                r->r_info = ELF64_R_INFO(s, type);
                                VARIANT(o, "%s entry %zu: %s against %s instead of %s", o->input,
                                        sec_name(o, i), k, is_call(insn) ? "call" : "insn",
                                        sym_name(o, s), sym_name(o, symi));
                                /* A call of a variable or map must not compile. */
                                run(b, o->len, o->input, to_non_func ? BROKEN : ANY,
                                    to_non_func ? sym_name(o, s) : NULL, NULL);
                                free(b);
                        }
                        /* Relocation type garbage. */
                        {
                                uint8_t *b = dup_obj(o);
                                Elf64_Rel *r = (Elf64_Rel *)(b + rs->sh_offset) + k;
                                r->r_info = ELF64_R_INFO(symi, 0xdeadbeefu);
                                VARIANT(o, "%s entry %zu: relocation type 0xdeadbeef", o->input,
                                        sec_name(o, i), k);
                                run(b, o->len, o->input, ANY, NULL, NULL);
                                free(b);
                        }
                }
        }
}

/* Patch one u32 field of legacy map `name` (a struct bpf_map_def in "maps"). */
static void legacy_map_cases(const struct obj *o)
{
        static const struct {
                const char *map;
                size_t field; /* type, key_size, value_size, max_entries, map_flags */
                uint32_t value;
                const char *what;
        } cases[] = {
            {"hist", 1, 0, "hash with key_size 0"},
            {"hist", 2, 0, "hash with value_size 0"},
            {"hist", 2, 0xffffffffu, "hash with value_size 4 GiB"},
            {"hist", 3, 0, "hash with max_entries 0"},
            {"hist", 3, 0xffffffffu, "hash with max_entries 2^32-1"},
            {"hist", 4, 0xffffffffu, "hash with every flag"},
            {"slots", 1, 8, "array with key_size 8"},
            {"slots", 2, 0, "array with value_size 0"},
            {"slots", 2, 0xfffffff0u, "array with value_size 4 GiB"},
            {"slots", 3, 0, "array with max_entries 0"},
        };
        size_t maps = find_sec(o, "maps");

        if (!maps)
                return;
        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                size_t s = find_sym(o, cases[c].map);
                uint8_t *b;
                uint32_t *def;

                if (!s) {
                        VARIANT(o, "legacy map %s", o->input, cases[c].map);
                        bad("no symbol %s", cases[c].map);
                        continue;
                }
                b = dup_obj(o);
                def = (uint32_t *)(b + shdr(o, b, maps)->sh_offset + sym(o, b, s)->st_value);
                def[cases[c].field] = cases[c].value;
                VARIANT(o, "legacy map %s: %s", o->input, cases[c].map, cases[c].what);
                run(b, o->len, o->input, ANY, NULL, cases[c].map);
                free(b);
        }
        /* The maps section too small for its definitions. */
        for (uint64_t sz = 0; sz < 40; sz += 4) {
                uint8_t *b = dup_obj(o);
                shdr(o, b, maps)->sh_size = sz;
                VARIANT(o, "legacy maps section of %llu bytes", o->input, (unsigned long long)sz);
                run(b, o->len, o->input, FAIL, "legacy map", NULL);
                free(b);
        }
}

static void btf_map_cases(const struct obj *o)
{
        static const char *const bad_maps[] = {"zero_key", "huge_value", "no_entries",
                                               "zero_value"};
        for (size_t i = 0; i < sizeof(bad_maps) / sizeof(bad_maps[0]); i++) {
                VARIANT(o, "BTF map %s", o->input, bad_maps[i]);
                run(o->buf, o->len, o->input, ANY, NULL, bad_maps[i]);
        }
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

static void btf_corruptions(const struct obj *o)
{
        const Elf64_Shdr *bs;
        size_t off, size;

        if (!o->btf)
                return;
        bs = shdr(o, o->buf, o->btf);
        off = bs->sh_offset;
        size = bs->sh_size;
        /* Header fields (struct btf_header: magic u16, version u8, flags u8, hdr_len,
         * type_off, type_len, str_off, str_len u32). */
        static const struct {
                const char *what;
                size_t off, size;
                uint32_t value;
        } hdr[] = {
            {"magic", 0, 2, 0x1234},
            {"version 0", 2, 1, 0},
            {"version 2", 2, 1, 2},
            {"flags", 3, 1, 0xff},
            {"hdr_len 0", 4, 4, 0},
            {"hdr_len 8", 4, 4, 8},
            {"hdr_len huge", 4, 4, 0xfffffff0u},
            {"hdr_len 25", 4, 4, 25},
            {"type_off huge", 8, 4, 0xfffffff0u},
            {"type_off 3", 8, 4, 3},
            {"type_len huge", 12, 4, 0xfffffff0u},
            {"type_len 0", 12, 4, 0},
            {"type_len 5", 12, 4, 5},
            {"str_off huge", 16, 4, 0xfffffff0u},
            {"str_off 0", 16, 4, 0},
            {"str_len huge", 20, 4, 0xfffffff0u},
            {"str_len 0", 20, 4, 0},
            {"str_len 1", 20, 4, 1},
        };
        for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
                uint8_t *b = dup_obj(o);
                memcpy(b + off + hdr[i].off, &hdr[i].value, hdr[i].size);
                VARIANT(o, ".BTF header: %s", o->input, hdr[i].what);
                run(b, o->len, o->input, ANY, NULL, NULL);
                free(b);
        }
        /* Garbage: all zeroes, all 0xff, random bytes after a valid header, random u32s. */
        for (int fill = 0; fill < 2; fill++) {
                uint8_t *b = dup_obj(o);
                memset(b + off, fill ? 0xff : 0, size);
                VARIANT(o, ".BTF all %s", o->input, fill ? "0xff" : "zero");
                run(b, o->len, o->input, ANY, NULL, NULL);
                free(b);
        }
        for (int round = 0; round < 40; round++) {
                uint8_t *b = dup_obj(o);
                size_t from = round < 20 ? 24 : 0;
                for (size_t k = from; k < size; k++)
                        b[off + k] = (uint8_t)rnd();
                VARIANT(o, ".BTF random bytes, round %d", o->input, round);
                run(b, o->len, o->input, ANY, NULL, NULL);
                free(b);
        }
        /* Sparse damage in the type section: a few u32s of types set to odd values. */
        for (int round = 0; round < 300; round++) {
                uint8_t *b = dup_obj(o);
                static const uint32_t odd[] = {0,           1,           0xffffffffu,
                                               0x7fffffffu, 0x80000000u, 0x0d000000u,
                                               0x04000001u, 0x13000000u, 1000000};
                int n = 1 + (int)(rnd() % 3);
                for (int k = 0; k < n && size > 28; k++) {
                        size_t at = 24 + (rnd() % ((size - 24) / 4)) * 4;
                        uint32_t v = odd[rnd() % (sizeof(odd) / sizeof(odd[0]))];
                        memcpy(b + off + at, &v, 4);
                }
                VARIANT(o, ".BTF damaged types, round %d", o->input, round);
                run(b, o->len, o->input, ANY, NULL, NULL);
                free(b);
        }
}

static void random_flips(const struct obj *o, int rounds)
{
        for (int round = 0; round < rounds; round++) {
                uint8_t *b = dup_obj(o);
                int n = 1 + (int)(rnd() % 4);
                for (int k = 0; k < n; k++) {
                        size_t at = rnd() % o->len;
                        b[at] ^= (uint8_t)(1u << (rnd() % 8));
                }
                VARIANT(o, "random bit flips, round %d", o->input, round);
                run(b, o->len, o->input, ANY, NULL, NULL);
                free(b);
        }
}

int main(int argc, char **argv)
{
        static const char *const inputs[] = {"full.bpf.o", "legacy.bpf.o", "badmaps.bpf.o"};
        struct obj objs[3];

        if (argc != 4) {
                fprintf(stderr, "usage: %s FULL.bpf.o LEGACY.bpf.o BADMAPS.bpf.o\n", argv[0]);
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        signal(SIGALRM, on_alarm);
        catch_crashes();
        skip_list = getenv("BADOBJ_SKIP");
        trace = getenv("BADOBJ_TRACE") != NULL;
        libbpf_set_print(NULL); /* libbpf's complaints about broken BTF */
        for (int i = 0; i < 3; i++)
                load(&objs[i], argv[i + 1], inputs[i]);
        for (int i = 0; i < 3; i++) {
                unsigned long before = variants, fails = (unsigned long)failures;
                const struct obj *o = &objs[i];

                baseline(o);
                truncations(o);
                ehdr_corruptions(o);
                shdr_corruptions(o);
                symtab_corruptions(o);
                reloc_corruptions(o);
                btf_corruptions(o);
                if (i == 1)
                        legacy_map_cases(o);
                if (i == 2)
                        btf_map_cases(o);
                random_flips(o, 400);
                printf("%s %s: %lu variants (%lu failures)\n",
                       (unsigned long)failures == fails ? "ok  " : "FAIL", o->input,
                       variants - before, (unsigned long)failures - fails);
        }
        printf("%lu variants: %lu opened, %lu refused by open; %lu programs compiled "
               "(%lu refused), %lu refused by validate; maps: %lu created, %lu refused; %lu "
               "skipped (BADOBJ_SKIP); %d failures\n",
               variants, opened, failed_open, compiled, compile_failed, validate_failed,
               maps_created, maps_refused, skips, failures);
        for (int i = 0; i < 3; i++)
                free(objs[i].buf);
        for (size_t i = 0; i < seen_cnt; i++)
                free(seen[i].msg);
        return failures ? 1 : 0;
}
