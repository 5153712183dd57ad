package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/runnel-dev/runnel/internal/server"
	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/logstore"
	"github.com/runnel-dev/runnel/internal/stream"
)

// serve parses the serve flags into a server.Config and runs the server
// until ctx is cancelled.
func serve(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("runnel serve", flag.ContinueOnError)
	var (
		cfg      server.Config
		dataDir  = fs.String("data-dir", "./runnel-data", "directory of the durable storage engine")
		inMemory = fs.Bool("in-memory", false, "keep everything in memory (nothing survives a restart)")
		logLevel = fs.String("log-level", "info", "log level: debug, info, warn or error")
		memLimit = fs.String("memory-limit", "", "soft limit on the server's memory, e.g. 192MiB (Go's GOMEMLIMIT); unset: no limit")
		fsync    = fs.String("fsync", "always", "when acknowledged records reach stable storage: always (fsync before every reply, shared by concurrent writers), interval=<duration> (fsync periodically; a power loss can lose that much) or never (leave it to the OS; a power loss can lose everything since the last checkpoint)")
	)
	fs.StringVar(&cfg.Addr, "addr", server.DefaultAddr, "listen address")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate (PEM); serves HTTPS with HTTP/2 when set with --tls-key")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key (PEM)")
	fs.StringVar(&cfg.Stream.AccountID, "account-id", "000000000000", "AWS account id used in ARNs and messages")
	fs.StringVar(&cfg.Stream.Region, "region", "us-east-1", "AWS region used in ARNs and messages")
	fs.IntVar(&cfg.Stream.ShardLimit, "shard-limit", stream.DefaultShardLimit, "account open-shard limit")
	fs.IntVar(&cfg.Stream.OnDemandStreamLimit, "on-demand-stream-limit", stream.DefaultOnDemandStreamLimit, "account ON_DEMAND stream limit")
	fs.DurationVar(&cfg.Stream.CreateDelay, "create-delay", 0, "how long new streams stay CREATING")
	fs.DurationVar(&cfg.Stream.DeleteDelay, "delete-delay", 0, "how long deleted streams stay DELETING")
	fs.DurationVar(&cfg.Stream.UpdateDelay, "update-delay", 0, "how long updated streams stay UPDATING")
	fs.DurationVar(&cfg.Stream.ConsumerDelay, "consumer-delay", 0, "how long new consumers stay CREATING (and deregistered ones DELETING)")
	fs.BoolVar(&cfg.Throttle, "throttle", false, "enforce AWS's per-shard throughput limits (writes 1 MiB/s and 1,000 records/s, reads 2 MiB/s and 5 calls/s)")
	fs.DurationVar(&cfg.JanitorInterval, "retention-interval", 0, "how often expired records are deleted (default 1m)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "runnel serve: %v\n", err)
		return 2
	}
	sync, err := logstore.ParseSyncPolicy(*fsync)
	if err != nil {
		fmt.Fprintf(os.Stderr, "runnel serve: %v\n", err)
		return 2
	}
	if *memLimit != "" {
		n, err := parseBytes(*memLimit)
		if err != nil {
			fmt.Fprintf(os.Stderr, "runnel serve: --memory-limit: %v\n", err)
			return 2
		}
		debug.SetMemoryLimit(n)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg.OpenEngine = engineOpener(*inMemory, *dataDir, sync, cfg.Logger)
	if err := server.Run(ctx, cfg); err != nil {
		cfg.Logger.Error("runnel serve", "err", err)
		return 1
	}
	return 0
}

// engineOpener returns how to open the storage engine the flags select.
func engineOpener(inMemory bool, dir string, sync logstore.SyncPolicy, log *slog.Logger) func() (storage.Engine, error) {
	if inMemory {
		return nil // server.Run's default: in memory
	}
	return func() (storage.Engine, error) {
		raiseProcs(os.Getenv("GOMAXPROCS"))
		return openDurable(dir, sync, log)
	}
}

// parseBytes parses a size such as 512MiB, 2GiB or 1048576.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}, {"", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("bad size %q (want e.g. 192MiB)", s)
			}
			return n * u.mult, nil
		}
	}
	return 0, fmt.Errorf("bad size %q", s)
}
