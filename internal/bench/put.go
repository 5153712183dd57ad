package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"golang.org/x/time/rate"
)

// maxFruitlessCalls is how many calls in a row may fail to make progress
// before a fill or a reader gives up; between them it backs off.
const maxFruitlessCalls = 10

// stamper stamps mixed-mode records with their put time.
type stamper struct {
	run   uint32
	start time.Time // the run's start; stamps are durations since it
}

// producer is one producing client. It owns its payloads, keys, request
// structs and recorder, so a call allocates nothing beyond what the SDK and
// its HTTP client do.
type producer struct {
	client  *kinesis.Client
	single  bool // PutRecord rather than PutRecords
	batch   int
	keys    *keyRing
	stamper *stamper // nil unless mixed mode
	rec     *recorder

	putRecords kinesis.PutRecordsInput
	entries    []types.PutRecordsRequestEntry
	putRecord  kinesis.PutRecordInput
}

// newProducers returns cfg.Concurrency producers of the mode's put
// operation with their payloads generated. st is nil unless the records are
// to be stamped.
func newProducers(client *kinesis.Client, cfg Config, st *stamper) []*producer {
	_, single := putOperation(cfg)
	seed := rand.Uint64()
	var shared []string
	if cfg.PartitionKeys > 0 {
		shared = countedKeys(cfg.PartitionKeys)
	}
	producers := make([]*producer, cfg.Concurrency)
	for i := range producers {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		p := &producer{
			client:  client,
			single:  single,
			batch:   cfg.BatchSize,
			keys:    newKeyRing(shared, i, rng),
			stamper: st,
			rec:     newRecorder(),
		}
		stream := aws.String(cfg.Stream)
		if single {
			p.batch = 1
			p.putRecord = kinesis.PutRecordInput{StreamName: stream, Data: randomPayloads(rng, 1, cfg.RecordSize)[0]}
		} else {
			p.putRecords = kinesis.PutRecordsInput{StreamName: stream}
			p.entries = make([]types.PutRecordsRequestEntry, cfg.BatchSize)
			for j, data := range randomPayloads(rng, cfg.BatchSize, cfg.RecordSize) {
				p.entries[j].Data = data
			}
		}
		producers[i] = p
	}
	return producers
}

// put sends n records (1 for PutRecord) and returns how many were
// acknowledged.
func (p *producer) put(ctx context.Context, n int) int {
	if p.single {
		return p.putOne(ctx)
	}
	return p.putBatch(ctx, n)
}

func (p *producer) putOne(ctx context.Context) int {
	in := &p.putRecord
	in.PartitionKey = p.keys.take()
	start := time.Now()
	if p.stamper != nil {
		stamp(in.Data, p.stamper.run, start.Sub(p.stamper.start))
	}
	out, err := p.client.PutRecord(ctx, in)
	latency := time.Since(start)
	if err == nil && out.SequenceNumber == nil {
		err = fmt.Errorf("%w: PutRecord returned no SequenceNumber", errInvalidResponse)
	}
	if err != nil {
		p.rec.callFailed(err)
		return 0
	}
	p.rec.callSucceeded(latency)
	p.rec.acknowledged(1, len(in.Data))
	return 1
}

func (p *producer) putBatch(ctx context.Context, n int) int {
	entries := p.entries[:n]
	for i := range entries {
		entries[i].PartitionKey = p.keys.take()
	}
	start := time.Now()
	if p.stamper != nil {
		sinceStart := start.Sub(p.stamper.start)
		for i := range entries {
			stamp(entries[i].Data, p.stamper.run, sinceStart)
		}
	}
	p.putRecords.Records = entries
	out, err := p.client.PutRecords(ctx, &p.putRecords)
	latency := time.Since(start)
	if err == nil && len(out.Records) != n {
		err = fmt.Errorf("%w: PutRecords returned %d entries for %d records", errInvalidResponse, len(out.Records), n)
	}
	if err != nil {
		p.rec.callFailed(err)
		return 0
	}
	p.rec.callSucceeded(latency)
	acked, bytes := 0, 0
	for i, result := range out.Records {
		switch {
		case result.ErrorCode != nil:
			p.rec.recordRejected(*result.ErrorCode, aws.ToString(result.ErrorMessage))
		case result.SequenceNumber == nil:
			p.rec.recordRejected(codeInvalidResponse, "PutRecords entry has neither ErrorCode nor SequenceNumber")
		default:
			acked++
			bytes += len(entries[i].Data)
		}
	}
	p.rec.acknowledged(acked, bytes)
	return acked
}

// runUntil puts batches until stop is done; calls themselves run under ctx,
// so the calls in flight when stop ends are completed and counted.
func (p *producer) runUntil(ctx, stop context.Context, limiter *rate.Limiter) {
	for stop.Err() == nil {
		if limiter != nil && limiter.WaitN(stop, p.batch) != nil {
			return
		}
		p.put(ctx, p.batch)
	}
}

// fill puts records until quota is used up. Records the server rejected go
// back to the quota, for this or another producer to send again.
func (p *producer) fill(ctx context.Context, quota *atomic.Int64, backoffBase time.Duration) error {
	for fruitless := 0; ; {
		n := claim(quota, p.batch)
		if n == 0 {
			return nil
		}
		acked := p.put(ctx, n)
		quota.Add(int64(n - acked))
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case acked > 0:
			fruitless = 0
			continue
		}
		fruitless++
		if fruitless == maxFruitlessCalls {
			return fmt.Errorf("bench: fill stalled: %d calls in a row stored nothing; failed calls %v, rejected records %v",
				fruitless, p.rec.callErrors, p.rec.recordErrors)
		}
		sleep(ctx, backoff(backoffBase, fruitless))
	}
}

// claim takes up to n from quota and returns how much it took.
func claim(quota *atomic.Int64, n int) int {
	for {
		left := quota.Load()
		if left <= 0 {
			return 0
		}
		take := min(left, int64(n))
		if quota.CompareAndSwap(left, left-take) {
			return int(take)
		}
	}
}

// runProducers runs the producers for d and returns the time they took,
// including the calls in flight at the end.
func runProducers(ctx context.Context, producers []*producer, d time.Duration, limiter *rate.Limiter) time.Duration {
	stop, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for _, p := range producers {
		wg.Go(func() { p.runUntil(ctx, stop, limiter) })
	}
	wg.Wait()
	return time.Since(start)
}

// fillStream puts records records and returns the time it took.
func fillStream(ctx context.Context, producers []*producer, records int, backoffBase time.Duration) (time.Duration, error) {
	var quota atomic.Int64
	quota.Store(int64(records))
	start := time.Now()
	errs := make([]error, len(producers))
	var wg sync.WaitGroup
	for i, p := range producers {
		wg.Go(func() { errs[i] = p.fill(ctx, &quota, backoffBase) })
	}
	wg.Wait()
	return time.Since(start), firstError(errs)
}

// newLimiter returns a limiter for the records/s cap, or nil for none.
func newLimiter(recordsPerSecond float64, batch int) *rate.Limiter {
	if recordsPerSecond == 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(recordsPerSecond), batch)
}

func producerRecorders(producers []*producer) []*recorder {
	recs := make([]*recorder, len(producers))
	for i, p := range producers {
		recs[i] = p.rec
	}
	return recs
}

// backoff returns base doubled attempt-1 times, at most one second.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < time.Second; i++ {
		d *= 2
	}
	return min(max(d, time.Millisecond), time.Second)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// firstError returns the first non-nil error.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
