package consumer

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/consumer/leases"
)

// syncLeases creates the leases a new application starts from: one for
// each shard open at the initial position that neither it nor any of its
// descendants has yet. Later shards get their leases from their parents,
// when those reach their end.
func (r *run) syncLeases(ctx context.Context) error {
	all, err := r.listShards(ctx, nil)
	if err != nil {
		return err
	}
	roots, err := r.listShards(ctx, r.cfg.initial.shardFilter())
	if err != nil {
		return err
	}
	existing, err := r.c.store.List(ctx)
	if err != nil {
		return fmt.Errorf("consumer: list leases: %w", err)
	}
	leased := make(map[string]bool, len(existing))
	for _, l := range existing {
		leased[l.Key] = true
	}
	covered := coverage(all, leased)
	for _, s := range roots {
		id := aws.ToString(s.ShardId)
		if covered(id) {
			continue
		}
		created, err := r.c.store.Create(ctx, leaseOf(s, r.cfg.initial.sentinel))
		if err != nil {
			return fmt.Errorf("consumer: create lease %s: %w", id, err)
		}
		if created {
			r.log.Info("created lease", "shard", id, "position", r.cfg.initial.String())
		}
	}
	return nil
}

// coverage returns a function reporting whether a shard or one of its
// descendants has a lease: such a shard is being or has been processed.
func coverage(all []types.Shard, leased map[string]bool) func(string) bool {
	children := map[string][]string{}
	for _, s := range all {
		for _, p := range parentsOf(s) {
			children[p] = append(children[p], aws.ToString(s.ShardId))
		}
	}
	memo := map[string]bool{}
	var covered func(string) bool
	covered = func(id string) bool {
		if v, ok := memo[id]; ok {
			return v
		}
		memo[id] = false // shard graphs are acyclic; this only guards bad input
		v := leased[id]
		for _, c := range children[id] {
			v = v || covered(c)
		}
		memo[id] = v
		return v
	}
	return covered
}

func parentsOf(s types.Shard) []string {
	var ps []string
	for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
		if p != nil && *p != "" {
			ps = append(ps, *p)
		}
	}
	return ps
}

func leaseOf(s types.Shard, checkpoint string) leases.Lease {
	l := leases.Lease{
		Key:            aws.ToString(s.ShardId),
		Checkpoint:     leases.Checkpoint{SequenceNumber: checkpoint},
		ParentShardIDs: parentsOf(s),
	}
	if hr := s.HashKeyRange; hr != nil {
		l.StartingHashKey, l.EndingHashKey = aws.ToString(hr.StartingHashKey), aws.ToString(hr.EndingHashKey)
	}
	return l
}

// listShards lists the stream's shards that pass filter (nil: all within
// the retention period).
func (r *run) listShards(ctx context.Context, filter *types.ShardFilter) ([]types.Shard, error) {
	retry := backoff{base: 100 * time.Millisecond, max: 5 * time.Second}
	var shards []types.Shard
	in := &kinesis.ListShardsInput{StreamARN: aws.String(r.streamARN), ShardFilter: filter}
	for {
		out, err := r.c.client.ListShards(ctx, in)
		switch {
		case err == nil:
			shards = append(shards, out.Shards...)
			if out.NextToken == nil {
				return shards, nil
			}
			in = &kinesis.ListShardsInput{NextToken: out.NextToken}
			continue
		case isThrottled(err):
			if !sleep(ctx, retry.next()) {
				return nil, ctx.Err()
			}
		default:
			return nil, fmt.Errorf("consumer: list shards: %w", err)
		}
	}
}
