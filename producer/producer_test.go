package producer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/runnel-dev/runnel/aggregation"
)

// putAll puts n records with keys key-0.. and returns their handles.
func putAll(t *testing.T, p *Producer, n int, data func(i int) []byte) []*Handle {
	t.Helper()
	hs := make([]*Handle, n)
	for i := range hs {
		h, err := p.Put(context.Background(), Record{PartitionKey: fmt.Sprintf("key-%d", i), Data: data(i)})
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
		hs[i] = h
	}
	return hs
}

func numbered(i int) []byte { return []byte(fmt.Sprintf("record-%06d", i)) }

// checkOnce checks that the fake stored each record of putAll exactly once
// and that every handle reports where.
func checkOnce(t *testing.T, f *fakeKinesis, hs []*Handle) {
	t.Helper()
	got := map[string]aggregation.UserRecord{}
	for _, u := range f.userRecords() {
		if _, dup := got[string(u.Data)]; dup {
			t.Fatalf("%s stored twice", u.Data)
		}
		got[string(u.Data)] = u
	}
	if len(got) != len(hs) {
		t.Fatalf("stored %d user records, want %d", len(got), len(hs))
	}
	for i, h := range hs {
		res := h.Result()
		u, ok := got[string(numbered(i))]
		if res.Err != nil || !ok {
			t.Fatalf("record %d: result %+v, stored %v", i, res, ok)
		}
		if res.SequenceNumber != u.SequenceNumber || res.SubSequenceNumber != u.SubSequenceNumber || res.Aggregated != u.Aggregated {
			t.Fatalf("record %d: result %+v, stored at %s/%d", i, res, u.SequenceNumber, u.SubSequenceNumber)
		}
	}
}

func TestRetriesOnlyFailedEntries(t *testing.T) {
	for _, agg := range []bool{false, true} {
		t.Run(fmt.Sprintf("aggregation=%v", agg), func(t *testing.T) {
			f := newFake(4)
			var mu sync.Mutex
			n := 0
			f.entry = func(_ string, _ types.PutRecordsRequestEntry, attempt int) string {
				mu.Lock()
				defer mu.Unlock()
				n++
				if attempt < 2 && n%3 != 0 {
					return codeThrottled
				}
				return ""
			}
			p := newTestProducer(t, f, WithAggregation(agg), WithAggregationMaxSize(500),
				WithRetryBackoff(time.Millisecond, 5*time.Millisecond), WithLinger(time.Millisecond))
			hs := putAll(t, p, 400, numbered)
			if err := p.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			checkOnce(t, f, hs)
			retried := 0
			for _, h := range hs {
				if h.Result().Attempts > 1 {
					retried++
				}
			}
			m := p.Metrics()
			if retried == 0 || m.Retries == 0 || m.Throttles != m.Retries {
				t.Errorf("%d records retried; metrics %+v", retried, m)
			}
			if m.UserRecordsDelivered != 400 || m.BufferedRecords != 0 || m.BufferedBytes != 0 {
				t.Errorf("metrics after Flush: %+v", m)
			}
		})
	}
}

func TestAggregatesGroupByShard(t *testing.T) {
	f := newFake(4)
	p := newTestProducer(t, f, WithLinger(time.Hour))
	hs := putAll(t, p, 2000, numbered)
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, f, hs)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.stored) > 8 {
		t.Errorf("2000 small records took %d Kinesis records over 4 shards", len(f.stored))
	}
	for _, s := range f.stored {
		i := lookup(f.shards, mustKey(t, s))
		hr := &aggregation.HashRange{Start: new(big.Int).SetBytes(f.shards[i].start[:]), End: new(big.Int).SetBytes(f.shards[i].end[:])}
		all := aggregation.Deaggregate(aggregation.Record{Data: s.entry.Data}, nil)
		if in := aggregation.Deaggregate(aggregation.Record{Data: s.entry.Data}, hr); len(in) != len(all) || s.shard != f.shards[i].id {
			t.Fatalf("an aggregate on %s holds user records of other shards", s.shard)
		}
	}
}

func mustKey(t *testing.T, s storedRecord) hashKey {
	k, err := aggregation.HashKey(aws.ToString(s.entry.PartitionKey), aws.ToString(s.entry.ExplicitHashKey))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestLoneRecords(t *testing.T) {
	var a aggregation.Aggregator
	a.Add("inner", "", []byte("x"))
	looksAggregated, _, _, _ := a.Drain()
	tests := []struct {
		name           string
		data           []byte
		wantAggregated bool
	}{
		{"plain data goes as it is", []byte("plain"), false},
		{"data that reads as an aggregate is wrapped", looksAggregated, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(1)
			p := newTestProducer(t, f)
			res, err := p.PutSync(context.Background(), Record{PartitionKey: "k", Data: tt.data})
			if err != nil {
				t.Fatal(err)
			}
			if res.Aggregated != tt.wantAggregated || res.SubSequenceNumber != 0 || res.Attempts != 1 || res.ShardID != "shardId-000000000000" {
				t.Errorf("result %+v", res)
			}
			got := f.userRecords()
			if len(got) != 1 || !bytes.Equal(got[0].Data, tt.data) || got[0].Aggregated != tt.wantAggregated {
				t.Errorf("stored %+v", got)
			}
		})
	}
}

func TestExplicitHashKeyRoutes(t *testing.T) {
	f := newFake(2)
	p := newTestProducer(t, f, WithLinger(time.Hour))
	upper := new(big.Int).Lsh(big.NewInt(1), 127).String() // second shard's start
	var hs []*Handle
	for i := range 10 {
		h, err := p.Put(context.Background(), Record{PartitionKey: "same", ExplicitHashKey: []string{"0", upper}[i%2], Data: numbered(i)})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	p.Flush(context.Background())
	for i, h := range hs {
		if want := fmt.Sprintf("shardId-%012d", i%2); h.Result().ShardID != want {
			t.Errorf("record %d on %s, want %s", i, h.Result().ShardID, want)
		}
	}
}

func TestRefusedRecordFailsAtOnce(t *testing.T) {
	f := newFake(1)
	f.entry = func(string, types.PutRecordsRequestEntry, int) string { return "KMSDisabledException" }
	p := newTestProducer(t, f)
	res, err := p.PutSync(context.Background(), Record{PartitionKey: "k", Data: []byte("x")})
	var ee *EntryError
	if !errors.As(err, &ee) || ee.Code != "KMSDisabledException" || res.Attempts != 1 {
		t.Fatalf("PutSync = %+v, %v; want a KMSDisabledException after 1 attempt", res, err)
	}
}

func TestCallErrors(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantRetry bool
	}{
		{"stream gone", &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "no stream"}, false},
		{"invalid", &smithy.GenericAPIError{Code: "ValidationException", Message: "bad"}, false},
		{"server error", &smithy.GenericAPIError{Code: "InternalFailure", Message: "oops"}, true},
		{"transport", errors.New("connection reset"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(1)
			var mu sync.Mutex
			first := true
			f.call = func(context.Context, *kinesis.PutRecordsInput) error {
				mu.Lock()
				defer mu.Unlock()
				if first {
					first = false
					return tt.err
				}
				return nil
			}
			p := newTestProducer(t, f, WithRetryBackoff(time.Millisecond, time.Millisecond))
			res, err := p.PutSync(context.Background(), Record{PartitionKey: "k", Data: []byte("x")})
			if tt.wantRetry {
				if err != nil || res.Attempts != 2 {
					t.Fatalf("PutSync = %+v, %v; want delivered on attempt 2", res, err)
				}
				return
			}
			if !errors.Is(err, tt.err) || res.Attempts != 1 {
				t.Fatalf("PutSync = %+v, %v; want %v after 1 attempt", res, err, tt.err)
			}
		})
	}
}

func TestTTLExpires(t *testing.T) {
	f := newFake(1)
	f.entry = func(string, types.PutRecordsRequestEntry, int) string { return codeThrottled }
	p := newTestProducer(t, f, WithRecordTTL(150*time.Millisecond), WithRetryBackoff(10*time.Millisecond, 20*time.Millisecond))
	start := time.Now()
	res, err := p.PutSync(context.Background(), Record{PartitionKey: "k", Data: []byte("x")})
	var ee *EntryError
	if !errors.Is(err, ErrRecordExpired) || !errors.As(err, &ee) || ee.Code != codeThrottled {
		t.Fatalf("PutSync error = %v; want ErrRecordExpired wrapping the throttling", err)
	}
	if took := time.Since(start); took < 150*time.Millisecond || took > 2*time.Second || res.Attempts < 2 {
		t.Errorf("expired after %v and %d attempts", took, res.Attempts)
	}
	if m := p.Metrics(); m.UserRecordsFailed != 1 || m.BufferedRecords != 0 {
		t.Errorf("metrics %+v", m)
	}
}

func TestPutValidates(t *testing.T) {
	f := newFake(1)
	p := newTestProducer(t, f, WithMaxRecordSize(100), WithCollectionMaxSize(100))
	tests := []struct {
		r    Record
		want error
	}{
		{Record{PartitionKey: "", Data: []byte("x")}, aggregation.ErrPartitionKey},
		{Record{PartitionKey: strings.Repeat("k", 257)}, aggregation.ErrPartitionKey},
		{Record{PartitionKey: "k", ExplicitHashKey: "x"}, aggregation.ErrExplicitHashKey},
		{Record{PartitionKey: "k", Data: make([]byte, 100)}, ErrRecordTooLarge},
	}
	for _, tt := range tests {
		if _, err := p.Put(context.Background(), tt.r); !errors.Is(err, tt.want) {
			t.Errorf("Put(%.20q, %q, %d bytes) = %v, want %v", tt.r.PartitionKey, tt.r.ExplicitHashKey, len(tt.r.Data), err, tt.want)
		}
	}
	if _, err := p.Put(context.Background(), Record{PartitionKey: "k", Data: make([]byte, 99)}); err != nil {
		t.Errorf("Put of a record at the limit: %v", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Option{WithCollectionMaxCount(501), WithLinger(-1), WithMaxBuffered(0, 1), WithRetryBackoff(time.Second, time.Millisecond), WithLogger(nil)} {
		if _, err := New(context.Background(), newFake(1), "s", o); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("New = %v, want ErrInvalidOption", err)
		}
	}
}

// blockingFake holds every PutRecords call until release is closed or the
// call's context ends.
func blockingFake(n int) (*fakeKinesis, chan struct{}) {
	f := newFake(n)
	release := make(chan struct{})
	f.call = func(ctx context.Context, _ *kinesis.PutRecordsInput) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return f, release
}

func TestBufferBounds(t *testing.T) {
	t.Run("blocks", func(t *testing.T) {
		f, release := blockingFake(1)
		p := newTestProducer(t, f, WithMaxBuffered(1<<20, 3), WithLinger(0))
		hs := putAll(t, p, 3, numbered)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := p.Put(ctx, Record{PartitionKey: "k", Data: []byte("x")}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Put into a full buffer = %v, want the context's error", err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := p.PutSync(context.Background(), Record{PartitionKey: "k", Data: []byte("x")})
			done <- err
		}()
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("Put once there was room: %v", err)
		}
		for _, h := range hs {
			if err := h.Result().Err; err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("fails fast", func(t *testing.T) {
		f, release := blockingFake(1)
		defer close(release)
		p := newTestProducer(t, f, WithMaxBuffered(30, 100), WithFailWhenFull())
		putAll(t, p, 1, func(int) []byte { return make([]byte, 20) })
		if _, err := p.Put(context.Background(), Record{PartitionKey: "k", Data: make([]byte, 20)}); !errors.Is(err, ErrBufferFull) {
			t.Fatalf("Put = %v, want ErrBufferFull", err)
		}
	})
}

func TestCloseDeliversBuffered(t *testing.T) {
	f := newFake(3)
	p, err := New(context.Background(), f, "stream", WithLinger(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	hs := putAll(t, p, 1000, numbered)
	if calls, _ := f.count(); calls != 0 {
		t.Fatalf("%d calls before Close with an hour's linger", calls)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, f, hs)
	if _, err := p.Put(context.Background(), Record{PartitionKey: "k"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close = %v, want ErrClosed", err)
	}
	if err := p.Close(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
}

func TestCloseGivesUp(t *testing.T) {
	f, release := blockingFake(2)
	defer close(release)
	p, err := New(context.Background(), f, "stream", WithLinger(0), WithShardRateLimit(0, 1))
	if err != nil {
		t.Fatal(err)
	}
	hs := putAll(t, p, 50, numbered)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want the context's error", err)
	}
	for i, h := range hs {
		select {
		case <-h.Done():
		default:
			t.Fatalf("record %d has no result after Close returned", i)
		}
		if err := h.Result().Err; !errors.Is(err, ErrClosed) {
			t.Fatalf("record %d: %v, want ErrClosed", i, err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, n := range f.inFlight {
		if n != 0 {
			t.Errorf("%d records of %s still in a call after Close", n, id)
		}
	}
}

func TestFlushEndsLinger(t *testing.T) {
	f := newFake(1)
	p := newTestProducer(t, f, WithLinger(time.Hour))
	h, _ := p.Put(context.Background(), Record{PartitionKey: "k", Data: []byte("x")})
	time.Sleep(20 * time.Millisecond)
	if _, stored := f.count(); stored != 0 {
		t.Fatal("a record went before its linger ended")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if res := h.Result(); res.Err != nil {
		t.Fatal(res.Err)
	}
}

func TestLingerSendsAlone(t *testing.T) {
	f := newFake(1)
	p := newTestProducer(t, f, WithLinger(20*time.Millisecond))
	start := time.Now()
	h, _ := p.Put(context.Background(), Record{PartitionKey: "k", Data: []byte("x")})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := h.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 20*time.Millisecond {
		t.Errorf("delivered after %v, before the linger ended", took)
	}
}

// TestOrdering puts records of a few keys while the fake throttles entries
// at random, and checks that each key's records are stored in Put order
// and that no shard ever had two Kinesis records in flight.
func TestOrdering(t *testing.T) {
	for _, agg := range []bool{false, true} {
		t.Run(fmt.Sprintf("aggregation=%v", agg), func(t *testing.T) {
			f := newFake(2)
			var mu sync.Mutex
			n := 0
			f.entry = func(string, types.PutRecordsRequestEntry, int) string {
				mu.Lock()
				defer mu.Unlock()
				n++
				if n*7919%5 < 2 { // 2 in 5, spread out
					return codeThrottled
				}
				return ""
			}
			p := newTestProducer(t, f, WithOrdering(true), WithAggregation(agg), WithAggregationMaxSize(300),
				WithLinger(time.Millisecond), WithRetryBackoff(time.Millisecond, 2*time.Millisecond))
			const keys, per = 5, 200
			for i := range per {
				for k := range keys {
					if _, err := p.Put(context.Background(), Record{PartitionKey: fmt.Sprintf("key-%d", k), Data: []byte(fmt.Sprintf("%d/%06d", k, i))}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := p.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			next := map[string]int{}
			for _, u := range f.userRecords() {
				var k, i int
				fmt.Sscanf(string(u.Data), "%d/%d", &k, &i)
				if want := next[u.PartitionKey]; i != want {
					t.Fatalf("%s: record %d stored where %d was due", u.PartitionKey, i, want)
				}
				next[u.PartitionKey]++
			}
			for k := range keys {
				if got := next[fmt.Sprintf("key-%d", k)]; got != per {
					t.Fatalf("key-%d: %d records stored, want %d", k, got, per)
				}
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			for id, m := range f.maxIn {
				if m > 1 {
					t.Errorf("%s had %d records in flight at once", id, m)
				}
			}
			if p.Metrics().Retries == 0 {
				t.Error("nothing was retried")
			}
		})
	}
}

func TestUnexpectedShardRefreshesMap(t *testing.T) {
	f := newFake(1)
	p := newTestProducer(t, f, WithLinger(time.Hour), WithAggregationMaxSize(1000))
	first := putAll(t, p, 200, numbered)
	// The shard splits: the fake now routes to two children, as Kinesis
	// does once a parent closes.
	f.setShards(evenShards(2, 1))
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The loop refreshes once the calls that saw the children have ended,
	// which may be just after Flush returns.
	waitFor(t, "a shard map refresh", func() bool { return p.Metrics().ShardMapRefreshes == 1 })
	// Aggregates built for the parent hold user records of both children;
	// the KCL drops those whole, so the producer must have sent their user
	// records again, and each must be stored once as the KCL reads it.
	checkOnce(t, f, first)
	if m := p.Metrics(); m.Retries == 0 {
		t.Errorf("no aggregate was sent again: %+v", m)
	}
	// Now grouped by the children: every aggregate lands where predicted.
	f.mu.Lock()
	f.stored = nil
	f.mu.Unlock()
	hs := putAll(t, p, 200, numbered)
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, f, hs)
	if m := p.Metrics(); m.ShardMapRefreshes != 1 {
		t.Errorf("%d shard map refreshes after the second batch, want still 1", m.ShardMapRefreshes)
	}
}

func TestRateLimitPacesShard(t *testing.T) {
	f := newFake(1)
	p := newTestProducer(t, f, WithAggregation(false), WithShardRateLimit(0, 200), WithLinger(0))
	start := time.Now()
	putAll(t, p, 300, numbered) // 200 at once, then 100 at 200/s
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 400*time.Millisecond || took > 3*time.Second {
		t.Errorf("300 records at 200/s with a burst of 200 took %v, want about 0.5s", took)
	}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 5s", what)
		}
	}
}

// TestRateLimitLargeRecords checks that records larger than the slice a
// rate-limited shard waits for are still sent when the bucket allows them.
func TestRateLimitLargeRecords(t *testing.T) {
	f := newFake(1)
	p := newTestProducer(t, f, WithAggregation(false), WithShardRateLimit(200_000, 0), WithLinger(0))
	start := time.Now()
	hs := putAll(t, p, 5, func(i int) []byte { return append(numbered(i), make([]byte, 60_000)...) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// 300 kB at 200 kB/s with a burst of 200 kB: about half a second.
	if took := time.Since(start); took < 400*time.Millisecond || took > 3*time.Second {
		t.Errorf("took %v, want about 0.5s", took)
	}
	for i, h := range hs {
		if err := h.Result().Err; err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
}
