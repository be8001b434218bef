# tests_report.cmake -- fixtures of the site and report tests
#
# site.c drops the innermost frames of the module it lives in (libpmemu.so
# in real use); built into a library of its own, it keeps the test's.
add_library(pmemu_site_under_test SHARED
  ${CMAKE_SOURCE_DIR}/libshim/site/site.c ${CMAKE_SOURCE_DIR}/libshim/core/real.c
  ${CMAKE_SOURCE_DIR}/libshim/core/fatal.c
  ${CMAKE_SOURCE_DIR}/libshim/site/site_write.c)
target_include_directories(pmemu_site_under_test PUBLIC
  ${CMAKE_SOURCE_DIR}/libshim/site ${CMAKE_SOURCE_DIR}/libshim/core)
target_link_libraries(pmemu_site_under_test PRIVATE pmemu_trace unwind dl)
if(TARGET test_site)
  target_link_libraries(test_site PRIVATE pmemu_site_under_test)
endif()

# a module without debug info: symbols only
add_library(pmemu_nodebug_fixture SHARED fixture_nodebug.c)
target_compile_options(pmemu_nodebug_fixture PRIVATE -g0)
if(TARGET test_symbolize)
  target_link_libraries(test_symbolize PRIVATE pmemu_nodebug_fixture)
endif()
