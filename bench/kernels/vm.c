/* SPDX-License-Identifier: MIT */
/*
 * Switch-heavy: a tiny accumulator VM whose bytecode is the input. The low
 * four bits of each byte select one of 16 operations (a dense switch), the
 * high bits are an operand; one operation reads an immediate byte and one
 * skips the next instruction, so the dispatch is unpredictable.
 */
#include "kernel.h"

KERNEL(vm, 512 * 1024)
{
        const u8 *code = ctx;
        u64 acc = 0, x = 0x12345678, y = 0x9abcdef0;
        u64 regs[8] = {0};
        u64 pc = 0;

        while (pc < size) {
                u8 op = code[pc++];
                switch (op & 15) {
                case 0:
                        acc += x;
                        break;
                case 1:
                        acc -= y;
                        break;
                case 2:
                        acc ^= acc >> 7;
                        break;
                case 3:
                        acc *= 0x9e3779b97f4a7c15ull;
                        break;
                case 4:
                        x = acc;
                        break;
                case 5:
                        y = x + acc;
                        break;
                case 6:
                        regs[(op >> 4) & 7] = acc;
                        break;
                case 7:
                        acc += regs[(op >> 4) & 7];
                        break;
                case 8:
                        acc = rotl64(acc, 13);
                        break;
                case 9:
                        if (pc < size)
                                acc += code[pc++];
                        break;
                case 10:
                        if (acc & 1)
                                pc++;
                        break;
                case 11:
                        x ^= y;
                        y += 0x1234;
                        break;
                case 12:
                        acc = ~acc;
                        break;
                case 13:
                        x = x * 5 + 1;
                        break;
                case 14:
                        y = (y >> 3) ^ acc;
                        break;
                default:
                        acc += pc ^ (op >> 4);
                        break;
                }
        }
        for (int i = 0; i < 8; i++)
                acc ^= rotl64(regs[i], (unsigned)i * 8);
        return acc ^ x ^ y;
}
