#!/usr/bin/env bash
# memory.sh: resident memory of a durable runnel as retained data grows.
#
# Starts `runnel serve` on a fresh data directory, fills one stream with
# PutRecords until the directory holds each target size, and after each
# step reads the whole stream once (GetRecords from TRIM_HORIZON on every
# shard) and prints the server's resident memory (VmRSS, VmHWM). Finally it
# restarts the server on the same data and reports the restart time and the
# memory after a read. Usage:
#
#   scripts/bench/memory.sh [GiB steps...]      (default: 1 10)
#
# Needs about 1.1x the largest step of free disk under $DATA (default a
# directory in /tmp). SERVE_FLAGS adds flags to runnel serve, e.g.
# SERVE_FLAGS=--memory-limit=160MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=("$@")
[ $# -eq 0 ] && steps=(1 10)
DATA=${DATA:-$(mktemp -d /tmp/runnel-memory.XXXXXX)}
ADDR=${ADDR:-127.0.0.1:4590}
BIN=${RUNNEL_BENCH:-$(mktemp -d)/runnel}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/runnel
EP="http://$ADDR"
STREAM=memory

start() {
  "$BIN" serve --addr "$ADDR" --data-dir "$DATA" --log-level warn ${SERVE_FLAGS:-} &
  PID=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "$EP" && return 0
    sleep 0.1
  done
  echo "server did not start" >&2; exit 1
}
rss() { grep -E 'VmRSS|VmHWM' /proc/$PID/status | awk '{printf "%s %d MiB  ", $1, $2/1024}'; echo; }
size_gib() { du -sb "$DATA" | awk '{printf "%.2f", $1/1073741824}'; }
trap 'kill $PID 2>/dev/null || true' EXIT

start
"$BIN" bench put-records --endpoint "$EP" --stream $STREAM --create --shards 4 --duration 1s --record-size 20480 --batch-size 500 >/dev/null
for target in "${steps[@]}"; do
  while awk -v s="$(size_gib)" -v t="$target" 'BEGIN{exit !(s < t)}'; do
    "$BIN" bench put-records --endpoint "$EP" --stream $STREAM --duration 10s --record-size 20480 --batch-size 500 --concurrency 4 >/dev/null
  done
  echo "== retained $(size_gib) GiB"
  printf 'after writing: '; rss
  "$BIN" bench get-records --endpoint "$EP" --stream $STREAM --fill=false --records 100000000 >/dev/null
  printf 'after reading: '; rss
done
kill $PID; wait $PID 2>/dev/null || true
t0=$(date +%s.%N); start; t1=$(date +%s.%N)
echo "== restart with $(size_gib) GiB retained: $(echo "$t1 - $t0" | bc) s until serving"
printf 'after restart: '; rss
"$BIN" bench get-records --endpoint "$EP" --stream $STREAM --fill=false --records 100000000 >/dev/null
printf 'after reading: '; rss
