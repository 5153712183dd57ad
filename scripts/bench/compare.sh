#!/usr/bin/env bash
# compare.sh runs the four baseline scenarios of docs/PERFORMANCE.md against
# one Kinesis endpoint and prints the median of each figure as a Markdown
# table. Run it once per server in the same session to compare them:
#
#   scripts/bench/compare.sh http://127.0.0.1:4568 kinesalite
#   scripts/bench/compare.sh http://127.0.0.1:4567 runnel
#
# Scenarios (each on a fresh stream, created and deleted by the tool):
#   1. PutRecords, 500 x 1 KiB, 4 shards, 4 clients       MiB/s
#   2. PutRecords, 500 x 100 B, 4 shards, 4 clients       records/s
#   3. PutRecord, 1 KiB, 16 clients                       calls/s, p99
#   4. GetRecords, 200,000 x 1 KiB from 4 shards          records/s, MiB/s
# and for each, the load tool's own CPU (percent of one core): near 100, the
# tool rather than the server set the figure.
#
# Environment:
#   RUNNEL_BENCH  command that runs the load tool (default: builds
#                 ./cmd/runnel and runs "runnel bench")
#   RUNS          runs per scenario, the median is reported (default 3)
#   DURATION      length of each put run (default 10s)
#   READ_RECORDS  records scenario 4 fills and reads (default 200000)
#   TOOL_CPU      CPU the tool is pinned to with taskset (default 0; empty: none)
#   OUT_DIR       where the JSON reports are kept (default: a new temp dir)
set -euo pipefail

die() { echo "compare.sh: $*" >&2; exit 1; }

[[ $# -ge 1 ]] || die "usage: compare.sh <endpoint> [label]"
readonly endpoint=$1 label=${2:-$1}
readonly runs=${RUNS:-3} duration=${DURATION:-10s} records=${READ_RECORDS:-200000} cpu=${TOOL_CPU-0}
command -v jq >/dev/null || die "jq not found"

out=${OUT_DIR:-$(mktemp -d -t runnel-compare.XXXXXX)}
mkdir -p "$out"

if [[ -n ${RUNNEL_BENCH:-} ]]; then
	read -r -a tool <<<"$RUNNEL_BENCH"
else
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	(cd "$repo" && go build -o "$out/runnel" ./cmd/runnel) || die "building runnel failed"
	tool=("$out/runnel" bench)
fi
pin=()
[[ -n $cpu ]] && command -v taskset >/dev/null && pin=(taskset -c "$cpu")

# bench <name> <run> <args...> runs the tool on a fresh stream and keeps
# its JSON report in $out/<name>-<run>.json.
bench() {
	local name=$1 run=$2
	shift 2
	"${pin[@]}" "${tool[@]}" "$@" --endpoint "$endpoint" --stream "bench-$name-$run" \
		--create --delete --json >"$out/$name-$run.json" 2>"$out/$name-$run.log" ||
		die "$name run $run failed; see $out/$name-$run.log"
}

# median <name> <jq filter> prints the median of the filter over the runs.
median() {
	local name=$1 filter=$2
	for run in $(seq "$runs"); do jq -r "$filter" "$out/$name-$run.json"; done |
		sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# all <name> <jq filter> prints the filter's value for every run.
all() {
	local name=$1 filter=$2
	for run in $(seq "$runs"); do jq -r "$filter" "$out/$name-$run.json"; done | awk '{ printf "%s%.1f", (NR > 1 ? " " : ""), $1 }'
}

row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$(median "$3" "$4")" "$(all "$3" "$4")"; }

readonly put='.phases[] | select(.name == "put")'
readonly read='.phases[] | select(.name == "read")'

for run in $(seq "$runs"); do
	echo "run $run of $runs against $label" >&2
	bench putrecords-1k "$run" put-records --shards 4 --concurrency 4 --batch-size 500 --record-size 1024 --duration "$duration"
	bench putrecords-100b "$run" put-records --shards 4 --concurrency 4 --batch-size 500 --record-size 100 --duration "$duration"
	bench putrecord-1k "$run" put-record --shards 4 --concurrency 16 --record-size 1024 --duration "$duration"
	bench getrecords-1k "$run" get-records --shards 4 --concurrency 4 --batch-size 500 --record-size 1024 --records "$records"
done

echo
echo "$label ($endpoint), median of $runs runs; JSON reports in $out"
echo
echo "| scenario | figure | median | runs |"
echo "|---|---|---|---|"
row "PutRecords, 500 x 1 KiB, 4 shards, 4 clients" "MiB/s" putrecords-1k "$put.mib_per_second"
row "PutRecords, 500 x 100 B, 4 shards, 4 clients" "records/s" putrecords-100b "$put.records_per_second"
row "PutRecord, 1 KiB, 16 clients" "calls/s" putrecord-1k "$put.calls_per_second"
row "PutRecord, 1 KiB, 16 clients" "p99 ms" putrecord-1k "$put.latency_ms.p99"
row "GetRecords, 200,000 x 1 KiB, 4 shards" "records/s" getrecords-1k "$read.records_per_second"
row "GetRecords, 200,000 x 1 KiB, 4 shards" "MiB/s" getrecords-1k "$read.mib_per_second"
# The load tool's own CPU, in percent of one core: near 100 (with the tool
# pinned to one CPU) the tool, not the server, set the figure above.
row "PutRecords, 500 x 1 KiB" "tool CPU %" putrecords-1k "$put.tool_cpu_percent"
row "PutRecords, 500 x 100 B" "tool CPU %" putrecords-100b "$put.tool_cpu_percent"
row "PutRecord, 1 KiB, 16 clients" "tool CPU %" putrecord-1k "$put.tool_cpu_percent"
row "GetRecords, 200,000 x 1 KiB" "tool CPU %" getrecords-1k "$read.tool_cpu_percent"

# Errors are part of the figures: a server that fails calls or rejects
# records must not look faster for it.
errors=$(jq -r '.phases[] | select(.failed_calls + .rejected_records > 0) |
	"\(input_filename): \(.name) failed \(.failed_calls) calls, rejected \(.rejected_records) records"' "$out"/*.json)
if [[ -n $errors ]]; then
	echo
	echo "errors:"
	echo "$errors"
fi
