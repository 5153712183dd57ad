package producer

import (
	"bytes"
	"context"
	"time"
)

// This file holds what the producer does when the shard map changes.

// misplaced is an aggregate stored on a shard other than the predicted
// one, waiting for the shard map that says whether the KCL will read it.
type misplaced struct {
	k            *kinesisRecord
	shardID, seq string
}

// settleMisplacedLocked decides the misplaced aggregates once the new map
// is in: an aggregate whose user records all lie in its actual shard's
// range is delivered; the KCL drops any other whole, so its user records
// are sent again, at the front of their queue, before anything put after
// them. (A consumer that splits aggregates without the shard's range would
// see the dropped copy too.)
func (p *Producer) settleMisplacedLocked(now time.Time) {
	for _, m := range p.mu.misplaced {
		if r, ok := p.rangeOf(m.shardID); ok && containsAll(r, m.k.users) {
			p.settleDeliveredLocked(m.k, m.shardID, m.seq, now)
			continue
		}
		p.log.Debug("producer: aggregate stored across a shard boundary; sending its user records again",
			"shard", m.shardID, "sequence", m.seq, "records", len(m.k.users))
		p.retryLocked(m.k, &EntryError{Code: "WrongShard", Message: "aggregate stored on " + m.shardID + ", outside its range"}, now)
	}
	p.mu.misplaced = nil
}

func (p *Producer) rangeOf(id string) (shardRange, bool) {
	for _, r := range p.mu.ranges {
		if r.id == id {
			return r, true
		}
	}
	return shardRange{}, false
}

func containsAll(r shardRange, users []*userRecord) bool {
	for _, u := range users {
		if bytes.Compare(u.key[:], r.start[:]) < 0 || bytes.Compare(u.key[:], r.end[:]) > 0 {
			return false
		}
	}
	return true
}

// refreshDue reports whether the shard map is to be fetched now: a refresh
// was asked for, no call is in flight, and no failed fetch is backing off.
func (p *Producer) refreshDue(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.refresh && p.mu.inFlight == 0 && !now.Before(p.mu.refreshAfter)
}

// refreshShards fetches the shard map and re-routes the records of shards
// that are no longer open. It runs with no call in flight, so every
// record is in a queue, and a record of a closed shard goes to its
// successor before any later record of its partition key.
func (p *Producer) refreshShards() {
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.requestTimeout)
	ranges, err := listShards(ctx, p.client, p.stream)
	cancel()
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.log.Warn("producer: shard map refresh failed; sending with the old map meanwhile", "error", err)
		p.mu.refreshAfter = now.Add(time.Second)
		// Without a map, misplaced aggregates cannot be judged; send them
		// again, within their TTL, rather than hold them unbounded.
		for _, m := range p.mu.misplaced {
			p.retryLocked(m.k, &EntryError{Code: "WrongShard", Message: "aggregate stored on " + m.shardID + "; shard map unknown"}, now)
		}
		p.mu.misplaced = nil
		return
	}
	p.applyLocked(ranges, now)
	p.mu.refresh = false
	p.m.maps.Add(1)
	p.log.Info("producer: shard map refreshed", "shards", len(ranges))
}

// applyLocked installs a shard map. Shards that are still open keep their
// queues and buckets; the records of the others are routed again, in
// order, shard by shard.
func (p *Producer) applyLocked(ranges []shardRange, now time.Time) {
	old := p.mu.shards
	orphans := make(map[string]*shard, len(old))
	for _, s := range old {
		orphans[s.id] = s
	}
	shards := make([]*shard, len(ranges))
	for i, r := range ranges {
		if s := orphans[r.id]; s != nil && sameRange(s.shardRange, r) {
			shards[i] = s
			delete(orphans, r.id)
		} else {
			shards[i] = p.newShard(r, now)
		}
	}
	p.mu.ranges, p.mu.shards = ranges, shards
	p.settleMisplacedLocked(now) // into their old shards' queues, rerouted below if closed
	for _, s := range old {
		if orphans[s.id] == s {
			p.rerouteLocked(s)
		}
	}
}

func (p *Producer) rerouteLocked(s *shard) {
	for s.queue.len() > 0 {
		k := s.queue.popFront()
		p.dequeuedLocked(s, k.size())
		for _, u := range k.users {
			p.addLocked(p.routeLocked(u.key), u)
		}
	}
	open := s.open
	s.open = nil
	s.agg.Reset()
	for _, u := range open {
		p.addLocked(p.routeLocked(u.key), u)
	}
}
