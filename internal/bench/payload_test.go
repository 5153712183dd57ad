package bench

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
)

func TestStampRoundTrip(t *testing.T) {
	data := make([]byte, 64)
	stamp(data, 42, 1234567*time.Microsecond)
	tests := []struct {
		name   string
		data   []byte
		run    uint32
		want   time.Duration
		wantOK bool
	}{
		{"own run", data, 42, 1234567 * time.Microsecond, true},
		{"exactly the stamp", data[:stampSize], 42, 1234567 * time.Microsecond, true},
		{"other run", data, 43, 0, false},
		{"too short", data[:stampSize-1], 42, 0, false},
		{"not stamped", make([]byte, 64), 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := readStamp(tt.data, tt.run)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("readStamp = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// FuzzReadStamp feeds records as a server might return them.
func FuzzReadStamp(f *testing.F) {
	stamped := make([]byte, stampSize)
	stamp(stamped, 7, time.Second)
	f.Add(stamped, uint32(7))
	f.Add([]byte("RNLB"), uint32(0))
	f.Add([]byte{}, uint32(1))
	f.Fuzz(func(t *testing.T, data []byte, run uint32) {
		d, ok := readStamp(data, run)
		if !ok {
			return
		}
		if d < 0 || !bytes.HasPrefix(data, stampMagic[:]) {
			t.Fatalf("accepted %x as %v", data, d)
		}
		again := bytes.Clone(data)
		stamp(again, run, d)
		if !bytes.Equal(again, data) {
			t.Fatalf("stamp(readStamp(%x)) = %x", data, again)
		}
	})
}

func TestKeyRing(t *testing.T) {
	shared := countedKeys(3)
	ring := newKeyRing(shared, 4, nil) // client 4 starts at key 4 % 3
	var got []string
	for range 4 {
		got = append(got, *ring.take())
	}
	if want := []string{"pk-1", "pk-2", "pk-0", "pk-1"}; !equal(got, want) {
		t.Errorf("keys = %v, want %v", got, want)
	}

	random := newKeyRing(nil, 0, rand.New(rand.NewPCG(1, 2)))
	seen := make(map[string]bool)
	for range randomKeysPerClient {
		seen[*random.take()] = true
	}
	if len(seen) < randomKeysPerClient-1 {
		t.Errorf("%d distinct random keys in a pool of %d", len(seen), randomKeysPerClient)
	}
}

func TestRandomPayloads(t *testing.T) {
	payloads := randomPayloads(rand.New(rand.NewPCG(1, 2)), 3, 13)
	for i, p := range payloads {
		if len(p) != 13 || cap(p) != 13 {
			t.Errorf("payload %d has len %d, cap %d; want 13, 13", i, len(p), cap(p))
		}
	}
	if bytes.Equal(payloads[0], payloads[1]) || bytes.Equal(payloads[2][8:], make([]byte, 5)) {
		t.Errorf("payloads are not random: %x", payloads)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The tool's own work per call must not allocate: only the SDK may.
func TestHotPathsDoNotAllocate(t *testing.T) {
	ring := newKeyRing(nil, 0, rand.New(rand.NewPCG(1, 2)))
	rec := newRecorder()
	data := make([]byte, 100)
	tests := []struct {
		name string
		fn   func()
	}{
		{"take key", func() { ring.take() }},
		{"stamp", func() { stamp(data, 1, time.Second) }},
		{"read stamp", func() { readStamp(data, 1) }},
		{"record call", func() { rec.callSucceeded(time.Millisecond); rec.acknowledged(500, 512000) }},
		{"record end-to-end", func() { rec.endToEnd.observe(3 * time.Millisecond) }},
	}
	for _, tt := range tests {
		if allocs := testing.AllocsPerRun(100, tt.fn); allocs != 0 {
			t.Errorf("%s: %v allocations", tt.name, allocs)
		}
	}
}

func BenchmarkStampBatch(b *testing.B) {
	payloads := randomPayloads(rand.New(rand.NewPCG(1, 2)), 500, 1024)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range payloads {
			stamp(p, 1, time.Second)
		}
	}
}

func BenchmarkLatencyObserve(b *testing.B) {
	l := newLatencies()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.observe(time.Duration(i%100000) * time.Microsecond)
	}
}
