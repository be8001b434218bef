# insn_tests.cmake -- tests of the raw-instruction scanner, patcher and trap
# handler (libshim/insn/insn_*.c, patch/insn_trap.c), included from
# libshim/tests/CMakeLists.txt
if(NOT TARGET PkgConfig::CAPSTONE)
  pkg_check_modules(CAPSTONE REQUIRED IMPORTED_TARGET capstone)
endif()
# insn_capstone.c loads the library these tests also link
add_compile_definitions(PMEMU_CAPSTONE_LIB="${PMEMU_CAPSTONE_REAL}")
set(INSN_DIR ${CMAKE_CURRENT_SOURCE_DIR}/../insn)
set(PATCH_DIR ${CMAKE_CURRENT_SOURCE_DIR}/../patch)
set(VALGRIND_DIR ${CMAKE_CURRENT_SOURCE_DIR}/../valgrind)
# shim_syscall.h: the system calls insn_*.c make themselves
include_directories(${CMAKE_CURRENT_SOURCE_DIR}/../core)

add_executable(test_insn_scan ${CMAKE_CURRENT_SOURCE_DIR}/test_insn_scan.c
  ${INSN_DIR}/insn_scan.c ${INSN_DIR}/insn_decode.c ${INSN_DIR}/insn_capstone.c ${INSN_DIR}/insn_request.c)
target_include_directories(test_insn_scan PRIVATE ${INSN_DIR})
target_link_libraries(test_insn_scan PRIVATE ${CMOCKA_LIB} PkgConfig::CAPSTONE)
add_test(NAME libshim.insn_scan COMMAND test_insn_scan)

# client requests that need no trap
add_executable(test_insn_request
  ${CMAKE_CURRENT_SOURCE_DIR}/test_insn_request.c
  ${INSN_DIR}/insn_scan.c ${INSN_DIR}/insn_decode.c ${INSN_DIR}/insn_capstone.c ${INSN_DIR}/insn_request.c)
target_include_directories(test_insn_request PRIVATE ${INSN_DIR})
target_link_libraries(test_insn_request PRIVATE ${CMOCKA_LIB}
  PkgConfig::CAPSTONE)
add_test(NAME libshim.insn_request COMMAND test_insn_request)

# jumps to trampolines: where they may go, relocation of what they cover
add_executable(test_insn_jump ${CMAKE_CURRENT_SOURCE_DIR}/test_insn_jump.c
  ${INSN_DIR}/insn_scan.c ${INSN_DIR}/insn_decode.c ${INSN_DIR}/insn_capstone.c ${INSN_DIR}/insn_request.c ${INSN_DIR}/insn_jump.c)
target_include_directories(test_insn_jump PRIVATE ${INSN_DIR})
target_link_libraries(test_insn_jump PRIVATE ${CMOCKA_LIB}
  PkgConfig::CAPSTONE)
add_test(NAME libshim.insn_jump COMMAND test_insn_jump)

# the on-disk scan cache
add_executable(test_insn_cache ${CMAKE_CURRENT_SOURCE_DIR}/test_insn_cache.c
  ${INSN_DIR}/insn_cache.c ${INSN_DIR}/insn_scan.c ${INSN_DIR}/insn_decode.c ${INSN_DIR}/insn_capstone.c ${INSN_DIR}/insn_request.c)
target_include_directories(test_insn_cache PRIVATE ${INSN_DIR})
target_link_libraries(test_insn_cache PRIVATE ${CMOCKA_LIB}
  PkgConfig::CAPSTONE)
add_test(NAME libshim.insn_cache COMMAND test_insn_cache)

# the trap handler against doubles of the shim core (shim_ev_*, sites)
add_executable(test_insn_trap ${CMAKE_CURRENT_SOURCE_DIR}/test_insn_trap.c
  ${INSN_DIR}/insn_scan.c ${INSN_DIR}/insn_decode.c ${INSN_DIR}/insn_capstone.c ${INSN_DIR}/insn_request.c
  ${PATCH_DIR}/insn_trap.c ${PATCH_DIR}/insn_xstate.c)
target_include_directories(test_insn_trap PRIVATE ${INSN_DIR}
  ${PATCH_DIR} ${VALGRIND_DIR} ${SHIM_INCLUDE_DIRS} ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(test_insn_trap PRIVATE ${CMOCKA_LIB}
  PkgConfig::CAPSTONE pmemu_model dl)
add_test(NAME libshim.insn_trap COMMAND test_insn_trap)

# registers out of an XSAVE image, standard and compacted
add_executable(test_insn_xstate ${CMAKE_CURRENT_SOURCE_DIR}/test_insn_xstate.c
  ${PATCH_DIR}/insn_xstate.c)
target_include_directories(test_insn_xstate PRIVATE ${PATCH_DIR})
target_link_libraries(test_insn_xstate PRIVATE ${CMOCKA_LIB})
add_test(NAME libshim.insn_xstate COMMAND test_insn_xstate)

# the stores the write-fault handler runs itself, against the processor
add_executable(test_insn_store ${CMAKE_CURRENT_SOURCE_DIR}/test_insn_store.c
  ${INSN_DIR}/insn_store.c ${INSN_DIR}/insn_scan.c ${INSN_DIR}/insn_decode.c
  ${INSN_DIR}/insn_capstone.c ${INSN_DIR}/insn_request.c
  ${PATCH_DIR}/insn_store_run.c ${PATCH_DIR}/insn_xstate.c)
target_include_directories(test_insn_store PRIVATE ${INSN_DIR} ${PATCH_DIR}
  ${SHIM_INCLUDE_DIRS} ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(test_insn_store PRIVATE ${CMOCKA_LIB}
  PkgConfig::CAPSTONE pmemu_model dl)
add_test(NAME libshim.insn_store COMMAND test_insn_store)

# the store after a run one, taken in the same signal only when it would
# fault there
add_executable(test_insn_store_next
  ${CMAKE_CURRENT_SOURCE_DIR}/test_insn_store_next.c
  ${INSN_DIR}/insn_store.c ${INSN_DIR}/insn_scan.c ${INSN_DIR}/insn_decode.c
  ${INSN_DIR}/insn_capstone.c ${INSN_DIR}/insn_request.c
  ${PATCH_DIR}/insn_store_run.c ${PATCH_DIR}/insn_xstate.c)
target_include_directories(test_insn_store_next PRIVATE ${INSN_DIR}
  ${PATCH_DIR} ${SHIM_INCLUDE_DIRS} ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(test_insn_store_next PRIVATE ${CMOCKA_LIB}
  PkgConfig::CAPSTONE pmemu_model dl)
add_test(NAME libshim.insn_store_next COMMAND test_insn_store_next)

# prebuilt (no plugin) programs with raw instructions, for
# scripts/tests/test_raw_insn.py: <build>/raw-progs/<name>
set(RAW_PROGS_DIR ${CMAKE_BINARY_DIR}/raw-progs)
function(raw_prog name src)
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/progs/${src}
    ${CMAKE_CURRENT_SOURCE_DIR}/progs/raw_map.c)
  set_target_properties(${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${RAW_PROGS_DIR})
  target_compile_options(${name} PRIVATE -O2 -g ${ARGN})
  target_link_libraries(${name} PRIVATE dl)
endfunction()
raw_prog(raw_clwb_ok raw_clwb.c -mclwb)
raw_prog(raw_clwb_buggy raw_clwb.c -mclwb -DBUGGY)
raw_prog(raw_clflushopt_ok raw_clflushopt.c)
raw_prog(raw_clflushopt_buggy raw_clflushopt.c -DBUGGY)
raw_prog(raw_stream_ok raw_stream.c)
raw_prog(raw_stream_buggy raw_stream.c -DBUGGY)
raw_prog(raw_bigcopy_ok raw_bigcopy.c -mclwb)
raw_prog(raw_bigcopy_buggy raw_bigcopy.c -mclwb -DBUGGY)
raw_prog(raw_dlopen_ok raw_dlopen.c)
raw_prog(raw_dlopen_buggy raw_dlopen.c -DBUGGY)
raw_prog(raw_emul raw_emul.c)
raw_prog(raw_maskmov raw_maskmov.c)
raw_prog(raw_vecsave raw_vecsave.c)
add_library(raw_dl_lib SHARED ${CMAKE_CURRENT_SOURCE_DIR}/progs/raw_dl_lib.c)
set_target_properties(raw_dl_lib PROPERTIES
  LIBRARY_OUTPUT_DIRECTORY ${RAW_PROGS_DIR})
target_compile_options(raw_dl_lib PRIVATE -O2 -g -mclwb)

# the same program built with the plugin, and stripped (only .dynsym tells
# that the plugin built it): its flushes must not be counted twice
raw_prog(raw_clwb_plugin_ok raw_clwb.c -mclwb
  -fplugin=$<TARGET_FILE:pmemu-gcc>)
target_link_options(raw_clwb_plugin_ok PRIVATE -s)
add_dependencies(raw_clwb_plugin_ok pmemu-gcc)

# Valgrind client requests (client_request.c) against doubles of shim_tx.c
add_executable(test_client_request
  ${CMAKE_CURRENT_SOURCE_DIR}/test_client_request.c
  ${INSN_DIR}/insn_scan.c ${INSN_DIR}/insn_decode.c ${INSN_DIR}/insn_capstone.c ${INSN_DIR}/insn_request.c
  ${PATCH_DIR}/insn_trap.c ${PATCH_DIR}/insn_xstate.c
  ${VALGRIND_DIR}/client_request.c)
target_include_directories(test_client_request PRIVATE ${INSN_DIR}
  ${PATCH_DIR} ${VALGRIND_DIR} ${SHIM_INCLUDE_DIRS} ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(test_client_request PRIVATE ${CMOCKA_LIB}
  PkgConfig::CAPSTONE pmemu_model unwind dl)
add_test(NAME libshim.client_request COMMAND test_client_request)

# the writable window patching writes code in (insn_text.c)
add_executable(test_insn_text ${CMAKE_CURRENT_SOURCE_DIR}/test_insn_text.c
  ${PATCH_DIR}/insn_text.c)
target_include_directories(test_insn_text PRIVATE ${PATCH_DIR})
target_link_libraries(test_insn_text PRIVATE ${CMOCKA_LIB})
add_test(NAME libshim.insn_text COMMAND test_insn_text)
