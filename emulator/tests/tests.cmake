# tests.cmake -- the differential test (docs/differential.md): the C oracle
# over the model, a mutant oracle over the model built with
# -DPMEMU_MODEL_MUTANT=1, and the pytest files that drive them.
set(PMEMU_ORACLE_DIR ${CMAKE_CURRENT_LIST_DIR})
file(GLOB ORACLE_MODEL_SRC CONFIGURE_DEPENDS ${PMEMU_ORACLE_DIR}/../model/*.c)

# zlib hashes faster; the built-in crc32/adler32 give the same digests
find_package(ZLIB QUIET)
function(pmemu_oracle name model_lib)
  add_executable(${name} ${PMEMU_ORACLE_DIR}/model_oracle.c
    ${PMEMU_ORACLE_DIR}/model_oracle_hash.c)
  target_link_libraries(${name} PRIVATE ${model_lib})
  if(ZLIB_FOUND)
    target_compile_definitions(${name} PRIVATE PMEMU_ORACLE_ZLIB=1)
    target_link_libraries(${name} PRIVATE ZLIB::ZLIB)
  endif()
endfunction()
pmemu_oracle(model_oracle pmemu_model)

# the same model sources again, with the deliberate mistake switched on
add_library(pmemu_model_mutant STATIC ${ORACLE_MODEL_SRC})
target_include_directories(pmemu_model_mutant PUBLIC ${PMEMU_ORACLE_DIR}/../model)
target_compile_definitions(pmemu_model_mutant PRIVATE PMEMU_MODEL_MUTANT=1)
pmemu_oracle(model_oracle_mutant pmemu_model_mutant)

# scripts/CMakeLists.txt registers every other scripts/tests/test_*.py
set_property(GLOBAL APPEND PROPERTY PMEMU_PYTEST_OWNED
  test_differential.py test_reference_unit.py)
set(PMEMU_DIFF_TEST ${CMAKE_SOURCE_DIR}/scripts/tests/test_differential.py)
set(PMEMU_DIFF_ENV
  "PYTHONPATH=${CMAKE_SOURCE_DIR}/scripts"
  "PMEMU_ORACLE=$<TARGET_FILE:model_oracle>"
  "PMEMU_ORACLE_MUTANT=$<TARGET_FILE:model_oracle_mutant>")
add_test(NAME differential.reference_unit
  COMMAND ${PMEMU_PYTHON} -m pytest -q -p no:cacheprovider
          ${CMAKE_SOURCE_DIR}/scripts/tests/test_reference_unit.py)
set_tests_properties(differential.reference_unit PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR}/scripts")
add_test(NAME differential.models_agree
  COMMAND ${PMEMU_PYTHON} -m pytest -q -p no:cacheprovider
          ${PMEMU_DIFF_TEST} -k "not mutant")
add_test(NAME differential.mutant_caught
  COMMAND ${PMEMU_PYTHON} -m pytest -q -p no:cacheprovider
          ${PMEMU_DIFF_TEST} -k mutant)
set_tests_properties(differential.models_agree differential.mutant_caught
  PROPERTIES ENVIRONMENT "${PMEMU_DIFF_ENV}")
