package main

import (
	"log/slog"
	"runtime"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/logstore"
)

// openDurable opens the durable engine in dir with the given fsync policy.
func openDurable(dir string, sync logstore.SyncPolicy, log *slog.Logger) (storage.Engine, error) {
	return logstore.Open(dir, logstore.Options{Logger: log, Sync: sync})
}

// minDurableProcs is the fewest Ps the durable server runs with. The
// engine's syncer goroutine spends much of its time blocked in fdatasync,
// and a goroutine blocked in a system call keeps its P until the runtime's
// monitor hands the P to another thread. With one P (one CPU, or a
// container limited to one) every other goroutine waits for that handoff
// at each sync. A second P lets them run meanwhile: with the server pinned
// to one core, "runnel bench put-record" from 16 clients went from
// 6,000-7,600 to 8,100-8,600 calls/s, p99 from 6-16 ms to 6 ms.
const minDurableProcs = 2

// durableProcs returns the GOMAXPROCS the durable server should set, or 0
// to keep the current one: an explicit GOMAXPROCS setting is kept.
func durableProcs(env string, current int) int {
	if env != "" || current >= minDurableProcs {
		return 0
	}
	return minDurableProcs
}

// raiseProcs applies durableProcs.
func raiseProcs(env string) {
	if n := durableProcs(env, runtime.GOMAXPROCS(0)); n > 0 {
		runtime.GOMAXPROCS(n)
	}
}
