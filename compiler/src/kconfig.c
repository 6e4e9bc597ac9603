/* SPDX-License-Identifier: MIT */
/*
 * A kernel config as an extern provider: CONFIG_* values from a config file
 * (plain text or gzip), LINUX_KERNEL_VERSION from uname(). The ELF reader
 * encodes the text as each extern's type says.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

struct kconfig_entry {
        char *name, *value;
};

struct bpfaot_kconfig {
        char *path;   /* asked for; NULL: the build host's */
        bool loaded;  /* read (lazily: objects without CONFIG_* externs need no config) */
        char *source; /* the file read; NULL: the build host has none */
        struct kconfig_entry *entries;
        size_t entry_cnt;
        char version[24]; /* LINUX_KERNEL_VERSION, as text */
};

static void free_entries(struct bpfaot_kconfig *k)
{
        for (size_t i = 0; i < k->entry_cnt; i++) {
                free(k->entries[i].name);
                free(k->entries[i].value);
        }
        free(k->entries);
        k->entries = NULL;
        k->entry_cnt = 0;
        free(k->source);
        k->source = NULL;
}

void bpfaot_kconfig__free(struct bpfaot_kconfig *k)
{
        if (!k)
                return;
        free_entries(k);
        free(k->path);
        free(k);
}

int bpfaot_kconfig__new(const char *path, struct bpfaot_kconfig **out, struct bpfaot_error *err)
{
        struct bpfaot_kconfig *k = calloc(1, sizeof(*k));

        *out = NULL;
        if (!k || (path && !(k->path = strdup(path)))) {
                free(k);
                return bpfaot_error_nomem(err);
        }
        *out = k;
        return 0;
}

static int add_entry(struct bpfaot_kconfig *k, const char *name, size_t name_len, const char *value)
{
        struct kconfig_entry *e = ARRAY_ADD(k->entries, k->entry_cnt);

        if (!e)
                return -ENOMEM;
        e->name = strndup(name, name_len);
        e->value = strdup(value);
        return e->name && e->value ? 0 : -ENOMEM;
}

/* One line: "CONFIG_X=value" or "# CONFIG_X is not set" (which means n). */
static int parse_line(struct bpfaot_kconfig *k, char *line)
{
        static const char not_set[] = " is not set";
        size_t n = strcspn(line, "\r\n");
        char *eq;

        line[n] = '\0';
        if (strncmp(line, "# CONFIG_", 9) == 0 && n > 2 + sizeof(not_set) - 1 &&
            strcmp(line + n - (sizeof(not_set) - 1), not_set) == 0)
                return add_entry(k, line + 2, n - 2 - (sizeof(not_set) - 1), "n");
        if (strncmp(line, "CONFIG_", 7) != 0 || !(eq = strchr(line, '=')))
                return 0;
        return add_entry(k, line, (size_t)(eq - line), eq + 1);
}

/* Why reading `f` stopped early, or NULL at its end. */
static const char *read_error(gzFile f)
{
        int code;
        const char *msg = gzerror(f, &code);

        if (code == Z_OK || code == Z_STREAM_END)
                return NULL;
        return code == Z_ERRNO ? strerror(errno ? errno : EIO) : msg;
}

static int read_config(struct bpfaot_kconfig *k, gzFile f, struct bpfaot_error *err)
{
        char line[4096];
        const char *why;

        while (gzgets(f, line, sizeof(line)))
                if (parse_line(k, line))
                        return bpfaot_error_nomem(err);
        why = read_error(f);
        /* -EIO, not the errno: -ENOENT tells the reader that a value is missing. */
        if (why)
                return bpfaot_error_set(err, EIO, "cannot read kernel config %s: %s", k->source,
                                        why);
        return 0;
}

/* The build host's config: /proc/config.gz, else /boot/config-<release>; NULL if neither. */
static gzFile open_host_config(char *path, size_t len)
{
        struct utsname u;
        gzFile f;

        snprintf(path, len, "/proc/config.gz");
        f = gzopen(path, "rb");
        if (!f && uname(&u) == 0) {
                snprintf(path, len, "/boot/config-%s", u.release);
                f = gzopen(path, "rb");
        }
        return f;
}

static int load(struct bpfaot_kconfig *k, struct bpfaot_error *err)
{
        char host[320];
        gzFile f;
        int ret;

        if (k->loaded)
                return 0;
        f = k->path ? gzopen(k->path, "rb") : open_host_config(host, sizeof(host));
        if (!f && k->path)
                return bpfaot_error_set(err, EIO, "cannot read kernel config %s: %s", k->path,
                                        strerror(errno ? errno : EIO));
        if (f) {
                k->source = strdup(k->path ? k->path : host);
                ret = k->source ? read_config(k, f, err) : bpfaot_error_nomem(err);
                gzclose(f);
                if (ret) {
                        free_entries(k);
                        return ret;
                }
        }
        k->loaded = true;
        return 0;
}

/* KERNEL_VERSION(a, b, c) of the running kernel, as libbpf computes it; 0 if unknown. */
static unsigned long long host_kernel_version(void)
{
        struct utsname u;
        unsigned a = 0, b = 0, c = 0;

        if (uname(&u) || sscanf(u.release, "%u.%u.%u", &a, &b, &c) < 2)
                return 0;
        return ((unsigned long long)a << 16) + ((unsigned long long)b << 8) + (c > 255 ? 255 : c);
}

static const char *lookup(const struct bpfaot_kconfig *k, const char *name)
{
        for (size_t i = 0; i < k->entry_cnt; i++)
                if (strcmp(k->entries[i].name, name) == 0)
                        return k->entries[i].value;
        return NULL;
}

static int resolve(void *ctx, const char *name, const char **value, char *why, size_t why_len)
{
        struct bpfaot_kconfig *k = ctx;
        struct bpfaot_error err = {0};

        *value = NULL;
        if (strcmp(name, "LINUX_KERNEL_VERSION") == 0) {
                snprintf(k->version, sizeof(k->version), "%llu", host_kernel_version());
                *value = k->version;
                return 0;
        }
        if (strncmp(name, "CONFIG_", 7) != 0) {
                snprintf(why, why_len, "no such value outside a kernel");
                return -ENOENT;
        }
        if (load(k, &err)) {
                snprintf(why, why_len, "%s", err.msg);
                return err.code;
        }
        if (!k->source) {
                snprintf(why, why_len,
                         "this host has no kernel config; give one with --kconfig FILE");
                return -ENOENT;
        }
        *value = lookup(k, name);
        if (!*value) {
                snprintf(why, why_len, "%s is not in the kernel config %s", name, k->source);
                return -ENOENT;
        }
        return 0;
}

struct bpfaot_extern_provider bpfaot_kconfig__provider(struct bpfaot_kconfig *k)
{
        return (struct bpfaot_extern_provider){.resolve = k ? resolve : NULL, .ctx = k};
}
