# shim_tests.cmake -- the shim's cmocka tests and the tiny programs the
# end-to-end tests (scripts/tests/test_shim_*.py) run under pmemu:
# build/shim-progs/<name>, with debug info so findings name their lines
add_executable(test_shim_options test_shim_options.c
  ${CMAKE_SOURCE_DIR}/libshim/core/shim_options.c
  ${CMAKE_SOURCE_DIR}/libshim/core/shim_badblock_spec.c)
target_include_directories(test_shim_options PRIVATE ${CMAKE_SOURCE_DIR}/libshim/core
  ${CMAKE_SOURCE_DIR}/emulator/model)
target_link_libraries(test_shim_options PRIVATE ${CMOCKA_LIB})
add_test(NAME libshim.test_shim_options COMMAND test_shim_options)

# a test of core files that call REAL (real.c resolves it)
function(shim_core_test name)
  list(TRANSFORM ARGN PREPEND ${CMAKE_SOURCE_DIR}/libshim/core/)
  add_executable(${name} ${name}.c ${ARGN}
    ${CMAKE_SOURCE_DIR}/libshim/core/real.c
    ${CMAKE_SOURCE_DIR}/libshim/core/fatal.c)
  target_include_directories(${name} PRIVATE
    ${CMAKE_SOURCE_DIR}/libshim/core)
  target_link_libraries(${name} PRIVATE ${CMOCKA_LIB} dl)
  add_test(NAME libshim.${name} COMMAND ${name})
endfunction()

# the one guard of every entry point, and REAL behind the interposers
shim_core_test(test_shim_guard)

# the views' area and the far area of the shim's own mappings
shim_core_test(test_shim_far shim_far.c)

# a sequential pass's first touches populated in batches
shim_core_test(test_shim_populate shim_populate.c)

# which 64-byte chunks of a page differ from its twin, by either method
add_executable(test_dirty_cmp test_dirty_cmp.c
  ${CMAKE_SOURCE_DIR}/libshim/region/shim_dirty_cmp.c)
target_include_directories(test_dirty_cmp PRIVATE
  ${CMAKE_SOURCE_DIR}/libshim/region)
target_link_libraries(test_dirty_cmp PRIVATE ${CMOCKA_LIB})
add_test(NAME libshim.test_dirty_cmp COMMAND test_dirty_cmp)

# shim_region_test(NAME FILE...) -- a cmocka test NAME.c of the region
# layer's FILEs (libshim/region/), the layers below it in reach
function(shim_region_test name)
  list(TRANSFORM ARGN PREPEND ${CMAKE_SOURCE_DIR}/libshim/region/)
  add_executable(${name} ${name}.c ${ARGN})
  target_include_directories(${name} PRIVATE
    ${CMAKE_SOURCE_DIR}/libshim/region ${CMAKE_SOURCE_DIR}/libshim/core
    ${CMAKE_SOURCE_DIR}/libshim/site)
  target_link_libraries(${name} PRIVATE pmemu_trace pmemu_model
    ${CMOCKA_LIB})
  add_test(NAME libshim.${name} COMMAND ${name})
endfunction()

# a flushed page's line sites in one call, as one call per line gives them
shim_region_test(test_line_site shim_line_site.c)
# a whole page's flush while a persist's batch is held (the door stubbed)
shim_region_test(test_dirty_held shim_dirty_held.c shim_dirty_cmp.c
  shim_line_site.c)

# pages made VMAs of their own: mprotect splits none (region/shim_dirty_vma.c)
shim_region_test(test_dirty_vma shim_dirty_vma.c)

# a persist's held events reach the model as they came (core/shim_batch.c)
add_executable(test_shim_batch test_shim_batch.c
  ${CMAKE_SOURCE_DIR}/libshim/core/shim_batch.c)
target_include_directories(test_shim_batch PRIVATE
  ${CMAKE_SOURCE_DIR}/libshim/core ${CMAKE_SOURCE_DIR}/emulator/tests)
target_link_libraries(test_shim_batch PRIVATE pmemu_trace pmemu_model
  ${CMOCKA_LIB})
add_test(NAME libshim.test_shim_batch COMMAND test_shim_batch)

# the run's end reads the table of unflushed pieces between two calls of
# the shim of each other process (core/shim_shared_section.c)
add_executable(test_shim_shared test_shim_shared.c
  ${CMAKE_SOURCE_DIR}/libshim/core/shim_shared.c
  ${CMAKE_SOURCE_DIR}/libshim/core/shim_shared_exit.c
  ${CMAKE_SOURCE_DIR}/libshim/core/shim_shared_section.c
  ${CMAKE_SOURCE_DIR}/libshim/core/shim_shared_table.c)
target_include_directories(test_shim_shared PRIVATE
  ${CMAKE_SOURCE_DIR}/libshim/core ${CMAKE_SOURCE_DIR}/emulator/model
  ${CMAKE_SOURCE_DIR}/emulator/trace)
target_link_libraries(test_shim_shared PRIVATE ${CMOCKA_LIB})
add_test(NAME libshim.test_shim_shared COMMAND test_shim_shared)

# name source [compile definition]
set(SHIM_PROGS
  "map_msync_ok|map_msync.c|"
  "map_msync_bad|map_msync.c|FORGET_MSYNC"
  "pwrite_fsync_ok|pwrite_fsync.c|"
  "pwrite_fsync_bad|pwrite_fsync.c|FORGET_FSYNC"
  "threads_fence_ok|threads_fence.c|"
  "threads_fence_bad|threads_fence.c|FENCE_ON_OTHER_THREAD"
  "fork_child_ok|fork_child.c|"
  "fork_child_bad|fork_child.c|FORGET_MSYNC"
  "own_segv|own_segv.c|"
  "sparse_pool|sparse_pool.c|"
  "killed|killed.c|"
  "selfcheck_log_ok|selfcheck_log.c|"
  "selfcheck_log_bad|selfcheck_log.c|FORGET_MSYNC"
  "register_pmem_ok|register_pmem.c|"
  "register_pmem_bad|register_pmem.c|FORGET_FLUSH"
  "exec_self_ok|exec_self.c|"
  "exec_self_bad|exec_self.c|FORGET_MSYNC"
  "threads_page|threads_page.c|"
  "map_twice_ok|map_twice.c|"
  "map_twice_bad|map_twice.c|FORGET_FLUSH"
  "tx_two_maps_ok|tx_two_maps.c|"
  "tx_two_maps_bad|tx_two_maps.c|OUTSIDE"
  "tx_two_maps_late|tx_two_maps.c|LATE"
  "dup_fds_ok|dup_fds.c|"
  "dup_fds_bad|dup_fds.c|FORGET_MSYNC"
  "into_pmem_ok|into_pmem.c|"
  "into_pmem_bad|into_pmem.c|FORGET_FLUSH"
  "kernel_fill_ok|kernel_fill.c|"
  "kernel_fill_bad|kernel_fill.c|FORGET_FLUSH"
  "view_stat|view_stat.c|"
  "resolve|resolve.c|"
  "copy_in_ok|copy_in.c|"
  "copy_in_bad|copy_in.c|FORGET_FSYNC"
  "truncate_path|truncate_path.c|"
  "reopen_ok|reopen.c|"
  "reopen_bad|reopen.c|FORGET_FSYNC"
  "raw_syscalls_ok|raw_syscalls.c|"
  "raw_syscalls_bad|raw_syscalls.c|FORGET_FSYNC"
  "stdout_pending_ok|stdout_pending.c|"
  "stdout_pending_bad|stdout_pending.c|FORGET_FLUSH"
  "inherit_out_ok|inherit_out.c|"
  "inherit_out_bad|inherit_out.c|FORGET_FSYNC"
  "aio_io_ok|aio_io.c|"
  "aio_io_bad|aio_io.c|FORGET_FSYNC"
  "allocate|allocate.c|"
  "punch_ok|punch.c|"
  "punch_bad|punch.c|FORGET_FSYNC"
  "spawn_env_ok|spawn_env.c|"
  "spawn_env_bad|spawn_env.c|FORGET_FSYNC"
  "sync_all_ok|sync_all.c|"
  "sync_all_bad|sync_all.c|FORGET_FSYNC"
  "sync_flags|sync_flags.c|"
  "scm_rights_ok|scm_rights.c|"
  "scm_rights_bad|scm_rights.c|FORGET_FSYNC"
  "cut_short|cut_short.c|"
  "kernel_io_ok|kernel_io.c|"
  "kernel_io_bad|kernel_io.c|FORGET_FSYNC"
  "big_pool|big_pool.c|"
  "deep_sites|deep_sites.c|"
  "twin_pool|twin_pool.c|"
  "prog_prot_rw_ok|prog_prot.c|RW_AGAIN"
  "prog_prot_rw_bad|prog_prot.c|RW_AGAIN_UNFLUSHED"
  "prog_prot_one_page_ro|prog_prot.c|ONE_PAGE_RO"
  "prog_prot_none_read|prog_prot.c|NONE_READ"
  "prog_prot_back_rw|prog_prot.c|BACK_RW"
  "prog_prot_read_into|prog_prot.c|READ_INTO"
  "prog_prot_read_map|prog_prot.c|READ_MAP"
  "prog_prot_moved|prog_prot.c|MOVED"
  "prog_prot_toggle|prog_prot.c|TOGGLE"
  "stdio_map|stdio_map.c|"
  "stdio_map_flushed|stdio_map.c|FLUSHED")
foreach(p ${SHIM_PROGS})
  string(REPLACE "|" ";" f "${p}")
  list(GET f 0 name)
  list(GET f 1 src)
  list(GET f 2 def)
  add_executable(${name} progs/${src})
  set_target_properties(${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/shim-progs)
  target_compile_options(${name} PRIVATE -g -O0)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(${name} PRIVATE dl pthread)
  if(def)
    target_compile_definitions(${name} PRIVATE ${def})
  endif()
  add_dependencies(pmemu_shim ${name}) # built with the shim, for pytest
endforeach()

# prebuilt (no plugin) programs with raw instructions that test the shim's
# own side (signals, notes): build/shim-progs/<name>, -O2 -g as a release
# build with debug info would be
function(shim_raw_prog name src)
  add_executable(${name} progs/${src} progs/raw_map.c)
  set_target_properties(${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/shim-progs)
  target_compile_options(${name} PRIVATE -O2 -g ${ARGN})
  add_dependencies(pmemu_shim ${name})
endfunction()
shim_raw_prog(raw_own_trap_ok raw_own_trap.c -mclwb)
shim_raw_prog(raw_own_trap_buggy raw_own_trap.c -mclwb -DBUGGY)
shim_raw_prog(locked_note locked_note.c)
shim_raw_prog(locked_note_none locked_note.c -DNO_LOCK)
