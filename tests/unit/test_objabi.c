/* SPDX-License-Identifier: MIT */
/*
 * The object ABI (bpfaot/objabi.h, compiler/src/objabi.c): the LLVM types the
 * compiler makes from the field tables lay the descriptors out as the C
 * compiler lays out the structs the runtime reads, field by field, on the
 * data layouts of x86_64 and aarch64; constants put each value in its field;
 * the maps' definitions (bpfaot_prog__map_defs) are what the runtime creates.
 */
#include "test_util.h"

#include "bpfaot/maps.h"
#include "llvm_compat.h"
#include "objabi.h"

#include <linux/bpf.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <stdlib.h>

/* What the C compiler made of each struct of objabi.h. */
struct c_field {
        const char *name;
        size_t offset, size;
};
struct c_struct {
        const char *name;
        const struct c_field *fields;
        unsigned field_cnt;
        size_t size;
};

#define C_FIELD(s, f, cls, off) {#f, offsetof(struct s, f), sizeof(((struct s *)0)->f)},
#define C_FIELDS(s, NAME)                                                                          \
        static const struct c_field s##_c[] = {BPFAOT_ABI_##NAME##_FIELDS(C_FIELD)};
BPFAOT_ABI_STRUCTS(C_FIELDS)
#define C_STRUCT(s, NAME)                                                                          \
        [OBJABI_##NAME] = {#s, s##_c, sizeof(s##_c) / sizeof(s##_c[0]), sizeof(struct s)},
static const struct c_struct c_structs[OBJABI_STRUCT_CNT] = {BPFAOT_ABI_STRUCTS(C_STRUCT)};

static LLVMTargetDataRef target_data(const char *triple)
{
        LLVMTargetMachineRef tm;
        LLVMTargetDataRef td;
        LLVMTargetRef target;
        char *msg = NULL;

        if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
                CHECKF(0, "%s: %s", triple, msg ? msg : "no target");
                LLVMDisposeMessage(msg);
                return NULL;
        }
        tm = LLVMCreateTargetMachine(target, triple, "", "", LLVMCodeGenLevelNone, LLVMRelocPIC,
                                     LLVMCodeModelDefault);
        td = LLVMCreateTargetDataLayout(tm);
        LLVMDisposeTargetMachine(tm);
        return td;
}

static void check_layouts(const char *triple)
{
        LLVMTargetDataRef td = target_data(triple);
        LLVMContextRef ctx = LLVMContextCreate();

        for (int s = 0; td && s < OBJABI_STRUCT_CNT; s++) {
                const struct c_struct *c = &c_structs[s];
                const struct objabi_layout *l = objabi_layout(s);
                LLVMTypeRef ty = objabi_type(ctx, s);

                CHECK_STR_EQ(l->name, c->name);
                CHECK(objabi_type(ctx, s) == ty); /* one type per context */
                CHECKF(LLVMCountStructElementTypes(ty) == c->field_cnt, "%s: %s", triple, c->name);
                CHECKF(LLVMABISizeOfType(td, ty) == c->size, "%s: sizeof(struct %s): %llu, C %zu",
                       triple, c->name, (unsigned long long)LLVMABISizeOfType(td, ty), c->size);
                CHECK_EQ(l->size, c->size);
                for (unsigned i = 0; i < c->field_cnt && i < l->field_cnt; i++) {
                        const struct c_field *f = &c->fields[i];
                        LLVMTypeRef fty = LLVMStructGetTypeAtIndex(ty, i);

                        CHECK_STR_EQ(l->fields[i].name, f->name);
                        CHECKF(LLVMOffsetOfElement(td, ty, i) == f->offset,
                               "%s: struct %s: %s at %llu, C %zu", triple, c->name, f->name,
                               (unsigned long long)LLVMOffsetOfElement(td, ty, i), f->offset);
                        CHECKF(LLVMABISizeOfType(td, fty) == f->size,
                               "%s: struct %s: %s is %llu bytes, C %zu", triple, c->name, f->name,
                               (unsigned long long)LLVMABISizeOfType(td, fty), f->size);
                }
        }
        LLVMContextDispose(ctx);
        if (td)
                LLVMDisposeTargetData(td);
}

static uint64_t const_field(LLVMValueRef c, unsigned i)
{
        return LLVMConstIntGetZExtValue(LLVMGetOperand(c, i));
}

/* Integers come from the C struct, pointers from the caller, each in its own field. */
static void check_consts(void)
{
        LLVMContextRef ctx = LLVMContextCreate();
        LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("t", ctx);
        LLVMValueRef g = LLVMAddGlobal(mod, LLVMInt32TypeInContext(ctx), "g");
        const struct bpfaot_map_def d = {.type = 1,
                                         .key_size = 2,
                                         .value_size = 3,
                                         .max_entries = 4,
                                         .map_flags = 5,
                                         .init_size = 0x100000006ull};
        LLVMValueRef ptrs[OBJABI_MAP_DEF_FIELD_CNT] = {[OBJABI_bpfaot_map_def__inner] = g};
        LLVMValueRef c = objabi_const(ctx, OBJABI_MAP_DEF, &d, ptrs);
        const struct bpfaot_prog_def p = {.abi_version = BPFAOT_OBJ_ABI_VERSION};
        LLVMValueRef pc = objabi_const(ctx, OBJABI_PROG_DEF, &p, NULL);

        CHECK(LLVMTypeOf(c) == objabi_type(ctx, OBJABI_MAP_DEF));
        CHECK_EQ(const_field(c, OBJABI_bpfaot_map_def__type), 1);
        CHECK_EQ(const_field(c, OBJABI_bpfaot_map_def__key_size), 2);
        CHECK_EQ(const_field(c, OBJABI_bpfaot_map_def__value_size), 3);
        CHECK_EQ(const_field(c, OBJABI_bpfaot_map_def__max_entries), 4);
        CHECK_EQ(const_field(c, OBJABI_bpfaot_map_def__map_flags), 5);
        CHECK_EQ(const_field(c, OBJABI_bpfaot_map_def__init_size), 0x100000006ull);
        CHECK(LLVMIsNull(LLVMGetOperand(c, OBJABI_bpfaot_map_def__name)));
        CHECK(LLVMIsNull(LLVMGetOperand(c, OBJABI_bpfaot_map_def__init_value)));
        CHECK(!LLVMIsNull(LLVMGetOperand(c, OBJABI_bpfaot_map_def__inner)));
        CHECK_EQ(const_field(pc, OBJABI_bpfaot_prog_def__abi_version), BPFAOT_OBJ_ABI_VERSION);
        CHECK(LLVMIsNull(LLVMGetOperand(pc, OBJABI_bpfaot_prog_def__fn)));
        LLVMDisposeModule(mod);
        LLVMContextDispose(ctx);
}

static void check_names(void)
{
        char *s = objabi_symbol("obj", BPFAOT_SYM_MAP_DEFS);
        char *e = objabi_prog_entry("obj", "count");

        CHECK_STR_EQ(s, "obj__map_defs");
        CHECK_STR_EQ(e, "obj__count");
        free(s);
        free(e);
}

/*
 * The definitions the interpreter's maps are created from, which the
 * compiler's <obj>__map_defs holds too: a map of maps with its template and
 * its inner maps by index + 1, a PROG_ARRAY empty (its programs are native).
 */
static void check_map_defs(void)
{
        struct bpfaot_map_desc inner = {.name = "tmpl",
                                        .type = BPF_MAP_TYPE_ARRAY,
                                        .key_size = 4,
                                        .value_size = 8,
                                        .max_entries = 2};
        struct bpfaot_map_init outer_inits[] = {{.slot = 0, .map = 2}, {.slot = 2, .map = 3}};
        struct bpfaot_map_init prog_inits[] = {{.slot = 1, .prog = "f"}};
        struct bpfaot_map_desc maps[] = {
            {.name = "outer",
             .type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
             .key_size = 4,
             .value_size = 4,
             .max_entries = 4,
             .inner = &inner,
             .inits = outer_inits,
             .init_cnt = 2},
            {.name = "jumps",
             .type = BPF_MAP_TYPE_PROG_ARRAY,
             .key_size = 4,
             .value_size = 4,
             .max_entries = 4,
             .inits = prog_inits,
             .init_cnt = 1},
            {.name = "a",
             .type = BPF_MAP_TYPE_ARRAY,
             .key_size = 4,
             .value_size = 8,
             .max_entries = 2},
            {.name = "b",
             .type = BPF_MAP_TYPE_ARRAY,
             .key_size = 4,
             .value_size = 8,
             .max_entries = 2},
        };
        struct bpfaot_prog prog = {.maps = maps, .map_cnt = 4};
        struct bpfaot_error err = {0};
        struct bpfaot_map_def *d = NULL;
        void *slots[4] = {0};
        const uint32_t *refs;

        CHECK_EQ(bpfaot_prog__map_defs(&prog, &d, &err), 0);
        if (!d)
                return;
        CHECK_STR_EQ(d[0].name, "outer");
        CHECK_EQ(d[0].type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
        CHECK(d[0].inner && d[0].inner->type == BPF_MAP_TYPE_ARRAY && !d[0].inner->name);
        CHECK_EQ(d[0].inner->value_size, 8);
        CHECK_EQ(d[0].init_size, 3 * sizeof(uint32_t));
        refs = d[0].init_value;
        CHECK(refs && refs[0] == 3 && refs[1] == 0 && refs[2] == 4);
        CHECK(!d[1].init_value && d[1].init_size == 0 && !d[1].inner);
        CHECK_STR_EQ(d[3].name, "b");
        CHECK(d[3].key_size == 4 && d[3].value_size == 8 && d[3].max_entries == 2);
        CHECK(!d[2].init_value && !d[2].inner);
        CHECK_EQ(bpfaot_maps__create_all(d, 4, slots, NULL), 0);
        if (slots[0]) {
                CHECK(bpfaot_map__lookup_elem(slots[0], &(uint32_t){0}) == slots[2]);
                CHECK(bpfaot_map__lookup_elem(slots[0], &(uint32_t){2}) == slots[3]);
                CHECK(!bpfaot_map__lookup_elem(slots[0], &(uint32_t){1}));
                CHECK(!bpfaot_prog_array__lookup(slots[1], 1));
                bpfaot_maps__free_all(slots, 4);
        }
        free(d);

        prog.map_cnt = 0;
        d = (struct bpfaot_map_def *)&prog; /* must become NULL */
        CHECK_EQ(bpfaot_prog__map_defs(&prog, &d, &err), 0);
        CHECK(d == NULL);
}

static bool has_entry(const struct bpfaot_object_abi *abi, const char *entry)
{
        for (size_t i = 0; i < abi->entry_cnt; i++)
                if (strcmp(abi->entries[i], entry) == 0)
                        return true;
        return false;
}

/* What compiled objects' symbols say: prefix and program entries, as the loader takes them. */
static void check_read_abi(void)
{
        static const struct bpfaot_insn ret0[] = {{.opcode = 0xb7}, {.opcode = 0x95}};
        /* Programs named "prog" and "run": entries obj__prog and obj__run, whose
         * descriptors are obj__prog__prog and obj__run__prog. */
        struct bpfaot_prog progs[2] = {
            {.input = "t", .name = "prog", .insns = ret0, .insn_cnt = 2, .symbol_prefix = "obj"},
            {.input = "t", .name = "run", .insns = ret0, .insn_cnt = 2, .symbol_prefix = "obj"},
        };
        const char *entries[2] = {"obj__prog", "obj__run"};
        struct bpfaot_buf out = {0};
        struct bpfaot_error err = {0};
        struct bpfaot_object_abi abi;
        static const char not_elf[] = "not an object";

        CHECK_EQ(bpfaot_compile_progs(progs, entries, 2, NULL, &out, &err), 0);
        CHECK_EQ(bpfaot_object_read_abi(out.data, out.len, "t.o", &abi, &err), 0);
        CHECK(abi.prefix && strcmp(abi.prefix, "obj") == 0);
        CHECK_EQ(abi.entry_cnt, 2);
        CHECK(has_entry(&abi, "obj__prog") && has_entry(&abi, "obj__run"));
        bpfaot_object_abi__free(&abi);
        bpfaot_object_abi__free(&abi); /* freeing twice is harmless */
        bpfaot_buf_free(&out);

        /* Raw bytecode: no prefix, the one entry bpf_main. */
        progs[0].symbol_prefix = NULL;
        CHECK_EQ(bpfaot_compile(&progs[0], NULL, &out, &err), 0);
        CHECK_EQ(bpfaot_object_read_abi(out.data, out.len, "t.o", &abi, &err), 0);
        CHECK(abi.prefix == NULL);
        CHECK_EQ(abi.entry_cnt, 1);
        CHECK(has_entry(&abi, BPFAOT_DEFAULT_ENTRY));
        bpfaot_object_abi__free(&abi);
        bpfaot_buf_free(&out);

        CHECK(bpfaot_object_read_abi(not_elf, sizeof(not_elf), "t.o", &abi, &err) < 0);
        CHECK_CONTAINS(err.msg, "t.o");
        CHECK(abi.prefix == NULL && abi.entries == NULL);
}

int main(void)
{
        compat_init_targets();
        check_layouts("x86_64-unknown-linux-gnu");
        check_layouts("aarch64-unknown-linux-gnu");
        check_consts();
        check_names();
        check_map_defs();
        check_read_abi();
        return TEST_EXIT("objabi");
}
