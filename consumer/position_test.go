package consumer

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/consumer/leases"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// TestInitialPosition checks which records a new application reads.
func TestInitialPosition(t *testing.T) {
	tests := []struct {
		name     string
		position func(between time.Time) InitialPosition
		want     int // records of the 10 written: 5 before `between`, 5 after
	}{
		{"TRIM_HORIZON", func(time.Time) InitialPosition { return TrimHorizon }, 10},
		{"LATEST", func(time.Time) InitialPosition { return Latest }, 5},
		{"AT_TIMESTAMP", AtTimestamp, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t, testserver.Options{})
			client := srv.Client()
			createStream(t, client, "s", 2)
			p := newProducer(client, "s")
			p.put(t, 5)
			time.Sleep(20 * time.Millisecond)
			between := time.Now()
			time.Sleep(20 * time.Millisecond)
			rec := newRecorder()
			w := startWorker(t, client, "s", leases.NewMemory(), rec, "w", WithInitialPosition(tt.position(between)))
			eventually(t, 10*time.Second, "leases", func() bool { return w.c.Metrics().LeasesHeld == 2 })
			time.Sleep(3 * testPoll) // LATEST iterators are taken
			p.put(t, 5)
			eventually(t, 10*time.Second, "records", func() bool { return rec.count() >= tt.want })
			time.Sleep(3 * testPoll)
			w.halt(t)
			if got := rec.count(); got != tt.want {
				t.Errorf("%d records read, want %d", got, tt.want)
			}
		})
	}
}

// TestCheckpointBeyondTrimHorizon resumes from a checkpoint whose record
// has expired: reading goes on from the trim horizon, with a warning.
func TestCheckpointBeyondTrimHorizon(t *testing.T) {
	t.Parallel()
	clock := testserver.NewClock(time.Now())
	srv := testserver.Start(t, testserver.Options{Clock: clock})
	client := srv.Client()
	createStream(t, client, "s", 1)
	p := newProducer(client, "s")
	p.put(t, 3)
	store := leases.NewMemory()
	first := seqOf(t, client, "s", "r-000001")
	mustCreateLease(t, store, leases.Lease{Key: "shardId-000000000000", Checkpoint: leases.Checkpoint{SequenceNumber: first}})
	clock.Advance(25 * time.Hour) // past the 24 h retention
	p.put(t, 2)

	var logs syncBuffer
	rec := newRecorder()
	w := startWorker(t, client, "s", store, rec, "w", WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	eventually(t, 10*time.Second, "the new records", func() bool { return rec.count() == 2 })
	w.halt(t)
	for _, id := range []string{"r-000004", "r-000005"} {
		if rec.deliveries[id] != 1 {
			t.Errorf("record %s delivered %d times, want 1", id, rec.deliveries[id])
		}
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "trim horizon") {
		t.Errorf("no warning about the expired checkpoint in:\n%s", logs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func mustCreateLease(t *testing.T, store leases.Store, l leases.Lease) {
	t.Helper()
	if ok, err := store.Create(context.Background(), l); err != nil || !ok {
		t.Fatalf("Create(%s) = %v, %v", l.Key, ok, err)
	}
}

// TestCheckpointer checks the checkpointer's validation and that a
// worker whose lease was taken can no longer checkpoint.
func TestCheckpointer(t *testing.T) {
	ctx := context.Background()
	store := leases.NewMemory()
	mustCreateLease(t, store, leases.Lease{Key: "s0", Checkpoint: leases.Checkpoint{SequenceNumber: leases.TrimHorizon}})
	l, err := store.Take(ctx, leases.Lease{Key: "s0"}, "me")
	if err != nil {
		t.Fatal(err)
	}
	lost := false
	held := newHeldLease(store, l, time.Now(), func() { lost = true })
	cp := newCheckpointer("s0", held, l.Checkpoint, time.Now)
	if err := cp.CheckpointAt(ctx, "100", 0); !errors.Is(err, ErrInvalidCheckpoint) {
		t.Errorf("checkpoint before any delivery: %v, want ErrInvalidCheckpoint", err)
	}
	at := func(seq string, sub uint64) position { p, _ := parsePosition(seq, sub); return p }
	cp.delivered(at("200", 3))
	steps := []struct {
		seq  string
		sub  uint64
		want error
	}{
		{"100", 0, nil},
		{"200", 4, ErrInvalidCheckpoint}, // after the last delivered
		{"300", 0, ErrInvalidCheckpoint},
		{"200", 3, nil},
		{"150", 0, ErrInvalidCheckpoint}, // before the last checkpoint
		{"SHARD_END", 0, ErrInvalidCheckpoint},
	}
	for _, s := range steps {
		if err := cp.CheckpointAt(ctx, s.seq, s.sub); !errors.Is(err, s.want) || (s.want == nil && err != nil) {
			t.Errorf("CheckpointAt(%s, %d) = %v, want %v", s.seq, s.sub, err, s.want)
		}
	}
	got, err := store.Get(ctx, "s0")
	if err != nil {
		t.Fatal(err)
	}
	if got.Checkpoint != (leases.Checkpoint{SequenceNumber: "200", SubSequenceNumber: 3}) || cp.Last() != got.Checkpoint {
		t.Errorf("stored checkpoint %+v, Last %+v; want 200/3", got.Checkpoint, cp.Last())
	}
	if _, err := store.Take(ctx, got, "thief"); err != nil {
		t.Fatal(err)
	}
	if err := cp.CheckpointAt(ctx, "200", 3); !errors.Is(err, ErrLeaseLost) || !lost {
		t.Errorf("checkpoint after the lease was taken: %v (lost callback %v), want ErrLeaseLost", err, lost)
	}
}
