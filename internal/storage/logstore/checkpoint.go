package logstore

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"maps"
	"slices"
	"sync"

	"github.com/runnel-dev/runnel/internal/storage"
)

// checkpoint is the state of every shard as of one position in the
// write-ahead log, with all the segment data it describes on stable
// storage. Recovery starts from it and replays the log from that position.
type checkpoint struct {
	walSeq    uint64 // log file to replay from
	walOffset int64  // offset in that file
	nextLSN   uint64
	shards    []shardCheckpoint
}

type shardCheckpoint struct {
	id          storage.ShardID
	incarnation uint64
	next        uint64
	lastArrival int64
	segs        []segmentCheckpoint
}

type segmentCheckpoint struct {
	base        uint64
	size        int64
	tail        int64
	indexCount  int
	lastArrival int64
}

const (
	shardCheckpointSize   = 8 + 4 + 8 + 8 + 8 + 4
	segmentCheckpointSize = 8 + 8 + 8 + 4 + 8
)

func (cp *checkpoint) encode() []byte {
	body := binary.LittleEndian.AppendUint64(nil, cp.walSeq)
	body = binary.LittleEndian.AppendUint64(body, uint64(cp.walOffset))
	body = binary.LittleEndian.AppendUint64(body, cp.nextLSN)
	body = binary.LittleEndian.AppendUint32(body, uint32(len(cp.shards)))
	for _, s := range cp.shards {
		body = binary.LittleEndian.AppendUint64(body, s.id.Stream)
		body = binary.LittleEndian.AppendUint32(body, s.id.Index)
		body = binary.LittleEndian.AppendUint64(body, s.incarnation)
		body = binary.LittleEndian.AppendUint64(body, s.next)
		body = binary.LittleEndian.AppendUint64(body, uint64(s.lastArrival))
		body = binary.LittleEndian.AppendUint32(body, uint32(len(s.segs)))
		for _, g := range s.segs {
			body = binary.LittleEndian.AppendUint64(body, g.base)
			body = binary.LittleEndian.AppendUint64(body, uint64(g.size))
			body = binary.LittleEndian.AppendUint64(body, uint64(g.tail))
			body = binary.LittleEndian.AppendUint32(body, uint32(g.indexCount))
			body = binary.LittleEndian.AppendUint64(body, uint64(g.lastArrival))
		}
	}
	return appendChecksummed(appendFileHeader(nil, kindCheckpoint, 0), body)
}

// appendChecksummed appends a length, a CRC-32C and body.
func appendChecksummed(b, body []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(body, crcTable))
	return append(b, body...)
}

// parseChecksummed checks a file of the given kind written with
// appendChecksummed and returns its body.
func parseChecksummed(b []byte, kind byte) ([]byte, error) {
	if base, err := parseFileHeader(b, kind); err != nil {
		return nil, err
	} else if base != 0 {
		return nil, errors.New("bad file header")
	}
	b = b[fileHeaderSize:]
	if len(b) < 8 || uint64(binary.LittleEndian.Uint32(b)) != uint64(len(b)-8) {
		return nil, errors.New("bad length")
	}
	if crc32.Checksum(b[8:], crcTable) != binary.LittleEndian.Uint32(b[4:]) {
		return nil, errors.New("checksum mismatch")
	}
	return b[8:], nil
}

// decoder reads little-endian fields, remembering the first overrun.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || len(d.b) < n {
		d.err = errShort
		return make([]byte, n)
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u32() uint32 { return binary.LittleEndian.Uint32(d.take(4)) }
func (d *decoder) u64() uint64 { return binary.LittleEndian.Uint64(d.take(8)) }

// count reads a count of items of at least size bytes each, checking it
// against the bytes left so that a damaged count cannot cause a huge
// allocation.
func (d *decoder) count(size int) int {
	n := d.u32()
	if d.err == nil && uint64(n)*uint64(size) > uint64(len(d.b)) {
		d.err = errShort
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

func decodeCheckpoint(b []byte) (*checkpoint, error) {
	body, err := parseChecksummed(b, kindCheckpoint)
	if err != nil {
		return nil, err
	}
	d := &decoder{b: body}
	cp := &checkpoint{walSeq: d.u64(), walOffset: int64(d.u64()), nextLSN: d.u64()}
	cp.shards = make([]shardCheckpoint, d.count(shardCheckpointSize))
	for i := range cp.shards {
		s := &cp.shards[i]
		s.id = storage.ShardID{Stream: d.u64(), Index: d.u32()}
		s.incarnation, s.next, s.lastArrival = d.u64(), d.u64(), int64(d.u64())
		s.segs = make([]segmentCheckpoint, d.count(segmentCheckpointSize))
		for j := range s.segs {
			s.segs[j] = segmentCheckpoint{base: d.u64(), size: int64(d.u64()), tail: int64(d.u64()),
				indexCount: int(d.u32()), lastArrival: int64(d.u64())}
		}
		if d.err == nil && len(s.segs) == 0 {
			d.err = errors.New("shard without segments")
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("trailing bytes")
	}
	return cp, d.err
}

// snapshot captures the published state to checkpoint, which is the state
// as of log position p, and the paths to sync first. Only the flusher may
// call it (or Open and Close while it is stopped).
func (e *Engine) snapshot(p logPos) (*checkpoint, map[string]bool) {
	cp := &checkpoint{walSeq: p.seq, walOffset: p.offset, nextLSN: p.lsn}
	e.mu.RLock()
	for _, s := range e.shards {
		v := s.view.Load()
		sc := shardCheckpoint{id: s.id, incarnation: s.incarnation, next: v.next, lastArrival: v.lastArrival}
		for _, seg := range v.segs {
			sc.segs = append(sc.segs, segmentCheckpoint{base: seg.base, size: seg.size, tail: seg.tail,
				indexCount: seg.indexWritten, lastArrival: seg.lastArrival})
		}
		cp.shards = append(cp.shards, sc)
	}
	e.mu.RUnlock()
	slices.SortFunc(cp.shards, func(a, b shardCheckpoint) int {
		return cmp.Or(cmp.Compare(a.id.Stream, b.id.Stream), cmp.Compare(a.id.Index, b.id.Index))
	})
	dirty := e.dirty
	e.dirty = make(map[string]bool)
	e.ckpt.mu.Lock()
	maps.Copy(dirty, e.ckpt.failed)
	e.ckpt.failed = nil
	e.ckpt.mu.Unlock()
	e.wal.written = 0
	return cp, dirty
}

// maybeCheckpoint starts a background checkpoint once enough log has been
// written since the last one (or the last one failed).
func (e *Engine) maybeCheckpoint() {
	e.ckpt.mu.Lock()
	retry := e.ckpt.failed != nil
	e.ckpt.mu.Unlock()
	if (e.wal.written < e.opts.CheckpointBytes && !retry) || e.ckpt.running.Load() {
		return
	}
	cp, dirty := e.snapshot(e.pipe.published) // later groups in the pipeline are not published yet
	e.ckpt.running.Store(true)
	e.worker.do(func() {
		defer e.ckpt.running.Store(false)
		if err := e.writeCheckpoint(cp, dirty); err != nil {
			e.log.Error("logstore: checkpoint", "err", err)
			e.ckpt.mu.Lock()
			if e.ckpt.failed == nil {
				e.ckpt.failed = make(map[string]bool)
			}
			maps.Copy(e.ckpt.failed, dirty)
			e.ckpt.mu.Unlock()
		}
	})
}

// checkpointNow writes a checkpoint of the current state. The flusher and
// the worker must be stopped, so every group written is published.
func (e *Engine) checkpointNow() error {
	cp, dirty := e.snapshot(e.wal.pos())
	return e.writeCheckpoint(cp, dirty)
}

// writeCheckpoint syncs the dirty files, then atomically replaces the
// checkpoint file, then keeps the log files it makes unnecessary as spares
// or deletes them.
func (e *Engine) writeCheckpoint(cp *checkpoint, dirty map[string]bool) error {
	if err := e.syncPaths(dirty); err != nil {
		return fmt.Errorf("logstore: checkpoint: %w", err)
	}
	if err := e.replaceFile(checkpointFile, cp.encode()); err != nil {
		return fmt.Errorf("logstore: checkpoint: %w", err)
	}
	if err := e.wal.spares.release(e.fs, e.wal.dir, cp.walSeq); err != nil {
		return fmt.Errorf("logstore: checkpoint: %w", err)
	}
	return nil
}

// syncPaths syncs files, then directories, a few at a time. A file removed
// since it was written needs no sync.
func (e *Engine) syncPaths(paths map[string]bool) error {
	for _, dirs := range []bool{false, true} {
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			first error
			sem   = make(chan struct{}, 8)
		)
		for path, isDir := range paths {
			if isDir != dirs {
				continue
			}
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if err := e.syncPath(path, isDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if first != nil {
			return first
		}
	}
	return nil
}

func (e *Engine) syncPath(path string, isDir bool) error {
	if isDir {
		return e.fs.SyncDir(path)
	}
	f, err := e.files.acquire(path)
	if err != nil {
		return err
	}
	defer e.files.release(f)
	return f.Sync()
}

// replaceFile atomically replaces the named file in the engine's
// directory with data: write a temporary file, sync it, rename it over
// the old one, sync the directory.
func (e *Engine) replaceFile(name string, data []byte) error {
	tmp := e.path(name + ".tmp")
	f, err := e.fs.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(data, 0)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = e.fs.Rename(tmp, e.path(name))
	}
	if err == nil {
		err = e.fs.SyncDir(e.dir)
	}
	return err
}
