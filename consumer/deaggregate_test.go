package consumer

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/runnel-dev/runnel/aggregation"
	"github.com/runnel-dev/runnel/consumer/leases"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// secondHalf is the first hash key of shard 1 of a two-shard stream.
const secondHalf = "170141183460469231731687303715884105728"

// TestDeaggregation writes KPL aggregates to shard 0 and checks what the
// processor gets: user records with subsequence numbers, an aggregate with
// a user record outside the shard's range dropped as the KCL drops it, and
// a read resumed inside an aggregate from its subsequence number.
func TestDeaggregation(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	client := srv.Client()
	createStream(t, client, "agg", 2)
	seqA := putAggregate(t, client, "agg", [][2]string{{"1", "a0"}, {"2", "a1"}, {"3", "a2"}})
	putAggregate(t, client, "agg", [][2]string{{"1", "b0"}, {secondHalf, "b1"}, {"5", "b2"}})
	putAggregate(t, client, "agg", [][2]string{{"7", "c"}}) // one user record: still an aggregate

	tests := []struct {
		name       string
		checkpoint leases.Checkpoint
		want       []string
	}{
		{"from the start", leases.Checkpoint{SequenceNumber: leases.TrimHorizon}, []string{"a0/0", "a1/1", "a2/2", "c/0"}},
		{"inside an aggregate", leases.Checkpoint{SequenceNumber: seqA, SubSequenceNumber: 1}, []string{"a2/2", "c/0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := leases.NewMemory()
			for _, id := range []string{"shardId-000000000000", "shardId-000000000001"} {
				l := leaseOf(shardOf(t, client, "agg", id), leases.TrimHorizon)
				if id == "shardId-000000000000" {
					l.Checkpoint = tt.checkpoint
				}
				mustCreateLease(t, store, l)
			}
			rec := newRecorder()
			w := startWorker(t, client, "agg", store, rec, "w")
			eventually(t, 10*time.Second, "records", func() bool { return rec.count() >= len(tt.want) })
			time.Sleep(3 * testPoll)
			w.halt(t)
			var got []string
			for _, e := range rec.events {
				if e.kind == "records" {
					got = append(got, e.ids...)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("delivered %v, want %v", got, tt.want)
			}
			for _, p := range rec.problems {
				t.Error(p)
			}
		})
	}
}

// putAggregate writes one KPL aggregate of (explicit hash key, data) user
// records and returns its sequence number. The test processor's record
// IDs are "data/subsequence".
func putAggregate(t *testing.T, client *kinesis.Client, stream string, users [][2]string) string {
	t.Helper()
	var a aggregation.Aggregator
	for _, u := range users {
		if err := a.Add("pk", u[0], []byte(u[1])); err != nil {
			t.Fatal(err)
		}
	}
	data, pk, ehk, _ := a.Drain()
	out, err := client.PutRecord(context.Background(), &kinesis.PutRecordInput{
		StreamName: aws.String(stream), Data: data, PartitionKey: aws.String(pk), ExplicitHashKey: aws.String(ehk),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.SequenceNumber)
}
