package kinesisapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/runnel-dev/runnel/internal/apierr"
	"github.com/runnel-dev/runnel/internal/eventstream"
	"github.com/runnel-dev/runnel/internal/shape"
	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/throttle"
)

// Fan-out defaults (AWS behaviour).
const (
	// DefaultSubscriptionLifetime is how long a subscription streams before
	// it ends normally and the client resubscribes.
	DefaultSubscriptionLifetime = 5 * time.Minute
	// DefaultHeartbeat is the longest a subscription stays silent: an idle
	// shard still gets an event this often, with an advancing continuation
	// sequence number.
	DefaultHeartbeat = 4 * time.Second
	// eventRecordBytes caps the record data of one event (the first record
	// is always sent, up to 10 MiB, which base64 keeps under
	// eventstream.MaxPayload).
	eventRecordBytes = 2 << 20
	eventRecordLimit = 10000
)

// subscriber is the state of one SubscribeToShard stream.
type subscriber struct {
	s    *Service
	sub  *subscription
	ref  shardRef
	gen  uint64 // the registry generation ref was read at
	pos  uint64
	out  *eventstream.Writer
	pace *throttle.Pacer // nil without throughput limits
}

// serveSubscribeToShard answers SubscribeToShard: checks like any other
// operation (answered as ordinary errors), then an event stream.
func (s *Service) serveSubscribeToShard(w http.ResponseWriter, r *http.Request, codec shape.Codec, in *shape.SubscribeToShardInput) {
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	sub, ref, pos, err := s.startSubscription(ctx, in, cancel)
	if err != nil {
		s.writeError(w, codec, err)
		return
	}
	defer s.subs.release(sub)

	rc := http.NewResponseController(w)
	// A reader that stops reading blocks our writes (flow control), never
	// our memory; the deadline ends it with the subscription.
	_ = rc.SetWriteDeadline(time.Now().Add(s.lifetime + 10*time.Second))
	w.Header().Set("Content-Type", eventstream.ContentType)
	w.WriteHeader(http.StatusOK)
	sb := &subscriber{s: s, sub: sub, ref: ref, pos: pos, out: eventstream.NewWriter(w, func() { _ = rc.Flush() })}
	if s.limits != nil {
		sb.pace = throttle.NewPacer(throttle.ReadBytesPerSecond)
	}
	if err := sb.out.InitialResponse(); err != nil {
		return
	}
	s.encoded.acquire(ref.id)
	defer s.encoded.release(ref.id)
	sb.run(ctx)
}

// startSubscription checks the request and claims the subscription slot.
func (s *Service) startSubscription(ctx context.Context, in *shape.SubscribeToShardInput, cancel context.CancelCauseFunc) (*subscription, shardRef, uint64, error) {
	var ref shardRef
	var account string
	err := s.view(func(reg *stream.Registry, now int64) error {
		st, c, err := reg.ConsumerByARN(deref(in.ConsumerARN), now)
		if err != nil {
			return err
		}
		if status := c.Status(reg.Config(), now); status != stream.ConsumerActive {
			return apierr.Errorf(apierr.ResourceInUse, "Consumer %s is not ACTIVE, instead in state %s.", deref(in.ConsumerARN), status)
		}
		account = reg.Config().AccountID
		ref, err = s.readableShard(reg, st, deref(in.ShardId), now)
		return err
	})
	if err != nil {
		return nil, ref, 0, err
	}
	sp := in.StartingPosition
	pos, err := s.position(ctx, ref, account, &shape.GetShardIteratorInput{
		ShardIteratorType: sp.Type, StartingSequenceNumber: sp.SequenceNumber, Timestamp: sp.Timestamp,
	}, s.nowMS())
	if err != nil {
		return nil, ref, 0, err
	}
	sub := &subscription{key: subKey{consumerARN: deref(in.ConsumerARN), shard: ref.id}, started: s.nowMS(), cancel: cancel}
	if !s.subs.claim(sub) {
		return nil, ref, 0, apierr.Errorf(apierr.ResourceInUse,
			"Another active subscription exists for this consumer: %s and shard: %s", deref(in.ConsumerARN), deref(in.ShardId))
	}
	return sub, ref, pos, nil
}

// run streams events until the lifetime ends, the shard is read to its
// end, the client goes away, or the subscription is cancelled.
func (sb *subscriber) run(ctx context.Context) {
	end := time.NewTimer(sb.s.lifetime)
	defer end.Stop()
	heartbeat := time.NewTimer(sb.s.heartbeat)
	defer heartbeat.Stop()
	for {
		wake := sb.s.hub.watch(sb.ref.id)
		sent, done, err := sb.step(ctx, false)
		if err != nil || done {
			sb.fail(ctx, err)
			return
		}
		if sent {
			heartbeat.Reset(sb.s.heartbeat)
			continue // there may be more: read again before waiting
		}
		select {
		case <-wake:
		case <-heartbeat.C:
			if _, done, err := sb.step(ctx, true); err != nil || done {
				sb.fail(ctx, err)
				return
			}
			heartbeat.Reset(sb.s.heartbeat)
		case <-end.C:
			return
		case <-ctx.Done():
			sb.fail(ctx, context.Cause(ctx))
			return
		}
	}
}

// step reads what is available at the position and sends it as one event;
// with force it sends an event even if there are no records. It reports
// whether it sent records and whether the shard has been read to its end.
func (sb *subscriber) step(ctx context.Context, force bool) (sent, done bool, err error) {
	s := sb.s
	// Re-read the shard's metadata only when the registry has changed
	// since the last look: resharding closes shards, and deregistration
	// and deletion end subscriptions.
	if gen := s.generation.Load(); gen != sb.gen {
		if err := sb.refresh(); err != nil {
			return false, false, err
		}
		sb.gen = gen
	}
	now := s.nowMS()
	b, err := s.readBatch(ctx, &sb.ref, sb.pos, storage.ReadOptions{MaxRecords: eventRecordLimit, MaxBytes: eventRecordBytes},
		sb.ref.horizon(now), now)
	if err != nil {
		return false, false, err
	}
	if b.read == 0 && !force && !b.end {
		return false, false, nil
	}
	ev := event{behind: b.behind}
	if b.end {
		ev.children = sb.ref.childShards()
	} else {
		ev.continuation = positionSequenceNumber(&sb.ref.shard, b.next, now)
	}
	if ev.records, err = sb.encodeRecords(b.kept, b.next); err != nil {
		return false, false, err
	}
	if err := sb.send(ctx, &ev, recordBytes(b.kept)); err != nil {
		return false, false, err
	}
	sb.pos = b.next
	return b.read > 0, b.end, nil
}

// encodeRecords returns the JSON array of recs, the records up to next of
// the shard, from the shard's cache when another subscriber has just
// encoded the same ones.
func (sb *subscriber) encodeRecords(recs []storage.Record, next uint64) ([]byte, error) {
	if len(recs) == 0 {
		return []byte("[]"), nil
	}
	first := recs[0].Index
	cache := &sb.s.encoded
	if b := cache.get(sb.ref.id, first, next); b != nil {
		return b, nil
	}
	b, err := appendRecordsJSON(nil, toRecords(&sb.ref.shard, recs))
	if err != nil {
		return nil, err
	}
	cache.put(sb.ref.id, first, next, b)
	return b, nil
}

// event is a SubscribeToShardEvent whose records are already encoded.
type event struct {
	records      []byte // JSON array
	continuation string // "" at the end of a closed shard
	behind       int64
	children     []shape.ChildShard // at the end of a closed shard
}

// appendJSON appends the event's JSON payload to b: the members of
// shape.SubscribeToShardEvent, with ContinuationSequenceNumber absent at a
// shard's end.
func (ev *event) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"Records":`...)
	b = append(b, ev.records...)
	if ev.continuation != "" {
		b = append(b, `,"ContinuationSequenceNumber":"`...)
		b = append(b, ev.continuation...) // digits only
		b = append(b, '"')
	}
	b = append(b, `,"MillisBehindLatest":`...)
	b = strconv.AppendInt(b, ev.behind, 10)
	if ev.children != nil {
		children, err := json.Marshal(ev.children)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"ChildShards":`...)
		b = append(b, children...)
	}
	return append(b, '}'), nil
}

// send writes one event, pacing it under the fan-out throughput limit.
func (sb *subscriber) send(ctx context.Context, ev *event, bytes int) error {
	if sb.pace != nil {
		if err := sb.pace.Wait(ctx, bytes); err != nil {
			return err
		}
	}
	payload, err := ev.appendJSON(make([]byte, 0, len(ev.records)+256))
	if err != nil {
		return err
	}
	return sb.out.Event(eventstream.EventSubscribeToShard, payload)
}

// fail ends the stream with the exception event for err, if there is one
// the client should see.
func (sb *subscriber) fail(ctx context.Context, err error) {
	if ctx.Err() != nil {
		// Whatever failed, the reason is why the context ended.
		err = context.Cause(ctx)
	}
	switch {
	case err == nil:
	case errors.Is(err, errTakenOver):
		_ = sb.out.Exception(apierr.ResourceInUse.Code(),
			"Another subscription for this consumer and shard has taken over: "+sb.sub.key.consumerARN+" and "+stream.ShardID(sb.ref.id.Index))
	case errors.Is(err, errDeregistered):
		_ = sb.out.Exception(apierr.ResourceNotFound.Code(), "Consumer "+sb.sub.key.consumerARN+" not found.")
	case errors.Is(err, context.Canceled):
		// The client went away: nothing to tell it.
	default:
		sb.s.log.Error("subscription failed", "consumer", sb.sub.key.consumerARN, "shard", sb.ref.id.Index, "err", err)
		_ = sb.out.Exception(apierr.InternalFailure.Code(), "Internal service failure.")
	}
}

// refresh re-reads the shard's metadata, which resharding changes, and
// checks that the consumer still exists.
func (sb *subscriber) refresh() error {
	return sb.s.view(func(reg *stream.Registry, now int64) error {
		st, _, err := reg.ConsumerByARN(sb.sub.key.consumerARN, now)
		if err != nil || st.ID != sb.ref.id.Stream {
			return errDeregistered
		}
		sh := st.Shard(sb.ref.id.Index)
		if sh == nil {
			return errDeregistered
		}
		sb.ref = shardRefOf(st, sh, now)
		return nil
	})
}
