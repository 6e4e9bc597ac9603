/* SPDX-License-Identifier: MIT */
#include "host.h"

#include "bpfaot/runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t (*entry_fn)(void *ctx, uint64_t ctx_size);

uint64_t host_resolve_symbol(void *ctx, const char *name)
{
        static const struct {
                const char *name;
                void *addr;
        } libc[] = {
            {"memset", (void *)memset},
            {"memcpy", (void *)memcpy},
            {"memmove", (void *)memmove},
            {"memcmp", (void *)memcmp},
        };
        const struct bpfaot_rt_helper *h;
        uint32_t id;

        (void)ctx;
        if (bpfaot_rt_parse_helper_symbol(name, &id) == 0) {
                h = bpfaot_rt_helper_find(id);
                return h ? (uint64_t)(uintptr_t)h->fn : 0;
        }
        if (strcmp(name, BPFAOT_CALLX_SYMBOL) == 0)
                return (uint64_t)(uintptr_t)bpfaot_rt_callx;
        for (size_t i = 0; i < sizeof(libc) / sizeof(libc[0]); i++)
                if (strcmp(name, libc[i].name) == 0)
                        return (uint64_t)(uintptr_t)libc[i].addr;
        return 0;
}

bpfaot_helper_fn host_helper_lookup(void *ctx, uint32_t id)
{
        const struct bpfaot_rt_helper *h = bpfaot_rt_helper_find(id);
        (void)ctx;
        return h ? h->fn : NULL;
}

int host_exec_object(const void *obj, size_t len, const char *input, const char *entry,
                     uint64_t repeat, void *mem, size_t mem_len, uint64_t *ret,
                     struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_jit_opts, jopts, .resolve = host_resolve_symbol);
        struct bpfaot_jit *jit;
        entry_fn fn;
        int rc = bpfaot_jit__load(obj, len, input, &jopts, &jit, err);

        if (rc)
                return rc;
        fn = (entry_fn)bpfaot_jit__lookup(jit, entry ? entry : "bpf_main", err);
        if (!fn) {
                bpfaot_error_set(err, ENOENT, "%s: no entry symbol '%s' in the object%s", input,
                                 entry ? entry : "bpf_main",
                                 entry ? "" : " (built with --entry? then run with --entry)");
                bpfaot_jit__free(jit);
                return -2;
        }
        do {
                *ret = fn(mem, mem_len);
        } while (repeat > 1 && --repeat);
        bpfaot_jit__free(jit);
        return 0;
}

/* Interpret `n` runs; global data keeps its state from one run to the next, as when compiled. */
static int interp_repeat(const struct bpfaot_prog *prog, uint64_t n, void *mem, size_t mem_len,
                         uint64_t *ret, struct bpfaot_error *err)
{
        uint8_t **data = calloc(prog->data_cnt ? prog->data_cnt : 1, sizeof(*data));
        int rc = data ? 0 : bpfaot_error_set(err, ENOMEM, "out of memory");

        for (size_t d = 0; d < prog->data_cnt && !rc; d++) {
                data[d] = calloc(1, prog->data[d].size ? prog->data[d].size : 1);
                if (!data[d])
                        rc = bpfaot_error_set(err, ENOMEM, "out of memory");
                else if (prog->data[d].bytes)
                        memcpy(data[d], prog->data[d].bytes, prog->data[d].size);
        }
        if (!rc) {
                BPFAOT_OPTS_INIT(bpfaot_interp_opts, iopts, .helper = host_helper_lookup,
                                 .data = data);
                for (uint64_t i = 0; i < n && !rc; i++)
                        rc = bpfaot_interp_run(prog, mem, mem_len, &iopts, ret, err);
        }
        for (size_t d = 0; data && d < prog->data_cnt; d++)
                free(data[d]);
        free(data);
        return rc;
}

int host_exec_prog(const struct bpfaot_prog *prog, const struct host_exec_opts *o, void *mem,
                   size_t mem_len, uint64_t *ret, struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .opt_level = o->opt_level, .cpu = o->cpu);
        struct bpfaot_buf obj;
        uint64_t n = o->repeat ? o->repeat : 1;
        int rc;

        if (o->interp) {
                /* Unknown helpers are reported before anything runs, as for compiled code. */
                for (size_t i = 0; i < prog->insn_cnt; i++) {
                        const struct bpfaot_insn *in = &prog->insns[i];
                        if (in->opcode == (BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL) &&
                            in->src == BPFAOT_CALL_HELPER &&
                            !host_helper_lookup(NULL, (uint32_t)in->imm))
                                return bpfaot_error_at(err, prog, (long)i, ENOENT,
                                                       "unknown helper id %u", (unsigned)in->imm);
                }
                return interp_repeat(prog, n, mem, mem_len, ret, err);
        }
        rc = bpfaot_compile(prog, &copts, &obj, err);
        if (rc)
                return rc;
        rc = host_exec_object(obj.data, obj.len, prog->input, NULL, n, mem, mem_len, ret, err);
        bpfaot_buf_free(&obj);
        return rc;
}
