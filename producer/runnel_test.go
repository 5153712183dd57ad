package producer_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/testserver"
	"github.com/runnel-dev/runnel/producer"
)

// These tests run the producer against a runnel server in this process
// and read every shard back, split with aggregation.Split under the
// shard's hash range as the KCL does.

// sent is what a test put: record i has data "<i>:" followed by filler.
type sent struct {
	keys    []string
	handles []*producer.Handle
}

func payload(i, size int) []byte {
	b := fmt.Appendf(nil, "%d:", i)
	for len(b) < size {
		b = append(b, byte('a'+i%26))
	}
	return b
}

func index(data []byte) int {
	var i int
	fmt.Sscanf(string(data), "%d:", &i)
	return i
}

// checkExactlyOnce checks that every record put is stored once, where its
// result says.
func checkExactlyOnce(t *testing.T, shards []storedShard, s *sent, sizeOf func(int) int) {
	t.Helper()
	type where struct {
		shard, seq string
		sub        uint64
	}
	found := make(map[int]where, len(s.keys))
	for _, sh := range shards {
		for _, u := range sh.users {
			i := index(u.Data)
			if _, dup := found[i]; dup {
				t.Fatalf("record %d stored twice", i)
			}
			if i < 0 || i >= len(s.keys) || u.PartitionKey != s.keys[i] || !bytes.Equal(u.Data, payload(i, sizeOf(i))) {
				t.Fatalf("stored record %q under %q is not one that was put", u.Data, u.PartitionKey)
			}
			found[i] = where{sh.id, u.SequenceNumber, u.SubSequenceNumber}
		}
	}
	if len(found) != len(s.keys) {
		t.Fatalf("%d of %d records stored", len(found), len(s.keys))
	}
	for i, h := range s.handles {
		res := h.Result()
		if res.Err != nil {
			t.Fatalf("record %d: %v", i, res.Err)
		}
		if got := (where{res.ShardID, res.SequenceNumber, res.SubSequenceNumber}); got != found[i] {
			t.Fatalf("record %d: result says %+v, stored at %+v", i, got, found[i])
		}
	}
}

// putConcurrently puts n records from workers goroutines; key picks the
// partition key of record i.
func putConcurrently(t *testing.T, p *producer.Producer, n, workers int, key func(int) string, sizeOf func(int) int) *sent {
	t.Helper()
	s := &sent{keys: make([]string, n), handles: make([]*producer.Handle, n)}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				s.keys[i] = key(i)
				h, err := p.Put(context.Background(), producer.Record{PartitionKey: s.keys[i], Data: payload(i, sizeOf(i))})
				if err != nil {
					t.Errorf("Put %d: %v", i, err)
					return
				}
				s.handles[i] = h
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return s
}

func TestExactlyOnce(t *testing.T) {
	for _, agg := range []bool{true, false} {
		t.Run(fmt.Sprintf("aggregation=%v", agg), func(t *testing.T) {
			srv := testserver.Start(t, testserver.Options{})
			c := newClient(t, srv)
			createStream(t, c, "orders", 4)
			p, err := producer.New(context.Background(), c, "orders", producer.WithAggregation(agg))
			if err != nil {
				t.Fatal(err)
			}
			sizeOf := func(i int) int { return 10 + i*7919%400 }
			s := putConcurrently(t, p, 8000, 4, func(i int) string { return fmt.Sprintf("customer-%d", rand.IntN(1000)) }, sizeOf)
			if err := p.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			checkExactlyOnce(t, readStream(t, c, "orders"), s, sizeOf)
			m := p.Metrics()
			if m.UserRecordsDelivered != 8000 || m.Retries != 0 || m.BufferedRecords != 0 || m.PutLatency.Count != 8000 {
				t.Errorf("metrics %+v", m)
			}
			if agg && m.KinesisRecordsDelivered > 200 {
				t.Errorf("8000 small user records took %d Kinesis records", m.KinesisRecordsDelivered)
			}
		})
	}
}

// TestThrottledShard pushes several times a shard's capacity at a server
// that enforces AWS's limits, with the producer's own rate limit off, and
// then with it on.
func TestThrottledShard(t *testing.T) {
	tests := []struct {
		name          string
		opts          []producer.Option
		n, size       int
		wantThrottles bool
	}{
		// 2,500 records at 1,000 records/s.
		{"records, no rate limit", []producer.Option{producer.WithAggregation(false), producer.WithShardRateLimit(0, 0)}, 2500, 50, true},
		// 2.4 MiB at 1 MiB/s.
		{"bytes, no rate limit", []producer.Option{producer.WithShardRateLimit(0, 0)}, 2500, 1000, true},
		{"records, rate limit", []producer.Option{producer.WithAggregation(false)}, 2500, 50, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.Start(t, testserver.Options{Throttle: true})
			c := newClient(t, srv)
			createStream(t, c, "hot", 1)
			opts := append([]producer.Option{producer.WithRetryBackoff(20*time.Millisecond, 200*time.Millisecond)}, tt.opts...)
			p, err := producer.New(context.Background(), c, "hot", opts...)
			if err != nil {
				t.Fatal(err)
			}
			sizeOf := func(int) int { return tt.size }
			s := putConcurrently(t, p, tt.n, 2, func(i int) string { return fmt.Sprintf("k%d", i) }, sizeOf)
			if err := p.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			checkExactlyOnce(t, readStream(t, c, "hot"), s, sizeOf)
			m := p.Metrics()
			if tt.wantThrottles && m.Throttles == 0 {
				t.Errorf("never throttled: %+v", m)
			}
			if !tt.wantThrottles && m.Throttles > m.KinesisRecordsSent/20 {
				t.Errorf("rate-limited producer throttled %d times in %d entries", m.Throttles, m.KinesisRecordsSent)
			}
			t.Logf("%d throttles, %d retries, %d calls", m.Throttles, m.Retries, m.PutRecordsCalls)
		})
	}
}

// TestReshardMidRun reshards the stream while records flow, and checks
// that nothing is lost or stored twice, and with ordering that each
// partition key's records are in Put order across parent and child.
func TestReshardMidRun(t *testing.T) {
	tests := []struct {
		name    string
		ordered bool
		reshard func(c *kinesis.Client) error
	}{
		{"UpdateShardCount, ordered", true, func(c *kinesis.Client) error {
			_, err := c.UpdateShardCount(context.Background(), &kinesis.UpdateShardCountInput{StreamName: aws.String("resharded"),
				TargetShardCount: aws.Int32(4), ScalingType: types.ScalingTypeUniformScaling})
			return err
		}},
		{"SplitShard", false, func(c *kinesis.Client) error {
			_, err := c.SplitShard(context.Background(), &kinesis.SplitShardInput{StreamName: aws.String("resharded"),
				ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("42535295865117307932921825928971026432")})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.Start(t, testserver.Options{})
			c := newClient(t, srv)
			createStream(t, c, "resharded", 2)
			p, err := producer.New(context.Background(), c, "resharded", producer.WithOrdering(tt.ordered),
				producer.WithAggregationMaxSize(2000), producer.WithLinger(2*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			const n = 6000
			sizeOf := func(int) int { return 60 }
			s := &sent{keys: make([]string, n), handles: make([]*producer.Handle, n)}
			for i := range n {
				if i == n/3 {
					if err := tt.reshard(c); err != nil {
						t.Fatalf("reshard: %v", err)
					}
				}
				if i%100 == 0 {
					time.Sleep(time.Millisecond) // let records flow while the shards change
				}
				s.keys[i] = fmt.Sprintf("key-%d", i%40)
				if s.handles[i], err = p.Put(context.Background(), producer.Record{PartitionKey: s.keys[i], Data: payload(i, sizeOf(i))}); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			shards := readStream(t, c, "resharded")
			checkExactlyOnce(t, shards, s, sizeOf)
			m := p.Metrics()
			if m.ShardMapRefreshes == 0 {
				t.Errorf("no shard map refresh: %+v", m)
			}
			dropped := 0
			for _, sh := range shards {
				dropped += sh.dropped
			}
			t.Logf("%d shard map refreshes, %d aggregates across a new shard boundary sent again", m.ShardMapRefreshes, dropped)
			if tt.ordered {
				checkKeyOrder(t, shards)
			}
		})
	}
}

// checkKeyOrder checks that each partition key's records, read parents
// first, are in Put order.
func checkKeyOrder(t *testing.T, shards []storedShard) {
	t.Helper()
	last := map[string]int{}
	for _, sh := range shards {
		for _, u := range sh.users {
			i := index(u.Data)
			if prev, ok := last[u.PartitionKey]; ok && i < prev {
				t.Fatalf("%s: record %d stored after record %d (shard %s)", u.PartitionKey, i, prev, sh.id)
			}
			last[u.PartitionKey] = i
		}
	}
}

func TestCloseDeliversEverythingBuffered(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, srv)
	createStream(t, c, "buffered", 2)
	p, err := producer.New(context.Background(), c, "buffered", producer.WithLinger(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sizeOf := func(int) int { return 100 }
	s := putConcurrently(t, p, 3000, 1, func(i int) string { return fmt.Sprint(i) }, sizeOf)
	if m := p.Metrics(); m.PutRecordsCalls != 0 || m.BufferedRecords != 3000 {
		t.Fatalf("before Close: %+v", m)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, readStream(t, c, "buffered"), s, sizeOf)
}

// BenchmarkPut measures user records per second into runnel, with 100-byte
// records, from 4 goroutines; Close's delivery of the last records is
// included. Unlimited: 4 shards, no limits on the server and none in the
// producer, so it measures the producer and server themselves.
// Throttled: one shard with AWS's limits on the server and the producer's
// default rate limits, the KPL's case for aggregation (the first second's
// burst is included; run with -benchtime 30000x or more to dilute it).
func BenchmarkPut(b *testing.B) {
	for _, bc := range []struct {
		name     string
		throttle bool
		shards   int
		opts     []producer.Option
	}{
		{"unlimited-4-shards", false, 4, []producer.Option{producer.WithShardRateLimit(0, 0)}},
		{"throttled-1-shard", true, 1, nil},
	} {
		for _, agg := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/aggregation=%v", bc.name, agg), func(b *testing.B) {
				srv := testserver.Start(b, testserver.Options{Throttle: bc.throttle})
				c := newClient(b, srv)
				createStream(b, c, "bench", bc.shards)
				p, err := producer.New(context.Background(), c, "bench", append(bc.opts, producer.WithAggregation(agg))...)
				if err != nil {
					b.Fatal(err)
				}
				data := bytes.Repeat([]byte("x"), 100)
				keys := make([]string, 1024)
				for i := range keys {
					keys[i] = fmt.Sprintf("key-%d", i)
				}
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for w := range 4 {
					wg.Go(func() {
						for i := w; i < b.N; i += 4 {
							if _, err := p.Put(context.Background(), producer.Record{PartitionKey: keys[i%len(keys)], Data: data}); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				if err := p.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
				if m := p.Metrics(); m.UserRecordsDelivered != uint64(b.N) {
					b.Fatalf("%d of %d delivered", m.UserRecordsDelivered, b.N)
				}
			})
		}
	}
}
