/* SPDX-License-Identifier: MIT */
/*
 * Switch yielding constants: every input byte goes through a switch of 48
 * cases (some sharing a value, some in ranges) whose arms only return a
 * constant; the rest take the default. clang -O2 for the host turns the
 * switch into one load from a table. clang's BPF backend, which has no
 * tables, pairs neighbouring cases into compare-and-select leaves and
 * tests the rest with a binary tree of compares.
 */
#include "kernel.h"

INLINE u32 weight(u32 c)
{
        switch (c) {
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
        case 20:
                return 88;
        case 21:
                return 2;
        case 22:
                return 155;
        case 23:
                return 36;
        case 24 ... 27:
                return 99;
        case 28:
                return 14;
        case 29:
                return 231;
        case 30:
                return 57;
        case 31:
                return 120;
        case 32:
                return 8;
        case 33:
                return 176;
        case 34:
                return 43;
        case 35:
                return 64;
        case 36:
                return 29;
        case 37:
                return 212;
        case 38:
                return 81;
        case 39:
                return 3;
        case 40:
                return 167;
        case 41:
                return 50;
        case 42:
                return 133;
        case 43:
                return 19;
        case 44:
                return 244;
        case 45:
                return 72;
        case 46:
                return 105;
        case 47:
                return 11;
        default:
                return 1;
        }
}

KERNEL(switchconst, 1024 * 1024)
{
        const u8 *p = ctx;
        u64 acc = 0;

        for (u64 i = 0; i < size; i++)
                acc = acc * 31 + weight(p[i] & 63);
        return acc;
}
