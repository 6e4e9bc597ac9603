/* SPDX-License-Identifier: MIT */
/*
 * Legacy packet loads as the socket filters of old samples write them:
 * clang's load builtins become LD_ABS (a constant offset) and LD_IND (a
 * computed one), reading the packet in network order.
 */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

/* An Ethernet frame's type, its IPv4 header length, the word after that header. */
__attribute__((section("socket"), used)) int ldabs_fields(void *skb)
{
        unsigned long long ihl = load_byte(skb, 14) & 0xf;
        unsigned long long proto = load_half(skb, 12);
        unsigned long long word = load_word(skb, 14 + ihl * 4);

        return (int)(proto + ihl + (word >> 8));
}

/* The half-word at offset 64, plus 1: a shorter frame makes the program return 0. */
__attribute__((section("socket/tail"), used)) int ldabs_tail(void *skb)
{
        return (int)(load_half(skb, 64) + 1);
}

/* A load in a function of its own (a sub-program of the program). */
static __attribute__((noinline)) int header_words(void *skb)
{
        return (int)(load_byte(skb, 14) & 0xf);
}

__attribute__((section("socket/sub"), used)) int ldabs_sub(void *skb)
{
        return header_words(skb) * 100 + (int)load_half(skb, 12);
}
