package consumer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/consumer/leases"
)

// Short timings for tests.
const (
	testLease = 600 * time.Millisecond
	testPoll  = 100 * time.Millisecond
)

// testLogger logs warnings and errors through t (set CONSUMER_DEBUG to see
// everything).
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = tWriter{}

// createStream creates a stream and waits until it is ACTIVE.
func createStream(t testing.TB, client *kinesis.Client, name string, shards int32) {
	t.Helper()
	ctx := context.Background()
	if _, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, client, name)
}

func waitActive(t testing.TB, client *kinesis.Client, name string) {
	t.Helper()
	eventually(t, 10*time.Second, "stream "+name+" ACTIVE", func() bool {
		out, err := client.DescribeStreamSummary(context.Background(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		return err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive
	})
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// producer writes records with unique data ("r-000001", ...) and remembers
// where each went.
type producer struct {
	client *kinesis.Client
	stream string

	mu    sync.Mutex
	next  int
	shard map[string]string // record data → shard ID; guarded by mu
	last  map[string]string // shard ID → last sequence number; guarded by mu
}

func newProducer(client *kinesis.Client, stream string) *producer {
	return &producer{client: client, stream: stream, shard: map[string]string{}, last: map[string]string{}}
}

// put writes n records spread over the partition key space.
func (p *producer) put(t testing.TB, n int) {
	t.Helper()
	for n > 0 {
		k := min(n, 500)
		n -= k
		p.mu.Lock()
		entries := make([]types.PutRecordsRequestEntry, k)
		for i := range entries {
			p.next++
			entries[i] = types.PutRecordsRequestEntry{
				Data:         []byte(fmt.Sprintf("r-%06d", p.next)),
				PartitionKey: aws.String(fmt.Sprintf("pk-%d", p.next)),
			}
		}
		p.mu.Unlock()
		out, err := p.client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(p.stream), Records: entries})
		if err != nil {
			t.Fatal(err)
		}
		p.mu.Lock()
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				p.mu.Unlock()
				t.Fatalf("PutRecords entry %d: %s", i, aws.ToString(r.ErrorMessage))
			}
			p.shard[string(entries[i].Data)] = aws.ToString(r.ShardId)
			p.last[aws.ToString(r.ShardId)] = aws.ToString(r.SequenceNumber)
		}
		p.mu.Unlock()
	}
}

// lastSequence is the sequence number of the last record written to a
// shard (records of one PutRecords call to a shard are in order).
func (p *producer) lastSequence(shard string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last[shard]
}

func (p *producer) sent() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps(p.shard)
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// event is one processor call, in the order all workers made them.
type event struct {
	kind          string // init, records, end, lost, shutdown
	worker, shard string
	ids           []string
}

// recorder is shared by the processors of every worker of a test.
type recorder struct {
	mu         sync.Mutex
	events     []event
	deliveries map[string]int    // record data → times delivered
	shardOf    map[string]string // record data → shard it came from
	// pending holds, per processor, the records delivered but not yet
	// checkpointed; unacked collects those of processors that ended.
	pending  map[*testProcessor][]string
	unacked  map[string]bool
	problems []string
}

func newRecorder() *recorder {
	return &recorder{deliveries: map[string]int{}, shardOf: map[string]string{}, pending: map[*testProcessor][]string{}, unacked: map[string]bool{}}
}

func (r *recorder) add(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) problem(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func (r *recorder) delivered(p *testProcessor, recs []Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, len(recs))
	for i, rec := range recs {
		ids[i] = string(rec.Data)
		if rec.Aggregated {
			ids[i] += fmt.Sprintf("/%d", rec.SubSequenceNumber)
		}
		r.deliveries[ids[i]]++
		r.shardOf[ids[i]] = p.shard
	}
	r.pending[p] = append(r.pending[p], ids...)
	r.events = append(r.events, event{kind: "records", worker: p.worker, shard: p.shard, ids: ids})
}

func (r *recorder) checkpointed(p *testProcessor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pending, p)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.deliveries)
}

// settle moves what processors left uncheckpointed to unacked: records
// that may be delivered again.
func (r *recorder) settle() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for p, ids := range r.pending {
		for _, id := range ids {
			r.unacked[id] = true
		}
		delete(r.pending, p)
	}
}

// testProcessor records every call, checks the order of its records and
// checkpoints after every batch.
type testProcessor struct {
	rec           *recorder
	worker, shard string
	last          position
	started       bool
}

func (r *recorder) factory(worker string) ProcessorFactory {
	return func(shard string) Processor {
		return &testProcessor{rec: r, worker: worker, shard: shard}
	}
}

func (p *testProcessor) Initialize(_ context.Context, in InitializeInput) error {
	p.rec.add(event{kind: "init", worker: p.worker, shard: p.shard})
	return nil
}

func (p *testProcessor) ProcessRecords(ctx context.Context, in ProcessRecordsInput) error {
	for _, r := range in.Records {
		pos, ok := parsePosition(r.SequenceNumber, r.SubSequenceNumber)
		if !ok {
			p.rec.problem("%s: bad sequence number %q", p.shard, r.SequenceNumber)
			continue
		}
		if p.started && pos.compare(p.last) <= 0 {
			p.rec.problem("%s on %s: record %s/%d not after %s/%d", p.shard, p.worker, r.SequenceNumber, r.SubSequenceNumber, p.last.seq, p.last.sub)
		}
		p.last, p.started = pos, true
	}
	p.rec.delivered(p, in.Records)
	err := in.Checkpointer.Checkpoint(ctx, in.Records[len(in.Records)-1])
	switch {
	case err == nil:
		p.rec.checkpointed(p)
	case !errors.Is(err, ErrLeaseLost) && ctx.Err() == nil:
		p.rec.problem("%s: checkpoint: %v", p.shard, err)
	}
	return nil
}

func (p *testProcessor) ShardEnded(_ context.Context, in ShardEndedInput) error {
	p.rec.add(event{kind: "end", worker: p.worker, shard: p.shard, ids: in.ChildShardIDs})
	return nil
}

func (p *testProcessor) LeaseLost(context.Context, LeaseLostInput) {
	p.rec.add(event{kind: "lost", worker: p.worker, shard: p.shard})
}

func (p *testProcessor) ShutdownRequested(context.Context, ShutdownRequestedInput) error {
	p.rec.add(event{kind: "shutdown", worker: p.worker, shard: p.shard})
	return nil
}

// worker is a Consumer running in a goroutine of the test.
type worker struct {
	c      *Consumer
	stop   context.CancelFunc
	done   chan error
	halted sync.Once
}

func startWorker(t testing.TB, client KinesisClient, stream string, store leases.Store, rec *recorder, id string, opts ...Option) *worker {
	t.Helper()
	opts = append([]Option{
		WithWorkerID(id), WithLogger(testLogger(t)), WithLeaseDuration(testLease),
		WithPollInterval(testPoll), WithInitialPosition(TrimHorizon),
	}, opts...)
	c, err := New(client, stream, store, rec.factory(id), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &worker{c: c, stop: cancel, done: make(chan error, 1)}
	go func() { w.done <- c.Run(ctx) }()
	t.Cleanup(func() { w.halt(t) })
	return w
}

// halt ends Run and waits for it to return.
func (w *worker) halt(t testing.TB) {
	t.Helper()
	w.halted.Do(func() {
		w.stop()
		select {
		case err := <-w.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("worker %s: Run did not return 15s after its context ended", w.c.WorkerID())
		}
	})
}

func leaseOwners(t testing.TB, store leases.Store) map[string]string {
	t.Helper()
	all, err := store.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{}
	for _, l := range all {
		owners[l.Key] = l.Owner
	}
	return owners
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// seqOf returns the sequence number of the record with the given data.
func seqOf(t testing.TB, client *kinesis.Client, stream, data string) string {
	t.Helper()
	ctx := context.Background()
	it, err := client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
		StreamName: aws.String(stream), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Records {
		if string(r.Data) == data {
			return aws.ToString(r.SequenceNumber)
		}
	}
	t.Fatalf("no record %q", data)
	return ""
}

// shardOf returns the shard with the given ID.
func shardOf(t testing.TB, client *kinesis.Client, stream, id string) types.Shard {
	t.Helper()
	out, err := client.ListShards(context.Background(), &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Shards {
		if aws.ToString(s.ShardId) == id {
			return s
		}
	}
	t.Fatalf("no shard %s", id)
	return types.Shard{}
}
