/* SPDX-License-Identifier: MIT */
/*
 * extract_bpf FILE OUTDIR PREFIX: write every eBPF ELF object embedded in
 * FILE (libbpf skeletons keep their object as a byte array inside the tool's
 * executable) to OUTDIR/PREFIX.<n>.bpf.o, and print how many were written.
 * The cli tests use it to get real-world objects nobody here wrote.
 *
 * An embedded object is a 64-bit little-endian relocatable ELF image with
 * machine EM_BPF; its size is the end of its section header table (where
 * clang, GCC and bpftool put that table: after all section data).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint16_t rd16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t rd64(const uint8_t *p)
{
        uint64_t v = 0;
        for (int i = 7; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

static uint8_t *read_all(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        uint8_t *buf = NULL;
        size_t cap = 0, n = 0, got;

        if (!f)
                return NULL;
        do {
                if (n == cap) {
                        uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 1 << 20);
                        if (!nb) {
                                free(buf);
                                fclose(f);
                                return NULL;
                        }
                        buf = nb;
                }
                got = fread(buf + n, 1, cap - n, f);
                n += got;
        } while (got > 0);
        fclose(f);
        *len = n;
        return buf;
}

int main(int argc, char **argv)
{
        size_t len, count = 0;
        uint8_t *d;

        if (argc != 4) {
                fprintf(stderr, "usage: extract_bpf FILE OUTDIR PREFIX\n");
                return 2;
        }
        d = read_all(argv[1], &len);
        if (!d) {
                fprintf(stderr, "extract_bpf: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        for (size_t i = 0; i + 64 <= len; i++) {
                const uint8_t *e = d + i;
                uint64_t shoff, end;
                char path[4096];
                FILE *out;

                if (memcmp(e, "\177ELF", 4) != 0 || e[4] != 2 /* ELFCLASS64 */ ||
                    e[5] != 1 /* ELFDATA2LSB */ || rd16(e + 16) != 1 /* ET_REL */ ||
                    rd16(e + 18) != 247 /* EM_BPF */ || rd16(e + 58) != 64 /* e_shentsize */)
                        continue;
                shoff = rd64(e + 40);
                end = shoff + (uint64_t)rd16(e + 60) * 64;
                if (shoff < 64 || end > len - i)
                        continue;
                snprintf(path, sizeof(path), "%s/%s.%zu.bpf.o", argv[2], argv[3], count);
                out = fopen(path, "wb");
                if (!out || fwrite(e, 1, end, out) != end || fclose(out)) {
                        fprintf(stderr, "extract_bpf: %s: %s\n", path, strerror(errno));
                        free(d);
                        return 1;
                }
                count++;
                i += end - 1;
        }
        free(d);
        printf("%zu\n", count);
        return 0;
}
