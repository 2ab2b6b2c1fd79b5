#!/usr/bin/env bash
# pgbench, unmodified, against PostgreSQL 15 and Cairn side by side in one run, on loopback:
#   PostgreSQL 15 (default settings, fsync on), a single Cairn node, three Cairn nodes with
#   replication factor 3 and (select-only) two replicasets of one node sharing the buckets.
# For each: pgbench -i -s $SCALE, then -S (select-only) and the default TPC-B-like script with 1
# and 8 clients for $DURATION seconds each. Prints one table of tps and the Cairn/PostgreSQL ratio.
#
#   bench/pgbench_vs_postgres.sh            # CAIRN_BIN=build/cairn DURATION=10 SCALE=1

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CAIRN=${CAIRN_BIN:-$ROOT/build/cairn}
PG_BIN=${CAIRN_PG_BIN:-/usr/lib/postgresql/15/bin}
DURATION=${DURATION:-10}
SCALE=${SCALE:-1}
BASE_PORT=${BASE_PORT:-27400}

source "$ROOT/bench/pg_lib.sh"

# The four runs on one server; results into the named associative array slots.
declare -A tps
measure() { # label port user db [select-only]
    local label=$1 port=$2 user=$3 db=$4 only_select=${5:-}
    if [ -z "$only_select" ]; then
        pgbench -h 127.0.0.1 -p "$port" -U "$user" -i -s "$SCALE" -q "$db" >"$work/$label-init.log" 2>&1 ||
            { echo "pgbench -i failed on $label:" >&2; cat "$work/$label-init.log" >&2; exit 1; }
    else
        load_select_only "$port" "$user" "$db"
    fi
    for c in 1 8; do
        tps[$label,S,$c]=$(run_pgbench "$port" "$user" "$db" -S -c "$c" -j "$c" -T "$DURATION")
        if [ -z "$only_select" ]; then
            tps[$label,B,$c]=$(run_pgbench "$port" "$user" "$db" -c "$c" -j "$c" -T "$DURATION")
        else
            tps[$label,B,$c]="-"
        fi
    done
}

# ---- PostgreSQL 15 ----
start_postgres
measure postgres "$pg_port" postgres postgres

# ---- Cairn ----
start_cairn one 0
wait_pg $((BASE_PORT + 30)) cairn cairn
measure cairn-1 $((BASE_PORT + 30)) cairn cairn
stop_cairn

start_three_rf3
measure cairn-3rf3 $((BASE_PORT + 31)) cairn cairn
stop_cairn

# Two replicasets: measured once the buckets are shared and no move is under way (a COPY that
# meets a moving bucket fails with 40001; pgbench -i would stop).
start_two_replicasets
measure cairn-sharded $((BASE_PORT + 34)) cairn cairn select-only
stop_cairn

# ---- the table ----
ratio() { # a b
    if [ "$1" = "-" ] || [ -z "$1" ] || [ -z "$2" ] || [ "$2" = 0 ]; then echo "-"; else
        awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; fi
}
echo "pgbench -s $SCALE, $DURATION s per run, $(nproc) CPUs; tps (ratio to PostgreSQL 15)"
printf "%-14s %18s %18s %18s %18s\n" target "select-only c=1" "select-only c=8" "tpc-b c=1" "tpc-b c=8"
for t in postgres cairn-1 cairn-3rf3 cairn-sharded; do
    printf "%-14s" "$t"
    for k in S,1 S,8 B,1 B,8; do
        v=${tps[$t,$k]:-}
        printf " %18s" "$v ($(ratio "$v" "${tps[postgres,$k]}"))"
    done
    printf "\n"
done
