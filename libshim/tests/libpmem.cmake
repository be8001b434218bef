# libshim/tests/libpmem.cmake -- tests of the libpmem/libpmem2 interposers
# (included from libshim/CMakeLists.txt): cmocka tests of their events
# against a double of the shim core, and the programs that
# scripts/tests/test_libpmem_*.py run under pmemu (build/shim-progs/<name>,
# -g -O0 so findings name their lines)
if(NOT BUILD_TESTING)
  return()
endif()
set(LIBPMEM_TESTS ${CMAKE_CURRENT_LIST_DIR}/libpmem)
set(LIBPMEM_SHIM ${CMAKE_CURRENT_LIST_DIR}/../libpmem)

foreach(t test_libpmem_events test_libpmem_map)
  add_executable(${t} ${LIBPMEM_TESTS}/${t}.c ${LIBPMEM_TESTS}/shim_fake.c
    ${LIBPMEM_SHIM}/intercept_libpmem.c ${LIBPMEM_SHIM}/intercept_libpmem_map.c
    ${LIBPMEM_SHIM}/intercept_libpmem2.c ${LIBPMEM_SHIM}/pmem_real.c
    ${LIBPMEM_SHIM}/../region/shim_devdax.c)
  target_include_directories(${t} PRIVATE ${LIBPMEM_SHIM} ${LIBPMEM_TESTS} ${SHIM_INCLUDE_DIRS}
    ${CMAKE_SOURCE_DIR}/emulator/trace)
  # libpmem2 only: with no libpmem loaded, native ranges take the
  # interposers' own path (memmove + clflush)
  target_link_libraries(${t} PRIVATE pmemu_model pmem2 dl ${CMOCKA_LIB})
  add_test(NAME libshim.${t} COMMAND ${t})
endforeach()

# name|source|library|compile definition
set(LIBPMEM_PROGS
  "libpmem_listing34_ok|libpmem_listing34.c|pmem|"
  "libpmem_listing34_bad|libpmem_listing34.c|pmem|FORGET_PERSIST"
  "libpmem_flags|libpmem_flags.c|pmem|"
  "libpmem_map_flags|libpmem_map_flags.c|pmem|"
  "libpmem_kill_media|libpmem_kill_media.c|pmem|"
  "libpmemobj_tx_ok|libpmemobj_tx.c|pmemobj|"
  "libpmemobj_tx_bad|libpmemobj_tx.c|pmemobj|FORGET_PERSIST"
  "libpmem2_persist_ok|libpmem2_persist.c|pmem2|"
  "libpmem2_persist_bad|libpmem2_persist.c|pmem2|FORGET_PERSIST")
foreach(p ${LIBPMEM_PROGS})
  string(REPLACE "|" ";" f "${p}")
  list(GET f 0 name)
  list(GET f 1 src)
  list(GET f 2 lib)
  list(GET f 3 def)
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/progs/${src})
  set_target_properties(${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/shim-progs)
  target_compile_options(${name} PRIVATE -g -O0)
  target_link_libraries(${name} PRIVATE ${lib})
  if(def)
    target_compile_definitions(${name} PRIVATE ${def})
  endif()
  add_dependencies(pmemu_shim ${name}) # built with the shim, for pytest
endforeach()
