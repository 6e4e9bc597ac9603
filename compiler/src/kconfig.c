/* SPDX-License-Identifier: MIT */
#include "internal.h"
#include "kconfig.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

struct kconfig_entry {
        char *name, *value;
};

struct kconfig {
        char *path;
        struct kconfig_entry *entries;
        size_t cnt;
};

void kconfig_free(struct kconfig *k)
{
        if (!k)
                return;
        for (size_t i = 0; i < k->cnt; i++) {
                free(k->entries[i].name);
                free(k->entries[i].value);
        }
        free(k->entries);
        free(k->path);
        free(k);
}

static int add_entry(struct kconfig *k, const char *name, size_t name_len, const char *value)
{
        struct kconfig_entry *e = realloc(k->entries, (k->cnt + 1) * sizeof(*e));

        if (!e)
                return -ENOMEM;
        k->entries = e;
        e = &k->entries[k->cnt];
        e->name = strndup(name, name_len);
        e->value = strdup(value);
        if (!e->name || !e->value) {
                free(e->name);
                free(e->value);
                return -ENOMEM;
        }
        k->cnt++;
        return 0;
}

/* One line: "CONFIG_X=value" or "# CONFIG_X is not set" (which means n). */
static int parse_line(struct kconfig *k, char *line)
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

static int read_file(gzFile f, struct kconfig *k)
{
        char line[4096];

        while (gzgets(f, line, sizeof(line)))
                if (parse_line(k, line))
                        return -ENOMEM;
        return 0;
}

int kconfig_load(const char *path, struct kconfig **out, struct bpfaot_error *err)
{
        char host[320];
        struct utsname u;
        struct kconfig *k;
        gzFile f = NULL;
        int ret;

        *out = NULL;
        if (path) {
                f = gzopen(path, "rb");
                if (!f)
                        return bpfaot_error_set(err, errno ? errno : EIO,
                                                "cannot read kernel config %s: %s", path,
                                                strerror(errno ? errno : EIO));
        } else {
                path = "/proc/config.gz";
                f = gzopen(path, "rb");
                if (!f && uname(&u) == 0) {
                        snprintf(host, sizeof(host), "/boot/config-%s", u.release);
                        path = host;
                        f = gzopen(path, "rb");
                }
                if (!f)
                        return 0; /* this host has no config: every value is missing */
        }
        k = calloc(1, sizeof(*k));
        ret = k && (k->path = strdup(path)) ? read_file(f, k) : -ENOMEM;
        gzclose(f);
        if (ret) {
                kconfig_free(k);
                return bpfaot_error_set(err, ENOMEM, "out of memory");
        }
        *out = k;
        return 0;
}

const char *kconfig_path(const struct kconfig *k)
{
        return k ? k->path : "(none)";
}

const char *kconfig_get(const struct kconfig *k, const char *name)
{
        for (size_t i = 0; k && i < k->cnt; i++)
                if (strcmp(k->entries[i].name, name) == 0)
                        return k->entries[i].value;
        return NULL;
}

static bool is_tristate_letter(const char *v)
{
        return (v[0] == 'y' || v[0] == 'n' || v[0] == 'm') && v[1] == '\0';
}

static const char *encode_int(const struct btf_type *t, const char *v, uint8_t *out, size_t size)
{
        bool is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
        unsigned bits = (unsigned)size * 8;
        char *end;
        uint64_t u;

        if (is_tristate_letter(v)) {
                if (size != 1)
                        return "a y/m/n value needs a bool, char or libbpf_tristate extern";
                out[0] = (uint8_t)v[0];
                return NULL;
        }
        errno = 0;
        if (is_signed) {
                long long s = strtoll(v, &end, 0);
                if (errno || *end || !*v)
                        return "the value is not a number";
                if (bits < 64 && (s < -(1ll << (bits - 1)) || s >= (1ll << (bits - 1))))
                        return "the value does not fit the extern's type";
                u = (uint64_t)s;
        } else {
                if (*v == '-')
                        return "a negative value for an unsigned extern";
                u = strtoull(v, &end, 0);
                if (errno || *end || !*v)
                        return "the value is not a number";
                if (bits < 64 && u >> bits)
                        return "the value does not fit the extern's type";
        }
        memcpy(out, &u, size); /* little-endian targets only: the low bytes */
        return NULL;
}

static const char *encode_string(const char *v, uint8_t *out, size_t size)
{
        size_t n = strlen(v);

        if (n < 2 || v[0] != '"' || v[n - 1] != '"')
                return "a char array extern needs a quoted string value";
        n -= 2;
        if (n > size - 1)
                n = size - 1; /* truncated, as libbpf does */
        memcpy(out, v + 1, n);
        return NULL;
}

const char *kconfig_encode(const struct btf *btf, uint32_t type_id, const char *value, uint8_t *out,
                           size_t size)
{
        const struct btf_type *t = btf__type_by_id(btf, type_id), *elem;
        const char *name;

        while (t && (btf_is_mod(t) || btf_is_typedef(t)))
                t = btf__type_by_id(btf, t->type);
        if (!t || size == 0)
                return "its BTF type is unknown";
        memset(out, 0, size);
        if (!value)
                return NULL;
        name = btf__name_by_offset(btf, t->name_off);
        if (btf_is_enum(t) && name && strcmp(name, "libbpf_tristate") == 0) {
                int32_t v = value[0] == 'y' ? 1 : value[0] == 'm' ? 2 : 0;
                if (!is_tristate_letter(value) || size != 4)
                        return "a libbpf_tristate extern needs a y/m/n value";
                memcpy(out, &v, 4);
                return NULL;
        }
        if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL)) {
                if (strcmp(value, "y") && strcmp(value, "n"))
                        return "a bool extern needs a y/n value";
                out[0] = value[0] == 'y';
                return NULL;
        }
        if (btf_is_int(t) && size <= 8 && (size & (size - 1)) == 0)
                return encode_int(t, value, out, size);
        if (btf_is_array(t)) {
                elem = btf__type_by_id(btf, btf_array(t)->type);
                while (elem && (btf_is_mod(elem) || btf_is_typedef(elem)))
                        elem = btf__type_by_id(btf, elem->type);
                if (elem && btf_is_int(elem) && elem->size == 1)
                        return encode_string(value, out, size);
        }
        return "its type is not a bool, tristate, integer or char array";
}
