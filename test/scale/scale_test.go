// Package scale checks that one durable runnel serves 10,000 open shards
// (100 streams of 100 shards) with a bounded number of open files.
package scale

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/logstore"
	"github.com/runnel-dev/runnel/internal/testserver"
)

const (
	streams         = 100
	shardsPerStream = 100
	maxOpenFiles    = 256
)

func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

func TestTenThousandShards(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.Options{Engine: func() (storage.Engine, error) {
		return logstore.Open(dir, logstore.Options{MaxOpenFiles: maxOpenFiles})
	}})
	c := srv.Client()
	ctx := context.Background()
	before := openFDs(t)

	start := time.Now()
	for i := 0; i < streams; i++ {
		if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{
			StreamName: aws.String(fmt.Sprintf("s%03d", i)), ShardCount: aws.Int32(shardsPerStream),
		}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("created %d shards in %v", streams*shardsPerStream, time.Since(start))

	// One PutRecords per stream with a record for every shard (routed by
	// explicit hash key to each shard's start), all acknowledged.
	start = time.Now()
	for i := 0; i < streams; i++ {
		name := fmt.Sprintf("s%03d", i)
		shards := listShards(t, c, name)
		entries := make([]types.PutRecordsRequestEntry, len(shards))
		for j, sh := range shards {
			entries[j] = types.PutRecordsRequestEntry{PartitionKey: aws.String("k"),
				ExplicitHashKey: sh.HashKeyRange.StartingHashKey, Data: []byte(name + "/" + *sh.ShardId)}
		}
		out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: &name, Records: entries})
		if err != nil {
			t.Fatal(err)
		}
		if n := aws.ToInt32(out.FailedRecordCount); n != 0 {
			t.Fatalf("%s: %d records failed", name, n)
		}
		for j, r := range out.Records {
			if *r.ShardId != *shards[j].ShardId {
				t.Fatalf("%s: record for %s landed on %s", name, *shards[j].ShardId, *r.ShardId)
			}
		}
	}
	t.Logf("wrote one record to each of %d shards in %v", streams*shardsPerStream, time.Since(start))

	if got := openFDs(t) - before; got > maxOpenFiles+64 {
		t.Errorf("%d more open files after writing to %d shards; the engine caps them at %d", got, streams*shardsPerStream, maxOpenFiles)
	}

	// Read back a sample of shards from each stream.
	for i := 0; i < streams; i += 9 {
		name := fmt.Sprintf("s%03d", i)
		for _, id := range []string{"shardId-000000000000", "shardId-000000000057", "shardId-000000000099"} {
			it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: &name, ShardId: aws.String(id),
				ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Records) != 1 || string(res.Records[0].Data) != name+"/"+id {
				t.Fatalf("%s/%s: read %d records", name, id, len(res.Records))
			}
		}
	}
	limits, err := c.DescribeLimits(ctx, &kinesis.DescribeLimitsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt32(limits.OpenShardCount); got != streams*shardsPerStream {
		t.Errorf("DescribeLimits: %d open shards, want %d", got, streams*shardsPerStream)
	}
}

func listShards(t *testing.T, c *kinesis.Client, name string) []types.Shard {
	t.Helper()
	out, err := c.ListShards(context.Background(), &kinesis.ListShardsInput{StreamName: &name})
	if err != nil {
		t.Fatal(err)
	}
	return out.Shards
}
