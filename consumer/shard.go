package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/aggregation"
	"github.com/runnel-dev/runnel/consumer/leases"
)

// shardWorker processes one shard for as long as this worker holds its
// lease: it waits for the shard's parents to finish, then runs processors
// over the shard's records.
type shardWorker struct {
	r     *run
	id    string
	lease *heldLease
	hash  *aggregation.HashRange // nil if the lease does not say
	log   *slog.Logger

	// ctx ends when the lease is lost (cause ErrLeaseLost) or the run
	// stops at once; soft also ends at a graceful shutdown, which stops
	// reading but lets the processor finish.
	ctx    context.Context
	cancel context.CancelCauseFunc
	soft   context.Context
	stop   context.CancelFunc
}

func newShardWorker(r *run, l leases.Lease, now time.Time) *shardWorker {
	w := &shardWorker{r: r, id: l.Key, hash: hashRangeOf(l), log: r.log.With("shard", l.Key)}
	w.ctx, w.cancel = context.WithCancelCause(r.hard)
	w.soft, w.stop = context.WithCancel(w.ctx)
	w.lease = newHeldLease(r.c.store, l, now, func() { w.cancel(ErrLeaseLost) })
	return w
}

func (w *shardWorker) run() {
	defer w.r.workerDone(w)
	if w.waitForParents() {
		w.processLoop()
	}
	if w.ctx.Err() == nil {
		// Finished the shard or shutting down gracefully: let others have it.
		if err := w.lease.release(w.ctx, w.r.cfg.now()); err != nil {
			w.log.Warn("releasing lease", "err", err)
		}
	}
}

// waitForParents waits until every parent shard is checkpointed at
// SHARD_END (or has no lease: it expired from the stream, or lies before
// the initial position). It reports false if the worker stopped first.
func (w *shardWorker) waitForParents() bool {
	parents := w.lease.snapshot().ParentShardIDs
	if len(parents) == 0 {
		return true
	}
	tick := time.NewTicker(w.r.cfg.parentPollInterval())
	defer tick.Stop()
	for {
		done, err := w.parentsDone(parents)
		if err != nil && w.soft.Err() == nil {
			w.log.Warn("checking parent shards", "err", err)
		}
		if done {
			return true
		}
		select {
		case <-w.soft.Done():
			return false
		case <-tick.C:
		}
	}
}

func (w *shardWorker) parentsDone(parents []string) (bool, error) {
	for _, p := range parents {
		l, err := w.r.c.store.Get(w.soft, p)
		switch {
		case errors.Is(err, leases.ErrNotFound):
		case err != nil:
			return false, err
		case l.Checkpoint.SequenceNumber != leases.ShardEnd:
			return false, nil
		}
	}
	return true, nil
}

// processLoop runs processors until the shard ends or the worker stops; a
// processor that fails is replaced, after a pause, by a new one that
// resumes from the last checkpoint.
func (w *shardWorker) processLoop() {
	retry := backoff{base: time.Second, max: 30 * time.Second}
	for {
		err := w.session()
		if err == nil || w.soft.Err() != nil {
			return
		}
		w.log.Error("shard processing failed; restarting from the last checkpoint", "err", err)
		if !sleep(w.soft, retry.next()) {
			return
		}
	}
}

// session runs one processor from the lease's checkpoint. It returns nil
// when the processor is done (shard end, lease lost, shutdown) and an
// error when it or the read failed.
func (w *shardWorker) session() error {
	start := w.lease.snapshot().Checkpoint
	p := w.r.c.newProcessor(w.id)
	cp := newCheckpointer(w.id, w.lease, start, w.r.cfg.now)
	if err := p.Initialize(w.ctx, InitializeInput{ShardID: w.id, Checkpoint: start}); err != nil {
		if w.ctx.Err() != nil {
			return w.interrupted(p, cp)
		}
		return fmt.Errorf("initialize: %w", err)
	}
	f := w.r.newFetcher(w.id, startOf(start, w.r.cfg.initial), w.log)
	defer f.close()
	skip := newSkipper(start, w.log)
	for {
		b, err := f.next(w.soft)
		if err != nil {
			if w.soft.Err() != nil {
				return w.interrupted(p, cp)
			}
			return err
		}
		recs := w.userRecords(b.records, &skip)
		w.r.c.metrics.read(w.id, b.millisBehindLatest, recs)
		if len(recs) > 0 {
			last := recs[len(recs)-1]
			if pos, ok := parsePosition(last.SequenceNumber, last.SubSequenceNumber); ok {
				cp.delivered(pos)
			}
			err := p.ProcessRecords(w.ctx, ProcessRecordsInput{
				ShardID: w.id, Records: recs, MillisBehindLatest: b.millisBehindLatest, Checkpointer: cp,
			})
			if w.ctx.Err() != nil {
				return w.interrupted(p, cp)
			}
			if err != nil {
				return fmt.Errorf("process records: %w", err)
			}
		}
		if b.end {
			return w.shardEnded(p, cp, b.children)
		}
		if w.soft.Err() != nil {
			return w.interrupted(p, cp)
		}
	}
}

// interrupted gives the processor its last call when the worker stops
// before the shard's end.
func (w *shardWorker) interrupted(p Processor, cp *Checkpointer) error {
	switch {
	case errors.Is(context.Cause(w.ctx), ErrLeaseLost):
		w.log.Info("lease lost")
		p.LeaseLost(w.r.hard, LeaseLostInput{ShardID: w.id})
	case w.ctx.Err() != nil:
		// Stopped at once: as if the process had died.
	default:
		if err := p.ShutdownRequested(w.ctx, ShutdownRequestedInput{ShardID: w.id, Checkpointer: cp}); err != nil {
			w.log.Warn("processor shutdown", "err", err)
		}
	}
	return nil
}

// shardEnded finishes a shard read to its end: it creates the children's
// leases (before SHARD_END, so that no child is ever missed), lets the
// processor finish, and checkpoints SHARD_END, which frees the children to
// start.
func (w *shardWorker) shardEnded(p Processor, cp *Checkpointer, children []types.ChildShard) error {
	ids := make([]string, 0, len(children))
	for _, c := range children {
		if err := w.createChild(c); err != nil {
			return err
		}
		ids = append(ids, aws.ToString(c.ShardId))
	}
	err := p.ShardEnded(w.ctx, ShardEndedInput{ShardID: w.id, ChildShardIDs: ids, Checkpointer: cp})
	if w.ctx.Err() != nil {
		return w.interrupted(p, cp)
	}
	if err != nil {
		return fmt.Errorf("shard ended: %w", err)
	}
	if err := cp.shardEnd(w.ctx, ids); err != nil {
		if w.ctx.Err() != nil {
			return w.interrupted(p, cp)
		}
		return err
	}
	w.log.Info("shard finished", "children", ids)
	w.r.kickTaker()
	return nil
}

// createChild creates the lease of a child shard, to be read from its
// start.
//
// A child of a merge gets its lease only once both parents have one: the
// other parent may be a shard whose own lease is yet to come (a child of a
// shard still being read), and a child must never see a parent without a
// lease, which it takes for one finished long ago. The last parent to end
// creates it.
func (w *shardWorker) createChild(c types.ChildShard) error {
	for _, p := range c.ParentShards {
		if p == w.id {
			continue
		}
		if _, err := w.r.c.store.Get(w.ctx, p); errors.Is(err, leases.ErrNotFound) {
			w.log.Debug("child shard waits for its other parent's lease", "child", aws.ToString(c.ShardId), "parent", p)
			return nil
		} else if err != nil {
			return fmt.Errorf("lease of parent shard %s: %w", p, err)
		}
	}
	l := leases.Lease{
		Key:            aws.ToString(c.ShardId),
		Checkpoint:     leases.Checkpoint{SequenceNumber: leases.TrimHorizon},
		ParentShardIDs: c.ParentShards,
	}
	if hr := c.HashKeyRange; hr != nil {
		l.StartingHashKey, l.EndingHashKey = aws.ToString(hr.StartingHashKey), aws.ToString(hr.EndingHashKey)
	}
	if _, err := w.r.c.store.Create(w.ctx, l); err != nil {
		return fmt.Errorf("create lease of child shard %s: %w", l.Key, err)
	}
	return nil
}

// userRecords deaggregates a batch, with the KCL's rule for user records
// outside the shard's hash range, and drops what the checkpoint covers.
func (w *shardWorker) userRecords(in []types.Record, skip *skipper) []Record {
	out := make([]Record, 0, len(in))
	for i := range in {
		kr := &in[i]
		ar := aggregation.Record{
			SequenceNumber: aws.ToString(kr.SequenceNumber), PartitionKey: aws.ToString(kr.PartitionKey),
			Data: kr.Data, ApproximateArrivalTimestamp: aws.ToTime(kr.ApproximateArrivalTimestamp),
		}
		skip.checkResumed(ar.SequenceNumber)
		urs, err := aggregation.Split(ar, w.hash)
		if err != nil {
			w.log.Warn("dropped user records of an aggregate", "err", err)
		}
		for _, u := range urs {
			r := Record{
				SequenceNumber: u.SequenceNumber, SubSequenceNumber: u.SubSequenceNumber,
				PartitionKey: u.PartitionKey, ExplicitHashKey: u.ExplicitHashKey, Data: u.Data,
				ApproximateArrivalTimestamp: u.ApproximateArrivalTimestamp, Aggregated: u.Aggregated,
			}
			if skip.keep(r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// hashRangeOf is the lease's shard hash key range, or nil if the lease
// does not record it.
func hashRangeOf(l leases.Lease) *aggregation.HashRange {
	start, ok1 := new(big.Int).SetString(l.StartingHashKey, 10)
	end, ok2 := new(big.Int).SetString(l.EndingHashKey, 10)
	if !ok1 || !ok2 {
		return nil
	}
	return &aggregation.HashRange{Start: start, End: end}
}

// skipper drops the records at or before the checkpoint a read resumed
// from (reads resume AT the checkpointed record, for the sake of partly
// processed aggregates), and warns when the checkpointed record is gone.
type skipper struct {
	active  bool // until a record past the checkpoint is seen
	checked bool // whether the first record read has been compared
	cp      leases.Checkpoint
	at      position
	log     *slog.Logger
}

func newSkipper(cp leases.Checkpoint, log *slog.Logger) skipper {
	at, ok := parsePosition(cp.SequenceNumber, cp.SubSequenceNumber)
	return skipper{active: ok, checked: !ok, cp: cp, at: at, log: log}
}

// checkResumed looks at the first record read: reading AT a checkpoint
// starts with the checkpointed record itself unless it has expired, in
// which case the stream has moved the read to its trim horizon.
func (s *skipper) checkResumed(seq string) {
	if s.checked {
		return
	}
	s.checked = true
	if seq != s.cp.SequenceNumber {
		s.log.Warn("checkpointed record no longer in the stream: reading from the trim horizon; records after the checkpoint may have expired unprocessed",
			"checkpoint", s.cp.SequenceNumber, "firstRead", seq)
	}
}

func (s *skipper) keep(r Record) bool {
	if !s.active {
		return true
	}
	p, ok := parsePosition(r.SequenceNumber, r.SubSequenceNumber)
	if ok && p.compare(s.at) <= 0 {
		return false
	}
	s.active = false
	return true
}
