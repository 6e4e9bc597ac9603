# bpf_aot_add_object(): eBPF C sources (or eBPF objects) → a static library of
# native code, built as one ordinary step of a CMake project.
#
#   bpf_aot_add_object(<target>
#     SOURCES <x.bpf.c>... | OBJECTS <x.bpf.o>...
#     [INCLUDE_DIRECTORIES <dir>...] [COMPILE_DEFINITIONS <def>...] [CLANG_FLAGS <flag>...]
#     [OPT_LEVEL 0-3] [CPU <name>|native] [SKELETON] [INSTANCES] [SANDBOX]
#     [DEBUG_INFO ON|OFF] [OUTPUT_DIRECTORY <dir>])
#
# Each x.bpf.c is compiled by clang (with -D__TARGET_ARCH_<arch>) to the eBPF
# object x.bpf.o, which `bpf-aot build --skeleton` turns into x.aot.o (every
# program <p> as x__<p>(ctx, ctx_size), x as a C identifier: my-prog gives
# my_prog__<p>) and x.aot.h. <target> is a static library of the
# x.aot.o objects that links the runtime; with SKELETON its users also get
# the directory of the x.aot.h headers on their include path; INSTANCES builds
# them with --instances (each open of a skeleton is an instance). DEBUG_INFO
# (default ON, unless CLANG_FLAGS ends the .bpf.c's -g with -g0) builds with
# bpf-aot -g: DWARF line tables from the objects' line info, so that gdb, perf
# and addr2line show .bpf.c file:line. See README.md,
# "Using bpf-aot in your build".
#
# Cache variables: BPF_AOT_CLANG (the clang for -target bpf), BPF_AOT_EXECUTABLE
# (a bpf-aot to run instead of the BpfAot::bpf-aot target, e.g. the build host's
# in a cross build), BPF_AOT_TARGET (the triple of the native code; default: the
# host, or in a cross build the toolchain's target).
include_guard(GLOBAL)

if(CMAKE_VERSION VERSION_LESS 3.20)
  # add_custom_command(DEPFILE) with the Makefile generators needs 3.20.
  message(FATAL_ERROR "bpf_aot_add_object needs CMake 3.20 or newer")
endif()

set(BPF_AOT_EXECUTABLE "" CACHE FILEPATH
    "bpf-aot to run (empty: the BpfAot::bpf-aot target)")
set(BPF_AOT_TARGET "" CACHE STRING
    "target triple for bpf-aot (empty: the host, or the toolchain's target when cross-compiling)")

# clang's own search list: -target bpf leaves out the host's multiarch directory
# (asm/types.h, needed by linux/bpf.h), so it is passed on with -idirafter.
function(_bpf_aot_system_includes clang out)
  if(DEFINED _BPF_AOT_SYSINC_${clang})
    set(${out} "${_BPF_AOT_SYSINC_${clang}}" PARENT_SCOPE)
    return()
  endif()
  execute_process(COMMAND "${clang}" -v -E -x c -
                  INPUT_FILE /dev/null OUTPUT_QUIET ERROR_VARIABLE _log RESULT_VARIABLE _rc)
  set(_dirs "")
  set(_in OFF)
  string(REPLACE "\n" ";" _lines "${_log}")
  foreach(_l IN LISTS _lines)
    if(_l MATCHES "^#include <\\.\\.\\.> search starts here:")
      set(_in ON)
    elseif(_l MATCHES "^End of search list")
      set(_in OFF)
    elseif(_in)
      string(STRIP "${_l}" _d)
      if(IS_DIRECTORY "${_d}")
        list(APPEND _dirs "${_d}")
      endif()
    endif()
  endforeach()
  # libbpf's headers (bpf/bpf_helpers.h) when they are not under one of those.
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_get_variable(_libbpf_inc libbpf includedir)
  endif()
  find_path(BPF_AOT_LIBBPF_INCLUDE_DIR bpf/bpf_helpers.h HINTS ${_libbpf_inc}
            DOC "directory holding libbpf's bpf/bpf_helpers.h")
  if(BPF_AOT_LIBBPF_INCLUDE_DIR AND NOT BPF_AOT_LIBBPF_INCLUDE_DIR IN_LIST _dirs)
    list(APPEND _dirs "${BPF_AOT_LIBBPF_INCLUDE_DIR}")
  endif()
  set(_BPF_AOT_SYSINC_${clang} "${_dirs}" CACHE INTERNAL "")
  set(${out} "${_dirs}" PARENT_SCOPE)
endfunction()

# The triple of the native code: BPF_AOT_TARGET, else the host's (empty) unless
# cross-compiling, then the toolchain's.
function(_bpf_aot_triple out)
  set(_t "${BPF_AOT_TARGET}")
  if(NOT _t AND CMAKE_CROSSCOMPILING)
    if(CMAKE_C_COMPILER_TARGET)
      set(_t "${CMAKE_C_COMPILER_TARGET}")
    elseif(CMAKE_CXX_COMPILER_TARGET)
      set(_t "${CMAKE_CXX_COMPILER_TARGET}")
    elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
      set(_t "aarch64-linux-gnu")
    elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|amd64|AMD64)$")
      set(_t "x86_64-linux-gnu")
    elseif(CMAKE_LIBRARY_ARCHITECTURE)
      set(_t "${CMAKE_LIBRARY_ARCHITECTURE}")
    else()
      message(FATAL_ERROR "bpf_aot_add_object: cannot tell the target triple of this cross "
                          "build; set BPF_AOT_TARGET")
    endif()
  endif()
  set(${out} "${_t}" PARENT_SCOPE)
endfunction()

# libbpf's name of the native code's architecture, for -D__TARGET_ARCH_<arch>
# (bpf_tracing.h's PT_REGS_* macros), mapped as libbpf-bootstrap maps `uname -m`:
# from the triple's first part, else the processor the build is for.
function(_bpf_aot_target_arch triple out)
  set(_m "${CMAKE_SYSTEM_PROCESSOR}")
  if(triple)
    string(REGEX REPLACE "-.*" "" _m "${triple}")
  endif()
  string(TOLOWER "${_m}" _m)
  set(_arch "${_m}")
  foreach(_map "^(x86_64|amd64|i[3-6]86|x86)$=x86" "^(aarch64|arm64)$=arm64" "^arm.*=arm"
                "^(ppc64le|ppc64|powerpc.*)$=powerpc" "^mips.*=mips" "^riscv.*=riscv"
                "^loongarch.*=loongarch" "^s390x?$=s390")
    string(REPLACE "=" ";" _map "${_map}")
    list(GET _map 0 _re)
    list(GET _map 1 _name)
    if(_m MATCHES "${_re}")
      set(_arch "${_name}")
      break()
    endif()
  endforeach()
  set(${out} "${_arch}" PARENT_SCOPE)
endfunction()

# The bpf-aot to run: the command word and what the custom command depends on.
function(_bpf_aot_tool out_cmd out_dep)
  if(BPF_AOT_EXECUTABLE)
    set(${out_cmd} "${BPF_AOT_EXECUTABLE}" PARENT_SCOPE)
    set(${out_dep} "${BPF_AOT_EXECUTABLE}" PARENT_SCOPE)
    return()
  endif()
  if(NOT TARGET BpfAot::bpf-aot)
    message(FATAL_ERROR "bpf_aot_add_object: no bpf-aot: add_subdirectory() bpf-aot, "
                        "find_package(BpfAot), or set BPF_AOT_EXECUTABLE")
  endif()
  get_target_property(_real BpfAot::bpf-aot ALIASED_TARGET)
  if(_real)
    # Built here: naming the target gives both the target-level and the
    # file-level dependency (the objects are rebuilt when bpf-aot changes).
    set(${out_cmd} "${_real}" PARENT_SCOPE)
    set(${out_dep} "${_real}" PARENT_SCOPE)
  else()
    if(CMAKE_CROSSCOMPILING)
      message(STATUS "bpf_aot_add_object: running the imported BpfAot::bpf-aot; in a cross "
                     "build it must be the build host's (else set BPF_AOT_EXECUTABLE)")
    endif()
    set(${out_cmd} "BpfAot::bpf-aot" PARENT_SCOPE)
    set(${out_dep} "$<TARGET_FILE:BpfAot::bpf-aot>" PARENT_SCOPE)
  endif()
endfunction()

function(bpf_aot_add_object target)
  cmake_parse_arguments(PARSE_ARGV 1 A "SKELETON;INSTANCES;SANDBOX"
    "OPT_LEVEL;CPU;OUTPUT_DIRECTORY;DEBUG_INFO"
    "SOURCES;OBJECTS;INCLUDE_DIRECTORIES;COMPILE_DEFINITIONS;CLANG_FLAGS")
  if(A_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "bpf_aot_add_object(${target}): unknown arguments: ${A_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT A_SOURCES AND NOT A_OBJECTS)
    message(FATAL_ERROR "bpf_aot_add_object(${target}): give SOURCES or OBJECTS")
  endif()
  if(NOT DEFINED A_OPT_LEVEL)
    set(A_OPT_LEVEL 2)
  elseif(NOT A_OPT_LEVEL MATCHES "^[0-3]$")
    message(FATAL_ERROR "bpf_aot_add_object(${target}): OPT_LEVEL must be 0..3, not '${A_OPT_LEVEL}'")
  endif()
  if(NOT A_OUTPUT_DIRECTORY)
    set(A_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/${target}.bpf-aot")
  endif()
  get_filename_component(_out "${A_OUTPUT_DIRECTORY}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  file(MAKE_DIRECTORY "${_out}")

  _bpf_aot_tool(_aot _aot_dep)
  _bpf_aot_triple(_triple)
  set(_aot_args build --skeleton -O ${A_OPT_LEVEL})
  if(_triple)
    list(APPEND _aot_args --target ${_triple})
  endif()
  if(A_CPU)
    list(APPEND _aot_args --cpu ${A_CPU})
  endif()
  if(A_INSTANCES)
    list(APPEND _aot_args --instances)
  endif()
  if(A_SANDBOX)
    list(APPEND _aot_args --sandbox)
  endif()
  # The .bpf.c sources are built with -g (below): their line info becomes DWARF.
  if(NOT DEFINED A_DEBUG_INFO)
    set(A_DEBUG_INFO ON)
    set(_last_g "")
    foreach(_f IN LISTS A_CLANG_FLAGS)
      if(_f MATCHES "^-g")
        set(_last_g "${_f}")
      endif()
    endforeach()
    if(_last_g STREQUAL "-g0")
      set(A_DEBUG_INFO OFF)
    endif()
  endif()
  if(A_DEBUG_INFO)
    list(APPEND _aot_args -g)
  endif()

  if(A_SOURCES)
    find_program(BPF_AOT_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14
                 DOC "clang used to compile eBPF C sources (-target bpf)")
    if(NOT BPF_AOT_CLANG)
      message(FATAL_ERROR "bpf_aot_add_object: clang not found; set BPF_AOT_CLANG")
    endif()
    _bpf_aot_system_includes("${BPF_AOT_CLANG}" _sysinc)
    # The eBPF object's byte order follows the target's.
    set(_bpf_arch bpf)
    if(CMAKE_C_BYTE_ORDER STREQUAL "LITTLE_ENDIAN" OR CMAKE_CXX_BYTE_ORDER STREQUAL "LITTLE_ENDIAN")
      set(_bpf_arch bpfel)
    elseif(CMAKE_C_BYTE_ORDER STREQUAL "BIG_ENDIAN" OR CMAKE_CXX_BYTE_ORDER STREQUAL "BIG_ENDIAN")
      set(_bpf_arch bpfeb)
    endif()
    # -g: the BTF that typed skeletons and BTF-defined maps come from.
    _bpf_aot_target_arch("${_triple}" _target_arch)
    set(_cflags -target ${_bpf_arch} -O2 -g -D__TARGET_ARCH_${_target_arch})
    foreach(_d IN LISTS A_INCLUDE_DIRECTORIES)
      get_filename_component(_d "${_d}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      list(APPEND _cflags "-I${_d}")
    endforeach()
    foreach(_d IN LISTS A_COMPILE_DEFINITIONS)
      list(APPEND _cflags "-D${_d}")
    endforeach()
    foreach(_d IN LISTS _sysinc)
      list(APPEND _cflags -idirafter "${_d}")
    endforeach()
    list(APPEND _cflags ${A_CLANG_FLAGS})
  endif()

  set(_inputs "")
  set(_names "")
  foreach(_src IN LISTS A_SOURCES)
    get_filename_component(_src "${_src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    get_filename_component(_file "${_src}" NAME)
    string(REGEX REPLACE "(\\.bpf)?\\.c$" "" _name "${_file}")
    set(_bpfo "${_out}/${_name}.bpf.o")
    # Absolute paths in the depfile: right whatever the policies of the caller.
    cmake_policy(PUSH)
    cmake_policy(SET CMP0116 NEW)
    add_custom_command(
      OUTPUT "${_bpfo}"
      COMMAND "${BPF_AOT_CLANG}" ${_cflags} -MD -MF "${_bpfo}.d" -MT "${_bpfo}"
              -c "${_src}" -o "${_bpfo}"
      DEPENDS "${_src}"
      DEPFILE "${_bpfo}.d"
      COMMENT "Compiling eBPF ${_file}"
      VERBATIM)
    cmake_policy(POP)
    list(APPEND _inputs "${_bpfo}")
  endforeach()
  foreach(_obj IN LISTS A_OBJECTS)
    get_filename_component(_obj "${_obj}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND _inputs "${_obj}")
  endforeach()

  set(_aot_objs "")
  set(_headers "")
  foreach(_in IN LISTS _inputs)
    get_filename_component(_file "${_in}" NAME)
    # bpf-aot's naming: files keep the file name without .bpf.o (or .o), the
    # symbols take it as a C identifier (my-prog.bpf.o: my-prog.aot.o, my_prog__<prog>).
    string(REGEX REPLACE "(\\.bpf)?\\.o$" "" _name "${_file}")
    string(MAKE_C_IDENTIFIER "${_name}" _ident)
    if(_ident IN_LIST _names)
      message(FATAL_ERROR "bpf_aot_add_object(${target}): two inputs named '${_ident}' "
                          "(their symbols would clash)")
    endif()
    list(APPEND _names "${_ident}")
    set(_o "${_out}/${_name}.aot.o")
    set(_h "${_out}/${_name}.aot.h")
    add_custom_command(
      OUTPUT "${_o}" "${_h}"
      COMMAND ${_aot} ${_aot_args} "${_in}" -o "${_out}"
      DEPENDS "${_in}" "${_aot_dep}"
      COMMENT "Compiling ${_file} ahead of time"
      VERBATIM)
    list(APPEND _aot_objs "${_o}")
    list(APPEND _headers "${_h}")
  endforeach()
  set_source_files_properties(${_aot_objs} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  set_source_files_properties(${_headers} PROPERTIES HEADER_FILE_ONLY TRUE GENERATED TRUE)

  add_library(${target} STATIC ${_aot_objs} ${_headers})
  # Nothing is compiled here; the archiver rule comes from an enabled language.
  get_property(_langs GLOBAL PROPERTY ENABLED_LANGUAGES)
  if("C" IN_LIST _langs)
    set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
  else()
    set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
  endif()
  set_target_properties(${target} PROPERTIES
    BPF_AOT_OUTPUT_DIRECTORY "${_out}"
    BPF_AOT_HEADERS "${_headers}")
  # Compiled programs call the runtime's helpers; skeletons create maps with it.
  if(TARGET BpfAot::runtime)
    target_link_libraries(${target} PUBLIC BpfAot::runtime)
  else()
    message(WARNING "bpf_aot_add_object(${target}): no BpfAot::runtime target; "
                    "link a runtime built for this target yourself")
  endif()
  if(A_SKELETON)
    target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${_out}>")
  endif()
endfunction()
