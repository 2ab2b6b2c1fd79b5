#!/usr/bin/env bash
# Starts a 3-node Cairn cluster on loopback for trying it out, and stops it on
# Ctrl-C. Data lives in ./cairn-demo (kept between runs; delete it to start over).
#
#   scripts/cluster.sh            nodes: HTTP 127.0.0.1:7081-7083, peers 127.0.0.1:7001-7003
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build
BIN=$PWD/build/cairn
DIR=${CAIRN_DEMO_DIR:-$PWD/cairn-demo}
mkdir -p "$DIR"
PIDS=()
stop() {
  echo; echo "stopping the cluster"
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait
}
trap stop INT TERM
for i in 1 2 3; do
  args=(run --name node$i --data-dir "$DIR/node$i" --listen 127.0.0.1:700$i --http 127.0.0.1:708$i)
  [[ $i -eq 1 ]] && args+=(--replication-factor 3)
  [[ $i -gt 1 ]] && args+=(--join 127.0.0.1:7001)
  "$BIN" "${args[@]}" >>"$DIR/node$i.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do curl -sf http://127.0.0.1:708$i/health >/dev/null 2>&1 && break; sleep 0.1; done
done
cat <<MSG
A 3-node cluster is running (logs in $DIR/node*.log). Try:
  curl -X PUT --data-binary hello http://127.0.0.1:7081/v1/kv/greeting
  curl http://127.0.0.1:7083/v1/kv/greeting
  build/cairn status --addr 127.0.0.1:7082
Ctrl-C stops it.
MSG
wait
