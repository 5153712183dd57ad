package logstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/vfs"
)

var _ storage.Engine = (*Engine)(nil)

// maxWALBuffer caps the log buffer the flusher keeps between commits.
const maxWALBuffer = 16 << 20

// Engine is the durable storage.Engine. Open returns one.
type Engine struct {
	dir     string
	opts    Options
	fs      vfs.FS
	log     *slog.Logger
	lock    io.Closer
	files   *fileCache
	indexes *indexCache
	queue   *queue
	worker  *worker
	metaMu  sync.Mutex // serialises SaveMeta

	closed      atomic.Bool
	flusherDone chan struct{}

	mu     sync.RWMutex // guards shards; written only by the flusher
	shards map[storage.ShardID]*shard

	// Owned by the flusher goroutine (by Open before it starts and by Close
	// after it stops).
	wal    wal
	pipe   pipeline
	walBuf []byte          // the log entries of a group, kept for the next
	dirty  map[string]bool // paths written since the last checkpoint began; true for directories

	// orphans, during recovery, holds the shard directories the
	// checkpoint does not list: shards deleted before it or created
	// after it, which replay may create again.
	orphans map[string]bool

	ckpt struct {
		running atomic.Bool
		mu      sync.Mutex
		failed  map[string]bool // dirty paths of a failed checkpoint, to retry
	}
}

// Open opens the engine stored in dir, creating it if needed, and recovers
// from any crash: see the package documentation. The caller must Close it.
func Open(dir string, opts Options) (*Engine, error) {
	opts = opts.withDefaults()
	e := &Engine{
		dir:         dir,
		opts:        opts,
		fs:          opts.FS,
		log:         opts.Logger,
		files:       newFileCache(opts.FS, opts.MaxOpenFiles),
		indexes:     newIndexCache(opts.IndexCacheEntries),
		queue:       newQueue(),
		flusherDone: make(chan struct{}),
		shards:      make(map[storage.ShardID]*shard),
		dirty:       make(map[string]bool),
		wal:         wal{fs: opts.FS, dir: filepath.Join(dir, walDir), segmentBytes: opts.WALSegmentBytes, spares: newSpareLogs(opts)},
		pipe:        pipeline{tip: make(map[storage.ShardID]*pendingShard)},
	}
	if err := e.makeDirs(); err != nil {
		return nil, fmt.Errorf("logstore: open: %w", err)
	}
	lock, err := e.fs.Lock(e.path(lockFile))
	if err != nil {
		return nil, fmt.Errorf("logstore: open %s: %w", dir, err)
	}
	e.lock = lock
	e.worker = startWorker()
	if err := e.recover(); err != nil {
		e.worker.stop()
		e.wal.close()
		e.files.close()
		lock.Close()
		return nil, err
	}
	go e.flushLoop()
	return e, nil
}

func (e *Engine) path(name string) string { return filepath.Join(e.dir, name) }

// makeDirs creates the engine's directories, durably: a directory created
// but not synced in its parent can vanish in a power loss, with all it
// holds.
func (e *Engine) makeDirs() error {
	for _, d := range []string{e.path(walDir), e.path(shardsDir)} {
		if err := e.fs.MkdirAll(d); err != nil {
			return err
		}
	}
	for _, d := range []string{filepath.Dir(e.dir), e.dir} {
		if err := e.fs.SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// flushLoop is the flusher: the one goroutine that writes the log and
// changes shards. It commits whatever requests are queued as one group, so
// that concurrent Appends to any number of shards share one log write and
// one sync, and it writes the next group while the last one syncs. It
// returns once the queue is closed and the pipeline empty.
func (e *Engine) flushLoop() {
	defer close(e.flusherDone)
	e.pipe.syncer = startSyncer()
	defer e.pipe.syncer.stop()
	var tick <-chan time.Time
	if e.opts.Sync.Mode == SyncInterval {
		t := time.NewTicker(e.opts.Sync.Interval)
		defer t.Stop()
		tick = t.C
	}
	lastSync := time.Now()
	for {
		var synced <-chan error
		if len(e.pipe.syncing) > 0 {
			synced = e.pipe.syncer.done
		}
		select { // a finished sync first: it acknowledges a group and starts the next sync
		case err := <-synced:
			e.synced(err)
			continue
		default:
		}
		reqs, closed := e.queue.take()
		if len(reqs) > 0 {
			e.commit(reqs)
			if tick != nil && time.Since(lastSync) >= e.opts.Sync.Interval { // busy: the ticker may wait
				e.syncInterval(&lastSync)
			}
			continue
		}
		if closed && !e.pipe.busy() {
			return
		}
		select {
		case err := <-synced:
			e.synced(err)
		case <-e.queue.signal:
		case <-tick:
			e.syncInterval(&lastSync)
		}
	}
}

// syncInterval is the periodic sync of SyncInterval.
func (e *Engine) syncInterval(last *time.Time) {
	*last = time.Now()
	if err := e.wal.sync(); err != nil {
		e.log.Error("logstore: periodic sync of the write-ahead log", "err", err)
	}
}

// submit queues r and waits for its outcome. If ctx ends first, r may
// still be committed.
func (e *Engine) submit(ctx context.Context, r *request) error {
	if err := e.queue.push(r); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("logstore: %w", ctx.Err())
	}
}

// check fails once the engine is closed or ctx is done.
func (e *Engine) check(ctx context.Context) error {
	if e.closed.Load() {
		return storage.ErrClosed
	}
	return ctx.Err()
}

// view returns the shard's current view.
func (e *Engine) view(id storage.ShardID) (*shard, *view, error) {
	e.mu.RLock()
	s := e.shards[id]
	e.mu.RUnlock()
	if s != nil {
		if v := s.view.Load(); v != nil {
			return s, v, nil
		}
	}
	return nil, nil, fmt.Errorf("logstore: shard %d/%d: %w", id.Stream, id.Index, storage.ErrShardNotFound)
}

// CreateShard implements storage.Engine.
func (e *Engine) CreateShard(ctx context.Context, id storage.ShardID) error {
	if err := e.check(ctx); err != nil {
		return err
	}
	return e.submit(ctx, newRequest(walOpCreate, id))
}

// Append implements storage.Engine. It encodes and checksums the records
// on the caller's goroutine; the flusher then only gives them indexes.
func (e *Engine) Append(ctx context.Context, id storage.ShardID, recs []storage.Record) error {
	if err := e.check(ctx); err != nil {
		return err
	}
	if len(recs) == 0 {
		_, _, err := e.view(id)
		return err
	}
	frames, err := encodeFrames(recs)
	if err != nil {
		return err
	}
	r := newRequest(walOpAppend, id)
	r.frames = frames
	if err := e.submit(ctx, r); err != nil {
		return err
	}
	for i, p := 0, 0; i < len(recs); i++ {
		recs[i].Index = r.first + uint64(i)
		recs[i].Arrival = frameArrival(frames[p:])
		p += frameSize(&recs[i])
	}
	return nil
}

// encodeFrames encodes recs as unsealed frames.
func encodeFrames(recs []storage.Record) ([]byte, error) {
	total := 0
	for i := range recs {
		n := frameSize(&recs[i])
		if len(recs[i].PartitionKey) > maxKeyLen || n > maxFrameSize {
			return nil, fmt.Errorf("logstore: record %d too large (%d bytes, key %d bytes)", i, n, len(recs[i].PartitionKey))
		}
		total += n
	}
	if total > maxBatchBytes {
		return nil, fmt.Errorf("logstore: batch of %d bytes exceeds %d", total, maxBatchBytes)
	}
	b := make([]byte, 0, total)
	for i := range recs {
		b = appendFrame(b, &recs[i])
	}
	return b, nil
}

// Info implements storage.Engine.
func (e *Engine) Info(ctx context.Context, id storage.ShardID) (storage.ShardInfo, error) {
	if err := e.check(ctx); err != nil {
		return storage.ShardInfo{}, err
	}
	_, v, err := e.view(id)
	if err != nil {
		return storage.ShardInfo{}, err
	}
	return v.info(), nil
}

// Trim implements storage.Engine. It deletes the segments whose records
// all arrived before ms; if that is every record, the log continues in a
// new, empty segment.
func (e *Engine) Trim(ctx context.Context, id storage.ShardID, ms int64) error {
	if err := e.check(ctx); err != nil {
		return err
	}
	_, v, err := e.view(id)
	if err != nil {
		return err
	}
	if trimPoint(v, ms) <= v.first() {
		return nil // nothing to trim: spare the flusher
	}
	r := newRequest(walOpTrim, id)
	r.ms = ms
	return e.submit(ctx, r)
}

// DeleteShard implements storage.Engine. The shard's files are removed in
// the background once the deletion is logged.
func (e *Engine) DeleteShard(ctx context.Context, id storage.ShardID) error {
	if err := e.check(ctx); err != nil {
		return err
	}
	return e.submit(ctx, newRequest(walOpDelete, id))
}

// Shards implements storage.Engine.
func (e *Engine) Shards(ctx context.Context) ([]storage.ShardID, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	ids := make([]storage.ShardID, 0, len(e.shards))
	for id := range e.shards {
		ids = append(ids, id)
	}
	return ids, nil
}

// Close implements storage.Engine. It commits the requests already queued,
// writes a checkpoint, and releases the directory.
func (e *Engine) Close() error {
	if !e.closed.CompareAndSwap(false, true) {
		return storage.ErrClosed
	}
	e.queue.close()
	<-e.flusherDone
	e.worker.stop() // finishes removals and any checkpoint in progress
	err := e.wal.seal()
	if cerr := e.checkpointNow(); err == nil {
		err = cerr
	}
	if werr := e.wal.close(); err == nil {
		err = werr
	}
	e.files.close()
	if lerr := e.lock.Close(); err == nil {
		err = lerr
	}
	return err
}
