/* SPDX-License-Identifier: MIT */
/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), one bit at a time. */
#include "kernel.h"

KERNEL(crc32, 256 * 1024)
{
        const u8 *p = ctx;
        u32 crc = 0xffffffffu;

        for (u64 i = 0; i < size; i++) {
                crc ^= p[i];
                for (int k = 0; k < 8; k++)
                        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
        }
        return ~crc;
}
