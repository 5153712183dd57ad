package logstore

import (
	"container/list"
	"sync"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/vfs"
)

// fileCache keeps at most max files open, least recently used first out.
// A file in use (acquired and not yet released) is never closed; an evicted
// or forgotten file is closed by its last release.
type fileCache struct {
	fs  vfs.FS
	max int

	mu     sync.Mutex
	closed bool
	files  map[string]*openFile
	lru    list.List // of *openFile, most recently used at the front
}

type openFile struct {
	vfs.File
	path string
	refs int
	elem *list.Element // nil once evicted
}

func newFileCache(fs vfs.FS, max int) *fileCache {
	return &fileCache{fs: fs, max: max, files: make(map[string]*openFile)}
}

// acquire returns the open file at path, opening it if needed. The caller
// must release it.
func (c *fileCache) acquire(path string) (*openFile, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, storage.ErrClosed
	}
	if f, ok := c.files[path]; ok {
		f.refs++
		c.lru.MoveToFront(f.elem)
		return f, nil
	}
	vf, err := c.fs.Open(path)
	if err != nil {
		return nil, err
	}
	c.insertLocked(&openFile{File: vf, path: path, refs: 1})
	return c.files[path], nil
}

// add caches a file the caller has just created, replacing any cached
// handle of the same path, and returns it acquired.
func (c *fileCache) add(path string, vf vfs.File) (*openFile, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		vf.Close()
		return nil, storage.ErrClosed
	}
	c.forgetLocked(path)
	f := &openFile{File: vf, path: path, refs: 1}
	c.insertLocked(f)
	return f, nil
}

func (c *fileCache) insertLocked(f *openFile) {
	f.elem = c.lru.PushFront(f)
	c.files[f.path] = f
	for c.lru.Len() > c.max {
		c.forgetLocked(c.lru.Back().Value.(*openFile).path)
	}
}

func (c *fileCache) release(f *openFile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.refs--
	if f.refs == 0 && f.elem == nil {
		f.Close()
	}
}

// forget drops path from the cache (its file was removed or replaced).
func (c *fileCache) forget(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgetLocked(path)
}

func (c *fileCache) forgetLocked(path string) {
	f, ok := c.files[path]
	if !ok {
		return
	}
	delete(c.files, path)
	c.lru.Remove(f.elem)
	f.elem = nil
	if f.refs == 0 {
		f.Close()
	}
}

// close closes every idle file; files in use are closed on release.
func (c *fileCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for path := range c.files {
		c.forgetLocked(path)
	}
}

// indexCache keeps the sparse indexes of closed segments, bounded by
// their total number of entries.
type indexCache struct {
	max int

	mu      sync.Mutex
	size    int
	entries map[string]*list.Element // of *cachedIndex
	lru     list.List
}

type cachedIndex struct {
	path    string
	entries []indexEntry
}

func newIndexCache(max int) *indexCache {
	return &indexCache{max: max, entries: make(map[string]*list.Element)}
}

func (c *indexCache) get(path string) ([]indexEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	elem, ok := c.entries[path]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(elem)
	return elem.Value.(*cachedIndex).entries, true
}

func (c *indexCache) put(path string, entries []indexEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(path)
	c.entries[path] = c.lru.PushFront(&cachedIndex{path: path, entries: entries})
	c.size += len(entries)
	for c.size > c.max && c.lru.Len() > 1 {
		c.removeLocked(c.lru.Back().Value.(*cachedIndex).path)
	}
}

func (c *indexCache) remove(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(path)
}

func (c *indexCache) removeLocked(path string) {
	elem, ok := c.entries[path]
	if !ok {
		return
	}
	c.size -= len(elem.Value.(*cachedIndex).entries)
	c.lru.Remove(elem)
	delete(c.entries, path)
}
