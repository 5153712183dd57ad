package consumer

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// KinesisClient is the part of *kinesis.Client the consumer uses; tests
// and wrappers (metrics, retries) may supply their own.
type KinesisClient interface {
	DescribeStreamSummary(context.Context, *kinesis.DescribeStreamSummaryInput, ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error)
	ListShards(context.Context, *kinesis.ListShardsInput, ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(context.Context, *kinesis.GetShardIteratorInput, ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(context.Context, *kinesis.GetRecordsInput, ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
	RegisterStreamConsumer(context.Context, *kinesis.RegisterStreamConsumerInput, ...func(*kinesis.Options)) (*kinesis.RegisterStreamConsumerOutput, error)
	DescribeStreamConsumer(context.Context, *kinesis.DescribeStreamConsumerInput, ...func(*kinesis.Options)) (*kinesis.DescribeStreamConsumerOutput, error)
	SubscribeToShard(context.Context, *kinesis.SubscribeToShardInput, ...func(*kinesis.Options)) (*kinesis.SubscribeToShardOutput, error)
}

var _ KinesisClient = (*kinesis.Client)(nil)

// isThrottled reports whether err asks the caller to slow down.
func isThrottled(err error) bool {
	var pte *types.ProvisionedThroughputExceededException
	var lee *types.LimitExceededException
	var kte *types.KMSThrottlingException
	return errors.As(err, &pte) || errors.As(err, &lee) || errors.As(err, &kte)
}

func isExpiredIterator(err error) bool {
	var e *types.ExpiredIteratorException
	return errors.As(err, &e)
}

func isNotFound(err error) bool {
	var e *types.ResourceNotFoundException
	return errors.As(err, &e)
}

func isInUse(err error) bool {
	var e *types.ResourceInUseException
	return errors.As(err, &e)
}

// isStaleCheckpoint reports whether err rejects a starting sequence number
// (AWS answers InvalidArgumentException naming "StartingSequenceNumber" for
// a position the stream no longer has).
func isStaleCheckpoint(err error) bool {
	var e *types.InvalidArgumentException
	return errors.As(err, &e) && strings.Contains(strings.ToLower(e.ErrorMessage()), "startingsequencenumber")
}
