#!/usr/bin/env bash
# Start (or stop) a local 3-node provgate cluster on loopback with `provgate serve` alone:
# node1 bootstraps, node2 and node3 join through it. Data in ./data/nodeN, logs in ./data/nodeN.log.
#   scripts/local-cluster.sh start     # HTTP 127.0.0.1:8080-8082, Raft 127.0.0.1:7000-7002
#   scripts/local-cluster.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/provgate
export PROVGATE_ADMIN_TOKEN=${PROVGATE_ADMIN_TOKEN:-local-cluster-token}
case "${1:-start}" in
start)
  [ -x "$bin" ] || make build
  in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  for p in 8080 8081 8082 7000 7001 7002; do
    if in_use "$p"; then echo "port $p is in use (a cluster already running? scripts/local-cluster.sh stop)" >&2; exit 1; fi
  done
  mkdir -p data
  for i in 1 2 3; do
    args=(serve --config configs/provgate.yaml --node-id "node$i" --data-dir "data/node$i"
          --http-addr "127.0.0.1:808$((i-1))" --raft-addr "127.0.0.1:700$((i-1))" ${PROVGATE_DEBUG:+--debug-addr "127.0.0.1:606$((i-1))"})
    if [ "$i" = 1 ]; then args+=(--bootstrap); else args+=(--join 127.0.0.1:8080); fi
    nohup "$bin" "${args[@]}" >"data/node$i.log" 2>&1 &
    echo $! >"data/node$i.pid"
    for _ in $(seq 1 100); do curl -sf "127.0.0.1:808$((i-1))/readyz" >/dev/null && break; sleep 0.2; done
    kill -0 "$(cat "data/node$i.pid")" 2>/dev/null || { echo "node$i exited; see data/node$i.log" >&2; exit 1; }
    echo "node$i ready on http://127.0.0.1:808$((i-1))"
  done
  echo "admin token: $PROVGATE_ADMIN_TOKEN"
  ;;
stop)
  for i in 1 2 3; do [ -f "data/node$i.pid" ] && kill "$(cat "data/node$i.pid")" 2>/dev/null || true; rm -f "data/node$i.pid"; done
  ;;
esac
