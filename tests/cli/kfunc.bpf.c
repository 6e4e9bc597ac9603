// SPDX-License-Identifier: MIT
/* A call of an extern function (a kfunc): bpf-aot compiles it to a call by name. */
extern unsigned long long bpf_test_kfunc(unsigned long long a, unsigned long long b)
        __attribute__((section(".ksyms")));

__attribute__((section("tc"), used)) unsigned long long call_kfunc(unsigned char *ctx,
                                                                   unsigned long long size)
{
        return bpf_test_kfunc(size, 7) + 1;
}
