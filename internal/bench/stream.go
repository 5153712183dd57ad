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

// prepareStream makes sure the stream exists and is ACTIVE, creating it if
// cfg.Create allows, and returns the IDs of all its shards.
func prepareStream(ctx context.Context, client *kinesis.Client, cfg Config) ([]string, error) {
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
	if err := waitForStatus(ctx, client, cfg.Stream, types.StreamStatusActive); err != nil {
		return nil, err
	}
	return listShards(ctx, client, cfg.Stream)
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

// waitForStatus polls until the stream has the wanted status.
func waitForStatus(ctx context.Context, client *kinesis.Client, stream string, want types.StreamStatus) error {
	return poll(ctx, func() (bool, error) {
		out, err := client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if err != nil {
			return false, fmt.Errorf("bench: describe stream %s: %w", stream, err)
		}
		return out.StreamDescriptionSummary.StreamStatus == want, nil
	})
}

// waitForDeletion polls until the stream is gone.
func waitForDeletion(ctx context.Context, client *kinesis.Client, stream string) error {
	return poll(ctx, func() (bool, error) {
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

// poll calls done until it reports true or fails, for at most streamWait.
func poll(ctx context.Context, done func() (bool, error)) error {
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
			return fmt.Errorf("bench: waiting for stream: %w", ctx.Err())
		case <-ticker.C:
		}
	}
}

// listShards returns the IDs of all the stream's shards, closed ones too.
func listShards(ctx context.Context, client *kinesis.Client, stream string) ([]string, error) {
	var ids []string
	in := &kinesis.ListShardsInput{StreamName: aws.String(stream)}
	for {
		out, err := client.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("bench: list shards of %s: %w", stream, err)
		}
		for _, shard := range out.Shards {
			ids = append(ids, aws.ToString(shard.ShardId))
		}
		if out.NextToken == nil {
			return ids, nil
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
