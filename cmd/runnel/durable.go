package main

import (
	"log/slog"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/logstore"
)

// openDurable opens the durable engine in dir with the given fsync policy.
func openDurable(dir string, sync logstore.SyncPolicy, log *slog.Logger) (storage.Engine, error) {
	return logstore.Open(dir, logstore.Options{Logger: log, Sync: sync})
}
