/* SPDX-License-Identifier: MIT */
/*
 * Kernel configuration values for .kconfig externs (extern int CONFIG_HZ
 * __kconfig): read from a kernel config file, encoded as the extern's BTF
 * type says, with libbpf's rules.
 */
#ifndef BPFAOT_KCONFIG_H
#define BPFAOT_KCONFIG_H

#include "bpfaot/bpfaot.h"

struct kconfig;

/*
 * Read a kernel config (plain text or gzip). path NULL: the build host's,
 * /proc/config.gz or /boot/config-<release>; then *out is NULL when there is
 * none. An explicit path that cannot be read is an error.
 */
int kconfig_load(const char *path, struct kconfig **out, struct bpfaot_error *err);
/* Where the config came from, for messages. */
const char *kconfig_path(const struct kconfig *k);
/*
 * The value of `name` ("CONFIG_HZ"): "y", "m", "n" (also for "# ... is not
 * set"), a number, or a quoted string; NULL when the config does not have it.
 */
const char *kconfig_get(const struct kconfig *k, const char *name);
void kconfig_free(struct kconfig *k);

/*
 * Encode `value` for an extern of BTF type `type_id` into out[0..size)
 * (zeroed first): libbpf_tristate enum (y 1, m 2, n 0), bool (y 1, n 0),
 * char (the letter), integers (range-checked), char arrays (a quoted
 * string, truncated to size - 1). Returns NULL, or why it cannot.
 */
const char *kconfig_encode(const struct btf *btf, uint32_t type_id, const char *value, uint8_t *out,
                           size_t size);

#endif
