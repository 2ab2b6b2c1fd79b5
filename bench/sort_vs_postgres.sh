#!/usr/bin/env bash
# Sorted queries over a sharded table, side by side in one run, on loopback: PostgreSQL 15
# (default settings) and two Cairn replicasets of one node each sharing the buckets.
#   items(id PRIMARY KEY, score int, name text, price numeric(10,2)): $ROWS rows, sharded by id
#   top:  SELECT id, score FROM items ORDER BY score DESC, id LIMIT 20
#   page: SELECT * FROM items ORDER BY price, id LIMIT 50 OFFSET 1000
#   band: SELECT id, score, price FROM items WHERE score < 50 ORDER BY score, id  (~5% of rows)
# Cairn answers each two ways: every replicaset sorts its own rows and the coordinator merges
# them ("merged", the plan Cairn picks), and the rows fetched to the coordinator and sorted
# there ("sorted here", forced by a WITH in front, as before merging existed). Prints queries
# per second with 1 and 2 clients, and the ratios to PostgreSQL.
#
# BEFORE_BIN=<another cairn> adds its figures for the same queries ("before").
#
#   bench/sort_vs_postgres.sh            # CAIRN_BIN=build/cairn DURATION=10 ROWS=200000
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CAIRN=${CAIRN_BIN:-$ROOT/build/cairn}
PG_BIN=${CAIRN_PG_BIN:-/usr/lib/postgresql/15/bin}
DURATION=${DURATION:-10}
ROWS=${ROWS:-200000}
BASE_PORT=${BASE_PORT:-27600}

source "$ROOT/bench/pg_lib.sh"

declare -A SQL=(
    [top]="SELECT id, score FROM items ORDER BY score DESC, id LIMIT 20"
    [page]="SELECT * FROM items ORDER BY price, id LIMIT 50 OFFSET 1000"
    [band]="SELECT id, score, price FROM items WHERE score < 50 ORDER BY score, id"
)
QUERIES="top page band"
for q in $QUERIES; do
    echo "${SQL[$q]};" >"$work/$q.sql"
    echo "WITH unused AS (SELECT 1) ${SQL[$q]};" >"$work/$q-here.sql"
done
awk -v n="$ROWS" 'BEGIN{for(i=1;i<=n;i++) printf "%d\t%d\tname %d\t%d.%02d\n", i, (i*7919)%1000, i%577, (i*31)%5000, i%100}' \
    >"$work/items.txt"

declare -A qps
load() { # port user db
    local p=(psql -X -q -h 127.0.0.1 -p "$1" -U "$2" -d "$3" -v ON_ERROR_STOP=1)
    "${p[@]}" -c "CREATE TABLE items (id int PRIMARY KEY, score int, name text, price numeric(10,2))"
    "${p[@]}" -c "\\copy items FROM '$work/items.txt'"
    for q in $QUERIES; do "${p[@]}" -Atc "${SQL[$q]}" >"$work/answer-$q-$1.txt"; done
}
measure() { # label port user db suffix
    for q in $QUERIES; do
        for c in 1 2; do
            qps[$1,$q,$c]=$(run_pgbench "$2" "$3" "$4" -n -f "$work/$q$5.sql" -c "$c" -j "$c" \
                -T "$DURATION")
        done
    done
}

start_postgres
load "$pg_port" postgres postgres
as_pg_user "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "ANALYZE" postgres
measure postgres "$pg_port" postgres postgres ""

start_two_replicasets
cport=$((BASE_PORT + 34))
load "$cport" cairn cairn
for q in $QUERIES; do
    cmp "$work/answer-$q-$pg_port.txt" "$work/answer-$q-$cport.txt" ||
        { echo "Cairn's answer to $q differs from PostgreSQL's" >&2; exit 1; }
done
psql -X -h 127.0.0.1 -p "$cport" -U cairn -d cairn -Atc "EXPLAIN ${SQL[page]}" | grep -v There
measure merged "$cport" cairn cairn ""
measure sorted-here "$cport" cairn cairn "-here"
merged=$(curl -s "http://127.0.0.1:$((BASE_PORT + 24))/metrics" |
    awk '/^cairn_sql_gathers_merged_total/{print $2}')
stop_cairn
targets="postgres merged sorted-here"
if [ -n "${BEFORE_BIN:-}" ]; then
    # The same queries on another build (an older one: what merging changed), same machine.
    CAIRN=$BEFORE_BIN
    sleep 2
    rm -rf "$work/s1" "$work/s2"
    start_two_replicasets
    load "$cport" cairn cairn
    measure before "$cport" cairn cairn ""
    stop_cairn
    targets="$targets before"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo "items $ROWS rows, $DURATION s per run, $(nproc) CPUs; queries per second (ratio to" \
    "PostgreSQL 15); $merged answered by merging"
printf "%-6s %-12s %18s %18s\n" query target "1 client" "2 clients"
for q in $QUERIES; do
    for t in $targets; do
        printf "%-6s %-12s %18s %18s\n" "$q" "$t" \
            "${qps[$t,$q,1]} ($(ratio "${qps[$t,$q,1]}" "${qps[postgres,$q,1]}"))" \
            "${qps[$t,$q,2]} ($(ratio "${qps[$t,$q,2]}" "${qps[postgres,$q,2]}"))"
    done
done
