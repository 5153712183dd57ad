package fanout

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/runnel-dev/runnel/internal/testserver"
)

// fixture is a server with one stream of one shard and a registered
// consumer, driven by an aws-sdk-go-v2 client.
type fixture struct {
	clock       *testserver.Clock
	srv         *testserver.Server
	admin       *kinesis.Client
	stream      string
	consumerARN string
}

// scenarioHeartbeat keeps idle subscriptions talking, so that the
// scenario also sees heartbeats between records; botocore's driver needs
// an event to notice that it should close a subscription.
const scenarioHeartbeat = 250 * time.Millisecond

// newFixture starts a server with opts (and a stopped clock, unless opts
// has one) and creates the stream and its consumer.
func newFixture(t *testing.T, opts testserver.Options) *fixture {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = testserver.NewClock(time.Now().Truncate(time.Millisecond))
	}
	srv := testserver.Start(t, opts)
	// The admin client's own transport, so that its connections close
	// before the server shuts down: an idle HTTP/2 connection would hold
	// the shutdown for a second.
	transport := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 16}
	t.Cleanup(transport.CloseIdleConnections)
	admin := srv.Client(func(o *kinesis.Options) { o.HTTPClient = &sdkHTTPClient{transport: transport} })
	fx := &fixture{clock: opts.Clock, srv: srv, admin: admin, stream: "fanout"}
	ctx := context.Background()
	if _, err := fx.admin.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: &fx.stream, ShardCount: aws.Int32(1)}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	fx.consumerARN = fx.register(t, "scenario")
	return fx
}

// register registers a consumer on the stream and returns its ARN.
func (fx *fixture) register(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	sum, err := fx.admin.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: &fx.stream})
	if err != nil {
		t.Fatalf("DescribeStreamSummary: %v", err)
	}
	reg, err := fx.admin.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{
		StreamARN: sum.StreamDescriptionSummary.StreamARN, ConsumerName: &name,
	})
	if err != nil {
		t.Fatalf("RegisterStreamConsumer: %v", err)
	}
	return *reg.Consumer.ConsumerARN
}

// put writes n records routed by their partition keys and returns them as
// a client should deliver them.
func (fx *fixture) put(t *testing.T, label string, n int) []record {
	t.Helper()
	return fx.putTo(t, "", "", label, n)
}

// putTo writes n records with the explicit hash key (if not empty) and
// checks that they went to shard (if not empty).
func (fx *fixture) putTo(t *testing.T, shard, hashKey, label string, n int) []record {
	t.Helper()
	recs := make([]record, n)
	for i := range recs {
		in := &kinesis.PutRecordInput{
			StreamName:   &fx.stream,
			PartitionKey: aws.String(fmt.Sprintf("%s-%d-ключ", label, i)),
			Data:         payload(label, i),
		}
		if hashKey != "" {
			in.ExplicitHashKey = &hashKey
		}
		at := fx.clock.Now().UnixMilli()
		out, err := fx.admin.PutRecord(context.Background(), in)
		if err != nil {
			t.Fatalf("PutRecord: %v", err)
		}
		if shard != "" && *out.ShardId != shard {
			t.Fatalf("record with hash key %s went to %s, want %s", hashKey, *out.ShardId, shard)
		}
		recs[i] = record{SequenceNumber: *out.SequenceNumber, PartitionKey: *in.PartitionKey, Data: in.Data, ApproximateArrivalTimestamp: at}
	}
	return recs
}

// split splits the stream's first shard at 2^127.
func (fx *fixture) split(t *testing.T) {
	t.Helper()
	_, err := fx.admin.SplitShard(context.Background(), &kinesis.SplitShardInput{
		StreamName: &fx.stream, ShardToSplit: aws.String(parentShard), NewStartingHashKey: aws.String(splitKey),
	})
	if err != nil {
		t.Fatalf("SplitShard: %v", err)
	}
}

// clientEnv is the environment of a client process: the test's, without
// anything that configures AWS clients, with an empty HOME and AWS config,
// and with extra ("KEY=value") added.
func clientEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	home := t.TempDir()
	config := filepath.Join(home, "aws-config")
	if err := os.WriteFile(config, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "NODE_") || name == "HOME" || name == "PYTHONPATH" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "AWS_CONFIG_FILE="+config, "AWS_SHARED_CREDENTIALS_FILE="+config, "AWS_EC2_METADATA_DISABLED=true")
	return append(env, extra...)
}
