package consumer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// poller reads a shard with GetRecords: at most one call per MinPollGap,
// and one per poll interval once caught up.
type poller struct {
	client     KinesisClient
	streamARN  string
	shardID    string
	start      startPosition
	interval   time.Duration
	maxRecords int32
	log        *slog.Logger

	iterator *string   // nil: get one before the next call
	lastSeq  string    // the last record returned, to resume after it
	nextCall time.Time // no call before this
	retry    backoff
}

func newPoller(client KinesisClient, streamARN, shardID string, start startPosition, cfg *config, log *slog.Logger) *poller {
	return &poller{
		client: client, streamARN: streamARN, shardID: shardID, start: start,
		interval: cfg.pollInterval, maxRecords: cfg.maxRecords, log: log,
		retry: backoff{base: MinPollGap, max: 10 * time.Second},
	}
}

func (p *poller) close() {}

func (p *poller) next(ctx context.Context) (batch, error) {
	for {
		if p.iterator == nil {
			if err := p.getIterator(ctx); err != nil {
				return batch{}, err
			}
		}
		if !sleep(ctx, time.Until(p.nextCall)) {
			return batch{}, ctx.Err()
		}
		out, err := p.client.GetRecords(ctx, &kinesis.GetRecordsInput{
			ShardIterator: p.iterator, Limit: aws.Int32(p.maxRecords), StreamARN: aws.String(p.streamARN),
		})
		p.nextCall = time.Now().Add(MinPollGap)
		if err != nil {
			if err := p.failed(ctx, err); err != nil {
				return batch{}, err
			}
			continue
		}
		p.retry.reset()
		return p.batchOf(out), nil
	}
}

// failed handles a GetRecords error: it waits out throttling, renews an
// expired iterator, and returns the errors that end the read.
func (p *poller) failed(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case isExpiredIterator(err):
		p.iterator = nil
		return nil
	case isNotFound(err):
		return fmt.Errorf("consumer: read %s: %w", p.shardID, err)
	case isThrottled(err):
		p.log.Debug("GetRecords throttled", "err", err)
	default:
		p.log.Warn("GetRecords failed; retrying", "err", err)
	}
	if !sleep(ctx, p.retry.next()) {
		return ctx.Err()
	}
	return nil
}

func (p *poller) batchOf(out *kinesis.GetRecordsOutput) batch {
	b := batch{records: out.Records, millisBehindLatest: aws.ToInt64(out.MillisBehindLatest)}
	if n := len(out.Records); n > 0 {
		p.lastSeq = aws.ToString(out.Records[n-1].SequenceNumber)
	}
	p.iterator = out.NextShardIterator
	if p.iterator == nil {
		b.end, b.children = true, out.ChildShards
		return b
	}
	if len(out.Records) == 0 || b.millisBehindLatest == 0 {
		p.nextCall = time.Now().Add(p.interval)
	}
	return b
}

// getIterator gets an iterator after the last record returned or, before
// any, at the start position. A start checkpoint the stream no longer has
// falls back to the trim horizon.
func (p *poller) getIterator(ctx context.Context) error {
	pos := p.start
	if p.lastSeq != "" {
		pos = afterSequence(p.lastSeq)
	}
	for {
		in := &kinesis.GetShardIteratorInput{
			StreamARN: aws.String(p.streamARN), ShardId: aws.String(p.shardID), ShardIteratorType: pos.typ,
		}
		if pos.seq != "" {
			in.StartingSequenceNumber = aws.String(pos.seq)
		}
		if !pos.at.IsZero() {
			in.Timestamp = aws.Time(pos.at)
		}
		out, err := p.client.GetShardIterator(ctx, in)
		switch {
		case err == nil:
			p.iterator = out.ShardIterator
			p.retry.reset()
			return nil
		case pos.seq != "" && isStaleCheckpoint(err):
			p.log.Warn("checkpoint no longer in the stream; reading from TRIM_HORIZON", "sequenceNumber", pos.seq, "err", err)
			pos = trimHorizonStart
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case isNotFound(err):
			return fmt.Errorf("consumer: iterator for %s: %w", p.shardID, err)
		case !isThrottled(err):
			p.log.Warn("GetShardIterator failed; retrying", "err", err)
		}
		if !sleep(ctx, p.retry.next()) {
			return ctx.Err()
		}
	}
}
