package kinesisapi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/runnel-dev/runnel/internal/testserver"
)

// foSetup creates a stream of n shards and an ACTIVE consumer on it.
func foSetup(t *testing.T, c *kinesis.Client, name string, shards int32) (streamARN, consumerARN string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)}); err != nil {
		t.Fatal(err)
	}
	sum, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	streamARN = *sum.StreamDescriptionSummary.StreamARN
	reg, err := c.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: &streamARN, ConsumerName: aws.String("c1")})
	if err != nil {
		t.Fatal(err)
	}
	return streamARN, *reg.Consumer.ConsumerARN
}

// foPut writes records with the given data to shard 0 of a 1-shard stream.
func foPut(t *testing.T, c *kinesis.Client, name string, data ...string) []string {
	t.Helper()
	var seqs []string
	for _, d := range data {
		out, err := c.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String("pk"), Data: []byte(d)})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, *out.SequenceNumber)
	}
	return seqs
}

// foEvent is one SubscribeToShardEvent as the Go SDK decoded it.
type foEvent = types.SubscribeToShardEvent

// foNext waits for the next event of a subscription.
func foNext(t *testing.T, es *kinesis.SubscribeToShardEventStream, timeout time.Duration) (foEvent, bool) {
	t.Helper()
	select {
	case ev, ok := <-es.Events():
		if !ok {
			return foEvent{}, false
		}
		e, isEvent := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
		if !isEvent {
			t.Fatalf("unexpected event %T", ev)
		}
		return e.Value, true
	case <-time.After(timeout):
		t.Fatalf("no event within %v", timeout)
	}
	return foEvent{}, false
}

// foCollect reads events until want records arrived, returning their data
// and the last continuation sequence number.
func foCollect(t *testing.T, es *kinesis.SubscribeToShardEventStream, want int) ([]string, string) {
	t.Helper()
	var got []string
	cont := ""
	for len(got) < want {
		ev, ok := foNext(t, es, 5*time.Second)
		if !ok {
			t.Fatalf("stream ended after %d of %d records: %v", len(got), want, es.Err())
		}
		for _, r := range ev.Records {
			got = append(got, string(r.Data))
		}
		cont = aws.ToString(ev.ContinuationSequenceNumber)
	}
	return got, cont
}

func subscribe(t *testing.T, c *kinesis.Client, consumerARN, shard string, pos types.StartingPosition) *kinesis.SubscribeToShardEventStream {
	t.Helper()
	// One client per stream: aws-sdk-go-v2 (smithy-go v1.28) shares one
	// event-stream decoder between the streams of a client, a data race.
	out, err := kinesis.New(c.Options()).SubscribeToShard(context.Background(), &kinesis.SubscribeToShardInput{
		ConsumerARN: &consumerARN, ShardId: &shard, StartingPosition: &pos,
	})
	if err != nil {
		t.Fatalf("SubscribeToShard: %v", err)
	}
	es := out.GetStream()
	t.Cleanup(func() { es.Close() })
	return es
}

func TestSubscribeToShardDeliversBacklogAndLiveRecords(t *testing.T) {
	t.Parallel()
	clock := testserver.NewClock(time.Now())
	srv := testserver.Start(t, testserver.Options{Clock: clock})
	c := srv.Client()
	_, consumer := foSetup(t, c, "fo1", 1)
	foPut(t, c, "fo1", "a", "b", "c")
	es := subscribe(t, c, consumer, "shardId-000000000000", types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon})
	got, _ := foCollect(t, es, 3)
	if strings.Join(got, ",") != "a,b,c" {
		t.Fatalf("backlog %v", got)
	}
	start := time.Now()
	foPut(t, c, "fo1", "d")
	got, cont := foCollect(t, es, 1)
	if got[0] != "d" {
		t.Fatalf("live record %v", got)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("live record took %v: pushed, not polled?", el)
	}
	es.Close()

	// Resume after the continuation: exactly the records after it.
	foPut(t, c, "fo1", "e", "f")
	clock.Advance(6 * time.Second) // a new subscription may take over after 5 s
	es2 := subscribe(t, c, consumer, "shardId-000000000000",
		types.StartingPosition{Type: types.ShardIteratorTypeAfterSequenceNumber, SequenceNumber: &cont})
	got, _ = foCollect(t, es2, 2)
	if strings.Join(got, ",") != "e,f" {
		t.Fatalf("resumed from continuation: %v", got)
	}
}

func TestSubscribeToShardHeartbeatAndLifetime(t *testing.T) {
	t.Parallel()
	clock := testserver.NewClock(time.Now())
	srv := testserver.Start(t, testserver.Options{Clock: clock, Heartbeat: 100 * time.Millisecond, SubscriptionLifetime: 700 * time.Millisecond})
	c := srv.Client()
	_, consumer := foSetup(t, c, "fo2", 1)
	es := subscribe(t, c, consumer, "shardId-000000000000", types.StartingPosition{Type: types.ShardIteratorTypeLatest})
	start := time.Now()
	var conts []string
	for {
		ev, ok := foNext(t, es, 2*time.Second)
		if !ok {
			break
		}
		if len(ev.Records) != 0 {
			t.Fatalf("idle shard sent records: %v", ev.Records)
		}
		if ev.ContinuationSequenceNumber == nil {
			t.Fatal("heartbeat without a continuation sequence number")
		}
		conts = append(conts, *ev.ContinuationSequenceNumber)
	}
	if err := es.Err(); err != nil {
		t.Fatalf("stream ended with %v, want a normal end", err)
	}
	el := time.Since(start)
	if el < 600*time.Millisecond || el > 2*time.Second {
		t.Errorf("subscription lasted %v, want about 700ms", el)
	}
	if len(conts) < 3 {
		t.Fatalf("%d heartbeats in %v with a 100ms interval", len(conts), el)
	}
	// A heartbeat's continuation number resumes at the same place.
	foPut(t, c, "fo2", "x")
	clock.Advance(6 * time.Second)
	last := conts[len(conts)-1]
	es2 := subscribe(t, c, consumer, "shardId-000000000000",
		types.StartingPosition{Type: types.ShardIteratorTypeAfterSequenceNumber, SequenceNumber: &last})
	if got, _ := foCollect(t, es2, 1); got[0] != "x" {
		t.Fatalf("after heartbeat continuation: %v", got)
	}
}

func TestSubscribeToShardTakeover(t *testing.T) {
	t.Parallel()
	clock := testserver.NewClock(time.Now())
	srv := testserver.Start(t, testserver.Options{Clock: clock})
	c := srv.Client()
	_, consumer := foSetup(t, c, "fo3", 1)
	first := subscribe(t, c, consumer, "shardId-000000000000", types.StartingPosition{Type: types.ShardIteratorTypeLatest})

	// Within 5 s: refused.
	clock.Advance(4 * time.Second)
	_, err := c.SubscribeToShard(context.Background(), &kinesis.SubscribeToShardInput{
		ConsumerARN: &consumer, ShardId: aws.String("shardId-000000000000"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest},
	})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("second subscription within 5 s: %v, want ResourceInUseException", err)
	}

	// After 5 s: the new one takes over and the old one ends with
	// ResourceInUseException.
	clock.Advance(2 * time.Second)
	second := subscribe(t, c, consumer, "shardId-000000000000", types.StartingPosition{Type: types.ShardIteratorTypeLatest})
	for range first.Events() {
	}
	if !errors.As(first.Err(), &inUse) {
		t.Fatalf("taken-over subscription ended with %v, want ResourceInUseException", first.Err())
	}
	foPut(t, c, "fo3", "y")
	if got, _ := foCollect(t, second, 1); got[0] != "y" {
		t.Fatalf("new subscription got %v", got)
	}
}

func TestSubscribeToShardDeregistrationEndsStream(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := srv.Client()
	_, consumer := foSetup(t, c, "fo4", 1)
	es := subscribe(t, c, consumer, "shardId-000000000000", types.StartingPosition{Type: types.ShardIteratorTypeLatest})
	if _, err := c.DeregisterStreamConsumer(context.Background(), &kinesis.DeregisterStreamConsumerInput{ConsumerARN: &consumer}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for range es.Events() {
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("subscription outlived its consumer")
	}
	var nf *types.ResourceNotFoundException
	if !errors.As(es.Err(), &nf) {
		t.Fatalf("ended with %v, want ResourceNotFoundException", es.Err())
	}
}

func TestSubscribeToShardAcrossResharding(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := srv.Client()
	ctx := context.Background()
	_, consumer := foSetup(t, c, "fo5", 1)
	foPut(t, c, "fo5", "before")
	es := subscribe(t, c, consumer, "shardId-000000000000", types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon})
	if got, _ := foCollect(t, es, 1); got[0] != "before" {
		t.Fatalf("got %v", got)
	}
	if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("fo5"), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String("170141183460469231731687303715884105728")}); err != nil {
		t.Fatal(err)
	}
	// The parent's stream ends with its children and no continuation.
	var end foEvent
	for {
		ev, ok := foNext(t, es, 5*time.Second)
		if !ok {
			t.Fatalf("stream ended without ChildShards: %v", es.Err())
		}
		if len(ev.ChildShards) > 0 {
			end = ev
			break
		}
	}
	if end.ContinuationSequenceNumber != nil {
		t.Errorf("final event has continuation %s", *end.ContinuationSequenceNumber)
	}
	var kids []string
	for _, cs := range end.ChildShards {
		kids = append(kids, fmt.Sprintf("%s<-%v", *cs.ShardId, cs.ParentShards))
	}
	if want := "shardId-000000000001<-[shardId-000000000000],shardId-000000000002<-[shardId-000000000000]"; strings.Join(kids, ",") != want {
		t.Errorf("child shards %v, want %s", kids, want)
	}
	if _, ok := foNext(t, es, 5*time.Second); ok {
		t.Fatal("event after the shard-end event")
	}
	// Records now go to a child, whose subscription delivers them.
	out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("fo5"), PartitionKey: aws.String("k"), Data: []byte("after")})
	if err != nil {
		t.Fatal(err)
	}
	child := subscribe(t, c, consumer, *out.ShardId, types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon})
	if got, _ := foCollect(t, child, 1); got[0] != "after" {
		t.Fatalf("child got %v", got)
	}
}

func TestSubscribeToShardRequiresActiveConsumer(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := srv.Client()
	streamARN, consumer := foSetup(t, c, "fo6", 1)
	tests := []struct {
		name, consumer, shard, code string
	}{
		{"unknown consumer", streamARN + "/consumer/nope:1", "shardId-000000000000", "ResourceNotFoundException"},
		{"unknown shard", consumer, "shardId-000000000009", "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		_, err := c.SubscribeToShard(context.Background(), &kinesis.SubscribeToShardInput{
			ConsumerARN: aws.String(tt.consumer), ShardId: aws.String(tt.shard),
			StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest},
		})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
}

func TestSubscribeToShardLargeRecords(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := srv.Client()
	ctx := context.Background()
	_, consumer := foSetup(t, c, "fo7", 1)
	sum, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("fo7")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateMaxRecordSize(ctx, &kinesis.UpdateMaxRecordSizeInput{
		StreamARN: sum.StreamDescriptionSummary.StreamARN, MaxRecordSizeInKiB: aws.Int32(10240),
	}); err != nil {
		t.Fatal(err)
	}
	// A 10 MiB record (data plus key), then a small one: the big one must
	// travel alone in an event the SDK accepts (payloads up to 16 MiB).
	big := make([]byte, 10<<20-2)
	for i := range big {
		big[i] = byte(i * 7)
	}
	for _, d := range [][]byte{big, []byte("small")} {
		if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("fo7"), PartitionKey: aws.String("pk"), Data: d}); err != nil {
			t.Fatal(err)
		}
	}
	es := subscribe(t, c, consumer, "shardId-000000000000", types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon})
	var got [][]byte
	for len(got) < 2 {
		ev, ok := foNext(t, es, 10*time.Second)
		if !ok {
			t.Fatalf("stream ended after %d records: %v", len(got), es.Err())
		}
		for _, r := range ev.Records {
			got = append(got, r.Data)
		}
	}
	if len(got) != 2 || string(got[1]) != "small" || len(got[0]) != len(big) || string(got[0]) != string(big) {
		t.Fatalf("received %d records; the 10 MiB one intact: %v", len(got), len(got) > 0 && string(got[0]) == string(big))
	}
}

func TestSubscribeToShardThroughputLimit(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Throttle: true})
	c := srv.Client()
	ctx := context.Background()
	_, consumer := foSetup(t, c, "fo8", 1)
	// About 6 MiB in the shard, written within its 1 MiB/s write limit:
	// throttled puts are retried.
	const n, size = 6, 1000 << 10
	for i := 0; i < n; {
		_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("fo8"), PartitionKey: aws.String("pk"), Data: make([]byte, size)})
		var pt *types.ProvisionedThroughputExceededException
		switch {
		case errors.As(err, &pt):
			time.Sleep(100 * time.Millisecond)
		case err != nil:
			t.Fatal(err)
		default:
			i++
		}
	}
	// Reading it back through one subscription is paced at 2 MiB/s: the
	// first event goes at once, the rest of the ~5.9 MiB takes about 2 s
	// more.
	start := time.Now()
	es := subscribe(t, c, consumer, "shardId-000000000000", types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon})
	got := 0
	for got < n {
		ev, ok := foNext(t, es, 10*time.Second)
		if !ok {
			t.Fatalf("stream ended after %d records: %v", got, es.Err())
		}
		got += len(ev.Records)
	}
	if el := time.Since(start); el < 1500*time.Millisecond {
		t.Fatalf("%d MiB delivered in %v: faster than 2 MiB/s", n*size>>20, el)
	}
}
