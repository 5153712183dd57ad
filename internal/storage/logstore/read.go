package logstore

import (
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"sort"

	"github.com/runnel-dev/runnel/internal/storage"
)

// Read implements storage.Engine. It finds the record through the segment
// list and the segment's sparse index, then reads forward; every returned
// record's checksum is verified. The records' Data share one buffer per
// file read.
func (e *Engine) Read(ctx context.Context, id storage.ShardID, from uint64, opts storage.ReadOptions) ([]storage.Record, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	for {
		s, v, err := e.view(id)
		if err != nil {
			return nil, err
		}
		recs, err := e.readView(s, v, from, opts)
		if errors.Is(err, fs.ErrNotExist) && s.view.Load() != v {
			continue // a segment was trimmed while we read: read the new view
		}
		return recs, err
	}
}

func (e *Engine) readView(s *shard, v *view, from uint64, opts storage.ReadOptions) ([]storage.Record, error) {
	if from >= v.next {
		return nil, nil
	}
	from = max(from, v.first())
	r := &readBudget{opts: opts}
	r.recs = make([]storage.Record, 0, r.capacity(v.next-from))
	for i := segmentOf(v, from); i < len(v.segs) && !r.full; i++ {
		if err := e.readSegment(s, v, i, from, r); err != nil {
			return nil, err
		}
		from = v.end(i)
	}
	return r.recs, nil
}

// segmentOf returns the position of the segment holding index n.
func segmentOf(v *view, n uint64) int {
	return sort.Search(len(v.segs), func(i int) bool { return v.segs[i].base > n }) - 1
}

// readBudget collects records within ReadOptions.
type readBudget struct {
	opts  storage.ReadOptions
	recs  []storage.Record
	bytes int
	full  bool
}

// add adds r unless that would break the budget, and reports whether it
// did.
func (b *readBudget) add(r storage.Record) bool {
	if len(b.recs) > 0 && b.opts.MaxBytes > 0 && b.bytes+r.Size() > b.opts.MaxBytes {
		b.full = true
		return false
	}
	b.recs = append(b.recs, r)
	b.bytes += r.Size()
	b.full = b.opts.MaxRecords > 0 && len(b.recs) >= b.opts.MaxRecords
	return true
}

// maxPrealloc caps the records a read makes room for up front: a full
// GetRecords.
const maxPrealloc = 10000

// capacity returns how many records to make room for when avail can be
// read: as many as the budget allows, so that a large read does not grow
// its slice ten times over.
func (b *readBudget) capacity(avail uint64) int {
	n := min(avail, maxPrealloc)
	if b.opts.MaxRecords > 0 {
		n = min(n, uint64(b.opts.MaxRecords))
	}
	return int(n)
}

// chunk is how much to read at once: about what the budget allows.
func (b *readBudget) chunk(interval int) int {
	est := 1 << 20
	if b.opts.MaxBytes > 0 {
		est = b.opts.MaxBytes - b.bytes + b.opts.MaxBytes/8
	}
	if b.opts.MaxRecords > 0 {
		est = min(est, (b.opts.MaxRecords-len(b.recs))*4096)
	}
	return min(max(est+interval, 16<<10), 8<<20)
}

// readSegment reads segment i of v from index from into r.
func (e *Engine) readSegment(s *shard, v *view, i int, from uint64, r *readBudget) error {
	seg := v.segs[i]
	if seg.empty() {
		return nil
	}
	sc, err := e.scan(s, seg, e.startOffset(s, v, i, func(ie indexEntry) bool { return ie.index > from }), r.chunk(e.opts.IndexInterval))
	if err != nil {
		return err
	}
	defer sc.close()
	want := from
	for !r.full {
		f, err := sc.next()
		if err != nil || f == nil {
			return err
		}
		index := binary.LittleEndian.Uint64(f[8:])
		if index < from {
			continue // skipped without a checksum: only returned records need one
		}
		rec, _, err := decodeFrame(f)
		if err == nil && rec.Index != want {
			err = errors.New("record index out of sequence")
		}
		if err != nil {
			return sc.corrupt(err)
		}
		if r.add(rec) {
			want++
		}
	}
	return nil
}

// startOffset returns the offset of the last sparse index entry of segment
// i before the first entry for which after is true: where to start
// scanning.
func (e *Engine) startOffset(s *shard, v *view, i int, after func(indexEntry) bool) int64 {
	entries := e.segmentIndex(s, v, i)
	j := sort.Search(len(entries), func(j int) bool { return after(entries[j]) }) - 1
	if j < 0 {
		return fileHeaderSize
	}
	return int64(entries[j].offset)
}

// segmentIndex returns the sparse index of segment i: in memory for the
// active segment, through the cache for the others. A missing or damaged
// index file only makes reads scan further.
func (e *Engine) segmentIndex(s *shard, v *view, i int) []indexEntry {
	seg := v.segs[i]
	if i == len(v.segs)-1 {
		return seg.index
	}
	path := indexPath(s.dir, seg.base)
	if entries, ok := e.indexes.get(path); ok {
		return entries
	}
	b, err := e.fs.ReadFile(path)
	if err != nil {
		e.log.Warn("logstore: read sparse index", "path", path, "err", err)
		return nil
	}
	var entries []indexEntry
	if base, err := parseFileHeader(b, kindIndex); err == nil && base == seg.base {
		entries = decodeIndex(b[fileHeaderSize:])
	}
	k := sort.Search(len(entries), func(k int) bool { return int64(entries[k].offset) >= seg.size })
	entries = entries[:k]
	e.indexes.put(path, entries)
	return entries
}

// SeekArrival implements storage.Engine.
func (e *Engine) SeekArrival(ctx context.Context, id storage.ShardID, ms int64) (uint64, error) {
	if err := e.check(ctx); err != nil {
		return 0, err
	}
	for {
		s, v, err := e.view(id)
		if err != nil {
			return 0, err
		}
		n, err := e.seekView(s, v, ms)
		if errors.Is(err, fs.ErrNotExist) && s.view.Load() != v {
			continue
		}
		return n, err
	}
}

func (e *Engine) seekView(s *shard, v *view, ms int64) (uint64, error) {
	i := sort.Search(len(v.segs), func(i int) bool { return v.segs[i].lastArrival >= ms })
	if i == len(v.segs) || v.segs[i].empty() {
		return v.next, nil
	}
	start := e.startOffset(s, v, i, func(ie indexEntry) bool { return ie.arrival >= ms })
	sc, err := e.scan(s, v.segs[i], start, e.opts.IndexInterval+4096)
	if err != nil {
		return 0, err
	}
	defer sc.close()
	for {
		f, err := sc.next()
		if err != nil {
			return 0, err
		}
		if f == nil {
			return v.end(i), nil // not reached: the segment's last arrival is >= ms
		}
		if frameArrival(f) < ms {
			continue // skipped without a checksum, as in readSegment
		}
		rec, _, err := decodeFrame(f)
		if err != nil {
			return 0, sc.corrupt(err)
		}
		return rec.Index, nil
	}
}
