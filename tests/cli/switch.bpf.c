// SPDX-License-Identifier: MIT
/*
 * Switches of several shapes, which clang's BPF backend lowers to compare
 * trees and bpf-aot rebuilds into LLVM switches. Plain C: switch_check.c
 * builds it natively for the expected result.
 */
typedef unsigned long long u64;
typedef unsigned int u32;
typedef long long s64;

static u64 dense(unsigned char op, u64 acc)
{
        switch (op & 15) {
        case 0: return acc + 1;
        case 1: return acc ^ 0x55;
        case 2: return acc * 3;
        case 3: return acc >> 1;
        case 4: return acc - 7;
        case 5: return acc | 0x100;
        case 6: return acc & 0xffff;
        case 7: return ~acc;
        case 8: return acc + op;
        case 9: return acc << 2;
        case 10: return acc ^ (acc >> 9);
        case 11: return acc + 0x9e37;
        default: return acc - op; /* 12..15 */
        }
}

static u64 sparse(u32 v, u64 acc)
{
        switch (v % 1000) {
        case 3: return acc + 11;
        case 17: return acc * 5;
        case 100: return acc ^ 0xabc;
        case 101: return acc - 3;
        case 250: return acc + v;
        case 999: return acc >> 3;
        default: return acc + 1;
        }
}

static u64 with_negative(int v, u64 acc)
{
        switch ((v & 15) - 10) { /* -10 .. 5 */
        case -5: return acc - 1;
        case -4: return acc * 2;
        case -3: return acc + 9;
        case -1: return acc ^ 3;
        case 0: return acc;
        case 2: return acc - 100;
        case 4: return acc + 1000;
        default: return acc + (u64)(s64)v;
        }
}

static u64 fallthrough(u64 v, u64 acc)
{
        switch (v & 7) {
        case 0:
                acc += 1;
                /* fall through */
        case 1:
                acc *= 3;
                /* fall through */
        case 2:
                acc ^= 0x77;
                break;
        case 5:
                acc -= 5;
                /* fall through */
        case 6:
                acc += 6;
                break;
        default:
                acc = (acc << 1) | (acc >> 63);
        }
        return acc;
}

__attribute__((section("socket/switch"), used)) u64 switches(const unsigned char *data, u64 size)
{
        u64 acc = 0x1234;
        u64 sacc = (u64)-77;

        for (u64 i = 0; i + 4 <= size; i += 4) {
                u32 w = (u32)data[i] | (u32)data[i + 1] << 8 | (u32)data[i + 2] << 16 |
                        (u32)data[i + 3] << 24;
                acc = dense(data[i], acc);
                acc = sparse(w, acc);
                sacc = with_negative((int)w, sacc);
                acc = fallthrough(w >> 3, acc);
        }
        return acc ^ sacc;
}
