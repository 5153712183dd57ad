package consumer

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// fakeKinesis answers GetShardIterator and GetRecords with functions and
// records the calls.
type fakeKinesis struct {
	KinesisClient // nil: other calls panic
	iterator      func(*kinesis.GetShardIteratorInput) (*kinesis.GetShardIteratorOutput, error)
	records       func(n int) (*kinesis.GetRecordsOutput, error)

	mu        sync.Mutex
	iterCalls []kinesis.GetShardIteratorInput
	recCalls  []time.Time
}

func (f *fakeKinesis) GetShardIterator(_ context.Context, in *kinesis.GetShardIteratorInput, _ ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	f.mu.Lock()
	f.iterCalls = append(f.iterCalls, *in)
	f.mu.Unlock()
	if f.iterator != nil {
		return f.iterator(in)
	}
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String("it")}, nil
}

func (f *fakeKinesis) GetRecords(context.Context, *kinesis.GetRecordsInput, ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	f.mu.Lock()
	f.recCalls = append(f.recCalls, time.Now())
	n := len(f.recCalls)
	f.mu.Unlock()
	return f.records(n)
}

func page(behind int64, seqs ...string) *kinesis.GetRecordsOutput {
	out := &kinesis.GetRecordsOutput{MillisBehindLatest: aws.Int64(behind), NextShardIterator: aws.String("next")}
	for _, s := range seqs {
		out.Records = append(out.Records, types.Record{SequenceNumber: aws.String(s), PartitionKey: aws.String("pk"), Data: []byte(s)})
	}
	return out
}

func testPoller(f *fakeKinesis, start startPosition, interval time.Duration, log *slog.Logger) *poller {
	cfg := defaultConfig()
	cfg.pollInterval = interval
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return newPoller(f, "arn:aws:kinesis:us-east-1:123456789012:stream/s", "shardId-000000000000", start, &cfg, log)
}

// pollFor calls next until d has passed and returns the batches.
func pollFor(t *testing.T, p *poller, d time.Duration) []batch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var out []batch
	for {
		b, err := p.next(ctx)
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatal(err)
			}
			return out
		}
		out = append(out, b)
	}
}

// TestPollerRate: a shard that is behind is read as fast as allowed, 5
// calls per second; one that has caught up once per poll interval.
func TestPollerRate(t *testing.T) {
	tests := []struct {
		name     string
		behind   int64
		interval time.Duration
		min, max int
	}{
		{"behind", 5000, time.Second, 5, 6},
		{"caught up", 0, 400 * time.Millisecond, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeKinesis{records: func(int) (*kinesis.GetRecordsOutput, error) { return page(tt.behind, "1"), nil }}
			pollFor(t, testPoller(f, trimHorizonStart, tt.interval, nil), 1100*time.Millisecond)
			if n := len(f.recCalls); n < tt.min || n > tt.max {
				t.Errorf("%d GetRecords calls in 1.1 s, want %d to %d", n, tt.min, tt.max)
			}
			for i := 1; i < len(f.recCalls); i++ {
				if gap := f.recCalls[i].Sub(f.recCalls[i-1]); gap < MinPollGap-5*time.Millisecond {
					t.Errorf("calls %d and %d %v apart, under %v", i-1, i, gap, MinPollGap)
				}
			}
		})
	}
}

// TestPollerThrottled: throttled calls are retried after growing delays,
// and the batch after them is returned.
func TestPollerThrottled(t *testing.T) {
	t.Parallel()
	f := &fakeKinesis{records: func(n int) (*kinesis.GetRecordsOutput, error) {
		if n <= 4 {
			return nil, &types.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded")}
		}
		return page(0, "7"), nil
	}}
	b, err := testPoller(f, trimHorizonStart, time.Second, nil).next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.records) != 1 || len(f.recCalls) != 5 {
		t.Fatalf("got %d records after %d calls, want 1 after 5", len(b.records), len(f.recCalls))
	}
	first, last := f.recCalls[1].Sub(f.recCalls[0]), f.recCalls[4].Sub(f.recCalls[3])
	if last <= first {
		t.Errorf("retry delays did not grow: first %v, last %v", first, last)
	}
}

// TestPollerExpiredIterator: an expired iterator is replaced by one after
// the last record returned.
func TestPollerExpiredIterator(t *testing.T) {
	t.Parallel()
	f := &fakeKinesis{records: func(n int) (*kinesis.GetRecordsOutput, error) {
		if n == 2 {
			return nil, &types.ExpiredIteratorException{Message: aws.String("Iterator expired.")}
		}
		return page(1, "4", "5"), nil
	}}
	p := testPoller(f, trimHorizonStart, time.Second, nil)
	for range 2 {
		if _, err := p.next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.iterCalls) != 2 {
		t.Fatalf("%d GetShardIterator calls, want 2", len(f.iterCalls))
	}
	again := f.iterCalls[1]
	if again.ShardIteratorType != types.ShardIteratorTypeAfterSequenceNumber || aws.ToString(again.StartingSequenceNumber) != "5" {
		t.Errorf("renewed iterator: %s %s, want AFTER_SEQUENCE_NUMBER 5", again.ShardIteratorType, aws.ToString(again.StartingSequenceNumber))
	}
}

// TestPollerStaleCheckpoint: a checkpoint the stream rejects as too old
// falls back to TRIM_HORIZON with a warning; other invalid arguments do
// not.
func TestPollerStaleCheckpoint(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	f := &fakeKinesis{
		iterator: func(in *kinesis.GetShardIteratorInput) (*kinesis.GetShardIteratorOutput, error) {
			if in.ShardIteratorType == types.ShardIteratorTypeAtSequenceNumber {
				return nil, &types.InvalidArgumentException{Message: aws.String("StartingSequenceNumber 42 used in GetShardIterator on shard shardId-000000000000 in stream s under account 123456789012 is invalid because it is older than the trim horizon.")}
			}
			return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String("it")}, nil
		},
		records: func(int) (*kinesis.GetRecordsOutput, error) { return page(0, "50"), nil },
	}
	start := startPosition{typ: types.ShardIteratorTypeAtSequenceNumber, seq: "42"}
	if _, err := testPoller(f, start, time.Second, log).next(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.iterCalls); n != 2 || f.iterCalls[1].ShardIteratorType != types.ShardIteratorTypeTrimHorizon {
		t.Fatalf("iterator calls %+v, want AT_SEQUENCE_NUMBER then TRIM_HORIZON", f.iterCalls)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "TRIM_HORIZON") {
		t.Errorf("no warning logged: %q", logs.String())
	}

	other := &fakeKinesis{iterator: func(*kinesis.GetShardIteratorInput) (*kinesis.GetShardIteratorOutput, error) {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Shard does not exist")}
	}}
	if _, err := testPoller(other, start, time.Second, nil).next(context.Background()); !isNotFound(err) {
		t.Errorf("next with a missing shard: %v, want ResourceNotFoundException", err)
	}
}

// TestPollerShardEnd: the last page of a closed shard ends the read and
// names the children.
func TestPollerShardEnd(t *testing.T) {
	t.Parallel()
	f := &fakeKinesis{records: func(int) (*kinesis.GetRecordsOutput, error) {
		out := page(0, "9")
		out.NextShardIterator = nil
		out.ChildShards = []types.ChildShard{{ShardId: aws.String("shardId-000000000002"), ParentShards: []string{"shardId-000000000000"}}}
		return out, nil
	}}
	b, err := testPoller(f, trimHorizonStart, time.Second, nil).next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !b.end || len(b.children) != 1 || len(b.records) != 1 {
		t.Fatalf("batch %+v, want the end with one child and one record", b)
	}
}
