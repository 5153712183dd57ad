package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/runnel-dev/runnel/consumer/leases"
)

// Consumer is one worker of a consumer application: it holds a share of
// the stream's shard leases and runs a Processor for each.
type Consumer struct {
	client       KinesisClient
	stream       string
	store        leases.Store
	newProcessor ProcessorFactory
	cfg          config
	log          *slog.Logger
	metrics      metricsSet
	running      atomic.Bool
}

// New returns a worker that reads the named stream, keeping its leases in
// store and processing each shard with a processor from newProcessor.
// Workers of one application share the store.
func New(client KinesisClient, stream string, store leases.Store, newProcessor ProcessorFactory, opts ...Option) (*Consumer, error) {
	if client == nil || store == nil || newProcessor == nil {
		return nil, errors.New("consumer: nil client, store or processor factory")
	}
	if stream == "" {
		return nil, errors.New("consumer: empty stream name")
	}
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Consumer{
		client: client, stream: stream, store: store, newProcessor: newProcessor, cfg: cfg,
		log: cfg.log.With("stream", stream, "worker", cfg.workerID),
	}, nil
}

// WorkerID returns the name of this worker in the lease table.
func (c *Consumer) WorkerID() string { return c.cfg.workerID }

// Metrics returns a snapshot of the worker's progress. It is safe to call
// at any time, from any goroutine.
func (c *Consumer) Metrics() Metrics { return c.metrics.snapshot(c.cfg.workerID) }

// Run processes the stream until ctx ends, then shuts down: it stops
// reading, lets each processor finish its batch and checkpoint in
// ShutdownRequested, and releases the leases, within the shutdown timeout
// (WithShutdownTimeout). Run returns when every goroutine it started has
// stopped: nil after a shutdown, or the error that kept it from starting
// (the stream does not exist, the lease table cannot be read, ...). A
// Consumer runs once at a time; Run returns ErrRunning otherwise.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer c.running.Store(false)
	hard, stopHard := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHard()
	r := &run{
		c: c, cfg: &c.cfg, log: c.log, hard: hard,
		expiry:  newExpiry(c.cfg.leaseDuration),
		rng:     rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		kick:    make(chan struct{}, 1),
		workers: map[string]*shardWorker{},
	}
	if err := r.setup(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	c.log.Info("consumer started", "retrieval", r.retrievalName())

	renewCtx, stopRenewing := context.WithCancel(hard)
	defer stopRenewing()
	var loops sync.WaitGroup
	loops.Go(func() { r.renewLoop(renewCtx) })
	taking := make(chan struct{})
	go func() { defer close(taking); r.takeLoop(ctx) }()

	<-ctx.Done()
	<-taking
	r.shutdown(stopHard)
	stopRenewing()
	loops.Wait()
	c.log.Info("consumer stopped")
	return nil
}

// run is the state of one Run.
type run struct {
	c   *Consumer
	cfg *config
	log *slog.Logger
	// hard ends to stop everything at once.
	hard                   context.Context
	streamARN, consumerARN string
	expiry                 *expiry    // used by the take loop only
	rng                    *rand.Rand // used by the take loop only
	kick                   chan struct{}
	wg                     sync.WaitGroup // the shard workers

	mu       sync.Mutex
	workers  map[string]*shardWorker // guarded by mu; by shard ID
	draining bool                    // guarded by mu; no new workers
}

// setup resolves the stream, registers the fan-out consumer and creates
// the leases of a new application.
func (r *run) setup(ctx context.Context) error {
	arn, err := r.describeStream(ctx)
	if err != nil {
		return err
	}
	r.streamARN = arn
	if name := r.cfg.fanOutConsumer; name != "" {
		if r.consumerARN, err = registerConsumer(ctx, r.c.client, arn, name, r.log); err != nil {
			return err
		}
	}
	return r.syncLeases(ctx)
}

func (r *run) retrievalName() string {
	if r.consumerARN != "" {
		return "enhanced fan-out"
	}
	return "polling"
}

func (r *run) describeStream(ctx context.Context) (string, error) {
	retry := backoff{base: 100 * time.Millisecond, max: 5 * time.Second}
	for {
		out, err := r.c.client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(r.c.stream)})
		if err == nil {
			return aws.ToString(out.StreamDescriptionSummary.StreamARN), nil
		}
		if !isThrottled(err) {
			return "", fmt.Errorf("consumer: describe stream %s: %w", r.c.stream, err)
		}
		if !sleep(ctx, retry.next()) {
			return "", ctx.Err()
		}
	}
}

func (r *run) newFetcher(shardID string, start startPosition, log *slog.Logger) fetcher {
	if r.consumerARN != "" {
		return newSubscriber(r.c.client, r.consumerARN, shardID, start, log)
	}
	return newPoller(r.c.client, r.streamARN, shardID, start, r.cfg, log)
}

// renewLoop renews the held leases every third of the lease duration.
func (r *run) renewLoop(ctx context.Context) {
	tick := time.NewTicker(r.cfg.renewInterval())
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, w := range r.heldWorkers() {
			err := w.lease.renew(ctx, r.cfg.now(), r.cfg.leaseDuration)
			switch {
			case errors.Is(err, ErrLeaseLost):
				w.log.Info("lease taken by another worker")
			case err != nil && ctx.Err() == nil:
				w.log.Warn("renewing lease", "err", err)
			}
		}
	}
}

// takeLoop scans the lease table once per lease duration (or when kicked)
// and takes leases to even out the load.
func (r *run) takeLoop(ctx context.Context) {
	tick := time.NewTicker(r.cfg.leaseDuration)
	defer tick.Stop()
	for {
		if err := r.takePass(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("taking leases", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.kick:
		}
	}
}

func (r *run) takePass(ctx context.Context) error {
	all, err := r.c.store.List(ctx)
	if err != nil {
		return err
	}
	now := r.cfg.now()
	r.expiry.observe(all, now)
	a := assignment{
		me: r.cfg.workerID, all: all, held: r.heldKeys(), maxSteal: r.cfg.maxSteal,
		expired: func(l leases.Lease) bool { return r.expiry.expired(l, now) },
	}
	for _, l := range a.toTake(r.rng) {
		taken, err := r.c.store.Take(ctx, l, r.cfg.workerID)
		if errors.Is(err, leases.ErrConflict) {
			continue // someone else was quicker
		}
		if err != nil {
			return err
		}
		r.log.Info("took lease", "shard", l.Key, "from", l.Owner)
		r.startWorker(ctx, taken)
	}
	return nil
}

// kickTaker asks the take loop for a pass now (a shard finished: its
// children may be free to start).
func (r *run) kickTaker() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *run) startWorker(ctx context.Context, l leases.Lease) {
	w := newShardWorker(r, l, r.cfg.now())
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.draining {
		w.cancel(nil)
		return // the lease expires: shutting down
	}
	r.workers[w.id] = w
	r.c.metrics.setHeld(w.id, true)
	r.wg.Go(w.run)
}

func (r *run) workerDone(w *shardWorker) {
	w.cancel(nil)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.workers[w.id] == w {
		delete(r.workers, w.id)
		r.c.metrics.setHeld(w.id, false)
	}
}

func (r *run) heldWorkers() []*shardWorker {
	r.mu.Lock()
	defer r.mu.Unlock()
	ws := make([]*shardWorker, 0, len(r.workers))
	for _, w := range r.workers {
		ws = append(ws, w)
	}
	return ws
}

func (r *run) heldKeys() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	held := make(map[string]bool, len(r.workers))
	for id := range r.workers {
		held[id] = true
	}
	return held
}

// shutdown stops the shard workers, gracefully within the shutdown
// timeout if there is one, and waits for them.
func (r *run) shutdown(stopHard context.CancelFunc) {
	r.mu.Lock()
	r.draining = true
	r.mu.Unlock()
	stopped := make(chan struct{})
	go func() { r.wg.Wait(); close(stopped) }()
	timeout := r.cfg.shutdownTimeout
	if timeout <= 0 {
		stopHard()
		<-stopped
		return
	}
	for _, w := range r.heldWorkers() {
		w.stop()
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
		r.log.Warn("graceful shutdown timed out; stopping at once", "timeout", timeout)
		stopHard()
		<-stopped
	}
}
