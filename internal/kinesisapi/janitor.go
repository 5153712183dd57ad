package kinesisapi

import (
	"context"
	"time"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/stream"
)

// janitor periodically enforces retention and reclaims the space of
// deleted streams and expired shards. It runs until Close.
func (s *Service) janitor(interval time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			if err := s.Reclaim(ctx); err != nil {
				s.log.Warn("reclaiming storage", "err", err)
			}
			cancel()
		}
	}
}

// trimTarget is one live shard and the arrival time below which its records
// have expired.
type trimTarget struct {
	id     storage.ShardID
	cutoff int64
}

// Reclaim runs one janitor pass: it removes streams that finished DELETING
// and closed shards past retention from the registry, deletes their logs,
// and trims expired records from the remaining shards.
func (s *Service) Reclaim(ctx context.Context) error {
	var dead []storage.ShardID
	var live []trimTarget
	err := s.mutate(ctx, func(reg *stream.Registry, now int64) error {
		for _, st := range reg.Sweep(now) {
			for _, sh := range st.Shards {
				dead = append(dead, storage.ShardID{Stream: st.ID, Index: sh.Index})
			}
		}
		for _, st := range reg.Streams(now) {
			for _, idx := range reg.DropExpiredShards(st, now) {
				dead = append(dead, storage.ShardID{Stream: st.ID, Index: idx})
			}
			for _, sh := range st.Shards {
				live = append(live, trimTarget{storage.ShardID{Stream: st.ID, Index: sh.Index}, st.TrimHorizon(now)})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range dead {
		if err := s.engine.DeleteShard(ctx, id); err != nil {
			s.log.Warn("deleting shard log", "stream", id.Stream, "shard", id.Index, "err", err)
		}
	}
	for _, t := range live {
		if err := s.engine.Trim(ctx, t.id, t.cutoff); err != nil {
			s.log.Warn("trimming shard log", "stream", t.id.Stream, "shard", t.id.Index, "err", err)
		}
	}
	return nil
}

// collectOrphans deletes shard logs that the registry does not reference:
// left behind by a crash between a registry update and a log deletion.
func (s *Service) collectOrphans(ctx context.Context) error {
	ids, err := s.engine.Shards(ctx)
	if err != nil {
		return err
	}
	known := map[storage.ShardID]bool{}
	s.view(func(reg *stream.Registry, now int64) error {
		for _, st := range reg.Streams(now) {
			for _, sh := range st.Shards {
				known[storage.ShardID{Stream: st.ID, Index: sh.Index}] = true
			}
		}
		return nil
	})
	for _, id := range ids {
		if !known[id] {
			s.log.Info("deleting orphaned shard log", "stream", id.Stream, "shard", id.Index)
			if err := s.engine.DeleteShard(ctx, id); err != nil {
				return err
			}
		}
	}
	return nil
}
