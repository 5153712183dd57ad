package fanout

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// driver runs a client program that subscribes on the test's behalf. The
// line protocol is described in testdata/js/subscribe.mjs and
// testdata/botocore_subscribe.py: commands on stdin, replies tagged with a
// subscription ID on stdout.
type driver struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	// stopped is closed when the program stops answering: its stdout
	// ended or it wrote a line that breaks the protocol.
	stopped chan struct{}
	stderr  lockedBuffer

	mu struct {
		sync.Mutex
		subs   map[string]chan reply
		nextID int
		bad    string // a line that broke the protocol
	}
}

// reply is one line a driver program writes.
type reply struct {
	Sub      string `json:"sub"`
	Type     string `json:"type"` // "subscribed", "event" or "end"
	Protocol string `json:"protocol"`
	Event    *event `json:"event"`
	Error    string `json:"error"`
}

// startDriver starts the program and stops it when the test ends.
func startDriver(t *testing.T, name string, env []string, program string, args ...string) *driver {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &driver{name: name, cmd: exec.CommandContext(ctx, program, args...), stopped: make(chan struct{})}
	d.mu.subs = map[string]chan reply{}
	d.cmd.Env = env
	d.cmd.Stderr = &d.stderr
	d.cmd.WaitDelay = 5 * time.Second
	var err error
	if d.stdin, err = d.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go d.read(stdout)
	t.Cleanup(func() {
		defer cancel()
		d.stdin.Close() // the program ends its subscriptions and exits
		select {
		case <-d.stopped:
		case <-time.After(20 * time.Second):
			t.Errorf("%s did not exit 20s after its input ended; killing it", name)
			cancel()
		}
		if err := d.cmd.Wait(); err != nil {
			t.Errorf("%s: %v\nstderr:\n%s", name, err, d.stderr.String())
		}
	})
	return d
}

// read routes each reply line to its subscription until stdout ends or a
// line breaks the protocol; then it discards the rest, so that the
// program can finish writing and exit.
func (d *driver) read(stdout io.Reader) {
	defer io.Copy(io.Discard, stdout)
	defer close(d.stopped)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r reply
		err := json.Unmarshal(sc.Bytes(), &r)
		d.mu.Lock()
		ch := d.mu.subs[r.Sub]
		if err != nil || ch == nil {
			d.mu.bad = fmt.Sprintf("%.200s (%v)", sc.Bytes(), err)
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		ch <- r
	}
}

// send writes one command line.
func (d *driver) send(t *testing.T, cmd map[string]string) {
	t.Helper()
	line, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.stdin.Write(append(line, '\n')); err != nil {
		t.Fatalf("%s: write command: %v", d.name, err)
	}
}

// failure describes why the program stopped answering.
func (d *driver) failure() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return fmt.Sprintf("%s exited or broke the protocol (bad line: %q)\nstderr:\n%s", d.name, d.mu.bad, d.stderr.String())
}

func (d *driver) subscribe(t *testing.T, consumerARN, shardID string, pos position) (subscription, string) {
	t.Helper()
	d.mu.Lock()
	d.mu.nextID++
	id := fmt.Sprintf("s%d", d.mu.nextID)
	// Replies are few (the scenario's records are small and it closes
	// what it no longer reads); the buffer keeps the reader from waiting
	// on a slow test.
	s := &driverSubscription{d: d, id: id, replies: make(chan reply, 1024)}
	d.mu.subs[id] = s.replies
	d.mu.Unlock()
	d.send(t, map[string]string{"op": "subscribe", "sub": id, "consumer": consumerARN, "shard": shardID, "type": string(pos.Type), "seq": pos.SequenceNumber})
	r, ok := s.wait(subscribeTimeout)
	switch {
	case !ok:
		t.Fatalf("%s: no answer to SubscribeToShard within %v", d.name, subscribeTimeout)
	case r.Type == "end":
		return nil, r.Error
	case r.Type != "subscribed":
		t.Fatalf("%s: first reply %+v, want subscribed", d.name, r)
	}
	s.proto = r.Protocol
	t.Cleanup(func() { s.close(t) })
	return s, ""
}

// driverSubscription is a subscription held by a driver program.
type driverSubscription struct {
	d       *driver
	id      string
	proto   string
	replies chan reply
	ended   bool
}

func (s *driverSubscription) protocol() string { return s.proto }

// wait returns the next reply, or false after timeout. When the program
// has stopped answering, the reply is an end that says why.
func (s *driverSubscription) wait(timeout time.Duration) (reply, bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-s.replies:
		return r, true
	case <-s.d.stopped:
		select {
		case r := <-s.replies:
			return r, true
		default:
			return reply{Type: "end", Error: s.d.failure()}, true
		}
	case <-timer.C:
		return reply{}, false
	}
}

func (s *driverSubscription) next(timeout time.Duration) (delivery, bool) {
	if s.ended {
		return delivery{}, false
	}
	r, ok := s.wait(timeout)
	switch {
	case !ok:
		return delivery{}, false
	case r.Type == "event":
		return delivery{event: r.Event}, true
	case r.Type == "end":
		s.ended = true
		return delivery{err: r.Error}, true
	}
	return delivery{err: fmt.Sprintf("driver: unexpected reply %+v", r)}, true
}

// close asks the program to close the subscription and waits for its end.
func (s *driverSubscription) close(t *testing.T) {
	t.Helper()
	if s.ended {
		return
	}
	s.d.send(t, map[string]string{"op": "close", "sub": s.id})
	for !s.ended {
		if _, ok := s.next(eventTimeout); !ok {
			t.Fatalf("%s: subscription %s still open %v after close", s.d.name, s.id, eventTimeout)
		}
	}
}

// lockedBuffer collects a program's stderr.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
