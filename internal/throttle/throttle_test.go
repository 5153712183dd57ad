package throttle

import (
	"context"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/storage"
)

var shard = storage.ShardID{Stream: 1, Index: 0}

func TestWriteRecordsPerSecond(t *testing.T) {
	l := New()
	t0 := time.Unix(1000, 0)
	for i := 0; i < WriteRecordsPerSecond; i++ {
		if !l.AllowWrite(shard, 1, t0) {
			t.Fatalf("record %d refused within the limit", i)
		}
	}
	if l.AllowWrite(shard, 1, t0) {
		t.Fatal("record over 1000/s accepted")
	}
	// 10 ms later, 10 more records fit.
	t1 := t0.Add(10 * time.Millisecond)
	for i := 0; i < 10; i++ {
		if !l.AllowWrite(shard, 1, t1) {
			t.Fatalf("refill: record %d refused", i)
		}
	}
	if l.AllowWrite(shard, 1, t1) {
		t.Fatal("refill overshot")
	}
	// Other shards are independent.
	if !l.AllowWrite(storage.ShardID{Stream: 1, Index: 1}, 1, t1) {
		t.Fatal("other shard throttled")
	}
}

func TestWriteBytesPerSecond(t *testing.T) {
	l := New()
	t0 := time.Unix(1000, 0)
	for half := 0; half < 2; half++ {
		if !l.AllowWrite(shard, WriteBytesPerSecond/2, t0) {
			t.Fatalf("half %d of 1 MiB in one second refused", half+1)
		}
	}
	if l.AllowWrite(shard, 1, t0) {
		t.Fatal("byte over 1 MiB/s accepted")
	}
	if !l.AllowWrite(shard, WriteBytesPerSecond, t0.Add(time.Second)) {
		t.Fatal("bucket did not refill after a second")
	}
}

func TestReadDebt(t *testing.T) {
	l := New()
	t0 := time.Unix(1000, 0)
	if !l.AllowRead(shard, t0) {
		t.Fatal("first read refused")
	}
	l.ChargeRead(shard, 10<<20, t0) // a 10 MiB response
	for _, dt := range []time.Duration{time.Second, 3 * time.Second, 3900 * time.Millisecond} {
		if l.AllowRead(shard, t0.Add(dt)) {
			t.Fatalf("read %v after a 10 MiB response accepted", dt)
		}
	}
	if !l.AllowRead(shard, t0.Add(4*time.Second+time.Millisecond)) {
		t.Fatal("read refused after the debt was repaid")
	}
}

func TestReadCallsPerSecond(t *testing.T) {
	l := New()
	t0 := time.Unix(1000, 0)
	for i := 0; i < ReadCallsPerSecond; i++ {
		if !l.AllowRead(shard, t0) {
			t.Fatalf("call %d refused", i)
		}
	}
	if l.AllowRead(shard, t0) {
		t.Fatal("sixth call in a second accepted")
	}
	if !l.AllowRead(shard, t0.Add(200*time.Millisecond)) {
		t.Fatal("call refused after 200 ms")
	}
}

func TestPacer(t *testing.T) {
	p := NewPacer(1 << 20) // 1 MiB/s
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < 3; i++ {
		if err := p.Wait(ctx, 100<<10); err != nil { // 100 KiB
			t.Fatal(err)
		}
	}
	// Three sends of 100 KiB at 1 MiB/s: the third may start only after
	// the first two's ~195 ms.
	if el := time.Since(start); el < 190*time.Millisecond {
		t.Fatalf("three paced sends took %v, want >= 190ms", el)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.Wait(cctx, 1); err == nil {
		t.Fatal("Wait ignored a cancelled context while pacing")
	}
}
