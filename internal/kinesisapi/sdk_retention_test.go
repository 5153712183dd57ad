package kinesisapi_test

import (
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/testserver"
)

func TestSDKRetentionRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("ret", 1)
	increase := func(h int32) error {
		_, err := e.c.IncreaseStreamRetentionPeriod(e.ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String("ret"), RetentionPeriodHours: aws.Int32(h)})
		return err
	}
	decrease := func(h int32) error {
		_, err := e.c.DecreaseStreamRetentionPeriod(e.ctx, &kinesis.DecreaseStreamRetentionPeriodInput{StreamName: aws.String("ret"), RetentionPeriodHours: aws.Int32(h)})
		return err
	}
	retention := func() int32 { return aws.ToInt32(e.describe("ret").RetentionPeriodHours) }

	if err := increase(48); err != nil {
		t.Fatal(err)
	}
	if got := retention(); got != 48 {
		t.Fatalf("retention %d after increase to 48", got)
	}
	if err := increase(48); err != nil {
		t.Fatalf("increase to the current value: %v", err)
	}
	wantErr[*types.InvalidArgumentException](t, increase(24), "InvalidArgumentException",
		"Requested retention period (24 hours) for stream ret can not be shorter than existing retention period (48 hours). Use DecreaseRetentionPeriod API.")
	wantErr[*types.InvalidArgumentException](t, decrease(72), "InvalidArgumentException",
		"Requested retention period (72 hours) for stream ret can not be longer than existing retention period (48 hours). Use IncreaseRetentionPeriod API.")
	wantErr[*types.InvalidArgumentException](t, decrease(23), "InvalidArgumentException",
		"Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.")
	wantErr[*types.InvalidArgumentException](t, increase(8761), "InvalidArgumentException",
		"Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long.")
	if err := increase(8760); err != nil {
		t.Fatal(err)
	}
	if err := decrease(24); err != nil {
		t.Fatal(err)
	}
	if got := retention(); got != 24 {
		t.Fatalf("retention %d after decrease to 24", got)
	}
	_, err := e.c.IncreaseStreamRetentionPeriod(e.ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String("nope"), RetentionPeriodHours: aws.Int32(48)})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", notFound("nope"))
}

func TestSDKRetentionEnforced(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{JanitorInterval: 5 * time.Millisecond})
	e.create("old", 1)
	oldSeq := aws.ToString(e.put("old", "k", []byte("old")).SequenceNumber)
	e.advance(12 * time.Hour)
	e.put("old", "k", []byte("middle"))
	e.advance(12 * time.Hour) // "old" is exactly 24 h old: still kept
	if got := dataOf(e.readAll("old", shardID(0))); !equalStrings(got, []string{"old", "middle"}) {
		t.Fatalf("at 24 h: %q", got)
	}
	e.advance(time.Millisecond)

	// Expired records are never returned, whether or not the janitor has
	// trimmed them yet: check at once and after it has had time to run.
	for _, when := range []string{"at once", "after the janitor"} {
		if when != "at once" {
			time.Sleep(50 * time.Millisecond)
		}
		if got := dataOf(e.readAll("old", shardID(0))); !equalStrings(got, []string{"middle"}) {
			t.Fatalf("%s: TRIM_HORIZON read %q, want [middle]", when, got)
		}
		out, err := e.c.GetShardIterator(e.ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String("old"), ShardId: aws.String(shardID(0)), ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(epoch),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := dataOf(e.drain(aws.ToString(out.ShardIterator))); !equalStrings(got, []string{"middle"}) {
			t.Fatalf("%s: AT_TIMESTAMP before the horizon read %q, want [middle]", when, got)
		}
		it := e.iteratorAt("old", shardID(0), types.ShardIteratorTypeAtSequenceNumber, oldSeq)
		if got := dataOf(e.drain(it)); !equalStrings(got, []string{"middle"}) {
			t.Fatalf("%s: AT_SEQUENCE_NUMBER of an expired record read %q, want [middle]", when, got)
		}
	}

	// Raising the retention does not bring expired records back.
	_, err := e.c.IncreaseStreamRetentionPeriod(e.ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String("old"), RetentionPeriodHours: aws.Int32(168)})
	if err != nil {
		t.Fatal(err)
	}
	if got := dataOf(e.readAll("old", shardID(0))); !equalStrings(got, []string{"middle"}) {
		t.Fatalf("after raising retention: %q, want [middle]", got)
	}
}

func TestSDKRetentionAfterIncrease(t *testing.T) {
	t.Parallel()
	// With the janitor out of the way, only the retention rule itself
	// keeps expired records hidden.
	e := newClockEnv(t, testserver.Options{JanitorInterval: time.Hour})
	e.create("inc", 1)
	e.put("inc", "k", []byte("expired"))
	e.advance(24*time.Hour + time.Millisecond)
	e.put("inc", "k", []byte("live"))
	_, err := e.c.IncreaseStreamRetentionPeriod(e.ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String("inc"), RetentionPeriodHours: aws.Int32(48)})
	if err != nil {
		t.Fatal(err)
	}
	// AWS: an increase "does not make previous, expired data (older than
	// the stream's previous retention period) accessible".
	if got := dataOf(e.readAll("inc", shardID(0))); !equalStrings(got, []string{"live"}) {
		t.Fatalf("after raising retention: %q, want [live]", got)
	}
	// Records younger than the new retention stay for its full length.
	e.advance(47 * time.Hour)
	if got := dataOf(e.readAll("inc", shardID(0))); !equalStrings(got, []string{"live"}) {
		t.Fatalf("47 h later: %q, want [live]", got)
	}
	e.advance(time.Hour + time.Millisecond)
	if got := dataOf(e.readAll("inc", shardID(0))); len(got) != 0 {
		t.Fatalf("48 h later: %q, want nothing", got)
	}
}

func TestSDKExpiredClosedShards(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{JanitorInterval: 5 * time.Millisecond})
	e.create("closed", 1)
	e.put("closed", "k", []byte("parent"))
	mid := pow2(127)
	_, err := e.c.SplitShard(e.ctx, &kinesis.SplitShardInput{
		StreamName: aws.String("closed"), ShardToSplit: aws.String(shardID(0)), NewStartingHashKey: aws.String(mid.String()),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.putTo("closed", big.NewInt(0), "child")
	e.advance(24*time.Hour + time.Millisecond)
	e.putTo("closed", big.NewInt(0), "fresh")

	// The closed parent holds only expired records: it drops out of the
	// listings, its children keep naming it.
	for _, when := range []string{"at once", "after the janitor"} {
		if when != "at once" {
			time.Sleep(50 * time.Millisecond)
		}
		for name, shards := range map[string][]types.Shard{"ListShards": e.shards("closed"), "DescribeStream": e.describe("closed").Shards} {
			if got := shardIDs(shards); got != "1,2" {
				t.Fatalf("%s %s: shards %s, want 1,2", when, name, got)
			}
			if aws.ToString(shards[0].ParentShardId) != shardID(0) {
				t.Fatalf("%s %s: child's parent %v", when, name, shards[0].ParentShardId)
			}
		}
		_, err := e.c.GetShardIterator(e.ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String("closed"), ShardId: aws.String(shardID(0)), ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException",
			"Shard shardId-000000000000 in stream closed under account 123456789012 does not exist")
		if got := dataOf(e.readAll("closed", shardID(1))); !equalStrings(got, []string{"fresh"}) {
			t.Fatalf("%s: child read %q, want [fresh]", when, got)
		}
	}
	if got := fmt.Sprint(e.listShards("closed", &types.ShardFilter{Type: types.ShardFilterTypeAtTrimHorizon}, 0)); got != "[1,2]" {
		t.Fatalf("AT_TRIM_HORIZON: %s", got)
	}
}
