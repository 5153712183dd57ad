package logstore

import (
	"sync"

	"github.com/runnel-dev/runnel/internal/storage"
)

// request is one mutation handed to the flusher.
type request struct {
	op     uint8 // walOp*
	id     storage.ShardID
	frames []byte // append: the records' frames, unsealed
	ms     int64  // trim: the arrival cutoff
	done   chan error

	// Set by the flusher before it reports success on done.
	first uint64 // append: index of the first record
}

func newRequest(op uint8, id storage.ShardID) *request {
	return &request{op: op, id: id, done: make(chan error, 1)}
}

// queue passes requests to the flusher in call order.
type queue struct {
	mu     sync.Mutex
	closed bool
	reqs   []*request
	signal chan struct{} // capacity 1: "there may be work"
}

func newQueue() *queue { return &queue{signal: make(chan struct{}, 1)} }

// push adds r, or fails with ErrClosed once the queue is closed.
func (q *queue) push(r *request) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return storage.ErrClosed
	}
	q.reqs = append(q.reqs, r)
	q.notify()
	return nil
}

func (q *queue) notify() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// take removes and returns every queued request, and whether the queue is
// closed.
func (q *queue) take() ([]*request, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	reqs := q.reqs
	q.reqs = nil
	return reqs, q.closed
}

// close makes push fail; requests already queued are still taken.
func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.notify()
}

// worker runs background jobs (file removal, checkpoints) one at a time,
// in order, on one goroutine.
type worker struct {
	mu     sync.Mutex
	jobs   []func()
	closed bool
	signal chan struct{}
	done   chan struct{}
}

func startWorker() *worker {
	w := &worker{signal: make(chan struct{}, 1), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *worker) do(job func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.jobs = append(w.jobs, job)
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

func (w *worker) run() {
	defer close(w.done)
	for {
		w.mu.Lock()
		jobs, closed := w.jobs, w.closed
		w.jobs = nil
		w.mu.Unlock()
		for _, job := range jobs {
			job()
		}
		if closed && len(jobs) == 0 {
			return
		}
		if len(jobs) == 0 {
			<-w.signal
		}
	}
}

// stop runs the queued jobs and waits for the worker to exit.
func (w *worker) stop() {
	w.mu.Lock()
	w.closed = true
	select {
	case w.signal <- struct{}{}:
	default:
	}
	w.mu.Unlock()
	<-w.done
}
