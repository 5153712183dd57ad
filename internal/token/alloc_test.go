//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts only hold without it.

package token

import "testing"

func TestIteratorAllocs(t *testing.T) {
	s := newSealer(t, testKey())
	it := Iterator{StreamID: 1, ShardIndex: 2, Position: 3, IssuedAt: 4}
	tok := s.SealIterator(it)
	if n := testing.AllocsPerRun(100, func() { _ = s.SealIterator(it) }); n > 1 {
		t.Errorf("SealIterator allocates %v times, want at most 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = s.OpenIterator(tok) }); n > 0 {
		t.Errorf("OpenIterator allocates %v times, want 0", n)
	}
}
