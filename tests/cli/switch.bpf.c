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
        case 0:
                return acc + 1;
        case 1:
                return acc ^ 0x55;
        case 2:
                return acc * 3;
        case 3:
                return acc >> 1;
        case 4:
                return acc - 7;
        case 5:
                return acc | 0x100;
        case 6:
                return acc & 0xffff;
        case 7:
                return ~acc;
        case 8:
                return acc + op;
        case 9:
                return acc << 2;
        case 10:
                return acc ^ (acc >> 9);
        case 11:
                return acc + 0x9e37;
        default:
                return acc - op; /* 12..15 */
        }
}

static u64 sparse(u32 v, u64 acc)
{
        switch (v % 1000) {
        case 3:
                return acc + 11;
        case 17:
                return acc * 5;
        case 100:
                return acc ^ 0xabc;
        case 101:
                return acc - 3;
        case 250:
                return acc + v;
        case 999:
                return acc >> 3;
        default:
                return acc + 1;
        }
}

static u64 with_negative(int v, u64 acc)
{
        switch ((v & 15) - 10) { /* -10 .. 5 */
        case -5:
                return acc - 1;
        case -4:
                return acc * 2;
        case -3:
                return acc + 9;
        case -1:
                return acc ^ 3;
        case 0:
                return acc;
        case 2:
                return acc - 100;
        case 4:
                return acc + 1000;
        default:
                return acc + (u64)(s64)v;
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

/* Cases yielding constants, paired by clang's BPF backend: one lookup table natively. */
static u64 consts(u32 v)
{
        switch (v) {
        case 0:
                return 17;
        case 1:
                return 93;
        case 2:
                return 4;
        case 3:
                return 61;
        case 4:
                return 38;
        case 5:
                return 77;
        case 6:
                return 12;
        case 7:
                return 250;
        case 8:
                return 9;
        case 9:
                return 140;
        case 10:
                return 33;
        case 11:
                return 201;
        case 12:
                return 66;
        case 13:
                return 5;
        case 14:
                return 118;
        case 15:
                return 47;
        case 16:
                return 71;
        case 17:
                return 71;
        case 18:
                return 190;
        case 19:
                return 23;
        case 20 ... 23:
                return 99;
        case 24:
                return 14;
        case 25:
                return 231;
        case 26:
                return 57;
        case 27:
                return 120;
        case 28:
                return 8;
        case 29:
                return 176;
        case 30:
                return 43;
        case 31:
                return 64;
        case 33:
                return 29;
        case 34:
                return 212;
        case 35:
                return 81;
        case 36:
                return 3;
        case 37:
                return 167;
        case 38:
                return 50;
        case 39:
                return 133;
        default:
                return 1;
        }
}

/* Signed, with negative cases: a window across zero. */
static s64 consts_signed(int v)
{
        switch (v) {
        case -12:
                return 40;
        case -11:
                return -3;
        case -10:
                return 91;
        case -9:
                return 15;
        case -8:
                return -70;
        case -7:
                return 2;
        case -6:
                return 64;
        case -5:
                return 64;
        case -3:
                return 19;
        case -2:
                return -1;
        case -1:
                return 5;
        case 0:
                return 88;
        case 1:
                return 26;
        case 2:
                return -41;
        case 3:
                return 7;
        case 5:
                return 33;
        case 6:
                return 120;
        case 7:
                return 11;
        case 8:
                return -9;
        case 9:
                return 52;
        case 10:
                return 74;
        case 11:
                return 6;
        default:
                return 1000;
        }
}

/* 64-bit values far from zero (64-bit compares); the default depends on the value. */
static u64 consts_wide(u64 v)
{
        switch (v) {
        case 0x100000000ull:
                return 3;
        case 0x100000001ull:
                return 14;
        case 0x100000002ull:
                return 15;
        case 0x100000003ull:
                return 92;
        case 0x100000004ull:
                return 65;
        case 0x100000005ull:
                return 35;
        case 0x100000006ull:
                return 89;
        case 0x100000007ull:
                return 79;
        case 0x100000008ull:
                return 32;
        case 0x100000009ull:
                return 38;
        case 0x10000000aull:
                return 46;
        case 0x10000000bull:
                return 26;
        case 0x10000000cull:
                return 43;
        case 0x10000000dull:
                return 38;
        case 0x10000000eull:
                return 32;
        case 0x10000000full:
                return 79;
        case 0x100000010ull:
                return 50;
        case 0x100000011ull:
                return 28;
        default:
                return v >> 3;
        }
}

/* Constant and computed cases sharing their targets. */
static u64 mixed(u32 v, u64 acc)
{
        switch (v) {
        case 40:
                return 5;
        case 41:
                return acc + 1;
        case 42:
                return 5;
        case 43:
                return acc * 3;
        case 44:
                return 9;
        case 45:
                return acc + 1;
        case 46:
                return 12;
        case 47:
                return 5;
        case 48:
                return acc ^ 0x5a;
        case 49:
                return 9;
        default:
                return acc - v;
        }
}

/* Every case value, values around and far outside the windows, powers of two and around them. */
static u64 sweep(u64 size)
{
        s64 span = (s64)(size >> 4) + 64;
        u64 acc = 7;

        for (s64 k = -span; k < span; k++) {
                acc = acc * 31 + consts((u32)k);
                acc = acc * 31 + (u64)consts_signed((int)k);
                acc = acc * 31 + consts_wide((u64)k + 0x100000000ull - 40);
                acc = mixed((u32)k, acc);
        }
        for (u64 j = 0; j < 64 + (size >> 24); j++) {
                u64 x = 1ull << (j & 63);
                u64 vals[4] = {x, x - 1, x + 1, 0 - x};
                for (int i = 0; i < 4; i++) {
                        acc = acc * 31 + consts((u32)vals[i]) + consts((u32)(vals[i] >> 32));
                        acc = acc * 31 + (u64)consts_signed((int)vals[i]);
                        acc =
                            acc * 31 + consts_wide(vals[i]) + consts_wide(vals[i] + 0x100000000ull);
                        acc = mixed((u32)vals[i], acc);
                }
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
                acc = acc * 33 + consts(w % 48) + consts_wide(0x100000000ull + (w & 31));
                acc = mixed(w % 64, acc);
        }
        return acc ^ sacc ^ sweep(size);
}
