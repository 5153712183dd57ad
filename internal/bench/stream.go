package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Stream set-up polls at this interval and gives up after streamWait.
const (
	statusPollInterval = 50 * time.Millisecond
	streamWait         = 2 * time.Minute
)

// streamInfo is what a run needs to know about its stream.
type streamInfo struct {
	arn    string
	shards []types.Shard // all of them, closed ones too
}

// shardIDs returns the IDs of all the stream's shards.
func (s *streamInfo) shardIDs() []string {
	ids := make([]string, len(s.shards))
	for i := range s.shards {
		ids[i] = aws.ToString(s.shards[i].ShardId)
	}
	return ids
}

// openShardIDs returns the IDs of the shards that take new records: those
// without an ending sequence number.
func (s *streamInfo) openShardIDs() []string {
	var ids []string
	for i := range s.shards {
		if r := s.shards[i].SequenceNumberRange; r == nil || r.EndingSequenceNumber == nil {
			ids = append(ids, aws.ToString(s.shards[i].ShardId))
		}
	}
	return ids
}

// prepareStream makes sure the stream exists and is ACTIVE, creating it if
// cfg.Create allows, and describes it.
func prepareStream(ctx context.Context, client *kinesis.Client, cfg Config) (*streamInfo, error) {
	name := aws.String(cfg.Stream)
	_, err := client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: name})
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound) && cfg.Create:
		cfg.Logger.Info("creating stream", "stream", cfg.Stream, "shards", cfg.Shards)
		if err := createStream(ctx, client, cfg); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("bench: describe stream %s: %w", cfg.Stream, err)
	}
	summary, err := waitForStatus(ctx, client, cfg.Stream, types.StreamStatusActive)
	if err != nil {
		return nil, err
	}
	shards, err := listShards(ctx, client, cfg.Stream)
	if err != nil {
		return nil, err
	}
	return &streamInfo{arn: aws.ToString(summary.StreamARN), shards: shards}, nil
}

func createStream(ctx context.Context, client *kinesis.Client, cfg Config) error {
	_, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String(cfg.Stream),
		ShardCount: aws.Int32(int32(cfg.Shards)),
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) { // in use: created concurrently
		return fmt.Errorf("bench: create stream %s: %w", cfg.Stream, err)
	}
	return nil
}

// waitForStatus polls until the stream has the wanted status and returns
// its description.
func waitForStatus(ctx context.Context, client *kinesis.Client, stream string, want types.StreamStatus) (*types.StreamDescriptionSummary, error) {
	var summary *types.StreamDescriptionSummary
	err := poll(ctx, "stream "+stream, func() (bool, error) {
		out, err := client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if err != nil {
			return false, fmt.Errorf("bench: describe stream %s: %w", stream, err)
		}
		summary = out.StreamDescriptionSummary
		return summary.StreamStatus == want, nil
	})
	return summary, err
}

// waitForDeletion polls until the stream is gone.
func waitForDeletion(ctx context.Context, client *kinesis.Client, stream string) error {
	return poll(ctx, "deletion of stream "+stream, func() (bool, error) {
		_, err := client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		var notFound *types.ResourceNotFoundException
		if errors.As(err, &notFound) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("bench: describe stream %s: %w", stream, err)
		}
		return false, nil
	})
}

// poll calls done until it reports true or fails, for at most streamWait;
// what names the wait in the error.
func poll(ctx context.Context, what string, done func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, streamWait)
	defer cancel()
	ticker := time.NewTicker(statusPollInterval)
	defer ticker.Stop()
	for {
		ok, err := done()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench: waiting for %s: %w", what, ctx.Err())
		case <-ticker.C:
		}
	}
}

// listShards returns all the stream's shards, closed ones too.
func listShards(ctx context.Context, client *kinesis.Client, stream string) ([]types.Shard, error) {
	var shards []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(stream)}
	for {
		out, err := client.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("bench: list shards of %s: %w", stream, err)
		}
		shards = append(shards, out.Shards...)
		if out.NextToken == nil {
			return shards, nil
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
}

// deleteStream deletes the stream and waits until it is gone, so that a
// following run can create it again.
func deleteStream(ctx context.Context, client *kinesis.Client, stream string) error {
	_, err := client.DeleteStream(ctx, &kinesis.DeleteStreamInput{
		StreamName:              aws.String(stream),
		EnforceConsumerDeletion: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("bench: delete stream %s: %w", stream, err)
	}
	return waitForDeletion(ctx, client, stream)
}
