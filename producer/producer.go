package producer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/runnel-dev/runnel/aggregation"
)

// Client is the part of the Kinesis API a Producer uses. aws-sdk-go-v2's
// *kinesis.Client satisfies it.
type Client interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
}

var _ Client = (*kinesis.Client)(nil)

// Producer puts user records into one stream. Its methods are safe for
// concurrent use.
type Producer struct {
	client Client
	stream streamRef
	cfg    config
	log    *slog.Logger
	m      metrics

	ctx    context.Context // ended when Close gives up on delivery
	cancel context.CancelCauseFunc
	wake   chan struct{}  // wakes the loop; capacity 1
	wg     sync.WaitGroup // the loop and the PutRecords calls

	mu struct {
		sync.Mutex
		ranges []shardRange // open shards by starting hash key
		shards []*shard     // parallel to ranges

		refresh      bool        // a record landed on an unexpected shard
		refreshAfter time.Time   // earliest next ListShards after a failed one
		misplaced    []misplaced // aggregates to settle with the new map

		inFlight      int // PutRecords calls
		queuedRecords int // sealed Kinesis records not yet sent
		queuedBytes   int
		nextWake      time.Time // when the loop will wake at the latest
		next          int       // shard the next collection starts at

		bufBytes, bufRecords int
		room                 chan struct{} // closed when buffer space frees
		waiting              int           // Puts waiting for room

		epoch    uint64 // Flush generation of new records
		epochs   map[uint64]*epoch
		flushing int // Flush calls waiting

		closed   bool // Put refuses records
		stopping bool // the loop exits once nothing is left
	}
}

// epoch counts the undelivered records Put between two Flush calls.
type epoch struct {
	n    int
	done chan struct{} // closed when n reaches 0 after a Flush
}

// New returns a Producer for stream (a name, or an ARN if it starts with
// "arn:"), after fetching its shard map with ListShards; ctx bounds that
// call only. Close the Producer to deliver what is buffered and release
// its goroutines.
func New(ctx context.Context, client Client, stream string, opts ...Option) (*Producer, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ranges, err := listShards(ctx, client, streamRef(stream))
	if err != nil {
		return nil, err
	}
	p := &Producer{client: client, stream: streamRef(stream), cfg: cfg, log: cfg.logger, wake: make(chan struct{}, 1)}
	p.ctx, p.cancel = context.WithCancelCause(context.Background())
	p.mu.room = make(chan struct{})
	p.mu.epochs = make(map[uint64]*epoch)
	p.mu.Lock()
	p.applyLocked(ranges, time.Now())
	p.mu.Unlock()
	p.wg.Add(1)
	go p.run()
	return p, nil
}

// Put buffers r and returns a handle to its result. It blocks while the
// buffer is full (WithMaxBuffered) until there is room or ctx ends, or
// with WithFailWhenFull returns ErrBufferFull at once; ctx bounds only
// that wait. Put returns ErrClosed after Close, ErrRecordTooLarge, or an
// error wrapping aggregation.ErrPartitionKey or ErrExplicitHashKey for a
// record Kinesis would refuse. r.Data is retained until the result is
// done.
func (p *Producer) Put(ctx context.Context, r Record) (*Handle, error) {
	key, err := aggregation.HashKey(r.PartitionKey, r.ExplicitHashKey)
	if err != nil {
		return nil, err
	}
	size := len(r.Data) + len(r.PartitionKey)
	if size > p.cfg.maxRecordSize {
		return nil, fmt.Errorf("%w: %d bytes of data and partition key, limit %d", ErrRecordTooLarge, size, p.cfg.maxRecordSize)
	}
	p.mu.Lock()
	if err := p.reserveLocked(ctx, size); err != nil {
		p.mu.Unlock()
		return nil, err
	}
	now := time.Now()
	u := &userRecord{Record: r, key: key, handle: newHandle(), put: now, deadline: now.Add(p.cfg.ttl), size: size}
	p.trackLocked(u)
	p.m.userPut.Add(1)
	wake := p.addLocked(p.routeLocked(key), u)
	p.mu.Unlock()
	if wake {
		p.signal()
	}
	return u.handle, nil
}

// PutSync puts r and waits for its result. If ctx ends first it returns
// ctx's error, and the record may still be delivered.
func (p *Producer) PutSync(ctx context.Context, r Record) (Result, error) {
	h, err := p.Put(ctx, r)
	if err != nil {
		return Result{Err: err}, err
	}
	return h.Wait(ctx)
}

// Flush sends every buffered record without waiting for its linger, and
// returns when all records Put before the call have a result (delivered or
// failed), or with ctx's error when ctx ends first. Records Put while it
// waits are also sent early.
func (p *Producer) Flush(ctx context.Context) error {
	p.mu.Lock()
	waits := p.flushEpochsLocked()
	p.mu.flushing++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.mu.flushing--
		p.mu.Unlock()
	}()
	p.signal()
	for _, done := range waits {
		select {
		case <-done:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// Close stops Put (it returns ErrClosed), delivers every buffered record as
// Flush does, and stops the producer's goroutines. If ctx ends first, Close
// cancels the PutRecords calls in flight, fails every undelivered record
// with ErrClosed, and returns ctx's error once the goroutines have ended.
// Close returns ErrClosed if called again.
func (p *Producer) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.mu.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.mu.closed = true
	p.roomLocked() // blocked Puts return ErrClosed
	p.mu.Unlock()
	err := p.Flush(ctx)
	if err != nil {
		p.cancel(ErrClosed)
	}
	p.mu.Lock()
	p.mu.stopping = true
	p.mu.Unlock()
	p.signal()
	p.wg.Wait()
	p.cancel(ErrClosed)
	return err
}

// Metrics returns a snapshot of the producer's metrics.
func (p *Producer) Metrics() Metrics {
	s := p.m.snapshot()
	p.mu.Lock()
	s.BufferedBytes, s.BufferedRecords = int64(p.mu.bufBytes), int64(p.mu.bufRecords)
	p.mu.Unlock()
	return s
}

// reserveLocked takes buffer space for a record of size bytes, waiting for
// it unless WithFailWhenFull. A record larger than the whole buffer is
// let into an empty one.
func (p *Producer) reserveLocked(ctx context.Context, size int) error {
	for {
		if p.mu.closed {
			return ErrClosed
		}
		if p.mu.bufRecords == 0 || p.mu.bufBytes+size <= p.cfg.maxBufBytes && p.mu.bufRecords < p.cfg.maxBufRecords {
			p.mu.bufBytes += size
			p.mu.bufRecords++
			return nil
		}
		if p.cfg.failWhenFull {
			return ErrBufferFull
		}
		room := p.mu.room
		p.mu.waiting++
		p.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
		}
		p.mu.Lock()
		p.mu.waiting--
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
}

// roomLocked wakes the Puts waiting for buffer space.
func (p *Producer) roomLocked() {
	if p.mu.waiting > 0 {
		close(p.mu.room)
		p.mu.room = make(chan struct{})
	}
}

// trackLocked counts u in the current Flush epoch.
func (p *Producer) trackLocked(u *userRecord) {
	u.epoch = p.mu.epoch
	e := p.mu.epochs[u.epoch]
	if e == nil {
		e = &epoch{done: make(chan struct{})}
		p.mu.epochs[u.epoch] = e
	}
	e.n++
}

// flushEpochsLocked starts a new epoch and returns the done channels of
// every earlier epoch with records outstanding.
func (p *Producer) flushEpochsLocked() []chan struct{} {
	last := p.mu.epoch
	p.mu.epoch++
	var waits []chan struct{}
	for id, e := range p.mu.epochs {
		switch {
		case id > last:
		case e.n == 0:
			close(e.done)
			delete(p.mu.epochs, id)
		default:
			waits = append(waits, e.done)
		}
	}
	return waits
}

// finishLocked completes u's handle with res and releases its buffer
// space; the caller wakes waiting Puts with roomLocked once it has
// finished a batch of records.
func (p *Producer) finishLocked(u *userRecord, res Result, now time.Time) {
	p.mu.bufBytes -= u.size
	p.mu.bufRecords--
	if e := p.mu.epochs[u.epoch]; e != nil {
		e.n--
		if e.n == 0 && u.epoch < p.mu.epoch {
			close(e.done)
			delete(p.mu.epochs, u.epoch)
		}
	}
	p.m.observeLatency(now.Sub(u.put))
	if res.Err != nil {
		p.m.userFailed.Add(1)
	} else {
		p.m.userDelivered.Add(1)
	}
	res.Attempts = u.attempts
	u.handle.complete(res) // last, so that a woken caller sees the metrics
}

// failLocked fails u with err.
func (p *Producer) failLocked(u *userRecord, err error, now time.Time) {
	p.finishLocked(u, Result{Err: err}, now)
}

// forcedLocked reports whether records are due regardless of linger.
func (p *Producer) forcedLocked() bool { return p.mu.flushing > 0 || p.mu.closed }

// signal wakes the loop.
func (p *Producer) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}
