package logstore

import (
	"fmt"
	"path/filepath"
	"sync/atomic"

	"github.com/runnel-dev/runnel/internal/storage"
)

// segment describes one segment file of a shard. A segment reachable from
// a published view is never modified, except for indexWritten, which only
// the flusher reads or writes.
type segment struct {
	base        uint64 // index of the segment's first record
	size        int64  // bytes holding valid frames, file header included
	tail        int64  // offset of the last frame; 0 while the segment is empty
	lastArrival int64  // arrival of the last frame; the shard's last arrival while empty
	// index is the sparse index of the active (last) segment; nil for a
	// closed segment, whose index is loaded through the indexCache.
	index        []indexEntry
	indexWritten int // entries of index already written to the index file
}

func (s *segment) empty() bool { return s.size <= fileHeaderSize }

// view is an immutable snapshot of a shard's log, published atomically by
// the flusher after each commit, so that readers take no lock.
type view struct {
	segs        []*segment // oldest first, never empty; the last one is active
	next        uint64
	lastArrival int64
}

func (v *view) first() uint64    { return v.segs[0].base }
func (v *view) active() *segment { return v.segs[len(v.segs)-1] }
func (v *view) info() storage.ShardInfo {
	return storage.ShardInfo{First: v.first(), Next: v.next, LastArrival: v.lastArrival}
}

// end returns the index after the last record of segment i.
func (v *view) end(i int) uint64 {
	if i+1 < len(v.segs) {
		return v.segs[i+1].base
	}
	return v.next
}

// clone returns a copy of v that the flusher may modify: a fresh slice and
// a fresh active segment (closed segments are shared; they never change).
func (v *view) clone() view {
	c := *v
	c.segs = append([]*segment(nil), v.segs...)
	a := *v.active()
	c.segs[len(c.segs)-1] = &a
	return c
}

// shard is one shard's log.
type shard struct {
	id  storage.ShardID
	dir string
	// incarnation is the LSN of the write-ahead log entry that created the
	// shard; it names the shard's directory, so that a shard deleted and
	// created again never shares files with its predecessor.
	incarnation uint64
	view        atomic.Pointer[view] // nil once the shard is deleted
}

// shardDir returns the directory of a shard incarnation under root.
func shardDir(root string, id storage.ShardID, incarnation uint64) string {
	return filepath.Join(root, shardsDir, fmt.Sprintf("%016x-%08x-%016x", id.Stream, id.Index, incarnation))
}

func segPath(dir string, base uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%016x.seg", base))
}
func indexPath(dir string, base uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%016x.idx", base))
}

// Names in the engine's directory.
const (
	lockFile       = "LOCK"
	checkpointFile = "CHECKPOINT"
	metaFile       = "META"
	walDir         = "wal"
	shardsDir      = "shards"
)
