#!/usr/bin/env bash
# fanout.sh measures enhanced fan-out against runnel servers it starts
# itself, in memory and durable, and prints the figures for
# docs/PERFORMANCE.md as a Markdown table:
#
#   scripts/bench/fanout.sh                  # both engines
#   scripts/bench/fanout.sh durable          # one of them
#
# Scenarios, each on a fresh 1-shard stream of 1 KiB records that the tool
# creates and deletes, its consumers registered and deregistered likewise:
#   latency-1    1 consumer,   1,000 records/s from PutRecord (16 clients)
#   latency-20   20 consumers, 1,000 records/s from PutRecord (16 clients)
#   throughput   1 consumer, no rate cap, PutRecords of 500 (4 clients)
#
# Environment:
#   RUNNEL    the runnel binary to use (default: builds ./cmd/runnel)
#   DURATION  length of each run (default 20s)
#   PORT      port the servers listen on, on 127.0.0.1 (default 4577)
#   OUT_DIR   where the binary, JSON reports, logs and the durable engine's
#             data go (default: a new temp dir)
#   SERVE_FLAGS  more flags for runnel serve, e.g. "--fsync never"
#   NICE      niceness of server and tool, e.g. -10 (root) to put other work
#             on the machine behind them (default: unchanged)
#
# CPU columns are percent of one core over the run: the server (runnel
# serve), the tool (runnel bench), and everything else on the machine. The
# machine has 2 cores (200%): other work on it skews the latencies.
set -euo pipefail

die() { echo "fanout.sh: $*" >&2; exit 1; }

readonly duration=${DURATION:-20s} port=${PORT:-4577}
nice=()
[[ -n ${NICE:-} ]] && nice=(nice -n "$NICE")
readonly endpoint=http://127.0.0.1:$port
command -v jq >/dev/null || die "jq not found"
engines=("$@")
[[ ${#engines[@]} -gt 0 ]] || engines=(in-memory durable)

out=${OUT_DIR:-$(mktemp -d -t runnel-fanout.XXXXXX)}
mkdir -p "$out"
if [[ -n ${RUNNEL:-} ]]; then
	runnel=$RUNNEL
else
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	(cd "$repo" && go build -o "$out/runnel" ./cmd/runnel) || die "building runnel failed"
	runnel=$out/runnel
fi

server=""
stop_server() {
	if [[ -n $server ]]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
		server=""
	fi
}
trap stop_server EXIT

# start_server <engine> runs runnel serve with that engine and waits until
# it accepts connections.
start_server() {
	local engine=$1 flags extra
	case $engine in
	in-memory) flags=(--in-memory) ;;
	durable)
		rm -rf "$out/data"
		flags=(--data-dir "$out/data")
		;;
	*) die "unknown engine $engine (in-memory or durable)" ;;
	esac
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		die "something listens on port $port already; set PORT"
	fi
	read -r -a extra <<<"${SERVE_FLAGS:-}"
	"${nice[@]}" "$runnel" serve "${flags[@]}" "${extra[@]}" --addr "127.0.0.1:$port" --log-level warn 2>"$out/serve-$engine.log" &
	server=$!
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return
		fi
		kill -0 "$server" 2>/dev/null || die "runnel serve exited; see $out/serve-$engine.log"
		sleep 0.1
	done
	die "runnel serve did not listen on $port"
}

# cpu_seconds <pid> prints the CPU time the process has used.
cpu_seconds() {
	awk -v tck="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / tck }' "/proc/$1/stat"
}

# busy_seconds prints the CPU time all processes of the machine have used.
busy_seconds() {
	awk -v tck="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%.2f", ($2 + $3 + $4 + $7 + $8) / tck }' /proc/stat
}

# bench <engine> <scenario> <args...> runs the tool and keeps its JSON
# report in $out/<engine>-<scenario>.json, and in <engine>-<scenario>.cpu
# the CPU seconds of the server, of the tool and of the whole machine, and
# the wall time.
bench() {
	local engine=$1 scenario=$2 before busy user sys wall
	shift 2
	before=$(cpu_seconds "$server")
	busy=$(busy_seconds)
	"${nice[@]}" /usr/bin/time -f "%U %S %e" -o "$out/$engine-$scenario.time" \
		"$runnel" bench fanout "$@" --endpoint "$endpoint" --stream "fanout-$scenario" \
		--shards 1 --record-size 1024 --duration "$duration" --create --delete --json \
		>"$out/$engine-$scenario.json" 2>"$out/$engine-$scenario.log" ||
		die "$engine $scenario failed; see $out/$engine-$scenario.log"
	read -r user sys wall <"$out/$engine-$scenario.time"
	echo "$(awk -v a="$before" -v b="$(cpu_seconds "$server")" 'BEGIN { print b - a }')" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
		"$(awk -v a="$busy" -v b="$(busy_seconds)" 'BEGIN { print b - a }')" "$wall" \
		>"$out/$engine-$scenario.cpu"
}

# row <engine> <scenario> prints the scenario's table row.
row() {
	local server_cpu tool_cpu busy wall
	read -r server_cpu tool_cpu busy wall <"$out/$1-$2.cpu"
	jq -r --arg engine "$1" --arg scenario "$2" \
		--argjson server "$server_cpu" --argjson tool "$tool_cpu" --argjson busy "$busy" --argjson wall "$wall" --arg flags "${SERVE_FLAGS:-}" '
		(.phases[] | select(.name == "put")) as $put |
		(.phases[] | select(.name == "deliver")) as $d |
		"| \($engine)\(if $flags == "" then "" else " " + $flags end) | \($scenario) | \(.consumers) | \($put.records_per_second | round) | " +
		"\($d.records_per_second | round) | \($d.mib_per_second * 100 | round / 100) | " +
		"\($d.end_to_end_ms.p50) | \($d.end_to_end_ms.p90) | \($d.end_to_end_ms.p99) | \($d.end_to_end_ms.max * 100 | round / 100) | " +
		"\($d.delivery.produced) x \($d.delivery.consumers) = \($d.delivery.expected) | \($d.delivery.delivered) | " +
		"\($d.delivery.missing) | \($d.delivery.duplicates) | \($put.failed_calls + $put.rejected_records + $d.failed_calls) | " +
		"\($server / $wall * 100 | round)% | \($tool / $wall * 100 | round)% | \([($busy - $server - $tool) / $wall * 100, 0] | max | round)% |"
	' "$out/$1-$2.json"
}

rows=()
for engine in "${engines[@]}"; do
	start_server "$engine"
	bench "$engine" latency-1 --consumers 1 --rate 1000 --batch-size 1 --concurrency 16
	bench "$engine" latency-20 --consumers 20 --rate 1000 --batch-size 1 --concurrency 16
	bench "$engine" throughput --consumers 1 --batch-size 500 --concurrency 4
	stop_server
	for scenario in latency-1 latency-20 throughput; do
		rows+=("$(row "$engine" "$scenario")")
	done
done

echo "| engine | scenario | consumers | put records/s | delivered records/s | delivered MiB/s | e2e p50 ms | p90 ms | p99 ms | max ms | expected | delivered | missing | duplicates | errors | server CPU | tool CPU | other CPU |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
echo
echo "reports and logs: $out"
