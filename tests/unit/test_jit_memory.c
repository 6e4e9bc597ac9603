/* SPDX-License-Identifier: MIT */
/*
 * The JIT's memory for a loaded object (jit.c, jit_memory.h). Where LLJIT
 * links with RuntimeDyld (COMPAT_JIT_REGION), the object's code, data, stubs
 * and GOT lie in one region, within reach of 32-bit displacements; an object
 * too large for that fails to load with a message. Everywhere, programs that
 * call helpers through the GOT load and run a few hundred times. Run with
 * far_mmap.c preloaded ("--far": the test then requires it to be in effect),
 * where any two anonymous mappings lie over 2 GiB apart: a JIT that maps an
 * object's code and data apart crashes on the first helper call.
 */
#include "jit_memory.h"
#include "llvm_compat.h"
#include "test_util.h"
#include "test_prog.h"
#include "test_common.h"
#include "test_native.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define REACH  ((uintptr_t)1 << 31)
#define ROUNDS 300
#define LIVE   4

static void region(void)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE), sz;
        struct jit_region *r;
        uintptr_t lo, hi;
        uint8_t *a, *b;

        CHECK_EQ(jit_region_create((size_t)JIT_REGION_MAX + 1, &r), -E2BIG);
        CHECK(r == NULL);
        if (jit_region_create(3 * page - 1, &r)) {
                CHECK(!"jit_region_create");
                return;
        }
        CHECK_EQ(jit_region_size(r), 3 * page);
        jit_region_used(r, &lo, &hi);
        CHECK_EQ(hi - lo, 0);
        sz = 1;
        a = jit_region_alloc(r, &sz);
        CHECK(a != NULL);
        CHECK_EQ(sz, page);
        sz = page + 1;
        b = jit_region_alloc(r, &sz);
        CHECK_EQ((uintptr_t)b, (uintptr_t)a + page);
        CHECK_EQ(sz, 2 * page);
        if (a && b) {
                a[0] = 1; /* read-write */
                b[2 * page - 1] = 2;
                CHECK(jit_region_contains(r, a, 3 * page));
                CHECK(!jit_region_contains(r, a, 3 * page + 1));
                CHECK(!jit_region_contains(r, a - 1, 1));
        }
        sz = 1;
        errno = 0;
        CHECK(jit_region_alloc(r, &sz) == NULL);
        CHECK_EQ(errno, ENOMEM);
        jit_region_used(r, &lo, &hi);
        CHECK_EQ(lo, (uintptr_t)a);
        CHECK_EQ(hi - lo, 3 * page);
        if (b)
                jit_region_release(r, b, 2 * page);
        jit_region_free(r);
        jit_region_free(NULL);
}

/*
 * r0 = ctx[0] + (the 8 bytes bpf_probe_read copied from ctx + 8) + 0 * ktime:
 * two helpers, both called through the GOT (stubs) under RuntimeDyld.
 */
static const char *const helper_prog = "mov %r6, %r1\n"
                                       "call 5\n" /* bpf_ktime_get_ns */
                                       "mov %r7, %r0\n"
                                       "mul %r7, 0\n"
                                       "mov %r1, %r10\n"
                                       "add %r1, -8\n"
                                       "mov %r2, 8\n"
                                       "mov %r3, %r6\n"
                                       "add %r3, 8\n"
                                       "call 4\n" /* bpf_probe_read(fp - 8, 8, ctx + 8) */
                                       "ldxdw %r0, [%r10-8]\n"
                                       "ldxdw %r1, [%r6+0]\n"
                                       "add %r0, %r1\n"
                                       "add %r0, %r7\n"
                                       "exit\n";

/* Load the program ROUNDS times, LIVE of them loaded at once, at -O0 and -O2, and run each. */
static void loads(void)
{
        struct test_native live[LIVE] = {{0}};
        struct bpfaot_error err = {0};
        struct case_prog t;
        int ranges = 0;

        if (!build(&t, "helpers", helper_prog))
                return;
        for (int i = 0; i < ROUNDS; i++) {
                struct test_native *n = &live[i % LIVE];
                uint64_t ctx[2] = {0x1000u + (uint64_t)i, 0x5a5a0000u * (uint64_t)i};
                uintptr_t lo, hi, entry;
                int ret;

                test_native_free(n);
                if (test_native_build(&t.prog, i % 3 ? 2 : 0, BPFAOT_DEFAULT_STACK_SIZE, 0,
                                      test_rt_resolve, NULL, n, &err)) {
                        CHECKF(false, "load %d: %s", i, err.msg);
                        break;
                }
                CHECK_EQ(n->entry(ctx, sizeof(ctx)), ctx[0] + ctx[1]);
                ret = bpfaot_jit__memory_range(n->jit, &lo, &hi);
                CHECK_EQ(ret, COMPAT_JIT_REGION ? 0 : -ENOTSUP);
                if (ret)
                        continue;
                entry = (uintptr_t)n->entry;
                CHECKF(lo <= entry && entry < hi && hi - lo < REACH,
                       "load %d: entry %#" PRIxPTR ", memory [%#" PRIxPTR ", %#" PRIxPTR ")", i,
                       entry, lo, hi);
                ranges++;
        }
        for (int i = 0; i < LIVE; i++)
                test_native_free(&live[i]);
        CHECK_EQ(ranges, COMPAT_JIT_REGION ? ROUNDS : 0);
        done(&t);
}

/* A relocatable object for this host with one zero-filled section of `size` bytes. */
struct big_obj {
        Elf64_Ehdr eh;
        Elf64_Shdr sh[3];
        char strs[16];
};

static void too_large(void)
{
        BPFAOT_OPTS_INIT(bpfaot_jit_opts, jopts, .resolve = test_rt_resolve);
        static const char strs[16] = "\0.bss\0.shstrtab";
        struct bpfaot_error err = {0};
        struct bpfaot_jit *jit = NULL;
        struct big_obj o = {0};
        int ret;

        memcpy(o.eh.e_ident, ELFMAG, SELFMAG);
        o.eh.e_ident[EI_CLASS] = ELFCLASS64;
        o.eh.e_ident[EI_DATA] = ELFDATA2LSB;
        o.eh.e_ident[EI_VERSION] = EV_CURRENT;
        o.eh.e_type = ET_REL;
#if defined(__x86_64__)
        o.eh.e_machine = EM_X86_64;
#elif defined(__aarch64__)
        o.eh.e_machine = EM_AARCH64;
#else
        o.eh.e_machine = EM_RISCV;
#endif
        o.eh.e_version = EV_CURRENT;
        o.eh.e_ehsize = sizeof(o.eh);
        o.eh.e_shoff = offsetof(struct big_obj, sh);
        o.eh.e_shentsize = sizeof(Elf64_Shdr);
        o.eh.e_shnum = 3;
        o.eh.e_shstrndx = 2;
        memcpy(o.strs, strs, sizeof(strs));
        o.sh[1] = (Elf64_Shdr){.sh_name = 1,
                               .sh_type = SHT_NOBITS,
                               .sh_flags = SHF_ALLOC | SHF_WRITE,
                               .sh_offset = sizeof(o),
                               .sh_size = JIT_REGION_MAX,
                               .sh_addralign = 16};
        o.sh[2] = (Elf64_Shdr){.sh_name = 6,
                               .sh_type = SHT_STRTAB,
                               .sh_offset = offsetof(struct big_obj, strs),
                               .sh_size = sizeof(strs),
                               .sh_addralign = 1};
        ret = bpfaot_jit__load(&o, sizeof(o), "big.o", &jopts, &jit, &err);
        if (!COMPAT_JIT_REGION) {
                /* JITLink places it as it can; only the memory's bounds are this file's concern. */
                bpfaot_jit__free(jit);
                return;
        }
        CHECK_EQ(ret, -E2BIG);
        CHECK(jit == NULL);
        CHECKF(strncmp(err.msg, "big.o: too large to load: ", 26) == 0 && !strchr(err.msg, '\n'),
               "%s", err.msg);
        /* Half of it fits (the bound leaves room for alignment and pages). */
        o.sh[1].sh_size = JIT_REGION_MAX / 2;
        memset(&err, 0, sizeof(err));
        ret = bpfaot_jit__load(&o, sizeof(o), "big.o", &jopts, &jit, &err);
        CHECKF(ret == 0, "%s", err.msg);
        bpfaot_jit__free(jit);
}

/* far_mmap.c in effect: two fresh anonymous mappings lie more than 2 GiB apart. */
static void far_mmap_in_effect(void)
{
        unsigned long (*placed)(void) =
            (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "far_mmap_placed");
        void *a = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        void *b = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        CHECKF(placed != NULL, "run with far_mmap.c preloaded");
        CHECK(a != MAP_FAILED && b != MAP_FAILED);
        CHECK((uintptr_t)a - (uintptr_t)b > REACH && (uintptr_t)b - (uintptr_t)a > REACH);
        if (placed)
                CHECK(placed() >= 2);
        munmap(a, 4096);
        munmap(b, 4096);
}

int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "--far") == 0)
                far_mmap_in_effect();
        region();
        loads();
        too_large();
        return TEST_EXIT("jit_memory");
}
