// Command serveprof runs a runnel server, as "runnel serve" does with its
// default settings, plus net/http/pprof on a separate debug address, so that
// the server's profile can be taken while "runnel bench" loads it:
//
//	go run ./scripts/bench/serveprof -data-dir /tmp/runnel-prof -pprof 127.0.0.1:6060 &
//	runnel bench fanout --endpoint http://127.0.0.1:4567 ... &
//	go tool pprof -top 'http://127.0.0.1:6060/debug/pprof/profile?seconds=15'
//
// An empty -data-dir keeps everything in memory. The mutex and block
// profiles are on as well, at the given sampling rates.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/runnel-dev/runnel/internal/server"
	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/logstore"
)

func main() {
	var cfg server.Config
	flag.StringVar(&cfg.Addr, "addr", server.DefaultAddr, "listen address of the Kinesis API")
	flag.StringVar(&cfg.Stream.AccountID, "account-id", "000000000000", "AWS account id used in ARNs")
	flag.StringVar(&cfg.Stream.Region, "region", "us-east-1", "AWS region used in ARNs")
	dataDir := flag.String("data-dir", "", "directory of the durable engine (empty: in memory)")
	fsync := flag.String("fsync", "always", "fsync policy of the durable engine, as runnel serve's --fsync")
	debugAddr := flag.String("pprof", "127.0.0.1:6060", "listen address of /debug/pprof")
	mutexRate := flag.Int("mutex-fraction", 0, "runtime.SetMutexProfileFraction (0: off)")
	blockRate := flag.Int("block-rate", 0, "runtime.SetBlockProfileRate in ns (0: off)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.Logger = log
	if *dataDir != "" {
		sync, err := logstore.ParseSyncPolicy(*fsync)
		if err != nil {
			fmt.Fprintln(os.Stderr, "serveprof:", err)
			os.Exit(2)
		}
		cfg.OpenEngine = func() (storage.Engine, error) {
			return logstore.Open(*dataDir, logstore.Options{Logger: log, Sync: sync})
		}
	}
	runtime.SetMutexProfileFraction(*mutexRate)
	runtime.SetBlockProfileRate(*blockRate)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, *debugAddr); err != nil {
		fmt.Fprintln(os.Stderr, "serveprof:", err)
		os.Exit(1)
	}
}

// run serves the API and the profiles until ctx ends.
func run(ctx context.Context, cfg server.Config, debugAddr string) error {
	debug := &http.Server{Addr: debugAddr, ReadHeaderTimeout: 10 * time.Second}
	debugErr := make(chan error, 1)
	go func() { debugErr <- debug.ListenAndServe() }()
	serveErr := server.Run(ctx, cfg)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := debug.Shutdown(shutdownCtx)
	if derr := <-debugErr; !errors.Is(derr, http.ErrServerClosed) {
		err = errors.Join(err, derr)
	}
	return errors.Join(serveErr, err)
}
