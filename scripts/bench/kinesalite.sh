#!/usr/bin/env bash
# kinesalite.sh runs kinesalite 3.3.3, in memory, as the baseline for
# "runnel bench" (see compare.sh).
#
#   kinesalite.sh start [port]   install if absent, start, print the address
#   kinesalite.sh stop [port]    stop the instance started on port
#
# Default port 4568. The server listens on 127.0.0.1 only, keeps streams in
# memory, creates/deletes/updates streams at once (…StreamMs 0) and is pinned
# to CPU $KINESALITE_CPU (default 1) so that the load tool can have CPU 0.
# kinesalite is installed with npm into $KINESALITE_DIR (default
# ${XDG_CACHE_HOME:-~/.cache}/runnel/kinesalite-3.3.3), never into the repo.
set -euo pipefail

readonly version=3.3.3
readonly dir=${KINESALITE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/runnel/kinesalite-$version}
readonly cpu=${KINESALITE_CPU:-1}

die() { echo "kinesalite.sh: $*" >&2; exit 1; }

install() {
	if [[ ! -f $dir/node_modules/kinesalite/package.json ]]; then
		command -v npm >/dev/null || die "npm not found"
		mkdir -p "$dir"
		npm install --prefix "$dir" --no-audit --no-fund --silent "kinesalite@$version" >&2
	fi
	# The CLI cannot bind to one address; this launcher binds to 127.0.0.1.
	cat >"$dir/launch.js" <<'JS'
const kinesalite = require('kinesalite');
const port = Number(process.argv[2]);
const server = kinesalite({createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0});
server.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));
JS
}

pidfile() { echo "$dir/kinesalite-$1.pid"; }

# wait_for_port polls until something accepts connections on port.
wait_for_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
		sleep 0.1
	done
	die "kinesalite did not start on port $1; see $dir/kinesalite-$1.log"
}

start() {
	local port=$1 pin=()
	install
	if [[ -f $(pidfile "$port") ]] && kill -0 "$(cat "$(pidfile "$port")")" 2>/dev/null; then
		die "already running on port $port (pid $(cat "$(pidfile "$port")"))"
	fi
	command -v taskset >/dev/null && pin=(taskset -c "$cpu")
	cd "$dir"
	nohup "${pin[@]}" node launch.js "$port" >"kinesalite-$port.log" 2>&1 &
	echo $! >"$(pidfile "$port")"
	wait_for_port "$port"
	echo "http://127.0.0.1:$port"
}

stop() {
	local port=$1 file
	file=$(pidfile "$port")
	[[ -f $file ]] || die "no kinesalite started on port $port"
	kill "$(cat "$file")" 2>/dev/null || true
	rm -f "$file"
}

case ${1:-} in
start) start "${2:-4568}" ;;
stop) stop "${2:-4568}" ;;
*) die "usage: kinesalite.sh start|stop [port]" ;;
esac
