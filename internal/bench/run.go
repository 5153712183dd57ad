package bench

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// drainTimeout is how long mixed-mode readers keep reading after the
// producers stopped, to see the records still on their way.
const drainTimeout = 5 * time.Second

// Run runs the workload cfg describes and reports what the endpoint
// sustained. Failed calls are part of the report, not errors; Run fails when
// the configuration is invalid, when the stream cannot be prepared or read,
// when a fill stalls, when a fan-out subscription cannot be kept, or when ctx
// is canceled, and then returns no report. When only cleaning up fails
// (deregistering consumers, deleting the stream), Run returns the report and
// the error.
func Run(ctx context.Context, cfg Config) (report *Report, err error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	control := newClient(cfg, httpClientFor(cfg, 1))
	stream, err := prepareStream(ctx, control, cfg)
	if err != nil {
		return nil, err
	}
	shards := stream.shardIDs()
	if cfg.Delete {
		defer func() {
			// Clean up even when the run was canceled.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), streamWait)
			defer cancel()
			cfg.Logger.Info("deleting stream", "stream", cfg.Stream)
			err = errors.Join(err, deleteStream(ctx, control, cfg.Stream))
		}()
	}
	readers := len(shards)
	if cfg.Mode == ModeFanout {
		readers *= cfg.Consumers // a subscription holds its connection
	}
	data := newClient(cfg, httpClientFor(cfg, cfg.Concurrency+readers))
	report = newReport(cfg, len(shards))
	var phases []Phase
	switch cfg.Mode {
	case ModePutRecord, ModePutRecords:
		phases = runPut(ctx, cfg, data)
	case ModeGetRecords:
		phases, err = runGet(ctx, cfg, data, shards)
	case ModeMixed:
		phases, err = runMixed(ctx, cfg, data, shards)
	case ModeFanout:
		report.Shards = len(stream.openShardIDs())
		phases, err = runFanout(ctx, cfg, data, stream)
	}
	if phases == nil { // the run failed; with phases, only its clean-up did
		return nil, err
	}
	report.Phases = phases
	return report, err
}

func httpClientFor(cfg Config, conns int) *http.Client {
	if cfg.HTTPClient != nil {
		return cfg.HTTPClient
	}
	return newHTTPClient(conns)
}

func newReport(cfg Config, shards int) *Report {
	keys := "random"
	if cfg.PartitionKeys > 0 {
		keys = strconv.Itoa(cfg.PartitionKeys)
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = "AWS " + cfg.Region
	}
	batch := cfg.BatchSize
	if _, single := putOperation(cfg); single {
		batch = 1
	}
	consumers := 0
	if cfg.Mode == ModeFanout {
		consumers = cfg.Consumers
	}
	return &Report{
		Mode:          cfg.Mode,
		Endpoint:      endpoint,
		Stream:        cfg.Stream,
		Shards:        shards,
		RecordSize:    cfg.RecordSize,
		BatchSize:     batch,
		Concurrency:   cfg.Concurrency,
		PartitionKeys: keys,
		Rate:          cfg.Rate,
		Consumers:     consumers,
	}
}

// putOperation returns the producers' operation: PutRecord in put-record
// mode and for the mixed and fanout modes with batches of one.
func putOperation(cfg Config) (name string, single bool) {
	stamped := cfg.Mode == ModeMixed || cfg.Mode == ModeFanout
	if cfg.Mode == ModePutRecord || (stamped && cfg.BatchSize == 1) {
		return "PutRecord", true
	}
	return "PutRecords", false
}

func runPut(ctx context.Context, cfg Config, client *kinesis.Client) []Phase {
	op, _ := putOperation(cfg)
	producers := newProducers(client, cfg, nil)
	limiter := newLimiter(cfg.Rate, producers[0].batch)
	cfg.Logger.Info("putting", "operation", op, "duration", cfg.Duration)
	cpu := startCPUClock()
	elapsed := runProducers(ctx, producers, cfg.Duration, limiter)
	return []Phase{newPhase(PhasePut, op, mergeAll(producerRecorders(producers)), elapsed, cpu.percent(elapsed))}
}

func runGet(ctx context.Context, cfg Config, client *kinesis.Client, shards []string) ([]Phase, error) {
	var phases []Phase
	if !cfg.SkipFill {
		producers := newProducers(client, cfg, nil) // PutRecords in this mode
		cfg.Logger.Info("filling", "records", cfg.Records)
		cpu := startCPUClock()
		elapsed, err := fillStream(ctx, producers, cfg.Records, cfg.PollInterval)
		if err != nil {
			return nil, err
		}
		phases = append(phases, newPhase(PhaseFill, "PutRecords", mergeAll(producerRecorders(producers)), elapsed, cpu.percent(elapsed)))
	}
	var total atomic.Int64
	readers := newReaders(client, cfg, shards, types.ShardIteratorTypeTrimHorizon, nil, &total)
	iterators, err := startIterators(ctx, readers)
	if err != nil {
		return nil, err
	}
	cfg.Logger.Info("reading", "records", cfg.Records, "shards", len(shards))
	done := func() bool { return total.Load() >= int64(cfg.Records) }
	cpu := startCPUClock()
	elapsed, err := runReaders(ctx, ctx, readers, iterators, done)
	if err != nil {
		return nil, err
	}
	return append(phases, newPhase(PhaseRead, "GetRecords", mergeAll(readerRecorders(readers)), elapsed, cpu.percent(elapsed))), nil
}

// runMixed runs producers for cfg.Duration while one reader per shard,
// started at LATEST before the first put, measures end-to-end latency.
// Readers stop when they have read every acknowledged record, or
// drainTimeout after the producers stopped.
func runMixed(ctx context.Context, cfg Config, client *kinesis.Client, shards []string) ([]Phase, error) {
	st := &stamper{run: rand.Uint32(), start: time.Now()}
	op, _ := putOperation(cfg)
	producers := newProducers(client, cfg, st)
	var total, target atomic.Int64
	target.Store(math.MaxInt64)
	readers := newReaders(client, cfg, shards, types.ShardIteratorTypeLatest, st, &total)
	iterators, err := startIterators(ctx, readers)
	if err != nil {
		return nil, err
	}

	stop, stopReaders := context.WithCancel(ctx)
	defer stopReaders()
	done := func() bool { return stop.Err() != nil || total.Load() >= target.Load() }
	var (
		readElapsed time.Duration
		readCPU     float64
	)
	readErr := make(chan error, 1)
	cpu := startCPUClock()
	go func() {
		var err error
		readElapsed, err = runReaders(ctx, stop, readers, iterators, done)
		readCPU = cpu.percent(readElapsed)
		readErr <- err
	}()

	cfg.Logger.Info("putting and reading", "operation", op, "duration", cfg.Duration)
	elapsed := runProducers(ctx, producers, cfg.Duration, newLimiter(cfg.Rate, producers[0].batch))
	putCPU := cpu.percent(elapsed)
	putRec := mergeAll(producerRecorders(producers))
	target.Store(putRec.records)
	drain := time.AfterFunc(drainTimeout, stopReaders)
	defer drain.Stop()
	if err := <-readErr; err != nil {
		return nil, err
	}

	readRec := mergeAll(readerRecorders(readers))
	read := newPhase(PhaseRead, "GetRecords", readRec, readElapsed, readCPU)
	endToEnd := readRec.endToEnd.summary()
	read.EndToEnd = &endToEnd
	read.Unread = max(putRec.records-total.Load(), 0)
	return []Phase{newPhase(PhasePut, op, putRec, elapsed, putCPU), read}, nil
}
