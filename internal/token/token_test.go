package token

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// testKey is a fixed key, so that tokens in this file are reproducible.
func testKey() []byte {
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = byte(i)
	}
	return key
}

func newSealer(t testing.TB, key []byte) *Sealer {
	t.Helper()
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// reference seals a token the way the package doc describes, sharing no
// code with the package: header, body, then the truncated HMAC of header,
// uvarint(len(name)), name and body, in unpadded base64url.
func reference(key []byte, kind byte, name string, body []byte) string {
	var msg bytes.Buffer
	msg.Write([]byte{0, 0, 0, 0, 0, 0, 0, 1, kind})
	mac := hmac.New(sha256.New, key)
	mac.Write(msg.Bytes())
	mac.Write(binary.AppendUvarint(nil, uint64(len(name))))
	mac.Write([]byte(name))
	mac.Write(body)
	msg.Write(body)
	msg.Write(mac.Sum(nil)[:16])
	return base64.RawURLEncoding.EncodeToString(msg.Bytes())
}

func referenceIterator(key []byte, it Iterator) string {
	var body bytes.Buffer
	binary.Write(&body, binary.BigEndian, it) // fields in declaration order
	return reference(key, 1, "", body.Bytes())
}

func referencePage(key []byte, kind, cursor string, issuedAt int64) string {
	body := binary.BigEndian.AppendUint64(nil, uint64(issuedAt))
	return reference(key, 2, kind, append(body, cursor...))
}

func randomIterator(r *rand.Rand) Iterator {
	return Iterator{
		StreamID:   r.Uint64(),
		ShardIndex: r.Uint32(),
		Position:   r.Uint64() >> r.IntN(64), // small and large positions
		IssuedAt:   r.Int64() - math.MaxInt64/2,
	}
}

func isURLSafe(s string) bool {
	for _, c := range s {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// TestGolden pins the frozen layout: tokens sealed by earlier builds must
// keep opening, and sealing must keep producing them. The tokens were
// computed with Python's hmac and base64 modules from the package doc.
func TestGolden(t *testing.T) {
	s := newSealer(t, testKey())
	it := Iterator{StreamID: 7, ShardIndex: 5, Position: 42, IssuedAt: 1700000123456}
	const itTok = "AAAAAAAAAAEBAAAAAAAAAAcAAAAFAAAAAAAAACoAAAGLz-dKQJl4awdzN8jAt4CBpLQOj94"
	const pageTok = "AAAAAAAAAAECAAABi8_nSkBzdHJlYW0tYTo6c2hhcmRJZC0wMDAwMDAwMDAwMDNvN-xkKLiJNyaTcBesLoQQ"
	if got := referenceIterator(testKey(), it); got != itTok {
		t.Fatalf("reference iterator = %s, want %s", got, itTok)
	}
	if got := s.SealIterator(it); got != itTok {
		t.Errorf("SealIterator = %s, want %s", got, itTok)
	}
	if got, err := s.OpenIterator(itTok); err != nil || got != it {
		t.Errorf("OpenIterator = %+v, %v; want %+v", got, err, it)
	}
	if got := s.SealPage("ListShards", "stream-a::shardId-000000000003", 1700000123456); got != pageTok {
		t.Errorf("SealPage = %s, want %s", got, pageTok)
	}
	cursor, issued, err := s.OpenPage("ListShards", pageTok)
	if err != nil || cursor != "stream-a::shardId-000000000003" || issued != 1700000123456 {
		t.Errorf("OpenPage = %q, %d, %v", cursor, issued, err)
	}
}

func TestIteratorRoundTrip(t *testing.T) {
	key := testKey()
	s := newSealer(t, key)
	tests := []Iterator{
		{},
		{StreamID: math.MaxUint64, ShardIndex: math.MaxUint32, Position: math.MaxUint64, IssuedAt: math.MaxInt64},
		{IssuedAt: math.MinInt64},
		{IssuedAt: -1},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		tests = append(tests, randomIterator(r))
	}
	for _, it := range tests {
		tok := s.SealIterator(it)
		if want := referenceIterator(key, it); tok != want {
			t.Fatalf("SealIterator(%+v) = %s, want %s", it, tok, want)
		}
		if len(tok) != 71 || !strings.HasPrefix(tok, "AAAAAAAAAAE") || !isURLSafe(tok) {
			t.Fatalf("SealIterator(%+v) = %q: want 71 base64url characters after AAAAAAAAAAE", it, tok)
		}
		got, err := s.OpenIterator(tok)
		if err != nil || got != it {
			t.Fatalf("OpenIterator(%s) = %+v, %v; want %+v", tok, got, err, it)
		}
	}
}

func TestPageRoundTrip(t *testing.T) {
	key := testKey()
	s := newSealer(t, key)
	tests := []struct {
		kind, cursor string
		issuedAt     int64
	}{
		{"ListShards", "", 0},
		{"", "", math.MinInt64},
		{"ListStreams", "my-stream", 1700000000000},
		{"ListStreamConsumers", strings.Repeat("c", 4096), math.MaxInt64},
		{"k", "\x00\xff binary \n cursor", -5},
	}
	for _, tt := range tests {
		tok := s.SealPage(tt.kind, tt.cursor, tt.issuedAt)
		if want := referencePage(key, tt.kind, tt.cursor, tt.issuedAt); tok != want {
			t.Fatalf("SealPage(%q) = %s, want %s", tt.kind, tok, want)
		}
		if !strings.HasPrefix(tok, "AAAAAAAAAAE") || !isURLSafe(tok) {
			t.Fatalf("SealPage(%q) = %q: want base64url after AAAAAAAAAAE", tt.kind, tok)
		}
		cursor, issued, err := s.OpenPage(tt.kind, tok)
		if err != nil || cursor != tt.cursor || issued != tt.issuedAt {
			t.Fatalf("OpenPage(%q) = %q, %d, %v; want %q, %d", tt.kind, cursor, issued, err, tt.cursor, tt.issuedAt)
		}
	}
}

func TestPageLimit(t *testing.T) {
	s := newSealer(t, testKey())
	const maxCursor = 786_399
	tok := s.SealPage("ListStreams", strings.Repeat("x", maxCursor), 1)
	if len(tok) > MaxPageLen {
		t.Fatalf("token for a %d-byte cursor is %d long, over MaxPageLen", maxCursor, len(tok))
	}
	if cursor, _, err := s.OpenPage("ListStreams", tok); err != nil || len(cursor) != maxCursor {
		t.Fatalf("OpenPage of the longest token: %d bytes, %v", len(cursor), err)
	}
	tok = s.SealPage("ListStreams", strings.Repeat("x", maxCursor+1), 1)
	if _, _, err := s.OpenPage("ListStreams", tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("OpenPage of a %d-character token: %v, want ErrInvalid", len(tok), err)
	}
}

// mutations returns every token that differs from tok in one character,
// over the base64url alphabet and a few characters outside it.
func mutations(tok string) []string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=\n."
	var out []string
	for i := range len(tok) {
		for _, c := range []byte(alphabet) {
			if c != tok[i] {
				out = append(out, tok[:i]+string(c)+tok[i+1:])
			}
		}
	}
	return out
}

// bitFlips returns tok with each bit of its bytes flipped in turn, so that
// every result is well-formed base64url.
func bitFlips(tok string) []string {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		panic(err)
	}
	var out []string
	for i := range len(raw) * 8 {
		flipped := bytes.Clone(raw)
		flipped[i/8] ^= 1 << (i % 8)
		out = append(out, base64.RawURLEncoding.EncodeToString(flipped))
	}
	return out
}

func TestTamper(t *testing.T) {
	s := newSealer(t, testKey())
	itTok := s.SealIterator(Iterator{StreamID: 1, ShardIndex: 2, Position: 3, IssuedAt: 4})
	pageTok := s.SealPage("ListShards", "cursor", 5)
	for _, tok := range append(mutations(itTok), bitFlips(itTok)...) {
		if it, err := s.OpenIterator(tok); !errors.Is(err, ErrInvalid) {
			t.Fatalf("OpenIterator(%q) = %+v, %v; want ErrInvalid", tok, it, err)
		}
	}
	for _, tok := range append(mutations(pageTok), bitFlips(pageTok)...) {
		if cursor, _, err := s.OpenPage("ListShards", tok); !errors.Is(err, ErrInvalid) {
			t.Fatalf("OpenPage(%q) = %q, %v; want ErrInvalid", tok, cursor, err)
		}
	}
}

func TestTruncateAndExtend(t *testing.T) {
	s := newSealer(t, testKey())
	itTok := s.SealIterator(Iterator{StreamID: 1, Position: 9})
	pageTok := s.SealPage("ListShards", "cursor", 5)
	var itBad, pageBad []string
	for i := range len(itTok) {
		itBad = append(itBad, itTok[:i], itTok[i+1:])
	}
	for i := range len(pageTok) {
		pageBad = append(pageBad, pageTok[:i], pageTok[i+1:])
	}
	for _, suffix := range []string{"A", "AA", "AAAA", "=", "\n", "\r\n"} {
		itBad = append(itBad, itTok+suffix, suffix+itTok)
		pageBad = append(pageBad, pageTok+suffix, suffix+pageTok)
	}
	// A newline inside is skipped by base64 decoders; it must not pass.
	itBad = append(itBad, itTok[:40]+"\n"+itTok[41:], itTok[:40]+"\n"+itTok[40:70])
	pageBad = append(pageBad, pageTok[:40]+"\n"+pageTok[40:])
	for _, tok := range itBad {
		if _, err := s.OpenIterator(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("OpenIterator(%q) = %v, want ErrInvalid", tok, err)
		}
	}
	for _, tok := range pageBad {
		if _, _, err := s.OpenPage("ListShards", tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("OpenPage(%q) = %v, want ErrInvalid", tok, err)
		}
	}
}

func TestWrongKey(t *testing.T) {
	s := newSealer(t, testKey())
	other := newSealer(t, NewKey())
	itTok := s.SealIterator(Iterator{StreamID: 1})
	pageTok := s.SealPage("ListShards", "c", 1)
	if _, err := other.OpenIterator(itTok); !errors.Is(err, ErrInvalid) {
		t.Errorf("OpenIterator with another key = %v, want ErrInvalid", err)
	}
	if _, _, err := other.OpenPage("ListShards", pageTok); !errors.Is(err, ErrInvalid) {
		t.Errorf("OpenPage with another key = %v, want ErrInvalid", err)
	}
}

func TestKindsNotConfusable(t *testing.T) {
	s := newSealer(t, testKey())
	itTok := s.SealIterator(Iterator{StreamID: 1, Position: 2})
	for _, kind := range []string{"", "ListShards", "iterator"} {
		if _, _, err := s.OpenPage(kind, itTok); !errors.Is(err, ErrInvalid) {
			t.Errorf("OpenPage(%q, iterator) = %v, want ErrInvalid", kind, err)
		}
	}
	// A 20-byte cursor makes a page token exactly as long as an iterator.
	pageTok := s.SealPage("", strings.Repeat("p", 20), 1)
	if len(pageTok) != len(itTok) {
		t.Fatalf("page token length %d, want %d", len(pageTok), len(itTok))
	}
	if _, err := s.OpenIterator(pageTok); !errors.Is(err, ErrInvalid) {
		t.Errorf("OpenIterator(page token) = %v, want ErrInvalid", err)
	}
	tests := []struct{ sealKind, openKind, cursor string }{
		{"ListShards", "ListStreams", "c"},
		{"ListShards", "", "c"},
		{"", "ListShards", "c"},
		{"a", "ab", "bc"}, // the kind is length-prefixed, not run into the cursor
		{"ab", "a", "c"},
	}
	for _, tt := range tests {
		tok := s.SealPage(tt.sealKind, tt.cursor, 1)
		if _, _, err := s.OpenPage(tt.openKind, tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("OpenPage(%q) of a %q token = %v, want ErrInvalid", tt.openKind, tt.sealKind, err)
		}
	}
}

func TestGarbage(t *testing.T) {
	s := newSealer(t, testKey())
	for _, tok := range []string{
		"", "A", "AAAAAAAAAAE", strings.Repeat("A", 71), strings.Repeat("A", 88),
		"not a token at all", strings.Repeat("é", 36),
		"AAAAAAAAAAEBAAAAAAAAAAcAAAAFAAAAAAAAACoAAAGLz+dKQJl4awdzN8jAt4CBpLQOj94", // std alphabet,
	} {
		if _, err := s.OpenIterator(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("OpenIterator(%q) = %v, want ErrInvalid", tok, err)
		}
		if _, _, err := s.OpenPage("ListShards", tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("OpenPage(%q) = %v, want ErrInvalid", tok, err)
		}
	}
}

func TestNewSealer(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewSealer(make([]byte, n)); !errors.Is(err, ErrKeySize) {
			t.Errorf("NewSealer(%d bytes) = %v, want ErrKeySize", n, err)
		}
	}
	a, b := NewKey(), NewKey()
	if len(a) != KeySize || bytes.Equal(a, b) {
		t.Fatalf("NewKey gave %x and %x", a, b)
	}
	// The Sealer keeps its own copy of the key.
	key := testKey()
	s := newSealer(t, key)
	clear(key)
	tok := s.SealIterator(Iterator{StreamID: 3})
	if _, err := newSealer(t, testKey()).OpenIterator(tok); err != nil {
		t.Fatalf("token sealed after the caller cleared the key: %v", err)
	}
}

func TestExpired(t *testing.T) {
	tests := []struct {
		issued, now, ttl int64
		want             bool
	}{
		{1000, 1000, TTL, false},
		{1000, 1000 + TTL, TTL, false},
		{1000, 1001 + TTL, TTL, true},
		{1000, 999, TTL, false}, // clock stepped back
		{0, 1, 0, true},
		{math.MinInt64, math.MaxInt64, TTL, true},
		{math.MaxInt64, math.MinInt64, TTL, false},
		{math.MinInt64, math.MaxInt64, math.MaxInt64, true},
		{-1, math.MaxInt64 - 1, math.MaxInt64, false},
	}
	for _, tt := range tests {
		if got := Expired(tt.issued, tt.now, tt.ttl); got != tt.want {
			t.Errorf("Expired(%d, %d, %d) = %v, want %v", tt.issued, tt.now, tt.ttl, got, tt.want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newSealer(t, testKey())
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 0))
			for range 500 {
				it := randomIterator(r)
				got, err := s.OpenIterator(s.SealIterator(it))
				if err != nil || got != it {
					errs <- errors.New("concurrent round trip failed")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func FuzzOpenIterator(f *testing.F) {
	s := newSealer(f, testKey())
	f.Add(s.SealIterator(Iterator{StreamID: 7, ShardIndex: 5, Position: 42, IssuedAt: 1700000123456}))
	f.Add(s.SealPage("", strings.Repeat("p", 20), 1))
	f.Add("")
	f.Add(strings.Repeat("A", 71))
	f.Fuzz(func(t *testing.T, tok string) {
		it, err := s.OpenIterator(tok)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("OpenIterator(%q): unexpected error %v", tok, err)
			}
			return
		}
		// Sealing is deterministic, so anything that opens must be
		// exactly what the Sealer makes of its contents.
		if back := s.SealIterator(it); back != tok {
			t.Fatalf("OpenIterator(%q) = %+v, which seals to %q", tok, it, back)
		}
	})
}

func FuzzOpenPage(f *testing.F) {
	s := newSealer(f, testKey())
	f.Add("ListShards", s.SealPage("ListShards", "stream::shardId-000000000001", 1700000000000))
	f.Add("ListStreams", s.SealPage("ListStreams", "", 0))
	f.Add("", s.SealIterator(Iterator{}))
	f.Add("", "")
	f.Fuzz(func(t *testing.T, kind, tok string) {
		cursor, issued, err := s.OpenPage(kind, tok)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("OpenPage(%q, %q): unexpected error %v", kind, tok, err)
			}
			return
		}
		if back := s.SealPage(kind, cursor, issued); back != tok {
			t.Fatalf("OpenPage(%q, %q) = %q, %d, which seals to %q", kind, tok, cursor, issued, back)
		}
	})
}

var (
	sinkString   string
	sinkIterator Iterator
)

func BenchmarkSealIterator(b *testing.B) {
	s := newSealer(b, testKey())
	it := Iterator{StreamID: 7, ShardIndex: 5, Position: 42, IssuedAt: 1700000123456}
	b.ReportAllocs()
	for b.Loop() {
		sinkString = s.SealIterator(it)
		it.Position++
	}
}

func BenchmarkOpenIterator(b *testing.B) {
	s := newSealer(b, testKey())
	tok := s.SealIterator(Iterator{StreamID: 7, ShardIndex: 5, Position: 42, IssuedAt: 1700000123456})
	b.ReportAllocs()
	for b.Loop() {
		it, err := s.OpenIterator(tok)
		if err != nil {
			b.Fatal(err)
		}
		sinkIterator = it
	}
}

// BenchmarkIteratorParallel seals and opens from every P, as concurrent
// GetRecords calls do.
func BenchmarkIteratorParallel(b *testing.B) {
	s := newSealer(b, testKey())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		it := Iterator{StreamID: 7, ShardIndex: 5, Position: 42, IssuedAt: 1700000123456}
		for pb.Next() {
			if _, err := s.OpenIterator(s.SealIterator(it)); err != nil {
				b.Fatal(err)
			}
			it.Position++
		}
	})
}

func BenchmarkSealPage(b *testing.B) {
	s := newSealer(b, testKey())
	b.ReportAllocs()
	for b.Loop() {
		sinkString = s.SealPage("ListShards", "stream-a::shardId-000000000003", 1700000123456)
	}
}

func BenchmarkOpenPage(b *testing.B) {
	s := newSealer(b, testKey())
	tok := s.SealPage("ListShards", "stream-a::shardId-000000000003", 1700000123456)
	b.ReportAllocs()
	for b.Loop() {
		cursor, _, err := s.OpenPage("ListShards", tok)
		if err != nil {
			b.Fatal(err)
		}
		sinkString = cursor
	}
}
