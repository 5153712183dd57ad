package consumer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/schemas"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
)

// subscriptionIdleTimeout ends a subscription that has sent nothing for
// this long (Kinesis sends an event at least every 5 seconds), so that a
// dead connection is replaced.
const subscriptionIdleTimeout = 30 * time.Second

// subscriber reads a shard through enhanced fan-out: SubscribeToShard,
// renewed whenever a subscription ends (Kinesis ends each after 5
// minutes), resuming after the last continuation sequence number.
type subscriber struct {
	client      KinesisClient
	consumerARN string
	shardID     string
	start       startPosition
	log         *slog.Logger

	stream       *kinesis.SubscribeToShardEventStream // nil between subscriptions
	cancel       context.CancelFunc                   // ends the current subscription's request
	continuation string                               // where the next subscription resumes
	retry        backoff
}

func newSubscriber(client KinesisClient, consumerARN, shardID string, start startPosition, log *slog.Logger) *subscriber {
	return &subscriber{
		client: client, consumerARN: consumerARN, shardID: shardID, start: start, log: log,
		retry: backoff{base: 500 * time.Millisecond, max: 10 * time.Second},
	}
}

func (s *subscriber) next(ctx context.Context) (batch, error) {
	idle := time.NewTimer(subscriptionIdleTimeout)
	defer idle.Stop()
	for {
		if s.stream == nil {
			if err := s.subscribe(ctx); err != nil {
				return batch{}, err
			}
			idle.Reset(subscriptionIdleTimeout)
		}
		select {
		case ev, ok := <-s.stream.Events():
			if !ok {
				s.ended(ctx)
				continue
			}
			if e, ok := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent); ok {
				return s.batchOf(&e.Value), nil
			}
		case <-idle.C:
			s.log.Warn("subscription idle; resubscribing", "after", subscriptionIdleTimeout)
			s.close()
		case <-ctx.Done():
			return batch{}, ctx.Err()
		}
	}
}

func (s *subscriber) batchOf(e *types.SubscribeToShardEvent) batch {
	s.retry.reset()
	b := batch{records: e.Records, millisBehindLatest: aws.ToInt64(e.MillisBehindLatest)}
	if e.ContinuationSequenceNumber == nil {
		// The shard's last event: it has no continuation, only children.
		b.end, b.children = true, e.ChildShards
		return b
	}
	s.continuation = *e.ContinuationSequenceNumber
	return b
}

// ended handles the end of a subscription's events: normal at the end of
// its lifetime, otherwise an error to log and wait out.
func (s *subscriber) ended(ctx context.Context) {
	err := s.stream.Err()
	s.close()
	if err == nil {
		return
	}
	if ctx.Err() == nil {
		s.log.Warn("subscription failed; resubscribing", "err", err)
	}
	sleep(ctx, s.retry.next())
}

// subscribe starts a subscription after the last continuation or, before
// any, at the start position. It waits out the errors that pass (another
// subscription still holding the shard, throttling) and returns the
// others.
func (s *subscriber) subscribe(ctx context.Context) error {
	pos := s.start
	if s.continuation != "" {
		pos = afterSequence(s.continuation)
	}
	for {
		sctx, cancel := context.WithCancel(ctx)
		out, err := s.client.SubscribeToShard(sctx, &kinesis.SubscribeToShardInput{
			ConsumerARN: aws.String(s.consumerARN), ShardId: aws.String(s.shardID), StartingPosition: startingPosition(pos),
		}, ownEventStreamCodec)
		if err == nil {
			s.stream, s.cancel = out.GetStream(), cancel
			return nil
		}
		cancel()
		switch {
		case pos.seq != "" && isStaleCheckpoint(err):
			s.log.Warn("checkpoint no longer in the stream; reading from TRIM_HORIZON", "sequenceNumber", pos.seq, "err", err)
			pos = trimHorizonStart
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case isNotFound(err):
			return fmt.Errorf("consumer: subscribe to %s: %w", s.shardID, err)
		case isInUse(err) || isThrottled(err):
			// A previous owner's subscription still holds the shard (for up
			// to 5 s), or subscriptions come too fast.
			s.log.Debug("SubscribeToShard refused; retrying", "err", err)
		default:
			s.log.Warn("SubscribeToShard failed; retrying", "err", err)
		}
		if !sleep(ctx, s.retry.next()) {
			return ctx.Err()
		}
	}
}

// ownEventStreamCodec gives a subscription a protocol instance of its own
// (the one kinesis.New installs). aws-sdk-go-v2's protocol keeps one event
// stream codec, with its decoder and scratch buffer, for every event
// stream of a client, unsynchronised, so concurrent subscriptions race
// (smithy-go issue #714, seen with kinesis v1.56.11 and smithy-go v1.28.8).
func ownEventStreamCodec(o *kinesis.Options) {
	o.Protocol = awsjson.New11(schemas.Kinesis_20131202)
}

func startingPosition(p startPosition) *types.StartingPosition {
	sp := &types.StartingPosition{Type: types.ShardIteratorType(p.typ)}
	if p.seq != "" {
		sp.SequenceNumber = aws.String(p.seq)
	}
	if !p.at.IsZero() {
		sp.Timestamp = aws.Time(p.at)
	}
	return sp
}

// close ends the current subscription and waits until the SDK's reader
// has stopped.
func (s *subscriber) close() {
	if s.stream == nil {
		return
	}
	s.cancel()
	_ = s.stream.Close()
	for range s.stream.Events() { // closed when the reader's goroutine ends
	}
	s.stream, s.cancel = nil, nil
}

// registerConsumer returns the ARN of the named stream consumer once it is
// ACTIVE, registering it first if it does not exist.
func registerConsumer(ctx context.Context, client KinesisClient, streamARN, name string, log *slog.Logger) (string, error) {
	retry := backoff{base: 200 * time.Millisecond, max: 2 * time.Second}
	for {
		out, err := client.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{
			StreamARN: aws.String(streamARN), ConsumerName: aws.String(name),
		})
		switch {
		case err == nil && out.ConsumerDescription.ConsumerStatus == types.ConsumerStatusActive:
			return aws.ToString(out.ConsumerDescription.ConsumerARN), nil
		case err == nil:
			log.Debug("waiting for stream consumer", "consumer", name, "status", out.ConsumerDescription.ConsumerStatus)
		case isNotFound(err):
			if err := register(ctx, client, streamARN, name, log); err != nil {
				return "", err
			}
		case !isThrottled(err):
			return "", fmt.Errorf("consumer: describe stream consumer %s: %w", name, err)
		}
		if !sleep(ctx, retry.next()) {
			return "", ctx.Err()
		}
	}
}

func register(ctx context.Context, client KinesisClient, streamARN, name string, log *slog.Logger) error {
	_, err := client.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{
		StreamARN: aws.String(streamARN), ConsumerName: aws.String(name),
	})
	switch {
	case err == nil:
		log.Info("registered stream consumer", "consumer", name)
		return nil
	case isInUse(err) || isThrottled(err):
		return nil // registered by another worker meanwhile, or try again
	}
	return fmt.Errorf("consumer: register stream consumer %s: %w", name, err)
}
