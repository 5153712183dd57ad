package kinesisapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/testserver"
)

func TestSDKCreateProvisioned(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	_, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String("orders"),
		ShardCount: aws.Int32(3),
		Tags:       map[string]string{"team": "payments", "env": "test"},
	})
	if err != nil {
		t.Fatal(err)
	}

	d := e.describe("orders")
	if aws.ToString(d.StreamName) != "orders" || aws.ToString(d.StreamARN) != streamARN("orders") {
		t.Fatalf("name %q ARN %q", aws.ToString(d.StreamName), aws.ToString(d.StreamARN))
	}
	if d.StreamStatus != types.StreamStatusActive || d.StreamModeDetails.StreamMode != types.StreamModeProvisioned {
		t.Fatalf("status %s mode %s", d.StreamStatus, d.StreamModeDetails.StreamMode)
	}
	if aws.ToInt32(d.RetentionPeriodHours) != 24 || d.EncryptionType != types.EncryptionTypeNone || d.KeyId != nil {
		t.Fatalf("retention %d encryption %s key %v", aws.ToInt32(d.RetentionPeriodHours), d.EncryptionType, d.KeyId)
	}
	if !d.StreamCreationTimestamp.Equal(epoch) {
		t.Fatalf("StreamCreationTimestamp %v, want %v", d.StreamCreationTimestamp, epoch)
	}
	if len(d.EnhancedMonitoring) != 1 || d.EnhancedMonitoring[0].ShardLevelMetrics == nil || len(d.EnhancedMonitoring[0].ShardLevelMetrics) != 0 {
		t.Fatalf("EnhancedMonitoring %+v, want one entry with an empty list", d.EnhancedMonitoring)
	}
	if aws.ToBool(d.HasMoreShards) || len(d.Shards) != 3 {
		t.Fatalf("HasMoreShards %v with %d shards", aws.ToBool(d.HasMoreShards), len(d.Shards))
	}
	for i, sh := range d.Shards {
		lo, hi := evenRange(i, 3)
		checkRange(t, sh, shardID(i), lo, hi)
		if sh.ParentShardId != nil || sh.AdjacentParentShardId != nil || sh.SequenceNumberRange.EndingSequenceNumber != nil {
			t.Fatalf("new shard %s has lineage or an end: %+v", shardID(i), sh)
		}
		seq(t, aws.ToString(sh.SequenceNumberRange.StartingSequenceNumber), i)
	}

	s := e.summary("orders")
	if aws.ToInt32(s.OpenShardCount) != 3 || aws.ToInt32(s.ConsumerCount) != 0 || aws.ToInt32(s.MaxRecordSizeInKiB) != 1024 {
		t.Fatalf("summary counts: open %d consumers %d max record %d", aws.ToInt32(s.OpenShardCount), aws.ToInt32(s.ConsumerCount), aws.ToInt32(s.MaxRecordSizeInKiB))
	}
	if s.StreamStatus != types.StreamStatusActive || s.StreamModeDetails.StreamMode != types.StreamModeProvisioned || !s.StreamCreationTimestamp.Equal(epoch) {
		t.Fatalf("summary %+v", s)
	}
	// StreamId must never be returned: a value in its shape makes SDKs
	// bypass the custom endpoint. WarmThroughput is for ON_DEMAND only.
	if s.StreamId != nil || s.WarmThroughput != nil {
		t.Fatalf("summary StreamId %v WarmThroughput %+v, want both absent", s.StreamId, s.WarmThroughput)
	}

	tags, err := e.c.ListTagsForStream(e.ctx, &kinesis.ListTagsForStreamInput{StreamName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagList(tags.Tags); got != "env=test,team=payments" || aws.ToBool(tags.HasMoreTags) {
		t.Fatalf("tags %s (more %v)", got, aws.ToBool(tags.HasMoreTags))
	}
}

func TestSDKCreateOnDemand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	_, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{
		StreamName:        aws.String("od"),
		StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := e.describe("od")
	if d.StreamModeDetails.StreamMode != types.StreamModeOnDemand || len(d.Shards) != 4 {
		t.Fatalf("mode %s with %d shards, want ON_DEMAND with 4", d.StreamModeDetails.StreamMode, len(d.Shards))
	}
	for i, sh := range d.Shards {
		lo, hi := evenRange(i, 4)
		checkRange(t, sh, shardID(i), lo, hi)
	}
	s := e.summary("od")
	if s.WarmThroughput == nil || aws.ToInt32(s.WarmThroughput.CurrentMiBps) != 0 || aws.ToInt32(s.WarmThroughput.TargetMiBps) != 0 {
		t.Fatalf("on-demand WarmThroughput %+v, want 0/0", s.WarmThroughput)
	}
	lim, err := e.c.DescribeLimits(e.ctx, &kinesis.DescribeLimitsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(lim.OnDemandStreamCount) != 1 || aws.ToInt32(lim.OnDemandStreamCountLimit) != 50 || aws.ToInt32(lim.OpenShardCount) != 4 {
		t.Fatalf("limits %+v", lim)
	}

	_, err = e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{
		StreamName:        aws.String("od2"),
		ShardCount:        aws.Int32(2),
		StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand},
	})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException", "ShardCount is not supported for streams in ON_DEMAND mode.")

	_, err = e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{
		StreamName:        aws.String("prov"),
		StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeProvisioned},
	})
	wantErr[*types.ValidationException](t, err, "ValidationException",
		"1 validation error detected: Value null at 'shardCount' failed to satisfy constraint: Member must not be null")
}

func TestSDKCreateOnDemandLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{Stream: stream.Config{OnDemandStreamLimit: 1}})
	onDemand := &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}
	if _, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{StreamName: aws.String("a"), StreamModeDetails: onDemand}); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{StreamName: aws.String("b"), StreamModeDetails: onDemand})
	wantErr[*types.LimitExceededException](t, err, "LimitExceededException",
		"This request would exceed the on-demand stream count limit for the account 123456789012 in us-east-1. Limit: 1.")
}

func TestSDKCreateMaxRecordSize(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	_, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String("big"), ShardCount: aws.Int32(1), MaxRecordSizeInKiB: aws.Int32(4096),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt32(e.summary("big").MaxRecordSizeInKiB); got != 4096 {
		t.Fatalf("MaxRecordSizeInKiB %d, want 4096", got)
	}
	for _, kib := range []int32{1023, 10241} {
		_, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{
			StreamName: aws.String("bad"), ShardCount: aws.Int32(1), MaxRecordSizeInKiB: aws.Int32(kib),
		})
		want := "1 validation error detected: Value '1023' at 'maxRecordSizeInKiB' failed to satisfy constraint: Member must have value greater than or equal to 1024"
		if kib > 10240 {
			want = "1 validation error detected: Value '10241' at 'maxRecordSizeInKiB' failed to satisfy constraint: Member must have value less than or equal to 10240"
		}
		wantErr[*types.ValidationException](t, err, "ValidationException", want)
	}
}

func TestSDKCreateErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("dup", 1)
	_, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{StreamName: aws.String("dup"), ShardCount: aws.Int32(2)})
	wantErr[*types.ResourceInUseException](t, err, "ResourceInUseException", "Stream dup under account 123456789012 already exists.")
	// The failed create changed nothing.
	if n := len(e.describe("dup").Shards); n != 1 {
		t.Fatalf("dup has %d shards after a failed re-create, want 1", n)
	}

	_, err = e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{StreamName: aws.String("bad name"), ShardCount: aws.Int32(1)})
	wantErr[*types.ValidationException](t, err, "ValidationException",
		"1 validation error detected: Value 'bad name' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")

	_, err = e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String("tagged"), ShardCount: aws.Int32(1), Tags: map[string]string{"k": "bad*value"},
	})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException",
		"Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :.")

	for _, op := range []struct {
		name string
		call func() error
	}{
		{"DescribeStream", func() error {
			_, err := e.c.DescribeStream(e.ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("nope")})
			return err
		}},
		{"DescribeStreamSummary", func() error {
			_, err := e.c.DescribeStreamSummary(e.ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("nope")})
			return err
		}},
		{"DeleteStream", func() error {
			_, err := e.c.DeleteStream(e.ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("nope")})
			return err
		}},
	} {
		wantErr[*types.ResourceNotFoundException](t, op.call(), "ResourceNotFoundException", notFound("nope"))
	}
}

func TestSDKShardLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{Stream: stream.Config{ShardLimit: 5}})
	e.create("a", 3)
	_, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{StreamName: aws.String("b"), ShardCount: aws.Int32(3)})
	wantErr[*types.LimitExceededException](t, err, "LimitExceededException", shardLimitMessage(3, 5, 3))

	lim, err := e.c.DescribeLimits(e.ctx, &kinesis.DescribeLimitsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(lim.ShardLimit) != 5 || aws.ToInt32(lim.OpenShardCount) != 3 ||
		aws.ToInt32(lim.OnDemandStreamCount) != 0 || aws.ToInt32(lim.OnDemandStreamCountLimit) != 50 {
		t.Fatalf("DescribeLimits %+v", lim)
	}

	e.create("b", 2) // exactly at the limit
	lo, hi := evenRange(0, 3)
	mid := lo.Add(lo, hi).Rsh(lo, 1)
	_, err = e.c.SplitShard(e.ctx, &kinesis.SplitShardInput{
		StreamName: aws.String("a"), ShardToSplit: aws.String(shardID(0)), NewStartingHashKey: aws.String(mid.String()),
	})
	wantErr[*types.LimitExceededException](t, err, "LimitExceededException", shardLimitMessage(5, 5, 1))

	// A deleted stream's shards stop counting.
	if _, err := e.c.DeleteStream(e.ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	lim, err = e.c.DescribeLimits(e.ctx, &kinesis.DescribeLimitsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(lim.OpenShardCount) != 3 {
		t.Fatalf("OpenShardCount %d after deleting b, want 3", aws.ToInt32(lim.OpenShardCount))
	}
	e.create("c", 2)
}

func shardLimitMessage(current, limit, extra int) string {
	return fmt.Sprintf("This request would exceed the shard limit for the account %s in %s. "+
		"Current shard count for the account: %d. Limit: %d. "+
		"Number of additional shards that would have resulted from this request: %d. "+
		"Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) "+
		"for current limits and how to request higher limits.", account, region, current, limit, extra)
}

func TestSDKDescribeStreamPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("paged", 5)
	out, err := e.c.DescribeStream(e.ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("paged"), Limit: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	d := out.StreamDescription
	if got := shardIDs(d.Shards); got != "0,1" || !aws.ToBool(d.HasMoreShards) {
		t.Fatalf("page 1: shards %s more %v", got, aws.ToBool(d.HasMoreShards))
	}
	out, err = e.c.DescribeStream(e.ctx, &kinesis.DescribeStreamInput{
		StreamName: aws.String("paged"), Limit: aws.Int32(2), ExclusiveStartShardId: aws.String(shardID(1)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := shardIDs(out.StreamDescription.Shards); got != "2,3" || !aws.ToBool(out.StreamDescription.HasMoreShards) {
		t.Fatalf("page 2: shards %s more %v", got, aws.ToBool(out.StreamDescription.HasMoreShards))
	}
	out, err = e.c.DescribeStream(e.ctx, &kinesis.DescribeStreamInput{
		StreamName: aws.String("paged"), ExclusiveStartShardId: aws.String(shardID(3)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := shardIDs(out.StreamDescription.Shards); got != "4" || aws.ToBool(out.StreamDescription.HasMoreShards) {
		t.Fatalf("page 3: shards %s more %v", got, aws.ToBool(out.StreamDescription.HasMoreShards))
	}
}

// shardIDs returns the shards' indexes, comma-separated, checking that
// each id has the canonical form.
func shardIDs(shards []types.Shard) string {
	s := ""
	for i, sh := range shards {
		var n int
		id := aws.ToString(sh.ShardId)
		if _, err := fmt.Sscanf(id, "shardId-%012d", &n); err != nil || shardID(n) != id {
			return "bad id " + id
		}
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(n)
	}
	return s
}

func TestSDKListStreams(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	for _, name := range []string{"echo", "alpha", "delta", "charlie", "bravo"} {
		e.create(name, 1)
	}
	_, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String("foxtrot"), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand},
	})
	if err != nil {
		t.Fatal(err)
	}

	all, err := e.c.ListStreams(e.ctx, &kinesis.ListStreamsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(all.StreamNames); got != "[alpha bravo charlie delta echo foxtrot]" || aws.ToBool(all.HasMoreStreams) || all.NextToken != nil {
		t.Fatalf("ListStreams %s more %v token %v", got, aws.ToBool(all.HasMoreStreams), all.NextToken)
	}
	if len(all.StreamSummaries) != 6 {
		t.Fatalf("%d summaries, want 6", len(all.StreamSummaries))
	}
	for i, s := range all.StreamSummaries {
		name := all.StreamNames[i]
		mode := types.StreamModeProvisioned
		if name == "foxtrot" {
			mode = types.StreamModeOnDemand
		}
		if aws.ToString(s.StreamName) != name || aws.ToString(s.StreamARN) != streamARN(name) ||
			s.StreamStatus != types.StreamStatusActive || s.StreamModeDetails.StreamMode != mode || !s.StreamCreationTimestamp.Equal(epoch) {
			t.Fatalf("summary %d: %+v", i, s)
		}
	}

	// Limit and NextToken.
	var pages []string
	in := &kinesis.ListStreamsInput{Limit: aws.Int32(4)}
	for {
		out, err := e.c.ListStreams(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, fmt.Sprint(out.StreamNames, aws.ToBool(out.HasMoreStreams)))
		if out.NextToken == nil {
			break
		}
		in = &kinesis.ListStreamsInput{Limit: aws.Int32(4), NextToken: out.NextToken}
	}
	if got := fmt.Sprint(pages); got != "[[alpha bravo charlie delta] true [echo foxtrot] false]" {
		t.Fatalf("pages %s", got)
	}

	// ExclusiveStartStreamName, as older clients page.
	out, err := e.c.ListStreams(e.ctx, &kinesis.ListStreamsInput{ExclusiveStartStreamName: aws.String("bravo"), Limit: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(out.StreamNames); got != "[charlie delta]" || !aws.ToBool(out.HasMoreStreams) {
		t.Fatalf("after bravo: %s more %v", got, aws.ToBool(out.HasMoreStreams))
	}
	// A start name that is not a stream still orders by name.
	out, err = e.c.ListStreams(e.ctx, &kinesis.ListStreamsInput{ExclusiveStartStreamName: aws.String("dz")})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(out.StreamNames); got != "[echo foxtrot]" {
		t.Fatalf("after dz: %s", got)
	}

	first, err := e.c.ListStreams(e.ctx, &kinesis.ListStreamsInput{Limit: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.ListStreams(e.ctx, &kinesis.ListStreamsInput{NextToken: first.NextToken, ExclusiveStartStreamName: aws.String("a")})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException", "NextToken and ExclusiveStartStreamName cannot be provided together.")

	_, err = e.c.ListStreams(e.ctx, &kinesis.ListStreamsInput{NextToken: aws.String("garbage")})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException", "Invalid NextToken.")

	e.advance(300*time.Second + time.Millisecond)
	_, err = e.c.ListStreams(e.ctx, &kinesis.ListStreamsInput{NextToken: first.NextToken})
	wantErr[*types.ExpiredNextTokenException](t, err, "ExpiredNextTokenException", expiredTokenMessage(epoch))
}

// expiredTokenMessage is runnel's ExpiredNextTokenException message for a
// token issued at issued (AWS's exact text is not documented).
func expiredTokenMessage(issued time.Time) string {
	return "The NextToken has expired. It was issued at " + issued.UTC().Format("Mon Jan 02 15:04:05 UTC 2006") +
		"; NextTokens expire after 300000 milliseconds."
}

func TestSDKStreamLifecycle(t *testing.T) {
	t.Parallel()
	const delay = 10 * time.Second
	e := newClockEnv(t, testserver.Options{Stream: stream.Config{CreateDelay: delay, DeleteDelay: delay, UpdateDelay: delay}})
	e.create("life", 2)
	if got := e.describe("life").StreamStatus; got != types.StreamStatusCreating {
		t.Fatalf("status %s right after create, want CREATING", got)
	}

	// Writes to a CREATING stream fail as AWS fails them: not found.
	_, err := e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{StreamName: aws.String("life"), PartitionKey: aws.String("k"), Data: []byte("x")})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", notFound("life"))
	_, err = e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("life"), Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String("k"), Data: []byte("x")}}})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", notFound("life"))
	// Changes are refused.
	_, err = e.c.IncreaseStreamRetentionPeriod(e.ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String("life"), RetentionPeriodHours: aws.Int32(48)})
	wantErr[*types.ResourceInUseException](t, err, "ResourceInUseException", "Stream life under account 123456789012 not ACTIVE, instead in state CREATING")
	_, err = e.c.DeleteStream(e.ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("life")})
	wantErr[*types.ResourceInUseException](t, err, "ResourceInUseException", "Attempt to change a resource which is still in use: Stream is being created: life")

	e.advance(delay - time.Millisecond)
	if got := e.describe("life").StreamStatus; got != types.StreamStatusCreating {
		t.Fatalf("status %s 1 ms before the delay, want CREATING", got)
	}
	e.advance(time.Millisecond)
	if got := e.describe("life").StreamStatus; got != types.StreamStatusActive {
		t.Fatalf("status %s after the delay, want ACTIVE", got)
	}
	e.put("life", "k", []byte("before update"))

	// An update puts the stream in UPDATING: more changes are refused,
	// reads and writes go on.
	_, err = e.c.IncreaseStreamRetentionPeriod(e.ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String("life"), RetentionPeriodHours: aws.Int32(48)})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.describe("life").StreamStatus; got != types.StreamStatusActive {
		// runnel's choice (as kinesalite): retention changes apply at once.
		t.Fatalf("status %s after IncreaseStreamRetentionPeriod, want ACTIVE", got)
	}
	_, err = e.c.UpdateShardCount(e.ctx, &kinesis.UpdateShardCountInput{
		StreamName: aws.String("life"), TargetShardCount: aws.Int32(4), ScalingType: types.ScalingTypeUniformScaling,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.summary("life").StreamStatus; got != types.StreamStatusUpdating {
		t.Fatalf("status %s after UpdateShardCount, want UPDATING", got)
	}
	inUse := "Stream life under account 123456789012 not ACTIVE, instead in state UPDATING"
	_, err = e.c.UpdateShardCount(e.ctx, &kinesis.UpdateShardCountInput{
		StreamName: aws.String("life"), TargetShardCount: aws.Int32(2), ScalingType: types.ScalingTypeUniformScaling,
	})
	wantErr[*types.ResourceInUseException](t, err, "ResourceInUseException", inUse)
	_, err = e.c.MergeShards(e.ctx, &kinesis.MergeShardsInput{StreamName: aws.String("life"), ShardToMerge: aws.String(shardID(2)), AdjacentShardToMerge: aws.String(shardID(3))})
	wantErr[*types.ResourceInUseException](t, err, "ResourceInUseException", inUse)
	_, err = e.c.StartStreamEncryption(e.ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String("life"), EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")})
	wantErr[*types.ResourceInUseException](t, err, "ResourceInUseException", inUse)
	_, err = e.c.DecreaseStreamRetentionPeriod(e.ctx, &kinesis.DecreaseStreamRetentionPeriodInput{StreamName: aws.String("life"), RetentionPeriodHours: aws.Int32(24)})
	wantErr[*types.ResourceInUseException](t, err, "ResourceInUseException", inUse)
	e.put("life", "k", []byte("while updating"))

	e.advance(delay)
	if got := e.describe("life").StreamStatus; got != types.StreamStatusActive {
		t.Fatalf("status %s after the update delay, want ACTIVE", got)
	}

	if _, err := e.c.DeleteStream(e.ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("life")}); err != nil {
		t.Fatal(err)
	}
	if got := e.describe("life").StreamStatus; got != types.StreamStatusDeleting {
		t.Fatalf("status %s after DeleteStream, want DELETING", got)
	}
	list, err := e.c.ListStreams(e.ctx, &kinesis.ListStreamsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.StreamSummaries) != 1 || list.StreamSummaries[0].StreamStatus != types.StreamStatusDeleting {
		t.Fatalf("ListStreams while deleting: %+v", list.StreamSummaries)
	}
	// runnel's choice: a DELETING stream takes no more writes.
	_, err = e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{StreamName: aws.String("life"), PartitionKey: aws.String("k"), Data: []byte("x")})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", notFound("life"))
	_, err = e.c.DeleteStream(e.ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("life")})
	wantErr[*types.ResourceInUseException](t, err, "ResourceInUseException", "Stream life under account 123456789012 not ACTIVE, instead in state DELETING")
	_, err = e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{StreamName: aws.String("life"), ShardCount: aws.Int32(1)})
	wantErr[*types.ResourceInUseException](t, err, "ResourceInUseException", "Stream life under account 123456789012 already exists.")

	e.advance(delay)
	_, err = e.c.DescribeStream(e.ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("life")})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", notFound("life"))
	list, err = e.c.ListStreams(e.ctx, &kinesis.ListStreamsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.StreamNames) != 0 {
		t.Fatalf("ListStreams after deletion: %v", list.StreamNames)
	}

	// The name can be reused; the new stream starts empty.
	e.create("life", 1)
	e.advance(delay)
	if recs := e.readAll("life", shardID(0)); len(recs) != 0 {
		t.Fatalf("re-created stream holds %d records of the old one", len(recs))
	}
}

// tagList formats tags as "k=v,k=v" in the order given.
func tagList(tags []types.Tag) string {
	s := ""
	for i, tg := range tags {
		if i > 0 {
			s += ","
		}
		s += aws.ToString(tg.Key) + "=" + aws.ToString(tg.Value)
	}
	return s
}
