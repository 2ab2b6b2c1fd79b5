#!/usr/bin/env bash
# What a long read costs everyone else: pgbench -S (select-only, $CLIENTS clients) against one
# node, alone and then while another session runs long reads back to back (a count over
# $LONG_ROWS generated rows, a few seconds each), side by side with PostgreSQL 15 in one run.
# Prints tps alone, tps during the long reads, how many long reads finished, and the ratio.
# CAIRN_OLD=path/to/cairn adds a column for another build (before reads ran off the loop, a
# long read held the node's event loop until it was cut at 2 s).
#
#   bench/long_read_vs_load.sh            # CAIRN_BIN=build/cairn DURATION=10 CLIENTS=4

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CAIRN=${CAIRN_BIN:-$ROOT/build/cairn}
PG_BIN=${CAIRN_PG_BIN:-/usr/lib/postgresql/15/bin}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-4}
LONG_ROWS=${LONG_ROWS:-8000000}
BASE_PORT=${BASE_PORT:-27600}

source "$ROOT/bench/pg_lib.sh"

# Long reads back to back until the file $work/stop exists; their count goes to $work/longs.
long_reads() { # port user db
    local n=0
    while [ ! -e "$work/stop" ]; do
        psql -X -q -h 127.0.0.1 -p "$1" -U "$2" -d "$3" -Atc \
            "SELECT count(*) FROM generate_series(1, $LONG_ROWS) g" >/dev/null 2>&1 && n=$((n + 1))
    done
    echo "$n" >"$work/longs"
}

declare -A res
measure() { # label port user db
    local label=$1 port=$2 user=$3 db=$4
    pgbench -h 127.0.0.1 -p "$port" -U "$user" -i -s 1 -q "$db" >"$work/$label-init.log" 2>&1
    res[$label,alone]=$(run_pgbench "$port" "$user" "$db" -S -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION")
    rm -f "$work/stop"
    long_reads "$port" "$user" "$db" &
    local lp=$!
    sleep 1
    res[$label,during]=$(run_pgbench "$port" "$user" "$db" -S -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION")
    touch "$work/stop"
    wait "$lp"
    res[$label,longs]=$(cat "$work/longs")
}

start_postgres
measure postgres "$pg_port" postgres postgres

start_cairn one 0
wait_pg $((BASE_PORT + 30)) cairn cairn
measure cairn $((BASE_PORT + 30)) cairn cairn
stop_cairn

labels=(postgres cairn)
if [ -n "${CAIRN_OLD:-}" ]; then
    CAIRN=$CAIRN_OLD
    start_cairn old 1
    wait_pg $((BASE_PORT + 31)) cairn cairn
    measure cairn-old $((BASE_PORT + 31)) cairn cairn
    stop_cairn
    labels+=(cairn-old)
fi

printf "%-10s %12s %14s %12s %14s\n" target "tps alone" "tps during" "long reads" "during/alone"
for l in "${labels[@]}"; do
    printf "%-10s %12s %14s %12s %14s\n" "$l" "${res[$l,alone]}" "${res[$l,during]}" \
        "${res[$l,longs]}" "$(awk -v a="${res[$l,during]}" -v b="${res[$l,alone]}" \
            'BEGIN{printf "%.2f", a / b}')"
done
