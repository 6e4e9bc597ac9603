/* SPDX-License-Identifier: MIT */
/*
 * Sub-programs: where each starts and ends, which are callbacks, the call
 * graph (no recursion, bounded depth), and the names calls give native symbols.
 */
#include "internal.h"
#include "subprog.h"
#include "insn.h"
#include "program.h"

#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

static int cmp_size(const void *a, const void *b)
{
        size_t x = *(const size_t *)a, y = *(const size_t *)b;
        return x < y ? -1 : x > y;
}

/* Sort and deduplicate the n starts collected; returns how many remain. */
static size_t sort_unique(size_t *start, size_t n)
{
        size_t cnt = 0;

        qsort(start, n, sizeof(*start), cmp_size);
        for (size_t i = 0; i < n; i++)
                if (cnt == 0 || start[cnt - 1] != start[i])
                        start[cnt++] = start[i];
        return cnt;
}

/* Sub-programs whose address an lddw takes: callbacks, called by helpers (bpf_loop). */
static void mark_callbacks(const struct bpfaot_prog *prog, struct subprogs *sp)
{
        for (size_t i = 0; i < prog->insn_cnt; i++) {
                long cb = insn_code_addr_target(&prog->insns[i], i, prog->insn_cnt);

                if (cb >= 0) {
                        sp->callback[subprogs_index_of(sp, (size_t)cb)] = true;
                        sp->has_callbacks = true;
                }
                if (insn_is_lddw(&prog->insns[i]))
                        i++;
        }
}

/*
 * Sub-programs that run LD_ABS/LD_IND, themselves or through local calls:
 * they need the entry's context and its size. One pass per call level.
 */
static void mark_packet_users(const struct bpfaot_prog *prog, struct subprogs *sp)
{
        for (bool changed = true; changed;) {
                changed = false;
                for (size_t s = 0; s < sp->cnt; s++) {
                        for (size_t i = sp->start[s]; i < subprogs_end(sp, s) && !sp->packet[s];
                             i++) {
                                const struct bpfaot_insn *insn = &prog->insns[i];
                                long callee =
                                    insn_is_local_call(insn)
                                        ? subprogs_index_of(sp, (size_t)insn_call_target(insn, i))
                                        : -1;

                                if (insn_is_packet_load(insn) ||
                                    (callee >= 0 && sp->packet[callee]))
                                        changed = sp->packet[s] = true;
                                if (insn_is_lddw(insn))
                                        i++;
                        }
                }
        }
}

int subprogs_find(const struct bpfaot_prog *prog, struct subprogs *sp, struct bpfaot_error *err)
{
        size_t cnt = 1, n = 1;

        memset(sp, 0, sizeof(*sp));
        for (size_t i = 0; i < prog->insn_cnt; i++)
                if (insn_is_local_call(&prog->insns[i]) ||
                    insn_code_addr_target(&prog->insns[i], i, prog->insn_cnt) >= 0)
                        cnt++;
        sp->start = malloc((cnt + 1) * sizeof(*sp->start));
        if (!sp->start)
                return bpfaot_error_nomem(err);
        sp->start[0] = 0;
        for (size_t i = 0; i < prog->insn_cnt; i++) {
                const struct bpfaot_insn *insn = &prog->insns[i];
                long cb = insn_code_addr_target(insn, i, prog->insn_cnt);
                if (insn_is_local_call(insn))
                        sp->start[n++] = (size_t)insn_call_target(insn, i);
                else if (cb >= 0) /* a callback is a sub-program too */
                        sp->start[n++] = (size_t)cb;
                if (insn_is_lddw(insn))
                        i++;
        }
        sp->cnt = sort_unique(sp->start, n);
        sp->start[sp->cnt] = prog->insn_cnt;
        sp->callback = calloc(sp->cnt, sizeof(*sp->callback));
        sp->packet = calloc(sp->cnt, sizeof(*sp->packet));
        if (!sp->callback || !sp->packet) {
                subprogs_free(sp);
                return bpfaot_error_nomem(err);
        }
        mark_callbacks(prog, sp);
        mark_packet_users(prog, sp);
        return 0;
}

long subprogs_index_of(const struct subprogs *sp, size_t insn)
{
        size_t lo = 0, hi = sp->cnt;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (sp->start[mid] == insn)
                        return (long)mid;
                if (sp->start[mid] < insn)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

struct call_walk {
        const struct bpfaot_prog *prog;
        const struct subprogs *sp;
        unsigned char *state; /* 0 new, 1 on path, 2 done */
        unsigned *depth;      /* deepest frame count below a finished sub-program */
        struct bpfaot_error *err;
};

static int walk(struct call_walk *w, size_t s, unsigned frames)
{
        const struct bpfaot_prog *prog = w->prog;
        size_t end = subprogs_end(w->sp, s);
        unsigned deepest = 1;

        w->state[s] = 1;
        for (size_t i = w->sp->start[s]; i < end; i++) {
                const struct bpfaot_insn *insn = &prog->insns[i];
                long callee;
                int ret;

                if (insn_is_lddw(insn)) {
                        i++;
                        continue;
                }
                if (!insn_is_local_call(insn))
                        continue;
                callee = subprogs_index_of(w->sp, (size_t)insn_call_target(insn, i));
                if (w->state[callee] == 1)
                        return bpfaot_error_at(w->err, prog, (long)i, ELOOP,
                                               "recursive call: the sub-program at insn %zu calls "
                                               "itself through this call",
                                               w->sp->start[callee]);
                if (w->state[callee] == 0) {
                        /* Check before recursing: a long chain must not exhaust our own stack. */
                        if (frames + 1 > BPFAOT_MAX_CALL_DEPTH)
                                return bpfaot_error_at(w->err, prog, (long)i, E2BIG,
                                                       "call chain deeper than %d frames",
                                                       BPFAOT_MAX_CALL_DEPTH);
                        ret = walk(w, (size_t)callee, frames + 1);
                        if (ret)
                                return ret;
                }
                if (1 + w->depth[callee] > deepest)
                        deepest = 1 + w->depth[callee];
                if (frames + w->depth[callee] > BPFAOT_MAX_CALL_DEPTH)
                        return bpfaot_error_at(w->err, prog, (long)i, E2BIG,
                                               "call chain deeper than %d frames",
                                               BPFAOT_MAX_CALL_DEPTH);
        }
        w->depth[s] = deepest;
        w->state[s] = 2;
        return 0;
}

int subprogs_check_calls(const struct program *p, struct bpfaot_error *err)
{
        const struct subprogs *sp = &p->sp;
        struct call_walk w = {.prog = p->prog, .sp = sp, .err = err};
        int ret;

        w.state = calloc(sp->cnt, 1);
        w.depth = calloc(sp->cnt, sizeof(*w.depth));
        if (!w.state || !w.depth) {
                free(w.state);
                free(w.depth);
                return bpfaot_error_nomem(err);
        }
        ret = walk(&w, 0, 1);
        /* Sub-programs nobody calls from the entry are still compiled: check them too. */
        for (size_t s = 1; s < sp->cnt && !ret; s++)
                if (w.state[s] == 0)
                        ret = walk(&w, s, 1);
        free(w.state);
        free(w.depth);
        return ret;
}

void subprogs_free(struct subprogs *sp)
{
        free(sp->start);
        free(sp->callback);
        free(sp->packet);
        memset(sp, 0, sizeof(*sp));
}

const char *subprog_kfunc_name(const struct bpfaot_prog *prog, int32_t btf_id)
{
        const struct btf_type *t;

        if (!prog->btf || btf_id <= 0)
                return NULL;
        t = btf__type_by_id(prog->btf, (__u32)btf_id);
        if (!t || !btf_is_func(t))
                return NULL;
        return btf__name_by_offset(prog->btf, t->name_off);
}

const char *subprog_callee_name(const struct program *p, size_t idx)
{
        const struct bpfaot_insn *insn = &p->prog->insns[idx];
        const struct bpfaot_reloc *rel = program_reloc(p, idx);

        if (rel && rel->name)
                return rel->name;
        if (insn->src == BPFAOT_CALL_KFUNC)
                return subprog_kfunc_name(p->prog, insn->imm);
        return NULL;
}

bool subprog_symbol_name_ok(const char *name)
{
        if (!name ||
            !((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') || *name == '_'))
                return false;
        for (const char *c = name + 1; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '$'))
                        return false;
        return true;
}

static bool is_percpu_map(const struct bpfaot_map_desc *m)
{
        return m && (m->type == BPF_MAP_TYPE_PERCPU_ARRAY || m->type == BPF_MAP_TYPE_PERCPU_HASH ||
                     m->type == BPF_MAP_TYPE_LRU_PERCPU_HASH);
}

bool subprog_uses_percpu_maps(const struct bpfaot_prog *prog)
{
        for (size_t i = 0; i < prog->reloc_cnt; i++) {
                const struct bpfaot_reloc *r = &prog->relocs[i];

                if (r->kind == BPFAOT_RELOC_MAP && r->data_sec < prog->map_cnt &&
                    (is_percpu_map(&prog->maps[r->data_sec]) ||
                     is_percpu_map(prog->maps[r->data_sec].inner)))
                        return true;
        }
        return false;
}
