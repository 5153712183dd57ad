package logstore

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/runnel-dev/runnel/internal/storage"
)

// group is one commit of the flusher: the requests whose effects share a
// write-ahead log write and sync. Changes to shards are made on private
// copies of their views and published only once the log write, and with
// SyncAlways its sync, succeeded.
type group struct {
	wal    []byte     // the entries to append to the write-ahead log
	reqs   []*request // all its requests, answered after the commit, in order
	errs   []error    // the outcome of staging each request
	shards []*pendingShard
	byID   map[storage.ShardID]*pendingShard // latest incarnation per shard
	start  int64                             // offset of its log entries in the current log file
	end    logPos                            // the log's end after them
}

// pendingShard is a shard changed by the group.
type pendingShard struct {
	s       *shard
	v       view
	created bool
	deleted bool
	removed []*segment // trimmed segments, whose files go once committed
}

func newGroup() *group { return &group{byID: make(map[storage.ShardID]*pendingShard)} }

// lookup returns the group's pending state of id, or nil if id has no
// live log. A shard the group has not touched yet starts from its state
// after the groups still in the pipeline, or else from its published view.
func (e *Engine) lookup(g *group, id storage.ShardID) *pendingShard {
	if ps, ok := g.byID[id]; ok {
		if ps.deleted {
			return nil
		}
		return ps
	}
	var ps *pendingShard
	if tip, ok := e.pipe.tip[id]; ok {
		if tip.deleted {
			return nil
		}
		ps = &pendingShard{s: tip.s, v: tip.v.clone()}
	} else {
		e.mu.RLock()
		s := e.shards[id]
		e.mu.RUnlock()
		if s == nil {
			return nil
		}
		ps = &pendingShard{s: s, v: s.view.Load().clone()}
	}
	g.byID[id] = ps
	g.shards = append(g.shards, ps)
	return ps
}

// stage applies r to the group's pending state and adds its log entry
// (unless replaying, when the entry is already in the log). It reports
// whether r needs the commit; on error r's effects are undone.
func (e *Engine) stage(g *group, r *request, lsn uint64, replay bool) (bool, error) {
	if r.op == walOpCreate {
		return true, e.stageCreate(g, r, lsn)
	}
	ps := e.lookup(g, r.id)
	if ps == nil {
		return false, fmt.Errorf("logstore: shard %d/%d: %w", r.id.Stream, r.id.Index, storage.ErrShardNotFound)
	}
	saved, removed := ps.v.clone(), len(ps.removed)
	var err error
	switch r.op {
	case walOpAppend:
		err = e.stageAppend(ps, r, replay)
	case walOpTrim:
		if !replay {
			r.first = trimPoint(&ps.v, r.ms)
		}
		if r.first <= ps.v.first() {
			return false, nil
		}
		err = e.trimTo(ps, r.first)
	case walOpDelete:
		ps.deleted = true
	}
	if err != nil {
		ps.v, ps.removed = saved, ps.removed[:removed]
		return false, err
	}
	if !replay {
		g.addEntry(walEntry{lsn: lsn, op: r.op, shard: r.id, arg: r.first}, r.frames)
	}
	return true, nil
}

func (g *group) addEntry(h walEntry, payload []byte) {
	h.size = uint32(walHeaderSize + len(payload))
	g.wal = appendWALHeader(g.wal, h)
	g.wal = append(g.wal, payload...)
}

func (e *Engine) stageCreate(g *group, r *request, lsn uint64) error {
	if e.lookup(g, r.id) != nil {
		return fmt.Errorf("logstore: shard %d/%d: %w", r.id.Stream, r.id.Index, storage.ErrShardExists)
	}
	s := &shard{id: r.id, dir: shardDir(e.dir, r.id, lsn), incarnation: lsn}
	if err := e.makeShardDir(s.dir); err != nil {
		return fmt.Errorf("logstore: create shard: %w", err)
	}
	if err := e.newSegmentFiles(s.dir, 0); err != nil {
		return err
	}
	ps := &pendingShard{s: s, created: true, v: view{segs: []*segment{{size: fileHeaderSize}}}}
	g.byID[r.id] = ps
	g.shards = append(g.shards, ps)
	g.addEntry(walEntry{lsn: lsn, op: walOpCreate, shard: r.id}, nil)
	return nil
}

// makeShardDir makes a new shard's directory. During recovery the
// directory may be left from before the crash: it is reused, emptied of
// all but the first segment's files (which newSegmentFiles truncates),
// because creating files is slow on some filesystems.
func (e *Engine) makeShardDir(dir string) error {
	e.dirty[e.path(shardsDir)] = true
	name := filepath.Base(dir)
	if !e.orphans[name] {
		return e.fs.MkdirAll(dir)
	}
	delete(e.orphans, name)
	names, err := e.fs.ReadDir(dir)
	if err != nil {
		return err
	}
	keep := map[string]bool{filepath.Base(segPath(dir, 0)): true, filepath.Base(indexPath(dir, 0)): true}
	for _, name := range names {
		if !keep[name] {
			if err := e.fs.Remove(filepath.Join(dir, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *Engine) stageAppend(ps *pendingShard, r *request, replay bool) error {
	if replay && r.first != ps.v.next {
		return fmt.Errorf("logstore: log entry for shard %d/%d starts at index %d, the log at %d",
			r.id.Stream, r.id.Index, r.first, ps.v.next)
	}
	r.first = ps.v.next
	return e.appendFrames(ps, r.frames, replay)
}

// appendFrames writes frames at the end of the shard's active segment,
// sealing them first (giving indexes, clamping arrivals) unless they come
// sealed from the log.
func (e *Engine) appendFrames(ps *pendingShard, frames []byte, sealed bool) error {
	v := &ps.v
	if a := v.active(); !a.empty() && a.size+int64(len(frames)) > e.opts.SegmentBytes {
		if err := e.roll(ps); err != nil {
			return err
		}
	}
	a := v.active()
	for p := 0; p < len(frames); {
		n := int(binary.LittleEndian.Uint32(frames[p:]))
		f := frames[p : p+n]
		arrival := frameArrival(f)
		if !sealed {
			arrival = max(arrival, v.lastArrival)
			sealFrame(f, v.next, arrival)
		}
		pos := a.size + int64(p)
		if k := len(a.index); k == 0 || pos-int64(a.index[k-1].offset) >= int64(e.opts.IndexInterval) {
			a.index = append(a.index, indexEntry{index: v.next, arrival: arrival, offset: uint32(pos)})
		}
		a.tail, a.lastArrival, v.lastArrival = pos, arrival, arrival
		v.next++
		p += n
	}
	path := segPath(ps.s.dir, a.base)
	if err := e.writeAt(path, frames, a.size); err != nil {
		return fmt.Errorf("logstore: write segment: %w", err)
	}
	a.size += int64(len(frames))
	return nil
}

// writeAt writes b at off in the file at path and marks it dirty.
func (e *Engine) writeAt(path string, b []byte, off int64) error {
	f, err := e.files.acquire(path)
	if err != nil {
		return err
	}
	defer e.files.release(f)
	e.dirty[path] = false
	_, err = f.WriteAt(b, off)
	return err
}

// roll closes the active segment and starts a new one at the next index.
func (e *Engine) roll(ps *pendingShard) error {
	v := &ps.v
	old := v.active()
	if err := e.newSegmentFiles(ps.s.dir, v.next); err != nil {
		return err
	}
	e.writeIndexTail(ps.s.dir, old)
	e.indexes.put(indexPath(ps.s.dir, old.base), old.index)
	v.segs[len(v.segs)-1] = &segment{base: old.base, size: old.size, tail: old.tail,
		lastArrival: old.lastArrival, indexWritten: old.indexWritten}
	v.segs = append(v.segs, &segment{base: v.next, size: fileHeaderSize, lastArrival: v.lastArrival})
	return nil
}

// newSegmentFiles creates the (empty) segment and index files of a new
// segment. The index is a hint: if its file cannot be created, reads of
// the segment scan further, and that is logged.
func (e *Engine) newSegmentFiles(dir string, base uint64) error {
	if err := e.createFile(segPath(dir, base), kindSegment, base); err != nil {
		return fmt.Errorf("logstore: create segment: %w", err)
	}
	if err := e.createFile(indexPath(dir, base), kindIndex, base); err != nil {
		e.log.Warn("logstore: create sparse index", "path", indexPath(dir, base), "err", err)
	}
	e.dirty[dir] = true
	return nil
}

// createFile creates a file holding just its header and caches it open.
func (e *Engine) createFile(path string, kind byte, base uint64) error {
	f, err := e.fs.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(appendFileHeader(nil, kind, base), 0); err != nil {
		f.Close()
		return err
	}
	of, err := e.files.add(path, f)
	if err != nil {
		return err
	}
	e.files.release(of)
	e.indexes.remove(path)
	e.dirty[path] = false
	return nil
}

// writeIndexTail writes the index entries of seg not yet in its index
// file. A failure only makes reads scan further, so it is logged and
// retried with the next commit.
func (e *Engine) writeIndexTail(dir string, seg *segment) {
	if seg.indexWritten >= len(seg.index) {
		return
	}
	var b []byte
	for _, ie := range seg.index[seg.indexWritten:] {
		b = appendIndexEntry(b, ie)
	}
	path := indexPath(dir, seg.base)
	if err := e.writeAt(path, b, fileHeaderSize+int64(seg.indexWritten)*indexEntrySize); err != nil {
		e.log.Warn("logstore: write sparse index", "path", path, "err", err)
		return
	}
	seg.indexWritten = len(seg.index)
}

// trimPoint returns the index below which whole segments hold only
// records that arrived before ms.
func trimPoint(v *view, ms int64) uint64 {
	k := 0
	for k < len(v.segs) && !v.segs[k].empty() && v.segs[k].lastArrival < ms {
		k++
	}
	if k == 0 {
		return v.first()
	}
	return v.end(k - 1)
}

// trimTo drops the segments that hold only records below index n. If that
// is all of them, a new empty active segment starts at the next index.
func (e *Engine) trimTo(ps *pendingShard, n uint64) error {
	v := &ps.v
	k := 0
	for k < len(v.segs) && !v.segs[k].empty() && v.end(k) <= n {
		k++
	}
	if k == 0 {
		return nil
	}
	if k == len(v.segs) {
		if err := e.newSegmentFiles(ps.s.dir, v.next); err != nil {
			return err
		}
		v.segs = append(v.segs, &segment{base: v.next, size: fileHeaderSize, lastArrival: v.lastArrival})
	}
	ps.removed = append(ps.removed, v.segs[:k]...)
	v.segs = slices.Clone(v.segs[k:])
	return nil
}

// publish makes the group's changes visible, once its log entries are
// written.
func (e *Engine) publish(g *group) {
	for _, ps := range g.shards {
		if ps.deleted {
			e.publishDelete(ps)
			continue
		}
		v := ps.v
		ps.s.view.Store(&v)
		if ps.created {
			e.mu.Lock()
			e.shards[ps.s.id] = ps.s
			e.mu.Unlock()
		}
		e.writeIndexTail(ps.s.dir, v.active())
		e.removeSegments(ps.s.dir, ps.removed)
	}
}

func (e *Engine) publishDelete(ps *pendingShard) {
	ps.s.view.Store(nil)
	e.mu.Lock()
	if e.shards[ps.s.id] == ps.s {
		delete(e.shards, ps.s.id)
	}
	e.mu.Unlock()
	for _, seg := range append(ps.v.segs, ps.removed...) {
		e.forgetSegment(ps.s.dir, seg)
	}
	dir := ps.s.dir
	e.worker.do(func() {
		if err := e.fs.RemoveAll(dir); err != nil {
			e.log.Error("logstore: remove deleted shard", "dir", dir, "err", err)
		}
	})
}

// removeSegments deletes the files of trimmed segments, in the background.
func (e *Engine) removeSegments(dir string, segs []*segment) {
	if len(segs) == 0 {
		return
	}
	var paths []string
	for _, seg := range segs {
		e.forgetSegment(dir, seg)
		paths = append(paths, segPath(dir, seg.base), indexPath(dir, seg.base))
	}
	e.worker.do(func() {
		for _, path := range paths {
			if err := e.fs.Remove(path); err != nil {
				e.log.Error("logstore: remove trimmed segment", "path", path, "err", err)
			}
		}
	})
}

func (e *Engine) forgetSegment(dir string, seg *segment) {
	e.files.forget(segPath(dir, seg.base))
	e.files.forget(indexPath(dir, seg.base))
	e.indexes.remove(indexPath(dir, seg.base))
}
