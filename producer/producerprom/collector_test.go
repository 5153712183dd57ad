package producerprom_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/runnel-dev/runnel/producer"
	"github.com/runnel-dev/runnel/producer/producerprom"
)

// acceptAll is a one-shard stream that stores every entry.
type acceptAll struct{}

func (acceptAll) ListShards(context.Context, *kinesis.ListShardsInput, ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	return &kinesis.ListShardsOutput{Shards: []types.Shard{{ShardId: aws.String("shardId-000000000000"),
		HashKeyRange: &types.HashKeyRange{StartingHashKey: aws.String("0"), EndingHashKey: aws.String("340282366920938463463374607431768211455")}}}}, nil
}

func (acceptAll) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i := range out.Records {
		out.Records[i] = types.PutRecordsResultEntry{ShardId: aws.String("shardId-000000000000"), SequenceNumber: aws.String("1")}
	}
	return out, nil
}

func TestCollector(t *testing.T) {
	ctx := context.Background()
	p, err := producer.New(ctx, acceptAll{}, "s")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c"} {
		if _, err := p.Put(ctx, producer.Record{PartitionKey: k, Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	c := producerprom.New(p, "orders")
	const want = `
# HELP runnel_producer_user_records_put_total User records accepted by Put.
# TYPE runnel_producer_user_records_put_total counter
runnel_producer_user_records_put_total{stream="orders"} 3
# HELP runnel_producer_user_records_delivered_total User records stored in the stream.
# TYPE runnel_producer_user_records_delivered_total counter
runnel_producer_user_records_delivered_total{stream="orders"} 3
# HELP runnel_producer_kinesis_records_delivered_total PutRecords entries stored.
# TYPE runnel_producer_kinesis_records_delivered_total counter
runnel_producer_kinesis_records_delivered_total{stream="orders"} 1
# HELP runnel_producer_buffered_records User records between Put and result.
# TYPE runnel_producer_buffered_records gauge
runnel_producer_buffered_records{stream="orders"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"runnel_producer_user_records_put_total", "runnel_producer_user_records_delivered_total",
		"runnel_producer_kinesis_records_delivered_total", "runnel_producer_buffered_records"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c, "runnel_producer_put_latency_seconds"); n != 1 {
		t.Errorf("%d latency histograms, want 1", n)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
