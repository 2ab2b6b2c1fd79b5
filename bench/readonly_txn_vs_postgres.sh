#!/usr/bin/env bash
# Read-only transactions, as psycopg2 sends them by default (autocommit off): pgbench, with a
# script of BEGIN, two primary-key SELECTs of pgbench_accounts and END, side by side in one run
# against PostgreSQL 15 (default settings, fsync on), one Cairn node and three Cairn nodes with
# replication factor 3. Prints transactions per second with 1 and 8 clients and the ratios to
# PostgreSQL. A transaction that only read commits by reading again (docs/sql.md): no log
# entry, no fsync.
#
# BEFORE_BIN=<another cairn> adds its figures on one node ("cairn-1-before").
#
#   bench/readonly_txn_vs_postgres.sh        # CAIRN_BIN=build/cairn DURATION=10 SCALE=1
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CAIRN=${CAIRN_BIN:-$ROOT/build/cairn}
PG_BIN=${CAIRN_PG_BIN:-/usr/lib/postgresql/15/bin}
DURATION=${DURATION:-10}
SCALE=${SCALE:-1}
BASE_PORT=${BASE_PORT:-27700}

source "$ROOT/bench/pg_lib.sh"

cat >"$work/ro.sql" <<'SQL'
\set a random(1, 100000 * :scale)
\set b random(1, 100000 * :scale)
BEGIN;
SELECT abalance FROM pgbench_accounts WHERE aid = :a;
SELECT abalance FROM pgbench_accounts WHERE aid = :b;
END;
SQL

declare -A tps
measure() { # label port user db
    pgbench -h 127.0.0.1 -p "$2" -U "$3" -i -s "$SCALE" -q "$4" >"$work/$1-init.log" 2>&1 ||
        { echo "pgbench -i failed on $1:" >&2; cat "$work/$1-init.log" >&2; exit 1; }
    for c in 1 8; do
        tps[$1,$c]=$(run_pgbench "$2" "$3" "$4" -n -f "$work/ro.sql" -c "$c" -j "$c" \
            -T "$DURATION")
    done
}

start_postgres
measure postgres "$pg_port" postgres postgres

targets="postgres cairn-1"
start_cairn one 0
wait_pg $((BASE_PORT + 30)) cairn cairn
measure cairn-1 $((BASE_PORT + 30)) cairn cairn
stop_cairn

if [ -n "${BEFORE_BIN:-}" ]; then
    CAIRN=$BEFORE_BIN start_cairn before 6
    wait_pg $((BASE_PORT + 36)) cairn cairn
    measure cairn-1-before $((BASE_PORT + 36)) cairn cairn
    stop_cairn
    targets="$targets cairn-1-before"
fi

start_three_rf3
measure cairn-3rf3 $((BASE_PORT + 31)) cairn cairn
stop_cairn
targets="$targets cairn-3rf3"

ratio() { # a b
    if [ -z "$1" ] || [ -z "$2" ] || [ "$2" = 0 ]; then echo "-"; else
        awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; fi
}
echo "read-only transactions (BEGIN; 2 x SELECT by key; END), pgbench -s $SCALE," \
    "$DURATION s per run, $(nproc) CPUs; tps (ratio to PostgreSQL 15)"
printf "%-16s %18s %18s\n" target "c=1" "c=8"
for t in $targets; do
    printf "%-16s" "$t"
    for c in 1 8; do
        v=${tps[$t,$c]:-}
        printf " %18s" "$v ($(ratio "$v" "${tps[postgres,$c]}"))"
    done
    printf "\n"
done
