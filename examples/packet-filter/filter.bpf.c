// SPDX-License-Identifier: MIT
/*
 * An XDP-style packet filter: parses Ethernet / IPv4 / TCP from the packet
 * bytes (r1 = data, r2 = length), counts what it sees in an array map and
 * drops TCP packets to a blocked port, which the host sets in .data.
 */
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

enum { XDP_DROP = 1, XDP_PASS = 2 };
enum { C_PACKETS, C_IPV4, C_TCP, C_UDP, C_DROPPED, C_MAX };

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, C_MAX);
        __type(key, u32);
        __type(value, u64);
} counters SEC(".maps");

u16 blocked_port = 23; /* .data: the host may change it */

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

static void count(u32 what)
{
        u64 *n = bpf_map_lookup_elem(&counters, &what);
        if (n)
                __sync_fetch_and_add(n, 1);
}

static u16 be16(const u8 *p)
{
        return (u16)(p[0] << 8 | p[1]);
}

SEC("xdp") int filter(const u8 *data, u64 len)
{
        const u8 *ip, *l4;
        u32 ihl;

        count(C_PACKETS);
        if (len < 14 || be16(data + 12) != 0x0800) /* Ethernet, IPv4 only */
                return XDP_PASS;
        ip = data + 14;
        if (len < 14 + 20 || (ip[0] >> 4) != 4)
                return XDP_PASS;
        count(C_IPV4);
        ihl = (ip[0] & 15) * 4u;
        if (ihl < 20 || len < 14 + ihl + 4)
                return XDP_PASS;
        l4 = ip + ihl;
        if (ip[9] == 17) {
                count(C_UDP);
                return XDP_PASS;
        }
        if (ip[9] != 6)
                return XDP_PASS;
        count(C_TCP);
        if (be16(l4 + 2) == blocked_port) {
                count(C_DROPPED);
                return XDP_DROP;
        }
        return XDP_PASS;
}
