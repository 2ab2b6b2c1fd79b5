#!/usr/bin/env bash
# A join that is not on the distribution key, side by side in one run, on loopback: PostgreSQL 15
# (default settings) and two Cairn replicasets of one node each sharing the buckets.
#   orders(id PRIMARY KEY, customer, amount): $ORDERS rows, sharded by id
#   customers(id PRIMARY KEY, region): $CUSTOMERS rows, sharded by id
#   SELECT c.region, count(*), sum(o.amount) FROM orders o JOIN customers c ON c.id = o.customer
#     GROUP BY c.region
# Cairn answers it two ways: the smaller side (customers) moved to the replicasets of orders,
# which aggregate there ("moved", the plan Cairn picks), and every row of both tables fetched to
# the coordinator ("fetched", forced by a WITH in front, as before the move existed). Prints the
# queries per second of each with 1 and 2 clients, and the ratios to PostgreSQL.
#
#   bench/join_vs_postgres.sh            # CAIRN_BIN=build/cairn DURATION=10 ORDERS=200000
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CAIRN=${CAIRN_BIN:-$ROOT/build/cairn}
PG_BIN=${CAIRN_PG_BIN:-/usr/lib/postgresql/15/bin}
DURATION=${DURATION:-10}
ORDERS=${ORDERS:-200000}
CUSTOMERS=${CUSTOMERS:-1000}
BASE_PORT=${BASE_PORT:-27500}

source "$ROOT/bench/pg_lib.sh"

QUERY="SELECT c.region, count(*), sum(o.amount) FROM orders o JOIN customers c ON c.id = o.customer GROUP BY c.region"
echo "$QUERY;" >"$work/moved.sql"
echo "WITH unused AS (SELECT 1) $QUERY;" >"$work/fetched.sql"
awk -v n="$ORDERS" -v c="$CUSTOMERS" 'BEGIN{for(i=1;i<=n;i++) printf "%d\t%d\t%d.%02d\n", i, (i*7919)%c+1, i%997, i%100}' \
    >"$work/orders.txt"
awk -v c="$CUSTOMERS" 'BEGIN{for(i=1;i<=c;i++) printf "%d\tregion %d\n", i, i%17}' >"$work/customers.txt"

declare -A qps
load() { # port user db
    local p=(psql -X -q -h 127.0.0.1 -p "$1" -U "$2" -d "$3" -v ON_ERROR_STOP=1)
    "${p[@]}" -c "CREATE TABLE orders (id int PRIMARY KEY, customer int, amount numeric(10,2))"
    "${p[@]}" -c "CREATE TABLE customers (id int PRIMARY KEY, region text)"
    "${p[@]}" -c "\\copy orders FROM '$work/orders.txt'"
    "${p[@]}" -c "\\copy customers FROM '$work/customers.txt'"
    "${p[@]}" -Atc "$QUERY ORDER BY 1" >"$work/answer-$1.txt"
}
measure() { # label port user db script
    for c in 1 2; do
        qps[$1,$c]=$(run_pgbench "$2" "$3" "$4" -n -f "$work/$5.sql" -c "$c" -j "$c" -T "$DURATION")
    done
}

start_postgres
load "$pg_port" postgres postgres
as_pg_user "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "ANALYZE" postgres
measure postgres "$pg_port" postgres postgres moved

start_two_replicasets
cport=$((BASE_PORT + 34))
load "$cport" cairn cairn
cmp "$work/answer-$pg_port.txt" "$work/answer-$cport.txt" ||
    { echo "Cairn's answer differs from PostgreSQL's" >&2; exit 1; }
psql -X -h 127.0.0.1 -p "$cport" -U cairn -d cairn -Atc "EXPLAIN $QUERY" | head -n 4
measure cairn-moved "$cport" cairn cairn moved
measure cairn-fetched "$cport" cairn cairn fetched
moved=$(curl -s "http://127.0.0.1:$((BASE_PORT + 24))/metrics" |
    awk '/^cairn_sql_gathers_total\{plan="moved"\}/{print $2}')
stop_cairn

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo "orders $ORDERS rows, customers $CUSTOMERS rows, $DURATION s per run, $(nproc) CPUs;" \
    "queries per second (ratio to PostgreSQL 15); $moved answered by the moved plan"
printf "%-14s %16s %16s\n" target "1 client" "2 clients"
for t in postgres cairn-moved cairn-fetched; do
    printf "%-14s %16s %16s\n" "$t" "${qps[$t,1]} ($(ratio "${qps[$t,1]}" "${qps[postgres,1]}"))" \
        "${qps[$t,2]} ($(ratio "${qps[$t,2]}" "${qps[postgres,2]}"))"
done
