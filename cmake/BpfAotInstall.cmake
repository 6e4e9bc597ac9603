# `cmake --install`: the CLI (bpf-aot and bpf-aot-plugin), the libraries (compiler, runtime,
# agent) and their headers, libbpfaot-syscall-server.so, libbpfaot-agent.so, the CMake
# package (find_package(BpfAot CONFIG)), the Make include and a pkg-config
# file for the runtime. Included by the top-level CMakeLists.txt.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(BPF_AOT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/BpfAot")
set(BPF_AOT_INSTALL_DATADIR "${CMAKE_INSTALL_DATADIR}/bpf-aot")

set_target_properties(bpfaot_runtime PROPERTIES EXPORT_NAME runtime)
set_target_properties(bpfaot_llvm PROPERTIES EXPORT_NAME llvm)
set_target_properties(bpfaot_agent PROPERTIES EXPORT_NAME agent)
set_target_properties(bpfaot_uprobe PROPERTIES EXPORT_NAME uprobe)
# The installed tools keep finding the libLLVM they were linked with.
set_target_properties(bpf-aot bpf-aot-plugin PROPERTIES INSTALL_RPATH_USE_LINK_PATH TRUE)
target_include_directories(bpfaot_runtime PUBLIC
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_include_directories(bpfaot PUBLIC
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_include_directories(bpfaot_agent PUBLIC
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

install(TARGETS bpf-aot bpf-aot-plugin bpfaot bpfaot_runtime bpfaot_llvm bpfaot_agent bpfaot_uprobe
        EXPORT BpfAotTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# Preloaded by path (LD_PRELOAD), not linked: outside the CMake package.
install(TARGETS bpfaot_syscall_server bpfaot_agent_preload LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/ ${PROJECT_SOURCE_DIR}/compiler/include/
                  ${PROJECT_SOURCE_DIR}/agent/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(EXPORT BpfAotTargets NAMESPACE BpfAot:: DESTINATION ${BPF_AOT_INSTALL_CMAKEDIR})

# The config re-finds what BpfAot::bpfaot links, with the LLVM it was built with.
set(BPF_AOT_CONFIG_LLVM_VERSION ${LLVM_VERSION_MAJOR})
set(BPF_AOT_CONFIG_LLVM_DIR ${LLVM_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/BpfAotConfig.cmake.in
  ${PROJECT_BINARY_DIR}/BpfAotConfig.cmake
  INSTALL_DESTINATION ${BPF_AOT_INSTALL_CMAKEDIR}
  PATH_VARS BPF_AOT_INSTALL_DATADIR)
# 0.x: minor versions may break the ABI.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/BpfAotConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/BpfAotConfig.cmake
              ${PROJECT_BINARY_DIR}/BpfAotConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/BpfAot.cmake
        DESTINATION ${BPF_AOT_INSTALL_CMAKEDIR})

install(FILES ${PROJECT_SOURCE_DIR}/make/bpf-aot.mk DESTINATION ${BPF_AOT_INSTALL_DATADIR})

# Relocatable: the prefix is found from the .pc file's own directory.
file(RELATIVE_PATH BPF_AOT_PC_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" BPF_AOT_PC_PREFIX "${BPF_AOT_PC_PREFIX}")
set(BPF_AOT_PC_DL "")
foreach(_l IN LISTS CMAKE_DL_LIBS)
  string(APPEND BPF_AOT_PC_DL " -l${_l}")
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/bpf-aot.pc.in ${PROJECT_BINARY_DIR}/bpf-aot.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/bpf-aot.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
