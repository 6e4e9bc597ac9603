// SPDX-License-Identifier: MIT
/*
 * An eBPF program that computes the Adler-32 checksum of its context bytes.
 * Built with: clang -target bpf -O2 -c adler32.bpf.c -o adler32.bpf.o
 * In eBPF the context pointer arrives in r1; bpf-aot also passes its size in r2.
 */
__attribute__((section("socket"), used)) unsigned long long adler32(const unsigned char *data,
                                                                   unsigned long long len)
{
        unsigned long long a = 1, b = 0;

        for (unsigned long long i = 0; i < len; i++) {
                a = (a + data[i]) % 65521;
                b = (b + a) % 65521;
        }
        return (b << 16) | a;
}
