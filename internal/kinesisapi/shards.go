package kinesisapi

import (
	"context"
	"strconv"
	"strings"

	"github.com/runnel-dev/runnel/internal/apierr"
	"github.com/runnel-dev/runnel/internal/shape"
	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/stream"
)

// listShardsLimit is ListShards' default and effective maximum page size.
const listShardsLimit = 1000

// ShardFilter types.
const (
	afterShardID    = "AFTER_SHARD_ID"
	atTrimHorizon   = "AT_TRIM_HORIZON"
	fromTrimHorizon = "FROM_TRIM_HORIZON"
	atLatest        = "AT_LATEST"
	atTimestampF    = "AT_TIMESTAMP"
	fromTimestamp   = "FROM_TIMESTAMP"
)

// shardQuery is a ListShards request reduced to what selects shards; it is
// also what a NextToken carries to the next page.
type shardQuery struct {
	stream   string
	after    int64 // list shards with a greater index; -1 for all
	filter   string
	filterTS int64 // Unix ms, for the timestamp filters
}

// encode and decodeShardQuery give the NextToken cursor form of a query.
func (q shardQuery) encode() string {
	return strings.Join([]string{q.stream, strconv.FormatInt(q.after, 10), q.filter, strconv.FormatInt(q.filterTS, 10)}, "\x00")
}

func decodeShardQuery(s string) (shardQuery, bool) {
	f := strings.Split(s, "\x00")
	if len(f) != 4 {
		return shardQuery{}, false
	}
	after, err1 := strconv.ParseInt(f[1], 10, 64)
	ts, err2 := strconv.ParseInt(f[3], 10, 64)
	return shardQuery{stream: f[0], after: after, filter: f[2], filterTS: ts}, err1 == nil && err2 == nil
}

// ListShards lists a stream's shards, a page at a time, optionally filtered.
func (s *Service) ListShards(ctx context.Context, in *shape.ListShardsInput) (*shape.ListShardsOutput, error) {
	q, err := s.shardQuery(in)
	if err != nil {
		return nil, err
	}
	limit := listShardsLimit
	if in.MaxResults != nil && int(*in.MaxResults) < limit {
		limit = int(*in.MaxResults)
	}
	var out *shape.ListShardsOutput
	err = s.view(func(reg *stream.Registry, now int64) error {
		st, err := reg.Resolve(q.stream, "", now)
		if err != nil {
			return err
		}
		shards, more := selectShards(st, q, limit, now)
		out = &shape.ListShardsOutput{Shards: toShapes(shards)}
		if more {
			next := q
			next.after = int64(shards[len(shards)-1].Index)
			out.NextToken = str(s.sealer.SealPage("ListShards", next.encode(), now))
		}
		return nil
	})
	return out, err
}

// shardQuery checks the argument combinations of ListShards and builds the
// query, from the NextToken if there is one.
func (s *Service) shardQuery(in *shape.ListShardsInput) (shardQuery, error) {
	if in.NextToken != nil {
		switch {
		case in.StreamName != nil || in.StreamARN != nil:
			return shardQuery{}, apierr.New(apierr.InvalidArgument, "NextToken and StreamName cannot be provided together.")
		case in.ExclusiveStartShardId != nil:
			return shardQuery{}, apierr.New(apierr.InvalidArgument, "NextToken and ExclusiveStartShardId cannot be provided together.")
		case in.StreamCreationTimestamp != nil:
			return shardQuery{}, apierr.New(apierr.InvalidArgument, "NextToken and StreamCreationTimestamp cannot be provided together.")
		case in.ShardFilter != nil:
			return shardQuery{}, apierr.New(apierr.InvalidArgument, "NextToken and ShardFilter cannot be provided together.")
		}
		cursor, err := s.openPage("ListShards", *in.NextToken)
		if err != nil {
			return shardQuery{}, err
		}
		q, ok := decodeShardQuery(cursor)
		if !ok {
			return shardQuery{}, apierr.New(apierr.InvalidArgument, "Invalid NextToken.")
		}
		return q, nil
	}
	name := deref(in.StreamName)
	if in.StreamARN != nil {
		var err error
		if name, err = s.streamNameOf(deref(in.StreamName), *in.StreamARN); err != nil {
			return shardQuery{}, err
		}
	}
	if name == "" {
		return shardQuery{}, apierr.New(apierr.InvalidArgument, "Either NextToken or StreamName should be provided.")
	}
	q := shardQuery{stream: name, after: -1, filter: fromTrimHorizon}
	if in.ExclusiveStartShardId != nil {
		idx, _ := stream.ParseShardID(*in.ExclusiveStartShardId)
		q.after = int64(idx)
	}
	if f := in.ShardFilter; f != nil {
		q.filter = deref(f.Type)
		if err := fillFilter(&q, f); err != nil {
			return q, err
		}
	}
	return q, nil
}

// fillFilter copies a ShardFilter's parameters into q, checking that the
// filter type has what it needs.
func fillFilter(q *shardQuery, f *shape.ShardFilter) error {
	switch q.filter {
	case afterShardID:
		if f.ShardId == nil {
			return apierr.New(apierr.InvalidArgument, "Must specify ShardId in ShardFilter of type AFTER_SHARD_ID.")
		}
		idx, _ := stream.ParseShardID(*f.ShardId)
		q.after = max(q.after, int64(idx))
	case atTimestampF, fromTimestamp:
		if f.Timestamp == nil {
			return apierr.Errorf(apierr.InvalidArgument, "Must specify Timestamp in ShardFilter of type %s.", q.filter)
		}
		q.filterTS = f.Timestamp.UnixMilli()
	}
	if q.filter != afterShardID && f.ShardId != nil {
		return apierr.Errorf(apierr.InvalidArgument, "ShardId cannot be specified in ShardFilter of type %s.", q.filter)
	}
	return nil
}

// streamNameOf resolves a StreamARN (and optional StreamName) to a name.
func (s *Service) streamNameOf(name, arn string) (string, error) {
	var out string
	err := s.view(func(reg *stream.Registry, now int64) error {
		st, err := reg.Resolve(name, arn, now)
		if err == nil {
			out = st.Name
		}
		return err
	})
	return out, err
}

// selectShards applies a query to a stream's shards and pages the result.
func selectShards(st *stream.Stream, q shardQuery, limit int, now int64) ([]*stream.Shard, bool) {
	horizon := max(st.TrimHorizon(now), st.Created)
	ts := max(q.filterTS, horizon)
	var out []*stream.Shard
	for _, sh := range visibleShards(st, now) {
		if int64(sh.Index) <= q.after || !shardMatches(sh, q.filter, horizon, ts) {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, sh)
	}
	return out, false
}

// shardMatches applies a ShardFilter type to one shard. horizon is the trim
// horizon (never before the stream's creation); ts the filter's timestamp
// raised to the horizon. A shard closed at exactly t counts as open at t,
// as the API documents AT_TIMESTAMP: "end timestamp is greater than or
// equal to the given timestamp".
func shardMatches(sh *stream.Shard, filter string, horizon, ts int64) bool {
	openAt := func(t int64) bool { return sh.Created <= t && (sh.Open() || sh.Closed >= t) }
	switch filter {
	case atLatest:
		return sh.Open()
	case atTrimHorizon:
		return openAt(horizon)
	case atTimestampF:
		return openAt(ts)
	case fromTimestamp:
		return sh.Open() || sh.Closed >= ts
	}
	return true // FROM_TRIM_HORIZON, AFTER_SHARD_ID
}

// reshard runs a resharding change and then wakes the fan-out readers of
// the shards it closed, so that their streams end promptly.
func (s *Service) reshard(ctx context.Context, name, arn *string, fn func(reg *stream.Registry, st *stream.Stream, now int64) error) error {
	var closed []storage.ShardID
	err := s.update(ctx, name, arn, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		if err := fn(reg, st, now); err != nil {
			return err
		}
		for _, sh := range st.Shards {
			if sh.Closed == now {
				closed = append(closed, storage.ShardID{Stream: st.ID, Index: sh.Index})
			}
		}
		return nil
	})
	for _, id := range closed {
		s.hub.notify(id)
	}
	return err
}

// SplitShard splits a shard in two.
func (s *Service) SplitShard(ctx context.Context, in *shape.SplitShardInput) (*struct{}, error) {
	return nil, s.reshard(ctx, in.StreamName, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		key, err := stream.ParseHashKey(deref(in.NewStartingHashKey))
		if err != nil {
			return apierr.Errorf(apierr.InvalidArgument,
				"NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under account %s is out of range.",
				deref(in.NewStartingHashKey), deref(in.ShardToSplit), st.Name, reg.Config().AccountID)
		}
		from := st.NextShardIndex
		if err := reg.Split(st, deref(in.ShardToSplit), key, now); err != nil {
			return err
		}
		return s.createLogs(ctx, st, from)
	})
}

// MergeShards merges two adjacent shards.
func (s *Service) MergeShards(ctx context.Context, in *shape.MergeShardsInput) (*struct{}, error) {
	return nil, s.reshard(ctx, in.StreamName, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		from := st.NextShardIndex
		if err := reg.Merge(st, deref(in.ShardToMerge), deref(in.AdjacentShardToMerge), now); err != nil {
			return err
		}
		return s.createLogs(ctx, st, from)
	})
}

// UpdateShardCount reshards a stream to a target number of even shards.
func (s *Service) UpdateShardCount(ctx context.Context, in *shape.UpdateShardCountInput) (*shape.UpdateShardCountOutput, error) {
	var out *shape.UpdateShardCountOutput
	err := s.reshard(ctx, in.StreamName, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		from := st.NextShardIndex
		target := derefInt(in.TargetShardCount)
		current, err := reg.UpdateShardCount(st, int(target), now)
		if err != nil {
			return err
		}
		out = &shape.UpdateShardCountOutput{
			StreamName:        str(st.Name),
			StreamARN:         str(st.ARN(reg.Config())),
			CurrentShardCount: int32p(current),
			TargetShardCount:  &target,
		}
		return s.createLogs(ctx, st, from)
	})
	return out, err
}
