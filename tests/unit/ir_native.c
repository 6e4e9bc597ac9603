/* SPDX-License-Identifier: MIT */
#include "ir_native.h"
#include "emit.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/IRReader.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The module made to the target machine's triple and data layout, as the compiler's are. */
static void set_target(LLVMModuleRef mod, LLVMTargetMachineRef tm)
{
        char *triple = LLVMGetTargetMachineTriple(tm);
        LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);

        LLVMSetTarget(mod, triple);
        LLVMDisposeMessage(triple);
        LLVMSetModuleDataLayout(mod, td);
        LLVMDisposeTargetData(td);
}

static bool invalid(LLVMModuleRef mod, const char *name, const char *when)
{
        char *msg = NULL;
        bool bad = LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg);

        if (bad)
                fprintf(stderr, "%s: invalid IR %s: %s\n", name, when, msg);
        LLVMDisposeMessage(msg);
        return bad;
}

int ir_native_build(const char *name, const char *ir, ir_native_transform transform, void *arg,
                    const char *fn_name, struct bpfaot_jit **jit, void **fn)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, o);
        struct bpfaot_error err = {0};
        struct bpfaot_buf obj = {0};
        LLVMContextRef ctx = LLVMContextCreate();
        LLVMMemoryBufferRef mb = LLVMCreateMemoryBufferWithMemoryRangeCopy(ir, strlen(ir), name);
        LLVMTargetMachineRef tm = NULL;
        LLVMModuleRef mod = NULL;
        char *msg = NULL;
        int ret = -1;

        *jit = NULL;
        *fn = NULL;
        if (LLVMParseIRInContext(ctx, mb, &mod, &msg)) {
                fprintf(stderr, "%s: IR does not parse: %s\n", name, msg);
                LLVMDisposeMessage(msg);
                goto done;
        }
        if (invalid(mod, name, "as written"))
                goto done;
        if (emit_target_machine(&o, 2, &tm, &err)) {
                fprintf(stderr, "%s: %s\n", name, err.msg);
                goto done;
        }
        set_target(mod, tm);
        if (transform && (transform(mod, tm, arg) || invalid(mod, name, "after the transform")))
                goto done;
        if (emit_output(mod, tm, NULL, BPFAOT_OUTPUT_OBJECT, &obj, &err) ||
            bpfaot_jit__load(obj.data, obj.len, name, NULL, jit, &err) ||
            !(*fn = bpfaot_jit__lookup(*jit, fn_name, &err))) {
                fprintf(stderr, "%s: %s\n", name, err.msg);
                goto done;
        }
        ret = 0;
done:
        bpfaot_buf_free(&obj);
        if (mod)
                LLVMDisposeModule(mod);
        if (tm)
                LLVMDisposeTargetMachine(tm);
        LLVMContextDispose(ctx);
        if (ret && *jit) {
                bpfaot_jit__free(*jit);
                *jit = NULL;
        }
        return ret;
}

int ir_native_build_pair(const char *name, const char *ir, ir_native_transform transform, void *arg,
                         const char *fn_name, struct ir_native_pair *out)
{
        memset(out, 0, sizeof(*out));
        if (ir_native_build(name, ir, NULL, NULL, fn_name, &out->plain_jit, &out->plain))
                return -1;
        if (ir_native_build(name, ir, transform, arg, fn_name, &out->jit, &out->fn)) {
                ir_native_pair_free(out);
                return -1;
        }
        return 0;
}

void ir_native_pair_free(struct ir_native_pair *pair)
{
        bpfaot_jit__free(pair->plain_jit);
        bpfaot_jit__free(pair->jit);
        memset(pair, 0, sizeof(*pair));
}

int ir_native_differ_xy(const char *name, const struct ir_native_pair *pair)
{
        static const uint64_t args[][2] = {{0, 0}, {1, 2}, {7, 3}, {~0ull, 5}, {1000, 1000}};
        int differ = 0;

        for (size_t k = 0; k < sizeof(args) / sizeof(args[0]); k++) {
                uint64_t want = ((ir_native_xy_fn)pair->plain)(args[k][0], args[k][1]);
                uint64_t got = ((ir_native_xy_fn)pair->fn)(args[k][0], args[k][1]);

                if (got != want) {
                        fprintf(stderr,
                                "%s: f(%" PRIu64 ", %" PRIu64 ") = %" PRIu64
                                " transformed, %" PRIu64 " as written\n",
                                name, args[k][0], args[k][1], got, want);
                        differ++;
                }
        }
        return differ;
}
