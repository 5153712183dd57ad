package kinesisapi_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/testserver"
)

// streamID is a StreamId of the shape the model allows. The server ignores
// it; the SDK's endpoint rules would send a request carrying one to AWS,
// so the tests that send it pin the endpoint (fixedEndpoint).
const streamID = "abcdefghij0123456789-abc"

// names is how one request names its stream.
type names struct{ name, arn, id *string }

// streamOp is one operation that names a stream by StreamName or
// StreamARN, with the setup it needs on a fresh two-shard stream.
type streamOp struct {
	op    string
	setup func(e *env, st string)
	call  func(e *env, c *kinesis.Client, n names) error
}

var streamOps = []streamOp{
	{op: "AddTagsToStream", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.AddTagsToStream(e.ctx, &kinesis.AddTagsToStreamInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, Tags: map[string]string{"k": "v"}})
		return err
	}},
	{op: "RemoveTagsFromStream", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.RemoveTagsFromStream(e.ctx, &kinesis.RemoveTagsFromStreamInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, TagKeys: []string{"k"}})
		return err
	}},
	{op: "ListTagsForStream", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.ListTagsForStream(e.ctx, &kinesis.ListTagsForStreamInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id})
		return err
	}},
	{op: "IncreaseStreamRetentionPeriod", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.IncreaseStreamRetentionPeriod(e.ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, RetentionPeriodHours: aws.Int32(48)})
		return err
	}},
	{op: "DecreaseStreamRetentionPeriod",
		setup: func(e *env, st string) {
			_, err := e.c.IncreaseStreamRetentionPeriod(e.ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String(st), RetentionPeriodHours: aws.Int32(48)})
			if err != nil {
				e.t.Fatal(err)
			}
		},
		call: func(e *env, c *kinesis.Client, n names) error {
			_, err := c.DecreaseStreamRetentionPeriod(e.ctx, &kinesis.DecreaseStreamRetentionPeriodInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, RetentionPeriodHours: aws.Int32(24)})
			return err
		}},
	{op: "DescribeStream", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.DescribeStream(e.ctx, &kinesis.DescribeStreamInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id})
		return err
	}},
	{op: "DescribeStreamSummary", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.DescribeStreamSummary(e.ctx, &kinesis.DescribeStreamSummaryInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id})
		return err
	}},
	{op: "EnableEnhancedMonitoring", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.EnableEnhancedMonitoring(e.ctx, &kinesis.EnableEnhancedMonitoringInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, ShardLevelMetrics: []types.MetricsName{types.MetricsNameAll}})
		return err
	}},
	{op: "DisableEnhancedMonitoring", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.DisableEnhancedMonitoring(e.ctx, &kinesis.DisableEnhancedMonitoringInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, ShardLevelMetrics: []types.MetricsName{types.MetricsNameAll}})
		return err
	}},
	{op: "GetShardIterator", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.GetShardIterator(e.ctx, &kinesis.GetShardIteratorInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, ShardId: aws.String(shardID(1)), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		return err
	}},
	{op: "ListShards", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.ListShards(e.ctx, &kinesis.ListShardsInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id})
		return err
	}},
	{op: "MergeShards", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.MergeShards(e.ctx, &kinesis.MergeShardsInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, ShardToMerge: aws.String(shardID(0)), AdjacentShardToMerge: aws.String(shardID(1))})
		return err
	}},
	{op: "SplitShard", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.SplitShard(e.ctx, &kinesis.SplitShardInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, ShardToSplit: aws.String(shardID(0)), NewStartingHashKey: aws.String(pow2(126).String())})
		return err
	}},
	{op: "UpdateShardCount", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.UpdateShardCount(e.ctx, &kinesis.UpdateShardCountInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, TargetShardCount: aws.Int32(4), ScalingType: types.ScalingTypeUniformScaling})
		return err
	}},
	{op: "PutRecord", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.PutRecord(e.ctx, &kinesis.PutRecordInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, PartitionKey: aws.String("k"), Data: []byte("x")})
		return err
	}},
	{op: "PutRecords", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String("k"), Data: []byte("x")}}})
		return err
	}},
	{op: "StartStreamEncryption", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.StartStreamEncryption(e.ctx, &kinesis.StartStreamEncryptionInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")})
		return err
	}},
	{op: "StopStreamEncryption",
		setup: func(e *env, st string) {
			_, err := e.c.StartStreamEncryption(e.ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String(st), EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")})
			if err != nil {
				e.t.Fatal(err)
			}
		},
		call: func(e *env, c *kinesis.Client, n names) error {
			_, err := c.StopStreamEncryption(e.ctx, &kinesis.StopStreamEncryptionInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")})
			return err
		}},
	{op: "UpdateStreamWarmThroughput",
		setup: func(e *env, st string) {
			_, err := e.c.UpdateStreamMode(e.ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String(streamARN(st)), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}})
			if err != nil {
				e.t.Fatal(err)
			}
		},
		call: func(e *env, c *kinesis.Client, n names) error {
			_, err := c.UpdateStreamWarmThroughput(e.ctx, &kinesis.UpdateStreamWarmThroughputInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id, WarmThroughputMiBps: aws.Int32(10)})
			return err
		}},
	{op: "DeleteStream", call: func(e *env, c *kinesis.Client, n names) error {
		_, err := c.DeleteStream(e.ctx, &kinesis.DeleteStreamInput{StreamName: n.name, StreamARN: n.arn, StreamId: n.id})
		return err
	}},
}

// pinnedClient returns a client for e's server that sends every request
// there, whatever the endpoint rules say.
func (e *env) pinnedClient() *kinesis.Client {
	return e.srv.Client(func(o *kinesis.Options) { o.EndpointResolverV2 = fixedEndpoint{url: e.srv.URL} })
}

func TestSDKStreamNameOrARN(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	pinned := e.pinnedClient()
	_, err := e.c.UpdateAccountSettings(e.ctx, &kinesis.UpdateAccountSettingsInput{
		MinimumThroughputBillingCommitment: &types.MinimumThroughputBillingCommitmentInput{Status: types.MinimumThroughputBillingCommitmentInputStatusEnabled},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	fresh := func(op streamOp) string {
		n++
		st := fmt.Sprintf("s%d", n)
		e.create(st, 2)
		if op.setup != nil {
			op.setup(e, st)
		}
		return st
	}
	for _, op := range streamOps {
		t.Run(op.op, func(t *testing.T) {
			e := *e
			e.t = t
			for _, v := range []struct {
				variant string
				client  *kinesis.Client
				ids     func(st string) names
			}{
				{"StreamName", e.c, func(st string) names { return names{name: aws.String(st)} }},
				{"StreamARN", e.c, func(st string) names { return names{arn: aws.String(streamARN(st))} }},
				{"both", e.c, func(st string) names { return names{name: aws.String(st), arn: aws.String(streamARN(st))} }},
				{"StreamId ignored", pinned, func(st string) names { return names{name: aws.String(st), id: aws.String(streamID)} }},
				{"StreamARN and StreamId", pinned, func(st string) names { return names{arn: aws.String(streamARN(st)), id: aws.String(streamID)} }},
			} {
				st := fresh(op)
				if err := op.call(&e, v.client, v.ids(st)); err != nil {
					t.Fatalf("%s: %v", v.variant, err)
				}
			}

			st := fresh(op)
			other := streamARN(st + "x")
			wantErr[*types.InvalidArgumentException](t, op.call(&e, e.c, names{name: aws.String(st), arn: aws.String(other)}), "InvalidArgumentException",
				"StreamARN "+other+" and StreamName "+st+" do not refer to the same stream.")
			neither := "Either StreamName or StreamARN should be provided."
			if op.op == "ListShards" {
				neither = "Either NextToken or StreamName should be provided."
			}
			wantErr[*types.InvalidArgumentException](t, op.call(&e, e.c, names{}), "InvalidArgumentException", neither)
			wantErr[*types.ResourceNotFoundException](t, op.call(&e, e.c, names{arn: aws.String(streamARN("missing"))}), "ResourceNotFoundException", notFound("missing"))
			elsewhere := fmt.Sprintf("arn:aws:kinesis:eu-west-1:%s:stream/%s", account, st)
			wantErr[*types.ResourceNotFoundException](t, op.call(&e, e.c, names{arn: aws.String(elsewhere)}), "ResourceNotFoundException",
				"Stream "+elsewhere+" not found.")
			wantErr[*types.ValidationException](t, op.call(&e, e.c, names{name: aws.String(st), id: aws.String("not-a-stream-id")}), "ValidationException",
				"1 validation error detected: Value 'not-a-stream-id' at 'streamId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z0-9]{20}-[a-z0-9]{3}")
		})
	}
}

// TestSDKStreamIDOnARNOperations sends StreamId with the operations that
// name streams and consumers by ARN only.
func TestSDKStreamIDOnARNOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	c := e.pinnedClient()
	e.create("arn", 1)
	arn, id := aws.String(streamARN("arn")), aws.String(streamID)
	e.put("arn", "k", []byte("x"))

	reg, err := c.RegisterStreamConsumer(e.ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: arn, StreamId: id, ConsumerName: aws.String("c")})
	if err != nil {
		t.Fatal(err)
	}
	consumer := reg.Consumer.ConsumerARN
	list, err := c.ListStreamConsumers(e.ctx, &kinesis.ListStreamConsumersInput{StreamARN: arn, StreamId: id})
	if err != nil || len(list.Consumers) != 1 {
		t.Fatalf("ListStreamConsumers: %v", err)
	}
	if _, err := c.DescribeStreamConsumer(e.ctx, &kinesis.DescribeStreamConsumerInput{StreamARN: arn, StreamId: id, ConsumerName: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeStreamConsumer(e.ctx, &kinesis.DescribeStreamConsumerInput{ConsumerARN: consumer, StreamId: id}); err != nil {
		t.Fatal(err)
	}
	for _, res := range []*string{arn, consumer} {
		if _, err := c.TagResource(e.ctx, &kinesis.TagResourceInput{ResourceARN: res, StreamId: id, Tags: map[string]string{"a": "b"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListTagsForResource(e.ctx, &kinesis.ListTagsForResourceInput{ResourceARN: res, StreamId: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UntagResource(e.ctx, &kinesis.UntagResourceInput{ResourceARN: res, StreamId: id, TagKeys: []string{"a"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutResourcePolicy(e.ctx, &kinesis.PutResourcePolicyInput{ResourceARN: res, StreamId: id, Policy: aws.String("{}")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetResourcePolicy(e.ctx, &kinesis.GetResourcePolicyInput{ResourceARN: res, StreamId: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteResourcePolicy(e.ctx, &kinesis.DeleteResourcePolicyInput{ResourceARN: res, StreamId: id}); err != nil {
			t.Fatal(err)
		}
	}
	it, err := c.GetShardIterator(e.ctx, &kinesis.GetShardIteratorInput{StreamARN: arn, StreamId: id, ShardId: aws.String(shardID(0)), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.GetRecords(e.ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, StreamARN: arn, StreamId: id})
	if err != nil || len(recs.Records) != 1 {
		t.Fatalf("GetRecords with StreamARN and StreamId: %v", err)
	}
	if _, err := c.UpdateMaxRecordSize(e.ctx, &kinesis.UpdateMaxRecordSizeInput{StreamARN: arn, StreamId: id, MaxRecordSizeInKiB: aws.Int32(2048)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateStreamMode(e.ctx, &kinesis.UpdateStreamModeInput{StreamARN: arn, StreamId: id, StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeregisterStreamConsumer(e.ctx, &kinesis.DeregisterStreamConsumerInput{ConsumerARN: consumer, StreamId: id}); err != nil {
		t.Fatal(err)
	}
	s := e.summary("arn")
	if aws.ToInt32(s.MaxRecordSizeInKiB) != 2048 || s.StreamModeDetails.StreamMode != types.StreamModeOnDemand || aws.ToInt32(s.ConsumerCount) != 0 {
		t.Fatalf("summary after the ARN operations: %+v", s)
	}
}
