/* SPDX-License-Identifier: MIT */
/*
 * The helper signature table (helper_sigs.h): the kernel's helper prototypes
 * (struct bpf_func_proto) of the helpers the runtime implements and of those
 * real programs commonly call, one row each, sorted by id.
 */
#include "helper_sigs.h"
#include "internal.h"

#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Short names for the table below; memory that is read and not written is read-only. */
#define PTR        HELPER_ARGF_PTR
#define NULL_OK    HELPER_ARGF_NULL_OK
#define READS      HELPER_ARGF_READS
#define WRITES     HELPER_ARGF_WRITES
#define SIZED_NEXT HELPER_ARGF_SIZED_BY_NEXT

static const struct helper_arg_info arg_infos[] = {
    [HELPER_ARG_NONE] = {"unused", 0, 0},
    [HELPER_ARG_ANYTHING] = {"any value", 0, 0},
    [HELPER_ARG_MAP] = {"map", PTR | HELPER_ARGF_CONST, 0},
    [HELPER_ARG_MAP_KEY] = {"pointer to map key", PTR | READS | HELPER_ARGF_KEY_SIZED, 0},
    [HELPER_ARG_MAP_VALUE] = {"pointer to map value", PTR | READS | HELPER_ARGF_VALUE_SIZED, 0},
    [HELPER_ARG_MAP_VALUE_OR_NULL] = {"pointer to map value or NULL",
                                      PTR | NULL_OK | READS | HELPER_ARGF_VALUE_SIZED, 0},
    [HELPER_ARG_MAP_VALUE_OUT] = {"pointer to writable memory of map value size",
                                  PTR | WRITES | HELPER_ARGF_VALUE_SIZED, 0},
    [HELPER_ARG_MEM_RO] = {"pointer to readable memory", PTR | READS | SIZED_NEXT, 0},
    [HELPER_ARG_MEM_RO_OR_NULL] = {"pointer to readable memory or NULL",
                                   PTR | NULL_OK | READS | SIZED_NEXT, 0},
    [HELPER_ARG_MEM_RW] = {"pointer to initialised writable memory",
                           PTR | READS | WRITES | SIZED_NEXT, 0},
    [HELPER_ARG_MEM_RW_OR_NULL] = {"pointer to initialised writable memory or NULL",
                                   PTR | NULL_OK | READS | WRITES | SIZED_NEXT, 0},
    [HELPER_ARG_MEM_OUT] = {"pointer to writable memory", PTR | WRITES | SIZED_NEXT, 0},
    [HELPER_ARG_SIZE] = {"size of the memory before it", HELPER_ARGF_SIZE, 0},
    [HELPER_ARG_SIZE_OR_ZERO] = {"size (or 0) of the memory before it",
                                 HELPER_ARGF_SIZE | HELPER_ARGF_ZERO_OK, 0},
    [HELPER_ARG_ALLOC_SIZE] = {"constant size", HELPER_ARGF_CONST, 0},
    [HELPER_ARG_CTX] = {"context", PTR, 0},
    [HELPER_ARG_FUNC] = {"callback function", PTR | HELPER_ARGF_CONST, 0},
    [HELPER_ARG_STACK_OR_NULL] = {"stack pointer or NULL", PTR | NULL_OK, 0},
    [HELPER_ARG_CONST_STR] = {"read-only string", PTR | READS | HELPER_ARGF_CONST, 0},
    [HELPER_ARG_SPIN_LOCK] = {"pointer to bpf_spin_lock", PTR | READS | WRITES,
                              sizeof(struct bpf_spin_lock)},
    [HELPER_ARG_TIMER] = {"pointer to bpf_timer", PTR | READS | WRITES, sizeof(struct bpf_timer)},
    [HELPER_ARG_RINGBUF_RECORD] = {"ring-buffer record", PTR, 0},
    [HELPER_ARG_U64_OUT] = {"pointer to writable u64", PTR | WRITES, sizeof(uint64_t)},
    [HELPER_ARG_DYNPTR] = {"pointer to bpf_dynptr", PTR | READS, sizeof(struct bpf_dynptr)},
    [HELPER_ARG_DYNPTR_OUT] = {"pointer to writable bpf_dynptr", PTR | WRITES,
                               sizeof(struct bpf_dynptr)},
    [HELPER_ARG_DYNPTR_RELEASE] = {"pointer to ring-buffer bpf_dynptr", PTR | READS | WRITES,
                                   sizeof(struct bpf_dynptr)},
    [HELPER_ARG_KERNEL_PTR] = {"kernel object", PTR, 0},
    [HELPER_ARG_KERNEL_PTR_OR_NULL] = {"kernel object or NULL", PTR | NULL_OK, 0},
};
_Static_assert(ARRAY_LEN(arg_infos) == HELPER_ARG_KIND_CNT, "every argument kind has its info");

static const struct helper_ret_info ret_infos[] = {
    [HELPER_RET_INTEGER] = {"integer", 0},
    [HELPER_RET_VOID] = {"nothing", 0},
    [HELPER_RET_MAP_VALUE] = {"pointer to map value", HELPER_RETF_PTR},
    [HELPER_RET_MAP_VALUE_OR_NULL] = {"pointer to map value or NULL",
                                      HELPER_RETF_PTR | HELPER_RETF_MAYBE_NULL},
    [HELPER_RET_RINGBUF_RECORD_OR_NULL] = {"ring-buffer record or NULL",
                                           HELPER_RETF_PTR | HELPER_RETF_MAYBE_NULL},
    [HELPER_RET_KERNEL_PTR] = {"kernel object", HELPER_RETF_PTR},
    [HELPER_RET_KERNEL_PTR_OR_NULL] = {"kernel object or NULL",
                                       HELPER_RETF_PTR | HELPER_RETF_MAYBE_NULL},
    [HELPER_RET_DYNPTR_MEM_OR_NULL] = {"pointer to dynptr memory or NULL",
                                       HELPER_RETF_PTR | HELPER_RETF_MAYBE_NULL},
};
_Static_assert(ARRAY_LEN(ret_infos) == HELPER_RET_KIND_CNT, "every return kind has its info");

static const char *const callback_names[] = {
    [HELPER_CB_NONE] = "none",
    [HELPER_CB_LOOP] = "loop body",
    [HELPER_CB_MAP_ELEM] = "map element visitor",
    [HELPER_CB_TIMER] = "timer callback",
    [HELPER_CB_FIND_VMA] = "vma visitor",
    [HELPER_CB_USER_RINGBUF] = "user ring-buffer sample visitor",
};
_Static_assert(ARRAY_LEN(callback_names) == HELPER_CB_KIND_CNT, "every callback kind has a name");

/*
 * One row: SIG(name, return kind, argument kinds...), the id being the
 * kernel's BPF_FUNC_<name>; NONE for a helper without arguments. SIG_PKT
 * marks a helper that changes packet data, SIG_CB one whose HELPER_ARG_FUNC
 * argument is a callback of the given kind, SIG_INDIRECT one that writes
 * memory its argument kinds do not describe.
 */
/* clang-format off */
#define ARG_1(a)      HELPER_ARG_##a
#define ARG_2(a, ...) ARG_1(a), ARG_1(__VA_ARGS__)
#define ARG_3(a, ...) ARG_1(a), ARG_2(__VA_ARGS__)
#define ARG_4(a, ...) ARG_1(a), ARG_3(__VA_ARGS__)
#define ARG_5(a, ...) ARG_1(a), ARG_4(__VA_ARGS__)
#define ARG_PICK(_1, _2, _3, _4, _5, pick, ...) pick
#define ARGS(...) {ARG_PICK(__VA_ARGS__, ARG_5, ARG_4, ARG_3, ARG_2, ARG_1, -)(__VA_ARGS__)}
#define SIG_FIELDS(name_, ret_, ...) \
        .id = BPF_FUNC_##name_, .name = #name_, .ret = HELPER_RET_##ret_, .args = ARGS(__VA_ARGS__)
#define SIG(name_, ret_, ...) {SIG_FIELDS(name_, ret_, __VA_ARGS__)}
#define SIG_PKT(name_, ret_, ...) \
        {SIG_FIELDS(name_, ret_, __VA_ARGS__), .flags = HELPER_SIG_CHANGES_PKT_DATA}
#define SIG_CB(name_, ret_, cb_, ...) \
        {SIG_FIELDS(name_, ret_, __VA_ARGS__), .callback = HELPER_CB_##cb_}
#define SIG_INDIRECT(name_, ret_, ...) \
        {SIG_FIELDS(name_, ret_, __VA_ARGS__), .flags = HELPER_SIG_WRITES_INDIRECT}

static const struct helper_sig sigs[] = {
    SIG(map_lookup_elem, MAP_VALUE_OR_NULL, MAP, MAP_KEY),
    SIG(map_update_elem, INTEGER, MAP, MAP_KEY, MAP_VALUE, ANYTHING),
    SIG(map_delete_elem, INTEGER, MAP, MAP_KEY),
    SIG(probe_read, INTEGER, MEM_OUT, SIZE_OR_ZERO, ANYTHING),
    SIG(ktime_get_ns, INTEGER, NONE),
    /* r3-r5 are the format's arguments; the kernel does not check them. */
    {SIG_FIELDS(trace_printk, INTEGER, MEM_RO, SIZE), .flags = HELPER_SIG_READS_ALL_REGS},
    SIG(get_prandom_u32, INTEGER, NONE),
    SIG(get_smp_processor_id, INTEGER, NONE),
    SIG_PKT(skb_store_bytes, INTEGER, CTX, ANYTHING, MEM_RO, SIZE, ANYTHING),
    SIG_PKT(l3_csum_replace, INTEGER, CTX, ANYTHING, ANYTHING, ANYTHING, ANYTHING),
    SIG_PKT(l4_csum_replace, INTEGER, CTX, ANYTHING, ANYTHING, ANYTHING, ANYTHING),
    /* Does not return when it succeeds. */
    SIG(tail_call, VOID, CTX, MAP, ANYTHING),
    SIG_PKT(clone_redirect, INTEGER, CTX, ANYTHING, ANYTHING),
    SIG(get_current_pid_tgid, INTEGER, NONE),
    SIG(get_current_uid_gid, INTEGER, NONE),
    SIG(get_current_comm, INTEGER, MEM_OUT, SIZE),
    SIG(get_cgroup_classid, INTEGER, CTX),
    SIG_PKT(skb_vlan_push, INTEGER, CTX, ANYTHING, ANYTHING),
    SIG_PKT(skb_vlan_pop, INTEGER, CTX),
    SIG(skb_get_tunnel_key, INTEGER, CTX, MEM_OUT, SIZE, ANYTHING),
    SIG(skb_set_tunnel_key, INTEGER, CTX, MEM_RO, SIZE, ANYTHING),
    SIG(perf_event_read, INTEGER, MAP, ANYTHING),
    SIG(redirect, INTEGER, ANYTHING, ANYTHING),
    SIG(get_route_realm, INTEGER, CTX),
    SIG(perf_event_output, INTEGER, CTX, MAP, ANYTHING, MEM_RO, SIZE_OR_ZERO),
    SIG(skb_load_bytes, INTEGER, CTX, ANYTHING, MEM_OUT, SIZE),
    SIG(get_stackid, INTEGER, CTX, MAP, ANYTHING),
    SIG(csum_diff, INTEGER, MEM_RO_OR_NULL, SIZE_OR_ZERO, MEM_RO_OR_NULL, SIZE_OR_ZERO, ANYTHING),
    SIG(skb_get_tunnel_opt, INTEGER, CTX, MEM_OUT, SIZE),
    SIG(skb_set_tunnel_opt, INTEGER, CTX, MEM_RO, SIZE),
    SIG_PKT(skb_change_proto, INTEGER, CTX, ANYTHING, ANYTHING),
    SIG(skb_change_type, INTEGER, CTX, ANYTHING),
    SIG(skb_under_cgroup, INTEGER, CTX, MAP, ANYTHING),
    SIG(get_hash_recalc, INTEGER, CTX),
    SIG(get_current_task, INTEGER, NONE),
    SIG_INDIRECT(probe_write_user, INTEGER, ANYTHING, MEM_RO, SIZE),
    SIG(current_task_under_cgroup, INTEGER, MAP, ANYTHING),
    SIG_PKT(skb_change_tail, INTEGER, CTX, ANYTHING, ANYTHING),
    SIG_PKT(skb_pull_data, INTEGER, CTX, ANYTHING),
    SIG(csum_update, INTEGER, CTX, ANYTHING),
    SIG(set_hash_invalid, INTEGER, CTX),
    SIG(get_numa_node_id, INTEGER, NONE),
    SIG_PKT(skb_change_head, INTEGER, CTX, ANYTHING, ANYTHING),
    SIG_PKT(xdp_adjust_head, INTEGER, CTX, ANYTHING),
    SIG(probe_read_str, INTEGER, MEM_OUT, SIZE_OR_ZERO, ANYTHING),
    SIG(get_socket_cookie, INTEGER, CTX),
    SIG(get_socket_uid, INTEGER, CTX),
    SIG(set_hash, INTEGER, CTX, ANYTHING),
    SIG_PKT(skb_adjust_room, INTEGER, CTX, ANYTHING, ANYTHING, ANYTHING),
    SIG(redirect_map, INTEGER, MAP, ANYTHING, ANYTHING),
    SIG_PKT(xdp_adjust_meta, INTEGER, CTX, ANYTHING),
    SIG(perf_event_read_value, INTEGER, MAP, ANYTHING, MEM_OUT, SIZE),
    SIG(perf_prog_read_value, INTEGER, CTX, MEM_OUT, SIZE),
    SIG(override_return, INTEGER, CTX, ANYTHING),
    SIG_PKT(xdp_adjust_tail, INTEGER, CTX, ANYTHING),
    SIG(get_stack, INTEGER, CTX, MEM_OUT, SIZE_OR_ZERO, ANYTHING),
    SIG(skb_load_bytes_relative, INTEGER, CTX, ANYTHING, MEM_OUT, SIZE, ANYTHING),
    /* The parameters are read and the result written back. */
    SIG(fib_lookup, INTEGER, CTX, MEM_RW, SIZE, ANYTHING),
    SIG(rc_keydown, INTEGER, CTX, ANYTHING, ANYTHING, ANYTHING),
    SIG(skb_cgroup_id, INTEGER, CTX),
    SIG(get_current_cgroup_id, INTEGER, NONE),
    SIG(get_local_storage, MAP_VALUE, MAP, ANYTHING),
    SIG(sk_lookup_tcp, KERNEL_PTR_OR_NULL, CTX, MEM_RO, SIZE, ANYTHING, ANYTHING),
    SIG(sk_lookup_udp, KERNEL_PTR_OR_NULL, CTX, MEM_RO, SIZE, ANYTHING, ANYTHING),
    SIG(sk_release, INTEGER, KERNEL_PTR),
    SIG(map_push_elem, INTEGER, MAP, MAP_VALUE, ANYTHING),
    SIG(map_pop_elem, INTEGER, MAP, MAP_VALUE_OUT),
    SIG(map_peek_elem, INTEGER, MAP, MAP_VALUE_OUT),
    SIG(spin_lock, VOID, SPIN_LOCK),
    SIG(spin_unlock, VOID, SPIN_LOCK),
    SIG(sk_fullsock, KERNEL_PTR_OR_NULL, KERNEL_PTR),
    SIG(tcp_sock, KERNEL_PTR_OR_NULL, KERNEL_PTR),
    SIG(skb_ecn_set_ce, INTEGER, CTX),
    SIG(skc_lookup_tcp, KERNEL_PTR_OR_NULL, CTX, MEM_RO, SIZE, ANYTHING, ANYTHING),
    SIG(strtol, INTEGER, MEM_RO, SIZE, ANYTHING, U64_OUT),
    SIG(strtoul, INTEGER, MEM_RO, SIZE, ANYTHING, U64_OUT),
    SIG(sk_storage_get, MAP_VALUE_OR_NULL, MAP, KERNEL_PTR, MAP_VALUE_OR_NULL, ANYTHING),
    SIG(sk_storage_delete, INTEGER, MAP, KERNEL_PTR),
    SIG(send_signal, INTEGER, ANYTHING),
    SIG(probe_read_user, INTEGER, MEM_OUT, SIZE_OR_ZERO, ANYTHING),
    SIG(probe_read_kernel, INTEGER, MEM_OUT, SIZE_OR_ZERO, ANYTHING),
    SIG(probe_read_user_str, INTEGER, MEM_OUT, SIZE_OR_ZERO, ANYTHING),
    SIG(probe_read_kernel_str, INTEGER, MEM_OUT, SIZE_OR_ZERO, ANYTHING),
    SIG(send_signal_thread, INTEGER, ANYTHING),
    SIG(jiffies64, INTEGER, NONE),
    SIG(get_ns_current_pid_tgid, INTEGER, ANYTHING, ANYTHING, MEM_OUT, SIZE),
    /* r1 is the XDP buffer a tracing program sees, not its own context. */
    SIG(xdp_output, INTEGER, KERNEL_PTR, MAP, ANYTHING, MEM_RO, SIZE_OR_ZERO),
    SIG(get_current_ancestor_cgroup_id, INTEGER, ANYTHING),
    SIG(ktime_get_boot_ns, INTEGER, NONE),
    SIG(seq_printf, INTEGER, KERNEL_PTR, MEM_RO, SIZE, MEM_RO_OR_NULL, SIZE_OR_ZERO),
    SIG(seq_write, INTEGER, KERNEL_PTR, MEM_RO, SIZE_OR_ZERO),
    SIG(ringbuf_output, INTEGER, MAP, MEM_RO, SIZE_OR_ZERO, ANYTHING),
    SIG(ringbuf_reserve, RINGBUF_RECORD_OR_NULL, MAP, ALLOC_SIZE, ANYTHING),
    SIG(ringbuf_submit, VOID, RINGBUF_RECORD, ANYTHING),
    SIG(ringbuf_discard, VOID, RINGBUF_RECORD, ANYTHING),
    SIG(ringbuf_query, INTEGER, MAP, ANYTHING),
    SIG(csum_level, INTEGER, CTX, ANYTHING),
    SIG(skc_to_tcp6_sock, KERNEL_PTR_OR_NULL, KERNEL_PTR),
    SIG(skc_to_tcp_sock, KERNEL_PTR_OR_NULL, KERNEL_PTR),
    SIG(skc_to_tcp_timewait_sock, KERNEL_PTR_OR_NULL, KERNEL_PTR),
    SIG(skc_to_tcp_request_sock, KERNEL_PTR_OR_NULL, KERNEL_PTR),
    SIG(skc_to_udp6_sock, KERNEL_PTR_OR_NULL, KERNEL_PTR),
    SIG(get_task_stack, INTEGER, KERNEL_PTR, MEM_OUT, SIZE_OR_ZERO, ANYTHING),
    SIG(inode_storage_get, MAP_VALUE_OR_NULL, MAP, KERNEL_PTR_OR_NULL, MAP_VALUE_OR_NULL, ANYTHING),
    SIG(inode_storage_delete, INTEGER, MAP, KERNEL_PTR_OR_NULL),
    SIG(d_path, INTEGER, KERNEL_PTR, MEM_RW, SIZE_OR_ZERO),
    SIG(copy_from_user, INTEGER, MEM_OUT, SIZE_OR_ZERO, ANYTHING),
    SIG(snprintf_btf, INTEGER, MEM_RW, SIZE, MEM_RO, SIZE, ANYTHING),
    SIG(skb_cgroup_classid, INTEGER, CTX),
    SIG(redirect_neigh, INTEGER, ANYTHING, MEM_RO_OR_NULL, SIZE_OR_ZERO, ANYTHING),
    SIG(per_cpu_ptr, KERNEL_PTR_OR_NULL, KERNEL_PTR, ANYTHING),
    SIG(this_cpu_ptr, KERNEL_PTR, KERNEL_PTR),
    SIG(redirect_peer, INTEGER, ANYTHING, ANYTHING),
    SIG(task_storage_get, MAP_VALUE_OR_NULL, MAP, KERNEL_PTR_OR_NULL, MAP_VALUE_OR_NULL, ANYTHING),
    SIG(task_storage_delete, INTEGER, MAP, KERNEL_PTR_OR_NULL),
    SIG(get_current_task_btf, KERNEL_PTR, NONE),
    SIG(ktime_get_coarse_ns, INTEGER, NONE),
    SIG_CB(for_each_map_elem, INTEGER, MAP_ELEM, MAP, FUNC, STACK_OR_NULL, ANYTHING),
    SIG(snprintf, INTEGER, MEM_RW_OR_NULL, SIZE_OR_ZERO, CONST_STR, MEM_RO_OR_NULL, SIZE_OR_ZERO),
    SIG(timer_init, INTEGER, TIMER, MAP, ANYTHING),
    SIG_CB(timer_set_callback, INTEGER, TIMER, TIMER, FUNC),
    SIG(timer_start, INTEGER, TIMER, ANYTHING, ANYTHING),
    SIG(timer_cancel, INTEGER, TIMER),
    SIG(get_func_ip, INTEGER, CTX),
    SIG(get_attach_cookie, INTEGER, CTX),
    SIG(task_pt_regs, KERNEL_PTR, KERNEL_PTR),
    SIG(get_branch_snapshot, INTEGER, MEM_OUT, SIZE_OR_ZERO, ANYTHING),
    SIG(trace_vprintk, INTEGER, MEM_RO, SIZE, MEM_RO_OR_NULL, SIZE_OR_ZERO),
    SIG(skc_to_unix_sock, KERNEL_PTR_OR_NULL, KERNEL_PTR),
    SIG_CB(find_vma, INTEGER, FIND_VMA, KERNEL_PTR, ANYTHING, FUNC, STACK_OR_NULL, ANYTHING),
    SIG_CB(loop, INTEGER, LOOP, ANYTHING, FUNC, STACK_OR_NULL, ANYTHING),
    SIG(strncmp, INTEGER, MEM_RO, SIZE, CONST_STR),
    SIG(get_func_arg, INTEGER, CTX, ANYTHING, U64_OUT),
    SIG(get_func_ret, INTEGER, CTX, U64_OUT),
    SIG(get_func_arg_cnt, INTEGER, CTX),
    SIG(get_retval, INTEGER, NONE),
    SIG(set_retval, INTEGER, ANYTHING),
    SIG(xdp_get_buff_len, INTEGER, CTX),
    SIG(xdp_load_bytes, INTEGER, CTX, ANYTHING, MEM_OUT, SIZE),
    SIG(xdp_store_bytes, INTEGER, CTX, ANYTHING, MEM_RO, SIZE),
    SIG(copy_from_user_task, INTEGER, MEM_OUT, SIZE_OR_ZERO, ANYTHING, KERNEL_PTR, ANYTHING),
    SIG(map_lookup_percpu_elem, MAP_VALUE_OR_NULL, MAP, MAP_KEY, ANYTHING),
    SIG(skc_to_mptcp_sock, KERNEL_PTR_OR_NULL, KERNEL_PTR),
    SIG(dynptr_from_mem, INTEGER, MEM_OUT, SIZE_OR_ZERO, ANYTHING, DYNPTR_OUT),
    SIG(ringbuf_reserve_dynptr, INTEGER, MAP, ANYTHING, ANYTHING, DYNPTR_OUT),
    SIG(ringbuf_submit_dynptr, VOID, DYNPTR_RELEASE, ANYTHING),
    SIG(ringbuf_discard_dynptr, VOID, DYNPTR_RELEASE, ANYTHING),
    SIG(dynptr_read, INTEGER, MEM_OUT, SIZE_OR_ZERO, DYNPTR, ANYTHING, ANYTHING),
    SIG_INDIRECT(dynptr_write, INTEGER, DYNPTR, ANYTHING, MEM_RO, SIZE_OR_ZERO, ANYTHING),
    SIG(dynptr_data, DYNPTR_MEM_OR_NULL, DYNPTR, ANYTHING, ALLOC_SIZE),
    SIG(ktime_get_tai_ns, INTEGER, NONE),
    SIG_CB(user_ringbuf_drain, INTEGER, USER_RINGBUF, MAP, FUNC, STACK_OR_NULL, ANYTHING),
};
/* clang-format on */

const struct helper_sig *helper_sigs(size_t *cnt)
{
        *cnt = ARRAY_LEN(sigs);
        return sigs;
}

const struct helper_sig *helper_sig_find(uint32_t id)
{
        size_t lo = 0, hi = ARRAY_LEN(sigs);

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (sigs[mid].id == id)
                        return &sigs[mid];
                if (sigs[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

const struct helper_sig *helper_sig_find_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
                if (strcmp(sigs[i].name, name) == 0)
                        return &sigs[i];
        return NULL;
}

const char *bpfaot_helper_name(uint32_t id)
{
        const struct helper_sig *sig = helper_sig_find(id);

        return sig ? sig->name : NULL;
}

unsigned helper_sig_arg_cnt(const struct helper_sig *sig)
{
        unsigned n = 0;

        while (n < HELPER_MAX_ARGS && sig->args[n] != HELPER_ARG_NONE)
                n++;
        return n;
}

unsigned helper_sig_reg_cnt(const struct helper_sig *sig)
{
        return sig->flags & HELPER_SIG_READS_ALL_REGS ? HELPER_MAX_ARGS : helper_sig_arg_cnt(sig);
}

const struct helper_arg_info *helper_arg_info(enum helper_arg kind)
{
        return (unsigned)kind < ARRAY_LEN(arg_infos) ? &arg_infos[kind] : NULL;
}

const struct helper_ret_info *helper_ret_info(enum helper_ret kind)
{
        return (unsigned)kind < ARRAY_LEN(ret_infos) ? &ret_infos[kind] : NULL;
}

const char *helper_arg_name(enum helper_arg kind)
{
        const struct helper_arg_info *info = helper_arg_info(kind);
        return info ? info->name : "?";
}

const char *helper_ret_name(enum helper_ret kind)
{
        const struct helper_ret_info *info = helper_ret_info(kind);
        return info ? info->name : "?";
}

const char *helper_callback_name(enum helper_callback kind)
{
        return (unsigned)kind < ARRAY_LEN(callback_names) ? callback_names[kind] : "?";
}

/* snprintf at the end of the text so far, which may already have outgrown buf. */
static __attribute__((format(printf, 4, 5))) int append(char *buf, size_t size, size_t *len,
                                                        const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
        va_end(ap);
        if (n >= 0)
                *len += (size_t)n;
        return n;
}

int helper_sig_snprintf(char *buf, size_t size, const struct helper_sig *sig)
{
        unsigned cnt = helper_sig_arg_cnt(sig);
        size_t len = 0;
        int err;

        err = append(buf, size, &len, "%s(", sig->name);
        for (unsigned i = 0; i < cnt && err >= 0; i++)
                err = append(buf, size, &len, "%s%s", i ? ", " : "", helper_arg_name(sig->args[i]));
        if (err >= 0)
                err = append(buf, size, &len, ") -> %s", helper_ret_name(sig->ret));
        return err < 0 ? err : (int)len;
}
