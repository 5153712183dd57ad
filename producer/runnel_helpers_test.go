package producer_test

import (
	"context"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/aggregation"
	"github.com/runnel-dev/runnel/internal/server"
	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// newClient returns a client for srv whose connections are closed before
// srv shuts down. (net/http's Shutdown waits up to 5 s for a connection
// that was dialled but never used, which the SDK's pool leaves behind at
// times.) Its transport hides the request body's WriterTo, as testserver's
// does, for the reason given there.
func newClient(t testing.TB, srv *testserver.Server) *kinesis.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections) // before the server's cleanup, registered earlier
	return srv.Client(func(o *kinesis.Options) {
		o.HTTPClient = &http.Client{Transport: readOnlyBodies{tr}}
	})
}

type readOnlyBodies struct{ next http.RoundTripper }

func (rt readOnlyBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req = req.Clone(req.Context())
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return rt.next.RoundTrip(req)
}

// createStream creates a stream of n shards on a test server, where it is
// ACTIVE at once.
func createStream(t testing.TB, c *kinesis.Client, name string, n int) {
	t.Helper()
	_, err := c.CreateStream(context.Background(), &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(int32(n))})
	if err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
}

// storedShard is one shard's user records, in stream order.
type storedShard struct {
	id, parent, adjacent string
	users                []aggregation.UserRecord
	dropped              int // aggregates the KCL drops for user records outside the shard
}

// readStream reads every shard of the stream, open and closed, from the
// trim horizon to its end (a closed shard) or tip (an open one), splits
// each record as the KCL does for that shard, and returns the shards
// parents first. It retries reads that the server throttles.
func readStream(t testing.TB, c *kinesis.Client, name string) []storedShard {
	t.Helper()
	ctx := context.Background()
	resp, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatalf("ListShards: %v", err)
	}
	var out []storedShard
	for _, sh := range resp.Shards {
		hr := &aggregation.HashRange{Start: mustBig(t, sh.HashKeyRange.StartingHashKey), End: mustBig(t, sh.HashKeyRange.EndingHashKey)}
		s := storedShard{id: aws.ToString(sh.ShardId), parent: aws.ToString(sh.ParentShardId), adjacent: aws.ToString(sh.AdjacentParentShardId)}
		for _, r := range readShard(t, c, name, s.id) {
			rec := aggregation.Record{SequenceNumber: aws.ToString(r.SequenceNumber), PartitionKey: aws.ToString(r.PartitionKey),
				Data: r.Data, ApproximateArrivalTimestamp: aws.ToTime(r.ApproximateArrivalTimestamp)}
			users, err := aggregation.Split(rec, hr)
			switch {
			case errors.Is(err, aggregation.ErrOutOfRange):
				s.dropped++ // as the KCL drops it; the producer sent its user records again
			case err != nil:
				t.Fatalf("shard %s: %v", s.id, err)
			}
			s.users = append(s.users, users...)
		}
		out = append(out, s)
	}
	// Shard ids grow with each resharding, so a parent sorts before its
	// children.
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func readShard(t testing.TB, c *kinesis.Client, name, shard string) []types.Record {
	t.Helper()
	ctx := context.Background()
	var it *string
	retry(t, func() error {
		r, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(name), ShardId: aws.String(shard),
			ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err == nil {
			it = r.ShardIterator
		}
		return err
	})
	var recs []types.Record
	for it != nil {
		var r *kinesis.GetRecordsOutput
		retry(t, func() error {
			var err error
			r, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(10000)})
			return err
		})
		recs = append(recs, r.Records...)
		if len(r.Records) == 0 && aws.ToInt64(r.MillisBehindLatest) == 0 {
			break // the tip of an open shard
		}
		it = r.NextShardIterator
	}
	return recs
}

// retry runs f until it is not throttled.
func retry(t testing.TB, f func() error) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		err := f()
		var pte *types.ProvisionedThroughputExceededException
		var lim *types.LimitExceededException
		if err == nil {
			return
		}
		if !errors.As(err, &pte) && !errors.As(err, &lim) || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mustBig(t testing.TB, s *string) *big.Int {
	n, ok := new(big.Int).SetString(aws.ToString(s), 10)
	if !ok {
		t.Fatalf("bad hash key %q", aws.ToString(s))
	}
	return n
}

// exampleClient starts a runnel server in this process, with no throughput
// limits, and returns a client for it and a function that stops it. It
// stands in for a real endpoint in the package's examples, which have no
// testing.T to give testserver.
func exampleClient() (*kinesis.Client, func()) {
	ready := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg := server.Config{Addr: "127.0.0.1:0", Ready: func(a net.Addr) { ready <- a },
		Stream: stream.Config{AccountID: testserver.AccountID, Region: testserver.Region}}
	go func() { done <- server.Run(ctx, cfg) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		panic(err)
	}
	client := kinesis.New(kinesis.Options{
		Region:       testserver.Region,
		BaseEndpoint: aws.String("http://" + addr.String()),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		HTTPClient:   &http.Client{},
	})
	return client, func() { cancel(); <-done }
}
