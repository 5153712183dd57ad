package logstore

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/runnel-dev/runnel/internal/storage/vfs"
)

// wal appends to the write-ahead log. It is owned by the flusher.
type wal struct {
	fs           vfs.FS
	dir          string
	segmentBytes int64

	f        vfs.File
	seq      uint64 // sequence number of f
	offset   int64  // end of the last successful write to f
	unsynced bool   // f holds writes not yet synced
	nextLSN  uint64
	written  int64 // bytes written since the last checkpoint began
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

// create starts log file seq and makes it durable (file and directory
// entry), so that a later fdatasync of its data is enough.
func (w *wal) create(seq uint64) error {
	path := walPath(w.dir, seq)
	f, err := w.fs.Create(path)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(appendFileHeader(nil, kindWAL, seq), 0)
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
	w.f, w.seq, w.offset, w.unsynced = f, seq, fileHeaderSize, false
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
		if err := w.sync(); err != nil {
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
	w.offset += int64(len(b))
	w.written += int64(len(b))
	return start, nil
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
