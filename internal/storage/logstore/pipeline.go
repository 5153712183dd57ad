package logstore

import (
	"fmt"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/vfs"
)

// logPos is a position in the write-ahead log: a file, an offset in it,
// and the LSN that the next entry there will have or exceed.
type logPos struct {
	seq    uint64
	offset int64
	lsn    uint64
}

func (w *wal) pos() logPos { return logPos{seq: w.seq, offset: w.offset, lsn: w.nextLSN} }

// pipeline is the flusher's state of the groups written to the log but not
// yet published: at most one fdatasync is in flight, covering the groups in
// syncing, while later groups are staged and written behind it and wait in
// written for the next one. Owned by the flusher.
type pipeline struct {
	syncer  *syncer
	syncing []*group // written, their sync in flight; oldest first
	written []*group // written after the sync in flight began
	// tip holds, per shard changed by a group in the pipeline, the state
	// after the latest such group: the base on which new requests stage.
	tip map[storage.ShardID]*pendingShard
	// published is the end of the last published group, where a
	// checkpoint of the published state may start replay.
	published logPos
}

func (p *pipeline) busy() bool { return len(p.syncing) > 0 || len(p.written) > 0 }

// syncer runs the log's fdatasyncs off the flusher, one at a time, so that
// the flusher can write the next group meanwhile.
type syncer struct {
	req  chan vfs.File
	done chan error // capacity 1: the outcome of the sync in flight
	exit chan struct{}
}

func startSyncer() *syncer {
	s := &syncer{req: make(chan vfs.File), done: make(chan error, 1), exit: make(chan struct{})}
	go s.run()
	return s
}

func (s *syncer) run() {
	defer close(s.exit)
	for f := range s.req {
		s.done <- f.Sync()
	}
}

// stop waits for the syncer to exit. No sync may be in flight.
func (s *syncer) stop() {
	close(s.req)
	<-s.exit
}

// commit stages reqs as one group and writes its log entries. With
// SyncAlways the group then joins the pipeline, to be published and
// answered once a sync covers it; otherwise it is published and answered
// at once. Even requests that need no log entry (a failed one, a trim with
// nothing to do) are answered in turn, since their outcome depends on the
// groups before. A failed log write fails the group alone.
func (e *Engine) commit(reqs []*request) {
	always := e.opts.Sync.Mode == SyncAlways
	if always && e.wal.full() {
		e.drain() // the log moves to a new file only once the old one is synced
	}
	g := newGroup()
	size := 0
	for _, r := range reqs {
		size += walHeaderSize + len(r.frames)
	}
	if cap(e.walBuf) < size {
		e.walBuf = make([]byte, 0, size)
	}
	g.wal = e.walBuf[:0]
	defer func() {
		if cap(g.wal) <= maxWALBuffer {
			e.walBuf = g.wal[:0] // reused by the next commit: written, it is no longer needed
		} else {
			e.walBuf = nil
		}
	}()
	for _, r := range reqs {
		lsn := e.wal.nextLSN
		e.wal.nextLSN++
		_, err := e.stage(g, r, lsn, false)
		g.reqs, g.errs = append(g.reqs, r), append(g.errs, err)
	}
	g.start = e.wal.offset
	if len(g.wal) > 0 {
		start, err := e.wal.write(g.wal)
		if err != nil {
			g.fail(fmt.Errorf("logstore: write-ahead log: %w", err))
			return
		}
		g.start = start
	}
	g.end = e.wal.pos()
	if !always || (!e.pipe.busy() && len(g.wal) == 0) {
		e.finish(g)
		return
	}
	for _, ps := range g.shards {
		e.pipe.tip[ps.s.id] = ps
	}
	e.pipe.written = append(e.pipe.written, g)
	if len(e.pipe.syncing) == 0 {
		e.startSync()
	}
}

// startSync hands the sync of the written groups to the syncer.
func (e *Engine) startSync() {
	e.pipe.syncing, e.pipe.written = e.pipe.written, nil
	e.pipe.syncer.req <- e.wal.f
}

// synced takes the outcome of the sync in flight. On success it starts the
// next sync, if groups are waiting, then publishes and acknowledges the
// synced ones. On failure it fails every group in the pipeline, the later
// ones too since they were staged on top of the failed ones, and rewinds
// the log to where the first of them began.
func (e *Engine) synced(err error) {
	groups := e.pipe.syncing
	e.pipe.syncing = nil
	if err != nil {
		groups = append(groups, e.pipe.written...)
		e.pipe.written = nil
		clear(e.pipe.tip)
		e.wal.rewind(groups[0].start) // the log moves to a new file only when the pipeline is empty
		err = fmt.Errorf("logstore: write-ahead log: %w", err)
		for _, g := range groups {
			g.fail(err)
		}
		return
	}
	if len(e.pipe.written) > 0 {
		e.startSync()
	} else {
		e.wal.unsynced = false
	}
	for _, g := range groups {
		for _, ps := range g.shards {
			if e.pipe.tip[ps.s.id] == ps {
				delete(e.pipe.tip, ps.s.id)
			}
		}
		e.finish(g)
	}
}

// drain waits until every group in the pipeline is published or failed.
func (e *Engine) drain() {
	for len(e.pipe.syncing) > 0 {
		e.synced(<-e.pipe.syncer.done)
	}
}

// finish publishes a group whose log entries are written (and synced, if
// the policy says so) and answers its requests.
func (e *Engine) finish(g *group) {
	e.publish(g)
	e.pipe.published = g.end
	e.maybeCheckpoint()
	for i, r := range g.reqs {
		r.done <- g.errs[i]
	}
}

// fail answers every request of g with err: their outcomes were decided on
// state that is now undone.
func (g *group) fail(err error) {
	for _, r := range g.reqs {
		r.done <- err
	}
}
