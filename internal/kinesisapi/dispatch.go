package kinesisapi

import (
	"context"
	"fmt"

	"github.com/runnel-dev/runnel/internal/shape"
)

// handlerFunc runs one operation on a decoded, validated input. A nil
// output means the operation has no output shape: the reply body is empty.
type handlerFunc func(s *Service, ctx context.Context, in shape.Input) (any, error)

// op adapts a typed operation method to a handlerFunc.
func op[I any, O any](m func(*Service, context.Context, *I) (*O, error)) handlerFunc {
	return func(s *Service, ctx context.Context, in shape.Input) (any, error) {
		typed, ok := any(in).(*I)
		if !ok {
			return nil, fmt.Errorf("kinesisapi: input %T for %T", in, m)
		}
		out, err := m(s, ctx, typed)
		if err != nil || out == nil {
			return nil, err
		}
		return out, nil
	}
}

// operations is the X-Amz-Target dispatch table: every operation of
// Kinesis_20131202.
var operations = map[string]handlerFunc{
	"AddTagsToStream":               op((*Service).AddTagsToStream),
	"CreateStream":                  op((*Service).CreateStream),
	"DecreaseStreamRetentionPeriod": op((*Service).DecreaseStreamRetentionPeriod),
	"DeleteResourcePolicy":          op((*Service).DeleteResourcePolicy),
	"DeleteStream":                  op((*Service).DeleteStream),
	"DeregisterStreamConsumer":      op((*Service).DeregisterStreamConsumer),
	"DescribeAccountSettings":       op((*Service).DescribeAccountSettings),
	"DescribeLimits":                op((*Service).DescribeLimits),
	"DescribeStream":                op((*Service).DescribeStream),
	"DescribeStreamConsumer":        op((*Service).DescribeStreamConsumer),
	"DescribeStreamSummary":         op((*Service).DescribeStreamSummary),
	"DisableEnhancedMonitoring":     op((*Service).DisableEnhancedMonitoring),
	"EnableEnhancedMonitoring":      op((*Service).EnableEnhancedMonitoring),
	"GetRecords":                    op((*Service).GetRecords),
	"GetResourcePolicy":             op((*Service).GetResourcePolicy),
	"GetShardIterator":              op((*Service).GetShardIterator),
	"IncreaseStreamRetentionPeriod": op((*Service).IncreaseStreamRetentionPeriod),
	"ListShards":                    op((*Service).ListShards),
	"ListStreamConsumers":           op((*Service).ListStreamConsumers),
	"ListStreams":                   op((*Service).ListStreams),
	"ListTagsForResource":           op((*Service).ListTagsForResource),
	"ListTagsForStream":             op((*Service).ListTagsForStream),
	"MergeShards":                   op((*Service).MergeShards),
	"PutRecord":                     op((*Service).PutRecord),
	"PutRecords":                    op((*Service).PutRecords),
	"PutResourcePolicy":             op((*Service).PutResourcePolicy),
	"RegisterStreamConsumer":        op((*Service).RegisterStreamConsumer),
	"RemoveTagsFromStream":          op((*Service).RemoveTagsFromStream),
	"SplitShard":                    op((*Service).SplitShard),
	"StartStreamEncryption":         op((*Service).StartStreamEncryption),
	"StopStreamEncryption":          op((*Service).StopStreamEncryption),
	"SubscribeToShard":              nil, // an event stream: see serveSubscribeToShard
	"TagResource":                   op((*Service).TagResource),
	"UntagResource":                 op((*Service).UntagResource),
	"UpdateAccountSettings":         op((*Service).UpdateAccountSettings),
	"UpdateMaxRecordSize":           op((*Service).UpdateMaxRecordSize),
	"UpdateShardCount":              op((*Service).UpdateShardCount),
	"UpdateStreamMode":              op((*Service).UpdateStreamMode),
	"UpdateStreamWarmThroughput":    op((*Service).UpdateStreamWarmThroughput),
}
