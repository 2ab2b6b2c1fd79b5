# The peer wire-format fuzz driver, tests/fuzz/fuzz_peer.c. By default it is a
# standalone program that replays the seed corpus plus deterministic mutations
# (run by ctest with the unit tests); with -DCAIRN_LIBFUZZER=ON and clang it is
# a libFuzzer target: build/fuzz-peer tests/fuzz/corpus/peer
add_executable(fuzz-peer ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_peer.c)
target_link_libraries(fuzz-peer cairn_node)
if(CAIRN_LIBFUZZER)
  target_compile_definitions(fuzz-peer PRIVATE CAIRN_LIBFUZZER)
  target_compile_options(fuzz-peer PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz-peer PRIVATE -fsanitize=fuzzer)
else()
  add_test(NAME fuzz/peer
           COMMAND fuzz-peer -n 20000 ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/peer)
  set_tests_properties(fuzz/peer PROPERTIES LABELS unit TIMEOUT 300)
endif()
