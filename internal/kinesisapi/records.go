package kinesisapi

import (
	"context"
	"sync"
	"time"

	"github.com/runnel-dev/runnel/internal/apierr"
	"github.com/runnel-dev/runnel/internal/seqnum"
	"github.com/runnel-dev/runnel/internal/shape"
	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/stream"
)

// Data-plane limits (AWS quotas, frozen).
const (
	maxPutRecordsBytes = 10 << 20 // PutRecords request, data plus keys
	maxGetRecordsBytes = 10 << 20 // GetRecords response
	defaultGetLimit    = 10000
)

// entry is one record of a PutRecord(s) call on its way to a shard.
type entry struct {
	shard *stream.Shard
	rec   storage.Record
	err   error // per-record failure (throttling, storage)
}

// writable resolves the target stream of a write. Records can be written
// while the stream is ACTIVE or UPDATING.
func (s *Service) writable(reg *stream.Registry, name, arn *string, now int64) (*stream.Stream, error) {
	st, err := reg.Resolve(deref(name), deref(arn), now)
	if err != nil {
		return nil, err
	}
	switch st.Status(reg.Config(), now) {
	case stream.StatusActive, stream.StatusUpdating:
		return st, nil
	}
	return nil, apierr.Errorf(apierr.ResourceNotFound, "Stream %s under account %s not found.", st.Name, reg.Config().AccountID)
}

// route picks the shard for a record from its explicit hash key or the MD5
// of its partition key.
func route(st *stream.Stream, partitionKey string, explicit *string) (*stream.Shard, error) {
	k := stream.PartitionHash(partitionKey)
	if explicit != nil {
		var err error
		if k, err = stream.ParseHashKey(*explicit); err != nil {
			return nil, apierr.Errorf(apierr.InvalidArgument,
				"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was %s", *explicit)
		}
	}
	sh := st.Route(k)
	if sh == nil {
		return nil, apierr.New(apierr.InternalFailure, "no open shard")
	}
	return sh, nil
}

// checkRecordSize enforces the stream's maximum record size.
func checkRecordSize(st *stream.Stream, size int) error {
	if max := st.MaxRecordSizeKiB * 1024; size > max {
		return apierr.Errorf(apierr.Validation,
			"1 validation error detected: Value at 'data' failed to satisfy constraint: Member must have length less than or equal to %d bytes including the partition key (%d bytes given).",
			max, size)
	}
	return nil
}

// PutRecord writes one record.
func (s *Service) PutRecord(ctx context.Context, in *shape.PutRecordInput) (*shape.PutRecordOutput, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	reg, now := s.mu.reg, s.nowMS()
	st, err := s.writable(reg, in.StreamName, in.StreamARN, now)
	if err != nil {
		return nil, err
	}
	if in.SequenceNumberForOrdering != nil {
		if _, err := seqnum.Parse(*in.SequenceNumberForOrdering); err != nil {
			return nil, apierr.Errorf(apierr.InvalidArgument,
				"ExclusiveMinimumSequenceNumber %s used in PutRecord on stream %s under account %s is invalid.",
				*in.SequenceNumberForOrdering, st.Name, reg.Config().AccountID)
		}
	}
	e, err := s.prepare(st, deref(in.PartitionKey), in.ExplicitHashKey, in.Data, now)
	if err != nil {
		return nil, err
	}
	entries := []entry{e}
	s.appendAll(ctx, st, entries)
	if e := entries[0]; e.err != nil {
		return nil, e.err
	}
	return &shape.PutRecordOutput{
		ShardId:        str(stream.ShardID(e.shard.Index)),
		SequenceNumber: str(sequenceNumber(e.shard, &entries[0].rec)),
		EncryptionType: str(st.Encryption),
	}, nil
}

// prepare validates and routes one record.
func (s *Service) prepare(st *stream.Stream, pk string, explicit *string, data []byte, now int64) (entry, error) {
	if err := checkRecordSize(st, len(data)+len(pk)); err != nil {
		return entry{}, err
	}
	sh, err := route(st, pk, explicit)
	if err != nil {
		return entry{}, err
	}
	var flags uint8
	if st.Encryption == stream.EncryptionKMS {
		flags |= storage.FlagEncrypted
	}
	return entry{shard: sh, rec: storage.Record{Arrival: now, Flags: flags, PartitionKey: pk, Data: data}}, nil
}

// PutRecords writes up to 500 records, reporting failures per record.
func (s *Service) PutRecords(ctx context.Context, in *shape.PutRecordsInput) (*shape.PutRecordsOutput, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	reg, now := s.mu.reg, s.nowMS()
	st, err := s.writable(reg, in.StreamName, in.StreamARN, now)
	if err != nil {
		return nil, err
	}
	total := 0
	entries := make([]entry, len(in.Records))
	for i := range in.Records {
		r := &in.Records[i]
		total += len(r.Data) + len(deref(r.PartitionKey))
		if entries[i], err = s.prepare(st, deref(r.PartitionKey), r.ExplicitHashKey, r.Data, now); err != nil {
			return nil, err
		}
	}
	if total > maxPutRecordsBytes {
		return nil, apierr.Errorf(apierr.InvalidArgument,
			"Records size exceeds %d bytes limit: %d bytes given.", maxPutRecordsBytes, total)
	}
	s.appendAll(ctx, st, entries)
	out := &shape.PutRecordsOutput{Records: make([]shape.PutRecordsResultEntry, len(entries))}
	failed := int32(0)
	for i := range entries {
		e := &entries[i]
		if e.err != nil {
			failed++
			code, _, msg := apierr.Describe(e.err)
			out.Records[i] = shape.PutRecordsResultEntry{ErrorCode: str(code), ErrorMessage: str(msg)}
			continue
		}
		out.Records[i] = shape.PutRecordsResultEntry{
			ShardId:        str(stream.ShardID(e.shard.Index)),
			SequenceNumber: str(sequenceNumber(e.shard, &e.rec)),
		}
	}
	out.FailedRecordCount = &failed
	out.EncryptionType = str(st.Encryption)
	return out, nil
}

// appendAll throttles the entries (when limits are on), groups them by
// shard and appends each group, concurrently across shards so that a
// durable engine commits them in one sync. Failures are recorded per
// entry. The caller holds mu shared.
func (s *Service) appendAll(ctx context.Context, st *stream.Stream, entries []entry) {
	groups := map[*stream.Shard][]int{}
	var order []*stream.Shard
	now := s.now()
	for i := range entries {
		e := &entries[i]
		id := storage.ShardID{Stream: st.ID, Index: e.shard.Index}
		if s.limits != nil && !s.limits.AllowWrite(id, e.rec.Size(), now) {
			e.err = apierr.Errorf(apierr.ProvisionedThroughputExceeded,
				"Rate exceeded for shard %s in stream %s under account %s.",
				stream.ShardID(e.shard.Index), st.Name, s.cfg.Stream.AccountID)
			continue
		}
		if groups[e.shard] == nil {
			order = append(order, e.shard)
		}
		groups[e.shard] = append(groups[e.shard], i)
	}
	if len(order) == 1 {
		s.appendGroup(ctx, st, order[0], entries, groups[order[0]])
		return
	}
	var wg sync.WaitGroup
	for _, sh := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.appendGroup(ctx, st, sh, entries, groups[sh])
		}()
	}
	wg.Wait()
}

// appendGroup appends the entries at idx, all for shard sh, in one call.
func (s *Service) appendGroup(ctx context.Context, st *stream.Stream, sh *stream.Shard, entries []entry, idx []int) {
	recs := make([]storage.Record, len(idx))
	for j, i := range idx {
		recs[j] = entries[i].rec
	}
	id := storage.ShardID{Stream: st.ID, Index: sh.Index}
	err := s.engine.Append(ctx, id, recs)
	if err == nil {
		s.hub.notify(id)
	}
	for j, i := range idx {
		if err != nil {
			s.log.Error("append failed", "stream", st.Name, "shard", sh.Index, "err", err)
			entries[i].err = apierr.New(apierr.InternalFailure, err.Error())
			continue
		}
		entries[i].rec = recs[j]
	}
}

// Positions and sequence numbers. A record's sequence-number counter is its
// log index plus one, so that a shard's StartingSequenceNumber (counter 0)
// sorts before every record and any position p can be named by a sequence
// number that AFTER_SEQUENCE_NUMBER resumes from: counter p. Fan-out
// continuation numbers rely on this.

// counterOf returns the sequence-number counter of log index i.
func counterOf(i uint64) uint64 { return i + 1 }

// atPosition returns the log position AT_SEQUENCE_NUMBER of counter c
// starts at; afterPosition the one AFTER_SEQUENCE_NUMBER starts at.
func atPosition(c uint64) uint64    { return max(c, 1) - 1 }
func afterPosition(c uint64) uint64 { return c }

// sequenceNumber formats the sequence number of a stored record.
func sequenceNumber(sh *stream.Shard, r *storage.Record) string {
	return seqnum.Fields{
		ShardCreated: sh.Created / 1000,
		ShardIndex:   sh.Index,
		Counter:      counterOf(r.Index),
		Arrival:      r.Arrival / 1000,
	}.String()
}

// positionSequenceNumber names position pos at time now: AFTER_SEQUENCE_NUMBER
// with it resumes at pos. It grows with time even while pos stands still.
func positionSequenceNumber(sh *stream.Shard, pos uint64, now int64) string {
	return seqnum.Fields{
		ShardCreated: sh.Created / 1000,
		ShardIndex:   sh.Index,
		Counter:      pos,
		Arrival:      now / 1000,
	}.String()
}

// endingSequenceNumber is the EndingSequenceNumber of a closed shard: the
// largest counter, so that it sorts after every record of the shard.
func endingSequenceNumber(sh *stream.Shard) string {
	return seqnum.Fields{
		ShardCreated: sh.Created / 1000,
		ShardIndex:   sh.Index,
		Counter:      seqnum.MaxCounter,
		Arrival:      sh.Closed / 1000,
	}.String()
}

// startingSequenceNumber is a shard's StartingSequenceNumber.
func startingSequenceNumber(sh *stream.Shard) string {
	return seqnum.Start(sh.Created/1000, sh.Index).String()
}

// amzTime formats a time as AWS does in ExpiredIteratorException messages:
// "Thu Jan 22 01:22:02 UTC 2015".
func amzTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("Mon Jan 02 15:04:05 UTC 2006")
}
