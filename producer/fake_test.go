package producer

import (
	"context"
	"crypto/md5"
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/aggregation"
)

// fakeKinesis is a Client that routes entries by hash key to its shards,
// stores what it accepts, and lets a test decide each entry's fate.
type fakeKinesis struct {
	mu       sync.Mutex
	shards   []shardRange // what ListShards lists and PutRecords routes by
	lists    int
	calls    int
	inFlight map[string]int // Kinesis records in calls, by shard routed to
	maxIn    map[string]int
	stored   []storedRecord
	seq      int
	// entry, if set, returns an error code for an entry, or "" to store
	// it; attempt counts the entry's data's earlier sends.
	entry func(shard string, e types.PutRecordsRequestEntry, attempt int) string
	// call, if set, runs at the start of each PutRecords; an error fails
	// the call.
	call     func(ctx context.Context, in *kinesis.PutRecordsInput) error
	attempts map[string]int // by data
}

type storedRecord struct {
	shard, seq string
	hr         shardRange // the shard's range
	entry      types.PutRecordsRequestEntry
}

func newFake(n int) *fakeKinesis {
	return &fakeKinesis{shards: evenShards(n, 0), inFlight: map[string]int{}, maxIn: map[string]int{}, attempts: map[string]int{}}
}

// evenShards splits the hash-key space into n shards numbered from first.
func evenShards(n, first int) []shardRange {
	top := new(big.Int).Lsh(big.NewInt(1), 128)
	step := new(big.Int).Div(top, big.NewInt(int64(n)))
	out := make([]shardRange, n)
	for i := range out {
		start := new(big.Int).Mul(step, big.NewInt(int64(i)))
		end := new(big.Int).Sub(new(big.Int).Add(start, step), big.NewInt(1))
		if i == n-1 {
			end.Sub(top, big.NewInt(1))
		}
		out[i].id = fmt.Sprintf("shardId-%012d", first+i)
		start.FillBytes(out[i].start[:])
		end.FillBytes(out[i].end[:])
	}
	return out
}

func (f *fakeKinesis) setShards(s []shardRange) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shards = s
}

func (f *fakeKinesis) ListShards(ctx context.Context, in *kinesis.ListShardsInput, _ ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	out := &kinesis.ListShardsOutput{}
	for _, s := range f.shards {
		out.Shards = append(out.Shards, types.Shard{ShardId: aws.String(s.id), HashKeyRange: &types.HashKeyRange{
			StartingHashKey: aws.String(new(big.Int).SetBytes(s.start[:]).String()),
			EndingHashKey:   aws.String(new(big.Int).SetBytes(s.end[:]).String()),
		}})
	}
	return out, nil
}

func (f *fakeKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	f.mu.Lock()
	f.calls++
	routed := make([]string, len(in.Records))
	for i, e := range in.Records {
		routed[i] = f.routeLocked(e).id
		f.inFlight[routed[i]]++
		f.maxIn[routed[i]] = max(f.maxIn[routed[i]], f.inFlight[routed[i]])
	}
	call := f.call
	f.mu.Unlock()
	var err error
	if call != nil {
		err = call(ctx, in)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range routed {
		f.inFlight[id]--
	}
	if err != nil {
		return nil, err
	}
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i, e := range in.Records {
		attempt := f.attempts[string(e.Data)]
		f.attempts[string(e.Data)]++
		if f.entry != nil {
			if code := f.entry(routed[i], e, attempt); code != "" {
				out.Records[i] = types.PutRecordsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String("fake " + code)}
				out.FailedRecordCount = aws.Int32(aws.ToInt32(out.FailedRecordCount) + 1)
				continue
			}
		}
		f.seq++
		seq := fmt.Sprintf("%056d", f.seq)
		f.stored = append(f.stored, storedRecord{shard: routed[i], seq: seq, hr: f.routeLocked(e), entry: e})
		out.Records[i] = types.PutRecordsResultEntry{ShardId: aws.String(routed[i]), SequenceNumber: aws.String(seq)}
	}
	return out, nil
}

func (f *fakeKinesis) routeLocked(e types.PutRecordsRequestEntry) shardRange {
	var key hashKey
	if e.ExplicitHashKey != nil {
		key, _ = parseHashKey(*e.ExplicitHashKey)
	} else {
		key = md5.Sum([]byte(aws.ToString(e.PartitionKey)))
	}
	return f.shards[lookup(f.shards, key)]
}

// userRecords returns the stored user records in stream order, split as
// the KCL splits them under their shard's hash range.
func (f *fakeKinesis) userRecords() []aggregation.UserRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []aggregation.UserRecord
	for _, s := range f.stored {
		r := aggregation.Record{SequenceNumber: s.seq, PartitionKey: aws.ToString(s.entry.PartitionKey), Data: s.entry.Data}
		hr := &aggregation.HashRange{Start: new(big.Int).SetBytes(s.hr.start[:]), End: new(big.Int).SetBytes(s.hr.end[:])}
		out = append(out, aggregation.Deaggregate(r, hr)...)
	}
	return out
}

func (f *fakeKinesis) count() (calls, stored int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, len(f.stored)
}

func newTestProducer(t *testing.T, f *fakeKinesis, opts ...Option) *Producer {
	t.Helper()
	p, err := New(context.Background(), f, "stream", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}
