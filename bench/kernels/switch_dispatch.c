/* SPDX-License-Identifier: MIT */
/*
 * Switch over a 32-bit key read from the input: 64 cases 0..63 that each
 * yield a constant (a permutation of 0..63), and a default for every other
 * key. A quarter of the keys fall outside the cases. Native clang makes the
 * switch a range check and a table load; the eBPF code is a tree of
 * compares over the u32 (32-bit compares with -mcpu=v3).
 */
#include "kernel.h"

INLINE u32 perm(u32 v)
{
        switch (v) {
        case 0:
                return 41;
        case 1:
                return 7;
        case 2:
                return 58;
        case 3:
                return 22;
        case 4:
                return 35;
        case 5:
                return 0;
        case 6:
                return 49;
        case 7:
                return 13;
        case 8:
                return 62;
        case 9:
                return 28;
        case 10:
                return 3;
        case 11:
                return 44;
        case 12:
                return 17;
        case 13:
                return 53;
        case 14:
                return 31;
        case 15:
                return 9;
        case 16:
                return 60;
        case 17:
                return 25;
        case 18:
                return 38;
        case 19:
                return 1;
        case 20:
                return 47;
        case 21:
                return 14;
        case 22:
                return 56;
        case 23:
                return 30;
        case 24:
                return 5;
        case 25:
                return 42;
        case 26:
                return 19;
        case 27:
                return 63;
        case 28:
                return 33;
        case 29:
                return 10;
        case 30:
                return 51;
        case 31:
                return 26;
        case 32:
                return 2;
        case 33:
                return 39;
        case 34:
                return 16;
        case 35:
                return 57;
        case 36:
                return 24;
        case 37:
                return 46;
        case 38:
                return 8;
        case 39:
                return 36;
        case 40:
                return 61;
        case 41:
                return 20;
        case 42:
                return 52;
        case 43:
                return 11;
        case 44:
                return 29;
        case 45:
                return 43;
        case 46:
                return 4;
        case 47:
                return 55;
        case 48:
                return 18;
        case 49:
                return 37;
        case 50:
                return 59;
        case 51:
                return 12;
        case 52:
                return 48;
        case 53:
                return 27;
        case 54:
                return 6;
        case 55:
                return 40;
        case 56:
                return 21;
        case 57:
                return 54;
        case 58:
                return 32;
        case 59:
                return 15;
        case 60:
                return 45;
        case 61:
                return 23;
        case 62:
                return 50;
        case 63:
                return 34;
        default:
                return 1000003;
        }
}

KERNEL(switch_dispatch, 1024 * 1024)
{
        u64 hash = 0;

        for (u64 i = 0; i + 4 <= size; i += 4) {
                u32 w = ld32(ctx, i);
                /* Keys 0..85: three quarters of them cases, the rest the default. */
                hash ^= perm((w & 0xff) % 86);
                hash = rotl64(hash, 5);
        }
        return hash;
}
