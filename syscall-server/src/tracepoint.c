/* SPDX-License-Identifier: MIT */
/*
 * Tracepoints: libbpf's bpf_program__attach_tracepoint() (and SEC("tracepoint/
 * cat/name")'s auto-attach) reads the tracepoint's id from tracefs,
 * <tracefs>/events/<cat>/<name>/id, and opens a PERF_TYPE_TRACEPOINT event
 * with that id as its config. The server answers those files itself
 * (server.c's fopen): it hands out an id of its own per cat/name, from a
 * range no kernel uses, so that the workflow does not depend on the host's
 * tracefs, and its perf_event_open (perf_event.c) knows the name back.
 *
 * libbpf 1.1 picks the tracefs mount by probing one directory (faccessat)
 * and reads the id under whichever it picked; both mounts are answered, so
 * that probe needs no answer of the server's.
 */
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Kernel tracepoint ids are trace event types, 16-bit numbers; the
 * server's start far above them and stay below INT_MAX (libbpf reads the
 * id with "%d").
 */
#define SERVER_TP_ID_BASE 0x42540000u
#define SERVER_TP_MAX     65536u

static const char *const tracefs_mounts[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

/* One path component: not empty, not "." nor "..". */
static bool component_ok(const char *c, size_t len)
{
        return len && !(len == 1 && c[0] == '.') && !(len == 2 && c[0] == '.' && c[1] == '.');
}

/*
 * "<mount>/events/<cat>/<name>/id" → "cat/name" in `name` (its size
 * BPFAOT_SHM_TARGET_LEN): 1; 0 when `path` is no such file; -ENAMETOOLONG.
 */
static int tracepoint_path(const char *path, char *name)
{
        const char *cat = NULL, *slash, *end;
        size_t n;

        for (size_t i = 0; path && !cat && i < sizeof(tracefs_mounts) / sizeof(*tracefs_mounts);
             i++) {
                n = strlen(tracefs_mounts[i]);
                if (strncmp(path, tracefs_mounts[i], n) == 0 &&
                    strncmp(path + n, "/events/", 8) == 0)
                        cat = path + n + 8;
        }
        if (!cat)
                return 0;
        slash = strchr(cat, '/');
        if (!slash || !component_ok(cat, (size_t)(slash - cat)))
                return 0;
        end = strchr(slash + 1, '/');
        if (!end || !component_ok(slash + 1, (size_t)(end - slash - 1)) || strcmp(end, "/id") != 0)
                return 0;
        n = (size_t)(end - cat);
        if (n >= BPFAOT_SHM_TARGET_LEN)
                return -ENAMETOOLONG;
        memcpy(name, cat, n);
        name[n] = '\0';
        return 1;
}

int server_tracepoint_file(struct server *s, const char *path, char *text, size_t size)
{
        char name[BPFAOT_SHM_TARGET_LEN];
        size_t i;
        char **n;
        int ret = tracepoint_path(path, name);

        if (ret == -ENAMETOOLONG)
                server_log("tracepoint %s: the name is longer than %d bytes", path,
                           BPFAOT_SHM_TARGET_LEN - 1);
        if (ret <= 0)
                return ret;
        for (i = 0; i < s->tp_cnt && strcmp(s->tp_names[i], name) != 0; i++)
                ;
        if (i == s->tp_cnt) {
                if (s->tp_cnt >= SERVER_TP_MAX) {
                        server_log("tracepoint %s: more than %u tracepoints", name, SERVER_TP_MAX);
                        return -ENOSPC;
                }
                n = realloc(s->tp_names, (s->tp_cnt + 1) * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                s->tp_names = n;
                s->tp_names[i] = strdup(name);
                if (!s->tp_names[i])
                        return -ENOMEM;
                s->tp_cnt++;
        }
        snprintf(text, size, "%u\n", SERVER_TP_ID_BASE + (unsigned)i + 1);
        return 1;
}

const char *server_tracepoint_name(struct server *s, uint64_t id)
{
        if (id <= SERVER_TP_ID_BASE || id > SERVER_TP_ID_BASE + s->tp_cnt)
                return NULL;
        return s->tp_names[id - SERVER_TP_ID_BASE - 1];
}

void server_tracepoints_free(struct server *s)
{
        for (size_t i = 0; i < s->tp_cnt; i++)
                free(s->tp_names[i]);
        free(s->tp_names);
        s->tp_names = NULL;
        s->tp_cnt = 0;
}
