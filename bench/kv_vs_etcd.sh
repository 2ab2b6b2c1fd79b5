#!/usr/bin/env bash
# Key-value PUT throughput and latency: a 3-node Cairn cluster against a
# 3-member etcd cluster, both on loopback with fsync on, driven by the same
# load generator (wrk) with 100-byte values at 1, 64 and 256 connections, in
# one run. Prints a table, the Cairn/etcd ratios and each node's peak RSS.
#
#   bench/kv_vs_etcd.sh [DURATION_SECONDS]     (default 10)
#
# Needs: build/cairn (make build), Debian's etcd-server and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
CAIRN=${CAIRN_BIN:-$PWD/build/cairn}
ETCD=$(command -v etcd || echo /usr/bin/etcd)
for tool in "$CAIRN" "$ETCD" "$(command -v wrk)"; do
  [[ -x "$tool" ]] || { echo "bench: missing $tool (apt-get install etcd-server wrk; make build)" >&2; exit 2; }
done
WORK=$(mktemp -d /tmp/cairn-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

wait_http() { for _ in $(seq 200); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "bench: $1 did not come up" >&2; exit 1; }

# --- Cairn: node 1 bootstraps, 2 and 3 join.
for i in 1 2 3; do
  args=(run --name c$i --data-dir "$WORK/c$i" --listen 127.0.0.1:1710$i --http 127.0.0.1:1718$i)
  [[ $i -eq 1 ]] && args+=(--replication-factor 3) # one replicaset of all three, like etcd
  [[ $i -gt 1 ]] && args+=(--join 127.0.0.1:17101)
  CAIRN_LOG=warn "$CAIRN" "${args[@]}" >"$WORK/c$i.log" 2>&1 &
  PIDS+=($!); CPIDS[$i]=$!
  wait_http "http://127.0.0.1:1718$i/health"
done
for _ in $(seq 300); do
  v=$(curl -s http://127.0.0.1:17181/v1/cluster | grep -o '"role":"follower"' | wc -l)
  [[ $v -ge 2 ]] && break; sleep 0.1
done
# Aim at the leader of the replicaset that holds the keys, as etcd's own
# benchmark aims at etcd's leader.
for _ in $(seq 300); do
  curl -sf -X PUT --data-binary x http://127.0.0.1:17181/v1/kv/warmup >/dev/null 2>&1 && break; sleep 0.1
done
CLEADER=$(curl -s http://127.0.0.1:17181/v1/cluster | /usr/bin/python3 -c \
  'import json,sys; print(json.load(sys.stdin)["replicasets"][0]["leader"])')

# --- etcd: a static 3-member cluster.
CLUSTER="e1=http://127.0.0.1:2381,e2=http://127.0.0.1:2382,e3=http://127.0.0.1:2383"
for i in 1 2 3; do
  "$ETCD" --name e$i --data-dir "$WORK/e$i" --listen-peer-urls http://127.0.0.1:238$i \
    --initial-advertise-peer-urls http://127.0.0.1:238$i --listen-client-urls http://127.0.0.1:237$i \
    --advertise-client-urls http://127.0.0.1:237$i --initial-cluster "$CLUSTER" \
    --initial-cluster-state new --log-level error >"$WORK/e$i.log" 2>&1 &
  PIDS+=($!); EPIDS[$i]=$!
done
for i in 1 2 3; do wait_http "http://127.0.0.1:237$i/health"; done
ELEADER=1
for i in 1 2 3; do
  if curl -s -X POST http://127.0.0.1:237$i/v3/maintenance/status -d '{}' | grep -q '"leader":"\?\([0-9]*\)"\?' ; then
    st=$(curl -s -X POST http://127.0.0.1:237$i/v3/maintenance/status -d '{}')
    mid=$(echo "$st" | sed 's/.*"member_id":"\([0-9]*\)".*/\1/'); lid=$(echo "$st" | sed 's/.*"leader":"\([0-9]*\)".*/\1/')
    [[ "$mid" == "$lid" ]] && ELEADER=$i
  fi
done

run_wrk() { # url script conns -> "rps p50_ms p99_ms errors"
  local threads=$(( $3 < 2 ? 1 : 2 ))
  local out; out=$(wrk -t"$threads" -c"$3" -d"${DUR}s" --latency -s "$2" "$1" 2>&1)
  local rps p50 p99 errs
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errs=$(echo "$out" | awk '/Non-2xx/ {print $5}'); errs=${errs:-0}
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") $errs"
}
to_ms() { # wrk prints 1.23ms / 456.78us / 1.02s
  local v=$1
  case "$v" in
    *us) echo "$v" | sed 's/us//' | awk '{printf "%.3f", $1/1000}';;
    *ms) echo "$v" | sed 's/ms//' | awk '{printf "%.3f", $1}';;
    *s) echo "$v" | sed 's/s//' | awk '{printf "%.3f", $1*1000}';;
    *) echo "$v";;
  esac
}
rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

echo "command: bench/kv_vs_etcd.sh $DUR"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r); cairn leader node $CLEADER, etcd leader e$ELEADER"
printf "%-6s %-5s %10s %9s %9s %7s\n" system conns put_per_s p50_ms p99_ms errors
declare -A R
for c in 1 64 256; do
  read -r rps p50 p99 errs < <(run_wrk "http://127.0.0.1:1718$CLEADER" bench/wrk/cairn_put.lua $c)
  printf "%-6s %-5s %10s %9s %9s %7s\n" cairn $c "$rps" "$p50" "$p99" "$errs"; R[cairn$c]=$rps
  read -r rps p50 p99 errs < <(run_wrk "http://127.0.0.1:237$ELEADER" bench/wrk/etcd_put.lua $c)
  printf "%-6s %-5s %10s %9s %9s %7s\n" etcd $c "$rps" "$p50" "$p99" "$errs"; R[etcd$c]=$rps
done
for c in 1 64 256; do
  awk -v a="${R[cairn$c]}" -v b="${R[etcd$c]}" -v c=$c 'BEGIN {printf "throughput ratio cairn/etcd at %d conns: %.2fx\n", c, a/b}'
done
for i in 1 2 3; do echo "peak RSS cairn c$i: $(rss_kb ${CPIDS[$i]}) KiB   etcd e$i: $(rss_kb ${EPIDS[$i]}) KiB"; done
