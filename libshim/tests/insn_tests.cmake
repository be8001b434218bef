# insn_tests.cmake -- tests of the raw-instruction scanner, patcher and trap
# handler (libshim/insn_*.c), included from libshim/tests/CMakeLists.txt
if(NOT TARGET PkgConfig::CAPSTONE)
  pkg_check_modules(CAPSTONE REQUIRED IMPORTED_TARGET capstone)
endif()
set(INSN_DIR ${CMAKE_CURRENT_SOURCE_DIR}/..)

add_executable(test_insn_scan ${CMAKE_CURRENT_SOURCE_DIR}/test_insn_scan.c
  ${INSN_DIR}/insn_scan.c)
target_include_directories(test_insn_scan PRIVATE ${INSN_DIR})
target_link_libraries(test_insn_scan PRIVATE ${CMOCKA_LIB} PkgConfig::CAPSTONE)
add_test(NAME libshim.insn_scan COMMAND test_insn_scan)

# the trap handler against doubles of the shim core (shim_ev_*, sites)
add_executable(test_insn_trap ${CMAKE_CURRENT_SOURCE_DIR}/test_insn_trap.c
  ${INSN_DIR}/insn_scan.c ${INSN_DIR}/insn_trap.c)
target_include_directories(test_insn_trap PRIVATE ${INSN_DIR}
  ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(test_insn_trap PRIVATE ${CMOCKA_LIB}
  PkgConfig::CAPSTONE pmemu_model dl)
add_test(NAME libshim.insn_trap COMMAND test_insn_trap)
