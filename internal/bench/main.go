package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
)

// Exit codes of Main.
const (
	exitOK    = 0
	exitError = 1 // the run failed
	exitUsage = 2 // bad command line
)

const usage = `usage: runnel bench <mode> [flags]

Drives a Kinesis endpoint and reports records/s, MiB/s, calls/s, latency
percentiles and errors by code. Modes:
  put-record    PutRecord from --concurrency clients for --duration
  put-records   PutRecords of --batch-size entries, likewise
  get-records   fill the stream with --records records (unless --fill=false),
                then read them with one GetRecords reader per shard
  mixed         producers plus one reader per shard; adds end-to-end latency
  fanout        producers plus --consumers enhanced fan-out consumers, each
                subscribed to every shard (SubscribeToShard); reports delivery
                throughput, end-to-end latency and delivery accounting.
                Use --batch-size 1 (PutRecord) or small batches for latency

Flags:
`

// Main runs the load tool with command-line args (everything after "runnel
// bench") and writes its report to stdout; it returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "runnel %v (see runnel bench -h)\n", err)
		return exitUsage
	}
	cfg := cmd.cfg
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	if cmd.cpuProfile != "" {
		stop, err := startCPUProfile(cmd.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "runnel %v\n", err)
			return exitError
		}
		defer func() {
			if err := stop(); err != nil {
				fmt.Fprintf(stderr, "runnel %v\n", err)
			}
		}()
	}
	report, err := Run(ctx, cfg)
	if report != nil { // a run whose clean-up failed still has figures
		if werr := writeReport(stdout, report, cmd.asJSON); werr != nil {
			fmt.Fprintf(stderr, "runnel bench: writing report: %v\n", werr)
			return exitError
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "runnel %v\n", err) // errors start with "bench: "
		return exitError
	}
	return exitOK
}

// startCPUProfile writes the tool's CPU profile to path until stop is
// called: the client's side of a measurement.
func startCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("bench: cpu profile: %w", err)
		}
		return nil
	}, nil
}

// command is a parsed command line.
type command struct {
	cfg        Config
	asJSON     bool
	cpuProfile string // file for the tool's CPU profile, or ""
}

func writeReport(w io.Writer, report *Report, asJSON bool) error {
	if asJSON {
		return report.WriteJSON(w)
	}
	return report.WriteText(w)
}

// parseArgs parses "<mode> [flags]"; the mode may also follow the flags.
// It prints the usage to stderr for -h and returns flag.ErrHelp.
func parseArgs(args []string, stderr io.Writer) (command, error) {
	var cmd command
	cfg := &cmd.cfg
	fs := flag.NewFlagSet("runnel bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, the usage printed below
	fs.Usage = func() {}
	fs.StringVar(&cfg.Endpoint, "endpoint", "", "endpoint URL, e.g. http://127.0.0.1:4567 (default: AWS)")
	fs.StringVar(&cfg.Region, "region", DefaultRegion, "region to sign requests for")
	fs.StringVar(&cfg.Stream, "stream", DefaultStream, "stream name")
	fs.BoolVar(&cfg.Create, "create", false, "create the stream with --shards shards if missing")
	fs.BoolVar(&cfg.Delete, "delete", false, "delete the stream at the end")
	fs.IntVar(&cfg.Shards, "shards", DefaultShards, "shard count for --create")
	fs.IntVar(&cfg.RecordSize, "record-size", DefaultRecordSize, "record payload size in bytes")
	fs.IntVar(&cfg.BatchSize, "batch-size", DefaultBatchSize, "PutRecords entries per call (mixed, fanout: 1 uses PutRecord)")
	fs.IntVar(&cfg.Concurrency, "concurrency", DefaultConcurrency, "producing clients")
	fs.DurationVar(&cfg.Duration, "duration", DefaultDuration, "how long producers run (put, mixed and fanout modes)")
	fs.IntVar(&cfg.Records, "records", DefaultRecords, "records to fill and read (get-records)")
	fill := fs.Bool("fill", true, "get-records: fill the stream before reading it")
	fs.Float64Var(&cfg.Rate, "rate", 0, "cap on records/s over all producers (0: none)")
	keys := fs.String("partition-keys", "random", `"random", or the number of distinct partition keys`)
	fs.IntVar(&cfg.ReadLimit, "read-limit", DefaultReadLimit, "GetRecords Limit")
	fs.DurationVar(&cfg.PollInterval, "poll-interval", DefaultPollInterval, "reader pause when caught up; first backoff after errors")
	fs.IntVar(&cfg.Consumers, "consumers", DefaultConsumers, "fanout: registered consumers, each subscribed to every shard")
	fs.BoolVar(&cmd.asJSON, "json", false, "write the report as JSON")
	fs.StringVar(&cmd.cpuProfile, "cpuprofile", "", "write the tool's CPU profile to this file")

	mode, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		mode, rest = args[0], args[1:]
	}
	err := fs.Parse(rest)
	if err == nil && mode == "" && fs.NArg() > 0 { // the mode followed some flags
		mode = fs.Arg(0)
		err = fs.Parse(fs.Args()[1:])
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stderr, usage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return command{}, err
	case err != nil:
		return command{}, fmt.Errorf("bench: %w", err)
	case mode == "":
		return command{}, errors.New("bench: missing mode (put-record, put-records, get-records, mixed or fanout)")
	case fs.NArg() > 0:
		return command{}, fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	cfg.Mode = Mode(mode)
	cfg.SkipFill = !*fill
	if cfg.PartitionKeys, err = parsePartitionKeys(*keys); err != nil {
		return command{}, err
	}
	if err := cfg.withDefaults().validate(); err != nil {
		return command{}, err
	}
	return cmd, nil
}

// parsePartitionKeys maps "random" to 0 and "N" to N >= 1.
func parsePartitionKeys(s string) (int, error) {
	if s == "random" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf(`bench: partition keys must be "random" or a positive count, not %q`, s)
	}
	return n, nil
}
