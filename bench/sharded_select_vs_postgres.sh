#!/usr/bin/env bash
# pgbench -S (select-only, unmodified) against PostgreSQL 15 and against Cairn on two
# replicasets of one node each, in alternating rounds: PostgreSQL, then Cairn, ROUNDS times for
# each client count. On a shared machine throughput drifts over minutes; runs taken seconds apart
# give a ratio that drifts less than one run of each minutes apart (pgbench_vs_postgres.sh).
# Prints every round's tps and ratio, then the median ratio per client count. The clients all
# connect to the first node: half the reads go on to the other replicaset.
#
#   bench/sharded_select_vs_postgres.sh     # CAIRN_BIN=build/cairn ROUNDS=6 DURATION=8 SCALE=1

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CAIRN=${CAIRN_BIN:-$ROOT/build/cairn}
PG_BIN=${CAIRN_PG_BIN:-/usr/lib/postgresql/15/bin}
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-8}
SCALE=${SCALE:-1}
BASE_PORT=${BASE_PORT:-27600}

source "$ROOT/bench/pg_lib.sh"

start_postgres
pgbench -h 127.0.0.1 -p "$pg_port" -U postgres -i -s "$SCALE" -q postgres >"$work/pg-init.log" 2>&1
start_two_replicasets
cairn_port=$((BASE_PORT + 34))
load_select_only "$cairn_port" cairn cairn

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "pgbench -S -s $SCALE, $DURATION s per run, $(nproc) CPUs, two replicasets, clients on the first node"
for c in 1 8; do
    ratios=()
    for r in $(seq 1 "$ROUNDS"); do
        pg=$(run_pgbench "$pg_port" postgres postgres -S -c "$c" -j "$c" -T "$DURATION")
        cn=$(run_pgbench "$cairn_port" cairn cairn -S -c "$c" -j "$c" -T "$DURATION")
        ratio=$(awk -v a="$cn" -v b="$pg" 'BEGIN{printf "%.2f", a / b}')
        ratios+=("$ratio")
        printf "clients %d round %d: PostgreSQL %6d tps, Cairn %6d tps, ratio %s\n" "$c" "$r" "$pg" "$cn" "$ratio"
    done
    echo "clients $c: median ratio $(printf "%s\n" "${ratios[@]}" | median)"
done
