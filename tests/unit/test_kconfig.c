/* SPDX-License-Identifier: MIT */
/*
 * Extern providers: bpfaot_kconfig__new's values from a config file's text,
 * and what bpfaot_elf__open_mem_opts makes of them for the .kconfig externs
 * of kconfig_externs.bpf.o (CONFIG_HZ, a weak CONFIG_NOT_IN_ANY_CONFIG and
 * LINUX_KERNEL_VERSION, each found by its relocation's name): a value, a
 * missing one, no provider at all, a value that does not fit, a config that
 * cannot be read, and a provider of the caller's own.
 * Usage: test_kconfig KCONFIG_EXTERNS.bpf.o
 */
#include "test_util.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static uint8_t *obj;
static size_t obj_len;
static const char *obj_name;

static int read_all(const char *path)
{
        FILE *f = fopen(path, "rb");
        long n;

        if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
                return -1;
        obj = malloc((size_t)n);
        obj_len = obj ? fread(obj, 1, (size_t)n, f) : 0;
        fclose(f);
        return obj_len == (size_t)n ? 0 : -1;
}

/* A config file holding `text`, in the test's directory; the caller unlinks it. */
static void write_config(char *path, const char *text)
{
        int fd = mkstemp(path);
        size_t n = strlen(text);

        CHECKF(fd >= 0 && write(fd, text, n) == (ssize_t)n, "cannot write %s", path);
        if (fd >= 0)
                close(fd);
}

static int open_obj(const struct bpfaot_extern_provider *externs, struct bpfaot_elf **elf,
                    struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_elf_opts, opts);

        if (externs)
                opts.externs = *externs;
        memset(err, 0, sizeof(*err));
        return bpfaot_elf__open_mem_opts(obj, obj_len, obj_name, externs ? &opts : NULL, elf, err);
}

/* The relocation against extern `name`, in any program. */
static const struct bpfaot_reloc *reloc_of(const struct bpfaot_elf *elf, const char *name)
{
        for (size_t i = 0; i < elf->prog_cnt; i++)
                for (size_t k = 0; k < elf->progs[i].reloc_cnt; k++)
                        if (strcmp(elf->progs[i].relocs[k].name, name) == 0)
                                return &elf->progs[i].relocs[k];
        return NULL;
}

/* The 4 bytes a resolved relocation points at in the synthesized .kconfig, or -1. */
static long long value_of(const struct bpfaot_elf *elf, const char *name)
{
        const struct bpfaot_reloc *r = reloc_of(elf, name);
        const struct bpfaot_data_sec *d;
        int32_t v;

        if (!r || r->kind != BPFAOT_RELOC_DATA || r->data_sec >= elf->data_cnt)
                return -1;
        d = &elf->data[r->data_sec];
        if (strcmp(d->name, ".kconfig") != 0 || !d->readonly || r->offset + 4 > d->size ||
            !d->bytes)
                return -1;
        memcpy(&v, d->bytes + r->offset, 4);
        return v;
}

static const char *why_of(const struct bpfaot_elf *elf, const char *name)
{
        const struct bpfaot_reloc *r = reloc_of(elf, name);
        return r && r->kind == BPFAOT_RELOC_UNRESOLVED ? r->why : NULL;
}

/* The provider alone: text values, the missing ones with their reasons, read lazily. */
static void test_provider_text(void)
{
        char path[] = "test_kconfig.XXXXXX", missing[128];
        struct bpfaot_error err = {0};
        char why[256];
        struct bpfaot_kconfig *k = NULL;
        struct bpfaot_extern_provider p;
        const char *v = NULL;

        write_config(path, "CONFIG_HZ=300\n# CONFIG_FOO is not set\r\n"
                           "CONFIG_DEFAULT_HOSTNAME=\"(none)\"\nnot a config line\n");
        CHECK_EQ(bpfaot_kconfig__new(path, &k, &err), 0);
        p = bpfaot_kconfig__provider(k);
        CHECK(p.resolve && p.ctx == k);
        CHECK_EQ(p.resolve(p.ctx, "CONFIG_HZ", &v, why, sizeof(why)), 0);
        CHECK_STR_EQ(v, "300");
        CHECK_EQ(p.resolve(p.ctx, "CONFIG_FOO", &v, why, sizeof(why)), 0);
        CHECK_STR_EQ(v, "n");
        CHECK_EQ(p.resolve(p.ctx, "CONFIG_DEFAULT_HOSTNAME", &v, why, sizeof(why)), 0);
        CHECK_STR_EQ(v, "\"(none)\"");
        CHECK_EQ(p.resolve(p.ctx, "LINUX_KERNEL_VERSION", &v, why, sizeof(why)), 0);
        CHECK(v && *v && strspn(v, "0123456789") == strlen(v));
        CHECK_EQ(p.resolve(p.ctx, "CONFIG_NOPE", &v, why, sizeof(why)), -ENOENT);
        snprintf(missing, sizeof(missing), "CONFIG_NOPE is not in the kernel config %s", path);
        CHECK_STR_EQ(why, missing);
        CHECK_EQ(p.resolve(p.ctx, "HZ", &v, why, sizeof(why)), -ENOENT);
        CHECK_STR_EQ(why, "no such value outside a kernel");
        bpfaot_kconfig__free(k);
        unlink(path);

        /* Nothing is read before a CONFIG_* value is asked for. */
        CHECK_EQ(bpfaot_kconfig__new("no-such.config", &k, &err), 0);
        p = bpfaot_kconfig__provider(k);
        CHECK_EQ(p.resolve(p.ctx, "LINUX_KERNEL_VERSION", &v, why, sizeof(why)), 0);
        CHECK_EQ(p.resolve(p.ctx, "CONFIG_HZ", &v, why, sizeof(why)), -EIO);
        CHECK_STR_EQ(why, "cannot read kernel config no-such.config: No such file or directory");
        bpfaot_kconfig__free(k);
        CHECK(bpfaot_kconfig__provider(NULL).resolve == NULL);
        bpfaot_kconfig__free(NULL);
}

/* Through the reader: a value, a weak one missing (0), a strong one missing (why). */
static void test_values(void)
{
        char path[] = "test_kconfig.XXXXXX", other[] = "test_kconfig.XXXXXX", why[160];
        struct bpfaot_error err;
        struct bpfaot_kconfig *k = NULL;
        struct bpfaot_extern_provider p;
        struct bpfaot_elf *elf = NULL;

        write_config(path, "CONFIG_HZ=250\n");
        CHECK_EQ(bpfaot_kconfig__new(path, &k, &err), 0);
        p = bpfaot_kconfig__provider(k);
        CHECK_EQ(open_obj(&p, &elf, &err), 0);
        if (elf) {
                CHECK_EQ(value_of(elf, "CONFIG_HZ"), 250);
                CHECK_EQ(value_of(elf, "CONFIG_NOT_IN_ANY_CONFIG"), 0);
                CHECK(value_of(elf, "LINUX_KERNEL_VERSION") >= 0);
        }
        bpfaot_elf__free(elf);
        bpfaot_kconfig__free(k);
        unlink(path);

        write_config(other, "CONFIG_OTHER=y\n");
        CHECK_EQ(bpfaot_kconfig__new(other, &k, &err), 0);
        p = bpfaot_kconfig__provider(k);
        CHECK_EQ(open_obj(&p, &elf, &err), 0);
        snprintf(why, sizeof(why), "CONFIG_HZ is not in the kernel config %s", other);
        if (elf) {
                CHECK_STR_EQ(why_of(elf, "CONFIG_HZ"), why);
                CHECK_STR_EQ(reloc_of(elf, "CONFIG_HZ")->what, "kconfig value");
                CHECK_EQ(value_of(elf, "CONFIG_NOT_IN_ANY_CONFIG"), 0);
        }
        bpfaot_elf__free(elf);
        bpfaot_kconfig__free(k);
        unlink(other);
}

/* No provider (NULL or zeroed options): weak externs are 0, the others say how to give one. */
static void test_no_provider(void)
{
        static const char no_config[] =
            "no kernel config given; set bpfaot_elf_opts.externs (see bpfaot_kconfig__new)";
        struct bpfaot_extern_provider none = {0};
        struct bpfaot_error err;
        struct bpfaot_elf *elf = NULL;

        for (int zeroed = 0; zeroed < 2; zeroed++) {
                CHECK_EQ(open_obj(zeroed ? &none : NULL, &elf, &err), 0);
                if (!elf)
                        continue;
                CHECK_EQ(value_of(elf, "CONFIG_NOT_IN_ANY_CONFIG"), 0);
                CHECK_STR_EQ(why_of(elf, "CONFIG_HZ"), no_config);
                CHECK_STR_EQ(why_of(elf, "LINUX_KERNEL_VERSION"), no_config);
                bpfaot_elf__free(elf);
        }
}

/* A config that cannot be read fails the read, naming the input; a bad value names itself. */
static void test_bad_config(void)
{
        char path[] = "test_kconfig.XXXXXX", msg[256];
        struct bpfaot_error err;
        struct bpfaot_kconfig *k = NULL;
        struct bpfaot_extern_provider p;
        struct bpfaot_elf *elf = NULL;
        static const struct {
                const char *path, *why;
        } unreadable[] = {
            {"no-such.config", "No such file or directory"},
            {".", "Is a directory"},
        };

        for (size_t i = 0; i < sizeof(unreadable) / sizeof(unreadable[0]); i++) {
                CHECK_EQ(bpfaot_kconfig__new(unreadable[i].path, &k, &err), 0);
                p = bpfaot_kconfig__provider(k);
                CHECK_EQ(open_obj(&p, &elf, &err), -EIO);
                CHECK(elf == NULL);
                snprintf(msg, sizeof(msg), "%s: cannot read kernel config %s: %s", obj_name,
                         unreadable[i].path, unreadable[i].why);
                CHECK_STR_EQ(err.msg, msg);
                bpfaot_kconfig__free(k);
        }

        write_config(path, "CONFIG_HZ=abc\n");
        CHECK_EQ(bpfaot_kconfig__new(path, &k, &err), 0);
        p = bpfaot_kconfig__provider(k);
        CHECK_EQ(open_obj(&p, &elf, &err), 0);
        if (elf)
                CHECK_STR_EQ(why_of(elf, "CONFIG_HZ"), "abc: the value is not a number");
        bpfaot_elf__free(elf);
        bpfaot_kconfig__free(k);
        unlink(path);
}

/* A provider of the caller's own: values from anywhere, its failures fail the read. */
static int my_resolve(void *ctx, const char *name, const char **value, char *why, size_t why_len)
{
        const char *fail_on = ctx;

        if (fail_on && strcmp(name, fail_on) == 0) {
                snprintf(why, why_len, "no access to %s", name);
                return -EACCES;
        }
        if (strcmp(name, "CONFIG_HZ") == 0) {
                *value = "0x64";
                return 0;
        }
        snprintf(why, why_len, "not known here");
        return -ENOENT;
}

static void test_own_provider(void)
{
        struct bpfaot_extern_provider p = {.resolve = my_resolve};
        struct bpfaot_error err;
        struct bpfaot_elf *elf = NULL;
        char msg[256];

        CHECK_EQ(open_obj(&p, &elf, &err), 0);
        if (elf) {
                CHECK_EQ(value_of(elf, "CONFIG_HZ"), 100);
                CHECK_EQ(value_of(elf, "CONFIG_NOT_IN_ANY_CONFIG"), 0);
                CHECK_STR_EQ(why_of(elf, "LINUX_KERNEL_VERSION"), "not known here");
        }
        bpfaot_elf__free(elf);
        p.ctx = (void *)"CONFIG_HZ";
        CHECK_EQ(open_obj(&p, &elf, &err), -EACCES);
        snprintf(msg, sizeof(msg), "%s: no access to CONFIG_HZ", obj_name);
        CHECK_STR_EQ(err.msg, msg);
}

int main(int argc, char **argv)
{
        if (argc != 2 || read_all(argv[1])) {
                fprintf(stderr, "usage: test_kconfig KCONFIG_EXTERNS.bpf.o (a readable one)\n");
                return 2;
        }
        obj_name = "kconfig_externs.bpf.o";
        test_provider_text();
        test_values();
        test_no_provider();
        test_bad_config();
        test_own_provider();
        free(obj);
        return TEST_EXIT("kconfig");
}
