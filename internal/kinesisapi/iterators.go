package kinesisapi

import (
	"context"
	"fmt"

	"github.com/runnel-dev/runnel/internal/apierr"
	"github.com/runnel-dev/runnel/internal/seqnum"
	"github.com/runnel-dev/runnel/internal/shape"
	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/token"
)

// Iterator types.
const (
	atSequenceNumber    = "AT_SEQUENCE_NUMBER"
	afterSequenceNumber = "AFTER_SEQUENCE_NUMBER"
	trimHorizon         = "TRIM_HORIZON"
	latest              = "LATEST"
	atTimestamp         = "AT_TIMESTAMP"
)

// shardRef is a copy of what a read needs to know about a shard, taken
// under the registry lock.
type shardRef struct {
	streamName string
	id         storage.ShardID
	shard      stream.Shard
	trimAt     int64 // records that arrived before this have expired
	children   []shape.ChildShard

	// retention and expiredBefore give the trim horizon at other times
	// (see horizon), for long-lived readers.
	retention, expiredBefore int64
}

// horizon returns the trim horizon at time now, as Stream.TrimHorizon.
func (r *shardRef) horizon(now int64) int64 { return max(now-r.retention, r.expiredBefore) }

// readableShard resolves a shard for reading and copies its metadata. As
// AWS does, it names a well-formed id in its canonical form ("shardId-7"
// is shardId-000000000007) and an id it cannot parse as given.
func (s *Service) readableShard(reg *stream.Registry, st *stream.Stream, shardID string, now int64) (shardRef, error) {
	idx, ok := stream.ParseShardID(shardID)
	if !ok {
		return shardRef{}, apierr.Errorf(apierr.ResourceNotFound, "Could not find shard %s in stream %s under account %s.",
			shardID, st.Name, reg.Config().AccountID)
	}
	sh := st.Shard(idx)
	if sh == nil || st.ShardExpired(sh, now) {
		return shardRef{}, apierr.Errorf(apierr.ResourceNotFound, "Shard %s in stream %s under account %s does not exist",
			stream.ShardID(idx), st.Name, reg.Config().AccountID)
	}
	return shardRefOf(st, sh, now), nil
}

func shardRefOf(st *stream.Stream, sh *stream.Shard, now int64) shardRef {
	ref := shardRef{
		streamName: st.Name,
		id:         storage.ShardID{Stream: st.ID, Index: sh.Index},
		shard:      *sh,
		trimAt:     st.TrimHorizon(now),

		retention:     st.Retention().Milliseconds(),
		expiredBefore: st.ExpiredBefore,
	}
	for _, c := range sh.Children {
		if child := st.Shard(c); child != nil {
			ref.children = append(ref.children, childShard(child))
		}
	}
	return ref
}

func childShard(sh *stream.Shard) shape.ChildShard {
	parents := make([]string, len(sh.Parents))
	for i, p := range sh.Parents {
		parents[i] = stream.ShardID(p)
	}
	return shape.ChildShard{ShardId: str(stream.ShardID(sh.Index)), ParentShards: parents, HashKeyRange: hashKeyRange(sh.Range)}
}

func hashKeyRange(r stream.Range) *shape.HashKeyRange {
	return &shape.HashKeyRange{StartingHashKey: str(r.Start.String()), EndingHashKey: str(r.End.String())}
}

// GetShardIterator returns an iterator for a position in a shard.
func (s *Service) GetShardIterator(ctx context.Context, in *shape.GetShardIteratorInput) (*shape.GetShardIteratorOutput, error) {
	var ref shardRef
	var account string
	err := s.view(func(reg *stream.Registry, now int64) error {
		st, err := reg.Resolve(deref(in.StreamName), deref(in.StreamARN), now)
		if err != nil {
			return err
		}
		account = reg.Config().AccountID
		ref, err = s.readableShard(reg, st, deref(in.ShardId), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := s.nowMS()
	pos, err := s.position(ctx, ref, account, in, now)
	if err != nil {
		return nil, err
	}
	it := s.sealer.SealIterator(token.Iterator{StreamID: ref.id.Stream, ShardIndex: ref.id.Index, Position: pos, IssuedAt: now})
	return &shape.GetShardIteratorOutput{ShardIterator: &it}, nil
}

// position resolves the starting position of a GetShardIterator request to
// an index in the shard's log.
func (s *Service) position(ctx context.Context, ref shardRef, account string, in *shape.GetShardIteratorInput, now int64) (uint64, error) {
	typ, seq := deref(in.ShardIteratorType), in.StartingSequenceNumber
	shardID := stream.ShardID(ref.id.Index)
	switch typ {
	case atSequenceNumber, afterSequenceNumber:
		if seq == nil {
			return 0, iteratorTypeError(typ, "no")
		}
		f, err := s.checkSequence(ref, account, *seq)
		if err != nil {
			return 0, err
		}
		if typ == afterSequenceNumber {
			return afterPosition(f.Counter), nil
		}
		return atPosition(f.Counter), nil
	case trimHorizon, latest:
		if seq != nil {
			return 0, iteratorTypeError(typ, "also a")
		}
		if typ == trimHorizon {
			return s.engine.SeekArrival(ctx, ref.id, ref.trimAt)
		}
		info, err := s.engine.Info(ctx, ref.id)
		return info.Next, err
	case atTimestamp:
		if in.Timestamp == nil {
			return 0, apierr.New(apierr.InvalidArgument,
				"Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.")
		}
		ts := in.Timestamp.UnixMilli()
		if ts > now {
			return 0, apierr.Errorf(apierr.InvalidArgument,
				"The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: %d, currentTimestampInMillis: %d",
				ts, now)
		}
		return s.engine.SeekArrival(ctx, ref.id, max(ts, ref.trimAt))
	}
	return 0, fmt.Errorf("kinesisapi: iterator type %q passed validation on shard %s", typ, shardID)
}

func iteratorTypeError(typ, seq string) error {
	return apierr.Errorf(apierr.InvalidArgument,
		"Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or "+
			"(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified %s and %s StartingSequenceNumber.",
		typ, seq)
}

// checkSequence parses a StartingSequenceNumber and checks that it belongs
// to the shard, with AWS's messages (which keep the word
// "StartingSequenceNumber": consumers detect stale checkpoints by it).
func (s *Service) checkSequence(ref shardRef, account, seq string) (seqnum.Fields, error) {
	shardID := stream.ShardID(ref.id.Index)
	f, err := seqnum.Parse(seq)
	if err != nil {
		return f, apierr.Errorf(apierr.InvalidArgument,
			"StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s is invalid.",
			seq, shardID, ref.streamName, account)
	}
	if f.ShardIndex != ref.id.Index {
		return f, apierr.Errorf(apierr.InvalidArgument,
			"Invalid StartingSequenceNumber. It encodes %s, while it was used in a call to a shard with %s",
			stream.ShardID(f.ShardIndex), shardID)
	}
	if f.ShardCreated != ref.shard.Created/1000 {
		return f, apierr.Errorf(apierr.InvalidArgument,
			"StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s is invalid because it did not come from this stream.",
			seq, shardID, ref.streamName, account)
	}
	return f, nil
}

// GetRecords reads records from the position of a shard iterator.
func (s *Service) GetRecords(ctx context.Context, in *shape.GetRecordsInput) (*shape.GetRecordsOutput, error) {
	now := s.nowMS()
	it, err := s.sealer.OpenIterator(deref(in.ShardIterator))
	if err != nil {
		return nil, apierr.New(apierr.InvalidArgument, "Invalid ShardIterator.")
	}
	if token.Expired(it.IssuedAt, now, token.TTL) {
		return nil, apierr.Errorf(apierr.ExpiredIterator,
			"Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of %d milliseconds.",
			amzTime(it.IssuedAt), amzTime(now), token.TTL)
	}
	ref, err := s.iteratorShard(it, now)
	if err != nil {
		return nil, err
	}
	if s.limits != nil && !s.limits.AllowRead(ref.id, s.now()) {
		return nil, apierr.Errorf(apierr.ProvisionedThroughputExceeded,
			"Rate exceeded for shard %s in stream %s under account %s.", stream.ShardID(ref.id.Index), ref.streamName, s.cfg.Stream.AccountID)
	}
	limit := defaultGetLimit
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	return s.readFrom(ctx, ref, it.Position, limit, now)
}

// iteratorShard finds the shard an iterator points into.
func (s *Service) iteratorShard(it token.Iterator, now int64) (shardRef, error) {
	var ref shardRef
	err := s.view(func(reg *stream.Registry, now int64) error {
		st := reg.LookupID(it.StreamID, now)
		var sh *stream.Shard
		if st != nil {
			sh = st.Shard(it.ShardIndex)
		}
		if sh == nil {
			name := "(deleted)"
			if st != nil {
				name = st.Name
			}
			return apierr.Errorf(apierr.ResourceNotFound, "Shard %s in stream %s under account %s does not exist",
				stream.ShardID(it.ShardIndex), name, reg.Config().AccountID)
		}
		ref = shardRefOf(st, sh, now)
		return nil
	})
	return ref, err
}

// batch is what one read of a shard found at a position; GetRecords and
// fan-out events are built from it.
type batch struct {
	read   int              // records read, expired ones included
	kept   []storage.Record // the unexpired ones, in order
	next   uint64           // the position after the records read
	behind int64            // MillisBehindLatest
	end    bool             // a closed shard, read to its end
}

// readBatch reads records of ref's shard at pos within opts. Records that
// arrived before horizon have expired and are skipped, even if the engine
// has not trimmed them yet.
func (s *Service) readBatch(ctx context.Context, ref *shardRef, pos uint64, opts storage.ReadOptions, horizon, now int64) (batch, error) {
	recs, err := s.engine.Read(ctx, ref.id, pos, opts)
	if err != nil {
		return batch{}, err
	}
	info, err := s.engine.Info(ctx, ref.id)
	if err != nil {
		return batch{}, err
	}
	b := batch{read: len(recs), kept: recs, next: max(pos, info.First)}
	if len(recs) > 0 {
		last := &recs[len(recs)-1]
		b.next = last.Index + 1
		b.kept = unexpired(recs, horizon)
		if b.next < info.Next {
			b.behind = max(0, now-last.Arrival)
		}
	}
	b.end = !ref.shard.Open() && b.next >= info.Next
	return b, nil
}

// unexpired returns the records of recs (in arrival order) that arrived at
// or after the trim horizon.
func unexpired(recs []storage.Record, horizon int64) []storage.Record {
	i := 0
	for i < len(recs) && recs[i].Arrival < horizon {
		i++
	}
	return recs[i:]
}

func recordBytes(recs []storage.Record) int {
	n := 0
	for i := range recs {
		n += recs[i].Size()
	}
	return n
}

// childShards returns ref's children for a shard-end reply: never nil.
func (r *shardRef) childShards() []shape.ChildShard {
	if r.children == nil {
		return []shape.ChildShard{}
	}
	return r.children
}

// readFrom reads up to limit records at pos and builds the response.
func (s *Service) readFrom(ctx context.Context, ref shardRef, pos uint64, limit int, now int64) (*shape.GetRecordsOutput, error) {
	b, err := s.readBatch(ctx, &ref, pos, storage.ReadOptions{MaxRecords: limit, MaxBytes: maxGetRecordsBytes}, ref.trimAt, now)
	if err != nil {
		return nil, err
	}
	if s.limits != nil {
		s.limits.ChargeRead(ref.id, recordBytes(b.kept), s.now())
	}
	out := &shape.GetRecordsOutput{Records: toRecords(&ref.shard, b.kept), MillisBehindLatest: &b.behind}
	if b.end {
		out.ChildShards = ref.childShards()
		return out, nil
	}
	it := s.sealer.SealIterator(token.Iterator{StreamID: ref.id.Stream, ShardIndex: ref.id.Index, Position: b.next, IssuedAt: now})
	out.NextShardIterator = &it
	return out, nil
}

// toRecords converts stored records to the API shape, with the values the
// shape points to allocated together rather than one by one: a GetRecords
// response has up to 10,000 records.
func toRecords(sh *stream.Shard, recs []storage.Record) []shape.Record {
	out := make([]shape.Record, len(recs))
	vals := make([]struct {
		seq, pk, enc string
		arrival      shape.Timestamp
	}, len(recs))
	for i := range recs {
		r, v := &recs[i], &vals[i]
		v.seq, v.pk, v.enc = sequenceNumber(sh, r), r.PartitionKey, encryptionType(r)
		v.arrival = *shape.NewTimestamp(msTime(r.Arrival))
		out[i] = shape.Record{
			SequenceNumber:              &v.seq,
			ApproximateArrivalTimestamp: &v.arrival,
			Data:                        r.Data,
			PartitionKey:                &v.pk,
			EncryptionType:              &v.enc,
		}
	}
	return out
}

func encryptionType(r *storage.Record) string {
	if r.Flags&storage.FlagEncrypted != 0 {
		return stream.EncryptionKMS
	}
	return stream.EncryptionNone
}
