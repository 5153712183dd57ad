// Package memfs is an in-memory vfs.FS that models what survives a power
// loss, for crash tests.
//
// Crash returns the filesystem as a machine would find it after losing
// power: a file keeps the content of its last Sync (plus, at random, a
// prefix of the bytes appended since, as written-back pages would leave
// it), and a directory keeps the entries of its last SyncDir. A file
// created, renamed or removed since its directory's last SyncDir is back
// as it was then. This is the POSIX contract, stricter than most real
// filesystems, so an engine that survives it has every fsync it needs.
package memfs

import (
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/runnel-dev/runnel/internal/storage/vfs"
)

// FS is the filesystem. Its zero value is not usable: call New.
type FS struct {
	mu   sync.Mutex
	root *dir
}

var _ vfs.FS = (*FS)(nil)

type node interface{ isNode() }

type dir struct {
	entries map[string]node
	durable map[string]node // entries as of the last SyncDir
}

type inode struct {
	data   []byte
	synced []byte // content as of the last Sync
}

func (*dir) isNode()   {}
func (*inode) isNode() {}

func newDir() *dir { return &dir{entries: map[string]node{}, durable: map[string]node{}} }

// New returns an empty filesystem.
func New() *FS { return &FS{root: newDir()} }

// Crash returns a copy of fs as a power loss at this instant would leave
// it. rng decides how much unsynced appended data survives; nil keeps
// none.
func (fs *FS) Crash(rng *rand.Rand) *FS {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return &FS{root: crashDir(fs.root, rng)}
}

func crashDir(d *dir, rng *rand.Rand) *dir {
	c := newDir()
	for name, n := range d.durable {
		switch n := n.(type) {
		case *dir:
			c.entries[name] = crashDir(n, rng)
		case *inode:
			data := slices.Clone(n.synced)
			if rng != nil && len(n.data) > len(n.synced) && string(n.data[:len(n.synced)]) == string(n.synced) {
				data = append(data, n.data[len(n.synced):len(n.synced)+rng.IntN(len(n.data)-len(n.synced)+1)]...)
			}
			c.entries[name] = &inode{data: data, synced: slices.Clone(data)}
		}
	}
	c.durable = maps.Clone(c.entries)
	return c
}

func split(path string) []string {
	path = filepath.Clean("/" + path)
	if path == "/" {
		return nil
	}
	return strings.Split(path[1:], "/")
}

// lookupDir returns the directory holding the last element of path, and
// that element.
func (fs *FS) lookupDir(op, path string) (*dir, string, error) {
	parts := split(path)
	if len(parts) == 0 {
		return nil, "", &os.PathError{Op: op, Path: path, Err: os.ErrInvalid}
	}
	d := fs.root
	for _, p := range parts[:len(parts)-1] {
		sub, ok := d.entries[p].(*dir)
		if !ok {
			return nil, "", &os.PathError{Op: op, Path: path, Err: os.ErrNotExist}
		}
		d = sub
	}
	return d, parts[len(parts)-1], nil
}

func (fs *FS) lookup(op, path string) (node, error) {
	if len(split(path)) == 0 {
		return fs.root, nil
	}
	d, name, err := fs.lookupDir(op, path)
	if err != nil {
		return nil, err
	}
	n, ok := d.entries[name]
	if !ok {
		return nil, &os.PathError{Op: op, Path: path, Err: os.ErrNotExist}
	}
	return n, nil
}

// Create implements vfs.FS.
func (fs *FS) Create(name string) (vfs.File, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	d, base, err := fs.lookupDir("create", name)
	if err != nil {
		return nil, err
	}
	if ino, ok := d.entries[base].(*inode); ok {
		ino.data = nil
		return &file{fs: fs, ino: ino}, nil
	}
	ino := &inode{}
	d.entries[base] = ino
	return &file{fs: fs, ino: ino}, nil
}

// Open implements vfs.FS.
func (fs *FS) Open(name string) (vfs.File, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n, err := fs.lookup("open", name)
	if err != nil {
		return nil, err
	}
	ino, ok := n.(*inode)
	if !ok {
		return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrInvalid}
	}
	return &file{fs: fs, ino: ino}, nil
}

// ReadFile implements vfs.FS.
func (fs *FS) ReadFile(name string) ([]byte, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n, err := fs.lookup("read", name)
	if err != nil {
		return nil, err
	}
	ino, ok := n.(*inode)
	if !ok {
		return nil, &os.PathError{Op: "read", Path: name, Err: os.ErrInvalid}
	}
	return slices.Clone(ino.data), nil
}

// Remove implements vfs.FS.
func (fs *FS) Remove(name string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	d, base, err := fs.lookupDir("remove", name)
	if err != nil {
		return err
	}
	switch n := d.entries[base].(type) {
	case nil:
		return &os.PathError{Op: "remove", Path: name, Err: os.ErrNotExist}
	case *dir:
		if len(n.entries) > 0 {
			return &os.PathError{Op: "remove", Path: name, Err: os.ErrExist}
		}
	}
	delete(d.entries, base)
	return nil
}

// RemoveAll implements vfs.FS.
func (fs *FS) RemoveAll(name string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	d, base, err := fs.lookupDir("removeall", name)
	if err == nil {
		delete(d.entries, base)
	}
	return nil
}

// Rename implements vfs.FS.
func (fs *FS) Rename(oldname, newname string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	od, obase, err := fs.lookupDir("rename", oldname)
	if err != nil {
		return err
	}
	n, ok := od.entries[obase]
	if !ok {
		return &os.PathError{Op: "rename", Path: oldname, Err: os.ErrNotExist}
	}
	nd, nbase, err := fs.lookupDir("rename", newname)
	if err != nil {
		return err
	}
	delete(od.entries, obase)
	nd.entries[nbase] = n
	return nil
}

// MkdirAll implements vfs.FS.
func (fs *FS) MkdirAll(path string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	d := fs.root
	for _, p := range split(path) {
		switch n := d.entries[p].(type) {
		case *dir:
			d = n
		case nil:
			sub := newDir()
			d.entries[p] = sub
			d = sub
		default:
			return &os.PathError{Op: "mkdir", Path: path, Err: os.ErrExist}
		}
	}
	return nil
}

// ReadDir implements vfs.FS.
func (fs *FS) ReadDir(path string) ([]string, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n, err := fs.lookup("readdir", path)
	if err != nil {
		return nil, err
	}
	d, ok := n.(*dir)
	if !ok {
		return nil, &os.PathError{Op: "readdir", Path: path, Err: os.ErrInvalid}
	}
	return slices.Sorted(maps.Keys(d.entries)), nil
}

// SyncDir implements vfs.FS.
func (fs *FS) SyncDir(path string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n, err := fs.lookup("syncdir", path)
	if err != nil {
		return err
	}
	d, ok := n.(*dir)
	if !ok {
		return &os.PathError{Op: "syncdir", Path: path, Err: os.ErrInvalid}
	}
	d.durable = maps.Clone(d.entries)
	return nil
}

// Lock implements vfs.FS; one process owns a memfs, so it only creates
// the file.
func (fs *FS) Lock(name string) (io.Closer, error) { return fs.Create(name) }

type file struct {
	fs  *FS
	ino *inode
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if off >= int64(len(f.ino.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if end := off + int64(len(p)); end > int64(len(f.ino.data)) {
		f.ino.data = append(f.ino.data, make([]byte, end-int64(len(f.ino.data)))...)
	}
	return copy(f.ino.data[off:], p), nil
}

func (f *file) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.ino.synced = slices.Clone(f.ino.data)
	return nil
}

func (f *file) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if size <= int64(len(f.ino.data)) {
		f.ino.data = f.ino.data[:size:size]
	} else {
		f.ino.data = append(f.ino.data, make([]byte, size-int64(len(f.ino.data)))...)
	}
	return nil
}

func (f *file) Size() (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	return int64(len(f.ino.data)), nil
}

func (f *file) Close() error { return nil }
