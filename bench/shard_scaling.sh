#!/usr/bin/env bash
# Sharding figures: key-value write throughput with 1, 2 and 3 replicasets
# (one node each, replication factor 1, so the node count grows with them),
# then bucket-move throughput and the longest write pause while a second
# replicaset takes over half of a loaded one, under a concurrent writer.
#
#   bench/shard_scaling.sh [SECONDS] [RECORDS]     (defaults: 10, 100000)
#
# Needs build/cairn (make build). Load comes from `cairn bench kv`.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
RECORDS=${2:-100000}
CAIRN=${CAIRN_BIN:-$PWD/build/cairn}
WORK=$(mktemp -d /tmp/cairn-shard-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

start_node() { # index [extra args...]
  local i=$1; shift
  CAIRN_LOG=warn "$CAIRN" run --name s$i --data-dir "$WORK/s$i" --listen 127.0.0.1:1720$i \
    --http 127.0.0.1:1728$i "$@" >"$WORK/s$i.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do curl -sf http://127.0.0.1:1728$i/health >/dev/null 2>&1 && return; sleep 0.1; done
  echo "bench: node $i did not come up" >&2; exit 1
}
metric() { # port name -> value
  curl -s http://127.0.0.1:$1/metrics | awk -v m="$2" '$1 == m {print $2}'
}
balanced() { # port replicasets -> 0 when every replicaset holds its share and nothing moves
  curl -s http://127.0.0.1:$1/v1/cluster | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin); want = int(sys.argv[1])
rs = [r for r in c.get("replicasets", []) if r["state"] == "active"]
ok = len(rs) == want and not c.get("moves") and \
     max(r["buckets"] for r in rs) - min(r["buckets"] for r in rs) <= c["bucket_count"] // 100 + 1
sys.exit(0 if ok else 1)' "$2"
}
wait_balanced() {
  for _ in $(seq 1200); do balanced "$1" "$2" && return 0; sleep 0.1; done
  echo "bench: not balanced" >&2; exit 1
}

echo "command: bench/shard_scaling.sh $DUR $RECORDS"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
printf "%-12s %-6s %10s %9s %9s\n" replicasets nodes put_per_s p50_ms p99_ms
addrs=""
for n in 1 2 3; do
  if [[ $n -eq 1 ]]; then start_node 1; else start_node $n --join 127.0.0.1:17201; fi
  addrs="${addrs:+$addrs,}127.0.0.1:1728$n"
  wait_balanced 17281 $n
  out=$("$CAIRN" bench kv --addr "$addrs" --concurrency 64 --duration "$DUR" --read-ratio 0 \
        --value-size 100 --keys 100000 --json)
  echo "$out" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin); lat = d["writes"]["latency_ms"]
print("%-12s %-6s %10.0f %9.2f %9.2f" % (sys.argv[1], sys.argv[1], d["ok_ops_s"], lat["p50"],
      lat["p99"]))' "$n"
done
for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
PIDS=()
rm -rf "$WORK"/s*

# Moves: up to RECORDS keys in one replicaset, then a second one joins and
# takes half of the buckets while a writer keeps going.
start_node 1
"$CAIRN" bench kv --addr 127.0.0.1:17281 --concurrency 64 --duration "$DUR" --read-ratio 0 \
  --value-size 100 --keys "$RECORDS" --json >/dev/null 2>&1 || true
loaded=$(metric 17281 'cairn_raft_applied_index{group="2"}')
"$CAIRN" bench kv --addr 127.0.0.1:17281 --concurrency 16 --duration 600 --read-ratio 0 \
  --value-size 100 --keys 10000 --json >"$WORK/writer.json" 2>/dev/null &
WRITER=$!
PIDS+=($WRITER)
t0=$(date +%s.%N)
start_node 2 --join 127.0.0.1:17201
wait_balanced 17281 2
t1=$(date +%s.%N)
kill -INT $WRITER 2>/dev/null || true
rows=$(metric 17281 cairn_move_rows_total)
bytes=$(metric 17281 cairn_move_bytes_total)
pause=$(metric 17281 cairn_move_write_pause_seconds_max)
moves=$(metric 17281 cairn_moves_finished_total)
/usr/bin/python3 - "$t0" "$t1" "$rows" "$bytes" "$pause" "$moves" "$loaded" <<'PY'
import sys
t0, t1, rows, nbytes, pause, moves, loaded = map(float, sys.argv[1:])
secs = t1 - t0
print("moves: %d buckets, %d records (%.1f MB) in %.1f s (log index %d before): %.0f records/s, %.2f MB/s"
      % (moves, rows, nbytes / 1e6, secs, loaded, rows / secs, nbytes / 1e6 / secs))
print("longest write pause during a move (fence to flip): %.1f ms" % (pause * 1e3))
PY
