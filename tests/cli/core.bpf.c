/* SPDX-License-Identifier: MIT */
/*
 * CO-RE field accesses on a userspace type: bpf-aot keeps the compiled
 * offsets (the program's own layout) and build -v lists the records.
 */
typedef unsigned long long u64;

struct task {
        int pid;
        u64 start;
} __attribute__((preserve_access_index));

__attribute__((section("socket/core"), used)) u64 core_read(struct task *t, u64 size)
{
        if (size < sizeof(*t))
                return 0;
        return t->start + (u64)t->pid;
}
