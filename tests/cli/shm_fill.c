/* SPDX-License-Identifier: MIT */
/*
 * Makes the segments cases_shm.sh inspects with `bpf-aot shm`:
 *   shm_fill NAME fill       a new segment with an ARRAY and a PERCPU_ARRAY:
 *                            counts[k] = 0x1122334455667700 + k for k < 3,
 *                            counts[3] = 0, per_cpu[k] on CPU c = 16 * k + c + 1
 *   shm_fill NAME version V  the segment's layout version set to V
 *   shm_fill NAME garbage    a shared-memory file of that name that is no segment
 */
#include "shm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int die(const char *what, int err)
{
        fprintf(stderr, "shm_fill: %s: %s\n", what, strerror(err < 0 ? -err : err));
        return 1;
}

static int fill(const char *name)
{
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .create = true, .size = 1 << 20};
        struct bpfaot_map_def counts = {.name = "counts",
                                        .type = BPF_MAP_TYPE_ARRAY,
                                        .key_size = 4,
                                        .value_size = 8,
                                        .max_entries = 4,
                                        .map_flags = BPF_F_MMAPABLE};
        struct bpfaot_map_def per_cpu = {.name = "per_cpu",
                                         .type = BPF_MAP_TYPE_PERCPU_ARRAY,
                                         .key_size = 4,
                                         .value_size = 4,
                                         .max_entries = 2};
        struct bpfaot_map *m = NULL;
        struct bpfaot_shm *shm;
        uint32_t id, ncpus;
        uint64_t *vals;
        int err;

        err = bpfaot_shm__open(name, &opts, &shm);
        if (err)
                return die("open", err);
        err = bpfaot_shm__create_map(shm, &counts, &id);
        err = err ?: bpfaot_shm__map(shm, id, &m);
        for (uint32_t k = 0; !err && k < 3; k++) {
                uint64_t v = 0x1122334455667700ull + k;

                err = bpfaot_map__update_elem(m, &k, &v, BPF_ANY);
        }
        bpfaot_map__free(m);
        m = NULL;
        err = err ?: bpfaot_shm__create_map(shm, &per_cpu, &id);
        err = err ?: bpfaot_shm__map(shm, id, &m);
        ncpus = m ? bpfaot_map__ncpus(m) : 0;
        vals = calloc(ncpus ? ncpus : 1, 8); /* a value per CPU, 8 bytes apart */
        if (!err && !vals)
                err = -ENOMEM;
        for (uint32_t k = 0; !err && k < 2; k++) {
                for (uint32_t c = 0; c < ncpus; c++)
                        vals[c] = 16 * k + c + 1;
                err = bpfaot_map__update_copy(m, &k, vals, BPF_ANY);
        }
        free(vals);
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
        return err ? die("fill", err) : 0;
}

/* Write `len` bytes at `off` of the shared-memory file `name`, creating it if asked. */
static int poke(const char *name, bool create, off_t off, const void *data, size_t len)
{
        char full[300];
        int fd;

        snprintf(full, sizeof(full), "/%s", name);
        fd = shm_open(full, O_RDWR | (create ? O_CREAT | O_EXCL : 0), 0600);
        if (fd < 0)
                return die(full, errno);
        if (pwrite(fd, data, len, off) != (ssize_t)len) {
                close(fd);
                return die(full, errno);
        }
        close(fd);
        return 0;
}

int main(int argc, char **argv)
{
        static const char text[] = "not a segment, just some text";
        uint32_t version;

        if (argc == 3 && strcmp(argv[2], "fill") == 0)
                return fill(argv[1]);
        if (argc == 4 && strcmp(argv[2], "version") == 0) {
                version = (uint32_t)strtoul(argv[3], NULL, 0);
                return poke(argv[1], false, offsetof(struct bpfaot_shm_prefix, version), &version,
                            sizeof(version));
        }
        if (argc == 3 && strcmp(argv[2], "garbage") == 0)
                return poke(argv[1], true, 0, text, sizeof(text));
        fprintf(stderr, "usage: shm_fill NAME fill | NAME version V | NAME garbage\n");
        return 2;
}
