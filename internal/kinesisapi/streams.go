package kinesisapi

import (
	"context"
	"time"

	"github.com/runnel-dev/runnel/internal/apierr"
	"github.com/runnel-dev/runnel/internal/shape"
	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/token"
)

// CreateStream creates a stream and its shard logs.
func (s *Service) CreateStream(ctx context.Context, in *shape.CreateStreamInput) (*struct{}, error) {
	p := stream.CreateParams{
		Name:             deref(in.StreamName),
		ShardCount:       int(derefInt(in.ShardCount)),
		MaxRecordSizeKiB: int(derefInt(in.MaxRecordSizeInKiB)),
		Tags:             in.Tags,
		WarmThroughput:   int(derefInt(in.WarmThroughputMiBps)),
	}
	if in.StreamModeDetails != nil {
		p.Mode = deref(in.StreamModeDetails.StreamMode)
	}
	return nil, s.mutate(ctx, func(reg *stream.Registry, now int64) error {
		st, err := reg.Create(p, now)
		if err != nil {
			return err
		}
		return s.createLogs(ctx, st, 0)
	})
}

// DeleteStream starts deleting a stream; the janitor reclaims its logs once
// it has finished DELETING.
func (s *Service) DeleteStream(ctx context.Context, in *shape.DeleteStreamInput) (*struct{}, error) {
	var consumers []string
	err := s.mutate(ctx, func(reg *stream.Registry, now int64) error {
		st, err := reg.Resolve(deref(in.StreamName), deref(in.StreamARN), now)
		if err != nil {
			return err
		}
		for _, c := range reg.LiveConsumers(st, now) {
			consumers = append(consumers, c.ARN(reg.Config(), st))
		}
		return reg.Delete(st, derefBool(in.EnforceConsumerDeletion), now)
	})
	if err == nil {
		for _, arn := range consumers {
			s.subs.cancelConsumer(arn, errDeregistered)
		}
	}
	return nil, err
}

// update resolves the stream named by name or arn and applies fn to it
// under the exclusive lock, persisting the result.
func (s *Service) update(ctx context.Context, name, arn *string, fn func(reg *stream.Registry, st *stream.Stream, now int64) error) error {
	return s.mutate(ctx, func(reg *stream.Registry, now int64) error {
		st, err := reg.Resolve(deref(name), deref(arn), now)
		if err != nil {
			return err
		}
		return fn(reg, st, now)
	})
}

// IncreaseStreamRetentionPeriod raises a stream's retention.
func (s *Service) IncreaseStreamRetentionPeriod(ctx context.Context, in *shape.IncreaseStreamRetentionPeriodInput) (*struct{}, error) {
	return nil, s.update(ctx, in.StreamName, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		return reg.IncreaseRetention(st, int(derefInt(in.RetentionPeriodHours)), now)
	})
}

// DecreaseStreamRetentionPeriod lowers a stream's retention.
func (s *Service) DecreaseStreamRetentionPeriod(ctx context.Context, in *shape.DecreaseStreamRetentionPeriodInput) (*struct{}, error) {
	return nil, s.update(ctx, in.StreamName, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		return reg.DecreaseRetention(st, int(derefInt(in.RetentionPeriodHours)), now)
	})
}

// UpdateStreamMode switches a stream between PROVISIONED and ON_DEMAND.
func (s *Service) UpdateStreamMode(ctx context.Context, in *shape.UpdateStreamModeInput) (*struct{}, error) {
	return nil, s.update(ctx, nil, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		if err := reg.SetMode(st, deref(in.StreamModeDetails.StreamMode), now); err != nil {
			return err
		}
		if in.WarmThroughputMiBps != nil {
			st.WarmThroughput = int(*in.WarmThroughputMiBps)
		}
		return nil
	})
}

// UpdateMaxRecordSize changes a stream's maximum record size.
func (s *Service) UpdateMaxRecordSize(ctx context.Context, in *shape.UpdateMaxRecordSizeInput) (*struct{}, error) {
	return nil, s.update(ctx, nil, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		return reg.SetMaxRecordSize(st, int(derefInt(in.MaxRecordSizeInKiB)), now)
	})
}

// StartStreamEncryption turns on server-side encryption.
func (s *Service) StartStreamEncryption(ctx context.Context, in *shape.StartStreamEncryptionInput) (*struct{}, error) {
	return nil, s.update(ctx, in.StreamName, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		return reg.SetEncryption(st, deref(in.EncryptionType), deref(in.KeyId), now)
	})
}

// StopStreamEncryption turns off server-side encryption.
func (s *Service) StopStreamEncryption(ctx context.Context, in *shape.StopStreamEncryptionInput) (*struct{}, error) {
	return nil, s.update(ctx, in.StreamName, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		if deref(in.EncryptionType) != stream.EncryptionKMS {
			return apierr.Errorf(apierr.InvalidArgument, "Encryption type %s is not supported.", deref(in.EncryptionType))
		}
		return reg.SetEncryption(st, stream.EncryptionNone, deref(in.KeyId), now)
	})
}

// EnableEnhancedMonitoring enables shard-level metrics.
func (s *Service) EnableEnhancedMonitoring(ctx context.Context, in *shape.EnableEnhancedMonitoringInput) (*shape.EnhancedMonitoringOutput, error) {
	return s.setMetrics(ctx, in.StreamName, in.StreamARN, in.ShardLevelMetrics, true)
}

// DisableEnhancedMonitoring disables shard-level metrics.
func (s *Service) DisableEnhancedMonitoring(ctx context.Context, in *shape.DisableEnhancedMonitoringInput) (*shape.EnhancedMonitoringOutput, error) {
	return s.setMetrics(ctx, in.StreamName, in.StreamARN, in.ShardLevelMetrics, false)
}

func (s *Service) setMetrics(ctx context.Context, name, arn *string, metrics []string, on bool) (*shape.EnhancedMonitoringOutput, error) {
	var out *shape.EnhancedMonitoringOutput
	err := s.update(ctx, name, arn, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		before, after, err := reg.SetMetrics(st, metrics, on, now)
		if err != nil {
			return err
		}
		out = &shape.EnhancedMonitoringOutput{
			StreamName:               str(st.Name),
			StreamARN:                str(st.ARN(reg.Config())),
			CurrentShardLevelMetrics: nonNil(before),
			DesiredShardLevelMetrics: nonNil(after),
		}
		return nil
	})
	return out, err
}

// UpdateStreamWarmThroughput sets an on-demand stream's warm throughput.
func (s *Service) UpdateStreamWarmThroughput(ctx context.Context, in *shape.UpdateStreamWarmThroughputInput) (*shape.UpdateStreamWarmThroughputOutput, error) {
	var out *shape.UpdateStreamWarmThroughputOutput
	err := s.update(ctx, in.StreamName, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		current := int32(st.WarmThroughput)
		if err := reg.SetWarmThroughput(st, int(derefInt(in.WarmThroughputMiBps)), now); err != nil {
			return err
		}
		out = &shape.UpdateStreamWarmThroughputOutput{
			StreamName: str(st.Name),
			StreamARN:  str(st.ARN(reg.Config())),
			WarmThroughput: &shape.WarmThroughputObject{
				TargetMiBps:  in.WarmThroughputMiBps,
				CurrentMiBps: &current,
			},
		}
		return nil
	})
	return out, err
}

// DescribeStreamSummary describes a stream without its shards.
func (s *Service) DescribeStreamSummary(ctx context.Context, in *shape.DescribeStreamSummaryInput) (*shape.DescribeStreamSummaryOutput, error) {
	var out *shape.DescribeStreamSummaryOutput
	err := s.view(func(reg *stream.Registry, now int64) error {
		st, err := reg.Resolve(deref(in.StreamName), deref(in.StreamARN), now)
		if err != nil {
			return err
		}
		cfg := reg.Config()
		open, consumers := int32(st.OpenShardCount()), int32(len(reg.LiveConsumers(st, now)))
		sum := &shape.StreamDescriptionSummary{
			StreamName:              str(st.Name),
			StreamARN:               str(st.ARN(cfg)),
			StreamStatus:            str(st.Status(cfg, now)),
			StreamModeDetails:       &shape.StreamModeDetails{StreamMode: str(st.Mode)},
			RetentionPeriodHours:    int32p(st.RetentionHours),
			StreamCreationTimestamp: shape.NewTimestamp(msTime(st.Created)),
			EnhancedMonitoring:      enhancedMonitoring(st),
			EncryptionType:          str(st.Encryption),
			OpenShardCount:          &open,
			ConsumerCount:           &consumers,
			MaxRecordSizeInKiB:      int32p(st.MaxRecordSizeKiB),
		}
		if st.Encryption == stream.EncryptionKMS {
			sum.KeyId = str(st.KeyID)
		}
		if st.Mode == stream.ModeOnDemand {
			sum.WarmThroughput = &shape.WarmThroughputObject{TargetMiBps: int32p(st.WarmThroughput), CurrentMiBps: int32p(st.WarmThroughput)}
		}
		out = &shape.DescribeStreamSummaryOutput{StreamDescriptionSummary: sum}
		return nil
	})
	return out, err
}

func enhancedMonitoring(st *stream.Stream) []shape.EnhancedMetrics {
	return []shape.EnhancedMetrics{{ShardLevelMetrics: nonNil(st.Metrics)}}
}

// describeLimit is DescribeStream's default and maximum page size.
const describeLimit = 100

// DescribeStream describes a stream and a page of its shards.
func (s *Service) DescribeStream(ctx context.Context, in *shape.DescribeStreamInput) (*shape.DescribeStreamOutput, error) {
	var out *shape.DescribeStreamOutput
	err := s.view(func(reg *stream.Registry, now int64) error {
		st, err := reg.Resolve(deref(in.StreamName), deref(in.StreamARN), now)
		if err != nil {
			return err
		}
		cfg := reg.Config()
		limit := describeLimit
		if in.Limit != nil && int(*in.Limit) < limit {
			limit = int(*in.Limit)
		}
		shards, more := pageShards(visibleShards(st, now), deref(in.ExclusiveStartShardId), limit)
		desc := &shape.StreamDescription{
			StreamName:              str(st.Name),
			StreamARN:               str(st.ARN(cfg)),
			StreamStatus:            str(st.Status(cfg, now)),
			StreamModeDetails:       &shape.StreamModeDetails{StreamMode: str(st.Mode)},
			Shards:                  toShapes(shards),
			HasMoreShards:           &more,
			RetentionPeriodHours:    int32p(st.RetentionHours),
			StreamCreationTimestamp: shape.NewTimestamp(msTime(st.Created)),
			EnhancedMonitoring:      enhancedMonitoring(st),
			EncryptionType:          str(st.Encryption),
		}
		if st.Encryption == stream.EncryptionKMS {
			desc.KeyId = str(st.KeyID)
		}
		out = &shape.DescribeStreamOutput{StreamDescription: desc}
		return nil
	})
	return out, err
}

// visibleShards returns the shards a description lists: all but closed
// shards past retention, in index order.
func visibleShards(st *stream.Stream, now int64) []*stream.Shard {
	out := make([]*stream.Shard, 0, len(st.Shards))
	for _, sh := range st.Shards {
		if !st.ShardExpired(sh, now) {
			out = append(out, sh)
		}
	}
	return out
}

// pageShards returns up to limit shards after the one named exclusiveStart
// (by index order, as AWS compares shard ids) and whether more follow.
func pageShards(shards []*stream.Shard, exclusiveStart string, limit int) ([]*stream.Shard, bool) {
	if exclusiveStart != "" {
		start, _ := stream.ParseShardID(exclusiveStart)
		i := 0
		for i < len(shards) && shards[i].Index <= start {
			i++
		}
		shards = shards[i:]
	}
	if len(shards) > limit {
		return shards[:limit], true
	}
	return shards, false
}

func toShapes(shards []*stream.Shard) []shape.Shard {
	out := make([]shape.Shard, len(shards))
	for i, sh := range shards {
		out[i] = toShape(sh)
	}
	return out
}

func toShape(sh *stream.Shard) shape.Shard {
	out := shape.Shard{
		ShardId:             str(stream.ShardID(sh.Index)),
		HashKeyRange:        hashKeyRange(sh.Range),
		SequenceNumberRange: &shape.SequenceNumberRange{StartingSequenceNumber: str(startingSequenceNumber(sh))},
	}
	if len(sh.Parents) > 0 {
		out.ParentShardId = str(stream.ShardID(sh.Parents[0]))
	}
	if len(sh.Parents) > 1 {
		out.AdjacentParentShardId = str(stream.ShardID(sh.Parents[1]))
	}
	if !sh.Open() {
		out.SequenceNumberRange.EndingSequenceNumber = str(endingSequenceNumber(sh))
	}
	return out
}

// listStreamsLimit is ListStreams' default page size.
const listStreamsLimit = 100

// ListStreams lists stream names and summaries, a page at a time.
func (s *Service) ListStreams(ctx context.Context, in *shape.ListStreamsInput) (*shape.ListStreamsOutput, error) {
	start := deref(in.ExclusiveStartStreamName)
	if in.NextToken != nil {
		if in.ExclusiveStartStreamName != nil {
			return nil, apierr.New(apierr.InvalidArgument, "NextToken and ExclusiveStartStreamName cannot be provided together.")
		}
		var err error
		if start, err = s.openPage("ListStreams", *in.NextToken); err != nil {
			return nil, err
		}
	}
	limit := listStreamsLimit
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	out := &shape.ListStreamsOutput{StreamNames: []string{}, StreamSummaries: []shape.StreamSummary{}}
	err := s.view(func(reg *stream.Registry, now int64) error {
		cfg := reg.Config()
		more := false
		for _, st := range reg.Streams(now) {
			if st.Name <= start {
				continue
			}
			if len(out.StreamNames) == limit {
				more = true
				break
			}
			out.StreamNames = append(out.StreamNames, st.Name)
			out.StreamSummaries = append(out.StreamSummaries, shape.StreamSummary{
				StreamName:              str(st.Name),
				StreamARN:               str(st.ARN(cfg)),
				StreamStatus:            str(st.Status(cfg, now)),
				StreamModeDetails:       &shape.StreamModeDetails{StreamMode: str(st.Mode)},
				StreamCreationTimestamp: shape.NewTimestamp(msTime(st.Created)),
			})
		}
		out.HasMoreStreams = &more
		if more {
			out.NextToken = str(s.sealer.SealPage("ListStreams", out.StreamNames[len(out.StreamNames)-1], now))
		}
		return nil
	})
	return out, err
}

// openPage opens a NextToken of the given operation, enforcing its TTL.
func (s *Service) openPage(kind, tok string) (string, error) {
	cursor, issued, err := s.sealer.OpenPage(kind, tok)
	if err != nil {
		return "", apierr.Errorf(apierr.InvalidArgument, "Invalid NextToken.")
	}
	if token.Expired(issued, s.nowMS(), token.TTL) {
		return "", apierr.Errorf(apierr.ExpiredNextToken,
			"The NextToken has expired. It was issued at %s; NextTokens expire after %d milliseconds.",
			amzTime(issued), token.TTL)
	}
	return cursor, nil
}

// DescribeLimits reports the account's shard limit and usage.
func (s *Service) DescribeLimits(ctx context.Context, in *shape.DescribeLimitsInput) (*shape.DescribeLimitsOutput, error) {
	var out *shape.DescribeLimitsOutput
	err := s.view(func(reg *stream.Registry, now int64) error {
		cfg := reg.Config()
		out = &shape.DescribeLimitsOutput{
			ShardLimit:               int32p(cfg.ShardLimit),
			OpenShardCount:           int32p(reg.OpenShardTotal(now)),
			OnDemandStreamCount:      int32p(reg.OnDemandStreamCount(now)),
			OnDemandStreamCountLimit: int32p(cfg.OnDemandStreamLimit),
		}
		return nil
	})
	return out, err
}

// commitmentDuration is how long a MinimumThroughputBillingCommitment must
// stay enabled before it can be disabled (AWS: one year).
const commitmentDuration = 365 * 24 * time.Hour

// DescribeAccountSettings reports the account's billing commitment.
func (s *Service) DescribeAccountSettings(ctx context.Context, in *shape.DescribeAccountSettingsInput) (*shape.DescribeAccountSettingsOutput, error) {
	var out *shape.DescribeAccountSettingsOutput
	err := s.view(func(reg *stream.Registry, now int64) error {
		out = &shape.DescribeAccountSettingsOutput{MinimumThroughputBillingCommitment: commitment(reg.Account())}
		return nil
	})
	return out, err
}

// UpdateAccountSettings enables or disables the billing commitment.
func (s *Service) UpdateAccountSettings(ctx context.Context, in *shape.UpdateAccountSettingsInput) (*shape.UpdateAccountSettingsOutput, error) {
	var out *shape.UpdateAccountSettingsOutput
	err := s.mutate(ctx, func(reg *stream.Registry, now int64) error {
		acct := reg.Account()
		switch deref(in.MinimumThroughputBillingCommitment.Status) {
		case "ENABLED":
			if acct.Commitment != "ENABLED" {
				acct.Commitment, acct.CommitmentStarted, acct.CommitmentEnded = "ENABLED", now, 0
			}
		case "DISABLED":
			if acct.Commitment == "ENABLED" {
				if earliest := acct.CommitmentStarted + commitmentDuration.Milliseconds(); now < earliest {
					return apierr.Errorf(apierr.InvalidArgument,
						"MinimumThroughputBillingCommitment cannot be disabled before %s.", amzTime(earliest))
				}
				acct.Commitment, acct.CommitmentEnded = "DISABLED", now
			}
		}
		out = &shape.UpdateAccountSettingsOutput{MinimumThroughputBillingCommitment: commitment(acct)}
		return nil
	})
	return out, err
}

func commitment(a *stream.AccountSettings) *shape.MinimumThroughputBillingCommitmentOutput {
	out := &shape.MinimumThroughputBillingCommitmentOutput{Status: str("DISABLED")}
	if a.Commitment == "" {
		return out
	}
	out.Status = str(a.Commitment)
	if a.CommitmentStarted != 0 {
		out.StartedAt = shape.NewTimestamp(msTime(a.CommitmentStarted))
		out.EarliestAllowedEndAt = shape.NewTimestamp(msTime(a.CommitmentStarted + commitmentDuration.Milliseconds()))
	}
	if a.CommitmentEnded != 0 {
		out.EndedAt = shape.NewTimestamp(msTime(a.CommitmentEnded))
	}
	return out
}
