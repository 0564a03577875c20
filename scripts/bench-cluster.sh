#!/usr/bin/env bash
# Measure the outpatient flow against a fresh local 3-node cluster, the way the
# issue notes report it: for each client count, a new cluster on loopback (fsync
# on), `provgate bench` against the leader, and the CPU the three nodes used per
# replicated write (utime+stime from /proc, so it holds up better than
# throughput on a shared, noisy machine).
#
#   scripts/bench-cluster.sh                 # 1, 16 and 128 clients, 20 s each
#   CLIENTS="128 128 128" DURATION=30s scripts/bench-cluster.sh
#   BIN=/tmp/other-build scripts/bench-cluster.sh   # compare two builds in one run
#   CONFIG=configs/old.yaml BIN=/tmp/old-build scripts/bench-cluster.sh  # an older build reads its own config
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BIN:-}" ] || { make -s build; BIN=./bin/provgate; }
CLIENTS=${CLIENTS:-"1 16 128"}
DURATION=${DURATION:-20s}
export PROVGATE_ADMIN_TOKEN=bench-cluster-token

cpu_ticks() { # summed utime+stime of the given pids, in clock ticks
  local t=0
  for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done
  echo "$t"
}

# A node left from an earlier run on one of these ports would answer instead
# of the fresh cluster, and be measured.
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in 18081 18082 18083 17081 17082 17083; do
  if in_use "$p"; then echo "port $p is in use (a node left from an earlier run?); stop it first" >&2; exit 1; fi
done

printf '%-8s %12s %12s %10s %10s %10s %14s %14s\n' clients "writes/s" "visits/s" p50 p90 p99 "cpu us/write" "tool us/write"
for c in $CLIENTS; do
  dir=$(mktemp -d)
  pids=()
  for i in 1 2 3; do
    args=(serve --config "${CONFIG:-configs/provgate.yaml}" --node-id "node$i" --data-dir "$dir/node$i"
          --http-addr "127.0.0.1:1808$i" --raft-addr "127.0.0.1:1708$i")
    if [ "$i" = 1 ]; then args+=(--bootstrap); else args+=(--join 127.0.0.1:18081); fi
    "$BIN" "${args[@]}" >"$dir/node$i.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 150); do curl -sf "127.0.0.1:1808$i/readyz" >/dev/null && break; sleep 0.2; done
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "node$i exited:" >&2; tail -n 5 "$dir/node$i.log" >&2; exit 1; }
  done
  sleep 1
  before=$(cpu_ticks "${pids[@]}")
  out=$("$BIN" bench --addr 127.0.0.1:18081 --clients "$c" --duration "$DURATION")
  after=$(cpu_ticks "${pids[@]}")
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  rm -rf "$dir"
  writes=$(awk '/replicated writes/{print $3}' <<<"$out")
  rate=$(awk '/replicated writes/{print $4}' <<<"$out")
  visits=$(awk '/visits settled/{print $4}' <<<"$out")
  read -r p50 p90 p99 < <(awk '$1=="all"{print $3, $4, $5}' <<<"$out")
  tool=$(awk '/load tool CPU/{print $(NF-4)}' <<<"$out")
  ticks=$(getconf CLK_TCK)
  printf '%-8s %12s %12s %10s %10s %10s %14s %14s\n' "$c" "$rate" "$visits" "$p50" "$p90" "$p99" \
    "$(( (after - before) * 1000000 / ticks / (writes > 0 ? writes : 1) ))" "${tool:--}"
done
