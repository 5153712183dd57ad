package main

import (
	"errors"
	"log/slog"

	"github.com/runnel-dev/runnel/internal/storage"
)

// openDurable opens the durable engine in dir.
func openDurable(dir string, log *slog.Logger) (storage.Engine, error) {
	return nil, errors.New("the durable engine is not wired yet; use --in-memory")
}
