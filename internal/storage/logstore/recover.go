package logstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
)

// recover rebuilds the engine's state from the last checkpoint and the
// write-ahead log written after it, then writes a new checkpoint so that
// the next recovery starts from here. Its work is proportional to the
// number of shards and segments and to the log written since the last
// checkpoint, never to the volume of records stored.
func (e *Engine) recover() error {
	for _, name := range []string{checkpointFile + ".tmp", metaFile + ".tmp"} {
		if err := e.fs.Remove(e.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("logstore: open: %w", err)
		}
	}
	cp, err := e.readCheckpoint()
	if err != nil {
		return err
	}
	e.wal.nextLSN = cp.nextLSN
	if err := e.loadShards(cp); err != nil {
		return err
	}
	last, err := e.replay(cp)
	if err != nil {
		return err
	}
	for name := range e.orphans {
		if err := e.fs.RemoveAll(e.path(filepath.Join(shardsDir, name))); err != nil {
			return fmt.Errorf("logstore: open: %w", err)
		}
	}
	e.orphans = nil
	if err := e.wal.create(last + 1); err != nil {
		return fmt.Errorf("logstore: open: %w", err)
	}
	return e.checkpointNow()
}

func (e *Engine) readCheckpoint() (*checkpoint, error) {
	b, err := e.fs.ReadFile(e.path(checkpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &checkpoint{nextLSN: 1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("logstore: open: %w", err)
	}
	cp, err := decodeCheckpoint(b)
	if err != nil {
		return nil, &CorruptionError{Path: e.path(checkpointFile), Reason: err.Error()}
	}
	return cp, nil
}

// loadShards sets up the shards of the checkpoint, and notes the
// directories of other shards in e.orphans.
func (e *Engine) loadShards(cp *checkpoint) error {
	names, err := e.fs.ReadDir(e.path(shardsDir))
	if err != nil {
		return fmt.Errorf("logstore: open: %w", err)
	}
	keep := make(map[string]bool, len(cp.shards))
	for i := range cp.shards {
		sc := &cp.shards[i]
		s, err := e.loadShard(sc)
		if err != nil {
			return err
		}
		e.shards[sc.id] = s
		keep[filepath.Base(s.dir)] = true
	}
	e.orphans = make(map[string]bool)
	for _, name := range names {
		if !keep[name] {
			e.orphans[name] = true
		}
	}
	return nil
}

func (e *Engine) loadShard(sc *shardCheckpoint) (*shard, error) {
	s := &shard{id: sc.id, dir: shardDir(e.dir, sc.id, sc.incarnation), incarnation: sc.incarnation}
	present, err := e.tidyShardDir(s.dir, sc)
	if err != nil {
		return nil, err
	}
	v := &view{next: sc.next, lastArrival: sc.lastArrival}
	lost := -1
	for i, g := range sc.segs {
		v.segs = append(v.segs, &segment{base: g.base, size: g.size, tail: g.tail,
			lastArrival: g.lastArrival, indexWritten: g.indexCount})
		if !present[filepath.Base(segPath(s.dir, g.base))] {
			lost = i
		}
	}
	if lost >= 0 {
		e.log.Error("logstore: segment files missing: the records they held are lost",
			"dir", s.dir, "first", v.first(), "through", v.end(lost))
		if err := e.dropSegments(s, v, lost+1); err != nil {
			return nil, err
		}
	}
	if err := e.recoverActive(s, v); err != nil {
		return nil, err
	}
	s.view.Store(v)
	return s, nil
}

// tidyShardDir removes the files of a shard's directory that the
// checkpoint does not list (segments rolled after it, or trimmed), and
// returns the names present.
func (e *Engine) tidyShardDir(dir string, sc *shardCheckpoint) (map[string]bool, error) {
	names, err := e.fs.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		err = e.fs.MkdirAll(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("logstore: open: %w", err)
	}
	want := make(map[string]bool)
	for _, g := range sc.segs {
		want[filepath.Base(segPath(dir, g.base))] = true
		want[filepath.Base(indexPath(dir, g.base))] = true
	}
	present := make(map[string]bool)
	for _, name := range names {
		if want[name] {
			present[name] = true
			continue
		}
		if err := e.fs.Remove(filepath.Join(dir, name)); err != nil {
			return nil, fmt.Errorf("logstore: open: %w", err)
		}
	}
	return present, nil
}

// dropSegments drops the first k segments of v; if that is all of them, the
// log continues in a new, empty segment.
func (e *Engine) dropSegments(s *shard, v *view, k int) error {
	if k == len(v.segs) {
		if err := e.newSegmentFiles(s.dir, v.next); err != nil {
			return err
		}
		v.segs = append(v.segs, &segment{base: v.next, size: fileHeaderSize, lastArrival: v.lastArrival})
	}
	for _, seg := range v.segs[:k] {
		for _, path := range []string{segPath(s.dir, seg.base), indexPath(s.dir, seg.base)} {
			if err := e.fs.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("logstore: open: %w", err)
			}
		}
	}
	v.segs = v.segs[k:]
	return nil
}

// recoverActive prepares the active segment for appends: it cuts what was
// written after the checkpoint (the log replays it), loads the sparse
// index, and checks the last record, cutting a damaged tail.
func (e *Engine) recoverActive(s *shard, v *view) error {
	a := v.active()
	path := segPath(s.dir, a.base)
	f, err := e.files.acquire(path)
	if err != nil {
		return fmt.Errorf("logstore: open: %w", err)
	}
	defer e.files.release(f)
	size, err := f.Size()
	if err != nil {
		return fmt.Errorf("logstore: open: %w", err)
	}
	if size > a.size {
		if err := f.Truncate(a.size); err != nil {
			return fmt.Errorf("logstore: open: %w", err)
		}
		e.dirty[path] = false
	}
	if err := e.loadActiveIndex(s.dir, a); err != nil {
		return err
	}
	if a.empty() || (size >= a.size && e.tailIntact(f, v)) {
		return nil
	}
	return e.repairTail(s, v, f, min(size, a.size))
}

// loadActiveIndex reads the active segment's sparse index entries that the
// checkpoint counts, and cuts the index file after them.
func (e *Engine) loadActiveIndex(dir string, a *segment) error {
	path := indexPath(dir, a.base)
	f, err := e.files.acquire(path)
	if errors.Is(err, fs.ErrNotExist) {
		a.index, a.indexWritten = nil, 0
		return e.newIndexFile(dir, a.base)
	}
	if err != nil {
		return fmt.Errorf("logstore: open: %w", err)
	}
	defer e.files.release(f)
	buf := make([]byte, a.indexWritten*indexEntrySize)
	n, err := f.ReadAt(buf, fileHeaderSize)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("logstore: open: %w", err)
	}
	a.index = decodeIndex(buf[:n])
	for len(a.index) > 0 && int64(a.index[len(a.index)-1].offset) >= a.size {
		a.index = a.index[:len(a.index)-1]
	}
	a.indexWritten = len(a.index)
	e.dirty[path] = false
	if err := f.Truncate(fileHeaderSize + int64(a.indexWritten)*indexEntrySize); err != nil {
		return fmt.Errorf("logstore: open: %w", err)
	}
	return nil
}

// newIndexFile replaces a missing index file with an empty one.
func (e *Engine) newIndexFile(dir string, base uint64) error {
	if err := e.createFile(indexPath(dir, base), kindIndex, base); err != nil {
		return fmt.Errorf("logstore: open: %w", err)
	}
	return nil
}

// tailIntact reports whether the active segment ends with the intact
// record Next-1.
func (e *Engine) tailIntact(f *openFile, v *view) bool {
	a := v.active()
	buf := make([]byte, a.size-a.tail)
	if _, err := f.ReadAt(buf, a.tail); err != nil {
		return false
	}
	rec, n, err := decodeFrame(buf)
	return err == nil && n == len(buf) && rec.Index == v.next-1
}

// repairTail cuts the active segment after its last intact record. The
// records cut were acknowledged, so this is reported as an error: it takes
// damage to data already on stable storage.
func (e *Engine) repairTail(s *shard, v *view, f *openFile, limit int64) error {
	a := v.active()
	sc := &scanner{f: f, e: e, path: segPath(s.dir, a.base), end: limit, off: fileHeaderSize, bufAt: fileHeaderSize, chunk: 1 << 20, maxChunk: 1 << 20}
	end, tail, next := int64(fileHeaderSize), int64(0), a.base
	lastArrival := int64(0)
	if len(v.segs) > 1 {
		lastArrival = v.segs[len(v.segs)-2].lastArrival
	}
	for {
		b, err := sc.next()
		if err != nil || b == nil {
			break
		}
		rec, _, err := decodeFrame(b)
		if err != nil || rec.Index != next {
			break
		}
		tail, end, next, lastArrival = end, end+int64(len(b)), next+1, rec.Arrival
	}
	e.log.Error("logstore: cut damaged segment tail", "path", sc.path, "offset", end, "lost_records", v.next-next)
	if err := f.Truncate(end); err != nil {
		return fmt.Errorf("logstore: open: %w", err)
	}
	e.dirty[sc.path] = false
	a.size, a.tail, a.lastArrival = end, tail, lastArrival
	v.next, v.lastArrival = next, lastArrival
	for len(a.index) > 0 && int64(a.index[len(a.index)-1].offset) >= end {
		a.index = a.index[:len(a.index)-1]
	}
	a.indexWritten = min(a.indexWritten, len(a.index))
	return nil
}

// replay applies the log written after the checkpoint, cutting a torn or
// damaged tail. It returns the sequence number of the last log file.
func (e *Engine) replay(cp *checkpoint) (uint64, error) {
	seqs, err := listWAL(e.fs, e.wal.dir)
	if err != nil {
		return 0, fmt.Errorf("logstore: open: %w", err)
	}
	last := cp.walSeq
	for i, seq := range seqs {
		last = max(last, seq)
		if seq < cp.walSeq {
			continue // checkpointed: a spare, or the next checkpoint makes it one
		}
		start := int64(fileHeaderSize)
		if seq == cp.walSeq {
			start = max(start, cp.walOffset)
		}
		end, torn, err := e.replayFile(seq, start)
		if err != nil {
			return 0, err
		}
		if torn {
			return last, e.cutLog(seqs[i:], end)
		}
	}
	return last, nil
}

// cutLog truncates log file seqs[0] at end and removes the later files,
// whose entries cannot follow a gap.
func (e *Engine) cutLog(seqs []uint64, end int64) error {
	path := walPath(e.wal.dir, seqs[0])
	e.log.Warn("logstore: cut torn write-ahead log tail", "path", path, "offset", end, "later_files_removed", len(seqs)-1)
	f, err := e.fs.Open(path)
	if err != nil {
		return fmt.Errorf("logstore: open: %w", err)
	}
	err = f.Truncate(end)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	for _, seq := range seqs[1:] {
		if err == nil {
			err = e.fs.Remove(walPath(e.wal.dir, seq))
		}
	}
	if err != nil {
		return fmt.Errorf("logstore: open: %w", err)
	}
	return nil
}

// replayFile applies the entries of one log file from offset start. It
// returns the end of the last valid entry and whether the file has
// invalid bytes after it.
func (e *Engine) replayFile(seq uint64, start int64) (int64, bool, error) {
	f, err := e.fs.Open(walPath(e.wal.dir, seq))
	if err != nil {
		return 0, false, fmt.Errorf("logstore: open: %w", err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return 0, false, fmt.Errorf("logstore: open: %w", err)
	}
	hdr := make([]byte, fileHeaderSize)
	if _, err := f.ReadAt(hdr, 0); err != nil && !errors.Is(err, io.EOF) {
		return 0, false, fmt.Errorf("logstore: open: %w", err)
	}
	if base, err := parseFileHeader(hdr, kindWAL); err != nil || base != seq {
		return 0, true, nil // a log file whose creation did not complete
	}
	r := bufio.NewReaderSize(&rampReader{r: io.NewSectionReader(f, start, size-start), n: 4 << 10}, 1<<20)
	off := start
	for {
		h, payload, err := readEntry(r, e.wal.nextLSN)
		if err == io.EOF {
			return off, false, nil
		}
		if err != nil {
			return off, true, nil
		}
		e.applyEntry(h, payload)
		e.wal.nextLSN = h.lsn + 1
		off += int64(h.size)
	}
}

// rampReader reads at most n bytes per Read, doubling n each time: replay
// reads a long log in large chunks, but a short one, followed by the zeros
// its file was extended with, without reading much of the zeros.
type rampReader struct {
	r io.Reader
	n int
}

func (r *rampReader) Read(p []byte) (int, error) {
	p = p[:min(len(p), r.n)]
	r.n *= 2
	return r.r.Read(p)
}

// readEntry reads and checks one log entry. It returns io.EOF at a clean
// end (the end of the file, or an all-zero header: the mark of a sealed
// file or the zeros it was extended with) and another error for a torn or
// damaged entry, including one whose LSN is below minLSN (left over from a
// failed write or from a reused file's previous life).
func readEntry(r io.Reader, minLSN uint64) (walEntry, []byte, error) {
	hdr := make([]byte, walHeaderSize)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return walEntry{}, nil, err
	}
	if [walHeaderSize]byte(hdr) == [walHeaderSize]byte{} {
		return walEntry{}, nil, io.EOF
	}
	h, err := decodeWALHeader(hdr)
	if err != nil {
		return h, nil, err
	}
	if h.lsn < minLSN {
		return h, nil, fmt.Errorf("stale entry (LSN %d < %d)", h.lsn, minLSN)
	}
	payload := make([]byte, h.size-walHeaderSize)
	if _, err := io.ReadFull(r, payload); err != nil {
		return h, nil, errShort
	}
	if h.op == walOpAppend {
		err = checkFrames(payload, h.arg)
	}
	return h, payload, err
}

// checkFrames checks that payload is one or more intact frames with
// consecutive indexes from first.
func checkFrames(payload []byte, first uint64) error {
	if len(payload) == 0 {
		return errors.New("empty append entry")
	}
	for next := first; len(payload) > 0; next++ {
		rec, n, err := decodeFrame(payload)
		if err != nil {
			return err
		}
		if rec.Index != next {
			return fmt.Errorf("record index %d, want %d", rec.Index, next)
		}
		payload = payload[n:]
	}
	return nil
}

// applyEntry applies one log entry during recovery. An entry that does not
// apply (which takes damage to stored data) is reported and skipped.
func (e *Engine) applyEntry(h walEntry, payload []byte) {
	r := &request{op: h.op, id: h.shard, frames: payload, first: h.arg}
	g := newGroup()
	staged, err := e.stage(g, r, h.lsn, true)
	if err != nil {
		e.log.Error("logstore: skipping log entry that does not apply", "lsn", h.lsn, "op", h.op,
			"stream", h.shard.Stream, "shard", h.shard.Index, "err", err)
		return
	}
	if staged {
		e.publish(g)
	}
}
