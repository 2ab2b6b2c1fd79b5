# ctest registrations for the deterministic Raft simulator (build/raft-sim).
# Included by the top-level CMakeLists.txt. See docs/simulation.md.
#
# Label "sim": the release budget - 16,000 seeded runs in four tests that run in
# parallel, plus the three deliberately broken cores, each of which must be
# caught (--expect-violation exits 0 only on a checker violation).
# Labels "asan;asan-only": a smaller budget (400 runs) for the sanitizer build (which runs
# -L 'unit|asan'); the release build skips it (-LE asan-only).

function(sim_add_test name labels)
  add_test(NAME ${name} COMMAND raft-sim ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 900)
endfunction()

sim_add_test(sim/nodes3 sim --nodes 3 --runs 4000 --seed 1000000)
sim_add_test(sim/nodes5 sim --nodes 5 --runs 4000 --seed 2000000)
sim_add_test(sim/nodes7 sim --nodes 7 --runs 4000 --seed 3000000)
sim_add_test(sim/mixed sim --runs 4000 --seed 4000000)

sim_add_test(sim/break-commit-rule sim --break commit-rule --expect-violation --runs 3000 --seed 1)
sim_add_test(sim/break-vote-persistence sim --break vote-persistence --expect-violation
             --runs 1000 --seed 1)
sim_add_test(sim/break-read-index sim --break read-index --expect-violation --runs 2000 --seed 1)

sim_add_test(sim-asan/mixed "asan;asan-only" --runs 200 --seed 5000000)
sim_add_test(sim-asan/nodes3 "asan;asan-only" --nodes 3 --runs 200 --seed 6000000)
