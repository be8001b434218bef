# gcc-plugin/tests/e2e/e2e.cmake -- test_plugin_e2e.py: the programs of
# e2e/, built with the plugin, under the real runtime (pmemu run/explore)
add_test(NAME gcc_plugin_e2e
         COMMAND ${PMEMU_PYTHON} -m pytest -q -p no:cacheprovider
                 ${CMAKE_CURRENT_LIST_DIR}/../test_plugin_e2e.py)
set(e2e_env "PMEMU=$<TARGET_FILE:pmemu>"
            "PMEMU_GCC_PLUGIN_DIR=$<TARGET_FILE_DIR:pmemu-gcc>")
set_tests_properties(gcc_plugin_e2e PROPERTIES ENVIRONMENT "${e2e_env}")
