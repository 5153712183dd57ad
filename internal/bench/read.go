package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// reader reads one shard. It owns its request struct and recorder.
type reader struct {
	client *kinesis.Client
	stream string
	shard  string
	start  types.ShardIteratorType // where it began, to start over if its iterator expires
	rec    *recorder
	in     kinesis.GetRecordsInput

	stamper       *stamper      // set in mixed mode: measure end-to-end latency
	total         *atomic.Int64 // records of this run read by all readers
	pollInterval  time.Duration
	untilCaughtUp bool // stop when the shard has no more records
}

// newReaders returns one reader per shard, counting the run's records in
// total; cfg gives the GetRecords limit and the poll interval.
func newReaders(client *kinesis.Client, cfg Config, shards []string, start types.ShardIteratorType, st *stamper, total *atomic.Int64) []*reader {
	readers := make([]*reader, len(shards))
	for i, shard := range shards {
		readers[i] = &reader{
			client:        client,
			stream:        cfg.Stream,
			shard:         shard,
			start:         start,
			rec:           newRecorder(),
			in:            kinesis.GetRecordsInput{Limit: aws.Int32(int32(cfg.ReadLimit))},
			stamper:       st,
			total:         total,
			pollInterval:  cfg.PollInterval,
			untilCaughtUp: st == nil,
		}
	}
	return readers
}

// iterator returns an iterator at the reader's start, or after the record
// with sequence number after if it is not nil.
func (r *reader) iterator(ctx context.Context, after *string) (*string, error) {
	in := &kinesis.GetShardIteratorInput{
		StreamName:        aws.String(r.stream),
		ShardId:           aws.String(r.shard),
		ShardIteratorType: r.start,
	}
	if after != nil {
		in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
		in.StartingSequenceNumber = after
	}
	out, err := r.client.GetShardIterator(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("bench: get shard iterator for %s: %w", r.shard, err)
	}
	return out.ShardIterator, nil
}

// read calls GetRecords from iterator on until done reports true, the shard
// ends, or, when untilCaughtUp is set, the shard has no more records. Calls
// run under ctx; stop only ends a reader's wait between polls.
func (r *reader) read(ctx, stop context.Context, iterator *string, done func() bool) error {
	var last *string // sequence number of the last record read
	for fruitless := 0; iterator != nil && !done(); {
		r.in.ShardIterator = iterator
		start := time.Now()
		out, err := r.client.GetRecords(ctx, &r.in)
		if err != nil {
			code := r.rec.callFailed(err)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if fruitless++; fruitless == maxFruitlessCalls {
				return fmt.Errorf("bench: reading %s: %d calls in a row failed, the last with %s", r.shard, fruitless, code)
			}
			if code == "ExpiredIteratorException" {
				if iterator, err = r.iterator(ctx, last); err != nil {
					return err
				}
			}
			sleep(stop, backoff(r.pollInterval, fruitless))
			continue
		}
		fruitless = 0
		received := time.Now()
		r.rec.callSucceeded(received.Sub(start))
		r.consume(out.Records, received)
		if n := len(out.Records); n > 0 {
			last = out.Records[n-1].SequenceNumber
		}
		iterator = out.NextShardIterator
		if len(out.Records) == 0 && aws.ToInt64(out.MillisBehindLatest) == 0 {
			if r.untilCaughtUp {
				return nil
			}
			sleep(stop, r.pollInterval)
		}
	}
	return nil
}

// consume counts records received at the given time.
func (r *reader) consume(records []types.Record, received time.Time) {
	bytes, ours := 0, len(records)
	if r.stamper != nil {
		ours = 0
		now := received.Sub(r.stamper.start)
		for i := range records {
			if put, ok := readStamp(records[i].Data, r.stamper.run); ok {
				r.rec.endToEnd.observe(now - put)
				ours++
			}
		}
	}
	for i := range records {
		bytes += len(records[i].Data)
	}
	r.rec.acknowledged(len(records), bytes)
	r.total.Add(int64(ours))
}

// startIterators returns each reader's first iterator.
func startIterators(ctx context.Context, readers []*reader) ([]*string, error) {
	iterators := make([]*string, len(readers))
	for i, r := range readers {
		it, err := r.iterator(ctx, nil)
		if err != nil {
			return nil, err
		}
		iterators[i] = it
	}
	return iterators, nil
}

// runReaders runs the readers from their iterators until each is done and
// returns the time they took.
func runReaders(ctx, stop context.Context, readers []*reader, iterators []*string, done func() bool) (time.Duration, error) {
	start := time.Now()
	errs := make([]error, len(readers))
	var wg sync.WaitGroup
	for i, r := range readers {
		wg.Go(func() { errs[i] = r.read(ctx, stop, iterators[i], done) })
	}
	wg.Wait()
	return time.Since(start), firstError(errs)
}

func readerRecorders(readers []*reader) []*recorder {
	recs := make([]*recorder, len(readers))
	for i, r := range readers {
		recs[i] = r.rec
	}
	return recs
}
