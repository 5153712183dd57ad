// Package errorfs wraps a vfs.FS to fail chosen operations, for testing how
// a storage engine handles I/O errors (in the manner of Pebble's
// vfs/errorfs). It also counts the bytes read, so that a test can check how
// much work an operation did.
package errorfs

import (
	"errors"
	"io"
	"sync/atomic"

	"github.com/runnel-dev/runnel/internal/storage/vfs"
)

// Op is a kind of filesystem operation.
type Op int

// Operations that can be failed.
const (
	OpCreate Op = iota
	OpOpen
	OpRead
	OpWrite
	OpSync
	OpTruncate
	OpRemove
	OpRename
	OpMkdir
	OpReadDir
	OpSyncDir
)

var opNames = [...]string{"create", "open", "read", "write", "sync", "truncate", "remove", "rename", "mkdir", "readdir", "syncdir"}

func (op Op) String() string {
	if int(op) < len(opNames) {
		return opNames[op]
	}
	return "unknown"
}

// ErrInjected is the error returned by failed operations.
var ErrInjected = errors.New("errorfs: injected error")

// Injector decides whether an operation on path fails: it returns nil to
// let it proceed.
type Injector func(op Op, path string) error

// FS is a vfs.FS that consults an Injector before each operation.
type FS struct {
	fs        vfs.FS
	inject    atomic.Pointer[Injector]
	bytesRead atomic.Int64
}

var _ vfs.FS = (*FS)(nil)

// Wrap returns fs with no faults injected.
func Wrap(fs vfs.FS) *FS { return &FS{fs: fs} }

// Inject makes every later operation consult fn; nil removes it.
func (fs *FS) Inject(fn Injector) {
	if fn == nil {
		fs.inject.Store(nil)
		return
	}
	fs.inject.Store(&fn)
}

// BytesRead returns the number of bytes read through fs so far.
func (fs *FS) BytesRead() int64 { return fs.bytesRead.Load() }

func (fs *FS) check(op Op, path string) error {
	if fn := fs.inject.Load(); fn != nil {
		return (*fn)(op, path)
	}
	return nil
}

// Create implements vfs.FS.
func (fs *FS) Create(name string) (vfs.File, error) {
	if err := fs.check(OpCreate, name); err != nil {
		return nil, err
	}
	f, err := fs.fs.Create(name)
	if err != nil {
		return nil, err
	}
	return &file{File: f, fs: fs, name: name}, nil
}

// Open implements vfs.FS.
func (fs *FS) Open(name string) (vfs.File, error) {
	if err := fs.check(OpOpen, name); err != nil {
		return nil, err
	}
	f, err := fs.fs.Open(name)
	if err != nil {
		return nil, err
	}
	return &file{File: f, fs: fs, name: name}, nil
}

// ReadFile implements vfs.FS.
func (fs *FS) ReadFile(name string) ([]byte, error) {
	if err := fs.check(OpRead, name); err != nil {
		return nil, err
	}
	b, err := fs.fs.ReadFile(name)
	fs.bytesRead.Add(int64(len(b)))
	return b, err
}

// Remove implements vfs.FS.
func (fs *FS) Remove(name string) error {
	if err := fs.check(OpRemove, name); err != nil {
		return err
	}
	return fs.fs.Remove(name)
}

// RemoveAll implements vfs.FS.
func (fs *FS) RemoveAll(name string) error {
	if err := fs.check(OpRemove, name); err != nil {
		return err
	}
	return fs.fs.RemoveAll(name)
}

// Rename implements vfs.FS.
func (fs *FS) Rename(oldname, newname string) error {
	if err := fs.check(OpRename, newname); err != nil {
		return err
	}
	return fs.fs.Rename(oldname, newname)
}

// MkdirAll implements vfs.FS.
func (fs *FS) MkdirAll(dir string) error {
	if err := fs.check(OpMkdir, dir); err != nil {
		return err
	}
	return fs.fs.MkdirAll(dir)
}

// ReadDir implements vfs.FS.
func (fs *FS) ReadDir(dir string) ([]string, error) {
	if err := fs.check(OpReadDir, dir); err != nil {
		return nil, err
	}
	return fs.fs.ReadDir(dir)
}

// SyncDir implements vfs.FS.
func (fs *FS) SyncDir(dir string) error {
	if err := fs.check(OpSyncDir, dir); err != nil {
		return err
	}
	return fs.fs.SyncDir(dir)
}

// Lock implements vfs.FS.
func (fs *FS) Lock(name string) (io.Closer, error) { return fs.fs.Lock(name) }

type file struct {
	vfs.File
	fs   *FS
	name string
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.check(OpRead, f.name); err != nil {
		return 0, err
	}
	n, err := f.File.ReadAt(p, off)
	f.fs.bytesRead.Add(int64(n))
	return n, err
}

// WriteAt fails like a full disk: it writes the first half of p, then
// returns the injected error.
func (f *file) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.check(OpWrite, f.name); err != nil {
		n, _ := f.File.WriteAt(p[:len(p)/2], off)
		return n, err
	}
	return f.File.WriteAt(p, off)
}

func (f *file) Sync() error {
	if err := f.fs.check(OpSync, f.name); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *file) Truncate(size int64) error {
	if err := f.fs.check(OpTruncate, f.name); err != nil {
		return err
	}
	return f.File.Truncate(size)
}
