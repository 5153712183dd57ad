package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Rules of enhanced fan-out that subscriptions follow (AWS documents them
// for SubscribeToShard).
const (
	// takeoverWait: a SubscribeToShard call fails with
	// ResourceInUseException while another subscription of the consumer to
	// the shard is younger than this; an older one it takes over.
	takeoverWait = 5 * time.Second
	// minSubscribeInterval: one call per second per consumer and shard.
	minSubscribeInterval = time.Second
)

// fanoutDrainTimeout is how long consumers keep reading after the producers
// stopped. It leaves a consumer that lost its subscription time to take it
// back.
const fanoutDrainTimeout = drainTimeout + takeoverWait

// clockMargin is how far before its first subscription a shard reader
// resumes (AT_TIMESTAMP) if that subscription ended before it received a
// continuation sequence number. It covers clock skew between this process
// and the server; the records it reads again are older than the run's and
// ignored.
const clockMargin = time.Second

// runFanout registers cfg.Consumers consumers and subscribes each to every
// open shard; once all subscriptions are confirmed, producers run for
// cfg.Duration while the consumers measure end-to-end latency. Consumers
// stop when each has been delivered every acknowledged record, or
// fanoutDrainTimeout after the producers stopped. The consumers are
// deregistered at the end; if only that fails, runFanout returns the phases
// and the error.
func runFanout(ctx context.Context, cfg Config, client *kinesis.Client, stream *streamInfo) (phases []Phase, err error) {
	cfg.Logger.Info("registering consumers", "consumers", cfg.Consumers)
	arns, err := registerConsumers(ctx, client, stream.arn, cfg.Consumers)
	defer func() {
		if len(arns) == 0 {
			return
		}
		// Clean up even when the run was canceled.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), streamWait)
		defer cancel()
		cfg.Logger.Info("deregistering consumers", "consumers", len(arns))
		err = errors.Join(err, deregisterConsumers(ctx, client, arns))
	}()
	if err != nil {
		return nil, err
	}

	st := &stamper{run: rand.Uint32(), start: time.Now()}
	f := newFanout(ctx, cfg, client, st, arns)
	defer f.cancel()
	shards := stream.openShardIDs()
	cfg.Logger.Info("subscribing", "consumers", len(arns), "shards", len(shards))
	if err := f.start(shards); err != nil {
		return nil, err
	}

	op, _ := putOperation(cfg)
	producers := newProducers(client, cfg, st)
	cfg.Logger.Info("putting and delivering", "operation", op, "duration", cfg.Duration)
	start, cpu := time.Now(), startCPUClock()
	elapsed := runProducers(f.ctx, producers, cfg.Duration, newLimiter(cfg.Rate, producers[0].batch))
	putCPU := cpu.percent(elapsed)
	putRec := mergeAll(producerRecorders(producers))
	f.drain(putRec.records, fanoutDrainTimeout)
	deliverCPU := cpu.percent(time.Since(start))
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return []Phase{newPhase(PhasePut, op, putRec, elapsed, putCPU), f.phase(start, putRec.records, deliverCPU)}, nil
}

// fanout is one fanout run: its consumers and their shard readers.
type fanout struct {
	client       *kinesis.Client // the producers'; shard readers copy its options
	stamper      *stamper
	backoff      time.Duration // first wait after a failed subscription
	consumers    []*fanConsumer
	endToEnd     sharedLatencies // put to delivery, all consumers
	target       atomic.Int64    // records each consumer is to receive: those produced, once known
	ctx          context.Context // ends the run: its parent ended, it failed, or the drain timed out
	cancel       context.CancelFunc
	readers      sync.WaitGroup // every shard reader of every consumer
	firstFailure struct {
		sync.Mutex
		err error
	}
}

func newFanout(ctx context.Context, cfg Config, client *kinesis.Client, st *stamper, arns []string) *fanout {
	f := &fanout{client: client, stamper: st, backoff: cfg.PollInterval}
	f.endToEnd.l = newLatencies()
	f.target.Store(math.MaxInt64)
	f.ctx, f.cancel = context.WithCancel(ctx)
	for i, arn := range arns {
		c := &fanConsumer{f: f, name: consumerName(i), arn: arn}
		c.ctx, c.stop = context.WithCancel(f.ctx)
		c.mu.readers = make(map[string]*shardReader)
		c.mu.ended = make(map[string]bool)
		f.consumers = append(f.consumers, c)
	}
	return f
}

// start opens every consumer's first subscription to every shard, at
// LATEST, and starts reading them once all are open, so that every record
// put after start returns reaches every consumer. If a subscription fails,
// start closes the others and returns the error.
func (f *fanout) start(shards []string) error {
	var readers []*shardReader
	for _, c := range f.consumers {
		for _, shard := range shards {
			readers = append(readers, c.addReader(shard, types.ShardIteratorTypeLatest))
		}
	}
	streams := make([]*kinesis.SubscribeToShardEventStream, len(readers))
	errs := make([]error, len(readers))
	var wg sync.WaitGroup
	for i, r := range readers {
		wg.Go(func() { streams[i], errs[i] = r.subscribe(r.c.ctx, 0) })
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		for _, es := range streams {
			if es != nil {
				closeStream(es)
			}
		}
		return err
	}
	for i, r := range readers {
		f.readers.Go(func() { f.read(r, streams[i]) })
	}
	return nil
}

// read runs a shard reader from its open subscription es, or from a new
// one if es is nil. A reader that cannot go on fails the run.
func (f *fanout) read(r *shardReader, es *kinesis.SubscribeToShardEventStream) {
	ctx := r.c.ctx
	var err error
	if es == nil {
		es, err = r.subscribe(ctx, 0)
	}
	if err == nil {
		err = r.follow(ctx, es)
	}
	if err != nil && ctx.Err() == nil {
		f.fail(err)
	}
}

// fail records the run's first failure and ends the run.
func (f *fanout) fail(err error) {
	f.firstFailure.Lock()
	defer f.firstFailure.Unlock()
	if f.firstFailure.err == nil {
		f.firstFailure.err = err
	}
	f.cancel()
}

func (f *fanout) err() error {
	f.firstFailure.Lock()
	defer f.firstFailure.Unlock()
	return f.firstFailure.err
}

// drain sets each consumer's target to the records produced, stops the
// consumers that have them all, gives the others until timeout, and waits
// for every reader.
func (f *fanout) drain(produced int64, timeout time.Duration) {
	f.target.Store(produced)
	for _, c := range f.consumers {
		c.checkDone()
	}
	stop := time.AfterFunc(timeout, f.cancel)
	defer stop.Stop()
	f.readers.Wait()
}

// phase summarises the delivery, measured from start to the last record
// delivered, with the tool's CPU percentage from start to the end of the
// drain. The readers must have stopped.
func (f *fanout) phase(start time.Time, produced int64, toolCPU float64) Phase {
	delivery := &Delivery{
		Consumers: len(f.consumers),
		Produced:  produced,
		Expected:  produced * int64(len(f.consumers)),
	}
	var recs []*recorder
	last := start
	for _, c := range f.consumers {
		cd := ConsumerDelivery{Name: c.name}
		for _, r := range c.allReaders() {
			recs = append(recs, r.rec)
			cd.Delivered += r.rec.records
			cd.Duplicates += r.duplicates
			cd.Subscriptions += r.rec.calls
			cd.Shards++
			if r.lastDelivery.After(last) {
				last = r.lastDelivery
			}
		}
		cd.Missing = max(produced-cd.Delivered, 0)
		cd.Unacknowledged = max(cd.Delivered-produced, 0)
		delivery.Delivered += cd.Delivered
		delivery.Duplicates += cd.Duplicates
		delivery.Missing += cd.Missing
		delivery.Unacknowledged += cd.Unacknowledged
		delivery.PerConsumer = append(delivery.PerConsumer, cd)
	}
	p := newPhase(PhaseDeliver, "SubscribeToShard", mergeAll(recs), last.Sub(start), toolCPU)
	for i := range delivery.PerConsumer {
		delivery.PerConsumer[i].RecordsPerSecond = perSecond(delivery.PerConsumer[i].Delivered, p.Seconds)
	}
	endToEnd := f.endToEnd.summary()
	p.EndToEnd = &endToEnd
	p.Delivery = delivery
	return p
}

// sharedLatencies is a latency distribution that all readers of a run
// record into.
type sharedLatencies struct {
	mu sync.Mutex
	l  *latencies
}

func (s *sharedLatencies) observe(d time.Duration) {
	s.mu.Lock()
	s.l.observe(d)
	s.mu.Unlock()
}

func (s *sharedLatencies) summary() Latency {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.l.summary()
}

// fanConsumer is one registered consumer: a shard reader per shard it
// reads, the open ones at the start and their descendants.
type fanConsumer struct {
	f         *fanout
	name, arn string
	ctx       context.Context // ends when it has every record, or with the run
	stop      context.CancelFunc
	received  atomic.Int64 // distinct records of the run, over all shards

	mu struct {
		sync.Mutex
		readers map[string]*shardReader // by shard ID
		ended   map[string]bool         // shards read to their end
	}
}

// addReader adds a reader of shard that starts at the given position.
func (c *fanConsumer) addReader(shard string, start types.ShardIteratorType) *shardReader {
	r := c.newReader(shard, start)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.readers[shard] = r
	return r
}

func (c *fanConsumer) newReader(shard string, start types.ShardIteratorType) *shardReader {
	return &shardReader{
		// A client of its own: a client decodes all its event streams with
		// one codec that has no lock (smithy-go v1.28.8,
		// internal/eventstream/codec.go), and kinesis.New makes a new one.
		// The HTTP client stays shared.
		client: kinesis.New(c.f.client.Options()),
		f:      c.f,
		c:      c,
		shard:  shard,
		rec:    newRecorder(),
		start:  types.StartingPosition{Type: start},
	}
}

func (c *fanConsumer) allReaders() []*shardReader {
	c.mu.Lock()
	defer c.mu.Unlock()
	readers := make([]*shardReader, 0, len(c.mu.readers))
	for _, r := range c.mu.readers {
		readers = append(readers, r)
	}
	return readers
}

// add counts n records received and stops the consumer once it has them all.
func (c *fanConsumer) add(n int) {
	c.received.Add(int64(n))
	c.checkDone()
}

func (c *fanConsumer) checkDone() {
	if c.received.Load() >= c.f.target.Load() {
		c.stop()
	}
}

// startChildren starts reading, from TRIM_HORIZON, the children of a shard
// that was read to its end. A child waits until every parent this consumer
// reads has ended: a merged shard has two, which end one after the other.
func (c *fanConsumer) startChildren(parent string, children []types.ChildShard) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.ended[parent] = true
	for _, child := range children {
		id := aws.ToString(child.ShardId)
		if c.mu.readers[id] != nil || !c.parentsEndedLocked(child.ParentShards) {
			continue
		}
		r := c.newReader(id, types.ShardIteratorTypeTrimHorizon)
		c.mu.readers[id] = r
		// The calling reader is one of f.readers, so the group is not done.
		c.f.readers.Go(func() { c.f.read(r, nil) })
	}
}

// parentsEndedLocked reports whether every parent that the consumer reads
// has ended; parents it never read (closed before the run) do not count.
func (c *fanConsumer) parentsEndedLocked(parents []string) bool {
	for _, p := range parents {
		if c.mu.readers[p] != nil && !c.mu.ended[p] {
			return false
		}
	}
	return true
}

// shardReader reads one shard for one consumer through as many
// subscriptions as it takes. Its fields belong to the goroutine running it.
type shardReader struct {
	client *kinesis.Client // for SubscribeToShard only
	f      *fanout
	c      *fanConsumer
	shard  string
	rec    *recorder // calls are subscriptions, records distinct records of the run

	start types.StartingPosition // of the first subscription; see resumeAt
	cont  *string                // the last continuation sequence number
	last  string                 // sequence number of the last record received

	duplicates   int64     // records of the run received again, or out of order
	fails        int       // subscriptions in a row that failed or ended in an error
	lastCall     time.Time // start of the last SubscribeToShard call
	lastDelivery time.Time // when the last record of the run arrived
}

// subscribe calls SubscribeToShard after wait, and again after failures,
// pacing the calls as AWS requires, until a subscription is confirmed: its
// initial response has arrived. It gives up when the consumer or shard is
// gone, after maxFruitlessCalls failures in a row, or when ctx ends.
func (r *shardReader) subscribe(ctx context.Context, wait time.Duration) (*kinesis.SubscribeToShardEventStream, error) {
	for {
		sleep(ctx, subscribeDelay(r.lastCall, time.Now(), wait))
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r.lastCall = time.Now()
		out, err := r.client.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{
			ConsumerARN:      aws.String(r.c.arn),
			ShardId:          aws.String(r.shard),
			StartingPosition: r.position(),
		})
		if err == nil {
			r.rec.callSucceeded(time.Since(r.lastCall))
			r.resumeAt(r.lastCall)
			return out.GetStream(), nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		code := r.rec.callFailed(err)
		var notFound *types.ResourceNotFoundException
		if r.fails++; r.fails >= maxFruitlessCalls || errors.As(err, &notFound) {
			return nil, fmt.Errorf("bench: subscribing %s to %s: %w", r.c.name, r.shard, err)
		}
		wait = retryWait(code, r.fails, r.f.backoff)
	}
}

// position returns where the next subscription starts: after the last
// continuation sequence number, or where the first one started.
func (r *shardReader) position() *types.StartingPosition {
	if r.cont != nil {
		return &types.StartingPosition{Type: types.ShardIteratorTypeAfterSequenceNumber, SequenceNumber: r.cont}
	}
	start := r.start
	return &start
}

// resumeAt makes a reader that started at LATEST start over at the time of
// its first subscription (less clockMargin) should that subscription end
// before it gets a continuation sequence number: LATEST again could miss
// records put in between.
func (r *shardReader) resumeAt(subscribed time.Time) {
	if r.start.Type == types.ShardIteratorTypeLatest {
		r.start = types.StartingPosition{
			Type:      types.ShardIteratorTypeAtTimestamp,
			Timestamp: aws.Time(subscribed.Add(-clockMargin)),
		}
	}
}

// follow reads the shard from subscription es on. When a subscription ends
// it subscribes again after the last continuation sequence number; at the
// shard's end it starts the consumer's readers of the child shards. It
// returns when ctx ends, the shard has ended, or subscribing fails.
func (r *shardReader) follow(ctx context.Context, es *kinesis.SubscribeToShardEventStream) error {
	for {
		children, ended, err := r.consume(ctx, es)
		closeStream(es)
		switch {
		case ctx.Err() != nil:
			return nil
		case ended:
			r.c.startChildren(r.shard, children)
			return nil
		}
		wait := time.Duration(0) // the subscription's lifetime ended
		if err != nil {
			r.fails++
			wait = retryWait(r.rec.callFailed(err), r.fails, r.f.backoff)
		}
		if es, err = r.subscribe(ctx, wait); err != nil {
			return err
		}
	}
}

// consume receives the subscription's events until it ends. ended reports
// the end of the shard, whose children the last event lists.
func (r *shardReader) consume(ctx context.Context, es *kinesis.SubscribeToShardEventStream) (children []types.ChildShard, ended bool, err error) {
	events := es.Events()
	for {
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case ev, ok := <-events:
			if !ok {
				return nil, false, es.Err()
			}
			e, known := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
			if !known {
				r.rec.callFailed(fmt.Errorf("%w: unknown event %T", errInvalidResponse, ev))
				continue
			}
			r.receive(&e.Value, time.Now())
			r.fails = 0
			if e.Value.ContinuationSequenceNumber == nil { // the shard's last event
				return e.Value.ChildShards, true, nil
			}
			r.cont = e.Value.ContinuationSequenceNumber
		}
	}
}

// receive counts the event's records of this run, received at the given
// time. Sequence numbers grow along a shard, so a record at or below the
// last one received is a duplicate.
func (r *shardReader) receive(ev *types.SubscribeToShardEvent, received time.Time) {
	now := received.Sub(r.f.stamper.start)
	ours, bytes := 0, 0
	for i := range ev.Records {
		rec := &ev.Records[i]
		put, stamped := readStamp(rec.Data, r.f.stamper.run)
		if seq := aws.ToString(rec.SequenceNumber); sequenceAfter(seq, r.last) {
			r.last = seq
		} else {
			if stamped {
				r.duplicates++
			}
			continue
		}
		if stamped {
			r.f.endToEnd.observe(now - put)
			ours++
			bytes += len(rec.Data)
		}
	}
	if ours > 0 {
		r.rec.acknowledged(ours, bytes)
		r.lastDelivery = received
		r.c.add(ours)
	}
}

// sequenceAfter reports whether sequence number a comes after b; every
// number comes after "". Sequence numbers are decimal integers without
// leading zeros, so the longer is the larger.
func sequenceAfter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// subscribeDelay returns how long to wait before a SubscribeToShard call:
// wait, but at least until minSubscribeInterval after the last call.
func subscribeDelay(lastCall, now time.Time, wait time.Duration) time.Duration {
	if lastCall.IsZero() {
		return wait
	}
	return max(wait, lastCall.Add(minSubscribeInterval).Sub(now))
}

// retryWait returns how long to wait before subscribing again after a
// failure with the given code, the fails-th in a row. A subscription held
// elsewhere (ResourceInUseException) may be taken over takeoverWait after
// it started, which was before the failure.
func retryWait(code string, fails int, base time.Duration) time.Duration {
	if code == "ResourceInUseException" {
		return takeoverWait
	}
	return backoff(base, fails)
}

// closeStream closes a subscription and waits until the SDK's reading
// goroutine has stopped.
func closeStream(es *kinesis.SubscribeToShardEventStream) {
	es.Close()
	for range es.Events() {
	}
}

func perSecond(n int64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}
