package consumer

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/runnel-dev/runnel/consumer/internal/dynalitetest"
	"github.com/runnel-dev/runnel/consumer/leases"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// retrieval is a way of reading shards the scenarios run with.
type retrieval struct {
	name   string
	server testserver.Options
	opts   []Option
}

// retrievals: polling, and enhanced fan-out with subscriptions that end
// every 1.5 s, so that every scenario renews them many times.
var retrievals = []retrieval{
	{name: "polling"},
	{
		name:   "fanout",
		server: testserver.Options{SubscriptionLifetime: 1500 * time.Millisecond, Heartbeat: 200 * time.Millisecond},
		opts:   []Option{WithEnhancedFanOut("app")},
	},
}

func forEachRetrieval(t *testing.T, run func(t *testing.T, rt retrieval)) {
	for _, rt := range retrievals {
		t.Run(rt.name, func(t *testing.T) {
			t.Parallel()
			run(t, rt)
		})
	}
}

// countingClient counts SubscribeToShard calls.
type countingClient struct {
	KinesisClient
	subscribes atomic.Int64
}

func (c *countingClient) SubscribeToShard(ctx context.Context, in *kinesis.SubscribeToShardInput, opts ...func(*kinesis.Options)) (*kinesis.SubscribeToShardOutput, error) {
	c.subscribes.Add(1)
	return c.KinesisClient.SubscribeToShard(ctx, in, opts...)
}

// TestWorkersShareStream runs three workers on six shards: once the
// leases are spread, every record is processed exactly once, in order,
// from its own shard; a graceful shutdown leaves every lease released and
// checkpointed at its shard's last record.
func TestWorkersShareStream(t *testing.T) {
	forEachRetrieval(t, func(t *testing.T, rt retrieval) {
		srv := testserver.Start(t, rt.server)
		client := &countingClient{KinesisClient: srv.Client()}
		createStream(t, srv.Client(), "share", 6)
		store, rec := leases.NewMemory(), newRecorder()
		var ws []*worker
		for i := range 3 {
			ws = append(ws, startWorker(t, client, "share", store, rec, fmt.Sprintf("w%d", i), rt.opts...))
		}
		eventually(t, 20*time.Second, "two leases per worker", func() bool {
			for _, w := range ws {
				if w.c.Metrics().LeasesHeld != 2 {
					return false
				}
			}
			return true
		})
		p := newProducer(srv.Client(), "share")
		const total = 3000
		for range 6 {
			p.put(t, total/6)
			time.Sleep(100 * time.Millisecond)
		}
		eventually(t, 20*time.Second, "every record", func() bool { return rec.count() == total })
		for _, w := range ws {
			w.halt(t)
		}
		rec.checkExactlyOnce(t, p.sent())
		var processed uint64
		for _, w := range ws {
			for _, s := range w.c.Metrics().Shards {
				processed += s.Records
			}
		}
		if processed != total {
			t.Errorf("metrics count %d records, want %d", processed, total)
		}
		checkReleasedAtLast(t, store, p)
		if rt.opts != nil && client.subscribes.Load() <= 6 {
			t.Errorf("%d SubscribeToShard calls for 6 shards: subscriptions were not renewed", client.subscribes.Load())
		}
	})
}

// checkReleasedAtLast checks that every lease is unowned and checkpointed
// at the last record written to its shard.
func checkReleasedAtLast(t *testing.T, store leases.Store, p *producer) {
	t.Helper()
	all, err := store.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range all {
		if l.Owner != "" {
			t.Errorf("lease %s still owned by %s after shutdown", l.Key, l.Owner)
		}
		if want := p.lastSequence(l.Key); l.Checkpoint.SequenceNumber != want {
			t.Errorf("lease %s checkpoint %s, want the shard's last record %s", l.Key, l.Checkpoint.SequenceNumber, want)
		}
	}
}

// TestKilledWorker stops a worker as if its process died, in the middle
// of the run: its leases expire and move to the others, which resume from
// its last checkpoints: no record is lost, and only records it had not
// checkpointed are processed twice.
func TestKilledWorker(t *testing.T) {
	forEachRetrieval(t, func(t *testing.T, rt retrieval) {
		srv := testserver.Start(t, rt.server)
		client := srv.Client()
		createStream(t, client, "kill", 4)
		store, rec := leases.NewMemory(), newRecorder()
		victim := startWorker(t, client, "kill", store, rec, "victim", append(rt.opts, WithShutdownTimeout(0))...)
		eventually(t, 10*time.Second, "victim holds every lease", func() bool { return victim.c.Metrics().LeasesHeld == 4 })
		others := []*worker{
			startWorker(t, client, "kill", store, rec, "w1", rt.opts...),
			startWorker(t, client, "kill", store, rec, "w2", rt.opts...),
		}
		eventually(t, 20*time.Second, "leases spread over the three workers", func() bool {
			sum := victim.c.Metrics().LeasesHeld
			for _, w := range others {
				n := w.c.Metrics().LeasesHeld
				if n == 0 {
					return false
				}
				sum += n
			}
			return sum == 4 && victim.c.Metrics().LeasesHeld > 0
		})
		p := newProducer(client, "kill")
		p.put(t, 400)
		eventually(t, 10*time.Second, "first records", func() bool { return rec.count() >= 400 })
		var held []string
		for _, s := range victim.c.Metrics().Shards {
			if s.Held {
				held = append(held, s.ShardID)
			}
		}
		if len(held) == 0 {
			t.Fatal("the victim holds no lease")
		}
		p.put(t, 200)
		victim.halt(t) // WithShutdownTimeout(0): no checkpoint, no release
		for _, id := range held {
			if owner := leaseOwners(t, store)[id]; owner != "victim" {
				t.Errorf("lease %s owned by %q right after the kill, want the victim's until it expires", id, owner)
			}
		}
		for range 4 {
			p.put(t, 100)
			time.Sleep(100 * time.Millisecond)
		}
		eventually(t, 20*time.Second, "every record", func() bool { return rec.count() == 1000 })
		owners := leaseOwners(t, store)
		for _, id := range held {
			if o := owners[id]; o != "w1" && o != "w2" {
				t.Errorf("lease %s owned by %q, want a live worker", id, o)
			}
		}
		for _, w := range others {
			w.halt(t)
		}
		rec.checkAtLeastOnce(t, p.sent())
	})
}

// TestResharding splits a shard and merges one of its children with
// another shard while records flow: each child starts only after its
// parents (both, for the merge) have been processed to their end.
func TestResharding(t *testing.T) {
	forEachRetrieval(t, func(t *testing.T, rt retrieval) {
		srv := testserver.Start(t, rt.server)
		client := srv.Client()
		createStream(t, client, "reshard", 2)
		store, rec := leases.NewMemory(), newRecorder()
		opts := append(rt.opts, WithMaxRecords(25)) // parents take a while to drain
		ws := []*worker{
			startWorker(t, client, "reshard", store, rec, "w1", opts...),
			startWorker(t, client, "reshard", store, rec, "w2", opts...),
		}
		p := newProducer(client, "reshard")
		p.put(t, 300)
		split(t, client, "reshard", "shardId-000000000000") // children 2 and 3
		p.put(t, 300)
		merge(t, client, "reshard", "shardId-000000000003", "shardId-000000000001") // child 4
		p.put(t, 300)
		eventually(t, 30*time.Second, "every record", func() bool { return rec.count() == 900 })
		for _, w := range ws {
			w.halt(t)
		}
		rec.checkAtLeastOnce(t, p.sent())
		rec.checkParentsFirst(t, map[string][]string{
			"shardId-000000000002": {"shardId-000000000000"},
			"shardId-000000000003": {"shardId-000000000000"},
			"shardId-000000000004": {"shardId-000000000001", "shardId-000000000003"},
		})
	})
}

func split(t *testing.T, client *kinesis.Client, stream, shard string) {
	t.Helper()
	hr := shardRange(t, client, stream, shard)
	mid := new(big.Int).Add(hr[0], hr[1])
	mid.Rsh(mid, 1)
	_, err := client.SplitShard(context.Background(), &kinesis.SplitShardInput{
		StreamName: aws.String(stream), ShardToSplit: aws.String(shard), NewStartingHashKey: aws.String(mid.String()),
	})
	if err != nil {
		t.Fatal(err)
	}
	waitActive(t, client, stream)
}

func merge(t *testing.T, client *kinesis.Client, stream, shard, adjacent string) {
	t.Helper()
	_, err := client.MergeShards(context.Background(), &kinesis.MergeShardsInput{
		StreamName: aws.String(stream), ShardToMerge: aws.String(shard), AdjacentShardToMerge: aws.String(adjacent),
	})
	if err != nil {
		t.Fatal(err)
	}
	waitActive(t, client, stream)
}

func shardRange(t *testing.T, client *kinesis.Client, stream, shard string) [2]*big.Int {
	t.Helper()
	out, err := client.ListShards(context.Background(), &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Shards {
		if aws.ToString(s.ShardId) == shard {
			start, _ := new(big.Int).SetString(aws.ToString(s.HashKeyRange.StartingHashKey), 10)
			end, _ := new(big.Int).SetString(aws.ToString(s.HashKeyRange.EndingHashKey), 10)
			return [2]*big.Int{start, end}
		}
	}
	t.Fatalf("no shard %s", shard)
	return [2]*big.Int{}
}

// checkExactlyOnce checks that every record written was delivered once,
// from the shard it was written to, and that processors saw no problem.
func (r *recorder) checkExactlyOnce(t *testing.T, sent map[string]string) {
	t.Helper()
	r.checkDelivered(t, sent, func(id string, n int) bool { return n == 1 })
}

// checkAtLeastOnce checks that every record was delivered, and more than
// once only if a processor had it uncheckpointed when it stopped.
func (r *recorder) checkAtLeastOnce(t *testing.T, sent map[string]string) {
	t.Helper()
	r.settle()
	r.checkDelivered(t, sent, func(id string, n int) bool { return n == 1 || n > 1 && r.unacked[id] })
}

func (r *recorder) checkDelivered(t *testing.T, sent map[string]string, ok func(string, int) bool) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.problems {
		t.Error(p)
	}
	bad := 0
	for _, id := range sortedKeys(sent) {
		n := r.deliveries[id]
		if n == 0 || !ok(id, n) {
			if bad++; bad <= 10 {
				t.Errorf("record %s delivered %d times", id, n)
			}
		}
		if n > 0 && r.shardOf[id] != sent[id] {
			t.Errorf("record %s written to %s, delivered from %s", id, sent[id], r.shardOf[id])
		}
	}
	if bad > 10 {
		t.Errorf("... %d records in all delivered a wrong number of times", bad)
	}
	if len(r.deliveries) != len(sent) {
		t.Errorf("%d distinct records delivered, %d written", len(r.deliveries), len(sent))
	}
}

// checkParentsFirst checks, in the order the processors were called, that
// no child shard's processor started before each of its parents' had
// ended, and that every child did start.
func (r *recorder) checkParentsFirst(t *testing.T, parents map[string][]string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	ended := map[string]int{}
	started := map[string]int{}
	for i, e := range r.events {
		switch {
		case e.kind == "end":
			if _, ok := ended[e.shard]; !ok {
				ended[e.shard] = i
			}
		case e.kind == "init" || e.kind == "records":
			if _, ok := started[e.shard]; !ok {
				started[e.shard] = i
			}
		}
	}
	for child, ps := range parents {
		s, ok := started[child]
		if !ok {
			t.Errorf("child %s never started", child)
			continue
		}
		for _, p := range ps {
			e, ok := ended[p]
			if !ok || e > s {
				t.Errorf("child %s started (event %d) before parent %s ended (event %d, ended %v)\n%s", child, s, p, e, ok, r.trace())
			}
		}
	}
}

func (r *recorder) trace() string {
	var b strings.Builder
	for i, e := range r.events {
		fmt.Fprintf(&b, "%4d %-8s %-6s %s %d\n", i, e.kind, e.worker, e.shard, len(e.ids))
	}
	return b.String()
}

// TestDynamoDBLeaseTable runs two workers whose lease table is in a
// DynamoDB-compatible server (dynalite), one of which dies mid-run.
func TestDynamoDBLeaseTable(t *testing.T) {
	t.Parallel()
	store := leases.NewDynamoDB(dynalitetest.Start(t), "app")
	if err := store.CreateTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := testserver.Start(t, testserver.Options{})
	client := srv.Client()
	createStream(t, client, "ddb", 4)
	rec := newRecorder()
	victim := startWorker(t, client, "ddb", store, rec, "victim", WithShutdownTimeout(0))
	survivor := startWorker(t, client, "ddb", store, rec, "survivor")
	eventually(t, 20*time.Second, "two leases each", func() bool {
		return victim.c.Metrics().LeasesHeld == 2 && survivor.c.Metrics().LeasesHeld == 2
	})
	p := newProducer(client, "ddb")
	p.put(t, 400)
	eventually(t, 10*time.Second, "the first records", func() bool { return rec.count() == 400 })
	victim.halt(t)
	p.put(t, 400)
	eventually(t, 20*time.Second, "every record", func() bool { return rec.count() == 800 })
	if n := survivor.c.Metrics().LeasesHeld; n != 4 {
		t.Errorf("survivor holds %d leases, want all 4", n)
	}
	survivor.halt(t)
	rec.checkAtLeastOnce(t, p.sent())
	checkReleasedAtLast(t, store, p)
}
