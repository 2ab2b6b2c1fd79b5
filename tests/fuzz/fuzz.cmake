# Fuzz drivers (tests/fuzz/fuzz_<name>.c) for the parsers: http (request parser + response
# writer) and json. Included from the top-level CMakeLists.txt after cairn_node is defined.
#
# Default: standalone programs that replay tests/fuzz/corpus/<name>/ and then run
# CAIRN_FUZZ_MUTATIONS deterministic random mutations of it; registered with ctest as fuzz/<name>,
# label "unit". Reproduce a failure with the printed seed: fuzz-http -s SEED -n N corpus/http
# (the failing input is saved as fuzz-crash.bin).
# -DCAIRN_LIBFUZZER=ON (with CC=clang): libFuzzer binaries instead, not registered with ctest:
#   fuzz-http -max_total_time=600 tests/fuzz/corpus/http
option(CAIRN_LIBFUZZER "Build the fuzz drivers for libFuzzer (needs CC=clang)" OFF)
set(CAIRN_FUZZ_MUTATIONS 20000 CACHE STRING "Random mutations per fuzz driver under ctest")

foreach(fuzz_name http json)
  set(fuzz_target fuzz-${fuzz_name})
  add_executable(${fuzz_target} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${fuzz_name}.c
                                ${CMAKE_CURRENT_LIST_DIR}/fuzz_main.c)
  target_link_libraries(${fuzz_target} cairn_node)
  target_include_directories(${fuzz_target} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  if(CAIRN_LIBFUZZER)
    target_compile_definitions(${fuzz_target} PRIVATE CAIRN_LIBFUZZER)
    target_compile_options(${fuzz_target} PRIVATE -fsanitize=fuzzer)
    target_link_options(${fuzz_target} PRIVATE -fsanitize=fuzzer)
  else()
    add_test(NAME fuzz/${fuzz_name}
             COMMAND ${fuzz_target} -n ${CAIRN_FUZZ_MUTATIONS}
                     ${CMAKE_CURRENT_LIST_DIR}/corpus/${fuzz_name})
    set_tests_properties(fuzz/${fuzz_name} PROPERTIES LABELS unit TIMEOUT 300)
  endif()
endforeach()

# pg: the PostgreSQL protocol codec and session state machine (tests/fuzz/fuzz_pg.c), built and
# registered like the drivers above.
# sql: the SQL parser, the router's walks and the printer (tests/fuzz/fuzz_sql.c), the same way.
foreach(fuzz_name pg sql)
  set(fuzz_target fuzz-${fuzz_name})
  add_executable(${fuzz_target} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${fuzz_name}.c
                                ${CMAKE_CURRENT_LIST_DIR}/fuzz_main.c)
  target_link_libraries(${fuzz_target} cairn_node)
  target_include_directories(${fuzz_target} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  if(CAIRN_LIBFUZZER)
    target_compile_definitions(${fuzz_target} PRIVATE CAIRN_LIBFUZZER)
    target_compile_options(${fuzz_target} PRIVATE -fsanitize=fuzzer)
    target_link_options(${fuzz_target} PRIVATE -fsanitize=fuzzer)
  else()
    add_test(NAME fuzz/${fuzz_name}
             COMMAND ${fuzz_target} -n ${CAIRN_FUZZ_MUTATIONS}
                     ${CMAKE_CURRENT_LIST_DIR}/corpus/${fuzz_name})
    set_tests_properties(fuzz/${fuzz_name} PROPERTIES LABELS unit TIMEOUT 300)
  endif()
endforeach()
# The SQL driver prints what it parses once the printer exists.
if(EXISTS ${CMAKE_SOURCE_DIR}/src/sql/sql_print.c)
  target_compile_definitions(fuzz-sql PRIVATE FUZZ_SQL_PRINT)
endif()
