# Shared by the benchmarks that run PostgreSQL 15 and Cairn side by side (sourced, after
# ROOT, CAIRN, PG_BIN and BASE_PORT are set). Every process started is stopped by pid on exit.
# As root, PostgreSQL runs as `nobody` (initdb and postgres refuse root), through setpriv.

work=$(mktemp -d /tmp/cairn-bench-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

as_pg_user() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
    else
        "$@"
    fi
}

# tps of one pgbench run: the "without initial connection time" figure.
run_pgbench() { # port user db args...
    local port=$1 user=$2 db=$3
    shift 3
    pgbench -h 127.0.0.1 -p "$port" -U "$user" "$@" "$db" 2>&1 |
        awk '/^tps = /{printf "%.0f", $3}'
}

wait_pg() { # port user db
    for _ in $(seq 1 300); do
        if psql -X -h 127.0.0.1 -p "$1" -U "$2" -d "$3" -Atc 'SELECT 1' >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    echo "nothing answers PostgreSQL on port $1; logs:" >&2
    tail -n 20 "$work"/*.log >&2
    exit 1
}

# PostgreSQL 15 on $BASE_PORT, database and user postgres; sets pg_port.
start_postgres() {
    mkdir -p "$work/pg" "$work/pgsock"
    chown -R nobody "$work/pg" "$work/pgsock" 2>/dev/null || true
    as_pg_user "$PG_BIN/initdb" -D "$work/pg/data" -U postgres --auth=trust >"$work/initdb.log" 2>&1
    pg_port=$BASE_PORT
    as_pg_user "$PG_BIN/postgres" -D "$work/pg/data" -p "$pg_port" -k "$work/pgsock" \
        -c listen_addresses=127.0.0.1 >"$work/postgres.log" 2>&1 &
    pids+=($!)
    wait_pg "$pg_port" postgres postgres
}

start_cairn() { # name index extra...
    local name=$1 i=$2
    shift 2
    "$CAIRN" run --name "$name" --data-dir "$work/$name" \
        --listen "127.0.0.1:$((BASE_PORT + 10 + i))" --http "127.0.0.1:$((BASE_PORT + 20 + i))" \
        --pg "127.0.0.1:$((BASE_PORT + 30 + i))" "$@" >"$work/$name.log" 2>&1 &
    pids+=($!)
}
stop_cairn() {
    # The cairn pids started since the PostgreSQL one.
    local keep=("${pids[0]}")
    for p in "${pids[@]:1}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    pids=("${keep[@]}")
}

# Three nodes (indexes 1 to 3) of one replicaset with replication factor 3, returned once each
# answers and the replicaset has its three voters.
start_three_rf3() {
    start_cairn r1 1 --replication-factor 3
    sleep 1
    start_cairn r2 2 --join "127.0.0.1:$((BASE_PORT + 11))"
    start_cairn r3 3 --join "127.0.0.1:$((BASE_PORT + 11))"
    for i in 1 2 3; do wait_pg $((BASE_PORT + 30 + i)) cairn cairn; done
    sleep 5 # the replicaset's three voters
}

# Two replicasets of one node each (indexes 4 and 5), returned once the buckets are shared
# and no move is under way (a COPY that meets a moving bucket fails with 40001).
start_two_replicasets() {
    start_cairn s1 4 --bucket-count 300
    sleep 1
    start_cairn s2 5 --join "127.0.0.1:$((BASE_PORT + 14))"
    for i in 4 5; do wait_pg $((BASE_PORT + 30 + i)) cairn cairn; done
    quiet=0
    for _ in $(seq 1 180); do
        state=$(curl -s "http://127.0.0.1:$((BASE_PORT + 24))/v1/cluster")
        owners=$(echo "$state" | grep -o '"buckets":[0-9]*' | awk -F: '$2 >= 147' | wc -l)
        if [ "$owners" -ge 2 ] && echo "$state" | grep -q '"moves":\[\]'; then
            quiet=$((quiet + 1))
            [ "$quiet" -ge 5 ] && break
        else
            quiet=0
        fi
        sleep 1
    done
}

# pgbench's tables for select-only runs on several replicasets. pgbench -i loads inside one
# transaction, which may not span replicasets: the tables are created with pgbench, the same
# rows loaded outside a transaction block (SCALE as pgbench -s).
load_select_only() { # port user db
    local port=$1 user=$2 db=$3
    pgbench -h 127.0.0.1 -p "$port" -U "$user" -i -I dt -s "$SCALE" "$db" >"$work/load-$port.log" 2>&1
    local p=(psql -X -q -h 127.0.0.1 -p "$port" -U "$user" -d "$db" -v ON_ERROR_STOP=1)
    awk -v s="$SCALE" 'BEGIN{for(i=1;i<=s*100000;i++) printf "%d\t%d\t0\t\n", i, int((i-1)/100000)+1}' \
        >"$work/accounts.txt"
    "${p[@]}" -c "\\copy pgbench_accounts FROM '$work/accounts.txt'"
    for b in $(seq 1 "$SCALE"); do "${p[@]}" -c "INSERT INTO pgbench_branches VALUES ($b, 0)"; done
    for t in $(seq 1 $((SCALE * 10))); do
        "${p[@]}" -c "INSERT INTO pgbench_tellers VALUES ($t, $(((t - 1) / 10 + 1)), 0)"
    done
    pgbench -h 127.0.0.1 -p "$port" -U "$user" -i -I p "$db" >>"$work/load-$port.log" 2>&1
}
