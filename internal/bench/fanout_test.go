package bench

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/testserver"
)

// The fanout tests run against the real server in-process: the fake has no
// event streams.

// fanoutConfig is a small fanout run against srv. It keeps the stream, so
// that the test can look at it afterwards.
func fanoutConfig(srv *testserver.Server, consumers, shards int) Config {
	return Config{
		Mode:         ModeFanout,
		Endpoint:     srv.URL,
		Region:       testserver.Region,
		Stream:       testStream,
		Create:       true,
		Shards:       shards,
		RecordSize:   100,
		BatchSize:    10,
		Concurrency:  2,
		Duration:     300 * time.Millisecond,
		Rate:         2000,
		Consumers:    consumers,
		PollInterval: time.Millisecond,
	}
}

// checkDelivery checks the exact accounting of a fanout run that lost
// nothing: every acknowledged record reached every consumer once.
func checkDelivery(t *testing.T, report *Report, cfg Config) (put, deliver Phase) {
	t.Helper()
	put, deliver = phase(t, report, PhasePut), phase(t, report, PhaseDeliver)
	checkConsistent(t, put, cfg.RecordSize)
	if put.Records == 0 || put.Failed+put.Rejected != 0 {
		t.Fatalf("put %d records; errors %v %v", put.Records, put.CallErrors, put.RecordErrors)
	}
	d := deliver.Delivery
	if d == nil {
		t.Fatalf("deliver phase without accounting: %+v", deliver)
	}
	n := int64(cfg.Consumers)
	want := Delivery{Consumers: cfg.Consumers, Produced: put.Records, Expected: put.Records * n, Delivered: put.Records * n}
	got := *d
	got.PerConsumer = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("delivery = %+v, want %+v", got, want)
	}
	if deliver.Records != want.Delivered || deliver.Bytes != want.Delivered*int64(cfg.RecordSize) {
		t.Errorf("deliver phase counts %d records, %d bytes; want %d records of %d B",
			deliver.Records, deliver.Bytes, want.Delivered, cfg.RecordSize)
	}
	if e2e := deliver.EndToEnd; e2e == nil || e2e.Count != want.Delivered || !(0 < e2e.P50 && e2e.P50 <= e2e.P99 && e2e.P99 <= e2e.Max) {
		t.Errorf("end-to-end latency = %+v, want one sample per delivered record", e2e)
	}
	names := map[string]bool{}
	for _, c := range d.PerConsumer {
		names[c.Name] = true
		if c.Delivered != put.Records || c.Missing+c.Duplicates+c.Unacknowledged != 0 || c.RecordsPerSecond <= 0 {
			t.Errorf("consumer %+v, want all %d records once", c, put.Records)
		}
	}
	if len(names) != cfg.Consumers {
		t.Errorf("per-consumer figures %+v, want %d distinct consumers", d.PerConsumer, cfg.Consumers)
	}
	if deliver.Calls < int64(cfg.Consumers*report.Shards) || deliver.Latency.Count != deliver.Calls {
		t.Errorf("%d subscriptions (latency count %d) for %d consumers x %d shards",
			deliver.Calls, deliver.Latency.Count, cfg.Consumers, report.Shards)
	}
	return put, deliver
}

// checkDeregistered checks that the run left no consumer behind.
func checkDeregistered(t *testing.T, c *kinesis.Client) {
	t.Helper()
	arn := streamARN(t, c)
	out, err := c.ListStreamConsumers(context.Background(), &kinesis.ListStreamConsumersInput{StreamARN: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Consumers) != 0 {
		t.Errorf("consumers left registered: %+v", out.Consumers)
	}
}

func streamARN(t *testing.T, c *kinesis.Client) string {
	t.Helper()
	out, err := c.DescribeStreamSummary(context.Background(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(testStream)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.StreamDescriptionSummary.StreamARN)
}

func TestFanoutDeliversEveryRecordToEveryConsumer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		consumers, shards int
		batch             int
		operation         string
	}{
		{"one consumer PutRecord", 1, 1, 1, "PutRecord"},
		{"three consumers two shards", 3, 2, 10, "PutRecords"},
		{"twenty consumers", 20, 1, 5, "PutRecords"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t, testserver.Options{})
			cfg := fanoutConfig(srv, tt.consumers, tt.shards)
			cfg.BatchSize = tt.batch
			report := run(t, cfg)
			if report.Consumers != tt.consumers || report.Shards != tt.shards {
				t.Errorf("report of %d consumers, %d shards", report.Consumers, report.Shards)
			}
			put, deliver := checkDelivery(t, report, cfg)
			if put.Operation != tt.operation || deliver.Operation != "SubscribeToShard" {
				t.Errorf("operations %s, %s", put.Operation, deliver.Operation)
			}
			if deliver.Failed != 0 {
				t.Errorf("delivery errors %v", deliver.CallErrors)
			}
			checkDeregistered(t, srv.Client())
		})
	}
}

// Subscriptions that end after their lifetime are renewed after the last
// continuation sequence number: nothing is lost or delivered twice.
func TestFanoutResubscribesWhenSubscriptionsEnd(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{SubscriptionLifetime: 200 * time.Millisecond, Heartbeat: 20 * time.Millisecond})
	cfg := fanoutConfig(srv, 2, 2)
	cfg.Duration = 1500 * time.Millisecond
	cfg.Rate = 1000
	_, deliver := checkDelivery(t, run(t, cfg), cfg)
	for _, c := range deliver.Delivery.PerConsumer {
		// The lifetime ends a subscription every 200ms, and a new one may
		// follow a second after the last.
		if c.Subscriptions < 2*int64(c.Shards) {
			t.Errorf("consumer %s subscribed %d times to %d shards, want renewals", c.Name, c.Subscriptions, c.Shards)
		}
	}
	if deliver.Failed != 0 {
		t.Errorf("delivery errors %v", deliver.CallErrors)
	}
}

// signal is a slog handler that calls fn the first time msg is logged.
type signal struct {
	msg  string
	fn   func()
	once sync.Once
}

func newSignal(msg string, fn func()) *signal { return &signal{msg: msg, fn: fn} }

func (s *signal) Enabled(context.Context, slog.Level) bool { return true }
func (s *signal) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *signal) WithGroup(string) slog.Handler            { return s }
func (s *signal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == s.msg {
		s.once.Do(s.fn)
	}
	return nil
}

// runDuring runs cfg and calls during once the producers are putting and
// every subscription is open; it returns the report.
func runDuring(t *testing.T, cfg Config, during func()) *Report {
	t.Helper()
	started := make(chan struct{})
	cfg.Logger = slog.New(newSignal("putting and delivering", func() { close(started) }))
	type result struct {
		report *Report
		err    error
	}
	done := make(chan result, 1)
	go func() {
		report, err := Run(t.Context(), cfg)
		done <- result{report, err}
	}()
	select {
	case <-started:
		during()
	case r := <-done:
		t.Fatalf("run ended before putting: %v", r.err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("Run: %v", r.err)
	}
	return r.report
}

// Resharding during the run: readers follow the parents to their children,
// a merged child once both parents have ended.
func TestFanoutFollowsChildShards(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		shards     int
		reshard    func(context.Context, *kinesis.Client) error
		shardsRead int // per consumer
	}{
		{"split", 1, func(ctx context.Context, c *kinesis.Client) error {
			_, err := c.SplitShard(ctx, &kinesis.SplitShardInput{
				StreamName: aws.String(testStream), ShardToSplit: aws.String(shardID(0)),
				NewStartingHashKey: aws.String("170141183460469231731687303715884105728"), // 2^127
			})
			return err
		}, 3},
		{"merge", 2, func(ctx context.Context, c *kinesis.Client) error {
			_, err := c.MergeShards(ctx, &kinesis.MergeShardsInput{
				StreamName: aws.String(testStream), ShardToMerge: aws.String(shardID(0)), AdjacentShardToMerge: aws.String(shardID(1)),
			})
			return err
		}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t, testserver.Options{})
			client := srv.Client()
			cfg := fanoutConfig(srv, 2, tt.shards)
			cfg.Duration = 600 * time.Millisecond
			report := runDuring(t, cfg, func() {
				time.Sleep(150 * time.Millisecond) // records on the parents first
				if err := tt.reshard(t.Context(), client); err != nil {
					t.Errorf("resharding: %v", err)
				}
			})
			_, deliver := checkDelivery(t, report, cfg)
			for _, c := range deliver.Delivery.PerConsumer {
				if c.Shards != tt.shardsRead {
					t.Errorf("consumer %s read %d shards, want %d", c.Name, c.Shards, tt.shardsRead)
				}
			}
			if deliver.Failed != 0 {
				t.Errorf("delivery errors %v", deliver.CallErrors)
			}
		})
	}
}

// A subscription taken over by another client ends in
// ResourceInUseException; the reader takes it back 5 seconds later and
// resumes where it was.
func TestFanoutTakesBackSubscription(t *testing.T) {
	t.Parallel()
	clock := testserver.NewClock(time.Now())
	srv := testserver.Start(t, testserver.Options{Clock: clock, Heartbeat: 20 * time.Millisecond})
	client := srv.Client()
	cfg := fanoutConfig(srv, 1, 1)
	cfg.Duration = 500 * time.Millisecond
	cfg.Rate = 1000
	report := runDuring(t, cfg, func() {
		ctx := t.Context()
		arn := streamARN(t, client)
		c, err := client.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{StreamARN: &arn, ConsumerName: aws.String(consumerName(0))})
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(takeoverWait + time.Second) // the bench's subscription may be taken over
		out, err := client.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{
			ConsumerARN: c.ConsumerDescription.ConsumerARN, ShardId: aws.String(shardID(0)),
			StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest},
		})
		if err != nil {
			t.Fatalf("taking the subscription over: %v", err)
		}
		closeStream(out.GetStream())
	})
	_, deliver := checkDelivery(t, report, cfg)
	if got := deliver.CallErrors; !maps.Equal(got, map[string]int64{"ResourceInUseException": 1}) {
		t.Errorf("delivery errors %v, want the takeover's ResourceInUseException", got)
	}
	if c := deliver.Delivery.PerConsumer[0]; c.Subscriptions != 2 {
		t.Errorf("%d subscriptions, want the first and the one that took it back", c.Subscriptions)
	}
}

// A consumer left registered by an earlier run is reused, and deregistered.
func TestFanoutReusesLeftOverConsumer(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	client := srv.Client()
	ctx := t.Context()
	if _, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(testStream), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	arn := streamARN(t, client)
	if _, err := client.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: &arn, ConsumerName: aws.String(consumerName(1))}); err != nil {
		t.Fatal(err)
	}
	cfg := fanoutConfig(srv, 2, 1)
	checkDelivery(t, run(t, cfg), cfg)
	checkDeregistered(t, client)
}

func TestFanoutDeletesStream(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	cfg := fanoutConfig(srv, 2, 1)
	cfg.Delete = true
	checkDelivery(t, run(t, cfg), cfg)
	_, err := srv.Client().DescribeStreamSummary(t.Context(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(testStream)})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("stream after the run: %v, want ResourceNotFoundException", err)
	}
}

func TestFanoutCanceled(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	cfg := fanoutConfig(srv, 2, 1)
	cfg.Duration = time.Minute
	ctx, cancel := context.WithCancel(t.Context())
	cfg.Logger = slog.New(newSignal("putting and delivering", cancel))
	start := time.Now()
	if _, err := Run(ctx, cfg); err == nil {
		t.Fatal("a canceled run succeeded")
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("canceled run took %v", el)
	}
	checkDeregistered(t, srv.Client())
}

func TestSequenceAfter(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"1", "", true},
		{"", "", false},
		{"10", "9", true},
		{"9", "10", false},
		{"49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692538361571095921575989136588897", true},
		{"49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692538361571095921575989136588898", false},
		{"49590338271490256608559692538361571095921575989136588898", "59590338271490256608559692538361571095921575989136588898", false},
	}
	for _, tt := range tests {
		if got := sequenceAfter(tt.a, tt.b); got != tt.want {
			t.Errorf("sequenceAfter(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSubscribeDelays(t *testing.T) {
	now := time.Unix(1000, 0)
	base := 10 * time.Millisecond
	tests := []struct {
		name     string
		lastCall time.Time
		code     string // "" for a subscription that ended normally
		fails    int
		want     time.Duration
	}{
		{"first call", time.Time{}, "", 0, 0},
		{"lifetime ended long after the call", now.Add(-5 * time.Minute), "", 0, 0},
		{"one call per second", now.Add(-300 * time.Millisecond), "", 0, 700 * time.Millisecond},
		{"taken over", now.Add(-time.Minute), "ResourceInUseException", 1, takeoverWait},
		{"error backs off", now.Add(-time.Minute), "InternalFailure", 3, 40 * time.Millisecond},
		{"error soon after the call", now.Add(-900 * time.Millisecond), "InternalFailure", 1, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait := time.Duration(0)
			if tt.code != "" {
				wait = retryWait(tt.code, tt.fails, base)
			}
			if got := subscribeDelay(tt.lastCall, now, wait); got != tt.want {
				t.Errorf("delay = %v, want %v", got, tt.want)
			}
		})
	}
}

// A merged child starts once both its parents have ended; a child whose
// other parent was never read (closed before the run) starts at once.
func TestParentsEnded(t *testing.T) {
	c := &fanConsumer{}
	c.mu.readers = map[string]*shardReader{"a": {}, "b": {}}
	c.mu.ended = map[string]bool{}
	tests := []struct {
		ended   []string
		parents []string
		want    bool
	}{
		{nil, []string{"a"}, false},
		{[]string{"a"}, []string{"a"}, true},
		{[]string{"a"}, []string{"a", "b"}, false},
		{[]string{"a", "b"}, []string{"a", "b"}, true},
		{[]string{"a"}, []string{"a", "old"}, true},
	}
	for _, tt := range tests {
		clear(c.mu.ended)
		for _, s := range tt.ended {
			c.mu.ended[s] = true
		}
		if got := c.parentsEndedLocked(tt.parents); got != tt.want {
			t.Errorf("ended %v, parents %v: %v, want %v", tt.ended, tt.parents, got, tt.want)
		}
	}
}

func TestFanoutReportText(t *testing.T) {
	report := &Report{Mode: ModeFanout, Endpoint: "http://x", Stream: "s", Shards: 1, RecordSize: 1024, BatchSize: 1,
		Concurrency: 4, PartitionKeys: "random", Rate: 1000, Consumers: 2, Phases: []Phase{{
			Name: PhaseDeliver, Operation: "SubscribeToShard", Seconds: 2, Records: 3999, RecordsPerSecond: 1999.5,
			Delivery: &Delivery{Consumers: 2, Produced: 2000, Expected: 4000, Delivered: 3999, Missing: 1, Duplicates: 3,
				PerConsumer: []ConsumerDelivery{
					{Name: "runnel-bench-0", Delivered: 2000, RecordsPerSecond: 1000, Shards: 1, Subscriptions: 1},
					{Name: "runnel-bench-1", Delivered: 1999, RecordsPerSecond: 999.5, Missing: 1, Duplicates: 3, Shards: 1, Subscriptions: 2},
				}},
		}}}
	var b strings.Builder
	if err := report.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		", 2 consumers\n",
		"delivery  produced 2,000 x 2 consumers = 4,000 expected; delivered 3,999; missing 1; duplicates 3\n",
		"consumer  runnel-bench-1: 1,999 records (1,000 records/s), missing 1, duplicates 3; 1 shards, 2 subscriptions\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
}

// Records of the run count once each; repeats and records of other runs
// do not.
func TestReceiveCountsEachRecordOnce(t *testing.T) {
	const run, size = 7, 20
	st := &stamper{run: run, start: time.Now()}
	f := &fanout{stamper: st}
	f.endToEnd.l = newLatencies()
	f.target.Store(3)
	stopped := false
	c := &fanConsumer{f: f, stop: func() { stopped = true }}
	r := &shardReader{f: f, c: c, rec: newRecorder()}
	record := func(seq string, run uint32) types.Record {
		data := make([]byte, size)
		stamp(data, run, time.Millisecond)
		return types.Record{SequenceNumber: aws.String(seq), Data: data}
	}
	events := [][]types.Record{
		{record("100", run), record("101", run)},
		{record("101", run), record("102", run+1), record("103", run)}, // 101 again; 102 of another run
		{record("99", run)}, // behind: delivered out of order
	}
	for _, recs := range events {
		r.receive(&types.SubscribeToShardEvent{Records: recs}, st.start.Add(5*time.Millisecond))
	}
	if r.rec.records != 3 || r.rec.bytes != 3*size || r.duplicates != 2 || c.received.Load() != 3 {
		t.Errorf("records %d, bytes %d, duplicates %d, consumer's count %d; want 3, %d, 2, 3",
			r.rec.records, r.rec.bytes, r.duplicates, c.received.Load(), 3*size)
	}
	if !stopped {
		t.Error("the consumer did not stop on reaching its target")
	}
	if l := f.endToEnd.summary(); l.Count != 3 || l.Max != 4 {
		t.Errorf("end-to-end latency %+v, want 3 samples of 4ms", l)
	}
}
