/* SPDX-License-Identifier: MIT */
/*
 * Helper signatures (compiler/src/helper_sigs.c): the table is sorted and
 * found by id and name; it covers every helper of the runtime (under the
 * runtime's name) and the helpers real programs call; every signature is
 * well formed (a size follows each sized memory argument, key- and
 * value-sized memory comes with a map, a callback with its function); and
 * spot checks against the kernel's prototypes.
 */
#include "test_util.h"

#include "bpfaot/bpfaot.h"
#include "bpfaot/runtime.h"
#include "helper_sigs.h"

#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>

static unsigned arg_flags(enum helper_arg kind)
{
        const struct helper_arg_info *info = helper_arg_info(kind);
        return info ? info->flags : 0;
}

/* The index of the only argument of `kind`, -1 when none, -2 when several. */
static int only_arg(const struct helper_sig *s, enum helper_arg kind)
{
        int at = -1;

        for (int i = 0; i < HELPER_MAX_ARGS; i++)
                if (s->args[i] == kind)
                        at = at == -1 ? i : -2;
        return at;
}

static void check_sorted_and_found(void)
{
        const struct helper_sig *sigs;
        size_t cnt, found = 0;

        sigs = helper_sigs(&cnt);
        CHECKF(cnt >= 100, "%zu signatures", cnt);
        for (size_t i = 0; i < cnt; i++) {
                CHECKF(i == 0 || sigs[i - 1].id < sigs[i].id, "%s (%u) after %s (%u)", sigs[i].name,
                       sigs[i].id, i ? sigs[i - 1].name : "", i ? sigs[i - 1].id : 0);
                CHECK(sigs[i].name && sigs[i].name[0]);
                CHECK(helper_sig_find(sigs[i].id) == &sigs[i]);
                CHECKF(helper_sig_find_name(sigs[i].name) == &sigs[i], "%s", sigs[i].name);
        }
        /* Every id the table does not hold is not found, and every one it holds is. */
        for (uint32_t id = 0; id < 1000; id++) {
                const struct helper_sig *s = helper_sig_find(id);
                if (s) {
                        CHECK_EQ(s->id, id);
                        found++;
                }
        }
        CHECK_EQ(found, cnt);
        CHECK(!helper_sig_find(0));
        CHECK(!helper_sig_find(UINT32_MAX));
        CHECK(!helper_sig_find_name("bpf_map_lookup_elem"));
        CHECK(!helper_sig_find_name(""));
        /* Rows take their ids from the kernel's enum: spot-check the numbers themselves. */
        CHECK_STR_EQ(helper_sig_find(1)->name, "map_lookup_elem");
        CHECK_STR_EQ(helper_sig_find(12)->name, "tail_call");
        CHECK_STR_EQ(helper_sig_find(131)->name, "ringbuf_reserve");
        CHECK_STR_EQ(helper_sig_find(181)->name, "loop");
        CHECK_STR_EQ(helper_sig_find(195)->name, "map_lookup_percpu_elem");
}

/*
 * The registers a call passes a helper (translate.c passes nothing in the
 * others): its arguments, but all five for trace_printk, whose format
 * arguments the kernel does not check.
 */
static void check_reg_cnt(void)
{
        size_t cnt;
        const struct helper_sig *sigs = helper_sigs(&cnt);

        CHECK_EQ(helper_sig_reg_cnt(helper_sig_find_name("ktime_get_ns")), 0);
        CHECK_EQ(helper_sig_reg_cnt(helper_sig_find_name("map_lookup_elem")), 2);
        CHECK_EQ(helper_sig_reg_cnt(helper_sig_find_name("map_update_elem")), 4);
        CHECK_EQ(helper_sig_reg_cnt(helper_sig_find_name("trace_printk")), 5);
        CHECK_EQ(helper_sig_arg_cnt(helper_sig_find_name("trace_printk")), 2);
        for (size_t i = 0; i < cnt; i++)
                CHECKF(helper_sig_reg_cnt(&sigs[i]) == helper_sig_arg_cnt(&sigs[i]) ||
                           strcmp(sigs[i].name, "trace_printk") == 0,
                       "%s reads registers beyond its arguments", sigs[i].name);
}

static void check_covers_runtime(void)
{
        const struct bpfaot_rt_helper *rt;
        uint32_t cnt;

        rt = bpfaot_rt_helpers(&cnt);
        CHECK(cnt > 0);
        for (uint32_t i = 0; i < cnt; i++) {
                const struct helper_sig *s = helper_sig_find(rt[i].id);
                CHECKF(s, "runtime helper %u (%s) has no signature", rt[i].id, rt[i].name);
                if (s)
                        CHECK_STR_EQ(s->name, rt[i].name);
        }
}

/* Helpers the eBPF objects of Debian's libbpf-tools, xdp-tools and libxdp call, and other usual
 * ones. */
static void check_covers_common(void)
{
        static const uint32_t ids[] = {
            BPF_FUNC_map_lookup_elem,
            BPF_FUNC_map_update_elem,
            BPF_FUNC_map_delete_elem,
            BPF_FUNC_probe_read,
            BPF_FUNC_ktime_get_ns,
            BPF_FUNC_trace_printk,
            BPF_FUNC_get_prandom_u32,
            BPF_FUNC_get_smp_processor_id,
            BPF_FUNC_tail_call,
            BPF_FUNC_get_current_pid_tgid,
            BPF_FUNC_get_current_uid_gid,
            BPF_FUNC_get_current_comm,
            BPF_FUNC_redirect,
            BPF_FUNC_perf_event_output,
            BPF_FUNC_get_stackid,
            BPF_FUNC_csum_diff,
            BPF_FUNC_get_current_task,
            BPF_FUNC_current_task_under_cgroup,
            BPF_FUNC_probe_read_str,
            BPF_FUNC_redirect_map,
            BPF_FUNC_get_stack,
            BPF_FUNC_rc_keydown,
            BPF_FUNC_get_current_cgroup_id,
            BPF_FUNC_map_push_elem,
            BPF_FUNC_map_pop_elem,
            BPF_FUNC_map_peek_elem,
            BPF_FUNC_spin_lock,
            BPF_FUNC_spin_unlock,
            BPF_FUNC_probe_read_user,
            BPF_FUNC_probe_read_kernel,
            BPF_FUNC_probe_read_user_str,
            BPF_FUNC_probe_read_kernel_str,
            BPF_FUNC_xdp_output,
            BPF_FUNC_ktime_get_boot_ns,
            BPF_FUNC_ringbuf_output,
            BPF_FUNC_ringbuf_reserve,
            BPF_FUNC_ringbuf_submit,
            BPF_FUNC_ringbuf_discard,
            BPF_FUNC_ringbuf_query,
            BPF_FUNC_snprintf_btf,
            BPF_FUNC_ktime_get_coarse_ns,
            BPF_FUNC_for_each_map_elem,
            BPF_FUNC_snprintf,
            BPF_FUNC_get_attach_cookie,
            BPF_FUNC_trace_vprintk,
            BPF_FUNC_loop,
            BPF_FUNC_strncmp,
            BPF_FUNC_map_lookup_percpu_elem,
            BPF_FUNC_xdp_adjust_head,
            BPF_FUNC_xdp_adjust_tail,
            BPF_FUNC_skb_load_bytes,
            BPF_FUNC_timer_set_callback,
            BPF_FUNC_get_func_ip,
            BPF_FUNC_strtol,
            BPF_FUNC_strtoul,
            BPF_FUNC_jiffies64,
            BPF_FUNC_timer_init,
            BPF_FUNC_timer_start,
            BPF_FUNC_timer_cancel,
            BPF_FUNC_dynptr_from_mem,
            BPF_FUNC_ringbuf_reserve_dynptr,
            BPF_FUNC_ringbuf_submit_dynptr,
            BPF_FUNC_ringbuf_discard_dynptr,
            BPF_FUNC_dynptr_read,
            BPF_FUNC_dynptr_write,
            BPF_FUNC_dynptr_data,
            BPF_FUNC_ktime_get_tai_ns,
        };

        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                CHECKF(helper_sig_find(ids[i]), "helper %u has no signature", ids[i]);
}

static void check_well_formed(const struct helper_sig *s)
{
        unsigned cnt = helper_sig_arg_cnt(s);
        int map = only_arg(s, HELPER_ARG_MAP), func = only_arg(s, HELPER_ARG_FUNC);

        CHECKF(helper_ret_info(s->ret), "%s: return kind %d", s->name, s->ret);
        CHECKF(s->callback < HELPER_CB_KIND_CNT, "%s: callback kind %d", s->name, s->callback);
        CHECKF(map != -2, "%s takes two maps", s->name);
        for (unsigned i = 0; i < HELPER_MAX_ARGS; i++) {
                unsigned f = arg_flags(s->args[i]);

                CHECKF(helper_arg_info(s->args[i]), "%s: r%u kind %d", s->name, i + 1, s->args[i]);
                /* Arguments are r1..rN with nothing unchecked in between. */
                CHECKF((i < cnt) == (s->args[i] != HELPER_ARG_NONE), "%s: r%u", s->name, i + 1);
                if (f & HELPER_ARGF_SIZED_BY_NEXT)
                        CHECKF(i + 1 < HELPER_MAX_ARGS &&
                                   (arg_flags(s->args[i + 1]) & HELPER_ARGF_SIZE),
                               "%s: r%u has no size after it", s->name, i + 1);
                if (f & HELPER_ARGF_SIZE)
                        CHECKF(i > 0 && (arg_flags(s->args[i - 1]) & HELPER_ARGF_SIZED_BY_NEXT),
                               "%s: r%u sizes no memory", s->name, i + 1);
                if (f & (HELPER_ARGF_KEY_SIZED | HELPER_ARGF_VALUE_SIZED))
                        CHECKF(map >= 0 && (unsigned)map < i, "%s: r%u is sized by no map", s->name,
                               i + 1);
        }
        if (s->ret == HELPER_RET_MAP_VALUE || s->ret == HELPER_RET_MAP_VALUE_OR_NULL)
                CHECKF(map >= 0, "%s returns a value of no map", s->name);
        CHECKF((s->ret == HELPER_RET_RINGBUF_RECORD_OR_NULL ||
                s->ret == HELPER_RET_DYNPTR_MEM_OR_NULL) ==
                   (only_arg(s, HELPER_ARG_ALLOC_SIZE) >= 0),
               "%s: returned memory and its size go together", s->name);
        CHECKF((s->callback != HELPER_CB_NONE) == (func >= 0), "%s: callback and function",
               s->name);
        CHECKF(func != -2, "%s takes two functions", s->name);
        /* Every callback but a timer's gets the helper's context argument. */
        if (s->callback != HELPER_CB_NONE && s->callback != HELPER_CB_TIMER)
                CHECKF(only_arg(s, HELPER_ARG_STACK_OR_NULL) > func, "%s: no callback context",
                       s->name);
}

static void check_kinds(void)
{
        const struct helper_sig *sigs;
        size_t cnt;

        for (int k = 0; k < HELPER_ARG_KIND_CNT; k++) {
                const struct helper_arg_info *info = helper_arg_info(k);
                unsigned f = info->flags;

                CHECKF(info->name && info->name[0] && strcmp(info->name, "?"), "arg kind %d", k);
                for (int j = 0; j < k; j++)
                        CHECKF(strcmp(info->name, helper_arg_name(j)), "arg kinds %d, %d", j, k);
                /* Memory has one size: a fixed one, the next argument's, or the map's. */
                CHECKF(!!info->fixed_size + !!(f & HELPER_ARGF_SIZED_BY_NEXT) +
                               !!(f & HELPER_ARGF_KEY_SIZED) + !!(f & HELPER_ARGF_VALUE_SIZED) <=
                           1,
                       "%s", info->name);
                if (f & (HELPER_ARGF_READS | HELPER_ARGF_WRITES | HELPER_ARGF_NULL_OK))
                        CHECKF(f & HELPER_ARGF_PTR, "%s", info->name);
                if (f & HELPER_ARGF_ZERO_OK)
                        CHECKF(f & HELPER_ARGF_SIZE, "%s", info->name);
        }
        for (int k = 0; k < HELPER_RET_KIND_CNT; k++) {
                const struct helper_ret_info *info = helper_ret_info(k);
                CHECKF(info->name && info->name[0], "ret kind %d", k);
                if (info->flags & HELPER_RETF_MAYBE_NULL)
                        CHECK(info->flags & HELPER_RETF_PTR);
        }
        for (int k = 0; k < HELPER_CB_KIND_CNT; k++)
                CHECKF(strcmp(helper_callback_name(k), "?"), "callback kind %d", k);
        CHECK(!helper_arg_info(HELPER_ARG_KIND_CNT));
        CHECK(!helper_ret_info(HELPER_RET_KIND_CNT));
        CHECK_STR_EQ(helper_arg_name(HELPER_ARG_KIND_CNT), "?");
        CHECK_STR_EQ(helper_ret_name(-1), "?");
        CHECK_STR_EQ(helper_callback_name(HELPER_CB_KIND_CNT), "?");
        /* Fixed sizes are the uapi structs' and a u64. */
        CHECK_EQ(helper_arg_info(HELPER_ARG_SPIN_LOCK)->fixed_size, 4);
        CHECK_EQ(helper_arg_info(HELPER_ARG_TIMER)->fixed_size, 16);
        CHECK_EQ(helper_arg_info(HELPER_ARG_U64_OUT)->fixed_size, 8);
        CHECK_EQ(helper_arg_info(HELPER_ARG_DYNPTR)->fixed_size, 16);
        CHECK_EQ(helper_arg_info(HELPER_ARG_DYNPTR_OUT)->fixed_size, 16);
        CHECK_EQ(helper_arg_info(HELPER_ARG_DYNPTR_RELEASE)->fixed_size, 16);

        sigs = helper_sigs(&cnt);
        for (size_t i = 0; i < cnt; i++)
                check_well_formed(&sigs[i]);
}

#define SIG_OF(name) helper_sig_find(BPF_FUNC_##name)

static void check_args(const char *name, unsigned cnt, enum helper_arg a1, enum helper_arg a2,
                       enum helper_arg a3, enum helper_arg a4, enum helper_arg a5)
{
        const struct helper_sig *s = helper_sig_find_name(name);
        const enum helper_arg want[HELPER_MAX_ARGS] = {a1, a2, a3, a4, a5};

        CHECKF(s, "%s", name);
        if (!s)
                return;
        CHECKF(helper_sig_arg_cnt(s) == cnt, "%s: %u arguments", name, helper_sig_arg_cnt(s));
        for (int i = 0; i < HELPER_MAX_ARGS; i++)
                CHECKF(s->args[i] == want[i], "%s r%d: %s, not %s", name, i + 1,
                       helper_arg_name(s->args[i]), helper_arg_name(want[i]));
}

/* Against the kernel's struct bpf_func_proto of each. */
static void check_kernel_protos(void)
{
        enum helper_arg N = HELPER_ARG_NONE, ANY = HELPER_ARG_ANYTHING, MAP = HELPER_ARG_MAP;

        CHECK_EQ(SIG_OF(map_lookup_elem)->ret, HELPER_RET_MAP_VALUE_OR_NULL);
        CHECK(helper_ret_info(SIG_OF(map_lookup_elem)->ret)->flags & HELPER_RETF_MAYBE_NULL);
        check_args("map_lookup_elem", 2, MAP, HELPER_ARG_MAP_KEY, N, N, N);
        check_args("map_update_elem", 4, MAP, HELPER_ARG_MAP_KEY, HELPER_ARG_MAP_VALUE, ANY, N);
        check_args("map_lookup_percpu_elem", 3, MAP, HELPER_ARG_MAP_KEY, ANY, N, N);
        CHECK_EQ(SIG_OF(map_lookup_percpu_elem)->ret, HELPER_RET_MAP_VALUE_OR_NULL);
        /* pop and peek write the value; push reads it. */
        check_args("map_pop_elem", 2, MAP, HELPER_ARG_MAP_VALUE_OUT, N, N, N);
        CHECK(arg_flags(HELPER_ARG_MAP_VALUE_OUT) & HELPER_ARGF_WRITES);
        CHECK(!(arg_flags(HELPER_ARG_MAP_VALUE_OUT) & HELPER_ARGF_READS));
        check_args("map_push_elem", 3, MAP, HELPER_ARG_MAP_VALUE, ANY, N, N);
        /* cgroup local storage is never NULL. */
        CHECK_EQ(SIG_OF(get_local_storage)->ret, HELPER_RET_MAP_VALUE);
        CHECK(!(helper_ret_info(HELPER_RET_MAP_VALUE)->flags & HELPER_RETF_MAYBE_NULL));

        CHECK_EQ(SIG_OF(ringbuf_reserve)->ret, HELPER_RET_RINGBUF_RECORD_OR_NULL);
        CHECK(helper_ret_info(HELPER_RET_RINGBUF_RECORD_OR_NULL)->flags & HELPER_RETF_MAYBE_NULL);
        check_args("ringbuf_reserve", 3, MAP, HELPER_ARG_ALLOC_SIZE, ANY, N, N);
        check_args("ringbuf_submit", 2, HELPER_ARG_RINGBUF_RECORD, ANY, N, N, N);
        CHECK_EQ(SIG_OF(ringbuf_discard)->ret, HELPER_RET_VOID);
        check_args("ringbuf_output", 4, MAP, HELPER_ARG_MEM_RO, HELPER_ARG_SIZE_OR_ZERO, ANY, N);

        /* Callbacks. */
        check_args("loop", 4, ANY, HELPER_ARG_FUNC, HELPER_ARG_STACK_OR_NULL, ANY, N);
        CHECK_EQ(SIG_OF(loop)->callback, HELPER_CB_LOOP);
        check_args("for_each_map_elem", 4, MAP, HELPER_ARG_FUNC, HELPER_ARG_STACK_OR_NULL, ANY, N);
        CHECK_EQ(SIG_OF(for_each_map_elem)->callback, HELPER_CB_MAP_ELEM);
        CHECK_EQ(SIG_OF(timer_set_callback)->callback, HELPER_CB_TIMER);
        CHECK_EQ(SIG_OF(map_lookup_elem)->callback, HELPER_CB_NONE);

        /* Memory and its size: a too-small buffer is a check away. */
        check_args("probe_read_kernel", 3, HELPER_ARG_MEM_OUT, HELPER_ARG_SIZE_OR_ZERO, ANY, N, N);
        CHECK(!(arg_flags(HELPER_ARG_MEM_OUT) & HELPER_ARGF_READS));
        CHECK(arg_flags(HELPER_ARG_MEM_OUT) & HELPER_ARGF_WRITES);
        check_args("get_current_comm", 2, HELPER_ARG_MEM_OUT, HELPER_ARG_SIZE, N, N, N);
        CHECK(!(arg_flags(HELPER_ARG_SIZE) & HELPER_ARGF_ZERO_OK));
        check_args("perf_event_output", 5, HELPER_ARG_CTX, MAP, ANY, HELPER_ARG_MEM_RO,
                   HELPER_ARG_SIZE_OR_ZERO);
        CHECK(!(arg_flags(HELPER_ARG_MEM_RO) & HELPER_ARGF_WRITES));
        check_args("get_stack", 4, HELPER_ARG_CTX, HELPER_ARG_MEM_OUT, HELPER_ARG_SIZE_OR_ZERO, ANY,
                   N);
        check_args("csum_diff", 5, HELPER_ARG_MEM_RO_OR_NULL, HELPER_ARG_SIZE_OR_ZERO,
                   HELPER_ARG_MEM_RO_OR_NULL, HELPER_ARG_SIZE_OR_ZERO, ANY);
        check_args("snprintf", 5, HELPER_ARG_MEM_RW_OR_NULL, HELPER_ARG_SIZE_OR_ZERO,
                   HELPER_ARG_CONST_STR, HELPER_ARG_MEM_RO_OR_NULL, HELPER_ARG_SIZE_OR_ZERO);
        check_args("strncmp", 3, HELPER_ARG_MEM_RO, HELPER_ARG_SIZE, HELPER_ARG_CONST_STR, N, N);
        check_args("strtol", 4, HELPER_ARG_MEM_RO, HELPER_ARG_SIZE, ANY, HELPER_ARG_U64_OUT, N);
        /* The format's arguments r3-r5 are not checked by the kernel. */
        check_args("trace_printk", 2, HELPER_ARG_MEM_RO, HELPER_ARG_SIZE, N, N, N);

        check_args("tail_call", 3, HELPER_ARG_CTX, MAP, ANY, N, N);
        CHECK_EQ(SIG_OF(tail_call)->ret, HELPER_RET_VOID);
        check_args("spin_lock", 1, HELPER_ARG_SPIN_LOCK, N, N, N, N);
        CHECK_EQ(SIG_OF(spin_unlock)->ret, HELPER_RET_VOID);
        check_args("ktime_get_ns", 0, N, N, N, N, N);
        check_args("get_current_pid_tgid", 0, N, N, N, N, N);

        /* Packet-changing helpers. */
        CHECK(SIG_OF(xdp_adjust_head)->flags & HELPER_SIG_CHANGES_PKT_DATA);
        CHECK(SIG_OF(skb_store_bytes)->flags & HELPER_SIG_CHANGES_PKT_DATA);
        CHECK(!(SIG_OF(skb_load_bytes)->flags & HELPER_SIG_CHANGES_PKT_DATA));
        CHECK(!(SIG_OF(map_lookup_elem)->flags & HELPER_SIG_CHANGES_PKT_DATA));
}

static void check_printer(void)
{
        const char *want =
            "map_lookup_elem(map, pointer to map key) -> pointer to map value or NULL";
        const struct helper_sig *s = SIG_OF(map_lookup_elem);
        char buf[128], small[10];

        CHECK_EQ(helper_sig_snprintf(buf, sizeof(buf), s), strlen(want));
        CHECK_STR_EQ(buf, want);
        /* Truncated like snprintf: the full length, a NUL-terminated prefix. */
        memset(small, 'x', sizeof(small));
        CHECK_EQ(helper_sig_snprintf(small, sizeof(small), s), strlen(want));
        CHECK_STR_EQ(small, "map_looku");
        CHECK_EQ(helper_sig_snprintf(NULL, 0, s), strlen(want));
        helper_sig_snprintf(buf, sizeof(buf), SIG_OF(ktime_get_ns));
        CHECK_STR_EQ(buf, "ktime_get_ns() -> integer");
        helper_sig_snprintf(buf, sizeof(buf), SIG_OF(ringbuf_submit));
        CHECK_STR_EQ(buf, "ringbuf_submit(ring-buffer record, any value) -> nothing");
}

/* The public name lookup (bpf-aot's "not provided by the runtime" warning) reads the table. */
static void check_public_name(void)
{
        CHECK_STR_EQ(bpfaot_helper_name(BPF_FUNC_trace_vprintk), "trace_vprintk");
        CHECK_STR_EQ(bpfaot_helper_name(BPF_FUNC_get_current_task), "get_current_task");
        CHECK(bpfaot_helper_name(BPF_FUNC_get_current_task) ==
              helper_sig_find(BPF_FUNC_get_current_task)->name);
        CHECK(!bpfaot_helper_name(0));
        CHECK(!bpfaot_helper_name(9999));
}

int main(void)
{
        check_sorted_and_found();
        check_reg_cnt();
        check_covers_runtime();
        check_covers_common();
        check_kinds();
        check_kernel_protos();
        check_printer();
        check_public_name();
        return TEST_EXIT("test_helper_sigs");
}
