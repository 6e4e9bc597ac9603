# Finds LLVM (C API only), libbpf, libelf and zlib, and defines the imported
# target bpfaot::llvm. Selecting an LLVM version: -DBPF_AOT_LLVM_VERSION=19.
if(BPF_AOT_LLVM_VERSION)
  # No version in find_package: LLVM's version file wants the exact minor too.
  find_package(LLVM REQUIRED CONFIG NO_DEFAULT_PATH
               PATHS /usr/lib/llvm-${BPF_AOT_LLVM_VERSION}/lib/cmake/llvm
                     /usr/lib/llvm${BPF_AOT_LLVM_VERSION}/lib/cmake/llvm
                     ${LLVM_DIR})
  if(NOT LLVM_VERSION_MAJOR STREQUAL BPF_AOT_LLVM_VERSION)
    message(FATAL_ERROR "asked for LLVM ${BPF_AOT_LLVM_VERSION}, found ${LLVM_PACKAGE_VERSION}")
  endif()
else()
  find_package(LLVM REQUIRED CONFIG)
endif()
if(LLVM_VERSION_MAJOR LESS 14)
  message(FATAL_ERROR "bpf-aot needs LLVM 14 or newer (found ${LLVM_PACKAGE_VERSION})")
endif()
message(STATUS "bpf-aot: LLVM ${LLVM_PACKAGE_VERSION} from ${LLVM_DIR}")

add_library(bpfaot_llvm INTERFACE)
target_include_directories(bpfaot_llvm SYSTEM INTERFACE ${LLVM_INCLUDE_DIRS})
if(TARGET LLVM)
  # The shared libLLVM keeps links fast and the binaries small.
  target_link_libraries(bpfaot_llvm INTERFACE LLVM)
else()
  llvm_map_components_to_libnames(_bpfaot_llvm_libs
    core analysis passes target bitwriter bitreader linker transformutils irreader orcjit
    executionengine
    x86 aarch64 riscv native)
  target_link_libraries(bpfaot_llvm INTERFACE ${_bpfaot_llvm_libs})
endif()
set(BPF_AOT_LLVM_BINDIR ${LLVM_TOOLS_BINARY_DIR})

find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
pkg_check_modules(LIBELF REQUIRED IMPORTED_TARGET libelf)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
