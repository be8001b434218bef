# lazy_tests.cmake -- tests of libpmemu-lazy.so's pieces (libshim/lazy),
# included from libshim/tests/CMakeLists.txt
set(LAZY_DIR ${CMAKE_CURRENT_SOURCE_DIR}/../lazy)

# the instructions the fault handler runs itself, against the processor
add_executable(test_lazy_emul ${CMAKE_CURRENT_SOURCE_DIR}/test_lazy_emul.c
  ${LAZY_DIR}/lazy_emul.c)
target_include_directories(test_lazy_emul PRIVATE ${LAZY_DIR})
target_link_libraries(test_lazy_emul PRIVATE ${CMOCKA_LIB}
  PkgConfig::CAPSTONE)
add_test(NAME libshim.lazy_emul COMMAND test_lazy_emul)

# which contents of a line a read branches on (lazy_branch.h)
add_executable(test_lazy_branch ${CMAKE_CURRENT_SOURCE_DIR}/test_lazy_branch.c)
target_include_directories(test_lazy_branch PRIVATE ${LAZY_DIR})
target_link_libraries(test_lazy_branch PRIVATE ${CMOCKA_LIB})
add_test(NAME libshim.lazy_branch COMMAND test_lazy_branch)
