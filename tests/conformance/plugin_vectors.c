/* SPDX-License-Identifier: MIT */
/*
 * Runs every vector of the bpf_conformance suite (vectors.tsv) through
 * `bpf-aot plugin`, exactly as the bpf_conformance runner would, and checks
 * r0. Usage: plugin_vectors BPF_AOT CONFORMANCE_DIR [plugin options...]
 * Every vector must pass: a vector that cannot be run counts as a failure.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run_vector(const char *bin, const char *opts, const char *name, const char *mem,
                      const char *prog, const char *expect)
{
        char tmpl[] = "/tmp/bpfaot-vector-XXXXXX";
        char out[4096] = {0};
        char *cmd = NULL;
        unsigned long long want, got;
        char *end;
        FILE *p;
        size_t n;
        int fd = mkstemp(tmpl), status;

        if (fd < 0 || write(fd, prog, strlen(prog)) != (ssize_t)strlen(prog)) {
                perror("temporary file");
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        close(fd);
        if (asprintf(&cmd, "'%s' plugin '%s' %s < %s 2>&1", bin, mem, opts, tmpl) < 0)
                return -1;
        p = popen(cmd, "r");
        free(cmd);
        if (!p) {
                unlink(tmpl);
                return -1;
        }
        n = fread(out, 1, sizeof(out) - 1, p);
        out[n] = 0;
        status = pclose(p);
        unlink(tmpl);
        want = strtoull(expect, NULL, 16);
        got = strtoull(out, &end, 16);
        if (status != 0 || end == out || (*end != '\n' && *end != 0) || got != want) {
                printf("FAIL %s: expected %llx, plugin said (status %d): %s%s", name, want,
                       status, out, n && out[n - 1] == '\n' ? "" : "\n");
                return 1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        char opts[256] = "";
        char *line = NULL, *path = NULL;
        size_t cap = 0;
        int total = 0, passed = 0;
        FILE *f;

        if (argc < 3) {
                fprintf(stderr, "usage: %s BPF_AOT CONFORMANCE_DIR [plugin options]\n", argv[0]);
                return 2;
        }
        for (int i = 3; i < argc; i++) {
                strncat(opts, argv[i], sizeof(opts) - strlen(opts) - 2);
                strcat(opts, " ");
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
                        /* Vectors that expect an error: the plugin must fail. Count as
                         * run-and-checked by requiring a non-zero exit. */
                        printf("FAIL %s: expected-error vectors are not handled\n", fields[0]);
                        continue;
                }
                if (run_vector(argv[1], opts, fields[0], fields[1], fields[2], fields[3]) == 0)
                        passed++;
        }
        fclose(f);
        free(line);
        free(path);
        printf("plugin %s: %d/%d passed, %d failed\n", opts[0] ? opts : "(defaults)", passed, total,
               total - passed);
        return passed == total && total > 0 ? 0 : 1;
}
