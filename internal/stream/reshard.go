package stream

import (
	"sort"

	"github.com/runnel-dev/runnel/internal/apierr"
)

// MaxScalingsPerDay is how many UpdateShardCount calls a stream accepts in
// a rolling 24 hours.
const MaxScalingsPerDay = 10

const day = int64(24 * 60 * 60 * 1000)

// shardForReshard resolves a shard id named in SplitShard or MergeShards.
func (r *Registry) shardForReshard(s *Stream, id string) (*Shard, error) {
	if idx, ok := ParseShardID(id); ok {
		if sh := s.Shard(idx); sh != nil {
			return sh, nil
		}
	}
	return nil, apierr.Errorf(apierr.ResourceNotFound, "Could not find shard %s in stream %s under account %s.",
		id, s.Name, r.cfg.AccountID)
}

func (r *Registry) rejectOnDemand(s *Stream, op string) error {
	if s.Mode != ModeOnDemand {
		return nil
	}
	return apierr.Errorf(apierr.Validation,
		"%s is not supported for stream %s under account %s because it is in ON_DEMAND capacity mode.",
		op, s.Name, r.cfg.AccountID)
}

func (r *Registry) notEligible(s *Stream, sh *Shard, what string) error {
	return apierr.Errorf(apierr.InvalidArgument,
		"Shard %s in stream %s under account %s has already been merged or split, and thus is not eligible for %s.",
		ShardID(sh.Index), s.Name, r.cfg.AccountID, what)
}

// Split closes a shard and creates two children that divide its hash-key
// range at newStart.
func (r *Registry) Split(s *Stream, shardID string, newStart HashKey, now int64) error {
	if err := r.rejectOnDemand(s, "SplitShard"); err != nil {
		return err
	}
	sh, err := r.shardForReshard(s, shardID)
	if err != nil {
		return err
	}
	if err := r.checkShardLimit(1, now); err != nil {
		return err
	}
	if newStart.Cmp(sh.Range.Start.Add(1)) <= 0 || newStart.Cmp(sh.Range.End) >= 0 {
		return apierr.Errorf(apierr.InvalidArgument,
			"NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under account %s is not both greater than one plus the shard's StartingHashKey %s and less than the shard's EndingHashKey %s.",
			newStart, ShardID(sh.Index), s.Name, r.cfg.AccountID, sh.Range.Start, sh.Range.End)
	}
	if err := r.requireActive(s, now); err != nil {
		return err
	}
	if !sh.Open() {
		return r.notEligible(s, sh, "splitting")
	}
	s.split(sh, newStart, now)
	r.startUpdate(s, now)
	return nil
}

func (s *Stream) split(sh *Shard, newStart HashKey, now int64) (lo, hi *Shard) {
	sh.Closed = now
	lo = s.addShard(Range{Start: sh.Range.Start, End: newStart.Sub(1)}, now, sh.Index)
	hi = s.addShard(Range{Start: newStart, End: sh.Range.End}, now, sh.Index)
	return lo, hi
}

// Merge closes two adjacent shards and creates their child.
func (r *Registry) Merge(s *Stream, shardID, adjacentID string, now int64) error {
	if err := r.rejectOnDemand(s, "MergeShards"); err != nil {
		return err
	}
	a, err := r.shardForReshard(s, shardID)
	if err != nil {
		return err
	}
	b, err := r.shardForReshard(s, adjacentID)
	if err != nil {
		return err
	}
	if !adjacent(a, b) {
		return apierr.Errorf(apierr.InvalidArgument,
			"Shards %s and %s in stream %s under account %s are not an adjacent pair of shards eligible for merging",
			ShardID(a.Index), ShardID(b.Index), s.Name, r.cfg.AccountID)
	}
	if err := r.requireActive(s, now); err != nil {
		return err
	}
	for _, sh := range []*Shard{a, b} {
		if !sh.Open() {
			return r.notEligible(s, sh, "merging")
		}
	}
	s.merge(a, b, now)
	r.startUpdate(s, now)
	return nil
}

// adjacent reports whether the ranges of a and b touch, in either order.
func adjacent(a, b *Shard) bool {
	if a == b {
		return false
	}
	return precedes(a.Range, b.Range) || precedes(b.Range, a.Range)
}

// precedes reports whether hi starts right after lo ends. A range ending at
// 2^128-1 precedes nothing: End+1 would wrap to 0.
func precedes(lo, hi Range) bool {
	return lo.End != MaxHashKey && lo.End.Add(1) == hi.Start
}

func (s *Stream) merge(a, b *Shard, now int64) *Shard {
	a.Closed, b.Closed = now, now
	rg := Range{Start: a.Range.Start, End: b.Range.End}
	if b.Range.Start.Cmp(a.Range.Start) < 0 {
		rg = Range{Start: b.Range.Start, End: a.Range.End}
	}
	return s.addShard(rg, now, a.Index, b.Index)
}

// UpdateShardCount reshards the stream to target open shards with even
// hash-key ranges (UNIFORM_SCALING). It returns the open shard count before.
//
// As AWS does, the new layout is reached by splits and merges, so every new
// shard has at most two parents and lineage stays valid for consumers that
// finish parents before children: first each open shard is split at every
// target boundary inside it, then the pieces of each target range are
// merged left to right. The intermediate shards are closed at once and hold
// no records. Open shards whose range already equals a target range stay.
func (r *Registry) UpdateShardCount(s *Stream, target int, now int64) (int, error) {
	if err := r.rejectOnDemand(s, "UpdateShardCount"); err != nil {
		return 0, err
	}
	if err := r.requireActive(s, now); err != nil {
		return 0, err
	}
	open := s.OpenShardCount()
	if err := r.checkScaling(s, open, target, now); err != nil {
		return 0, err
	}
	s.reshardEven(target, now)
	s.Scalings = append(s.Scalings, now)
	r.startUpdate(s, now)
	return open, nil
}

func (r *Registry) checkScaling(s *Stream, open, target int, now int64) error {
	if target > r.cfg.ShardLimit-(r.OpenShardTotal(now)-open) {
		return apierr.Errorf(apierr.LimitExceeded,
			"Target shard count or number of open shards cannot be greater than %d. Current open shard count: %d, Target shard count: %d",
			r.cfg.ShardLimit, open, target)
	}
	if target > open*2 {
		return apierr.Errorf(apierr.LimitExceeded,
			"UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: %d, Target shard count: %d",
			open, target)
	}
	if target*2 < open {
		return apierr.Errorf(apierr.LimitExceeded,
			"UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: %d, Target shard count: %d",
			open, target)
	}
	recent := s.Scalings[:0]
	for _, t := range s.Scalings {
		if t > now-day {
			recent = append(recent, t)
		}
	}
	s.Scalings = recent
	if len(recent) >= MaxScalingsPerDay {
		return apierr.Errorf(apierr.LimitExceeded,
			"Stream %s under account %s has exceeded its limit of %d UpdateShardCount calls in a rolling 24-hour period.",
			s.Name, r.cfg.AccountID, MaxScalingsPerDay)
	}
	return nil
}

func (s *Stream) reshardEven(target int, now int64) {
	targets := EvenRanges(target)
	// Split phase: cut every open shard at the target boundaries inside it.
	open := s.OpenShards()
	sort.Slice(open, func(i, j int) bool { return open[i].Range.Start.Cmp(open[j].Range.Start) < 0 })
	var pieces []*Shard
	for _, sh := range open {
		for _, cut := range boundariesInside(sh.Range, targets) {
			lo, hi := s.split(sh, cut, now)
			pieces = append(pieces, lo)
			sh = hi
		}
		pieces = append(pieces, sh)
	}
	// Merge phase: pieces are in key order; fold each target's run.
	i := 0
	for _, t := range targets {
		acc := pieces[i]
		i++
		for i < len(pieces) && pieces[i].Range.Start.Cmp(t.End) <= 0 {
			acc = s.merge(acc, pieces[i], now)
			i++
		}
	}
}

// boundariesInside returns the start keys of target ranges that fall
// strictly inside rg, in key order.
func boundariesInside(rg Range, targets []Range) []HashKey {
	var cuts []HashKey
	for _, t := range targets {
		if t.Start.Cmp(rg.Start) > 0 && t.Start.Cmp(rg.End) <= 0 {
			cuts = append(cuts, t.Start)
		}
	}
	return cuts
}
