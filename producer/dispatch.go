package producer

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/aggregation"
)

// idle is how long the loop sleeps with nothing scheduled.
const idle = time.Minute

// call is one PutRecords call's records, in entry order.
type call struct{ records []*kinesisRecord }

// run is the producer's loop, its one long-lived goroutine: it seals
// aggregates whose linger has ended, collects queued Kinesis records into
// PutRecords calls within the rate limits, starts a goroutine per call,
// and refreshes the shard map. It exits when Close has nothing left to
// deliver, or when Close gives up.
func (p *Producer) run() {
	defer p.wg.Done()
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		if p.refreshDue(time.Now()) {
			p.refreshShards()
			continue
		}
		now := time.Now()
		p.mu.Lock()
		calls, next := p.collectLocked(now)
		p.roomLocked() // records may have expired
		p.mu.nextWake = next
		exit := p.mu.stopping && p.mu.bufRecords == 0 && p.mu.inFlight == 0
		p.mu.Unlock()
		for _, c := range calls {
			p.wg.Add(1)
			go p.send(c)
		}
		if exit {
			return
		}
		timer.Reset(next.Sub(now))
		select {
		case <-p.wake:
		case <-timer.C:
		case <-p.ctx.Done():
			p.abort()
			return
		}
	}
}

// collectLocked seals the aggregates that are due and returns the
// PutRecords calls to start now, and when the loop must look again.
func (p *Producer) collectLocked(now time.Time) (calls []*call, next time.Time) {
	next = now.Add(idle)
	force := p.forcedLocked()
	for _, s := range p.mu.shards {
		if len(s.open) == 0 {
			continue
		}
		if due := s.open[0].put.Add(p.cfg.linger); force || !now.Before(due) {
			p.sealLocked(s)
		} else {
			next = earliest(next, due)
		}
	}
	if p.mu.refresh && !now.Before(p.mu.refreshAfter) {
		return nil, next // hold new calls until those in flight end, then refresh
	}
	for p.mu.inFlight < p.cfg.maxInFlight {
		c := p.pickLocked(now, force, &next)
		if c == nil {
			break
		}
		calls = append(calls, c)
		p.mu.inFlight++
	}
	return calls, next
}

// pickLocked takes the next PutRecords call's records from the fronts of
// the shards' queues. Shards take turns to go first. It takes them only if
// the call is full or holds a record that is due; otherwise it returns
// nil, having lowered *next to when that may change.
func (p *Producer) pickLocked(now time.Time, force bool, next *time.Time) *call {
	b := batch{due: force}
	n := len(p.mu.shards)
	for i := 0; i < n && !b.full; i++ {
		s := p.mu.shards[(p.mu.next+i)%n]
		p.expireLocked(s, now)
		if p.gateLocked(s, now, next) {
			p.scanLocked(s, &b, now, next)
		}
		if s.queue.len() > 0 {
			*next = earliest(*next, s.queue.at(0).expires)
		}
	}
	if len(b.records) == 0 || !b.due && !b.full {
		return nil
	}
	p.mu.next = (p.mu.next + 1) % n
	for _, k := range b.records {
		p.takeLocked(k) // b holds a prefix of each shard's queue, in order
	}
	return &call{records: b.records}
}

// batch is a PutRecords call being picked.
type batch struct {
	records []*kinesisRecord
	size    int
	due     bool // holds a record whose linger has ended
	full    bool // the next record would exceed the call's limits
}

// scanLocked adds to b the records at the front of s's queue whose
// backoff has passed and that the shard's token buckets allow; with
// WithOrdering, only one, and only if none is in flight.
func (p *Producer) scanLocked(s *shard, b *batch, now time.Time, next *time.Time) {
	taken, takenBytes := 0, 0
	for j := 0; j < s.queue.len(); j++ {
		k := s.queue.at(j)
		switch {
		case p.cfg.ordered && s.inFlight+taken > 0:
			return
		case now.Before(k.notBefore):
			*next = earliest(*next, k.notBefore)
			return
		case j > 0 && !now.Before(k.expires):
			return // expire it at the front first
		case len(b.records) == p.cfg.collectMaxCount || b.size+k.size() > p.cfg.collectMaxSize:
			b.full = true
			return
		case !s.bytes.allows(takenBytes, k.size(), now) || !s.records.allows(taken, 1, now):
			if taken == 0 { // else the call taking the others brings the loop back
				*next = earliest(*next, latest(s.bytes.readyAt(0, k.size(), now), s.records.readyAt(0, 1, now)))
			}
			return
		}
		b.records = append(b.records, k)
		b.size += k.size()
		taken, takenBytes = taken+1, takenBytes+k.size()
		if !now.Before(k.due) {
			b.due = true
		} else {
			*next = earliest(*next, k.due)
		}
	}
}

// rateSlice is the share of a second's rate that a backlogged shard
// waits to have before it sends, so that a shard held by its rate limit
// sends a few calls a second with many records each, not a call per
// record as tokens trickle in.
const rateSlice = 20

// gateLocked reports whether s may send now: its buckets allow its
// backlog, or a rateSlice of a second's worth of it. If not, it lowers
// *next to when they will.
func (p *Producer) gateLocked(s *shard, now time.Time, next *time.Time) bool {
	if s.queue.len() == 0 {
		return false
	}
	recs := min(s.queue.len(), max(1, p.cfg.shardRecsPerSec/rateSlice))
	size := min(s.queuedBytes, max(1, p.cfg.shardBytesPerSec/rateSlice))
	if p.cfg.ordered { // one record at a time
		recs, size = 1, s.queue.at(0).size()
	}
	if s.records.allows(0, recs, now) && s.bytes.allows(0, size, now) {
		return true
	}
	*next = earliest(*next, latest(s.records.readyAt(0, recs, now), s.bytes.readyAt(0, size, now)))
	return false
}

// takeLocked moves k, the front of its shard's queue, into a call.
func (p *Producer) takeLocked(k *kinesisRecord) {
	s := k.shard
	s.queue.popFront()
	p.dequeuedLocked(s, k.size())
	s.bytes.take(k.size())
	s.records.take(1)
	s.inFlight++
	k.attempts++
	for _, u := range k.users {
		u.attempts++
	}
}

// send makes one PutRecords call and settles its records.
func (p *Producer) send(c *call) {
	defer p.wg.Done()
	in := &kinesis.PutRecordsInput{Records: make([]types.PutRecordsRequestEntry, len(c.records))}
	p.stream.setPut(in)
	for i, k := range c.records {
		e := &in.Records[i]
		e.Data, e.PartitionKey = k.data, aws.String(k.pk)
		if k.ehk != "" {
			e.ExplicitHashKey = aws.String(k.ehk)
		}
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.requestTimeout)
	out, err := p.client.PutRecords(ctx, in)
	cancel()
	p.m.calls.Add(1)
	p.m.kinesisSent.Add(uint64(len(c.records)))
	if err == nil && len(out.Records) != len(c.records) {
		err = &EntryError{Code: "InvalidResponse", Message: "PutRecords answered a different number of entries"}
	}
	now := time.Now()
	p.mu.Lock()
	p.mu.inFlight--
	for _, k := range c.records {
		k.shard.inFlight--
	}
	if err != nil {
		p.callFailedLocked(c, err, now)
	} else {
		p.settleLocked(c, out.Records, now)
	}
	p.roomLocked()
	p.mu.Unlock()
	p.signal()
}

// settleLocked applies a PutRecords answer entry by entry.
func (p *Producer) settleLocked(c *call, entries []types.PutRecordsResultEntry, now time.Time) {
	for i, e := range entries {
		k := c.records[i]
		if e.ErrorCode == nil {
			p.deliveredLocked(k, aws.ToString(e.ShardId), aws.ToString(e.SequenceNumber), now)
			continue
		}
		err := &EntryError{Code: aws.ToString(e.ErrorCode), Message: aws.ToString(e.ErrorMessage)}
		if err.Code == codeThrottled {
			p.m.throttles.Add(1)
		}
		if retryableEntry(err.Code) {
			p.retryLocked(k, err, now)
		} else {
			p.log.Warn("producer: record refused", "shard", k.shard.id, "code", err.Code, "message", err.Message)
			p.failRecordLocked(k, err, now)
		}
	}
}

// deliveredLocked settles a Kinesis record that Kinesis stored. One that
// landed on a shard other than the predicted one (the shard map changed)
// starts a refresh; an aggregate there waits for the new map, because the
// KCL drops an aggregate holding user records outside its shard's range
// (see misplaced).
func (p *Producer) deliveredLocked(k *kinesisRecord, shardID, seq string, now time.Time) {
	if shardID != k.shard.id {
		if !p.mu.refresh {
			p.log.Info("producer: record landed on an unexpected shard; refreshing the shard map",
				"predicted", k.shard.id, "actual", shardID)
		}
		p.mu.refresh = true
		if k.aggregated {
			p.mu.misplaced = append(p.mu.misplaced, misplaced{k, shardID, seq})
			return
		}
	}
	p.settleDeliveredLocked(k, shardID, seq, now)
}

func (p *Producer) settleDeliveredLocked(k *kinesisRecord, shardID, seq string, now time.Time) {
	p.m.kinesisDelivered.Add(1)
	for i, u := range k.users {
		res := Result{ShardID: shardID, SequenceNumber: seq, Aggregated: k.aggregated}
		if k.aggregated {
			res.SubSequenceNumber = uint64(i)
		}
		p.finishLocked(u, res, now)
	}
}

// callFailedLocked settles the records of a call that failed as a whole.
func (p *Producer) callFailedLocked(c *call, err error, now time.Time) {
	p.m.callErrors.Add(1)
	retry := retryableCall(err)
	p.log.Warn("producer: PutRecords failed", "records", len(c.records), "retry", retry, "error", err)
	for _, k := range c.records {
		if retry {
			p.retryLocked(k, err, now)
		} else {
			p.failRecordLocked(k, err, now)
		}
	}
}

// retryLocked puts k back at the front of its shard's queue, after a
// backoff. Once Close has given up, it fails k instead.
func (p *Producer) retryLocked(k *kinesisRecord, err error, now time.Time) {
	if p.ctx.Err() != nil {
		p.failRecordLocked(k, ErrClosed, now)
		return
	}
	for _, u := range k.users {
		u.lastErr = err
	}
	k.notBefore = now.Add(backoff(k.attempts, p.cfg.backoffMin, p.cfg.backoffMax))
	k.shard.queue.pushFront(k)
	p.queuedLocked(k.shard, k.size())
	p.m.retries.Add(1)
}

func (p *Producer) failRecordLocked(k *kinesisRecord, err error, now time.Time) {
	if p.ctx.Err() != nil {
		err = ErrClosed
	}
	for _, u := range k.users {
		p.failLocked(u, err, now)
	}
}

// expireLocked fails the user records at the front of s's queue whose TTL
// has passed, re-encoding an aggregate that keeps others.
func (p *Producer) expireLocked(s *shard, now time.Time) {
	for s.queue.len() > 0 {
		k := s.queue.at(0)
		if now.Before(k.expires) {
			return
		}
		old := k.size()
		var keep []*userRecord
		for _, u := range k.users {
			if now.Before(u.deadline) {
				keep = append(keep, u)
			} else {
				p.failLocked(u, expired(u, p.cfg.ttl), now)
			}
		}
		if len(keep) == 0 {
			s.queue.popFront()
			p.dequeuedLocked(s, old)
			continue
		}
		k.setUsers(keep)
		var a aggregation.Aggregator
		p.encode(k, &a)
		p.dequeuedLocked(s, old)
		p.queuedLocked(s, k.size())
		return
	}
}

// abort fails every record not in flight with ErrClosed; the calls in
// flight, cancelled, fail theirs as they return.
func (p *Producer) abort() {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.mu.misplaced {
		p.failRecordLocked(m.k, ErrClosed, now)
	}
	p.mu.misplaced = nil
	for _, s := range p.mu.shards {
		for _, u := range s.open {
			p.failLocked(u, ErrClosed, now)
		}
		s.open = nil
		s.agg.Reset()
		for s.queue.len() > 0 {
			k := s.queue.popFront()
			p.dequeuedLocked(s, k.size())
			p.failRecordLocked(k, ErrClosed, now)
		}
	}
	p.roomLocked()
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
