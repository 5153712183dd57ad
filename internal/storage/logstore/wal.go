package logstore

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"github.com/runnel-dev/runnel/internal/storage/vfs"
)

// preallocBytes is how far a log file is extended with zeros ahead of its
// last entry. Syncing an overwrite of blocks already allocated and sized
// needs no metadata update; syncing an append does (the file size, and on
// ext4 a journal commit). On the project's machines that made fdatasync
// about 40% cheaper, in latency and in CPU.
const preallocBytes = 1 << 20

// zeros is what log files are extended with. An all-zero entry header
// reads as the end of the log in that file (see readEntry).
var zeros [preallocBytes]byte

// wal appends to the write-ahead log. It is owned by the flusher.
type wal struct {
	fs           vfs.FS
	dir          string
	segmentBytes int64
	spares       *spareLogs

	f         vfs.File
	seq       uint64 // sequence number of f
	offset    int64  // end of the last successful write to f
	allocated int64  // f's size: writes below it only overwrite
	unsynced  bool   // f holds writes not yet synced
	nextLSN   uint64
	written   int64 // bytes written since the last checkpoint began
}

// spareLogs holds log files that a checkpoint made obsolete, to be reused
// as new log files rather than deleted: a reused file is already allocated
// at its full size, so the log's syncs overwrite instead of append (as
// Pebble's log recycling does). Spares keep their old names until reused,
// and replay ignores them as it ignores every file before the checkpoint.
// The checkpoint worker adds spares and the flusher takes them; mu
// serializes the two, directory listing and renames included.
type spareLogs struct {
	max int // how many to keep

	mu   sync.Mutex
	seqs []uint64 // oldest first
}

// newSpareLogs returns a holder of as many spares as a checkpoint may
// release at a time: one more than the log files it spans.
func newSpareLogs(opts Options) *spareLogs {
	return &spareLogs{max: max(2, int(opts.CheckpointBytes/opts.WALSegmentBytes)+1)}
}

// release keeps the log files before file seq as spares, or removes them
// if enough are kept. It lists the directory under the lock, so that a
// file being renamed into use is never seen under its old name.
func (s *spareLogs) release(fs vfs.FS, dir string, seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seqs, err := listWAL(fs, dir)
	if err != nil {
		return err
	}
	for _, old := range seqs {
		switch {
		case old >= seq || slices.Contains(s.seqs, old):
		case len(s.seqs) < s.max:
			s.seqs = append(s.seqs, old)
		default:
			if err := fs.Remove(walPath(dir, old)); err != nil {
				return err
			}
		}
	}
	return nil
}

// reuse renames a spare to log file seq and opens it. It returns a nil
// file if no spare could be had; the caller then creates the file.
func (s *spareLogs) reuse(fs vfs.FS, dir string, seq uint64) vfs.File {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.seqs) > 0 {
		old := s.seqs[0]
		s.seqs = s.seqs[1:]
		if err := fs.Rename(walPath(dir, old), walPath(dir, seq)); err != nil {
			continue // gone or unusable: try the next, or create
		}
		if f, err := fs.Open(walPath(dir, seq)); err == nil {
			return f
		}
	}
	return nil
}

func walPath(dir string, seq uint64) string { return filepath.Join(dir, fmt.Sprintf("%016x.wal", seq)) }

// listWAL returns the sequence numbers of the log files in dir, sorted.
func listWAL(fs vfs.FS, dir string) ([]uint64, error) {
	names, err := fs.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, name := range names {
		var seq uint64
		if n, err := fmt.Sscanf(name, "%016x.wal", &seq); err == nil && n == 1 && len(name) == 20 {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// create starts log file seq, reusing a spare if there is one, and makes
// it durable (file, size and directory entry), so that a later fdatasync
// of its data is enough. A reused file still holds its old entries after
// the new header; they read as a damaged tail, like a torn write, and are
// overwritten as the log grows.
func (w *wal) create(seq uint64) error {
	path := walPath(w.dir, seq)
	f := w.spares.reuse(w.fs, w.dir, seq)
	if f == nil {
		var err error
		if f, err = w.fs.Create(path); err != nil {
			return err
		}
	}
	_, err := f.WriteAt(appendFileHeader(nil, kindWAL, seq), 0)
	var size int64
	if err == nil {
		size, err = f.Size()
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = w.fs.SyncDir(w.dir)
	}
	if err != nil {
		f.Close()
		w.fs.Remove(path)
		return err
	}
	if w.f != nil {
		w.f.Close()
	}
	w.f, w.seq, w.offset, w.allocated, w.unsynced = f, seq, fileHeaderSize, size, false
	return nil
}

// full reports whether the next write starts a new file.
func (w *wal) full() bool { return w.offset >= w.segmentBytes }

// write appends b, one or more whole entries, without syncing, and returns
// the offset in the current file where b starts. On error nothing is
// considered written: the next write starts at the same offset, over
// whatever part of b reached the file. Stale entries beyond the end of the
// log stop replay because their LSNs are lower.
func (w *wal) write(b []byte) (int64, error) {
	if w.full() {
		if err := w.seal(); err != nil {
			return 0, err
		}
		if err := w.create(w.seq + 1); err != nil {
			return 0, err
		}
	}
	start := w.offset
	if _, err := w.f.WriteAt(b, start); err != nil {
		return 0, err
	}
	w.unsynced = true
	end := start + int64(len(b))
	if err := w.extend(end); err != nil {
		return 0, err
	}
	w.offset = end
	w.written += int64(len(b))
	return start, nil
}

// extend follows a write that grew the file, ending at end, with up to
// preallocBytes of zeros, short of the size at which the log moves to a
// new file, so that the syncs after the next one overwrite. The zeros are
// synced along with the entries before them.
func (w *wal) extend(end int64) error {
	n := min(end+preallocBytes, w.segmentBytes) - end
	if end <= w.allocated || n <= 0 {
		return nil
	}
	if _, err := w.f.WriteAt(zeros[:n], end); err != nil {
		return err
	}
	w.allocated = end + n
	return nil
}

// seal marks the end of the current file's entries with an all-zero entry
// header and syncs it, before the log moves to a new file or the engine
// closes. Without it, replay could not tell the end of a reused file's
// entries from damage (what follows is its old entries), nor the end of
// any file after a failed write (what follows is the failed write).
func (w *wal) seal() error {
	if _, err := w.f.WriteAt(zeros[:walHeaderSize], w.offset); err != nil {
		return err
	}
	w.unsynced = true
	return w.sync()
}

// rewind makes the current file end at offset again, after a failed sync:
// what was written after it is no longer considered written.
func (w *wal) rewind(offset int64) {
	w.offset = offset
}

// sync flushes the writes not yet synced.
func (w *wal) sync() error {
	if !w.unsynced {
		return nil
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	w.unsynced = false
	return nil
}

func (w *wal) close() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
