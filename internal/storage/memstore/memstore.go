// Package memstore is a storage.Engine that keeps everything in memory.
//
// It backs `runnel serve --in-memory` and fast tests. Nothing survives
// Close or a process exit. Each shard's log is a slice of records guarded by
// its own RWMutex, so appenders to different shards never contend on one
// lock; the engine-wide lock guards only the shard map and the metadata
// document. Append keeps the caller's Data buffers (the engine takes
// ownership, see storage.Engine.Append) and Read returns records that share
// them.
//
// Lock order: Engine.mu before shard.mu. No method holds Engine.mu while it
// takes a shard's lock.
package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/runnel-dev/runnel/internal/storage"
)

var _ storage.Engine = (*Engine)(nil)

// Engine is an in-memory storage.Engine. The zero value is not usable; call
// New.
type Engine struct {
	mu     sync.RWMutex
	closed bool
	shards map[storage.ShardID]*shard
	meta   []byte
}

// New returns an empty engine.
func New() *Engine {
	return &Engine{shards: make(map[storage.ShardID]*shard)}
}

// shard is one log. recs[i] has Index first+i; the log holds [first, next).
type shard struct {
	mu          sync.RWMutex
	deleted     bool // set by DeleteShard for callers that already hold the pointer
	recs        []storage.Record
	first       uint64
	next        uint64
	lastArrival int64
}

// CreateShard implements storage.Engine.
func (e *Engine) CreateShard(ctx context.Context, id storage.ShardID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return storage.ErrClosed
	}
	if _, ok := e.shards[id]; ok {
		return fmt.Errorf("memstore: shard %d/%d: %w", id.Stream, id.Index, storage.ErrShardExists)
	}
	e.shards[id] = &shard{}
	return nil
}

// shard returns the live shard id, or an error matching ErrClosed or
// ErrShardNotFound.
func (e *Engine) shard(ctx context.Context, id storage.ShardID) (*shard, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, storage.ErrClosed
	}
	s, ok := e.shards[id]
	if !ok {
		return nil, notFound(id)
	}
	return s, nil
}

func notFound(id storage.ShardID) error {
	return fmt.Errorf("memstore: shard %d/%d: %w", id.Stream, id.Index, storage.ErrShardNotFound)
}

// Append implements storage.Engine.
func (e *Engine) Append(ctx context.Context, id storage.ShardID, recs []storage.Record) error {
	s, err := e.shard(ctx, id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted {
		return notFound(id)
	}
	for i := range recs {
		r := &recs[i]
		r.Index = s.next
		s.next++
		r.Arrival = max(r.Arrival, s.lastArrival)
		s.lastArrival = r.Arrival
	}
	s.recs = append(s.recs, recs...)
	return nil
}

// Read implements storage.Engine.
func (e *Engine) Read(ctx context.Context, id storage.ShardID, from uint64, opts storage.ReadOptions) ([]storage.Record, error) {
	s, err := e.shard(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.deleted {
		return nil, notFound(id)
	}
	if from >= s.next {
		return nil, nil
	}
	start := int(max(from, s.first) - s.first)
	n := fit(s.recs[start:], opts)
	return slices.Clone(s.recs[start : start+n]), nil
}

// fit returns how many leading records of recs a Read bounded by opts
// returns: at least one if recs is not empty.
func fit(recs []storage.Record, opts storage.ReadOptions) int {
	n := len(recs)
	if opts.MaxRecords > 0 {
		n = min(n, opts.MaxRecords)
	}
	if opts.MaxBytes <= 0 {
		return n
	}
	size := 0
	for i := range n {
		size += recs[i].Size()
		if size > opts.MaxBytes && i > 0 {
			return i
		}
	}
	return n
}

// SeekArrival implements storage.Engine.
func (e *Engine) SeekArrival(ctx context.Context, id storage.ShardID, ms int64) (uint64, error) {
	s, err := e.shard(ctx, id)
	if err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.deleted {
		return 0, notFound(id)
	}
	return s.first + uint64(s.searchArrival(ms)), nil
}

// searchArrival returns the position in s.recs of the first record with
// Arrival >= ms, or len(s.recs). Arrivals never decrease, so the log is
// sorted by arrival.
func (s *shard) searchArrival(ms int64) int {
	i, _ := slices.BinarySearchFunc(s.recs, ms, func(r storage.Record, ms int64) int {
		return cmp.Compare(r.Arrival, ms)
	})
	return i
}

// Info implements storage.Engine.
func (e *Engine) Info(ctx context.Context, id storage.ShardID) (storage.ShardInfo, error) {
	s, err := e.shard(ctx, id)
	if err != nil {
		return storage.ShardInfo{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.deleted {
		return storage.ShardInfo{}, notFound(id)
	}
	return storage.ShardInfo{First: s.first, Next: s.next, LastArrival: s.lastArrival}, nil
}

// Trim implements storage.Engine. It discards exactly the records whose
// Arrival is < ms.
func (e *Engine) Trim(ctx context.Context, id storage.ShardID, ms int64) error {
	s, err := e.shard(ctx, id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted {
		return notFound(id)
	}
	s.dropPrefix(s.searchArrival(ms))
	return nil
}

// dropPrefix discards the first n records and lets the garbage collector
// reclaim them: their slots are cleared so that their Data is not
// referenced, and the backing array is replaced once most of it is unused.
func (s *shard) dropPrefix(n int) {
	if n == 0 {
		return
	}
	clear(s.recs[:n])
	s.recs = s.recs[n:]
	s.first += uint64(n)
	if cap(s.recs) > 2*len(s.recs)+16 {
		s.recs = slices.Clip(slices.Clone(s.recs))
	}
}

// DeleteShard implements storage.Engine.
func (e *Engine) DeleteShard(ctx context.Context, id storage.ShardID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return storage.ErrClosed
	}
	s, ok := e.shards[id]
	delete(e.shards, id)
	e.mu.Unlock()
	if !ok {
		return notFound(id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted = true
	s.recs = nil
	return nil
}

// Shards implements storage.Engine. The list is sorted by stream, then
// shard index.
func (e *Engine) Shards(ctx context.Context) ([]storage.ShardID, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, storage.ErrClosed
	}
	ids := make([]storage.ShardID, 0, len(e.shards))
	for id := range e.shards {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, compareShardID)
	return ids, nil
}

func compareShardID(a, b storage.ShardID) int {
	return cmp.Or(cmp.Compare(a.Stream, b.Stream), cmp.Compare(a.Index, b.Index))
}

// LoadMeta implements storage.Engine.
func (e *Engine) LoadMeta(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, storage.ErrClosed
	}
	return slices.Clone(e.meta), nil
}

// SaveMeta implements storage.Engine.
func (e *Engine) SaveMeta(ctx context.Context, doc []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	doc = slices.Clone(doc)
	if doc == nil {
		doc = []byte{} // a saved empty document is not "none"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return storage.ErrClosed
	}
	e.meta = doc
	return nil
}

// Close implements storage.Engine. It drops every log.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return storage.ErrClosed
	}
	e.closed = true
	e.shards = nil
	e.meta = nil
	return nil
}
