// SPDX-License-Identifier: MIT
/*
 * Programs in .text: no program section at all, as older toolchains and the
 * bpf_conformance runner write objects. The two global functions are the
 * programs, named by their symbols; the static function both call stays a
 * sub-program; `runs` (.bss) is the object's global data. With
 * -DTEXT_STATIC the programs are static too: then .text has no program.
 */
typedef unsigned long long u64;

#ifdef TEXT_STATIC
#define PROGRAM static __attribute__((used, noinline))
#else
#define PROGRAM
#endif

u64 runs;

static __attribute__((noinline)) u64 weigh(const unsigned char *data, u64 size, u64 k)
{
        u64 acc = 0;

        for (u64 i = 0; i < size; i++)
                acc = acc * k + data[i];
        return acc;
}

/* The bytes as digits of base 3. */
PROGRAM u64 text_first(const unsigned char *data, u64 size)
{
        runs++;
        return weigh(data, size, 3);
}

/* The bytes as digits of base 5, plus 1000 for each run of either program so far. */
PROGRAM u64 text_second(const unsigned char *data, u64 size)
{
        runs++;
        return weigh(data, size, 5) + 1000 * runs;
}
